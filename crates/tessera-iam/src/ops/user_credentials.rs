//! A user's credentials besides access keys and the password, written once
//! for three families that differ only in what they hold:
//!
//! - SSH public keys (`UploadSSHPublicKey`, `GetSSHPublicKey`,
//!   `ListSSHPublicKeys`, `UpdateSSHPublicKey`, `DeleteSSHPublicKey`): at
//!   most 5 per user;
//! - signing certificates (`UploadSigningCertificate`,
//!   `ListSigningCertificates`, `UpdateSigningCertificate`,
//!   `DeleteSigningCertificate`): at most 2 per user;
//! - service-specific credentials (`CreateServiceSpecificCredential`,
//!   `ListServiceSpecificCredentials`, `ResetServiceSpecificCredential`,
//!   `UpdateServiceSpecificCredential`, `DeleteServiceSpecificCredential`):
//!   at most 2 per service per user.
//!
//! Each is an `Active`/`Inactive` record of one user, stored under
//! `USER_ID/FAMILY/ID`. Secrets (service passwords, API-key secrets) are
//! returned once, when made, and kept only as argon2id hashes.

use serde_json::{json, Value};
use tessera_store::{Outcome, Transaction};

use super::paging::page;
use super::{iso8601, Input, OpContext};
use crate::caller::Caller;
use crate::certificates;
use crate::ids::{self, IdKind};
use crate::records::{self, CredentialDetail, KeyStatus, Ns, UserBody, UserCredentialRecord};
use crate::ssh_keys::{KeyError, RsaPublicKey};
use crate::table::{Table, TxResult};
use crate::IamError;

/// The three families.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Family {
    SshPublicKey,
    SigningCertificate,
    ServiceSpecific,
}

impl Family {
    /// The middle part of the store key.
    fn tag(self) -> &'static str {
        match self {
            Family::SshPublicKey => "ssh",
            Family::SigningCertificate => "cert",
            Family::ServiceSpecific => "ssc",
        }
    }

    /// The request member naming one credential.
    fn id_member(self) -> &'static str {
        match self {
            Family::SshPublicKey => "SSHPublicKeyId",
            Family::SigningCertificate => "CertificateId",
            Family::ServiceSpecific => "ServiceSpecificCredentialId",
        }
    }

    /// IAM's `NoSuchEntity` for an id the user does not have.
    fn missing(self, id: &str) -> IamError {
        let message = match self {
            Family::SshPublicKey => format!("The Public Key with id {id} cannot be found."),
            Family::SigningCertificate => format!("The Certificate with id {id} cannot be found."),
            Family::ServiceSpecific => format!("No such credential {id} exists"),
        };
        IamError::new("NoSuchEntity", message)
    }

    /// The family of a stored credential.
    pub(crate) fn of(detail: &CredentialDetail) -> Family {
        match detail {
            CredentialDetail::SshPublicKey { .. } => Family::SshPublicKey,
            CredentialDetail::SigningCertificate { .. } => Family::SigningCertificate,
            CredentialDetail::ServiceSpecific { .. } => Family::ServiceSpecific,
        }
    }
}

fn store_key(user_id: &str, family: Family, id: &str) -> String {
    format!("{user_id}/{}/{id}", family.tag())
}

/// The user an operation acts on: `UserName`, or the calling user.
struct Owner {
    id: String,
    name: String,
}

fn owner(tx: &mut dyn Transaction, ctx: &OpContext<'_>, input: Input<'_>) -> TxResult<Owner> {
    let user = match (input.str("UserName"), ctx.caller) {
        (Some(name), _) => Table::<UserBody>::require(tx, ctx.account(), name)?,
        (None, Caller::User { user_id, name, .. }) => Table::<UserBody>::get_by_id(tx, user_id)?
            .ok_or_else(|| Outcome::Domain(IamError::no_such_user(name)))?,
        (None, _) => return Err(Outcome::Domain(super::users::non_user_credentials())),
    };
    Ok(Owner {
        id: user.core.id,
        name: user.core.name,
    })
}

/// The user's credentials of `family`, in id order.
pub(crate) fn of_user(
    tx: &mut dyn Transaction,
    user_id: &str,
    family: Family,
) -> Result<Vec<UserCredentialRecord>, tessera_store::StoreError> {
    let prefix = format!("{user_id}/{}/", family.tag());
    records::scan_all(tx, Ns::UserCredential.as_str(), &prefix)?
        .into_iter()
        .map(|(key, bytes)| records::decode(Ns::UserCredential.as_str(), &key, &bytes))
        .collect()
}

/// How many credentials of `family` the user has.
pub(crate) fn count_of_user(
    tx: &mut dyn Transaction,
    user_id: &str,
    family: Family,
) -> Result<u64, tessera_store::StoreError> {
    tx.count(
        Ns::UserCredential.as_str(),
        &format!("{user_id}/{}/", family.tag()),
    )
}

/// The credential `id` of `owner` in `family`.
fn require(
    tx: &mut dyn Transaction,
    owner: &Owner,
    family: Family,
    id: &str,
) -> TxResult<UserCredentialRecord> {
    records::get(
        tx,
        Ns::UserCredential.as_str(),
        &store_key(&owner.id, family, id),
    )?
    .ok_or_else(|| Outcome::Domain(family.missing(id)))
}

fn save(tx: &mut dyn Transaction, record: &UserCredentialRecord) -> TxResult<()> {
    let key = store_key(&record.user_id, Family::of(&record.detail), &record.id);
    records::put(tx, Ns::UserCredential.as_str(), &key, record)?;
    Ok(())
}

fn parse_status(input: Input<'_>) -> Result<KeyStatus, IamError> {
    match input.required("Status")? {
        "Active" => Ok(KeyStatus::Active),
        "Inactive" => Ok(KeyStatus::Inactive),
        other => Err(IamError::validation(format!(
            "1 validation error detected: Value '{other}' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive]"
        ))),
    }
}

/// `Update…`: a new status for one credential.
fn update(ctx: &OpContext<'_>, input: &Value, family: Family) -> Result<Value, IamError> {
    let input = Input(input);
    let id = input.required(family.id_member())?;
    let status = parse_status(input)?;
    ctx.write(|tx| {
        let owner = owner(tx, ctx, input)?;
        let mut record = require(tx, &owner, family, id)?;
        record.status = status;
        save(tx, &record)
    })?;
    Ok(json!({}))
}

/// `Delete…`.
fn delete(ctx: &OpContext<'_>, input: &Value, family: Family) -> Result<Value, IamError> {
    let input = Input(input);
    let id = input.required(family.id_member())?;
    ctx.write(|tx| {
        let owner = owner(tx, ctx, input)?;
        let record = require(tx, &owner, family, id)?;
        tx.delete(
            Ns::UserCredential.as_str(),
            &store_key(&record.user_id, family, &record.id),
        )?;
        Ok(())
    })?;
    Ok(json!({}))
}

/// Adds a credential, refusing it beyond `quota` of the same kind (for
/// service-specific credentials, of the same service).
fn add(
    ctx: &OpContext<'_>,
    input: Input<'_>,
    make: impl Fn(&Owner) -> Result<UserCredentialRecord, IamError>,
    same_kind: impl Fn(&UserCredentialRecord, &UserCredentialRecord) -> bool,
    duplicate: impl Fn(&UserCredentialRecord, &UserCredentialRecord) -> Option<IamError>,
    quota: (&str, u64),
) -> Result<(UserCredentialRecord, String), IamError> {
    ctx.write(|tx| {
        let owner = owner(tx, ctx, input)?;
        let record = make(&owner).map_err(Outcome::Domain)?;
        let family = Family::of(&record.detail);
        let existing = of_user(tx, &owner.id, family)?;
        if let Some(e) = existing.iter().find_map(|other| duplicate(other, &record)) {
            return Err(Outcome::Domain(e));
        }
        let (name, limit) = quota;
        let count = existing.iter().filter(|o| same_kind(o, &record)).count();
        if count as u64 >= limit {
            return Err(Outcome::Domain(IamError::new(
                "LimitExceeded",
                format!("Cannot exceed quota for {name}: {limit}"),
            )));
        }
        save(tx, &record)?;
        Ok((record, owner.name.clone()))
    })
}

fn new_record(
    ctx: &OpContext<'_>,
    owner: &Owner,
    id: String,
    detail: CredentialDetail,
) -> UserCredentialRecord {
    UserCredentialRecord {
        id,
        account_id: ctx.account().to_string(),
        user_id: owner.id.clone(),
        status: KeyStatus::Active,
        created: ctx.now_secs(),
        detail,
    }
}

/// The credentials of one family a list operation shows.
fn list_records(
    ctx: &OpContext<'_>,
    input: Input<'_>,
    family: Family,
) -> Result<(Vec<UserCredentialRecord>, String), IamError> {
    ctx.read(|tx| {
        let owner = owner(tx, ctx, input)?;
        Ok((of_user(tx, &owner.id, family)?, owner.name))
    })
}

// --- SSH public keys --------------------------------------------------------

fn ssh_key_error(error: KeyError) -> IamError {
    match error {
        KeyError::UnrecognizedEncoding => IamError::new(
            "UnrecognizedPublicKeyEncoding",
            "The request was rejected because the public key encoding format is unsupported or unrecognized.",
        ),
        KeyError::Invalid => IamError::new(
            "InvalidPublicKey",
            "The request was rejected because the public key is malformed or otherwise invalid.",
        ),
    }
}

fn ssh_output(record: &UserCredentialRecord, user_name: &str, body: Option<String>) -> Value {
    let mut out = json!({
        "UserName": user_name,
        "SSHPublicKeyId": record.id,
    });
    if let (Some(body), CredentialDetail::SshPublicKey { fingerprint, .. }) = (body, &record.detail)
    {
        out["Fingerprint"] = json!(fingerprint);
        out["SSHPublicKeyBody"] = json!(body);
    }
    out["Status"] = json!(record.status.as_str());
    out["UploadDate"] = json!(iso8601(record.created));
    out
}

pub(super) fn upload_ssh_public_key(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let input = Input(input);
    let body = input.required("SSHPublicKeyBody")?;
    let key = RsaPublicKey::parse(body).map_err(ssh_key_error)?;
    let fingerprint = key.fingerprint();
    let (record, user_name) = add(
        ctx,
        input,
        |owner| {
            let id = ids::new_id(ctx.random, IdKind::SshPublicKey);
            let detail = CredentialDetail::SshPublicKey {
                body: body.trim().to_string(),
                fingerprint: fingerprint.clone(),
            };
            Ok(new_record(ctx, owner, id, detail))
        },
        |_, _| true,
        |other, _| {
            match &other.detail {
            CredentialDetail::SshPublicKey { fingerprint: f, .. } if *f == fingerprint => Some(IamError::new(
                "DuplicateSSHPublicKey",
                "The request was rejected because the SSH public key is already associated with the specified IAM user.",
            )),
            _ => None,
        }
        },
        ("PublicKeysPerUser", 5),
    )?;
    let body = stored_ssh_body(&record);
    Ok(super::one_member(
        "SSHPublicKey",
        ssh_output(&record, &user_name, Some(body)),
    ))
}

fn stored_ssh_body(record: &UserCredentialRecord) -> String {
    match &record.detail {
        CredentialDetail::SshPublicKey { body, .. } => body.clone(),
        _ => String::new(),
    }
}

pub(super) fn get_ssh_public_key(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let input = Input(input);
    let id = input.required("SSHPublicKeyId")?;
    let encoding = input.required("Encoding")?;
    let (record, user_name) = ctx.read(|tx| {
        let owner = owner(tx, ctx, input)?;
        Ok((require(tx, &owner, Family::SshPublicKey, id)?, owner.name))
    })?;
    let stored = stored_ssh_body(&record);
    let key = RsaPublicKey::parse(&stored).map_err(|_| IamError::service_failure())?;
    let body = match encoding {
        // An OpenSSH upload is answered as uploaded, comment included.
        "SSH" if stored.starts_with("ssh-rsa") => stored,
        "SSH" => key.to_openssh(),
        "PEM" => key.to_pem(),
        _ => {
            return Err(IamError::new(
                "UnrecognizedPublicKeyEncoding",
                "The request was rejected because the public key encoding format is unsupported or unrecognized.",
            ))
        }
    };
    Ok(super::one_member(
        "SSHPublicKey",
        ssh_output(&record, &user_name, Some(body)),
    ))
}

pub(super) fn list_ssh_public_keys(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let input = Input(input);
    let (keys, user_name) = list_records(ctx, input, Family::SshPublicKey)?;
    let page = page(input, keys, |k| k.id.clone())?;
    Ok(page.output("SSHPublicKeys", |k| ssh_output(k, &user_name, None)))
}

pub(super) fn update_ssh_public_key(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    update(ctx, input, Family::SshPublicKey)
}

pub(super) fn delete_ssh_public_key(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    delete(ctx, input, Family::SshPublicKey)
}

// --- Signing certificates ---------------------------------------------------

fn certificate_output(record: &UserCredentialRecord, user_name: &str) -> Value {
    let body = match &record.detail {
        CredentialDetail::SigningCertificate { body, .. } => body.as_str(),
        _ => "",
    };
    json!({
        "UserName": user_name,
        "CertificateId": record.id,
        "CertificateBody": body,
        "Status": record.status.as_str(),
        "UploadDate": iso8601(record.created),
    })
}

pub(super) fn upload_signing_certificate(
    ctx: &OpContext<'_>,
    input: &Value,
) -> Result<Value, IamError> {
    let input = Input(input);
    let body = input.required("CertificateBody")?;
    let parsed = certificates::parse_pem(body).ok_or_else(|| {
        IamError::new(
            "MalformedCertificate",
            format!("Certificate {body} is malformed."),
        )
    })?;
    let (record, user_name) = add(
        ctx,
        input,
        |owner| {
            let id = ids::new_certificate_id(ctx.random);
            let detail = CredentialDetail::SigningCertificate {
                body: body.trim().to_string(),
                digest: parsed.digest.clone(),
            };
            Ok(new_record(ctx, owner, id, detail))
        },
        |_, _| true,
        |other, _| {
            match &other.detail {
            CredentialDetail::SigningCertificate { digest, .. } if *digest == parsed.digest => {
                Some(IamError::new(
                    "DuplicateCertificate",
                    "The request was rejected because the same certificate is associated with an IAM user in the account.",
                ))
            }
            _ => None,
        }
        },
        ("CertificatesPerUser", 2),
    )?;
    Ok(super::one_member(
        "Certificate",
        certificate_output(&record, &user_name),
    ))
}

pub(super) fn list_signing_certificates(
    ctx: &OpContext<'_>,
    input: &Value,
) -> Result<Value, IamError> {
    let input = Input(input);
    let (certificates, user_name) = list_records(ctx, input, Family::SigningCertificate)?;
    let page = page(input, certificates, |c| c.id.clone())?;
    Ok(page.output("Certificates", |c| certificate_output(c, &user_name)))
}

pub(super) fn update_signing_certificate(
    ctx: &OpContext<'_>,
    input: &Value,
) -> Result<Value, IamError> {
    update(ctx, input, Family::SigningCertificate)
}

pub(super) fn delete_signing_certificate(
    ctx: &OpContext<'_>,
    input: &Value,
) -> Result<Value, IamError> {
    delete(ctx, input, Family::SigningCertificate)
}

// --- Service-specific credentials -------------------------------------------

/// How a service's credentials look.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ServiceCredentialStyle {
    /// A user name (`alice-at-123456789012`) and a generated password.
    UserAndPassword,
    /// An API key: an alias and a secret, optionally expiring.
    ApiKey,
}

/// The services IAM makes service-specific credentials for.
fn service_style(service: &str) -> Option<ServiceCredentialStyle> {
    match service {
        "codecommit.amazonaws.com" | "cassandra.amazonaws.com" => {
            Some(ServiceCredentialStyle::UserAndPassword)
        }
        "bedrock.amazonaws.com" | "logs.amazonaws.com" => Some(ServiceCredentialStyle::ApiKey),
        _ => None,
    }
}

fn unsupported_service(service: &str) -> IamError {
    IamError::new(
        "NoSuchEntity",
        format!("No such service {service} is supported for Service Specific Credentials"),
    )
}

fn credential_service(record: &UserCredentialRecord) -> (&str, &str, Option<i64>) {
    match &record.detail {
        CredentialDetail::ServiceSpecific {
            service,
            service_user_name,
            expires,
            ..
        } => (service, service_user_name, *expires),
        _ => ("", "", None),
    }
}

/// The metadata of a credential (without its secret).
fn service_credential_output(
    ctx: &OpContext<'_>,
    record: &UserCredentialRecord,
    user_name: &str,
) -> Value {
    let (service, service_user_name, expires) = credential_service(record);
    let expired = expires.is_some_and(|at| at <= ctx.now_secs());
    let mut out = json!({
        "UserName": user_name,
        "Status": if expired { "Expired" } else { record.status.as_str() },
    });
    match service_style(service) {
        Some(ServiceCredentialStyle::ApiKey) => {
            out["ServiceCredentialAlias"] = json!(service_user_name);
        }
        _ => out["ServiceUserName"] = json!(service_user_name),
    }
    out["CreateDate"] = json!(iso8601(record.created));
    if let Some(at) = expires {
        out["ExpirationDate"] = json!(iso8601(at));
    }
    out["ServiceSpecificCredentialId"] = json!(record.id);
    out["ServiceName"] = json!(service);
    out
}

/// A new secret for `record`'s service: its hash to keep, and the member
/// and value to return once.
fn new_secret(
    ctx: &OpContext<'_>,
    style: ServiceCredentialStyle,
    alias: &str,
) -> Result<(String, &'static str, String), IamError> {
    let (member, secret) = match style {
        ServiceCredentialStyle::UserAndPassword => {
            ("ServicePassword", ids::new_base64_secret(ctx.random, 32))
        }
        ServiceCredentialStyle::ApiKey => {
            use base64::{engine::general_purpose::STANDARD, Engine};
            let random = ids::new_base64_secret(ctx.random, 32);
            (
                "ServiceCredentialSecret",
                format!("ABSK{}", STANDARD.encode(format!("{alias}:{random}"))),
            )
        }
    };
    let hash = crate::passwords::hash(&secret, ctx.random)?;
    Ok((hash, member, secret))
}

pub(super) fn create_service_specific_credential(
    ctx: &OpContext<'_>,
    input: &Value,
) -> Result<Value, IamError> {
    let input = Input(input);
    let service = input.required("ServiceName")?;
    let age_days = input.u64("CredentialAgeDays");
    let style = ctx.read(|tx| {
        // A missing user is reported before an unsupported service.
        owner(tx, ctx, input)?;
        Ok(service_style(service))
    })?;
    let style = style.ok_or_else(|| unsupported_service(service))?;
    if age_days.is_some() && style != ServiceCredentialStyle::ApiKey {
        return Err(IamError::invalid_input(
            "CredentialAgeDays is only supported for Bedrock and CloudWatch Logs API keys.",
        ));
    }
    let user_name = input.required("UserName")?;
    let alias = match style {
        ServiceCredentialStyle::UserAndPassword => format!("{user_name}-at-{}", ctx.account()),
        ServiceCredentialStyle::ApiKey => {
            // AWS's Bedrock aliases read `BedrockAPIKey-xxxx-at-ACCOUNT`.
            let prefix = match service {
                "bedrock.amazonaws.com" => "BedrockAPIKey",
                _ => "CloudWatchLogsAPIKey",
            };
            let suffix = ids::new_base64_secret(ctx.random, 3).replace(['+', '/'], "0");
            format!("{prefix}-{}-at-{}", suffix.to_lowercase(), ctx.account())
        }
    };
    let (hash, member, secret) = new_secret(ctx, style, &alias)?;
    let expires = age_days.map(|days| ctx.now_secs() + i64::try_from(days).unwrap_or(0) * 86_400);
    let (record, user_name) = add(
        ctx,
        input,
        |owner| {
            let id = ids::new_id(ctx.random, IdKind::ServiceSpecificCredential);
            let detail = CredentialDetail::ServiceSpecific {
                service: service.to_string(),
                service_user_name: alias.clone(),
                secret_hash: hash.clone(),
                expires,
            };
            Ok(new_record(ctx, owner, id, detail))
        },
        |other, new| credential_service(other).0 == credential_service(new).0,
        |_, _| None,
        ("ServiceSpecificCredentialsPerUserPerService", 2),
    )?;
    let mut out = service_credential_output(ctx, &record, &user_name);
    out[member] = json!(secret);
    Ok(json!({ "ServiceSpecificCredential": out }))
}

pub(super) fn list_service_specific_credentials(
    ctx: &OpContext<'_>,
    input: &Value,
) -> Result<Value, IamError> {
    let input = Input(input);
    let service = input.str("ServiceName");
    if let Some(service) = service {
        if service_style(service).is_none() {
            return Err(unsupported_service(service));
        }
    }
    let all_users = input.bool("AllUsers").unwrap_or(false) && input.str("UserName").is_none();
    let credentials: Vec<(UserCredentialRecord, String)> = if all_users {
        let account = ctx.account();
        let mut out = Vec::new();
        for user in ctx.snapshot.list::<UserBody>(account, "/") {
            let records =
                ctx.read(|tx| Ok(of_user(tx, &user.core.id, Family::ServiceSpecific)?))?;
            out.extend(records.into_iter().map(|r| (r, user.core.name.clone())));
        }
        out
    } else {
        let (records, user_name) = list_records(ctx, input, Family::ServiceSpecific)?;
        records
            .into_iter()
            .map(|r| (r, user_name.clone()))
            .collect()
    };
    let credentials = credentials
        .into_iter()
        .filter(|(r, _)| service.is_none_or(|s| credential_service(r).0 == s));
    let page = page(input, credentials, |(r, name)| format!("{name}/{}", r.id))?;
    Ok(page.output("ServiceSpecificCredentials", |(r, name)| {
        service_credential_output(ctx, r, name)
    }))
}

pub(super) fn reset_service_specific_credential(
    ctx: &OpContext<'_>,
    input: &Value,
) -> Result<Value, IamError> {
    let input = Input(input);
    let id = input.required("ServiceSpecificCredentialId")?;
    let (record, user_name, member, secret) = ctx.write(|tx| {
        let owner = owner(tx, ctx, input)?;
        let mut record = require(tx, &owner, Family::ServiceSpecific, id)?;
        let (service, alias, _) = credential_service(&record);
        let style = service_style(service).unwrap_or(ServiceCredentialStyle::UserAndPassword);
        let (hash, member, secret) = new_secret(ctx, style, alias).map_err(Outcome::Domain)?;
        if let CredentialDetail::ServiceSpecific { secret_hash, .. } = &mut record.detail {
            *secret_hash = hash;
        }
        save(tx, &record)?;
        Ok((record, owner.name, member, secret))
    })?;
    let mut out = service_credential_output(ctx, &record, &user_name);
    out[member] = json!(secret);
    Ok(json!({ "ServiceSpecificCredential": out }))
}

pub(super) fn update_service_specific_credential(
    ctx: &OpContext<'_>,
    input: &Value,
) -> Result<Value, IamError> {
    update(ctx, input, Family::ServiceSpecific)
}

pub(super) fn delete_service_specific_credential(
    ctx: &OpContext<'_>,
    input: &Value,
) -> Result<Value, IamError> {
    delete(ctx, input, Family::ServiceSpecific)
}
