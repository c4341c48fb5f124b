//! Parsing and verification are total: arbitrary input never panics, and
//! input built to look like a signature reaches deep into the parser.

use std::time::{Duration, UNIX_EPOCH};

use proptest::prelude::*;
use tessera_sigv4::{parse, RequestParts, SecretKey, Verifier};

fn check_total(
    method: &str,
    path: &str,
    query: &str,
    headers: &[(String, String)],
    body: &[u8],
    now: u64,
) {
    let headers: Vec<(&str, &str)> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let parts = RequestParts {
        method,
        path,
        query,
        headers: &headers,
        body,
    };
    if let Ok(request) = parse(&parts) {
        let _ = request.access_key_id();
        let _ = request.credential_scope();
        let result = Verifier::new().verify(
            request,
            &parts,
            &SecretKey::new(String::from("secret")),
            UNIX_EPOCH + Duration::from_secs(now),
        );
        if let Err(error) = result {
            let _ = (error.code(), error.message(), error.http_status());
        }
    } else if let Err(error) = parse(&parts) {
        assert!(!error.message().is_empty());
        assert!(error.http_status() == 400 || error.http_status() == 403);
    }
}

fn sigv4ish_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "(AWS4-HMAC-SHA256|AWS4-X|Basic) ?(Credential=[A-Z0-9/_a-z-]{0,40})?,? ?(SignedHeaders=[a-z;-]{0,20})?,? ?(Signature=[0-9a-f]{0,64})?",
        "[0-9]{8}T[0-9]{6}Z",
        "[%./a-zA-Z0-9]{0,20}",
    ]
}

fn query_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        prop::collection::vec(
            (
                prop_oneof![
                    Just(String::from("X-Amz-Algorithm")),
                    Just(String::from("X-Amz-Credential")),
                    Just(String::from("X-Amz-Date")),
                    Just(String::from("X-Amz-Expires")),
                    Just(String::from("X-Amz-SignedHeaders")),
                    Just(String::from("X-Amz-Signature")),
                    Just(String::from("X-Amz-Security-Token")),
                    "[a-zA-Z%+]{0,6}",
                ],
                sigv4ish_text(),
            ),
            0..8,
        )
        .prop_map(|pairs| pairs
            .into_iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&")),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

    #[test]
    fn parse_and_verify_never_panic(
        method in any::<String>(),
        path in any::<String>(),
        query in query_text(),
        headers in prop::collection::vec(
            (
                prop_oneof![
                    Just(String::from("Authorization")),
                    Just(String::from("X-Amz-Date")),
                    Just(String::from("Date")),
                    Just(String::from("host")),
                    Just(String::from("x-amz-content-sha256")),
                    Just(String::from("X-Amz-Security-Token")),
                    any::<String>(),
                ],
                sigv4ish_text(),
            ),
            0..6,
        ),
        body in prop::collection::vec(any::<u8>(), 0..32),
        now in any::<u64>(),
    ) {
        check_total(&method, &path, &query, &headers, &body, now);
    }
}
