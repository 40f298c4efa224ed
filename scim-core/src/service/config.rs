//! [`ServiceConfig`]: how a [`ScimService`](super::ScimService) behaves (base paths,
//! public URL, limits, compatibility toggles, PATCH answers).

use crate::limits::ResourceLimits;
use crate::patch::Compat;

/// How a [`ScimService`](super::ScimService) behaves; every limit is enforced with a SCIM
/// error naming it.
///
/// ```
/// use scim2_core::patch::Compat;
/// use scim2_core::service::ServiceConfig;
///
/// let config = ServiceConfig::default()
///     .with_max_page_size(500)
///     .with_compat(Compat::entra());
/// assert_eq!(config.max_page_size, 500);
/// ```
///
/// `#[non_exhaustive]`: a setting may be added in a minor release, so build one from
/// [`ServiceConfig::default`] and the `with_*` methods; the fields stay readable.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ServiceConfig {
    /// Path prefixes the service answers under, as clients see them, e.g. `["/scim/v2"]`
    /// (the default; `scim/v2` and `/scim/v2/` mean the same); it also answers at root
    /// unless [`serve_root`](Self::serve_root) is off, and under the
    /// [`mount_path`](Self::mount_path). The longest matching prefix wins, and locations
    /// keep it.
    pub base_paths: Vec<String>,
    /// Whether the service also answers outside every base path, as if mounted at root
    /// (`POST /Users`). Default `true`. Turn it off when the service shares a host with
    /// other routes: a path outside the base paths is then not served —
    /// [`ScimService::serves`](super::ScimService::serves) says `false` for it, the `tower`
    /// service answers it with a bare 404, and [`ScimService::handle`](super::ScimService::handle)
    /// with a SCIM 404, before authentication.
    pub serve_root: bool,
    /// The path prefix a host router strips before handing requests over, e.g.
    /// `"/scim/v2"` for axum's `Router::nest_service("/scim/v2", scim)`. The service puts
    /// it back in front of every request path before routing, so the base paths, the
    /// [`serve_root`](Self::serve_root) check and every location (`meta.location`,
    /// `Location`, Bulk results, `/ResourceTypes`, `/Schemas`) see the path the client
    /// sent. The mount path is also a base path: every request such a host hands over is
    /// served, so `nest_service("/api/scim", scim)` with `with_mount_path("/api/scim")`
    /// answers `/api/scim/Users` whatever the base paths are. Default none: the host
    /// hands over the whole path (hyper, axum's `fallback_service` or `route_service`).
    pub mount_path: Option<String>,
    /// The public URL of the root, e.g. `https://scim.example.com`, for `meta.location`
    /// and `Location`. When set it is used as it is, whatever the request says.
    ///
    /// Without it, locations come from the request (`ScimService::base_url`): the
    /// scheme and authority of a request URI in absolute form (`https://host/path`, as an
    /// embedder that terminates TLS should rewrite it, and as HTTP/2's `:authority`
    /// arrives), else `http://` plus the `Host` header. An authority or `Host` that is not
    /// a valid `host[:port]` (RFC 3986 §3.2.2; userinfo refused) is answered 400
    /// `invalidValue`, for every request.
    pub public_url: Option<String>,
    /// Largest request body, in bytes (413 beyond). Default 1 MiB.
    pub max_body_bytes: usize,
    /// Largest page a list returns (`count` is capped to it; advertised as
    /// `filter.maxResults`). Default 200.
    pub max_page_size: u64,
    /// Most operations in one `/Bulk` request (413 beyond). Default 1,000.
    pub bulk_max_operations: usize,
    /// Largest `/Bulk` body, in bytes (413 beyond). Default 1 MiB.
    pub bulk_max_payload: usize,
    /// Identity-provider compatibility toggles for PATCH and validation (see
    /// [`crate::patch`] for what each one accepts beyond RFC 7644 §3.5.2). Default
    /// [`Compat::every_client`], the union of the client profiles, so a service facing any
    /// identity provider accepts what it sends. Pick a profile for the client you serve,
    /// e.g. `ServiceConfig::default().with_compat(Compat::entra())`, or
    /// [`Compat::strict`] to answer exactly as the RFC reads (a `replace` through a value
    /// path that matches nothing is then 400 `noTarget`); [`Compat::profile`] reads a
    /// profile's name from configuration.
    pub compat: Compat,
    /// `documentationUri` in `/ServiceProviderConfig`.
    pub documentation_uri: Option<String>,
    /// Most resources a search across all resource types (`GET /?filter=…`,
    /// `POST /.search`) will gather before answering 400 `tooMany`. Default 10,000.
    pub max_search_results: usize,
    /// Most operations in one PATCH request (400 `tooMany` beyond). Default 1,000.
    pub max_patch_operations: usize,
    /// Most values in one PATCH operation's `value` list, e.g. members added at once
    /// (400 `tooMany` beyond). Default 10,000.
    pub max_values_per_operation: usize,
    /// Bounds on the size of one resource (attributes, values per attribute, `userName`
    /// length; 400 beyond, see [`ResourceLimits`]). Default [`ResourceLimits::default`].
    pub resource_limits: ResourceLimits,
    /// Resource types whose PATCH is answered `204 No Content` (RFC 7644 §3.5.2 allows
    /// either 200 with the resource or 204) when the request asks for no `attributes`:
    /// answering a member change on a 100,000-member group then costs nothing extra.
    /// Default: none (always 200 with the resource).
    pub patch_no_content: Vec<String>,
    /// Answer 400 to an HTTP/1.1 request that has no `Host` header (and no authority in
    /// its request URI), as RFC 9112 §3.2 requires of a server. Off by default: a request
    /// built in-process (`Request::builder().uri("/Users")`, as unit tests and embedders'
    /// tests do) is HTTP/1.1 without `Host`, and is then served with `http://localhost`
    /// locations. Turn it on when the requests come off the wire (the bridge does).
    /// HTTP/1.0 requests keep the fallback; HTTP/2 ones use the URI's authority. More
    /// than one `Host` header is refused whatever this says.
    pub require_host: bool,
    /// Whether lists also page by cursor (RFC 9865): the `cursor` parameter (and a
    /// `/.search` body's `cursor`) is handed to the provisioner in
    /// [`ListQuery::cursor`](crate::provisioner::ListQuery::cursor), responses carry its
    /// `nextCursor`, and `/ServiceProviderConfig` advertises `pagination` (§4). Turn it on
    /// only when the provisioner answers cursors ([`ListQuery::page`](crate::provisioner::ListQuery::page)
    /// does, for a store that pages in memory); off (the default), a `cursor` is refused
    /// with 400 `invalidCursor` and nothing is advertised. Paging by `startIndex` stays
    /// the default method either way (§2.4).
    pub cursor_pagination: bool,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        ServiceConfig {
            base_paths: vec!["/scim/v2".to_owned()],
            serve_root: true,
            mount_path: None,
            public_url: None,
            max_body_bytes: 1024 * 1024,
            max_page_size: 200,
            bulk_max_operations: 1000,
            bulk_max_payload: 1024 * 1024,
            compat: Compat::default(),
            documentation_uri: None,
            max_search_results: 10_000,
            max_patch_operations: 1000,
            max_values_per_operation: 10_000,
            resource_limits: ResourceLimits::default(),
            patch_no_content: Vec::new(),
            require_host: false,
            cursor_pagination: false,
        }
    }
}

impl ServiceConfig {
    /// Returns this configuration with the path prefixes it is mounted under set to `paths`.
    #[must_use]
    pub fn with_base_paths(mut self, paths: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.base_paths = paths.into_iter().map(Into::into).collect();
        self
    }

    /// Returns this configuration answering outside every base path (as at root) when `on`.
    #[must_use]
    pub const fn with_serve_root(mut self, on: bool) -> Self {
        self.serve_root = on;
        self
    }

    /// Returns this configuration with the prefix a host router strips set to `path`.
    #[must_use]
    pub fn with_mount_path(mut self, path: impl Into<String>) -> Self {
        self.mount_path = Some(path.into());
        self
    }

    /// Returns this configuration with the public URL of the root set to `url`.
    #[must_use]
    pub fn with_public_url(mut self, url: impl Into<String>) -> Self {
        self.public_url = Some(url.into());
        self
    }

    /// Returns this configuration with the largest request body set to `bytes`.
    #[must_use]
    pub const fn with_max_body_bytes(mut self, bytes: usize) -> Self {
        self.max_body_bytes = bytes;
        self
    }

    /// Returns this configuration with paging by cursor (RFC 9865) on or off (see
    /// [`cursor_pagination`](Self::cursor_pagination)).
    #[must_use]
    pub const fn with_cursor_pagination(mut self, on: bool) -> Self {
        self.cursor_pagination = on;
        self
    }

    /// The `pagination` attribute `/ServiceProviderConfig` advertises (RFC 9865 §4):
    /// cursor and index paging, index the default (§2.4: clients that know only
    /// `startIndex` keep working), `count`'s default and cap; no `cursorTimeout`, as the
    /// cursors carry their position and do not expire. `None` without
    /// [`cursor_pagination`](Self::cursor_pagination): nothing is advertised.
    pub fn pagination(&self) -> Option<serde_json::Value> {
        self.cursor_pagination.then(|| {
            serde_json::json!({
                "cursor": true,
                "index": true,
                "defaultPaginationMethod": "index",
                "defaultPageSize": self.max_page_size,
                "maxPageSize": self.max_page_size,
            })
        })
    }

    /// Returns this configuration with the largest page a list returns set to `n`.
    #[must_use]
    pub const fn with_max_page_size(mut self, n: u64) -> Self {
        self.max_page_size = n;
        self
    }

    /// Returns this configuration with the most operations in one `/Bulk` request set to `n`.
    #[must_use]
    pub const fn with_bulk_max_operations(mut self, n: usize) -> Self {
        self.bulk_max_operations = n;
        self
    }

    /// Returns this configuration with the largest `/Bulk` body set to `bytes`.
    #[must_use]
    pub const fn with_bulk_max_payload(mut self, bytes: usize) -> Self {
        self.bulk_max_payload = bytes;
        self
    }

    /// Returns this configuration with the identity-provider compatibility toggles set to `compat`.
    #[must_use]
    pub const fn with_compat(mut self, compat: Compat) -> Self {
        self.compat = compat;
        self
    }

    /// Returns this configuration with `documentationUri` set to `uri`.
    #[must_use]
    pub fn with_documentation_uri(mut self, uri: impl Into<String>) -> Self {
        self.documentation_uri = Some(uri.into());
        self
    }

    /// Returns this configuration with the most resources a search across all resource types gathers set to `n`.
    #[must_use]
    pub const fn with_max_search_results(mut self, n: usize) -> Self {
        self.max_search_results = n;
        self
    }

    /// Returns this configuration with the most operations in one PATCH request set to `n`.
    #[must_use]
    pub const fn with_max_patch_operations(mut self, n: usize) -> Self {
        self.max_patch_operations = n;
        self
    }

    /// Returns this configuration with the most values in one PATCH operation's `value` list set to `n`.
    #[must_use]
    pub const fn with_max_values_per_operation(mut self, n: usize) -> Self {
        self.max_values_per_operation = n;
        self
    }

    /// Returns this configuration with the bounds on the size of one resource set to `limits`.
    #[must_use]
    pub const fn with_resource_limits(mut self, limits: ResourceLimits) -> Self {
        self.resource_limits = limits;
        self
    }

    /// Returns this configuration with the resource types whose PATCH may be answered 204 set to `types`.
    #[must_use]
    pub fn with_patch_no_content(
        mut self,
        types: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        self.patch_no_content = types.into_iter().map(Into::into).collect();
        self
    }

    /// Returns this configuration with a missing `Host` header answered 400 when `on`.
    #[must_use]
    pub const fn with_require_host(mut self, on: bool) -> Self {
        self.require_host = on;
        self
    }
}
