//! File descriptors: the soft limit is raised to the hard one at start, and the default
//! connection limit stays below what the descriptors allow, so that the bridge refuses
//! connections with a 503 before `accept` starts failing.

/// Descriptors kept for everything but client connections (half the limit when it is
/// lower than twice this): the database and its read pool, WAL and shared-memory files,
/// the listener, the runtime, logs, and the short-lived sockets of refused connections.
pub const RESERVED: u64 = 128;
/// The default connection limit when descriptors are plentiful.
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;

/// Raises the soft `RLIMIT_NOFILE` to the hard limit; returns the limit now in force
/// (`None` where there is no such limit).
pub fn raise_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        match rlimit::increase_nofile_limit(u64::MAX) {
            Ok(n) => Some(n),
            Err(e) => {
                tracing::warn!(error = %e, "cannot raise the file descriptor limit");
                rlimit::getrlimit(rlimit::Resource::NOFILE)
                    .ok()
                    .map(|(soft, _)| soft)
            }
        }
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// The connection limit: the operator's, or the default capped by the descriptors.
/// An operator's value above what the descriptors allow is kept, with a warning.
pub fn max_connections(requested: Option<usize>, nofile: Option<u64>) -> usize {
    let allowed = nofile.map(|n| usize::try_from(n - RESERVED.min(n / 2)).unwrap_or(usize::MAX));
    match (requested, allowed) {
        (Some(n), Some(allowed)) if n > allowed => {
            tracing::warn!(
                max_connections = n,
                file_descriptor_limit = nofile,
                "--max-connections is above what the file descriptor limit allows; \
                 expect failed accepts (the bridge backs off) instead of 503s"
            );
            n.max(1)
        }
        (Some(n), _) => n.max(1),
        (None, Some(allowed)) => DEFAULT_MAX_CONNECTIONS.min(allowed).max(1),
        (None, None) => DEFAULT_MAX_CONNECTIONS,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_stays_below_the_descriptor_limit() {
        assert_eq!(max_connections(None, Some(1024)), 896);
        assert_eq!(max_connections(None, Some(1 << 20)), 1024);
        assert_eq!(max_connections(None, Some(64)), 32);
        assert_eq!(max_connections(None, None), 1024);
        assert_eq!(max_connections(Some(5000), Some(1024)), 5000);
        assert_eq!(max_connections(Some(0), None), 1);
    }
}
