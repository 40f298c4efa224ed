//! Generated filters and resources for the differential tests of `scim2_core::sql`: the
//! SQL predicate of a filter must select exactly the resources the in-memory evaluator
//! matches (a superset when it says it is inexact, and exactly them once the evaluator
//! filters that superset).
//!
//! Shared by the SQLite test (tests/sql_filters.rs) and the PostgreSQL one of the bridge
//! (scim-server-example/tests/sql_postgres.rs), which include this file by path; each
//! supplies how to run a predicate on its engine.
#![allow(
    dead_code,
    reason = "each test binary that includes this module uses a different part of it"
)]

use proptest::prelude::*;
use proptest::sample::select;
use scim2_core::filter::{parse_filter, CompiledFilter};
use scim2_core::schema::{AttributeDef, AttributeType, Schema, SchemaRegistry};
use scim2_core::sql::{translate, SqlPredicate, SqlTarget};
use serde_json::{json, Map, Value};

/// The URN of the test extension, with attributes of every type.
pub const TEST_EXT: &str = "urn:example:params:scim:schemas:extension:test:2.0:User";
/// The enterprise extension's URN.
pub const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// The standard registry, with the test extension on User.
pub fn registry() -> SchemaRegistry {
    let mut r = SchemaRegistry::standard();
    let ext = Schema::new(
        TEST_EXT,
        "Test",
        "attributes of every type",
        vec![
            AttributeDef::integer("score"),
            AttributeDef::new("ratio", AttributeType::Decimal),
            AttributeDef::boolean("flag"),
            AttributeDef::date_time("since"),
            AttributeDef::string("code").case_exact(),
            AttributeDef::string("tags").multi(),
            AttributeDef::complex(
                "badges",
                vec![
                    AttributeDef::string("value").case_exact(),
                    AttributeDef::date_time("at"),
                    AttributeDef::integer("level"),
                ],
            )
            .multi(),
        ],
    );
    r.add_extension("User", ext, false)
        .expect("User is registered");
    r
}

/// Strings with mixed case, non-ASCII letters (including the two whose lower case is
/// ASCII), lookalikes of booleans and dateTimes, empty ones.
const STRINGS: &[&str] = &[
    "bjensen",
    "BJensen",
    "bjen\u{212A}",
    "\u{130}stanbul",
    "istanbul",
    "ÄRGER",
    "ärger",
    "Zoë",
    "zoe",
    "",
    " ",
    "a",
    "A",
    "work",
    "Work",
    "home",
    "True",
    "false",
    "b@example.com",
    "B@Example.COM",
    "Σίσυφος",
    "ΣΊΣΥΦΟΣ",
    "x%_y",
    "it's",
    "m",
];

/// dateTimes with different offsets and precision, and near-misses.
const DATES: &[&str] = &[
    "2011-05-13T04:42:34Z",
    "2011-05-13T06:42:34+02:00",
    "2011-05-13T04:42:34.5Z",
    "2011-05-13T04:42:34.000000001z",
    "2011-05-13t04:42:34",
    "2011-05-12T23:42:34-05:00",
    "2020-02-29T12:00:00Z",
    "2021-02-29T12:00:00Z",
    "2011-05-13T04:42:60Z",
    "2011-05-13 04:42:34Z",
    "2011-05-13",
    "1999-12-31T23:59:59.999999999+23:59",
    "2016-12-31T23:59:60Z",
    "2017-01-01T00:59:60.5+01:00",
    "2016-06-30T20:59:60-03:00",
    "2016-12-31T23:59:59.999999999Z",
];

fn string() -> impl Strategy<Value = String> + Clone {
    prop_oneof![
        4 => select(STRINGS).prop_map(str::to_owned),
        2 => select(DATES).prop_map(str::to_owned),
        1 => "[a-zA-Zé]{0,3}",
    ]
}

/// Any scalar a client could store, weighted towards strings.
fn scalar() -> impl Strategy<Value = Value> + Clone {
    prop_oneof![
        6 => string().prop_map(Value::from),
        1 => Just(Value::Null),
        1 => any::<bool>().prop_map(Value::from),
        1 => select(vec![0i64, 1, -3, 7, 100]).prop_map(Value::from),
        1 => select(vec![0.5f64, 2.5, -1.25, 7.0]).prop_map(Value::from),
    ]
}

/// `value`, or an unassigned spelling of it, or nothing.
fn maybe(value: impl Strategy<Value = Value> + 'static) -> BoxedStrategy<Option<Value>> {
    prop_oneof![
        4 => value.prop_map(Some),
        1 => Just(None),
        1 => Just(Some(Value::Null)),
        1 => Just(Some(json!(""))),
        1 => Just(Some(json!([]))),
        1 => Just(Some(json!({}))),
    ]
    .boxed()
}

fn object(members: Vec<(&'static str, Option<Value>)>) -> Value {
    let map: Map<String, Value> = members
        .into_iter()
        .filter_map(|(k, v)| Some((k.to_owned(), v?)))
        .collect();
    Value::Object(map)
}

/// A multi-valued complex element.
fn element() -> impl Strategy<Value = Value> + Clone {
    (
        maybe(select(vec!["work", "Work", "home", "other"]).prop_map(Value::from)),
        maybe(scalar()),
        maybe(any::<bool>().prop_map(Value::from)),
    )
        .prop_map(|(ty, value, primary)| {
            object(vec![("type", ty), ("value", value), ("primary", primary)])
        })
}

/// A multi-valued attribute's value: usually an array of elements, sometimes a single
/// element, a bare value or an unassigned spelling.
fn multi(item: impl Strategy<Value = Value> + Clone + 'static) -> BoxedStrategy<Option<Value>> {
    maybe(prop_oneof![
        4 => prop::collection::vec(item.clone(), 0..4).prop_map(Value::from),
        1 => item,
        1 => scalar(),
        1 => Just(json!([null, [], {}])),
    ])
}

/// A User as stored: canonical names, values of any shape.
pub fn user() -> impl Strategy<Value = Value> {
    let core = (
        maybe(scalar()),
        maybe(
            (maybe(scalar()), maybe(scalar()))
                .prop_map(|(g, f)| object(vec![("givenName", g), ("familyName", f)])),
        ),
        maybe(scalar()),
        maybe(scalar()),
        maybe(prop_oneof![any::<bool>().prop_map(Value::from), scalar()]),
        multi(element()),
        maybe(
            (maybe(select(DATES).prop_map(Value::from)), maybe(scalar()))
                .prop_map(|(m, c)| object(vec![("lastModified", m), ("created", c)])),
        ),
        maybe(scalar()),
    );
    let enterprise = maybe(
        (
            maybe(scalar()),
            maybe(scalar()),
            maybe(
                (maybe(scalar()), maybe(scalar()))
                    .prop_map(|(v, d)| object(vec![("value", v), ("displayName", d)])),
            ),
        )
            .prop_map(|(n, d, m)| {
                object(vec![
                    ("employeeNumber", n),
                    ("department", d),
                    ("manager", m),
                ])
            }),
    );
    let badge = (
        maybe(scalar()),
        maybe(select(DATES).prop_map(Value::from)),
        maybe(scalar()),
    )
        .prop_map(|(v, at, l)| object(vec![("value", v), ("at", at), ("level", l)]));
    let test = maybe(
        (
            maybe(scalar()),
            maybe(scalar()),
            maybe(scalar()),
            maybe(prop_oneof![select(DATES).prop_map(Value::from), scalar()]),
            maybe(scalar()),
            multi(string().prop_map(Value::from)),
            multi(badge),
        )
            .prop_map(|(score, ratio, flag, since, code, tags, badges)| {
                object(vec![
                    ("score", score),
                    ("ratio", ratio),
                    ("flag", flag),
                    ("since", since),
                    ("code", code),
                    ("tags", tags),
                    ("badges", badges),
                ])
            }),
    );
    (core, enterprise, test).prop_map(
        |((user_name, name, display, title, active, emails, meta, id), ent, test)| {
            let mut doc = object(vec![
                (
                    "schemas",
                    Some(json!(["urn:ietf:params:scim:schemas:core:2.0:User"])),
                ),
                ("userName", user_name),
                ("name", name),
                ("displayName", display),
                ("title", title),
                ("active", active),
                ("emails", emails),
                ("meta", meta),
                ("id", id),
            ]);
            let map = doc.as_object_mut().expect("an object");
            if let Some(ent) = ent {
                map.insert(ENTERPRISE.to_owned(), ent);
            }
            if let Some(test) = test {
                map.insert(TEST_EXT.to_owned(), test);
            }
            doc
        },
    )
}

/// A Group as stored.
pub fn group() -> impl Strategy<Value = Value> {
    let member = (
        maybe(scalar()),
        maybe(scalar()),
        maybe(select(vec!["User", "Group", "user"]).prop_map(Value::from)),
    )
        .prop_map(|(v, d, t)| object(vec![("value", v), ("display", d), ("type", t)]));
    (maybe(scalar()), multi(member), maybe(scalar())).prop_map(|(display, members, ext)| {
        object(vec![
            ("displayName", display),
            ("members", members),
            ("externalId", ext),
        ])
    })
}

/// Attribute paths of User, in the case clients write them and in others.
const USER_PATHS: &[&str] = &[
    "userName",
    "USERNAME",
    "username",
    "name.givenName",
    "Name.FamilyName",
    "name",
    "displayName",
    "title",
    "active",
    "emails",
    "emails.value",
    "EMAILS.TYPE",
    "emails.primary",
    "meta.lastModified",
    "meta.created",
    "id",
    "schemas",
    "nickName",
    "notInTheSchema",
    "urn:ietf:params:scim:schemas:core:2.0:User:userName",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
    "URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER:department",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
    "urn:example:params:scim:schemas:extension:test:2.0:User:score",
    "urn:example:params:scim:schemas:extension:test:2.0:User:ratio",
    "urn:example:params:scim:schemas:extension:test:2.0:User:flag",
    "urn:example:params:scim:schemas:extension:test:2.0:User:since",
    "urn:example:params:scim:schemas:extension:test:2.0:User:code",
    "urn:example:params:scim:schemas:extension:test:2.0:User:tags",
    "urn:example:params:scim:schemas:extension:test:2.0:User:badges",
    "urn:example:params:scim:schemas:extension:test:2.0:User:badges.at",
    "urn:example:params:scim:schemas:extension:test:2.0:User:badges.level",
    "urn:example:unknown:2.0:User:score",
];

/// Attribute paths of Group.
const GROUP_PATHS: &[&str] = &[
    "displayName",
    "DISPLAYNAME",
    "members",
    "members.value",
    "members.display",
    "members.TYPE",
    "externalId",
    "meta.lastModified",
];

/// Value paths (with their parent and the sub-attributes inside).
const USER_VALUE_PATHS: &[(&str, &[&str])] = &[
    ("emails", &["type", "value", "primary", "TYPE", "bogus"]),
    (
        "urn:example:params:scim:schemas:extension:test:2.0:User:badges",
        &["value", "at", "level"],
    ),
];

const GROUP_VALUE_PATHS: &[(&str, &[&str])] = &[("members", &["value", "display", "type"])];

/// A comparison value as filter text, for the operator `op`: mostly one the evaluator
/// accepts with it (strings for `co`/`sw`/`ew`, no `null` or boolean to order by),
/// sometimes any (the translator must refuse exactly what the evaluator refuses).
fn value_text(op: &'static str) -> BoxedStrategy<String> {
    let strings = string().prop_map(|s| Value::from(s).to_string());
    let numbers = select(vec![
        "0", "1", "-3", "7", "2.5", "7.0", "100", "-1.25", "1e2",
    ])
    .prop_map(str::to_owned);
    let any = prop_oneof![
        6 => strings.clone(),
        1 => Just("null".to_owned()),
        1 => select(vec!["true", "false"]).prop_map(str::to_owned),
        2 => numbers.clone(),
    ];
    match op {
        "eq" | "ne" | "EQ" => any.boxed(),
        "co" | "sw" | "ew" => prop_oneof![20 => strings, 1 => any].boxed(),
        _ => prop_oneof![12 => strings, 4 => numbers, 1 => any].boxed(),
    }
}

/// An operator and a value for it, as filter text.
fn comparison(ops: Vec<&'static str>) -> impl Strategy<Value = String> {
    select(ops).prop_flat_map(|op| value_text(op).prop_map(move |v| format!("{op} {v}")))
}

/// `path pr` or `path op value`.
fn test_text(paths: &'static [&'static str]) -> impl Strategy<Value = String> {
    let ops = vec!["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le", "EQ"];
    prop_oneof![
        1 => select(paths).prop_map(|p| format!("{p} pr")),
        6 => (select(paths), comparison(ops)).prop_map(|(p, c)| format!("{p} {c}")),
    ]
}

/// A filter over `paths` and `value_paths`, nested up to three levels.
fn filter_text(
    paths: &'static [&'static str],
    value_paths: &'static [(&'static str, &'static [&'static str])],
) -> impl Strategy<Value = String> {
    let sub_test = select(value_paths).prop_flat_map(|(parent, subs)| {
        let ops = vec!["eq", "ne", "co", "sw", "gt", "le"];
        let inner = prop_oneof![
            (select(subs), comparison(ops.clone())).prop_map(|(s, c)| format!("{s} {c}")),
            select(subs).prop_map(|s| format!("{s} pr")),
        ];
        let inner = inner.prop_recursive(2, 4, 2, |t| {
            prop_oneof![
                (t.clone(), t.clone()).prop_map(|(a, b)| format!("{a} and {b}")),
                (t.clone(), t.clone()).prop_map(|(a, b)| format!("({a} or {b})")),
                t.prop_map(|a| format!("not ({a})")),
            ]
        });
        let then = prop::option::of((select(subs), comparison(ops)));
        (inner, then).prop_map(move |(inner, then)| match then {
            Some((s, c)) => format!("{parent}[{inner}].{s} {c}"),
            None => format!("{parent}[{inner}]"),
        })
    });
    let leaf = prop_oneof![4 => test_text(paths), 1 => sub_test];
    leaf.prop_recursive(3, 12, 3, |t| {
        prop_oneof![
            (t.clone(), t.clone()).prop_map(|(a, b)| format!("{a} and {b}")),
            (t.clone(), t.clone()).prop_map(|(a, b)| format!("{a} or {b}")),
            (t.clone(), t.clone(), t.clone()).prop_map(|(a, b, c)| format!("({a} or {b}) and {c}")),
            t.prop_map(|a| format!("not ({a})")),
        ]
    })
}

/// A User filter.
pub fn user_filter() -> impl Strategy<Value = String> {
    filter_text(USER_PATHS, USER_VALUE_PATHS)
}

/// A Group filter.
pub fn group_filter() -> impl Strategy<Value = String> {
    filter_text(GROUP_PATHS, GROUP_VALUE_PATHS)
}

/// The test runner's configuration: `PROPTEST_CASES` cases (400 by default), no
/// failure files (the failing case is printed).
pub fn config() -> proptest::test_runner::Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(400);
    proptest::test_runner::Config {
        cases,
        failure_persistence: None,
        ..proptest::test_runner::Config::default()
    }
}

/// What one check saw, to show the generated cases are not vacuous.
#[derive(Clone, Copy, Debug, Default)]
pub struct Tally {
    /// Filters checked.
    pub filters: usize,
    /// Filters the evaluator (and so the translator) refused.
    pub refused: usize,
    /// Filters whose predicate is exact.
    pub exact: usize,
    /// Documents the evaluator judged (it fails on some).
    pub judged: usize,
    /// Documents the evaluator matched.
    pub matched: usize,
    /// Documents the SQL selected beyond the evaluator's matches (inexact predicates).
    pub extra: usize,
}

impl Tally {
    /// Adds `other` to this tally.
    pub fn add(&mut self, other: Tally) {
        self.filters += other.filters;
        self.refused += other.refused;
        self.exact += other.exact;
        self.judged += other.judged;
        self.matched += other.matched;
        self.extra += other.extra;
    }

    /// Panics unless the cases exercised the translator: most filters translated, most
    /// of them exactly, and documents both matched and not.
    pub fn assert_meaningful(&self) {
        assert!(self.filters > 0, "{self:?}");
        assert!(
            self.refused * 4 < self.filters,
            "mostly refused filters: {self:?}"
        );
        let translated = self.filters - self.refused;
        assert!(
            self.exact * 2 > translated,
            "mostly inexact predicates: {self:?}"
        );
        assert!(
            self.matched * 20 > self.judged,
            "almost no matches: {self:?}"
        );
        assert!(
            self.matched * 20 < self.judged * 19,
            "almost all match: {self:?}"
        );
    }
}

/// Checks one filter over `docs` of `resource_type` on an engine: `run` returns the
/// indexes of the documents the predicate selects. Returns what it saw, or a description
/// of the disagreement.
pub fn check(
    filter: &str,
    docs: &[Value],
    resource_type: &str,
    target: &SqlTarget,
    run: &mut dyn FnMut(&SqlPredicate, &[Value]) -> Vec<usize>,
) -> Result<Tally, String> {
    let registry = registry();
    let schema = registry
        .resource_schema(resource_type)
        .expect("a registered resource type");
    let parsed = parse_filter(filter).map_err(|e| format!("{filter}: does not parse: {e}"))?;
    let compiled = CompiledFilter::new(&parsed, &schema);
    let translated = translate(&parsed, &schema, target);
    let mut tally = Tally {
        filters: 1,
        ..Tally::default()
    };
    let (compiled, predicate) = match (compiled, translated) {
        (Ok(c), Ok(p)) => (c, p),
        (Err(_), Err(_)) => {
            tally.refused = 1;
            return Ok(tally);
        }
        (c, p) => {
            return Err(format!(
                "{filter}: the evaluator says {:?}, the translator {:?}",
                c.err(),
                p.err()
            ))
        }
    };
    tally.exact = usize::from(predicate.exact);
    let selected = run(&predicate, docs);
    for (i, doc) in docs.iter().enumerate() {
        // Where the evaluator fails on a document, the SQL may say either.
        let Ok(matches) = compiled.matches(doc) else {
            continue;
        };
        let in_sql = selected.contains(&i);
        tally.judged += 1;
        tally.matched += usize::from(matches);
        tally.extra += usize::from(in_sql && !matches);
        let agrees = if predicate.exact {
            in_sql == matches
        } else {
            in_sql || !matches
        };
        if !agrees {
            return Err(format!(
                "{filter}\n  document {doc}\n  evaluator: {matches}, SQL: {in_sql} (exact: {})\n  SQL: {}\n  params: {:?}",
                predicate.exact, predicate.sql, predicate.params
            ));
        }
    }
    Ok(tally)
}
