//! Filter parse and evaluate throughput over the twenty representative filters.
//!
//! `cargo bench -p scim-benches --bench filter`; figures in benches/README.md.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use scim2_filter::{parse_filter, CompiledFilter, NoSchema};
use scim_benches::{enterprise_user, filters};
use std::hint::black_box;

fn parse(c: &mut Criterion) {
    let filters = filters();
    let mut group = c.benchmark_group("filter");
    group.throughput(Throughput::Elements(filters.len() as u64));
    group.bench_function("parse/20", |b| {
        b.iter(|| {
            for text in &filters {
                black_box(parse_filter(black_box(text)).unwrap());
            }
        })
    });
    group.bench_function("parse+print/20", |b| {
        b.iter(|| {
            for text in &filters {
                black_box(parse_filter(black_box(text)).unwrap().to_string());
            }
        })
    });
    group.finish();

    // Side by side with the Rust crate scim_v2 (parse only; it has no evaluator), on the
    // fixtures it accepts, in one criterion group so the ratio comes from one run.
    let common: Vec<&String> = filters
        .iter()
        .filter(|t| t.parse::<scim_v2::filter::Filter>().is_ok())
        .collect();
    let n = common.len();
    let mut group = c.benchmark_group("filter-vs-scim_v2");
    group.throughput(Throughput::Elements(n as u64));
    group.bench_function(format!("scim-filter/{n}"), |b| {
        b.iter(|| {
            for text in &common {
                black_box(parse_filter(black_box(text)).unwrap());
            }
        })
    });
    group.bench_function(format!("scim_v2/{n}"), |b| {
        b.iter(|| {
            for text in &common {
                black_box(
                    black_box(text.as_str())
                        .parse::<scim_v2::filter::Filter>()
                        .unwrap(),
                );
            }
        })
    });
    group.finish();
}

fn evaluate(c: &mut Criterion) {
    let user = enterprise_user();
    let filters = filters();
    let compiled: Vec<CompiledFilter> = filters
        .iter()
        .map(|t| CompiledFilter::new(&parse_filter(t).unwrap(), &NoSchema).unwrap())
        .collect();
    let mut group = c.benchmark_group("filter");
    group.throughput(Throughput::Elements(filters.len() as u64));
    group.bench_function("evaluate-compiled/20", |b| {
        b.iter(|| {
            for f in &compiled {
                black_box(f.matches(black_box(&user)).unwrap());
            }
        })
    });
    group.bench_function("parse+compile+evaluate/20", |b| {
        b.iter(|| {
            for text in &filters {
                let f = parse_filter(black_box(text)).unwrap();
                black_box(f.matches(&user, &NoSchema).unwrap());
            }
        })
    });
    group.finish();
}

criterion_group!(benches, parse, evaluate);
criterion_main!(benches);
