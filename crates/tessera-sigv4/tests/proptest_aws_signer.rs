//! Property tests against the AWS SDK's own signer: random requests signed by
//! the `aws-sigv4` crate (header and presigned forms, with and without a
//! session token, with and without `x-amz-content-sha256`) verify with
//! Tessera, and changing any signed part makes verification fail.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    sign, PayloadChecksumKind, SignableBody, SignableRequest, SignatureLocation, SigningSettings,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use proptest::prelude::*;
use tessera_sigv4::{parse, RequestParts, SecretKey, SigV4Error, Verifier};

const HOST: &str = "localhost:4566";

/// How a client percent-encodes a path segment or query component.
fn client_encode(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[derive(Debug, Clone)]
struct Case {
    method: &'static str,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    region: &'static str,
    service: &'static str,
    token: Option<String>,
    presigned: bool,
    sign_payload_header: bool,
    expires_seconds: u64,
    signed_at_seconds: u64,
    /// Where "now" falls, as a fraction of the allowed window.
    now_fraction: f64,
    secret: String,
}

fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-zA-Z0-9._~ :@=+%é-]{1,8}".prop_map(|s| client_encode(&s)),
        1 => Just(String::from(".")),
        1 => Just(String::from("..")),
        1 => Just(String::new()),
    ]
}

fn case_strategy() -> impl Strategy<Value = Case> {
    (
        (
            prop_oneof![Just("GET"), Just("POST")],
            prop::collection::vec(segment(), 0..5),
            any::<bool>(),
            prop::collection::vec(
                ("[a-zA-Z0-9 ._~=&+/é-]{1,6}", "[a-zA-Z0-9 ._~=&+/é-]{0,6}"),
                0..4,
            ),
            prop::collection::vec(
                (
                    prop_oneof![
                        Just("content-type"),
                        Just("x-amz-target"),
                        Just("x-custom"),
                        Just("user-agent"),
                        Just("X-Mixed-Case")
                    ],
                    "[ a-zA-Z0-9;=/,.-]{0,16}",
                ),
                0..4,
            ),
            prop::collection::vec(any::<u8>(), 0..64),
        ),
        (
            prop_oneof![Just("us-east-1"), Just("eu-west-3"), Just("local")],
            prop_oneof![Just("iam"), Just("sts")],
            prop::option::of("[A-Za-z0-9/+=]{8,40}"),
            any::<bool>(),
            any::<bool>(),
            1u64..=604_800,
            946_684_800u64..4_102_444_800,
            0.0f64..1.0,
            "[A-Za-z0-9/+]{40}",
        ),
    )
        .prop_map(
            |(
                (method, segments, trailing_slash, query, headers, body),
                (
                    region,
                    service,
                    token,
                    presigned,
                    sign_payload_header,
                    expires,
                    signed_at,
                    now_fraction,
                    secret,
                ),
            )| {
                let mut path = String::from("/");
                path.push_str(&segments.join("/"));
                if trailing_slash && !path.ends_with('/') {
                    path.push('/');
                }
                let query = query
                    .iter()
                    .map(|(k, v)| format!("{}={}", client_encode(k), client_encode(v)))
                    .collect::<Vec<_>>()
                    .join("&");
                // Header values as a server hands them over: no surrounding spaces.
                let headers = headers
                    .into_iter()
                    .map(|(name, value)| (name.to_owned(), value.trim().to_owned()))
                    .collect();
                Case {
                    method,
                    path,
                    query,
                    headers,
                    body,
                    region,
                    service,
                    token,
                    presigned,
                    sign_payload_header: sign_payload_header && !presigned,
                    expires_seconds: expires,
                    signed_at_seconds: signed_at,
                    now_fraction,
                    secret,
                }
            },
        )
}

/// A request after the AWS signer has been applied.
#[derive(Debug, Clone)]
struct Signed {
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Signed {
    fn with<R>(&self, use_parts: impl FnOnce(&RequestParts) -> R) -> R {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect();
        use_parts(&RequestParts {
            method: &self.method,
            path: &self.path,
            query: &self.query,
            headers: &headers,
            body: &self.body,
        })
    }

    fn verify(
        &self,
        verifier: &Verifier,
        secret: &str,
        now: SystemTime,
    ) -> Result<tessera_sigv4::VerifiedRequest, SigV4Error> {
        self.with(|parts| {
            let request = parse(parts)?;
            verifier.verify(request, parts, &SecretKey::new(secret.to_owned()), now)
        })
    }
}

fn sign_with_aws(case: &Case) -> Signed {
    let credentials = Credentials::new(
        "AKIAEXAMPLE123",
        &case.secret,
        case.token.clone(),
        None,
        "proptest",
    );
    let identity: Identity = credentials.into();
    let mut settings = SigningSettings::default();
    if case.presigned {
        settings.signature_location = SignatureLocation::QueryParams;
        settings.expires_in = Some(Duration::from_secs(case.expires_seconds));
    }
    if case.sign_payload_header {
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    }
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(case.region)
        .name(case.service)
        .time(UNIX_EPOCH + Duration::from_secs(case.signed_at_seconds))
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let mut headers: Vec<(String, String)> = vec![(String::from("host"), String::from(HOST))];
    headers.extend(case.headers.iter().cloned());
    let uri = if case.query.is_empty() {
        format!("http://{HOST}{}", case.path)
    } else {
        format!("http://{HOST}{}?{}", case.path, case.query)
    };
    let signable = SignableRequest::new(
        case.method,
        uri,
        headers.iter().map(|(n, v)| (n.as_str(), v.as_str())),
        SignableBody::Bytes(&case.body),
    )
    .unwrap();
    let (instructions, _signature) = sign(signable, &params).unwrap().into_parts();
    let (new_headers, new_params) = instructions.into_parts();
    for header in new_headers {
        headers.retain(|(name, _)| !name.eq_ignore_ascii_case(header.name()));
        headers.push((header.name().to_owned(), header.value().to_owned()));
    }
    let mut query = case.query.clone();
    for (name, value) in new_params {
        if !query.is_empty() {
            query.push('&');
        }
        query.push_str(&format!(
            "{}={}",
            client_encode(name),
            client_encode(&value)
        ));
    }
    Signed {
        method: case.method.to_owned(),
        path: case.path.clone(),
        query,
        headers,
        body: case.body.clone(),
    }
}

/// A moment inside the window in which `case` must verify.
fn now_inside(case: &Case) -> SystemTime {
    let skew = 15 * 60 - 1;
    let (earliest, latest) = if case.presigned {
        (
            case.signed_at_seconds - skew,
            case.signed_at_seconds + case.expires_seconds,
        )
    } else {
        (case.signed_at_seconds - skew, case.signed_at_seconds + skew)
    };
    let span = (latest - earliest) as f64;
    UNIX_EPOCH + Duration::from_secs(earliest + (span * case.now_fraction) as u64)
}

fn signed_header_names(signed: &Signed) -> Vec<String> {
    signed.with(|parts| {
        let line = match parts
            .headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case("authorization"))
        {
            Some((_, value)) => value
                .split("SignedHeaders=")
                .nth(1)
                .unwrap()
                .split(',')
                .next()
                .unwrap()
                .to_owned(),
            None => parts
                .query
                .split('&')
                .find_map(|pair| pair.strip_prefix("X-Amz-SignedHeaders="))
                .unwrap()
                .replace("%3B", ";"),
        };
        line.split(';').map(str::to_owned).collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn aws_signed_requests_verify(case in case_strategy()) {
        let signed = sign_with_aws(&case);
        let verified = signed.verify(&Verifier::new(), &case.secret, now_inside(&case));
        let verified = match verified {
            Ok(verified) => verified,
            Err(error) => return Err(TestCaseError::fail(format!("{error:?} for {signed:?}"))),
        };
        prop_assert_eq!(verified.access_key_id(), "AKIAEXAMPLE123");
        prop_assert_eq!(verified.region(), case.region);
        prop_assert_eq!(verified.service(), case.service);
        prop_assert_eq!(verified.security_token(), case.token.as_deref());
        prop_assert_eq!(verified.is_presigned(), case.presigned);
        prop_assert!(verified.signature_checked());
        prop_assert_eq!(verified.signed_at(), UNIX_EPOCH + Duration::from_secs(case.signed_at_seconds));
    }

    #[test]
    fn changing_any_signed_part_fails(case in case_strategy(), choice in 0usize..9, header_pick in any::<prop::sample::Index>()) {
        let signed = sign_with_aws(&case);
        let now = now_inside(&case);
        let verifier = Verifier::new();
        prop_assert!(signed.verify(&verifier, &case.secret, now).is_ok());
        let mut changed = signed.clone();
        let mut secret = case.secret.clone();
        let mut now_changed = now;
        match choice {
            0 => changed.method = if case.method == "GET" { "POST" } else { "GET" }.to_owned(),
            1 => changed.path = format!("{}x", changed.path.trim_end_matches('/')),
            2 => {
                changed.query = if changed.query.is_empty() { String::from("Extra=1") } else { format!("{}&Extra=1", changed.query) };
            }
            3 => changed.body.push(b'!'),
            4 => secret.push('x'),
            5 => {
                let names = signed_header_names(&signed);
                let name = header_pick.get(&names).clone();
                let header = changed.headers.iter_mut().find(|(n, _)| n.eq_ignore_ascii_case(&name)).unwrap();
                header.1.push('x');
            }
            6 => {
                // Another region in the credential scope.
                let replace = |text: &str| text.replacen(&format!("/{}/", case.region), "/ap-south-2/", 1)
                    .replacen(&format!("%2F{}%2F", case.region), "%2Fap-south-2%2F", 1);
                changed.query = replace(&changed.query);
                for header in &mut changed.headers {
                    if header.0.eq_ignore_ascii_case("authorization") {
                        header.1 = replace(&header.1);
                    }
                }
            }
            7 => {
                // Another request time, still inside the clock window.
                let shift = |text: &str| {
                    let date = tessera_date(case.signed_at_seconds);
                    let later = tessera_date(case.signed_at_seconds + 1);
                    text.replace(&date, &later)
                };
                changed.query = shift(&changed.query);
                for header in &mut changed.headers {
                    header.1 = shift(&header.1);
                }
                now_changed = now + Duration::from_secs(1);
            }
            _ => {
                // A different session token, or one added.
                let token_value = format!("{}Z", case.token.clone().unwrap_or_default());
                if case.presigned {
                    changed.query = match &case.token {
                        Some(token) => changed.query.replace(&client_encode(token), &client_encode(&token_value)),
                        None => format!("{}&X-Amz-Security-Token={token_value}", changed.query),
                    };
                } else {
                    changed.headers.retain(|(n, _)| !n.eq_ignore_ascii_case("x-amz-security-token"));
                    changed.headers.push((String::from("X-Amz-Security-Token"), token_value));
                }
                if case.token.is_none() && !case.presigned {
                    // An unsigned token header added to a request signed
                    // without one is not covered by the signature; the server
                    // refuses it when it resolves the key. Nothing to check.
                    return Ok(());
                }
            }
        }
        let outcome = changed.verify(&verifier, &secret, now_changed);
        prop_assert!(outcome.is_err(), "mutation {} verified: {:?}", choice, changed);
    }
}

fn tessera_date(seconds: u64) -> String {
    let moment = time::OffsetDateTime::from_unix_timestamp(seconds as i64).unwrap();
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        moment.year(),
        u8::from(moment.month()),
        moment.day(),
        moment.hour(),
        moment.minute(),
        moment.second()
    )
}
