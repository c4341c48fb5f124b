//! The HTTP surface: one catch-all route handing every request to the
//! pipeline, as AWS's Query endpoints accept any path.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderValue, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;

use crate::pipeline::{self, Incoming};
use crate::state::AppState;

/// The largest request body accepted. IAM's largest inputs (policy
/// documents, certificates) are far smaller.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The router serving every path. Serve it with
/// `into_make_service_with_connect_info::<SocketAddr>()`: the client's
/// address is `aws:SourceIp`.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new().fallback(serve_request).with_state(state)
}

async fn serve_request(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    request: Request<Body>,
) -> Response {
    let (parts, body) = request.into_parts();
    let body = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return (StatusCode::PAYLOAD_TOO_LARGE, "request body too large").into_response();
        }
    };
    let incoming = Incoming {
        method: parts.method.as_str().to_string(),
        path: parts.uri.path().to_string(),
        query: parts.uri.query().unwrap_or("").to_string(),
        headers: parts.headers,
        body,
        peer: Some(peer),
    };
    let out = pipeline::handle(state, incoming).await;
    let status = StatusCode::from_u16(out.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status, out.body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/xml"));
    if let Ok(id) = HeaderValue::from_str(&out.request_id) {
        headers.insert("x-amzn-RequestId", id);
    }
    response
}
