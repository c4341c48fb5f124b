//! Refreshing the snapshot as soon as the store announces a commit.
//!
//! When the backend can announce commits (PostgreSQL `LISTEN/NOTIFY`), a
//! dedicated thread waits for the announcements and reads the new changes
//! at once, so another node's write reaches this node in about one round
//! trip instead of up to one poll interval. The periodic refresh keeps
//! running beside it: an announcement lost while the listening connection
//! was down is still caught at the next poll.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::state::AppState;

/// How long one wait lasts; bounds how late the thread sees a stop.
const WAIT: Duration = Duration::from_secs(1);

/// How long to wait before listening again after a failure, so that an
/// unreachable database is not hammered with connection attempts.
const RETRY_AFTER: Duration = Duration::from_secs(1);

/// Stops the listening thread when asked to or dropped.
pub struct NotifiedRefresh {
    stop: Arc<AtomicBool>,
}

impl NotifiedRefresh {
    /// Asks the thread to end; it does so within about a second.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

impl Drop for NotifiedRefresh {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Starts refreshing on announcements, when the store makes them; `None`
/// when it does not (then polling alone carries other nodes' changes).
pub fn spawn(state: Arc<AppState>) -> std::io::Result<Option<NotifiedRefresh>> {
    let Some(mut listener) = state.store.change_listener() else {
        return Ok(None);
    };
    let stop = Arc::new(AtomicBool::new(false));
    let stopped = Arc::clone(&stop);
    std::thread::Builder::new()
        .name("tessera-listen".to_owned())
        .spawn(move || {
            // Logged once per outage, not once per retry.
            let mut failing = false;
            state.metrics.change_listener(true);
            while !stopped.load(Ordering::Relaxed) {
                match listener.wait(WAIT) {
                    Ok(true) => {
                        if failing {
                            tracing::info!("listening for changes again");
                            state.metrics.change_listener(true);
                            failing = false;
                        }
                        state.metrics.change_notice();
                        if let Err(error) = crate::startup::refresh_snapshot(&state) {
                            tracing::warn!(%error, "snapshot refresh on a change notice failed");
                        }
                    }
                    Ok(false) => {
                        if failing {
                            tracing::info!("listening for changes again");
                            state.metrics.change_listener(true);
                            failing = false;
                        }
                    }
                    Err(error) => {
                        if !failing {
                            state.metrics.change_listener(false);
                            tracing::warn!(
                                %error,
                                "cannot listen for changes; polling continues meanwhile"
                            );
                            failing = true;
                        }
                        std::thread::sleep(RETRY_AFTER);
                    }
                }
            }
        })?;
    Ok(Some(NotifiedRefresh { stop }))
}
