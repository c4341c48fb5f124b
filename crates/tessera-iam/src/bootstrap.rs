//! Accounts: the default account made on first start, and further
//! accounts (`tessera account create`), each with its own root access key.

use tessera_store::{Backend, Outcome, Transaction};

use crate::crypto::{Kek, Secret};
use crate::ids::{self, IdKind, Random};
use crate::records::{
    self, AccessKeyRecord, AccountRecord, KeyOwner, KeyStatus, NS_ACCESS_KEY, NS_ACCOUNT,
    NS_OWNER_KEY,
};
use crate::IamError;

/// Namespace of installation-wide settings.
pub const NS_META: &str = "meta";
/// The `meta` key naming the default account.
pub const META_DEFAULT_ACCOUNT: &str = "default-account";

/// What [`ensure_default_account`] found or made.
#[derive(Debug)]
pub struct Bootstrap {
    /// The default account's id.
    pub account_id: String,
    /// The root access key, only when this call created the account: the
    /// one moment its secret is handed out.
    pub new_root_key: Option<(String, Secret)>,
}

/// An account to create.
#[derive(Debug, Clone)]
pub struct NewAccount<'a> {
    /// The 12-digit id.
    pub account_id: &'a str,
    /// A name for people (and for the credentials profile).
    pub name: Option<&'a str>,
    /// The partition (`aws`, `aws-cn`, …).
    pub partition: &'a str,
    /// Creation time, seconds since the epoch.
    pub now: i64,
}

/// Writes a new account and its root access key inside `tx`; answers the
/// key id and its secret, handed out only here.
fn insert_account(
    tx: &mut dyn Transaction,
    account: &NewAccount<'_>,
    random: &dyn Random,
    kek: &Kek,
) -> Result<(String, Secret), Outcome<IamError>> {
    if tx.get(NS_ACCOUNT, account.account_id)?.is_some() {
        return Err(Outcome::Domain(IamError::new(
            "EntityAlreadyExists",
            format!("Account {} already exists.", account.account_id),
        )));
    }
    let record = AccountRecord {
        account_id: account.account_id.to_string(),
        created: account.now,
        alias: None,
        name: account.name.map(str::to_string),
        partition: account.partition.to_string(),
        password_policy: None,
        global_endpoint_token_version: None,
        outbound: None,
    };
    records::put(tx, NS_ACCOUNT, account.account_id, &record)?;
    let key_id = ids::new_access_key_id(random, IdKind::AccessKey, account.account_id);
    let secret = Secret::new(ids::new_secret(random));
    let key = AccessKeyRecord {
        access_key_id: key_id.clone(),
        account_id: account.account_id.to_string(),
        owner: KeyOwner::Root,
        status: KeyStatus::Active,
        created: account.now,
        sealed_secret: kek.seal(random, &key_id, &secret),
    };
    records::put(tx, NS_ACCESS_KEY, &key_id, &key)?;
    let index = format!(
        "{}{key_id}",
        records::owner_key_prefix(account.account_id, &KeyOwner::Root)
    );
    tx.put(NS_OWNER_KEY, &index, b"")?;
    Ok((key_id, secret))
}

/// Makes sure the store has a default account, creating it with `account_id`
/// and a root access key if it has none. An existing default account is
/// kept whatever `account_id` says, so a restart never changes identity.
pub fn ensure_default_account(
    store: &dyn Backend,
    account_id: &str,
    now: i64,
    random: &dyn Random,
    kek: &Kek,
) -> Result<Bootstrap, IamError> {
    let result = tessera_store::write(store, |tx| {
        if let Some(existing) = tx.get(NS_META, META_DEFAULT_ACCOUNT)? {
            let account_id = String::from_utf8(existing).map_err(|_| {
                tessera_store::StoreError::Backend("corrupt default account record".into())
            })?;
            return Ok::<_, Outcome<IamError>>(Bootstrap {
                account_id,
                new_root_key: None,
            });
        }
        let account = NewAccount {
            account_id,
            name: None,
            partition: crate::arn::DEFAULT_PARTITION,
            now,
        };
        let key = insert_account(tx, &account, random, kek)?;
        tx.put(NS_META, META_DEFAULT_ACCOUNT, account_id.as_bytes())?;
        Ok(Bootstrap {
            account_id: account_id.to_string(),
            new_root_key: Some(key),
        })
    });
    result.map_err(IamError::from)
}

/// Creates a further account with its own root access key. Answers the
/// key id and secret: the one moment the secret is handed out.
pub fn create_account(
    store: &dyn Backend,
    account: &NewAccount<'_>,
    random: &dyn Random,
    kek: &Kek,
) -> Result<(String, Secret), IamError> {
    if !is_valid_account_id(account.account_id) {
        return Err(IamError::validation(format!(
            "An account id is exactly 12 digits, not `{}`.",
            account.account_id
        )));
    }
    if !crate::arn::PARTITIONS.contains(&account.partition) {
        return Err(IamError::validation(format!(
            "Unknown partition `{}`; known: {}.",
            account.partition,
            crate::arn::PARTITIONS.join(", ")
        )));
    }
    tessera_store::write(store, |tx| insert_account(tx, account, random, kek))
        .map_err(IamError::from)
}

/// Whether `id` is a valid AWS account id: exactly 12 digits.
pub fn is_valid_account_id(id: &str) -> bool {
    id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit())
}
