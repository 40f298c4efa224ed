//! Regression tests: one module per bug found (by fuzzing or otherwise), named after it.

mod non_ascii_attribute_name;
