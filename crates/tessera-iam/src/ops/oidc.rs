//! OpenID Connect identity providers: `CreateOpenIDConnectProvider`,
//! `GetOpenIDConnectProvider`, `ListOpenIDConnectProviders`,
//! `DeleteOpenIDConnectProvider`, client ids, thumbprints and tags, with
//! IAM's wording (from answers recorded against AWS). The federation that
//! uses them (`AssumeRoleWithWebIdentity`) is STS's.

use serde_json::{json, Value};
use tessera_store::{Outcome, Transaction};

use super::users::tags_output;
use super::{iso8601, Input, OpContext};
use crate::kind::EntityKind;
use crate::records::{self, Ns, OidcProviderRecord};
use crate::table::TxResult;
use crate::IamError;

/// The most client ids one provider may have.
const MAX_CLIENT_IDS: usize = 100;
/// The most thumbprints one provider may have.
const MAX_THUMBPRINTS: usize = 5;

/// The ARN a provider URL gets: its host and path, without `https://` or
/// a trailing slash.
pub(super) fn provider_arn(partition: &str, account: &str, url: &str) -> Option<String> {
    let rest = url.strip_prefix("https://")?;
    let rest = rest.trim_end_matches('/');
    if rest.is_empty() || rest.contains(['?', '#', ' ']) {
        return None;
    }
    Some(format!(
        "arn:{partition}:iam::{account}:oidc-provider/{rest}"
    ))
}

fn not_found(arn: &str) -> IamError {
    IamError::new(
        "NoSuchEntity",
        format!("OpenIDConnect Provider not found for arn {arn}"),
    )
}

fn check_lists(client_ids: usize, thumbprints: usize) -> Result<(), IamError> {
    if thumbprints > MAX_THUMBPRINTS {
        return Err(IamError::invalid_input(
            "Thumbprint list must contain fewer than 5 entries.",
        ));
    }
    if client_ids > MAX_CLIENT_IDS {
        return Err(IamError::quota_exceeded(
            "ClientIdsPerOpenIdConnectProvider",
            MAX_CLIENT_IDS,
        ));
    }
    Ok(())
}

fn require(tx: &mut dyn Transaction, account: &str, arn: &str) -> TxResult<OidcProviderRecord> {
    match records::get::<OidcProviderRecord>(tx, Ns::OidcProvider.as_str(), arn)? {
        Some(provider) if provider.account_id == account => Ok(provider),
        _ => Err(Outcome::Domain(not_found(arn))),
    }
}

fn save(tx: &mut dyn Transaction, provider: &OidcProviderRecord) -> TxResult<()> {
    records::put(tx, Ns::OidcProvider.as_str(), &provider.arn, provider)?;
    Ok(())
}

/// Changes a provider in one transaction.
fn change(
    ctx: &OpContext<'_>,
    arn: &str,
    mut work: impl FnMut(&mut OidcProviderRecord) -> Result<(), IamError>,
) -> Result<Value, IamError> {
    ctx.write(|tx| {
        let mut provider = require(tx, ctx.account(), arn)?;
        work(&mut provider).map_err(Outcome::Domain)?;
        save(tx, &provider)
    })?;
    Ok(json!({}))
}

pub(super) fn create(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let input = Input(input);
    let url = input.required("Url")?;
    let arn = provider_arn(ctx.caller.partition(), ctx.account(), url)
        .ok_or_else(|| IamError::validation("Invalid Open ID Connect Provider URL"))?;
    let client_ids: Vec<String> = input
        .strings("ClientIDList")
        .into_iter()
        .map(str::to_string)
        .collect();
    let thumbprints: Vec<String> = input
        .strings("ThumbprintList")
        .into_iter()
        .map(str::to_string)
        .collect();
    check_lists(client_ids.len(), thumbprints.len())?;
    let tags = input.tags(EntityKind::Role)?;
    super::tags::check_count(ctx, tags.len())?;
    let provider = OidcProviderRecord {
        arn: arn.clone(),
        account_id: ctx.account().to_string(),
        url: url
            .trim_start_matches("https://")
            .trim_end_matches('/')
            .to_string(),
        client_ids,
        thumbprints,
        created: ctx.now_secs(),
        tags: tags.clone(),
    };
    ctx.write(|tx| {
        if tx.get(Ns::OidcProvider.as_str(), &arn)?.is_some() {
            return Err(Outcome::Domain(IamError::new(
                "EntityAlreadyExists",
                format!("Provider with url {url} already exists."),
            )));
        }
        save(tx, &provider)
    })?;
    let mut out = json!({ "OpenIDConnectProviderArn": arn });
    if !tags.is_empty() {
        out["Tags"] = tags_output(&tags);
    }
    Ok(out)
}

pub(super) fn get(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let arn = Input(input).required("OpenIDConnectProviderArn")?;
    let provider = ctx
        .snapshot
        .oidc_provider(arn)
        .filter(|p| p.account_id == ctx.account())
        .ok_or_else(|| not_found(arn))?;
    Ok(json!({
        "Url": provider.url,
        "ClientIDList": provider.client_ids,
        "ThumbprintList": provider.thumbprints,
        "CreateDate": iso8601(provider.created),
        "Tags": tags_output(&provider.tags),
    }))
}

pub(super) fn list(ctx: &OpContext<'_>, _input: &Value) -> Result<Value, IamError> {
    let providers: Vec<Value> = ctx
        .snapshot
        .oidc_providers(ctx.account())
        .into_iter()
        .map(|p| json!({ "Arn": p.arn }))
        .collect();
    Ok(json!({ "OpenIDConnectProviderList": providers }))
}

pub(super) fn delete(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let arn = Input(input).required("OpenIDConnectProviderArn")?;
    ctx.write(|tx| {
        require(tx, ctx.account(), arn).map_err(|_| {
            Outcome::Domain(IamError::new(
                "NoSuchEntity",
                format!("OpenId connect Provider {arn} cannot be found."),
            ))
        })?;
        tx.delete(Ns::OidcProvider.as_str(), arn)?;
        Ok::<_, Outcome<IamError>>(())
    })?;
    Ok(json!({}))
}

pub(super) fn add_client_id(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let input = Input(input);
    let arn = input.required("OpenIDConnectProviderArn")?;
    let client_id = input.required("ClientID")?;
    change(ctx, arn, |provider| {
        if !provider.client_ids.iter().any(|c| c == client_id) {
            provider.client_ids.push(client_id.to_string());
        }
        check_lists(provider.client_ids.len(), 0)
    })
}

pub(super) fn remove_client_id(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let input = Input(input);
    let arn = input.required("OpenIDConnectProviderArn")?;
    let client_id = input.required("ClientID")?;
    change(ctx, arn, |provider| {
        provider.client_ids.retain(|c| c != client_id);
        Ok(())
    })
}

pub(super) fn update_thumbprint(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let input = Input(input);
    let arn = input.required("OpenIDConnectProviderArn")?;
    let thumbprints: Vec<String> = input
        .strings("ThumbprintList")
        .into_iter()
        .map(str::to_string)
        .collect();
    check_lists(0, thumbprints.len())?;
    change(ctx, arn, |provider| {
        provider.thumbprints = thumbprints.clone();
        Ok(())
    })
}

pub(super) fn tag(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let input = Input(input);
    let arn = input.required("OpenIDConnectProviderArn")?;
    let tags = input.tags(EntityKind::Role)?;
    change(ctx, arn, |provider| {
        super::tags::merge(EntityKind::Role, &mut provider.tags, &tags);
        super::tags::check_count(ctx, provider.tags.len())
    })
}

pub(super) fn untag(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let input = Input(input);
    let arn = input.required("OpenIDConnectProviderArn")?;
    let keys = input.strings("TagKeys");
    change(ctx, arn, |provider| {
        super::tags::remove(EntityKind::Role, &mut provider.tags, &keys);
        Ok(())
    })
}

pub(super) fn list_tags(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let input = Input(input);
    let arn = input.required("OpenIDConnectProviderArn")?;
    let provider = ctx
        .snapshot
        .oidc_provider(arn)
        .filter(|p| p.account_id == ctx.account())
        .ok_or_else(|| not_found(arn))?;
    super::tags::list_output(input, &provider.tags)
}
