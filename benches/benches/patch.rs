//! PATCH throughput: the Entra ID shapes applied to the RFC 7643 §8.3 enterprise user.
//!
//! `apply` copies the user for each request (as a server holding the stored resource
//! does); `apply-owned` changes a copy made outside the measured time in place (as a
//! server that read the resource for this request does).
//!
//! `cargo bench -p scim-benches --bench patch`; figures in benches/README.md.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use scim2_core::patch::{apply, apply_owned, Compat, PatchRequest};
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
    group.bench_function("apply-owned/entra-8", |b| {
        b.iter_batched_ref(
            || vec![user.clone(); requests.len()],
            |copies| {
                for (r, copy) in requests.iter().zip(copies.iter_mut()) {
                    apply_owned(&users, black_box(copy), r, &compat).unwrap();
                }
            },
            BatchSize::SmallInput,
        )
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
