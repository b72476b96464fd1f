//! Gong call exports: `callTranscripts[]` with `callId` and `transcript[]` monologues
//! (`speakerId`, `sentences[]` with `start`/`end` in milliseconds and `text`). `parties[]`
//! (top level or per call) give each `speakerId` a `name` and an `affiliation`:
//! `Internal` = seller, `External` = customer.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::Value;

use super::{ms, typed, Fault, Id};
use crate::transcript::assemble::{Draft, Location, Piece};
use crate::transcript::Role;

#[derive(Debug, Deserialize)]
struct Export {
    #[serde(rename = "callTranscripts")]
    calls: Vec<Value>,
    #[serde(default)]
    parties: Vec<Party>,
}

#[derive(Debug, Deserialize)]
struct Call {
    #[serde(rename = "callId", default)]
    call_id: Option<Id>,
    #[serde(default)]
    transcript: Vec<Monologue>,
    #[serde(default)]
    parties: Vec<Party>,
}

#[derive(Debug, Deserialize)]
struct Monologue {
    #[serde(rename = "speakerId", default)]
    speaker_id: Option<Id>,
    #[serde(default)]
    sentences: Vec<Sentence>,
}

#[derive(Debug, Deserialize)]
struct Sentence {
    #[serde(default)]
    start: Option<f64>,
    #[serde(default)]
    end: Option<f64>,
    text: String,
}

#[derive(Debug, Clone, Deserialize)]
struct Party {
    #[serde(rename = "speakerId", default)]
    speaker_id: Option<Id>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    affiliation: Option<String>,
}

/// Reads a Gong export at `path`: one draft per call.
pub(crate) fn read(value: Value, path: &str) -> Vec<Result<Draft, Fault>> {
    let export: Export = match typed(value, path) {
        Ok(export) => export,
        Err(fault) => return vec![Err(fault)],
    };
    let calls = export.calls.into_iter().enumerate();
    calls
        .map(|(i, call)| {
            read_call(
                call,
                &format!("{path}.callTranscripts[{i}]"),
                &export.parties,
            )
        })
        .collect()
}

fn read_call(value: Value, path: &str, shared: &[Party]) -> Result<Draft, Fault> {
    let call: Call = typed(value, path)?;
    let parties: Vec<Party> = call.parties.iter().chain(shared).cloned().collect();
    let mut draft = Draft::new(Location::Path(path.to_string()));
    draft.id = call.call_id.and_then(Id::into_text);
    draft.affiliations = parties.iter().filter_map(affiliation).collect();

    let names = party_names(&parties);
    for monologue in call.transcript {
        let id = monologue.speaker_id.and_then(Id::into_text);
        let speaker = id.map(|id| names.get(&id).cloned().unwrap_or(id));
        for sentence in monologue.sentences {
            let piece = Piece::new(speaker.clone(), sentence.text);
            draft
                .pieces
                .push(piece.at(sentence.start.map(ms), sentence.end.map(ms)));
        }
    }
    Ok(draft)
}

/// Party names by speaker id; the first party with an id wins.
fn party_names(parties: &[Party]) -> HashMap<String, String> {
    let mut names = HashMap::new();
    for party in parties {
        let id = party.speaker_id.clone().and_then(Id::into_text);
        let name = party.name.clone().filter(|name| !name.trim().is_empty());
        if let (Some(id), Some(name)) = (id, name) {
            names.entry(id).or_insert(name);
        }
    }
    names
}

/// The speaker name and role a party's affiliation gives.
fn affiliation(party: &Party) -> Option<(String, Role)> {
    let role = match party.affiliation.as_deref()?.trim().to_lowercase().as_str() {
        "internal" => Role::Seller,
        "external" => Role::Customer,
        _ => return None,
    };
    let id = party.speaker_id.clone().and_then(Id::into_text);
    let name = party
        .name
        .clone()
        .filter(|name| !name.trim().is_empty())
        .or(id)?;
    Some((name.split_whitespace().collect::<Vec<_>>().join(" "), role))
}
