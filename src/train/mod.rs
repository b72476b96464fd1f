//! Training and evaluating objection heads on labeled dialogues.
//!
//! The pipeline: read and validate the labeled data ([`dataset`]), encode every turn once
//! with the frozen base encoder ([`features`], cached on disk), fit a head for each candidate
//! input (the buyer turn alone, or with the seller turn before it) and keep the one with the
//! better dev macro-F1 ([`fit`]), tune thresholds on dev, and report ([`eval`]).

pub mod dataset;
pub mod eval;
pub mod features;
pub mod finetune;
pub mod fit;
pub mod metrics;
mod rng;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use dataset::{read_dataset, DatasetError, LabeledConversation};
pub use eval::{report, EvalReport};
pub use finetune::{finetune, FinetuneOptions, Finetuned};
pub use fit::{EpochReport, FitOptions};

use crate::classify::{Activation, HeadConfig, HeadError, HeadInput};
use crate::encoder::{Encoder, EncoderError};
use crate::label::Label;

/// Errors of a training run.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// Bad labeled data.
    #[error(transparent)]
    Dataset(#[from] DatasetError),
    /// The encoder failed.
    #[error(transparent)]
    Encoder(#[from] EncoderError),
    /// The head failed.
    #[error(transparent)]
    Head(#[from] HeadError),
    /// A tensor operation failed.
    #[error("training: {0}")]
    Tensor(#[from] candle_core::Error),
    /// The options cannot work together or with this encoder.
    #[error("{0}")]
    Options(String),
}

/// Which head inputs to try.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputChoice {
    /// Only the given input.
    Only(HeadInput),
    /// Both; keep the better on dev.
    Measure,
}

/// Everything a training run needs.
#[derive(Debug, Clone)]
pub struct TrainOptions {
    /// Labeled training dialogues (JSONL).
    pub train: PathBuf,
    /// Labeled dev dialogues (JSONL), for early stopping, thresholds and the report.
    pub dev: PathBuf,
    /// Where the head is written.
    pub out: PathBuf,
    /// Which inputs to try.
    pub input: InputChoice,
    /// Hidden layer width (0: logistic head).
    pub hidden_layer: usize,
    /// Ensemble members (1: a single head).
    pub members: usize,
    /// Optimiser knobs.
    pub fit: FitOptions,
    /// Feature cache directory (none: no cache).
    pub cache: Option<PathBuf>,
    /// Head name.
    pub name: String,
    /// Head version.
    pub version: String,
}

/// What one candidate input reached on dev.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// The input tried.
    pub input: HeadInput,
    /// Best dev macro-F1.
    pub dev_macro_f1: f64,
    /// Epochs run.
    pub epochs: usize,
}

/// The outcome of a training run.
pub struct TrainOutcome {
    /// Every candidate tried, in order.
    pub candidates: Vec<Candidate>,
    /// The kept head's dev report.
    pub dev_report: EvalReport,
    /// The kept head's configuration.
    pub config: HeadConfig,
}

/// Progress callbacks of a training run.
pub struct TrainProgress<'a> {
    /// Turns encoded so far, of the total.
    pub encoded: &'a (dyn Fn(usize, usize) + Sync),
    /// After each epoch of each candidate.
    pub epoch: &'a mut dyn FnMut(HeadInput, &EpochReport),
}

/// Trains a head on frozen encoder features and writes it to `options.out`.
pub fn train(
    encoder: &Encoder,
    options: &TrainOptions,
    progress: TrainProgress<'_>,
) -> Result<TrainOutcome, TrainError> {
    let train_data = read_dataset(&options.train)?;
    let dev_data = read_dataset(&options.dev)?;
    let cache = options.cache.as_deref();
    let train_vectors = features::turn_vectors(encoder, &train_data, cache, progress.encoded)?;
    let dev_vectors = features::turn_vectors(encoder, &dev_data, cache, progress.encoded)?;

    let inputs = match options.input {
        InputChoice::Only(input) => vec![input],
        InputChoice::Measure => vec![
            HeadInput::Turn,
            HeadInput::TurnAndContext,
            HeadInput::TurnAndNeighbours,
        ],
    };
    let mut best: Option<fit::Fitted> = None;
    let mut candidates = Vec::new();
    for input in inputs {
        let config = head_config(encoder, options, input);
        let train_examples = features::examples(&train_data, &train_vectors, input);
        let dev_examples = features::examples(&dev_data, &dev_vectors, input);
        let fitted = fit::fit(config, &train_examples, &dev_examples, &options.fit, |r| {
            (progress.epoch)(input, r)
        })?;
        candidates.push(Candidate {
            input,
            dev_macro_f1: fitted.best_dev_macro_f1,
            epochs: fitted.history.len(),
        });
        if best
            .as_ref()
            .is_none_or(|b| fitted.best_dev_macro_f1 > b.best_dev_macro_f1)
        {
            best = Some(fitted);
        }
    }
    let Some(best) = best else {
        unreachable!("at least one candidate input is always tried");
    };

    best.head.save(&best.vars, &options.out)?;
    let config = best.head.config().clone();
    let dev_examples = features::examples(&dev_data, &dev_vectors, config.input);
    let probs = split_by_conversation(&dev_data, best.head.probabilities(&dev_examples.rows)?);
    let dev_report = report(&dev_data, &probs, &config.thresholds);
    Ok(TrainOutcome {
        candidates,
        dev_report,
        config,
    })
}

fn head_config(encoder: &Encoder, options: &TrainOptions, input: HeadInput) -> HeadConfig {
    HeadConfig {
        name: options.name.clone(),
        version: options.version.clone(),
        labels: Label::ALL.to_vec(),
        thresholds: BTreeMap::new(),
        encoder: encoder.name().to_string(),
        hidden_size: encoder.hidden_size(),
        max_length: encoder.max_length(),
        input,
        hidden_layer: options.hidden_layer,
        members: options.members.max(1),
        activation: Activation::Gelu,
        bundled_encoder: false,
    }
}

/// Splits flat per-turn rows back into one list per conversation (scored turns only).
pub fn split_by_conversation(
    data: &[LabeledConversation],
    flat: Vec<[f32; 3]>,
) -> Vec<Vec<[f32; 3]>> {
    let mut flat = flat.into_iter();
    data.iter()
        .map(|c| {
            let n = crate::classify::scored_turns(&c.conversation).len();
            flat.by_ref().take(n).collect()
        })
        .collect()
}

/// The default feature cache: `$DEMUR_CACHE`, else `$XDG_CACHE_HOME/demur`, else
/// `~/.cache/demur`.
pub fn default_cache_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("DEMUR_CACHE") {
        return Some(PathBuf::from(dir));
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache")))?;
    Some(base.join("demur").join("features"))
}
