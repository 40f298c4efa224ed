//! Filter parse and evaluate throughput over the twenty representative filters.
//!
//! `cargo bench -p scim-benches --bench filter`; figures in benches/README.md. Issue 16's
//! bound is `filter/serde_json-string/20`: the same texts read as JSON string literals.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use scim2_filter::{borrowed, parse_filter, CompiledFilter, NoSchema};
use scim_benches::{enterprise_user, filters, json_str_borrowed};
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
    // The borrowed tree (`scim2_filter::borrowed`): paths, names and unescaped strings are
    // slices of the input; the owned parse above is this one plus `into_owned`.
    group.bench_function("parse-borrowed/20", |b| {
        b.iter(|| {
            for text in &filters {
                black_box(borrowed::parse_filter(black_box(text)).unwrap());
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

    // The bound issue 16 sets: serde_json reading the same texts as JSON string literals,
    // in one group with the filter parses so that criterion's figures compare directly.
    parse_vs_json_string(c, &filters);

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

/// `filter/parse/20` beside `serde_json-string/20` (each filter's text as a JSON string
/// literal, read into a `String`) and `serde_json-str/20` (the same, borrowed where the
/// literal has no escape: 19 of the 20 hold a `\"`, which `from_str::<&str>` refuses, so
/// a visitor takes the borrowed `&str` when serde_json offers one and copies otherwise).
fn parse_vs_json_string(c: &mut Criterion, filters: &[String]) {
    let quoted: Vec<String> = filters
        .iter()
        .map(|t| serde_json::to_string(t).expect("a string serialises"))
        .collect();
    let mut group = c.benchmark_group("filter");
    group.throughput(Throughput::Elements(filters.len() as u64));
    group.bench_function("serde_json-string/20", |b| {
        b.iter(|| {
            for text in &quoted {
                black_box(serde_json::from_str::<String>(black_box(text)).unwrap());
            }
        })
    });
    group.bench_function("serde_json-str/20", |b| {
        b.iter(|| {
            for text in &quoted {
                black_box(json_str_borrowed(black_box(text)));
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
