//! OpenID Connect identity providers: `CreateOpenIDConnectProvider`,
//! `GetOpenIDConnectProvider`, `ListOpenIDConnectProviders`,
//! `DeleteOpenIDConnectProvider`, client ids, thumbprints and tags, with
//! IAM's wording (from answers recorded against AWS). The federation that
//! uses them (`AssumeRoleWithWebIdentity`) is STS's.

use serde_json::{json, Value};
use tessera_store::Outcome;

use super::keyed::{self, Keyed, Tagged};
use super::users::tags_output;
use super::{iso8601, Input, OpContext};
use crate::kind::EntityKind;
use crate::records::{Ns, OidcProviderRecord};
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

impl Keyed for OidcProviderRecord {
    const NS: Ns = Ns::OidcProvider;
    const KEY_MEMBER: &'static str = "OpenIDConnectProviderArn";
    fn key(&self) -> &str {
        &self.arn
    }
    fn account(&self) -> &str {
        &self.account_id
    }
    fn missing(key: &str) -> IamError {
        not_found(key)
    }
    fn lookup<'s>(snapshot: &'s crate::snapshot::Snapshot, key: &str) -> Option<&'s Self> {
        snapshot.oidc_provider(key)
    }
}

impl Tagged for OidcProviderRecord {
    const TAG_RULES: EntityKind = EntityKind::Role;
    fn tags(&self) -> &[crate::records::Tag] {
        &self.tags
    }
    fn tags_mut(&mut self) -> &mut Vec<crate::records::Tag> {
        &mut self.tags
    }
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
    keyed::insert_new(ctx, &provider, || {
        format!("Provider with url {url} already exists.")
    })?;
    Ok(keyed::created_output(&provider))
}

pub(super) fn get(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let arn = Input(input).required("OpenIDConnectProviderArn")?;
    let provider: &OidcProviderRecord = keyed::get(ctx, arn)?;
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
        keyed::require::<OidcProviderRecord>(tx, ctx.account(), arn).map_err(|_| {
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
    keyed::change(ctx, arn, |provider: &mut OidcProviderRecord| {
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
    keyed::change(ctx, arn, |provider: &mut OidcProviderRecord| {
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
    keyed::change(ctx, arn, |provider: &mut OidcProviderRecord| {
        provider.thumbprints = thumbprints.clone();
        Ok(())
    })
}
