//! How a request's writes become durable: each at once, or, for the operations of one
//! Bulk request (RFC 7644 §3.7), together when the Bulk request finishes
//! ([`scim2_core::provisioner::Provisioner::bulk_finished`]), so that a Bulk request of
//! 1,000 creates is one commit on the store ([`Store::write_deferred`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use scim2_core::provisioner::RequestContext;

use crate::store::{Owed, Store, StoreError, Tx};

/// How long a Bulk request's entry is kept without a write before it is taken for
/// abandoned (its client went before the Bulk request finished; the store commits such
/// writes on its own).
const ABANDONED: Duration = Duration::from_secs(600);

/// What each unfinished Bulk request's operations wrote and still owe.
#[derive(Clone, Debug, Default)]
pub(crate) struct Bulks(Arc<Mutex<HashMap<u64, (Owed, Instant)>>>);

impl Bulks {
    /// How the writes of the request `ctx` are made durable.
    pub(crate) fn for_request(&self, ctx: &RequestContext) -> Durability {
        Durability {
            bulk: ctx.bulk.map(|id| (id, self.clone())),
        }
    }

    /// Makes every write of the Bulk request `id` durable, and forgets it.
    pub(crate) fn finish<S: Store>(&self, store: &S, id: u64) -> Result<(), StoreError> {
        let owed = {
            let mut all = self.0.lock().unwrap_or_else(PoisonError::into_inner);
            all.retain(|_, (_, touched)| touched.elapsed() < ABANDONED);
            all.remove(&id).map(|(owed, _)| owed)
        };
        owed.map_or(Ok(()), |owed| store.make_durable(owed))
    }

    /// What the Bulk request `id` owes so far.
    fn owed(&self, id: u64) -> Owed {
        let all = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        all.get(&id).map(|(owed, _)| *owed).unwrap_or_default()
    }

    /// Adds `owed` to what the Bulk request `id` owes.
    fn add(&self, id: u64, owed: Owed) {
        if owed.is_empty() {
            return;
        }
        let mut all = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = all.entry(id).or_insert((Owed::default(), Instant::now()));
        entry.0.add(owed);
        entry.1 = Instant::now();
    }
}

/// How one request's writes are made durable.
#[derive(Clone, Debug)]
pub(crate) struct Durability {
    /// The Bulk request this is an operation of, if any.
    bulk: Option<(u64, Bulks)>,
}

impl Durability {
    /// Runs `f` in a write transaction: durable when this returns, or, in a Bulk
    /// request, once the Bulk request finishes.
    pub(crate) fn write<S: Store, T, E: From<StoreError>>(
        &self,
        store: &S,
        f: impl FnOnce(&mut dyn Tx) -> Result<T, E>,
    ) -> Result<T, E> {
        match &self.bulk {
            None => store.write(f),
            Some((id, bulks)) => {
                let (out, owed) = store.write_deferred(f)?;
                bulks.add(*id, owed);
                Ok(out)
            }
        }
    }

    /// Before a read outside the write transaction: makes what earlier operations of the
    /// same Bulk request wrote durable, so that the read sees it.
    pub(crate) fn before_read<S: Store>(&self, store: &S) -> Result<(), StoreError> {
        match &self.bulk {
            Some((id, bulks)) => store.make_durable(bulks.owed(*id)),
            None => Ok(()),
        }
    }
}
