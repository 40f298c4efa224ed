//! Mapping a request path to an endpoint (RFC 7644 §3.2), under a base path or at root.

use percent_encoding::percent_decode_str;

/// An endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Route {
    /// `/` (a search across resource types with GET).
    Root,
    /// `/.search`.
    RootSearch,
    /// `/{Endpoint}`, e.g. `/Users`: the resource type's name.
    Collection(String),
    /// `/{Endpoint}/.search`.
    Search(String),
    /// `/{Endpoint}/{id}`.
    Resource(String, String),
    /// `/ServiceProviderConfig`.
    ServiceProviderConfig,
    /// `/ResourceTypes` or `/ResourceTypes/{name}`.
    ResourceTypes(Option<String>),
    /// `/Schemas` or `/Schemas/{urn}`.
    Schemas(Option<String>),
    /// `/Bulk`.
    Bulk,
    /// `/Me`.
    Me,
    /// A path naming another SCIM protocol version, e.g. `/scim/v1/Users`.
    UnsupportedVersion(String),
    /// Anything else.
    NotFound,
}

impl Route {
    /// The methods the endpoint serves, for the `Allow` header of a 405 (RFC 9110
    /// §15.5.6); HEAD wherever GET is (RFC 9110 §9.3.2).
    pub(super) fn allowed(&self) -> Option<&'static str> {
        match self {
            Route::Root => Some("GET, HEAD"),
            Route::RootSearch | Route::Search(_) | Route::Bulk => Some("POST"),
            Route::Collection(_) => Some("GET, HEAD, POST"),
            Route::Resource(..) | Route::Me => Some("GET, HEAD, PUT, PATCH, DELETE"),
            Route::ServiceProviderConfig | Route::ResourceTypes(_) | Route::Schemas(_) => {
                Some("GET, HEAD")
            }
            Route::UnsupportedVersion(_) | Route::NotFound => None,
        }
    }
}

/// The longest of `bases` that `path` starts with (at a segment boundary), without its
/// slashes (`scim/v2`, whether configured as `/scim/v2`, `scim/v2/` or `/scim/v2/`), and
/// the rest of the path.
fn strip_base<'p, 'b>(path: &'p str, bases: &[&'b str]) -> (&'b str, &'p str) {
    let mut best: (&str, &str) = ("", path);
    let Some(after) = path.strip_prefix('/') else {
        return best;
    };
    for base in bases {
        let b = base.trim_matches('/');
        if b.len() <= best.0.len() {
            continue;
        }
        if let Some(head) = after.get(..b.len()) {
            let tail = &after[b.len()..];
            if head.eq_ignore_ascii_case(b) && (tail.is_empty() || tail.starts_with('/')) {
                best = (b, tail);
            }
        }
    }
    best
}

/// Whether `path` is under one of `bases` (at a segment boundary); a base of `/` holds
/// every path.
pub(super) fn under_base(path: &str, bases: &[&str]) -> bool {
    bases.iter().any(|b| b.trim_matches('/').is_empty()) || !strip_base(path, bases).0.is_empty()
}

/// Splits `rest` (a path without query or base) into decoded segments; `None` for a path
/// with `.` or `..` segments or undecodable escapes.
fn segments(rest: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    for raw in rest.split('/').filter(|s| !s.is_empty()) {
        let seg = percent_decode_str(raw).decode_utf8().ok()?.into_owned();
        if seg == "." || seg == ".." || seg.contains('/') {
            return None;
        }
        out.push(seg);
    }
    Some(out)
}

/// Routes `path` given the base paths the service is mounted under (it also answers at
/// root) and the registered resource types as (name, endpoint) pairs. Returns the route
/// and the base path matched, without its slashes (`""` at root).
pub(super) fn route<'a, 'b>(
    path: &str,
    bases: &[&'b str],
    types: impl Iterator<Item = (&'a str, &'a str)> + Clone,
) -> (Route, &'b str) {
    let (base, rest) = strip_base(path, bases);
    (route_rest(rest, types), base)
}

fn route_rest<'a>(rest: &str, types: impl Iterator<Item = (&'a str, &'a str)> + Clone) -> Route {
    let Some(segs) = segments(rest) else {
        return Route::NotFound;
    };
    // `/v1/Users`, `/scim/v1/Users`: a version other than 2 before the endpoint.
    let version = segs.iter().take(2).find(|s| {
        s.len() > 1
            && s.starts_with(['v', 'V'])
            && s[1..].bytes().all(|b| b.is_ascii_digit())
            && &s[1..] != "2"
    });
    if let Some(v) = version {
        if segs.len() > 1 {
            return Route::UnsupportedVersion(v.clone());
        }
    }
    let seg = |i: usize| segs.get(i).map(String::as_str);
    let find_type = |endpoint: &str| {
        types
            .clone()
            .find(|(_, e)| e.trim_start_matches('/').eq_ignore_ascii_case(endpoint))
            .map(|(name, _)| name.to_owned())
    };
    match (segs.len(), seg(0)) {
        (0, _) => Route::Root,
        (1, Some(".search")) => Route::RootSearch,
        (1, Some(s)) if s.eq_ignore_ascii_case("ServiceProviderConfig") => {
            Route::ServiceProviderConfig
        }
        (n @ (1 | 2), Some(s)) if s.eq_ignore_ascii_case("ResourceTypes") => {
            Route::ResourceTypes((n == 2).then(|| segs[1].clone()))
        }
        (n @ (1 | 2), Some(s)) if s.eq_ignore_ascii_case("Schemas") => {
            Route::Schemas((n == 2).then(|| segs[1].clone()))
        }
        (1, Some(s)) if s.eq_ignore_ascii_case("Bulk") => Route::Bulk,
        (1, Some(s)) if s.eq_ignore_ascii_case("Me") => Route::Me,
        (n @ (1 | 2), Some(endpoint)) => match find_type(endpoint) {
            Some(rt) if n == 1 => Route::Collection(rt),
            Some(rt) if segs[1] == ".search" => Route::Search(rt),
            Some(rt) => Route::Resource(rt, segs[1].clone()),
            None => Route::NotFound,
        },
        _ => Route::NotFound,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(path: &str, base: &str) -> Route {
        let types = [("User", "/Users"), ("Group", "/Groups")];
        route(path, &[base], types.iter().copied()).0
    }

    #[test]
    fn the_longest_base_wins() {
        let bases = ["/scim", "/scim/v2"];
        let types = [("User", "/Users")];
        let (route_, base) = route("/scim/v2/Users", &bases, types.iter().copied());
        assert_eq!(
            (route_, base),
            (Route::Collection("User".into()), "scim/v2")
        );
        let (route_, base) = route("/scim/Users/1", &bases, types.iter().copied());
        assert_eq!(
            (route_, base),
            (Route::Resource("User".into(), "1".into()), "scim")
        );
        let (route_, base) = route("/Users", &bases, types.iter().copied());
        assert_eq!((route_, base), (Route::Collection("User".into()), ""));
    }

    #[test]
    fn routes_under_a_base_path_and_at_root() {
        assert_eq!(r("/scim/v2/Users", ""), Route::NotFound);
        for base in ["", "/scim/v2", "/scim/v2/", "scim/v2"] {
            if !base.is_empty() {
                assert_eq!(
                    r("/scim/v2/Users", base),
                    Route::Collection("User".into()),
                    "{base}"
                );
            }
            assert_eq!(r("/Users", base), Route::Collection("User".into()));
            assert_eq!(r("/Users/", base), Route::Collection("User".into()));
            assert_eq!(
                r("/users/abc", base),
                Route::Resource("User".into(), "abc".into())
            );
            assert_eq!(r("/Groups/.search", base), Route::Search("Group".into()));
            assert_eq!(r("/.search", base), Route::RootSearch);
            assert_eq!(r("/", base), Route::Root);
            assert_eq!(
                r("/ServiceProviderConfig", base),
                Route::ServiceProviderConfig
            );
            assert_eq!(
                r("/Schemas/urn:x", base),
                Route::Schemas(Some("urn:x".into()))
            );
            assert_eq!(r("/ResourceTypes", base), Route::ResourceTypes(None));
            assert_eq!(r("/Bulk", base), Route::Bulk);
            assert_eq!(r("/Me", base), Route::Me);
        }
        assert_eq!(r("/scim/v2", "/scim/v2"), Route::Root);
        assert_eq!(r("/scim/v2x/Users", "/scim/v2"), Route::NotFound);
    }

    #[test]
    fn odd_paths_are_not_found() {
        assert_eq!(r("/Users/a/b", ""), Route::NotFound);
        assert_eq!(r("/Devices", ""), Route::NotFound);
        assert_eq!(r("/scim/../Users", ""), Route::NotFound);
        assert_eq!(r("/Users/%2e%2e", ""), Route::NotFound);
        assert_eq!(r("/Users/%2F", ""), Route::NotFound);
        assert_eq!(r("/Users/%ff", ""), Route::NotFound);
        assert_eq!(r("//Users", ""), Route::Collection("User".into()));
        assert_eq!(
            r("/Users/a%20b", ""),
            Route::Resource("User".into(), "a b".into())
        );
    }
}
