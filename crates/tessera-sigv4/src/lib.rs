//! AWS Signature Version 4 verification for requests reaching Tessera.
//!
//! This crate knows neither HTTP frameworks, SQL nor async: the server hands
//! it the parts of a request as plain strings and bytes ([`RequestParts`]),
//! and the clock as a value.
//!
//! The request path is two steps:
//!
//! 1. [`parse`] reads the signature parameters (the `Authorization` header
//!    form or the presigned query form) into a [`SignedRequest`], which names
//!    the access key, region and service, so the server can find the secret.
//! 2. [`Verifier::verify`] checks the request time and the signature with
//!    that secret and returns a [`VerifiedRequest`], the only type that lets a
//!    request reach an operation.
//!
//! ```
//! use std::time::{Duration, UNIX_EPOCH};
//! use tessera_sigv4::{parse, sign_headers, RequestParts, SecretKey, SigningParams, Verifier};
//!
//! let secret = SecretKey::new("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".to_owned());
//! let now = UNIX_EPOCH + Duration::from_secs(1_440_938_160);
//! let body = b"Action=GetCallerIdentity&Version=2011-06-15";
//! let base = [("Host", "localhost:4566"), ("Content-Type", "application/x-www-form-urlencoded")];
//! let unsigned = RequestParts { method: "POST", path: "/", query: "", headers: &base, body };
//! let signing = SigningParams {
//!     access_key_id: "AKIDEXAMPLE", secret: &secret, session_token: None,
//!     region: "us-east-1", service: "sts", time: now,
//! };
//! let added = sign_headers(&unsigned, &signing).unwrap();
//! let mut headers: Vec<(&str, &str)> = base.to_vec();
//! headers.extend(added.iter().map(|(n, v)| (n.as_str(), v.as_str())));
//! let parts = RequestParts { headers: &headers, ..unsigned };
//!
//! let request = parse(&parts).unwrap();
//! assert_eq!(request.service(), "sts");
//! let verified = Verifier::new().verify(request, &parts, &secret, now).unwrap();
//! assert_eq!(verified.access_key_id(), "AKIDEXAMPLE");
//! ```
//!
//! **Architecture invariants**
//! - A [`VerifiedRequest`] is built only by [`Verifier::verify`] or, in
//!   emulator mode and visibly so, by [`accept_unverified_in_emulator_mode`].
//! - Secrets, derived keys and the signature Tessera computes never appear in
//!   `Debug` output or error messages; signatures are compared in constant
//!   time.
//! - The derived-key cache is keyed by the credential's access key id, date,
//!   region and service, and each entry keeps the secret it was derived
//!   from (zeroed when dropped), compared in constant time on every hit: a
//!   changed secret never reuses a stale key.
//! - No panics on any input: parsing and verification are total.
//!
//! The canonical URI follows the rule AWS applies to every service but S3
//! (normalized, double-encoded); S3's rule is available for services that
//! need it ([`CanonicalUriRule`]).
#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

mod canonical;
mod error;
mod parse;
mod sign;
mod timefmt;
mod verify;

pub use canonical::{canonical_uri, CanonicalUriRule};
pub use error::SigV4Error;
pub use parse::{
    parse, SignedRequest, DEFAULT_PRESIGNED_EXPIRES_SECONDS, MAX_PRESIGNED_EXPIRES_SECONDS,
};
pub use sign::{presign_query, sign_headers, SigningParams};
pub use verify::{
    accept_unverified_in_emulator_mode, SecretKey, UriRules, VerifiedRequest, Verifier,
    VerifierConfig,
};

/// The parts of an HTTP request that SigV4 covers, as received.
#[derive(Debug, Clone, Copy)]
pub struct RequestParts<'a> {
    /// The method, e.g. `POST`.
    pub method: &'a str,
    /// The raw path as received (percent-encoded as sent), without the query.
    pub path: &'a str,
    /// The raw query string without `?`; may be empty.
    pub query: &'a str,
    /// The headers; names in any case, a repeated header appears repeatedly.
    /// Must include `host` (for HTTP/2, the `:authority` as `host`).
    pub headers: &'a [(&'a str, &'a str)],
    /// The body.
    pub body: &'a [u8],
}
