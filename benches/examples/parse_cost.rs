//! Repeats one kind of parse over a list of filters, for instruction counts under
//! `valgrind --tool=callgrind`, which are deterministic where timings on a shared machine
//! are not.
//!
//! ```text
//! cargo build --profile bench -p scim-benches --example parse_cost
//! valgrind --tool=callgrind target/release/examples/parse_cost MODE N
//! ```
//!
//! MODE is `borrowed` (`borrowed::parse_filter`), `owned` (`parse_filter`), `json-string`
//! (each text as a JSON string literal read with `serde_json::from_str::<String>`),
//! `json-str` (the same, borrowed where the literal has no escape:
//! [`scim_benches::json_str_borrowed`]) or `none` (only the setup). The filters are the
//! twenty of `benches/fixtures/filters.json`, as in `benches/filter.rs`. The cost of one parse
//! is the difference between two runs with different N, divided by the difference in
//! parses (N × the number of filters).

use std::hint::black_box;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, mode, count] = &args[..] else {
        eprintln!("usage: parse_cost MODE ITERATIONS");
        std::process::exit(2);
    };
    let filters = scim_benches::filters();
    let quoted: Vec<String> = filters
        .iter()
        .map(|f| serde_json::to_string(f).expect("a string serialises"))
        .collect();
    let count: usize = count.parse().expect("ITERATIONS is a number");
    for _ in 0..count {
        match mode.as_str() {
            "owned" => {
                for f in &filters {
                    black_box(scim2_filter::parse_filter(black_box(f)).expect("parses"));
                }
            }
            "borrowed" => {
                for f in &filters {
                    black_box(scim2_filter::borrowed::parse_filter(black_box(f)).expect("parses"));
                }
            }
            "json-str" => {
                for q in &quoted {
                    black_box(scim_benches::json_str_borrowed(black_box(q)));
                }
            }
            "json-string" => {
                for q in &quoted {
                    black_box(serde_json::from_str::<String>(black_box(q)).expect("reads"));
                }
            }
            "none" => {}
            _ => panic!("unknown mode {mode}"),
        }
    }
}
