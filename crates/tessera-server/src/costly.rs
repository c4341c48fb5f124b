//! Costly authorization decisions, kept off the async workers.
//!
//! A request's policy evaluation is bounded ahead of running it
//! (`tessera_policy::PolicySet::work_bound`). Almost every decision is a
//! few microseconds and is made inline, on the worker that read the
//! request. One whose bound exceeds [`INLINE_WORK_BUDGET`] — a principal
//! whose policies hold many long `StringLike` patterns, matched against a
//! long client-chosen `User-Agent` — is decided again on a blocking thread,
//! at most [`CostlyDecisions::permits`] at a time: a principal that makes
//! its own requests slow waits behind its own kind, and every other
//! client keeps the async workers. The decision is the same wherever it is
//! made; only where and when it runs differs.

use std::sync::Arc;

use tokio::sync::Semaphore;

/// The evaluation work (units of about a nanosecond: the policy engine's
/// `hostile_pattern` benches) a decision may take on an async worker.
/// The bound is loose (every pattern charged against the request's
/// longest text), so an actual inline decision stays well under the
/// millisecond this allows for even on a slower core; ordinary principals
/// with ordinary requests are a few thousand units.
pub const INLINE_WORK_BUDGET: u64 = 200_000;

/// The blocking threads costly decisions may hold at once.
#[derive(Debug, Clone)]
pub struct CostlyDecisions {
    permits: Arc<Semaphore>,
    count: usize,
}

impl CostlyDecisions {
    /// At most `permits` costly decisions at once (at least one).
    pub fn new(permits: usize) -> CostlyDecisions {
        let count = permits.max(1);
        CostlyDecisions {
            permits: Arc::new(Semaphore::new(count)),
            count,
        }
    }

    /// One costly decision at a time per four cores, at least one: the
    /// rest of the machine stays with the async workers.
    pub fn for_this_machine() -> CostlyDecisions {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        CostlyDecisions::new(cores / 4)
    }

    /// How many costly decisions may run at once.
    pub fn permits(&self) -> usize {
        self.count
    }

    /// Runs `decide` on a blocking thread once a permit is free; `None`
    /// if the thread failed (it panicked) or the pool was shut down.
    pub async fn run<T: Send + 'static>(
        &self,
        decide: impl FnOnce() -> T + Send + 'static,
    ) -> Option<T> {
        let permit = Arc::clone(&self.permits).acquire_owned().await.ok()?;
        tokio::task::spawn_blocking(move || {
            let decided = decide();
            drop(permit);
            decided
        })
        .await
        .ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn no_more_decisions_run_at_once_than_there_are_permits() {
        let pool = CostlyDecisions::new(2);
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let (pool, running, most) = (pool.clone(), running.clone(), most.clone());
                tokio::spawn(async move {
                    pool.run(move || {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        std::thread::sleep(std::time::Duration::from_millis(20));
                        running.fetch_sub(1, Ordering::SeqCst);
                    })
                    .await
                })
            })
            .collect();
        for task in tasks {
            assert_eq!(task.await.ok(), Some(Some(())));
        }
        assert_eq!(most.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn a_pool_always_has_a_permit() {
        assert_eq!(CostlyDecisions::new(0).permits(), 1);
        assert!(CostlyDecisions::for_this_machine().permits() >= 1);
    }
}
