//! What the PostgreSQL store reads of a resource's JSON without PostgreSQL's JSON
//! functions: its version and display name.

use crate::store::StoreError;

/// What `version` and `groups_of_each` read of a resource's `data`, parsed
/// here rather than by PostgreSQL's JSON functions: those fail (22P05) on any row whose
/// JSON escapes U+0000 in a name, as rows stored before the rules refused U+0000 may,
/// and would make every member of such a group unreadable. The rest of the document is
/// skipped, not built.
#[derive(serde::Deserialize)]
pub(super) struct Summary {
    /// `displayName`.
    #[serde(default, rename = "displayName")]
    display_name: Option<serde_json::Value>,
    /// `meta`, for its `version`.
    #[serde(default)]
    meta: Option<SummaryMeta>,
}

/// The part of `meta` a [`Summary`] reads.
#[derive(serde::Deserialize)]
struct SummaryMeta {
    /// `meta.version`.
    #[serde(default)]
    version: Option<serde_json::Value>,
}

impl Summary {
    /// The summary of resource `id` of type `rt` stored as `data`; a row whose data is
    /// not a JSON object is [`StoreError::Corrupt`] (logged), as [`RawRow::parse`] has it.
    pub(super) fn of(rt: &str, id: &str, data: &str) -> Result<Summary, StoreError> {
        serde_json::from_str(data).map_err(|e| {
            let detail = format!("data is not a JSON object: {e}");
            tracing::error!(resource_type = rt, id, %detail, "stored resource is corrupted");
            StoreError::Corrupt {
                resource_type: rt.to_owned(),
                id: id.to_owned(),
                detail,
            }
        })
    }

    /// `meta.version`, if it is a string.
    pub(super) fn version(self) -> Option<String> {
        match self.meta?.version? {
            serde_json::Value::String(v) => Some(v),
            _ => None,
        }
    }

    /// `displayName`, or `""` when it is not a string.
    pub(super) fn display_name(self) -> String {
        match self.display_name {
            Some(serde_json::Value::String(name)) => name,
            _ => String::new(),
        }
    }
}
