//! `demur eval`: a head's metrics on labeled dialogues (FORMATS.md §4 with `--json`).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use demur::train::{read_dataset, report};
use demur::{Analyzer, AnalyzerOptions, Conversation, Label};

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
}

/// Runs `demur eval`.
pub fn run(args: EvalArgs) -> anyhow::Result<ExitCode> {
    let data = read_dataset(&args.data)?;
    let analyzer = Analyzer::new(&AnalyzerOptions {
        model: args.model.model.clone(),
        head: args.model.head.clone(),
        encoder: demur::encoder::EncoderOptions {
            device: args.model.device.clone(),
            ..Default::default()
        },
        ..AnalyzerOptions::default()
    })
    .context("cannot set up the analyzer")?;

    let conversations: Vec<&Conversation> = data.iter().map(|c| &c.conversation).collect();
    let mut probs = Vec::with_capacity(conversations.len());
    for chunk in conversations.chunks(64) {
        for scores in analyzer.classifier().score(chunk)? {
            probs.push(scores.turns.iter().map(|t| t.scores).collect::<Vec<_>>());
        }
    }
    let thresholds = Label::ALL
        .iter()
        .map(|&l| (l, analyzer.thresholds().get(l)))
        .collect();
    let report = report(&data, &probs, &thresholds);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!("{}", report.summary());
    }
    Ok(ExitCode::SUCCESS)
}
