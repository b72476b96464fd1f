//! The conversation model every reader produces.

use serde::{Deserialize, Serialize};

/// Which side of the deal a speaker is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The vendor's side: rep, account executive, solutions engineer.
    Seller,
    /// The buyer's side: the only turns that can carry objections.
    Customer,
    /// Neither side, or not known even after inference (a moderator, a bot).
    Other,
}

/// The language of a whole conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Language {
    /// English.
    En,
    /// Chinese.
    Zh,
    /// Chinese and English mixed (code-switched).
    Mixed,
}

impl Language {
    /// The language's name as written in data and output (`en`, `zh`, `mixed`).
    pub fn as_str(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::Zh => "zh",
            Language::Mixed => "mixed",
        }
    }
}

/// One speaker's uninterrupted contribution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Turn {
    /// The speaker's name or id as the source gave it; `None` when unknown.
    pub speaker: Option<String>,
    /// The speaker's side, explicit or inferred.
    pub role: Role,
    /// What was said, cleaned of placeholders and markup.
    pub text: String,
    /// Seconds from the start of the call, when the source has times.
    pub start: Option<f64>,
    /// Seconds from the start of the call, when the source has times.
    pub end: Option<f64>,
}

/// A whole sales call or chat, as read from one source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conversation {
    /// Identifier: from the source when it has one, else derived from the file name.
    pub id: String,
    /// Where it was read from (a path, or `-` for stdin).
    pub source: String,
    /// Detected (or given) language.
    pub language: Language,
    /// The turns in order.
    pub turns: Vec<Turn>,
    /// What the reader had to work around (roles guessed, pieces dropped, …).
    pub warnings: Vec<String>,
}
