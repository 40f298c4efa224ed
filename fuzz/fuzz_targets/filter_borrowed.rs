//! Differential oracle for the borrowed parsers: on any text, `borrowed::parse_filter` and
//! `borrowed::parse_path` accept exactly what the owned parsers accept, with the same
//! errors; the borrowed tree converts to the owned one and prints the same text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scim2_filter::{borrowed, parse_filter, parse_path};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match (borrowed::parse_filter(text), parse_filter(text)) {
        (Ok(b), Ok(o)) => {
            assert_eq!(b.to_string(), o.to_string(), "print of {text:?}");
            assert_eq!(b.into_owned(), o, "tree of {text:?}");
        }
        (Err(b), Err(o)) => assert_eq!(b, o, "error for {text:?}"),
        (b, o) => panic!("{text:?}: borrowed {b:?}, owned {o:?}"),
    }
    match (borrowed::parse_path(text), parse_path(text)) {
        (Ok(b), Ok(o)) => {
            assert_eq!(b.to_string(), o.to_string(), "print of {text:?}");
            assert_eq!(b.into_owned(), o, "path {text:?}");
        }
        (Err(b), Err(o)) => assert_eq!(b, o, "error for {text:?}"),
        (b, o) => panic!("{text:?}: borrowed {b:?}, owned {o:?}"),
    }
});
