//! Status-page sessions: random ids from the operating system's generator, kept in this
//! process's memory only (by their SHA-256, so that memory holds no id a browser could
//! replay), each for a fixed lifetime and under the Secret Token it was granted with;
//! and the cookie that carries the id.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::TryRngCore;
use sha2::{Digest, Sha256};

/// The session cookie's name.
pub const COOKIE: &str = "scim_bridge_session";
/// The path the cookie is scoped to: the status page and its forms, nothing else (a SCIM
/// request never carries it).
pub const COOKIE_PATH: &str = "/app";
/// How long a session lasts from sign-in: a working day.
pub const LIFETIME: Duration = Duration::from_secs(8 * 60 * 60);
/// Most sessions held at once; past it, the one closest to its end is dropped.
pub const MAX_SESSIONS: usize = 1000;
/// Random bytes in a session id (256 bits).
const ID_BYTES: usize = 32;

/// One signed-in browser.
#[derive(Clone, Copy, Debug)]
struct Session {
    /// When it ends.
    expires: Instant,
    /// The Secret Token's fingerprint at sign-in: a rotation ends the session.
    token: [u8; 32],
}

/// The sessions of this process.
#[derive(Debug)]
pub struct Sessions {
    held: Mutex<HashMap<[u8; 32], Session>>,
    lifetime: Duration,
    max: usize,
}

impl Default for Sessions {
    fn default() -> Self {
        Sessions::new(LIFETIME, MAX_SESSIONS)
    }
}

/// The key a session is held under: the SHA-256 of its id.
fn key(id: &str) -> [u8; 32] {
    Sha256::digest(id.as_bytes()).into()
}

impl Sessions {
    /// Sessions that last `lifetime`, at most `max` at once.
    pub fn new(lifetime: Duration, max: usize) -> Self {
        Sessions {
            held: Mutex::new(HashMap::new()),
            lifetime,
            max: max.max(1),
        }
    }

    /// How long a session lasts.
    pub fn lifetime(&self) -> Duration {
        self.lifetime
    }

    /// A new session under the token with fingerprint `token`: its id, or `None` when
    /// the operating system's random generator fails.
    pub fn start(&self, token: [u8; 32]) -> Option<String> {
        self.start_at(token, Instant::now())
    }

    fn start_at(&self, token: [u8; 32], now: Instant) -> Option<String> {
        let mut bytes = [0u8; ID_BYTES];
        rand::rngs::OsRng.try_fill_bytes(&mut bytes).ok()?;
        let id = URL_SAFE_NO_PAD.encode(bytes);
        let mut held = self.held.lock().ok()?;
        held.retain(|_, s| s.expires > now);
        while held.len() >= self.max {
            let oldest = held.iter().min_by_key(|(_, s)| s.expires).map(|(k, _)| *k);
            match oldest {
                Some(k) => held.remove(&k),
                None => break,
            };
        }
        held.insert(
            key(&id),
            Session {
                expires: now + self.lifetime,
                token,
            },
        );
        Some(id)
    }

    /// Whether `id` names a live session granted under the token whose fingerprint is
    /// `token` now. A session past its end, or granted under a token since rotated, is
    /// dropped.
    pub fn check(&self, id: &str, token: [u8; 32]) -> bool {
        self.check_at(id, token, Instant::now())
    }

    fn check_at(&self, id: &str, token: [u8; 32], now: Instant) -> bool {
        let Ok(mut held) = self.held.lock() else {
            return false;
        };
        let k = key(id);
        match held.get(&k) {
            Some(s) if s.expires > now && s.token == token => true,
            Some(_) => {
                held.remove(&k);
                false
            }
            None => false,
        }
    }

    /// Ends the session `id` (signing out): its cookie no longer works, even replayed.
    pub fn end(&self, id: &str) {
        if let Ok(mut held) = self.held.lock() {
            held.remove(&key(id));
        }
    }

    /// How many sessions are held (live or not yet pruned).
    #[cfg(test)]
    fn len(&self) -> usize {
        self.held.lock().map(|h| h.len()).unwrap_or(0)
    }
}

/// The `Set-Cookie` value that gives a browser session `id` (RFC 6265 §4.1): for the
/// status page only, not readable by scripts, never sent on a request another site
/// started, over TLS only when the bridge serves TLS, and gone after `lifetime`.
pub fn set_cookie(id: &str, lifetime: Duration, secure: bool) -> String {
    format!(
        "{COOKIE}={id}; Path={COOKIE_PATH}; Max-Age={}; HttpOnly; SameSite=Strict{}",
        lifetime.as_secs(),
        if secure { "; Secure" } else { "" }
    )
}

/// The `Set-Cookie` value that removes the session cookie (signing out, or a session
/// that ended).
pub fn clear_cookie(secure: bool) -> String {
    format!(
        "{COOKIE}=; Path={COOKIE_PATH}; Max-Age=0; HttpOnly; SameSite=Strict{}",
        if secure { "; Secure" } else { "" }
    )
}

/// The session ids a request carries in its `Cookie` headers (HTTP/2 may split them
/// over several fields, RFC 9113 §8.2.3).
pub fn ids(headers: &http::HeaderMap) -> Vec<&str> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(|(name, value)| *name == COOKIE && !value.is_empty() && value.len() <= 64)
        .map(|(_, value)| value)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const T1: [u8; 32] = [1; 32];
    const T2: [u8; 32] = [2; 32];

    #[test]
    fn ids_are_long_random_and_distinct() {
        let s = Sessions::default();
        let a = s.start(T1).unwrap();
        let b = s.start(T1).unwrap();
        assert_ne!(a, b);
        assert_eq!(URL_SAFE_NO_PAD.decode(&a).unwrap().len(), 32, "256 bits");
        assert!(s.check(&a, T1) && s.check(&b, T1));
        assert!(!s.check("guessed", T1));
    }

    #[test]
    fn sessions_expire() {
        let s = Sessions::new(Duration::from_secs(60), 10);
        let now = Instant::now();
        let id = s.start_at(T1, now).unwrap();
        assert!(s.check_at(&id, T1, now + Duration::from_secs(59)));
        assert!(!s.check_at(&id, T1, now + Duration::from_secs(60)));
        assert_eq!(s.len(), 0, "an expired session is dropped when seen");
        assert!(!s.check_at(&id, T1, now), "and stays gone");
    }

    #[test]
    fn expired_sessions_are_pruned_and_the_count_is_bounded() {
        let s = Sessions::new(Duration::from_secs(60), 3);
        let now = Instant::now();
        let first = s.start_at(T1, now).unwrap();
        s.start_at(T1, now + Duration::from_secs(1)).unwrap();
        s.start_at(T1, now + Duration::from_secs(2)).unwrap();
        let last = s.start_at(T1, now + Duration::from_secs(3)).unwrap();
        assert_eq!(s.len(), 3);
        assert!(
            !s.check_at(&first, T1, now + Duration::from_secs(3)),
            "the oldest made room"
        );
        assert!(s.check_at(&last, T1, now + Duration::from_secs(3)));
        s.start_at(T1, now + Duration::from_secs(120)).unwrap();
        assert_eq!(s.len(), 1, "the expired ones were pruned");
    }

    #[test]
    fn signing_out_and_rotating_the_token_end_sessions() {
        let s = Sessions::default();
        let id = s.start(T1).unwrap();
        assert!(!s.check(&id, T2), "the token was rotated");
        assert!(!s.check(&id, T1), "and the session is gone for good");
        let id = s.start(T1).unwrap();
        s.end(&id);
        assert!(!s.check(&id, T1));
    }

    #[test]
    fn cookie_attributes() {
        let c = set_cookie("abc", LIFETIME, false);
        assert_eq!(
            c,
            "scim_bridge_session=abc; Path=/app; Max-Age=28800; HttpOnly; SameSite=Strict"
        );
        assert!(set_cookie("abc", LIFETIME, true).ends_with("; Secure"));
        let gone = clear_cookie(true);
        assert!(gone.starts_with("scim_bridge_session=; Path=/app; Max-Age=0; HttpOnly"));
        assert!(gone.ends_with("; Secure"));
    }

    #[test]
    fn ids_are_read_from_every_cookie_header() {
        let mut h = http::HeaderMap::new();
        h.append(
            http::header::COOKIE,
            "a=1; scim_bridge_session=x1".parse().unwrap(),
        );
        h.append(
            http::header::COOKIE,
            "scim_bridge_session=x2;b=2".parse().unwrap(),
        );
        h.append(
            http::header::COOKIE,
            "scim_bridge_session=".parse().unwrap(),
        );
        h.append(
            http::header::COOKIE,
            "xscim_bridge_session=no".parse().unwrap(),
        );
        assert_eq!(ids(&h), ["x1", "x2"]);
    }
}
