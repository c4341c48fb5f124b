//! The command line. Every run is bounded (a duration or a request count,
//! both capped) and aimed only at a loopback endpoint.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, ValueEnum};

use crate::endpoint::{parse_loopback_endpoint, Endpoint};

/// The longest run accepted, per scenario and concurrency.
pub const MAX_DURATION_SECONDS: u64 = 600;
/// The largest request count accepted, per scenario and concurrency.
pub const MAX_REQUESTS: u64 = 100_000_000;
/// The most connections accepted.
pub const MAX_CONNECTIONS: usize = 4096;

/// What a run sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Scenario {
    /// Unsigned `GET /?Action=GetCallerIdentity…`: the server answers 403
    /// MissingAuthenticationToken. HTTP, query parsing and error encoding.
    BaselineUnsigned,
    /// One presigned `GetCallerIdentity` URL replayed: signature check,
    /// snapshot lookup, XML encoding.
    Presigned,
    /// `GetCallerIdentity` POSTs, each header-signed afresh by the client.
    Signed,
    /// IAM `GetUser` of an existing user, signed by an IAM user whose
    /// inline policy allows it: the policy is evaluated on every request.
    IamGetUser,
    /// `GetCallerIdentity` POSTs signed with a role session's temporary
    /// credentials: the session token opened on every request.
    SignedTemporary,
    /// `AssumeRole` by a user named in the role's trust policy: a session
    /// minted per request.
    AssumeRole,
}

impl Scenario {
    /// Every scenario, in the order `--all` runs them.
    pub const ALL: [Scenario; 6] = [
        Scenario::BaselineUnsigned,
        Scenario::Presigned,
        Scenario::Signed,
        Scenario::IamGetUser,
        Scenario::SignedTemporary,
        Scenario::AssumeRole,
    ];

    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::BaselineUnsigned => "baseline-unsigned",
            Scenario::Presigned => "presigned",
            Scenario::Signed => "signed",
            Scenario::IamGetUser => "iam-get-user",
            Scenario::SignedTemporary => "signed-temporary",
            Scenario::AssumeRole => "assume-role",
        }
    }

    /// The status every answer must have for the run to count as clean.
    pub fn expected_status(self) -> u16 {
        match self {
            Scenario::BaselineUnsigned => 403,
            _ => 200,
        }
    }
}

/// Load generator for the Tessera server (loopback targets only).
#[derive(Debug, Parser)]
#[command(name = "tessera-loadgen", version)]
pub struct Args {
    /// The server, `http://HOST:PORT`; HOST must be 127.0.0.0/8, ::1 or
    /// localhost.
    #[arg(long, default_value = "http://127.0.0.1:7177", value_parser = parse_endpoint)]
    pub endpoint: Endpoint,
    /// The AWS shared-credentials file with the key to sign with (the
    /// server writes the root's to DATA_DIR/credentials).
    #[arg(long, default_value = "./tessera-data/credentials")]
    pub credentials: PathBuf,
    /// The profile of the credentials file.
    #[arg(long, default_value = "default")]
    pub profile: String,
    /// The signing region.
    #[arg(long, default_value = "us-east-1")]
    pub region: String,
    /// A scenario to run; repeat for several.
    #[arg(long = "scenario", value_enum, required_unless_present_any = ["all", "print_presigned_url"])]
    pub scenarios: Vec<Scenario>,
    /// Run every scenario in sequence.
    #[arg(long, conflicts_with = "scenarios")]
    pub all: bool,
    /// Connection counts to run each scenario at, comma separated.
    #[arg(long, value_delimiter = ',', default_value = "16", value_parser = parse_connections)]
    pub connections: Vec<usize>,
    /// Seconds to measure each scenario at each connection count.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=MAX_DURATION_SECONDS))]
    pub duration_secs: u64,
    /// Stop after this many requests instead of after a duration.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=MAX_REQUESTS))]
    pub requests: Option<u64>,
    /// Unmeasured seconds of the same load before each measurement.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(0..=60))]
    pub warmup_secs: u64,
    /// Worker threads of the load generator's runtime.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=64))]
    pub threads: u64,
    /// The server's process id: its CPU time is read from /proc to report
    /// requests per server CPU second.
    #[arg(long)]
    pub server_pid: Option<u32>,
    /// The user `iam-get-user` reads (created at setup if absent).
    #[arg(long, default_value = "loadgen-user")]
    pub user_name: String,
    /// Print a presigned GetCallerIdentity URL valid for this many seconds,
    /// for other tools to replay, and exit.
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=604_800))]
    pub print_presigned_url: Option<u64>,
}

impl Args {
    /// The scenarios to run, in order.
    pub fn selected_scenarios(&self) -> Vec<Scenario> {
        if self.all {
            Scenario::ALL.to_vec()
        } else {
            self.scenarios.clone()
        }
    }

    /// The bound of each measured run.
    pub fn bound(&self) -> Bound {
        match self.requests {
            Some(count) => Bound::Requests(count),
            None => Bound::Duration(Duration::from_secs(self.duration_secs)),
        }
    }
}

/// When a run stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    /// After this long.
    Duration(Duration),
    /// After this many requests (also capped at the longest duration).
    Requests(u64),
}

fn parse_endpoint(text: &str) -> Result<Endpoint, String> {
    parse_loopback_endpoint(text).map_err(|e| e.to_string())
}

fn parse_connections(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(n) if (1..=MAX_CONNECTIONS).contains(&n) => Ok(n),
        _ => Err(format!(
            "`{text}` is not a connection count from 1 to {MAX_CONNECTIONS}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Args, clap::Error> {
        Args::try_parse_from(std::iter::once("tessera-loadgen").chain(args.iter().copied()))
    }

    #[test]
    fn all_with_a_connection_list_selects_every_scenario_at_each_count() {
        let args = parse(&["--all", "--connections", "1,16,64", "--duration-secs", "10"]).unwrap();
        assert_eq!(args.selected_scenarios(), Scenario::ALL.to_vec());
        assert_eq!(args.connections, vec![1, 16, 64]);
        assert_eq!(args.bound(), Bound::Duration(Duration::from_secs(10)));
    }

    #[test]
    fn scenarios_are_selected_by_name_and_a_request_count_replaces_the_duration() {
        let args = parse(&[
            "--scenario",
            "presigned",
            "--scenario",
            "iam-get-user",
            "--requests",
            "5000",
        ])
        .unwrap();
        assert_eq!(
            args.selected_scenarios(),
            vec![Scenario::Presigned, Scenario::IamGetUser]
        );
        assert_eq!(args.bound(), Bound::Requests(5000));
    }

    #[test]
    fn a_run_without_scenario_or_with_an_unbounded_size_is_refused() {
        assert!(parse(&[]).is_err());
        assert!(parse(&["--all", "--duration-secs", "0"]).is_err());
        assert!(parse(&["--all", "--duration-secs", "100000"]).is_err());
        assert!(parse(&["--all", "--requests", "0"]).is_err());
        assert!(parse(&["--all", "--connections", "0"]).is_err());
        assert!(parse(&["--all", "--scenario", "signed"]).is_err());
    }

    #[test]
    fn a_remote_endpoint_is_refused_at_parse_time() {
        let error = parse(&["--all", "--endpoint", "http://192.0.2.1:7177"]).unwrap_err();
        assert!(error.to_string().contains("not a loopback address"));
        assert!(parse(&["--all", "--endpoint", "http://[::1]:7177"]).is_ok());
    }
}
