//! The data directory: created owner-only when the bridge makes it, checked (never
//! silently changed) when it already exists, and required to hold a bridge database for
//! the subcommands, so that a mistyped `--data-dir` is an error instead of a new, empty
//! database.
//!
//! It also records where the running bridge takes its Secret Token from, so that
//! `token rotate` can refuse when its new token would never be used.

use std::path::{Path, PathBuf};

/// Why the data directory cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DataDirError {
    /// The directory is missing and cannot be created.
    #[error("cannot create the data directory {}: {source}", path.display())]
    Create {
        /// The directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A subcommand was pointed at a directory that holds no bridge database.
    #[error(
        "{} holds no scim-bridge database ({DB_FILE}); check --data-dir \
         (or SCIM_BRIDGE_DATA_DIR): it must be the directory the bridge serves from",
        path.display()
    )]
    NoDatabase {
        /// The directory.
        path: PathBuf,
    },
    /// The record of where the token comes from cannot be written.
    #[error("cannot write {}: {source}", path.display())]
    WriteMarker {
        /// The marker file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// The database file's name in the data directory.
pub const DB_FILE: &str = "bridge.db";
/// Present while the bridge takes its token from `SCIM_BRIDGE_TOKEN` or `--token-file`.
const EXTERNAL_TOKEN_MARKER: &str = "token.external";

/// The directory the bridge serves from: created (0700) if missing; an existing one is
/// left as it is, with a warning if other users can read it.
pub fn for_serving(dir: &Path) -> Result<&Path, DataDirError> {
    if dir.is_dir() {
        warn_if_shared(dir);
        return Ok(dir);
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(|source| DataDirError::Create {
        path: dir.to_owned(),
        source,
    })?;
    Ok(dir)
}

/// The directory a subcommand works on: it must already hold a bridge database.
pub fn existing(dir: &Path) -> Result<&Path, DataDirError> {
    if !dir.join(DB_FILE).is_file() {
        return Err(DataDirError::NoDatabase {
            path: dir.to_owned(),
        });
    }
    Ok(dir)
}

#[cfg(unix)]
fn warn_if_shared(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = std::fs::metadata(dir) {
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            tracing::warn!(
                data_dir = %dir.display(),
                mode = format!("{mode:o}"),
                "the data directory is accessible to other users; `chmod 700` it unless that is intended"
            );
        }
    }
}

#[cfg(not(unix))]
fn warn_if_shared(_dir: &Path) {}

fn marker(dir: &Path) -> PathBuf {
    dir.join(EXTERNAL_TOKEN_MARKER)
}

/// Why `token rotate` refuses when the bridge took its token from `source` (recorded in
/// the data directory, or in the database in PostgreSQL mode).
pub fn token_source_note(source: &str) -> String {
    format!("the bridge, when it last started, took its Secret Token from {source}; `scim-bridge token rotate` cannot change it")
}

/// Records whether the serving bridge's token is managed outside the data directory.
pub fn record_token_source(dir: &Path, external: Option<&str>) -> Result<(), DataDirError> {
    let path = marker(dir);
    let result = match external {
        Some(source) => std::fs::write(&path, format!("{}\n", token_source_note(source))),
        None => match std::fs::remove_file(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            other => other,
        },
    };
    result.map_err(|source| DataDirError::WriteMarker { path, source })
}

/// Where the token is managed, when not in the data directory's token file.
pub fn external_token_source(dir: &Path) -> Option<String> {
    std::fs::read_to_string(marker(dir))
        .ok()
        .map(|text| text.trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_existing_directory_keeps_its_mode_and_subcommands_need_a_database() {
        let tmp = tempfile::tempdir().unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o750)).unwrap();
            for_serving(tmp.path()).unwrap();
            let mode = std::fs::metadata(tmp.path()).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o750);
            let new = tmp.path().join("a/b");
            for_serving(&new).unwrap();
            let mode = std::fs::metadata(&new).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o700);
        }
        let err = existing(tmp.path()).unwrap_err();
        assert!(matches!(err, DataDirError::NoDatabase { .. }), "{err:?}");
        assert!(err.to_string().contains("no scim-bridge database"), "{err}");
        std::fs::write(tmp.path().join(DB_FILE), b"").unwrap();
        assert!(existing(tmp.path()).is_ok());
        record_token_source(tmp.path(), Some("SCIM_BRIDGE_TOKEN")).unwrap();
        assert!(external_token_source(tmp.path())
            .unwrap()
            .contains("SCIM_BRIDGE_TOKEN"));
        record_token_source(tmp.path(), None).unwrap();
        assert!(external_token_source(tmp.path()).is_none());
    }
}
