//! Reading list queries from query parameters and `/.search` bodies (RFC 7644 §3.4.2,
//! §3.4.3) into a [`ListQuery`].

use scim_filter::{parse_filter, AttrPath, CompiledFilter, SchemaLookup};
use serde_json::Value;

use crate::error::ScimError;
use crate::projection::Projection;
use crate::provisioner::{ListQuery, SortOrder};
use crate::resource::SearchRequest;
use crate::schema::ResourceSchema;

/// The query parameters of a list request, as text.
#[derive(Clone, Debug, Default)]
pub(super) struct RawQuery {
    pub filter: Option<String>,
    pub sort_by: Option<String>,
    pub sort_order: Option<String>,
    pub start_index: Option<String>,
    pub count: Option<String>,
    pub attributes: Option<String>,
    pub excluded_attributes: Option<String>,
}

impl RawQuery {
    /// Reads the parameters from a URI query string (names case-insensitive; `+` and
    /// `%20` are spaces, as Entra ID and Okta send them).
    pub fn from_query(query: Option<&str>) -> Self {
        let mut raw = RawQuery::default();
        for (k, v) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            let slot = match k.to_ascii_lowercase().as_str() {
                "filter" => &mut raw.filter,
                "sortby" => &mut raw.sort_by,
                "sortorder" => &mut raw.sort_order,
                "startindex" => &mut raw.start_index,
                "count" => &mut raw.count,
                "attributes" => &mut raw.attributes,
                "excludedattributes" => &mut raw.excluded_attributes,
                _ => continue,
            };
            *slot = Some(v.into_owned());
        }
        raw
    }

    /// Reads a `/.search` body.
    pub fn from_search(body: &Value) -> Result<Self, ScimError> {
        let req: SearchRequest = serde_json::from_value(body.clone())
            .map_err(|e| ScimError::invalid_syntax(format!("not a SearchRequest: {e}")))?;
        Ok(RawQuery {
            filter: req.filter,
            sort_by: req.sort_by,
            sort_order: req.sort_order,
            start_index: req.start_index.map(|n| n.to_string()),
            count: req.count.map(|n| n.to_string()),
            attributes: req.attributes.map(|a| a.join(",")),
            excluded_attributes: req.excluded_attributes.map(|a| a.join(",")),
        })
    }

    /// The first attribute the filter names that is never returned (`password`), if any.
    pub fn sensitive_attribute(
        &self,
        schema: &ResourceSchema<'_>,
    ) -> Result<Option<String>, ScimError> {
        let Some(text) = self.filter.as_deref().filter(|t| !t.trim().is_empty()) else {
            return Ok(None);
        };
        let filter = parse_filter(text)?;
        let mut paths = Vec::new();
        collect_paths(&filter, &mut paths);
        Ok(paths.into_iter().find_map(|p| {
            let found = schema.attribute(p.urn(), p.name())?;
            let never =
                |d: &crate::schema::AttributeDef| d.returned == crate::schema::Returned::Never;
            let hit = never(found.def)
                || p.sub_attr()
                    .and_then(|s| found.def.sub_attribute(s))
                    .is_some_and(never);
            hit.then(|| p.to_string())
        }))
    }

    /// The projection alone (for single-resource requests).
    pub fn projection(&self) -> Result<Projection, ScimError> {
        Projection::parse(
            self.attributes.as_deref(),
            self.excluded_attributes.as_deref(),
        )
    }

    /// Builds the query for one resource type; `max_page` caps `count`.
    pub fn to_query(
        &self,
        schema: &ResourceSchema<'_>,
        max_page: u64,
    ) -> Result<ListQuery, ScimError> {
        let filter = match self.filter.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) => Some(parse_filter(text)?),
        };
        let matcher = match &filter {
            Some(f) => Some(CompiledFilter::new(f, schema)?),
            None => None,
        };
        let sort_by = match self.sort_by.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) => Some(
                AttrPath::parse(text)
                    .map_err(|e| ScimError::invalid_value(format!("sortBy: {e}")))?,
            ),
        };
        let sort_case_exact = sort_by.as_ref().is_some_and(|p| {
            let mut names = vec![p.name()];
            names.extend(p.sub_attr());
            SchemaLookup::attribute(schema, p.urn(), &names).is_some_and(|f| f.case_exact)
        });
        let sort_order = match self.sort_order.as_deref().map(str::trim) {
            None | Some("") => SortOrder::Ascending,
            Some(s) if s.eq_ignore_ascii_case("ascending") => SortOrder::Ascending,
            Some(s) if s.eq_ignore_ascii_case("descending") => SortOrder::Descending,
            Some(s) => {
                return Err(ScimError::invalid_value(format!(
                    "sortOrder must be \"ascending\" or \"descending\", not \"{s}\""
                )))
            }
        };
        let start_index = match &self.start_index {
            None => 1,
            Some(s) => parse_int("startIndex", s)?.max(1) as u64,
        };
        let count = match &self.count {
            None => max_page,
            Some(s) => (parse_int("count", s)?.max(0) as u64).min(max_page),
        };
        Ok(ListQuery {
            filter,
            matcher,
            sort_by,
            sort_case_exact,
            sort_order,
            start_index,
            count,
            projection: self.projection()?,
        })
    }
}

/// Every attribute path a filter names (value-path attributes and their inner paths).
fn collect_paths<'f>(f: &'f scim_filter::Filter, out: &mut Vec<&'f AttrPath>) {
    use scim_filter::Filter;
    match f {
        Filter::Attribute(e) => out.push(&e.path),
        Filter::ValuePath(vp) => {
            out.push(&vp.attr);
            collect_paths(&vp.filter, out);
        }
        Filter::Not(inner) => collect_paths(inner, out),
        Filter::And(l, r) | Filter::Or(l, r) => {
            collect_paths(l, out);
            collect_paths(r, out);
        }
    }
}

fn parse_int(name: &str, s: &str) -> Result<i64, ScimError> {
    s.trim()
        .parse::<i64>()
        .map_err(|_| ScimError::invalid_value(format!("{name} must be an integer, not \"{s}\"")))
}
