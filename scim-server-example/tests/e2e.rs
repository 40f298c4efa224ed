//! End to end against the real binary over HTTP: Entra ID's Test Connection and a
//! provisioning session, suspend and reactivate, invitations confirmed by the watcher,
//! built-in group guards, allowed domains, authentication, and shutdown.

mod common;

use common::{eventually, patch, state, Bridge, TOKEN};
use serde_json::json;

const U: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const G: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const ENT: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

fn new_user(b: &Bridge, name: &str) -> String {
    let (status, v) = b.call(
        "POST",
        "/scim/v2/Users",
        Some(&json!({"schemas": [U, ENT], "userName": name, "active": true})),
    );
    assert_eq!(status, 201, "{v}");
    v["id"].as_str().unwrap().to_owned()
}

#[test]
fn entra_test_connection_and_provisioning_session() {
    let dir = tempfile::tempdir().unwrap();
    let b = Bridge::start(dir.path(), &[]);

    // Test Connection, under every mount point.
    for base in ["", "/scim", "/scim/v2"] {
        let (status, v) = b.call(
            "GET",
            &format!("{base}/Users?filter=userName+eq+%22c1f0e3d2-aaaa-4bbb-8ccc-0123456789ab%22"),
            None,
        );
        assert_eq!(status, 200, "{base}: {v}");
        assert_eq!(v["totalResults"], 0);
        assert_eq!(v["Resources"], json!([]));
    }

    let (status, user) = b.call(
        "POST",
        "/scim/v2/Users",
        Some(&json!({
        "schemas": [U, ENT], "externalId": "e-1", "userName": "Ann.Lee@contoso.com", "active": true,
        "displayName": "Ann Lee", "name": {"givenName": "Ann", "familyName": "Lee"},
        ENT: {"department": "Research"}, "meta": {"resourceType": "User"}})),
    );
    assert_eq!(status, 201, "{user}");
    let id = user["id"].as_str().unwrap().to_owned();
    assert_eq!(
        user["emails"],
        json!([{"value": "Ann.Lee@contoso.com", "type": "work", "primary": true}]),
        "emails derive from userName"
    );
    assert_eq!(state(&b, &id), "invited");

    let (_, found) = b.call(
        "GET",
        "/scim/v2/Users?filter=userName+eq+%22ann.lee%40CONTOSO.com%22",
        None,
    );
    assert_eq!(found["Resources"][0]["id"], id.as_str());
    let (_, found) = b.call("GET", "/scim/v2/Users?filter=externalId+eq+%22e-1%22", None);
    assert_eq!(found["totalResults"], 1);

    let (status, v) = b.call("PATCH", &format!("/scim/v2/Users/{id}"), Some(&patch(json!([
        {"op": "Replace", "value": {"name.givenName": "Annie", format!("{ENT}:department"): "Sales"}},
        {"op": "Add", "path": "emails[type eq \"work\"].value", "value": "annie@contoso.com"},
        {"op": "Add", "path": "phoneNumbers[type eq \"mobile\"].value", "value": "+1 555 0100"}
    ]))));
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["name"]["givenName"], "Annie");
    assert_eq!(v[ENT]["department"], "Sales");
    assert_eq!(v["emails"][0]["value"], "annie@contoso.com");

    // A group with Microsoft's extra schema URI; members added, re-added, removed both ways.
    let (status, g) = b.call(
        "POST",
        "/scim/v2/Groups",
        Some(&json!({
        "schemas": [G, "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
        "displayName": "Sales", "externalId": "g-1", "members": []})),
    );
    assert_eq!(status, 201, "{g}");
    let gid = g["id"].as_str().unwrap().to_owned();
    let other = new_user(&b, "bob@contoso.com");
    let gpath = format!("/scim/v2/Groups/{gid}");
    let add = patch(
        json!([{"op": "Add", "path": "members", "value": [{"value": id, "$ref": null}, {"value": other}]}]),
    );
    // Group PATCHes answer 204 with the new ETag, as Entra ID's documentation shows.
    let (status, body) = b.call("PATCH", &gpath, Some(&add));
    assert_eq!((status, body), (204, serde_json::Value::Null));
    assert_eq!(b.call("PATCH", &gpath, Some(&add)).0, 204);
    let (_, g) = b.call("GET", &gpath, None);
    assert_eq!(
        g["members"].as_array().unwrap().len(),
        2,
        "re-adding is a no-op: {g}"
    );
    let remove_by_value =
        patch(json!([{"op": "Remove", "path": "members", "value": [{"value": id}]}]));
    assert_eq!(b.call("PATCH", &gpath, Some(&remove_by_value)).0, 204);
    let (_, g) = b.call("GET", &gpath, None);
    assert_eq!(g["members"], json!([{"value": other, "type": "User"}]));
    let remove_by_filter =
        patch(json!([{"op": "remove", "path": format!("members[value eq \"{other}\"]")}]));
    assert_eq!(b.call("PATCH", &gpath, Some(&remove_by_filter)).0, 204);
    let (_, g) = b.call("GET", &gpath, None);
    assert!(g.get("members").is_none(), "{g}");
    // Asking for attributes gets the resource back.
    let (status, g) = b.call(
        "PATCH",
        &format!("{gpath}?attributes=displayName"),
        Some(&add),
    );
    assert_eq!((status, g["displayName"].as_str()), (200, Some("Sales")));
    b.call(
        "PATCH",
        &gpath,
        Some(&patch(json!([{"op": "Remove", "path": "members"}]))),
    );
    assert_eq!(
        state(&b, &other),
        "invited",
        "removing a member never suspends them"
    );
    let rename = patch(json!([{"op": "Replace", "path": "displayName", "value": "Sales EMEA"}]));
    assert_eq!(b.call("PATCH", &gpath, Some(&rename)).0, 204);
    assert_eq!(b.call("GET", &gpath, None).1["displayName"], "Sales EMEA");
    let (_, found) = b.call(
        "GET",
        "/scim/v2/Groups?excludedAttributes=members&filter=displayName+eq+%22Sales%20EMEA%22",
        None,
    );
    assert_eq!(found["totalResults"], 1);
    assert!(found["Resources"][0].get("members").is_none());

    assert_eq!(
        b.call("DELETE", &format!("/scim/v2/Users/{id}"), None).0,
        204
    );
    assert_eq!(
        b.call("DELETE", &format!("/scim/v2/Users/{id}"), None).0,
        404
    );
    assert_eq!(b.call("GET", &format!("/scim/v2/Users/{id}"), None).0, 404);
}

#[test]
fn suspend_restores_the_previous_state() {
    let dir = tempfile::tempdir().unwrap();
    let b = Bridge::start(dir.path(), &[]);
    let id = new_user(&b, "sue@example.com");
    let path = format!("/scim/v2/Users/{id}");
    let (status, v) = b.call(
        "PATCH",
        &path,
        Some(&patch(
            json!([{"op": "Replace", "path": "active", "value": "False"}]),
        )),
    );
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["active"], false);
    assert_eq!(state(&b, &id), "suspended");
    let (_, v) = b.call(
        "PATCH",
        &path,
        Some(&patch(
            json!([{"op": "Replace", "path": "active", "value": "True"}]),
        )),
    );
    assert_eq!(v["active"], true);
    assert_eq!(
        state(&b, &id),
        "invited",
        "back to the state before suspension"
    );

    // Accepted, confirmed... then suspended and restored to active.
    assert!(
        b.subcommand(&["invitations", "accept", "sue@example.com"])
            .0
    );
    assert_eq!(state(&b, &id), "pending");
    b.call(
        "PATCH",
        &path,
        Some(&patch(
            json!([{"op": "Replace", "path": "active", "value": false}]),
        )),
    );
    b.call(
        "PATCH",
        &path,
        Some(&patch(
            json!([{"op": "Replace", "path": "active", "value": true}]),
        )),
    );
    assert_eq!(state(&b, &id), "pending");
}

#[test]
fn invitations_are_confirmed_by_the_watcher() {
    let dir = tempfile::tempdir().unwrap();
    let b = Bridge::start(
        dir.path(),
        &["--confirmation-interval", "1", "--allow-short-interval"],
    );
    let id = new_user(&b, "ivy@example.com");
    assert_eq!(state(&b, &id), "invited");
    let (ok, out) = b.subcommand(&["invitations", "accept", "IVY@example.com"]);
    assert!(ok, "{out}");
    assert!(out.contains("pending"), "{out}");
    assert!(
        eventually(10, || state(&b, &id) == "active"),
        "the watcher confirms within a few intervals"
    );
    let (status, health) = b.call("GET", "/health", None);
    assert_eq!(status, 200, "{health}");
    assert_eq!(health["components"]["store"]["accounts"]["active"], 1);
    assert!(
        health["components"]["confirmationWatcher"]["totalConfirmed"]
            .as_u64()
            .unwrap()
            >= 1
    );
    let (ok, out) = b.subcommand(&["invitations", "accept", "nobody@example.com"]);
    assert!(!ok, "{out}");
}

#[test]
fn built_in_groups_and_the_last_owner_are_guarded() {
    let dir = tempfile::tempdir().unwrap();
    let b = Bridge::start(dir.path(), &[]);
    let (_, groups) = b.call("GET", "/scim/v2/Groups?attributes=displayName", None);
    let names: Vec<&str> = groups["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["displayName"].as_str().unwrap())
        .collect();
    for name in [
        "Owners",
        "Administrators",
        "Team Members",
        "Security",
        "Provision Managers",
    ] {
        assert!(names.contains(&name), "{names:?}");
    }
    let (status, v) = b.call("DELETE", "/scim/v2/Groups/owners", None);
    assert_eq!(status, 403, "{v}");
    assert!(v["detail"].as_str().unwrap().contains("built-in"));
    let (status, v) = b.call(
        "PATCH",
        "/scim/v2/Groups/security",
        Some(&patch(
            json!([{"op": "Replace", "path": "displayName", "value": "Sec"}]),
        )),
    );
    assert_eq!(
        (status, v["scimType"].as_str()),
        (400, Some("mutability")),
        "{v}"
    );

    let owner = new_user(&b, "owner@example.com");
    b.call(
        "PATCH",
        "/scim/v2/Groups/owners",
        Some(&patch(
            json!([{"op": "Add", "path": "members", "value": [{"value": owner}]}]),
        )),
    );
    let (status, v) = b.call(
        "PATCH",
        &format!("/scim/v2/Users/{owner}"),
        Some(&patch(
            json!([{"op": "Replace", "path": "active", "value": false}]),
        )),
    );
    assert_eq!(status, 403, "{v}");
    assert!(v["detail"].as_str().unwrap().contains("last Owner"), "{v}");
    assert_eq!(
        b.call("DELETE", &format!("/scim/v2/Users/{owner}"), None).0,
        403
    );
    assert_eq!(state(&b, &owner), "invited", "nothing changed");

    let second = new_user(&b, "second@example.com");
    b.call(
        "PATCH",
        "/scim/v2/Groups/owners",
        Some(&patch(
            json!([{"op": "Add", "path": "members", "value": [{"value": second}]}]),
        )),
    );
    let (status, _) = b.call(
        "PATCH",
        &format!("/scim/v2/Users/{owner}"),
        Some(&patch(
            json!([{"op": "Replace", "path": "active", "value": false}]),
        )),
    );
    assert_eq!(status, 200, "with another Owner, suspension is allowed");
    assert_eq!(
        b.call("DELETE", &format!("/scim/v2/Users/{second}"), None)
            .0,
        403,
        "now the second is the last enabled Owner"
    );

    // Team Members is implicit: everyone is in it.
    let (_, u) = b.call("GET", &format!("/scim/v2/Users/{second}"), None);
    assert!(u["groups"]
        .as_array()
        .unwrap()
        .iter()
        .any(|g| g["value"] == "team-members"));
}

#[test]
fn user_names_outside_the_allowed_domains_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let b = Bridge::start(
        dir.path(),
        &["--allowed-domains", "contoso.com,fabrikam.com"],
    );
    let (status, v) = b.call(
        "POST",
        "/scim/v2/Users",
        Some(&json!({"userName": "eve@evil.example"})),
    );
    assert_eq!(
        (status, v["scimType"].as_str()),
        (400, Some("invalidValue")),
        "{v}"
    );
    assert!(v["detail"].as_str().unwrap().contains("contoso.com"));
    assert_eq!(
        b.call(
            "POST",
            "/scim/v2/Users",
            Some(&json!({"userName": "plain-name"}))
        )
        .0,
        400
    );
    let id = new_user(&b, "ann@Fabrikam.com");
    let (status, _) = b.call(
        "PATCH",
        &format!("/scim/v2/Users/{id}"),
        Some(&patch(
            json!([{"op": "Replace", "path": "userName", "value": "ann@gmail.com"}]),
        )),
    );
    assert_eq!(status, 400);
}

#[test]
fn authentication_is_required_everywhere_but_ping() {
    let dir = tempfile::tempdir().unwrap();
    let b = Bridge::start(dir.path(), &[]);
    let long = format!("Bearer {}", "x".repeat(10_000));
    let wrong = format!("Bearer {TOKEN}x");
    let basic = format!("Basic {TOKEN}");
    let cases: Vec<Vec<(&str, &str)>> = vec![
        vec![],
        vec![("Authorization", basic.as_str())],
        vec![("Authorization", wrong.as_str())],
        vec![("Authorization", "Bearer ")],
        vec![("Authorization", "Bearer")],
        vec![("Authorization", long.as_str())],
    ];
    for headers in &cases {
        for path in [
            "/scim/v2/Users",
            "/Users",
            "/scim/v2/ServiceProviderConfig",
            "/health",
        ] {
            let (status, challenge, body) = b.raw("GET", path, None, headers);
            assert_eq!(status, 401, "{path} {headers:?}: {body}");
            assert!(
                challenge.unwrap_or_default().starts_with("Bearer"),
                "{path}"
            );
            assert_eq!(body["status"], "401");
            assert!(
                !body.to_string().contains(TOKEN),
                "the token is never echoed"
            );
        }
    }
    let (status, _, _) = b.raw(
        "GET",
        &format!("/scim/v2/Users?access_token={TOKEN}"),
        None,
        &[],
    );
    assert_eq!(status, 401, "a token in the query string is not accepted");
    let (status, _, body) = b.raw(
        "POST",
        "/scim/v2/Users",
        Some(&json!({"userName": "x@y.z"})),
        &[],
    );
    assert_eq!(status, 401);
    assert_eq!(body["status"], "401");
    assert_eq!(
        b.call(
            "GET",
            "/scim/v2/Users?filter=userName+eq+%22x%40y.z%22",
            None
        )
        .1["totalResults"],
        0,
        "the refused create stored nothing"
    );

    let (status, _, body) = b.raw("GET", "/ping", None, &[]);
    assert_eq!(
        (status, body),
        (200, serde_json::Value::String("pong".into()))
    );
    assert_eq!(b.call("GET", "/health", None).0, 200);
}

#[test]
fn sigterm_shuts_down_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = Bridge::start(dir.path(), &[]);
    new_user(&b, "t@example.com");
    let pid = b.child.id().to_string();
    assert!(std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let status = b.child.wait().unwrap();
    assert!(status.success(), "{status:?}");
}

#[test]
fn first_start_prints_a_token_and_rotation_takes_effect_while_running() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(common::binary())
        .args(["--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .env_remove("SCIM_BRIDGE_TOKEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap())
        .lines()
        .map_while(Result::ok);
    let (mut token, mut url, mut tenant) = (None, None, None);
    for line in lines.by_ref() {
        if let Some(t) = line.trim().strip_prefix("Secret Token: ") {
            token = Some(t.to_owned());
        }
        if let Some(t) = line.trim().strip_prefix("Tenant URL:") {
            tenant = Some(t.trim().to_owned());
        }
        if let Some(u) = line.strip_prefix("scim-bridge listening on ") {
            url = Some(u.to_owned());
            break;
        }
    }
    let (old, url, tenant) = (token.unwrap(), url.unwrap(), tenant.unwrap());
    assert!(old.len() >= 43, "256 bits");
    assert_eq!(tenant, format!("{url}/scim/v2"));
    let stored = std::fs::read_to_string(dir.path().join("token.json")).unwrap();
    assert!(!stored.contains(&old), "only a hash is stored");
    let status = |token: &str| match ureq::get(&format!("{url}/scim/v2/Users"))
        .set("Authorization", &format!("Bearer {token}"))
        .call()
    {
        Ok(r) => r.status(),
        Err(ureq::Error::Status(s, _)) => s,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(status(&old), 200);

    let out = Command::new(common::binary())
        .arg("--data-dir")
        .arg(dir.path())
        .args(["token", "rotate"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let new = text
        .lines()
        .map(str::trim)
        .find(|l| l.len() >= 43 && !l.contains(' '))
        .unwrap()
        .to_owned();
    assert_ne!(new, old);
    assert!(
        eventually(5, || status(&new) == 200),
        "the running bridge takes the new token"
    );
    assert_eq!(status(&old), 401, "and refuses the old one");
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn unfiltered_lists_page_in_creation_order() {
    let dir = tempfile::tempdir().unwrap();
    let b = Bridge::start(dir.path(), &[]);
    for i in 0..5 {
        new_user(&b, &format!("p{i}@example.com"));
    }
    let (_, page) = b.call("GET", "/scim/v2/Users?startIndex=2&count=2", None);
    assert_eq!(
        (
            page["totalResults"].as_u64(),
            page["itemsPerPage"].as_u64(),
            page["startIndex"].as_u64()
        ),
        (Some(5), Some(2), Some(2))
    );
    let names: Vec<&str> = page["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["userName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["p1@example.com", "p2@example.com"]);
    let (_, tail) = b.call("GET", "/scim/v2/Users?startIndex=5&count=10", None);
    assert_eq!(tail["Resources"].as_array().unwrap().len(), 1);
    let (_, sorted) = b.call(
        "GET",
        "/scim/v2/Users?sortBy=userName&sortOrder=descending&count=1",
        None,
    );
    assert_eq!(sorted["Resources"][0]["userName"], "p4@example.com");
}
