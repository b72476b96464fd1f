//! `demur eval`: a head's metrics on labeled dialogues (FORMATS.md §4 with `--json`).
//!
//! Turn vectors go through the same feature cache as `demur train`, so evaluating on data the
//! encoder has seen before takes seconds; the numbers equal those of scoring through
//! `demur analyze`, which uses the same encoder, head and thresholds.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use demur::classify::Head;
use demur::encoder::Encoder;
use demur::train::{default_cache_dir, features, read_dataset, report, split_by_conversation};
use demur::Label;

use super::ModelArgs;

/// Arguments of `demur eval`.
#[derive(Args)]
pub struct EvalArgs {
    /// Labeled dialogues (JSONL, FORMATS.md §2).
    data: PathBuf,
    #[command(flatten)]
    model: ModelArgs,
    /// Print the JSON report instead of the summary.
    #[arg(long)]
    json: bool,
    /// Do not read or write the feature cache.
    #[arg(long)]
    no_cache: bool,
}

/// Runs `demur eval`.
pub fn run(args: EvalArgs) -> anyhow::Result<ExitCode> {
    let data = read_dataset(&args.data)?;
    let head_dir = args
        .model
        .head
        .clone()
        .unwrap_or_else(demur::analyzer::default_head);
    let head = Head::load(&head_dir)?;
    let model = demur::analyzer::model_for(&head_dir, &head, args.model.model.clone());
    let options = args.model.encoder_options();
    let encoder =
        Encoder::load(&model, &options).with_context(|| format!("cannot load `{model}`"))?;
    head.check_encoder(&head_dir, encoder.name(), encoder.hidden_size())?;

    let cache = if args.no_cache {
        None
    } else {
        default_cache_dir()
    };
    let vectors = features::turn_vectors(&encoder, &data, cache.as_deref(), &|_, _| {})?;
    let examples = features::examples(&data, &vectors, head.config().input);
    let probs = split_by_conversation(&data, head.probabilities(&examples.rows)?);
    let thresholds = Label::ALL.iter().map(|&l| (l, head.threshold(l))).collect();
    let report = report(&data, &probs, &thresholds);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!("{}", report.summary());
    }
    Ok(ExitCode::SUCCESS)
}
