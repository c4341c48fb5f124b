//! The `tessera` command: `tessera serve` runs the IAM and STS server,
//! `tessera policy …` validates, evaluates and simulates policies offline,
//! `tessera account create` adds an account to an installation,
//! `tessera delegation token` prints the exchange token of a delegation
//! request for its partner.

mod log_format;
mod logging;
mod policy_cmd;

use clap::{Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Parser)]
#[command(
    name = "tessera",
    version,
    about = "Self-hosted, AWS-compatible IAM and STS"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the IAM and STS server.
    Serve(ServeArgs),
    /// Work with IAM policy documents offline.
    #[command(subcommand)]
    Policy(policy_cmd::PolicyCommand),
    /// Manage the accounts of an installation.
    #[command(subcommand)]
    Account(AccountCommand),
    /// Delegation requests of an installation.
    #[command(subcommand)]
    Delegation(DelegationCommand),
}

#[derive(Subcommand)]
enum DelegationCommand {
    /// Print the exchange token SendDelegationToken released for a
    /// delegation request: what AWS would publish to the partner's
    /// notification channel (the token is a secret: hand it to the partner
    /// only).
    Token(DelegationTokenArgs),
}

#[derive(clap::Args)]
struct DelegationTokenArgs {
    /// The data directory of the installation (as given to `tessera serve`).
    #[arg(long, env = "TESSERA_DATA_DIR", default_value = "./tessera-data")]
    data_dir: PathBuf,
    /// The PostgreSQL database, when the installation uses one.
    #[arg(long, env = "TESSERA_DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
    /// The delegation request id.
    request_id: String,
}

#[derive(Subcommand)]
enum AccountCommand {
    /// Add an account with its own root access key, appended as a profile
    /// named after the account to the data directory's `credentials` file.
    Create(AccountCreateArgs),
}

#[derive(clap::Args)]
struct AccountCreateArgs {
    /// The data directory of the installation (as given to `tessera serve`).
    #[arg(long, env = "TESSERA_DATA_DIR", default_value = "./tessera-data")]
    data_dir: PathBuf,
    /// The PostgreSQL database, when the installation uses one.
    #[arg(long, env = "TESSERA_DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
    /// The 12-digit account id (random otherwise).
    #[arg(long)]
    id: Option<String>,
    /// A name for the account, also the credentials profile's name.
    #[arg(long)]
    name: Option<String>,
    /// The partition: aws, aws-cn, aws-us-gov, aws-iso, aws-iso-b,
    /// aws-iso-e or aws-iso-f.
    #[arg(long, default_value = "aws")]
    partition: String,
}

#[derive(clap::Args)]
#[command(after_help = "Also read from the environment:
  TESSERA_KEK  the key-encryption key, 64 hex digits; without it DATA_DIR/kek is used
               (created at first start, mode 0600)
  TESSERA_LOG  the log filter in tracing's syntax [default: info]; per-request lines are
               logged at info under the tessera::request target")]
struct ServeArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "TESSERA_LISTEN", default_value = tessera_server::startup::DEFAULT_LISTEN)]
    listen: SocketAddr,
    /// Directory for the embedded database, the key-encryption key and the
    /// root credentials file.
    #[arg(long, env = "TESSERA_DATA_DIR", default_value = "./tessera-data")]
    data_dir: PathBuf,
    /// Use PostgreSQL instead of the embedded SQLite database
    /// (postgres://user:password@host:port/database).
    #[arg(long, env = "TESSERA_DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
    /// The 12-digit id of the default account, used when it is created
    /// on first start (random otherwise).
    #[arg(long, env = "TESSERA_ACCOUNT_ID")]
    account_id: Option<String>,
    /// Accept requests signed with unknown access keys, unverified, as the
    /// default account's root (like local AWS emulators). Known keys are
    /// still verified and their policies enforced. Never use on an
    /// untrusted network.
    #[arg(
        long,
        env = "TESSERA_EMULATOR",
        action = clap::ArgAction::SetTrue,
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    emulator: bool,
    /// How often, in milliseconds, to poll for changes made by other nodes
    /// sharing the database (PostgreSQL's change notices bring them sooner;
    /// polling catches any notice that was lost).
    #[arg(long, env = "TESSERA_REFRESH_INTERVAL_MS", default_value_t = 1000)]
    refresh_interval_ms: u64,
    /// How often, in milliseconds, to write what was used since the last
    /// time (access keys' and roles' last use, services last accessed),
    /// which requests note in memory only.
    #[arg(
        long,
        env = "TESSERA_USAGE_FLUSH_INTERVAL_MS",
        default_value_t = 10_000
    )]
    usage_flush_interval_ms: u64,
    /// Serve Prometheus metrics (/metrics) and health checks (/healthz,
    /// /readyz) on this address, apart from the data port (off when absent).
    #[arg(long, env = "TESSERA_ADMIN_LISTEN")]
    admin_listen: Option<SocketAddr>,
    /// The URL clients and external services reach this server at, under
    /// which it serves the issuers of outbound identity federation
    /// (PUBLIC_URL/tokens/ID/.well-known/…) [default: http:// and the
    /// listen address, 127.0.0.1 for an unspecified address]
    #[arg(long, env = "TESSERA_PUBLIC_URL")]
    public_url: Option<String>,
    /// How log lines are written: text, or one JSON object per line.
    #[arg(long, env = "TESSERA_LOG_FORMAT", value_enum, default_value = "text")]
    log_format: logging::LogFormat,
    /// For testing expiry only: run the server's clock this many seconds
    /// ahead of the system's (behind when negative), so sessions expire
    /// and session-token keys retire without waiting. Clients then sign
    /// with a time the server sees as skewed.
    #[arg(
        long,
        env = "TESSERA_CLOCK_OFFSET_SECS",
        default_value_t = 0,
        allow_negative_numbers = true
    )]
    clock_offset_secs: i64,
    #[command(flatten)]
    limits: LimitArgs,
}

/// Bounds on what one client may hold: see `tessera_server::limits`.
#[derive(clap::Args)]
struct LimitArgs {
    /// Seconds a connection may wait for its next request (keep-alive
    /// idle time) before it is closed.
    #[arg(long, env = "TESSERA_IDLE_TIMEOUT_SECS", default_value_t = 60)]
    idle_timeout_secs: u64,
    /// Seconds a client may take to send a request's head once it began.
    #[arg(long, env = "TESSERA_HEADER_READ_TIMEOUT_SECS", default_value_t = 10)]
    header_read_timeout_secs: u64,
    /// Seconds a client may take to send a request's body.
    #[arg(long, env = "TESSERA_BODY_READ_TIMEOUT_SECS", default_value_t = 20)]
    body_read_timeout_secs: u64,
    /// Most client connections open at once; lowered to stay below the
    /// open-file limit.
    #[arg(long, env = "TESSERA_MAX_CONNECTIONS", default_value_t = tessera_server::limits::DEFAULT_MAX_CONNECTIONS)]
    max_connections: usize,
    /// Largest request head (request line and headers) accepted, in bytes.
    #[arg(long, env = "TESSERA_MAX_HEADER_BYTES", default_value_t = tessera_server::limits::DEFAULT_MAX_HEADER_BYTES as u64,
          value_parser = clap::value_parser!(u64).range(4096..=1_048_576))]
    max_header_bytes: u64,
}

impl LimitArgs {
    fn limits(&self) -> tessera_server::limits::ConnectionLimits {
        let seconds = |s: u64| Duration::from_secs(s.max(1));
        tessera_server::limits::ConnectionLimits {
            idle_timeout: seconds(self.idle_timeout_secs),
            header_read_timeout: seconds(self.header_read_timeout_secs),
            body_read_timeout: seconds(self.body_read_timeout_secs),
            max_connections: self.max_connections,
            max_header_bytes: usize::try_from(self.max_header_bytes).unwrap_or(usize::MAX),
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => serve(args),
        Command::Policy(cmd) => policy_cmd::run(cmd),
        Command::Account(AccountCommand::Create(args)) => create_account(args),
        Command::Delegation(DelegationCommand::Token(args)) => delegation_token(args),
    }
}

fn delegation_token(args: DelegationTokenArgs) -> ExitCode {
    let query = tessera_server::delegation_tokens::TokenQuery {
        data_dir: args.data_dir,
        database_url: args.database_url,
        request_id: args.request_id,
    };
    match tessera_server::delegation_tokens::sent_token(&query) {
        Ok(token) => {
            println!("{}", token.expose());
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("tessera delegation token: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn create_account(args: AccountCreateArgs) -> ExitCode {
    let options = tessera_server::accounts::AccountOptions {
        data_dir: args.data_dir,
        database_url: args.database_url,
        account_id: args.id,
        name: args.name,
        partition: args.partition,
    };
    match tessera_server::accounts::create_account(&options) {
        Ok(created) => {
            println!(
                "Created account {}; its root access key is in {} as profile [{}] (the secret is not shown).",
                created.account_id,
                created.credentials_file.display(),
                created.profile
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("tessera account create: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn serve(args: ServeArgs) -> ExitCode {
    let _log = logging::init(args.log_format);
    let options = tessera_server::ServeOptions {
        listen: args.listen,
        data_dir: args.data_dir,
        database_url: args.database_url,
        account_id: args.account_id,
        emulator: args.emulator,
        refresh_interval: Duration::from_millis(args.refresh_interval_ms.max(10)),
        usage_flush_interval: Duration::from_millis(args.usage_flush_interval_ms.max(10)),
        admin_listen: args.admin_listen,
        public_url: args.public_url,
        limits: args.limits.limits(),
        clock_offset_secs: args.clock_offset_secs,
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(error) => {
            eprintln!("tessera: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(tessera_server::serve(options)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("tessera: {error:#}");
            ExitCode::FAILURE
        }
    }
}
