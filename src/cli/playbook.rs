//! `demur playbook check FILE`: validate a strategy playbook.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};

/// Arguments of `demur playbook`.
#[derive(Args)]
pub struct PlaybookArgs {
    #[command(subcommand)]
    command: PlaybookCommand,
}

#[derive(Subcommand)]
enum PlaybookCommand {
    /// Check a playbook file: every error is listed with the strategy id and field.
    Check {
        /// The TOML playbook.
        file: PathBuf,
    },
}

/// Runs `demur playbook …`.
pub fn run(args: PlaybookArgs) -> anyhow::Result<ExitCode> {
    let PlaybookCommand::Check { file } = args.command;
    match demur::strategy::check_file(&file) {
        Ok(n) => {
            println!("{}: ok ({n} strategies)", file.display());
            Ok(ExitCode::SUCCESS)
        }
        Err(errors) => {
            for e in &errors {
                eprintln!("{}: {e}", file.display());
            }
            eprintln!("{}: {} error(s)", file.display(), errors.len());
            Ok(ExitCode::from(1))
        }
    }
}
