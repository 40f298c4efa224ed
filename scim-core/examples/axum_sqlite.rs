//! Adding SCIM to an existing axum service that keeps its users in its own SQL table:
//! the whole program `docs/embedding.md` walks through (CI compiles it and runs its
//! tests with `cargo test --all-features`).
//!
//! ```sh
//! cargo run -p scim2-core --features tower --example axum_sqlite   # 127.0.0.1:8080, token "s3cret"
//! curl -s -H 'authorization: Bearer s3cret' localhost:8080/scim/v2/Users
//! ```
//!
//! 1. A [`Provisioner`] over one SQLite table: the SCIM document as JSON, `userName` in
//!    an indexed column with a unique index (409), versions checked inside a transaction
//!    (412), group membership kept with the crate's helpers.
//! 2. A schema extension with a string and an integer attribute, registered in a
//!    [`SchemaRegistry`]; clients set them and filter on them.
//! 3. Bearer-token authentication through [`Authenticator`].
//! 4. Lists pushed into SQL: `userName eq …` from an index, any other filter translated
//!    by [`scim2_core::sql`], paging with `LIMIT`/`OFFSET`; a sort, or a filter SQL
//!    cannot answer exactly, finishes in memory with [`ListQuery::page`].
//! 5. Mounting: `nest_service("/scim/v2", scim)` beside the host's own routes, with the
//!    mount path declared so that locations keep the prefix.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use axum::routing::get;
use rusqlite::types::Value as SqlValue;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension};
use scim2_core::meta::check_version;
use scim2_core::provisioner::{
    groups_of, member_ids, not_found, remove_member, set_groups, ListPage, ListQuery, Principal,
    Provisioner, ProvisionerError, RequestContext,
};
use scim2_core::schema::{AttributeDef, Schema, SchemaRegistry};
use scim2_core::service::{AuthError, Authenticator, ScimService, ServiceConfig};
use scim2_core::sql::{translate, SqlDialect, SqlParam, SqlTarget};
use scim2_core::ScimError;
use serde_json::Value;

/// The extension's schema URN: clients send `{"urn:…:acme:2.0:User": {"badge": …}}`.
const ACME_USER: &str = "urn:example:params:scim:schemas:extension:acme:2.0:User";

// ---- 1. The store: one table, the document as JSON, the unique name indexed ---------

/// The table the host already has, grown by a JSON column. `name` holds a User's
/// `userName` and a Group's `displayName`, which identity providers match on and expect
/// unique; it is `NOCASE` so the unique index refuses `ANN` beside `ann` (SCIM compares
/// `userName` case-insensitively, RFC 7643 §4.1.1; SQLite's `NOCASE` folds ASCII only).
const SCHEMA_SQL: &str = "
    CREATE TABLE IF NOT EXISTS scim_resources (
        resource_type TEXT NOT NULL,
        id            TEXT NOT NULL,
        name          TEXT COLLATE NOCASE,
        doc           TEXT NOT NULL,
        PRIMARY KEY (resource_type, id)
    );
    CREATE UNIQUE INDEX IF NOT EXISTS scim_name
        ON scim_resources (resource_type, name) WHERE name IS NOT NULL;";

/// The unique name of a resource: `userName` of a User, `displayName` of a Group.
fn unique_name(r: &Value) -> Option<&str> {
    r["userName"].as_str().or_else(|| r["displayName"].as_str())
}

/// A [`Provisioner`] over SQLite. One connection behind a mutex keeps the example short
/// and makes every check-then-write atomic; a server under load would use a pool and
/// `spawn_blocking`, with the same SQL.
struct SqlStore {
    db: Mutex<Connection>,
    /// The schemas filters are translated with.
    registry: SchemaRegistry,
}

/// A store failure the client sees as a bare 500 (the service logs it).
fn internal(e: rusqlite::Error) -> ProvisionerError {
    ProvisionerError::internal(e)
}

/// A write's error: the unique index's refusal is 409 `uniqueness`, anything else 500.
fn write_error(e: rusqlite::Error) -> ProvisionerError {
    match &e {
        rusqlite::Error::SqliteFailure(f, _)
            if f.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            ScimError::uniqueness("the userName (or group displayName) is already taken").into()
        }
        _ => internal(e),
    }
}

fn parse(doc: &str) -> Result<Value, ProvisionerError> {
    serde_json::from_str(doc).map_err(ProvisionerError::internal)
}

impl SqlStore {
    fn open(conn: Connection) -> rusqlite::Result<Self> {
        conn.execute_batch(SCHEMA_SQL)?;
        Ok(SqlStore {
            db: Mutex::new(conn),
            registry: registry(),
        })
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, Connection>, ProvisionerError> {
        self.db
            .lock()
            .map_err(|_| ProvisionerError::internal("the database lock is poisoned"))
    }

    fn current(db: &Connection, rt: &str, id: &str) -> Result<Value, ProvisionerError> {
        let doc: Option<String> = db
            .query_row(
                "SELECT doc FROM scim_resources WHERE resource_type = ?1 AND id = ?2",
                params![rt, id],
                |row| row.get(0),
            )
            .optional()
            .map_err(internal)?;
        parse(&doc.ok_or_else(|| not_found(rt, id))?)
    }

    fn groups(db: &Connection) -> Result<Vec<Value>, ProvisionerError> {
        let mut stmt = db
            .prepare("SELECT doc FROM scim_resources WHERE resource_type = 'Group'")
            .map_err(internal)?;
        let docs = stmt
            .query_map([], |row| row.get::<_, String>(0))
            .map_err(internal)?;
        docs.map(|d| parse(&d.map_err(internal)?)).collect()
    }

    /// A resource as returned: a User's read-only `groups` follows the groups that list
    /// it (RFC 7643 §4.1.2). A store with a membership table would join it instead.
    fn returned(db: &Connection, rt: &str, r: Value) -> Result<Value, ProvisionerError> {
        Ok(Self::returned_all(db, rt, vec![r])?.remove(0))
    }

    /// [`returned`](Self::returned) for many resources, reading the groups once.
    fn returned_all(
        db: &Connection,
        rt: &str,
        mut rs: Vec<Value>,
    ) -> Result<Vec<Value>, ProvisionerError> {
        if rt == "User" {
            let groups = Self::groups(db)?;
            for r in &mut rs {
                let refs = groups_of(r["id"].as_str().unwrap_or_default(), &groups);
                set_groups(r, refs);
            }
        }
        Ok(rs)
    }

    /// The rows of `rt` matching `condition` (SQL over `doc`/`name`, its placeholders
    /// `?2`… bound to `args`), one page of them when `page` is given as (offset, limit),
    /// with the count.
    fn select(
        db: &Connection,
        rt: &str,
        condition: &str,
        args: &[SqlParam],
        page: Option<(u64, u64)>,
    ) -> Result<(u64, Vec<Value>), ProvisionerError> {
        let mut values = vec![SqlValue::Text(rt.to_owned())];
        for arg in args {
            values.push(match arg {
                SqlParam::Text(s) => SqlValue::Text(s.clone()),
                SqlParam::Integer(i) => SqlValue::Integer(*i),
                SqlParam::Real(f) => SqlValue::Real(*f),
                other => return Err(ProvisionerError::internal(format!("{other:?}"))),
            });
        }
        let total: i64 = db
            .query_row(
                &format!(
                    "SELECT COUNT(*) FROM scim_resources WHERE resource_type = ?1 AND {condition}"
                ),
                params_from_iter(&values),
                |row| row.get(0),
            )
            .map_err(internal)?;
        let (offset, limit) = page.unwrap_or((0, u64::MAX >> 1));
        let n = values.len() + 1;
        let sql = format!(
            "SELECT doc FROM scim_resources WHERE resource_type = ?1 AND {condition}
             ORDER BY rowid LIMIT ?{n} OFFSET ?{}",
            n + 1
        );
        values.push(SqlValue::Integer(i64::try_from(limit).unwrap_or(i64::MAX)));
        values.push(SqlValue::Integer(i64::try_from(offset).unwrap_or(i64::MAX)));
        let mut stmt = db.prepare(&sql).map_err(internal)?;
        let docs = stmt
            .query_map(params_from_iter(&values), |row| row.get::<_, String>(0))
            .map_err(internal)?;
        let rows = docs
            .map(|d| parse(&d.map_err(internal)?))
            .collect::<Result<_, _>>()?;
        let rows = Self::returned_all(db, rt, rows)?;
        Ok((u64::try_from(total).unwrap_or(0), rows))
    }
}

#[async_trait]
impl Provisioner for SqlStore {
    async fn create(
        &self,
        _: &RequestContext,
        rt: &str,
        r: Value,
    ) -> Result<Value, ProvisionerError> {
        let db = self.lock()?;
        db.execute(
            "INSERT INTO scim_resources (resource_type, id, name, doc) VALUES (?1, ?2, ?3, ?4)",
            params![rt, r["id"].as_str(), unique_name(&r), r.to_string()],
        )
        .map_err(write_error)?; // 409 from the unique index
        Self::returned(&db, rt, r)
    }

    async fn get(&self, _: &RequestContext, rt: &str, id: &str) -> Result<Value, ProvisionerError> {
        let db = self.lock()?;
        let r = Self::current(&db, rt, id)?;
        Self::returned(&db, rt, r)
    }

    async fn replace(
        &self,
        _: &RequestContext,
        rt: &str,
        id: &str,
        r: Value,
        expected: Option<&str>,
    ) -> Result<Value, ProvisionerError> {
        let mut db = self.lock()?;
        let tx = db.transaction().map_err(internal)?;
        check_version(&Self::current(&tx, rt, id)?, expected)?; // 412 for a stale version
        tx.execute(
            "UPDATE scim_resources SET name = ?3, doc = ?4 WHERE resource_type = ?1 AND id = ?2",
            params![rt, id, unique_name(&r), r.to_string()],
        )
        .map_err(write_error)?; // 409: PUT and PATCH (through replace) rename too
        tx.commit().map_err(internal)?;
        Self::returned(&db, rt, r)
    }

    async fn delete(
        &self,
        _: &RequestContext,
        rt: &str,
        id: &str,
        expected: Option<&str>,
    ) -> Result<(), ProvisionerError> {
        let mut db = self.lock()?;
        let tx = db.transaction().map_err(internal)?;
        check_version(&Self::current(&tx, rt, id)?, expected)?; // 412 for a stale If-Match
        tx.execute(
            "DELETE FROM scim_resources WHERE resource_type = ?1 AND id = ?2",
            params![rt, id],
        )
        .map_err(internal)?;
        // The deleted resource leaves every group that listed it, in the same transaction.
        for mut group in Self::groups(&tx)? {
            // `member_ids` looks without copying; `remove_member` also updates `meta`.
            if member_ids(&group).any(|m| m == id) && remove_member(&mut group, id) {
                tx.execute(
                    "UPDATE scim_resources SET doc = ?2 WHERE resource_type = 'Group' AND id = ?1",
                    params![group["id"].as_str(), group.to_string()],
                )
                .map_err(internal)?;
            }
        }
        tx.commit().map_err(internal)
    }

    async fn list(
        &self,
        _: &RequestContext,
        rt: &str,
        q: &ListQuery,
    ) -> Result<ListPage, ProvisionerError> {
        let db = self.lock()?;
        // `startIndex` is 1-based; `count` is already capped at the service's page size.
        let page = Some((q.start_index.saturating_sub(1), q.count));
        let unique = if rt == "User" {
            "userName"
        } else {
            "displayName"
        };
        // What identity providers send on every cycle: answered from the index.
        if let Some(l) = q.equality_lookup().filter(|l| l.is_core(unique)) {
            let name = [SqlParam::Text(l.value.to_owned())];
            let (total, rows) = Self::select(&db, rt, "name = ?2", &name, page)?;
            return Ok(ListPage::new(total, rows));
        }
        // Any other filter, translated to SQL over `doc` with its values bound from ?2.
        // A User's `groups` is computed when read, not stored: left to the filter below.
        let predicate = match &q.filter {
            Some(filter) => {
                let schema = self
                    .registry
                    .resource_schema(rt)
                    .ok_or_else(|| ProvisionerError::internal(format!("no schema for {rt}")))?;
                let target = SqlTarget::new(SqlDialect::Sqlite, "doc")
                    .with_first_param(2)
                    .with_computed(["groups"]);
                Some(translate(filter, &schema, &target)?)
            }
            None => None,
        };
        let (condition, args, exact) = match &predicate {
            Some(p) => (p.sql.as_str(), p.params.as_slice(), p.exact),
            None => ("TRUE", &[][..], true),
        };
        // Exact and unsorted: SQL counts and cuts the page.
        if exact && q.sort_by.is_none() {
            let (total, rows) = Self::select(&db, rt, condition, args, page)?;
            return Ok(ListPage::new(total, rows));
        }
        // Otherwise SQL narrows the rows, and `page` filters (with the compiled filter),
        // sorts and pages them in memory.
        let (_, rows) = Self::select(&db, rt, condition, args, None)?;
        Ok(q.page(rows)?)
    }
}

// ---- 2. The schema extension ---------------------------------------------------------

/// The standard schemas plus the Acme extension of User: `badge` (a string compared
/// case-sensitively) and `level` (an integer), both optional and writable.
fn registry() -> SchemaRegistry {
    let mut registry = SchemaRegistry::standard();
    let acme = Schema::new(
        ACME_USER,
        "AcmeUser",
        "Acme's own user data",
        vec![
            AttributeDef::string("badge").case_exact(),
            AttributeDef::integer("level"),
        ],
    );
    registry
        .add_extension("User", acme, false)
        .expect("the standard registry has a User resource type");
    registry
}

// ---- 3. Bearer authentication --------------------------------------------------------

/// Accepts requests carrying `Authorization: Bearer <token>`.
struct BearerToken(String);

#[async_trait]
impl Authenticator for BearerToken {
    async fn authenticate(
        &self,
        req: &http::request::Parts,
    ) -> Result<Option<Principal>, AuthError> {
        let given = req
            .headers
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(|| AuthError::bearer("a bearer token is required"))?;
        // Compare without stopping at the first difference, so the time taken does not
        // tell how much of a guess was right (a real service keeps a hash of the token).
        let (a, b) = (given.as_bytes(), self.0.as_bytes());
        let diff = a
            .iter()
            .zip(b)
            .fold(a.len() ^ b.len(), |d, (x, y)| d | usize::from(x ^ y));
        if diff != 0 {
            return Err(AuthError::bearer("the bearer token is not valid"));
        }
        Ok(Some(Principal::new("identity-provider")))
    }
}

// ---- 5. Mounting ---------------------------------------------------------------------

/// The host's application: its own routes, and SCIM under `/scim/v2`.
fn app(store: SqlStore, token: &str) -> axum::Router {
    let scim = ScimService::new(Arc::new(store))
        .with_registry(registry())
        .with_authenticator(Arc::new(BearerToken(token.to_owned())))
        .with_config(
            ServiceConfig::default()
                // `nest_service` strips the prefix; the service puts it back in locations.
                .with_mount_path("/scim/v2")
                // Only /scim/v2 is SCIM; every other path is the host's.
                .with_serve_root(false),
        );
    axum::Router::new()
        .route("/health", get(|| async { "ok" }))
        .nest_service("/scim/v2", scim)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8080".to_owned());
    let token = std::env::var("SCIM_TOKEN").unwrap_or_else(|_| "s3cret".to_owned());
    let store = SqlStore::open(Connection::open("scim.sqlite3")?)?;
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("SCIM service on http://{addr}/scim/v2");
    axum::serve(listener, app(store, &token)).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::{Request, StatusCode};
    use http_body_util::BodyExt;
    use serde_json::json;
    use tower::ServiceExt;

    const TOKEN: &str = "test-token";

    fn service() -> axum::Router {
        app(
            SqlStore::open(Connection::open_in_memory().unwrap()).unwrap(),
            TOKEN,
        )
    }

    /// Sends one request (with the token unless `anonymous`) and reads the answer.
    async fn send(
        app: &axum::Router,
        method: &str,
        path: &str,
        if_match: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, http::HeaderMap, Value) {
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header("host", "app.example.com")
            .header("authorization", format!("Bearer {TOKEN}"))
            .header("content-type", "application/scim+json");
        if let Some(etag) = if_match {
            req = req.header("if-match", etag);
        }
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let resp = app
            .clone()
            .oneshot(req.body(axum::body::Body::from(body)).unwrap())
            .await
            .unwrap();
        let (parts, body) = resp.into_parts();
        let bytes = body.collect().await.unwrap().to_bytes();
        let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (parts.status, parts.headers, json)
    }

    fn user(name: &str, badge: &str, level: i64) -> Value {
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ACME_USER],
            "userName": name,
            ACME_USER: {"badge": badge, "level": level}
        })
    }

    fn filter(expr: &str) -> String {
        let q: String = form_urlencoded::byte_serialize(expr.as_bytes()).collect();
        format!("/scim/v2/Users?filter={q}")
    }

    #[tokio::test]
    async fn users_with_the_extension_are_created_filtered_and_guarded() {
        let app = service();

        // No token: 401 with a Bearer challenge.
        let anonymous = Request::get("/scim/v2/Users")
            .body(axum::body::Body::empty())
            .unwrap();
        let resp = app.clone().oneshot(anonymous).await.unwrap();
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
        assert!(resp.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer"));

        // Create: 201, the location keeps the /scim/v2 prefix, the extension is stored.
        let (status, headers, ann) = send(
            &app,
            "POST",
            "/scim/v2/Users",
            None,
            Some(user("ann", "B-7", 3)),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{ann}");
        let ann_id = ann["id"].as_str().unwrap().to_owned();
        let location = format!("http://app.example.com/scim/v2/Users/{ann_id}");
        assert_eq!(headers["location"], location.as_str());
        assert_eq!(ann[ACME_USER]["badge"], "B-7");
        assert_eq!(ann[ACME_USER]["level"], 3);
        let (status, _, bob) = send(
            &app,
            "POST",
            "/scim/v2/Users",
            None,
            Some(user("bob", "B-8", 1)),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{bob}");

        // Filter on each extension attribute (in SQL) and on userName from the index,
        // case-insensitively.
        let (_, _, found) = send(
            &app,
            "GET",
            &filter(&format!("{ACME_USER}:badge eq \"B-7\"")),
            None,
            None,
        )
        .await;
        assert_eq!(found["totalResults"], 1, "{found}");
        assert_eq!(found["Resources"][0]["id"], ann_id.as_str());
        let (_, _, found) = send(
            &app,
            "GET",
            &filter(&format!("{ACME_USER}:badge eq \"b-7\"")),
            None,
            None,
        )
        .await;
        assert_eq!(found["totalResults"], 0, "badge is caseExact: {found}");
        let (_, _, found) = send(
            &app,
            "GET",
            &filter(&format!("{ACME_USER}:level gt 2")),
            None,
            None,
        )
        .await;
        assert_eq!(found["totalResults"], 1, "{found}");
        assert_eq!(found["Resources"][0]["userName"], "ann");
        let (_, _, found) = send(&app, "GET", &filter("userName eq \"ANN\""), None, None).await;
        assert_eq!(found["totalResults"], 1, "{found}");
        assert_eq!(found["Resources"][0]["meta"]["location"], location.as_str());

        // Paging in SQL: the second of two users, one per page.
        let (_, _, page) = send(
            &app,
            "GET",
            "/scim/v2/Users?startIndex=2&count=1",
            None,
            None,
        )
        .await;
        assert_eq!(page["totalResults"], 2, "{page}");
        assert_eq!(page["itemsPerPage"], 1);
        assert_eq!(page["Resources"][0]["userName"], "bob");

        // 409: the name is taken, in any case, by POST and by PATCH alike.
        let (status, _, err) = send(
            &app,
            "POST",
            "/scim/v2/Users",
            None,
            Some(user("ANN", "B-9", 0)),
        )
        .await;
        assert_eq!(status, StatusCode::CONFLICT, "{err}");
        assert_eq!(err["scimType"], "uniqueness");
        let rename = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": "userName", "value": "Ann"}]});
        let bob_path = format!("/scim/v2/Users/{}", bob["id"].as_str().unwrap());
        let (status, _, _) = send(&app, "PATCH", &bob_path, None, Some(rename)).await;
        assert_eq!(status, StatusCode::CONFLICT);

        // 412: ann changes after her ETag was read; a PUT and a DELETE with it fail.
        let ann_path = format!("/scim/v2/Users/{ann_id}");
        let (_, headers, _) = send(&app, "GET", &ann_path, None, None).await;
        let stale = headers["etag"].to_str().unwrap().to_owned();
        let (status, _, _) = send(&app, "PUT", &ann_path, None, Some(user("ann", "B-7", 4))).await;
        assert_eq!(status, StatusCode::OK);
        let (status, _, _) = send(
            &app,
            "PUT",
            &ann_path,
            Some(&stale),
            Some(user("ann", "B-7", 5)),
        )
        .await;
        assert_eq!(status, StatusCode::PRECONDITION_FAILED);
        let (status, _, _) = send(&app, "DELETE", &ann_path, Some(&stale), None).await;
        assert_eq!(status, StatusCode::PRECONDITION_FAILED);
        let (_, _, now) = send(&app, "GET", &ann_path, None, None).await;
        assert_eq!(
            now[ACME_USER]["level"], 4,
            "a stale write went through: {now}"
        );

        // Membership: ann's groups follow the group; deleted, she leaves it.
        let group = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": "Sales", "members": [{"value": ann_id}]});
        let (status, _, sales) = send(&app, "POST", "/scim/v2/Groups", None, Some(group)).await;
        assert_eq!(status, StatusCode::CREATED, "{sales}");
        let (_, _, now) = send(&app, "GET", &ann_path, None, None).await;
        assert_eq!(now["groups"][0]["value"], sales["id"]);
        // A filter on `groups` (computed when read, not stored) is left to the compiled
        // filter, beside one SQL answers.
        let (_, _, found) = send(
            &app,
            "GET",
            &filter(&format!(
                "groups.value eq {} and userName sw \"a\"",
                sales["id"]
            )),
            None,
            None,
        )
        .await;
        assert_eq!(found["totalResults"], 1, "{found}");
        assert_eq!(found["Resources"][0]["id"], ann_id.as_str());
        let (status, _, _) = send(&app, "DELETE", &ann_path, None, None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let sales_path = format!("/scim/v2/Groups/{}", sales["id"].as_str().unwrap());
        let (_, _, sales) = send(&app, "GET", &sales_path, None, None).await;
        assert!(sales.get("members").is_none(), "{sales}");
    }

    #[tokio::test]
    async fn the_hosts_routes_stay_the_hosts() {
        let app = service();
        let (status, _, _) = send(&app, "GET", "/health", None, None).await;
        assert_eq!(status, StatusCode::OK);
        // SCIM answers under /scim/v2 only: a root POST /Users is not SCIM's.
        let (status, _, body) =
            send(&app, "POST", "/Users", None, Some(user("eve", "B-1", 1))).await;
        assert_eq!((status, body), (StatusCode::NOT_FOUND, Value::Null));
        let (_, _, list) = send(&app, "GET", "/scim/v2/Users", None, None).await;
        assert_eq!(list["totalResults"], 0);
    }

    /// The test kit (feature `testkit`): the recorded Entra ID, Okta, OneLogin and
    /// JumpCloud sessions and the store-duty checks (uniqueness, `If-Match`, membership,
    /// concurrent writes), each against a fresh in-memory database.
    ///
    /// The `cfg` names scim2-core's own feature, for this example inside the crate. In
    /// your crate, drop it: there it would name a feature of yours, and the test would
    /// silently not run. Your dev-dependency on scim2-core with `testkit` is enough.
    #[cfg(feature = "testkit")]
    #[tokio::test]
    async fn the_store_passes_the_test_kit() {
        let kit = scim2_core::testkit::TestKit::new(|| {
            let db = Connection::open_in_memory().expect("an in-memory database");
            Arc::new(SqlStore::open(db).expect("the schema")) as Arc<dyn Provisioner>
        })
        .with_registry(registry());
        let report = kit
            .run()
            .await
            .unwrap_or_else(|failure| panic!("{failure}"));
        println!("{report}");
    }
}
