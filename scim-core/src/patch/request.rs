//! The PATCH request message (RFC 7644 §3.5.2): `schemas` and `Operations`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Compat;
use crate::error::ScimError;
use crate::json::get_ci;
use crate::limits::ResourceLimits;
use crate::resource::open_message;
use crate::schema::urn;

/// The three PATCH operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OpKind {
    /// `add` (§3.5.2.1).
    Add,
    /// `remove` (§3.5.2.2).
    Remove,
    /// `replace` (§3.5.2.3).
    Replace,
}

impl OpKind {
    /// The operation's keyword.
    pub fn as_str(self) -> &'static str {
        match self {
            OpKind::Add => "add",
            OpKind::Remove => "remove",
            OpKind::Replace => "replace",
        }
    }
}

/// One PATCH operation.
///
/// `#[non_exhaustive]`: build one with [`PatchOperation::new`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PatchOperation {
    /// What to do.
    pub op: OpKind,
    /// Where, as a PATCH path; `None` targets the resource itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The value to add or replace with (for `remove`, an Entra extension: which values).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
}

impl PatchOperation {
    /// An operation from its parts.
    pub fn new(op: OpKind, path: Option<&str>, value: Option<Value>) -> Self {
        PatchOperation {
            op,
            path: path.map(str::to_owned),
            value,
        }
    }
}

/// A PATCH request: `{"schemas": [PatchOp URN], "Operations": [...]}`.
///
/// Serialises with the RFC's member names; parse untrusted bodies with
/// [`PatchRequest::from_value`], which applies the [`Compat`] toggles.
///
/// `#[non_exhaustive]`: build one with [`PatchRequest::new`] and
/// [`with_limits`](PatchRequest::with_limits).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PatchRequest {
    /// The message schema; always the PatchOp URN.
    pub schemas: Vec<String>,
    /// The operations, applied in order.
    #[serde(rename = "Operations")]
    pub operations: Vec<PatchOperation>,
    /// The bounds the result must keep (not part of the message: the service sets them
    /// from its configuration; [`ResourceLimits::default`] otherwise).
    #[serde(skip)]
    pub limits: ResourceLimits,
}

impl PatchRequest {
    /// A request holding `operations`.
    pub fn new(operations: Vec<PatchOperation>) -> Self {
        PatchRequest {
            schemas: vec![urn::PATCH_OP.to_owned()],
            operations,
            limits: ResourceLimits::default(),
        }
    }

    /// The request with `limits` as the bounds its result must keep.
    #[must_use]
    pub fn with_limits(mut self, limits: ResourceLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Reads a PATCH body. Member names match case-insensitively (`operations`, `Op`);
    /// `op` values in any case when [`Compat::case_insensitive_op`] is on. A body that is
    /// not a PatchOp message is `invalidSyntax`; an unknown `op` is `invalidValue`.
    pub fn from_value(body: &Value, compat: &Compat) -> Result<Self, ScimError> {
        let obj = open_message(body, urn::PATCH_OP, "PATCH body")?;
        let Some(ops) = get_ci(obj, "Operations").and_then(Value::as_array) else {
            return Err(ScimError::invalid_syntax(
                "a PATCH body needs an `Operations` array",
            ));
        };
        if ops.is_empty() {
            return Err(ScimError::invalid_syntax("`Operations` is empty"));
        }
        let operations = ops
            .iter()
            .enumerate()
            .map(|(i, op)| {
                parse_operation(op, compat).map_err(|e| {
                    let path = op.as_object().and_then(|o| get_ci(o, "path"));
                    e.context(format!("operation {}", i + 1))
                        .with_operation(i, path.and_then(Value::as_str))
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(PatchRequest::new(operations))
    }
}

fn parse_operation(op: &Value, compat: &Compat) -> Result<PatchOperation, ScimError> {
    let Some(obj) = op.as_object() else {
        return Err(ScimError::invalid_syntax(
            "an operation must be a JSON object",
        ));
    };
    let member = |name: &str| get_ci(obj, name);
    let Some(kind) = member("op").and_then(Value::as_str) else {
        return Err(ScimError::invalid_syntax(
            "an operation needs `op`: \"add\", \"remove\" or \"replace\"",
        ));
    };
    let matches = |word: &str| {
        if compat.case_insensitive_op {
            kind.eq_ignore_ascii_case(word)
        } else {
            kind == word
        }
    };
    let op_kind = if matches("add") {
        OpKind::Add
    } else if matches("remove") {
        OpKind::Remove
    } else if matches("replace") {
        OpKind::Replace
    } else {
        return Err(ScimError::invalid_value(format!(
            "unknown op \"{kind}\": expected \"add\", \"remove\" or \"replace\""
        )));
    };
    let path = match member("path") {
        None | Some(Value::Null) => None,
        Some(Value::String(p)) if p.trim().is_empty() => None,
        Some(Value::String(p)) => Some(p.clone()),
        Some(_) => return Err(ScimError::invalid_path("`path` must be a string")),
    };
    Ok(PatchOperation {
        op: op_kind,
        path,
        value: member("value").cloned(),
    })
}
