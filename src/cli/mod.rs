//! Command-line interface: argument parsing, logging, and the exit-code policy.
//!
//! Exit codes: 0 all inputs succeeded; 1 some inputs failed (each reported on stderr);
//! 2 usage error or a fatal error (model, head or playbook could not load).

mod analyze;
mod eval;
mod output;
mod playbook;
mod progress;
mod read;
mod train;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use demur::encoder::{EncoderOptions, Quantize};
use tracing_subscriber::EnvFilter;

/// Finds the hidden objections in sales conversations and proposes follow-up strategies.
#[derive(Parser)]
#[command(name = "demur", disable_version_flag = true)]
struct Cli {
    /// Print the version with the encoder and head in use.
    #[arg(short = 'V', long, global = true)]
    version: bool,
    /// Debug logs on stderr.
    #[arg(short, long, global = true)]
    verbose: bool,
    /// No progress bar, warnings only.
    #[arg(short, long, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Parse transcripts and print each conversation as one JSON line (the canonical form).
    Read(read::ReadArgs),
    /// Find objections and propose three strategies per conversation.
    Analyze(analyze::AnalyzeArgs),
    /// Train an objection head on labeled dialogues.
    Train(train::TrainArgs),
    /// Evaluate a head on labeled dialogues.
    Eval(eval::EvalArgs),
    /// Work with strategy playbooks.
    Playbook(playbook::PlaybookArgs),
}

/// Options shared by the commands that load a model.
#[derive(Args, Clone, Debug)]
struct ModelArgs {
    /// Encoder: a model directory or a Hugging Face hub id [default: the installed
    /// multilingual-e5-small].
    #[arg(long)]
    model: Option<String>,
    /// Objection head directory [default: models/objection-head].
    #[arg(long)]
    head: Option<PathBuf>,
    /// Device for the encoder: cpu, cuda or metal.
    #[arg(long, default_value = "cpu")]
    device: String,
    /// Run the encoder on its 4-bit weights (model-q4_0.safetensors; CPU only) even where
    /// that is slower [default: 4-bit on CPUs with AVX-512 VNNI, where it is the faster path;
    /// f32 elsewhere].
    #[arg(long, conflicts_with = "f32")]
    quantized: bool,
    /// Run the encoder on its f32 weights even where the 4-bit path is faster: the reference
    /// scores, which the 4-bit path moves slightly.
    #[arg(long)]
    f32: bool,
}

impl ModelArgs {
    /// The encoder options these flags ask for.
    fn encoder_options(&self) -> EncoderOptions {
        let quantize = match (self.quantized, self.f32) {
            (true, _) => Quantize::Always,
            (_, true) => Quantize::Never,
            _ => Quantize::Auto,
        };
        EncoderOptions {
            device: self.device.clone(),
            quantize,
            ..EncoderOptions::default()
        }
    }
}

/// Runs the command line and returns the process exit code.
pub fn run() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    init_logging(cli.verbose, cli.quiet);
    if cli.version {
        println!("{}", version_line());
        return ExitCode::SUCCESS;
    }
    let Some(command) = cli.command else {
        eprintln!("demur: a command is needed (read, analyze, train, eval, playbook); see --help");
        return ExitCode::from(2);
    };
    let outcome = match command {
        Command::Read(args) => read::run(args),
        Command::Analyze(args) => analyze::run(args, cli.quiet),
        Command::Train(args) => train::run(args, cli.quiet),
        Command::Eval(args) => eval::run(args),
        Command::Playbook(args) => playbook::run(args),
    };
    match outcome {
        Ok(code) => code,
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("demur: error: {}", error_text(&e));
            ExitCode::from(2)
        }
    }
}

/// The error and its causes, `: `-separated, leaving out a cause whose message already ends
/// the text (errors that quote their source in their own message).
fn error_text(e: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in e.chain() {
        let message = cause.to_string();
        if text.ends_with(&message) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&message);
    }
    text
}

fn init_logging(verbose: bool, quiet: bool) {
    let level = if verbose {
        "demur=debug,info"
    } else if quiet {
        "warn"
    } else {
        "warn,demur=info"
    };
    let filter = EnvFilter::try_from_env("DEMUR_LOG").unwrap_or_else(|_| EnvFilter::new(level));
    let ansi = std::env::var_os("NO_COLOR").is_none() && std::io::stderr().is_terminal();
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .with_target(false)
        .without_time()
        .init();
}

/// `demur 0.1.0 (encoder …, head …)`, read without loading the model.
fn version_line() -> String {
    let head_dir = demur::analyzer::default_head();
    let head = std::fs::read_to_string(head_dir.join("head.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<demur::classify::HeadConfig>(&t).ok())
        .map_or_else(
            || "none found".to_string(),
            |c| format!("{}@{}", c.name, c.version),
        );
    format!(
        "demur {} (encoder: {}, head: {})",
        env!("CARGO_PKG_VERSION"),
        demur::analyzer::default_model(),
        head
    )
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Parses `i/n` (0-based shard index of n).
fn parse_shard(s: &str) -> Result<(usize, usize), String> {
    let (i, n) = s.split_once('/').ok_or("expected i/n, e.g. 0/4")?;
    let i: usize = i
        .trim()
        .parse()
        .map_err(|_| format!("bad shard index `{i}`"))?;
    let n: usize = n
        .trim()
        .parse()
        .map_err(|_| format!("bad shard count `{n}`"))?;
    if n == 0 || i >= n {
        return Err(format!("shard {i}/{n}: need 0 <= i < n"));
    }
    Ok((i, n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_parse_and_validate() {
        assert_eq!(parse_shard("1/4"), Ok((1, 4)));
        assert!(parse_shard("4/4").is_err());
        assert!(parse_shard("0/0").is_err());
        assert!(parse_shard("x").is_err());
    }

    #[test]
    fn a_cause_the_message_already_quotes_is_said_once() {
        #[derive(Debug, thiserror::Error)]
        #[error("weights model.bin: {source}")]
        struct Quoting {
            source: std::io::Error,
        }
        let io = || std::io::Error::other("file not fully covered");
        let e = anyhow::Error::new(Quoting { source: io() }).context("cannot load `m`");
        assert_eq!(
            error_text(&e),
            "cannot load `m`: weights model.bin: file not fully covered"
        );
        // A cause the message does not quote is still given.
        let plain = anyhow::Error::new(io()).context("cannot load `m`");
        assert_eq!(
            error_text(&plain),
            "cannot load `m`: file not fully covered"
        );
    }
}
