//! Unit tests of the column conditions: which filters give one, exact or a superset.

use super::*;
use scim2_core::filter::parse_filter;

fn hint_of(filter: &str, kind: Kind) -> Option<Hint> {
    hint(&parse_filter(filter).unwrap(), kind, false)
}

#[test]
fn equalities_on_indexed_columns_give_column_conditions() {
    assert_eq!(
        hint_of(r#"userName eq "BJensen""#, Kind::User),
        Some(Hint::Eq(Column::UniqueKey, "bjensen".into()))
    );
    assert_eq!(
        hint_of(r#"externalId eq "AbC""#, Kind::User),
        Some(Hint::Eq(Column::ExternalId, "AbC".into()))
    );
    assert_eq!(
        hint_of(
            r#"urn:ietf:params:scim:schemas:core:2.0:Group:displayName eq "Sales""#,
            Kind::Group
        ),
        Some(Hint::Eq(Column::UniqueKey, "sales".into()))
    );
    // displayName is not a User's unique attribute.
    assert_eq!(hint_of(r#"displayName eq "Sales""#, Kind::User), None);
}

#[test]
fn or_needs_both_sides_and_needs_either() {
    let or = hint_of(r#"userName eq "a" or userName eq "b""#, Kind::User).unwrap();
    assert!(or.selective());
    assert_eq!(
        hint_of(r#"userName eq "a" or title eq "b""#, Kind::User),
        None
    );
    let and = hint_of(r#"title pr and id eq "x""#, Kind::User).unwrap();
    assert_eq!(and, Hint::Eq(Column::Id, "x".into()));
    assert_eq!(hint_of(r#"not (userName eq "a")"#, Kind::User), None);
    assert_eq!(hint_of(r#"userName ne "a""#, Kind::User), None);
    assert_eq!(hint_of(r#"userName eq "a\u0000""#, Kind::User), None);
}

#[test]
fn email_values_are_looked_up_in_value_paths_only_as_supersets() {
    let exact = |f: &str| hint(&parse_filter(f).unwrap(), Kind::User, true);
    for f in [
        r#"emails.value eq "A@B""#,
        r#"emails[type eq "work"].value eq "A@B""#,
        r#"emails[type eq "work" and value eq "A@B"]"#,
    ] {
        match hint_of(f, Kind::User) {
            Some(Hint::Email(v, _)) => assert_eq!(v, "a@b", "{f}"),
            other => panic!("{f}: {other:?}"),
        }
    }
    assert!(exact(r#"emails.value eq "a@b""#).is_some());
    assert!(exact(r#"emails[type eq "work"].value eq "a@b""#).is_none());
    assert!(hint_of(r#"emails[type eq "work" or value eq "a@b"]"#, Kind::User).is_none());
    assert!(hint_of(r#"emails.value co "a@b""#, Kind::User).is_none());
    assert!(hint_of(r#"emails.value eq "a@b""#, Kind::Group).is_none());
}

#[test]
fn an_equality_beside_many_comparisons_is_not_selective() {
    let terms = |n: usize| {
        let dates: Vec<String> = (0..n)
            .map(|i| {
                format!(
                    r#"meta.lastModified gt "2020-01-{:02}T00:00:00Z""#,
                    i % 28 + 1
                )
            })
            .collect();
        format!(r#"userName eq "a" and ({})"#, dates.join(" or "))
    };
    let parsed = |f: &str| parse_filter(f).unwrap();
    assert!(is_selective(&parsed(&terms(15)), Kind::User));
    assert!(!is_selective(&parsed(&terms(16)), Kind::User));
}

#[test]
fn starts_with_is_a_range_that_is_not_selective() {
    let sw = hint_of(r#"userName sw "Jo""#, Kind::User).unwrap();
    assert_eq!(
        sw,
        Hint::Range(Column::UniqueKey, "jo".into(), Some("jp".into()))
    );
    assert!(!sw.selective());
    let mut values = Vec::new();
    let mut none = |_: &Filter, _: usize| Ok((String::new(), Vec::new()));
    let sql = sw
        .write(SqlDialect::Postgres, 4, &mut values, &mut none)
        .unwrap();
    assert_eq!(
        sql,
        r#"(unique_key COLLATE "C" >= $4::text AND unique_key COLLATE "C" < $5::text)"#
    );
    assert_eq!(values.len(), 2);
}

#[test]
fn successors_bound_every_string_with_the_prefix() {
    assert_eq!(successor("ab").as_deref(), Some("ac"));
    assert_eq!(successor("a\u{d7ff}").as_deref(), Some("a\u{e000}"));
    assert_eq!(successor("a\u{10ffff}").as_deref(), Some("b"));
    assert_eq!(successor("\u{10ffff}"), None);
    assert_eq!(successor(""), None);
    for s in ["ab", "ab\u{10ffff}\u{10ffff}", "abz", "ab~"] {
        assert!(s < successor("ab").unwrap().as_str(), "{s}");
    }
}
