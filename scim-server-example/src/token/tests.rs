//! Unit tests of the Secret Token: hashing, header forms, files, the lock.

use super::*;
use http::HeaderValue;

#[test]
fn tokens_verify_only_themselves() {
    let t = generate();
    assert!(t.len() >= 43);
    let h = TokenHash::new(&t);
    assert!(h.verify(&t));
    assert!(!h.verify(&t[1..]));
    assert!(!h.verify(""));
    assert_ne!(TokenHash::new(&t).salt, h.salt, "salts are random");
}

#[test]
fn header_forms() {
    let t = generate();
    let auth = BearerAuth::fixed(&t);
    assert!(auth.check(Some(&format!("Bearer {t}"))).is_ok());
    assert!(auth.check(Some(&format!("bearer {t}"))).is_ok());
    for bad in [
        None,
        Some("".to_owned()),
        Some(format!("Basic {t}")),
        Some("Bearer ".to_owned()),
        Some(format!("Bearer {t}x")),
        Some(format!("Bearer {}", "a".repeat(5000))),
        Some(t.clone()),
    ] {
        assert!(auth.check(bad.as_deref()).is_err(), "{bad:?}");
    }
}

#[test]
fn one_authorization_header_only() {
    let t = generate();
    let auth = BearerAuth::fixed(&t);
    let good = HeaderValue::from_str(&format!("Bearer {t}")).unwrap();
    let mut headers = http::HeaderMap::new();
    headers.append(http::header::AUTHORIZATION, good.clone());
    assert!(auth.check_headers(&headers).is_ok());
    headers.append(http::header::AUTHORIZATION, good);
    assert!(
        auth.check_headers(&headers).is_err(),
        "two, even both right"
    );
    assert!(auth.check_headers(&http::HeaderMap::new()).is_err());
}

#[test]
fn bare_tokens_verify_and_rotation_changes_the_fingerprint() {
    let t = generate();
    let auth = BearerAuth::fixed(&t);
    assert!(auth.verify_token(&t));
    assert!(!auth.verify_token(&format!("{t}x")));
    assert!(!auth.verify_token(""));
    assert!(!auth.verify_token(&"a".repeat(MAX_HEADER + 1)));
    let before = auth.fingerprint();
    assert_eq!(before, auth.fingerprint(), "stable while the token is");
    auth.set_hash(TokenHash::new(&generate()));
    assert_ne!(before, auth.fingerprint());
    assert!(!auth.verify_token(&t), "the old token no longer signs in");
}

#[test]
fn supplied_tokens_must_be_sendable() {
    assert!(check_supplied(&"a".repeat(32)).is_ok());
    assert!(check_supplied(&format!("{}==", "a".repeat(32))).is_ok());
    assert!(matches!(
        check_supplied(&"é".repeat(31)),
        Err(TokenError::TooShort(31))
    ));
    assert!(check_supplied(&"a".repeat(MAX_SUPPLIED)).is_ok());
    assert!(check_supplied(&"a".repeat(MAX_SUPPLIED + 1)).is_err());
    assert!(check_supplied(&format!("{}=a", "a".repeat(32))).is_err());
    assert!(check_supplied(&format!("{}\u{7}", "a".repeat(32))).is_err());
}

#[test]
fn the_token_lock_is_exclusive() {
    let dir = tempfile::tempdir().unwrap();
    let held = TokenLock::try_acquire(dir.path()).unwrap();
    assert!(matches!(
        TokenLock::try_acquire(dir.path()),
        Err(TokenError::Busy)
    ));
    drop(held);
    assert!(TokenLock::try_acquire(dir.path()).is_ok());
}

#[test]
fn files_round_trip_and_corruption_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(TOKEN_FILE);
    assert!(TokenHash::load(&path).unwrap().is_none());
    let h = TokenHash::new("a-token-of-some-length-0123456789");
    h.save(&path).unwrap();
    assert_eq!(TokenHash::load(&path).unwrap(), Some(h));
    std::fs::write(&path, "not json").unwrap();
    assert!(matches!(
        TokenHash::load(&path),
        Err(TokenError::Corrupt(..))
    ));
    std::fs::write(&path, r#"{"version":1,"salt":"AAAA","sha256":"AAAA"}"#).unwrap();
    assert!(matches!(
        TokenHash::load(&path),
        Err(TokenError::Corrupt(..))
    ));
}
