//! Labeled dialogues (FORMATS.md §2): reading and validating them.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::label::Label;
use crate::transcript::{detect_language, Conversation, Language, Role, Turn};

/// Errors in labeled data; each names the file, the conversation and the turn.
#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A line is not a valid labeled conversation.
    #[error("{path}:{line}: {message}")]
    Line {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A label name that is not one of the three.
    #[error("{path}: unknown label `{label}` in conversation `{id}`, turn {turn}")]
    UnknownLabel {
        /// The file.
        path: PathBuf,
        /// Conversation id.
        id: String,
        /// 0-based turn index.
        turn: usize,
        /// The offending name.
        label: String,
    },
    /// A label name that is not one of the three, in a conversation's own `labels`.
    #[error("{path}: unknown label `{label}` in the labels of conversation `{id}`")]
    UnknownConversationLabel {
        /// The file.
        path: PathBuf,
        /// Conversation id.
        id: String,
        /// The offending name.
        label: String,
    },
    /// Conversation labels that are not the union of its turn labels.
    #[error("{path}: conversation `{id}` has labels {given:?} but its turns carry {union:?}")]
    LabelMismatch {
        /// The file.
        path: PathBuf,
        /// Conversation id.
        id: String,
        /// Conversation-level labels as written.
        given: Vec<String>,
        /// Union of the turn labels.
        union: Vec<String>,
    },
    /// The same id twice in one file.
    #[error("{path}:{line}: duplicate conversation id `{id}`")]
    DuplicateId {
        /// The file.
        path: PathBuf,
        /// 1-based line number of the second occurrence.
        line: usize,
        /// The id.
        id: String,
    },
    /// Nothing the model could learn from.
    #[error("{path}: no buyer turns to learn from")]
    NoBuyerTurns {
        /// The file.
        path: PathBuf,
    },
}

/// One labeled conversation: the conversation and the gold labels of each turn.
#[derive(Debug, Clone)]
pub struct LabeledConversation {
    /// The conversation, roles as given (unknown roles become `other`).
    pub conversation: Conversation,
    /// Gold labels per turn (same length as the turns).
    pub labels: Vec<Vec<Label>>,
}

#[derive(Deserialize)]
struct RawConversation {
    id: String,
    language: Option<Language>,
    turns: Vec<RawTurn>,
    labels: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct RawTurn {
    text: String,
    speaker: Option<String>,
    role: Option<Role>,
    start: Option<f64>,
    end: Option<f64>,
    labels: Vec<String>,
}

/// Reads and validates a labeled-dialogue JSONL file.
pub fn read_dataset(path: &Path) -> Result<Vec<LabeledConversation>, DatasetError> {
    let text = std::fs::read_to_string(path).map_err(|source| DatasetError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut out: Vec<LabeledConversation> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let raw: RawConversation = serde_json::from_str(line).map_err(|e| DatasetError::Line {
            path: path.to_path_buf(),
            line: n + 1,
            message: e.to_string(),
        })?;
        if !seen.insert(raw.id.clone()) {
            let id = raw.id;
            return Err(DatasetError::DuplicateId {
                path: path.to_path_buf(),
                line: n + 1,
                id,
            });
        }
        out.push(convert(path, raw)?);
    }
    let buyer_turns = out.iter().flat_map(|c| &c.conversation.turns);
    if !buyer_turns.clone().any(|t| t.role == Role::Customer) {
        return Err(DatasetError::NoBuyerTurns {
            path: path.to_path_buf(),
        });
    }
    Ok(out)
}

fn convert(path: &Path, raw: RawConversation) -> Result<LabeledConversation, DatasetError> {
    let mut labels = Vec::with_capacity(raw.turns.len());
    for (i, turn) in raw.turns.iter().enumerate() {
        labels.push(parse_labels(path, &raw.id, i, &turn.labels)?);
    }
    check_union(path, &raw, &labels)?;

    let turns: Vec<Turn> = raw
        .turns
        .into_iter()
        .map(|t| Turn {
            speaker: t.speaker,
            role: t.role.unwrap_or(Role::Other),
            text: t.text,
            start: t.start,
            end: t.end,
        })
        .collect();
    let language = raw
        .language
        .unwrap_or_else(|| detect_language(turns.iter().map(|t| t.text.as_str())));
    let conversation = Conversation {
        id: raw.id,
        source: path.display().to_string(),
        language,
        turns,
        warnings: Vec::new(),
    };
    Ok(LabeledConversation {
        conversation,
        labels,
    })
}

fn parse_labels(
    path: &Path,
    id: &str,
    turn: usize,
    names: &[String],
) -> Result<Vec<Label>, DatasetError> {
    let mut labels = Vec::with_capacity(names.len());
    for name in names {
        let label = name
            .parse::<Label>()
            .map_err(|_| DatasetError::UnknownLabel {
                path: path.to_path_buf(),
                id: id.to_string(),
                turn,
                label: name.clone(),
            })?;
        if !labels.contains(&label) {
            labels.push(label);
        }
    }
    labels.sort();
    Ok(labels)
}

fn check_union(
    path: &Path,
    raw: &RawConversation,
    labels: &[Vec<Label>],
) -> Result<(), DatasetError> {
    let Some(given) = &raw.labels else {
        return Ok(());
    };
    let union: Vec<Label> = Label::ALL
        .into_iter()
        .filter(|l| labels.iter().any(|t| t.contains(l)))
        .collect();
    let mut given_labels = Vec::new();
    for name in given {
        match name.parse::<Label>() {
            Ok(label) => given_labels.push(label),
            Err(_) => {
                return Err(DatasetError::UnknownConversationLabel {
                    path: path.to_path_buf(),
                    id: raw.id.clone(),
                    label: name.clone(),
                })
            }
        }
    }
    given_labels.sort();
    given_labels.dedup();
    if given_labels == union {
        return Ok(());
    }
    Err(DatasetError::LabelMismatch {
        path: path.to_path_buf(),
        id: raw.id.clone(),
        given: given.clone(),
        union: union.iter().map(|l| l.to_string()).collect(),
    })
}
