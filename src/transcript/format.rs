//! Input formats: names, file extensions and content sniffing.

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use super::csv;
use super::error::FormatParseError;

/// A transcript input format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// WebVTT captions (Zoom, Teams, most meeting tools).
    Vtt,
    /// SubRip subtitles.
    Srt,
    /// Plain text: `Speaker: text` lines, Otter and WeChat exports.
    Text,
    /// One JSON document: labeled dialogue, Gong, AWS Transcribe, Whisper, AssemblyAI, Deepgram.
    Json,
    /// JSON Lines: one labeled-dialogue conversation per line.
    Jsonl,
    /// CSV with one row per turn.
    Csv,
}

impl Format {
    /// Every format, in the order of the docs.
    pub const ALL: [Format; 6] = [
        Format::Vtt,
        Format::Srt,
        Format::Text,
        Format::Json,
        Format::Jsonl,
        Format::Csv,
    ];

    /// The format's short name, as accepted by `FromStr` and printed by `Display`.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Vtt => "vtt",
            Format::Srt => "srt",
            Format::Text => "txt",
            Format::Json => "json",
            Format::Jsonl => "jsonl",
            Format::Csv => "csv",
        }
    }

    /// The format a file extension (without the dot, any case) stands for.
    pub fn from_extension(ext: &str) -> Option<Format> {
        match ext.to_ascii_lowercase().as_str() {
            "vtt" | "webvtt" => Some(Format::Vtt),
            "srt" => Some(Format::Srt),
            "txt" | "text" => Some(Format::Text),
            "json" => Some(Format::Json),
            "jsonl" | "ndjson" => Some(Format::Jsonl),
            "csv" => Some(Format::Csv),
            _ => None,
        }
    }

    /// The format a path's extension stands for, if it is a known one.
    pub fn from_path(path: &Path) -> Option<Format> {
        path.extension()
            .and_then(|ext| ext.to_str())
            .and_then(Format::from_extension)
    }

    /// Guesses the format from the content, for stdin and files without a known extension.
    ///
    /// `WEBVTT` first → vtt; a JSON value → json; JSON objects line by line → jsonl; a cue
    /// number followed by a `-->` timing → srt; a header row with a `text` column → csv;
    /// anything else → txt.
    pub fn sniff(text: &str) -> Format {
        let head = text.trim_start();
        if head.starts_with("WEBVTT") {
            Format::Vtt
        } else if looks_like_json(head) {
            json_or_jsonl(head)
        } else if looks_like_srt(head) {
            Format::Srt
        } else if head.lines().next().is_some_and(csv::is_header) {
            Format::Csv
        } else {
            Format::Text
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Format {
    type Err = FormatParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "vtt" | "webvtt" => Ok(Format::Vtt),
            "srt" => Ok(Format::Srt),
            "txt" | "text" => Ok(Format::Text),
            "json" => Ok(Format::Json),
            "jsonl" | "ndjson" => Ok(Format::Jsonl),
            "csv" => Ok(Format::Csv),
            _ => Err(FormatParseError(s.to_string())),
        }
    }
}

/// `{` or `[` followed by what JSON allows next (so `[00:12] Maya: hi` stays text).
fn looks_like_json(head: &str) -> bool {
    let mut chars = head.chars();
    let open = chars.next();
    let next = chars.find(|c| !c.is_whitespace());
    match open {
        Some('{') => matches!(next, Some('"') | Some('}')),
        Some('[') => matches!(next, Some('{') | Some('[') | Some('"') | Some(']')),
        _ => false,
    }
}

/// A whole JSON document, or else JSON Lines when the first line is a value on its own.
fn json_or_jsonl(head: &str) -> Format {
    if serde_json::from_str::<serde::de::IgnoredAny>(head).is_ok() {
        return Format::Json;
    }
    let first = head.lines().next().unwrap_or_default();
    if serde_json::from_str::<serde::de::IgnoredAny>(first).is_ok() {
        Format::Jsonl
    } else {
        Format::Json
    }
}

/// A cue number line followed by a timing line, or a timing line first.
fn looks_like_srt(head: &str) -> bool {
    let mut lines = head.lines().map(str::trim);
    match lines.next() {
        Some(first) if first.contains("-->") => true,
        Some(first) if !first.is_empty() && first.bytes().all(|b| b.is_ascii_digit()) => {
            lines.next().is_some_and(|second| second.contains("-->"))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for format in Format::ALL {
            assert_eq!(format.to_string().parse::<Format>(), Ok(format));
        }
        assert_eq!("text".parse::<Format>(), Ok(Format::Text));
        assert!("docx".parse::<Format>().is_err());
    }

    #[test]
    fn extensions_are_case_insensitive() {
        assert_eq!(Format::from_path(Path::new("a/B.VTT")), Some(Format::Vtt));
        assert_eq!(
            Format::from_path(Path::new("calls.jsonl")),
            Some(Format::Jsonl)
        );
        assert_eq!(Format::from_path(Path::new("-")), None);
    }

    #[test]
    fn sniffs_content() {
        assert_eq!(
            Format::sniff("WEBVTT\n\n1\n00:01.000 --> 00:02.000\nhi"),
            Format::Vtt
        );
        assert_eq!(
            Format::sniff("1\n00:00:01,000 --> 00:00:02,000\nhi\n"),
            Format::Srt
        );
        assert_eq!(Format::sniff("{\"turns\": []}"), Format::Json);
        assert_eq!(Format::sniff("[{\"turns\": []}]"), Format::Json);
        assert_eq!(
            Format::sniff("{\"id\": \"a\"}\n{\"id\": \"b\"}\n"),
            Format::Jsonl
        );
        assert_eq!(
            Format::sniff("conversation_id,speaker,text\na,b,c\n"),
            Format::Csv
        );
        assert_eq!(Format::sniff("[00:12] Maya: hi"), Format::Text);
        assert_eq!(Format::sniff("Maya: hi"), Format::Text);
    }
}
