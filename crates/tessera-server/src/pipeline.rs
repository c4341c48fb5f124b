//! The request path, from raw HTTP parts to the encoded answer.
//!
//! ```text
//! query/form decode → SigV4 parse → key lookup (snapshot) → verify
//!   → operation lookup → input decode (model) → authorize → operation
//!   → refresh snapshot (if the store was touched) → encode (model)
//! ```

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;
use tessera_iam::authz::RequestFacts;
use tessera_iam::caller::Caller;
use tessera_iam::credentials;
use tessera_iam::dispatch::Refusal;
use tessera_iam::ids;
use tessera_iam::ops::{self, Service, StoreUse};
use tessera_iam::snapshot::Snapshot;
use tessera_sigv4::{RequestParts, SecretKey, SigV4Error, VerifiedRequest};
use tessera_wire::{ApiError, ServiceModel};
use time::OffsetDateTime;

use crate::metered_store::thread_store_time;
use crate::request_log::Observed;
use crate::state::AppState;

/// An HTTP request as the pipeline needs it.
pub struct Incoming {
    /// The method, e.g. `POST`.
    pub method: String,
    /// The raw path as received.
    pub path: String,
    /// The raw query string, without `?`.
    pub query: String,
    /// The headers as received. A value that is not visible ASCII is seen
    /// as empty by SigV4, so a signature over it cannot match.
    pub headers: axum::http::HeaderMap,
    /// The body, as received (no copy).
    pub body: axum::body::Bytes,
    /// The client's address, when the listener knows it.
    pub peer: Option<std::net::SocketAddr>,
}

/// The answer to send.
#[derive(Debug)]
pub struct Outgoing {
    /// The HTTP status.
    pub status: u16,
    /// The XML body.
    pub body: String,
    /// The request id, also sent as `x-amzn-RequestId`.
    pub request_id: String,
}

/// Handles one request. Never fails: every problem becomes an AWS error
/// document.
pub async fn handle(state: Arc<AppState>, request: Incoming) -> Outgoing {
    let mut observed = Observed::start();
    let request_id = ids::new_request_id(state.random.as_ref());
    let mut code = String::new();
    let outgoing = match process(&state, &request, &mut observed).await {
        Ok(Answer {
            model,
            operation,
            output,
        }) => match model.encode_output(operation, &output, &request_id) {
            Ok(body) => Outgoing {
                status: 200,
                body,
                request_id,
            },
            Err(error) => {
                tracing::error!(operation, %error, "response could not be encoded");
                let failure = tessera_wire::common_error(
                        "InternalFailure",
                        "The request processing has failed because of an unknown error, exception or failure.",
                    );
                code.clone_from(&failure.code);
                error_answer(model, &failure, request_id)
            }
        },
        Err(Failure { model, error }) => {
            code.clone_from(&error.code);
            error_answer(model, &error, request_id)
        }
    };
    observed.finish(
        &state.metrics,
        &outgoing.request_id,
        request.peer.map(|p| p.ip()),
        outgoing.status,
        &code,
    );
    outgoing
}

struct Answer {
    model: &'static ServiceModel,
    operation: &'static str,
    output: Value,
}

struct Failure {
    model: &'static ServiceModel,
    error: ApiError,
}

fn error_answer(model: &ServiceModel, error: &ApiError, request_id: String) -> Outgoing {
    Outgoing {
        status: error.status,
        body: error.to_xml(model.xml_namespace(), &request_id),
        request_id,
    }
}

fn sigv4_error(error: &SigV4Error) -> ApiError {
    let mut api = tessera_wire::common_error(error.code(), error.message());
    api.status = error.http_status();
    api
}

/// The Query parameters of a request: the URL's, then the form body's.
fn query_params(request: &Incoming) -> Result<Vec<(String, String)>, ApiError> {
    let mut params = tessera_wire::parse_query_pairs(request.query.as_bytes())?;
    if request.method.eq_ignore_ascii_case("POST") && !request.body.is_empty() {
        params.extend(tessera_wire::parse_query_pairs(&request.body)?);
    }
    Ok(params)
}

fn param<'p>(params: &'p [(String, String)], name: &str) -> Option<&'p str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The model to answer errors with before the signing service is known:
/// STS when the request names STS's API version, else IAM.
fn guess_model(params: &[(String, String)]) -> &'static ServiceModel {
    if param(params, "Version") == Some(tessera_wire::sts().api_version()) {
        tessera_wire::sts()
    } else {
        tessera_wire::iam()
    }
}

async fn process(
    state: &Arc<AppState>,
    request: &Incoming,
    observed: &mut Observed,
) -> Result<Answer, Failure> {
    let fallback = tessera_wire::iam();
    let params = query_params(request).map_err(|error| Failure {
        model: fallback,
        error,
    })?;
    let guessed = guess_model(&params);
    let fail = |model: &'static ServiceModel| move |error: ApiError| Failure { model, error };

    let headers: Vec<(&str, &str)> = request
        .headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.to_str().unwrap_or("")))
        .collect();
    let parts = RequestParts {
        method: &request.method,
        path: &request.path,
        query: &request.query,
        headers: &headers,
        body: request.body.as_ref(),
    };
    let signed = tessera_sigv4::parse(&parts)
        .map_err(|e| sigv4_error(&e))
        .map_err(fail(guessed))?;
    let service = Service::from_signing_name(signed.service()).ok_or_else(|| Failure {
        model: guessed,
        error: tessera_wire::common_error(
            "InvalidClientTokenId",
            format!(
                "This server answers the iam and sts services; the request is signed for '{}'.",
                signed.service()
            ),
        ),
    })?;
    observed.service(service);
    let model = match service {
        Service::Iam => tessera_wire::iam(),
        Service::Sts => tessera_wire::sts(),
    };

    let now = state.clock.now();
    let snapshot = state.snapshot.load();
    let (verified, caller) =
        authenticate(state, &snapshot, signed, &parts, now).map_err(fail(model))?;
    observed.caller(&caller);

    let action = param(&params, "Action").ok_or_else(|| Failure {
        model,
        error: tessera_wire::common_error("MissingAction", "Missing Action"),
    })?;
    if !model.has_operation(action) {
        return Err(Failure {
            model,
            error: model.invalid_action(action),
        });
    }
    let Some(operation) = ops::find(service, action) else {
        return Err(Failure {
            model,
            error: model.not_implemented(action),
        });
    };
    observed.action(operation.name);
    let input = model.decode_input(action, &params).map_err(fail(model))?;

    let facts = RequestFacts {
        now: to_offset(now),
        source_ip: request.peer.map(|p| p.ip()),
        user_agent: request
            .headers
            .get(axum::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        secure_transport: false,
        region: verified.region().to_string(),
    };
    let target = match state
        .domain()
        .authorize_explained(&snapshot, &caller, operation, &input, &facts)
    {
        Ok(target) => {
            observed.allowed(&state.metrics);
            target
        }
        Err(Refusal { error, denial }) => {
            if let Some(denial) = denial {
                observed.denied(&state.metrics, denial);
            }
            return Err(Failure {
                model,
                error: model.error(error.code, error.message),
            });
        }
    };

    let now = facts.now;
    let assumed_role = (operation.op == ops::Op::AssumeRole)
        .then(|| target.trust.as_ref().map(|t| t.role_id.clone()))
        .flatten();
    let output = if operation.store != StoreUse::None {
        let state = Arc::clone(state);
        let result = tokio::task::spawn_blocking(move || {
            let before = thread_store_time();
            let output = state
                .domain()
                .execute(&snapshot, &caller, operation, &target, &input, now);
            (output, thread_store_time() - before)
        })
        .await;
        match result {
            Ok((output, store_time)) => {
                observed.store_time(store_time);
                output
            }
            Err(join) => {
                tracing::error!(%join, "operation task failed");
                Err(tessera_iam::IamError::service_failure())
            }
        }
    } else {
        state
            .domain()
            .execute(&snapshot, &caller, operation, &target, &input, now)
    };
    if let (Some(role_id), Ok(_)) = (&assumed_role, &output) {
        state
            .role_use
            .record(role_id, now.unix_timestamp(), &facts.region);
    }
    let output = output.map_err(|e| Failure {
        model,
        error: model.error(e.code, e.message),
    })?;
    Ok(Answer {
        model,
        operation: operation.name,
        output,
    })
}

/// Resolves the signing key in the snapshot and verifies the signature.
/// In emulator mode a key the server does not know is accepted, unverified,
/// as the default account's root.
fn authenticate(
    state: &AppState,
    snapshot: &Snapshot,
    signed: tessera_sigv4::SignedRequest,
    parts: &RequestParts<'_>,
    now: SystemTime,
) -> Result<(VerifiedRequest, Caller), ApiError> {
    let presented = credentials::Presented {
        access_key_id: signed.access_key_id(),
        region: signed.region(),
        service: signed.service(),
        session_token: signed.security_token(),
        now: unix_seconds(now),
    };
    match credentials::resolve(snapshot, &presented, &state.sessions) {
        credentials::Resolved::Key { caller, secret } => {
            let secret = SecretKey::new(secret.expose().to_string());
            let access_key_id = signed.access_key_id().to_string();
            let temporary = signed.security_token().is_some();
            let verified = state
                .verifier
                .verify(signed, parts, &secret, now)
                .map_err(|e| sigv4_error(&e))?;
            if !temporary {
                state.last_used.record(
                    &access_key_id,
                    unix_seconds(now),
                    verified.service(),
                    verified.region(),
                );
            }
            Ok((verified, caller))
        }
        credentials::Resolved::Unknown if state.emulator => {
            let verified = tessera_sigv4::accept_unverified_in_emulator_mode(signed);
            Ok((
                verified,
                credentials::emulator_caller(snapshot, &state.default_account),
            ))
        }
        credentials::Resolved::Expired => Err(tessera_wire::common_error(
            "ExpiredToken",
            "The security token included in the request is expired",
        )),
        credentials::Resolved::Unknown | credentials::Resolved::Refused => {
            Err(sigv4_error(&SigV4Error::unknown_access_key()))
        }
    }
}

fn unix_seconds(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

fn to_offset(t: SystemTime) -> OffsetDateTime {
    OffsetDateTime::from(t)
}
