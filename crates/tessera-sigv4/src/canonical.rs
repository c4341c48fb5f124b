//! The canonical request and the string to sign, built from the request as
//! received. Pure functions over bytes: no keys, no clock.
//!
//! The canonical URI follows AWS's rule for every service but S3: the path is
//! normalized (empty and `.` segments dropped, `..` applied) and the path as
//! received, already percent-encoded by the client, is percent-encoded once
//! more. S3 does neither; [`CanonicalUriRule::S3`] reproduces that.

use percent_encoding::percent_decode;
use sha2::{Digest, Sha256};

/// How the canonical URI is built from the path as received.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CanonicalUriRule {
    /// Remove empty, `.` and `..` segments before encoding.
    pub normalize_path: bool,
    /// Percent-encode the received path again, `%` included (every service
    /// but S3). When false, the path is decoded and encoded once.
    pub double_encode_path: bool,
}

impl CanonicalUriRule {
    /// Every AWS service but S3: normalized and double-encoded.
    pub const NORMALIZED_DOUBLE_ENCODED: CanonicalUriRule = CanonicalUriRule {
        normalize_path: true,
        double_encode_path: true,
    };
    /// S3: neither normalized nor double-encoded.
    pub const S3: CanonicalUriRule = CanonicalUriRule {
        normalize_path: false,
        double_encode_path: false,
    };

    /// The rule AWS applies for the credential-scope service `service`.
    pub fn for_service(service: &str) -> CanonicalUriRule {
        if service == "s3" {
            CanonicalUriRule::S3
        } else {
            CanonicalUriRule::NORMALIZED_DOUBLE_ENCODED
        }
    }
}

/// Appends `bytes` to `out`, percent-encoding everything but the unreserved
/// characters (`A-Z a-z 0-9 - _ . ~`) and, when `keep_slash`, `/`.
pub(crate) fn uri_encode_into(out: &mut String, bytes: &[u8], keep_slash: bool) {
    for &byte in bytes {
        let unreserved = byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~');
        if unreserved || (keep_slash && byte == b'/') {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(upper_hex_digit(byte >> 4));
            out.push(upper_hex_digit(byte & 0x0f));
        }
    }
}

fn upper_hex_digit(nibble: u8) -> char {
    char::from_digit(u32::from(nibble), 16)
        .unwrap_or('0')
        .to_ascii_uppercase()
}

/// Percent-encodes `bytes` (`/` included) into a new string.
pub(crate) fn uri_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    uri_encode_into(&mut out, bytes, false);
    out
}

/// Removes dot segments and empty segments, as AWS normalizes paths (RFC 3986
/// section 5.2.4, plus merging of repeated slashes).
fn normalize_path(path: &str) -> String {
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            other => segments.push(other),
        }
    }
    let mut normalized = String::with_capacity(path.len() + 1);
    for segment in &segments {
        normalized.push('/');
        normalized.push_str(segment);
    }
    let ends_with_slash =
        ["/", "/.", "/.."].iter().any(|end| path.ends_with(end)) || path == "." || path == "..";
    if normalized.is_empty() || (ends_with_slash && !normalized.ends_with('/')) {
        normalized.push('/');
    }
    normalized
}

/// The canonical URI of `path` (raw, as received, without the query).
pub fn canonical_uri(path: &str, rule: CanonicalUriRule) -> String {
    let absolute;
    let path = if path.starts_with('/') {
        path
    } else {
        absolute = format!("/{path}");
        absolute.as_str()
    };
    let normalized;
    let path = if rule.normalize_path && (path.contains('.') || path.contains("//")) {
        normalized = normalize_path(path);
        normalized.as_str()
    } else {
        path
    };
    let mut out = String::with_capacity(path.len() + 8);
    if rule.double_encode_path {
        uri_encode_into(&mut out, path.as_bytes(), true);
    } else {
        let decoded: Vec<u8> = percent_decode(path.as_bytes()).collect();
        uri_encode_into(&mut out, &decoded, true);
    }
    out
}

/// One query parameter, decoded (`+` read as a space) and re-encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct QueryParam {
    /// The name as decoded bytes turned into text (lossy for invalid UTF-8).
    pub(crate) name: String,
    /// The value decoded, lossy.
    pub(crate) value: String,
    /// The name, canonically encoded.
    pub(crate) encoded_name: String,
    /// The value, canonically encoded.
    pub(crate) encoded_value: String,
}

fn form_decode(raw: &str) -> Vec<u8> {
    let spaced: Vec<u8> = raw
        .bytes()
        .map(|b| if b == b'+' { b' ' } else { b })
        .collect();
    percent_decode(&spaced).collect()
}

/// Splits a raw query string into decoded parameters, in received order.
pub(crate) fn parse_query(query: &str) -> Vec<QueryParam> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (raw_name, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
            let name = form_decode(raw_name);
            let value = form_decode(raw_value);
            QueryParam {
                encoded_name: uri_encode(&name),
                encoded_value: uri_encode(&value),
                name: String::from_utf8_lossy(&name).into_owned(),
                value: String::from_utf8_lossy(&value).into_owned(),
            }
        })
        .collect()
}

/// The canonical query string: parameters sorted by encoded name, then by
/// encoded value, with `X-Amz-Signature` left out when `presigned`.
pub(crate) fn canonical_query(params: &[QueryParam], presigned: bool) -> String {
    let mut kept: Vec<&QueryParam> = params
        .iter()
        .filter(|param| !(presigned && param.name == "X-Amz-Signature"))
        .collect();
    kept.sort_by(|a, b| {
        a.encoded_name
            .cmp(&b.encoded_name)
            .then_with(|| a.encoded_value.cmp(&b.encoded_value))
    });
    let mut out = String::new();
    for (index, param) in kept.iter().enumerate() {
        if index > 0 {
            out.push('&');
        }
        out.push_str(&param.encoded_name);
        out.push('=');
        out.push_str(&param.encoded_value);
    }
    out
}

/// Trims spaces at both ends and collapses runs of spaces into one, as AWS
/// canonicalizes header values (spaces only, not other whitespace).
pub(crate) fn trim_all_into(out: &mut String, value: &str) {
    let value = value.trim_matches(' ');
    // Most values (a token, a date, a host) hold no run of spaces: copied
    // whole rather than character by character.
    if !value.contains("  ") {
        out.push_str(value);
        return;
    }
    let mut previous_space = false;
    for ch in value.chars() {
        if ch == ' ' {
            if !previous_space {
                out.push(' ');
            }
            previous_space = true;
        } else {
            out.push(ch);
            previous_space = false;
        }
    }
}

/// The canonical headers block (each `name:value\n`) for `signed_headers`
/// (lowercase names, in the order signed). Values of a repeated header are
/// joined by `,` in the order received; a signed header the request lacks
/// gets an empty value, which makes the signature fail to match.
pub(crate) fn canonical_headers<'n>(
    headers: &[(&str, &str)],
    signed_headers: impl IntoIterator<Item = &'n str>,
) -> String {
    // Sized for every header received (names, values, `:` and newline):
    // trimming only shortens values, so a session token's ~700 characters
    // do not make the buffer grow and copy itself twice (only a signed
    // header the request lacks, or a repeated one, adds to it).
    let received: usize = headers
        .iter()
        .map(|(name, value)| name.len() + value.len() + 2)
        .sum();
    let mut out = String::with_capacity(received);
    for name in signed_headers {
        out.push_str(name);
        out.push(':');
        let mut first = true;
        for (header_name, value) in headers {
            if header_name.eq_ignore_ascii_case(name) {
                if !first {
                    out.push(',');
                }
                trim_all_into(&mut out, value);
                first = false;
            }
        }
        out.push('\n');
    }
    out
}

/// The pieces of a canonical request.
pub(crate) struct CanonicalInput<'a> {
    pub(crate) method: &'a str,
    pub(crate) canonical_uri: &'a str,
    pub(crate) canonical_query: &'a str,
    pub(crate) canonical_headers: &'a str,
    pub(crate) signed_headers: &'a str,
    pub(crate) payload_hash: &'a str,
}

/// Joins the pieces of a canonical request.
pub(crate) fn canonical_request(input: &CanonicalInput<'_>) -> String {
    let mut out = String::with_capacity(
        input.method.len()
            + input.canonical_uri.len()
            + input.canonical_query.len()
            + input.canonical_headers.len()
            + input.signed_headers.len()
            + input.payload_hash.len()
            + 8,
    );
    out.push_str(input.method);
    out.push('\n');
    out.push_str(input.canonical_uri);
    out.push('\n');
    out.push_str(input.canonical_query);
    out.push('\n');
    out.push_str(input.canonical_headers);
    out.push('\n');
    out.push_str(input.signed_headers);
    out.push('\n');
    out.push_str(input.payload_hash);
    out
}

/// The SigV4 string to sign.
pub(crate) fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &str) -> String {
    let hash = Sha256Hex::of(canonical_request.as_bytes());
    let mut out = String::with_capacity(20 + amz_date.len() + scope.len() + 64);
    out.push_str("AWS4-HMAC-SHA256\n");
    out.push_str(amz_date);
    out.push('\n');
    out.push_str(scope);
    out.push('\n');
    out.push_str(hash.as_str());
    out
}

/// A lowercase hex SHA-256, held on the stack.
pub(crate) struct Sha256Hex([u8; 64]);

impl Sha256Hex {
    /// The digest of `bytes`.
    pub(crate) fn of(bytes: &[u8]) -> Sha256Hex {
        let mut text = [b'0'; 64];
        // 32 bytes always fit 64 hex digits, so this never fails.
        let _ = hex::encode_to_slice(Sha256::digest(bytes), &mut text);
        Sha256Hex(text)
    }

    /// The hex digits.
    pub(crate) fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

/// Lowercase hex SHA-256.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    Sha256Hex::of(bytes).as_str().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalization_matches_aws_cases() {
        let rule = CanonicalUriRule::NORMALIZED_DOUBLE_ENCODED;
        for (path, expected) in [
            ("", "/"),
            ("/", "/"),
            ("//", "/"),
            ("/./", "/"),
            ("/./example", "/example"),
            ("/example/..", "/"),
            ("/example1/example2/../..", "/"),
            ("//example//", "/example/"),
            ("/a/b/.", "/a/b/"),
            ("/../foo", "/foo"),
            ("/a%20b/", "/a%2520b/"),
            (
                "/test/@connections/JBDvjfGEIAMCERw%3D",
                "/test/%40connections/JBDvjfGEIAMCERw%253D",
            ),
        ] {
            assert_eq!(canonical_uri(path, rule), expected, "{path}");
        }
    }

    #[test]
    fn s3_rule_keeps_path_and_encodes_once() {
        assert_eq!(
            canonical_uri("//example//", CanonicalUriRule::S3),
            "//example//"
        );
        assert_eq!(
            canonical_uri("/example%20space/", CanonicalUriRule::S3),
            "/example%20space/"
        );
        assert_eq!(
            canonical_uri("/example space/", CanonicalUriRule::S3),
            "/example%20space/"
        );
    }

    #[test]
    fn query_is_sorted_by_encoded_name_then_value() {
        let params = parse_query("b=2&a=2&a=1&c&%E1%88%B4=x&sp=a+b");
        assert_eq!(
            canonical_query(&params, false),
            "%E1%88%B4=x&a=1&a=2&b=2&c=&sp=a%20b"
        );
    }

    #[test]
    fn header_values_are_trimmed_and_joined() {
        let headers = [
            ("My-Header", "  a   b  "),
            ("my-header", "c"),
            ("Host", "h"),
        ];
        assert_eq!(
            canonical_headers(&headers, ["host", "my-header"]),
            "host:h\nmy-header:a b,c\n"
        );
    }
}
