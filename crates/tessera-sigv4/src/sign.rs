//! A SigV4 signer for Tessera's own tools (load generator, tests): the same
//! canonicalization as the verifier, run from the client's side.

use std::time::{Duration, SystemTime};

use crate::canonical::{
    canonical_headers, canonical_query, canonical_request, canonical_uri, parse_query, sha256_hex,
    string_to_sign, uri_encode, CanonicalInput, CanonicalUriRule,
};
use crate::error::SigV4Error;
use crate::parse::{ALGORITHM, MAX_PRESIGNED_EXPIRES_SECONDS, TERMINATOR};
use crate::timefmt::{format_amz_date, system_time_to_unix};
use crate::verify::{signature_hex, SecretKey};
use crate::RequestParts;

/// Who signs, for which scope, at what time.
#[derive(Debug, Clone, Copy)]
pub struct SigningParams<'a> {
    /// The access key id.
    pub access_key_id: &'a str,
    /// Its secret.
    pub secret: &'a SecretKey,
    /// The session token of a temporary credential.
    pub session_token: Option<&'a str>,
    /// The credential scope region, e.g. `us-east-1`.
    pub region: &'a str,
    /// The credential scope service, e.g. `sts`.
    pub service: &'a str,
    /// The signing time.
    pub time: SystemTime,
}

fn scope(params: &SigningParams<'_>, amz_date: &str) -> (String, String) {
    let date = amz_date.get(..8).unwrap_or(amz_date).to_owned();
    let scope = format!("{date}/{}/{}/{TERMINATOR}", params.region, params.service);
    (date, scope)
}

fn require_host_header(parts: &RequestParts<'_>) -> Result<(), SigV4Error> {
    if parts
        .headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("host"))
    {
        Ok(())
    } else {
        Err(SigV4Error::UnsignedRequiredHeader {
            message: String::from(
                "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
            ),
        })
    }
}

/// Signs `parts` in the header form. Every header of `parts` is signed (but
/// `authorization`); returns the headers to add to the request:
/// `X-Amz-Date`, `X-Amz-Security-Token` (with a session token) and
/// `Authorization`. `parts` must carry a `host` header.
///
/// # Errors
///
/// When `parts` has no `host` header.
pub fn sign_headers(
    parts: &RequestParts<'_>,
    params: &SigningParams<'_>,
) -> Result<Vec<(String, String)>, SigV4Error> {
    require_host_header(parts)?;
    let amz_date = format_amz_date(system_time_to_unix(params.time));
    let mut added: Vec<(String, String)> = vec![(String::from("X-Amz-Date"), amz_date.clone())];
    if let Some(token) = params.session_token {
        added.push((String::from("X-Amz-Security-Token"), token.to_owned()));
    }
    let replaced = |name: &str| {
        name.eq_ignore_ascii_case("authorization")
            || name.eq_ignore_ascii_case("x-amz-date")
            || (params.session_token.is_some() && name.eq_ignore_ascii_case("x-amz-security-token"))
    };
    let mut all_headers: Vec<(&str, &str)> = parts
        .headers
        .iter()
        .filter(|(name, _)| !replaced(name))
        .copied()
        .collect();
    all_headers.extend(
        added
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str())),
    );
    let mut signed: Vec<String> = all_headers
        .iter()
        .map(|(name, _)| name.to_ascii_lowercase())
        .collect();
    signed.sort();
    signed.dedup();
    let signed_line = signed.join(";");
    let payload_hash = all_headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("x-amz-content-sha256"))
        .map_or_else(
            || sha256_hex(parts.body),
            |(_, value)| value.trim().to_owned(),
        );
    let query = parse_query(parts.query);
    let uri = canonical_uri(parts.path, CanonicalUriRule::for_service(params.service));
    let canonical = canonical_request(&CanonicalInput {
        method: parts.method,
        canonical_uri: &uri,
        canonical_query: &canonical_query(&query, false),
        canonical_headers: &canonical_headers(&all_headers, signed.iter().map(String::as_str)),
        signed_headers: &signed_line,
        payload_hash: &payload_hash,
    });
    let (date, scope) = scope(params, &amz_date);
    let to_sign = string_to_sign(&amz_date, &scope, &canonical);
    let signature = signature_hex(
        params.secret,
        &date,
        params.region,
        params.service,
        &to_sign,
    );
    added.push((
        String::from("Authorization"),
        format!(
            "{ALGORITHM} Credential={}/{scope}, SignedHeaders={signed_line}, Signature={signature}",
            params.access_key_id
        ),
    ));
    Ok(added)
}

/// Presigns `parts` in the query form, signing only `host`; returns the
/// whole query string to send (the original parameters, then the `X-Amz-*`
/// ones, `X-Amz-Signature` last). The payload hash is the body's.
///
/// # Errors
///
/// When `parts` has no `host` header, or `expires_in` is over 7 days.
pub fn presign_query(
    parts: &RequestParts<'_>,
    params: &SigningParams<'_>,
    expires_in: Duration,
) -> Result<String, SigV4Error> {
    require_host_header(parts)?;
    if expires_in.as_secs() > MAX_PRESIGNED_EXPIRES_SECONDS {
        return Err(SigV4Error::incomplete(
            "X-Amz-Expires must be less than a week (in seconds) that is 604800",
        ));
    }
    let amz_date = format_amz_date(system_time_to_unix(params.time));
    let (date, scope) = scope(params, &amz_date);
    let mut added: Vec<(&str, String)> = vec![
        ("X-Amz-Algorithm", String::from(ALGORITHM)),
        (
            "X-Amz-Credential",
            format!("{}/{scope}", params.access_key_id),
        ),
        ("X-Amz-Date", amz_date.clone()),
        ("X-Amz-Expires", expires_in.as_secs().to_string()),
        ("X-Amz-SignedHeaders", String::from("host")),
    ];
    if let Some(token) = params.session_token {
        added.push(("X-Amz-Security-Token", token.to_owned()));
    }
    let mut query = parts.query.to_owned();
    for (name, value) in &added {
        if !query.is_empty() {
            query.push('&');
        }
        query.push_str(name);
        query.push('=');
        query.push_str(&uri_encode(value.as_bytes()));
    }
    let params_parsed = parse_query(&query);
    let uri = canonical_uri(parts.path, CanonicalUriRule::for_service(params.service));
    let canonical = canonical_request(&CanonicalInput {
        method: parts.method,
        canonical_uri: &uri,
        canonical_query: &canonical_query(&params_parsed, true),
        canonical_headers: &canonical_headers(parts.headers, ["host"]),
        signed_headers: "host",
        payload_hash: &sha256_hex(parts.body),
    });
    let to_sign = string_to_sign(&amz_date, &scope, &canonical);
    let signature = signature_hex(
        params.secret,
        &date,
        params.region,
        params.service,
        &to_sign,
    );
    query.push_str("&X-Amz-Signature=");
    query.push_str(&signature);
    Ok(query)
}
