//! From the pieces a reader found to a [`Conversation`]: cleaning, merging, roles, language.
//!
//! Merging: consecutive pieces by the same named speaker (and the same explicit role, if any)
//! become one turn, their texts joined with a space (nothing next to CJK text), the start of
//! the first and the end of the last. A piece without a known speaker stays a turn of its own.

use super::clean::{clean_text, join_text};
use super::error::TranscriptError;
use super::roles::{self, RoleHints};
use super::{detect_language, speaker, Conversation, Format, Language, Role, Turn};

/// A stretch of text attributed to one speaker, before cleaning and merging.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Piece {
    /// The speaker as written in the source (normalized when assembled).
    pub speaker: Option<String>,
    /// A role the source states for this piece.
    pub role: Option<Role>,
    /// Raw text; `\n` separates lines that are joined when cleaned.
    pub text: String,
    /// Seconds from the call start.
    pub start: Option<f64>,
    /// Seconds from the call start.
    pub end: Option<f64>,
}

impl Piece {
    /// A piece without times or role.
    pub(crate) fn new(speaker: Option<String>, text: impl Into<String>) -> Self {
        Piece {
            speaker,
            role: None,
            text: text.into(),
            start: None,
            end: None,
        }
    }

    /// The same piece with times.
    pub(crate) fn at(mut self, start: Option<f64>, end: Option<f64>) -> Self {
        self.start = start;
        self.end = end;
        self
    }
}

/// Where a conversation sits in its file, for error messages.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) enum Location {
    /// The whole file.
    #[default]
    File,
    /// A 1-based line (JSONL, CSV).
    Line(usize),
    /// A JSON path.
    Path(String),
}

impl Location {
    /// The text that follows the file name in an error message.
    fn suffix(&self) -> String {
        match self {
            Location::File => String::new(),
            Location::Line(line) => format!(":{line}"),
            Location::Path(path) => format!(": {path}"),
        }
    }
}

/// What a reader found for one conversation.
#[derive(Debug, Clone, Default)]
pub(crate) struct Draft {
    /// The id the source gives, if any.
    pub id: Option<String>,
    /// The language the source states, if any.
    pub language: Option<Language>,
    /// The pieces in order.
    pub pieces: Vec<Piece>,
    /// Roles by speaker name from affiliation fields.
    pub affiliations: Vec<(String, Role)>,
    /// What the reader worked around.
    pub warnings: Vec<String>,
    /// Where the conversation sits in its file.
    pub at: Location,
}

impl Draft {
    /// An empty draft at `at`.
    pub(crate) fn new(at: Location) -> Self {
        Draft {
            at,
            ..Draft::default()
        }
    }
}

/// What finishing a draft needs to know beyond the draft.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Context<'a> {
    /// The source as given.
    pub file: &'a str,
    /// The format it was read as.
    pub format: Format,
    /// Seller names from the caller.
    pub sellers: &'a [String],
}

/// Cleans and merges the draft's pieces, assigns roles and language, and builds the
/// conversation; a draft with no text left is an error.
pub(crate) fn finish(
    draft: Draft,
    fallback_id: String,
    ctx: Context<'_>,
) -> Result<Conversation, TranscriptError> {
    let pieces = merge(draft.pieces);
    if pieces.is_empty() {
        return Err(TranscriptError::Empty {
            file: ctx.file.to_string(),
            at: draft.at.suffix(),
            format: ctx.format,
        });
    }

    let hints = RoleHints {
        affiliations: &draft.affiliations,
        sellers: ctx.sellers,
    };
    let (roles, role_warnings) = roles::assign(&pieces, hints);
    let language = draft
        .language
        .unwrap_or_else(|| detect_language(pieces.iter().map(|p| p.text.as_str())));
    let turns = pieces.into_iter().zip(roles).map(into_turn).collect();

    let mut warnings = draft.warnings;
    warnings.extend(role_warnings);
    Ok(Conversation {
        id: draft.id.unwrap_or(fallback_id),
        source: ctx.file.to_string(),
        language,
        turns,
        warnings,
    })
}

/// Cleans every piece, drops the empty ones and merges neighbours by the same speaker.
fn merge(pieces: Vec<Piece>) -> Vec<Piece> {
    let mut merged: Vec<Piece> = Vec::with_capacity(pieces.len());
    for piece in pieces {
        let text = clean_text(&piece.text);
        if text.is_empty() {
            continue;
        }
        let speaker = piece.speaker.as_deref().and_then(speaker::normalize);
        let piece = Piece {
            speaker,
            text,
            ..piece
        };
        match merged.last_mut() {
            Some(last) if same_speaker(last, &piece) => absorb(last, piece),
            _ => merged.push(piece),
        }
    }
    merged
}

fn same_speaker(a: &Piece, b: &Piece) -> bool {
    a.speaker.is_some() && a.speaker == b.speaker && a.role == b.role
}

fn absorb(turn: &mut Piece, next: Piece) {
    join_text(&mut turn.text, &next.text);
    turn.start = turn.start.or(next.start);
    turn.end = next.end.or(turn.end);
}

fn into_turn((piece, role): (Piece, Role)) -> Turn {
    Turn {
        speaker: piece.speaker,
        role,
        text: piece.text,
        start: piece.start,
        end: piece.end,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type TurnView<'a> = (Option<&'a str>, &'a str, Option<f64>, Option<f64>);

    fn ctx() -> Context<'static> {
        Context {
            file: "calls/a.txt",
            format: Format::Text,
            sellers: &[],
        }
    }

    fn named(name: &str, text: &str, start: f64, end: f64) -> Piece {
        Piece::new(Some(name.to_string()), text).at(Some(start), Some(end))
    }

    #[test]
    fn merges_same_speaker_and_keeps_unknown_apart() {
        let mut draft = Draft::new(Location::File);
        draft.pieces = vec![
            named("Maya", "Hi", 0.0, 1.0),
            named("Maya", "there", 1.0, 2.0),
            Piece::new(None, "who?"),
            Piece::new(Some("Unknown Speaker".into()), "me"),
            named("Li", "好的", 3.0, 4.0),
            named("Li", "[inaudible]", 4.0, 5.0),
            named("Li", "可以", 5.0, 6.0),
        ];
        let conversation = finish(draft, "a".into(), ctx()).unwrap();
        let turns: Vec<TurnView<'_>> = conversation
            .turns
            .iter()
            .map(|t| (t.speaker.as_deref(), t.text.as_str(), t.start, t.end))
            .collect();
        assert_eq!(
            turns,
            vec![
                (Some("Maya"), "Hi there", Some(0.0), Some(2.0)),
                (None, "who?", None, None),
                (None, "me", None, None),
                (Some("Li"), "好的可以", Some(3.0), Some(6.0)),
            ]
        );
    }

    #[test]
    fn empty_draft_is_an_error_naming_the_place() {
        let mut draft = Draft::new(Location::Line(4));
        draft.pieces = vec![Piece::new(Some("Maya".into()), "(crosstalk)")];
        let err = finish(draft, "a".into(), ctx()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "calls/a.txt:4: no turns found in this txt input"
        );
    }
}
