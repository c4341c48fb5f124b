//! `tessera-floor`: the HTTP floor the server is measured against. An axum
//! server on the same runtime as Tessera's that reads each request whole
//! and answers every one with the same static `GetCallerIdentity` document,
//! as Tessera would answer it: nothing is parsed, signed or looked up, so
//! what it serves per second is what HTTP over loopback alone allows on
//! this machine. `scripts/bench-server.sh` runs it beside the server and
//! reports each scenario as a share of it.

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::http::{header, HeaderValue};
use axum::response::IntoResponse;

/// What Tessera answers a root's `GetCallerIdentity`, byte for byte in
/// shape (the request id is fixed here).
const ANSWER: &str = concat!(
    "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">",
    "<GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:root</Arn>",
    "<UserId>123456789012</UserId><Account>123456789012</Account></GetCallerIdentityResult>",
    "<ResponseMetadata><RequestId>c2a8e5e4-8f7b-4c39-9d0e-6b1f2a3c4d5e</RequestId></ResponseMetadata>",
    "</GetCallerIdentityResponse>"
);

async fn answer(body: Bytes) -> impl IntoResponse {
    // The body is read whole, as Tessera reads it, then ignored.
    drop(body);
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("text/xml")),
            (
                header::HeaderName::from_static("x-amzn-requestid"),
                HeaderValue::from_static("c2a8e5e4-8f7b-4c39-9d0e-6b1f2a3c4d5e"),
            ),
        ],
        ANSWER,
    )
}

fn main() -> std::process::ExitCode {
    let listen: SocketAddr = match std::env::args()
        .nth(1)
        .as_deref()
        .unwrap_or("127.0.0.1:0")
        .parse()
    {
        Ok(address) => address,
        Err(error) => {
            eprintln!("tessera-floor: usage: tessera-floor [ADDRESS:PORT] ({error})");
            return std::process::ExitCode::from(2);
        }
    };
    if !listen.ip().is_loopback() {
        eprintln!("tessera-floor: listens on loopback only, not {listen}");
        return std::process::ExitCode::from(2);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("tessera-floor: {error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let served = runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(listen).await?;
        println!("Listening on http://{}", listener.local_addr()?);
        let app = axum::Router::new().fallback(answer);
        axum::serve(listener, app).await
    });
    match served {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("tessera-floor: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}
