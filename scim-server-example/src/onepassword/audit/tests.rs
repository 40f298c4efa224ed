use serde_json::json;

use super::*;
use crate::onepassword::EXTENSION;

fn actions(entries: &[Entry]) -> Vec<(&'static str, Option<&str>)> {
    entries
        .iter()
        .map(|e| (e.action.as_str(), e.member.as_deref()))
        .collect()
}

#[test]
fn changed_attributes_name_what_differs_never_values_or_server_attributes() {
    let old = json!({"id": "1", "userName": "a@x", "name": {"givenName": "A"}, "title": "T",
        "meta": {"version": "W/\"1\""}, "groups": [{"value": "g"}],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "D", "manager": {"value": "m"}}});
    let new = json!({"id": "1", "userName": "a@x", "name": {"givenName": "B"},
        "meta": {"version": "W/\"2\""}, "groups": [],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "E", "manager": {"value": "m"}},
        EXTENSION: {"state": "active"}});
    assert_eq!(
        changed_attributes(&old, &new, &[]),
        [
            "name",
            "title",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"
        ]
    );
    assert!(changed_attributes(&old, &old, &[]).is_empty());
}

#[test]
fn a_user_created_suspended_is_invited_naming_active_not_suspended() {
    let user =
        json!({"id": "u1", "userName": "a@x", "active": false, "emails": [{"value": "a@x"}]});
    let entries = created("User", &user);
    assert_eq!(actions(&entries), [("user.invited", None)]);
    assert_eq!(entries[0].attributes, ["active", "emails", "userName"]);
    assert_eq!(entries[0].resource_id.as_deref(), Some("u1"));
    assert_eq!(entries[0].resource_name.as_deref(), Some("a@x"));
}

#[test]
fn updates_say_suspended_restored_and_what_else_changed() {
    let old = json!({"id": "u", "userName": "a@x", "active": true, "displayName": "A"});
    let off = json!({"id": "u", "userName": "a@x", "active": false, "displayName": "A"});
    assert_eq!(
        actions(&updated("User", &old, &off)),
        [("user.suspended", None)]
    );
    let renamed = json!({"id": "u", "userName": "b@x", "active": true, "displayName": "A"});
    let e = updated("User", &off, &renamed);
    assert_eq!(
        actions(&e),
        [("user.updated", None), ("user.restored", None)]
    );
    assert_eq!(e[0].attributes, ["userName"]);
    assert!(updated("User", &old, &old).is_empty());
}

#[test]
fn groups_record_renames_and_each_member_added_or_removed() {
    let old = json!({"id": "g", "displayName": "G", "members": [{"value": "a"}, {"value": "b"}]});
    let new = json!({"id": "g", "displayName": "H", "externalId": "x",
        "members": [{"value": "b"}, {"value": "c"}]});
    let e = updated("Group", &old, &new);
    assert_eq!(
        actions(&e),
        [
            ("group.renamed", None),
            ("group.updated", None),
            ("member.added", Some("c")),
            ("member.removed", Some("a"))
        ]
    );
    assert_eq!(e[1].attributes, ["externalId"]);
    assert_eq!(e[0].resource_name.as_deref(), Some("H"));
    let c = created("Group", &new);
    assert_eq!(
        actions(&c),
        [
            ("group.created", None),
            ("member.added", Some("b")),
            ("member.added", Some("c"))
        ]
    );
}

#[test]
fn every_action_reads_back_from_its_name() {
    for a in Action::ALL {
        assert_eq!(Action::parse(a.as_str()), Some(a));
    }
    assert_eq!(Action::parse("user.exploded"), None);
}

#[test]
fn instants_read_as_rfc3339_or_as_ages_and_print_back() {
    let at = parse_instant("2026-12-01T09:00:00Z", 0).expect("an instant");
    assert_eq!(instant_text(at), "2026-12-01T09:00:00.000Z");
    assert_eq!(instant_text(at + 1_234_567_890), "2026-12-01T09:00:01.234Z");
    assert_eq!(instant_text(at + 200_000_000), "2026-12-01T09:00:00.200Z");
    assert_eq!(
        parse_instant(&instant_text(at + 5_000_000), 0),
        Some(at + 5_000_000)
    );
    let now = at;
    assert_eq!(parse_instant("24h", now), Some(at - 86_400_000_000_000));
    assert_eq!(parse_instant("7d", now), Some(at - 7 * 86_400_000_000_000));
    assert_eq!(parse_instant("yesterday", now), None);
    assert_eq!(parse_instant("", now), None);
}
