//! Every filter answered by the store (RFC 7644 §3.4.2.2, §3.4.2.3, §3.4.2.4): on SQLite
//! and on PostgreSQL, the bridge translates filters to SQL, counts and pages in the
//! database, and evaluates in Rust only what SQL cannot say (the attributes it computes
//! when it reads: `groups`, `active`, `members`). Whatever path a filter takes, its
//! answer must be the in-memory evaluator's over the same resources: the same matches,
//! in creation order, with the right `totalResults`, paged and sorted as asked.

mod common;

use std::path::Path;

use scim2_core::filter::{parse_filter, CompiledFilter};
use serde_json::{json, Value};

use common::Bridge;

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

/// The benches' filter fixtures: the RFC 7644 Figure 2 examples and what Entra ID and
/// Okta send.
const FIXTURES: &str = include_str!("../../benches/fixtures/filters.json");

/// Users of every shape the filters read: case and non-ASCII in names, attributes
/// absent, null-like or empty, several emails, extension attributes, suspended ones.
fn users() -> Vec<Value> {
    let families = ["O'Malley", "Jensen", "omalley", "Željko", "", "Smith"];
    let types = ["Employee", "Intern", "Contractor"];
    (0..36)
        .map(|i| {
            let mut u = json!({
                "schemas": [USER],
                "userName": match i {
                    0 => "bjensen".to_owned(),
                    1 => "5f0a5d0c-3e1b-4d53-9a77-6a1b8a2c9e41".to_owned(),
                    2 => "Jane@Example.com".to_owned(),
                    3 => "KELVIN\u{212a}@example.com".to_owned(),
                    _ if i % 4 == 0 => format!("J{i}@example.org"),
                    _ => format!("user{i}@example.com"),
                },
                "externalId": if i == 5 { "00u1a2b3c4d5e6f7g8h9".to_owned() } else { format!("ext-{}", i % 7) },
                "name": {"familyName": families[i % families.len()], "givenName": "G"},
                "userType": types[i % types.len()],
                "emails": [
                    {"type": "work", "value": if i == 0 { "bjensen@example.com".to_owned() } else { format!("w{i}@example.com") }, "primary": true},
                    {"type": if i % 2 == 0 { "home" } else { "other" }, "value": match i {
                        7 => "ÜNÏ7@example.com".to_owned(),
                        8 => "K\u{212a}8@example.com".to_owned(),
                        _ => format!("h{i}@example.org"),
                    }}
                ],
            });
            if i % 3 != 0 {
                u["title"] = json!(if i % 5 == 0 { "" } else { "Engineer" });
            }
            if i % 6 == 1 {
                u["ims"] = json!([{"type": "xmpp", "value": format!("im{i}@foo.com")}]);
            }
            if i % 4 == 2 {
                u["schemas"] = json!([USER, ENTERPRISE]);
                u[ENTERPRISE] = json!({"employeeNumber": if i == 2 { "701984".to_owned() } else { format!("{i}") }});
            }
            if i % 5 == 3 {
                u["active"] = json!(i % 2 == 0);
            }
            u
        })
        .collect()
}

/// Filters beyond the fixtures: the operators, `not`, precedence, case, and the
/// attributes the bridge computes (left to the evaluator).
fn more_filters(group_id: &str, user_id: &str) -> Vec<String> {
    [
        r#"userName sw "j""#,
        r#"userName gt "m""#,
        r#"userName le "j8@example.org""#,
        r#"USERNAME eq "BJENSEN""#,
        r#"userName eq "kelvinK@example.com""#,
        r#"userName eq "bjensen" or userName eq "user7@example.com""#,
        r#"userName ew ".org" and not (title pr)"#,
        r#"name.familyName co "malley""#,
        r#"name.familyName eq "željko""#,
        r#"externalId eq "ext-3" and title pr"#,
        r#"externalId eq "EXT-3""#,
        r#"id eq "nobody""#,
        r#"title eq """#,
        r#"emails[type eq "home" and value ew ".org"]"#,
        r#"emails.value sw "W1""#,
        r#"meta.lastModified gt "2000-01-01T00:00:00+01:00""#,
        r#"meta.created lt "2000-01-01T00:00:00Z""#,
        r#"active eq false"#,
        r#"active eq true or userType eq "Intern""#,
        r#"not (active eq false) and title pr"#,
        r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber gt "3""#,
        r#"emails.value eq "W1@EXAMPLE.COM""#,
        r#"emails.value eq "ünï7@example.com" or emails.value eq "kK8@example.com""#,
        r#"emails[value eq "h3@example.org"]"#,
        r#"emails[type eq "home" and value eq "h4@example.org"]"#,
        r#"emails[type eq "other"].value eq "h5@example.org""#,
        r#"emails.value eq "bjensen@example.com" and not (userName eq "x")"#,
        r#"emails.value ne "w2@example.com""#,
    ]
    .into_iter()
    .map(str::to_owned)
    .chain([
        format!(r#"groups.value eq "{group_id}""#),
        format!(r#"groups[value eq "{group_id}"] and userName sw "u""#),
        format!(r#"id eq "{user_id}" or groups.display eq "Sales Team""#),
    ])
    .collect()
}

/// `GET path`, which must answer 200.
fn get(b: &Bridge, path: &str) -> Value {
    let (status, v) = b.call("GET", path, None);
    assert_eq!(status, 200, "GET {path}: {v}");
    v
}

/// `filter` as a query parameter.
fn encoded(filter: &str) -> String {
    filter
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The `key` of each resource of a list response.
fn keys(v: &Value, key: &str) -> Vec<String> {
    v["Resources"]
        .as_array()
        .unwrap_or_else(|| panic!("no Resources: {v}"))
        .iter()
        .map(|r| r[key].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// Checks every filter on `rt` against the evaluator over `all` (every resource, in
/// creation order, as the bridge serves them): whole answer, a page, and sorted by the
/// unique attribute.
fn check(b: &Bridge, rt: &str, unique: &str, all: &[Value], filters: &[String]) {
    let registry = scim_server_example::onepassword::registry();
    let schema = registry.resource_schema(rt).unwrap();
    for filter in filters {
        let parsed = parse_filter(filter).unwrap();
        let compiled = CompiledFilter::new(&parsed, &schema).unwrap();
        let expected: Vec<&Value> = all
            .iter()
            .filter(|r| compiled.matches(r).unwrap())
            .collect();
        let ids: Vec<String> = expected
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_owned())
            .collect();
        let f = encoded(filter);
        let v = get(b, &format!("/scim/v2/{rt}s?filter={f}&count=1000"));
        assert_eq!(v["totalResults"], ids.len(), "{rt} {filter}: {v}");
        assert_eq!(keys(&v, "id"), ids, "{rt} {filter}");

        let v = get(
            b,
            &format!("/scim/v2/{rt}s?filter={f}&startIndex=2&count=3"),
        );
        assert_eq!(v["totalResults"], ids.len(), "{rt} {filter}, paged");
        let page: Vec<String> = ids.iter().skip(1).take(3).cloned().collect();
        assert_eq!(keys(&v, "id"), page, "{rt} {filter}, paged");

        let mut sorted: Vec<String> = expected
            .iter()
            .map(|r| r[unique].as_str().unwrap().to_owned())
            .collect();
        sorted.sort_by_key(|n| std::cmp::Reverse(n.to_lowercase()));
        let v = get(
            b,
            &format!("/scim/v2/{rt}s?filter={f}&sortBy={unique}&sortOrder=descending&count=1000"),
        );
        assert_eq!(keys(&v, unique), sorted, "{rt} {filter}, sorted");
    }
}

/// Seeds users and groups into the bridge, then checks every filter on both types.
fn every_filter_answers_as_the_evaluator(b: &Bridge) {
    let mut user_ids = Vec::new();
    for u in users() {
        let (status, v) = b.call("POST", "/scim/v2/Users", Some(&u));
        assert_eq!(status, 201, "{v}");
        user_ids.push(v["id"].as_str().unwrap().to_owned());
    }
    let mut group_ids = Vec::new();
    for (name, members) in [
        ("Sales Team", &user_ids[3..9]),
        ("sales ops", &user_ids[8..10]),
        ("Engineering", &user_ids[20..21]),
        ("Empty", &user_ids[..0]),
    ] {
        let members: Vec<Value> = members.iter().map(|id| json!({"value": id})).collect();
        let g = json!({"schemas": [GROUP], "displayName": name, "members": members});
        let (status, v) = b.call("POST", "/scim/v2/Groups", Some(&g));
        assert_eq!(status, 201, "{v}");
        group_ids.push(v["id"].as_str().unwrap().to_owned());
    }

    // A second later, some users change: two distinct lastModified instants.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    for id in user_ids.iter().step_by(5) {
        let body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                          "Operations": [{"op": "replace", "path": "nickName", "value": "n"}]});
        let (status, v) = b.call("PATCH", &format!("/scim/v2/Users/{id}"), Some(&body));
        assert_eq!(status, 200, "{v}");
    }

    let users = get(b, "/scim/v2/Users?count=1000");
    let users = users["Resources"].as_array().unwrap().clone();
    assert_eq!(users.len(), user_ids.len());
    let mut filters: Vec<String> = serde_json::from_str(FIXTURES).unwrap();
    filters.extend(more_filters(&group_ids[0], &user_ids[4]));
    // Comparisons of meta.lastModified, read from its index, around the instant of the
    // later changes, written in another offset too.
    let later = users[0]["meta"]["lastModified"]
        .as_str()
        .unwrap()
        .to_owned();
    let later_elsewhere = {
        let (date, time) = later.trim_end_matches('Z').split_once('T').unwrap();
        let hour: u32 = time[..2].parse().unwrap();
        if hour > 0 {
            format!("{date}T{:02}{}-01:00", hour - 1, &time[2..])
        } else {
            later.clone()
        }
    };
    for op in ["eq", "gt", "ge", "lt", "le"] {
        filters.push(format!(r#"meta.lastModified {op} "{later}""#));
        filters.push(format!(r#"meta.lastModified {op} "{later_elsewhere}""#));
    }
    // Too large to hand to the database (each dateTime comparison is kilobytes of SQL):
    // evaluated in Rust, with the same answer.
    let many: Vec<String> = (0..60)
        .map(|i| {
            format!(
                r#"meta.lastModified gt "{}""#,
                later.replacen("20", &format!("{}", 19 + i % 2), 1)
            )
        })
        .collect();
    filters.push(format!(r#"userName sw "j" and ({})"#, many.join(" or ")));
    filters.extend([
        format!(r#"meta.lastModified ge "{later}" and userName sw "u""#),
        format!(r#"meta.lastModified lt "{later}" or externalId eq "ext-2""#),
        format!(r#"meta.lastModified ne "{later}""#),
        r#"meta.lastModified gt "not a date""#.to_owned(),
    ]);
    check(b, "User", "userName", &users, &filters);

    let groups = get(b, "/scim/v2/Groups?count=1000");
    let groups = groups["Resources"].as_array().unwrap().clone();
    let group_filters: Vec<String> = [
        r#"displayName eq "Sales Team""#,
        r#"displayName sw "SALES""#,
        r#"displayName co "e" and not (displayName eq "empty")"#,
        r#"members pr"#,
        r#"externalId pr or displayName gt "f""#,
    ]
    .into_iter()
    .map(str::to_owned)
    .chain([
        format!(r#"members.value eq "{}""#, user_ids[8]),
        format!(
            r#"members[value eq "{}"] or displayName eq "Empty""#,
            user_ids[20]
        ),
    ])
    .collect();
    check(b, "Group", "displayName", &groups, &group_filters);
}

#[test]
fn every_filter_answers_as_the_evaluator_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let b = Bridge::start(&dir.path().join("data"), &[]);
    every_filter_answers_as_the_evaluator(&b);
}

#[test]
fn every_filter_answers_as_the_evaluator_on_postgres() {
    let Some(server) = common::postgres::server() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let url = server.database();
    let b = Bridge::start(
        Path::new(&dir.path().join("data")),
        &["--database-url", &url],
    );
    every_filter_answers_as_the_evaluator(&b);
}

/// `meta.lastModified` values no bridge writes, put into the second to fourth users
/// before an upgrade: no such day, no such hour, a leap second.
fn odd_dates() -> [&'static str; 3] {
    [
        "2024-02-30T00:00:00Z",
        "2024-01-01T24:00:00Z",
        "2024-12-31T23:59:60Z",
    ]
}

/// Users created, the bridge stopped, and `meta.lastModified`'s column and the
/// `emails.value` index taken back to how a database before them looked (`downgrade`);
/// once the bridge upgrades it again, the column must hold each user's instant, as the
/// bridge computes it for new writes, and filters on either must answer as before.
fn last_modified_is_filled_on_upgrade(
    data: &Path,
    args: &[&str],
    downgrade: impl FnOnce(),
    column: impl Fn() -> Vec<(String, Option<i64>)>,
) {
    let b = Bridge::start(data, args);
    for i in 0..5 {
        let u = json!({"schemas": [USER], "userName": format!("up{i}@example.com"),
                       "emails": [{"value": format!("Ü{i}@Example.com")}, {"value": format!("A{i}@Example.com")}]});
        assert_eq!(b.call("POST", "/scim/v2/Users", Some(&u)).0, 201);
    }
    drop(b);
    downgrade();
    let b = Bridge::start(data, args);
    let users = get(&b, "/scim/v2/Users?count=100");
    let mut expected: Vec<(String, Option<i64>)> = users["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            let at = u["meta"]["lastModified"].as_str().unwrap();
            let ns = scim2_core::filter::date_time_instant(at).and_then(|n| i64::try_from(n).ok());
            (u["id"].as_str().unwrap().to_owned(), ns)
        })
        .collect();
    expected.sort();
    let mut stored = column();
    stored.sort();
    // The whole-second UTC instants the bridge writes are filled; values that are no
    // real time (February 30th, hour 24), or that the evaluator reads otherwise (a
    // leap second), may be left NULL (read from the document), never given another
    // instant.
    assert_eq!(stored.len(), expected.len());
    for ((id, at), (want_id, want)) in stored.iter().zip(&expected) {
        assert_eq!(id, want_id);
        let odd = odd_dates().iter().any(|d| {
            users["Resources"]
                .as_array()
                .unwrap()
                .iter()
                .any(|u| u["id"] == id.as_str() && u["meta"]["lastModified"] == *d)
        });
        if odd {
            assert!(at.is_none() || at == want, "{id}: {at:?}, not {want:?}");
        } else {
            assert_eq!(at, want, "{id}");
        }
    }
    for (filter, total) in [
        (r#"meta.lastModified eq "2024-03-01T00:00:00Z""#, 0),
        (r#"meta.lastModified eq "2024-01-02T00:00:00Z""#, 0),
        (r#"meta.lastModified lt "2025-01-01T00:00:00Z""#, 3),
        (r#"meta.lastModified ge "2025-01-01T00:00:00Z""#, 2),
    ] {
        let v = get(&b, &format!("/scim/v2/Users?filter={}", encoded(filter)));
        assert_eq!(v["totalResults"], total, "{filter}: {v}");
    }
    let first = expected
        .iter()
        .find(|(id, _)| *id == users["Resources"][0]["id"]);
    let same = expected
        .iter()
        .filter(|(_, at)| Some(at) == first.map(|f| &f.1));
    let f = encoded(&format!(
        r#"meta.lastModified eq "{}""#,
        users["Resources"][0]["meta"]["lastModified"]
            .as_str()
            .unwrap()
    ));
    let v = get(&b, &format!("/scim/v2/Users?filter={f}"));
    assert_eq!(v["totalResults"], same.count(), "{v}");
    // emails.value, from the index the upgrade filled (ASCII) or from the documents
    // (the rest).
    for (filter, name) in [
        (r#"emails.value eq "a3@example.COM""#, "up3@example.com"),
        (r#"emails.value eq "ü2@EXAMPLE.com""#, "up2@example.com"),
    ] {
        let v = get(&b, &format!("/scim/v2/Users?filter={}", encoded(filter)));
        assert_eq!(v["totalResults"], 1, "{filter}: {v}");
        assert_eq!(v["Resources"][0]["userName"], name, "{filter}");
    }
}

#[test]
fn last_modified_is_filled_on_upgrade_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let db = data.join("bridge.db");
    let open = || rusqlite::Connection::open(&db).unwrap();
    last_modified_is_filled_on_upgrade(
        &data,
        &[],
        || {
            let conn = open();
            for (n, at) in odd_dates().iter().enumerate() {
                conn.execute(
                    "UPDATE resources SET data = json_set(data, '$.meta.lastModified', ?1)
                     WHERE id = (SELECT id FROM resources WHERE resource_type = 'User'
                                 ORDER BY seq LIMIT 1 OFFSET ?2)",
                    rusqlite::params![at, n as i64 + 1],
                )
                .unwrap();
            }
            conn.execute_batch(
                "DROP INDEX resources_last_modified;
                 ALTER TABLE resources DROP COLUMN last_modified;
                 DROP TABLE resource_values;
                 DROP TABLE audit;
                 DROP TABLE held_deprovisioning;
                 PRAGMA user_version = 4;",
            )
            .unwrap()
        },
        || {
            let conn = open();
            let mut stmt = conn
                .prepare("SELECT id, last_modified FROM resources WHERE resource_type = 'User'")
                .unwrap();
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
            rows.map(Result::unwrap).collect()
        },
    );
}

#[test]
fn last_modified_is_filled_on_upgrade_on_postgres() {
    let Some(server) = common::postgres::server() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let url = server.database();
    let connect = || postgres::Client::connect(&url, postgres::NoTls).unwrap();
    last_modified_is_filled_on_upgrade(
        &dir.path().join("data"),
        &["--database-url", &url],
        || {
            let mut db = connect();
            for (n, at) in odd_dates().iter().enumerate() {
                db.execute(
                    "UPDATE resources SET data = jsonb_set(data::jsonb, '{meta,lastModified}',
                        to_jsonb($1::text))::text
                     WHERE id = (SELECT id FROM resources WHERE resource_type = 'User'
                                 ORDER BY seq LIMIT 1 OFFSET $2)",
                    &[at, &(n as i64 + 1)],
                )
                .unwrap();
            }
            // A row that is not JSON (written by hand) must not stop the upgrade.
            db.batch_execute(
                "INSERT INTO resources (resource_type, id, data) VALUES ('Device', 'x', 'not json');
                 DROP INDEX resources_last_modified;
                 ALTER TABLE resources DROP COLUMN last_modified;
                 DROP TABLE resource_values;
                 DROP TABLE audit;
                 DROP TABLE held_deprovisioning;
                 DELETE FROM schema_migrations WHERE version >= 5;",
            )
            .unwrap()
        },
        || {
            connect()
                .query(
                    "SELECT id, last_modified FROM resources WHERE resource_type = 'User'",
                    &[],
                )
                .unwrap()
                .iter()
                .map(|r| (r.get(0), r.get(1)))
                .collect()
        },
    );
}
