//! The checks of a store's duties (the list on [`Provisioner`]): uniqueness,
//! `If-Match`/412, membership, concurrency and paging, each a short scenario over a
//! fresh store.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde_json::{json, Value};

use super::replay::{check_error_shape, Answer, Exchange};
use super::{join_all, Failure, Report, TestKit};
use crate::provisioner::{Provisioner, ProvisionerError, RequestContext};
use crate::schema::urn;
use crate::service::{Authenticator, ScimService};

mod concurrency;
mod membership;
mod paging;
mod preconditions;
mod uniqueness;

/// A request under way, to await with others.
type Call<'a> = Pin<Box<dyn Future<Output = Result<Answer, Failure>> + 'a>>;

/// The PatchOp message schema (RFC 7644 §3.5.2).
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// A service over a fresh store, called by one check: every call is a step, and every
/// error answer must have the RFC 7644 §3.12 shape.
pub(super) struct Client {
    service: ScimService,
    check: &'static str,
    authorization: Option<String>,
    sent: Cell<usize>,
    /// The store under the service, for the duties a request through the service cannot
    /// show (the service checks `If-Match` itself before it writes), and the
    /// authenticator that gives the context the service would pass it.
    store: Option<(Arc<dyn Provisioner>, Option<Auth>)>,
}

/// The authenticator of the kit's requests, if any.
type Auth = Arc<dyn Authenticator>;

impl Client {
    /// A client of `service` for the check `check`.
    pub(super) fn new(
        service: ScimService,
        check: &'static str,
        authorization: Option<String>,
    ) -> Self {
        Client {
            service,
            check,
            authorization,
            sent: Cell::new(0),
            store: None,
        }
    }

    /// Returns this client able to call `store` (the one under its service) directly,
    /// with the context `auth` gives the kit's requests.
    pub(super) fn with_store(mut self, store: Arc<dyn Provisioner>, auth: Option<Auth>) -> Self {
        self.store = Some((store, auth));
        self
    }

    /// The store under the service and the context the service would call it with for
    /// the kit's requests (the principal the authenticator gives their credentials).
    async fn store(&self, step: &str) -> Result<(&dyn Provisioner, RequestContext), Failure> {
        let Some((store, auth)) = &self.store else {
            return Err(self.fail(step, "the kit has no handle on the store"));
        };
        let mut ctx = RequestContext::new("scim2-core-testkit");
        if let Some(auth) = auth {
            let mut req = http::Request::get("/scim/v2/Users");
            if let Some(a) = &self.authorization {
                req = req.header(http::header::AUTHORIZATION, a.as_str());
            }
            let (parts, ()) = req
                .body(())
                .map_err(|e| self.fail(step, format!("the kit's credentials: {e}")))?
                .into_parts();
            let principal = auth
                .authenticate(&parts)
                .await
                .map_err(|_| self.fail(step, "the authenticator refused the kit's credentials"))?;
            if let Some(p) = principal {
                ctx = ctx.with_principal(p);
            }
        }
        Ok((store.as_ref(), ctx))
    }

    /// A failure of this check at `step`.
    fn fail(&self, step: &str, detail: impl Into<String>) -> Failure {
        Failure::new(self.check, step, detail)
    }

    /// The report of this check, passed.
    fn passed(&self) -> Report {
        Report::one(self.check, self.sent.get())
    }

    /// Sends `method path` (with a SCIM JSON `body` and `headers`) and returns the answer.
    async fn call(
        &self,
        step: &str,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<Answer, Failure> {
        let mut req = Exchange::new(method, format!("/scim/v2{path}"));
        if let Some(auth) = &self.authorization {
            req = req.with_header("authorization", auth.clone());
        }
        if let Some(body) = body {
            req = req
                .with_header("content-type", "application/scim+json")
                .with_body(body.to_string());
        }
        for (k, v) in headers {
            req = req.with_header(k, *v);
        }
        let http = req
            .to_request()
            .map_err(|e| self.fail(step, format!("{method} {path}: {e}")))?;
        let answer = Answer::from_response(&Box::pin(self.service.handle(http)).await);
        self.sent.set(self.sent.get() + 1);
        if answer.status >= 400 {
            check_error_shape(&answer, None)
                .map_err(|e| self.fail(step, format!("{method} {path}: {e}")))?;
        }
        Ok(answer)
    }

    /// [`Client::call`], wanting one of the statuses `want`.
    async fn expect(
        &self,
        step: &str,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&Value>,
        want: &[u16],
    ) -> Result<Answer, Failure> {
        let answer = self.call(step, method, path, headers, body).await?;
        self.status_in(step, method, path, answer, want)
    }

    /// `answer` (to `method path`) if its status is one of `want`.
    fn status_in(
        &self,
        step: &str,
        method: &str,
        path: &str,
        answer: Answer,
        want: &[u16],
    ) -> Result<Answer, Failure> {
        if !want.contains(&answer.status) {
            return Err(self.fail(
                step,
                format!(
                    "{method} {path}: status {}, want {}: {}",
                    answer.status,
                    want.iter()
                        .map(u16::to_string)
                        .collect::<Vec<_>>()
                        .join(" or "),
                    answer.json
                ),
            ));
        }
        Ok(answer)
    }

    /// Creates a resource (201) and returns it.
    async fn create(&self, step: &str, endpoint: &str, body: &Value) -> Result<Answer, Failure> {
        self.expect(step, "POST", endpoint, &[], Some(body), &[201])
            .await
    }

    /// Reads a resource (200).
    async fn get(&self, step: &str, path: &str) -> Result<Answer, Failure> {
        self.expect(step, "GET", path, &[], None, &[200]).await
    }

    /// A string the answer must hold at `pointer`.
    fn text(&self, step: &str, answer: &Answer, pointer: &str) -> Result<String, Failure> {
        answer
            .json
            .pointer(pointer)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| self.fail(step, format!("no string at {pointer}: {}", answer.json)))
    }

    /// Fails `step` with `detail` unless `ok`.
    fn ensure(&self, ok: bool, step: &str, detail: impl FnOnce() -> String) -> Result<(), Failure> {
        if ok {
            Ok(())
        } else {
            Err(self.fail(step, detail()))
        }
    }

    /// Fails `step` unless the answer is 409 `uniqueness` (RFC 7644 §3.12).
    fn uniqueness(&self, step: &str, answer: &Answer) -> Result<(), Failure> {
        self.ensure(
            answer.status == 409 && answer.json["scimType"] == "uniqueness",
            step,
            || {
                format!(
                    "want 409 uniqueness, got {}: {}",
                    answer.status, answer.json
                )
            },
        )
    }
}

/// A new user named `user_name`.
fn user(user_name: &str) -> Value {
    json!({"schemas": [urn::USER], "userName": user_name, "active": true})
}

/// A new group named `name` with `members` (ids).
fn group(name: &str, members: &[&str]) -> Value {
    let members: Vec<Value> = members.iter().map(|m| json!({"value": m})).collect();
    json!({"schemas": [urn::GROUP], "displayName": name, "members": members})
}

/// A PATCH request of `ops`.
fn patch(ops: Value) -> Value {
    json!({"schemas": [PATCH_OP], "Operations": ops})
}

/// The `value`s of a multi-valued attribute (`members`, `groups`) of a resource.
fn values(resource: &Value, attr: &str) -> Vec<String> {
    resource[attr]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v["value"].as_str().map(str::to_owned))
        .collect()
}
