//! Server certificates: `UploadServerCertificate`, `GetServerCertificate`,
//! `ListServerCertificates`, `UpdateServerCertificate`,
//! `DeleteServerCertificate` (tags are the shared tag family). A server
//! certificate is an entity kind like the others (name, path, `ASCA…` id,
//! ARN `server-certificate/PATH/NAME`); what it adds is checked at upload:
//! the certificate parses as PEM X.509 and has not expired, the chain
//! parses, and the private key belongs to the certificate. The key is
//! sealed under the KEK and never returned.

use serde_json::{json, Value};

use super::paging::page;
use super::users::{new_core, tags_output};
use super::{iso8601, Input, OpContext};
use crate::certificates;
use crate::crypto::Secret;
use crate::kind::EntityKind;
use crate::records::{Entity, ServerCertificateBody, ServerCertificateRecord};
use crate::table::Table;
use crate::IamError;

/// How many server certificates an account may hold.
const SERVER_CERTIFICATES_QUOTA: usize = 20;

fn malformed(message: &str) -> IamError {
    IamError::new("MalformedCertificate", message)
}

fn metadata(certificate: &ServerCertificateRecord) -> Value {
    let core = &certificate.core;
    json!({
        "Path": core.path,
        "ServerCertificateName": core.name,
        "ServerCertificateId": core.id,
        "Arn": crate::arn::entity(&core.partition, &core.account_id, EntityKind::ServerCertificate, &core.path, &core.name),
        "UploadDate": iso8601(core.created),
        "Expiration": iso8601(certificate.body.expiration),
    })
}

pub(super) fn upload_server_certificate(
    ctx: &OpContext<'_>,
    input: &Value,
) -> Result<Value, IamError> {
    let input = Input(input);
    let name = input.required("ServerCertificateName")?;
    let body = input.required("CertificateBody")?;
    let private_key = input.required("PrivateKey")?;
    let chain = input.str("CertificateChain");
    let tags = input.tags(EntityKind::ServerCertificate)?;
    super::tags::check_count(ctx, tags.len())?;

    let parsed = certificates::parse_pem(body).ok_or_else(|| {
        malformed("Unable to parse certificate. Please ensure the certificate is in PEM format.")
    })?;
    if parsed.not_after <= ctx.now_secs() {
        return Err(malformed(
            "Certificate is no longer valid. The 'Not After' date restriction on the certificate has passed.",
        ));
    }
    if let Some(chain) = chain {
        certificates::parse_pem_chain(chain).ok_or_else(|| {
            malformed("Unable to parse certificate chain. Please ensure the certificate chain is in PEM format.")
        })?;
    }
    match certificates::private_key_matches(private_key, &parsed) {
        None => {
            return Err(malformed(
                "Unable to parse private key. Please ensure the private key is in PEM format and not encrypted.",
            ))
        }
        Some(false) => {
            return Err(IamError::new(
                "KeyPairMismatch",
                "The private key does not match the certificate.",
            ))
        }
        Some(true) => {}
    }

    let core = new_core(ctx, EntityKind::ServerCertificate, name, input.path(), tags);
    let sealed_private_key = ctx.kek.seal(
        ctx.random,
        &format!("servercert:{}", core.id),
        &Secret::new(private_key.to_string()),
    );
    let certificate = Entity {
        core,
        body: ServerCertificateBody {
            certificate_body: body.trim().to_string(),
            certificate_chain: chain.map(|c| c.trim().to_string()),
            expiration: parsed.not_after,
            sealed_private_key,
        },
    };
    ctx.write(|tx| {
        let held = Table::<ServerCertificateBody>::count_in_account(tx, ctx.account())?;
        if held >= SERVER_CERTIFICATES_QUOTA {
            return Err(tessera_store::Outcome::Domain(IamError::quota_exceeded(
                "ServerCertificatesPerAccount",
                SERVER_CERTIFICATES_QUOTA,
            )));
        }
        Table::insert(tx, &certificate)
    })?;
    let mut out = json!({ "ServerCertificateMetadata": metadata(&certificate) });
    if !certificate.core.tags.is_empty() {
        out["Tags"] = tags_output(&certificate.core.tags);
    }
    Ok(out)
}

pub(super) fn get_server_certificate(
    ctx: &OpContext<'_>,
    input: &Value,
) -> Result<Value, IamError> {
    let name = Input(input).required("ServerCertificateName")?;
    let certificate = ctx.require::<ServerCertificateBody>(name)?;
    let mut out = json!({
        "ServerCertificateMetadata": metadata(certificate),
        "CertificateBody": certificate.body.certificate_body,
    });
    if let Some(chain) = &certificate.body.certificate_chain {
        out["CertificateChain"] = json!(chain);
    }
    out["Tags"] = tags_output(&certificate.core.tags);
    Ok(json!({ "ServerCertificate": out }))
}

pub(super) fn list_server_certificates(
    ctx: &OpContext<'_>,
    input: &Value,
) -> Result<Value, IamError> {
    let input = Input(input);
    let certificates = ctx
        .snapshot
        .list::<ServerCertificateBody>(ctx.account(), input.path_prefix());
    let page = page(input, certificates, |c| c.core.name.to_lowercase())?;
    Ok(page.output("ServerCertificateMetadataList", |c| metadata(c)))
}

pub(super) fn update_server_certificate(
    ctx: &OpContext<'_>,
    input: &Value,
) -> Result<Value, IamError> {
    super::users::rename_or_move::<ServerCertificateBody>(ctx, input, "NewServerCertificateName")
}

pub(super) fn delete_server_certificate(
    ctx: &OpContext<'_>,
    input: &Value,
) -> Result<Value, IamError> {
    let name = Input(input).required("ServerCertificateName")?;
    ctx.write(|tx| {
        let certificate = Table::<ServerCertificateBody>::require(tx, ctx.account(), name)?;
        Table::delete(tx, &certificate)
    })?;
    Ok(json!({}))
}
