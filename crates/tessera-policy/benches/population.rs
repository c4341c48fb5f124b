//! Decisions per second across a population of principals, each with its
//! own compiled policy set, with requests drawn at random over the
//! population — what a server sees, where successive requests rarely come
//! from the same principal and the policies are seldom in cache.
//!
//! Workload (see BENCHMARKS.md): the 5×5 generator of `benches/evaluate.rs`
//! (5 identity policies of 5 statements, wildcards in actions and
//! resources, two statements in five with 1–3 conditions), made distinct
//! per principal: principal `p` owns policies `5p … 5p+4`, so its buckets,
//! tables, queues and IAM paths are its own, and its team tag (the value
//! the `aws:PrincipalTag/team` condition wants) is `team-p`. Requests are
//! pre-generated with a fixed-seed PRNG: a random principal and one of ten
//! request shapes (S3 reads of its own and of another principal's bucket,
//! EC2 describe, DynamoDB get and list, SQS, IAM, an unmatched service), so
//! about 80% are allowed. Population sizes 1 (the same
//! random-request workload on one principal), 100, 1,000 and 10,000; the
//! fixed single-request 5×5 case of `evaluate.rs` is measured in the same
//! run as the baseline. One thread. Each request is cloned just before it
//! is decided, outside the timing, as a server builds its request just
//! before deciding it; the time is the thread's CPU time, so other
//! processes on a shared machine move the figures less.
//!
//! Resident size per principal: a counting global allocator would need
//! `unsafe impl GlobalAlloc`, which the workspace forbids, so the bench
//! reads the resident set (`/proc/self/statm`) before and after compiling
//! the 10,000-principal population and prints the difference per principal.

use criterion::measurement::{Measurement, ValueFormatter};
use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use std::sync::Arc;
use std::time::Duration;
use tessera_policy::{evaluate, CompiledPolicy, Decision, PolicyBundle, PolicySet};

#[path = "support/workload.rs"]
mod workload;

#[path = "support/population.rs"]
mod population_workload;

use population_workload::{
    principal_policies, random_requests, single_principal_policies, single_principal_request,
};

/// The CPU time of the bench thread (`CLOCK_THREAD_CPUTIME_ID`), in
/// nanoseconds. Unlike wall time it does not grow while other processes
/// hold the core, which on a shared machine is most of the noise; each
/// timed batch pays two clock reads (system calls), a few nanoseconds per
/// decision.
struct ThreadCpuTime;

fn thread_cpu_nanos() -> u64 {
    let now = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    let seconds = u64::try_from(now.tv_sec).unwrap_or(0);
    let nanos = u64::try_from(now.tv_nsec).unwrap_or(0);
    seconds * 1_000_000_000 + nanos
}

impl Measurement for ThreadCpuTime {
    type Intermediate = u64;
    type Value = u64;

    fn start(&self) -> u64 {
        thread_cpu_nanos()
    }

    fn end(&self, start: u64) -> u64 {
        thread_cpu_nanos().saturating_sub(start)
    }

    fn add(&self, a: &u64, b: &u64) -> u64 {
        a + b
    }

    fn zero(&self) -> u64 {
        0
    }

    fn to_f64(&self, value: &u64) -> f64 {
        *value as f64
    }

    fn formatter(&self) -> &dyn ValueFormatter {
        &CpuNanos
    }
}

/// Formats CPU nanoseconds as criterion formats wall time.
struct CpuNanos;

impl ValueFormatter for CpuNanos {
    fn scale_values(&self, typical: f64, values: &mut [f64]) -> &'static str {
        let (factor, unit) = if typical < 1e3 {
            (1.0, "ns (cpu)")
        } else if typical < 1e6 {
            (1e-3, "µs (cpu)")
        } else if typical < 1e9 {
            (1e-6, "ms (cpu)")
        } else {
            (1e-9, "s (cpu)")
        };
        for value in values {
            *value *= factor;
        }
        unit
    }

    fn scale_throughputs(
        &self,
        _typical: f64,
        throughput: &Throughput,
        values: &mut [f64],
    ) -> &'static str {
        let per = match throughput {
            Throughput::Bytes(n) | Throughput::BytesDecimal(n) | Throughput::Elements(n) => {
                *n as f64
            }
        };
        for value in values {
            *value = per * 1e9 / *value;
        }
        "per cpu second"
    }

    fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
        "ns"
    }
}

/// Resident set size in bytes, from `/proc/self/statm` (Linux); 0 elsewhere.
fn resident_bytes() -> u64 {
    let pages = std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .unwrap_or(0);
    pages * 4096
}

/// Requests in the pre-generated list (a power of two).
const REQUESTS: usize = 1 << 14;

/// Requests cloned ahead of each timed batch: few enough (≈ 100 KB) to stay
/// in cache, as a request a server has just built is.
const BATCH: u64 = 64;

fn population_benches(c: &mut Criterion<ThreadCpuTime>) {
    // Baseline: the fixed 5×5 request of evaluate.rs, in the same run.
    {
        let policies = single_principal_policies();
        let set = PolicySet {
            identity: &policies,
            ..PolicySet::default()
        };
        let req = single_principal_request();
        assert_eq!(evaluate(&set, &req).decision(), Decision::Allowed);
        c.bench_function("population/baseline_single_identity_5x5", |b| {
            b.iter(|| black_box(evaluate(black_box(&set), black_box(&req)).decision()))
        });
        let bundle = PolicyBundle::new(&policies);
        let set = PolicySet {
            identity: bundle.policies(),
            identity_bundle: Some(&bundle),
            ..PolicySet::default()
        };
        assert_eq!(evaluate(&set, &req).decision(), Decision::Allowed);
        c.bench_function("population/baseline_single_identity_5x5_bundle", |b| {
            b.iter(|| black_box(evaluate(black_box(&set), black_box(&req)).decision()))
        });
    }

    for n in [1usize, 100, 1_000, 10_000] {
        let before = resident_bytes();
        let population: Vec<Vec<Arc<CompiledPolicy>>> = (0..n).map(principal_policies).collect();
        let after = resident_bytes();
        // Each principal's policies compiled together, as the server keeps
        // them: what the `principals_N` cases decide with.
        let bundles: Vec<PolicyBundle> = population.iter().map(|p| PolicyBundle::new(p)).collect();
        let bundled = resident_bytes();
        // Smaller populations fit in memory the allocator already holds
        // from earlier cases, so only the largest one moves the RSS.
        if n == 10_000 {
            eprintln!(
                "population/{n}: resident set grew {} KiB compiling it, about {} bytes per principal, and {} KiB more for the bundles, about {} bytes per principal",
                after.saturating_sub(before) / 1024,
                after.saturating_sub(before) / n as u64,
                bundled.saturating_sub(after) / 1024,
                bundled.saturating_sub(after) / n as u64
            );
        }
        let requests = random_requests(n, REQUESTS);
        let allowed = requests
            .iter()
            .filter(|(p, r)| {
                let set = PolicySet {
                    identity: &population[*p],
                    ..PolicySet::default()
                };
                let decision = evaluate(&set, r).decision();
                let bundled = PolicySet {
                    identity: bundles[*p].policies(),
                    identity_bundle: Some(&bundles[*p]),
                    ..PolicySet::default()
                };
                assert_eq!(evaluate(&bundled, r).decision(), decision);
                decision == Decision::Allowed
            })
            .count();
        eprintln!("population/{n}: {allowed} of {REQUESTS} pre-generated requests allowed");
        // Two ways to hand the engine its request. `principals_N` clones
        // the next pre-generated request just before deciding it, outside
        // the timing, as a server builds its request just before deciding
        // it: the request is in cache and the policies are not. The
        // `request_list` case decides straight from the 16,384-request list
        // (≈ 25 MB, out of cache), the method of earlier runs, kept so
        // figures can be compared across them.
        let mut cursor = 0usize;
        c.bench_function(&format!("population/principals_{n}"), |b| {
            b.iter_batched_ref(
                || {
                    let (p, req) = &requests[cursor & (REQUESTS - 1)];
                    cursor = cursor.wrapping_add(1);
                    (*p, req.clone())
                },
                |(p, req)| {
                    let bundle = &bundles[*p];
                    let set = PolicySet {
                        identity: bundle.policies(),
                        identity_bundle: Some(bundle),
                        ..PolicySet::default()
                    };
                    black_box(evaluate(black_box(&set), black_box(req)).decision())
                },
                BatchSize::NumIterations(BATCH),
            )
        });
        // The same requests decided policy by policy, without the bundle.
        let mut cursor = 0usize;
        c.bench_function(&format!("population/per_policy_{n}"), |b| {
            b.iter_batched_ref(
                || {
                    let (p, req) = &requests[cursor & (REQUESTS - 1)];
                    cursor = cursor.wrapping_add(1);
                    (*p, req.clone())
                },
                |(p, req)| {
                    let set = PolicySet {
                        identity: &population[*p],
                        ..PolicySet::default()
                    };
                    black_box(evaluate(black_box(&set), black_box(req)).decision())
                },
                BatchSize::NumIterations(BATCH),
            )
        });
        let mut cursor = 0usize;
        c.bench_function(&format!("population/request_list_{n}"), |b| {
            b.iter(|| {
                let (p, req) = &requests[cursor & (REQUESTS - 1)];
                cursor = cursor.wrapping_add(1);
                let bundle = &bundles[*p];
                let set = PolicySet {
                    identity: bundle.policies(),
                    identity_bundle: Some(bundle),
                    ..PolicySet::default()
                };
                black_box(evaluate(black_box(&set), black_box(req)).decision())
            })
        });
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().with_measurement(ThreadCpuTime).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(4)).sample_size(30);
    targets = population_benches
}
criterion_main!(benches);
