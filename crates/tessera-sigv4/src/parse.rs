//! Reading the SigV4 parameters out of a request, before any key is known:
//! the `Authorization` header form and the presigned query form.
//!
//! Parsing checks shape only (parameters present, dates well formed, the
//! credential scope consistent with the request date). It never decides that
//! a request is authentic; only [`crate::Verifier::verify`] does.

use crate::canonical::{parse_query, QueryParam};
use crate::error::SigV4Error;
use crate::timefmt::{format_amz_date, parse_amz_date, parse_http_date};
use crate::RequestParts;

/// The only signing algorithm SigV4 defines.
pub(crate) const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// The credential scope terminator.
pub(crate) const TERMINATOR: &str = "aws4_request";
/// The longest lifetime a presigned URL may ask for, in seconds (7 days).
pub const MAX_PRESIGNED_EXPIRES_SECONDS: u64 = 604_800;
/// The lifetime of a presigned URL without `X-Amz-Expires`, in seconds: the
/// fixed 15-minute window STS applies.
pub const DEFAULT_PRESIGNED_EXPIRES_SECONDS: u64 = 900;

/// Credentials and scope extracted from a request, before verification.
///
/// Built by [`parse`]; consumed by [`crate::Verifier::verify`] or, in
/// emulator mode only, by [`crate::accept_unverified_in_emulator_mode`].
#[derive(Clone)]
pub struct SignedRequest {
    pub(crate) credential: Credential,
    pub(crate) security_token: Option<String>,
    /// The client's `SignedHeaders` list: its names trimmed, lowercased,
    /// the empty ones dropped, in the order listed, joined by `;` (a name
    /// cannot hold `;`, so splitting the line gives the names back).
    pub(crate) signed_headers_line: String,
    /// The client's signature, hex-decoded; `None` when it is not 64 hex
    /// digits (it can then never match).
    pub(crate) signature: Option<[u8; 32]>,
    /// `YYYYMMDDTHHMMSSZ` of the request date.
    pub(crate) amz_date: String,
    /// The request date in Unix seconds.
    pub(crate) signed_at: i64,
    /// `Some(seconds)` for the presigned form.
    pub(crate) presigned_expires: Option<u64>,
    /// The query parameters, decoded, in received order.
    pub(crate) query: Vec<QueryParam>,
}

impl std::fmt::Debug for SignedRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignedRequest")
            .field("access_key_id", &self.credential.access_key_id())
            .field("scope_date", &self.credential.date())
            .field("region", &self.credential.region())
            .field("service", &self.credential.service())
            .field(
                "security_token",
                &self.security_token.as_ref().map(|_| ".."),
            )
            .field("signed_headers", &self.signed_headers_line)
            .field("amz_date", &self.amz_date)
            .field("presigned_expires", &self.presigned_expires)
            .finish_non_exhaustive()
    }
}

impl SignedRequest {
    /// The access key id named in the credential.
    pub fn access_key_id(&self) -> &str {
        self.credential.access_key_id()
    }

    /// The credential scope region, e.g. `us-east-1`.
    pub fn region(&self) -> &str {
        self.credential.region()
    }

    /// The credential scope service, e.g. `iam` or `sts`.
    pub fn service(&self) -> &str {
        self.credential.service()
    }

    /// The session token, from the `X-Amz-Security-Token` header or query
    /// parameter.
    pub fn security_token(&self) -> Option<&str> {
        self.security_token.as_deref()
    }

    /// Whether the request used the presigned query form.
    pub fn is_presigned(&self) -> bool {
        self.presigned_expires.is_some()
    }

    /// The request date (`X-Amz-Date`, or the `Date` header), as the client
    /// stated it; not yet checked against any clock.
    pub fn claimed_time(&self) -> std::time::SystemTime {
        crate::timefmt::unix_to_system_time(self.signed_at)
    }

    /// The credential scope, `date/region/service/aws4_request`.
    pub fn credential_scope(&self) -> &str {
        self.credential.scope()
    }

    /// The signed header names, lowercase, in the order the client listed
    /// them.
    pub(crate) fn signed_header_names(&self) -> impl Iterator<Item = &str> {
        self.signed_headers_line
            .split(';')
            .filter(|name| !name.is_empty())
    }
}

/// The `Credential` value as sent, `keyid/date/region/service/terminator`,
/// kept whole (one string) with the positions of its four slashes, so its
/// pieces and the credential scope are borrowed rather than copied.
#[derive(Clone)]
pub(crate) struct Credential {
    text: String,
    /// Byte offsets of the four `/`.
    slashes: [usize; 4],
}

impl Credential {
    fn piece(&self, from: usize, to: usize) -> &str {
        self.text.get(from..to).unwrap_or_default()
    }

    fn slash(&self, index: usize) -> usize {
        self.slashes.get(index).copied().unwrap_or_default()
    }

    /// The access key id.
    pub(crate) fn access_key_id(&self) -> &str {
        self.piece(0, self.slash(0))
    }

    /// The scope's `YYYYMMDD`.
    pub(crate) fn date(&self) -> &str {
        self.piece(self.slash(0) + 1, self.slash(1))
    }

    /// The scope's region.
    pub(crate) fn region(&self) -> &str {
        self.piece(self.slash(1) + 1, self.slash(2))
    }

    /// The scope's service.
    pub(crate) fn service(&self) -> &str {
        self.piece(self.slash(2) + 1, self.slash(3))
    }

    fn terminator(&self) -> &str {
        self.piece(self.slash(3) + 1, self.text.len())
    }

    /// `date/region/service/terminator`.
    pub(crate) fn scope(&self) -> &str {
        self.piece(self.slash(0) + 1, self.text.len())
    }

    /// `keyid/date/region/service`: what a derived signing key depends on
    /// besides the secret (a key id holds no `/`, so it names them
    /// unambiguously).
    pub(crate) fn signing_key_name(&self) -> &str {
        self.piece(0, self.slash(3))
    }
}

fn header<'a>(parts: &RequestParts<'a>, name: &str) -> Option<&'a str> {
    parts
        .headers
        .iter()
        .find(|(header_name, _)| header_name.eq_ignore_ascii_case(name))
        .map(|(_, value)| *value)
}

const PRESIGN_PARAMS: [&str; 3] = ["X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature"];

/// Reads the SigV4 parameters of `parts`, header form or presigned form.
///
/// # Errors
///
/// `MissingAuthenticationToken` when the request carries neither form;
/// `IncompleteSignature` when parameters are missing or malformed;
/// `SignatureDoesNotMatch` when the credential scope is invalid or `host`
/// is not signed.
pub fn parse(parts: &RequestParts) -> Result<SignedRequest, SigV4Error> {
    let query = parse_query(parts.query);
    let authorization = header(parts, "authorization");
    let presigned = query
        .iter()
        .any(|param| PRESIGN_PARAMS.contains(&param.name.as_str()));
    match (authorization, presigned) {
        (Some(_), true) => Err(SigV4Error::incomplete(
            "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified",
        )),
        (Some(value), false) => parse_header_form(parts, value, query),
        (None, true) => parse_query_form(parts, query),
        (None, false) => Err(SigV4Error::MissingAuthenticationToken),
    }
}

/// `text` with every ASCII whitespace byte removed, byte by byte (the
/// header is a few hundred bytes, read on every request).
fn without_ascii_whitespace(text: &str) -> String {
    let mut compact = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.bytes().position(|b| b.is_ascii_whitespace()) {
        // `at` is an ASCII byte, so both cuts fall on character boundaries.
        compact.push_str(rest.get(..at).unwrap_or_default());
        rest = rest.get(at + 1..).unwrap_or_default();
    }
    compact.push_str(rest);
    compact
}

/// The `key=value` parameters of an `Authorization` header after the
/// algorithm, tolerant of spaces around and between them.
fn authorization_params<'c>(
    compact: &'c str,
    whole: &str,
) -> Result<Vec<(&'c str, &'c str)>, SigV4Error> {
    let mut params = Vec::with_capacity(3);
    for piece in compact.split(',').filter(|piece| !piece.is_empty()) {
        match piece.split_once('=') {
            Some((key, value)) => params.push((key, value)),
            None => {
                return Err(SigV4Error::incomplete(format!(
                    "'{piece}' not a valid key=value pair (missing equal-sign) in Authorization header: '{whole}'."
                )))
            }
        }
    }
    Ok(params)
}

fn parse_header_form(
    parts: &RequestParts,
    authorization: &str,
    query: Vec<QueryParam>,
) -> Result<SignedRequest, SigV4Error> {
    let trimmed = authorization.trim();
    if !trimmed.starts_with("AWS4-") {
        return Err(SigV4Error::MissingAuthenticationToken);
    }
    let (algorithm, rest) = trimmed
        .split_once(|c: char| c.is_ascii_whitespace())
        .unwrap_or((trimmed, ""));
    let compact = without_ascii_whitespace(rest);
    let params = authorization_params(&compact, authorization)?;
    let find = |key: &str| {
        params
            .iter()
            .find(|(name, _)| *name == key)
            .map(|(_, value)| *value)
    };
    let credential = find("Credential");
    let signed_headers = find("SignedHeaders");
    let signature = find("Signature");
    let date_header = header(parts, "x-amz-date").map(|value| (value, true));
    let date_header = date_header.or_else(|| header(parts, "date").map(|value| (value, false)));

    let mut missing = String::new();
    if credential.is_none() {
        missing.push_str("Authorization header requires 'Credential' parameter. ");
    }
    if signature.is_none() {
        missing.push_str("Authorization header requires 'Signature' parameter. ");
    }
    if signed_headers.is_none() {
        missing.push_str("Authorization header requires 'SignedHeaders' parameter. ");
    }
    if date_header.is_none() {
        missing.push_str(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ",
        );
    }
    let (Some(credential), Some(signed_headers), Some(signature), Some((date_value, is_amz))) =
        (credential, signed_headers, signature, date_header)
    else {
        return Err(SigV4Error::incomplete(format!(
            "{missing}Authorization={authorization}"
        )));
    };

    let parsed_date = if is_amz {
        parse_amz_date(date_value.trim())
    } else {
        parse_http_date(date_value).or_else(|| parse_amz_date(date_value.trim()))
    };
    let Some(signed_at) = parsed_date else {
        return Err(bad_date(date_value));
    };

    let signed_headers_line = normalize_signed_headers(signed_headers);
    require_host(&signed_headers_line)?;
    check_algorithm(algorithm)?;
    let credential = parse_credential(credential.to_owned())?;
    let amz_date = format_amz_date(signed_at);
    check_scope(&credential, &amz_date)?;

    // A header-signed request may carry its session token in the query
    // string instead of a header, as presigned ones do.
    let security_token = header(parts, "x-amz-security-token")
        .map(str::to_owned)
        .or_else(|| {
            query
                .iter()
                .find(|param| param.name == "X-Amz-Security-Token")
                .map(|param| param.value.clone())
        });
    Ok(SignedRequest {
        credential,
        security_token,
        signed_headers_line,
        signature: decode_signature(signature),
        amz_date,
        signed_at,
        presigned_expires: None,
        query,
    })
}

fn parse_query_form(
    _parts: &RequestParts,
    query: Vec<QueryParam>,
) -> Result<SignedRequest, SigV4Error> {
    let find = |key: &str| -> Result<Option<String>, SigV4Error> {
        let mut found = query.iter().filter(|param| param.name == key);
        let first = found.next();
        if found.next().is_some() {
            return Err(SigV4Error::incomplete(format!(
                "AWS query-string parameters must include '{key}' only once. Re-examine the query-string parameters."
            )));
        }
        Ok(first.map(|param| param.value.clone()))
    };
    let algorithm = find("X-Amz-Algorithm")?;
    let credential = find("X-Amz-Credential")?;
    let signature = find("X-Amz-Signature")?;
    let signed_headers = find("X-Amz-SignedHeaders")?;
    let date = find("X-Amz-Date")?;
    let expires = find("X-Amz-Expires")?;
    let security_token = find("X-Amz-Security-Token")?;

    let mut missing = String::new();
    for (name, value) in [
        ("X-Amz-Algorithm", &algorithm),
        ("X-Amz-Credential", &credential),
        ("X-Amz-Signature", &signature),
        ("X-Amz-SignedHeaders", &signed_headers),
        ("X-Amz-Date", &date),
    ] {
        if value.is_none() {
            missing.push_str(&format!(
                "AWS query-string parameters must include '{name}'. "
            ));
        }
    }
    let (Some(algorithm), Some(credential), Some(signature), Some(signed_headers), Some(date)) =
        (algorithm, credential, signature, signed_headers, date)
    else {
        return Err(SigV4Error::incomplete(format!(
            "{missing}Re-examine the query-string parameters."
        )));
    };

    let Some(signed_at) = parse_amz_date(&date) else {
        return Err(bad_date(&date));
    };
    let expires_seconds = match expires {
        None => DEFAULT_PRESIGNED_EXPIRES_SECONDS,
        Some(text) => parse_expires(&text)?,
    };
    let signed_headers_line = normalize_signed_headers(&signed_headers);
    require_host(&signed_headers_line)?;
    check_algorithm(&algorithm)?;
    let credential = parse_credential(credential)?;
    let amz_date = format_amz_date(signed_at);
    check_scope(&credential, &amz_date)?;

    Ok(SignedRequest {
        credential,
        security_token,
        signed_headers_line,
        signature: decode_signature(&signature),
        amz_date,
        signed_at,
        presigned_expires: Some(expires_seconds),
        query,
    })
}

fn parse_expires(text: &str) -> Result<u64, SigV4Error> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(SigV4Error::incomplete("X-Amz-Expires should be a number"));
    }
    match text.parse::<u64>() {
        Ok(seconds) if seconds <= MAX_PRESIGNED_EXPIRES_SECONDS => Ok(seconds),
        _ => Err(SigV4Error::incomplete(
            "X-Amz-Expires must be less than a week (in seconds) that is 604800",
        )),
    }
}

fn bad_date(value: &str) -> SigV4Error {
    SigV4Error::incomplete(format!(
        "Date must be in ISO-8601 'basic format'. Got '{value}'. See http://en.wikipedia.org/wiki/ISO_8601"
    ))
}

/// The client's `SignedHeaders` list with each name trimmed and
/// lowercased and the empty ones dropped, joined by `;`.
fn normalize_signed_headers(line: &str) -> String {
    // What every SDK sends: lower-case ASCII names, one `;` between each,
    // no spaces. Such a line is its own normal form (the general path's
    // `trim` also strips non-ASCII spaces, hence ASCII only).
    let bytes = line.as_bytes();
    let already_normal = bytes.first().is_some_and(|b| *b != b';')
        && bytes.last().is_some_and(|b| *b != b';')
        && !line.contains(";;")
        && bytes
            .iter()
            .all(|b| b.is_ascii_graphic() && !b.is_ascii_uppercase());
    if already_normal {
        return line.to_owned();
    }
    let mut normalized = String::with_capacity(line.len());
    for name in line
        .split(';')
        .map(str::trim)
        .filter(|name| !name.is_empty())
    {
        if !normalized.is_empty() {
            normalized.push(';');
        }
        normalized.push_str(name);
    }
    normalized.make_ascii_lowercase();
    normalized
}

fn require_host(signed_headers_line: &str) -> Result<(), SigV4Error> {
    if signed_headers_line
        .split(';')
        .any(|name| name == "host" || name == ":authority")
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

fn check_algorithm(algorithm: &str) -> Result<(), SigV4Error> {
    if algorithm == ALGORITHM {
        Ok(())
    } else {
        Err(SigV4Error::incomplete(format!(
            "Unsupported AWS 'algorithm': '{algorithm}' (only AWS4-HMAC-SHA256 for now). "
        )))
    }
}

fn parse_credential(credential: String) -> Result<Credential, SigV4Error> {
    let mut slashes = [0usize; 4];
    let mut found = 0;
    for (index, _) in credential.bytes().enumerate().filter(|(_, b)| *b == b'/') {
        if let Some(slot) = slashes.get_mut(found) {
            *slot = index;
        }
        found += 1;
    }
    match slashes {
        [key_end, ..] if found == 4 && key_end > 0 => Ok(Credential {
            text: credential,
            slashes,
        }),
        _ => Err(SigV4Error::incomplete(format!(
            "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{credential}'"
        ))),
    }
}

/// Regions are not checked against a list (any region is accepted), only for
/// being a plausible name.
fn valid_scope_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
}

fn check_scope(scope: &Credential, amz_date: &str) -> Result<(), SigV4Error> {
    let mut message = String::new();
    if !valid_scope_name(scope.region()) {
        message.push_str(&format!(
            "Credential should be scoped to a valid region, not '{}'. ",
            scope.region()
        ));
    }
    if scope.terminator() != TERMINATOR {
        message.push_str(&format!(
            "Credential should be scoped with a valid terminator: 'aws4_request', not '{}'. ",
            scope.terminator()
        ));
    }
    let request_day = amz_date.get(..8).unwrap_or(amz_date);
    if scope.date() != request_day {
        message.push_str(&format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{}' != '{request_day}', from '{amz_date}'.",
            scope.date()
        ));
    }
    if message.is_empty() {
        Ok(())
    } else {
        Err(SigV4Error::InvalidCredentialScope { message })
    }
}

/// The signature's bytes. AWS compares the signature as the lower-case hex
/// text it computes, so an upper-case digit never matches.
fn decode_signature(signature: &str) -> Option<[u8; 32]> {
    let digits = signature.as_bytes();
    if digits.len() != 64 {
        return None;
    }
    let mut bytes = [0u8; 32];
    for (byte, pair) in bytes.iter_mut().zip(digits.chunks_exact(2)) {
        let [high, low] = pair else { return None };
        *byte = (lower_hex_digit(*high)? << 4) | lower_hex_digit(*low)?;
    }
    Some(bytes)
}

/// The value of one lower-case hex digit.
fn lower_hex_digit(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_decodes_only_from_64_lower_case_hex_digits() {
        let lower = "0123456789abcdef".repeat(4);
        let decoded = decode_signature(&lower).map(hex::encode);
        assert_eq!(decoded.as_deref(), Some(lower.as_str()));
        assert_eq!(decode_signature(&lower.to_ascii_uppercase()), None);
        assert_eq!(decode_signature(&lower[..62]), None);
        assert_eq!(decode_signature(&format!("{lower}00")), None);
        assert_eq!(decode_signature(&format!("{}g", &lower[..63])), None);
        assert_eq!(decode_signature(&format!("{}é", &lower[..62])), None);
    }

    #[test]
    fn a_signed_headers_line_is_trimmed_lowercased_and_rid_of_empty_names() {
        for (line, normal) in [
            (
                "content-type;host;x-amz-date",
                "content-type;host;x-amz-date",
            ),
            ("Host;X-Amz-Date", "host;x-amz-date"),
            (" host ; x-amz-date ", "host;x-amz-date"),
            (";host;;x-amz-date;", "host;x-amz-date"),
            ("host", "host"),
            ("host\u{a0};x-amz-date", "host;x-amz-date"),
            ("", ""),
            (";", ""),
        ] {
            assert_eq!(normalize_signed_headers(line), normal, "{line:?}");
        }
    }

    #[test]
    fn whitespace_anywhere_in_the_authorization_parameters_is_dropped() {
        assert_eq!(
            without_ascii_whitespace("Credential=a/b, SignedHeaders=host,\tSignature = ab\r\n"),
            "Credential=a/b,SignedHeaders=host,Signature=ab"
        );
        assert_eq!(without_ascii_whitespace("é x\u{a0}y"), "éx\u{a0}y");
        assert_eq!(without_ascii_whitespace(""), "");
    }
}
