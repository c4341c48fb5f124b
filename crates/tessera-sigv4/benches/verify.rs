//! Benchmarks of SigV4 verification for a typical STS `GetCallerIdentity`
//! POST, as the AWS CLI sends it: parse alone, and parse plus verify with the
//! derived signing key cached (hit) and derived every time (miss).
//!
//! Measured on the project's 2-core development machine while other builds
//! ran (load about 7), `cargo bench -p tessera-sigv4 --bench verify`:
//! parse 2.3 µs; parse and verify 7.2 µs with a cache hit, 7.1 µs with a
//! miss. Deriving the key is four HMAC-SHA256 runs, about as cheap as the
//! cache lookup (fingerprint of the secret, key hashing, a mutex), so the
//! cache bounds work per key rather than saving time per request.

use std::hint::black_box;
use std::time::{Duration, UNIX_EPOCH};

use criterion::{criterion_group, criterion_main, Criterion};
use tessera_sigv4::{
    parse, sign_headers, RequestParts, SecretKey, SigningParams, Verifier, VerifierConfig,
};

fn bench_verify(c: &mut Criterion) {
    let secret = SecretKey::new(String::from("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"));
    let now = UNIX_EPOCH + Duration::from_secs(1_440_938_160);
    let body = b"Action=GetCallerIdentity&Version=2011-06-15";
    let base = [
        ("Host", "localhost:4566"),
        (
            "Content-Type",
            "application/x-www-form-urlencoded; charset=utf-8",
        ),
        ("Content-Length", "43"),
        ("Accept-Encoding", "identity"),
    ];
    let unsigned = RequestParts {
        method: "POST",
        path: "/",
        query: "",
        headers: &base,
        body,
    };
    let params = SigningParams {
        access_key_id: "AKIAIOSFODNN7EXAMPLE",
        secret: &secret,
        session_token: None,
        region: "us-east-1",
        service: "sts",
        time: now,
    };
    let added = match sign_headers(&unsigned, &params) {
        Ok(added) => added,
        Err(error) => panic!("signing failed: {error}"),
    };
    let mut headers: Vec<(&str, &str)> = base.to_vec();
    headers.push((
        "User-Agent",
        "aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64",
    ));
    headers.extend(added.iter().map(|(n, v)| (n.as_str(), v.as_str())));
    let parts = RequestParts {
        headers: &headers,
        ..unsigned
    };

    let hit = Verifier::new();
    let miss = Verifier::with_config(VerifierConfig {
        signing_key_cache_capacity: 0,
        ..VerifierConfig::default()
    });
    let mut group = c.benchmark_group("get_caller_identity");
    group.bench_function("parse", |b| b.iter(|| parse(black_box(&parts)).is_ok()));
    group.bench_function("parse_and_verify_cache_hit", |b| {
        b.iter(|| {
            let request = parse(black_box(&parts)).ok()?;
            hit.verify(request, &parts, &secret, now).ok()
        })
    });
    group.bench_function("parse_and_verify_cache_miss", |b| {
        b.iter(|| {
            let request = parse(black_box(&parts)).ok()?;
            miss.verify(request, &parts, &secret, now).ok()
        })
    });
    group.finish();
    assert!(parse(&parts)
        .ok()
        .and_then(|request| hit.verify(request, &parts, &secret, now).ok())
        .is_some());
}

criterion_group!(benches, bench_verify);
criterion_main!(benches);
