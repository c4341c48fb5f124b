//! `tessera account create`: a further account with its own root access
//! key, written to the same store the server uses (the server picks it up
//! within its refresh interval) and appended as a profile named after the
//! account to the data directory's `credentials` file.

use std::fs;
use std::io::Write;
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context};
use tessera_iam::bootstrap::{self, NewAccount};
use tessera_iam::ids::OsRandom;

use crate::startup::{load_or_create_kek, open_store_blocking, ServeOptions};

/// What `tessera account create` was asked for.
#[derive(Debug, Clone)]
pub struct AccountOptions {
    /// The data directory of the installation (KEK, SQLite, credentials).
    pub data_dir: PathBuf,
    /// A PostgreSQL URL, when the installation uses PostgreSQL.
    pub database_url: Option<String>,
    /// The 12-digit id; random when absent.
    pub account_id: Option<String>,
    /// A name for the account and its credentials profile.
    pub name: Option<String>,
    /// The partition, `aws` by default.
    pub partition: String,
}

/// What was created.
#[derive(Debug)]
pub struct CreatedAccount {
    /// The account id.
    pub account_id: String,
    /// The credentials profile the root key was written under.
    pub profile: String,
    /// The credentials file.
    pub credentials_file: PathBuf,
}

/// Creates the account and appends its root key to the credentials file.
pub fn create_account(options: &AccountOptions) -> anyhow::Result<CreatedAccount> {
    let random = OsRandom;
    if let Some(name) = &options.name {
        let allowed = |c: char| c.is_ascii_alphanumeric() || "+=,.@-_".contains(c);
        if name.is_empty() || name.len() > 64 || !name.chars().all(allowed) {
            bail!(
                "an account name is 1-64 characters of letters, digits and +=,.@-_, not `{name}`"
            );
        }
    }
    let installation = open_installation(&options.data_dir, options.database_url.clone())?;
    let (kek, store) = (installation.kek, installation.store);
    let credentials_file = installation.data_dir.join("credentials");
    let account_id = match &options.account_id {
        Some(id) => id.clone(),
        None => crate::startup::random_account_id(&random),
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(0))
        .unwrap_or(0);
    let account = NewAccount {
        account_id: &account_id,
        name: options.name.as_deref(),
        partition: &options.partition,
        now,
    };
    let (key_id, secret) = bootstrap::create_account(store.as_ref(), &account, &random, &kek)
        .map_err(|e| anyhow::anyhow!("{}", e.message))?;
    let profile = options.name.clone().unwrap_or_else(|| account_id.clone());
    let section = format!(
        "\n[{profile}]\naws_access_key_id = {key_id}\naws_secret_access_key = {}\n",
        secret.expose()
    );
    append_private(&credentials_file, section.as_bytes())?;
    Ok(CreatedAccount {
        account_id,
        profile,
        credentials_file,
    })
}

/// An existing installation, opened from another process than its server.
pub(crate) struct Installation {
    /// The data directory, absolute.
    pub data_dir: PathBuf,
    /// The key-encryption key.
    pub kek: tessera_iam::crypto::Kek,
    /// The store.
    pub store: std::sync::Arc<dyn tessera_store::Backend>,
}

/// Opens the installation in `data_dir` (and its PostgreSQL database, when
/// it uses one); refused when the directory holds none yet.
pub(crate) fn open_installation(
    data_dir: &std::path::Path,
    database_url: Option<String>,
) -> anyhow::Result<Installation> {
    let data_dir = std::path::absolute(data_dir)
        .with_context(|| format!("cannot resolve {}", data_dir.display()))?;
    let serve = ServeOptions {
        listen: crate::startup::DEFAULT_LISTEN
            .parse()
            .context("default listen address")?,
        data_dir: data_dir.clone(),
        database_url,
        account_id: None,
        emulator: false,
        refresh_interval: std::time::Duration::from_secs(1),
        usage_flush_interval: std::time::Duration::from_secs(10),
        admin_listen: None,
        public_url: None,
        limits: crate::limits::ConnectionLimits::default(),
        clock_offset_secs: 0,
    };
    if !data_dir.join("kek").exists() && std::env::var(crate::startup::KEK_ENV).is_err() {
        bail!(
            "{} has no installation yet: start `tessera serve --data-dir {}` once first",
            data_dir.display(),
            data_dir.display()
        );
    }
    let kek = load_or_create_kek(&serve, &OsRandom)?;
    let store = open_store_blocking(&serve)?;
    Ok(Installation {
        data_dir,
        kek,
        store,
    })
}

/// Appends to a file readable only by its owner (created so if absent).
fn append_private(path: &std::path::Path, content: &[u8]) -> anyhow::Result<()> {
    let mut open = fs::OpenOptions::new();
    open.append(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        open.mode(0o600);
    }
    let mut file = open
        .open(path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    file.write_all(content)
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write {}", path.display()))
}
