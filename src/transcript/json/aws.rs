//! AWS Transcribe output: `results.items[]` (words and punctuation with `start_time` and
//! `end_time` as strings) and, with speaker identification, `results.speaker_labels.segments[]`
//! that say who spoke each word. Consecutive words of one speaker form a piece; without
//! speaker labels every sentence is a piece of its own.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::Value;

use super::{typed, Fault};
use crate::transcript::assemble::{Draft, Location, Piece};
use crate::transcript::clean::join_text;

#[derive(Debug, Deserialize)]
struct Aws {
    #[serde(rename = "jobName", default)]
    job_name: Option<String>,
    results: Results,
}

#[derive(Debug, Deserialize)]
struct Results {
    #[serde(default)]
    items: Vec<Item>,
    #[serde(default)]
    speaker_labels: Option<SpeakerLabels>,
}

#[derive(Debug, Deserialize)]
struct Item {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    start_time: Option<String>,
    #[serde(default)]
    end_time: Option<String>,
    #[serde(default)]
    alternatives: Vec<Alternative>,
    #[serde(default)]
    speaker_label: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Alternative {
    content: String,
}

#[derive(Debug, Deserialize)]
struct SpeakerLabels {
    #[serde(default)]
    segments: Vec<Segment>,
}

#[derive(Debug, Deserialize)]
struct Segment {
    #[serde(default)]
    speaker_label: Option<String>,
    #[serde(default)]
    start_time: Option<String>,
    #[serde(default)]
    end_time: Option<String>,
    #[serde(default)]
    items: Vec<SegmentItem>,
}

#[derive(Debug, Deserialize)]
struct SegmentItem {
    #[serde(default)]
    start_time: Option<String>,
    #[serde(default)]
    speaker_label: Option<String>,
}

/// Who spoke when, from the speaker segments.
struct Speakers {
    by_start: HashMap<String, String>,
    ranges: Vec<(f64, f64, String)>,
}

/// Reads an AWS Transcribe result at `path`.
pub(crate) fn read(value: Value, path: &str) -> Result<Draft, Fault> {
    let aws: Aws = typed(value, path)?;
    let speakers = Speakers::new(aws.results.speaker_labels.as_ref());
    let mut draft = Draft::new(Location::Path(path.to_string()));
    draft.id = aws.job_name.filter(|name| !name.trim().is_empty());

    let mut current: Option<Piece> = None;
    for (i, item) in aws.results.items.iter().enumerate() {
        let Some(content) = item.alternatives.first().map(|alt| alt.content.as_str()) else {
            continue;
        };
        if item.kind == "punctuation" {
            punctuate(&mut current, content, &mut draft.pieces);
            continue;
        }
        let item_path = format!("{path}.results.items[{i}]");
        let start = seconds(
            item.start_time.as_deref(),
            &format!("{item_path}.start_time"),
        )?;
        let end = seconds(item.end_time.as_deref(), &format!("{item_path}.end_time"))?;
        let speaker = item
            .speaker_label
            .clone()
            .or_else(|| speakers.at(item.start_time.as_deref(), start));
        add_word(
            &mut current,
            Piece::new(speaker, content).at(start, end),
            &mut draft.pieces,
        );
    }
    draft.pieces.extend(current);
    Ok(draft)
}

/// Punctuation sticks to the word before it; it ends an unlabelled sentence.
fn punctuate(current: &mut Option<Piece>, mark: &str, pieces: &mut Vec<Piece>) {
    let Some(piece) = current.as_mut() else {
        return;
    };
    piece.text.push_str(mark);
    let sentence_end = mark.ends_with(['.', '?', '!', '。', '？', '！']);
    if piece.speaker.is_none() && sentence_end {
        pieces.extend(current.take());
    }
}

fn add_word(current: &mut Option<Piece>, word: Piece, pieces: &mut Vec<Piece>) {
    match current {
        Some(piece) if piece.speaker == word.speaker => {
            join_text(&mut piece.text, &word.text);
            piece.end = word.end.or(piece.end);
        }
        _ => {
            pieces.extend(current.take());
            *current = Some(word);
        }
    }
}

/// A time string such as `"12.34"`.
fn seconds(value: Option<&str>, path: &str) -> Result<Option<f64>, Fault> {
    let Some(text) = value else { return Ok(None) };
    match text.trim().parse::<f64>() {
        Ok(seconds) if seconds.is_finite() && seconds >= 0.0 => Ok(Some(seconds)),
        _ => Err(Fault::new(path, format!("not a time in seconds: `{text}`"))),
    }
}

impl Speakers {
    fn new(labels: Option<&SpeakerLabels>) -> Self {
        let mut speakers = Speakers {
            by_start: HashMap::new(),
            ranges: Vec::new(),
        };
        for segment in labels.map(|l| l.segments.as_slice()).unwrap_or_default() {
            for item in &segment.items {
                if let (Some(start), Some(label)) = (&item.start_time, &item.speaker_label) {
                    speakers.by_start.insert(start.clone(), label.clone());
                }
            }
            let range = (
                segment.start_time.as_deref(),
                segment.end_time.as_deref(),
                &segment.speaker_label,
            );
            if let (Some(start), Some(end), Some(label)) = range {
                if let (Ok(start), Ok(end)) = (start.parse(), end.parse()) {
                    speakers.ranges.push((start, end, label.clone()));
                }
            }
        }
        speakers
    }

    /// The speaker of a word: by its exact start time, else by the segment around it.
    fn at(&self, start_text: Option<&str>, start: Option<f64>) -> Option<String> {
        if let Some(label) = start_text.and_then(|text| self.by_start.get(text)) {
            return Some(label.clone());
        }
        let start = start?;
        let range = self
            .ranges
            .iter()
            .find(|(from, to, _)| (*from..=*to).contains(&start));
        range.map(|(_, _, label)| label.clone())
    }
}
