//! Found by the attack review of structured errors: the operation named by an error found
//! only when the whole PATCH result is validated (`operation_index`, `operation_path`)
//! was found by bisecting the request's prefixes, which assumes that once the resource
//! fails with the error it keeps failing. It did not hold, and the wrong operation was
//! named:
//! - `nickName` set to 5, then to `"ok"`, then to 5 again: the first operation was
//!   named, whose value the second had already put right;
//! - `active` set to `"perhaps"`, `nickName` to 5, `active` back to `true`: the error is
//!   about `nickName`, but the third operation (`active`) was named, since after the
//!   first two the resource failed with `active`'s error instead, hiding `nickName`'s.
//!
//! Now an error about one attribute names the operation that last broke that attribute,
//! judged with every other attribute as stored.

use scim2_core::patch::{apply, Compat, PatchRequest};
use scim2_core::schema::SchemaRegistry;
use scim2_core::ScimError;
use serde_json::{json, Value};

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

fn patch(ops: Value) -> ScimError {
    let registry = SchemaRegistry::standard();
    let users = registry.resource_schema("User").unwrap();
    let user = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
        "id": "1", "userName": "ann", "emails": [{"type": "work", "value": "a@example.com"}]});
    let body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": ops});
    let request = PatchRequest::from_value(&body, &Compat::strict()).unwrap();
    apply(&users, &user, &request, &Compat::strict()).unwrap_err()
}

fn replace(path: &str, value: Value) -> Value {
    json!({"op": "replace", "path": path, "value": value})
}

#[test]
fn the_operation_that_last_broke_the_attribute_is_named() {
    let employee_number = format!("{ENTERPRISE}:employeeNumber");
    let cases = [
        // Broken, put right, broken again: the last one.
        (
            json!([
                replace("nickName", json!(5)),
                replace("nickName", json!("ok")),
                replace("nickName", json!(5))
            ]),
            2,
            "nickName",
        ),
        // Another attribute's error, put right later, does not hide this one.
        (
            json!([
                replace("active", json!("perhaps")),
                replace("nickName", json!(5)),
                replace("active", json!(true))
            ]),
            1,
            "nickName",
        ),
        // A later change to another value of the same attribute is not the cause.
        (
            json!([
                replace("emails[type eq \"work\"].value", json!(5)),
                {"op": "add", "path": "emails", "value": [{"type": "home", "value": "h@example.com"}]}
            ]),
            0,
            "emails.value",
        ),
        // Nor is a later change to another attribute of the same extension.
        (
            json!([
                replace(&employee_number, json!(5)),
                replace(&format!("{ENTERPRISE}:department"), json!("Sales"))
            ]),
            0,
            &employee_number,
        ),
    ];
    for (ops, index, attribute) in cases {
        let e = patch(ops.clone());
        assert_eq!(e.attribute(), Some(attribute), "{e}");
        assert_eq!(e.operation_index(), Some(index), "{ops}: {e}");
        assert_eq!(
            e.operation_path(),
            ops[index]["path"].as_str(),
            "{ops}: {e}"
        );
    }
}
