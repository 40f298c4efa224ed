//! Found by the attack review of the bridge: `userName` (and a Group's `displayName`)
//! refused control characters but accepted invisible ones: U+202E RIGHT-TO-LEFT OVERRIDE
//! (`admin\u{202E}nimda` displays as another name), U+200B ZERO WIDTH SPACE (`ann` and
//! `a\u{200B}nn` look the same but are two users) and U+2028 LINE SEPARATOR (breaks log
//! lines like a newline).
//!
//! RFC 7643 §4.1.1: `userName` is a unique identifier shown to people; §4.2: a Group's
//! `displayName` names it. Now both also refuse Unicode format characters (general
//! category Cf) and the line and paragraph separators U+2028/U+2029, with 400
//! `invalidValue` and a detail naming the code point, on create, PUT and PATCH (with and
//! without a path). Ordinary non-ASCII text is still accepted.

use crate::common::{send, service};
use serde_json::json;

const P: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// One of each range of general category Cf, and the two separators.
const INVISIBLE: [char; 24] = [
    '\u{AD}',
    '\u{600}',
    '\u{605}',
    '\u{61C}',
    '\u{6DD}',
    '\u{70F}',
    '\u{180E}',
    '\u{200B}',
    '\u{200F}',
    '\u{202A}',
    '\u{202E}',
    '\u{2060}',
    '\u{2064}',
    '\u{2066}',
    '\u{206F}',
    '\u{FEFF}',
    '\u{FFF9}',
    '\u{FFFB}',
    '\u{2028}',
    '\u{2029}',
    '\u{110BD}',
    '\u{1D173}',
    '\u{E0001}',
    '\u{E007F}',
];

fn assert_refused(r: &crate::common::Reply, attr: &str, c: char, what: &str) {
    assert_eq!(
        (r.status.as_u16(), r.json["scimType"].as_str()),
        (400, Some("invalidValue")),
        "{what} U+{:04X}: {}",
        u32::from(c),
        r.json
    );
    let detail = r.json["detail"].as_str().unwrap();
    let code = format!("U+{:04X}", u32::from(c));
    assert!(
        detail.contains(attr) && detail.contains(&code),
        "{what}: {detail}"
    );
}

#[tokio::test]
async fn invisible_characters_are_refused_in_user_names() {
    let svc = service();
    let r = send(&svc, "POST", "/Users", &json!({"userName": "ok"})).await;
    let path = format!("/Users/{}", r.json["id"].as_str().unwrap());
    for c in INVISIBLE {
        let name = format!("adm{c}in");
        let r = send(&svc, "POST", "/Users", &json!({"userName": name})).await;
        assert_refused(&r, "userName", c, "POST");
        let r = send(&svc, "PUT", &path, &json!({"userName": name})).await;
        assert_refused(&r, "userName", c, "PUT");
        for op in [
            json!({"op": "replace", "path": "userName", "value": name}),
            json!({"op": "replace", "value": {"userName": name}}),
        ] {
            let patch = json!({"schemas": [P], "Operations": [op]});
            let r = send(&svc, "PATCH", &path, &patch).await;
            assert_refused(&r, "userName", c, "PATCH");
        }
    }
    for ok in [
        "José",
        "日本語ユーザー",
        "Zoë Ångström",
        "ann.o'brien+1@example.com",
    ] {
        let r = send(&svc, "POST", "/Users", &json!({"userName": ok})).await;
        assert_eq!(r.status, 201, "{ok}: {}", r.json);
        let r = send(&svc, "PUT", &path, &json!({"userName": format!("{ok}2")})).await;
        assert_eq!(r.status, 200, "{ok}: {}", r.json);
    }
}

#[tokio::test]
async fn invisible_characters_are_refused_in_group_display_names() {
    let svc = service();
    let r = send(&svc, "POST", "/Groups", &json!({"displayName": "crew"})).await;
    let path = format!("/Groups/{}", r.json["id"].as_str().unwrap());
    for c in INVISIBLE {
        let name = format!("cr{c}ew");
        let r = send(&svc, "POST", "/Groups", &json!({"displayName": name})).await;
        assert_refused(&r, "displayName", c, "POST");
        let r = send(&svc, "PUT", &path, &json!({"displayName": name})).await;
        assert_refused(&r, "displayName", c, "PUT");
        let patch = json!({"schemas": [P], "Operations": [{"op": "replace", "path": "displayName", "value": name}]});
        let r = send(&svc, "PATCH", &path, &patch).await;
        assert_refused(&r, "displayName", c, "PATCH");
    }
    for ok in ["Équipe", "開発チーム"] {
        let r = send(&svc, "POST", "/Groups", &json!({"displayName": ok})).await;
        assert_eq!(r.status, 201, "{ok}: {}", r.json);
    }
}
