//! The `demur` command: parse arguments, set up logging, run the library, map to an exit code.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    cli::run()
}
