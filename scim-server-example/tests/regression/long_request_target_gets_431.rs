//! A request line longer than the head limit (a 200 kB filter in the URL) was answered
//! `431 Request Header Fields Too Large` without a body, by hyper, which blames the
//! header fields. It is the request target that is too long: `414 URI Too Long`
//! (RFC 9110 §15.5.15), with a SCIM error (RFC 7644 §3.12) that says how to send a long
//! filter (`POST …/.search`, RFC 7644 §3.4.3). A head whose header fields are too large
//! still gets 431 (RFC 6585 §5), now with a SCIM error too. Both on a kept-alive
//! connection as on a new one.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use serde_json::Value;

use crate::common::{Bridge, TOKEN};

/// The head limit of the bridge (`MAX_HEADER_BYTES`).
const LIMIT: usize = 64 * 1024;

/// A response read off a socket: status, lower-cased head, body.
struct Answer {
    status: u16,
    head: String,
    body: Vec<u8>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

/// Reads one response (with a `Content-Length`) from `s`.
fn read_answer(s: &mut TcpStream) -> Answer {
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 8192];
    let end = loop {
        if let Some(i) = got.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = s.read(&mut buf).unwrap_or(0);
        assert!(
            n > 0,
            "the connection ended before a response head: {got:?}"
        );
        got.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&got[..end]).to_ascii_lowercase();
    let status = head.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .map_or(0, |v| v.trim().parse().unwrap_or(0));
    let mut body = got[end..].to_vec();
    while body.len() < len {
        let n = s.read(&mut buf).unwrap_or(0);
        assert!(n > 0, "the connection ended inside a body");
        body.extend_from_slice(&buf[..n]);
    }
    Answer { status, head, body }
}

/// Sends `request` (ignoring a reset once the server has answered) and reads the answer.
fn send(s: &mut TcpStream, request: &[u8]) -> Answer {
    let _ = s.write_all(request);
    read_answer(s)
}

/// A GET of the Users with this filter value in the URL.
fn filtered(filter_len: usize, auth: bool) -> Vec<u8> {
    let auth = if auth {
        format!("Authorization: Bearer {TOKEN}\r\n")
    } else {
        String::new()
    };
    format!(
        "GET /scim/v2/Users?filter=userName%20eq%20%22{}%22 HTTP/1.1\r\nHost: x\r\n{auth}\r\n",
        "a".repeat(filter_len)
    )
    .into_bytes()
}

/// Asserts a SCIM error with `status` and a detail containing `says`.
fn assert_scim_error(a: &Answer, status: u16, says: &str) {
    assert_eq!(a.status, status, "{}", a.head);
    assert!(
        a.head.contains("content-type: application/scim+json"),
        "{}",
        a.head
    );
    assert!(a.head.contains("\r\ndate: "), "{}", a.head);
    let v = a.json();
    assert_eq!(
        v["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:Error",
        "{v}"
    );
    assert_eq!(v["status"], status.to_string(), "{v}");
    let detail = v["detail"].as_str().unwrap_or_default();
    assert!(detail.contains(says), "{detail}");
}

#[test]
fn a_200_kb_filter_in_the_url_gets_414_with_a_scim_error() {
    let dir = tempfile::tempdir().unwrap();
    let b = Bridge::start(dir.path(), &[]);
    for auth in [false, true] {
        let mut s = TcpStream::connect(b.addr()).unwrap();
        let a = send(&mut s, &filtered(200_000, auth));
        assert_scim_error(&a, 414, "/.search");
        assert!(a.head.contains("connection: close"), "{}", a.head);
    }
}

#[test]
fn a_too_long_target_on_a_kept_alive_connection_gets_414() {
    let dir = tempfile::tempdir().unwrap();
    let b = Bridge::start(dir.path(), &[]);
    let mut s = TcpStream::connect(b.addr()).unwrap();
    let ok = send(&mut s, &filtered(10, true));
    assert_eq!(ok.status, 200, "{}", ok.head);
    // A body without a line end, longer than the limit, before the next head.
    let body = format!(
        r#"{{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"kept@example.com","nickName":"{}"}}"#,
        "n".repeat(LIMIT + 10)
    );
    let post = format!(
        "POST /scim/v2/Users HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\nContent-Type: application/scim+json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let created = send(&mut s, post.as_bytes());
    assert_eq!(created.status, 201, "{}", created.head);
    assert_scim_error(&send(&mut s, &filtered(200_000, true)), 414, "/.search");
}

#[test]
fn oversized_header_fields_still_get_431_with_a_scim_error() {
    let dir = tempfile::tempdir().unwrap();
    let b = Bridge::start(dir.path(), &[]);
    let big = format!(
        "GET /scim/v2/Users HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(200_000)
    );
    let mut s = TcpStream::connect(b.addr()).unwrap();
    assert_scim_error(&send(&mut s, big.as_bytes()), 431, "header fields");
    // On a kept-alive connection too, after a request whose body has no line end.
    let mut s = TcpStream::connect(b.addr()).unwrap();
    let post = format!(
        "POST /scim/v2/Users HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\nContent-Type: application/scim+json\r\nContent-Length: {n}\r\n\r\n{}",
        "x".repeat(LIMIT + 10),
        n = LIMIT + 10
    );
    assert_eq!(send(&mut s, post.as_bytes()).status, 400);
    assert_scim_error(&send(&mut s, big.as_bytes()), 431, "header fields");
    // Too many header fields.
    let many = format!(
        "GET /ping HTTP/1.1\r\nHost: x\r\n{}\r\n",
        "X-A: b\r\n".repeat(101)
    );
    let mut s = TcpStream::connect(b.addr()).unwrap();
    assert_scim_error(&send(&mut s, many.as_bytes()), 431, "header fields");
}

#[test]
fn a_target_just_under_the_limit_is_served() {
    let dir = tempfile::tempdir().unwrap();
    let b = Bridge::start(dir.path(), &[]);
    let mut s = TcpStream::connect(b.addr()).unwrap();
    // The request line is the limit less the headers that follow.
    let pad = LIMIT - 200;
    let ping = format!("GET /ping?{} HTTP/1.1\r\nHost: x\r\n\r\n", "p".repeat(pad));
    assert_eq!(send(&mut s, ping.as_bytes()).status, 200);
    let users = format!(
        "GET /scim/v2/Users?filter=userName%20eq%20%22x%22&pad={} HTTP/1.1\r\nHost: x\r\n\r\n",
        "p".repeat(pad - 50)
    );
    let refused = send(&mut s, users.as_bytes());
    assert_scim_error(&refused, 401, "");
    let users = users.replace(
        "\r\n\r\n",
        &format!("\r\nAuthorization: Bearer {TOKEN}\r\n\r\n"),
    );
    let listed = send(&mut s, users.as_bytes());
    assert_eq!(listed.status, 200, "{}", listed.head);
    assert_eq!(listed.json()["totalResults"], 0, "{}", listed.json());
    // Empty lines before a too-long request line (RFC 9112 §2.2) change nothing.
    let mut s = TcpStream::connect(b.addr()).unwrap();
    let mut late = b"\r\n\r\n".to_vec();
    late.extend_from_slice(&filtered(LIMIT, false));
    assert_scim_error(&send(&mut s, &late), 414, "request line");
}
