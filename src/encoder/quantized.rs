//! 4-bit weights for the quantized encoder: `model-q4_0.safetensors`, as
//! `models/convert_e5s1.py` writes it.
//!
//! Each tensor there is the raw GGML Q4_0 blocks of one weight matrix (a `uint8` tensor of
//! `(blocks, 18)`: an f16 scale, then 32 four-bit values), stored under the matrix's Hugging
//! Face name; the file's metadata gives each matrix's logical shape (`"384,1536"`). Blocks run
//! along rows, so stacking matrices row-wise is stacking their blocks.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use candle_core::quantized::k_quants::{BlockQ4_0, QK4_0};
use candle_core::quantized::{GgmlDType, QStorage, QTensor};
use candle_core::Device;

use super::model::release_pages;
use super::EncoderError;

/// The weights file of the quantized path, found next to `model.safetensors`.
pub const QUANTIZED_WEIGHTS: &str = "model-q4_0.safetensors";

/// Bytes of one Q4_0 block: an f16 scale and 32 four-bit values.
const BLOCK_BYTES: usize = 18;

// Blocks not aligned in the file are copied into `u16`s to give them their scale's alignment.
const _: () = assert!(std::mem::align_of::<BlockQ4_0>() <= std::mem::align_of::<u16>());
const _: () = assert!(std::mem::size_of::<BlockQ4_0>() == BLOCK_BYTES);

/// Q4_0 weight matrices by Hugging Face name, taken one by one as the model is built.
#[derive(Default)]
pub struct QuantizedWeights {
    path: PathBuf,
    tensors: HashMap<String, QTensor>,
}

impl QuantizedWeights {
    /// Reads every matrix of a `model-q4_0.safetensors` file onto the CPU.
    pub fn load(path: &Path) -> Result<QuantizedWeights, EncoderError> {
        let bad = |message: String| EncoderError::Weights {
            path: path.to_path_buf(),
            source: candle_core::Error::Msg(message),
        };
        let file = std::fs::File::open(path).map_err(|source| EncoderError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        // SAFETY: the file is opened read-only and demur never writes model files while running.
        let mmap = unsafe { memmap2::Mmap::map(&file) }.map_err(|source| EncoderError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let (_, header) =
            safetensors::SafeTensors::read_metadata(&mmap).map_err(|e| bad(e.to_string()))?;
        let parsed =
            safetensors::SafeTensors::deserialize(&mmap).map_err(|e| bad(e.to_string()))?;
        let shapes = header.metadata().clone().unwrap_or_default();
        match shapes.get("quantization").map(String::as_str) {
            Some("q4_0") => {}
            other => {
                return Err(bad(format!(
                    "metadata `quantization` is {other:?}, expected \"q4_0\" \
                     (files written by models/convert_e5s1.py)"
                )))
            }
        }

        let mut tensors = HashMap::new();
        for (name, view) in parsed.tensors() {
            let shape = shapes
                .get(&name)
                .and_then(|s| parse_shape(s))
                .ok_or_else(|| {
                    bad(format!(
                        "tensor `{name}`: no `rows,columns` shape in metadata"
                    ))
                })?;
            if view.dtype() != safetensors::Dtype::U8 || view.shape().last() != Some(&BLOCK_BYTES) {
                return Err(bad(format!(
                    "tensor `{name}`: {:?} of shape {:?}, expected u8 blocks of shape (n, 18)",
                    view.dtype(),
                    view.shape()
                )));
            }
            let tensor = q4_0_tensor(view.data(), shape)
                .map_err(|e| bad(format!("tensor `{name}`: {e}")))?;
            release_pages(&mmap, view.data());
            tensors.insert(name, tensor);
        }
        tracing::debug!(path = %path.display(), tensors = tensors.len(), "Q4_0 weights read");
        Ok(QuantizedWeights {
            path: path.to_path_buf(),
            tensors,
        })
    }

    /// Keeps only the word-embedding table. Its rows dequantise exactly to the f32 model's
    /// (the f32 weights are themselves dequantised from these blocks), so an f32 encoder
    /// that looks its rows up here gives the same vectors with 330 MB less memory.
    pub fn table_only(mut self) -> QuantizedWeights {
        self.tensors
            .retain(|name, _| name.ends_with("embeddings.word_embeddings.weight"));
        tracing::debug!(
            kept = self.tensors.len(),
            "f32 matrices; only the word-embedding table stays in Q4_0 blocks"
        );
        self
    }

    /// Whether the file holds the matrix `name`.
    pub fn contains(&self, name: &str) -> bool {
        self.tensors.contains_key(name)
    }

    /// Takes the matrix `name` when the file holds it, checking its shape.
    pub fn take(
        &mut self,
        name: &str,
        shape: (usize, usize),
    ) -> candle_core::Result<Option<QTensor>> {
        let Some(tensor) = self.tensors.remove(name) else {
            return Ok(None);
        };
        if tensor.shape().dims() != [shape.0, shape.1] {
            candle_core::bail!(
                "{}: `{name}` has shape {:?}, the model expects {shape:?}",
                self.path.display(),
                tensor.shape()
            );
        }
        Ok(Some(tensor))
    }

    /// Fails when a matrix was never taken: the file does not belong to the model.
    pub fn finish(&self) -> candle_core::Result<()> {
        let mut left: Vec<&str> = self.tensors.keys().map(String::as_str).collect();
        left.sort_unstable();
        let more = match left.len() {
            0 => return Ok(()),
            1 => String::new(),
            n => format!(" (and {} more)", n - 1),
        };
        candle_core::bail!(
            "{}: `{}`{more} is not a weight matrix of this model",
            self.path.display(),
            left[0]
        )
    }
}

/// `"rows,columns"`.
fn parse_shape(text: &str) -> Option<(usize, usize)> {
    let (rows, columns) = text.split_once(',')?;
    Some((rows.trim().parse().ok()?, columns.trim().parse().ok()?))
}

/// Stacks Q4_0 matrices of the same width row-wise (as the fused query-key-value projection).
pub fn stack_rows(parts: &[QTensor]) -> candle_core::Result<QTensor> {
    let mut bytes = Vec::new();
    let mut rows = 0;
    let mut columns = None;
    for part in parts {
        let (r, c) = part.shape().dims2()?;
        if *columns.get_or_insert(c) != c || part.dtype() != GgmlDType::Q4_0 {
            candle_core::bail!("cannot stack {:?} under {columns:?} columns", part.shape());
        }
        bytes.extend_from_slice(&part.data()?);
        rows += r;
    }
    q4_0_tensor(&bytes, (rows, columns.unwrap_or(0)))
}

/// A CPU `QTensor` of `shape` from raw Q4_0 blocks, row after row.
fn q4_0_tensor(bytes: &[u8], (rows, columns): (usize, usize)) -> candle_core::Result<QTensor> {
    if columns % QK4_0 != 0 {
        candle_core::bail!("rows of {columns} values do not split into blocks of {QK4_0}");
    }
    let size = rows.checked_mul(columns / QK4_0);
    let Some(expected) = size.and_then(|blocks| blocks.checked_mul(BLOCK_BYTES)) else {
        candle_core::bail!("a {rows}×{columns} matrix is too large");
    };
    if bytes.len() != expected {
        candle_core::bail!(
            "{} bytes of blocks for a {rows}×{columns} matrix (expected {expected})",
            bytes.len()
        );
    }
    let blocks =
        |bytes: &[u8]| QStorage::from_data(Cow::Borrowed(bytes), &Device::Cpu, GgmlDType::Q4_0);
    // candle reads the bytes as blocks in place, so they need the f16 scale's alignment,
    // which a slice of a file need not have (safetensors files written by convert_e5s1.py do).
    let align = std::mem::align_of::<BlockQ4_0>();
    let storage = if bytes.as_ptr().align_offset(align) == 0 {
        blocks(bytes)?
    } else {
        let halves: Vec<u16> = bytes
            .chunks_exact(2)
            .map(|b| u16::from_ne_bytes([b[0], b[1]]))
            .collect();
        // SAFETY: the slice covers exactly the initialised `u16`s, and `u8` has no alignment
        // or validity requirement.
        let aligned =
            unsafe { std::slice::from_raw_parts(halves.as_ptr().cast::<u8>(), bytes.len()) };
        blocks(aligned)?
    };
    QTensor::new(storage, (rows, columns))
}

/// Writes matrices as `models/convert_e5s1.py` does, for tests.
#[cfg(test)]
pub(crate) fn write(path: &Path, matrices: &[(String, QTensor)]) -> candle_core::Result<()> {
    let mut metadata = HashMap::from([("quantization".to_string(), "q4_0".to_string())]);
    let mut tensors = Vec::new();
    for (name, q) in matrices {
        let (rows, columns) = q.shape().dims2()?;
        metadata.insert(name.clone(), format!("{rows},{columns}"));
        let bytes = q.data()?.into_owned();
        let shape = (bytes.len() / BLOCK_BYTES, BLOCK_BYTES);
        tensors.push((
            name.clone(),
            candle_core::Tensor::from_vec(bytes, shape, &Device::Cpu)?,
        ));
    }
    safetensors::serialize_to_file(tensors, Some(metadata), path).map_err(candle_core::Error::wrap)
}

#[cfg(test)]
impl QuantizedWeights {
    /// Adds or replaces a matrix.
    pub(crate) fn insert(&mut self, name: &str, tensor: QTensor) {
        self.tensors.insert(name.to_string(), tensor);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Tensor;

    /// One block per row, the scale 0.5, 1 or 2 (as f16 bits), the values -8..7 then 7..-8.
    fn blocks(rows: usize) -> Vec<u8> {
        let mut out = Vec::new();
        for scale in [0x3800u16, 0x3c00, 0x4000].into_iter().cycle().take(rows) {
            out.extend_from_slice(&scale.to_le_bytes());
            out.extend((0..16u8).map(|j| j | ((15 - j) << 4)));
        }
        out
    }

    #[test]
    fn blocks_dequantise_in_ggml_order() {
        let t = q4_0_tensor(&blocks(1), (1, 32)).unwrap();
        let values = t
            .dequantize(&Device::Cpu)
            .unwrap()
            .to_vec2::<f32>()
            .unwrap();
        let want: Vec<f32> = (0..16)
            .map(|j| (j - 8) as f32 * 0.5)
            .chain((0..16).map(|j| (7 - j) as f32 * 0.5))
            .collect();
        assert_eq!(values[0], want);
    }

    #[test]
    fn stacked_rows_keep_each_part() {
        let a = q4_0_tensor(&blocks(2), (2, 32)).unwrap();
        let b = q4_0_tensor(&blocks(1), (1, 32)).unwrap();
        let stacked = stack_rows(&[a, b]).unwrap();
        let rows = stacked.dequantize(&Device::Cpu).unwrap();
        let first = q4_0_tensor(&blocks(2), (2, 32)).unwrap();
        let first = first.dequantize(&Device::Cpu).unwrap();
        let want = Tensor::cat(&[first.clone(), first.narrow(0, 0, 1).unwrap()], 0).unwrap();
        let diff = (rows - want).unwrap().abs().unwrap().max_all().unwrap();
        assert_eq!(diff.to_scalar::<f32>().unwrap(), 0.0);
    }

    #[test]
    fn unaligned_blocks_are_read_alike() {
        let data = blocks(2);
        let mut buffer = vec![0u8; data.len() + 1];
        let start = usize::from(buffer.as_ptr().align_offset(2) == 0);
        buffer[start..start + data.len()].copy_from_slice(&data);
        let unaligned = &buffer[start..start + data.len()];
        assert_ne!(unaligned.as_ptr().align_offset(2), 0);

        let a = q4_0_tensor(unaligned, (2, 32)).unwrap();
        let b = q4_0_tensor(&data, (2, 32)).unwrap();
        assert_eq!(a.data().unwrap(), b.data().unwrap());
    }

    #[test]
    fn misfitting_blocks_are_refused() {
        assert!(q4_0_tensor(&blocks(2), (1, 32)).is_err());
        assert!(q4_0_tensor(&blocks(1), (2, 16)).is_err());
        assert!(q4_0_tensor(&blocks(1)[1..], (1, 32)).is_err());
    }
}
