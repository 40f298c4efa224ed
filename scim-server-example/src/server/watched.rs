//! The I/O wrapper under every connection ([`Watched`]): it reports the bytes a client
//! sends and the writes it leaves blocked to the connection's watchdog
//! ([`Activity`](super::connection::Activity)), and it turns hyper's bodiless refusal of
//! an HTTP/1 head over the limit into a SCIM error: `414 URI Too Long` when the request
//! line does not end within the limit, else `431`.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use http::StatusCode;
use scim2_core::ScimError;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::connection::Activity;
use super::{MAX_HEADER_BYTES, MAX_HEADER_FIELDS};

/// A connection's I/O that reports the bytes it reads to the watchdog, and that turns
/// hyper's bodiless answer to an HTTP/1 head over the limit into a SCIM error: `414 URI
/// Too Long` (RFC 9110 §15.5.15) when the request line does not end within the head
/// limit, else `431 Request Header Fields Too Large` (RFC 6585 §5).
///
/// Hyper keeps a request head in its read buffer, which begins where the head begins
/// and which it refuses to grow past [`MAX_HEADER_BYTES`]; the request line is too long
/// when that buffer holds no line end after the empty lines a client may send first
/// (RFC 9112 §2.2). The wrapper cannot see hyper's buffer, so it counts the bytes read
/// since the last end of a non-empty line ([`Lines`]) and bounds each read
/// ([`Lines::allowed`]): when hyper gives up, the count is at least the limit if no
/// line ended in its buffer (the count then spans the whole buffer), and below it if
/// the request line ended there (the count then only spans what followed). Nothing more
/// is held than before: a counter, and a few hundred bytes of answer.
pub(super) struct Watched<I> {
    inner: I,
    activity: Arc<Activity>,
    lines: Lines,
    rewrite: Rewrite,
}

impl<I> Watched<I> {
    pub(super) fn new(inner: I, activity: Arc<Activity>) -> Self {
        Watched {
            inner,
            activity,
            lines: Lines::default(),
            rewrite: Rewrite::No,
        }
    }

    /// Whether the connection speaks HTTP/1 (the only protocol whose heads hyper
    /// refuses with a status line of its own; HTTP/2 frames are binary).
    fn http1(&self) -> bool {
        !self.activity.is_h2()
    }

    /// Starts replacing hyper's automatic 414 or 431 with a SCIM error, when `first`
    /// (the start of what hyper writes) is one: hyper writes it for a head it refused,
    /// when no request is in flight, and then closes the connection. The bridge itself
    /// never answers 414 or 431.
    fn intercept(&mut self, first: &[u8]) {
        if !matches!(self.rewrite, Rewrite::No) || !self.http1() || self.activity.busy() {
            return;
        }
        if !is_status_line(first) {
            return;
        }
        let status = match first.get(..13) {
            Some(b"HTTP/1.1 414 " | b"HTTP/1.0 414 ") => StatusCode::URI_TOO_LONG,
            Some(b"HTTP/1.1 431 " | b"HTTP/1.0 431 ") if self.lines.request_line_too_long() => {
                StatusCode::URI_TOO_LONG
            }
            Some(b"HTTP/1.1 431 " | b"HTTP/1.0 431 ") => {
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE
            }
            _ => return,
        };
        self.rewrite = Rewrite::Writing {
            answer: head_refusal(status),
            at: 0,
        };
    }

    /// Writes the replacement answer; `claimed` is what hyper handed over, reported as
    /// written once the answer is out. Hyper writes nothing after its refusal but closes
    /// the connection, so a later write fails (the connection is closed rather than
    /// left open with its answers dropped).
    fn poll_rewrite(&mut self, cx: &mut Context<'_>, claimed: usize) -> Poll<std::io::Result<usize>>
    where
        I: AsyncWrite + Unpin,
    {
        loop {
            match &mut self.rewrite {
                Rewrite::No => {
                    return Poll::Ready(Err(std::io::Error::other("no answer being replaced")))
                }
                Rewrite::Done | Rewrite::Lingering { .. } => {
                    return Poll::Ready(Err(std::io::Error::new(
                        std::io::ErrorKind::BrokenPipe,
                        "the connection was answered with a refusal and is closing",
                    )))
                }
                Rewrite::Writing { answer, at } => {
                    if *at == answer.len() {
                        self.rewrite = Rewrite::Done;
                        return Poll::Ready(Ok(claimed));
                    }
                    let polled = Pin::new(&mut self.inner).poll_write(cx, &answer[*at..]);
                    self.activity.wrote(polled.is_pending());
                    match polled {
                        Poll::Pending => return Poll::Pending,
                        Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                        Poll::Ready(Ok(0)) => {
                            return Poll::Ready(Err(std::io::ErrorKind::WriteZero.into()))
                        }
                        Poll::Ready(Ok(n)) => *at += n,
                    }
                }
            }
        }
    }
}

impl<I: AsyncRead + AsyncWrite + Unpin> Watched<I> {
    /// Closes a connection whose head was refused the way RFC 9112 §9.6 asks ("lingering
    /// close"): the write side is shut first, so the client reads the whole refusal and
    /// the end of the stream, then what the client still sends (the rest of an oversized
    /// head, up to [`LINGER_BYTES`]) is read and dropped until it closes its side. Closing
    /// with those bytes unread would make the kernel reset the connection, and a reset can
    /// overtake the refusal in flight, so the client would see no answer at all. The
    /// connection's watchdog bounds how long this waits (the head timeout keeps running).
    fn poll_linger(&mut self, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        loop {
            match &mut self.rewrite {
                Rewrite::Done => {
                    ready!(Pin::new(&mut self.inner).poll_shutdown(cx))?;
                    self.rewrite = Rewrite::Lingering { drained: 0 };
                }
                Rewrite::Lingering { drained } if *drained < LINGER_BYTES => {
                    let mut scratch = [0u8; 8192];
                    let mut sink = ReadBuf::new(&mut scratch);
                    match ready!(Pin::new(&mut self.inner).poll_read(cx, &mut sink)) {
                        Ok(()) if !sink.filled().is_empty() => *drained += sink.filled().len(),
                        // The client closed its side, or the connection failed: done.
                        Ok(()) | Err(_) => return Poll::Ready(Ok(())),
                    }
                }
                _ => return Poll::Ready(Ok(())),
            }
        }
    }
}

/// Whether `bytes` begin with a whole status line (`HTTP/1.x NNN reason` and CRLF, in
/// printable ASCII), as a response does. Hyper writes its refusal of a head as a response
/// of its own, head only; a write that continues a response body never begins so, since
/// every body the bridge sends is JSON or plain text without raw line ends (JSON escapes
/// them), so part of a body is never mistaken for hyper's refusal.
fn is_status_line(bytes: &[u8]) -> bool {
    let Some(end) = bytes.iter().take(128).position(|&b| b == b'\r') else {
        return false;
    };
    bytes.get(end + 1) == Some(&b'\n')
        && bytes.starts_with(b"HTTP/1.")
        && bytes[..end].iter().all(|b| (b' '..=b'~').contains(b))
}

/// The answer that replaces hyper's to a refused head: a SCIM error the client can act
/// on, and `Connection: close` (hyper closes the connection after it).
fn head_refusal(status: StatusCode) -> Vec<u8> {
    let detail = if status == StatusCode::URI_TOO_LONG {
        format!(
            "the request target is too long: the request line (method, target and version) \
             exceeds the limit of {MAX_HEADER_BYTES} bytes of a request head; send a long \
             filter in the body of a POST to /Users/.search, /Groups/.search or /.search \
             instead (RFC 7644 §3.4.3)"
        )
    } else {
        format!(
            "the request head (request line and header fields) exceeds the limit of \
             {MAX_HEADER_BYTES} bytes or of {MAX_HEADER_FIELDS} header fields"
        )
    };
    let body = ScimError::new(status, None, detail).to_body().to_string();
    let mut answer = format!(
        "HTTP/1.1 {} {}\r\ncontent-type: {}\r\ncontent-length: {}\r\ndate: {}\r\nconnection: close\r\n\r\n",
        status.as_str(),
        status.canonical_reason().unwrap_or(""),
        scim2_core::service::SCIM_JSON,
        body.len(),
        httpdate::fmt_http_date(std::time::SystemTime::now()),
    )
    .into_bytes();
    answer.extend_from_slice(body.as_bytes());
    answer
}

/// Whether hyper's answer to a refused head is being replaced.
enum Rewrite {
    /// Not replacing anything.
    No,
    /// Writing the replacement; `at` bytes of it are out.
    Writing { answer: Vec<u8>, at: usize },
    /// The replacement is out; what hyper still writes is dropped.
    Done,
    /// Closing after the replacement: the write side is shut, and what the client still
    /// sends is read and dropped (`drained` bytes so far), see [`Watched::poll_linger`].
    Lingering { drained: usize },
}

/// Most bytes read and dropped after a refusal before the connection is closed anyway.
const LINGER_BYTES: usize = 1024 * 1024;

/// Line ends seen in what an HTTP/1 client sent.
///
/// It knows nothing of message boundaries: an empty line that a client sends between a
/// body whose last line has no end and a too-long request line (RFC 9112 §2.2 lets it)
/// reads as the end of that body line, so that head gets 431, not 414.
#[derive(Debug, Default)]
struct Lines {
    /// Bytes read since the last line feed that ended a non-empty line (one with more
    /// than a carriage return), saturating.
    run: usize,
    /// Whether the line being read has a byte other than a carriage return.
    content: bool,
}

impl Lines {
    /// How much of a read of up to `room` bytes to let through: never more than
    /// `MAX_HEADER_BYTES`, and never so much that [`Lines::run`] passes
    /// `MAX_HEADER_BYTES - 1` in one read. So when hyper refuses a head whose request
    /// line did end (in its buffer, which was under the limit before the last read),
    /// the bytes since the last line end are fewer than the limit: they either span a
    /// part of that buffer and a capped read, or fall within the last read.
    fn allowed(&self, room: usize) -> usize {
        let room = room.min(MAX_HEADER_BYTES);
        match (MAX_HEADER_BYTES - 1).checked_sub(self.run) {
            Some(left) if left > 0 => room.min(left),
            _ => room,
        }
    }

    /// Notes bytes read.
    fn saw(&mut self, bytes: &[u8]) {
        let Some(last) = bytes.iter().rposition(|&b| b == b'\n') else {
            self.run = self.run.saturating_add(bytes.len());
            self.content |= bytes.iter().any(|&b| b != b'\r');
            return;
        };
        let tail = &bytes[last + 1..];
        // The last line feed that ended a non-empty line, looking back from the end.
        let mut end = last;
        let found = loop {
            let start = bytes[..end].iter().rposition(|&b| b == b'\n');
            let line = &bytes[start.map_or(0, |s| s + 1)..end];
            if line.iter().any(|&b| b != b'\r') || (start.is_none() && self.content) {
                break Some(end);
            }
            match start {
                Some(s) => end = s,
                None => break None,
            }
        };
        self.run = match found {
            Some(end) => bytes.len() - end - 1,
            None => self.run.saturating_add(bytes.len()),
        };
        self.content = tail.iter().any(|&b| b != b'\r');
    }

    /// Whether, when hyper refuses a head as too large, its request line had not ended.
    fn request_line_too_long(&self) -> bool {
        self.run >= MAX_HEADER_BYTES
    }
}

impl<I: AsyncRead + Unpin> AsyncRead for Watched<I> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = &mut *self;
        let http1 = this.http1();
        let room = buf.remaining();
        let allowed = if http1 {
            this.lines.allowed(room)
        } else {
            room
        };
        let before = buf.filled().len();
        let polled = if allowed < room {
            let mut part = ReadBuf::new(buf.initialize_unfilled_to(allowed));
            let polled = Pin::new(&mut this.inner).poll_read(cx, &mut part);
            let n = part.filled().len();
            if let Poll::Ready(Ok(())) = polled {
                buf.advance(n);
            }
            polled
        } else {
            Pin::new(&mut this.inner).poll_read(cx, buf)
        };
        if let Poll::Ready(Ok(())) = polled {
            let got = &buf.filled()[before..];
            this.activity.saw(got);
            if http1 {
                this.lines.saw(got);
            }
        }
        polled
    }
}

impl<I: AsyncRead + AsyncWrite + Unpin> AsyncWrite for Watched<I> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = &mut *self;
        this.intercept(buf);
        if !matches!(this.rewrite, Rewrite::No) {
            return this.poll_rewrite(cx, buf.len());
        }
        let polled = Pin::new(&mut this.inner).poll_write(cx, buf);
        this.activity.wrote(polled.is_pending());
        polled
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let this = &mut *self;
        if matches!(this.rewrite, Rewrite::No | Rewrite::Writing { .. }) {
            return Pin::new(&mut this.inner).poll_shutdown(cx);
        }
        this.poll_linger(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let this = &mut *self;
        if let Some(first) = bufs.iter().find(|b| !b.is_empty()) {
            this.intercept(first);
        }
        if !matches!(this.rewrite, Rewrite::No) {
            return this.poll_rewrite(cx, bufs.iter().map(|b| b.len()).sum());
        }
        let polled = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        this.activity.wrote(polled.is_pending());
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests;
