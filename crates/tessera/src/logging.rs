//! The server's log output: text or JSON lines on stderr, handed to a
//! background thread and written in batches, so that a request never
//! waits for a write to the terminal or pipe (a write per request line
//! would cost a system call on the request path).
//!
//! Lines travel through a bounded channel, which request threads send to
//! without taking a lock; the writer sleeps between batches rather than
//! waiting on the channel, so that no send has to wake it (a wake is a
//! system call, and a lock two request threads contend for is a sleep).

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::Arc;
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
/// Lines that may wait at most; beyond them a request thread waits for the
/// writer, so that memory stays bounded when stderr is slow.
const MAX_PENDING_LINES: usize = 64 * 1024;

/// Where the subscriber writes: the channel to the writer thread.
pub struct ChannelWriter {
    lines: SyncSender<Vec<u8>>,
}

/// One event's output, sent as one line.
pub struct LineSender<'a> {
    lines: &'a SyncSender<Vec<u8>>,
}

impl Write for LineSender<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self.lines.try_send(buf.to_vec()) {
            Ok(()) => {}
            Err(TrySendError::Full(line)) => {
                // The writer is behind: wait for room rather than drop.
                let _ = self.lines.send(line);
            }
            // The writer is gone (the process is ending): nowhere to write.
            Err(TrySendError::Disconnected(_)) => {}
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for ChannelWriter {
    type Writer = LineSender<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        // Borrowed, not cloned: a clone would count senders up and down in
        // an atomic every request thread shares.
        LineSender { lines: &self.lines }
    }
}

/// Writes every line received so far to `out`, in one write.
fn write_received(lines: &Receiver<Vec<u8>>, batch: &mut Vec<u8>, out: &mut impl Write) {
    batch.clear();
    while let Ok(line) = lines.try_recv() {
        batch.extend_from_slice(&line);
    }
    if !batch.is_empty() {
        // Nowhere to report a failure to write the log.
        let _ = out.write_all(batch).and_then(|()| out.flush());
    }
}

/// Writes what is still pending when dropped; keep it until the process
/// ends.
pub struct LogGuard {
    stopping: Arc<AtomicBool>,
    writer: Option<JoinHandle<()>>,
}

impl Drop for LogGuard {
    fn drop(&mut self) {
        self.stopping.store(true, Ordering::Release);
        if let Some(writer) = self.writer.take() {
            writer.thread().unpark();
            let _ = writer.join();
        }
    }
}

/// Starts the writer thread and installs the global subscriber, filtered
/// by `TESSERA_LOG` (`info` by default).
pub fn init(format: LogFormat) -> LogGuard {
    let (sender, lines) = mpsc::sync_channel::<Vec<u8>>(MAX_PENDING_LINES);
    let stopping = Arc::new(AtomicBool::new(false));
    let writer = {
        let stopping = Arc::clone(&stopping);
        std::thread::Builder::new()
            .name("log-writer".into())
            .spawn(move || {
                let mut batch = Vec::with_capacity(64 * 1024);
                loop {
                    std::thread::park_timeout(FLUSH_EVERY);
                    let last = stopping.load(Ordering::Acquire);
                    write_received(&lines, &mut batch, &mut io::stderr().lock());
                    if last {
                        break;
                    }
                }
            })
            .ok()
    };
    let filter = EnvFilter::try_from_env("TESSERA_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .event_format(LineFormat {
            json: format == LogFormat::Json,
        })
        .with_writer(ChannelWriter { lines: sender })
        .init();
    LogGuard { stopping, writer }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_sent_are_written_in_order_in_one_batch() {
        let (sender, lines) = mpsc::sync_channel(8);
        let mut writer = LineSender { lines: &sender };
        writer.write_all(b"first\n").ok();
        writer.write_all(b"second\n").ok();
        let mut out = Vec::new();
        let mut batch = Vec::new();
        write_received(&lines, &mut batch, &mut out);
        assert_eq!(out, b"first\nsecond\n");
        write_received(&lines, &mut batch, &mut out);
        assert_eq!(out, b"first\nsecond\n", "nothing new, nothing written");
    }
}
