//! The schema of the SQLite store: its versioned migrations, applied in order at open
//! (`PRAGMA user_version` records how many ran).

/// Schema migrations, applied in order; `PRAGMA user_version` records how many ran.
pub(super) const MIGRATIONS: &[&str] = &[
    // 1: resources, accounts, memberships.
    "CREATE TABLE resources (
        resource_type TEXT NOT NULL,
        id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        data TEXT NOT NULL,
        unique_key TEXT,
        external_id TEXT,
        PRIMARY KEY (resource_type, id)
     );
     CREATE UNIQUE INDEX resources_unique ON resources(resource_type, unique_key)
        WHERE unique_key IS NOT NULL;
     CREATE INDEX resources_external ON resources(resource_type, external_id);
     CREATE INDEX resources_seq ON resources(resource_type, seq);
     CREATE TABLE accounts (
        user_id TEXT PRIMARY KEY,
        state TEXT NOT NULL,
        suspended_from TEXT,
        changed_at TEXT NOT NULL
     );
     CREATE INDEX accounts_state ON accounts(state);
     CREATE TABLE members (
        group_id TEXT NOT NULL,
        member_id TEXT NOT NULL,
        kind TEXT,
        display TEXT,
        reference TEXT,
        seq INTEGER NOT NULL,
        PRIMARY KEY (group_id, member_id)
     );
     CREATE INDEX members_by_member ON members(member_id);",
    // 2: `max(seq)` (the next insertion order) by index, not by scanning every row.
    "CREATE INDEX resources_by_seq ON resources(seq);
     CREATE INDEX members_by_seq ON members(seq);",
    // 3: a group's members that are groups, for the cycle check, without reading the
    // (possibly 100,000) users.
    "CREATE INDEX members_groups ON members(group_id) WHERE kind = 'Group';",
    // 4: passwords stored by earlier versions are removed (the bridge never stores one).
    "UPDATE resources SET data = json_remove(data, '$.password')
        WHERE resource_type = 'User' AND json_valid(data)
          AND json_type(data, '$.password') IS NOT NULL;",
    // 5: `meta.lastModified` as an instant (nanoseconds since 1970), indexed, for
    // filters on it. The bridge writes whole seconds in UTC (`…T09:07:57Z`): those are
    // converted here when they name a real time that the column can hold (`strftime`
    // gives the same text back: no February 30th, no hour 24, no second 60; years
    // 1678–2261); anything else is left NULL, which list requests evaluate from the
    // document as before.
    "ALTER TABLE resources ADD COLUMN last_modified INTEGER;
     UPDATE resources SET last_modified =
        CAST(strftime('%s', json_extract(data, '$.meta.lastModified')) AS INTEGER) * 1000000000
        WHERE json_valid(data) AND json_extract(data, '$.meta.lastModified')
            GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]Z'
          AND strftime('%Y-%m-%dT%H:%M:%SZ', json_extract(data, '$.meta.lastModified'))
            = json_extract(data, '$.meta.lastModified')
          AND substr(json_extract(data, '$.meta.lastModified'), 1, 4) BETWEEN '1678' AND '2261';
     CREATE INDEX resources_last_modified ON resources(resource_type, last_modified);",
    // 6: the values of multi-valued attributes filters look up (`emails.value`), one row
    // each, lower-cased, indexed. Filled here for ASCII values (which SQLite lower-cases
    // as the bridge does); any other value is a NULL row, which list requests evaluate
    // from the document.
    "CREATE TABLE resource_values (
        resource_type TEXT NOT NULL,
        id TEXT NOT NULL,
        attr TEXT NOT NULL,
        value TEXT
     );
     CREATE INDEX resource_values_lookup ON resource_values(resource_type, attr, value);
     CREATE INDEX resource_values_owner ON resource_values(resource_type, id);
     INSERT INTO resource_values (resource_type, id, attr, value)
        SELECT DISTINCT r.resource_type, r.id, 'emails.value',
               CASE WHEN e.type = 'object' AND json_type(e.value, '$.value') = 'text'
                         AND NOT (json_extract(e.value, '$.value') GLOB '*[^ -~]*')
                    THEN lower(json_extract(e.value, '$.value')) END
        FROM resources r, json_each(r.data, '$.emails') e
        WHERE json_valid(r.data) AND json_type(r.data, '$.emails') = 'array'
          AND (e.type <> 'object' OR coalesce(json_type(e.value, '$.value'), 'null') <> 'null');
     INSERT INTO resource_values (resource_type, id, attr, value)
        SELECT resource_type, id, 'emails.value', NULL FROM resources
        WHERE json_valid(data) AND json_type(data, '$.emails') NOT IN ('array', 'null');",
    // 7: the audit trail (every change, written in the transaction that makes it) and
    // the deprovisioning the guard holds (docs/operations.md).
    "CREATE TABLE audit (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        at INTEGER NOT NULL,
        request_id TEXT,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        resource_type TEXT NOT NULL,
        resource_id TEXT,
        resource_name TEXT,
        attributes TEXT NOT NULL,
        member TEXT
     );
     CREATE INDEX audit_at ON audit(at);
     CREATE INDEX audit_action ON audit(action, at);
     CREATE INDEX audit_resource_id ON audit(resource_id, seq);
     CREATE INDEX audit_resource_name ON audit(lower(resource_name), seq);
     CREATE INDEX audit_member ON audit(member, seq) WHERE member IS NOT NULL;
     CREATE TABLE held_deprovisioning (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        at INTEGER NOT NULL,
        request_id TEXT,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        user_id TEXT NOT NULL,
        user_name TEXT
     );",
];
