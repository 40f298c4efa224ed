//! Unit tests of [`Watched`](super::Watched): the 414/431 rewrite and the lingering close.

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
    fn poll_shutdown(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
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
    let mut response = b"HTTP/1.1 200 OK\r\ncontent-length: 99\r\n\r\n{\"displayName\":\"".to_vec();
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
