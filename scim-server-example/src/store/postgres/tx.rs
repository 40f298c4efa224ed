//! The store's transactions on PostgreSQL: [`PgTx`], the [`Tx`] every rule runs on. Every
//! SQL statement that reads or writes resources on this engine is here.

use scim2_core::sql::{SqlDialect, SqlTarget};

use super::classify;
use super::params::{bind, clamp, count_of, refs, storable_list, typed, Params, Value};
use super::summary::Summary;
use crate::store::{
    Account, AccountState, After, AfterValue, MemberRow, Order, RawRow, Row, Selection, StoreError,
    Tx, EMAIL_VALUES,
};

/// A transaction, open until the closure given to [`crate::store::Store`] returns.
pub(super) struct PgTx<'t, 'c> {
    pub(super) tx: &'t mut postgres::Transaction<'c>,
}

/// The columns [`raw_row`] reads, in its order.
const ROW_COLUMNS: &str = "seq, id, data, unique_key, external_id";

fn raw_row(r: &postgres::Row) -> Result<RawRow, postgres::Error> {
    Ok(RawRow {
        seq: r.try_get(0)?,
        id: r.try_get(1)?,
        data: r.try_get(2)?,
        unique_key: r.try_get(3)?,
        external_id: r.try_get(4)?,
    })
}

fn account_from(r: &postgres::Row) -> Result<Account, postgres::Error> {
    let state: String = r.try_get(1)?;
    let from: Option<String> = r.try_get(2)?;
    Ok(Account::from_stored(
        r.try_get(0)?,
        &state,
        from.as_deref(),
        r.try_get(3)?,
    ))
}

impl PgTx<'_, '_> {
    /// The rows `sql` selects.
    pub(super) fn query(
        &mut self,
        sql: &str,
        args: &Params<'_>,
    ) -> Result<Vec<postgres::Row>, StoreError> {
        self.tx.query_typed(sql, &typed(args)).map_err(classify)
    }

    /// The row `sql` selects, if any.
    fn query_opt(
        &mut self,
        sql: &str,
        args: &Params<'_>,
    ) -> Result<Option<postgres::Row>, StoreError> {
        self.tx.query_typed_opt(sql, &typed(args)).map_err(classify)
    }

    /// The rows `sql` selects ([`ROW_COLUMNS`]) of resource type `rt`, with positions.
    fn rows(
        &mut self,
        rt: &str,
        sql: &str,
        args: &Params<'_>,
    ) -> Result<Vec<(i64, Row)>, StoreError> {
        let rows = self.query(sql, args)?;
        rows.iter()
            .map(|r| raw_row(r).map_err(classify).and_then(|r| r.parse(rt)))
            .collect()
    }

    /// [`Self::rows`] without the positions.
    fn plain_rows(
        &mut self,
        rt: &str,
        sql: &str,
        args: &Params<'_>,
    ) -> Result<Vec<Row>, StoreError> {
        Ok(self
            .rows(rt, sql, args)?
            .into_iter()
            .map(|(_, r)| r)
            .collect())
    }

    /// The first column of every row `sql` selects.
    fn column<T: for<'r> postgres::types::FromSql<'r>>(
        &mut self,
        sql: &str,
        args: &Params<'_>,
    ) -> Result<Vec<T>, StoreError> {
        let rows = self.query(sql, args)?;
        rows.iter()
            .map(|r| r.try_get(0).map_err(classify))
            .collect()
    }

    /// The one count `sql` selects.
    pub(super) fn count_of(&mut self, sql: &str, args: &Params<'_>) -> Result<u64, StoreError> {
        let n: i64 = self
            .tx
            .query_typed_one(sql, &typed(args))
            .and_then(|r| r.try_get(0))
            .map_err(classify)?;
        Ok(count_of(n))
    }

    /// Runs `sql` (an INSERT or UPDATE of `resources`) with the row's columns as `$1`…`$6`
    /// (type, id, data, unique key, externalId, lastModified), then replaces its indexed
    /// values when it wrote a row.
    fn write_row(&mut self, sql: &str, rt: &str, row: &Row) -> Result<(), StoreError> {
        let data = row.data.to_string();
        let written = self.execute(
            sql,
            &[
                &rt,
                &row.id,
                &data,
                &row.unique_key,
                &row.external_id,
                &row.last_modified(),
            ],
        )?;
        if written == 0 {
            return Ok(());
        }
        self.write_values(rt, row)
    }

    /// Replaces the indexed values of the resource `row` of `rt` ([`Row::email_values`]).
    fn write_values(&mut self, rt: &str, row: &Row) -> Result<(), StoreError> {
        self.execute(
            "DELETE FROM resource_values WHERE resource_type = $1 AND id = $2",
            &[&rt, &row.id],
        )?;
        for value in row.email_values() {
            self.execute(
                "INSERT INTO resource_values (resource_type, id, attr, value)
                 VALUES ($1, $2, $3, $4)",
                &[&rt, &row.id, &EMAIL_VALUES, &value],
            )?;
        }
        Ok(())
    }

    /// Runs a statement that returns no rows; how many rows it changed.
    pub(super) fn execute(&mut self, sql: &str, args: &Params<'_>) -> Result<u64, StoreError> {
        self.tx.execute_typed(sql, &typed(args)).map_err(classify)
    }
}

/// Whether `value` (an id, a unique key, an `externalId`, a member id) may be stored:
/// PostgreSQL's text cannot hold U+0000, and the rules refuse it in every resource a
/// client writes (on every engine), so a value with one names nothing stored. It is
/// answered as not found (as on SQLite), without a query the server would refuse.
pub(super) fn storable(value: &str) -> bool {
    !value.contains('\0')
}

impl Tx for PgTx<'_, '_> {
    fn get(&mut self, rt: &str, id: &str) -> Result<Option<Row>, StoreError> {
        if !storable(id) {
            return Ok(None);
        }
        let sql =
            format!("SELECT {ROW_COLUMNS} FROM resources WHERE resource_type = $1 AND id = $2");
        Ok(self.plain_rows(rt, &sql, &[&rt, &id])?.pop())
    }

    fn version(&mut self, rt: &str, id: &str) -> Result<Option<Option<String>>, StoreError> {
        if !storable(id) {
            return Ok(None);
        }
        let row = self.query_opt(
            "SELECT data FROM resources WHERE resource_type = $1 AND id = $2",
            &[&rt, &id],
        )?;
        let Some(row) = row else {
            return Ok(None);
        };
        let data: String = row.try_get(0).map_err(classify)?;
        Ok(Some(Summary::of(rt, id, &data)?.version()))
    }

    fn find_unique(&mut self, rt: &str, key: &str) -> Result<Option<Row>, StoreError> {
        if !storable(key) {
            return Ok(None);
        }
        let sql = format!(
            "SELECT {ROW_COLUMNS} FROM resources WHERE resource_type = $1 AND unique_key = $2"
        );
        Ok(self.plain_rows(rt, &sql, &[&rt, &key])?.pop())
    }

    fn exists(&mut self, rt: &str, id: &str) -> Result<bool, StoreError> {
        if !storable(id) {
            return Ok(false);
        }
        let found: Vec<i32> = self.column(
            "SELECT 1 FROM resources WHERE resource_type = $1 AND id = $2",
            &[&rt, &id],
        )?;
        Ok(!found.is_empty())
    }

    fn filter_target(&self) -> SqlTarget {
        SqlTarget::new(SqlDialect::Postgres, "resources.data::jsonb").with_first_param(2)
    }

    fn object_guard(&self) -> &'static str {
        // Text that is not JSON at all fails the statement (500) when converted.
        "jsonb_typeof(resources.data::jsonb) = 'object'"
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
            "SELECT {ROW_COLUMNS} FROM resources WHERE resource_type = $1 AND {} AND seq > ${n}
             ORDER BY seq LIMIT ${}",
            selection.condition(),
            n + 1
        );
        let args = bind(
            rt,
            selection,
            [Value::Integer(after), Value::Integer(clamp(limit))],
        );
        self.rows(rt, &sql, &refs(&args))
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
        let key = "unique_key COLLATE \"C\"";
        let (order_by, keyed) = order.sql(key);
        let condition = format!(
            "resource_type = $1 AND {} AND {keyed}",
            selection.condition()
        );
        // Deep pages start from the row the order's index finds `offset` entries in,
        // the skipped rows' documents never read.
        let from = if offset > 0 {
            order.offset_sql(key, &condition, &format!("${}", n + 1))
        } else {
            "TRUE".to_owned()
        };
        let sql = format!(
            "SELECT {ROW_COLUMNS} FROM resources WHERE {condition} AND {from}
             ORDER BY {order_by} LIMIT ${n}"
        );
        let mut rest = vec![Value::Integer(clamp(limit))];
        if offset > 0 {
            rest.push(Value::Integer(clamp(offset)));
        }
        let args = bind(rt, selection, rest);
        self.plain_rows(rt, &sql, &refs(&args))
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
        let key = "unique_key COLLATE \"C\"";
        let (order_by, keyed) = order.sql(key);
        let seek = order.after_sql(key, after, &format!("${}", n + 1));
        let sql = format!(
            "SELECT {ROW_COLUMNS} FROM resources WHERE resource_type = $1 AND {} AND {keyed}
             AND {} ORDER BY {order_by} LIMIT ${n}",
            selection.condition(),
            seek.as_ref().map_or("TRUE", |(sql, _)| sql.as_str()),
        );
        let mut rest = vec![Value::Integer(clamp(limit))];
        match seek {
            Some((_, AfterValue::Seq(seq))) => rest.push(Value::Integer(seq)),
            Some((_, AfterValue::Key(key))) => rest.push(Value::Text(key)),
            None => {}
        }
        let args = bind(rt, selection, rest);
        self.rows(rt, &sql, &refs(&args))
    }

    fn positions(
        &mut self,
        rt: &str,
        selection: &Selection,
        order: Order,
    ) -> Result<Vec<i64>, StoreError> {
        // Code point order (COLLATE "C"), as the rules and `sortBy` compare, whatever the
        // database's locale.
        let (order, keyed) = order.sql("unique_key COLLATE \"C\"");
        let sql = format!(
            "SELECT seq FROM resources WHERE resource_type = $1 AND {} AND {keyed}
             ORDER BY {order}",
            selection.condition()
        );
        let args = bind(rt, selection, []);
        self.column(&sql, &refs(&args))
    }

    fn rows_at(&mut self, rt: &str, positions: &[i64]) -> Result<Vec<Row>, StoreError> {
        // Looked up through the (resource_type, seq) index, put in order here: a join
        // with the list made the planner read the whole table.
        let sql = format!(
            "SELECT {ROW_COLUMNS} FROM resources WHERE resource_type = $1 AND seq = ANY($2::int8[])"
        );
        let list = positions.to_vec();
        let mut found: std::collections::HashMap<i64, Row> =
            self.rows(rt, &sql, &[&rt, &list])?.into_iter().collect();
        Ok(positions.iter().filter_map(|p| found.remove(p)).collect())
    }

    fn count(&mut self, rt: &str, selection: &Selection) -> Result<u64, StoreError> {
        let sql = format!(
            "SELECT count(*) FROM resources WHERE resource_type = $1 AND {}",
            selection.condition()
        );
        let args = bind(rt, selection, []);
        self.count_of(&sql, &refs(&args))
    }

    fn insert(&mut self, rt: &str, row: &Row) -> Result<(), StoreError> {
        self.write_row(
            "INSERT INTO resources (resource_type, id, data, unique_key, external_id,
                last_modified)
             VALUES ($1, $2, $3, $4, $5, $6)",
            rt,
            row,
        )
    }

    fn update(&mut self, rt: &str, row: &Row) -> Result<(), StoreError> {
        self.write_row(
            "UPDATE resources SET data = $3, unique_key = $4, external_id = $5,
                last_modified = $6
             WHERE resource_type = $1 AND id = $2",
            rt,
            row,
        )
    }

    fn remove(&mut self, rt: &str, id: &str) -> Result<bool, StoreError> {
        if !storable(id) {
            return Ok(false);
        }
        self.execute(
            "DELETE FROM resource_values WHERE resource_type = $1 AND id = $2",
            &[&rt, &id],
        )?;
        self.execute(
            "DELETE FROM resources WHERE resource_type = $1 AND id = $2",
            &[&rt, &id],
        )
        .map(|n| n > 0)
    }

    fn members(&mut self, group_id: &str) -> Result<Vec<MemberRow>, StoreError> {
        if !storable(group_id) {
            return Ok(Vec::new());
        }
        let rows = self.query(
            "SELECT member_id, kind, display, reference FROM members
                 WHERE group_id = $1 ORDER BY seq",
            &[&group_id],
        )?;
        rows.iter()
            .map(|r| {
                Ok(MemberRow {
                    id: r.try_get(0)?,
                    kind: r.try_get(1)?,
                    display: r.try_get(2)?,
                    reference: r.try_get(3)?,
                })
            })
            .collect::<Result<_, postgres::Error>>()
            .map_err(classify)
    }

    fn has_member(&mut self, group_id: &str, member_id: &str) -> Result<bool, StoreError> {
        if !storable(group_id) || !storable(member_id) {
            return Ok(false);
        }
        let found: Vec<i32> = self.column(
            "SELECT 1 FROM members WHERE group_id = $1 AND member_id = $2",
            &[&group_id, &member_id],
        )?;
        Ok(!found.is_empty())
    }

    fn add_member(&mut self, group_id: &str, m: &MemberRow) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO members (group_id, member_id, kind, display, reference)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (group_id, member_id) DO UPDATE SET kind = excluded.kind,
                display = excluded.display, reference = excluded.reference",
            &[&group_id, &m.id, &m.kind, &m.display, &m.reference],
        )
        .map(|_| ())
    }

    fn remove_member(&mut self, group_id: &str, member_id: &str) -> Result<(), StoreError> {
        if !storable(group_id) || !storable(member_id) {
            return Ok(());
        }
        self.execute(
            "DELETE FROM members WHERE group_id = $1 AND member_id = $2",
            &[&group_id, &member_id],
        )
        .map(|_| ())
    }

    fn group_members(&mut self, group_id: &str) -> Result<Vec<String>, StoreError> {
        if !storable(group_id) {
            return Ok(Vec::new());
        }
        self.column(
            "SELECT member_id FROM members WHERE group_id = $1 AND kind = 'Group'",
            &[&group_id],
        )
    }

    fn groups_of_each(
        &mut self,
        member_ids: &[String],
    ) -> Result<Vec<(String, String, String)>, StoreError> {
        let rows = self.query(
            "SELECT m.member_id, m.group_id, r.data
                 FROM members m JOIN resources r ON r.resource_type = 'Group' AND r.id = m.group_id
                 WHERE m.member_id = ANY($1::text[])
                 ORDER BY m.seq",
            &[&storable_list(member_ids)],
        )?;
        rows.iter()
            .map(|r| {
                let (member_id, group_id, data): (String, String, String) = (
                    r.try_get(0).map_err(classify)?,
                    r.try_get(1).map_err(classify)?,
                    r.try_get(2).map_err(classify)?,
                );
                let name = Summary::of("Group", &group_id, &data)?.display_name();
                Ok((member_id, group_id, name))
            })
            .collect()
    }

    fn remove_member_everywhere(&mut self, member_id: &str) -> Result<(), StoreError> {
        if !storable(member_id) {
            return Ok(());
        }
        self.execute("DELETE FROM members WHERE member_id = $1", &[&member_id])
            .map(|_| ())
    }

    fn account(&mut self, user_id: &str) -> Result<Option<Account>, StoreError> {
        if !storable(user_id) {
            return Ok(None);
        }
        let row = self.query_opt(
            "SELECT user_id, state, suspended_from, changed_at FROM accounts WHERE user_id = $1",
            &[&user_id],
        )?;
        row.map(|r| account_from(&r).map_err(classify)).transpose()
    }

    fn accounts_of(&mut self, user_ids: &[String]) -> Result<Vec<Account>, StoreError> {
        let rows = self.query(
            "SELECT user_id, state, suspended_from, changed_at FROM accounts
             WHERE user_id = ANY($1::text[])",
            &[&storable_list(user_ids)],
        )?;
        rows.iter()
            .map(|r| account_from(r).map_err(classify))
            .collect()
    }

    fn set_account(&mut self, a: &Account) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO accounts (user_id, state, suspended_from, changed_at)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (user_id) DO UPDATE SET state = excluded.state,
                suspended_from = excluded.suspended_from, changed_at = excluded.changed_at",
            &[
                &a.user_id,
                &a.state.as_str(),
                &a.suspended_from.map(AccountState::as_str),
                &a.changed_at,
            ],
        )
        .map(|_| ())
    }

    fn remove_account(&mut self, user_id: &str) -> Result<(), StoreError> {
        if !storable(user_id) {
            return Ok(());
        }
        self.execute("DELETE FROM accounts WHERE user_id = $1", &[&user_id])
            .map(|_| ())
    }

    fn accounts_in(&mut self, state: AccountState, limit: u64) -> Result<Vec<Account>, StoreError> {
        let rows = self.query(
            "SELECT user_id, state, suspended_from, changed_at FROM accounts
                 WHERE state = $1 ORDER BY user_id LIMIT $2",
            &[&state.as_str(), &clamp(limit)],
        )?;
        rows.iter()
            .map(account_from)
            .collect::<Result<_, _>>()
            .map_err(classify)
    }

    fn count_accounts(&mut self, state: AccountState) -> Result<u64, StoreError> {
        self.count_of(
            "SELECT count(*) FROM accounts WHERE state = $1",
            &[&state.as_str()],
        )
    }
}
