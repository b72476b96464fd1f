//! `demur analyze`: transcripts in, objections and strategies out, in input order.
//!
//! Files are read in parallel and analysed in chunks, so memory stays flat however many files
//! there are; a file that fails is reported and the batch goes on.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use demur::transcript::{discover, read_bytes, read_file, Format, ReadOptions, TranscriptError};
use demur::{Analyzer, AnalyzerOptions, Conversation, Label};
use rayon::prelude::*;

use super::output::{Kind, Writer};
use super::{parse_shard, progress, ModelArgs};

/// Files read and analysed together (bounds memory; keeps batches full).
const FILES_PER_CHUNK: usize = 32;

/// Arguments of `demur analyze`.
#[derive(Args)]
pub struct AnalyzeArgs {
    /// Transcript files or folders (searched recursively), or `-` for stdin.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// One JSON array of analyses.
    #[arg(long, conflicts_with_all = ["jsonl", "csv"])]
    json: bool,
    /// One analysis per line (JSON Lines).
    #[arg(long, conflicts_with = "csv")]
    jsonl: bool,
    /// CSV, one row per conversation.
    #[arg(long)]
    csv: bool,
    /// With --csv: one row per objection instead.
    #[arg(long, requires = "csv")]
    per_objection: bool,
    /// Write results to this file (atomically) instead of stdout.
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// A speaker on the selling side (repeatable); helps role detection.
    #[arg(long = "seller", value_name = "NAME")]
    sellers: Vec<String>,
    /// Force the input format: vtt, srt, txt, json, jsonl, csv.
    #[arg(long)]
    format: Option<Format>,
    #[command(flatten)]
    model: ModelArgs,
    /// Strategy playbook (TOML) replacing or extending the built-in one.
    #[arg(long)]
    playbook: Option<PathBuf>,
    /// Override a label's threshold, e.g. `price=0.6` (repeatable).
    #[arg(long = "threshold", value_name = "LABEL=VALUE", value_parser = parse_threshold)]
    thresholds: Vec<(Label, f32)>,
    /// Process only shard i of n (0-based), splitting the inputs deterministically.
    #[arg(long, value_parser = parse_shard)]
    shard: Option<(usize, usize)>,
    /// Stop at the first input that fails.
    #[arg(long)]
    fail_fast: bool,
}

fn parse_threshold(s: &str) -> Result<(Label, f32), String> {
    let (label, value) = s
        .split_once('=')
        .ok_or("expected LABEL=VALUE, e.g. price=0.6")?;
    let label: Label = label.trim().parse().map_err(|e| format!("{e}"))?;
    let value: f32 = value
        .trim()
        .parse()
        .map_err(|_| format!("bad threshold `{value}`"))?;
    if !(0.0..=1.0).contains(&value) {
        return Err(format!("threshold {value} is outside 0..1"));
    }
    Ok((label, value))
}

/// Runs `demur analyze`.
pub fn run(args: AnalyzeArgs, quiet: bool) -> anyhow::Result<ExitCode> {
    if let Some(n) = args.threads {
        // candle's matmuls and our rayon work share the global pool sized by this variable.
        std::env::set_var("RAYON_NUM_THREADS", n.max(1).to_string());
    }
    let analyzer = Analyzer::new(&AnalyzerOptions {
        model: args.model.model.clone(),
        head: args.model.head.clone(),
        playbook: args.playbook.clone(),
        thresholds: args.thresholds.clone(),
        encoder: args.model.encoder_options(),
    })
    .context("cannot set up the analyzer")?;

    let options = ReadOptions {
        format: args.format,
        sellers: args.sellers.clone(),
    };
    let (mut files, stdin, errors) = inputs(&args.paths, args.shard);
    if let Some(output) = &args.output {
        skip_output(&mut files, output);
    }
    let mut failed = !errors.is_empty();
    for e in &errors {
        eprintln!("demur: {e}");
    }
    let kind = kind(&args);
    let mut writer = Writer::new(kind, args.per_objection, args.output.as_deref())?;
    let bar = progress::bar(files.len() + usize::from(stdin), quiet, "files");

    if stdin {
        let results = vec![read_stdin(&options)];
        failed |= analyze_chunk(&analyzer, results, &mut writer)?;
        bar.inc(1);
    }
    // With --fail-fast, one file at a time, so nothing after the first failure is analysed.
    let chunk_size = if args.fail_fast { 1 } else { FILES_PER_CHUNK };
    for chunk in files.chunks(chunk_size) {
        if failed && args.fail_fast {
            break;
        }
        let results: Vec<_> = chunk.par_iter().map(|f| read_file(f, &options)).collect();
        failed |= analyze_chunk(&analyzer, results, &mut writer)?;
        bar.inc(chunk.len() as u64);
    }
    bar.finish_and_clear();
    writer.finish()?;
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn kind(args: &AnalyzeArgs) -> Kind {
    match (args.json, args.jsonl, args.csv) {
        (true, _, _) => Kind::Json,
        (_, true, _) => Kind::Jsonl,
        (_, _, true) => Kind::Csv,
        _ => Kind::Report,
    }
}

/// Leaves the output file out of the inputs: a second run with `-o` inside an input folder
/// would otherwise read the first run's results as a transcript.
fn skip_output(files: &mut Vec<PathBuf>, output: &Path) {
    let Ok(output) = output.canonicalize() else {
        return; // not written yet, so not among the inputs
    };
    files.retain(|file| {
        let same = file.canonicalize().is_ok_and(|f| f == output);
        if same {
            tracing::info!(file = %file.display(), "not read: it is the output file");
        }
        !same
    });
}

/// Expands the paths into files (sharded), whether stdin is wanted, and discovery errors.
fn inputs(
    paths: &[PathBuf],
    shard: Option<(usize, usize)>,
) -> (Vec<PathBuf>, bool, Vec<TranscriptError>) {
    let stdin = paths.iter().any(|p| p == Path::new("-"));
    let named: Vec<PathBuf> = paths
        .iter()
        .filter(|p| *p != Path::new("-"))
        .cloned()
        .collect();
    let (mut files, errors) = if named.is_empty() {
        (Vec::new(), Vec::new())
    } else {
        discover(&named)
    };
    if let Some((i, n)) = shard {
        files = files
            .into_iter()
            .enumerate()
            .filter(|(k, _)| k % n == i)
            .map(|(_, f)| f)
            .collect();
    }
    (files, stdin, errors)
}

/// Reads every input, for `demur read`: per input, its conversations or errors, in order.
pub fn gather(
    paths: &[PathBuf],
    options: &ReadOptions,
) -> Vec<Vec<Result<Conversation, TranscriptError>>> {
    let (files, stdin, errors) = inputs(paths, None);
    let mut out: Vec<Vec<_>> = errors.into_iter().map(|e| vec![Err(e)]).collect();
    if stdin {
        out.push(read_stdin(options));
    }
    out.extend(
        files
            .par_iter()
            .map(|f| read_file(f, options))
            .collect::<Vec<_>>(),
    );
    out
}

fn read_stdin(options: &ReadOptions) -> Vec<Result<Conversation, TranscriptError>> {
    let mut bytes = Vec::new();
    if let Err(e) = std::io::stdin().read_to_end(&mut bytes) {
        eprintln!("demur: -: cannot read stdin: {e}");
    }
    read_bytes(&bytes, "-", options)
}

/// Analyses the conversations of a chunk of inputs and writes them in order; returns whether
/// anything failed. A batch that fails as a whole is retried one conversation at a time, so
/// one bad conversation never costs the others their results.
fn analyze_chunk(
    analyzer: &Analyzer,
    results: Vec<Vec<Result<Conversation, TranscriptError>>>,
    writer: &mut Writer,
) -> anyhow::Result<bool> {
    let mut failed = false;
    let mut conversations = Vec::new();
    for result in results.into_iter().flatten() {
        match result {
            Ok(c) => conversations.push(c),
            Err(e) => {
                failed = true;
                eprintln!("demur: {e}");
            }
        }
    }
    let refs: Vec<&Conversation> = conversations.iter().collect();
    match analyzer.analyze_batch(&refs) {
        Ok(analyses) => {
            for a in &analyses {
                writer.write(a)?;
            }
        }
        Err(_) => {
            for c in &conversations {
                match analyzer.analyze(c) {
                    Ok(a) => writer.write(&a)?,
                    Err(e) => {
                        failed = true;
                        eprintln!("demur: {}: conversation `{}`: {e}", c.source, c.id);
                    }
                }
            }
        }
    }
    Ok(failed)
}
