//! The store's transactions on SQLite: [`SqliteTx`], the [`Tx`] every rule runs on, and
//! stored rows read back (a row that is not a JSON object is refused, never served).

use rusqlite::types::Value as SqlValue;
use rusqlite::{params, params_from_iter, OptionalExtension};
use scim2_core::sql::{SqlDialect, SqlParam, SqlTarget};

use super::classify;
use crate::store::{
    Account, AccountState, After, AfterValue, MemberRow, Order, RawRow, Row, Selection, StoreError,
    Tx, EMAIL_VALUES,
};

/// A transaction (or a write's savepoint in a group commit), open until the closure
/// given to [`crate::store::Store`] returns.
pub(super) struct SqliteTx<'c> {
    pub(super) tx: &'c rusqlite::Connection,
}

fn raw_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RawRow> {
    Ok(RawRow {
        seq: r.get(0)?,
        id: r.get(1)?,
        data: r.get(2)?,
        unique_key: r.get(3)?,
        external_id: r.get(4)?,
    })
}

fn account_from(r: &rusqlite::Row<'_>) -> rusqlite::Result<Account> {
    let state: String = r.get(1)?;
    let from: Option<String> = r.get(2)?;
    Ok(Account::from_stored(
        r.get(0)?,
        &state,
        from.as_deref(),
        r.get(3)?,
    ))
}

const ROW_COLUMNS: &str = "seq, id, data, unique_key, external_id";

/// The rows at the positions `?2` (a JSON array) of type `?1`, in the array's order.
/// `CROSS JOIN` keeps the array as the outer loop: without statistics (a database filled
/// since the bridge started) SQLite otherwise walked every row of the type for each
/// position.
pub(super) const ROWS_AT: &str = "SELECT seq, id, data, unique_key, external_id
    FROM (SELECT key AS n, value AS at FROM json_each(?2)) AS p
    CROSS JOIN resources ON resources.seq = p.at WHERE resource_type = ?1 ORDER BY p.n";

/// (member, group, the group's displayName) for each member in `?1` (a JSON array), in
/// the order they were added; the array is the outer loop, as in [`ROWS_AT`].
pub(super) const GROUPS_OF_EACH: &str =
    "SELECT m.member_id, m.group_id, coalesce(json_extract(r.data, '$.displayName'), '')
    FROM (SELECT DISTINCT value FROM json_each(?1)) AS j
    CROSS JOIN members m ON m.member_id = j.value
    CROSS JOIN resources r ON r.resource_type = 'Group' AND r.id = m.group_id
    ORDER BY m.seq";

/// A count or bound as SQLite takes it.
fn clamp(n: u64) -> SqlValue {
    SqlValue::Integer(i64::try_from(n).unwrap_or(i64::MAX))
}

/// The values of a statement over `selection`: the resource type, the selection's
/// values, then `rest`.
fn bind(
    rt: &str,
    selection: &Selection,
    rest: impl IntoIterator<Item = SqlValue>,
) -> Vec<SqlValue> {
    let values = selection.params.iter().map(|p| match p {
        SqlParam::Text(s) => SqlValue::Text(s.clone()),
        SqlParam::Integer(i) => SqlValue::Integer(*i),
        SqlParam::Real(f) => SqlValue::Real(*f),
        // A kind of value a later scim2-core may add: no row can match it here.
        _ => SqlValue::Null,
    });
    std::iter::once(SqlValue::Text(rt.to_owned()))
        .chain(values)
        .chain(rest)
        .collect()
}

/// `values` as a JSON array, for `json_each(?)`: a list of any length bound as one value.
fn json_list(values: &[String]) -> String {
    serde_json::Value::from(values).to_string()
}

impl SqliteTx<'_> {
    /// The rows `sql` selects ([`ROW_COLUMNS`]) of resource type `rt`, with positions.
    fn rows(
        &self,
        rt: &str,
        sql: &str,
        args: impl rusqlite::Params,
    ) -> Result<Vec<(i64, Row)>, StoreError> {
        let raw: Vec<RawRow> =
            self.with_statement(sql, |stmt| stmt.query_map(args, raw_row)?.collect())?;
        raw.into_iter().map(|r| r.parse(rt)).collect()
    }

    /// Runs `f` on the statement `sql`, prepared once per connection and cached when it
    /// is short; a long one (a large translated filter, up to megabytes) is prepared for
    /// this call only, so that the cache never holds it.
    fn with_statement<T>(
        &self,
        sql: &str,
        f: impl FnOnce(&mut rusqlite::Statement<'_>) -> rusqlite::Result<T>,
    ) -> Result<T, StoreError> {
        /// The longest statement kept in the connection's cache.
        const CACHED_SQL: usize = 8 << 10;
        let result = if sql.len() <= CACHED_SQL {
            self.tx
                .prepare_cached(sql)
                .and_then(|mut stmt| f(&mut stmt))
        } else {
            self.tx.prepare(sql).and_then(|mut stmt| f(&mut stmt))
        };
        result.map_err(classify)
    }

    /// Runs `sql` with `args`, prepared once per connection (rusqlite's own
    /// `Connection::execute` parses and plans the statement at every call); the number of
    /// rows changed.
    fn exec(&self, sql: &str, args: impl rusqlite::Params) -> rusqlite::Result<usize> {
        self.tx
            .prepare_cached(sql)
            .and_then(|mut stmt| stmt.execute(args))
    }

    /// The one row `sql` reads with `args`, mapped by `f`, the statement prepared once
    /// per connection.
    fn query_one<T>(
        &self,
        sql: &str,
        args: impl rusqlite::Params,
        f: impl FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<T> {
        self.tx
            .prepare_cached(sql)
            .and_then(|mut stmt| stmt.query_row(args, f))
    }

    /// [`Self::rows`] without the positions.
    fn plain_rows(
        &self,
        rt: &str,
        sql: &str,
        args: impl rusqlite::Params,
    ) -> Result<Vec<Row>, StoreError> {
        Ok(self
            .rows(rt, sql, args)?
            .into_iter()
            .map(|(_, r)| r)
            .collect())
    }

    /// Replaces the indexed values of the resource `row` of `rt` ([`Row::email_values`]).
    fn write_values(&self, rt: &str, row: &Row) -> Result<(), StoreError> {
        self.exec(
            "DELETE FROM resource_values WHERE resource_type = ?1 AND id = ?2",
            params![rt, row.id],
        )
        .map_err(classify)?;
        let mut insert = self
            .tx
            .prepare_cached(
                "INSERT INTO resource_values (resource_type, id, attr, value) VALUES (?1, ?2, ?3, ?4)",
            )
            .map_err(classify)?;
        for value in row.email_values() {
            insert
                .execute(params![rt, row.id, EMAIL_VALUES, value])
                .map_err(classify)?;
        }
        Ok(())
    }

    fn next_seq(&self, table: &str) -> Result<i64, StoreError> {
        self.query_one(
            &format!("SELECT coalesce(max(seq), 0) + 1 FROM {table}"),
            [],
            |r| r.get(0),
        )
        .map_err(classify)
    }
}

impl Tx for SqliteTx<'_> {
    fn get(&mut self, rt: &str, id: &str) -> Result<Option<Row>, StoreError> {
        let sql =
            format!("SELECT {ROW_COLUMNS} FROM resources WHERE resource_type = ?1 AND id = ?2");
        Ok(self.plain_rows(rt, &sql, params![rt, id])?.pop())
    }

    fn version(&mut self, rt: &str, id: &str) -> Result<Option<Option<String>>, StoreError> {
        self.tx
            .prepare_cached(
                "SELECT json_extract(data, '$.meta.version') FROM resources
                 WHERE resource_type = ?1 AND id = ?2",
            )
            .and_then(|mut stmt| {
                stmt.query_row(params![rt, id], |r| r.get::<_, Option<String>>(0))
                    .optional()
            })
            .map_err(classify)
    }

    fn find_unique(&mut self, rt: &str, key: &str) -> Result<Option<Row>, StoreError> {
        let sql = format!(
            "SELECT {ROW_COLUMNS} FROM resources WHERE resource_type = ?1 AND unique_key = ?2"
        );
        Ok(self.plain_rows(rt, &sql, params![rt, key])?.pop())
    }

    fn exists(&mut self, rt: &str, id: &str) -> Result<bool, StoreError> {
        self.tx
            .prepare_cached("SELECT 1 FROM resources WHERE resource_type = ?1 AND id = ?2")
            .and_then(|mut stmt| stmt.exists(params![rt, id]))
            .map_err(classify)
    }

    fn filter_target(&self) -> SqlTarget {
        SqlTarget::new(SqlDialect::Sqlite, "resources.data").with_first_param(2)
    }

    fn object_guard(&self) -> &'static str {
        "json_valid(resources.data) AND json_type(resources.data) = 'object'"
    }

    fn scan_after(
        &mut self,
        rt: &str,
        selection: &Selection,
        after: i64,
        limit: u64,
    ) -> Result<Vec<(i64, Row)>, StoreError> {
        let n = selection.next_param();
        let sql = format!(
            "SELECT {ROW_COLUMNS} FROM resources WHERE resource_type = ?1 AND {} AND seq > ?{n}
             ORDER BY seq LIMIT ?{}",
            selection.condition(),
            n + 1
        );
        let args = bind(rt, selection, [SqlValue::Integer(after), clamp(limit)]);
        self.rows(rt, &sql, params_from_iter(args))
    }

    fn page(
        &mut self,
        rt: &str,
        selection: &Selection,
        order: Order,
        offset: u64,
        limit: u64,
    ) -> Result<Vec<Row>, StoreError> {
        let n = selection.next_param();
        let (order_by, keyed) = order.sql("unique_key");
        let condition = format!(
            "resource_type = ?1 AND {} AND {keyed}",
            selection.condition()
        );
        // Deep pages start from the row the order's index finds `offset` entries in,
        // the skipped rows' documents never read.
        let from = if offset > 0 {
            order.offset_sql("unique_key", &condition, &format!("?{}", n + 1))
        } else {
            "TRUE".to_owned()
        };
        let sql = format!(
            "SELECT {ROW_COLUMNS} FROM resources WHERE {condition} AND {from}
             ORDER BY {order_by} LIMIT ?{n}"
        );
        let mut rest = vec![clamp(limit)];
        if offset > 0 {
            rest.push(clamp(offset));
        }
        let args = bind(rt, selection, rest);
        self.plain_rows(rt, &sql, params_from_iter(args))
    }

    fn seek(
        &mut self,
        rt: &str,
        selection: &Selection,
        order: Order,
        after: &After,
        limit: u64,
    ) -> Result<Vec<(i64, Row)>, StoreError> {
        let n = selection.next_param();
        let (order_by, keyed) = order.sql("unique_key");
        let seek = order.after_sql("unique_key", after, &format!("?{}", n + 1));
        let sql = format!(
            "SELECT {ROW_COLUMNS} FROM resources WHERE resource_type = ?1 AND {} AND {keyed}
             AND {} ORDER BY {order_by} LIMIT ?{n}",
            selection.condition(),
            seek.as_ref().map_or("TRUE", |(sql, _)| sql.as_str()),
        );
        let mut rest = vec![clamp(limit)];
        match seek {
            Some((_, AfterValue::Seq(seq))) => rest.push(SqlValue::Integer(seq)),
            Some((_, AfterValue::Key(key))) => rest.push(SqlValue::Text(key)),
            None => {}
        }
        let args = bind(rt, selection, rest);
        self.rows(rt, &sql, params_from_iter(args))
    }

    fn positions(
        &mut self,
        rt: &str,
        selection: &Selection,
        order: Order,
    ) -> Result<Vec<i64>, StoreError> {
        let (order, keyed) = order.sql("unique_key");
        // Creation order by sorting the matches (`+seq`), never by walking the
        // creation-order index past rows an index on the selection would skip.
        let order = if order == "seq" {
            "+seq".to_owned()
        } else {
            order
        };
        let sql = format!(
            "SELECT seq FROM resources WHERE resource_type = ?1 AND {} AND {keyed}
             ORDER BY {order}",
            selection.condition()
        );
        self.with_statement(&sql, |stmt| {
            stmt.query_map(params_from_iter(bind(rt, selection, [])), |r| r.get(0))?
                .collect()
        })
    }

    fn rows_at(&mut self, rt: &str, positions: &[i64]) -> Result<Vec<Row>, StoreError> {
        let list = serde_json::Value::from(positions).to_string();
        self.plain_rows(rt, ROWS_AT, params![rt, list])
    }

    fn count(&mut self, rt: &str, selection: &Selection) -> Result<u64, StoreError> {
        let sql = format!(
            "SELECT count(*) FROM resources WHERE resource_type = ?1 AND {}",
            selection.condition()
        );
        self.with_statement(&sql, |stmt| {
            stmt.query_row(params_from_iter(bind(rt, selection, [])), |r| {
                r.get::<_, i64>(0)
            })
        })
        .map(|n| u64::try_from(n).unwrap_or_default())
    }

    fn insert(&mut self, rt: &str, row: &Row) -> Result<(), StoreError> {
        let seq = self.next_seq("resources")?;
        self.exec(
            "INSERT INTO resources (resource_type, id, seq, data, unique_key, external_id,
                    last_modified)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                rt,
                row.id,
                seq,
                row.data.to_string(),
                row.unique_key,
                row.external_id,
                row.last_modified()
            ],
        )
        .map_err(classify)?;
        self.write_values(rt, row)
    }

    fn update(&mut self, rt: &str, row: &Row) -> Result<(), StoreError> {
        let changed = self
            .exec(
                "UPDATE resources SET data = ?3, unique_key = ?4, external_id = ?5,
                    last_modified = ?6
                 WHERE resource_type = ?1 AND id = ?2",
                params![
                    rt,
                    row.id,
                    row.data.to_string(),
                    row.unique_key,
                    row.external_id,
                    row.last_modified()
                ],
            )
            .map_err(classify)?;
        if changed == 0 {
            return Ok(());
        }
        self.write_values(rt, row)
    }

    fn remove(&mut self, rt: &str, id: &str) -> Result<bool, StoreError> {
        self.exec(
            "DELETE FROM resource_values WHERE resource_type = ?1 AND id = ?2",
            params![rt, id],
        )
        .map_err(classify)?;
        self.exec(
            "DELETE FROM resources WHERE resource_type = ?1 AND id = ?2",
            params![rt, id],
        )
        .map(|n| n > 0)
        .map_err(classify)
    }

    fn members(&mut self, group_id: &str) -> Result<Vec<MemberRow>, StoreError> {
        let mut stmt = self
            .tx
            .prepare_cached(
                "SELECT member_id, kind, display, reference FROM members WHERE group_id = ?1 ORDER BY seq",
            )
            .map_err(classify)?;
        let rows = stmt
            .query_map(params![group_id], |r| {
                Ok(MemberRow {
                    id: r.get(0)?,
                    kind: r.get(1)?,
                    display: r.get(2)?,
                    reference: r.get(3)?,
                })
            })
            .map_err(classify)?;
        rows.collect::<Result<_, _>>().map_err(classify)
    }

    fn has_member(&mut self, group_id: &str, member_id: &str) -> Result<bool, StoreError> {
        self.tx
            .prepare_cached("SELECT 1 FROM members WHERE group_id = ?1 AND member_id = ?2")
            .and_then(|mut stmt| stmt.exists(params![group_id, member_id]))
            .map_err(classify)
    }

    fn add_member(&mut self, group_id: &str, m: &MemberRow) -> Result<(), StoreError> {
        let seq = self.next_seq("members")?;
        self.exec(
            "INSERT INTO members (group_id, member_id, kind, display, reference, seq)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (group_id, member_id) DO UPDATE SET kind = excluded.kind,
                    display = excluded.display, reference = excluded.reference",
            params![group_id, m.id, m.kind, m.display, m.reference, seq],
        )
        .map(|_| ())
        .map_err(classify)
    }

    fn remove_member(&mut self, group_id: &str, member_id: &str) -> Result<(), StoreError> {
        self.exec(
            "DELETE FROM members WHERE group_id = ?1 AND member_id = ?2",
            params![group_id, member_id],
        )
        .map(|_| ())
        .map_err(classify)
    }

    fn group_members(&mut self, group_id: &str) -> Result<Vec<String>, StoreError> {
        let mut stmt = self
            .tx
            .prepare_cached("SELECT member_id FROM members WHERE group_id = ?1 AND kind = 'Group'")
            .map_err(classify)?;
        let rows = stmt
            .query_map(params![group_id], |r| r.get(0))
            .map_err(classify)?;
        rows.collect::<Result<_, _>>().map_err(classify)
    }

    fn groups_of_each(
        &mut self,
        member_ids: &[String],
    ) -> Result<Vec<(String, String, String)>, StoreError> {
        let mut stmt = self.tx.prepare_cached(GROUPS_OF_EACH).map_err(classify)?;
        let rows = stmt
            .query_map(params![json_list(member_ids)], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .map_err(classify)?;
        rows.collect::<Result<_, _>>().map_err(classify)
    }

    fn remove_member_everywhere(&mut self, member_id: &str) -> Result<(), StoreError> {
        self.exec(
            "DELETE FROM members WHERE member_id = ?1",
            params![member_id],
        )
        .map(|_| ())
        .map_err(classify)
    }

    fn account(&mut self, user_id: &str) -> Result<Option<Account>, StoreError> {
        self.tx
            .prepare_cached(
                "SELECT user_id, state, suspended_from, changed_at FROM accounts WHERE user_id = ?1",
            )
            .and_then(|mut stmt| stmt.query_row(params![user_id], account_from).optional())
            .map_err(classify)
    }

    fn accounts_of(&mut self, user_ids: &[String]) -> Result<Vec<Account>, StoreError> {
        let mut stmt = self
            .tx
            .prepare_cached(
                "SELECT user_id, state, suspended_from, changed_at FROM accounts
                 WHERE user_id IN (SELECT value FROM json_each(?1))",
            )
            .map_err(classify)?;
        let rows = stmt
            .query_map(params![json_list(user_ids)], account_from)
            .map_err(classify)?;
        rows.collect::<Result<_, _>>().map_err(classify)
    }

    fn set_account(&mut self, a: &Account) -> Result<(), StoreError> {
        self.exec(
                "INSERT INTO accounts (user_id, state, suspended_from, changed_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (user_id) DO UPDATE SET state = excluded.state,
                    suspended_from = excluded.suspended_from, changed_at = excluded.changed_at",
                params![
                    a.user_id,
                    a.state.as_str(),
                    a.suspended_from.map(AccountState::as_str),
                    a.changed_at
                ],
            )
            .map(|_| ())
            .map_err(classify)
    }

    fn remove_account(&mut self, user_id: &str) -> Result<(), StoreError> {
        self.exec("DELETE FROM accounts WHERE user_id = ?1", params![user_id])
            .map(|_| ())
            .map_err(classify)
    }

    fn accounts_in(&mut self, state: AccountState, limit: u64) -> Result<Vec<Account>, StoreError> {
        let mut stmt = self
            .tx
            .prepare_cached(
                "SELECT user_id, state, suspended_from, changed_at FROM accounts WHERE state = ?1 ORDER BY user_id LIMIT ?2",
            )
            .map_err(classify)?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = stmt
            .query_map(params![state.as_str(), limit], account_from)
            .map_err(classify)?;
        rows.collect::<Result<_, _>>().map_err(classify)
    }

    fn count_accounts(&mut self, state: AccountState) -> Result<u64, StoreError> {
        self.tx
            .prepare_cached("SELECT count(*) FROM accounts WHERE state = ?1")
            .and_then(|mut stmt| stmt.query_row(params![state.as_str()], |r| r.get::<_, i64>(0)))
            .map(|n| u64::try_from(n).unwrap_or_default())
            .map_err(classify)
    }
}
