//! The encoder: a BERT-family model directory or hub id → pooled, normalised turn vectors.
//!
//! Loading resolves the model ([`resolve`]), reads its conventions ([`Conventions`]), the
//! tokenizer and the weights; [`Encoder::embed`] then tokenises, splits long inputs into
//! overlapping windows, batches windows of similar length, runs the transformer and pools.
//! On CPUs with AVX-512 VNNI the weight matrices run by default as 4-bit blocks with 8-bit
//! products ([`int8`], [`Quantize`]).

pub mod bert;
mod conventions;
mod error;
pub mod int8;
mod kernels;
mod model;
mod quantized;
mod source;
mod window;

pub use conventions::{Conventions, Pooling};
pub use error::EncoderError;
pub use model::{Encoder, EncoderOptions, Quantize};
pub use quantized::{QuantizedWeights, QUANTIZED_WEIGHTS};
pub use source::{resolve, ModelFiles};
