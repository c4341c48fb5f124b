//! Virtual MFA devices: `CreateVirtualMFADevice` (the seed and a QR code
//! of its `otpauth://` URI, handed out once), `EnableMFADevice` (two
//! consecutive codes), `ResyncMFADevice`, `DeactivateMFADevice`,
//! `DeleteVirtualMFADevice`, `GetMFADevice`, `ListMFADevices`,
//! `ListVirtualMFADevices` and tags; and the one-time-code check that STS
//! calls ([`check_code`]).

use serde_json::{json, Map, Value};
use tessera_store::{Outcome, Transaction};

use super::keyed::{self, Keyed, Tagged};
use super::users::{tags_output, user_output};
use super::{iso8601, Input, OpContext};
use crate::caller::Caller;
use crate::crypto::{Kek, Secret};
use crate::kind::EntityKind;
use crate::mfa;
use crate::records::{self, MfaDeviceRecord, Ns, UserBody};
use crate::table::{Table, TxResult};
use crate::IamError;

/// The most MFA devices one user may have.
const MAX_DEVICES_PER_USER: usize = 8;

/// The serial number of a virtual device.
pub(super) fn serial(partition: &str, account: &str, path: &str, name: &str) -> String {
    format!("arn:{partition}:iam::{account}:mfa{path}{name}")
}

fn no_such_device(serial: &str) -> IamError {
    IamError::new(
        "NoSuchEntity",
        format!("MFA Device with serial number {serial} does not exist."),
    )
}

impl Keyed for MfaDeviceRecord {
    const NS: Ns = Ns::Mfa;
    const KEY_MEMBER: &'static str = "SerialNumber";
    fn key(&self) -> &str {
        &self.serial
    }
    fn account(&self) -> &str {
        &self.account_id
    }
    fn missing(key: &str) -> IamError {
        no_such_device(key)
    }
    fn lookup<'s>(snapshot: &'s crate::snapshot::Snapshot, key: &str) -> Option<&'s Self> {
        snapshot.mfa_device(key)
    }
}

impl Tagged for MfaDeviceRecord {
    const TAG_RULES: EntityKind = EntityKind::User;
    fn tags(&self) -> &[crate::records::Tag] {
        &self.tags
    }
    fn tags_mut(&mut self) -> &mut Vec<crate::records::Tag> {
        &mut self.tags
    }
}

fn invalid_codes() -> IamError {
    IamError::new(
        "InvalidAuthenticationCode",
        "Authentication code for device is not valid.",
    )
}

fn open_seed(kek: &Kek, device: &MfaDeviceRecord) -> Result<Vec<u8>, IamError> {
    let seed = kek
        .open(&format!("mfa:{}", device.serial), &device.sealed_seed)
        .map_err(|_| IamError::service_failure())?;
    hex::decode(seed.expose()).map_err(|_| IamError::service_failure())
}

/// Checks a one-time code of the MFA device `serial`, which must be
/// enabled for `user_id`, and records its step so that it is never
/// accepted again. Runs its own write transaction.
pub(super) fn check_code(
    ctx: &OpContext<'_>,
    user_id: &str,
    serial: &str,
    code: &str,
) -> Result<(), IamError> {
    let refused = || {
        IamError::new(
            "AccessDenied",
            "MultiFactorAuthentication failed with invalid MFA one time pass code.",
        )
    };
    let now = ctx.now_secs();
    ctx.write(|tx| {
        let mut device = keyed::require::<MfaDeviceRecord>(tx, ctx.account(), serial)
            .map_err(|_| Outcome::Domain(refused()))?;
        if device.user_id.as_deref() != Some(user_id) {
            return Err(Outcome::Domain(refused()));
        }
        let seed = open_seed(ctx.kek, &device).map_err(Outcome::Domain)?;
        let step = mfa::verify(&seed, code, now, device.last_step)
            .ok_or_else(|| Outcome::Domain(refused()))?;
        device.last_step = Some(step);
        keyed::save(tx, &device)
    })
}

pub(super) fn create(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let input = Input(input);
    let name = input.required("VirtualMFADeviceName")?;
    let path = input.path();
    let tags = input.tags(EntityKind::User)?;
    super::tags::check_count(ctx, tags.len())?;
    let serial = serial(ctx.caller.partition(), ctx.account(), path, name);
    let mut seed = [0u8; 20];
    ctx.random.fill(&mut seed);
    let device = MfaDeviceRecord {
        serial: serial.clone(),
        account_id: ctx.account().to_string(),
        name: name.to_string(),
        path: path.to_string(),
        created: ctx.now_secs(),
        tags: tags.clone(),
        sealed_seed: ctx.kek.seal(
            ctx.random,
            &format!("mfa:{serial}"),
            &Secret::new(hex::encode(seed)),
        ),
        user_id: None,
        enabled: None,
        last_step: None,
    };
    keyed::insert_new(ctx, &device, || "MFA device already exists.".to_string())?;
    let uri = mfa::otpauth_uri(name, ctx.account(), &seed);
    let png = mfa::qr_png(&uri).ok_or_else(IamError::service_failure)?;
    let mut out = json!({
        "SerialNumber": serial,
        "Base32StringSeed": mfa::blob(mfa::base32(&seed).as_bytes()),
        "QRCodePNG": mfa::blob(&png),
    });
    if !tags.is_empty() {
        out["Tags"] = tags_output(&tags);
    }
    Ok(json!({ "VirtualMFADevice": out }))
}

/// The user an MFA call names, or the calling user.
fn target_user(
    tx: &mut dyn Transaction,
    ctx: &OpContext<'_>,
    input: Input<'_>,
) -> TxResult<records::UserRecord> {
    match (input.str("UserName"), ctx.caller) {
        (Some(name), _) => Table::<UserBody>::require(tx, ctx.account(), name),
        (None, Caller::User { user_id, name, .. }) => Table::<UserBody>::get_by_id(tx, user_id)?
            .ok_or_else(|| Outcome::Domain(IamError::no_such_user(name))),
        (None, _) => Err(Outcome::Domain(super::users::non_user_credentials())),
    }
}

/// The step of the second of two consecutive codes of `device`, or IAM's
/// `InvalidAuthenticationCode`.
fn two_codes(
    kek: &Kek,
    device: &MfaDeviceRecord,
    first: &str,
    second: &str,
    now: i64,
) -> TxResult<i64> {
    let seed = open_seed(kek, device).map_err(Outcome::Domain)?;
    mfa::verify_consecutive(&seed, first, second, now)
        .ok_or_else(|| Outcome::Domain(invalid_codes()))
}

pub(super) fn enable(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let input = Input(input);
    let serial = input.required("SerialNumber")?;
    let first = input.required("AuthenticationCode1")?;
    let second = input.required("AuthenticationCode2")?;
    let now = ctx.now_secs();
    ctx.write(|tx| {
        let user = target_user(tx, ctx, input)?;
        let mut device = keyed::require::<MfaDeviceRecord>(tx, ctx.account(), serial)?;
        if device.user_id.is_some() {
            return Err(Outcome::Domain(IamError::new(
                "EntityAlreadyExists",
                "MFA Device is already in use.",
            )));
        }
        let owned = records::scan_all(tx, Ns::Mfa.as_str(), "")?
            .into_iter()
            .filter_map(|(k, v)| records::decode::<MfaDeviceRecord>("mfa", &k, &v).ok())
            .filter(|d| d.user_id.as_deref() == Some(user.core.id.as_str()))
            .count();
        if owned >= MAX_DEVICES_PER_USER {
            return Err(Outcome::Domain(IamError::quota_exceeded(
                "MFADevicesPerUser",
                MAX_DEVICES_PER_USER,
            )));
        }
        let step = two_codes(ctx.kek, &device, first, second, now)?;
        device.user_id = Some(user.core.id.clone());
        device.enabled = Some(now);
        device.last_step = Some(step);
        keyed::save(tx, &device)
    })?;
    Ok(json!({}))
}

pub(super) fn resync(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let input = Input(input);
    let serial = input.required("SerialNumber")?;
    let first = input.required("AuthenticationCode1")?;
    let second = input.required("AuthenticationCode2")?;
    let now = ctx.now_secs();
    ctx.write(|tx| {
        let user = target_user(tx, ctx, input)?;
        let mut device = keyed::require::<MfaDeviceRecord>(tx, ctx.account(), serial)?;
        if device.user_id.as_deref() != Some(user.core.id.as_str()) {
            return Err(Outcome::Domain(no_such_device(serial)));
        }
        let step = two_codes(ctx.kek, &device, first, second, now)?;
        device.last_step = Some(step);
        keyed::save(tx, &device)
    })?;
    Ok(json!({}))
}

/// `DeactivateMFADevice`: a virtual device is removed with its
/// deactivation, as AWS does.
pub(super) fn deactivate(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let input = Input(input);
    let serial = input.required("SerialNumber")?;
    ctx.write(|tx| {
        let user = target_user(tx, ctx, input)?;
        let device = keyed::require::<MfaDeviceRecord>(tx, ctx.account(), serial)?;
        if device.user_id.as_deref() != Some(user.core.id.as_str()) {
            return Err(Outcome::Domain(no_such_device(serial)));
        }
        tx.delete(Ns::Mfa.as_str(), serial)?;
        Ok::<_, Outcome<IamError>>(())
    })?;
    Ok(json!({}))
}

pub(super) fn delete(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let serial = Input(input).required("SerialNumber")?;
    ctx.write(|tx| {
        let device = keyed::require::<MfaDeviceRecord>(tx, ctx.account(), serial)?;
        if device.user_id.is_some() {
            return Err(Outcome::Domain(IamError::delete_conflict(
                "MFA device is in use: deactivate it before deleting it.",
            )));
        }
        tx.delete(Ns::Mfa.as_str(), serial)?;
        Ok::<_, Outcome<IamError>>(())
    })?;
    Ok(json!({}))
}

pub(super) fn get(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let serial = Input(input).required("SerialNumber")?;
    let device: &MfaDeviceRecord = keyed::get(ctx, serial)?;
    let mut out = Map::new();
    if let Some(user) = device
        .user_id
        .as_deref()
        .and_then(|id| ctx.snapshot.user_by_id(id))
    {
        out.insert("UserName".into(), json!(user.core.name));
    }
    out.insert("SerialNumber".into(), json!(device.serial));
    if let Some(enabled) = device.enabled {
        out.insert("EnableDate".into(), json!(iso8601(enabled)));
    }
    Ok(Value::Object(out))
}

pub(super) fn list(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let input = Input(input);
    let user = match (input.str("UserName"), ctx.caller) {
        (Some(name), _) => ctx.require::<UserBody>(name)?,
        (None, Caller::User { user_id, name, .. }) => ctx
            .snapshot
            .user_by_id(user_id)
            .ok_or_else(|| IamError::no_such_user(name))?,
        (None, _) => {
            return super::paging::page(input, Vec::<Value>::new(), |_| String::new())
                .map(|p| p.output("MFADevices", Clone::clone))
        }
    };
    let devices: Vec<&MfaDeviceRecord> = ctx
        .snapshot
        .mfa_devices(ctx.account())
        .into_iter()
        .filter(|d| d.user_id.as_deref() == Some(user.core.id.as_str()))
        .collect();
    let page = super::paging::page(input, devices, |d| d.serial.clone())?;
    Ok(page.output("MFADevices", |d| {
        json!({
            "UserName": user.core.name,
            "SerialNumber": d.serial,
            "EnableDate": iso8601(d.enabled.unwrap_or(d.created)),
        })
    }))
}

pub(super) fn list_virtual(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let input = Input(input);
    let status = input.str("AssignmentStatus").unwrap_or("Any");
    let devices: Vec<&MfaDeviceRecord> = ctx
        .snapshot
        .mfa_devices(ctx.account())
        .into_iter()
        .filter(|d| match status {
            "Assigned" => d.user_id.is_some(),
            "Unassigned" => d.user_id.is_none(),
            _ => true,
        })
        .collect();
    let page = super::paging::page(input, devices, |d| d.serial.clone())?;
    Ok(page.output("VirtualMFADevices", |d| {
        let mut out = Map::new();
        out.insert("SerialNumber".into(), json!(d.serial));
        if let Some(user) = d
            .user_id
            .as_deref()
            .and_then(|id| ctx.snapshot.user_by_id(id))
        {
            out.insert("User".into(), user_output(user, false));
        }
        if let Some(enabled) = d.enabled {
            out.insert("EnableDate".into(), json!(iso8601(enabled)));
        }
        Value::Object(out)
    }))
}
