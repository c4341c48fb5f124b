//! The accept loop: connections up to a cap, each served over HTTP/1.1
//! and closed when it stalls.
//!
//! A connection is always in one of three phases, tracked by `Activity`:
//! *waiting* for the first byte of a request (a fresh connection, or one
//! kept alive between requests), *reading a head* once that byte arrived,
//! or *in a request* (the head was read; the handler bounds the body's read
//! itself and answers). A watchdog beside each connection closes it when
//! it has waited longer than the idle timeout or taken longer than the
//! header-read timeout over its head. Closing drops everything the
//! connection held: its buffers, its partial body, its descriptor.
//!
//! A phase change only stores two atomics: it does not wake the watchdog,
//! which would cost a task wake-up and a timer re-registration three times
//! per request. Instead the watchdog sleeps until the earliest moment at
//! which the connection could have stalled given what it last saw — the
//! current phase's deadline, or, while waiting or in a request, one
//! header-read timeout from now, as no later phase can close it sooner —
//! and looks again when it wakes. So a busy connection's watchdog wakes
//! once per header-read timeout at most, and a stalled one is closed on
//! time.
//!
//! When a connection arrives and every slot of the connection cap is
//! taken, the loop asks the waiting connections that have been idle for a
//! moment to close, and accepts nothing more until a slot is free, so that
//! sockets opened and left silent cannot keep a client with a request to
//! send out; connections in the middle of a request are never shed. Later
//! connections wait in the kernel's backlog, holding no descriptor of the
//! server's.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Semaphore};

use crate::http::DataPlane;
use crate::limits::ConnectionLimits;

/// How long a waiting connection must have been idle before the cap being
/// reached closes it: long enough that a client who just connected has
/// sent its request.
const SHED_GRACE: Duration = Duration::from_millis(500);

/// How long to pause accepting after an accept error (such as running out
/// of descriptors), instead of spinning on it.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(100);

/// Serves `plane` on `listener` until `shutdown` completes, then lets the
/// open requests finish. Every connection is counted open in `metrics`
/// while it lives.
pub async fn serve(
    listener: TcpListener,
    plane: DataPlane,
    limits: ConnectionLimits,
    cap: usize,
    metrics: Arc<crate::metrics::Metrics>,
    shutdown: impl Future<Output = ()>,
) {
    let slots = Arc::new(Semaphore::new(cap));
    let (asks, _) = watch::channel(Asks::default());
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    tracing::warn!(%error, "cannot accept a connection");
                    tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // A newcomer is waiting (this one, holding the one descriptor the
        // reserve allows beyond the cap): make room if every slot is taken.
        let slot = match Arc::clone(&slots).try_acquire_owned() {
            Ok(slot) => slot,
            Err(_) => {
                let freed = loop {
                    asks.send_modify(|asks| asks.shed += 1);
                    tokio::select! {
                        slot = Arc::clone(&slots).acquire_owned() => break slot.ok(),
                        () = tokio::time::sleep(SHED_GRACE) => {}
                        () = &mut shutdown => break None,
                    }
                };
                match freed {
                    Some(slot) => slot,
                    None => break,
                }
            }
        };
        let connection = Connection {
            plane: plane.clone(),
            limits,
            peer,
            asks: asks.subscribe(),
        };
        let open = metrics.connection_opened();
        tokio::spawn(async move {
            connection.run(stream).await;
            drop(open);
            drop(slot);
        });
    }
    drop(listener);
    asks.send_modify(|asks| asks.stop = true);
    // Every open connection holds a slot: once all are back, all are closed.
    let all = u32::try_from(cap).unwrap_or(u32::MAX);
    let _ = slots.acquire_many(all).await;
}

struct Connection {
    plane: DataPlane,
    limits: ConnectionLimits,
    peer: SocketAddr,
    asks: watch::Receiver<Asks>,
}

/// What the accept loop asks of every connection, in one channel so that
/// a connection's wake-ups poll one receiver.
#[derive(Debug, Clone, Copy, Default)]
struct Asks {
    /// Bumped each time waiting connections idle for a moment are asked to
    /// close, to make room.
    shed: u64,
    /// The server is stopping: finish the request in hand, then close.
    stop: bool,
}

/// Why a connection's watcher woke its connection.
enum Interruption {
    /// It stalled, or was shed: close it now.
    Stalled,
    /// The server is stopping: close it once its request is answered.
    Stopping,
}

impl Connection {
    async fn run(mut self, stream: TcpStream) {
        let activity = Arc::new(Activity::new());
        let io = TokioIo::new(WatchedStream {
            inner: stream,
            activity: Arc::clone(&activity),
        });
        let service = {
            let activity = Arc::clone(&activity);
            let plane = self.plane.clone();
            let peer = self.peer;
            hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
                activity.enter(Phase::InRequest);
                let plane = plane.clone();
                let activity = Arc::clone(&activity);
                async move {
                    let response = plane.serve(request, peer).await;
                    activity.enter(Phase::Waiting);
                    Ok::<_, std::convert::Infallible>(response)
                }
            })
        };
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder
            .max_header_size(self.limits.max_header_bytes)
            .max_buf_size(read_buffer_bytes(self.limits.max_header_bytes));
        let mut connection = std::pin::pin!(builder.serve_connection(io, service));
        let mut stopping = false;
        loop {
            // In this order, with no random start: the connection is the
            // branch almost every wake-up is for.
            tokio::select! {
                biased;
                result = connection.as_mut() => {
                    if let Err(error) = result {
                        tracing::debug!(%error, peer = %self.peer, "connection ended with an error");
                    }
                    return;
                }
                interruption = watch(&activity, &self.limits, &mut self.asks, stopping) => {
                    match interruption {
                        Interruption::Stalled => {
                            tracing::debug!(peer = %self.peer, "closing a stalled connection");
                            return;
                        }
                        Interruption::Stopping => {
                            stopping = true;
                            connection.as_mut().graceful_shutdown();
                        }
                    }
                }
            }
        }
    }
}

/// hyper's read buffer: room for the largest head, and for body reads in
/// reasonable chunks; never below hyper's minimum.
fn read_buffer_bytes(max_header_bytes: usize) -> usize {
    (max_header_bytes + 1024).max(64 * 1024)
}

/// Completes when the connection has stalled — waited longer than the
/// idle timeout, spent longer than the header-read timeout on a head, or
/// was asked to make room while waiting; never while a request is being
/// answered — or, unless `stopping` was already seen, when the server
/// stops.
async fn watch(
    activity: &Activity,
    limits: &ConnectionLimits,
    asks: &mut watch::Receiver<Asks>,
    stopping: bool,
) -> Interruption {
    if !stopping && asks.borrow_and_update().stop {
        return Interruption::Stopping;
    }
    // No phase entered from now on can end sooner than this after it began.
    let soonest = limits.header_read_timeout.min(limits.idle_timeout);
    let sleep = tokio::time::sleep(soonest);
    let mut sleep = std::pin::pin!(sleep);
    loop {
        let now = Instant::now();
        let (phase, since) = activity.current();
        let deadline = match phase {
            Phase::Waiting => Some(since + limits.idle_timeout),
            Phase::ReadingHead => Some(since + limits.header_read_timeout),
            // The handler bounds the body; answering takes what it takes.
            Phase::InRequest => None,
        };
        if deadline.is_some_and(|deadline| now >= deadline) {
            return Interruption::Stalled;
        }
        // A head's deadline is exact; while waiting or in a request, a head
        // may begin at any moment, so look again no later than `soonest`.
        let wake = match (phase, deadline) {
            (Phase::ReadingHead, Some(deadline)) => deadline,
            (_, Some(deadline)) => deadline.min(now + soonest),
            (_, None) => now + soonest,
        };
        sleep.as_mut().reset(wake.into());
        tokio::select! {
            biased;
            () = sleep.as_mut() => {}
            changed = asks.changed() => {
                if changed.is_err() {
                    // The listener is gone, and asked to stop before it
                    // went: nothing more will be asked.
                    std::future::pending::<()>().await;
                }
                if !stopping && asks.borrow_and_update().stop {
                    return Interruption::Stopping;
                }
                let (phase, since) = activity.current();
                if phase == Phase::Waiting && since.elapsed() >= SHED_GRACE {
                    return Interruption::Stalled;
                }
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Waiting,
    ReadingHead,
    InRequest,
}

/// A connection's phase and when it entered it, shared between the
/// connection's reads, its service and its watchdog.
struct Activity {
    origin: Instant,
    phase: AtomicU8,
    since_ms: AtomicU64,
}

impl Activity {
    fn new() -> Self {
        Activity {
            origin: Instant::now(),
            phase: AtomicU8::new(Phase::Waiting as u8),
            since_ms: AtomicU64::new(0),
        }
    }

    fn enter(&self, phase: Phase) {
        // No deadline runs from the start of a request, so its start is
        // not worth a read of the clock.
        if phase != Phase::InRequest {
            let elapsed = u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX);
            self.since_ms.store(elapsed, Ordering::Relaxed);
        }
        self.phase.store(phase as u8, Ordering::Release);
    }

    fn phase(&self) -> Phase {
        match self.phase.load(Ordering::Acquire) {
            0 => Phase::Waiting,
            1 => Phase::ReadingHead,
            _ => Phase::InRequest,
        }
    }

    fn current(&self) -> (Phase, Instant) {
        let phase = self.phase();
        let since = self.origin + Duration::from_millis(self.since_ms.load(Ordering::Relaxed));
        (phase, since)
    }
}

/// A client socket that notes when a waiting connection receives the first
/// byte of its next request.
struct WatchedStream {
    inner: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for WatchedStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.inner).poll_read(cx, buf);
        if buf.filled().len() > before && this.activity.phase() == Phase::Waiting {
            this.activity.enter(Phase::ReadingHead);
        }
        polled
    }
}

impl AsyncWrite for WatchedStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}
