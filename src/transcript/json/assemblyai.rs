//! AssemblyAI transcripts: `utterances[]` with `speaker` (`"A"`, read as `Speaker A`), `text`
//! and `start`/`end` in milliseconds; the transcript `id` is the conversation id.

use serde::Deserialize;
use serde_json::Value;

use super::{ms, typed, Fault, Id};
use crate::transcript::assemble::{Draft, Location, Piece};

#[derive(Debug, Deserialize)]
struct AssemblyAi {
    #[serde(default)]
    id: Option<Id>,
    #[serde(default)]
    utterances: Option<Vec<Utterance>>,
}

#[derive(Debug, Deserialize)]
struct Utterance {
    #[serde(default)]
    speaker: Option<Id>,
    text: String,
    #[serde(default)]
    start: Option<f64>,
    #[serde(default)]
    end: Option<f64>,
}

/// Reads an AssemblyAI transcript at `path`.
pub(crate) fn read(value: Value, path: &str) -> Result<Draft, Fault> {
    let transcript: AssemblyAi = typed(value, path)?;
    let mut draft = Draft::new(Location::Path(path.to_string()));
    draft.id = transcript.id.and_then(Id::into_text);
    draft.pieces = transcript
        .utterances
        .unwrap_or_default()
        .into_iter()
        .map(|u| {
            let speaker = u
                .speaker
                .and_then(Id::into_text)
                .map(|s| format!("Speaker {s}"));
            Piece::new(speaker, u.text).at(u.start.map(ms), u.end.map(ms))
        })
        .collect();
    Ok(draft)
}
