//! `tessera serve`: open the store, make the default account on first
//! start, hand out the root credentials once, and serve until a signal.

use std::fs;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use anyhow::{bail, Context};
use tessera_iam::bootstrap;
use tessera_iam::crypto::{Kek, Secret};
use tessera_iam::ids::{OsRandom, Random};
use tessera_iam::quotas::Quotas;
use tessera_iam::snapshot::SnapshotCell;
use tessera_sigv4::Verifier;
use tessera_store::Backend;

use crate::clock::{Clock, ShiftedClock, SystemClock};
use crate::metered_store::MeteredBackend;
use crate::metrics::Metrics;
use crate::state::AppState;
use crate::usage::UsageTracker;

/// The address `tessera serve` listens on by default.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:7177";
/// The environment variable that may carry the key-encryption key.
pub const KEK_ENV: &str = "TESSERA_KEK";

/// How `tessera serve` was asked to run.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The address to listen on; port 0 picks a free port.
    pub listen: SocketAddr,
    /// Where the SQLite database, the KEK file and the credentials file live.
    pub data_dir: PathBuf,
    /// A PostgreSQL URL; the embedded SQLite database is used without one.
    pub database_url: Option<String>,
    /// The id of the default account when it is created.
    pub account_id: Option<String>,
    /// Accept unknown access keys as the default account's root.
    pub emulator: bool,
    /// How often to look for changes made by other nodes.
    pub refresh_interval: Duration,
    /// How often to write what requests used (access keys' and roles'
    /// last use, services last accessed).
    pub usage_flush_interval: Duration,
    /// Where to serve metrics and health checks; nowhere when absent.
    pub admin_listen: Option<SocketAddr>,
    /// The URL clients reach the server at; from the listen address when
    /// absent (see [`public_url`]).
    pub public_url: Option<String>,
    /// Timeouts and caps on client connections.
    pub limits: crate::limits::ConnectionLimits,
    /// Seconds the server's clock runs ahead of the system's (behind when
    /// negative); zero but in tests of expiry.
    pub clock_offset_secs: i64,
}

/// Runs the server until SIGINT or SIGTERM.
pub async fn serve(options: ServeOptions) -> anyhow::Result<()> {
    let random: Arc<dyn Random> = Arc::new(OsRandom);
    let clock: Arc<dyn Clock> = match options.clock_offset_secs {
        0 => Arc::new(SystemClock),
        offset => {
            tracing::warn!(
                offset_secs = offset,
                "the server's clock is shifted from the system's: meant only for testing expiry"
            );
            Arc::new(ShiftedClock::new(offset))
        }
    };
    create_private_dir(&options.data_dir)?;
    // Absolute, so the printed paths work from any directory.
    let mut options = options;
    options.data_dir = std::path::absolute(&options.data_dir)
        .with_context(|| format!("cannot resolve {}", options.data_dir.display()))?;
    let kek = load_or_create_kek(&options, random.as_ref())?;
    let metrics = Arc::new(Metrics::default());
    let store: Arc<dyn Backend> = Arc::new(MeteredBackend::new(
        open_store(&options).await?,
        Arc::clone(&metrics),
    ));

    let requested = match &options.account_id {
        Some(id) if !bootstrap::is_valid_account_id(id) => {
            bail!("--account-id must be exactly 12 digits, got `{id}`")
        }
        Some(id) => id.clone(),
        None => random_account_id(random.as_ref()),
    };
    let now = clock
        .now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let boot = {
        let store = Arc::clone(&store);
        let kek = kek.clone();
        let random = Arc::clone(&random);
        tokio::task::spawn_blocking(move || {
            tessera_iam::upgrade::upgrade(store.as_ref())?;
            tessera_iam::sessions::ensure_token_key(store.as_ref(), now, random.as_ref(), &kek)?;
            bootstrap::ensure_default_account(
                store.as_ref(),
                &requested,
                now,
                random.as_ref(),
                &kek,
            )
        })
        .await??
    };
    if let Some(id) = &options.account_id {
        if *id != boot.account_id {
            tracing::warn!(
                requested = %id,
                existing = %boot.account_id,
                "--account-id ignored: the data already has a default account"
            );
        }
    }
    let credentials_path = options.data_dir.join("credentials");
    if let Some((key_id, secret)) = &boot.new_root_key {
        write_credentials_file(&credentials_path, key_id, secret)?;
    }

    // Bound before the state is made: the default public URL names the
    // port actually bound (port 0 picks one).
    let listener = tokio::net::TcpListener::bind(options.listen)
        .await
        .with_context(|| format!("cannot listen on {}", options.listen))?;
    let local = listener.local_addr()?;
    let public_url = public_url(options.public_url.as_deref(), local)?;
    let state = Arc::new(AppState {
        store: Arc::clone(&store),
        snapshot: SnapshotCell::new(kek.clone()),
        verifier: Verifier::new(),
        kek,
        clock,
        random,
        quotas: Quotas::default(),
        usage: UsageTracker::new(Arc::clone(&store)),
        default_account: boot.account_id.clone(),
        emulator: options.emulator,
        sessions: tessera_iam::credentials::SessionCache::default(),
        metrics,
        public_url,
        oidc_keys: crate::oidc_keys::OidcKeys::new(),
        costly: crate::costly::CostlyDecisions::for_this_machine(),
    });
    {
        let state = Arc::clone(&state);
        tokio::task::spawn_blocking(move || refresh_snapshot(&state)).await??;
    }
    let unopenable = state.snapshot.load().unopenable_keys();
    if unopenable > 0 {
        bail!(
            "{unopenable} stored access key(s) cannot be opened with this key-encryption key; \
             start with the KEK the data was written with ({KEK_ENV} or the `kek` file in the data directory)"
        );
    }

    let cap = crate::limits::connection_cap(
        options.limits.max_connections,
        crate::limits::descriptor_limit(),
    )
    .map_err(anyhow::Error::msg)?;
    if cap < options.limits.max_connections {
        tracing::info!(
            cap,
            asked = options.limits.max_connections,
            "connection cap lowered to stay below the open-file limit"
        );
    }
    let admin = match options.admin_listen {
        Some(address) => {
            let admin_listener = tokio::net::TcpListener::bind(address)
                .await
                .with_context(|| format!("cannot listen on {address} (--admin-listen)"))?;
            let admin_local = admin_listener.local_addr()?;
            Some((
                admin_local,
                crate::admin::spawn(admin_listener, Arc::clone(&state)),
            ))
        }
        None => None,
    };
    if let Some((admin_local, _)) = &admin {
        // Tests and scripts read this line to learn the admin port; it
        // comes before the data port's, which ends the start-up lines.
        println!("Admin (metrics, health checks) on http://{admin_local}");
    }
    announce(&options, &boot, &credentials_path, local, store.kind());

    let (stop, stop_reason) = tokio::sync::watch::channel(None);
    let stop: Stop = Arc::new(stop);
    let refresher = spawn_refresher(
        Arc::clone(&state),
        options.refresh_interval,
        Arc::clone(&stop),
    );
    let notified = crate::notified_refresh::spawn(Arc::clone(&state))
        .context("cannot start the thread that listens for changes")?;
    let flusher = spawn_usage_flusher(
        Arc::clone(&state),
        options.usage_flush_interval,
        Arc::clone(&stop),
    );
    let rotation = spawn_token_key_rotation(Arc::clone(&state), stop);
    let compactor = crate::compaction::spawn(Arc::clone(&state));

    crate::listener::serve(
        listener,
        crate::http::DataPlane::new(Arc::clone(&state), options.limits.body_read_timeout),
        options.limits,
        cap,
        Arc::clone(&state.metrics),
        stop_requested(stop_reason.clone()),
    )
    .await;

    refresher.abort();
    if let Some(notified) = notified {
        notified.stop();
    }
    flusher.abort();
    rotation.abort();
    compactor.abort();
    if let Some((_, admin)) = admin {
        admin.abort();
    }
    if let Some(reason) = stop_reason.borrow().clone() {
        // Nothing more is written to a store this build no longer knows.
        bail!(reason);
    }
    let final_state = Arc::clone(&state);
    match tokio::task::spawn_blocking(move || flush_usage(&final_state)).await {
        Ok(Ok(())) => {}
        Ok(Err(error)) => tracing::error!(%error, "usage records could not be saved"),
        Err(error) => tracing::error!(%error, "usage flush task failed"),
    }
    println!("Tessera stopped.");
    Ok(())
}

/// The server's public base URL: the one given (checked to be an
/// `http://` or `https://` URL with a host, its trailing slashes dropped), or
/// `http://` and the bound address, with `127.0.0.1` (`[::1]`) for an
/// unspecified address, which no client can reach.
pub fn public_url(given: Option<&str>, local: SocketAddr) -> anyhow::Result<String> {
    if let Some(url) = given {
        let url = url.trim().trim_end_matches('/');
        let host = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"))
            .unwrap_or("");
        if host.is_empty() || host.contains(['?', '#', ' ']) {
            bail!("--public-url must be an http:// or https:// URL with a host, got `{url}`");
        }
        return Ok(url.to_string());
    }
    let mut address = local;
    if address.ip().is_unspecified() {
        address.set_ip(match address.ip() {
            std::net::IpAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            std::net::IpAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    Ok(format!("http://{address}"))
}

fn announce(
    options: &ServeOptions,
    boot: &bootstrap::Bootstrap,
    credentials_path: &Path,
    local: SocketAddr,
    backend: &str,
) {
    if options.emulator {
        eprintln!(
            "WARNING: emulator mode is on. Requests signed with an access key this server does not know \
             are accepted WITHOUT checking their signature, as the root user of account {}. \
             Never use emulator mode where the network is not trusted.",
            boot.account_id
        );
    }
    println!("Tessera: account {} ({backend} store)", boot.account_id);
    if boot.new_root_key.is_some() {
        println!(
            "Created the account's root access key and wrote it to {} (mode 0600). It is not shown again.",
            credentials_path.display()
        );
    }
    println!(
        "Use it with: AWS_SHARED_CREDENTIALS_FILE={} AWS_DEFAULT_REGION=us-east-1 aws --endpoint-url http://{local} iam list-users",
        credentials_path.display()
    );
    // Tests and scripts read this line to learn the port.
    println!("Listening on http://{local}");
}

async fn open_store(options: &ServeOptions) -> anyhow::Result<Arc<dyn Backend>> {
    let options = options.clone();
    tokio::task::spawn_blocking(move || open_store_blocking(&options)).await?
}

/// Opens the store the options name (PostgreSQL, or the data directory's
/// SQLite file); blocks.
pub(crate) fn open_store_blocking(options: &ServeOptions) -> anyhow::Result<Arc<dyn Backend>> {
    match &options.database_url {
        Some(url) => {
            let backend = tessera_store_postgres::PostgresBackend::connect(url)
                .context("cannot open the PostgreSQL database")?;
            Ok(Arc::new(backend))
        }
        None => {
            let path = options.data_dir.join("tessera.db");
            let backend = tessera_store_sqlite::SqliteBackend::open(&path)
                .with_context(|| format!("cannot open {}", path.display()))?;
            Ok(Arc::new(backend))
        }
    }
}

fn spawn_refresher(
    state: Arc<AppState>,
    every: Duration,
    stop: Stop,
) -> tokio::task::JoinHandle<()> {
    spawn_periodic(state, every, "snapshot refresh", stop, |state| {
        refresh_snapshot(state).map(drop)
    })
}

/// Why the server must stop on its own, once something says so.
type Stop = Arc<tokio::sync::watch::Sender<Option<String>>>;

/// Ends when a signal asks the server to stop, or when `stop` says why it
/// must.
async fn stop_requested(mut stop: tokio::sync::watch::Receiver<Option<String>>) {
    tokio::select! {
        () = shutdown_signal() => {},
        _ = stop.wait_for(Option::is_some) => {},
    }
}

/// Brings the snapshot up to date with the store, measured.
pub(crate) fn refresh_snapshot(state: &AppState) -> Result<u64, tessera_store::StoreError> {
    let started = std::time::Instant::now();
    let result = state.snapshot.refresh(state.store.as_ref());
    state.metrics.snapshot_refresh(
        started.elapsed(),
        result.is_ok(),
        crate::admin::now_ms(state),
    );
    result
}

/// Makes a new session-token key when the newest is older than the
/// rotation period; every node runs it, and the store's writer lock lets
/// only one of them make the key.
fn spawn_token_key_rotation(state: Arc<AppState>, stop: Stop) -> tokio::task::JoinHandle<()> {
    spawn_periodic(
        state,
        Duration::from_secs(600),
        "session-token key rotation",
        stop,
        |state| {
            let now = state
                .clock
                .now()
                .duration_since(UNIX_EPOCH)
                .map(|d| i64::try_from(d.as_secs()).unwrap_or(0))
                .unwrap_or(0);
            match tessera_iam::sessions::ensure_token_key(
                state.store.as_ref(),
                now,
                state.random.as_ref(),
                &state.kek,
            ) {
                Ok(true) => state.snapshot.refresh(state.store.as_ref()).map(drop),
                Ok(false) => Ok(()),
                Err(error) => Err(tessera_store::StoreError::Backend(error.message)),
            }
        },
    )
}

fn spawn_usage_flusher(
    state: Arc<AppState>,
    every: Duration,
    stop: Stop,
) -> tokio::task::JoinHandle<()> {
    spawn_periodic(state, every, "usage flush", stop, flush_usage)
}

/// Writes what requests used since the last flush, and refreshes the
/// snapshot when a role record changed (it holds `RoleLastUsed`).
fn flush_usage(state: &AppState) -> Result<(), tessera_store::StoreError> {
    let flushed = state.usage.flush()?;
    if flushed.roles > 0 {
        state.snapshot.refresh(state.store.as_ref())?;
    }
    Ok(())
}

/// Runs blocking store `work` every `every`, off the async threads. A
/// failure is logged and the work retried at the next tick, except a
/// store that a newer build has migrated past this one's schema: this node
/// can no longer read or write it correctly, so the reason goes to `stop`,
/// the work ends, and the server shuts down.
fn spawn_periodic(
    state: Arc<AppState>,
    every: Duration,
    what: &'static str,
    stop: Stop,
    work: fn(&AppState) -> Result<(), tessera_store::StoreError>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            let state = Arc::clone(&state);
            match tokio::task::spawn_blocking(move || work(&state)).await {
                Ok(Ok(())) => {}
                Ok(Err(error @ tessera_store::StoreError::SchemaTooNew { .. })) => {
                    let reason = format!(
                        "{error}: a newer Tessera has upgraded the store; stopping this node (start it again with the newer build)"
                    );
                    tracing::error!("{reason}");
                    stop.send_replace(Some(reason));
                    return;
                }
                Ok(Err(error)) => tracing::warn!(%error, "{what} failed; will retry"),
                Err(error) => tracing::warn!(%error, "{what} task failed"),
            }
        }
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for SIGINT");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    println!("Tessera: shutting down");
}

pub(crate) fn random_account_id(random: &dyn Random) -> String {
    let mut bytes = [0u8; 12];
    random.fill(&mut bytes);
    // AWS account ids do not start with 0 in practice; keep the first digit 1-9.
    bytes
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let digit = if i == 0 { 1 + b % 9 } else { b % 10 };
            char::from(b'0' + digit)
        })
        .collect()
}

fn create_private_dir(dir: &Path) -> anyhow::Result<()> {
    fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
            .with_context(|| format!("cannot restrict {}", dir.display()))?;
    }
    Ok(())
}

/// Loads the KEK from `TESSERA_KEK`, else from `DATA_DIR/kek`, creating the
/// file (mode 0600) with a new random key on first start. An existing
/// embedded database without its KEK file is refused: a new KEK could not
/// open the secrets already stored.
pub(crate) fn load_or_create_kek(
    options: &ServeOptions,
    random: &dyn Random,
) -> anyhow::Result<Kek> {
    if let Ok(text) = std::env::var(KEK_ENV) {
        return Kek::from_hex(&text).with_context(|| format!("{KEK_ENV} is malformed"));
    }
    let path = options.data_dir.join("kek");
    if path.exists() {
        let text = fs::read_to_string(&path)
            .with_context(|| format!("cannot read the key-encryption key {}", path.display()))?;
        return Kek::from_hex(&text).with_context(|| format!("{} is malformed", path.display()));
    }
    let database = options.data_dir.join("tessera.db");
    if options.database_url.is_none() && database.exists() {
        bail!(
            "{} exists but its key-encryption key {} is missing; restore the file or set {KEK_ENV}",
            database.display(),
            path.display()
        );
    }
    let (kek, text) = Kek::generate(random);
    write_private_file(&path, format!("{text}\n").as_bytes())?;
    Ok(kek)
}

fn write_credentials_file(path: &Path, key_id: &str, secret: &Secret) -> anyhow::Result<()> {
    let content = format!(
        "[default]\naws_access_key_id = {key_id}\naws_secret_access_key = {}\n",
        secret.expose()
    );
    write_private_file(path, content.as_bytes())
}

/// Writes a file readable only by its owner, created with that mode so the
/// content is never visible to others, even briefly.
fn write_private_file(path: &Path, content: &[u8]) -> anyhow::Result<()> {
    let mut open = fs::OpenOptions::new();
    open.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        open.mode(0o600);
    }
    let mut file = open
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(content)
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::public_url;

    #[test]
    fn the_public_url_defaults_to_a_reachable_form_of_the_bound_address() {
        let at = |s: &str| s.parse().expect("address");
        assert_eq!(
            public_url(None, at("127.0.0.1:7177")).ok(),
            Some("http://127.0.0.1:7177".into())
        );
        assert_eq!(
            public_url(None, at("0.0.0.0:80")).ok(),
            Some("http://127.0.0.1:80".into())
        );
        assert_eq!(
            public_url(None, at("[::]:8080")).ok(),
            Some("http://[::1]:8080".into())
        );
    }

    #[test]
    fn a_given_public_url_loses_its_trailing_slash_and_must_be_http() {
        let local = "127.0.0.1:1".parse().expect("address");
        assert_eq!(
            public_url(Some("https://iam.example.com/base/"), local).ok(),
            Some("https://iam.example.com/base".into())
        );
        for bad in ["ftp://x", "iam.example.com", "https://", "http://a b"] {
            assert!(public_url(Some(bad), local).is_err(), "{bad}");
        }
    }
}
