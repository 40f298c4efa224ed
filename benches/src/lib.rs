//! Shared fixtures for the benchmarks. They live as JSON in `benches/fixtures/` so that
//! the Rust benches and the peer scripts (`benches/peers/`) measure the same inputs.

use serde::de::{self, Deserializer as _, Visitor};
use serde_json::Value;
use std::borrow::Cow;
use std::fmt;

/// Twenty representative filters: the RFC 7644 Figure 2 examples and the lookups Entra
/// ID and Okta send during Test Connection and incremental cycles.
pub fn filters() -> Vec<String> {
    serde_json::from_str(include_str!("../fixtures/filters.json")).expect("filters.json")
}

/// The RFC 7643 §8.3 enterprise user, the resource filters and PATCHes apply to.
pub fn enterprise_user() -> Value {
    serde_json::from_str(include_str!("../fixtures/enterprise-user.json"))
        .expect("enterprise-user.json")
}

/// The Entra ID PATCH shapes of docs/clients.md, as request bodies.
pub fn entra_patches() -> Vec<Value> {
    serde_json::from_str(include_str!("../fixtures/entra-patches.json"))
        .expect("entra-patches.json")
}

/// Reads the JSON string literal `text` with serde_json, borrowing from it when it holds
/// no escape and copying otherwise: `from_str::<&str>` with a fallback that works for
/// every text, the `serde_json-str` bound of the filter benches.
pub fn json_str_borrowed(text: &str) -> Cow<'_, str> {
    struct Borrowing;
    impl<'de> Visitor<'de> for Borrowing {
        type Value = Cow<'de, str>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string")
        }
        fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
            Ok(Cow::Borrowed(v))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Cow::Owned(v.to_owned()))
        }
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let value = de.deserialize_str(Borrowing).expect("a JSON string");
    de.end().expect("nothing after the string");
    value
}
