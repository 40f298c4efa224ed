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
mod tests {
    use super::*;

    /// A socket that takes at most `room` bytes per write, as a slow reader's does, and
    /// whose client still has `unread` bytes to send (`None`: without end).
    #[derive(Default)]
    struct Trickle {
        out: Vec<u8>,
        room: usize,
        unread: Option<usize>,
        read: usize,
        /// Bytes read before the write side was shut (there must be none).
        read_before_shut: usize,
        shut: bool,
    }

    impl AsyncRead for Trickle {
        fn poll_read(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<std::io::Result<()>> {
            let left = self.unread.map_or(usize::MAX, |u| u - self.read);
            let n = buf.remaining().min(left);
            buf.put_slice(&vec![b'a'; n]);
            self.read += n;
            if !self.shut {
                self.read_before_shut += n;
            }
            Poll::Ready(Ok(()))
        }
    }

    impl AsyncWrite for Trickle {
        fn poll_write(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<std::io::Result<usize>> {
            let n = buf.len().min(self.room);
            self.out.extend_from_slice(&buf[..n]);
            Poll::Ready(Ok(n))
        }
        fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
            Poll::Ready(Ok(()))
        }
        fn poll_shutdown(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<std::io::Result<()>> {
            self.shut = true;
            Poll::Ready(Ok(()))
        }
    }

    /// Writes `data` through a [`Watched`] over a [`Trickle`] as hyper would (again and
    /// again from where the last write stopped); returns what reached the socket, or the
    /// error that ended the writing.
    fn send(data: &[u8], room: usize) -> Result<Vec<u8>, std::io::Error> {
        let mut w = Watched::new(
            Trickle {
                room,
                ..Trickle::default()
            },
            Activity::new(),
        );
        let mut cx = Context::from_waker(std::task::Waker::noop());
        let mut at = 0;
        while at < data.len() {
            match Pin::new(&mut w).poll_write(&mut cx, &data[at..]) {
                Poll::Ready(Ok(n)) => at += n,
                Poll::Ready(Err(e)) => return Err(e),
                Poll::Pending => unreachable!("a trickle never blocks"),
            }
        }
        Ok(w.inner.out)
    }

    #[test]
    fn a_response_body_that_reads_like_a_refusal_is_sent_as_it_is() {
        // Regression (issue 11 attack review): a slow reader made a write begin inside a
        // 200's body at text a client had stored, `HTTP/1.1 431 `, and the rest of the
        // response was replaced by a 431 and every later answer dropped.
        let mut response =
            b"HTTP/1.1 200 OK\r\ncontent-length: 99\r\n\r\n{\"displayName\":\"".to_vec();
        let prefix = response.len();
        response.extend_from_slice(b"HTTP/1.1 431 HTTP/1.1 431 \\r\\n\"}");
        for room in [1, 7, prefix, prefix + 3, 4096] {
            assert_eq!(send(&response, room).unwrap(), response, "room {room}");
        }
    }

    #[test]
    fn hyper_s_bodiless_refusal_becomes_a_scim_error_and_nothing_follows_it() {
        let refusal = b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\n\r\n";
        let sent = send(refusal, 4096).unwrap();
        let text = String::from_utf8(sent).unwrap();
        assert!(text.starts_with("HTTP/1.1 431 "), "{text}");
        assert!(text.contains("application/scim+json"), "{text}");
        assert!(text.contains("\"status\":\"431\""), "{text}");
        // A write after the refusal is an error, so the connection closes instead of
        // taking requests whose answers would be dropped.
        let mut w = Watched::new(
            Trickle {
                room: 4096,
                ..Trickle::default()
            },
            Activity::new(),
        );
        let mut cx = Context::from_waker(std::task::Waker::noop());
        assert!(matches!(
            Pin::new(&mut w).poll_write(&mut cx, refusal),
            Poll::Ready(Ok(n)) if n == refusal.len()
        ));
        assert!(matches!(
            Pin::new(&mut w).poll_write(&mut cx, b"HTTP/1.1 200 OK\r\n\r\n"),
            Poll::Ready(Err(_))
        ));
    }

    #[test]
    fn status_lines_are_told_from_other_bytes() {
        assert!(is_status_line(
            b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
        ));
        assert!(!is_status_line(b"HTTP/1.1 431 HTTP/1.1 431 \\r\\n"));
        assert!(!is_status_line(b"HTTP/1.1 431 no line end"));
        assert!(!is_status_line(b"HTTP/1.1 431 \x01\r\n"));
    }

    /// Feeds `stream` through [`Lines`] in reads of the sizes `reads` (cycled), as hyper
    /// would with a head starting at `head_start`, and returns the verdict when hyper's
    /// buffer (the bytes from `head_start`) reaches the limit.
    fn verdict_at_overflow(stream: &[u8], head_start: usize, reads: &[usize]) -> bool {
        let mut lines = Lines::default();
        let mut at = 0;
        for room in reads.iter().cycle() {
            let n = lines.allowed(*room).min(stream.len() - at);
            assert!(n > 0, "the stream ended before the head overflowed");
            lines.saw(&stream[at..at + n]);
            at += n;
            if at > head_start && at - head_start >= MAX_HEADER_BYTES {
                return lines.request_line_too_long();
            }
        }
        unreachable!()
    }

    const READS: [&[usize]; 4] = [&[1 << 20], &[8192], &[7, 100_000, 1, 3000], &[24, 1 << 20]];

    #[test]
    fn a_request_line_without_an_end_is_told_from_long_header_fields() {
        let long_target = [b"GET /Users?filter=".as_slice(), &[b'a'; 200_000]].concat();
        let long_field = [
            b"GET /Users HTTP/1.1\r\nHost: x\r\nX-Big: ".as_slice(),
            &[b'a'; 200_000],
        ]
        .concat();
        let mut late_line_end = vec![b'a'; MAX_HEADER_BYTES - 40];
        late_line_end.extend_from_slice(b" HTTP/1.1\r\nHost: x\r\nX-Big: ");
        late_line_end.extend_from_slice(&[b'b'; 1000]);
        for reads in READS {
            assert!(verdict_at_overflow(&long_target, 0, reads), "{reads:?}");
            assert!(!verdict_at_overflow(&long_field, 0, reads), "{reads:?}");
            assert!(!verdict_at_overflow(&late_line_end, 0, reads), "{reads:?}");
            let blank_first = [b"\r\n\r\n\n".as_slice(), &long_target].concat();
            assert!(verdict_at_overflow(&blank_first, 0, reads), "{reads:?}");
        }
    }

    #[test]
    fn a_previous_body_without_line_ends_does_not_change_the_verdict() {
        let mut before = b"POST /Users HTTP/1.1\r\nContent-Length: 70000\r\n\r\n".to_vec();
        before.extend_from_slice(&[b'x'; 70_000]);
        for (head, too_long) in [
            (
                [
                    b"GET /Users HTTP/1.1\r\nX-Big: ".as_slice(),
                    &[b'a'; 200_000],
                ]
                .concat(),
                false,
            ),
            (
                [b"GET /Users?f=".as_slice(), &[b'a'; 200_000]].concat(),
                true,
            ),
        ] {
            let stream = [before.as_slice(), &head].concat();
            for reads in READS {
                assert_eq!(
                    verdict_at_overflow(&stream, before.len(), reads),
                    too_long,
                    "{reads:?}"
                );
            }
        }
    }

    /// After a refusal, closing shuts the write side first, then reads and drops what
    /// the client still sends until it closes, or until [`LINGER_BYTES`]; a connection
    /// that refused nothing is shut at once, reading nothing.
    #[test]
    fn a_refused_connection_lingers_before_it_closes() {
        let refusal = b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\n\r\n";
        let waker = std::task::Waker::noop();
        let mut cx = Context::from_waker(waker);
        for (unread, expect) in [(Some(300_000), 300_000), (None, LINGER_BYTES)] {
            let mut w = Watched::new(
                Trickle {
                    room: usize::MAX,
                    unread,
                    ..Trickle::default()
                },
                Activity::new(),
            );
            let n = Pin::new(&mut w).poll_write(&mut cx, refusal);
            assert!(matches!(n, Poll::Ready(Ok(_))));
            assert!(matches!(
                Pin::new(&mut w).poll_shutdown(&mut cx),
                Poll::Ready(Ok(()))
            ));
            assert!(w.inner.shut);
            assert_eq!(w.inner.read_before_shut, 0);
            assert!(
                w.inner.read >= expect && w.inner.read < expect + 8192,
                "{}",
                w.inner.read
            );
            assert!(String::from_utf8_lossy(&w.inner.out).contains(r#""status":"431""#));
        }
        let mut w = Watched::new(Trickle::default(), Activity::new());
        assert!(matches!(
            Pin::new(&mut w).poll_shutdown(&mut cx),
            Poll::Ready(Ok(()))
        ));
        assert!(w.inner.shut);
        assert_eq!(w.inner.read, 0);
    }
}
