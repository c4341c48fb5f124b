//! Prepares each scenario before it is measured: builds its request source,
//! creates what it needs on the server (the user `iam-get-user` reads and
//! the user with an inline policy who signs its requests), and
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
        Scenario::SignedTemporary => {
            let (user, role_arn) = user_and_role(endpoint, signer, user_name, "temporary").await?;
            let session = assume_role(endpoint, &user, &role_arn).await?;
            (
                signed_post(endpoint, &session, "sts", get_caller_identity_query()),
                String::from(":assumed-role/"),
            )
        }
        Scenario::AssumeRole => {
            let (user, role_arn) = user_and_role(endpoint, signer, user_name, "assume").await?;
            (
                signed_post(endpoint, &user, "sts", assume_role_body(&role_arn)),
                String::from("<AssumeRoleResult>"),
            )
        }
        Scenario::IamGetUser => {
            create_user(endpoint, signer, user_name).await?;
            let reader = policy_reader(endpoint, signer, user_name).await?;
            (
                signed_post(
                    endpoint,
                    &reader,
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

fn assume_role_body(role_arn: &str) -> String {
    let role_arn: String = url_encode(role_arn);
    format!("Action=AssumeRole&RoleArn={role_arn}&RoleSessionName=loadgen&Version={STS_VERSION}")
}

/// Form-encodes a value.
fn url_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The text of the first `<name>…</name>` element of an answer.
fn element<'b>(body: &'b str, name: &str) -> Option<&'b str> {
    let open = format!("<{name}>");
    let start = body.find(&open)? + open.len();
    let end = body.get(start..)?.find(&format!("</{name}>"))? + start;
    body.get(start..end)
}

/// The inline policy of the user who signs `iam-get-user`'s requests: the
/// reads an operator's tooling is typically given.
const READER_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"ReadIdentities","Effect":"Allow","Action":["iam:GetUser","iam:ListUsers","iam:GetRole","iam:ListRoles"],"Resource":"*"},{"Sid":"ReadOwnKeys","Effect":"Allow","Action":["iam:ListAccessKeys","iam:GetAccessKeyLastUsed"],"Resource":"arn:aws:iam::*:user/${aws:username}"}]}"#;

/// Makes a user with an access key whose inline policy allows `GetUser`
/// (as root), answering the user's signer: `iam-get-user` is signed by an
/// IAM user, so every request's policy is evaluated.
async fn policy_reader(
    endpoint: &Endpoint,
    root: &Signer,
    user_name: &str,
) -> anyhow::Result<Signer> {
    let (signer, _, user) = user_with_key(endpoint, root, user_name, "reader").await?;
    let (status, body) = send_once(
        endpoint,
        &signed_post(
            endpoint,
            root,
            "iam",
            format!(
                "Action=PutUserPolicy&UserName={user}&PolicyName=reader&PolicyDocument={}&Version={IAM_VERSION}",
                url_encode(READER_POLICY)
            ),
        ),
    )
    .await?;
    if status != 200 {
        bail!(
            "PutUserPolicy {user} answered {status}: {}",
            body.chars().take(600).collect::<String>()
        );
    }
    Ok(signer)
}

/// Makes a user with an access key and a role whose trust policy names
/// the user (as root), answering the user's signer and the role's ARN.
async fn user_and_role(
    endpoint: &Endpoint,
    root: &Signer,
    user_name: &str,
    purpose: &str,
) -> anyhow::Result<(Signer, String)> {
    let (user_signer, user_arn, user) = user_with_key(endpoint, root, user_name, purpose).await?;
    let role = format!("{user}-role");
    let call = |body: String, service: &'static str| signed_post(endpoint, root, service, body);
    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{user_arn}"}},"Action":"sts:AssumeRole"}}]}}"#
    );
    let (status, body) = send_once(
        endpoint,
        &call(
            format!(
                "Action=CreateRole&RoleName={role}&AssumeRolePolicyDocument={}&Version={IAM_VERSION}",
                url_encode(&trust)
            ),
            "iam",
        ),
    )
    .await?;
    let role_arn = element(&body, "Arn")
        .with_context(|| {
            format!(
                "CreateRole answered {status}: {}",
                body.chars().take(600).collect::<String>()
            )
        })?
        .to_string();
    Ok((user_signer, role_arn))
}

/// Makes a user named for this run with an access key (as root),
/// answering its signer, its ARN and its name.
async fn user_with_key(
    endpoint: &Endpoint,
    root: &Signer,
    user_name: &str,
    purpose: &str,
) -> anyhow::Result<(Signer, String, String)> {
    // Named for this run, so that the load generator can run again and
    // again against one server (a user holds at most two access keys).
    let user = format!("{user_name}-{purpose}-{}", std::process::id());
    let call = |body: String, service: &'static str| signed_post(endpoint, root, service, body);
    let (status, body) = send_once(
        endpoint,
        &call(
            format!("Action=CreateUser&UserName={user}&Version={IAM_VERSION}"),
            "iam",
        ),
    )
    .await?;
    if status != 200 {
        bail!(
            "CreateUser {user} answered {status}: {}",
            body.chars().take(600).collect::<String>()
        );
    }
    let user_arn = element(&body, "Arn")
        .context("CreateUser answered no Arn")?
        .to_string();
    let (status, body) = send_once(
        endpoint,
        &call(
            format!("Action=CreateAccessKey&UserName={user}&Version={IAM_VERSION}"),
            "iam",
        ),
    )
    .await?;
    let (Some(key_id), Some(secret)) = (
        element(&body, "AccessKeyId"),
        element(&body, "SecretAccessKey"),
    ) else {
        bail!(
            "CreateAccessKey answered {status}: {}",
            body.chars().take(600).collect::<String>()
        );
    };
    let user_signer = Signer::new(
        crate::credentials::Credentials {
            access_key_id: key_id.to_string(),
            secret: tessera_sigv4::SecretKey::new(secret.to_string()),
        },
        &root.region,
    );
    Ok((user_signer, user_arn, user))
}

/// Assumes `role_arn` as `user`; answers a signer for the session.
async fn assume_role(endpoint: &Endpoint, user: &Signer, role_arn: &str) -> anyhow::Result<Signer> {
    let (status, body) = send_once(
        endpoint,
        &signed_post(endpoint, user, "sts", assume_role_body(role_arn)),
    )
    .await?;
    let (Some(key_id), Some(secret), Some(token)) = (
        element(&body, "AccessKeyId"),
        element(&body, "SecretAccessKey"),
        element(&body, "SessionToken"),
    ) else {
        bail!(
            "AssumeRole answered {status}: {}",
            body.chars().take(600).collect::<String>()
        );
    };
    Ok(Signer::temporary(
        crate::credentials::Credentials {
            access_key_id: key_id.to_string(),
            secret: tessera_sigv4::SecretKey::new(secret.to_string()),
        },
        token,
        &user.region,
    ))
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
