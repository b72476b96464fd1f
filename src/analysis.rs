//! The analysis of one conversation: the output contract of `demur analyze` (FORMATS.md §3).

use serde::{Deserialize, Serialize};

use crate::label::{Label, PerLabel};
use crate::transcript::{Language, Role};

/// Which encoder and head produced an analysis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelInfo {
    /// Model id or path of the base encoder.
    pub encoder: String,
    /// `name@version` of the objection head.
    pub head: String,
}

/// Conversation-level probability per label; always serialised with all three keys.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct LabelScores {
    /// Probability that the conversation carries a price objection.
    pub price: f32,
    /// Probability that the conversation carries a technical-validation objection.
    pub technical: f32,
    /// Probability that the conversation's decision chain is blocked.
    pub decision_chain: f32,
}

impl LabelScores {
    /// The score of one label.
    pub fn get(&self, label: Label) -> f32 {
        match label {
            Label::Price => self.price,
            Label::Technical => self.technical,
            Label::DecisionChain => self.decision_chain,
        }
    }
}

impl From<PerLabel<f32>> for LabelScores {
    fn from(v: PerLabel<f32>) -> Self {
        LabelScores {
            price: v.0[0],
            technical: v.0[1],
            decision_chain: v.0[2],
        }
    }
}

/// One (turn, label) pair whose score passed the label's threshold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Objection {
    /// The objection kind.
    pub label: Label,
    /// The turn's probability for this label.
    pub score: f32,
    /// 0-based index into the conversation's turns.
    pub turn: usize,
    /// Who said it, when known.
    pub speaker: Option<String>,
    /// The speaker's side.
    pub role: Role,
    /// Start of the turn in seconds, when the source has times.
    pub start: Option<f64>,
    /// End of the turn in seconds, when the source has times.
    pub end: Option<f64>,
    /// Verbatim text of the turn (or the part of it that carries the objection).
    pub quote: String,
    /// Character (not byte) offset of `quote` in the turn's text.
    pub char_start: usize,
    /// Character offset one past the end of `quote`.
    pub char_end: usize,
}

/// One of the three ranked follow-up strategies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recommendation {
    /// 1, 2 or 3.
    pub rank: usize,
    /// Playbook id, e.g. `price.phase-the-spend`.
    pub id: String,
    /// The label it answers, or `advance` when no objection was found.
    pub label: String,
    /// Ranking score (higher is better).
    pub score: f32,
    /// Title in the conversation's language.
    pub title: String,
    /// Why this strategy, citing the buyer's own words.
    pub why: String,
    /// Concrete steps for the seller.
    pub steps: Vec<String>,
    /// A short talk track.
    pub talk_track: String,
    /// Turn indices the strategy answers.
    pub evidence: Vec<usize>,
}

/// Everything `demur analyze` says about one conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Analysis {
    /// The conversation's id.
    pub id: String,
    /// Where the conversation was read from.
    pub source: String,
    /// The conversation's language.
    pub language: Language,
    /// Encoder and head in use.
    pub model: ModelInfo,
    /// Conversation-level probability per label.
    pub scores: LabelScores,
    /// Objections found, highest score first.
    pub objections: Vec<Objection>,
    /// Exactly three ranked strategies.
    pub strategies: Vec<Recommendation>,
    /// What the reader or the model had to work around.
    pub warnings: Vec<String>,
}
