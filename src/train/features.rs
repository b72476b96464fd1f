//! Turn vectors for labeled data, cached on disk so that retraining a head takes seconds.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use candle_core::{Device, Tensor};

use super::dataset::LabeledConversation;
use super::fit::Examples;
use super::metrics::flags;
use crate::classify::{feature_row, scored_turns, HeadInput};
use crate::encoder::{Encoder, EncoderError, Pooling};

/// Vectors of every turn of every conversation: `vectors[conversation][turn]`.
pub type TurnVectors = Vec<Vec<Vec<f32>>>;

/// Encodes every turn. With a cache directory, vectors are kept per text in
/// `cache_dir/<encoder key>.safetensors` (texts hashed), so only texts not seen before are
/// encoded: adding dialogues to a dataset costs only the new turns.
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
    let path = cache_dir.map(|dir| dir.join(format!("{:016x}.safetensors", encoder_key(encoder))));
    let mut cache = path.as_deref().map(read_cache).unwrap_or_default();

    let mut missing: Vec<&str> = texts
        .iter()
        .copied()
        .filter(|t| !cache.contains_key(&text_key(t)))
        .collect();
    missing.sort_unstable();
    missing.dedup();
    if !missing.is_empty() {
        let fresh = encode_in_chunks(encoder, &missing, progress)?;
        cache.extend(missing.iter().map(|t| text_key(t)).zip(fresh));
        if let Some(path) = &path {
            write_cache(path, &cache, encoder.hidden_size());
        }
    }
    tracing::info!(
        turns = texts.len(),
        encoded = missing.len(),
        "turn vectors ready"
    );
    let flat = texts.iter().map(|t| cache[&text_key(t)].clone()).collect();
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

/// Which encoder (and conventions) produced a cache.
fn encoder_key(encoder: &Encoder) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    encoder.name().hash(&mut hasher);
    encoder.fingerprint().hash(&mut hasher);
    let conventions = encoder.conventions();
    conventions.prefix.hash(&mut hasher);
    (conventions.pooling == Pooling::Cls).hash(&mut hasher);
    conventions.normalize.hash(&mut hasher);
    encoder.max_length().hash(&mut hasher);
    // Quantized matrices give other vectors.
    encoder.quantized().hash(&mut hasher);
    hasher.finish()
}

fn text_key(text: &str) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    text.hash(&mut hasher);
    hasher.finish()
}

/// The cache as text key → vector; empty when missing or unreadable.
fn read_cache(path: &Path) -> HashMap<u64, Vec<f32>> {
    let Ok(tensors) = candle_core::safetensors::load(path, &Device::Cpu) else {
        return HashMap::new();
    };
    let keys = tensors.get("keys").and_then(|t| t.to_vec1::<i64>().ok());
    let vectors = tensors.get("vectors").and_then(|t| t.to_vec2::<f32>().ok());
    match (keys, vectors) {
        (Some(keys), Some(vectors)) if keys.len() == vectors.len() => {
            keys.into_iter().map(|k| k as u64).zip(vectors).collect()
        }
        _ => HashMap::new(),
    }
}

fn write_cache(path: &PathBuf, cache: &HashMap<u64, Vec<f32>>, width: usize) {
    let keys: Vec<i64> = cache.keys().map(|&k| k as i64).collect();
    let data: Vec<f32> = cache.values().flatten().copied().collect();
    let saved = (|| -> candle_core::Result<()> {
        let n = keys.len();
        let tensors = HashMap::from([
            ("keys", Tensor::from_vec(keys, n, &Device::Cpu)?),
            ("vectors", Tensor::from_vec(data, (n, width), &Device::Cpu)?),
        ]);
        let dir = path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir)?;
        // Written beside the cache and renamed, so a concurrent run never reads half a file.
        let temp = tempfile::NamedTempFile::new_in(dir)?;
        candle_core::safetensors::save(&tensors, temp.path())?;
        temp.persist(path)
            .map_err(|e| candle_core::Error::Msg(e.to_string()))?;
        Ok(())
    })();
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
            out.rows
                .push(feature_row(&c.conversation, t, input, |i| &vecs[i]));
            out.gold.push(flags(&c.labels[t]));
        }
    }
    out
}
