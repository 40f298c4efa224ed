//! Turns for PATCHes of one resource: a PATCH reads the resource, applies the engine
//! outside any transaction and writes only if the resource is still at the version it
//! read, so two PATCHes of one resource at once make one of them apply again. PATCHes of
//! the same resource in this process therefore take turns (on one of [`STRIPES`] locks
//! picked by the resource's id), and only writers elsewhere (other replicas, other kinds
//! of request) can make a PATCH apply again.

use std::hash::{BuildHasher, RandomState};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// How many locks the resources share.
const STRIPES: usize = 64;

/// The locks PATCHes take turns on.
#[derive(Clone, Debug)]
pub(crate) struct Turns {
    stripes: Arc<[Mutex<()>]>,
    hasher: RandomState,
}

impl Default for Turns {
    fn default() -> Self {
        Turns {
            stripes: (0..STRIPES).map(|_| Mutex::new(())).collect(),
            hasher: RandomState::new(),
        }
    }
}

impl Turns {
    /// Waits for the turn of the resource `id` of `rt`; the turn ends when the guard is
    /// dropped.
    pub(crate) fn take(&self, rt: &str, id: &str) -> MutexGuard<'_, ()> {
        let stripe = self.hasher.hash_one((rt, id)) as usize % self.stripes.len();
        // The lock guards no data: a panic while holding it leaves nothing half-done.
        self.stripes[stripe]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}
