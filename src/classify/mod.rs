//! Objection classification: buyer turns → per-label probabilities → objections.

mod aggregate;
mod head;
mod inputs;

use std::collections::HashMap;

pub use aggregate::conversation_scores;
pub use head::{member_prefix, Activation, Head, HeadConfig, HeadError, HeadInput};
pub use inputs::{context_turn, feature_row, needed_turns, reply_turn, scored_turns};

use crate::analysis::Objection;
use crate::encoder::{Encoder, EncoderError};
use crate::label::{Label, PerLabel};
use crate::transcript::Conversation;

/// Errors while scoring conversations.
#[derive(Debug, thiserror::Error)]
pub enum ClassifyError {
    /// The encoder failed.
    #[error(transparent)]
    Encoder(#[from] EncoderError),
    /// The head failed.
    #[error(transparent)]
    Head(#[from] HeadError),
}

/// One scored turn.
#[derive(Debug, Clone, PartialEq)]
pub struct TurnScore {
    /// 0-based turn index.
    pub turn: usize,
    /// Probability per label, in the fixed order.
    pub scores: [f32; 3],
}

/// The scores of one conversation.
#[derive(Debug, Clone, PartialEq)]
pub struct ConversationScores {
    /// Every scored turn, in turn order.
    pub turns: Vec<TurnScore>,
    /// Conversation-level probability per label.
    pub scores: PerLabel<f32>,
}

/// Encoder plus head: scores buyer turns. `Send + Sync`.
pub struct Classifier {
    encoder: Encoder,
    head: Head,
}

impl Classifier {
    /// Pairs an encoder with a head trained for it (the caller checks the match).
    pub fn new(encoder: Encoder, head: Head) -> Classifier {
        Classifier { encoder, head }
    }

    /// The encoder in use.
    pub fn encoder(&self) -> &Encoder {
        &self.encoder
    }

    /// The head in use.
    pub fn head(&self) -> &Head {
        &self.head
    }

    /// Scores a batch of conversations; all their turns are encoded in one length-sorted pass.
    pub fn score(
        &self,
        conversations: &[&Conversation],
    ) -> Result<Vec<ConversationScores>, ClassifyError> {
        let input = self.head.config().input;
        let scored: Vec<Vec<usize>> = conversations.iter().map(|c| scored_turns(c)).collect();

        // Encode every needed turn of the batch at once.
        let mut keys = Vec::new();
        for (ci, conversation) in conversations.iter().enumerate() {
            for t in needed_turns(conversation, &scored[ci], input) {
                keys.push((ci, t));
            }
        }
        let texts: Vec<&str> = keys
            .iter()
            .map(|&(ci, t)| conversations[ci].turns[t].text.as_str())
            .collect();
        let vectors = self.encoder.embed(&texts)?;
        let lookup: HashMap<(usize, usize), Vec<f32>> = keys.into_iter().zip(vectors).collect();

        let mut out = Vec::with_capacity(conversations.len());
        for (ci, conversation) in conversations.iter().enumerate() {
            let rows: Vec<Vec<f32>> = scored[ci]
                .iter()
                .map(|&t| feature_row(conversation, t, input, |i| &lookup[&(ci, i)]))
                .collect();
            let probabilities = self.head.probabilities(&rows)?;
            let turns: Vec<TurnScore> = scored[ci]
                .iter()
                .zip(&probabilities)
                .map(|(&turn, &scores)| TurnScore { turn, scores })
                .collect();
            let scores = conversation_scores(&probabilities);
            out.push(ConversationScores { turns, scores });
        }
        Ok(out)
    }
}

/// The (turn, label) pairs above their thresholds, highest score first (ties: earlier turn,
/// then label order).
pub fn objections(
    conversation: &Conversation,
    scores: &ConversationScores,
    thresholds: &PerLabel<f32>,
) -> Vec<Objection> {
    let mut found = Vec::new();
    for ts in &scores.turns {
        let turn = &conversation.turns[ts.turn];
        for label in Label::ALL {
            let score = ts.scores[label.index()];
            if score < thresholds.get(label) {
                continue;
            }
            found.push(Objection {
                label,
                score,
                turn: ts.turn,
                speaker: turn.speaker.clone(),
                role: turn.role,
                start: turn.start,
                end: turn.end,
                quote: turn.text.clone(),
                char_start: 0,
                char_end: turn.text.chars().count(),
            });
        }
    }
    found.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.turn.cmp(&b.turn))
            .then(a.label.cmp(&b.label))
    });
    found
}
