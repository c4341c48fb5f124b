//! `tessera policy …`: offline validation, evaluation and simulation.

use clap::Subcommand;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum PolicyCommand {}

pub fn run(cmd: PolicyCommand) -> ExitCode {
    match cmd {}
}
