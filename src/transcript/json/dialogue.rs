//! The labeled-dialogue object of FORMATS.md §2 (also one JSONL line). Turn labels are not
//! read here: the training datasets validate them.

use serde::Deserialize;
use serde_json::Value;

use super::{typed, Fault, Id};
use crate::transcript::assemble::{Draft, Location, Piece};
use crate::transcript::roles::parse_role;
use crate::transcript::Language;

/// One labeled-dialogue conversation.
#[derive(Debug, Deserialize)]
pub(crate) struct Dialogue {
    #[serde(default)]
    id: Option<Id>,
    #[serde(default)]
    language: Option<String>,
    turns: Vec<DialogueTurn>,
}

#[derive(Debug, Deserialize)]
struct DialogueTurn {
    #[serde(default)]
    speaker: Option<String>,
    #[serde(default)]
    role: Option<String>,
    text: String,
    #[serde(default)]
    start: Option<f64>,
    #[serde(default)]
    end: Option<f64>,
}

/// Reads a dialogue object at `path`.
pub(crate) fn read(value: Value, path: &str) -> Result<Draft, Fault> {
    let dialogue: Dialogue = typed(value, path)?;
    into_draft(dialogue, path, Location::Path(path.to_string()))
}

/// The draft of a dialogue whose JSON path is `path`.
pub(crate) fn into_draft(dialogue: Dialogue, path: &str, at: Location) -> Result<Draft, Fault> {
    let mut draft = Draft::new(at);
    draft.id = dialogue.id.and_then(Id::into_text);
    draft.language = match dialogue.language {
        Some(name) => Some(parse_language(&name, path)?),
        None => None,
    };
    for (i, turn) in dialogue.turns.into_iter().enumerate() {
        draft
            .pieces
            .push(into_piece(turn, &format!("{path}.turns[{i}]"))?);
    }
    Ok(draft)
}

fn into_piece(turn: DialogueTurn, path: &str) -> Result<Piece, Fault> {
    let role = match turn
        .role
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
    {
        Some(name) => Some(parse_role(name).ok_or_else(|| {
            Fault::new(
                format!("{path}.role"),
                format!("unknown role `{name}` (expected seller, customer or other)"),
            )
        })?),
        None => None,
    };
    let mut piece = Piece::new(turn.speaker, turn.text).at(turn.start, turn.end);
    piece.role = role;
    Ok(piece)
}

fn parse_language(name: &str, path: &str) -> Result<Language, Fault> {
    let lower = name.trim().to_lowercase();
    match lower.split(['-', '_']).next().unwrap_or_default() {
        "en" => Ok(Language::En),
        "zh" => Ok(Language::Zh),
        "mixed" => Ok(Language::Mixed),
        _ => Err(Fault::new(
            format!("{path}.language"),
            format!("unknown language `{name}` (expected en, zh or mixed)"),
        )),
    }
}
