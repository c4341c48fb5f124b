//! The request path, from raw HTTP parts to the encoded answer.
//!
//! ```text
//! method check → SigV4 parse → key lookup (snapshot) → verify
//!   → query/form decode → operation lookup (Action and Version)
//!   → input decode (model) → authorize → operation
//!   → refresh snapshot (if the store was touched) → encode (model)
//! ```
//!
//! The parameters are decoded only once the signature holds: an
//! unauthenticated client costs a scan of its bytes, not the decoding of
//! every pair it sent (the header form signs the body's hash, and the
//! presigned form the query, so neither needs the decoded parameters).

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;
use tessera_iam::authz::{OverBudget, RequestFacts};
use tessera_iam::caller::Caller;
use tessera_iam::credentials;
use tessera_iam::dispatch::Refusal;
use tessera_iam::ids;
use tessera_iam::ops::{self, Output, Service, StoreUse};
use tessera_iam::snapshot::Snapshot;
use tessera_sigv4::{RequestParts, SigV4Error, VerifiedRequest};
use tessera_wire::{ApiError, QueryPair, ServiceModel};
use time::OffsetDateTime;

use crate::metered_store::thread_store_time;
use crate::request_log::Observed;
use crate::state::AppState;

/// An HTTP request as the pipeline needs it.
pub struct Incoming {
    /// The method, e.g. `POST`.
    pub method: axum::http::Method,
    /// The target as received: the raw path and query.
    pub uri: axum::http::Uri,
    /// The headers as received. A value that is not visible ASCII is seen
    /// as empty by SigV4, so a signature over it cannot match.
    pub headers: axum::http::HeaderMap,
    /// The body, as received (no copy).
    pub body: axum::body::Bytes,
    /// The client's address, when the listener knows it.
    pub peer: Option<std::net::SocketAddr>,
}

impl Incoming {
    /// The raw path as received.
    pub fn path(&self) -> &str {
        self.uri.path()
    }

    /// The raw query string, without `?`; empty when there is none.
    pub fn query(&self) -> &str {
        self.uri.query().unwrap_or("")
    }
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
        }) => match encode(model, operation, &output, &request_id) {
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
    output: Output,
}

/// The XML answer: ordered members go straight to the encoder, a JSON
/// value through the encoder's lookups by member name.
fn encode(
    model: &ServiceModel,
    operation: &str,
    output: &Output,
    request_id: &str,
) -> Result<String, tessera_wire::EncodeError> {
    match output {
        Output::Value(value) => model.encode_output(operation, value, request_id),
        Output::Members(members) => model.encode_serialized(operation, members, request_id),
    }
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

/// The most Query parameters a request may carry. IAM's largest inputs
/// (a simulation's context entries, a hundred OpenID Connect client ids,
/// fifty tags) stay well below it.
pub const MAX_PARAMETERS: usize = 1000;

/// The raw `application/x-www-form-urlencoded` text a request's parameters
/// come from: the URL's query, and a POST's body.
fn raw_param_sources(request: &Incoming) -> [&[u8]; 2] {
    let body: &[u8] = if request.method.as_str().eq_ignore_ascii_case("POST") {
        &request.body
    } else {
        &[]
    };
    [request.query().as_bytes(), body]
}

/// How many parameters the request carries, counted without decoding any.
fn parameter_count(request: &Incoming) -> usize {
    raw_param_sources(request)
        .iter()
        .map(|raw| raw.split(|&b| b == b'&').filter(|s| !s.is_empty()).count())
        .sum()
}

/// The Query parameters of a request: the URL's, then the form body's,
/// borrowed from the request where they need no decoding.
fn query_params(request: &Incoming) -> Result<Vec<QueryPair<'_>>, ApiError> {
    if parameter_count(request) > MAX_PARAMETERS {
        return Err(tessera_wire::common_error(
            "InvalidQueryParameter",
            format!("The request has more than {MAX_PARAMETERS} parameters."),
        ));
    }
    let mut params = Vec::new();
    for raw in raw_param_sources(request) {
        if !raw.is_empty() {
            params.extend(tessera_wire::parse_query_pairs(raw)?);
        }
    }
    Ok(params)
}

/// The region an unsigned request is answered in (`aws:RequestedRegion`):
/// it names none, and STS's global endpoint is `us-east-1`'s.
const UNSIGNED_REGION: &str = "us-east-1";

/// The first raw value of the parameter whose `name=` prefix is given,
/// read from the text without decoding anything (the protocol's action
/// and version values are plain ASCII).
fn raw_param<'r>(request: &'r Incoming, prefix: &[u8]) -> Option<&'r [u8]> {
    raw_param_sources(request)
        .into_iter()
        .flat_map(|raw| raw.split(|&b| b == b'&'))
        .find_map(|pair| pair.strip_prefix(prefix))
}

/// The `Action` a request names, read from the raw text.
fn raw_action(request: &Incoming) -> Option<&str> {
    raw_param(request, b"Action=").and_then(|action| std::str::from_utf8(action).ok())
}

fn param<'p>(params: &'p [QueryPair<'_>], name: &str) -> Option<&'p str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_ref())
}

/// The service to answer as before the signing service is known: STS
/// when the request names STS's API version, else IAM. Read from the raw
/// text, so nothing is decoded before the signature is checked.
fn guess_service(request: &Incoming) -> Service {
    let sts_version = tessera_wire::sts().api_version().as_bytes();
    let names_sts = raw_param(request, b"Version=").is_some_and(|version| version == sts_version);
    if names_sts {
        Service::Sts
    } else {
        Service::Iam
    }
}

fn model_of(service: Service) -> &'static ServiceModel {
    match service {
        Service::Iam => tessera_wire::iam(),
        Service::Sts => tessera_wire::sts(),
    }
}

/// The methods the Query protocol is spoken over.
fn is_query_method(method: &str) -> bool {
    method.eq_ignore_ascii_case("GET") || method.eq_ignore_ascii_case("POST")
}

async fn process(
    state: &Arc<AppState>,
    request: &Incoming,
    observed: &mut Observed,
) -> Result<Answer, Failure> {
    let guessed_service = guess_service(request);
    let guessed = model_of(guessed_service);
    let fail = |model: &'static ServiceModel| move |error: ApiError| Failure { model, error };
    if !is_query_method(request.method.as_str()) {
        // S3's answer for a method a resource does not take; IAM and STS
        // document GET and POST only.
        let mut error = tessera_wire::common_error(
            "MethodNotAllowed",
            "The specified method is not allowed against this resource.",
        );
        error.status = 405;
        return Err(fail(guessed)(error));
    }

    let headers: Vec<(&str, &str)> = request
        .headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.to_str().unwrap_or("")))
        .collect();
    let parts = RequestParts {
        method: request.method.as_str(),
        path: request.path(),
        query: request.query(),
        headers: &headers,
        body: request.body.as_ref(),
    };
    let signed = match tessera_sigv4::parse(&parts) {
        Ok(signed) => Some(signed),
        // A federation call needs no signature: its token is its
        // authentication, checked once its input is decoded.
        Err(SigV4Error::MissingAuthenticationToken)
            if raw_action(request).is_some_and(|a| ops::accepts_unsigned(guessed_service, a)) =>
        {
            None
        }
        Err(e) => return Err(fail(guessed)(sigv4_error(&e))),
    };
    let service = match &signed {
        Some(signed) => Service::from_signing_name(signed.service()).ok_or_else(|| {
            let expected = SigV4Error::wrong_service(guessed_service.prefix());
            fail(guessed)(sigv4_error(&expected))
        })?,
        None => guessed_service,
    };
    observed.service(service);
    let model = model_of(service);

    let now = state.clock.now();
    let snapshot = state.snapshot.load();
    let (region, signer) = match signed {
        Some(signed) => {
            let (verified, caller) =
                authenticate(state, &snapshot, signed, &parts, now).map_err(fail(model))?;
            (verified.region().to_string(), Some(caller))
        }
        None => (UNSIGNED_REGION.to_string(), None),
    };

    // Only a request whose signature holds (the header form signs the
    // body's hash), or a federation call, has its parameters decoded.
    let params = query_params(request).map_err(fail(model))?;
    let action = param(&params, "Action").ok_or_else(|| Failure {
        model,
        error: tessera_wire::common_error("MissingAction", "Missing Action"),
    })?;
    let version = param(&params, "Version");
    if version != Some(model.api_version()) || !model.has_operation(action) {
        return Err(Failure {
            model,
            error: model.operation_not_found(action, version),
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
    // A federation call's caller is the identity its token vouches for,
    // whoever signed it. A web identity token's keys are fetched first.
    let federated = if operation.op == ops::Op::AssumeRoleWithWebIdentity {
        Some(web_identity_caller(state, &snapshot, &input, now).await)
    } else {
        ops::federated_caller(operation, &snapshot, &input, to_offset(now))
    };
    let caller = match (federated, signer) {
        (Some(Ok(federated)), _) => Arc::new(federated),
        (Some(Err(e)), _) => {
            return Err(Failure {
                model,
                error: model.error(e.code, e.message),
            })
        }
        (None, Some(signer)) => signer,
        (None, None) => {
            return Err(fail(model)(sigv4_error(
                &SigV4Error::MissingAuthenticationToken,
            )))
        }
    };
    observed.caller(&caller);

    let facts = RequestFacts {
        now: to_offset(now),
        source_ip: request.peer.map(|p| p.ip()),
        user_agent: request
            .headers
            .get(axum::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        secure_transport: false,
        region,
    };
    let decided = state.domain().authorize_within(
        &snapshot,
        &caller,
        operation,
        &input,
        &facts,
        crate::costly::INLINE_WORK_BUDGET,
    );
    let decided = match decided {
        Ok(decided) => decided,
        Err(OverBudget) => {
            decide_off_the_workers(state, &snapshot, &caller, operation, &input, &facts).await
        }
    };
    let target = match decided {
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
    let assumed_role = matches!(
        operation.op,
        ops::Op::AssumeRole | ops::Op::AssumeRoleWithWebIdentity | ops::Op::AssumeRoleWithSAML
    )
    .then(|| target.trust.as_ref().map(|t| t.role_id.clone()))
    .flatten();
    let output = if operation.store != StoreUse::None {
        let state = Arc::clone(state);
        let result = tokio::task::spawn_blocking(move || {
            let before = thread_store_time();
            let output = state
                .domain()
                .execute_output(&snapshot, &caller, operation, &target, &input, now);
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
    } else if ops::evaluates_policies(operation.op) {
        // The simulator's evaluations follow the caller's own documents:
        // costly ones must not hold an async worker either.
        let state = Arc::clone(state);
        let pool = state.costly.clone();
        pool.run(move || {
            state
                .domain()
                .execute_output(&snapshot, &caller, operation, &target, &input, now)
        })
        .await
        .unwrap_or_else(|| {
            tracing::error!("a simulation task failed");
            Err(tessera_iam::IamError::service_failure())
        })
    } else {
        state
            .domain()
            .execute_output(&snapshot, &caller, operation, &target, &input, now)
    };
    if let (Some(role_id), Ok(_)) = (&assumed_role, &output) {
        state
            .usage
            .role_assumed(role_id, now.unix_timestamp(), &facts.region);
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

/// A decision too costly for an async worker, made on the pool of
/// [`crate::costly`], with the same inputs and the same outcome.
async fn decide_off_the_workers(
    state: &Arc<AppState>,
    snapshot: &Arc<Snapshot>,
    caller: &Caller,
    operation: &'static ops::Operation,
    input: &Value,
    facts: &RequestFacts,
) -> Result<tessera_iam::ops::Target, Refusal> {
    let (state, snapshot) = (Arc::clone(state), Arc::clone(snapshot));
    let (caller, input, facts) = (caller.clone(), input.clone(), facts.clone());
    let pool = state.costly.clone();
    pool.run(move || {
        state
            .domain()
            .authorize_explained(&snapshot, &caller, operation, &input, &facts)
    })
    .await
    .unwrap_or_else(|| {
        tracing::error!("an authorization task failed");
        Err(Refusal {
            error: tessera_iam::IamError::service_failure(),
            denial: None,
        })
    })
}

/// The caller of `AssumeRoleWithWebIdentity`: its token, checked against
/// the keys of the provider that issued it (fetched, or cached).
async fn web_identity_caller(
    state: &AppState,
    snapshot: &Snapshot,
    input: &Value,
    now: SystemTime,
) -> Result<Caller, tessera_iam::IamError> {
    let pending = tessera_iam::web_identity::begin(snapshot, input)?;
    let keys = state
        .oidc_keys
        .key_set(&pending.endpoint(), pending.kid())
        .await?;
    pending.finish(&keys, unix_seconds(now))
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
) -> Result<(VerifiedRequest, Arc<Caller>), ApiError> {
    let presented = credentials::Presented {
        access_key_id: signed.access_key_id(),
        region: signed.region(),
        service: signed.service(),
        session_token: signed.security_token(),
        now: unix_seconds(now),
    };
    match credentials::resolve(snapshot, &presented, &state.sessions) {
        credentials::Resolved::Key { caller, secret } => {
            let temporary = signed.security_token().is_some();
            let verified = state
                .verifier
                .verify_with_secret(signed, parts, secret.expose(), now)
                .map_err(|e| sigv4_error(&e))?;
            if !temporary {
                state.usage.key_used(
                    verified.access_key_id(),
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
                Arc::new(credentials::emulator_caller(
                    snapshot,
                    &state.default_account,
                )),
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
