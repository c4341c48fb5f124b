//! First start: the default account and its root access key.

use tessera_store::{Backend, Outcome};

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
        let account = AccountRecord {
            account_id: account_id.to_string(),
            created: now,
            alias: None,
        };
        records::put(tx, NS_ACCOUNT, account_id, &account)?;
        tx.put(NS_META, META_DEFAULT_ACCOUNT, account_id.as_bytes())?;
        let key_id = ids::new_id(random, IdKind::AccessKey);
        let secret = Secret::new(ids::new_secret(random));
        let key = AccessKeyRecord {
            access_key_id: key_id.clone(),
            account_id: account_id.to_string(),
            owner: KeyOwner::Root,
            status: KeyStatus::Active,
            created: now,
            sealed_secret: kek.seal(random, &key_id, &secret),
        };
        records::put(tx, NS_ACCESS_KEY, &key_id, &key)?;
        let index = format!(
            "{}{key_id}",
            records::owner_key_prefix(account_id, &KeyOwner::Root)
        );
        tx.put(NS_OWNER_KEY, &index, b"")?;
        Ok(Bootstrap {
            account_id: account_id.to_string(),
            new_root_key: Some((key_id, secret)),
        })
    });
    result.map_err(IamError::from)
}

/// Whether `id` is a valid AWS account id: exactly 12 digits.
pub fn is_valid_account_id(id: &str) -> bool {
    id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit())
}
