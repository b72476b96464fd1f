//! Loading a BERT-family encoder and turning texts into pooled vectors.

use std::collections::HashMap;
use std::path::Path;

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::Config as BertConfig;
use rayon::prelude::*;
use tokenizers::Tokenizer;

use super::bert::Bert;
use super::int8::PackedQ4;
use super::{
    resolve, window, Conventions, EncoderError, ModelFiles, Pooling, QuantizedWeights,
    QUANTIZED_WEIGHTS,
};

/// How to run an encoder.
#[derive(Debug, Clone)]
pub struct EncoderOptions {
    /// `cpu`, `cuda` or `metal` (the last two need the matching cargo feature).
    pub device: String,
    /// `f32`, or `f16`/`bf16` on GPUs (on the CPU they fall back to f32 with a warning).
    pub dtype: String,
    /// Most windows per forward pass (default 16).
    pub batch_size: usize,
    /// Most tokens (windows × padded length) per forward pass (default 4096).
    pub batch_tokens: usize,
    /// Whether the weight matrices and word embeddings run as the 4-bit Q4_0 blocks of
    /// `model-q4_0.safetensors` (default [`Quantize::Auto`]).
    pub quantize: Quantize,
    /// On the CPU, run the batches of one `embed` call at the same time on rayon's threads
    /// (a thread that runs out of batches helps with another batch's operations); `false` runs
    /// one batch at a time with every thread on each operation. Results are the same bit for
    /// bit either way; `benches/README.md` has the measured split. Default on.
    pub concurrent_batches: bool,
}

impl Default for EncoderOptions {
    fn default() -> Self {
        EncoderOptions {
            device: "cpu".into(),
            dtype: "f32".into(),
            batch_size: 16,
            batch_tokens: 4096,
            quantize: Quantize::Auto,
            concurrent_batches: true,
        }
    }
}

/// When the encoder runs its weight matrices as 4-bit blocks. The 4-bit path gives vectors
/// close to but not equal to the f32 ones (on the labeled dev set the shipped head keeps the
/// same labels for 99.75 % of turns, scores moving by 0.0019 on average; `benches/README.md`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Quantize {
    /// The 4-bit path where it is the faster one: on a CPU with AVX-512 VNNI (see
    /// [`super::int8`]), for a model that has `model-q4_0.safetensors`; f32 elsewhere.
    #[default]
    Auto,
    /// f32 weight matrices (the word embeddings may still be read from 4-bit blocks, which
    /// dequantise exactly).
    Never,
    /// The 4-bit path even where it is slower; an error for a model without the 4-bit file or
    /// a device other than the CPU.
    Always,
}

/// A loaded encoder: tokenizer, transformer and pooling conventions. `Send + Sync`.
pub struct Encoder {
    name: String,
    bert: Bert,
    tokenizer: Tokenizer,
    conventions: Conventions,
    device: Device,
    hidden_size: usize,
    max_length: usize,
    prefix_ids: Vec<u32>,
    suffix_ids: Vec<u32>,
    pad_id: u32,
    options: EncoderOptions,
    fingerprint: u64,
}

/// Tokens shared by consecutive windows of a long text.
const WINDOW_OVERLAP: usize = 64;

impl Encoder {
    /// Loads a model directory or hub id.
    pub fn load(spec: &str, options: &EncoderOptions) -> Result<Encoder, EncoderError> {
        Encoder::from_files(resolve(spec)?, options)
    }

    /// Loads an encoder from resolved files.
    pub fn from_files(
        files: ModelFiles,
        options: &EncoderOptions,
    ) -> Result<Encoder, EncoderError> {
        let device = pick_device(&options.device)?;
        let dtype = pick_dtype(&options.dtype, &device)?;
        let config = read_config(&files.config)?;
        let mut tokenizer = load_tokenizer(&files.tokenizer)?;
        // Padding and truncation baked into tokenizer.json are dropped: windows and batches
        // decide both.
        let pad_id = tokenizer
            .get_padding()
            .map_or(config.pad_token_id as u32, |p| p.pad_id);
        tokenizer.with_padding(None);
        let _ = tokenizer.with_truncation(None);
        let (prefix_ids, suffix_ids) = special_tokens(&tokenizer, &files.tokenizer)?;

        let fingerprint = fingerprint(&files.weights);
        let mut quantized = quantized_weights(&files, options, &device)?;
        let vb = weights(&files.weights, dtype, &device, &|name| {
            quantized.contains(name)
        })?;
        let bert = Bert::load_quantized(vb, &mut quantized, &config).map_err(|source| {
            EncoderError::Weights {
                path: files.weights.clone(),
                source,
            }
        })?;

        let max_length = files
            .conventions
            .max_length
            .unwrap_or(config.max_position_embeddings)
            .min(config.max_position_embeddings);
        tracing::info!(
            model = %files.name,
            device = ?device,
            quantize = ?options.quantize,
            products = bert.products(),
            "encoder loaded"
        );
        Ok(Encoder {
            name: files.name,
            bert,
            tokenizer,
            conventions: files.conventions,
            device,
            hidden_size: config.hidden_size,
            max_length,
            prefix_ids,
            suffix_ids,
            pad_id,
            options: options.clone(),
            fingerprint,
        })
    }

    /// The model's name in outputs: its canonical id or the path it was loaded from.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether the weight matrices run as 4-bit blocks ([`EncoderOptions::quantize`]), so
    /// that vectors differ slightly from the f32 encoder's.
    pub fn quantized(&self) -> bool {
        self.bert.quantized()
    }

    /// Width of the vectors [`Encoder::embed`] returns.
    pub fn hidden_size(&self) -> usize {
        self.hidden_size
    }

    /// Longest window in tokens, special tokens included.
    pub fn max_length(&self) -> usize {
        self.max_length
    }

    /// The model's feeding and pooling conventions.
    pub fn conventions(&self) -> &Conventions {
        &self.conventions
    }

    /// Identifies the weights file (its size and modification time), so that caches of
    /// vectors notice a retrained model under the same name.
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }

    /// The transformer itself, for fine-tuning.
    pub(crate) fn bert(&self) -> &Bert {
        &self.bert
    }

    /// The token ids of a text's first window, special tokens included: what a model that
    /// reads one window per text (a sequence classifier) sees.
    pub fn first_window(&self, text: &str) -> Result<Vec<u32>, EncoderError> {
        let ids = self.tokenize(text)?;
        Ok(self.wrap(&ids[..ids.len().min(self.room())]))
    }

    /// Tokens of text a window holds besides its special tokens.
    fn room(&self) -> usize {
        self.max_length - self.prefix_ids.len() - self.suffix_ids.len()
    }

    /// A window's tokens inside the special tokens.
    fn wrap(&self, part: &[u32]) -> Vec<u32> {
        [&self.prefix_ids[..], part, &self.suffix_ids[..]].concat()
    }

    /// Token ids of a text with the model's prefix, without special tokens.
    pub fn tokenize(&self, text: &str) -> Result<Vec<u32>, EncoderError> {
        let input = format!("{}{}", self.conventions.prefix, text);
        self.tokenizer
            .encode(input, false)
            .map(|encoding| encoding.get_ids().to_vec())
            .map_err(|e| EncoderError::Tokenizer {
                path: "(loaded)".into(),
                message: e.to_string(),
            })
    }

    /// One pooled (and, per the conventions, normalised) vector per text.
    ///
    /// Texts longer than the window are split into overlapping windows whose token vectors are
    /// pooled together. Windows of similar length are batched together, so results do not
    /// depend on which other texts share the call.
    pub fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EncoderError> {
        let tokens: Vec<Vec<u32>> = texts
            .par_iter()
            .map(|t| self.tokenize(t))
            .collect::<Result<_, _>>()?;
        let windows = self.windows(&tokens);

        let mut sums = vec![vec![0f32; self.hidden_size]; texts.len()];
        let mut counts = vec![0f32; texts.len()];
        let batches = self.batches(&windows);
        let results: Vec<Vec<(Vec<f32>, f32)>> =
            if self.options.concurrent_batches && self.bert.packs() {
                batches
                    .par_iter()
                    .with_max_len(1)
                    .map(|batch| self.forward_batch(batch))
                    .collect::<Result<_, _>>()?
            } else {
                batches
                    .iter()
                    .map(|batch| self.forward_batch(batch))
                    .collect::<Result<_, _>>()?
            };
        for (batch, pooled) in batches.iter().zip(results) {
            for ((owner, _), (sum, count)) in batch.iter().zip(pooled) {
                let first = counts[*owner] == 0.0;
                if self.conventions.pooling == Pooling::Cls && !first {
                    continue;
                }
                sums[*owner].iter_mut().zip(&sum).for_each(|(a, b)| *a += b);
                counts[*owner] += count;
            }
        }

        Ok(sums
            .into_iter()
            .zip(counts)
            .map(|(sum, count)| self.finish(sum, count))
            .collect())
    }

    /// Every text's windows, each wrapped in the special tokens, tagged with its text index.
    fn windows(&self, tokens: &[Vec<u32>]) -> Vec<(usize, Vec<u32>)> {
        let room = self.room();
        let mut windows = Vec::new();
        for (owner, ids) in tokens.iter().enumerate() {
            let parts = window::split(ids, room, WINDOW_OVERLAP);
            if parts.len() > 1 {
                tracing::debug!(text = owner, windows = parts.len(), "long text windowed");
            }
            for part in parts {
                windows.push((owner, self.wrap(part)));
            }
        }
        windows
    }

    /// Groups windows of similar length into batches within the row and token budgets.
    fn batches<'a>(&self, windows: &'a [(usize, Vec<u32>)]) -> Vec<Vec<&'a (usize, Vec<u32>)>> {
        let mut order: Vec<&(usize, Vec<u32>)> = windows.iter().collect();
        order.sort_by_key(|(owner, ids)| (ids.len(), *owner));

        let mut batches: Vec<Vec<&(usize, Vec<u32>)>> = Vec::new();
        let mut current: Vec<&(usize, Vec<u32>)> = Vec::new();
        for window in order {
            let rows = current.len() + 1;
            let too_many = rows > self.options.batch_size.max(1);
            let too_long = rows * window.1.len() > self.options.batch_tokens.max(1);
            if !current.is_empty() && (too_many || too_long) {
                batches.push(std::mem::take(&mut current));
            }
            current.push(window);
        }
        if !current.is_empty() {
            batches.push(current);
        }
        batches
    }

    /// Runs one batch; returns per window the pooled sum of token vectors and its count.
    fn forward_batch(
        &self,
        batch: &[&(usize, Vec<u32>)],
    ) -> Result<Vec<(Vec<f32>, f32)>, EncoderError> {
        let sums = if self.bert.packs() {
            self.pool_packed(batch)?
        } else {
            self.pool_padded(batch)?
        };
        Ok(sums
            .into_iter()
            .zip(batch)
            .map(|(sum, (_, window))| (sum, self.weight(window.len())))
            .collect())
    }

    /// The CPU path: windows packed without padding.
    fn pool_packed(&self, batch: &[&(usize, Vec<u32>)]) -> Result<Vec<Vec<f32>>, EncoderError> {
        let windows: Vec<&[u32]> = batch.iter().map(|(_, ids)| ids.as_slice()).collect();
        let hidden = self
            .bert
            .forward_packed(&windows, self.bert.layers.len())?
            .flatten_all()?
            .to_vec1::<f32>()?;
        let h = self.hidden_size;
        let mut rows = hidden.chunks_exact(h);
        Ok(windows
            .iter()
            .map(|w| {
                let mut sum = vec![0f32; h];
                for (i, row) in rows.by_ref().take(w.len()).enumerate() {
                    let counted = match self.conventions.pooling {
                        Pooling::Mean => true,
                        Pooling::Cls => i == 0,
                    };
                    if counted {
                        sum.iter_mut().zip(row).for_each(|(a, b)| *a += b);
                    }
                }
                sum
            })
            .collect())
    }

    /// Other devices and dtypes: a padded batch with an attention mask.
    fn pool_padded(&self, batch: &[&(usize, Vec<u32>)]) -> Result<Vec<Vec<f32>>, EncoderError> {
        let len = batch.iter().map(|(_, ids)| ids.len()).max().unwrap_or(0);
        let mut ids = Vec::with_capacity(batch.len() * len);
        let mut mask = Vec::with_capacity(batch.len() * len);
        for (_, window) in batch {
            ids.extend(window.iter().copied());
            ids.extend(std::iter::repeat_n(self.pad_id, len - window.len()));
            mask.extend(std::iter::repeat_n(1u32, window.len()));
            mask.extend(std::iter::repeat_n(0u32, len - window.len()));
        }
        let shape = (batch.len(), len);
        let ids = Tensor::from_vec(ids, shape, &self.device)?;
        let mask = Tensor::from_vec(mask, shape, &self.device)?;
        let embedded = self.bert.embed_padded(&ids)?;
        let hidden = self
            .bert
            .forward_padded(&embedded, &mask, &self.bert.layers)?
            .to_dtype(DType::F32)?;
        let pooled = match self.conventions.pooling {
            Pooling::Mean => {
                let weights = mask.to_dtype(DType::F32)?.unsqueeze(2)?;
                hidden.broadcast_mul(&weights)?.sum(1)?
            }
            Pooling::Cls => hidden.narrow(1, 0, 1)?.squeeze(1)?,
        };
        Ok(pooled.to_vec2()?)
    }

    /// How much one window counts in its text's pooled vector.
    fn weight(&self, tokens: usize) -> f32 {
        match self.conventions.pooling {
            Pooling::Mean => tokens as f32,
            Pooling::Cls => 1.0,
        }
    }

    /// Divides a pooled sum by its count and normalises it when the conventions say so.
    fn finish(&self, mut sum: Vec<f32>, count: f32) -> Vec<f32> {
        let count = count.max(1.0);
        sum.iter_mut().for_each(|x| *x /= count);
        if self.conventions.normalize {
            let norm = sum.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
            sum.iter_mut().for_each(|x| *x /= norm);
        }
        sum
    }
}

fn fingerprint(path: &Path) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    if let Ok(meta) = std::fs::metadata(path) {
        meta.len().hash(&mut hasher);
        meta.modified().ok().hash(&mut hasher);
    }
    hasher.finish()
}

fn pick_device(name: &str) -> Result<Device, EncoderError> {
    let unsupported = |e: candle_core::Error| {
        EncoderError::Unsupported(format!(
            "device `{name}` is not available in this build: {e}"
        ))
    };
    match name {
        "cpu" => Ok(Device::Cpu),
        "cuda" => Device::new_cuda(0).map_err(unsupported),
        "metal" => Device::new_metal(0).map_err(unsupported),
        other => Err(EncoderError::Unsupported(format!(
            "device `{other}` is not supported (supported: cpu, cuda, metal)"
        ))),
    }
}

fn pick_dtype(name: &str, device: &Device) -> Result<DType, EncoderError> {
    let dtype = match name {
        "f32" => DType::F32,
        "f16" => DType::F16,
        "bf16" => DType::BF16,
        other => {
            return Err(EncoderError::Unsupported(format!(
                "dtype `{other}` is not supported (supported: f32, f16, bf16)"
            )))
        }
    };
    if device.is_cpu() && dtype != DType::F32 {
        tracing::warn!(
            dtype = name,
            "half precision is slow or unsupported on the CPU; using f32"
        );
        return Ok(DType::F32);
    }
    Ok(dtype)
}

/// The 4-bit matrices when the options ask for them (or, for [`Quantize::Auto`], when they
/// are the faster path here). Otherwise, on the CPU and when the model has a 4-bit file, its
/// word-embedding table alone (exact: see [`QuantizedWeights::table_only`]); else nothing.
fn quantized_weights(
    files: &ModelFiles,
    options: &EncoderOptions,
    device: &Device,
) -> Result<QuantizedWeights, EncoderError> {
    let wanted = match options.quantize {
        Quantize::Always => true,
        Quantize::Never => false,
        Quantize::Auto => {
            device.is_cpu() && files.quantized_weights.is_some() && PackedQ4::available()
        }
    };
    if !wanted {
        // Only a memory saving here: a file that does not read is not worth failing for.
        return Ok(match &files.quantized_weights {
            Some(path) if device.is_cpu() => match QuantizedWeights::load(path) {
                Ok(blocks) => blocks.table_only(),
                Err(e) => {
                    tracing::warn!("word embeddings kept in f32: {e}");
                    QuantizedWeights::default()
                }
            },
            _ => QuantizedWeights::default(),
        });
    }
    if !device.is_cpu() {
        return Err(EncoderError::Unsupported(format!(
            "the quantized encoder runs on the CPU only (device `{}` was asked for)",
            options.device
        )));
    }
    let Some(path) = &files.quantized_weights else {
        return Err(EncoderError::NoQuantizedWeights {
            weights: files.weights.clone(),
            file: QUANTIZED_WEIGHTS.to_string(),
        });
    };
    match QuantizedWeights::load(path) {
        Err(e) if options.quantize == Quantize::Auto => {
            tracing::warn!("the encoder runs in f32: {e}");
            Ok(QuantizedWeights::default())
        }
        loaded => loaded,
    }
}

fn read_config(path: &Path) -> Result<BertConfig, EncoderError> {
    let text = std::fs::read_to_string(path).map_err(|source| EncoderError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let bad = |message: String| EncoderError::Config {
        path: path.to_path_buf(),
        message,
    };
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;

    let model_type = value
        .get("model_type")
        .and_then(|v| v.as_str())
        .unwrap_or("");
    if model_type != "bert" {
        let found = if model_type.is_empty() {
            "(none)"
        } else {
            model_type
        };
        return Err(EncoderError::UnsupportedModelType {
            path: path.to_path_buf(),
            found: found.to_string(),
        });
    }
    serde_json::from_value(value).map_err(|e| bad(e.to_string()))
}

fn load_tokenizer(path: &Path) -> Result<Tokenizer, EncoderError> {
    Tokenizer::from_file(path).map_err(|e| EncoderError::Tokenizer {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

/// The special tokens the tokenizer puts around a single sequence (e.g. `<s>` … `</s>`).
fn special_tokens(
    tokenizer: &Tokenizer,
    path: &Path,
) -> Result<(Vec<u32>, Vec<u32>), EncoderError> {
    let probe = tokenizer
        .encode("", true)
        .map_err(|e| EncoderError::Tokenizer {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
    let ids = probe.get_ids();
    let split = ids.len().min(1);
    Ok((ids[..split].to_vec(), ids[split..].to_vec()))
}

/// Reads the weights, renaming the `gamma`/`beta` layer-norm variant when present, and
/// leaving out the tensors `skip` names (those the quantized encoder reads elsewhere).
///
/// Each tensor is copied out of a memory map, and the map's pages for it are released right
/// after, so that loading never holds the file twice (once mapped, once copied): the 470 MB
/// default model would otherwise peak near 1 GB while loading.
fn weights<'a>(
    path: &Path,
    dtype: DType,
    device: &Device,
    skip: &dyn Fn(&str) -> bool,
) -> Result<VarBuilder<'a>, EncoderError> {
    use candle_core::safetensors::Load;
    let wrap = |source| EncoderError::Weights {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(|source| EncoderError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    // SAFETY: the file is opened read-only and demur never writes model files while running.
    let mmap = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| wrap(e.into()))?;
    let parsed = safetensors::SafeTensors::deserialize(&mmap)
        .map_err(|e| wrap(candle_core::Error::wrap(e)))?;
    let mut tensors = HashMap::new();
    let release = |bytes: &[u8]| release_pages(&mmap, bytes);
    for (name, view) in parsed.tensors() {
        if skip(&name) {
            continue;
        }
        let tensor = if view.dtype() == safetensors::Dtype::F32 {
            // Copied a slice at a time, each slice's pages released before the next.
            let mut values = Vec::with_capacity(view.data().len() / 4);
            for bytes in view.data().chunks(1 << 22) {
                values.extend(
                    bytes
                        .chunks_exact(4)
                        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
                );
                release(bytes);
            }
            Tensor::from_vec(values, view.shape(), device).map_err(wrap)?
        } else {
            let tensor = view.load(device).map_err(wrap)?;
            release(view.data());
            tensor
        };
        let renamed = match name.rsplit_once('.') {
            Some((stem, "gamma")) => format!("{stem}.weight"),
            Some((stem, "beta")) => format!("{stem}.bias"),
            _ => name,
        };
        tensors.insert(renamed, tensor);
    }
    Ok(VarBuilder::from_tensors(tensors, dtype, device))
}

/// Releases the pages of `bytes`, a slice of `mmap`, once they have been copied out.
pub(super) fn release_pages(mmap: &memmap2::Mmap, bytes: &[u8]) {
    let offset = bytes.as_ptr() as usize - mmap.as_ptr() as usize;
    // SAFETY: dropping the pages of a read-only file mapping only makes a later access read
    // them from the file again; the file does not change while demur runs.
    let advised = unsafe {
        mmap.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, offset, bytes.len())
    };
    if let Err(e) = advised {
        tracing::debug!(error = %e, "could not release mapped pages");
    }
}
