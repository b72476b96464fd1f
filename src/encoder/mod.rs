//! The encoder: a BERT-family model directory or hub id → pooled, normalised turn vectors.
//!
//! Loading resolves the model ([`source`]), reads its conventions ([`conventions`]), the
//! tokenizer and the weights; [`Encoder::embed`] then tokenises, splits long inputs into
//! overlapping windows, batches windows of similar length, runs the transformer and pools.

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
