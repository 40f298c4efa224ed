//! The schema of the PostgreSQL store: its versioned migrations, applied under an
//! advisory lock by the first bridge to start (each later one finds nothing to do), and
//! the schema version every replica checks so that one older than the database stops
//! serving.

use super::*;

/// Schema migrations, applied in order; `schema_migrations` records each one applied.
///
/// `resources_unique` is what keeps `userName` and group `displayName` unique across
/// every replica: `unique_key` holds the value lower-cased by the rules (`userName` is
/// case-insensitive, `caseExact` false, RFC 7643 §4.1.1), so a second create of the same
/// name, from any replica, violates the index and is answered `409` with `scimType`
/// `uniqueness` (RFC 7644 §3.3, §3.12) through [`StoreError::Duplicate`].
pub(super) const MIGRATIONS: &[&str] = &[
    // 1: resources, accounts, memberships (the tables of the SQLite engine), with `seq`
    // (the insertion order) from an identity column.
    "CREATE TABLE resources (
        resource_type text NOT NULL,
        id text NOT NULL,
        seq bigint GENERATED ALWAYS AS IDENTITY,
        data text NOT NULL,
        unique_key text,
        external_id text,
        PRIMARY KEY (resource_type, id)
     );
     CREATE UNIQUE INDEX resources_unique ON resources (resource_type, unique_key)
        WHERE unique_key IS NOT NULL;
     CREATE INDEX resources_external ON resources (resource_type, external_id, seq);
     CREATE INDEX resources_seq ON resources (resource_type, seq);
     CREATE TABLE accounts (
        user_id text PRIMARY KEY,
        state text NOT NULL,
        suspended_from text,
        changed_at text NOT NULL
     );
     CREATE INDEX accounts_state ON accounts (state, user_id);
     CREATE TABLE members (
        group_id text NOT NULL,
        member_id text NOT NULL,
        kind text,
        display text,
        reference text,
        seq bigint GENERATED ALWAYS AS IDENTITY,
        PRIMARY KEY (group_id, member_id)
     );
     CREATE INDEX members_by_member ON members (member_id);
     CREATE INDEX members_order ON members (group_id, seq);
     CREATE INDEX members_groups ON members (group_id) WHERE kind = 'Group';",
    // 2: what the bridge keeps beside the resources (the Secret Token's hash), so that
    // every replica reads it from one place.
    "CREATE TABLE settings (
        name text PRIMARY KEY,
        value text NOT NULL,
        changed_at timestamptz NOT NULL DEFAULT now()
     );",
    // 3: the confirmation watcher's heartbeat: one row, written by the session holding
    // the watcher lock each time it runs the watcher, so that the other replicas can
    // tell a leader that stopped (frozen, paused) from one that runs.
    "CREATE TABLE watcher_heartbeat (
        id boolean PRIMARY KEY DEFAULT true CHECK (id),
        pid integer NOT NULL,
        beat_at timestamptz NOT NULL
     );",
    // 4: the unique key in code point order (COLLATE "C"), as list requests sort by it
    // and as their `sw` filters read a range of it, whatever the database's locale.
    "CREATE INDEX resources_unique_c ON resources (resource_type, unique_key COLLATE \"C\", seq);",
    // 5: `meta.lastModified` as an instant (nanoseconds since 1970), indexed, for
    // filters on it. The bridge writes whole seconds in UTC (`…T09:07:57Z`): those are
    // converted here when they name a real time that the column can hold (no February
    // 30th, no hour 24, no second 60; years 1678–2261); anything else is left NULL,
    // which list requests evaluate from the document as before. Set-based first;
    // should a row's data not be JSON, row by row, each such row left NULL.
    "ALTER TABLE resources ADD COLUMN last_modified bigint;
     CREATE FUNCTION pg_temp.scim_instant(at text) RETURNS bigint LANGUAGE sql AS $f$
        SELECT CASE WHEN at ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$' THEN
            CASE WHEN substr(at, 1, 4)::int BETWEEN 1678 AND 2261
                  AND substr(at, 6, 2)::int BETWEEN 1 AND 12
                  AND substr(at, 9, 2)::int BETWEEN 1 AND extract(day FROM
                        make_date(substr(at, 1, 4)::int, substr(at, 6, 2)::int, 1)
                        + interval '1 month - 1 day')::int
                  AND substr(at, 12, 2)::int <= 23
                  AND substr(at, 15, 2)::int <= 59
                  AND substr(at, 18, 2)::int <= 59
            THEN extract(epoch FROM at::timestamptz)::bigint * 1000000000 END
        END
     $f$;
     DO $$
     DECLARE r record;
     BEGIN
        BEGIN
            UPDATE resources
               SET last_modified = pg_temp.scim_instant(data::jsonb -> 'meta' ->> 'lastModified');
        EXCEPTION WHEN others THEN
            FOR r IN SELECT resource_type, id, data FROM resources LOOP
                BEGIN
                    UPDATE resources
                       SET last_modified = pg_temp.scim_instant(r.data::jsonb -> 'meta' ->> 'lastModified')
                     WHERE resource_type = r.resource_type AND id = r.id;
                EXCEPTION WHEN others THEN NULL;
                END;
            END LOOP;
        END;
     END $$;
     DROP FUNCTION pg_temp.scim_instant(text);
     CREATE INDEX resources_last_modified ON resources (resource_type, last_modified);",
    // 6: the values of multi-valued attributes filters look up (`emails.value`), one row
    // each, lower-cased, indexed. Filled here for ASCII values (lower-cased letter by
    // letter, whatever the locale, as the bridge does); any other value is a NULL row,
    // which list requests evaluate from the document.
    "CREATE TABLE resource_values (
        resource_type text NOT NULL,
        id text NOT NULL,
        attr text NOT NULL,
        value text
     );
     CREATE INDEX resource_values_lookup ON resource_values (resource_type, attr, value);
     CREATE INDEX resource_values_owner ON resource_values (resource_type, id);
     CREATE FUNCTION pg_temp.scim_emails(doc jsonb, rt text, rid text)
        RETURNS TABLE (resource_type text, id text, attr text, value text)
        LANGUAGE sql AS $f$
        SELECT rt, rid, 'emails.value',
               CASE WHEN jsonb_typeof(e) = 'object' AND jsonb_typeof(e -> 'value') = 'string'
                         AND (e ->> 'value') ~ '^[ -~]*$'
                    THEN translate(e ->> 'value', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
                                   'abcdefghijklmnopqrstuvwxyz') END
        FROM jsonb_array_elements(CASE WHEN jsonb_typeof(doc -> 'emails') = 'array'
                                       THEN doc -> 'emails' ELSE '[]'::jsonb END) e
        WHERE jsonb_typeof(e) <> 'object' OR coalesce(jsonb_typeof(e -> 'value'), 'null') <> 'null'
        UNION
        SELECT rt, rid, 'emails.value', NULL
        WHERE jsonb_typeof(doc -> 'emails') NOT IN ('array', 'null')
     $f$;
     DO $$
     DECLARE r record;
     BEGIN
        BEGIN
            INSERT INTO resource_values (resource_type, id, attr, value)
                SELECT v.* FROM resources, pg_temp.scim_emails(data::jsonb, resource_type, id) v;
        EXCEPTION WHEN others THEN
            FOR r IN SELECT resource_type, id, data FROM resources LOOP
                BEGIN
                    INSERT INTO resource_values (resource_type, id, attr, value)
                        SELECT * FROM pg_temp.scim_emails(r.data::jsonb, r.resource_type, r.id);
                EXCEPTION WHEN others THEN NULL;
                END;
            END LOOP;
        END;
     END $$;
     DROP FUNCTION pg_temp.scim_emails(jsonb, text, text);",
    // 7: the audit trail (every change, written in the transaction that makes it) and
    // the deprovisioning the guard holds (docs/operations.md).
    "CREATE TABLE audit (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        at bigint NOT NULL,
        request_id text,
        actor text NOT NULL,
        action text NOT NULL,
        resource_type text NOT NULL,
        resource_id text,
        resource_name text,
        attributes text NOT NULL,
        member text
     );
     CREATE INDEX audit_at ON audit (at);
     CREATE INDEX audit_action ON audit (action, at);
     CREATE INDEX audit_resource_id ON audit (resource_id, seq);
     CREATE INDEX audit_resource_name ON audit (lower(resource_name), seq);
     CREATE INDEX audit_member ON audit (member, seq) WHERE member IS NOT NULL;
     CREATE TABLE held_deprovisioning (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        at bigint NOT NULL,
        request_id text,
        actor text NOT NULL,
        action text NOT NULL,
        user_id text NOT NULL,
        user_name text
     );",
];

/// Held (session-level) while migrations run: replicas starting at once migrate one at a
/// time, and each one after the first finds nothing left to do.
pub(super) const MIGRATION_LOCK: i32 = 1;

/// How long opening the store waits for [`MIGRATION_LOCK`] (another bridge migrating the
/// schema) before giving up with a message saying so.
pub(super) const MIGRATION_LOCK_TIMEOUT: &str = "20s";

/// Connects and applies the migrations this database lacks, on a connection of its own,
/// closed after: its session-level lock cannot outlive the migration, even if the
/// migration fails half-way. On failure, whether trying again later may succeed (the
/// server unreachable or starting, or another bridge migrating).
pub(super) fn connect_and_migrate(
    config: &postgres::Config,
    connector: &MakeRustlsConnect,
) -> Result<(), (StoreError, bool)> {
    let mut conn = config
        .connect(connector.clone())
        .map_err(|e| (classify_connect(&e), may_come_up(&e)))?;
    migrate(&mut conn).map_err(|e| {
        let retry = matches!(e, StoreError::Busy(_) | StoreError::Unavailable(_));
        (e, retry)
    })
}

/// Reads the database's schema version (the last migration applied).
pub(super) const SCHEMA_VERSION: &str = "SELECT coalesce(max(version), 0) FROM schema_migrations";

/// Why this bridge must not use a database at schema version `applied`, if it is newer
/// than the last of [`MIGRATIONS`]: a newer bridge migrated it (at start, the bridge
/// refuses it; once serving, it stops serving SCIM). The text names no host.
pub(super) fn newer_schema(applied: i32) -> Option<String> {
    let known = MIGRATIONS.len();
    (usize::try_from(applied).unwrap_or_default() > known).then(|| {
        format!(
            "the database was upgraded by a newer scim-bridge: it is at schema version \
             {applied}, newer than this bridge knows ({known}); upgrade this bridge"
        )
    })
}

/// Applies the migrations this database lacks, under [`MIGRATION_LOCK`], waited for at
/// most [`MIGRATION_LOCK_TIMEOUT`].
pub(super) fn migrate(conn: &mut postgres::Client) -> Result<(), StoreError> {
    conn.batch_execute(&format!(
        "SET lock_timeout = '{MIGRATION_LOCK_TIMEOUT}'; \
         SELECT pg_advisory_lock({LOCK_SPACE}, {MIGRATION_LOCK}); \
         RESET lock_timeout"
    ))
    .map_err(|e| match classify(e) {
        StoreError::Busy(_) => StoreError::Busy(format!(
            "another scim-bridge has been migrating this database's schema for over \
             {MIGRATION_LOCK_TIMEOUT} (it holds the migration lock, advisory lock \
             ({LOCK_SPACE}, {MIGRATION_LOCK})); try again once it has finished"
        )),
        other => other,
    })?;
    // Without the server's notice that the table exists already, which every start
    // would log.
    conn.batch_execute(
        "SET client_min_messages = warning;
         CREATE TABLE IF NOT EXISTS schema_migrations (
            version integer PRIMARY KEY,
            applied_at timestamptz NOT NULL DEFAULT now()
         );
         RESET client_min_messages",
    )
    .map_err(classify)?;
    let applied: i32 = conn
        .query_one(SCHEMA_VERSION, &[])
        .and_then(|r| r.try_get(0))
        .map_err(classify)?;
    if let Some(why) = newer_schema(applied) {
        return Err(StoreError::Other(why));
    }
    let applied = usize::try_from(applied).unwrap_or_default();
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(applied) {
        let version = i32::try_from(i + 1).unwrap_or(i32::MAX);
        let mut tx = conn.transaction().map_err(classify)?;
        // Under the write lock: a write an older replica began before the migration
        // lands before it (and is migrated with the rest) or after it (and finds the
        // schema newer, and refuses), never half-way.
        tx.execute(
            "SELECT pg_advisory_xact_lock($1, $2)",
            &[&LOCK_SPACE, &WRITE_LOCK],
        )
        .map_err(classify)?;
        tx.batch_execute(sql).map_err(classify)?;
        tx.execute(
            "INSERT INTO schema_migrations (version) VALUES ($1)",
            &[&version],
        )
        .map_err(classify)?;
        tx.commit().map_err(classify)?;
        tracing::info!(version, "database migrated");
    }
    conn.query_one(
        "SELECT pg_advisory_unlock($1, $2)",
        &[&LOCK_SPACE, &MIGRATION_LOCK],
    )
    .map_err(classify)?;
    Ok(())
}
