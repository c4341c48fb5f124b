//! A store that measures itself: every transaction's duration and failure
//! goes to the metrics, and the time spent in the store by the current
//! thread is kept so that a request's log line can say how much of its
//! latency was the store's.

use std::cell::Cell;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tessera_store::{Backend, ChangeSet, StoreError, Transaction};

use crate::metrics::{Metrics, StoreCall};

thread_local! {
    /// Time spent in store calls on this thread, ever.
    static STORE_TIME: Cell<Duration> = const { Cell::new(Duration::ZERO) };
}

/// The time this thread has spent in store calls: the difference of two
/// readings around a piece of work is that work's store time.
pub fn thread_store_time() -> Duration {
    STORE_TIME.with(Cell::get)
}

/// A backend whose every call is timed.
pub struct MeteredBackend {
    inner: Arc<dyn Backend>,
    metrics: Arc<Metrics>,
}

impl MeteredBackend {
    /// Wraps `inner`, reporting to `metrics`.
    pub fn new(inner: Arc<dyn Backend>, metrics: Arc<Metrics>) -> Self {
        MeteredBackend { inner, metrics }
    }

    fn timed<T>(
        &self,
        call: StoreCall,
        work: impl FnOnce() -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let started = Instant::now();
        let result = work();
        let took = started.elapsed();
        STORE_TIME.with(|total| total.set(total.get() + took));
        self.metrics.store_call(call, took, result.is_err());
        result
    }
}

impl Backend for MeteredBackend {
    fn kind(&self) -> &'static str {
        self.inner.kind()
    }

    fn read(
        &self,
        work: &mut dyn FnMut(&mut dyn Transaction) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.timed(StoreCall::Read, || self.inner.read(work))
    }

    fn write(
        &self,
        work: &mut dyn FnMut(&mut dyn Transaction) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.timed(StoreCall::Write, || self.inner.write(work))
    }

    fn changes_since(&self, revision: u64) -> Result<ChangeSet, StoreError> {
        self.timed(StoreCall::Changes, || self.inner.changes_since(revision))
    }

    // A rare background task, not a request's store time: left unmetered.
    fn compact(&self, horizon: u64) -> Result<u64, StoreError> {
        self.inner.compact(horizon)
    }

    fn change_listener(&self) -> Option<Box<dyn tessera_store::ChangeListener>> {
        self.inner.change_listener()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A backend that fails every write and answers every read.
    struct Scripted;

    impl Backend for Scripted {
        fn kind(&self) -> &'static str {
            "scripted"
        }
        fn read(
            &self,
            _: &mut dyn FnMut(&mut dyn Transaction) -> Result<(), StoreError>,
        ) -> Result<(), StoreError> {
            std::thread::sleep(Duration::from_millis(2));
            Ok(())
        }
        fn write(
            &self,
            _: &mut dyn FnMut(&mut dyn Transaction) -> Result<(), StoreError>,
        ) -> Result<(), StoreError> {
            Err(StoreError::Backend("refused".into()))
        }
        fn changes_since(&self, _: u64) -> Result<ChangeSet, StoreError> {
            Err(StoreError::Backend("refused".into()))
        }
    }

    #[test]
    fn calls_are_timed_on_the_thread_and_failures_counted() {
        let metrics = Arc::new(Metrics::default());
        let store = MeteredBackend::new(Arc::new(Scripted), Arc::clone(&metrics));
        let before = thread_store_time();
        store.read(&mut |_| Ok(())).ok();
        assert!(thread_store_time() - before >= Duration::from_millis(2));
        assert!(store.write(&mut |_| Ok(())).is_err());
        let out = metrics.render(0, 0);
        assert!(out.contains("tessera_store_call_duration_seconds_count{call=\"read\"} 1\n"));
        assert!(out.contains("tessera_store_call_errors_total{call=\"read\"} 0\n"));
        assert!(out.contains("tessera_store_call_errors_total{call=\"write\"} 1\n"));
        assert_eq!(store.kind(), "scripted");
    }
}
