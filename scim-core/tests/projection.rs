//! Projection: `attributes`, `excludedAttributes` and the `returned` characteristic.

use scim2_core::projection::Projection;
use scim2_core::schema::SchemaRegistry;
use scim2_core::ScimType;
use serde_json::{json, Value};

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENT: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

fn user() -> Value {
    json!({
        "schemas": [USER, ENT], "id": "1", "externalId": "e1", "userName": "ann",
        "password": "secret", "displayName": "Ann Lee",
        "name": {"givenName": "Ann", "familyName": "Lee"},
        "emails": [{"value": "a@x.com", "type": "work"}, {"value": "b@y.org", "type": "home"}],
        "meta": {"resourceType": "User", "version": "W/\"1\""},
        ENT: {"department": "Sales", "employeeNumber": "7"}
    })
}

fn project(attrs: Option<&str>, excluded: Option<&str>) -> Value {
    let registry = SchemaRegistry::standard();
    let schema = registry.resource_schema("User").unwrap();
    Projection::parse(attrs, excluded)
        .unwrap()
        .apply(&schema, &user())
}

#[test]
fn default_returns_everything_but_never_attributes() {
    let mut expected = user();
    expected.as_object_mut().unwrap().remove("password");
    assert_eq!(project(None, None), expected);
}

#[test]
fn password_is_never_returned_even_when_asked() {
    assert!(project(Some("password"), None).get("password").is_none());
    assert!(project(None, Some("userName")).get("password").is_none());
}

#[test]
fn attributes_selects_and_always_attributes_stay() {
    assert_eq!(
        project(Some("userName,name.givenName"), None),
        json!({"schemas": [USER, ENT], "id": "1", "userName": "ann", "name": {"givenName": "Ann"}})
    );
    assert_eq!(
        project(Some("emails.value"), None),
        json!({"schemas": [USER, ENT], "id": "1", "emails": [{"value": "a@x.com"}, {"value": "b@y.org"}]})
    );
    // Names are case-insensitive.
    assert_eq!(project(Some("USERNAME"), None)["userName"], "ann");
}

#[test]
fn excluded_attributes_are_dropped_but_never_id() {
    let out = project(None, Some("emails,name.familyName,id,meta"));
    assert!(out.get("emails").is_none());
    assert!(out.get("meta").is_none());
    assert_eq!(out["name"], json!({"givenName": "Ann"}));
    assert_eq!(out["id"], "1");
    assert_eq!(out["userName"], "ann");
}

#[test]
fn urn_qualified_names_reach_extensions() {
    assert_eq!(
        project(Some(&format!("{ENT}:department")), None),
        json!({"schemas": [USER, ENT], "id": "1", ENT: {"department": "Sales"}})
    );
    assert_eq!(
        project(Some(ENT), None),
        json!({"schemas": [USER, ENT], "id": "1", ENT: {"department": "Sales", "employeeNumber": "7"}})
    );
    assert_eq!(
        project(Some(&format!("{USER}:userName")), None),
        json!({"schemas": [USER, ENT], "id": "1", "userName": "ann"})
    );
    let out = project(None, Some(&format!("{ENT}:employeeNumber")));
    assert_eq!(out[ENT], json!({"department": "Sales"}));
    assert!(project(None, Some(ENT)).get(ENT).is_none());
}

#[test]
fn group_members_can_be_excluded() {
    let registry = SchemaRegistry::standard();
    let schema = registry.resource_schema("Group").unwrap();
    let group = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "id": "g",
                       "displayName": "Sales", "members": [{"value": "1"}]});
    let out = Projection::parse(None, Some("members"))
        .unwrap()
        .apply(&schema, &group);
    assert!(
        out.get("members").is_none(),
        "Entra's excludedAttributes=members"
    );
    assert_eq!(out["displayName"], "Sales");
}

#[test]
fn malformed_names_are_invalid_path() {
    let e = Projection::parse(Some("name[x"), None).unwrap_err();
    assert_eq!(e.scim_type(), Some(ScimType::InvalidPath));
}
