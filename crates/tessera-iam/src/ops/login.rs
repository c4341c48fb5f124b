//! Console passwords and the account password policy:
//! `CreateLoginProfile`, `GetLoginProfile`, `UpdateLoginProfile`,
//! `DeleteLoginProfile`, `ChangePassword`, and
//! `Update/Get/DeleteAccountPasswordPolicy`. Passwords are checked against
//! the policy (IAM's `PasswordPolicyViolation`), kept only as argon2id
//! hashes, and never returned or logged. The sign-in that uses them comes
//! with the console.

use serde_json::{json, Map, Value};
use tessera_store::{Outcome, Transaction};

use super::{iso8601, Input, OpContext};
use crate::caller::Caller;
use crate::passwords::{self, PasswordPolicy};
use crate::records::{self, AccountRecord, LoginProfile, UserBody, UserRecord, NS_ACCOUNT};
use crate::table::{Table, TxResult};
use crate::IamError;

fn account_record(tx: &mut dyn Transaction, account: &str) -> TxResult<AccountRecord> {
    records::get::<AccountRecord>(tx, NS_ACCOUNT, account)?
        .ok_or_else(|| Outcome::Domain(IamError::service_failure()))
}

fn no_login_profile(user: &str) -> IamError {
    IamError::new(
        "NoSuchEntity",
        format!("Login Profile for User {user} cannot be found."),
    )
}

fn profile_output(user: &UserRecord, profile: &LoginProfile) -> Value {
    json!({
        "UserName": user.core.name,
        "CreateDate": iso8601(profile.created),
        "PasswordResetRequired": profile.reset_required,
    })
}

/// Checks a new password against the account's policy and, with reuse
/// prevention, against the user's previous ones; answers its hash.
fn new_hash(
    ctx: &OpContext<'_>,
    tx: &mut dyn Transaction,
    password: &str,
    previous: &[String],
) -> TxResult<String> {
    let policy = account_record(tx, ctx.account())?.password_policy;
    passwords::check(password, policy.as_ref()).map_err(Outcome::Domain)?;
    let reuse = policy
        .as_ref()
        .and_then(|p| p.reuse_prevention)
        .unwrap_or(0);
    let recent = usize::try_from(reuse).unwrap_or(usize::MAX);
    if previous
        .iter()
        .take(recent)
        .any(|hash| passwords::matches(password, hash))
    {
        return Err(Outcome::Domain(IamError::new(
            "PasswordPolicyViolation",
            format!("Password cannot be one of your {reuse} previous passwords"),
        )));
    }
    passwords::hash(password, ctx.random).map_err(Outcome::Domain)
}

/// Replaces a profile's password, keeping the old hash for reuse checks.
fn replace_password(profile: &mut LoginProfile, hash: String, now: i64) {
    profile.changed = Some(now);
    let old = std::mem::replace(&mut profile.password_hash, hash);
    profile.previous_hashes.insert(0, old);
    profile.previous_hashes.truncate(24);
}

pub(super) fn create_login_profile(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let input = Input(input);
    let name = input.required("UserName")?;
    let password = input.required("Password")?;
    let reset_required = input.bool("PasswordResetRequired").unwrap_or(false);
    let (user, profile) = ctx.write(|tx| {
        let mut user = Table::<UserBody>::require(tx, ctx.account(), name)?;
        if user.body.login_profile.is_some() {
            return Err(Outcome::Domain(IamError::new(
                "EntityAlreadyExists",
                format!("Login Profile for user {} already exists.", user.core.name),
            )));
        }
        let hash = new_hash(ctx, tx, password, &[])?;
        let profile = LoginProfile {
            created: ctx.now_secs(),
            password_hash: hash,
            reset_required,
            previous_hashes: Vec::new(),
            changed: None,
        };
        user.body.login_profile = Some(profile.clone());
        Table::save(tx, &user)?;
        Ok((user, profile))
    })?;
    Ok(super::one_member(
        "LoginProfile",
        profile_output(&user, &profile),
    ))
}

pub(super) fn get_login_profile(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let input = Input(input);
    let user = match (input.str("UserName"), ctx.caller) {
        (Some(name), _) => ctx.require::<UserBody>(name)?,
        (None, Caller::User { user_id, name, .. }) => ctx
            .snapshot
            .user_by_id(user_id)
            .ok_or_else(|| IamError::no_such_user(name))?,
        (None, _) => return Err(super::users::non_user_credentials()),
    };
    let profile = user
        .body
        .login_profile
        .as_ref()
        .ok_or_else(|| no_login_profile(&user.core.name))?;
    Ok(super::one_member(
        "LoginProfile",
        profile_output(user, profile),
    ))
}

pub(super) fn update_login_profile(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let input = Input(input);
    let name = input.required("UserName")?;
    let password = input.str("Password");
    let reset_required = input.bool("PasswordResetRequired");
    ctx.write(|tx| {
        let mut user = Table::<UserBody>::require(tx, ctx.account(), name)?;
        let mut profile = user
            .body
            .login_profile
            .clone()
            .ok_or_else(|| Outcome::Domain(no_login_profile(&user.core.name)))?;
        if let Some(password) = password {
            let mut previous = vec![profile.password_hash.clone()];
            previous.extend(profile.previous_hashes.iter().cloned());
            let hash = new_hash(ctx, tx, password, &previous)?;
            replace_password(&mut profile, hash, ctx.now_secs());
        }
        if let Some(reset) = reset_required {
            profile.reset_required = reset;
        }
        user.body.login_profile = Some(profile);
        Table::save(tx, &user)
    })?;
    Ok(json!({}))
}

pub(super) fn delete_login_profile(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let name = Input(input).required("UserName")?;
    ctx.write(|tx| {
        let mut user = Table::<UserBody>::require(tx, ctx.account(), name)?;
        if user.body.login_profile.take().is_none() {
            return Err(Outcome::Domain(no_login_profile(&user.core.name)));
        }
        Table::save(tx, &user)
    })?;
    Ok(json!({}))
}

/// `ChangePassword`: an IAM user changes its own password with its old one.
pub(super) fn change_password(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let input = Input(input);
    let old = input.required("OldPassword")?;
    let new = input.required("NewPassword")?;
    let Caller::User { user_id, name, .. } = ctx.caller else {
        return Err(IamError::new(
            "InvalidUserType",
            "Only IAM users can change their own password.",
        ));
    };
    ctx.write(|tx| {
        let mut user = Table::<UserBody>::get_by_id(tx, user_id)?
            .ok_or_else(|| Outcome::Domain(IamError::no_such_user(name)))?;
        let mut profile = user
            .body
            .login_profile
            .clone()
            .ok_or_else(|| Outcome::Domain(no_login_profile(&user.core.name)))?;
        if !passwords::matches(old, &profile.password_hash) {
            return Err(Outcome::Domain(IamError::new(
                "InvalidUserType",
                "The old password is incorrect.",
            )));
        }
        let mut previous = vec![profile.password_hash.clone()];
        previous.extend(profile.previous_hashes.iter().cloned());
        let hash = new_hash(ctx, tx, new, &previous)?;
        replace_password(&mut profile, hash, ctx.now_secs());
        profile.reset_required = false;
        user.body.login_profile = Some(profile);
        Table::save(tx, &user)
    })?;
    Ok(json!({}))
}

fn policy_output(policy: &PasswordPolicy) -> Value {
    let mut out = Map::new();
    out.insert("MinimumPasswordLength".into(), json!(policy.minimum_length));
    out.insert("RequireSymbols".into(), json!(policy.require_symbols));
    out.insert("RequireNumbers".into(), json!(policy.require_numbers));
    out.insert(
        "RequireUppercaseCharacters".into(),
        json!(policy.require_uppercase),
    );
    out.insert(
        "RequireLowercaseCharacters".into(),
        json!(policy.require_lowercase),
    );
    out.insert(
        "AllowUsersToChangePassword".into(),
        json!(policy.allow_users_to_change),
    );
    out.insert(
        "ExpirePasswords".into(),
        json!(policy.max_age_days.is_some()),
    );
    if let Some(age) = policy.max_age_days {
        out.insert("MaxPasswordAge".into(), json!(age));
    }
    if let Some(reuse) = policy.reuse_prevention {
        out.insert("PasswordReusePrevention".into(), json!(reuse));
    }
    if let Some(hard) = policy.hard_expiry {
        out.insert("HardExpiry".into(), json!(hard));
    }
    Value::Object(out)
}

pub(super) fn update_account_password_policy(
    ctx: &OpContext<'_>,
    input: &Value,
) -> Result<Value, IamError> {
    let input = Input(input);
    let flag = |member: &str| input.bool(member).unwrap_or(false);
    let number = |member: &str| input.u64(member).and_then(|n| u32::try_from(n).ok());
    let policy = PasswordPolicy {
        minimum_length: number("MinimumPasswordLength").unwrap_or(6),
        require_symbols: flag("RequireSymbols"),
        require_numbers: flag("RequireNumbers"),
        require_uppercase: flag("RequireUppercaseCharacters"),
        require_lowercase: flag("RequireLowercaseCharacters"),
        allow_users_to_change: flag("AllowUsersToChangePassword"),
        max_age_days: number("MaxPasswordAge").filter(|age| *age > 0),
        reuse_prevention: number("PasswordReusePrevention").filter(|n| *n > 0),
        hard_expiry: input.bool("HardExpiry"),
    };
    ctx.write(|tx| {
        let mut account = account_record(tx, ctx.account())?;
        account.password_policy = Some(policy.clone());
        records::put(tx, NS_ACCOUNT, ctx.account(), &account)?;
        Ok::<_, Outcome<IamError>>(())
    })?;
    Ok(json!({}))
}

pub(super) fn get_account_password_policy(
    ctx: &OpContext<'_>,
    _input: &Value,
) -> Result<Value, IamError> {
    let policy = ctx
        .snapshot
        .account(ctx.account())
        .and_then(|a| a.password_policy.as_ref())
        .ok_or_else(|| {
            IamError::new(
                "NoSuchEntity",
                format!(
                    "The Password Policy with domain name {} cannot be found.",
                    ctx.account()
                ),
            )
        })?;
    Ok(super::one_member("PasswordPolicy", policy_output(policy)))
}

pub(super) fn delete_account_password_policy(
    ctx: &OpContext<'_>,
    _input: &Value,
) -> Result<Value, IamError> {
    ctx.write(|tx| {
        let mut account = account_record(tx, ctx.account())?;
        if account.password_policy.take().is_none() {
            return Err(Outcome::Domain(IamError::new(
                "NoSuchEntity",
                "The account policy with name PasswordPolicy cannot be found.",
            )));
        }
        records::put(tx, NS_ACCOUNT, ctx.account(), &account)?;
        Ok(())
    })?;
    Ok(json!({}))
}
