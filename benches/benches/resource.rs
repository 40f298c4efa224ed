//! Resource handling around a request: reading and validating an Entra ID create body,
//! and projecting and serialising a list page of 100 users.
//!
//! `cargo bench -p scim-benches --bench resource`; figures in benches/README.md.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use scim2_core::projection::Projection;
use scim2_core::resource::ListResponse;
use scim2_core::schema::SchemaRegistry;
use scim2_core::validate::{validate_owned, Context, ValidationOptions};
use scim_benches::enterprise_user;
use serde_json::{json, Value};
use std::hint::black_box;

fn create_body(c: &mut Criterion) {
    let registry = SchemaRegistry::standard();
    let users = registry.resource_schema("User").unwrap();
    let body = serde_json::to_vec(&json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
        "externalId": "0a1b2c3d-ext", "userName": "ann.lee@contoso.com", "active": true,
        "displayName": "Ann Lee", "title": "Engineer",
        "emails": [{"primary": true, "type": "work", "value": "ann.lee@contoso.com"}],
        "name": {"formatted": "Ann Lee", "familyName": "Lee", "givenName": "Ann"},
        "addresses": [{"type": "work", "locality": "Redmond", "country": "US"}],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Research", "employeeNumber": "1001"},
        "meta": {"resourceType": "User"}
    }))
    .unwrap();
    let opts = ValidationOptions::default();
    let mut group = c.benchmark_group("resource");
    group.throughput(Throughput::Elements(1));
    group.bench_function("parse-create-body", |b| {
        b.iter(|| black_box(serde_json::from_slice::<Value>(black_box(&body)).unwrap()))
    });
    group.bench_function("parse+validate-create-body", |b| {
        b.iter(|| {
            let v: Value = serde_json::from_slice(black_box(&body)).unwrap();
            black_box(validate_owned(&users, Context::Create, v, &opts).unwrap())
        })
    });
    group.finish();
}

fn list_page(c: &mut Criterion) {
    let registry = SchemaRegistry::standard();
    let users = registry.resource_schema("User").unwrap();
    let page: Vec<Value> = (0..100)
        .map(|i| {
            let mut u = enterprise_user();
            u["id"] = json!(format!("id-{i}"));
            u["userName"] = json!(format!("user{i}@example.com"));
            u
        })
        .collect();
    let all = Projection::default();
    let one = Projection::parse(Some("userName"), None).unwrap();
    let mut group = c.benchmark_group("resource");
    group.throughput(Throughput::Elements(page.len() as u64));
    for (name, projection) in [
        ("list-page-100/all", &all),
        ("list-page-100/attributes=userName", &one),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| {
                let shown: Vec<Value> = page.iter().map(|u| projection.apply(&users, u)).collect();
                let list = ListResponse::new(shown, 1000, 1);
                black_box(serde_json::to_vec(&list).unwrap())
            })
        });
    }
    group.finish();
}

criterion_group!(benches, create_body, list_page);
criterion_main!(benches);
