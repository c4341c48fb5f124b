//! The server's log output: text or JSON lines on stderr, handed to a
//! background thread and written in batches, so that a request never
//! waits for a write to the terminal or pipe (a write per request line
//! would cost a system call on the request path).

use std::io::{self, Write};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::EnvFilter;

use crate::log_format::LineFormat;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// One human-readable line per event.
    Text,
    /// One JSON object per line, the event's fields at the top level.
    Json,
}

/// How long a line may wait before it is written.
const FLUSH_EVERY: Duration = Duration::from_millis(50);
/// Pending bytes beyond which the writer wakes at once.
const WAKE_AT: usize = 64 * 1024;
/// Pending bytes beyond which the logging thread writes them itself, so
/// that memory stays bounded when stderr is slow.
const WRITE_THROUGH_AT: usize = 4 * 1024 * 1024;

struct Shared {
    pending: Mutex<Pending>,
    wake: Condvar,
    /// Held while writing, so batches reach stderr in the order taken.
    output: Mutex<()>,
}

#[derive(Default)]
struct Pending {
    bytes: Vec<u8>,
    stopping: bool,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

impl Shared {
    /// Writes what is pending to stderr.
    fn write_pending(&self) {
        let _order = lock(&self.output);
        let batch = std::mem::take(&mut lock(&self.pending).bytes);
        if !batch.is_empty() {
            let mut stderr = io::stderr().lock();
            // Nowhere to report a failure to write the log.
            let _ = stderr.write_all(&batch).and_then(|()| stderr.flush());
        }
    }
}

/// Where the subscriber writes: the pending buffer.
#[derive(Clone)]
pub struct BatchedStderr {
    shared: Arc<Shared>,
}

/// One event's output.
pub struct EventWriter<'a> {
    shared: &'a Shared,
}

impl Write for EventWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let size = {
            let mut pending = lock(&self.shared.pending);
            pending.bytes.extend_from_slice(buf);
            pending.bytes.len()
        };
        if size >= WRITE_THROUGH_AT {
            self.shared.write_pending();
        } else if size >= WAKE_AT && size - buf.len() < WAKE_AT {
            // Only the line that crosses the mark wakes the writer: a wake
            // is a system call.
            self.shared.wake.notify_one();
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for BatchedStderr {
    type Writer = EventWriter<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        EventWriter {
            shared: &self.shared,
        }
    }
}

/// Writes what is still pending when dropped; keep it until the process
/// ends.
pub struct LogGuard {
    shared: Arc<Shared>,
    writer: Option<JoinHandle<()>>,
}

impl Drop for LogGuard {
    fn drop(&mut self) {
        lock(&self.shared.pending).stopping = true;
        self.shared.wake.notify_one();
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
        self.shared.write_pending();
    }
}

/// Starts the writer thread and installs the global subscriber, filtered
/// by `TESSERA_LOG` (`info` by default).
pub fn init(format: LogFormat) -> LogGuard {
    let shared = Arc::new(Shared {
        pending: Mutex::new(Pending::default()),
        wake: Condvar::new(),
        output: Mutex::new(()),
    });
    let writer = {
        let shared = Arc::clone(&shared);
        std::thread::Builder::new()
            .name("log-writer".into())
            .spawn(move || loop {
                let stopping = {
                    let pending = lock(&shared.pending);
                    let (pending, _) = shared
                        .wake
                        .wait_timeout(pending, FLUSH_EVERY)
                        .unwrap_or_else(|p| p.into_inner());
                    pending.stopping
                };
                shared.write_pending();
                if stopping {
                    break;
                }
            })
            .ok()
    };
    let filter = EnvFilter::try_from_env("TESSERA_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let make_writer = BatchedStderr {
        shared: Arc::clone(&shared),
    };
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .event_format(LineFormat {
            json: format == LogFormat::Json,
        })
        .with_writer(make_writer)
        .init();
    LogGuard { shared, writer }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_written_are_pending_until_the_writer_takes_them() {
        let shared = Shared {
            pending: Mutex::new(Pending::default()),
            wake: Condvar::new(),
            output: Mutex::new(()),
        };
        let mut line = EventWriter { shared: &shared };
        line.write_all(b"first\n").ok();
        line.write_all(b"second\n").ok();
        assert_eq!(lock(&shared.pending).bytes, b"first\nsecond\n");
        shared.write_pending();
        assert!(lock(&shared.pending).bytes.is_empty());
    }
}
