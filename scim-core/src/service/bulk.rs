//! `/Bulk` (RFC 7644 §3.7): many operations in one request, with `bulkId` references
//! between them, `failOnErrors`, and the `maxOperations` / `maxPayloadSize` limits.
//!
//! Operations run in order. One that refers to a `bulkId` created by a later operation
//! waits until that operation has run; references that can never be resolved (unknown,
//! failed, or circular) make the operation fail with 409 (§3.7.1).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use http::StatusCode;
use serde_json::{json, Map, Value};

use super::handlers::resource_url;
use super::request::too_large;
use super::route::{self, Route};
use super::{response, Call, Outcome, ScimService};
use crate::error::ScimError;
use crate::json::get_ci;
use crate::provisioner::ProvisionerError;
use crate::resource::open_message;
use crate::schema::urn;

/// A new id for a Bulk request's operations ([`RequestContext::bulk`]), unique in this
/// process.
///
/// [`RequestContext::bulk`]: crate::provisioner::RequestContext::bulk
fn next_bulk_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// One parsed operation.
struct Op {
    method: String,
    bulk_id: Option<String>,
    version: Option<String>,
    path: String,
    data: Option<Value>,
}

impl ScimService {
    pub(super) async fn bulk(&self, call: &Call<'_>, body: &Bytes) -> Outcome {
        let max_payload = self.config.bulk_max_payload;
        if body.len() > max_payload {
            return Err(too_large(format!(
                "the size of the bulk operation ({} bytes) exceeds the maxPayloadSize ({max_payload})",
                body.len()
            ))
            .into());
        }
        // The bulk limit replaces the general body limit here.
        let request = self.read_json(call.headers, body, max_payload)?;
        let (fail_on_errors, ops) = self.parse_bulk(&request)?;
        // The operations share an id of their own, so that the provisioner may commit
        // their writes together; `bulk_finished` makes them durable before the answer.
        let call = &Call {
            ctx: call.ctx.clone().with_bulk(next_bulk_id()),
            query: call.query,
            headers: call.headers,
            base_url: call.base_url.clone(),
        };

        let mut created: HashMap<String, (String, String)> = HashMap::new();
        let mut pending: Vec<(usize, Op)> = ops.into_iter().enumerate().collect();
        let mut results: Vec<Value> = Vec::new();
        let mut errors = 0u64;
        let defined: Vec<String> = pending
            .iter()
            .filter_map(|(_, op)| op.bulk_id.clone())
            .collect();
        loop {
            let mut progressed = false;
            let mut waiting = Vec::new();
            for (i, op) in pending {
                if fail_on_errors.is_some_and(|n| errors >= n) {
                    break;
                }
                let refs = bulk_refs(&op);
                let unresolved: Vec<&String> =
                    refs.iter().filter(|r| !created.contains_key(*r)).collect();
                let later = unresolved.iter().all(|r| defined.contains(r))
                    && !op.bulk_id.as_ref().is_some_and(|b| unresolved.contains(&b));
                if !unresolved.is_empty() && later {
                    waiting.push((i, op));
                    continue;
                }
                progressed = true;
                let outcome = if unresolved.is_empty() {
                    self.bulk_one(call, &op, &created).await
                } else {
                    Err(ScimError::new(
                        StatusCode::CONFLICT,
                        Some(crate::ScimType::InvalidValue),
                        format!(
                            "operation {}: bulkId:{} does not name a resource created in this request",
                            i + 1,
                            unresolved[0]
                        ),
                    )
                    .into())
                };
                let result = self.bulk_result(call, &op, outcome, &mut created);
                if result["status"]
                    .as_str()
                    .is_some_and(|s| !s.starts_with('2'))
                {
                    errors += 1;
                }
                results.push(result);
            }
            pending = waiting;
            if pending.is_empty() || fail_on_errors.is_some_and(|n| errors >= n) {
                break;
            }
            if !progressed {
                // What is left waits on each other: circular references.
                for (i, op) in std::mem::take(&mut pending) {
                    let e: ProvisionerError = ScimError::new(
                        StatusCode::CONFLICT,
                        None,
                        format!(
                            "operation {}: circular bulkId references could not be resolved",
                            i + 1
                        ),
                    )
                    .into();
                    results.push(self.bulk_result(call, &op, Err(e), &mut created));
                }
                break;
            }
        }
        self.provisioner.bulk_finished(&call.ctx).await?;
        let body = json!({"schemas": [urn::BULK_RESPONSE], "Operations": results});
        Ok(response::json(StatusCode::OK, &body))
    }

    fn parse_bulk(&self, request: &Value) -> Result<(Option<u64>, Vec<Op>), ScimError> {
        let obj = open_message(request, urn::BULK_REQUEST, "BulkRequest")?;
        let member = |name: &str| get_ci(obj, name);
        let fail_on_errors = match member("failOnErrors") {
            None | Some(Value::Null) => None,
            Some(v) => Some(v.as_u64().filter(|n| *n > 0).ok_or_else(|| {
                ScimError::invalid_value("failOnErrors must be a positive integer")
            })?),
        };
        let Some(ops) = member("Operations").and_then(Value::as_array) else {
            return Err(ScimError::invalid_syntax(
                "a BulkRequest needs an `Operations` array",
            ));
        };
        let max = self.config.bulk_max_operations;
        if ops.len() > max {
            return Err(too_large(format!(
                "the bulk request has {} operations, more than the maxOperations ({max})",
                ops.len()
            )));
        }
        let mut out = Vec::with_capacity(ops.len());
        for (i, op) in ops.iter().enumerate() {
            let Some(o) = op.as_object() else {
                return Err(ScimError::invalid_syntax(format!(
                    "operation {} is not an object",
                    i + 1
                )));
            };
            let get = |name: &str| get_ci(o, name);
            let text = |name: &str| get(name).and_then(Value::as_str).map(str::to_owned);
            let (Some(method), Some(path)) = (text("method"), text("path")) else {
                return Err(ScimError::invalid_syntax(format!(
                    "operation {} needs a `method` and a `path`",
                    i + 1
                )));
            };
            out.push(Op {
                method: method.to_ascii_uppercase(),
                bulk_id: text("bulkId"),
                version: text("version"),
                path,
                data: get("data").cloned(),
            });
        }
        Ok((fail_on_errors, out))
    }

    /// Runs one operation with its `bulkId` references resolved; returns the status and
    /// the resource (for POST, PUT, PATCH) with its type.
    async fn bulk_one(
        &self,
        call: &Call<'_>,
        op: &Op,
        created: &HashMap<String, (String, String)>,
    ) -> Result<(StatusCode, Option<(String, Value)>), ProvisionerError> {
        let path = resolve_str(&op.path, created);
        let types = self
            .registry
            .resource_types()
            .iter()
            .map(|t| (t.name.as_str(), t.endpoint.as_str()));
        let (route, _) = route::route(&path, &[], types);
        let data = op.data.clone().map(|d| resolve_refs(d, created));
        let need_data = || {
            data.clone().ok_or_else(|| {
                ScimError::invalid_syntax(format!("{} {} needs `data`", op.method, op.path))
            })
        };
        match (op.method.as_str(), route) {
            ("POST", Route::Collection(rt)) => {
                let (status, v) = self.create_value(call, &rt, need_data()?).await?;
                Ok((status, Some((rt, v))))
            }
            ("PUT", Route::Resource(rt, id)) => {
                let v = self.replace_value(call, &rt, &id, need_data()?, op.version.clone()).await?;
                Ok((StatusCode::OK, Some((rt, v))))
            }
            ("PATCH", Route::Resource(rt, id)) => {
                let v = self.patch_value(call, &rt, &id, &need_data()?, op.version.clone(), true).await?;
                Ok((StatusCode::OK, Some((rt, v))))
            }
            ("DELETE", Route::Resource(rt, id)) => {
                self.provisioner
                    .delete(&call.ctx, &rt, &id, op.version.as_deref())
                    .await?;
                Ok((StatusCode::NO_CONTENT, None))
            }
            (m @ ("POST" | "PUT" | "PATCH" | "DELETE"), _) => Err(ScimError::invalid_syntax(format!(
                "{m} {} is not a resource operation (POST takes /Users or /Groups, the others /Users/{{id}})",
                op.path
            ))
            .into()),
            (m, _) => Err(ScimError::invalid_syntax(format!(
                "method {m} is not one of POST, PUT, PATCH, DELETE"
            ))
            .into()),
        }
    }

    /// The BulkResponse entry for one operation; records a created resource's id.
    fn bulk_result(
        &self,
        call: &Call<'_>,
        op: &Op,
        outcome: Result<(StatusCode, Option<(String, Value)>), ProvisionerError>,
        created: &mut HashMap<String, (String, String)>,
    ) -> Value {
        let mut r = Map::new();
        r.insert("method".into(), Value::from(op.method.clone()));
        if let Some(b) = &op.bulk_id {
            r.insert("bulkId".into(), Value::from(b.clone()));
        }
        match outcome {
            Ok((status, resource)) => {
                r.insert("status".into(), Value::from(status.as_u16().to_string()));
                if let Some((rt, v)) = resource {
                    if let (Some(b), Some(id)) = (&op.bulk_id, v.get("id").and_then(Value::as_str))
                    {
                        created.insert(b.clone(), (rt.clone(), id.to_owned()));
                    }
                    if let Some(version) = crate::meta::version_of(&v) {
                        r.insert("version".into(), Value::from(version));
                    }
                    if let Ok(shown) = self.present(call, &rt, v, &Default::default()) {
                        if let Some(loc) = shown.get("meta").and_then(|m| m.get("location")) {
                            r.insert("location".into(), loc.clone());
                        }
                    }
                } else {
                    r.insert(
                        "location".into(),
                        self.op_location(call, op, created).into(),
                    );
                }
            }
            Err(e) => {
                let (e, _) = self.failure(call, e);
                r.insert(
                    "status".into(),
                    Value::from(e.status().as_u16().to_string()),
                );
                if op.method != "POST" {
                    r.insert(
                        "location".into(),
                        self.op_location(call, op, created).into(),
                    );
                }
                r.insert("response".into(), e.to_body());
            }
        }
        Value::Object(r)
    }
}

impl ScimService {
    /// The `location` of an operation's result (RFC 7644 §3.7.3): the URL of the resource
    /// its path names, `bulkId` references resolved, written as `meta.location` is;
    /// for a path that names no resource, the path under the base URL.
    fn op_location(
        &self,
        call: &Call<'_>,
        op: &Op,
        created: &HashMap<String, (String, String)>,
    ) -> String {
        let path = resolve_str(&op.path, created);
        let types = self.registry.resource_types();
        let pairs = types.iter().map(|t| (t.name.as_str(), t.endpoint.as_str()));
        if let (Route::Resource(rt, id), _) = route::route(&path, &[], pairs) {
            if let Some(t) = types.iter().find(|t| t.name == rt) {
                return resource_url(&call.base_url, &t.endpoint, &id);
            }
        }
        format!("{}/{}", call.base_url, path.trim_start_matches('/'))
    }
}

/// The `bulkId`s an operation's path and data refer to.
fn bulk_refs(op: &Op) -> Vec<String> {
    fn walk(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::String(s) => {
                if let Some(id) = s.strip_prefix("bulkId:") {
                    out.push(id.to_owned());
                }
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            Value::Object(o) => o.values().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    for seg in op.path.split('/') {
        if let Some(id) = seg.strip_prefix("bulkId:") {
            out.push(id.to_owned());
        }
    }
    if let Some(d) = &op.data {
        walk(d, &mut out);
    }
    out
}

/// Replaces `bulkId:x` path segments with created ids.
fn resolve_str(path: &str, created: &HashMap<String, (String, String)>) -> String {
    path.split('/')
        .map(
            |seg| match seg.strip_prefix("bulkId:").and_then(|b| created.get(b)) {
                Some((_, id)) => id.clone(),
                None => seg.to_owned(),
            },
        )
        .collect::<Vec<_>>()
        .join("/")
}

/// Replaces every string `bulkId:x` in `v` with the created id (RFC 7644 §3.7.2).
fn resolve_refs(v: Value, created: &HashMap<String, (String, String)>) -> Value {
    match v {
        Value::String(s) => match s.strip_prefix("bulkId:").and_then(|b| created.get(b)) {
            Some((_, id)) => Value::String(id.clone()),
            None => Value::String(s),
        },
        Value::Array(a) => Value::Array(a.into_iter().map(|x| resolve_refs(x, created)).collect()),
        Value::Object(o) => Value::Object(
            o.into_iter()
                .map(|(k, x)| (k, resolve_refs(x, created)))
                .collect(),
        ),
        other => other,
    }
}
