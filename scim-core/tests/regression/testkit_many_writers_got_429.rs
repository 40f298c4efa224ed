//! Found by the attack review of the test kit: with more concurrent writers than the
//! service retries a lost read-modify-write (`CONFLICT_RETRIES`, 64), the kit's
//! concurrency check failed a correct store that awaits between its read and its write
//! (any store over an async database): writers that lost every retry were answered 429
//! with Retry-After, as they should be, and the kit wanted 200 or 204. Identity
//! providers send such a request again; the kit now does too.

use std::sync::Arc;

use scim2_core::provisioner::Provisioner;
use scim2_core::testkit::TestKit;

use crate::common::Delegating;

#[tokio::test]
async fn a_correct_store_passes_with_more_writers_than_retries() {
    let kit = TestKit::new(|| {
        Arc::new(Delegating {
            yield_after_get: true,
            ..Delegating::default()
        }) as Arc<dyn Provisioner>
    })
    .with_concurrency(100);
    kit.concurrency().await.unwrap();
}
