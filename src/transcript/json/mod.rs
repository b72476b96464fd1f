//! JSON transcripts. The shape of the document picks the reader:
//!
//! | key | source |
//! | --- | --- |
//! | `turns` | labeled dialogue (FORMATS.md §2; labels are ignored here) |
//! | `callTranscripts` | Gong call export (`parties` give names and affiliations) |
//! | `results.utterances` | Deepgram |
//! | `results.items` / `results.speaker_labels` | AWS Transcribe |
//! | `utterances` | AssemblyAI |
//! | `segments` | Whisper / WhisperX |
//!
//! A top-level array holds any of these, one conversation (or Gong export) per element.

mod assemblyai;
mod aws;
mod deepgram;
pub(crate) mod dialogue;
mod gong;
mod whisper;

use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;
use serde_path_to_error::Segment;

use super::assemble::Draft;
use super::error::TranscriptError;
use super::Input;

/// A value that does not fit, at a JSON path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Fault {
    /// The JSON path, e.g. `$.callTranscripts[0].transcript[3]`.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl Fault {
    /// A fault at `path`.
    pub(crate) fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Fault {
            path: path.into(),
            message: message.into(),
        }
    }
}

/// An id that sources write as a string or a number.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub(crate) enum Id {
    /// `"acme-017"`.
    Text(String),
    /// `7782342274025937895`.
    Number(serde_json::Number),
}

impl Id {
    /// The id as text; `None` when it is an empty string.
    pub(crate) fn into_text(self) -> Option<String> {
        let text = match self {
            Id::Text(text) => text.trim().to_string(),
            Id::Number(number) => number.to_string(),
        };
        (!text.is_empty()).then_some(text)
    }
}

/// The shapes of JSON transcript this module reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Dialogue,
    Gong,
    Aws,
    Deepgram,
    AssemblyAi,
    Whisper,
}

/// Reads a JSON document into one draft per conversation it holds.
pub(crate) fn read(input: &Input<'_>) -> Vec<Result<Draft, TranscriptError>> {
    let value: Value = match serde_json::from_str(input.text) {
        Ok(value) => value,
        Err(err) => return vec![Err(input.syntax(err.line().max(1), syntax_message(&err)))],
    };
    let results = match value {
        Value::Array(items) => items
            .into_iter()
            .enumerate()
            .flat_map(|(i, item)| read_value(item, &format!("$[{i}]")))
            .collect(),
        other => read_value(other, "$"),
    };
    results
        .into_iter()
        .map(|result| result.map_err(|fault| input.fault(fault)))
        .collect()
}

/// `invalid JSON (column 5): expected value`, without serde_json's own line suffix.
pub(crate) fn syntax_message(err: &serde_json::Error) -> String {
    let full = err.to_string();
    let suffix = format!(" at line {} column {}", err.line(), err.column());
    let message = full.strip_suffix(&suffix).unwrap_or(&full);
    format!("invalid JSON (column {}): {message}", err.column())
}

/// Deserializes `value` into `T`; a mismatch names its JSON path below `base`.
pub(crate) fn typed<T: DeserializeOwned>(value: Value, base: &str) -> Result<T, Fault> {
    serde_path_to_error::deserialize(value).map_err(|err| Fault {
        path: join_path(base, err.path()),
        message: err.inner().to_string(),
    })
}

/// Milliseconds to seconds.
pub(crate) fn ms(value: f64) -> f64 {
    value / 1000.0
}

fn read_value(value: Value, path: &str) -> Vec<Result<Draft, Fault>> {
    match shape(&value) {
        Ok(Shape::Dialogue) => vec![dialogue::read(value, path)],
        Ok(Shape::Gong) => gong::read(value, path),
        Ok(Shape::Aws) => vec![aws::read(value, path)],
        Ok(Shape::Deepgram) => vec![deepgram::read(value, path)],
        Ok(Shape::AssemblyAi) => vec![assemblyai::read(value, path)],
        Ok(Shape::Whisper) => vec![whisper::read(value, path)],
        Err(message) => vec![Err(Fault::new(path, message))],
    }
}

fn shape(value: &Value) -> Result<Shape, &'static str> {
    let Some(object) = value.as_object() else {
        return Err("not a transcript: expected an object");
    };
    let results = object.get("results").and_then(Value::as_object);
    if object.contains_key("turns") {
        Ok(Shape::Dialogue)
    } else if object.contains_key("callTranscripts") {
        Ok(Shape::Gong)
    } else if let Some(results) = results {
        if results.contains_key("utterances") {
            Ok(Shape::Deepgram)
        } else if results.contains_key("items") || results.contains_key("speaker_labels") {
            Ok(Shape::Aws)
        } else {
            Err(
                "`results` has neither `utterances` (Deepgram, ask for utterances=true) \
                 nor `items` (AWS Transcribe)",
            )
        }
    } else if object.contains_key("utterances") {
        Ok(Shape::AssemblyAi)
    } else if object.contains_key("segments") {
        Ok(Shape::Whisper)
    } else {
        Err(
            "not a transcript: expected an object with `turns`, `callTranscripts`, \
             `results`, `utterances` or `segments`",
        )
    }
}

fn join_path(base: &str, path: &serde_path_to_error::Path) -> String {
    let mut out = base.to_string();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } => out.push_str(&format!(".{key}")),
            Segment::Enum { variant } => out.push_str(&format!(".{variant}")),
            Segment::Unknown => out.push_str(".?"),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Outer {
        items: Vec<Inner>,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Inner {
        text: String,
    }

    #[test]
    fn faults_name_the_path() {
        let value = serde_json::json!({"items": [{"text": "a"}, {"txt": "b"}]});
        let fault = typed::<Outer>(value, "$.x").unwrap_err();
        assert_eq!(fault.path, "$.x.items[1]");
        assert_eq!(fault.message, "missing field `text`");
    }

    #[test]
    fn ids_from_strings_and_numbers() {
        let ids: Vec<Id> = serde_json::from_str(r#"["a-1", 778, ""]"#).unwrap();
        let texts: Vec<Option<String>> = ids.into_iter().map(Id::into_text).collect();
        assert_eq!(texts, vec![Some("a-1".into()), Some("778".into()), None]);
    }

    #[test]
    fn recognizes_shapes() {
        assert_eq!(
            shape(&serde_json::json!({"turns": []})),
            Ok(Shape::Dialogue)
        );
        assert_eq!(
            shape(&serde_json::json!({"results": {"utterances": []}})),
            Ok(Shape::Deepgram)
        );
        assert_eq!(
            shape(&serde_json::json!({"results": {"items": []}})),
            Ok(Shape::Aws)
        );
        assert!(shape(&serde_json::json!({"foo": 1})).is_err());
        assert!(shape(&serde_json::json!(3)).is_err());
    }
}
