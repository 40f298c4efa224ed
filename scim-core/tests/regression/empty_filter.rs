//! Found in issue 11: `GET /Users?filter=` was answered 200 with every user (or, as
//! reported, an empty list), as if no filter had been given. An empty filter is not a
//! filter: the `FILTER` rule of RFC 7644 §3.4.2.2 needs an attribute expression. Now a
//! `filter` that is present but empty or white space, in a URL or in a `/.search` body,
//! per type or at root, is 400 `invalidFilter` with a detail that says it is empty; an
//! absent `filter` (or `"filter": null`) still lists everything.

use crate::common::{call, send, service};
use serde_json::json;

#[tokio::test]
async fn an_empty_filter_is_invalid_in_urls() {
    let svc = service();
    let r = send(&svc, "POST", "/Users", &json!({"userName": "ann"})).await;
    assert_eq!(r.status, 201, "{}", r.json);
    for base in ["/scim/v2/Users", "/scim/v2/", "/Groups"] {
        for query in [
            "filter=",
            "filter",
            "filter=%20%20",
            "filter=+",
            "FILTER=%09",
        ] {
            let r = call(&svc, "GET", &format!("{base}?{query}"), &[], None).await;
            assert_eq!(r.status, 400, "{base}?{query}: {}", r.json);
            assert_eq!(r.json["scimType"], "invalidFilter", "{base}?{query}");
            let detail = r.json["detail"].as_str().unwrap();
            assert!(detail.contains("empty"), "{detail}");
        }
    }
}

#[tokio::test]
async fn an_empty_filter_is_invalid_in_search_bodies() {
    let svc = service();
    for path in ["/scim/v2/Users/.search", "/scim/v2/.search"] {
        for filter in ["", " ", "\n\t "] {
            let body = json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
                "filter": filter,
            });
            let r = send(&svc, "POST", path, &body).await;
            assert_eq!(r.status, 400, "{path} {filter:?}: {}", r.json);
            assert_eq!(r.json["scimType"], "invalidFilter");
            assert!(r.json["detail"].as_str().unwrap().contains("empty"));
        }
    }
}

#[tokio::test]
async fn an_absent_filter_is_no_filter() {
    let svc = service();
    let r = send(&svc, "POST", "/Users", &json!({"userName": "ann"})).await;
    assert_eq!(r.status, 201, "{}", r.json);
    let r = call(&svc, "GET", "/Users?count=10", &[], None).await;
    assert_eq!(
        (r.status.as_u16(), r.json["totalResults"].as_u64()),
        (200, Some(1))
    );
    for body in [
        json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"]}),
        json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": null}),
    ] {
        let r = send(&svc, "POST", "/Users/.search", &body).await;
        assert_eq!(r.status, 200, "{body}: {}", r.json);
        assert_eq!(r.json["totalResults"], 1);
    }
}
