//! The `tessera` command: `tessera serve` runs the IAM and STS server,
//! `tessera policy …` validates, evaluates and simulates policies offline.

mod policy_cmd;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "tessera", version, about = "Self-hosted, AWS-compatible IAM and STS")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Work with IAM policy documents offline.
    #[command(subcommand)]
    Policy(policy_cmd::PolicyCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Policy(cmd) => policy_cmd::run(cmd),
    }
}
