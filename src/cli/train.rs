//! `demur train`: fit an objection head on labeled dialogues with a frozen encoder.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, ValueEnum};
use demur::classify::HeadInput;
use demur::encoder::{Encoder, EncoderOptions, Quantize};
use demur::train::{
    default_cache_dir, finetune, train, FinetuneOptions, FitOptions, InputChoice, TrainOptions,
    TrainProgress,
};

use super::progress;

/// Which head input to train.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum InputArg {
    /// The buyer turn alone.
    Turn,
    /// The buyer turn plus the seller turn before it.
    Context,
    /// The buyer turn plus the seller turns before and after it.
    Neighbours,
    /// Train every input and keep the best on dev.
    Measure,
}

/// Arguments of `demur train`.
#[derive(Args)]
pub struct TrainArgs {
    /// Labeled training dialogues (JSONL, FORMATS.md §2).
    #[arg(long, default_value = "datasets/train.jsonl")]
    train: PathBuf,
    /// Labeled dev dialogues: early stopping, thresholds, the report.
    #[arg(long, default_value = "datasets/dev.jsonl")]
    dev: PathBuf,
    /// Base encoder: model directory or hub id [default: the installed multilingual-e5-small].
    #[arg(long)]
    model: Option<String>,
    /// Where the head is written.
    /// [default: models/objection-head; with --unfreeze, models/objection-head-ft]
    #[arg(long)]
    out: Option<PathBuf>,
    /// Head input.
    #[arg(long, value_enum, default_value = "measure")]
    input: InputArg,
    /// Hidden layer width (0: a logistic head).
    #[arg(long, default_value_t = 256)]
    hidden: usize,
    /// Ensemble members whose probabilities are averaged.
    #[arg(long, default_value_t = 5)]
    members: usize,
    /// Most epochs [default: 100; with --unfreeze, 4].
    #[arg(long)]
    epochs: Option<usize>,
    /// Epochs without dev improvement before stopping [default: 15; with --unfreeze, 2].
    #[arg(long)]
    patience: Option<usize>,
    /// AdamW learning rate of the head.
    #[arg(long, default_value_t = 1e-3)]
    lr: f64,
    /// Fine-tune the top N encoder layers with the head (a sequence classifier on the buyer
    /// turn alone); writes a checkpoint that Hugging Face `transformers` also loads.
    #[arg(long, value_name = "N")]
    unfreeze: Option<usize>,
    /// AdamW learning rate of the unfrozen encoder layers.
    #[arg(long, default_value_t = 5e-5)]
    encoder_lr: f64,
    /// Dropout rate on the head's input and hidden layer while training.
    #[arg(long, default_value_t = 0.3)]
    dropout: f32,
    /// Probability of dropping each seller-turn vector of a row as a whole while training
    /// (heads that read context).
    #[arg(long, default_value_t = 0.5)]
    context_dropout: f32,
    /// AdamW weight decay.
    #[arg(long, default_value_t = 1e-2)]
    weight_decay: f64,
    /// Seed: the same seed and data give the same head.
    #[arg(long, default_value_t = 17)]
    seed: u64,
    /// Head name.
    /// [default: objection-head; with --unfreeze, objection-head-ft]
    #[arg(long)]
    name: Option<String>,
    /// Head version.
    #[arg(long = "head-version", default_value = "2")]
    head_version: String,
    /// Do not read or write the feature cache.
    #[arg(long)]
    no_cache: bool,
}

/// Runs `demur train`.
pub fn run(args: TrainArgs, quiet: bool) -> anyhow::Result<ExitCode> {
    let model = args
        .model
        .clone()
        .unwrap_or_else(demur::analyzer::default_model);
    // Heads learn from the f32 encoder's vectors (the reference ones, which the 4-bit path
    // approximates), and fine-tuning needs f32 weights.
    let options = EncoderOptions {
        quantize: Quantize::Never,
        ..EncoderOptions::default()
    };
    let encoder = Encoder::load(&model, &options)
        .with_context(|| format!("cannot load encoder `{model}`"))?;
    if let Some(layers) = args.unfreeze {
        return run_finetune(&args, &model, &encoder, layers, quiet);
    }
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("models/objection-head"));
    let options = TrainOptions {
        train: args.train.clone(),
        dev: args.dev.clone(),
        out: out.clone(),
        input: match args.input {
            InputArg::Turn => InputChoice::Only(HeadInput::Turn),
            InputArg::Context => InputChoice::Only(HeadInput::TurnAndContext),
            InputArg::Neighbours => InputChoice::Only(HeadInput::TurnAndNeighbours),
            InputArg::Measure => InputChoice::Measure,
        },
        hidden_layer: args.hidden,
        members: args.members,
        fit: FitOptions {
            epochs: args.epochs.unwrap_or(100),
            patience: args.patience.unwrap_or(15),
            learning_rate: args.lr,
            seed: args.seed,
            dropout: args.dropout,
            context_dropout: args.context_dropout,
            weight_decay: args.weight_decay,
            ..FitOptions::default()
        },
        cache: if args.no_cache {
            None
        } else {
            default_cache_dir()
        },
        name: args.name.clone().unwrap_or_else(|| "objection-head".into()),
        version: args.head_version.clone(),
    };

    let bar = progress::bar(0, quiet, "turns");
    let encoded = |done: usize, total: usize| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    };
    let mut epoch = |input: HeadInput, r: &demur::train::EpochReport| {
        bar.suspend(|| {
            eprintln!(
                "{input:?} epoch {:>3}: loss {:.4}, dev macro-F1 {:.3}",
                r.epoch, r.loss, r.dev_macro_f1
            )
        });
    };
    let outcome = train(
        &encoder,
        &options,
        TrainProgress {
            encoded: &encoded,
            epoch: &mut epoch,
        },
    )?;
    bar.finish_and_clear();

    for c in &outcome.candidates {
        eprintln!(
            "input {:?}: best dev macro-F1 {:.3} after {} epochs",
            c.input, c.dev_macro_f1, c.epochs
        );
    }
    eprintln!(
        "kept input {:?}; head written to {}",
        outcome.config.input,
        out.display()
    );
    eprintln!("dev: {}", outcome.dev_report.summary());
    println!("{}", serde_json::to_string_pretty(&outcome.dev_report)?);
    Ok(ExitCode::SUCCESS)
}

/// `demur train --unfreeze N`: fine-tunes the top layers and writes a full checkpoint.
fn run_finetune(
    args: &TrainArgs,
    model: &str,
    encoder: &Encoder,
    layers: usize,
    quiet: bool,
) -> anyhow::Result<ExitCode> {
    if matches!(args.input, InputArg::Context | InputArg::Neighbours) {
        anyhow::bail!(
            "--unfreeze trains a sequence classifier on the buyer turn alone: drop --input context"
        );
    }
    let base = demur::encoder::resolve(model)?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("models/objection-head-ft"));
    let options = FinetuneOptions {
        train: args.train.clone(),
        dev: args.dev.clone(),
        out: out.clone(),
        name: args
            .name
            .clone()
            .unwrap_or_else(|| "objection-head-ft".into()),
        version: args.head_version.clone(),
        layers,
        epochs: args.epochs.unwrap_or(4),
        patience: args.patience.unwrap_or(2),
        encoder_learning_rate: args.encoder_lr,
        head_learning_rate: args.lr,
        weight_decay: args.weight_decay,
        seed: args.seed,
        ..FinetuneOptions::default()
    };
    let bar = progress::bar(0, quiet, "epochs");
    bar.set_length(options.epochs as u64);
    let mut epoch = |r: &demur::train::EpochReport| {
        bar.suspend(|| {
            eprintln!(
                "fine-tune epoch {:>2}: loss {:.4}, dev macro-F1 {:.3}",
                r.epoch, r.loss, r.dev_macro_f1
            )
        });
        bar.inc(1);
    };
    let outcome = finetune(encoder, &base, &options, &mut epoch)?;
    bar.finish_and_clear();
    let report = demur::train::report(
        &outcome.dev,
        &outcome.dev_probabilities,
        &outcome.config.thresholds,
    );
    eprintln!(
        "checkpoint written to {} (top {layers} layers fine-tuned)",
        out.display()
    );
    eprintln!("dev: {}", report.summary());
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(ExitCode::SUCCESS)
}
