//! Whisper and WhisperX output: `segments[]` with `start`, `end` (seconds), `text` and, from
//! WhisperX diarization, `speaker` (`SPEAKER_00`).

use serde::Deserialize;
use serde_json::Value;

use super::{typed, Fault};
use crate::transcript::assemble::{Draft, Location, Piece};

#[derive(Debug, Deserialize)]
struct Whisper {
    segments: Vec<Segment>,
}

#[derive(Debug, Deserialize)]
struct Segment {
    #[serde(default)]
    start: Option<f64>,
    #[serde(default)]
    end: Option<f64>,
    text: String,
    #[serde(default)]
    speaker: Option<String>,
}

/// Reads a Whisper result at `path`.
pub(crate) fn read(value: Value, path: &str) -> Result<Draft, Fault> {
    let whisper: Whisper = typed(value, path)?;
    let mut draft = Draft::new(Location::Path(path.to_string()));
    draft.pieces = whisper
        .segments
        .into_iter()
        .map(|s| Piece::new(s.speaker, s.text).at(s.start, s.end))
        .collect();
    Ok(draft)
}
