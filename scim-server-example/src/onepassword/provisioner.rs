//! The 1Password rules as a SCIM [`Provisioner`]: each request parsed once at the
//! boundary ([`Kind`]), run on the blocking pool, writes through the bounded write
//! slots, PATCH applied outside any write transaction, and list requests admitted by
//! their plan.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use scim2_core::patch::PatchRequest;
use scim2_core::provisioner::{
    ListPage, ListQuery, PatchInput, Provisioner, ProvisionerError, RequestContext,
};
use scim2_core::ScimError;
use serde_json::Value;

use super::audit::Actor;
use super::rules::{self, Writer};
use super::{Kind, OnePassword, ScanLimits, PATCH_ATTEMPTS};
use crate::store::Store;

#[async_trait]
impl<S: Store> Provisioner for OnePassword<S> {
    async fn create(
        &self,
        ctx: &RequestContext,
        rt: &str,
        resource: Value,
    ) -> Result<Value, ProvisionerError> {
        let (kind, actor) = (Kind::parse(rt)?, Actor::of(ctx));
        let durability = self.bulks.for_request(ctx);
        self.writing(move |store, policy, _| {
            durability.write(store, |tx| {
                rules::create(tx, &Writer::new(policy, &actor), kind, resource)
            })
        })
        .await
    }

    /// In a Bulk request (a PUT reads the resource first), the operations before it are
    /// made durable first, so that the read sees what they wrote.
    async fn get(
        &self,
        ctx: &RequestContext,
        rt: &str,
        id: &str,
    ) -> Result<Value, ProvisionerError> {
        let (kind, id) = (Kind::parse(rt)?, id.to_owned());
        let durability = self.bulks.for_request(ctx);
        self.blocking(move |store, _, _| {
            durability.before_read(store)?;
            store.read(|tx| rules::get(tx, kind, &id))
        })
        .await
    }

    async fn replace(
        &self,
        ctx: &RequestContext,
        rt: &str,
        id: &str,
        resource: Value,
        expected: Option<&str>,
    ) -> Result<Value, ProvisionerError> {
        let (kind, actor) = (Kind::parse(rt)?, Actor::of(ctx));
        let (id, expected) = (id.to_owned(), expected.map(str::to_owned));
        let durability = self.bulks.for_request(ctx);
        self.writing(move |store, policy, _| {
            durability.write(store, |tx| {
                let old = rules::get(tx, kind, &id)?;
                scim2_core::meta::check_version(&old, expected.as_deref())?;
                rules::update(tx, &Writer::new(policy, &actor), kind, &id, &old, resource)
            })
        })
        .await
    }

    async fn delete(
        &self,
        ctx: &RequestContext,
        rt: &str,
        id: &str,
        expected: Option<&str>,
    ) -> Result<(), ProvisionerError> {
        let (kind, actor) = (Kind::parse(rt)?, Actor::of(ctx));
        let (id, expected) = (id.to_owned(), expected.map(str::to_owned));
        let durability = self.bulks.for_request(ctx);
        self.writing(move |store, policy, _| {
            let w = Writer::new(policy, &actor);
            durability.write(store, |tx| {
                rules::delete(tx, &w, kind, &id, expected.as_deref())
            })
        })
        .await
    }

    /// Commits the Bulk request's deferred writes (see the `durability` module).
    async fn bulk_finished(&self, ctx: &RequestContext) -> Result<(), ProvisionerError> {
        let Some(id) = ctx.bulk else {
            return Ok(());
        };
        let bulks = self.bulks.clone();
        self.blocking(move |store, _, _| Ok(bulks.finish(store, id)?))
            .await
    }

    async fn list(
        &self,
        _ctx: &RequestContext,
        rt: &str,
        query: &ListQuery,
    ) -> Result<ListPage, ProvisionerError> {
        let max_held = self.scan_limits.max_held;
        let limits = rules::HeldLimits {
            resources: max_held,
            bytes: self.max_held_bytes,
        };
        // Every query, even an indexed lookup, runs on the blocking pool: a read can wait
        // for a connection, and an async worker must never wait.
        let kind = Kind::parse(rt)?;
        let permit = match rules::plan(kind, query, max_held) {
            rules::Plan::Scan => Some(self.scans.clone().try_acquire_owned().map_err(|_| {
                ProvisionerError::Busy {
                    detail: format!(
                        "{} searches that may read every {rt} (filters without an eq on id, userName, displayName, externalId or emails.value; sortBy other than userName or displayName; searches across resource types) are already running; retry shortly",
                        self.scan_limits.max_concurrent
                    ),
                    retry_after: ScanLimits::RETRY_AFTER,
                }
            })?),
            _ => None,
        };
        let query = query.clone();
        // Dropped with this future when the client goes: a scan then stops at its next
        // batch (and gives its permit back) instead of reading on for nobody.
        let abandoned = Abandoned::default();
        let gone = abandoned.0.clone();
        self.blocking(move |store, _, registry| {
            // Held until the scan ends.
            let _permit = permit;
            let schema = registry.resource_schema(kind.as_str()).ok_or_else(|| {
                ScimError::not_found(format!("no resource type {}", kind.as_str()))
            })?;
            store.read(|tx| rules::list(tx, kind, &schema, &query, limits, &gone))
        })
        .await
    }

    /// PATCH without holding the write lock while the engine runs: a members-only group
    /// PATCH is applied row by row in one short transaction; anything else is read, applied
    /// outside any transaction, and written only if the resource is still at the version
    /// read (else applied again to the resource as the write found it, up to
    /// `PATCH_ATTEMPTS` times; 412 under If-Match).
    async fn patch(
        &self,
        ctx: &RequestContext,
        rt: &str,
        id: &str,
        input: &PatchInput<'_>,
        expected: Option<&str>,
    ) -> Result<Value, ProvisionerError> {
        let (kind, actor) = (Kind::parse(rt)?, Actor::of(ctx));
        let (rt, id, expected) = (rt.to_owned(), id.to_owned(), expected.map(str::to_owned));
        let (request, compat): (PatchRequest, _) = (input.request.clone(), *input.compat);
        let full_result = input.full_result;
        let durability = self.bulks.for_request(ctx);
        let turns = self.turns.clone();
        self.writing(move |store, policy, registry| {
            let schema = registry
                .resource_schema(&rt)
                .ok_or_else(|| ScimError::not_found(format!("no resource type {rt}")))?;
            let expected = expected.as_deref();
            if let Some(changes) = rules::member_changes(kind, &request) {
                return durability
                    .write(store, |tx| {
                        rules::patch_members(
                            tx,
                            &id,
                            &changes,
                            &request,
                            expected,
                            full_result,
                            &actor,
                        )
                    })
                    .map(Some);
            }
            let input = PatchInput::new(&request, &schema, &compat).with_full_result(full_result);
            let touches_active = rules::patch_touches_active(&request);
            let _turn = turns.take(&rt, &id);
            durability.before_read(store)?;
            let mut old = store.read(|tx| rules::get(tx, kind, &id))?;
            for attempt in 0..PATCH_ATTEMPTS {
                if attempt > 0 {
                    // Writers that lost the same race spread out rather than meet again.
                    std::thread::sleep(backoff(attempt));
                }
                let next = scim2_core::provisioner::patched(&old, &input, expected)?;
                let written = durability.write(store, |tx| {
                    rules::update_if_current(
                        tx,
                        &Writer::new(policy, &actor).stating_active(touches_active),
                        kind,
                        &id,
                        &old,
                        next,
                        expected,
                    )
                })?;
                match written {
                    Ok(written) => return Ok(Some(written)),
                    Err(current) => old = current,
                }
            }
            Ok(None)
        })
        .await?
        .ok_or_else(|| ProvisionerError::Busy {
            detail: "the resource kept changing under this PATCH; retry".into(),
            retry_after: Duration::from_secs(1),
        })
    }
}

/// How long a PATCH waits before its `attempt`th try after losing a race for the same
/// resource: a random time up to 200 µs doubled per attempt (at most 13 ms), so that
/// writers that keep meeting spread out.
fn backoff(attempt: usize) -> Duration {
    use std::hash::{BuildHasher, RandomState};
    let ceiling = 200u64 << attempt.min(6);
    Duration::from_micros(RandomState::new().hash_one(attempt) % ceiling)
}

/// Set when dropped: the list request that holds it is gone (see [`rules::list`]).
#[derive(Default)]
struct Abandoned(Arc<AtomicBool>);

impl Drop for Abandoned {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}
