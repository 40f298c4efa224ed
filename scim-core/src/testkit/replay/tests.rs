//! Unit tests of the replayer: captures, skipped targets, failures that name the step.

use super::*;
use serde_json::json;

/// An endpoint that answers every request with the same status and body, and
/// records the paths it was sent.
struct Canned {
    status: u16,
    body: Value,
    paths: Vec<String>,
}

impl Endpoint for Canned {
    fn target(&self) -> Target {
        Target::Library
    }

    async fn send(&mut self, req: Exchange) -> Result<Answer, SendError> {
        self.paths.push(req.path);
        let headers = vec![("content-type".into(), "application/scim+json".into())];
        Ok(Answer::new(
            self.status,
            headers,
            self.body.to_string().as_bytes(),
        ))
    }
}

fn canned(status: u16, body: Value) -> Canned {
    Canned {
        status,
        body,
        paths: Vec::new(),
    }
}

#[tokio::test]
async fn captures_feed_later_steps_and_other_targets_steps_are_skipped() {
    let session = json!({"steps": [
        {"name": "create", "request": {"method": "POST", "path": "/Users", "body": {}},
         "expect": {"status": 201, "capture": {"uid": "/id"}, "json": {"id": "7"}}},
        {"name": "bridge only", "only": "bridge",
         "request": {"method": "GET", "path": "/x"}, "expect": {"status": 401}},
        {"name": "read", "request": {"method": "GET", "path": "/Users/${uid}"},
         "expect": {"status": 201, "absent": ["/password"]}}
    ]});
    let mut endpoint = canned(201, json!({"id": "7"}));
    let sent = replay(&mut endpoint, "s", &session).await.unwrap();
    assert_eq!(sent, 2);
    assert_eq!(endpoint.paths, ["/Users", "/Users/7"]);
}

#[tokio::test]
async fn a_differing_answer_fails_naming_the_check_and_the_step() {
    let session = json!({"steps": [
        {"name": "list", "request": {"method": "GET", "path": "/Users"},
         "expect": {"status": 200, "json": {"totalResults": 0}}}
    ]});
    let failure = replay(&mut canned(200, json!({"totalResults": 1})), "s", &session)
        .await
        .unwrap_err();
    assert_eq!(
        (failure.check.as_str(), failure.step.as_str()),
        ("s", "list")
    );
    assert!(
        failure.detail.contains("/totalResults: got 1, want 0"),
        "{failure}"
    );
    let failure = replay(&mut canned(404, json!({})), "s", &session)
        .await
        .unwrap_err();
    assert!(failure.detail.contains("status 404, want 200"), "{failure}");
}

#[tokio::test]
async fn a_malformed_session_is_a_failure_not_a_panic() {
    let mut endpoint = canned(200, json!({}));
    let bad = [
        json!({}),
        json!({"steps": [{"request": {"method": "GET", "path": "/"}}]}),
        json!({"steps": [{"name": "n", "only": "neither", "request": {}}]}),
        json!({"steps": [{"name": "n", "request": {"path": "/"}, "expect": {"status": 200}}]}),
        json!({"steps": [{"name": "n", "request": {"method": "GET", "path": "/"}, "expect": {}}]}),
    ];
    for session in bad {
        assert!(
            replay(&mut endpoint, "s", &session).await.is_err(),
            "{session}"
        );
    }
}

#[test]
fn subset_names_where_it_differs() {
    let actual = json!({"a": {"b": [1, 2]}, "c": "x"});
    assert_eq!(subset(&json!({"a": {"b": [1, 2]}}), &actual, ""), Ok(()));
    assert_eq!(
        subset(&json!({"a": {"b": [1, 3]}}), &actual, ""),
        Err("/a/b/1: got 2, want 3".into())
    );
    assert_eq!(
        subset(&json!({"d": 1}), &actual, ""),
        Err("/d: missing".into())
    );
    assert!(subset(&json!({"a": {"b": [1]}}), &actual, "").is_err());
}

#[test]
fn variables_are_substituted_in_keys_and_values() {
    let vars = HashMap::from([("id".to_owned(), "42".to_owned())]);
    let v = substitute(&json!({"/x/${id}": ["${id}", 1]}), &vars);
    assert_eq!(v, json!({"/x/42": ["42", 1]}));
}

#[test]
fn an_error_without_detail_fails_the_shape() {
    let headers = vec![("content-type".into(), "application/scim+json".into())];
    let good = br#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"404","detail":"gone"}"#;
    assert_eq!(
        check_error_shape(&Answer::new(404, headers.clone(), good), None),
        Ok(())
    );
    let bad = br#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"404"}"#;
    assert!(check_error_shape(&Answer::new(404, headers.clone(), bad), None).is_err());
    assert!(check_error_shape(&Answer::new(404, headers, good), Some("application/json")).is_err());
}
