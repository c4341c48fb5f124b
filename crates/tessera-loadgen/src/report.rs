//! The results table, printed as Markdown so it can go into documents as
//! is, and the loud warnings when a run saw answers it should not have.

use std::fmt::Write as _;
use std::time::Duration;

use crate::cli::Scenario;
use crate::stats::LatencySummary;

/// One line of the table: one scenario at one connection count.
#[derive(Debug)]
pub struct Row {
    /// The scenario.
    pub scenario: Scenario,
    /// Concurrent connections.
    pub connections: usize,
    /// Answers received.
    pub requests: u64,
    /// Measured wall-clock time.
    pub elapsed: Duration,
    /// Latencies.
    pub latency: Option<LatencySummary>,
    /// Answers that were not 2xx.
    pub non_2xx: u64,
    /// Answers whose status was not the scenario's expected one.
    pub unexpected: u64,
    /// The server's CPU time during the run, when its pid was given.
    pub server_cpu: Option<Duration>,
    /// The load generator's own CPU time during the run.
    pub loadgen_cpu: Option<Duration>,
    /// The share of the machine's CPUs busy during the run.
    pub machine_busy: Option<f64>,
}

impl Row {
    /// Answers per wall-clock second.
    pub fn requests_per_second(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64().max(f64::EPSILON)
    }

    /// Answers per second of server CPU.
    pub fn requests_per_server_cpu_second(&self) -> Option<f64> {
        let cpu = self.server_cpu?.as_secs_f64();
        (cpu > 0.0).then(|| self.requests as f64 / cpu)
    }
}

fn micros(nanos: u64) -> String {
    format!("{:.0}", nanos as f64 / 1000.0)
}

fn optional(value: Option<String>) -> String {
    value.unwrap_or_else(|| String::from("–"))
}

/// The Markdown table of `rows`.
pub fn table(rows: &[Row]) -> String {
    let mut out = String::new();
    out.push_str(
        "| scenario | conns | requests | req/s | p50 µs | p90 µs | p99 µs | max µs | non-2xx | unexpected | server CPU s | req per server-CPU-s | µs server CPU per req | loadgen CPU s | machine busy |\n",
    );
    out.push_str("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for row in rows {
        let (p50, p90, p99, max) = match row.latency {
            Some(l) => (micros(l.p50), micros(l.p90), micros(l.p99), micros(l.max)),
            None => Default::default(),
        };
        let per_cpu = row.requests_per_server_cpu_second();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {:.0} | {p50} | {p90} | {p99} | {max} | {} | {} | {} | {} | {} | {} | {} |",
            row.scenario.name(),
            row.connections,
            row.requests,
            row.requests_per_second(),
            row.non_2xx,
            if row.unexpected == 0 {
                String::from("0")
            } else {
                format!("**{}**", row.unexpected)
            },
            optional(row.server_cpu.map(|d| format!("{:.2}", d.as_secs_f64()))),
            optional(per_cpu.map(|r| format!("{r:.0}"))),
            optional(per_cpu.map(|r| format!("{:.1}", 1e6 / r))),
            optional(row.loadgen_cpu.map(|d| format!("{:.2}", d.as_secs_f64()))),
            optional(row.machine_busy.map(|s| format!("{:.0} %", s * 100.0))),
        );
    }
    out
}

/// A loud warning for every row that saw unexpected answers; empty if none.
pub fn warnings(rows: &[Row]) -> String {
    let mut out = String::new();
    for row in rows.iter().filter(|r| r.unexpected > 0) {
        let _ = writeln!(
            out,
            "!!! {} at {} connections: {} of {} answers did not have status {} !!!",
            row.scenario.name(),
            row.connections,
            row.unexpected,
            row.requests,
            row.scenario.expected_status(),
        );
    }
    out
}
