//! How the PostgreSQL store sorts and words the client's errors: into the
//! [`StoreError`] kinds the rules answer by (`409`, `503`, …), in texts fit for answers
//! and `/health` (no host, address, role or database), and whether a failure to connect
//! may pass by itself (the bridge then waits for the server at start).

use super::*;

/// Whether a failure to connect may pass by itself: the server unreachable (refused, timed
/// out, its name not resolving yet), starting, shutting down or full. Not a refused
/// password, a missing database, or a certificate refused: trying again changes nothing.
pub(super) fn may_come_up(e: &postgres::Error) -> bool {
    if let Some(code) = e.code() {
        return [
            SqlState::CANNOT_CONNECT_NOW,
            SqlState::TOO_MANY_CONNECTIONS,
            SqlState::ADMIN_SHUTDOWN,
            SqlState::CRASH_SHUTDOWN,
        ]
        .contains(code)
            || code.code().starts_with("08");
    }
    if certificate_error(e).is_some() {
        return false;
    }
    // The client's I/O failures (a refused or reset connection, a name lookup failing)
    // carry an I/O error; its timeouts and closed connections carry nothing.
    let mut source = std::error::Error::source(e);
    if source.is_none() {
        return true;
    }
    while let Some(cause) = source {
        if cause.is::<std::io::Error>() {
            return true;
        }
        source = cause.source();
    }
    false
}

/// [`classify`], for a failure to connect: a certificate refused is a setting to fix,
/// not the server being away.
pub(super) fn classify_connect(e: &postgres::Error) -> StoreError {
    match certificate_error(e) {
        Some(why) => StoreError::Other(why),
        None => classify_ref(e),
    }
}

/// The server's certificate refused, said without the host names a certificate-name
/// failure would repeat (the text reaches `/health`): `None` for any other failure.
pub(super) fn certificate_error(e: &postgres::Error) -> Option<String> {
    use tokio_rustls::rustls;
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(cause) = source {
        let tls = cause.downcast_ref::<rustls::Error>().or_else(|| {
            cause
                .downcast_ref::<std::io::Error>()
                .and_then(|io| io.get_ref())
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        });
        if let Some(rustls::Error::InvalidCertificate(why)) = tls {
            return Some(match why {
                rustls::CertificateError::NotValidForName
                | rustls::CertificateError::NotValidForNameContext { .. } => {
                    "error performing TLS handshake: the database server's certificate is not \
                     valid for the host name in --database-url"
                        .to_owned()
                }
                other => format!(
                    "error performing TLS handshake: the database server's certificate is \
                     refused: {other}"
                ),
            });
        }
        source = cause.source();
    }
    None
}

/// A pool failure: no connection within [`CHECKOUT_TIMEOUT`] (the server is down or
/// unreachable, or every connection is busy).
pub(super) fn pool_error(e: r2d2::Error) -> StoreError {
    StoreError::Unavailable(format!("no database connection: {e}"))
}

/// Sorts a client error: a taken unique key ([`StoreError::Duplicate`]: `409`
/// `uniqueness`, RFC 7644 §3.3, §3.12), a lock waited for too long, a statement
/// cancelled, or a transaction to retry ([`StoreError::Busy`]), the server unreachable
/// or going away ([`StoreError::Unavailable`]) — both `503` with `Retry-After` (RFC 9110
/// §15.6.4, §10.2.3), since trying again later may succeed — or anything else.
pub(super) fn classify(e: postgres::Error) -> StoreError {
    classify_ref(&e)
}

/// [`classify`], by reference.
pub(super) fn classify_ref(e: &postgres::Error) -> StoreError {
    let Some(code) = e.code() else {
        if let Some(why) = certificate_error(e) {
            return StoreError::Unavailable(why);
        }
        // No SQLSTATE: the connection failed or closed (an I/O error, a TLS failure, a
        // timeout); none of their texts names the server. The causes are kept: "error
        // performing TLS handshake" alone would not say that a certificate was refused.
        let mut text = e.to_string();
        let mut source = std::error::Error::source(e);
        while let Some(cause) = source {
            text.push_str(": ");
            text.push_str(&cause.to_string());
            source = cause.source();
        }
        return StoreError::Unavailable(text);
    };
    // The server's SQLSTATE and message (the client library's own text is only "db
    // error"); not its DETAIL, which may repeat the values of a row.
    let text = match e.as_db_error() {
        Some(db) => server_text(db),
        None => e.to_string(),
    };
    if *code == SqlState::UNIQUE_VIOLATION {
        StoreError::Duplicate(text)
    } else if *code == SqlState::CHARACTER_NOT_IN_REPERTOIRE
        || *code == SqlState::UNTRANSLATABLE_CHARACTER
        || *code == SqlState::PROGRAM_LIMIT_EXCEEDED
    {
        // A text parameter holding U+0000 (which PostgreSQL's text cannot hold), or too
        // long for an index entry (an `externalId` past about 2.7 kB).
        StoreError::Unrepresentable(text)
    } else if [
        SqlState::LOCK_NOT_AVAILABLE,
        SqlState::T_R_DEADLOCK_DETECTED,
        SqlState::T_R_SERIALIZATION_FAILURE,
        // A statement the server cancelled: its `statement_timeout`, or by hand.
        SqlState::QUERY_CANCELED,
    ]
    .contains(code)
    {
        StoreError::Busy(text)
    } else if [
        SqlState::ADMIN_SHUTDOWN,
        SqlState::CRASH_SHUTDOWN,
        SqlState::CANNOT_CONNECT_NOW,
        SqlState::TOO_MANY_CONNECTIONS,
        // The session ended for idling in a transaction (the bridge was frozen in a
        // write): the pool replaces the connection.
        SqlState::IDLE_IN_TRANSACTION_SESSION_TIMEOUT,
        SqlState::READ_ONLY_SQL_TRANSACTION,
        SqlState::DISK_FULL,
        SqlState::OUT_OF_MEMORY,
    ]
    .contains(code)
        // Class 08: connection exceptions.
        || code.code().starts_with("08")
    {
        StoreError::Unavailable(text)
    } else {
        StoreError::Other(text)
    }
}

/// What a server error says, fit to show (answers, `/health`'s store detail and the
/// watcher's `lastError` all come through [`classify`]): its severity, SQLSTATE and
/// message; but for a connection refused (classes 28, invalid authorization; 3D, invalid
/// catalog name; 08, connection exception), whose messages name the client's address,
/// the role or the database, what its class means instead (the server's log has the rest).
pub(super) fn server_text(db: &postgres::error::DbError) -> String {
    let code = db.code().code();
    let refused = match code.get(..2) {
        Some("28") => Some(
            "the database server refused the connection: the role, its password, or this \
             client's address is not allowed (invalid authorization; see the server's log \
             and pg_hba.conf)",
        ),
        Some("3D") => Some("the database named in --database-url does not exist"),
        Some("08") => Some("the database server refused the connection (see its log)"),
        _ => None,
    };
    match refused {
        Some(what) => format!("{} {code}: {what}", db.severity()),
        None => format!("{} {code}: {}", db.severity(), db.message()),
    }
}
