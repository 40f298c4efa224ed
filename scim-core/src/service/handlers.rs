//! The handlers of one resource: GET (RFC 7644 §3.4.1), POST (§3.3), PUT (§3.5.1),
//! PATCH (§3.5.2) and DELETE (§3.6), and what they share (schema, validation options,
//! presenting a resource with its location and projection).

use bytes::Bytes;
use http::header::IF_NONE_MATCH;
use http::{Method, StatusCode};
use serde_json::Value;

use super::request::{etag_matches, header_str, if_match, PATH_SEGMENT};
use super::{response, Call, Outcome, ScimService};
use crate::error::ScimError;
use crate::meta::{set_location, stamp_new_for, stamp_update_for, version_of};
use crate::patch::PatchRequest;
use crate::projection::Projection;
use crate::provisioner::{retry_on_conflict, PatchInput, ProvisionerError};
use crate::schema::ResourceSchema;
use crate::validate::{validate_owned, Context, ValidationOptions};

impl ScimService {
    /// GET, PUT, PATCH or DELETE of one resource.
    pub(super) async fn resource(
        &self,
        call: &Call<'_>,
        method: &Method,
        rt: &str,
        id: &str,
        body: &Bytes,
    ) -> Outcome {
        match *method {
            Method::GET => self.get(call, rt, id).await,
            Method::PUT => {
                let body = self.read_json(call.headers, body, self.config.max_body_bytes)?;
                self.replace(call, rt, id, body).await
            }
            Method::PATCH => {
                let body = self.read_json(call.headers, body, self.config.max_body_bytes)?;
                self.patch(call, rt, id, body).await
            }
            Method::DELETE => self.delete(call, rt, id).await,
            _ => Err(ScimError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                None,
                format!("{method} is not allowed on a resource"),
            )
            .into()),
        }
    }

    /// The PATCH limits: operations per request, values per operation.
    pub(super) fn check_patch_limits(&self, request: &PatchRequest) -> Result<(), ScimError> {
        let ops = request.operations.len();
        if ops > self.config.max_patch_operations {
            return Err(ScimError::too_many(format!(
                "the PATCH has {ops} operations, more than the limit of {}",
                self.config.max_patch_operations
            )));
        }
        for (i, op) in request.operations.iter().enumerate() {
            let n = op
                .value
                .as_ref()
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            if n > self.config.max_values_per_operation {
                return Err(ScimError::too_many(format!(
                    "operation {} has {n} values, more than the limit of {} per operation",
                    i + 1,
                    self.config.max_values_per_operation
                )));
            }
        }
        Ok(())
    }

    pub(super) fn schema(&self, rt: &str) -> Result<ResourceSchema<'_>, ProvisionerError> {
        self.registry
            .resource_schema(rt)
            .ok_or_else(|| ProvisionerError::internal(format!("resource type {rt} has no schema")))
    }

    pub(super) fn validation(&self) -> ValidationOptions {
        ValidationOptions {
            string_booleans: self.config.compat.string_booleans,
            empty_value_unassigns: self.config.compat.empty_value_unassigns,
            limits: self.config.resource_limits,
        }
    }

    /// Adds `meta.location` and applies `projection` for output.
    pub(super) fn present(
        &self,
        call: &Call<'_>,
        rt: &str,
        mut resource: Value,
        projection: &Projection,
    ) -> Result<Value, ProvisionerError> {
        let schema = self.schema(rt)?;
        if let Some(id) = resource.get("id").and_then(Value::as_str) {
            let url = resource_url(&call.base_url, &schema.resource_type().endpoint, id);
            set_location(&mut resource, &url);
        }
        Ok(projection.apply(&schema, &resource))
    }

    pub(super) async fn get(&self, call: &Call<'_>, rt: &str, id: &str) -> Outcome {
        let projection = Self::projection(call)?;
        let stored = self.provisioner.get(&call.ctx, rt, id).await?;
        if let (Some(tags), Some(version)) =
            (header_str(call.headers, IF_NONE_MATCH), version_of(&stored))
        {
            if etag_matches(tags, version) {
                let mut resp = response::empty(StatusCode::NOT_MODIFIED);
                response::add_etag(&mut resp, &stored);
                return Ok(resp);
            }
        }
        let body = self.present(call, rt, stored.clone(), &projection)?;
        Ok(response::resource(StatusCode::OK, &body, &stored))
    }

    pub(super) async fn create(&self, call: &Call<'_>, rt: &str, body: Value) -> Outcome {
        let (status, stored) = self.create_value(call, rt, body).await?;
        let projection = Self::projection(call)?;
        let full = self.present(call, rt, stored, &Projection::default())?;
        let body = projection.apply(&self.schema(rt)?, &full);
        Ok(response::resource(status, &body, &full))
    }

    /// Validates, stamps and stores a new resource; returns 201 and it as stored.
    pub(super) async fn create_value(
        &self,
        call: &Call<'_>,
        rt: &str,
        body: Value,
    ) -> Result<(StatusCode, Value), ProvisionerError> {
        let schema = self.schema(rt)?;
        let mut resource = validate_owned(&schema, Context::Create, body, &self.validation())?;
        let id = self.provisioner.new_id(rt);
        stamp_new_for(&schema, &mut resource, &id);
        let stored = self.provisioner.create(&call.ctx, rt, resource).await?;
        Ok((StatusCode::CREATED, stored))
    }

    pub(super) async fn replace(
        &self,
        call: &Call<'_>,
        rt: &str,
        id: &str,
        body: Value,
    ) -> Outcome {
        let projection = Self::projection(call)?;
        let stored = self
            .replace_value(call, rt, id, body, if_match(call.headers))
            .await?;
        let body = self.present(call, rt, stored.clone(), &projection)?;
        Ok(response::resource(StatusCode::OK, &body, &stored))
    }

    /// PUT semantics (RFC 7644 §3.5.1): validates against the stored resource and
    /// replaces it, checking the expected version.
    ///
    /// Without `If-Match` (`expected` is `None`) the last writer wins (RFC 7644 §3.14):
    /// when another writer changed the resource between the read and the write, the
    /// read-validate-replace starts over, as the default [`Provisioner::patch`] does.
    /// With `If-Match`, a mismatch is 412.
    pub(super) async fn replace_value(
        &self,
        call: &Call<'_>,
        rt: &str,
        id: &str,
        body: Value,
        expected: Option<String>,
    ) -> Result<Value, ProvisionerError> {
        let schema = self.schema(rt)?;
        let mut attempt = 0;
        loop {
            let existing = self.provisioner.get(&call.ctx, rt, id).await?;
            crate::meta::check_version(&existing, expected.as_deref())?;
            let version = version_of(&existing).map(str::to_owned);
            let mut resource = validate_owned(
                &schema,
                Context::Replace {
                    existing: &existing,
                },
                body.clone(),
                &self.validation(),
            )?;
            stamp_update_for(&schema, &mut resource, &existing);
            let result = self
                .provisioner
                .replace(&call.ctx, rt, id, resource, version.as_deref())
                .await;
            if let Some(done) = retry_on_conflict(result, expected.as_deref(), &mut attempt).await {
                return done;
            }
        }
    }

    pub(super) async fn patch(&self, call: &Call<'_>, rt: &str, id: &str, body: Value) -> Outcome {
        let projection = Self::projection(call)?;
        let no_content = projection.is_empty()
            && self
                .config
                .patch_no_content
                .iter()
                .any(|t| t.eq_ignore_ascii_case(rt));
        let stored = self
            .patch_value(call, rt, id, &body, if_match(call.headers), !no_content)
            .await?;
        if no_content {
            let mut resp = response::empty(StatusCode::NO_CONTENT);
            response::add_etag(&mut resp, &stored);
            return Ok(resp);
        }
        let body = self.present(call, rt, stored.clone(), &projection)?;
        Ok(response::resource(StatusCode::OK, &body, &stored))
    }

    pub(super) async fn patch_value(
        &self,
        call: &Call<'_>,
        rt: &str,
        id: &str,
        body: &Value,
        expected: Option<String>,
        full_result: bool,
    ) -> Result<Value, ProvisionerError> {
        let schema = self.schema(rt)?;
        let request = PatchRequest::from_value(body, &self.config.compat)?
            .with_limits(self.config.resource_limits);
        self.check_patch_limits(&request)?;
        let input = PatchInput {
            request: &request,
            schema: &schema,
            compat: &self.config.compat,
            full_result,
        };
        self.provisioner
            .patch(&call.ctx, rt, id, &input, expected.as_deref())
            .await
    }

    pub(super) async fn delete(&self, call: &Call<'_>, rt: &str, id: &str) -> Outcome {
        self.provisioner
            .delete(&call.ctx, rt, id, if_match(call.headers).as_deref())
            .await?;
        Ok(response::empty(StatusCode::NO_CONTENT))
    }
}

/// The URL of the resource `id` at `endpoint` (e.g. `/Users`) under `base_url`: what
/// `meta.location`, `Location` and a Bulk result's `location` say (RFC 7644 §3.1, §3.7.3),
/// the id escaped as one path segment.
pub(super) fn resource_url(base_url: &str, endpoint: &str, id: &str) -> String {
    format!(
        "{base_url}/{}/{}",
        endpoint.trim_matches('/'),
        percent_encoding::utf8_percent_encode(id, PATH_SEGMENT)
    )
}
