//! Typed resources and messages (RFC 7643 §3–§8, RFC 7644 §3): serde models whose field
//! names are the canonical attribute names, each keeping the members it does not know
//! (other extensions, custom attributes) in an `extra` map so that nothing is dropped.
//!
//! Engines in this crate (validation, PATCH, projection) work on `serde_json::Value` under
//! the schema; these types are for code that builds or reads resources. To read input
//! whose attribute names may be in any case, run it through [`canonicalize`] first.
//!
//! The structs are exhaustive on purpose, unlike the crate's configuration structs: each
//! models an RFC 7643 resource or RFC 7644 message whose members the RFC fixes, and a
//! member the RFC does not name (an extension, a custom attribute) lands in an `extra`
//! map rather than a new field. So they can be built with struct literals
//! (`User { user_name: "ann".into(), ..Default::default() }`) and matched field by field.

mod common;
mod config;
mod group;
mod message;
mod names;
mod user;

pub use common::{Meta, MultiValue};
pub use config::{AuthenticationScheme, Bulk, FilterConfig, ServiceProviderConfig, Supported};
pub use group::{Group, Member};
pub(crate) use message::open_message;
pub use message::{
    BulkOperation, BulkOperationResponse, BulkRequest, BulkResponse, ErrorResponse, ListResponse,
    SearchRequest,
};
pub use names::canonicalize;
pub use user::{Address, EnterpriseUser, GroupRef, Manager, Name, User};
