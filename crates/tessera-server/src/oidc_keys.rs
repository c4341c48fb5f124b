//! Fetching OpenID Connect providers' signing keys, for
//! `AssumeRoleWithWebIdentity`.
//!
//! For a provider the domain names ([`ProviderEndpoint`]), the issuer's
//! discovery document (`/.well-known/openid-configuration`) is read, then
//! the key set at its `jwks_uri`, both over HTTPS. A server certificate is
//! trusted when it chains to the system's roots; otherwise, as AWS does,
//! when the SHA-1 thumbprint of the top certificate of the chain the host
//! serves (its top intermediate or root CA) is one of the provider's
//! thumbprints, and the chain leads to that certificate and names the
//! host. Both hosts are checked.
//!
//! Key sets are cached per provider (its URL and thumbprints, so a
//! changed thumbprint list is fetched anew). A token whose `kid` the
//! cached set lacks triggers one refetch, at most once per
//! [`REFETCH_INTERVAL`] per provider, so that a rotation is picked up
//! without letting tokens naming unknown keys drive fetches. Every fetch
//! is bounded in time ([`FETCH_TIMEOUT`], connection to last byte) and in
//! size ([`MAX_DOCUMENT_BYTES`]): a slow or huge provider costs a request
//! an `IDPCommunicationError`, never a worker.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Empty, Limited};
use hyper::body::Bytes;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};
use sha1::{Digest, Sha1};
use tessera_iam::jwt_verify::KeySet;
use tessera_iam::web_identity::ProviderEndpoint;
use tessera_iam::IamError;

/// The longest one document fetch may take, from connecting to its last
/// byte.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// The largest discovery document or key set read.
pub const MAX_DOCUMENT_BYTES: usize = tessera_iam::jwt_verify::MAX_KEY_SET_BYTES;
/// How long a fetched key set is used before it is fetched again.
pub const KEY_SET_TTL: Duration = Duration::from_secs(3600);
/// The shortest time between two fetches of one provider's keys on
/// account of a token naming a key the cached set lacks.
pub const REFETCH_INTERVAL: Duration = Duration::from_secs(5);

/// Why keys could not be had.
#[derive(Debug)]
enum FetchError {
    /// The provider could not be reached, answered an error status, too
    /// slowly or too much (the text is for the log only).
    Unreachable(String),
    /// No certificate of the chain is trusted and the top one's
    /// thumbprint is not the provider's.
    Thumbprint,
    /// A document that is not what OpenID Connect discovery describes.
    Malformed(&'static str),
}

impl FetchError {
    fn into_iam(self, issuer: &str) -> IamError {
        match self {
            FetchError::Unreachable(why) => {
                tracing::warn!(issuer, %why, "identity provider unreachable");
                IamError::new(
                    "IDPCommunicationError",
                    "Couldn't retrieve verification key from your identity provider, please reference AssumeRoleWithWebIdentity documentation for requirements",
                )
            }
            FetchError::Thumbprint => IamError::new(
                "InvalidIdentityToken",
                "OpenIDConnect provider's HTTPS certificate doesn't match configured thumbprint",
            ),
            FetchError::Malformed(what) => {
                tracing::warn!(issuer, what, "identity provider document malformed");
                IamError::new(
                    "InvalidIdentityToken",
                    "Couldn't retrieve verification key from your identity provider, please reference AssumeRoleWithWebIdentity documentation for requirements",
                )
            }
        }
    }
}

struct Cached {
    keys: Arc<KeySet>,
    fetched: Instant,
}

/// The providers' key sets, fetched on demand and cached.
pub struct OidcKeys {
    provider: Arc<CryptoProvider>,
    system: Option<Arc<WebPkiServerVerifier>>,
    cache: Mutex<HashMap<(String, Vec<String>), Cached>>,
}

impl Default for OidcKeys {
    fn default() -> Self {
        OidcKeys::new()
    }
}

impl OidcKeys {
    /// A cache trusting the system's root certificates.
    pub fn new() -> OidcKeys {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = RootCertStore::empty();
        let native = rustls_native_certs::load_native_certs();
        roots.add_parsable_certificates(native.certs);
        let system = if roots.is_empty() {
            None
        } else {
            WebPkiServerVerifier::builder_with_provider(Arc::new(roots), Arc::clone(&provider))
                .build()
                .ok()
        };
        OidcKeys {
            provider,
            system,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The key set of `endpoint`'s provider that should know `kid`: the
    /// cached one, or a fresh one when none is cached, the cached one is
    /// old, or it lacks `kid` and the last fetch is not too recent.
    pub async fn key_set(
        &self,
        endpoint: &ProviderEndpoint,
        kid: Option<&str>,
    ) -> Result<Arc<KeySet>, IamError> {
        let mut thumbprints: Vec<String> = endpoint
            .thumbprints
            .iter()
            .map(|t| t.to_ascii_lowercase())
            .collect();
        thumbprints.sort();
        let cache_key = (endpoint.issuer_url.clone(), thumbprints.clone());
        let cached = self.cached(&cache_key);
        if let Some((keys, age)) = &cached {
            let usable = *age < KEY_SET_TTL;
            if usable && (keys.has_key(kid) || *age < REFETCH_INTERVAL) {
                return Ok(Arc::clone(keys));
            }
        }
        match self.fetch(&endpoint.issuer_url, &thumbprints).await {
            Ok(keys) => {
                let keys = Arc::new(keys);
                if let Ok(mut cache) = self.cache.lock() {
                    cache.insert(
                        cache_key,
                        Cached {
                            keys: Arc::clone(&keys),
                            fetched: Instant::now(),
                        },
                    );
                }
                Ok(keys)
            }
            // A provider briefly unreachable does not undo the keys it
            // published.
            Err(FetchError::Unreachable(why)) if cached.is_some() => {
                tracing::warn!(issuer = %endpoint.issuer_url, %why, "identity provider unreachable; using cached keys");
                Ok(cached.map(|(keys, _)| keys).unwrap_or_default())
            }
            Err(error) => Err(error.into_iam(&endpoint.issuer_url)),
        }
    }

    fn cached(&self, key: &(String, Vec<String>)) -> Option<(Arc<KeySet>, Duration)> {
        let cache = self.cache.lock().ok()?;
        cache
            .get(key)
            .map(|c| (Arc::clone(&c.keys), c.fetched.elapsed()))
    }

    async fn fetch(&self, issuer: &str, thumbprints: &[String]) -> Result<KeySet, FetchError> {
        let discovery_url = format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        );
        let discovery = self.get(&discovery_url, thumbprints).await?;
        let discovery: serde_json::Value = serde_json::from_slice(&discovery)
            .map_err(|_| FetchError::Malformed("discovery document is not JSON"))?;
        let jwks_uri = discovery
            .get("jwks_uri")
            .and_then(serde_json::Value::as_str)
            .ok_or(FetchError::Malformed("discovery document has no jwks_uri"))?;
        let jwks = self.get(jwks_uri, thumbprints).await?;
        KeySet::parse(&jwks).map_err(|_| FetchError::Malformed("key set is not a JWKS"))
    }

    /// One HTTPS GET, bounded by [`FETCH_TIMEOUT`] and
    /// [`MAX_DOCUMENT_BYTES`].
    async fn get(&self, url: &str, thumbprints: &[String]) -> Result<Vec<u8>, FetchError> {
        let target = HttpsUrl::parse(url).ok_or(FetchError::Malformed("URL is not https"))?;
        let verifier = Arc::new(IdpCertVerifier {
            system: self.system.clone(),
            thumbprints: thumbprints.to_vec(),
            provider: Arc::clone(&self.provider),
            mismatch: AtomicBool::new(false),
        });
        let config = rustls::ClientConfig::builder_with_provider(Arc::clone(&self.provider))
            .with_safe_default_protocol_versions()
            .map_err(|e| FetchError::Unreachable(e.to_string()))?
            .dangerous()
            .with_custom_certificate_verifier(Arc::clone(&verifier) as Arc<dyn ServerCertVerifier>)
            .with_no_client_auth();
        let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
        let server_name = ServerName::try_from(target.host.clone())
            .map_err(|_| FetchError::Malformed("host is not a DNS name or IP address"))?;
        let exchange = async {
            let tcp = tokio::net::TcpStream::connect((target.host.as_str(), target.port))
                .await
                .map_err(|e| FetchError::Unreachable(format!("connect: {e}")))?;
            let tls = connector.connect(server_name, tcp).await.map_err(|e| {
                if verifier.mismatch.load(Ordering::Relaxed) {
                    FetchError::Thumbprint
                } else {
                    FetchError::Unreachable(format!("TLS: {e}"))
                }
            })?;
            let (mut sender, connection) =
                hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tls))
                    .await
                    .map_err(|e| FetchError::Unreachable(format!("HTTP: {e}")))?;
            let request = hyper::Request::get(target.path_and_query.as_str())
                .header(hyper::header::HOST, target.authority.as_str())
                .header(hyper::header::ACCEPT, "application/json")
                .header(hyper::header::USER_AGENT, "tessera")
                .body(Empty::<Bytes>::new())
                .map_err(|_| FetchError::Malformed("URL path is not valid"))?;
            // The request and its connection are driven together, so
            // that the timeout around both bounds everything.
            let response = async move {
                let response = sender
                    .send_request(request)
                    .await
                    .map_err(|e| FetchError::Unreachable(format!("HTTP: {e}")))?;
                if !response.status().is_success() {
                    return Err(FetchError::Unreachable(format!(
                        "HTTP status {}",
                        response.status()
                    )));
                }
                let body = Limited::new(response.into_body(), MAX_DOCUMENT_BYTES)
                    .collect()
                    .await
                    .map_err(|e| FetchError::Unreachable(format!("body: {e}")))?;
                Ok(body.to_bytes().to_vec())
            };
            let (body, _) = tokio::join!(response, connection);
            body
        };
        tokio::time::timeout(FETCH_TIMEOUT, exchange)
            .await
            .map_err(|_| FetchError::Unreachable("timed out".into()))?
    }
}

/// The parts of an `https://` URL a GET needs.
struct HttpsUrl {
    host: String,
    port: u16,
    authority: String,
    path_and_query: String,
}

impl HttpsUrl {
    fn parse(url: &str) -> Option<HttpsUrl> {
        let rest = url.strip_prefix("https://")?;
        let (authority, path) = match rest.find('/') {
            Some(i) => (rest.get(..i)?, rest.get(i..)?),
            None => (rest, "/"),
        };
        if authority.is_empty() || authority.contains('@') {
            return None;
        }
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) if !host.ends_with(']') || authority.starts_with('[') => {
                (host, port.parse().ok()?)
            }
            _ => (authority, 443),
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        Some(HttpsUrl {
            host: host.to_string(),
            port,
            authority: authority.to_string(),
            path_and_query: path.split('#').next().unwrap_or("/").to_string(),
        })
    }
}

/// Trusts a server certificate that chains to the system's roots, or
/// whose chain's top certificate has one of the provider's thumbprints.
#[derive(Debug)]
struct IdpCertVerifier {
    system: Option<Arc<WebPkiServerVerifier>>,
    thumbprints: Vec<String>,
    provider: Arc<CryptoProvider>,
    mismatch: AtomicBool,
}

impl ServerCertVerifier for IdpCertVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Some(system) = &self.system {
            if let Ok(verified) = system.verify_server_cert(
                end_entity,
                intermediates,
                server_name,
                ocsp_response,
                now,
            ) {
                return Ok(verified);
            }
        }
        let top = intermediates.last().unwrap_or(end_entity);
        let thumbprint = hex::encode(Sha1::digest(top.as_ref()));
        if !self.thumbprints.contains(&thumbprint) {
            self.mismatch.store(true, Ordering::Relaxed);
            return Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::UnknownIssuer,
            ));
        }
        // The pinned certificate becomes the trust anchor: the chain must
        // still lead to it, be in date and name the host.
        let mut roots = RootCertStore::empty();
        roots.add(top.clone().into_owned()).map_err(|_| {
            rustls::Error::InvalidCertificate(rustls::CertificateError::BadEncoding)
        })?;
        let pinned = WebPkiServerVerifier::builder_with_provider(
            Arc::new(roots),
            Arc::clone(&self.provider),
        )
        .build()
        .map_err(|e| rustls::Error::General(e.to_string()))?;
        pinned.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::HttpsUrl;

    #[test]
    fn https_urls_split_into_host_port_and_path() {
        let url = HttpsUrl::parse("https://idp.example.com:8443/realm/keys?x=1").expect("url");
        assert_eq!(
            (url.host.as_str(), url.port, url.authority.as_str()),
            ("idp.example.com", 8443, "idp.example.com:8443")
        );
        assert_eq!(url.path_and_query, "/realm/keys?x=1");
        let url = HttpsUrl::parse("https://idp.example.com").expect("url");
        assert_eq!((url.port, url.path_and_query.as_str()), (443, "/"));
        assert!(HttpsUrl::parse("http://idp.example.com/").is_none());
        assert!(HttpsUrl::parse("https://user@idp.example.com/").is_none());
    }
}
