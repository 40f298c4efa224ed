//! The discovery endpoints (RFC 7644 §4): `/ServiceProviderConfig`, `/ResourceTypes`,
//! `/Schemas`, generated from the configuration and the schema registry.

use http::StatusCode;
use serde_json::{json, Value};

use super::route::Route;
use super::{response, Call, Outcome, ScimService};
use crate::error::ScimError;
use crate::provisioner::ProvisionerError;
use crate::resource::ListResponse;
use crate::schema::urn;

impl ScimService {
    pub(super) fn discovery(&self, call: &Call<'_>, route: Route) -> Outcome {
        let base = &call.base_url;
        match route {
            Route::ServiceProviderConfig => {
                let mut body = to_value(&self.service_provider_config())?;
                if let Some(pagination) = self.config.pagination() {
                    body["pagination"] = pagination;
                }
                body["meta"] = json!({
                    "resourceType": "ServiceProviderConfig",
                    "location": format!("{base}/ServiceProviderConfig"),
                });
                Ok(response::json(StatusCode::OK, &body))
            }
            Route::ResourceTypes(name) => {
                let mut all = Vec::new();
                for rt in self.registry.resource_types() {
                    let mut v = to_value(rt)?;
                    v["schemas"] = json!([urn::RESOURCE_TYPE]);
                    v["meta"] = json!({
                        "resourceType": "ResourceType",
                        "location": format!("{base}/ResourceTypes/{}", rt.name),
                    });
                    all.push((rt.name.clone(), v));
                }
                one_or_list(all, name, "resource type")
            }
            Route::Schemas(id) => {
                let mut all = Vec::new();
                for s in self.registry.schemas() {
                    let mut v = to_value(s)?;
                    v["schemas"] = json!([urn::SCHEMA]);
                    v["meta"] = json!({
                        "resourceType": "Schema",
                        "location": format!("{base}/Schemas/{}", s.id),
                    });
                    all.push((s.id.clone(), v));
                }
                one_or_list(all, id, "schema")
            }
            _ => Err(ScimError::not_found("no SCIM endpoint at this path").into()),
        }
    }
}

/// The whole list as a ListResponse, or the one named (case-insensitively), or 404.
fn one_or_list(all: Vec<(String, Value)>, name: Option<String>, what: &str) -> Outcome {
    match name {
        None => {
            let total = all.len() as u64;
            let list = ListResponse::new(all.into_iter().map(|(_, v)| v).collect(), total, 1);
            let body = serde_json::to_value(&list).map_err(ProvisionerError::internal)?;
            Ok(response::json(StatusCode::OK, &body))
        }
        Some(name) => match all.into_iter().find(|(n, _)| n.eq_ignore_ascii_case(&name)) {
            Some((_, v)) => Ok(response::json(StatusCode::OK, &v)),
            None => Err(ScimError::not_found(format!("no {what} called {name}")).into()),
        },
    }
}

fn to_value<T: serde::Serialize>(v: &T) -> Result<Value, ProvisionerError> {
    serde_json::to_value(v).map_err(ProvisionerError::internal)
}
