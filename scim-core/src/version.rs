//! Resource versions (RFC 7644 §3.14): a weak ETag derived from the resource's content,
//! so equal content always has an equal version, across processes and restarts.

use serde_json::Value;

use crate::schema::ResourceSchema;

/// The weak ETag of `resource`: `W/"<16 hex digits>"`, a 64-bit FNV-1a hash of its
/// JSON without `meta` (whose timestamps and version would otherwise feed back).
///
/// The JSON is written with sorted keys (serde_json's default map), so the hash does not
/// depend on the order members arrived in.
///
/// ```
/// use scim2_core::version::weak_etag;
/// use serde_json::json;
/// let a = weak_etag(&json!({"userName": "ann", "meta": {"version": "x"}}));
/// let b = weak_etag(&json!({"meta": {"version": "y"}, "userName": "ann"}));
/// assert_eq!(a, b);
/// assert!(a.starts_with("W/\"") && a.len() == 20);
/// assert_ne!(a, weak_etag(&json!({"userName": "bob"})));
/// ```
pub fn weak_etag(resource: &Value) -> String {
    let mut hasher = Fnv1a::default();
    match resource {
        Value::Object(obj) => {
            for (k, v) in obj.iter().filter(|(k, _)| k.as_str() != "meta") {
                hasher.write(k.as_bytes());
                hasher.write(b"\0");
                // Writing a Value to a Vec cannot fail.
                hasher.write(&serde_json::to_vec(v).unwrap_or_default());
                hasher.write(b"\0");
            }
        }
        other => hasher.write(&serde_json::to_vec(other).unwrap_or_default()),
    }
    format!("W/\"{:016x}\"", hasher.0)
}

/// The weak ETag of `resource`, a resource of `schema`'s type, over what may be returned
/// of it: [`weak_etag`] of the resource
/// [without its never-returned values](crate::projection::without_never_returned).
///
/// What [`ScimService`](crate::service::ScimService) stamps as `meta.version`. The hash is
/// unsalted and fast, so a version computed over a `password` (RFC 7643 §4.1.1,
/// `returned: never`) would let anyone who reads the resource and its ETag test
/// guesses of the password offline; this one does not depend on it (RFC 7643 §2.2,
/// RFC 7644 §3.14).
///
/// ```
/// use scim2_core::schema::SchemaRegistry;
/// use scim2_core::version::{weak_etag, weak_etag_for};
/// use serde_json::json;
/// let registry = SchemaRegistry::standard();
/// let users = registry.resource_schema("User").unwrap();
/// let a = weak_etag_for(&users, &json!({"userName": "ann", "password": "secret"}));
/// assert_eq!(a, weak_etag_for(&users, &json!({"userName": "ann", "password": "guess"})));
/// assert_eq!(a, weak_etag(&json!({"userName": "ann"})));
/// ```
pub fn weak_etag_for(schema: &ResourceSchema<'_>, resource: &Value) -> String {
    weak_etag(&crate::projection::without_never_returned(schema, resource))
}

/// 64-bit FNV-1a: tiny, stable across Rust releases (unlike `DefaultHasher`), and good
/// enough to tell versions apart (not a security boundary).
struct Fnv1a(u64);

impl Default for Fnv1a {
    fn default() -> Self {
        Fnv1a(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv1a {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}
