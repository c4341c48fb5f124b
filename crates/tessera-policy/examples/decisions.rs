//! Decides the population benchmark's requests in a plain loop, for
//! counting what a decision costs with tools that slow a program down too
//! much for criterion (callgrind's instruction and cache-miss counts do not
//! move with the machine's load, unlike times):
//!
//!     cargo build --release -p tessera-policy --example decisions
//!     valgrind --tool=callgrind --toggle-collect='decisions::decide' \
//!         target/release/examples/decisions 10000 100000
//!
//! Arguments: the number of principals N (0 for the fixed single-principal
//! 5×5 request) and the number of decisions. Requests are drawn as in
//! `benches/population.rs` and cloned 64 at a time just before they are
//! decided; only `decide` is the decision. Prints the wall time per
//! decision, which is only a rough figure: the benchmark is the measure.

use std::time::{Duration, Instant};
use tessera_policy::{evaluate, CompiledPolicy, Decision, PolicyBundle, PolicySet, Request};

#[path = "../benches/support/workload.rs"]
mod workload;

#[path = "../benches/support/population.rs"]
mod population_workload;

use population_workload::{
    principal_policies, random_requests, single_principal_policies, single_principal_request,
};

/// Requests drawn ahead (a power of two), as in the benchmark.
const REQUESTS: usize = 1 << 14;

/// Requests cloned ahead of each timed run of decisions.
const BATCH: usize = 64;

#[inline(never)]
fn decide(set: &PolicySet<'_>, request: &Request) -> Decision {
    std::hint::black_box(
        evaluate(std::hint::black_box(set), std::hint::black_box(request)).decision(),
    )
}

fn bundled(bundle: &PolicyBundle) -> PolicySet<'_> {
    PolicySet {
        identity: bundle.policies(),
        identity_bundle: Some(bundle),
        ..PolicySet::default()
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let decisions: usize = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let mut allowed = 0usize;
    let mut made = 0usize;
    let mut spent = Duration::ZERO;
    if n == 0 {
        let bundle = PolicyBundle::new(&single_principal_policies());
        let set = bundled(&bundle);
        let request = single_principal_request();
        let start = Instant::now();
        for _ in 0..decisions {
            allowed += usize::from(decide(&set, &request) == Decision::Allowed);
        }
        spent = start.elapsed();
        made = decisions;
    } else {
        let population: Vec<Vec<std::sync::Arc<CompiledPolicy>>> =
            (0..n).map(principal_policies).collect();
        let bundles: Vec<PolicyBundle> = population.iter().map(|p| PolicyBundle::new(p)).collect();
        let requests = random_requests(n, REQUESTS);
        let mut batch: Vec<(usize, Request)> = Vec::with_capacity(BATCH);
        while made < decisions {
            batch.clear();
            batch.extend((made..made + BATCH).map(|i| requests[i & (REQUESTS - 1)].clone()));
            let start = Instant::now();
            for (p, request) in &batch {
                allowed +=
                    usize::from(decide(&bundled(&bundles[*p]), request) == Decision::Allowed);
            }
            spent += start.elapsed();
            made += BATCH;
        }
    }
    println!(
        "principals {n}: {made} decisions, {allowed} allowed, {:.1} ns each (wall time)",
        spent.as_nanos() as f64 / made.max(1) as f64
    );
}
