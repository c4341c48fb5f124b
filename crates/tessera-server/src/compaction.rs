//! Compaction of old tombstones: every node, every ten minutes, compacts
//! the store up to the newest revision it saw at least an hour ago.
//!
//! Revisions carry no time, so each node keeps a few in-memory
//! checkpoints of (when, latest revision) and takes the horizon from them;
//! the store needs no table of times, and a restarted node simply waits an
//! hour before its first compaction. Nodes running this at once are
//! harmless: [`Backend::compact`](tessera_store::Backend::compact) never
//! lowers the horizon, and each call is one transaction.
//!
//! The hour is a cost bound, not a correctness one: a node whose snapshot
//! is older than the horizon (asleep, partitioned) is answered with a full
//! read and reloads, so a short horizon only makes such reloads likelier.
//! A node that refreshes every few seconds never falls behind an hour.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::state::AppState;

/// How often a node compacts.
pub const EVERY: Duration = Duration::from_secs(600);

/// How old a revision must be before its tombstones are forgotten.
pub const KEEP: Duration = Duration::from_secs(3600);

/// When the store was seen at which revision, oldest first.
#[derive(Debug)]
pub struct Checkpoints {
    keep: Duration,
    seen: VecDeque<(Instant, u64)>,
}

impl Checkpoints {
    /// No checkpoints yet; horizons lag `keep` behind.
    pub fn new(keep: Duration) -> Self {
        Checkpoints {
            keep,
            seen: VecDeque::new(),
        }
    }

    /// Records that the store's latest revision was `revision` at `now`,
    /// and answers the horizon to compact to: the newest revision seen at
    /// least `keep` before `now`, if any. Checkpoints older than that one
    /// are dropped, which keeps the list as short as `keep / EVERY`.
    pub fn record(&mut self, now: Instant, revision: u64) -> Option<u64> {
        self.seen.push_back((now, revision));
        let mut horizon = None;
        while let Some(&(at, seen)) = self.seen.front() {
            if now.saturating_duration_since(at) < self.keep {
                break;
            }
            horizon = Some(seen);
            self.seen.pop_front();
        }
        horizon
    }
}

/// Starts the periodic compaction of `state`'s store.
pub fn spawn(state: Arc<AppState>) -> tokio::task::JoinHandle<()> {
    let checkpoints = Arc::new(Mutex::new(Checkpoints::new(KEEP)));
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(EVERY);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            let state = Arc::clone(&state);
            let checkpoints = Arc::clone(&checkpoints);
            match tokio::task::spawn_blocking(move || compact_once(&state, &checkpoints)).await {
                Ok(Ok(())) => {}
                Ok(Err(error)) => tracing::warn!(%error, "compaction failed; will retry"),
                Err(error) => tracing::warn!(%error, "compaction task failed"),
            }
        }
    })
}

fn compact_once(
    state: &AppState,
    checkpoints: &Mutex<Checkpoints>,
) -> Result<(), tessera_store::StoreError> {
    // Asking from beyond every revision reads no items, only the latest.
    let latest = state.store.changes_since(u64::MAX)?.revision;
    let horizon = checkpoints
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .record(Instant::now(), latest);
    if let Some(horizon) = horizon {
        let recorded = state.store.compact(horizon)?;
        tracing::debug!(horizon = recorded, "compacted old tombstones");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_horizon_until_a_checkpoint_is_old_enough() {
        let start = Instant::now();
        let mut checkpoints = Checkpoints::new(KEEP);
        assert_eq!(checkpoints.record(start, 5), None);
        assert_eq!(checkpoints.record(start + EVERY, 9), None);
        assert_eq!(checkpoints.record(start + KEEP - EVERY, 12), None);
    }

    #[test]
    fn the_horizon_is_the_newest_revision_seen_at_least_keep_ago() {
        let start = Instant::now();
        let mut checkpoints = Checkpoints::new(KEEP);
        for (tick, revision) in (0u32..6).zip([3, 4, 8, 8, 10, 11]) {
            assert_eq!(checkpoints.record(start + EVERY * tick, revision), None);
        }
        // Six ticks later the first checkpoint is an hour old.
        assert_eq!(checkpoints.record(start + EVERY * 6, 12), Some(3));
        // Two missed ticks: the newest of the checkpoints now old enough.
        assert_eq!(checkpoints.record(start + EVERY * 9, 20), Some(8));
        assert!(checkpoints.seen.len() <= 6);
    }
}
