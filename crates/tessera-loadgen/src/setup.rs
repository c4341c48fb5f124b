//! Prepares each scenario before it is measured: builds its request source,
//! creates what it needs on the server (the user `iam-get-user` reads), and
//! sends one request to check that the server answers as the scenario
//! expects, so a misconfigured run fails at once instead of measuring
//! errors.

use std::time::Duration;

use anyhow::{bail, Context};

use crate::cli::Scenario;
use crate::endpoint::Endpoint;
use crate::http1::Connection;
use crate::request::{presigned_query, unsigned_get, RequestSource, SignedPost, Signer};

/// STS's API version.
pub const STS_VERSION: &str = "2011-06-15";
/// IAM's API version.
pub const IAM_VERSION: &str = "2010-05-08";
/// How long the replayed presigned URL stays valid: longer than any run.
pub const PRESIGNED_EXPIRES: Duration = Duration::from_secs(6 * 3600);

/// The unsigned and presigned request's path and query before signing.
fn get_caller_identity_query() -> String {
    format!("Action=GetCallerIdentity&Version={STS_VERSION}")
}

/// A presigned GetCallerIdentity URL valid for `expires_in`.
pub fn presigned_url(
    endpoint: &Endpoint,
    signer: &Signer,
    expires_in: Duration,
) -> anyhow::Result<String> {
    let query = presigned_query(
        endpoint,
        signer,
        "sts",
        &get_caller_identity_query(),
        expires_in,
    )
    .map_err(anyhow::Error::msg)?;
    Ok(endpoint.url(&format!("/?{query}")))
}

fn signed_post(
    endpoint: &Endpoint,
    signer: &Signer,
    service: &'static str,
    body: String,
) -> RequestSource {
    RequestSource::SignedPost(SignedPost {
        host: endpoint.host_header.as_str().into(),
        signer: signer.clone(),
        service,
        body: body.into(),
    })
}

/// Builds `scenario`'s request source and checks one answer.
pub async fn prepare(
    scenario: Scenario,
    endpoint: &Endpoint,
    signer: &Signer,
    user_name: &str,
) -> anyhow::Result<RequestSource> {
    let (source, marker) = match scenario {
        Scenario::BaselineUnsigned => (
            unsigned_get(endpoint, &format!("/?{}", get_caller_identity_query())),
            String::from("<Code>MissingAuthenticationToken</Code>"),
        ),
        Scenario::Presigned => {
            let query = presigned_query(
                endpoint,
                signer,
                "sts",
                &get_caller_identity_query(),
                PRESIGNED_EXPIRES,
            )
            .map_err(anyhow::Error::msg)?;
            (
                unsigned_get(endpoint, &format!("/?{query}")),
                String::from("<GetCallerIdentityResult>"),
            )
        }
        Scenario::Signed => (
            signed_post(endpoint, signer, "sts", get_caller_identity_query()),
            String::from("<GetCallerIdentityResult>"),
        ),
        Scenario::IamGetUser => {
            create_user(endpoint, signer, user_name).await?;
            (
                signed_post(
                    endpoint,
                    signer,
                    "iam",
                    format!("Action=GetUser&UserName={user_name}&Version={IAM_VERSION}"),
                ),
                format!("<UserName>{user_name}</UserName>"),
            )
        }
    };
    let (status, body) = send_once(endpoint, &source).await?;
    if status != scenario.expected_status() || !body.contains(&marker) {
        bail!(
            "{}: the server answered {status} (expected {} with `{marker}`): {}",
            scenario.name(),
            scenario.expected_status(),
            body.chars().take(600).collect::<String>()
        );
    }
    Ok(source)
}

/// Creates `user_name` unless it exists.
async fn create_user(endpoint: &Endpoint, signer: &Signer, user_name: &str) -> anyhow::Result<()> {
    let source = signed_post(
        endpoint,
        signer,
        "iam",
        format!("Action=CreateUser&UserName={user_name}&Version={IAM_VERSION}"),
    );
    let (status, body) = send_once(endpoint, &source).await?;
    if status == 200 || body.contains("<Code>EntityAlreadyExists</Code>") {
        return Ok(());
    }
    bail!(
        "CreateUser {user_name} answered {status}: {}",
        body.chars().take(600).collect::<String>()
    )
}

async fn send_once(endpoint: &Endpoint, source: &RequestSource) -> anyhow::Result<(u16, String)> {
    let mut connection = Connection::connect(endpoint.address)
        .await
        .with_context(|| format!("connecting to {}", endpoint.address))?;
    let mut request = Vec::new();
    source
        .write_next(&mut request)
        .map_err(anyhow::Error::msg)?;
    let response = connection.round_trip(&request).await?;
    Ok((
        response.status,
        String::from_utf8_lossy(response.body).into_owned(),
    ))
}
