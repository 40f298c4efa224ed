//! Regression tests: one module per bug found, named after it.

mod long_chains_overflowed_the_stack;
