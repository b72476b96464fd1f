//! Turn vectors for labeled data, cached on disk so that retraining a head takes seconds.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use candle_core::{Device, Tensor};

use super::dataset::LabeledConversation;
use super::fit::Examples;
use super::metrics::flags;
use crate::classify::{feature_row, scored_turns, HeadInput};
use crate::encoder::{Encoder, EncoderError};

/// Vectors of every turn of every conversation: `vectors[conversation][turn]`.
pub type TurnVectors = Vec<Vec<Vec<f32>>>;

/// Encodes every turn, reading and writing `cache_dir/<key>.safetensors` when a cache is given.
pub fn turn_vectors(
    encoder: &Encoder,
    data: &[LabeledConversation],
    cache_dir: Option<&Path>,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<TurnVectors, EncoderError> {
    let texts: Vec<&str> = data
        .iter()
        .flat_map(|c| c.conversation.turns.iter().map(|t| t.text.as_str()))
        .collect();
    let cache = cache_dir.map(|dir| dir.join(format!("{:016x}.safetensors", key(encoder, &texts))));
    let flat = match cache.as_deref().and_then(read_cache) {
        Some(flat) if flat.len() == texts.len() => {
            tracing::info!(turns = texts.len(), "turn vectors read from cache");
            flat
        }
        _ => {
            let flat = encode_in_chunks(encoder, &texts, progress)?;
            if let Some(path) = &cache {
                write_cache(path, &flat, encoder.hidden_size());
            }
            flat
        }
    };
    Ok(regroup(data, flat))
}

fn encode_in_chunks(
    encoder: &Encoder,
    texts: &[&str],
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Vec<Vec<f32>>, EncoderError> {
    let mut out = Vec::with_capacity(texts.len());
    for chunk in texts.chunks(512) {
        out.extend(encoder.embed(chunk)?);
        progress(out.len(), texts.len());
    }
    Ok(out)
}

/// Cache key: the encoder, its conventions and every text, in order.
fn key(encoder: &Encoder, texts: &[&str]) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    encoder.name().hash(&mut hasher);
    encoder.conventions().prefix.hash(&mut hasher);
    encoder.max_length().hash(&mut hasher);
    texts.hash(&mut hasher);
    hasher.finish()
}

fn read_cache(path: &Path) -> Option<Vec<Vec<f32>>> {
    let tensors = candle_core::safetensors::load(path, &Device::Cpu).ok()?;
    tensors.get("vectors")?.to_vec2().ok()
}

fn write_cache(path: &PathBuf, flat: &[Vec<f32>], width: usize) {
    let data: Vec<f32> = flat.iter().flatten().copied().collect();
    let saved = Tensor::from_vec(data, (flat.len(), width), &Device::Cpu)
        .and_then(|t| {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            candle_core::safetensors::save(&HashMap::from([("vectors", t)]), path)
        });
    if let Err(e) = saved {
        tracing::warn!(path = %path.display(), "could not write the feature cache: {e}");
    }
}

fn regroup(data: &[LabeledConversation], flat: Vec<Vec<f32>>) -> TurnVectors {
    let mut flat = flat.into_iter();
    data.iter()
        .map(|c| flat.by_ref().take(c.conversation.turns.len()).collect())
        .collect()
}

/// Head inputs and gold flags for the scored turns of labeled conversations.
pub fn examples(data: &[LabeledConversation], vectors: &TurnVectors, input: HeadInput) -> Examples {
    let mut out = Examples::default();
    for (c, vecs) in data.iter().zip(vectors) {
        for t in scored_turns(&c.conversation) {
            out.rows.push(feature_row(&c.conversation, t, input, |i| &vecs[i]));
            out.gold.push(flags(&c.labels[t]));
        }
    }
    out
}
