//! The Secret Token: one bearer token, generated on first start, stored only as a salted
//! hash, compared in constant time, and never logged.

use std::path::{Path, PathBuf};
use std::sync::RwLock;
use std::time::SystemTime;

use async_trait::async_trait;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use rand::RngCore;
use scim2_core::provisioner::Principal;
use scim2_core::service::{AuthError, Authenticator};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The token file's name in the data directory.
pub const TOKEN_FILE: &str = "token.json";

/// Longest `Authorization` header looked at; longer ones are refused unread.
const MAX_HEADER: usize = 1024;
/// Shortest token an operator may supply, in characters.
const MIN_SUPPLIED: usize = 32;
/// Longest token an operator may supply: what fits in [`MAX_HEADER`] after `Bearer `.
pub const MAX_SUPPLIED: usize = MAX_HEADER - "Bearer ".len();
/// The lock file that serialises writers of the token file (`token rotate`, first start).
const LOCK_FILE: &str = "token.lock";

/// What is stored: a salt and SHA-256(salt ‖ token). The token has 256 random bits, so a
/// fast hash with a salt is enough; nothing in the file lets anyone sign in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenHash {
    /// Format version.
    pub version: u32,
    /// Base64 salt.
    pub salt: String,
    /// Base64 SHA-256 of salt ‖ token.
    pub sha256: String,
}

/// A token problem at start-up.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The token file exists but is not one this bridge wrote.
    #[error("the token file {0} is corrupted or not a scim-bridge token file: {1}; restore it from a backup or run `scim-bridge token rotate`")]
    Corrupt(PathBuf, String),
    /// The file could not be read or written.
    #[error("cannot access the token file {0}: {1}")]
    Io(PathBuf, std::io::Error),
    /// A supplied token is too weak.
    #[error("the supplied token is too short ({0} characters); use at least 32")]
    TooShort(usize),
    /// A supplied token could never be sent in an `Authorization` header.
    #[error("the supplied token cannot be sent as a bearer token: {0}")]
    Unsendable(String),
    /// The token hash kept in the PostgreSQL database is not one this bridge wrote.
    #[error("the Secret Token's hash in the database is corrupted: {0}; run `scim-bridge token rotate --database-url …`")]
    CorruptInDatabase(String),
    /// Another process is writing the token file.
    #[error("another `scim-bridge token rotate` is running on this data directory; wait for it and use the token it prints")]
    Busy,
    /// Another process is replacing the token's hash in the PostgreSQL database.
    #[error("another `scim-bridge token rotate` is running on this database; wait for it and use the token it prints")]
    BusyInDatabase,
}

impl TokenHash {
    /// Hashes `token` with a fresh random salt.
    pub fn new(token: &str) -> Self {
        let mut salt = [0u8; 16];
        rand::rng().fill_bytes(&mut salt);
        TokenHash {
            version: 1,
            salt: STANDARD.encode(salt),
            sha256: STANDARD.encode(digest(&salt, token)),
        }
    }

    /// Whether `presented` is the token, in time independent of where they differ.
    pub fn verify(&self, presented: &str) -> bool {
        let (Ok(salt), Ok(expected)) = (STANDARD.decode(&self.salt), STANDARD.decode(&self.sha256))
        else {
            return false;
        };
        let actual = digest(&salt, presented);
        actual.as_slice().ct_eq(expected.as_slice()).into()
    }

    /// Reads a token file, refusing anything this bridge would not have written.
    pub fn load(path: &Path) -> Result<Option<Self>, TokenError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(TokenError::Io(path.to_owned(), e)),
        };
        Self::parse(&text)
            .map(Some)
            .map_err(|why| TokenError::Corrupt(path.to_owned(), why))
    }

    /// Reads a stored hash (a token file's text, or the database's copy), refusing
    /// anything this bridge would not have written: why, if so.
    pub fn parse(text: &str) -> Result<Self, String> {
        let hash: TokenHash = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let salt_ok = STANDARD.decode(&hash.salt).is_ok_and(|s| s.len() >= 16);
        let sum_ok = STANDARD.decode(&hash.sha256).is_ok_and(|s| s.len() == 32);
        if hash.version != 1 || !salt_ok || !sum_ok {
            return Err("unexpected contents".into());
        }
        Ok(hash)
    }

    /// The stored form [`TokenHash::parse`] reads.
    pub fn to_text(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Writes the file atomically (a temp file of this process, then rename), readable
    /// by its owner only. Callers that may race hold [`TokenLock`].
    pub fn save(&self, path: &Path) -> Result<(), TokenError> {
        let tmp = path.with_extension(format!("json.{}.tmp", std::process::id()));
        let io = |e| TokenError::Io(path.to_owned(), e);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let write = |bytes: &[u8]| -> std::io::Result<()> {
            use std::io::Write;
            let mut f = options.open(&tmp)?;
            f.write_all(bytes)?;
            f.sync_all()
        };
        if let Err(e) = write(self.to_text().as_bytes()) {
            let _ = std::fs::remove_file(&tmp);
            return Err(io(e));
        }
        std::fs::rename(&tmp, path).map_err(io)
    }
}

/// An exclusive lock on the data directory's token file, held while it is replaced, so
/// that two `token rotate` runs cannot interleave (each would print a token, and only
/// one would work). Released when dropped.
#[derive(Debug)]
pub struct TokenLock(
    #[allow(
        dead_code,
        reason = "held for its lock, released when dropped; never read"
    )]
    std::fs::File,
);

impl TokenLock {
    fn open(dir: &Path) -> Result<(std::fs::File, PathBuf), TokenError> {
        let path = dir.join(LOCK_FILE);
        std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map(|f| (f, path.clone()))
            .map_err(|e| TokenError::Io(path, e))
    }

    /// Takes the lock in `dir`, waiting for a rotation under way (a rotation holds it
    /// for milliseconds). For the bridge's start.
    pub fn acquire(dir: &Path) -> Result<Self, TokenError> {
        let (file, path) = Self::open(dir)?;
        file.lock().map_err(|e| TokenError::Io(path, e))?;
        Ok(TokenLock(file))
    }

    /// Takes the lock in `dir`, or fails at once with [`TokenError::Busy`].
    pub fn try_acquire(dir: &Path) -> Result<Self, TokenError> {
        let (file, path) = Self::open(dir)?;
        match file.try_lock() {
            Ok(()) => Ok(TokenLock(file)),
            Err(std::fs::TryLockError::WouldBlock) => Err(TokenError::Busy),
            Err(std::fs::TryLockError::Error(e)) => Err(TokenError::Io(path, e)),
        }
    }
}

fn digest(salt: &[u8], token: &str) -> Vec<u8> {
    let mut h = Sha256::new();
    h.update(salt);
    h.update(token.as_bytes());
    h.finalize().to_vec()
}

/// The token of an `Authorization: Bearer <token>` header value (RFC 6750 §2.1).
fn bearer_token(header: &str) -> Result<&str, AuthError> {
    if header.len() > MAX_HEADER {
        return Err(AuthError::bearer("the Authorization header is too long"));
    }
    let Some((scheme, token)) = header.trim().split_once(' ') else {
        return Err(AuthError::bearer(
            "the Authorization header must be `Bearer <Secret Token>`",
        ));
    };
    if !scheme.eq_ignore_ascii_case("Bearer") {
        return Err(AuthError::bearer("only the Bearer scheme is accepted"));
    }
    let token = token.trim();
    if token.is_empty() {
        return Err(AuthError::bearer("the bearer token is empty"));
    }
    Ok(token)
}

/// The name the audit trail gives a client that authenticated with `token`: `token:` and
/// eight hex digits of a SHA-256 of it. The same across restarts and replicas, different
/// for each token (so a record says which token, before or after a rotation, made the
/// change), and of no use for guessing the token (32 bits of a hash of 256 random ones).
pub fn client_name(token: &str) -> String {
    let d = digest(b"scim-bridge audit fingerprint", token);
    let hex: String = d[..4].iter().map(|b| format!("{b:02x}")).collect();
    format!("{}{hex}", crate::onepassword::audit::CLIENT_PREFIX)
}

/// A new random token: 256 bits, base64url.
pub fn generate() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Checks a token supplied by the operator: at least 32 characters, at most
/// [`MAX_SUPPLIED`] (so that `Bearer <token>` fits the header limit), and only the
/// characters of RFC 6750 §2.1's `b64token` (letters, digits, `-._~+/`, trailing `=`),
/// so that a client can send it at all.
pub fn check_supplied(token: &str) -> Result<&str, TokenError> {
    let token = token.trim();
    let chars = token.chars().count();
    if chars < MIN_SUPPLIED {
        return Err(TokenError::TooShort(chars));
    }
    if token.len() > MAX_SUPPLIED {
        return Err(TokenError::Unsendable(format!(
            "it is {} bytes long; the limit is {MAX_SUPPLIED}",
            token.len()
        )));
    }
    let body = token.trim_end_matches('=');
    if body.is_empty()
        || !body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b))
    {
        return Err(TokenError::Unsendable(
            "use only letters, digits and - . _ ~ + / (with = only at the end)".to_owned(),
        ));
    }
    Ok(token)
}

/// Marks a request whose head [`BearerAuth::check_headers`] already accepted, so that the
/// token is not hashed and compared a second time inside `ScimService`.
#[derive(Clone, Copy, Debug)]
pub struct Authenticated;

/// Where the current hash comes from.
enum Source {
    /// The token file, reloaded when it changes (so `token rotate` takes effect at once).
    File {
        path: PathBuf,
        seen: Option<SystemTime>,
    },
    /// A token supplied by environment or file, hashed in memory, or a hash kept in the
    /// database (replaced by [`BearerAuth::set_hash`]).
    Fixed,
}

/// The bridge's [`Authenticator`]: `Authorization: Bearer <token>`, nothing else.
pub struct BearerAuth {
    hash: RwLock<TokenHash>,
    source: RwLock<Source>,
    /// When the token file was last looked at; it is looked at most once a second.
    checked: std::sync::Mutex<Option<std::time::Instant>>,
}

impl std::fmt::Debug for BearerAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BearerAuth(..)")
    }
}

impl BearerAuth {
    /// Authenticates against the hash in `path`, reloading it when the file changes.
    pub fn from_file(path: PathBuf, hash: TokenHash) -> Self {
        let seen = std::fs::metadata(&path).and_then(|m| m.modified()).ok();
        BearerAuth {
            hash: RwLock::new(hash),
            source: RwLock::new(Source::File { path, seen }),
            checked: std::sync::Mutex::new(None),
        }
    }

    /// Authenticates against `hash`, kept elsewhere (the PostgreSQL database) and replaced
    /// with [`BearerAuth::set_hash`] when it changes there.
    pub fn from_hash(hash: TokenHash) -> Self {
        BearerAuth {
            hash: RwLock::new(hash),
            source: RwLock::new(Source::Fixed),
            checked: std::sync::Mutex::new(None),
        }
    }

    /// Uses `hash` from now on, if it is not the current one (a `token rotate` on any
    /// machine, read back from the database).
    pub fn set_hash(&self, hash: TokenHash) {
        if let Ok(mut h) = self.hash.write() {
            if *h != hash {
                *h = hash;
                tracing::info!("secret token changed in the database; using the new one");
            }
        }
    }

    /// Authenticates against a token known at start-up.
    pub fn fixed(token: &str) -> Self {
        Self::from_hash(TokenHash::new(token))
    }

    fn reload_if_changed(&self) {
        if let Ok(mut checked) = self.checked.lock() {
            let now = std::time::Instant::now();
            if checked.is_some_and(|t| now.duration_since(t) < std::time::Duration::from_secs(1)) {
                return;
            }
            *checked = Some(now);
        }
        let Ok(source) = self.source.read() else {
            return;
        };
        let Source::File { path, seen } = &*source else {
            return;
        };
        let modified = std::fs::metadata(path).and_then(|m| m.modified()).ok();
        if modified == *seen {
            return;
        }
        let path = path.clone();
        drop(source);
        match TokenHash::load(&path) {
            Ok(Some(hash)) => {
                if let Ok(mut h) = self.hash.write() {
                    *h = hash;
                }
                if let Ok(mut s) = self.source.write() {
                    *s = Source::File {
                        path,
                        seen: modified,
                    };
                }
                tracing::info!("secret token changed on disk; using the new one");
            }
            Ok(None) | Err(_) => tracing::warn!("token file unreadable; keeping the current token"),
        }
    }

    /// Checks a request's headers: exactly one `Authorization` header, carrying the
    /// token. Several are refused (RFC 9110 §5.3: the field is not a list), whatever
    /// their order, rather than trusting the first.
    pub fn check_headers(&self, headers: &http::HeaderMap) -> Result<(), AuthError> {
        let mut values = headers.get_all(http::header::AUTHORIZATION).iter();
        let first = values.next();
        if values.next().is_some() {
            return Err(AuthError::bearer(
                "send exactly one Authorization header (this request has several)",
            ));
        }
        self.check(first.map(|v| v.to_str().unwrap_or("")))
    }

    /// Checks an `Authorization` header value.
    pub fn check(&self, header: Option<&str>) -> Result<(), AuthError> {
        let Some(header) = header else {
            return Err(AuthError::bearer(
                "missing Authorization header: send `Authorization: Bearer <Secret Token>`",
            ));
        };
        let token = bearer_token(header)?;
        if self.verify_token(token) {
            Ok(())
        } else {
            Err(AuthError::bearer(
                "the bearer token is not the bridge's Secret Token",
            ))
        }
    }

    /// Whether `token` (the bare token, as typed into the status page's sign-in form) is
    /// the current Secret Token, compared in constant time as [`BearerAuth::check`] does.
    /// Tokens longer than any header could carry are refused unhashed.
    pub fn verify_token(&self, token: &str) -> bool {
        if token.is_empty() || token.len() > MAX_HEADER {
            return false;
        }
        self.reload_if_changed();
        self.hash.read().map(|h| h.verify(token)).unwrap_or(false)
    }

    /// A fingerprint of the current Secret Token's hash: it changes when the token is
    /// rotated, so that what was granted under the old token (a status-page session) can
    /// tell it no longer holds. It reveals nothing usable: a digest of the salted hash.
    pub fn fingerprint(&self) -> [u8; 32] {
        self.reload_if_changed();
        let mut h = Sha256::new();
        h.update(b"scim-bridge token fingerprint\0");
        if let Ok(hash) = self.hash.read() {
            h.update(hash.salt.as_bytes());
            h.update(b"\0");
            h.update(hash.sha256.as_bytes());
        }
        h.finalize().into()
    }
}

#[async_trait]
impl Authenticator for BearerAuth {
    async fn authenticate(
        &self,
        req: &http::request::Parts,
    ) -> Result<Option<Principal>, AuthError> {
        // The server checks the head before reading the body and marks the request; a
        // client cannot set an extension, so the mark is proof enough.
        if req.extensions.get::<Authenticated>().is_none() {
            self.check_headers(&req.headers)?;
        }
        // Checked: exactly one header, with the token.
        let token = req
            .headers
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|h| bearer_token(h).ok())
            .unwrap_or_default();
        Ok(Some(Principal::new(client_name(token))))
    }
}

#[cfg(test)]
mod tests;
