//! The bytes of the requests a scenario sends: either one prepared request
//! replayed as is, or a form POST signed afresh for every request with
//! `tessera_sigv4::sign_headers`, the way an AWS SDK signs each call.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tessera_sigv4::{presign_query, sign_headers, RequestParts, SecretKey, SigningParams};

use crate::credentials::Credentials;
use crate::endpoint::Endpoint;

/// The `Content-Type` of the form bodies, as the AWS SDKs send it.
pub const FORM_CONTENT_TYPE: &str = "application/x-www-form-urlencoded; charset=utf-8";

/// The signing identity and scope shared by every request of a run.
#[derive(Clone)]
pub struct Signer {
    /// The access key id.
    pub access_key_id: Arc<str>,
    /// Its secret.
    pub secret: Arc<SecretKey>,
    /// The credential scope region.
    pub region: Arc<str>,
    /// The session token of temporary credentials.
    pub session_token: Option<Arc<str>>,
}

impl Signer {
    /// A signer for `credentials` in `region`.
    pub fn new(credentials: Credentials, region: &str) -> Signer {
        Signer {
            access_key_id: credentials.access_key_id.into(),
            secret: Arc::new(credentials.secret),
            region: region.into(),
            session_token: None,
        }
    }

    /// A signer for temporary credentials with their session token.
    pub fn temporary(credentials: Credentials, session_token: &str, region: &str) -> Signer {
        Signer {
            session_token: Some(session_token.into()),
            ..Signer::new(credentials, region)
        }
    }

    fn params<'a>(&'a self, service: &'a str, time: SystemTime) -> SigningParams<'a> {
        SigningParams {
            access_key_id: &self.access_key_id,
            secret: &self.secret,
            session_token: self.session_token.as_deref(),
            region: &self.region,
            service,
            time,
        }
    }
}

/// Where a scenario's requests come from.
#[derive(Clone)]
pub enum RequestSource {
    /// The same bytes every time.
    Fixed(Arc<[u8]>),
    /// A form POST, header-signed at the moment it is sent.
    SignedPost(SignedPost),
}

impl RequestSource {
    /// Writes the next request into `out` (cleared first).
    pub fn write_next(&self, out: &mut Vec<u8>) -> Result<(), String> {
        out.clear();
        match self {
            RequestSource::Fixed(bytes) => {
                out.extend_from_slice(bytes);
                Ok(())
            }
            RequestSource::SignedPost(post) => post.write_signed(out, SystemTime::now()),
        }
    }
}

/// A plain `GET` of `path_and_query`, unsigned.
pub fn unsigned_get(endpoint: &Endpoint, path_and_query: &str) -> RequestSource {
    let text = format!(
        "GET {path_and_query} HTTP/1.1\r\nHost: {}\r\n\r\n",
        endpoint.host_header
    );
    RequestSource::Fixed(text.into_bytes().into())
}

/// The query string of a presigned `GET /?{query}` for `service`, signed
/// now and valid for `expires_in`.
pub fn presigned_query(
    endpoint: &Endpoint,
    signer: &Signer,
    service: &str,
    query: &str,
    expires_in: Duration,
) -> Result<String, String> {
    let headers = [("host", endpoint.host_header.as_str())];
    let parts = RequestParts {
        method: "GET",
        path: "/",
        query,
        headers: &headers,
        body: b"",
    };
    presign_query(
        &parts,
        &signer.params(service, SystemTime::now()),
        expires_in,
    )
    .map_err(|e| format!("presigning failed: {e}"))
}

/// A form POST to `/` signed for `service` each time it is written.
#[derive(Clone)]
pub struct SignedPost {
    /// The `Host` header, also signed.
    pub host: Arc<str>,
    /// The signing identity.
    pub signer: Signer,
    /// The credential scope service: `sts` or `iam`.
    pub service: &'static str,
    /// The form body.
    pub body: Arc<str>,
}

impl SignedPost {
    /// Signs the request at `time` and writes it into `out`.
    pub fn write_signed(&self, out: &mut Vec<u8>, time: SystemTime) -> Result<(), String> {
        let headers = [("host", &*self.host), ("content-type", FORM_CONTENT_TYPE)];
        let parts = RequestParts {
            method: "POST",
            path: "/",
            query: "",
            headers: &headers,
            body: self.body.as_bytes(),
        };
        let added = sign_headers(&parts, &self.signer.params(self.service, time))
            .map_err(|e| format!("signing failed: {e}"))?;
        out.extend_from_slice(b"POST / HTTP/1.1\r\n");
        for (name, value) in headers
            .iter()
            .copied()
            .chain(added.iter().map(|(n, v)| (n.as_str(), v.as_str())))
        {
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(value.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"content-length: ");
        out.extend_from_slice(self.body.len().to_string().as_bytes());
        out.extend_from_slice(b"\r\n\r\n");
        out.extend_from_slice(self.body.as_bytes());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_sigv4::{parse, Verifier};

    /// Splits a serialized request into its method, target, headers and body.
    fn split(bytes: &[u8]) -> (String, String, Vec<(String, String)>, Vec<u8>) {
        let text = String::from_utf8(bytes.to_vec()).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        let mut lines = head.split("\r\n");
        let mut request_line = lines.next().unwrap().split(' ');
        let method = request_line.next().unwrap().to_owned();
        let target = request_line.next().unwrap().to_owned();
        let headers = lines
            .map(|l| {
                let (n, v) = l.split_once(": ").unwrap();
                (n.to_owned(), v.to_owned())
            })
            .collect();
        (method, target, headers, body.as_bytes().to_vec())
    }

    fn signer() -> Signer {
        Signer {
            access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
            secret: Arc::new(SecretKey::new(String::from(
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            ))),
            region: "us-east-1".into(),
            session_token: None,
        }
    }

    #[test]
    fn a_signed_post_as_sent_passes_the_servers_verifier() {
        let post = SignedPost {
            host: "127.0.0.1:7177".into(),
            signer: signer(),
            service: "sts",
            body: "Action=GetCallerIdentity&Version=2011-06-15".into(),
        };
        let now = SystemTime::now();
        let mut bytes = Vec::new();
        post.write_signed(&mut bytes, now).unwrap();

        let (method, target, headers, body) = split(&bytes);
        let headers: Vec<(&str, &str)> = headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        assert!(headers.contains(&("host", "127.0.0.1:7177")));
        assert!(headers.contains(&("content-length", "43")));
        let parts = RequestParts {
            method: &method,
            path: &target,
            query: "",
            headers: &headers,
            body: &body,
        };
        let signed = parse(&parts).unwrap();
        let verified = Verifier::new()
            .verify(signed, &parts, &signer().secret, now)
            .unwrap();
        assert_eq!(verified.access_key_id(), "AKIAIOSFODNN7EXAMPLE");
    }

    #[test]
    fn a_presigned_query_passes_the_servers_verifier() {
        let endpoint = crate::endpoint::parse_loopback_endpoint("http://127.0.0.1:7177").unwrap();
        let query = presigned_query(
            &endpoint,
            &signer(),
            "sts",
            "Action=GetCallerIdentity&Version=2011-06-15",
            Duration::from_secs(3600),
        )
        .unwrap();
        let headers = [("Host", "127.0.0.1:7177")];
        let parts = RequestParts {
            method: "GET",
            path: "/",
            query: &query,
            headers: &headers,
            body: b"",
        };
        let signed = parse(&parts).unwrap();
        let later = SystemTime::now() + Duration::from_secs(1800);
        assert!(Verifier::new()
            .verify(signed, &parts, &signer().secret, later)
            .is_ok());
    }
}
