//! The storage interface of the bridge: rows of SCIM resources, group memberships and
//! account states, read and written inside transactions.
//!
//! The 1Password rules ([`crate::onepassword`]) are written against [`Store`] and [`Tx`]
//! only, and each engine implements these two traits: [`sqlite::SqliteStore`], the
//! embedded default for one machine, and [`postgres::PgStore`], for several replicas
//! behind a load balancer on one PostgreSQL database.

mod journal;
pub mod postgres;
pub mod sqlite;

pub use journal::{AuditEvent, AuditQuery, HeldAction, HeldChange, Journal};

use scim2_core::sql::{SqlParam, SqlTarget};
use serde_json::Value;

/// A stored resource.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// The resource id.
    pub id: String,
    /// The resource as JSON (for groups, without `members`, which live in their own rows).
    pub data: Value,
    /// Lower-cased value of the type's unique attribute (`userName`, group `displayName`).
    pub unique_key: Option<String>,
    /// The client's `externalId`.
    pub external_id: Option<String>,
}

impl Row {
    /// `meta.lastModified` as the filter evaluator reads a dateTime (RFC 7643 §2.3.5): an
    /// instant in nanoseconds since 1970, kept in an indexed column so that filters on it
    /// read a range of the index. `None` when absent, not a dateTime, or out of range.
    pub(crate) fn last_modified(&self) -> Option<i64> {
        let text = self.data.get("meta")?.get("lastModified")?.as_str()?;
        i64::try_from(scim2_core::filter::date_time_instant(text)?).ok()
    }

    /// The values of `emails.value`, lower-cased as the filter evaluator folds them
    /// (`emails.value` is not caseExact, RFC 7643 §4.1.2), kept in an indexed table
    /// ([`EMAIL_VALUES`]) so that `emails.value eq` reads the index. `None` stands for a
    /// value the evaluator might match that is not a string (an element that is not an
    /// object, a `value` that is not a string): list requests read that row's document.
    pub(crate) fn email_values(&self) -> Vec<Option<String>> {
        let elements = match self.data.get("emails") {
            None | Some(Value::Null) => return Vec::new(),
            Some(Value::Array(all)) => all.iter().collect(),
            Some(one) => vec![one],
        };
        let mut values: Vec<Option<String>> = elements
            .into_iter()
            .filter_map(|e| match e.get("value") {
                _ if !e.is_object() => Some(None),
                None | Some(Value::Null) => None,
                Some(Value::String(v)) => Some(Some(v.to_lowercase())),
                Some(_) => Some(None),
            })
            .collect();
        values.sort();
        values.dedup();
        values
    }
}

/// The `attr` under which [`Row::email_values`] are kept in `resource_values`.
pub(crate) const EMAIL_VALUES: &str = "emails.value";

/// A group member.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberRow {
    /// The member's id.
    pub id: String,
    /// `User` or `Group`.
    pub kind: Option<String>,
    /// The member's display name, as the client sent it.
    pub display: Option<String>,
    /// The member's URI (`$ref`), as the client sent it.
    pub reference: Option<String>,
}

/// A person's account state in the 1Password model (docs/operations.md, "Account states and invitations").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AccountState {
    /// Invited; the person has not accepted yet.
    Invited,
    /// Accepted the invitation; waiting for the confirmation watcher.
    Pending,
    /// Confirmed and able to sign in.
    Active,
    /// Suspended (`active: false`).
    Suspended,
}

impl AccountState {
    /// The state's name as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            AccountState::Invited => "invited",
            AccountState::Pending => "pending",
            AccountState::Active => "active",
            AccountState::Suspended => "suspended",
        }
    }

    /// Reads a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "invited" => AccountState::Invited,
            "pending" => AccountState::Pending,
            "active" => AccountState::Active,
            "suspended" => AccountState::Suspended,
            _ => return None,
        })
    }

    /// Every state.
    pub const ALL: [AccountState; 4] = [
        AccountState::Invited,
        AccountState::Pending,
        AccountState::Active,
        AccountState::Suspended,
    ];
}

/// A user's account record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    /// The user's id.
    pub user_id: String,
    /// The current state.
    pub state: AccountState,
    /// The state before suspension, restored by `active: true`.
    pub suspended_from: Option<AccountState>,
    /// When the state last changed (xsd:dateTime).
    pub changed_at: String,
}

/// Which rows of a resource type a list request reads: a condition in the engine's SQL
/// (RFC 7644 §3.4.2.2 filters, translated by [`scim2_core::sql`], plus conditions on the
/// indexed columns), with its placeholders numbered from 2: every statement binds the
/// resource type first.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct Selection {
    /// The condition; empty for every row.
    pub sql: String,
    /// The values of its placeholders `?2`/`$2` onwards, in order.
    pub params: Vec<SqlParam>,
}

impl Selection {
    /// Every row.
    pub fn all() -> Self {
        Selection::default()
    }

    /// The condition as SQL, `TRUE` for every row.
    pub(crate) fn condition(&self) -> &str {
        if self.sql.is_empty() {
            "TRUE"
        } else {
            &self.sql
        }
    }

    /// The number of the first placeholder after the selection's own.
    pub(crate) fn next_param(&self) -> usize {
        2 + self.params.len()
    }
}

/// The order of a page of resources.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Order {
    /// Creation order.
    Created,
    /// By the unique key (the lower-cased `userName` or group `displayName`, in code
    /// point order, as `sortBy` on that attribute orders: RFC 7644 §3.4.2.3).
    UniqueKey {
        /// Descending rather than ascending.
        descending: bool,
    },
}

impl Order {
    /// The `ORDER BY` list of this order, the unique key compared as `key` (the column,
    /// with the collation the engine needs for code point order), and the condition a
    /// statement adds for it: pages sorted by the unique key hold the resources that
    /// have one (every resource the rules write), read in the order of its index.
    pub(crate) fn sql(self, key: &str) -> (String, &'static str) {
        match self {
            Order::Created => ("seq".to_owned(), "TRUE"),
            Order::UniqueKey { descending: false } => (key.to_owned(), "unique_key IS NOT NULL"),
            Order::UniqueKey { descending: true } => {
                (format!("{key} DESC"), "unique_key IS NOT NULL")
            }
        }
    }
}

/// Where a page read by index seek starts (paging by cursor, RFC 9865): after the
/// resource at a position in the page's [`Order`], never by counting past the rows
/// before it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum After {
    /// From the first resource.
    Start,
    /// After the resource created at this position (`seq`), in [`Order::Created`].
    Seq(i64),
    /// After the resource with this unique key (lower-cased), in [`Order::UniqueKey`].
    Key(String),
}

/// A value an [`After`] condition binds.
pub(crate) enum AfterValue {
    /// A position.
    Seq(i64),
    /// A unique key.
    Key(String),
}

impl Order {
    /// The column a page in this order is keyed by (`key` being the unique key as the
    /// engine compares it) and how a later row compares with an earlier one.
    fn keyed_by(self, key: &str) -> (&str, &'static str) {
        match self {
            Order::Created => ("seq", ">"),
            Order::UniqueKey { descending: false } => (key, ">"),
            Order::UniqueKey { descending: true } => (key, "<"),
        }
    }

    /// The condition that keeps the rows after `after` in this order, `placeholder`
    /// standing for the value it binds; `None` for [`After::Start`]. A position of the
    /// other order keeps nothing (`FALSE`): the rules never pass one.
    pub(crate) fn after_sql(
        self,
        key: &str,
        after: &After,
        placeholder: &str,
    ) -> Option<(String, AfterValue)> {
        let (column, later) = self.keyed_by(key);
        match (self, after) {
            (_, After::Start) => None,
            (Order::Created, After::Seq(seq)) => Some((
                format!("{column} {later} {placeholder}"),
                AfterValue::Seq(*seq),
            )),
            (Order::UniqueKey { .. }, After::Key(k)) => Some((
                format!("{column} {later} {placeholder}"),
                AfterValue::Key(k.clone()),
            )),
            _ => Some((
                format!("(FALSE AND {placeholder} IS NULL)"),
                AfterValue::Seq(0),
            )),
        }
    }

    /// The condition that starts a page `placeholder` rows into this order without
    /// reading the rows it skips: the skipped rows are counted in the order's index
    /// alone (a covering subquery on `(resource_type, seq)` or `(resource_type,
    /// unique_key)`), then the page is read from the row found on. `condition` is the
    /// statement's own selection, repeated in the subquery.
    pub(crate) fn offset_sql(self, key: &str, condition: &str, placeholder: &str) -> String {
        let (column, later) = self.keyed_by(key);
        let (order, _) = self.sql(key);
        format!(
            "{column} {later}= (SELECT {column} FROM resources WHERE {condition} \
             ORDER BY {order} LIMIT 1 OFFSET {placeholder})"
        )
    }
}

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique key is taken.
    #[error("duplicate {0}")]
    Duplicate(String),
    /// The store cannot be written (disk full, read-only) or reached (a database server
    /// down or unreachable). The text may name files or servers: it is logged, never sent
    /// to clients.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// Another writer (the `invitations accept` subcommand, a backup) held the database
    /// longer than the busy timeout.
    #[error("store busy: {0}")]
    Busy(String),
    /// A stored row cannot be read back (its `data` is not a JSON object).
    #[error("stored {resource_type} {id} is corrupted: {detail}")]
    Corrupt {
        /// The row's resource type.
        resource_type: String,
        /// The row's resource id.
        id: String,
        /// What is wrong with it.
        detail: String,
    },
    /// A value the engine cannot hold (PostgreSQL's text has no U+0000, its index
    /// entries no more than about 2.7 kB): the client's input, refused.
    #[error("the store cannot hold this value: {0}")]
    Unrepresentable(String),
    /// A newer bridge upgraded the database past what this one knows (a rolling
    /// upgrade): this one must stop serving. The text names no host: it is sent to
    /// clients.
    #[error("{0}")]
    Superseded(String),
    /// Anything else.
    #[error("store error: {0}")]
    Other(String),
}

/// A storage engine: runs closures in transactions. The closures fail with the caller's
/// own error type (any `E: From<StoreError>`), so the store knows nothing of the rules
/// written over it.
pub trait Store: Send + Sync + 'static {
    /// Runs `f` in a read-only transaction.
    fn read<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&mut dyn Tx) -> Result<T, E>,
    ) -> Result<T, E>;

    /// Runs `f` in a write transaction, committed only if `f` succeeds: nothing is ever
    /// half-written.
    fn write<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&mut dyn Tx) -> Result<T, E>,
    ) -> Result<T, E>;

    /// Runs `f` in a write transaction like [`Store::write`], but may return before the
    /// write is durable: the caller owes [`Store::make_durable`] with the returned
    /// [`Owed`] (gathered over several writes with [`Owed::add`]) before it reports the
    /// write as done. The operations of one Bulk request (RFC 7644 §3.7) write this way
    /// and are committed together. The default is [`Store::write`], durable at once.
    fn write_deferred<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&mut dyn Tx) -> Result<T, E>,
    ) -> Result<(T, Owed), E> {
        self.write(f).map(|out| (out, Owed::default()))
    }

    /// Makes the writes `owed` stands for durable, or fails if they cannot be (then none
    /// of them may be reported as done).
    fn make_durable(&self, owed: Owed) -> Result<(), StoreError> {
        let _ = owed;
        Ok(())
    }

    /// Whether the store answers (for `/health` and `/readyz`); on an engine several
    /// bridges share, also whether a newer bridge has upgraded it since this one started
    /// (then [`Store::superseded`] says so from now on).
    fn check(&self) -> Result<(), StoreError>;

    /// Why this bridge must stop serving SCIM, if it must: a newer bridge upgraded the
    /// database's schema past what this one knows (found by [`Store::check`]). The text
    /// names no host, so it may be sent to clients. `None` for an engine only one
    /// process serves.
    fn superseded(&self) -> Option<String> {
        None
    }

    /// The engine's name, as `/health` shows it (`sqlite`, `postgresql`).
    fn engine(&self) -> &'static str;

    /// Whether this process is the one (of all the replicas on this store) to run the
    /// work that must run once, the confirmation watcher; asked before each run, so that
    /// another process takes over when the one that ran it dies. `Ok(true)` for an
    /// engine only one process serves.
    fn lead(&self) -> Result<bool, StoreError> {
        Ok(true)
    }
}

/// Writes made by [`Store::write_deferred`] that may not be durable yet: the batches
/// (numbered by the engine, in commit order) that hold them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Owed {
    /// The first batch, 0 for none.
    first: u64,
    /// The last batch.
    last: u64,
}

impl Owed {
    /// A write in batch `epoch` (from 1).
    pub(crate) fn batch(epoch: u64) -> Self {
        Owed {
            first: epoch,
            last: epoch,
        }
    }

    /// Adds the writes `other` stands for.
    pub fn add(&mut self, other: Owed) {
        if other.is_empty() {
            return;
        }
        if self.is_empty() {
            *self = other;
        } else {
            self.first = self.first.min(other.first);
            self.last = self.last.max(other.last);
        }
    }

    /// Whether nothing is owed.
    pub fn is_empty(&self) -> bool {
        self.first == 0
    }

    /// The first and last batch owed, if any.
    pub(crate) fn range(&self) -> Option<(u64, u64)> {
        (!self.is_empty()).then_some((self.first, self.last))
    }
}

/// A stored resource as an engine reads it: its `data` not parsed yet. Every engine
/// reads rows through [`RawRow::parse`], so a corrupted row is refused the same way.
pub(crate) struct RawRow {
    /// The row's insertion position.
    pub(crate) seq: i64,
    /// The resource id.
    pub(crate) id: String,
    /// The resource as JSON text.
    pub(crate) data: String,
    /// See [`Row::unique_key`].
    pub(crate) unique_key: Option<String>,
    /// See [`Row::external_id`].
    pub(crate) external_id: Option<String>,
}

impl RawRow {
    /// Parses `data`: a row whose data is not a JSON object is [`StoreError::Corrupt`]
    /// (logged with its id), never served.
    pub(crate) fn parse(self, rt: &str) -> Result<(i64, Row), StoreError> {
        let detail = match serde_json::from_str::<Value>(&self.data) {
            Ok(data) if data.is_object() => {
                return Ok((
                    self.seq,
                    Row {
                        id: self.id,
                        data,
                        unique_key: self.unique_key,
                        external_id: self.external_id,
                    },
                ))
            }
            Ok(_) => "data is not a JSON object".to_owned(),
            Err(e) => format!("data is not JSON: {e}"),
        };
        tracing::error!(resource_type = rt, id = %self.id, %detail, "stored resource is corrupted");
        Err(StoreError::Corrupt {
            resource_type: rt.to_owned(),
            id: self.id,
            detail,
        })
    }
}

impl Account {
    /// An account record as an engine stores it: states by name (an unknown state reads
    /// as [`AccountState::Invited`], an unknown `suspended_from` as none).
    pub(crate) fn from_stored(
        user_id: String,
        state: &str,
        suspended_from: Option<&str>,
        changed_at: String,
    ) -> Self {
        Account {
            user_id,
            state: AccountState::parse(state).unwrap_or(AccountState::Invited),
            suspended_from: suspended_from.and_then(AccountState::parse),
            changed_at,
        }
    }
}

/// What can be done inside a transaction (with the audit trail, [`Journal`]).
pub trait Tx: Journal {
    /// The resource of `rt` with this id.
    fn get(&mut self, rt: &str, id: &str) -> Result<Option<Row>, StoreError>;
    /// The `meta.version` of the resource of `rt` with this id, without reading the rest
    /// of it: `None` if there is no such resource, `Some(None)` if it has no version.
    fn version(&mut self, rt: &str, id: &str) -> Result<Option<Option<String>>, StoreError>;
    /// The resource of `rt` whose unique key is `key` (lower-cased).
    fn find_unique(&mut self, rt: &str, key: &str) -> Result<Option<Row>, StoreError>;
    /// Whether a resource of `rt` with this id exists, without reading it.
    fn exists(&mut self, rt: &str, id: &str) -> Result<bool, StoreError>;
    /// The SQL dialect and document column a filter is translated for, placeholders
    /// numbered from 2 (see [`Selection`]).
    fn filter_target(&self) -> SqlTarget;
    /// SQL that is true when the row's `data` is a JSON object, the only document
    /// [`Tx::filter_target`]'s predicates are written for.
    fn object_guard(&self) -> &'static str;
    /// At most `limit` resources of `rt` that `selection` selects, created after the one
    /// at position `after` (0: from the start), in creation order, each with its
    /// position: a scan in bounded batches, never every row at once.
    fn scan_after(
        &mut self,
        rt: &str,
        selection: &Selection,
        after: i64,
        limit: u64,
    ) -> Result<Vec<(i64, Row)>, StoreError>;
    /// At most `limit` resources of `rt` that `selection` selects, in `order`, after
    /// skipping `offset`: only the page is read.
    fn page(
        &mut self,
        rt: &str,
        selection: &Selection,
        order: Order,
        offset: u64,
        limit: u64,
    ) -> Result<Vec<Row>, StoreError>;
    /// At most `limit` resources of `rt` that `selection` selects, in `order`, after
    /// `after`, each with its position: an index seek from the last page's last row
    /// (paging by cursor, RFC 9865), however deep the page.
    fn seek(
        &mut self,
        rt: &str,
        selection: &Selection,
        order: Order,
        after: &After,
        limit: u64,
    ) -> Result<Vec<(i64, Row)>, StoreError>;
    /// The position of every resource of `rt` that `selection` selects, in `order`: the
    /// matches counted and ordered in one pass, without reading their documents out.
    fn positions(
        &mut self,
        rt: &str,
        selection: &Selection,
        order: Order,
    ) -> Result<Vec<i64>, StoreError>;
    /// The resources of `rt` at `positions`, in that order (those since deleted left out).
    fn rows_at(&mut self, rt: &str, positions: &[i64]) -> Result<Vec<Row>, StoreError>;
    /// How many resources of `rt` `selection` selects, counted in the database.
    fn count(&mut self, rt: &str, selection: &Selection) -> Result<u64, StoreError>;
    /// Inserts a new resource ([`StoreError::Duplicate`] if its id or unique key is taken).
    fn insert(&mut self, rt: &str, row: &Row) -> Result<(), StoreError>;
    /// Replaces a resource.
    fn update(&mut self, rt: &str, row: &Row) -> Result<(), StoreError>;
    /// Deletes a resource; whether it existed.
    fn remove(&mut self, rt: &str, id: &str) -> Result<bool, StoreError>;
    /// A group's members, in the order they were added.
    fn members(&mut self, group_id: &str) -> Result<Vec<MemberRow>, StoreError>;
    /// Whether `member_id` is a member of `group_id`.
    fn has_member(&mut self, group_id: &str, member_id: &str) -> Result<bool, StoreError>;
    /// Adds (or updates) a member.
    fn add_member(&mut self, group_id: &str, member: &MemberRow) -> Result<(), StoreError>;
    /// Removes a member.
    fn remove_member(&mut self, group_id: &str, member_id: &str) -> Result<(), StoreError>;
    /// The members of `group_id` that are groups.
    fn group_members(&mut self, group_id: &str) -> Result<Vec<String>, StoreError>;
    /// The groups `member_id` belongs to: (group id, display name).
    fn groups_of(&mut self, member_id: &str) -> Result<Vec<(String, String)>, StoreError> {
        let each = self.groups_of_each(&[member_id.to_owned()])?;
        Ok(each.into_iter().map(|(_, g, name)| (g, name)).collect())
    }
    /// The groups each of `member_ids` belongs to, in one query: (member id, group id,
    /// display name), each member's groups in the order they were joined.
    fn groups_of_each(
        &mut self,
        member_ids: &[String],
    ) -> Result<Vec<(String, String, String)>, StoreError>;
    /// Removes `member_id` from every group.
    fn remove_member_everywhere(&mut self, member_id: &str) -> Result<(), StoreError>;
    /// A user's account record.
    fn account(&mut self, user_id: &str) -> Result<Option<Account>, StoreError>;
    /// The account records of `user_ids` that exist, in one query.
    fn accounts_of(&mut self, user_ids: &[String]) -> Result<Vec<Account>, StoreError>;
    /// Writes a user's account record.
    fn set_account(&mut self, account: &Account) -> Result<(), StoreError>;
    /// Deletes a user's account record.
    fn remove_account(&mut self, user_id: &str) -> Result<(), StoreError>;
    /// At most `limit` accounts in `state`.
    fn accounts_in(&mut self, state: AccountState, limit: u64) -> Result<Vec<Account>, StoreError>;
    /// How many accounts are in `state`.
    fn count_accounts(&mut self, state: AccountState) -> Result<u64, StoreError>;
}
