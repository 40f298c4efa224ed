//! Found when the test kit first ran on the PostgreSQL store in process: dropping the
//! last handle of a `PgStore` on a thread that drives async tasks (an embedder's
//! `ScimService` dropped in async code) panicked inside the synchronous client's
//! connection close ("Cannot start a runtime from within a runtime"), and the panic
//! while unwinding aborted the process.
//!
//! Now the store closes its connections on a thread of its own when it is dropped
//! there.

use std::sync::Arc;

use scim_server_example::onepassword::{OnePassword, Policy};
use scim_server_example::store::postgres::PgStore;

use crate::common::postgres::server;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_dropped_on_an_async_worker_closes_its_connections_without_a_panic() {
    let Some(pg) = server() else { return };
    // Creating the database and opening the store block on the client's own runtime:
    // off the async worker.
    let url = tokio::task::block_in_place(|| pg.database());
    let provisioner = tokio::task::block_in_place(|| {
        let store = Arc::new(PgStore::open(&url).expect("a store"));
        OnePassword::new(store, Policy::default()).expect("an account")
    });
    // Dropped here, on the async worker, with pooled connections open.
    drop(provisioner);
    // The connections are closed (on another thread): a new store opens and the runtime
    // goes on.
    tokio::task::block_in_place(|| drop(PgStore::open(&url).expect("a store again")));
}
