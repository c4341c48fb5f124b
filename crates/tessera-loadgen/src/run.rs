//! Drives one measured run: N connections, each a task sending its next
//! request as soon as the previous answer is in (closed loop), until the
//! bound is reached. Every latency is kept; statuses are counted.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use tokio::sync::Barrier;

use crate::cli::{Bound, MAX_DURATION_SECONDS};
use crate::endpoint::Endpoint;
use crate::http1::Connection;
use crate::request::RequestSource;
use crate::stats::nanos;

/// What one run measured.
#[derive(Debug, Default)]
pub struct RunResult {
    /// Every latency, in nanoseconds, from writing the request to having
    /// read the whole response.
    pub latencies: Vec<u64>,
    /// From the moment all connections were open to the last answer.
    pub elapsed: Duration,
    /// Answers with a 2xx status.
    pub successes: u64,
    /// Answers with any other status.
    pub non_2xx: u64,
    /// Answers whose status was not the scenario's expected one.
    pub unexpected: u64,
    /// The first unexpected status seen, with the start of its body.
    pub first_unexpected: Option<(u16, String)>,
    /// Connections re-opened after the server announced a close.
    pub reconnects: u64,
}

impl RunResult {
    fn merge(&mut self, other: RunResult) {
        self.latencies.extend(other.latencies);
        self.successes += other.successes;
        self.non_2xx += other.non_2xx;
        self.unexpected += other.unexpected;
        self.reconnects += other.reconnects;
        if self.first_unexpected.is_none() {
            self.first_unexpected = other.first_unexpected;
        }
    }

    /// Answers received.
    pub fn requests(&self) -> u64 {
        self.successes + self.non_2xx
    }
}

/// How one run stops: a deadline, and optionally a shared request budget.
struct Limit {
    deadline: Instant,
    budget: Option<(Arc<AtomicU64>, u64)>,
}

impl Limit {
    fn new(bound: Bound, start: Instant) -> Limit {
        match bound {
            Bound::Duration(duration) => Limit {
                deadline: start + duration,
                budget: None,
            },
            Bound::Requests(count) => Limit {
                deadline: start + Duration::from_secs(MAX_DURATION_SECONDS),
                budget: Some((Arc::new(AtomicU64::new(0)), count)),
            },
        }
    }

    fn take_one(&self) -> bool {
        if Instant::now() >= self.deadline {
            return false;
        }
        match &self.budget {
            None => true,
            Some((taken, total)) => taken.fetch_add(1, Ordering::Relaxed) < *total,
        }
    }
}

/// Runs `source` against `endpoint` over `connections` connections until
/// `bound`, expecting every answer to have `expected_status`.
pub async fn run(
    endpoint: &Endpoint,
    source: &RequestSource,
    connections: usize,
    bound: Bound,
    expected_status: u16,
) -> anyhow::Result<RunResult> {
    let barrier = Arc::new(Barrier::new(connections + 1));
    let limit_slot = Arc::new(std::sync::OnceLock::<Limit>::new());
    let mut tasks = Vec::with_capacity(connections);
    for _ in 0..connections {
        let connection = Connection::connect(endpoint.address)
            .await
            .with_context(|| format!("connecting to {}", endpoint.address))?;
        let barrier = Arc::clone(&barrier);
        let limit_slot = Arc::clone(&limit_slot);
        let source = source.clone();
        let address = endpoint.address;
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            let Some(limit) = limit_slot.get() else {
                anyhow::bail!("run started without a limit");
            };
            drive_connection(connection, address, &source, limit, expected_status).await
        }));
    }
    let start = Instant::now();
    let _ = limit_slot.set(Limit::new(bound, start));
    barrier.wait().await;

    let mut result = RunResult::default();
    for task in tasks {
        let part = task.await.context("a connection task failed")??;
        result.merge(part);
    }
    result.elapsed = start.elapsed();
    Ok(result)
}

async fn drive_connection(
    mut connection: Connection,
    address: std::net::SocketAddr,
    source: &RequestSource,
    limit: &Limit,
    expected_status: u16,
) -> anyhow::Result<RunResult> {
    let mut result = RunResult {
        latencies: Vec::with_capacity(64 * 1024),
        ..RunResult::default()
    };
    let mut request = Vec::with_capacity(2048);
    while limit.take_one() {
        source
            .write_next(&mut request)
            .map_err(anyhow::Error::msg)?;
        let sent = Instant::now();
        let response = connection
            .round_trip(&request)
            .await
            .context("request failed")?;
        let latency = sent.elapsed();
        let status = response.status;
        result.latencies.push(nanos(latency));
        if (200..300).contains(&status) {
            result.successes += 1;
        } else {
            result.non_2xx += 1;
        }
        if status != expected_status {
            result.unexpected += 1;
            if result.first_unexpected.is_none() {
                let body = String::from_utf8_lossy(response.body);
                result.first_unexpected = Some((status, body.chars().take(400).collect()));
            }
        }
        if connection.is_closing() {
            connection = Connection::connect(address).await.context("reconnecting")?;
            result.reconnects += 1;
        }
    }
    Ok(result)
}
