//! `demur read`: transcripts in, canonical conversations out (one JSON line each).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use demur::transcript::{Format, ReadOptions};

use super::output::stdout_lines;

/// Arguments of `demur read`.
#[derive(Args)]
pub struct ReadArgs {
    /// Transcript files or folders (searched recursively), or `-` for stdin.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Force the input format instead of detecting it: vtt, srt, txt, json, jsonl, csv.
    #[arg(long)]
    format: Option<Format>,
    /// A speaker on the selling side (repeatable); helps role detection.
    #[arg(long = "seller", value_name = "NAME")]
    sellers: Vec<String>,
}

impl ReadArgs {
    /// The reader options these arguments ask for.
    pub fn options(format: Option<Format>, sellers: &[String]) -> ReadOptions {
        ReadOptions {
            format,
            sellers: sellers.to_vec(),
        }
    }
}

/// Runs `demur read`.
pub fn run(args: ReadArgs) -> anyhow::Result<ExitCode> {
    let options = ReadArgs::options(args.format, &args.sellers);
    let inputs = super::analyze::gather(&args.paths, &options);
    let mut failed = false;
    let mut out = stdout_lines();
    for input in inputs {
        for result in input {
            match result {
                Ok(conversation) => {
                    serde_json::to_writer(&mut out, &conversation)?;
                    out.write_all(b"\n")?;
                }
                Err(e) => {
                    failed = true;
                    eprintln!("demur: {e}");
                }
            }
        }
    }
    out.flush()?;
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
