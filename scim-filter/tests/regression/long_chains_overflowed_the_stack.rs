//! Found by scim-core's limits test: a filter of 512 `or`-ed terms (within the default
//! limits) overflowed a 2 MiB thread stack in debug builds, because compiling, evaluating
//! and printing recursed once per term along the left-deep chain. Chains are now walked
//! with loops; only nesting, which the parser bounds at 64, recurses.

use scim2_filter::{parse_filter, CompiledFilter, NoSchema};
use serde_json::json;

fn on_small_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(f)
        .unwrap()
        .join()
        .expect("no stack overflow");
}

#[test]
fn five_hundred_twelve_terms_on_a_256k_stack() {
    for joiner in [" or ", " and "] {
        let text = vec![r#"userName eq "x""#; 512].join(joiner);
        on_small_stack(move || {
            let f = parse_filter(&text).unwrap();
            let printed = f.to_string();
            assert_eq!(parse_filter(&printed).unwrap(), f);
            let c = CompiledFilter::new(&f, &NoSchema).unwrap();
            assert!(c.matches(&json!({"userName": "x"})).unwrap());
        });
    }
}
