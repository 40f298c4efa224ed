//! Listing and searching: reading list queries from query parameters and `/.search`
//! bodies (RFC 7644 §3.4.2, §3.4.3) into a [`ListQuery`], and answering them with a
//! ListResponse.

use http::StatusCode;
use scim2_filter::{parse_filter, AttrPath, CompiledFilter, Filter, Predicate, SchemaLookup};
use serde_json::Value;

use super::{response, Call, Outcome, ScimService};

use crate::error::ScimError;
use crate::projection::Projection;
use crate::provisioner::{ListQuery, ProvisionerError, SortOrder};
use crate::resource::ListResponse;
use crate::resource::SearchRequest;
use crate::schema::{AttributeDef, ResourceSchema, Returned};

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
    /// `cursor` (RFC 9865 §2, §3); `Some("")` asks for the first page by cursor.
    pub cursor: Option<String>,
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
                "cursor" => &mut raw.cursor,
                _ => continue,
            };
            *slot = Some(v.into_owned());
        }
        raw
    }

    /// Reads a `/.search` body, `cursor` included (RFC 9865 §3).
    pub fn from_search(body: &Value) -> Result<Self, ScimError> {
        let req: SearchRequest = serde_json::from_value(body.clone())
            .map_err(|e| ScimError::invalid_syntax(format!("not a SearchRequest: {e}")))?;
        let cursor = match body.as_object().and_then(|o| crate::json::get_ci(o, "cursor")) {
            None | Some(Value::Null) => None,
            Some(Value::String(c)) => Some(c.clone()),
            Some(_) => {
                return Err(ScimError::invalid_cursor(
                    "`cursor` must be a string: empty for the first page, then each response's nextCursor (RFC 9865 §3)",
                ))
            }
        };
        Ok(RawQuery {
            cursor,
            filter: req.filter,
            sort_by: req.sort_by,
            sort_order: req.sort_order,
            start_index: req.start_index.map(|n| n.to_string()),
            count: req.count.map(|n| n.to_string()),
            attributes: req.attributes.map(|a| a.join(",")),
            excluded_attributes: req.excluded_attributes.map(|a| a.join(",")),
        })
    }

    /// Refuses what no list query may ask of the resource types in `schemas` (one type,
    /// or every type for a search at root). The one place that decides:
    ///
    /// - A `filter` that is present must be a filter: `filter=`, `"filter": ""` and
    ///   white space alone are 400 `invalidFilter` (the `FILTER` rule of RFC 7644
    ///   §3.4.2.2 matches no empty text); an absent `filter` (or `"filter": null`) is no
    ///   filter.
    /// - A filter may not test an attribute that is never returned (`returned: never`,
    ///   RFC 7643 §7; the User's `password`), whether written in another case,
    ///   URN-qualified, inside a value path or under `not`/`and`/`or`: a search that
    ///   matches or not would reveal it a character at a time. The exception is
    ///   `password pr` (whether one is set). In a URL (`in_url`) such a comparison is
    ///   400 `sensitive` (RFC 7644 §3.4.2.2, §7.5.2: it would put the value in logs);
    ///   elsewhere 400 `invalidFilter` (§3.12).
    /// - `sortBy` (§3.4.2.3) must name an attribute some type in `schemas` defines
    ///   (names compare case-insensitively, URN-qualified or not, sub-attributes too),
    ///   and not a never-returned one, whose order would leak: else 400 `invalidValue`.
    ///
    /// Returns the parsed filter (if any) for [`to_query`](Self::to_query), so that the
    /// filter is parsed once however many resource types the query spans.
    pub fn vet(
        &self,
        schemas: &[ResourceSchema<'_>],
        in_url: bool,
    ) -> Result<Option<Filter>, ScimError> {
        let filter = match self.filter.as_deref().map(str::trim) {
            None => None,
            Some("") => {
                return Err(ScimError::invalid_filter(
                    "the filter is empty; an empty filter is not a filter (RFC 7644 §3.4.2.2: \
                     FILTER needs at least one attribute expression); omit `filter` to list \
                     every resource",
                ))
            }
            Some(text) => Some(parse_filter(text)?),
        };
        if let Some(filter) = &filter {
            for schema in schemas {
                if let Some(name) = never_returned_in(filter, schema, None) {
                    if in_url {
                        return Err(ScimError::bad_request(
                            crate::ScimType::Sensitive,
                            format!(
                                "filtering on `{name}` in a URL would expose it; and it may not be filtered on at all (only `{name} pr` is allowed)"
                            ),
                        ));
                    }
                    return Err(ScimError::invalid_filter(format!(
                        "`{name}` is never returned (returned: never) and may not be filtered on; only `{name} pr` (is it set?) is allowed"
                    )));
                }
            }
        }
        if let Some(text) = self
            .sort_by
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            let path = AttrPath::parse(text)
                .map_err(|e| ScimError::invalid_value(format!("sortBy: {e}")))?;
            let mut known = false;
            for schema in schemas {
                match resolve(schema, path.urn(), path.name(), path.sub_attr()) {
                    Some(Resolved::Never) => {
                        return Err(ScimError::invalid_value(format!(
                            "sortBy: `{text}` is never returned (returned: never) and may not be sorted by"
                        )))
                    }
                    Some(Resolved::Returned) => known = true,
                    None => {}
                }
            }
            if !known {
                let types: Vec<&str> = schemas
                    .iter()
                    .map(|s| s.resource_type().name.as_str())
                    .collect();
                return Err(ScimError::invalid_value(format!(
                    "sortBy: `{text}` is not an attribute of {}",
                    types.join(" or ")
                )));
            }
        }
        Ok(filter)
    }

    /// The projection alone (for single-resource requests).
    pub fn projection(&self) -> Result<Projection, ScimError> {
        Projection::parse(
            self.attributes.as_deref(),
            self.excluded_attributes.as_deref(),
        )
    }

    /// Builds the query for one resource type with `filter`, the filter [`vet`](Self::vet)
    /// returned; `max_page` caps `count`.
    pub fn to_query(
        &self,
        schema: &ResourceSchema<'_>,
        filter: Option<&Filter>,
        max_page: u64,
    ) -> Result<ListQuery, ScimError> {
        let filter = filter.cloned();
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
            cursor: self.cursor.clone(),
            resource_type: schema.resource_type().name.clone(),
        })
    }

    /// Refuses a `cursor` this service cannot take (RFC 9865): when it does not page by
    /// cursor (`supported` off: 400 `invalidCursor`, so that a client never mistakes the
    /// first page for the only one), beside a `startIndex` (one query, one way of paging,
    /// §2.4: 400 `invalidValue`), over several resource types (`across`), or holding
    /// characters outside RFC 3986's unreserved set or more than
    /// [`ListQuery::MAX_CURSOR_CHARS`] of them (§2: 400 `invalidCursor`).
    fn vet_cursor(&self, supported: bool, across: bool) -> Result<(), ScimError> {
        let Some(cursor) = self.cursor.as_deref() else {
            return Ok(());
        };
        if !supported {
            return Err(ScimError::invalid_cursor(
                "this service does not page by cursor (its /ServiceProviderConfig advertises no cursor pagination); page with startIndex and count",
            ));
        }
        if self.start_index.is_some() {
            return Err(ScimError::invalid_value(
                "startIndex and cursor cannot both be given: page either by index (startIndex) or by cursor (RFC 9865 §2.4)",
            ));
        }
        if across {
            return Err(ScimError::invalid_cursor(
                "a search across every resource type is paged by startIndex only; page by cursor within one resource type (e.g. /Users)",
            ));
        }
        let unreserved = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~');
        if cursor.len() > ListQuery::MAX_CURSOR_CHARS || !cursor.chars().all(unreserved) {
            return Err(ScimError::invalid_cursor(
                "the cursor is not one this service handed out; start again with an empty cursor and pass each response's nextCursor unchanged",
            ));
        }
        Ok(())
    }
}

/// What an attribute path resolves to in a schema.
enum Resolved {
    /// An attribute (or sub-attribute) that may be returned.
    Returned,
    /// An attribute, or a sub-attribute of one, whose schema says `returned: never`.
    Never,
}

/// Resolves `[urn:]name[.sub]` in `schema` (case-insensitively): `None` when the schema
/// defines no such attribute.
fn resolve(
    schema: &ResourceSchema<'_>,
    urn: Option<&str>,
    name: &str,
    sub: Option<&str>,
) -> Option<Resolved> {
    let never = |d: &AttributeDef| d.returned == Returned::Never;
    if urn.is_none() && sub.is_none() && name.eq_ignore_ascii_case("schemas") {
        return Some(Resolved::Returned);
    }
    let def = schema.attribute(urn, name)?.def;
    let hit = match sub {
        None => never(def),
        Some(s) => never(def) || never(def.sub_attribute(s)?),
    };
    Some(if hit {
        Resolved::Never
    } else {
        Resolved::Returned
    })
}

/// The first never-returned attribute `f` tests other than by a bare `pr` outside any
/// value path (the one test allowed), as written. `parent` is the attribute of an
/// enclosing value path, whose filter names its sub-attributes.
fn never_returned_in(
    f: &Filter,
    schema: &ResourceSchema<'_>,
    parent: Option<&AttrPath>,
) -> Option<String> {
    let hit = |p: &AttrPath, sub: Option<&str>| {
        matches!(
            resolve(schema, p.urn(), p.name(), sub),
            Some(Resolved::Never)
        )
    };
    match f {
        Filter::Attribute(e) => {
            let never = match parent {
                Some(vp) => hit(vp, Some(e.path.name())),
                None => hit(&e.path, e.path.sub_attr()),
            };
            let present = parent.is_none() && e.predicate == Predicate::Present;
            (never && !present).then(|| e.path.to_string())
        }
        Filter::ValuePath(vp) => {
            let trailing = vp.sub_attr.as_ref().map(|s| s.name.as_str());
            if hit(&vp.attr, None) || trailing.is_some_and(|s| hit(&vp.attr, Some(s))) {
                return Some(vp.attr.to_string());
            }
            never_returned_in(&vp.filter, schema, Some(&vp.attr))
                .map(|name| format!("{}.{name}", vp.attr))
        }
        Filter::Not(inner) => never_returned_in(inner, schema, parent),
        Filter::And(l, r) | Filter::Or(l, r) => {
            never_returned_in(l, schema, parent).or_else(|| never_returned_in(r, schema, parent))
        }
    }
}

fn parse_int(name: &str, s: &str) -> Result<i64, ScimError> {
    s.trim()
        .parse::<i64>()
        .map_err(|_| ScimError::invalid_value(format!("{name} must be an integer, not \"{s}\"")))
}

impl ScimService {
    /// A list or search over one resource type, or over all of them (`rt` = `None`);
    /// `in_url` when the query came in the URL rather than a `/.search` body.
    pub(super) async fn list(
        &self,
        call: &Call<'_>,
        rt: Option<&str>,
        raw: RawQuery,
        in_url: bool,
    ) -> Outcome {
        let max = self.config.max_page_size;
        let types: Vec<String> = match rt {
            Some(rt) => vec![rt.to_owned()],
            None => self
                .registry
                .resource_types()
                .iter()
                .map(|t| t.name.clone())
                .collect(),
        };
        let schemas = types
            .iter()
            .map(|t| self.schema(t))
            .collect::<Result<Vec<_>, _>>()?;
        let filter = raw.vet(&schemas, in_url)?;
        raw.vet_cursor(self.config.cursor_pagination, types.len() != 1)?;
        let mut cursors = None;
        let (resources, total, start_index) = if types.len() == 1 {
            let schema = self.schema(&types[0])?;
            let query = raw.to_query(&schema, filter.as_ref(), max)?;
            let page = self.provisioner.list(&call.ctx, &types[0], &query).await?;
            let mut resources = Vec::with_capacity(page.resources.len());
            for r in page.resources.into_iter().take(query.count as usize) {
                resources.push(self.present(call, &types[0], r, &query.projection)?);
            }
            if query.by_cursor() {
                // A page of none moves nowhere: its nextCursor would name the same
                // position again, and a client following it would loop for ever.
                let next = page.next_cursor.filter(|_| query.count > 0);
                cursors = Some((next, page.previous_cursor));
            }
            (resources, page.total_results, query.start_index)
        } else {
            // Across types: collect every match, sort the whole (RFC 7644 §3.4.2.3: one
            // order over every type), then page it.
            let mut all = Vec::new();
            let mut window = None;
            let mut sorting = None;
            let mut projections = Vec::with_capacity(types.len());
            for (i, t) in types.iter().enumerate() {
                let schema = self.schema(t)?;
                let mut query = raw.to_query(&schema, filter.as_ref(), max)?;
                window.get_or_insert((query.start_index, query.count));
                query.start_index = 1;
                query.count = u64::MAX;
                let page = self.provisioner.list(&call.ctx, t, &query).await?;
                if all.len() + page.resources.len() > self.config.max_search_results {
                    return Err(ScimError::too_many(format!(
                        "the search matches more than {} resources; narrow the filter or search one resource type",
                        self.config.max_search_results
                    ))
                    .into());
                }
                all.extend(page.resources.into_iter().map(|r| (i, r)));
                projections.push(query.projection.clone());
                sorting.get_or_insert(query);
            }
            if let Some(query) = &sorting {
                query.sort(&mut all, |(_, r)| r);
            }
            let (start, count) = window.unwrap_or((1, max));
            let total = all.len() as u64;
            let mut page = Vec::new();
            for (i, r) in all
                .into_iter()
                .skip(start.saturating_sub(1) as usize)
                .take(count as usize)
            {
                page.push(self.present(call, &types[i], r, &projections[i])?);
            }
            (page, total, start)
        };
        let list = ListResponse::new(resources, total, start_index);
        let mut body = serde_json::to_value(&list).map_err(ProvisionerError::internal)?;
        if let (Some((next, previous)), Some(obj)) = (cursors, body.as_object_mut()) {
            // Paged by cursor (RFC 9865 §2): no startIndex; `nextCursor` unless this is
            // the last page, `previousCursor` when the provisioner gives one.
            obj.remove("startIndex");
            if let Some(next) = next {
                obj.insert("nextCursor".into(), Value::String(next));
            }
            if let Some(previous) = previous {
                obj.insert("previousCursor".into(), Value::String(previous));
            }
        }
        Ok(response::json(StatusCode::OK, &body))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::SchemaRegistry;

    fn vet(filter: Option<&str>) -> Result<Option<Filter>, ScimError> {
        let registry = SchemaRegistry::standard();
        let users = registry
            .resource_schema("User")
            .unwrap_or_else(|| unreachable!());
        let raw = RawQuery {
            filter: filter.map(str::to_owned),
            ..RawQuery::default()
        };
        raw.vet(&[users], true)
    }

    #[test]
    fn an_empty_filter_is_refused_and_an_absent_one_is_none() {
        assert!(matches!(vet(None), Ok(None)));
        for text in ["", " ", "\t\r\n"] {
            let e = vet(Some(text)).err().unwrap_or_else(|| panic!("{text:?}"));
            assert_eq!(e.scim_type(), Some(crate::ScimType::InvalidFilter));
            assert!(e.detail().contains("empty"), "{}", e.detail());
        }
        assert!(matches!(vet(Some(" userName pr ")), Ok(Some(_))));
    }

    #[test]
    fn password_presence_passes_and_comparisons_do_not() {
        assert!(vet(Some("password pr")).is_ok());
        assert!(vet(Some("not (password pr)")).is_ok());
        assert!(vet(Some(r#"password eq "x""#)).is_err());
    }
}
