//! The objection head: a small network from turn vectors to one probability per label.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Module, Tensor};
use candle_nn::{Linear, VarBuilder, VarMap};
use serde::{Deserialize, Serialize};

use crate::label::Label;

/// What the head reads for each buyer turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HeadInput {
    /// The buyer turn's vector alone.
    Turn,
    /// The buyer turn's vector followed by the vector of the seller turn before it (zeros
    /// when there is none).
    TurnAndContext,
    /// As `TurnAndContext`, then the vector of the seller turn after it (the reply; zeros
    /// when there is none).
    TurnAndNeighbours,
}

impl HeadInput {
    /// Width of the head's input for an encoder of `hidden` dimensions.
    pub fn width(self, hidden: usize) -> usize {
        match self {
            HeadInput::Turn => hidden,
            HeadInput::TurnAndContext => 2 * hidden,
            HeadInput::TurnAndNeighbours => 3 * hidden,
        }
    }
}

/// Everything needed to rebuild and trust a head: stored as `head.json` beside its weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeadConfig {
    /// Short name, e.g. `objection-head`.
    pub name: String,
    /// Version, bumped when retrained.
    pub version: String,
    /// Label order of the output rows (always the fixed order).
    pub labels: Vec<Label>,
    /// Decision threshold per label, tuned on the dev split.
    pub thresholds: BTreeMap<Label, f32>,
    /// The base encoder's id; the head refuses any other.
    pub encoder: String,
    /// The encoder's vector width.
    pub hidden_size: usize,
    /// Longest encoder window the head was trained with.
    pub max_length: usize,
    /// What the head reads.
    pub input: HeadInput,
    /// Width of the hidden layer; 0 for a plain logistic head.
    pub hidden_layer: usize,
    /// Independently initialised members whose probabilities are averaged (1: a single head).
    #[serde(default = "one")]
    pub members: usize,
    /// The hidden layer's activation.
    #[serde(default)]
    pub activation: Activation,
    /// Whether the encoder's files are in the head's own directory (a fine-tuned checkpoint):
    /// then that directory is the encoder unless another is asked for explicitly.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub bundled_encoder: bool,
}

/// The activation of a head's hidden layer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Activation {
    /// The exact GELU (heads trained on frozen vectors).
    #[default]
    Gelu,
    /// tanh, as in BERT's pooler (fine-tuned sequence classifiers).
    Tanh,
}

fn one() -> usize {
    1
}

/// Errors loading or applying a head.
#[derive(Debug, thiserror::Error)]
pub enum HeadError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// `head.json` does not parse or is inconsistent.
    #[error("{path}: {message}")]
    Config {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The head was trained for another encoder.
    #[error("head {path} was trained for encoder `{expected}` ({expected_size} dims), not `{found}` ({found_size} dims)")]
    EncoderMismatch {
        /// The head directory.
        path: PathBuf,
        /// Encoder named in the head config.
        expected: String,
        /// Vector width in the head config.
        expected_size: usize,
        /// Encoder in use.
        found: String,
        /// Its vector width.
        found_size: usize,
    },
    /// A tensor operation failed (weights missing or misshapen).
    #[error("head weights: {0}")]
    Tensor(#[from] candle_core::Error),
}

/// A loaded head.
pub struct Head {
    config: HeadConfig,
    mean: Tensor,
    scale: Tensor,
    members: Vec<Member>,
}

/// One member of the ensemble: an optional hidden layer and the output layer.
struct Member {
    hidden: Option<Linear>,
    output: Linear,
}

/// The variable-name prefix of member `k` (member 0 has none).
pub fn member_prefix(k: usize) -> String {
    if k == 0 {
        String::new()
    } else {
        format!("m{k}.")
    }
}

impl Head {
    /// Builds a head whose weights live in `vb` (fresh ones for training, or loaded ones).
    ///
    /// Inputs are standardised with the stored `input.mean` and `input.scale` before the
    /// layers: encoder vectors are nearly parallel, and centring them lets a small head see
    /// their differences.
    pub fn build(config: HeadConfig, vb: VarBuilder) -> Result<Head, HeadError> {
        let width = config.input.width(config.hidden_size);
        let mean = vb.get(width, "input.mean")?;
        let scale = vb.get(width, "input.scale")?;
        let mut members = Vec::with_capacity(config.members.max(1));
        for k in 0..config.members.max(1) {
            let prefix = member_prefix(k);
            let (hidden, out_in) = match config.hidden_layer {
                0 => (None, width),
                n => (
                    Some(candle_nn::linear(
                        width,
                        n,
                        vb.pp(format!("{prefix}hidden")),
                    )?),
                    n,
                ),
            };
            let labels = Label::ALL.len();
            let output = candle_nn::linear(out_in, labels, vb.pp(format!("{prefix}output")))?;
            members.push(Member { hidden, output });
        }
        Ok(Head {
            config,
            mean,
            scale,
            members,
        })
    }

    /// Loads `head.json` and `head.safetensors` from a directory.
    pub fn load(dir: &Path) -> Result<Head, HeadError> {
        let config_path = dir.join("head.json");
        let text = std::fs::read_to_string(&config_path).map_err(|source| HeadError::Io {
            path: config_path.clone(),
            source,
        })?;
        let config: HeadConfig = serde_json::from_str(&text).map_err(|e| HeadError::Config {
            path: config_path.clone(),
            message: e.to_string(),
        })?;
        if config.labels != Label::ALL {
            let message = format!("labels must be {:?} in that order", Label::ALL);
            return Err(HeadError::Config {
                path: config_path,
                message,
            });
        }
        let weights = dir.join("head.safetensors");
        if !weights.is_file() {
            let source = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
            return Err(HeadError::Io {
                path: weights,
                source,
            });
        }
        let vb = VarBuilder::from_tensors(
            candle_core::safetensors::load(&weights, &Device::Cpu)?,
            DType::F32,
            &Device::Cpu,
        );
        Head::build(config, vb)
    }

    /// Writes `head.json` and the weights of `vars` to a directory.
    pub fn save(&self, vars: &VarMap, dir: &Path) -> Result<(), HeadError> {
        std::fs::create_dir_all(dir).map_err(|source| HeadError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let config_path = dir.join("head.json");
        let json = serde_json::to_string_pretty(&self.config).map_err(|e| HeadError::Config {
            path: config_path.clone(),
            message: e.to_string(),
        })?;
        std::fs::write(&config_path, json + "\n").map_err(|source| HeadError::Io {
            path: config_path,
            source,
        })?;
        vars.save(dir.join("head.safetensors"))?;
        Ok(())
    }

    /// The head's configuration.
    pub fn config(&self) -> &HeadConfig {
        &self.config
    }

    /// Replaces the decision thresholds (after tuning).
    pub fn set_thresholds(&mut self, thresholds: BTreeMap<Label, f32>) {
        self.config.thresholds = thresholds;
    }

    /// The decision threshold of one label (0.5 when the config has none).
    pub fn threshold(&self, label: Label) -> f32 {
        self.config.thresholds.get(&label).copied().unwrap_or(0.5)
    }

    /// `name@version`, as reported in analyses.
    pub fn id(&self) -> String {
        format!("{}@{}", self.config.name, self.config.version)
    }

    /// Refuses an encoder other than the one the head was trained for.
    pub fn check_encoder(&self, dir: &Path, encoder: &str, size: usize) -> Result<(), HeadError> {
        if self.config.encoder == encoder && self.config.hidden_size == size {
            return Ok(());
        }
        Err(HeadError::EncoderMismatch {
            path: dir.to_path_buf(),
            expected: self.config.encoder.clone(),
            expected_size: self.config.hidden_size,
            found: encoder.to_string(),
            found_size: size,
        })
    }

    /// Raw scores (before the sigmoid) of each member, `[rows, 3]` each.
    pub fn logits(&self, features: &Tensor) -> candle_core::Result<Vec<Tensor>> {
        let none = vec![(None, None); self.members.len()];
        self.logits_masked(features, &none)
    }

    /// Raw scores of each member with dropout masks (already scaled by 1 / keep rate)
    /// multiplied into its standardised input and hidden layer: the training path. Masks
    /// come from the caller so that a seeded generator makes training reproducible.
    pub fn logits_masked(
        &self,
        features: &Tensor,
        masks: &[(Option<Tensor>, Option<Tensor>)],
    ) -> candle_core::Result<Vec<Tensor>> {
        let apply = |x: Tensor, mask: &Option<Tensor>| match mask {
            Some(m) => x.mul(m),
            None => Ok(x),
        };
        let x = features
            .broadcast_sub(&self.mean)?
            .broadcast_mul(&self.scale)?;
        let mut out = Vec::with_capacity(self.members.len());
        for (member, (input_mask, hidden_mask)) in self.members.iter().zip(masks) {
            let h = apply(x.clone(), input_mask)?;
            let h = match &member.hidden {
                Some(layer) => {
                    let z = layer.forward(&h)?;
                    let z = match self.config.activation {
                        Activation::Gelu => z.gelu_erf()?,
                        Activation::Tanh => z.tanh()?,
                    };
                    apply(z, hidden_mask)?
                }
                None => h,
            };
            out.push(member.output.forward(&h)?);
        }
        Ok(out)
    }

    /// Number of ensemble members.
    pub fn members(&self) -> usize {
        self.members.len()
    }

    /// One probability per label for each row of `features`.
    pub fn probabilities(&self, features: &[Vec<f32>]) -> Result<Vec<[f32; 3]>, HeadError> {
        if features.is_empty() {
            return Ok(Vec::new());
        }
        let width = features[0].len();
        let flat: Vec<f32> = features.iter().flatten().copied().collect();
        let x = Tensor::from_vec(flat, (features.len(), width), &Device::Cpu)?;
        let members = self.logits(&x)?;
        let mut sum = candle_nn::ops::sigmoid(&members[0])?;
        for logits in &members[1..] {
            sum = (sum + candle_nn::ops::sigmoid(logits)?)?;
        }
        let p = (sum / members.len() as f64)?;
        let rows: Vec<Vec<f32>> = p.to_vec2()?;
        Ok(rows.into_iter().map(|r| [r[0], r[1], r[2]]).collect())
    }
}
