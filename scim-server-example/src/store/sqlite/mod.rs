//! The embedded store: SQLite in WAL mode, one transaction per request, versioned
//! migrations (`PRAGMA user_version`).

use std::path::Path;
use std::sync::{Arc, Condvar, Mutex, PoisonError, Weak};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, TransactionBehavior};

mod commit;
mod journal;
mod migrations;
mod tx;

use super::{Owed, Store, StoreError, Tx};
use commit::Writer;
use migrations::MIGRATIONS;
use tx::SqliteTx;

/// The migration (1-based, as `user_version` counts) that removes stored passwords:
/// when it removed any, the database is rewritten ([`scrub`]).
const REMOVES_PASSWORDS: usize = 4;

/// Rewrites the whole database so that no freed page (a password removed by migration
/// [`REMOVES_PASSWORDS`], on a b-tree or an overflow page) keeps old bytes: `VACUUM`
/// copies the live rows into fresh pages, and a `TRUNCATE` checkpoint writes them over
/// the database file and empties the `-wal`, which held the old page images too. Runs
/// outside any transaction (`VACUUM` cannot run inside one).
fn scrub(conn: &Connection) -> Result<(), StoreError> {
    // VACUUM's temporary copy (SQLite unlinks it as it opens it) holds only the rows as
    // they are now, without passwords. Disk: about twice the database, once.
    conn.execute_batch("VACUUM").map_err(classify)?;
    checkpoint_truncate(conn)
}

/// Copies the `-wal` into the database file and truncates it to zero bytes. Another
/// process reading the database (a backup) can keep the checkpoint from finishing:
/// logged; the old pages are then overwritten by a later checkpoint.
fn checkpoint_truncate(conn: &Connection) -> Result<(), StoreError> {
    let busy: i64 = conn
        .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))
        .map_err(classify)?;
    if busy != 0 {
        tracing::warn!(
            "another process kept the database busy: the -wal may still hold old pages until the next checkpoint"
        );
    }
    Ok(())
}

/// SQLite with one writer connection, as SQLite wants, whose transactions are committed
/// in groups (`store/sqlite/commit`); other processes (the `invitations accept` subcommand) share
/// the file through WAL and a busy timeout.
pub struct SqliteStore {
    /// The one writer.
    writer: Arc<Writer>,
    /// Read connections: WAL lets them read while the writer writes, and each other.
    readers: Readers,
}

/// The pool of read connections. A query takes an idle one, or waits for whichever
/// frees first: an indexed lookup never queues behind one particular long scan while
/// another connection is free.
struct Readers {
    /// The connections no query holds.
    idle: Mutex<Vec<Connection>>,
    /// Signalled each time a connection goes back to `idle`.
    freed: Condvar,
    /// How many connections the pool has (idle or not); 0 before they are opened.
    size: usize,
}

impl Readers {
    /// Takes an idle connection, waiting for one to free up if every one is busy.
    fn take(&self) -> Reader<'_> {
        // The lock only guards pushes and pops, which cannot leave the list half-done:
        // a poisoned lock still holds a valid list.
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if let Some(conn) = idle.pop() {
                return Reader {
                    pool: self,
                    conn: Some(conn),
                };
            }
            idle = self
                .freed
                .wait(idle)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
}

/// A read connection taken from [`Readers`], given back when dropped.
struct Reader<'p> {
    pool: &'p Readers,
    /// Always `Some` until dropped.
    conn: Option<Connection>,
}

impl Drop for Reader<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            self.pool
                .idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(conn);
            self.pool.freed.notify_one();
        }
    }
}

impl Reader<'_> {
    /// The connection.
    fn conn(&mut self) -> Result<&mut Connection, StoreError> {
        self.conn
            .as_mut()
            .ok_or_else(|| StoreError::Other("read connection already given back".into()))
    }
}

/// How many read connections to keep.
const READERS: usize = 4;

/// How long a connection waits for another process's lock (the `invitations accept`
/// subcommand, a backup) before giving up. Inside the bridge writers queue on a mutex and
/// every write transaction is short, so only another process can hold the lock this long.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Opens one connection with the pragmas every connection needs.
fn connect(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path).map_err(classify)?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(classify)?;
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(classify)?;
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(classify)?;
    conn.pragma_update(None, "foreign_keys", "ON")
        .map_err(classify)?;
    // Freed space (a deleted person, a removed password) is zeroed, not left readable.
    conn.pragma_update(None, "secure_delete", "FAST")
        .map_err(classify)?;
    // Temporary data in memory: above all the journal of each write's savepoint in a
    // group commit (`commit`), which on a file cost some 50 page writes per created
    // user. It holds the pages one write changes, until that write ends.
    conn.pragma_update(None, "temp_store", "MEMORY")
        .map_err(classify)?;
    // Room for every statement the rules run (rusqlite keeps 16 by default): a statement
    // pushed out is parsed and planned again at its next use.
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(conn)
}

/// How many prepared statements each connection keeps.
const STATEMENT_CACHE: usize = 256;

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SqliteStore")
    }
}

fn classify(e: rusqlite::Error) -> StoreError {
    match &e {
        rusqlite::Error::SqliteFailure(f, _) => match f.code {
            ErrorCode::ConstraintViolation => StoreError::Duplicate(e.to_string()),
            ErrorCode::DiskFull
            | ErrorCode::ReadOnly
            | ErrorCode::CannotOpen
            | ErrorCode::SystemIoFailure
            | ErrorCode::PermissionDenied => StoreError::Unavailable(e.to_string()),
            ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => StoreError::Busy(e.to_string()),
            _ => StoreError::Other(e.to_string()),
        },
        _ => StoreError::Other(e.to_string()),
    }
}

/// Makes the database file exist with mode 0600 before SQLite opens it (SQLite gives its
/// `-wal` and `-shm` files the database file's mode), and narrows an existing database
/// and its `-wal`/`-shm` files to 0600: they hold every person's record. A file the
/// bridge may use but not chmod (another owner) is left as it is, with a warning.
#[cfg(unix)]
fn restrict_files(path: &Path) -> Result<(), StoreError> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    if !path.exists() {
        let created = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path);
        match created {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => {
                return Err(StoreError::Unavailable(format!(
                    "cannot create {}: {e}",
                    path.display()
                )))
            }
        }
    }
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        let file = std::path::PathBuf::from(name);
        let Ok(meta) = std::fs::metadata(&file) else {
            continue;
        };
        if meta.permissions().mode() & 0o077 == 0 {
            continue;
        }
        if let Err(e) = std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)) {
            tracing::warn!(file = %file.display(), error = %e, "cannot make the database file 0600");
        }
    }
    Ok(())
}

/// Elsewhere the files keep the platform's defaults.
#[cfg(not(unix))]
fn restrict_files(_path: &Path) -> Result<(), StoreError> {
    Ok(())
}

impl SqliteStore {
    /// Opens (creating if needed, mode 0600) the database at `path` and migrates it.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        restrict_files(path)?;
        let mut store = SqliteStore {
            writer: Arc::new(Writer::new(connect(path)?)),
            readers: Readers {
                idle: Mutex::new(Vec::new()),
                freed: Condvar::new(),
                size: 0,
            },
        };
        store.migrate()?;
        // Statistics for the query planner (bounded work, refreshed only where the tables
        // changed enough), read by the read connections opened next: without them it may
        // walk the creation-order index past 100,000 rows for an indexed lookup.
        store
            .writer
            .exclusive()?
            .conn
            .execute_batch("PRAGMA analysis_limit = 1000; PRAGMA optimize = 0x10002;")
            .map_err(classify)?;
        let readers = (0..READERS)
            .map(|_| connect(path))
            .collect::<Result<Vec<_>, _>>()?;
        store.readers.size = readers.len();
        store.readers.idle = Mutex::new(readers);
        commit_idle_batches(Arc::downgrade(&store.writer));
        Ok(store)
    }

    fn migrate(&self) -> Result<(), StoreError> {
        let mut writer = self.writer.exclusive()?;
        let conn = &mut writer.conn;
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(classify)?;
        let version = usize::try_from(version).unwrap_or(usize::MAX);
        if version > MIGRATIONS.len() {
            return Err(StoreError::Other(format!(
                "the database is at schema version {version}, newer than this bridge knows ({}); upgrade the bridge",
                MIGRATIONS.len()
            )));
        }
        if version >= MIGRATIONS.len() {
            return Ok(());
        }
        // Removing passwords frees the pages that held them: zeroed as they are freed.
        let scrubbing = version < REMOVES_PASSWORDS;
        if scrubbing {
            conn.pragma_update(None, "secure_delete", "ON")
                .map_err(classify)?;
        }
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(classify)?;
        // Read again under the write lock: another process may have migrated meanwhile.
        let version: i64 = tx
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(classify)?;
        let version = usize::try_from(version).unwrap_or(usize::MAX);
        let mut removed_passwords = false;
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version) {
            tx.execute_batch(sql).map_err(classify)?;
            if i + 1 == REMOVES_PASSWORDS {
                removed_passwords = tx.changes() > 0;
            }
            tx.pragma_update(None, "user_version", (i + 1) as i64)
                .map_err(classify)?;
        }
        tx.commit().map_err(classify)?;
        if scrubbing {
            if removed_passwords {
                scrub(conn)?;
            }
            conn.pragma_update(None, "secure_delete", "FAST")
                .map_err(classify)?;
        }
        Ok(())
    }
}

/// Commits, on a thread of its own, the batches that deferred writes left idle (a Bulk
/// request whose client went before it finished); the thread ends with the store.
fn commit_idle_batches(writer: Weak<Writer>) {
    let spawned = std::thread::Builder::new()
        .name("sqlite-idle-commit".into())
        .spawn(move || loop {
            std::thread::sleep(commit::IDLE_COMMIT);
            match writer.upgrade() {
                Some(writer) => writer.flush_idle(),
                None => return,
            }
        });
    if let Err(e) = spawned {
        // Only writes deferred by a Bulk request abandoned midway wait for the next write.
        tracing::warn!(error = %e, "could not start the idle-commit thread");
    }
}

impl Store for SqliteStore {
    /// On a pooled read connection: a read never waits for the writer.
    fn read<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&mut dyn Tx) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut reader = self.readers.take();
        let conn = reader.conn()?;
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Deferred)
            .map_err(classify)?;
        let out = f(&mut SqliteTx { tx: &tx })?;
        tx.commit().map_err(classify)?;
        Ok(out)
    }

    /// In the current group commit (`store/sqlite/commit`): returns once it is durable.
    fn write<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&mut dyn Tx) -> Result<T, E>,
    ) -> Result<T, E> {
        self.writer.write(false, f).map(|(out, _)| out)
    }

    fn write_deferred<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&mut dyn Tx) -> Result<T, E>,
    ) -> Result<(T, Owed), E> {
        self.writer
            .write(true, f)
            .map(|(out, epoch)| (out, Owed::batch(epoch)))
    }

    fn make_durable(&self, owed: Owed) -> Result<(), StoreError> {
        self.writer.make_durable(owed)
    }

    fn check(&self) -> Result<(), StoreError> {
        // A read connection: `/health` never waits for the writer.
        let mut reader = self.readers.take();
        reader
            .conn()?
            .query_row("SELECT count(*) FROM resources", [], |r| r.get::<_, i64>(0))
            .map(|_| ())
            .map_err(classify)
    }

    fn engine(&self) -> &'static str {
        "sqlite"
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{mpsc, Arc};

    use super::*;

    /// Holds one read connection on a thread until the returned sender is dropped;
    /// returns once the connection is held.
    fn hold_a_reader(store: &Arc<SqliteStore>) -> (mpsc::Sender<()>, std::thread::JoinHandle<()>) {
        let (held_tx, held_rx) = mpsc::channel();
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let store = store.clone();
        let thread = std::thread::spawn(move || {
            store
                .read(|_| {
                    let _ = held_tx.send(());
                    let _ = release_rx.recv();
                    Ok::<_, StoreError>(())
                })
                .expect("a read");
        });
        held_rx.recv().expect("the reader is held");
        (release_tx, thread)
    }

    /// The statements that read a page's rows and their groups take the page as the outer
    /// loop, with or without statistics (found at 10,000 users created after the start:
    /// every `userName eq` lookup walked every user, 15 ms each).
    #[test]
    fn page_reads_follow_the_page_without_statistics() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let store = SqliteStore::open(&dir.path().join("bridge.db")).expect("open");
        let mut reader = store.readers.take();
        let conn = reader.conn().expect("a connection");
        let (users, list) = (
            rusqlite::types::Value::from("User".to_owned()),
            "[1]".to_owned(),
        );
        for (sql, args) in [
            (tx::ROWS_AT, vec![users, list.clone().into()]),
            (tx::GROUPS_OF_EACH, vec![list.into()]),
        ] {
            let plan: Vec<String> = conn
                .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
                .expect("explained")
                .query_map(rusqlite::params_from_iter(args), |r| r.get(3))
                .expect("a plan")
                .collect::<Result<_, _>>()
                .expect("rows");
            // Every table but the page is searched by its own key, never walked.
            assert!(
                plan.iter().all(|step| !step.starts_with("SCAN r")
                    && !step.starts_with("SCAN m")
                    && !step.contains("(resource_type=?)")),
                "{sql}: {plan:?}"
            );
        }
    }

    /// With every read connection held (by long scans), a query waits for whichever
    /// connection frees first, not for one particular connection that may be held the
    /// longest.
    #[test]
    fn a_read_takes_whichever_connection_frees_first() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let store = Arc::new(SqliteStore::open(&dir.path().join("bridge.db")).expect("open"));
        let mut holders: Vec<_> = (0..READERS).map(|_| hold_a_reader(&store)).collect();
        let (done_tx, done_rx) = mpsc::channel();
        let lookup = {
            let store = store.clone();
            std::thread::spawn(move || {
                let _ = done_tx.send(
                    store
                        .read(|tx| tx.count("User", &crate::store::Selection::all()))
                        .ok(),
                );
            })
        };
        // Let the query start waiting (not an assertion: the order below is).
        std::thread::sleep(Duration::from_millis(300));
        // The connection taken last is given back; the other three stay held.
        let (release, thread) = holders.pop().expect("a holder");
        drop(release);
        thread.join().expect("the holder ends");
        // Bounded: a query stuck behind a held connection would wait until they end.
        let answered = done_rx.recv_timeout(Duration::from_secs(30));
        for (release, thread) in holders {
            drop(release);
            thread.join().expect("a holder ends");
        }
        lookup.join().expect("the query ends");
        assert_eq!(
            answered,
            Ok(Some(0)),
            "the query waited for a connection still held while another was free"
        );
    }
}
