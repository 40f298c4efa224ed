//! Round-trip oracle: parse, print, parse again; the two trees must be equal and the
//! second print identical to the first.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scim2_filter::parse_filter;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(filter) = parse_filter(text) {
        let printed = filter.to_string();
        let again = parse_filter(&printed).expect("printed filter must parse");
        assert_eq!(again, filter, "round trip of {printed:?}");
        assert_eq!(again.to_string(), printed);
    }
});
