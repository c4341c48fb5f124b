//! The HTTP surface: one catch-all route handing every request to the
//! pipeline, as AWS's Query endpoints accept any path, except the two
//! unauthenticated documents of each outbound federation issuer
//! (`GET /tokens/ID/.well-known/openid-configuration` and
//! `…/jwks.json`), which external services read to verify the tokens
//! `GetWebIdentityToken` issues.

use std::sync::Arc;
use std::time::Duration;

pub use crate::body::MAX_BODY_BYTES;
use crate::body::{BodyReader, BodyRefusal};

use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderValue, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;

use crate::pipeline::{self, Incoming};
use crate::state::AppState;

/// What the route needs beyond the shared state.
#[derive(Clone)]
struct Route {
    state: Arc<AppState>,
    bodies: BodyReader,
}

/// The router serving every path. The client's address, `aws:SourceIp`,
/// comes from a `ConnectInfo<SocketAddr>` extension of each request (the
/// listener adds it); a request's body must arrive within
/// `body_read_timeout` once its head was read.
pub fn router(state: Arc<AppState>, body_read_timeout: Duration) -> Router {
    Router::new().fallback(serve_request).with_state(Route {
        state,
        bodies: BodyReader::new(body_read_timeout),
    })
}

async fn serve_request(
    State(route): State<Route>,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    request: Request<Body>,
) -> Response {
    let (parts, body) = request.into_parts();
    if parts.method == axum::http::Method::GET {
        if let Some((issuer_id, document)) = tessera_iam::outbound::document_path(parts.uri.path())
        {
            return issuer_document(&route.state, issuer_id, document);
        }
    }
    let body = match route.bodies.read(&parts.headers, body).await {
        Ok(body) => body,
        Err(BodyRefusal::TooLarge) => return refusal(&route.state, body_too_large()),
        Err(BodyRefusal::TooSlow) => return refusal(&route.state, body_too_slow()),
    };
    let incoming = Incoming {
        method: parts.method.as_str().to_string(),
        path: parts.uri.path().to_string(),
        query: parts.uri.query().unwrap_or("").to_string(),
        headers: parts.headers,
        body: body.bytes.clone(),
        peer: Some(peer),
    };
    let out = pipeline::handle(route.state, incoming).await;
    // The body's share of the budget is given back only now: the
    // pipeline held the bytes until here.
    drop(body);
    xml_response(out)
}

/// An issuer's discovery document or JWKS, from the snapshot: no
/// signature, no body, no store read. An unknown issuer is a 404.
fn issuer_document(
    state: &AppState,
    issuer_id: &str,
    document: tessera_iam::outbound::Document,
) -> Response {
    let snapshot = state.snapshot.load();
    match tessera_iam::outbound::document(&snapshot, &state.public_url, issuer_id, document) {
        Some(json) => {
            let mut response = (StatusCode::OK, json).into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            // Verifiers may cache the keys a while; a new key appears only
            // when the feature is first enabled.
            headers.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=300"),
            );
            response
        }
        None => (
            StatusCode::NOT_FOUND,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            r#"{"error":"no such issuer"}"#,
        )
            .into_response(),
    }
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
fn refusal(state: &AppState, error: tessera_wire::ApiError) -> Response {
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

fn xml_response(out: pipeline::Outgoing) -> Response {
    let status = StatusCode::from_u16(out.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status, out.body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/xml"));
    if let Ok(id) = HeaderValue::from_str(&out.request_id) {
        headers.insert("x-amzn-RequestId", id);
    }
    response
}
