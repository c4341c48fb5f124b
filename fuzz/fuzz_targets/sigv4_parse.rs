//! Fuzzes the SigV4 parser and verifier: arbitrary bytes are split into a
//! method, path, query, headers and body; parsing and verifying must never
//! panic.
#![no_main]

use std::time::{Duration, UNIX_EPOCH};

use libfuzzer_sys::fuzz_target;
use tessera_sigv4::{parse, RequestParts, SecretKey, Verifier};

fuzz_target!(|data: &[u8]| {
    // The first 8 bytes pick the verifier's clock; the rest is the request:
    // "method\npath\nquery\nname:value\n…\n\nbody".
    let (clock, rest) = data.split_at(data.len().min(8));
    let mut clock_bytes = [0u8; 8];
    clock_bytes[..clock.len()].copy_from_slice(clock);
    let now = UNIX_EPOCH + Duration::from_secs(u64::from_le_bytes(clock_bytes) % 8_000_000_000);

    let text = String::from_utf8_lossy(rest);
    let (head, body) = text.split_once("\n\n").unwrap_or((&text, ""));
    let mut lines = head.split('\n');
    let method = lines.next().unwrap_or("");
    let path = lines.next().unwrap_or("");
    let query = lines.next().unwrap_or("");
    let headers: Vec<(&str, &str)> = lines
        .map(|line| line.split_once(':').unwrap_or((line, "")))
        .collect();
    let parts = RequestParts {
        method,
        path,
        query,
        headers: &headers,
        body: body.as_bytes(),
    };
    match parse(&parts) {
        Ok(request) => {
            let _ = request.credential_scope();
            let verifier = Verifier::new();
            if let Err(error) =
                verifier.verify(request, &parts, &SecretKey::new(String::from("secret")), now)
            {
                let _ = (error.code(), error.message(), error.http_status());
            }
        }
        Err(error) => {
            let _ = (error.code(), error.message(), error.http_status());
        }
    }
});
