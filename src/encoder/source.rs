//! Where a model's files are: a local directory, or a hub id resolved through `hf-hub`'s cache.

use std::path::{Path, PathBuf};

use hf_hub::{HFClient, HFClientSync};

use super::{Conventions, EncoderError, QUANTIZED_WEIGHTS};

/// The files an encoder is built from.
#[derive(Debug, Clone)]
pub struct ModelFiles {
    /// How the model is named in outputs: its canonical id, or the path given.
    pub name: String,
    /// `config.json`.
    pub config: PathBuf,
    /// `tokenizer.json`.
    pub tokenizer: PathBuf,
    /// `model.safetensors`.
    pub weights: PathBuf,
    /// `model-q4_0.safetensors` next to the weights, when there is one (for the quantized
    /// encoder).
    pub quantized_weights: Option<PathBuf>,
    /// Feeding and pooling conventions.
    pub conventions: Conventions,
}

const REQUIRED: [&str; 3] = ["config.json", "tokenizer.json", "model.safetensors"];

/// Resolves a model argument: an existing directory, else a hub id (`owner/name`).
///
/// Hub ids are looked up in the local Hugging Face cache (`HF_HOME`, `HF_HUB_CACHE`) first;
/// the network is tried only when the file is missing and `HF_HUB_OFFLINE` is not set.
pub fn resolve(spec: &str) -> Result<ModelFiles, EncoderError> {
    let dir = Path::new(spec);
    if dir.is_dir() {
        return from_dir(dir, spec);
    }
    match spec.split_once('/') {
        Some((owner, name)) if !owner.is_empty() && !name.is_empty() && !name.contains('/') => {
            from_hub(spec, owner, name)
        }
        _ => Err(EncoderError::BadModelSpec(spec.to_string())),
    }
}

fn from_dir(dir: &Path, spec: &str) -> Result<ModelFiles, EncoderError> {
    for file in REQUIRED {
        if !dir.join(file).is_file() {
            return Err(EncoderError::MissingFile {
                dir: dir.to_path_buf(),
                file: file.into(),
            });
        }
    }
    let conventions = Conventions::from_dir(dir)?.unwrap_or_default();
    let name = conventions.id.clone().unwrap_or_else(|| spec.to_string());
    Ok(ModelFiles {
        name,
        config: dir.join("config.json"),
        tokenizer: dir.join("tokenizer.json"),
        weights: dir.join("model.safetensors"),
        quantized_weights: beside(&dir.join("model.safetensors")),
        conventions,
    })
}

fn from_hub(id: &str, owner: &str, name: &str) -> Result<ModelFiles, EncoderError> {
    let client_error = |e| hub_error(id, "(client)", Path::new(""), e);
    let client = HFClient::new().map_err(client_error)?;
    let cache = client.cache_dir().to_path_buf();
    let repo = HFClientSync::from_inner(client)
        .map_err(client_error)?
        .model(owner, name);
    let offline = std::env::var_os("HF_HUB_OFFLINE").is_some_and(|v| v != "0" && !v.is_empty());

    let fetch = |file: &str| -> Result<PathBuf, EncoderError> {
        let cached = repo
            .download_file()
            .filename(file)
            .local_files_only(true)
            .send();
        match cached {
            Ok(path) => Ok(path),
            Err(e) if offline => Err(hub_error(id, file, &cache, e)),
            Err(_) => repo
                .download_file()
                .filename(file)
                .send()
                .map_err(|e| hub_error(id, file, &cache, e)),
        }
    };

    let [config, tokenizer, weights] = REQUIRED.map(fetch);
    let weights = weights?;
    let conventions = weights
        .parent()
        .map(Conventions::from_dir)
        .transpose()?
        .flatten()
        .or_else(|| Conventions::built_in(id))
        .unwrap_or_default();
    Ok(ModelFiles {
        name: id.to_string(),
        config: config?,
        tokenizer: tokenizer?,
        quantized_weights: beside(&weights),
        weights,
        conventions,
    })
}

/// The quantized weights file in the folder of `weights`, when it exists.
fn beside(weights: &Path) -> Option<PathBuf> {
    let path = weights.parent()?.join(QUANTIZED_WEIGHTS);
    path.is_file().then_some(path)
}

fn hub_error(id: &str, file: &str, cache: &Path, e: hf_hub::HFError) -> EncoderError {
    EncoderError::NotInCache {
        id: id.to_string(),
        file: file.to_string(),
        cache: cache.to_path_buf(),
        reason: e.to_string(),
    }
}
