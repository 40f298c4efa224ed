//! The checks of a store's duties (the list on [`Provisioner`]): uniqueness,
//! `If-Match`/412, membership and concurrency, each a short scenario over a fresh store.

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

impl<F> TestKit<F>
where
    F: Fn() -> Arc<dyn Provisioner>,
{
    /// Uniqueness (409, RFC 7643 §4.1.1): a POST of a taken `userName` in another case,
    /// and a PUT and a PATCH of `userName` to a taken name, are 409 `uniqueness` and
    /// change nothing; a user may change the case of its own name.
    pub async fn uniqueness(&self) -> Result<Report, Failure> {
        let c = self.client("uniqueness");
        let ann = c
            .create("create ann", "/Users", &user("kit-ann@example.com"))
            .await?;
        let bob = c
            .create("create bob", "/Users", &user("kit-bob@example.com"))
            .await?;
        let bob_at = format!("/Users/{}", c.text("create bob", &bob, "/id")?);
        let step = "POST a userName taken in another case";
        let a = c
            .call(
                step,
                "POST",
                "/Users",
                &[],
                Some(&user("KIT-ANN@example.com")),
            )
            .await?;
        c.uniqueness(step, &a)?;
        let step = "PUT bob with ann's userName";
        let a = c
            .call(
                step,
                "PUT",
                &bob_at,
                &[],
                Some(&user("Kit-Ann@Example.com")),
            )
            .await?;
        c.uniqueness(step, &a)?;
        let step = "PATCH bob's userName to ann's";
        let op =
            patch(json!([{"op": "replace", "path": "userName", "value": "kit-ann@EXAMPLE.com"}]));
        let a = c.call(step, "PATCH", &bob_at, &[], Some(&op)).await?;
        c.uniqueness(step, &a)?;
        let step = "PATCH bob's userName to ann's, path-less";
        let op = patch(json!([{"op": "replace", "value": {"userName": "KIT-ann@example.com"}}]));
        let a = c.call(step, "PATCH", &bob_at, &[], Some(&op)).await?;
        c.uniqueness(step, &a)?;

        let step = "bob is unchanged after the refusals";
        let now = c.get(step, &bob_at).await?;
        c.ensure(
            now.json["userName"] == "kit-bob@example.com"
                && now.json["meta"]["version"] == bob.json["meta"]["version"],
            step,
            || format!("{} became {}", bob.json, now.json),
        )?;
        let step = "one user holds ann's userName";
        let filter = "/Users?filter=userName%20eq%20%22kit-ann%40example.com%22";
        let found = c.get(step, filter).await?;
        c.ensure(
            found.json["totalResults"] == 1 && found.json["Resources"][0]["id"] == ann.json["id"],
            step,
            || format!("want ann alone: {}", found.json),
        )?;
        let step = "bob may change the case of his own userName";
        let a = c
            .expect(
                step,
                "PUT",
                &bob_at,
                &[],
                Some(&user("KIT-BOB@example.com")),
                &[200],
            )
            .await?;
        c.ensure(a.json["userName"] == "KIT-BOB@example.com", step, || {
            a.json.to_string()
        })?;
        Ok(c.passed())
    }

    /// Versions (412, RFC 7644 §3.14): a PUT, PATCH or DELETE with a stale `If-Match` is
    /// 412 and leaves the resource as it was; with the current version it succeeds; a
    /// GET with `If-None-Match` of the current version is 304.
    pub async fn preconditions(&self) -> Result<Report, Failure> {
        let c = self.client("If-Match/412");
        let created = c
            .create("create", "/Users", &user("kit-etag@example.com"))
            .await?;
        let at = format!("/Users/{}", c.text("create", &created, "/id")?);
        let etag = |step: &str, a: &Answer| {
            a.header("etag")
                .map(str::to_owned)
                .ok_or_else(|| c.fail(step, format!("no ETag: {}", a.json)))
        };
        let stale = etag("create", &created)?;
        let step = "PATCH with the current version";
        let op = patch(json!([{"op": "replace", "path": "displayName", "value": "One"}]));
        let one = c
            .expect(
                step,
                "PATCH",
                &at,
                &[("if-match", &stale)],
                Some(&op),
                &[200],
            )
            .await?;
        let current = etag(step, &one)?;
        c.ensure(current != stale, step, || {
            format!("the version did not change: {current}")
        })?;

        let unchanged = |step: &'static str| {
            let (c, at, current) = (&c, &at, &current);
            async move {
                let now = c.get(step, at).await?;
                c.ensure(
                    now.json["displayName"] == "One"
                        && now.header("etag") == Some(current.as_str()),
                    step,
                    || format!("the resource changed: {}", now.json),
                )
            }
        };
        // The service compares a client's `If-Match` with the version it read before it
        // writes, so a store that ignores the version it is given passes every request
        // above, and loses concurrent updates in a server (duties 4 and 8). Ask it
        // directly, as the service's read-modify-write does after another writer got in.
        let step = "the store's replace refuses a stale expected version";
        let (store, ctx) = c.store(step).await?;
        let id = c.text("create", &created, "/id")?;
        let stale_version = c.text("create", &created, "/meta/version")?;
        let mut overwrite = one.json.clone();
        overwrite["displayName"] = json!("Lost");
        match store
            .replace(&ctx, "User", &id, overwrite, Some(&stale_version))
            .await
        {
            Err(ProvisionerError::Scim(e)) if e.status().as_u16() == 412 => {}
            other => {
                let got = match other {
                    Ok(_) => "it replaced the resource".to_owned(),
                    Err(e) => format!("it answered {e:?}"),
                };
                return Err(c.fail(
                    step,
                    format!(
                        "replace(\"User\", {id}, …, expected_version = {stale_version}) after \
                         the version became {current}: want precondition_failed (412), as \
                         Provisioner duty 4 asks (meta::check_version compares); {got}. A \
                         store that ignores the expected version loses concurrent updates"
                    ),
                ));
            }
        }
        unchanged("unchanged after the stale replace").await?;

        let step = "PUT with a stale If-Match";
        let mut put = user("kit-etag@example.com");
        put["displayName"] = json!("Two");
        c.expect(
            step,
            "PUT",
            &at,
            &[("if-match", &stale)],
            Some(&put),
            &[412],
        )
        .await?;
        unchanged("unchanged after the stale PUT").await?;
        let step = "PATCH with a stale If-Match";
        let op = patch(json!([{"op": "replace", "path": "displayName", "value": "Two"}]));
        c.expect(
            step,
            "PATCH",
            &at,
            &[("if-match", &stale)],
            Some(&op),
            &[412],
        )
        .await?;
        unchanged("unchanged after the stale PATCH").await?;
        let step = "DELETE with a stale If-Match";
        c.expect(step, "DELETE", &at, &[("if-match", &stale)], None, &[412])
            .await?;
        unchanged("not deleted after the stale DELETE").await?;
        let step = "GET with If-None-Match of the current version";
        c.expect(
            step,
            "GET",
            &at,
            &[("if-none-match", &current)],
            None,
            &[304],
        )
        .await?;

        let step = "PUT with the current version";
        let two = c
            .expect(
                step,
                "PUT",
                &at,
                &[("if-match", &current)],
                Some(&put),
                &[200],
            )
            .await?;
        let latest = etag(step, &two)?;
        c.ensure(
            latest != current && two.json["displayName"] == "Two",
            step,
            || format!("{latest}: {}", two.json),
        )?;
        let step = "DELETE with the current version";
        c.expect(step, "DELETE", &at, &[("if-match", &latest)], None, &[204])
            .await?;
        c.expect("deleted", "GET", &at, &[], None, &[404]).await?;
        Ok(c.passed())
    }

    /// Membership (RFC 7643 §4.1.2, §4.2): a user's read-only `groups` follows the
    /// groups' `members`; a deleted user leaves its groups (whose version changes); a
    /// deleted group leaves its members' `groups`.
    pub async fn membership(&self) -> Result<Report, Failure> {
        let c = self.client("membership");
        let ann = c
            .create("create ann", "/Users", &user("kit-ann@example.com"))
            .await?;
        let bob = c
            .create("create bob", "/Users", &user("kit-bob@example.com"))
            .await?;
        let ann_id = c.text("create ann", &ann, "/id")?;
        let bob_id = c.text("create bob", &bob, "/id")?;
        let (ann_at, bob_at) = (format!("/Users/{ann_id}"), format!("/Users/{bob_id}"));
        let sales = c
            .create("create a group", "/Groups", &group("Kit Sales", &[]))
            .await?;
        let gid = c.text("create a group", &sales, "/id")?;
        let group_at = format!("/Groups/{gid}");
        let in_group = |step: &'static str, at: String, want: bool| {
            let (c, gid) = (&c, &gid);
            async move {
                let user = c.get(step, &at).await?;
                let groups = values(&user.json, "groups");
                c.ensure(groups.contains(gid) == want, step, || {
                    let not = if want { "" } else { "not " };
                    format!("want group {gid} {not}in `groups`: {}", user.json)
                })
            }
        };

        let step = "add ann and bob to the group";
        let op = patch(json!([{"op": "add", "path": "members",
            "value": [{"value": ann_id}, {"value": bob_id}]}]));
        c.expect(step, "PATCH", &group_at, &[], Some(&op), &[200, 204])
            .await?;
        in_group("ann's groups lists the group", ann_at.clone(), true).await?;
        in_group("bob's groups lists the group", bob_at.clone(), true).await?;
        let step = "a filter on groups.value finds ann and bob";
        let filter = format!(
            "/Users?filter=groups.value%20eq%20%22{}%22",
            percent_encoding::utf8_percent_encode(&gid, percent_encoding::NON_ALPHANUMERIC)
        );
        let found = c.get(step, &filter).await?;
        c.ensure(found.json["totalResults"] == 2, step, || {
            format!("want ann and bob: {}", found.json)
        })?;
        let step = "the users a list returns carry their groups";
        let listed = found.json["Resources"].as_array().into_iter().flatten();
        for u in listed {
            c.ensure(values(u, "groups").contains(&gid), step, || {
                format!(
                    "want group {gid} in the `groups` of every user `list` returns \
                     (Provisioner duty 5): {u}"
                )
            })?;
        }

        let step = "remove ann from the group";
        let op =
            patch(json!([{"op": "remove", "path": format!("members[value eq \"{ann_id}\"]")}]));
        c.expect(step, "PATCH", &group_at, &[], Some(&op), &[200, 204])
            .await?;
        in_group(
            "ann's groups no longer lists the group",
            ann_at.clone(),
            false,
        )
        .await?;
        in_group("bob's groups still lists the group", bob_at.clone(), true).await?;

        let before = c.get("read the group", &group_at).await?;
        let step = "delete bob";
        c.expect(step, "DELETE", &bob_at, &[], None, &[204]).await?;
        let step = "deleted bob left the group";
        let after = c.get(step, &group_at).await?;
        c.ensure(
            !values(&after.json, "members").contains(&bob_id),
            step,
            || format!("bob {bob_id} is still a member: {}", after.json),
        )?;
        c.ensure(
            after.json["meta"]["version"] != before.json["meta"]["version"]
                && after.header("etag") != before.header("etag"),
            "the group's version changed when bob left",
            || {
                format!(
                    "before {}, after {}",
                    before.json["meta"], after.json["meta"]
                )
            },
        )?;

        let step = "add ann again";
        let op = patch(json!([{"op": "add", "path": "members", "value": [{"value": ann_id}]}]));
        c.expect(step, "PATCH", &group_at, &[], Some(&op), &[200, 204])
            .await?;
        in_group("ann's groups lists the group again", ann_at.clone(), true).await?;
        c.expect("delete the group", "DELETE", &group_at, &[], None, &[204])
            .await?;
        in_group("the deleted group left ann's groups", ann_at, false).await?;
        Ok(c.passed())
    }

    /// Concurrency (atomicity, RFC 7644 §3.14's last writer wins without `If-Match`):
    /// concurrent PATCHes each adding a different member to one group lose none, and of
    /// concurrent creates of one `userName` exactly one is 201, the others 409.
    ///
    /// The requests are polled together in the caller's task: they interleave wherever
    /// the store awaits (a database call, a lock), as a server's would.
    pub async fn concurrency(&self) -> Result<Report, Failure> {
        let c = self.client("concurrency");
        let n = self.concurrency;
        let crowd = c
            .create("create a group", "/Groups", &group("Kit Crowd", &[]))
            .await?;
        let group_at = format!("/Groups/{}", c.text("create a group", &crowd, "/id")?);
        let mut ids = Vec::with_capacity(n);
        for i in 0..n {
            let step = "create the users to add";
            let u = c
                .create(step, "/Users", &user(&format!("kit-{i}@example.com")))
                .await?;
            ids.push(c.text(step, &u, "/id")?);
        }
        let step = "concurrent PATCHes each add one member";
        let ops: Vec<Value> = ids
            .iter()
            .map(|id| patch(json!([{"op": "add", "path": "members", "value": [{"value": id}]}])))
            .collect();
        // A request the service gave up on after losing every retry to the others (429
        // with Retry-After, RFC 6585 §4) is sent again, as identity providers do: with
        // more writers than the service retries (`CONFLICT_RETRIES`), a correct store
        // that awaits between its read and its write sees some.
        let adds: Vec<Call<'_>> = ops
            .iter()
            .map(|op| {
                let (c, group_at) = (&c, &group_at);
                let fut = async move {
                    let mut sent = 1;
                    loop {
                        let a = c.call(step, "PATCH", group_at, &[], Some(op)).await?;
                        if a.status == 429 && sent < n {
                            sent += 1;
                            continue;
                        }
                        return c.status_in(step, "PATCH", group_at, a, &[200, 204]);
                    }
                };
                Box::pin(fut) as Call<'_>
            })
            .collect();
        for result in join_all(adds).await {
            result?;
        }
        let step = "every member was added (no update lost)";
        let now = c.get(step, &group_at).await?;
        let members = values(&now.json, "members");
        let lost: Vec<&String> = ids.iter().filter(|id| !members.contains(id)).collect();
        c.ensure(lost.is_empty(), step, || {
            format!("{} of {n} members lost: {lost:?}", lost.len())
        })?;

        let step = "concurrent creates of one userName";
        let body = user("kit-race@example.com");
        let creates: Vec<Call<'_>> = (0..n)
            .map(|_| {
                let fut = c.call(step, "POST", "/Users", &[], Some(&body));
                Box::pin(fut) as Call<'_>
            })
            .collect();
        let mut created = 0;
        for answer in join_all(creates).await {
            let answer = answer?;
            if answer.status == 201 {
                created += 1;
            } else {
                c.uniqueness(step, &answer)?;
            }
        }
        c.ensure(created == 1, step, || {
            format!("{created} of {n} creates succeeded, want exactly 1")
        })?;
        let step = "one user holds the raced userName";
        let found = c
            .get(
                step,
                "/Users?filter=userName%20eq%20%22kit-race%40example.com%22",
            )
            .await?;
        c.ensure(found.json["totalResults"] == 1, step, || {
            found.json.to_string()
        })?;
        Ok(c.passed())
    }
}
