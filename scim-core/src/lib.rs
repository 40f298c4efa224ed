//! SCIM 2.0 core: schemas as data, resources, validation, projection, errors and an exact
//! PATCH engine (RFC 7643, RFC 7644).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod error;
pub mod schema;

pub use error::{ScimError, ScimType};
pub mod patch;
pub mod validate;
