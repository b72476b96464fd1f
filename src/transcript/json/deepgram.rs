//! Deepgram results with `utterances=true`: `results.utterances[]` with `speaker` (a number,
//! read as `Speaker 0`), `transcript` and `start`/`end` in seconds.

use serde::Deserialize;
use serde_json::Value;

use super::{typed, Fault};
use crate::transcript::assemble::{Draft, Location, Piece};

#[derive(Debug, Deserialize)]
struct Deepgram {
    results: Results,
}

#[derive(Debug, Deserialize)]
struct Results {
    #[serde(default)]
    utterances: Vec<Utterance>,
}

#[derive(Debug, Deserialize)]
struct Utterance {
    #[serde(default)]
    speaker: Option<u64>,
    transcript: String,
    #[serde(default)]
    start: Option<f64>,
    #[serde(default)]
    end: Option<f64>,
}

/// Reads a Deepgram result at `path`.
pub(crate) fn read(value: Value, path: &str) -> Result<Draft, Fault> {
    let deepgram: Deepgram = typed(value, path)?;
    let mut draft = Draft::new(Location::Path(path.to_string()));
    draft.pieces = deepgram
        .results
        .utterances
        .into_iter()
        .map(|u| {
            let speaker = u.speaker.map(|n| format!("Speaker {n}"));
            Piece::new(speaker, u.transcript).at(u.start, u.end)
        })
        .collect();
    Ok(draft)
}
