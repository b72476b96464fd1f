//! demur: finds the hidden objections in sales conversations and proposes follow-up strategies.

pub mod analysis;
pub mod analyzer;
pub mod classify;
pub mod encoder;
pub mod label;
pub mod strategy;
pub mod train;
pub mod transcript;

pub use analysis::{Analysis, LabelScores, ModelInfo, Objection, Recommendation};
pub use analyzer::{AnalyzeError, Analyzer, AnalyzerOptions};
pub use label::Label;
pub use transcript::{Conversation, Language, Role, Turn};
