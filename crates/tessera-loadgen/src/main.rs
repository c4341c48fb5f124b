//! `tessera-loadgen`: a closed-loop HTTP/1.1 load generator for the Tessera
//! server. It opens N keep-alive connections to a loopback endpoint, sends
//! each scenario's requests for a bounded time or count, and prints one
//! Markdown table: requests per second, latency percentiles, answers that
//! were not 2xx (loudly, when a scenario expected success), and, given the
//! server's pid, requests per second of server CPU.
//!
//! Scenarios: `baseline-unsigned` (the request path without
//! authentication: 403 MissingAuthenticationToken), `presigned` (one
//! presigned GetCallerIdentity URL replayed), `signed` (GetCallerIdentity
//! header-signed afresh per request, signing cost on the client included in
//! the throughput but not in the latencies), `iam-get-user` (GetUser
//! signed by an IAM user whose inline policy allows it, so the policy is
//! evaluated).

mod cli;
mod cpu;
mod credentials;
mod endpoint;
mod http1;
mod report;
mod request;
mod run;
mod setup;
mod stats;

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;

use crate::cli::{Args, Bound};
use crate::report::Row;
use crate::request::Signer;
use crate::stats::LatencySummary;

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(usize::try_from(args.threads).unwrap_or(1))
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("tessera-loadgen: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run_all(&args)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(2),
        Err(error) => {
            eprintln!("tessera-loadgen: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_else(|_| String::from("unknown"))
}

/// Runs every selected scenario at every connection count; `Ok(false)` when
/// some answer had an unexpected status.
async fn run_all(args: &Args) -> anyhow::Result<bool> {
    let text = std::fs::read_to_string(&args.credentials)
        .with_context(|| format!("reading {}", args.credentials.display()))?;
    let credentials =
        credentials::parse_profile(&text, &args.profile).map_err(anyhow::Error::msg)?;
    let signer = Signer::new(credentials, &args.region);

    if let Some(seconds) = args.print_presigned_url {
        let url = setup::presigned_url(&args.endpoint, &signer, Duration::from_secs(seconds))?;
        println!("{url}");
        return Ok(true);
    }

    let ticks = cpu::clock_ticks_per_second();
    let server_pid = args.server_pid.map(|pid| pid.to_string());
    let bound_text = match args.bound() {
        Bound::Duration(d) => format!("{} s", d.as_secs()),
        Bound::Requests(n) => format!("{n} requests"),
    };
    eprintln!(
        "tessera-loadgen: {} at connections {:?}, {bound_text} each after {} s warm-up, {} client thread(s); load average before: {}",
        args.endpoint.url(""),
        args.connections,
        args.warmup_secs,
        args.threads,
        load_average()
    );

    let mut rows = Vec::new();
    for scenario in args.selected_scenarios() {
        let source = setup::prepare(scenario, &args.endpoint, &signer, &args.user_name)
            .await
            .with_context(|| format!("setting up {}", scenario.name()))?;
        for &connections in &args.connections {
            if args.warmup_secs > 0 {
                let warmup = Bound::Duration(Duration::from_secs(args.warmup_secs));
                run::run(
                    &args.endpoint,
                    &source,
                    connections,
                    warmup,
                    scenario.expected_status(),
                )
                .await
                .with_context(|| format!("warming up {}", scenario.name()))?;
            }
            let server_before = server_pid
                .as_deref()
                .and_then(|p| cpu::process_cpu(p, ticks));
            let self_before = cpu::process_cpu("self", ticks);
            let machine_before = cpu::machine_ticks();
            let mut result = run::run(
                &args.endpoint,
                &source,
                connections,
                args.bound(),
                scenario.expected_status(),
            )
            .await
            .with_context(|| format!("running {}", scenario.name()))?;
            let server_after = server_pid
                .as_deref()
                .and_then(|p| cpu::process_cpu(p, ticks));
            let self_after = cpu::process_cpu("self", ticks);
            let machine_after = cpu::machine_ticks();

            let row = Row {
                scenario,
                connections,
                requests: result.requests(),
                elapsed: result.elapsed,
                latency: LatencySummary::from_samples(&mut result.latencies),
                non_2xx: result.non_2xx,
                unexpected: result.unexpected,
                server_cpu: server_before
                    .zip(server_after)
                    .map(|(b, a)| a.saturating_sub(b)),
                loadgen_cpu: self_before
                    .zip(self_after)
                    .map(|(b, a)| a.saturating_sub(b)),
                machine_busy: machine_before
                    .zip(machine_after)
                    .and_then(|(b, a)| cpu::machine_busy_share(b, a)),
            };
            eprintln!(
                "  {} x{}: {:.0} req/s, {} answers, {} unexpected, {} reconnects",
                scenario.name(),
                connections,
                row.requests_per_second(),
                row.requests,
                row.unexpected,
                result.reconnects
            );
            if let Some((status, body)) = &result.first_unexpected {
                eprintln!("  !!! first unexpected answer: {status}: {body}");
            }
            rows.push(row);
        }
    }

    println!("{}", report::table(&rows));
    println!("load average after: {}", load_average());
    let warnings = report::warnings(&rows);
    if warnings.is_empty() {
        Ok(true)
    } else {
        eprint!("{warnings}");
        println!("{warnings}");
        Ok(false)
    }
}
