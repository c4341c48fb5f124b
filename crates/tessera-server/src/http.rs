//! The HTTP surface: every request handed to the pipeline, as AWS's Query
//! endpoints accept any path, except the two
//! unauthenticated documents of each outbound federation issuer
//! (`GET /tokens/ID/.well-known/openid-configuration` and
//! `…/jwks.json`), which external services read to verify the tokens
//! `GetWebIdentityToken` issues.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

pub use crate::body::MAX_BODY_BYTES;
use crate::body::{BodyReader, BodyRefusal};

use axum::body::Bytes;
use axum::http::{header, HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::Full;

use crate::pipeline::{self, Incoming};
use crate::state::AppState;

/// An answer of the data port: always a whole body.
pub type DataResponse = Response<Full<Bytes>>;

/// What serves every request of the data port: the shared state and the
/// body reader. The listener calls it directly, with the client's
/// address (`aws:SourceIp`); there is nothing to route, so no router sits
/// between the connection and the pipeline.
#[derive(Clone)]
pub struct DataPlane {
    state: Arc<AppState>,
    bodies: BodyReader,
}

impl DataPlane {
    /// Serves `state`; a request's body must arrive within
    /// `body_read_timeout` once its head was read.
    pub fn new(state: Arc<AppState>, body_read_timeout: Duration) -> Self {
        DataPlane {
            state,
            bodies: BodyReader::new(body_read_timeout),
        }
    }

    /// Answers `request`, sent from `peer`.
    pub async fn serve<B>(&self, request: Request<B>, peer: SocketAddr) -> DataResponse
    where
        B: hyper::body::Body<Data = Bytes>,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let (parts, body) = request.into_parts();
        if parts.method == Method::GET {
            if let Some((issuer_id, document)) =
                tessera_iam::outbound::document_path(parts.uri.path())
            {
                return issuer_document(&self.state, issuer_id, document);
            }
        }
        let body = match self.bodies.read(&parts.headers, body).await {
            Ok(body) => body,
            Err(BodyRefusal::TooLarge) => return refusal(&self.state, body_too_large()),
            Err(BodyRefusal::TooSlow) => return refusal(&self.state, body_too_slow()),
        };
        let incoming = Incoming {
            method: parts.method,
            uri: parts.uri,
            headers: parts.headers,
            body: body.bytes.clone(),
            peer: Some(peer),
        };
        let out = pipeline::handle(Arc::clone(&self.state), incoming).await;
        // The body's share of the budget is given back only now: the
        // pipeline held the bytes until here.
        drop(body);
        xml_response(out)
    }
}

/// An issuer's discovery document or JWKS, from the snapshot: no
/// signature, no body, no store read. An unknown issuer is a 404.
fn issuer_document(
    state: &AppState,
    issuer_id: &str,
    document: tessera_iam::outbound::Document,
) -> DataResponse {
    let snapshot = state.snapshot.load();
    match tessera_iam::outbound::document(&snapshot, &state.public_url, issuer_id, document) {
        Some(json) => {
            let mut response = json_response(StatusCode::OK, Bytes::from(json));
            // Verifiers may cache the keys a while; a new key appears only
            // when the feature is first enabled.
            response.headers_mut().insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=300"),
            );
            response
        }
        None => json_response(
            StatusCode::NOT_FOUND,
            Bytes::from_static(br#"{"error":"no such issuer"}"#),
        ),
    }
}

fn json_response(status: StatusCode, body: Bytes) -> DataResponse {
    whole_response(status, body, "application/json")
}

/// An answer with `body` whole, of `content_type`.
fn whole_response(status: StatusCode, body: Bytes, content_type: &'static str) -> DataResponse {
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

fn body_too_large() -> tessera_wire::ApiError {
    let mut error = tessera_wire::common_error(
        "RequestEntityTooLarge",
        format!("Request body must be no larger than {MAX_BODY_BYTES} bytes."),
    );
    error.status = 413;
    error
}

/// S3's answer to a client that stops sending mid-request; IAM documents
/// none of its own.
fn body_too_slow() -> tessera_wire::ApiError {
    tessera_wire::common_error(
        "RequestTimeout",
        "Your socket connection to the server was not read from or written to within the timeout period.",
    )
}

/// An error answered before the pipeline ran, in IAM's XML (the service
/// is not known yet), on a connection then closed: whatever of the body is
/// still coming is not read.
fn refusal(state: &AppState, error: tessera_wire::ApiError) -> DataResponse {
    let request_id = tessera_iam::ids::new_request_id(state.random.as_ref());
    let model = tessera_wire::iam();
    let out = pipeline::Outgoing {
        status: error.status,
        body: error.to_xml(model.xml_namespace(), &request_id),
        request_id,
    };
    let mut response = xml_response(out);
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

fn xml_response(out: pipeline::Outgoing) -> DataResponse {
    let status = StatusCode::from_u16(out.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = whole_response(status, Bytes::from(out.body), "text/xml");
    // The id is moved into the header, not copied.
    if let Ok(id) = HeaderValue::from_maybe_shared(Bytes::from(out.request_id)) {
        response.headers_mut().insert(REQUEST_ID, id);
    }
    response
}

/// `x-amzn-RequestId`, as header names are sent: in lower case.
const REQUEST_ID: header::HeaderName = header::HeaderName::from_static("x-amzn-requestid");
