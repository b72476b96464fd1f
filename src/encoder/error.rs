//! Errors from resolving, loading and running an encoder.

use std::path::PathBuf;

/// Everything that can go wrong between a model name and its vectors.
#[derive(Debug, thiserror::Error)]
pub enum EncoderError {
    /// A model directory lacks a required file.
    #[error("model directory {dir}: missing `{file}`")]
    MissingFile {
        /// The directory searched.
        dir: PathBuf,
        /// The file that is not there.
        file: String,
    },
    /// A hub id could not be resolved from the local cache (and the network, when allowed).
    #[error("model `{id}`: file `{file}` is not in the Hugging Face cache at {cache} ({reason})")]
    NotInCache {
        /// The hub id asked for.
        id: String,
        /// The file that is missing.
        file: String,
        /// The cache directory searched.
        cache: PathBuf,
        /// What the hub client said.
        reason: String,
    },
    /// A model argument that is neither a directory nor an `owner/name` hub id.
    #[error("model `{0}`: not a directory and not a hub id of the form owner/name")]
    BadModelSpec(String),
    /// A config or conventions file that does not parse.
    #[error("{path}: {message}")]
    Config {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// An architecture demur cannot run.
    #[error("{path}: model_type `{found}` is not supported (supported: bert)")]
    UnsupportedModelType {
        /// The config file.
        path: PathBuf,
        /// The model_type it names.
        found: String,
    },
    /// The quantized encoder was asked for, but the model has no 4-bit weights file.
    #[error(
        "quantized encoder: no `{file}` next to {weights} (models/setup.sh writes it for the \
         default encoder; run it again to add it to an older install)"
    )]
    NoQuantizedWeights {
        /// The f32 weights file, beside which the 4-bit one was looked for.
        weights: PathBuf,
        /// The file that is not there.
        file: String,
    },
    /// A device or dtype that this build cannot use.
    #[error("{0}")]
    Unsupported(String),
    /// The tokenizer file failed to load or to encode.
    #[error("tokenizer {path}: {message}")]
    Tokenizer {
        /// The tokenizer file.
        path: PathBuf,
        /// The tokenizers crate's message.
        message: String,
    },
    /// The weights do not match the architecture (a tensor missing or misshapen).
    #[error("weights {path}: {source}")]
    Weights {
        /// The weights file.
        path: PathBuf,
        /// candle's message, which names the tensor.
        source: candle_core::Error,
    },
    /// A failure while running the model.
    #[error("encoder forward pass: {0}")]
    Forward(#[from] candle_core::Error),
    /// Reading a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
}
