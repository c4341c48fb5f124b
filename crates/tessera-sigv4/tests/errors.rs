//! Each error the verifier answers, with its exact AWS code, message and
//! HTTP status; plus the secrecy, cache and clock properties around them.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tessera_sigv4::{
    accept_unverified_in_emulator_mode, parse, presign_query, sign_headers, RequestParts,
    SecretKey, SigV4Error, SigningParams, Verifier, VerifierConfig,
};

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const BODY: &[u8] = b"Action=GetCallerIdentity&Version=2011-06-15";

/// Unix seconds of an `YYYYMMDDTHHMMSSZ` date.
fn at(text: &str) -> SystemTime {
    let format = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    let moment = time::PrimitiveDateTime::parse(text, &format)
        .unwrap()
        .assume_utc();
    UNIX_EPOCH + Duration::from_secs(u64::try_from(moment.unix_timestamp()).unwrap())
}

/// An owned request, so tests can edit it freely.
#[derive(Clone, Debug)]
struct Request {
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Request {
    fn base() -> Request {
        Request {
            method: String::from("POST"),
            path: String::from("/"),
            query: String::new(),
            headers: vec![
                (String::from("Host"), String::from("localhost:4566")),
                (
                    String::from("Content-Type"),
                    String::from("application/x-www-form-urlencoded; charset=utf-8"),
                ),
            ],
            body: BODY.to_vec(),
        }
    }

    fn with<R>(&self, use_parts: impl FnOnce(&RequestParts) -> R) -> R {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        use_parts(&RequestParts {
            method: &self.method,
            path: &self.path,
            query: &self.query,
            headers: &headers,
            body: &self.body,
        })
    }

    fn header(mut self, name: &str, value: &str) -> Request {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    fn signed(self, secret: &str, time: SystemTime, token: Option<&str>) -> Request {
        let key = SecretKey::new(secret.to_owned());
        let params = SigningParams {
            access_key_id: "AKIDEXAMPLE",
            secret: &key,
            session_token: token,
            region: "us-east-1",
            service: "sts",
            time,
        };
        let added = self.with(|parts| sign_headers(parts, &params)).unwrap();
        let mut signed = self;
        for (name, value) in added {
            signed = signed.header(&name, &value);
        }
        signed
    }

    fn presigned(self, secret: &str, time: SystemTime, expires: u64) -> Request {
        let key = SecretKey::new(secret.to_owned());
        let params = SigningParams {
            access_key_id: "AKIDEXAMPLE",
            secret: &key,
            session_token: None,
            region: "us-east-1",
            service: "sts",
            time,
        };
        let query = self
            .with(|parts| presign_query(parts, &params, Duration::from_secs(expires)))
            .unwrap();
        Request { query, ..self }
    }

    fn parse(&self) -> Result<tessera_sigv4::SignedRequest, SigV4Error> {
        self.with(parse)
    }

    fn verify(
        &self,
        secret: &str,
        now: SystemTime,
    ) -> Result<tessera_sigv4::VerifiedRequest, SigV4Error> {
        self.verify_with(&Verifier::new(), secret, now)
    }

    fn verify_with(
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

fn check(result: Result<impl std::fmt::Debug, SigV4Error>, code: &str, message: &str, status: u16) {
    let error = result.unwrap_err();
    assert_eq!(error.code(), code, "{error:?}");
    assert_eq!(error.message(), message, "{error:?}");
    assert_eq!(error.http_status(), status, "{error:?}");
}

#[test]
fn no_authentication_at_all() {
    check(
        Request::base().parse(),
        "MissingAuthenticationToken",
        "Request is missing Authentication Token",
        403,
    );
}

#[test]
fn authorization_that_is_not_sigv4_counts_as_missing() {
    check(
        Request::base()
            .header("Authorization", "Basic dXNlcjpwYXNz")
            .parse(),
        "MissingAuthenticationToken",
        "Request is missing Authentication Token",
        403,
    );
}

#[test]
fn authorization_missing_every_part() {
    check(
        Request::base().header("Authorization", "AWS4-HMAC-SHA256").parse(),
        "IncompleteSignature",
        "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=AWS4-HMAC-SHA256",
        400,
    );
}

#[test]
fn authorization_missing_signature_and_signed_headers() {
    let value = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/sts/aws4_request";
    check(
        Request::base()
            .header("Authorization", value)
            .header("X-Amz-Date", "20150830T123600Z")
            .parse(),
        "IncompleteSignature",
        &format!("Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization={value}"),
        400,
    );
}

#[test]
fn authorization_pair_without_equal_sign() {
    let value = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/sts/aws4_request, SignedHeaders, Signature=00";
    check(
        Request::base().header("Authorization", value).parse(),
        "IncompleteSignature",
        &format!("'SignedHeaders' not a valid key=value pair (missing equal-sign) in Authorization header: '{value}'."),
        400,
    );
}

#[test]
fn authorization_with_spacing_variants_parses() {
    for value in [
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/sts/aws4_request,SignedHeaders=host;x-amz-date,Signature=00",
        "AWS4-HMAC-SHA256  Credential = AKIDEXAMPLE/20150830/us-east-1/sts/aws4_request ,  SignedHeaders=host;x-amz-date, Signature=00 ",
        " AWS4-HMAC-SHA256\tCredential=AKIDEXAMPLE/20150830/us-east-1/sts/aws4_request, SignedHeaders=Host;X-Amz-Date, Signature=00",
    ] {
        let request = Request::base()
            .header("Authorization", value)
            .header("X-Amz-Date", "20150830T123600Z")
            .parse()
            .unwrap();
        assert_eq!(request.access_key_id(), "AKIDEXAMPLE", "{value}");
        assert_eq!(request.service(), "sts");
        assert_eq!(request.region(), "us-east-1");
        assert!(!request.is_presigned());
    }
}

#[test]
fn malformed_date() {
    check(
        Request::base()
            .signed(SECRET, at("20150830T123600Z"), None)
            .header("X-Amz-Date", "201")
            .parse(),
        "IncompleteSignature",
        "Date must be in ISO-8601 'basic format'. Got '201'. See http://en.wikipedia.org/wiki/ISO_8601",
        400,
    );
}

#[test]
fn host_not_signed() {
    let value = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/sts/aws4_request, SignedHeaders=x-amz-date, Signature=00";
    check(
        Request::base()
            .header("Authorization", value)
            .header("X-Amz-Date", "20150830T123600Z")
            .parse(),
        "SignatureDoesNotMatch",
        "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
        403,
    );
}

#[test]
fn unsupported_algorithm() {
    let value = "AWS4-HMAC-SHA512 Credential=AKIDEXAMPLE/20150830/us-east-1/sts/aws4_request, SignedHeaders=host;x-amz-date, Signature=00";
    check(
        Request::base()
            .header("Authorization", value)
            .header("X-Amz-Date", "20150830T123600Z")
            .parse(),
        "IncompleteSignature",
        "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512' (only AWS4-HMAC-SHA256 for now). ",
        400,
    );
}

#[test]
fn credential_without_five_parts() {
    let value = "AWS4-HMAC-SHA256 Credential=a/b/c/d, SignedHeaders=host;x-amz-date, Signature=00";
    check(
        Request::base()
            .header("Authorization", value)
            .header("X-Amz-Date", "20150830T123600Z")
            .parse(),
        "IncompleteSignature",
        "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'a/b/c/d'",
        400,
    );
}

#[test]
fn invalid_credential_scope_lists_every_problem() {
    let value = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150831//sts/aws5_request, SignedHeaders=host;x-amz-date, Signature=00";
    check(
        Request::base()
            .header("Authorization", value)
            .header("X-Amz-Date", "20150830T123600Z")
            .parse(),
        "SignatureDoesNotMatch",
        "Credential should be scoped to a valid region, not ''. Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'. Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20150831' != '20150830', from '20150830T123600Z'.",
        403,
    );
}

#[test]
fn scope_date_must_equal_request_date() {
    let value = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150829/us-east-1/sts/aws4_request, SignedHeaders=host;x-amz-date, Signature=00";
    check(
        Request::base()
            .header("Authorization", value)
            .header("X-Amz-Date", "20150830T123600Z")
            .parse(),
        "SignatureDoesNotMatch",
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20150829' != '20150830', from '20150830T123600Z'.",
        403,
    );
}

#[test]
fn wrong_signature() {
    let now = at("20150830T123600Z");
    let request = Request::base().signed("another secret", now, None);
    check(
        request.verify(SECRET, now),
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
        403,
    );
}

#[test]
fn signature_that_is_not_hex_never_matches() {
    let now = at("20150830T123600Z");
    let mut request = Request::base().signed(SECRET, now, None);
    for header in &mut request.headers {
        if header.0 == "Authorization" {
            let at_signature = header.1.find("Signature=").unwrap();
            header.1.truncate(at_signature);
            header.1.push_str("Signature=zz");
        }
    }
    check(
        request.verify(SECRET, now),
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
        403,
    );
}

#[test]
fn signature_in_upper_case_hex_never_matches() {
    let now = at("20150830T123600Z");
    let mut request = Request::base().signed(SECRET, now, None);
    assert!(request.verify(SECRET, now).is_ok());
    for header in &mut request.headers {
        if header.0 == "Authorization" {
            let at_signature = header.1.find("Signature=").unwrap() + "Signature=".len();
            let upper = header.1[at_signature..].to_ascii_uppercase();
            header.1.truncate(at_signature);
            header.1.push_str(&upper);
        }
    }
    check(
        request.verify(SECRET, now),
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
        403,
    );
}

#[test]
fn session_token_in_the_query_of_a_header_signed_request_is_read() {
    let now = at("20150830T123600Z");
    let mut request = Request::base();
    request.query = String::from("X-Amz-Security-Token=token%2Fin%2Bquery");
    let request = request.signed(SECRET, now, None);
    let verified = request.verify(SECRET, now).unwrap();
    assert_eq!(verified.security_token(), Some("token/in+query"));
}

#[test]
fn signature_expired() {
    let request = Request::base().signed(SECRET, at("20130524T000000Z"), None);
    check(
        request.verify(SECRET, at("20130524T002500Z")),
        "SignatureDoesNotMatch",
        "Signature expired: 20130524T000000Z is now earlier than 20130524T001000Z (20130524T002500Z - 15 min.)",
        403,
    );
}

#[test]
fn signature_not_yet_current() {
    let request = Request::base().signed(SECRET, at("20130524T003000Z"), None);
    check(
        request.verify(SECRET, at("20130524T000500Z")),
        "SignatureDoesNotMatch",
        "Signature not yet current: 20130524T003000Z is still later than 20130524T002000Z (20130524T000500Z + 15 min.)",
        403,
    );
}

#[test]
fn clock_skew_limits_are_inclusive() {
    let request = Request::base().signed(SECRET, at("20130524T001500Z"), None);
    assert!(request.verify(SECRET, at("20130524T000000Z")).is_ok());
    assert!(request.verify(SECRET, at("20130524T003000Z")).is_ok());
    assert!(request.verify(SECRET, at("20130524T003001Z")).is_err());
    assert!(request.verify(SECRET, at("20130523T235959Z")).is_err());
}

#[test]
fn presigned_url_expired() {
    let request = Request::base().presigned(SECRET, at("20130524T000000Z"), 900);
    assert!(request.verify(SECRET, at("20130524T001500Z")).is_ok());
    check(
        request.verify(SECRET, at("20130524T001501Z")),
        "SignatureDoesNotMatch",
        "Signature expired: 20130524T000000Z is now earlier than 20130524T000001Z (20130524T001501Z - 15 min.)",
        403,
    );
    let short = Request::base().presigned(SECRET, at("20130524T000000Z"), 90);
    check(
        short.verify(SECRET, at("20130524T000200Z")),
        "SignatureDoesNotMatch",
        "Signature expired: 20130524T000000Z is now earlier than 20130524T000030Z (20130524T000200Z - 90 sec.)",
        403,
    );
}

#[test]
fn presigned_url_honours_long_expiry_and_future_skew() {
    let request = Request::base().presigned(SECRET, at("20130524T000000Z"), 604_800);
    assert!(request.verify(SECRET, at("20130530T000000Z")).is_ok());
    assert!(request.verify(SECRET, at("20130523T234500Z")).is_ok());
    check(
        request.verify(SECRET, at("20130523T234459Z")),
        "SignatureDoesNotMatch",
        "Signature not yet current: 20130524T000000Z is still later than 20130523T235959Z (20130523T234459Z + 15 min.)",
        403,
    );
    let verified = request.verify(SECRET, at("20130524T000000Z")).unwrap();
    assert!(verified.is_presigned());
}

#[test]
fn presigned_missing_parameters() {
    let request = Request {
        query: String::from("Action=GetCallerIdentity&X-Amz-Algorithm=AWS4-HMAC-SHA256"),
        ..Request::base()
    };
    check(
        request.parse(),
        "IncompleteSignature",
        "AWS query-string parameters must include 'X-Amz-Credential'. AWS query-string parameters must include 'X-Amz-Signature'. AWS query-string parameters must include 'X-Amz-SignedHeaders'. AWS query-string parameters must include 'X-Amz-Date'. Re-examine the query-string parameters.",
        400,
    );
}

#[test]
fn presigned_expires_out_of_range() {
    let signed = Request::base().presigned(SECRET, at("20130524T000000Z"), 900);
    let too_long = Request {
        query: signed
            .query
            .replace("X-Amz-Expires=900", "X-Amz-Expires=604801"),
        ..signed.clone()
    };
    check(
        too_long.parse(),
        "IncompleteSignature",
        "X-Amz-Expires must be less than a week (in seconds) that is 604800",
        400,
    );
    let not_a_number = Request {
        query: signed
            .query
            .replace("X-Amz-Expires=900", "X-Amz-Expires=-1"),
        ..signed
    };
    check(
        not_a_number.parse(),
        "IncompleteSignature",
        "X-Amz-Expires should be a number",
        400,
    );
}

#[test]
fn presigned_parameter_given_twice() {
    let signed = Request::base().presigned(SECRET, at("20130524T000000Z"), 900);
    let doubled = Request {
        query: format!("{}&X-Amz-Date=20130524T000000Z", signed.query),
        ..signed
    };
    check(
        doubled.parse(),
        "IncompleteSignature",
        "AWS query-string parameters must include 'X-Amz-Date' only once. Re-examine the query-string parameters.",
        400,
    );
}

#[test]
fn header_and_query_authentication_together() {
    let now = at("20130524T000000Z");
    let presigned = Request::base().presigned(SECRET, now, 900);
    let both = Request {
        query: presigned.query,
        ..Request::base().signed(SECRET, now, None)
    };
    check(
        both.parse(),
        "IncompleteSignature",
        "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified",
        400,
    );
}

#[test]
fn signed_payload_hash_that_is_not_the_body() {
    let now = at("20150830T123600Z");
    let other_hash = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    let request = Request::base()
        .header("X-Amz-Content-Sha256", other_hash)
        .signed(SECRET, now, None);
    check(
        request.verify(SECRET, now),
        "XAmzContentSHA256Mismatch",
        "The provided 'x-amz-content-sha256' header does not match what was computed.",
        400,
    );
}

#[test]
fn server_side_errors() {
    let err = |e: SigV4Error| Err::<(), _>(e);
    check(
        err(SigV4Error::unknown_access_key()),
        "InvalidClientTokenId",
        "The security token included in the request is invalid.",
        403,
    );
    check(
        err(SigV4Error::expired_token()),
        "ExpiredToken",
        "The security token included in the request is expired",
        403,
    );
    check(
        err(SigV4Error::wrong_service("sts")),
        "SignatureDoesNotMatch",
        "Credential should be scoped to correct service: 'sts'. ",
        403,
    );
    check(
        err(SigV4Error::wrong_region("mars-1")),
        "SignatureDoesNotMatch",
        "Credential should be scoped to a valid region, not 'mars-1'. ",
        403,
    );
}

fn hmac(key: &[u8], message: &[u8]) -> Vec<u8> {
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

#[test]
fn date_header_signs_when_x_amz_date_is_absent() {
    // A client that signs the `Date` header instead of `X-Amz-Date`; the
    // signature is computed here by hand from the string to sign.
    let now = at("20150830T123600Z");
    let unsigned = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/sts/aws4_request, SignedHeaders=date;host, Signature=00";
    let request = Request::base()
        .header("Date", "Sun, 30 Aug 2015 12:36:00 GMT")
        .header("Authorization", unsigned);
    let parsed = request.parse().unwrap();
    assert_eq!(parsed.claimed_time(), now);
    let to_sign = request.with(|parts| {
        parsed.string_to_sign(
            parts,
            tessera_sigv4::CanonicalUriRule::NORMALIZED_DOUBLE_ENCODED,
        )
    });
    assert!(to_sign
        .starts_with("AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/sts/aws4_request\n"));
    let mut key = hmac(format!("AWS4{SECRET}").as_bytes(), b"20150830");
    for part in ["us-east-1", "sts", "aws4_request"] {
        key = hmac(&key, part.as_bytes());
    }
    let signature = hex::encode(hmac(&key, to_sign.as_bytes()));
    let signed = request.header(
        "Authorization",
        &unsigned.replace("Signature=00", &format!("Signature={signature}")),
    );
    let verified = signed.verify(SECRET, now).unwrap();
    assert_eq!(verified.signed_at(), now);
    // Another Date breaks it.
    let changed = signed.header("Date", "Sun, 30 Aug 2015 12:36:01 GMT");
    assert!(changed.verify(SECRET, now).is_err());
}

#[test]
fn session_token_is_read_from_header_and_query() {
    let now = at("20150830T123600Z");
    let request = Request::base().signed(SECRET, now, Some("token/with+chars="));
    let verified = request.verify(SECRET, now).unwrap();
    assert_eq!(verified.security_token(), Some("token/with+chars="));
    assert!(!format!("{verified:?}").contains("token/with"));
    let parsed = request.parse().unwrap();
    assert!(!format!("{parsed:?}").contains("token/with"));
}

#[test]
fn secrets_and_computed_signatures_stay_out_of_errors_and_debug() {
    let now = at("20150830T123600Z");
    let key = SecretKey::new(SECRET.to_owned());
    assert_eq!(format!("{key:?}"), "SecretKey(..)");
    let request = Request::base().signed("another secret", now, None);
    // The signature Tessera computes with SECRET for this request:
    let computed = Request::base()
        .signed(SECRET, now, None)
        .headers
        .iter()
        .find(|(n, _)| n == "Authorization")
        .map(|(_, v)| v.rsplit("Signature=").next().unwrap().to_owned())
        .unwrap();
    let verifier = Verifier::new();
    let error = request.verify_with(&verifier, SECRET, now).unwrap_err();
    for text in [
        error.message(),
        format!("{error:?}"),
        format!("{verifier:?}"),
    ] {
        assert!(!text.contains(SECRET), "{text}");
        assert!(!text.contains(&computed), "{text}");
        assert!(
            !text.contains("AWS4-HMAC-SHA256\n"),
            "no string to sign: {text}"
        );
    }
}

#[test]
fn changed_secret_never_verifies_with_a_cached_key() {
    let now = at("20150830T123600Z");
    let verifier = Verifier::new();
    let old = Request::base().signed("old secret", now, None);
    let new = Request::base().signed("new secret", now, None);
    assert!(old.verify_with(&verifier, "old secret", now).is_ok());
    assert_eq!(verifier.cached_signing_keys(), 1);
    // Same key id, day, region and service; the secret was rotated.
    assert!(new.verify_with(&verifier, "new secret", now).is_ok());
    assert_eq!(
        old.verify_with(&verifier, "new secret", now).unwrap_err(),
        SigV4Error::SignatureDoesNotMatch
    );
    assert_eq!(
        new.verify_with(&verifier, "old secret", now).unwrap_err(),
        SigV4Error::SignatureDoesNotMatch
    );
}

#[test]
fn signing_key_cache_is_bounded() {
    let verifier = Verifier::with_config(VerifierConfig {
        signing_key_cache_capacity: 4,
        ..VerifierConfig::default()
    });
    let now = at("20150830T123600Z");
    for index in 0..20 {
        let secret = format!("secret number {index}");
        let request = Request::base().signed(&secret, now, None);
        assert!(request.verify_with(&verifier, &secret, now).is_ok());
        assert!(verifier.cached_signing_keys() <= 4);
    }
    let uncached = Verifier::with_config(VerifierConfig {
        signing_key_cache_capacity: 0,
        ..VerifierConfig::default()
    });
    assert!(Request::base()
        .signed(SECRET, now, None)
        .verify_with(&uncached, SECRET, now)
        .is_ok());
    assert_eq!(uncached.cached_signing_keys(), 0);
}

#[test]
fn emulator_mode_accepts_without_checking_and_says_so() {
    let now = at("20150830T123600Z");
    let request = Request::base().signed("a key Tessera does not know", now, None);
    let parsed = request.parse().unwrap();
    let accepted = accept_unverified_in_emulator_mode(parsed);
    assert!(!accepted.signature_checked());
    assert_eq!(accepted.access_key_id(), "AKIDEXAMPLE");
    assert_eq!(accepted.service(), "sts");
    assert_eq!(accepted.signed_at(), now);
    let verified = Request::base()
        .signed(SECRET, now, None)
        .verify(SECRET, now)
        .unwrap();
    assert!(verified.signature_checked());
}

#[test]
fn repeated_headers_are_joined_in_order() {
    let now = at("20150830T123600Z");
    let mut request = Request::base();
    request
        .headers
        .push((String::from("X-Custom"), String::from("a")));
    request
        .headers
        .push((String::from("x-custom"), String::from("  b   c ")));
    let signed = request.signed(SECRET, now, None);
    assert!(signed.verify(SECRET, now).is_ok());
    let mut reordered = signed.clone();
    let first = reordered
        .headers
        .iter()
        .position(|(n, _)| n == "X-Custom")
        .unwrap();
    let moved = reordered.headers.remove(first);
    reordered.headers.push(moved);
    assert!(reordered.verify(SECRET, now).is_err());
}
