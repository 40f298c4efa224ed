//! PATCH throughput: the Entra ID shapes applied to the RFC 7643 §8.3 enterprise user.
//!
//! `cargo bench -p scim-benches --bench patch`; figures in benches/README.md.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use scim2_core::patch::{apply, Compat, PatchRequest};
use scim2_core::schema::SchemaRegistry;
use scim_benches::{enterprise_user, entra_patches};
use std::hint::black_box;

fn patch(c: &mut Criterion) {
    let registry = SchemaRegistry::standard();
    let users = registry.resource_schema("User").unwrap();
    let user = enterprise_user();
    let compat = Compat::default();
    let bodies = entra_patches();
    let requests: Vec<PatchRequest> = bodies
        .iter()
        .map(|b| PatchRequest::from_value(b, &compat).unwrap())
        .collect();
    let mut group = c.benchmark_group("patch");
    group.throughput(Throughput::Elements(requests.len() as u64));
    group.bench_function("apply/entra-8", |b| {
        b.iter(|| {
            for r in &requests {
                black_box(apply(&users, black_box(&user), r, &compat).unwrap());
            }
        })
    });
    group.bench_function("parse+apply/entra-8", |b| {
        b.iter(|| {
            for body in &bodies {
                let r = PatchRequest::from_value(black_box(body), &compat).unwrap();
                black_box(apply(&users, &user, &r, &compat).unwrap());
            }
        })
    });
    group.finish();
}

criterion_group!(benches, patch);
criterion_main!(benches);
