//! The credential report: `GenerateCredentialReport` and
//! `GetCredentialReport`. A report is one CSV document per account with
//! AWS's columns, a row for the account root and one per user, in AWS's
//! value formats (`true`/`false`, ISO 8601 with `+00:00`, `N/A` where a
//! credential does not exist, `no_information` for a password never used,
//! `not_supported` for what the root cannot have). It is generated at
//! once and kept for four hours, as AWS keeps its own: a second
//! `Generate` within them answers `COMPLETE` without regenerating, and
//! `Get` after them answers `ReportExpired`.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{iso8601, OpContext};
use crate::records::{
    self, AccessKeyRecord, KeyOwner, KeyStatus, Ns, UserBody, UserCredentialRecord, NS_ACCESS_KEY,
    NS_OWNER_KEY,
};
use crate::IamError;

/// How long a report is served, as AWS documents: four hours.
const REPORT_LIFETIME_SECS: i64 = 4 * 3600;

/// AWS's columns, in order.
const HEADER: &str = "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated";

/// A stored report.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CredentialReport {
    /// When it was generated, seconds since the epoch.
    pub generated: i64,
    /// The CSV document.
    pub content: String,
}

/// A timestamp as the report writes it: `2024-05-01T12:34:56+00:00`.
fn report_time(seconds: i64) -> String {
    super::utc_timestamp(seconds, "+00:00")
}

/// A CSV field: quoted when it holds a comma, quote or line break.
fn field(value: &str) -> String {
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_string()
    }
}

fn flag(value: bool) -> &'static str {
    if value {
        "true"
    } else {
        "false"
    }
}

/// The five columns of one access-key slot.
fn key_columns(ctx: &OpContext<'_>, key: Option<&AccessKeyRecord>) -> [String; 5] {
    let Some(key) = key else {
        return ["false", "N/A", "N/A", "N/A", "N/A"].map(String::from);
    };
    let active = flag(key.status == KeyStatus::Active).to_string();
    let rotated = report_time(key.created);
    match ctx.usage.last_used(&key.access_key_id) {
        Some(used) => [
            active,
            rotated,
            report_time(used.date),
            used.region,
            used.service,
        ],
        None => [active, rotated, "N/A".into(), "N/A".into(), "N/A".into()],
    }
}

/// The two columns of one signing-certificate slot.
fn certificate_columns(certificate: Option<&UserCredentialRecord>) -> [String; 2] {
    match certificate {
        Some(c) => [
            flag(c.status == KeyStatus::Active).to_string(),
            report_time(c.created),
        ],
        None => ["false".into(), "N/A".into()],
    }
}

/// An owner's access keys, oldest first.
fn keys_of(
    tx: &mut dyn tessera_store::Transaction,
    account: &str,
    owner: &KeyOwner,
) -> Result<Vec<AccessKeyRecord>, tessera_store::StoreError> {
    let prefix = records::owner_key_prefix(account, owner);
    let mut keys = Vec::new();
    for (entry, _) in records::scan_all(tx, NS_OWNER_KEY, &prefix)? {
        let id = entry.strip_prefix(prefix.as_str()).unwrap_or(&entry);
        if let Some(key) = records::get::<AccessKeyRecord>(tx, NS_ACCESS_KEY, id)? {
            keys.push(key);
        }
    }
    keys.sort_by(|a, b| (a.created, &a.access_key_id).cmp(&(b.created, &b.access_key_id)));
    Ok(keys)
}

/// Builds the report of the caller's account from the store.
fn generate(
    ctx: &OpContext<'_>,
    tx: &mut dyn tessera_store::Transaction,
) -> Result<String, tessera_store::StoreError> {
    let account = ctx.account();
    let record = ctx.snapshot.account(account);
    let partition = record.map_or("aws", |a| a.partition.as_str());
    let max_age = record
        .and_then(|a| a.password_policy.as_ref())
        .and_then(|p| p.max_age_days);
    let mut out = String::from(HEADER);
    out.push('\n');

    let mut row = |cells: Vec<String>| {
        let line: Vec<String> = cells.iter().map(|c| field(c)).collect();
        out.push_str(&line.join(","));
        out.push('\n');
    };

    let root_keys = keys_of(tx, account, &KeyOwner::Root)?;
    let mut cells = vec![
        "<root_account>".to_string(),
        crate::arn::root(partition, account),
        report_time(record.map_or(0, |a| a.created)),
        "not_supported".into(),
        "no_information".into(),
        "not_supported".into(),
        "not_supported".into(),
        "false".into(),
    ];
    cells.extend(key_columns(ctx, root_keys.first()));
    cells.extend(key_columns(ctx, root_keys.get(1)));
    cells.extend(certificate_columns(None));
    cells.extend(certificate_columns(None));
    row(cells);

    let mfa_users: std::collections::HashSet<&str> = ctx
        .snapshot
        .mfa_devices(account)
        .into_iter()
        .filter_map(|d| d.user_id.as_deref())
        .collect();
    for user in ctx.snapshot.list::<UserBody>(account, "/") {
        let owner = KeyOwner::User {
            user_id: user.core.id.clone(),
        };
        let keys = keys_of(tx, account, &owner)?;
        let mut certificates: Vec<UserCredentialRecord> = super::user_credentials::of_user(
            tx,
            &user.core.id,
            super::user_credentials::Family::SigningCertificate,
        )?;
        certificates.sort_by_key(|c| c.created);
        let (enabled, last_changed, next_rotation) = match &user.body.login_profile {
            Some(profile) => {
                let changed = profile.changed.unwrap_or(profile.created);
                let next = max_age.map_or("N/A".to_string(), |days| {
                    report_time(changed + i64::from(days) * 86_400)
                });
                ("true", report_time(changed), next)
            }
            None => ("false", "N/A".to_string(), "N/A".to_string()),
        };
        let last_used = if enabled == "true" {
            "no_information"
        } else {
            "N/A"
        };
        let mut cells = vec![
            user.core.name.clone(),
            crate::arn::user(partition, account, &user.core.path, &user.core.name),
            report_time(user.core.created),
            enabled.to_string(),
            last_used.to_string(),
            last_changed,
            next_rotation,
            flag(mfa_users.contains(user.core.id.as_str())).to_string(),
        ];
        cells.extend(key_columns(ctx, keys.first()));
        cells.extend(key_columns(ctx, keys.get(1)));
        cells.extend(certificate_columns(certificates.first()));
        cells.extend(certificate_columns(certificates.get(1)));
        row(cells);
    }
    Ok(out)
}

pub(super) fn generate_credential_report(
    ctx: &OpContext<'_>,
    _input: &Value,
) -> Result<Value, IamError> {
    let now = ctx.now_secs();
    let account = ctx.account().to_string();
    let started = ctx.write(|tx| {
        let current: Option<CredentialReport> = records::get(tx, Ns::Report.as_str(), &account)?;
        if current.is_some_and(|r| now - r.generated < REPORT_LIFETIME_SECS) {
            return Ok(false);
        }
        let content = generate(ctx, tx)?;
        let report = CredentialReport {
            generated: now,
            content,
        };
        records::put(tx, Ns::Report.as_str(), &account, &report)?;
        Ok(true)
    })?;
    Ok(if started {
        json!({
            "State": "STARTED",
            "Description": "No report exists. Starting a new report generation task",
        })
    } else {
        json!({ "State": "COMPLETE" })
    })
}

pub(super) fn get_credential_report(
    ctx: &OpContext<'_>,
    _input: &Value,
) -> Result<Value, IamError> {
    use base64::{engine::general_purpose::STANDARD, Engine};
    let account = ctx.account().to_string();
    let report: Option<CredentialReport> =
        ctx.read(|tx| Ok(records::get(tx, Ns::Report.as_str(), &account)?))?;
    let report = report.ok_or_else(|| IamError::new("ReportNotPresent", ""))?;
    if ctx.now_secs() - report.generated >= REPORT_LIFETIME_SECS {
        return Err(IamError::new(
            "ReportExpired",
            "The request was rejected because the most recent credential report has expired. To generate a new credential report, use GenerateCredentialReport. For more information about credential report expiration, see Getting Credential Reports in the IAM User Guide.",
        ));
    }
    Ok(json!({
        "Content": STANDARD.encode(report.content.as_bytes()),
        "ReportFormat": "text/csv",
        "GeneratedTime": iso8601(report.generated),
    }))
}
