//! The admin listener (`--admin-listen`), apart from the data port so that
//! it can stay off the network clients reach: `/metrics` in the Prometheus
//! text format, `/healthz` (the process answers) and `/readyz` (the store
//! answers a read and the snapshot is loaded).

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::state::AppState;

/// How long `/readyz` waits for the store before calling it unreachable.
const STORE_PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// The admin routes.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .with_state(state)
}

/// Milliseconds since the epoch by the server's clock.
pub(crate) fn now_ms(state: &AppState) -> u64 {
    state
        .clock
        .now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    let revision = state.snapshot.load().revision();
    let body = state.metrics.render(revision, now_ms(&state));
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
        .into_response()
}

async fn healthz() -> &'static str {
    "ok\n"
}

async fn readyz(State(state): State<Arc<AppState>>) -> Response {
    if state.snapshot.load().revision() == 0 {
        return (StatusCode::SERVICE_UNAVAILABLE, "snapshot not loaded\n").into_response();
    }
    let probe = {
        let state = Arc::clone(&state);
        tokio::task::spawn_blocking(move || tessera_store::read(state.store.as_ref(), |_| Ok(())))
    };
    match tokio::time::timeout(STORE_PROBE_TIMEOUT, probe).await {
        Ok(Ok(Ok(()))) => "ready\n".into_response(),
        Ok(Ok(Err(error))) => {
            tracing::warn!(%error, "readiness probe: the store refused a read");
            (StatusCode::SERVICE_UNAVAILABLE, "store unreachable\n").into_response()
        }
        Ok(Err(_)) | Err(_) => {
            (StatusCode::SERVICE_UNAVAILABLE, "store unreachable\n").into_response()
        }
    }
}

/// Serves the admin routes on `listener` until the task is aborted.
pub fn spawn(
    listener: tokio::net::TcpListener,
    state: Arc<AppState>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, router(state)).await {
            tracing::error!(%error, "the admin listener failed");
        }
    })
}
