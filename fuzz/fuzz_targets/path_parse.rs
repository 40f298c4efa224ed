//! Any bytes given to the PATCH-path parser: never a panic, and a parsed path prints to
//! text that parses back to the same path.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scim2_filter::parse_path;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(path) = parse_path(text) {
        let printed = path.to_string();
        let again = parse_path(&printed).expect("printed path must parse");
        assert_eq!(again, path, "round trip of {printed:?}");
    }
});
