//! The errors a transcript reader reports.

use thiserror::Error;

use super::Format;

/// Why a transcript, or part of one, could not be read.
///
/// Every message starts with the file (the source as given, `-` for stdin) and, where one
/// applies, the line (`calls/0412.vtt:17`) or the JSON path (`$.callTranscripts[0]`).
#[derive(Debug, Error)]
pub enum TranscriptError {
    /// The file or folder could not be opened or read.
    #[error("{file}: cannot read: {err}")]
    Io {
        /// The path as given.
        file: String,
        /// What the operating system said.
        #[source]
        err: std::io::Error,
    },

    /// A path given to [`discover`](super::discover) does not exist.
    #[error("{file}: no such file or folder")]
    Missing {
        /// The path as given.
        file: String,
    },

    /// A folder given to [`discover`](super::discover) holds no transcript file (none with
    /// a known extension, hidden entries left out, subfolders included).
    #[error(
        "{file}: no transcript files in this folder (looked for .vtt .srt .txt .json .jsonl .csv)"
    )]
    EmptyFolder {
        /// The folder as given.
        file: String,
    },

    /// The input holds NUL bytes: a binary file rather than a text transcript.
    #[error("{file}:{line}: binary data (NUL byte); a transcript must be UTF-8 text")]
    Binary {
        /// The source as given.
        file: String,
        /// The 1-based line of the first NUL byte.
        line: usize,
    },

    /// The input is text in another encoding than UTF-8.
    #[error("{file}:{line}: not valid UTF-8 ({found}); save the transcript as UTF-8")]
    Encoding {
        /// The source as given.
        file: String,
        /// The 1-based line of the first bad byte.
        line: usize,
        /// What was found instead, e.g. `byte 0xff` or `a UTF-16 byte-order mark`.
        found: String,
    },

    /// A line that breaks the syntax of its format.
    #[error("{file}:{line}: {message}")]
    Syntax {
        /// The source as given.
        file: String,
        /// The 1-based line.
        line: usize,
        /// What is wrong, with the offending value.
        message: String,
    },

    /// A JSON value that does not have the shape of a supported transcript.
    #[error("{file}: {path}: {message}")]
    Json {
        /// The source as given.
        file: String,
        /// The JSON path of the offending value, e.g. `$.callTranscripts[0].transcript[3]`.
        path: String,
        /// What is wrong.
        message: String,
    },

    /// The input parsed but held no turn with text.
    #[error("{file}{at}: no turns found in this {format} input")]
    Empty {
        /// The source as given.
        file: String,
        /// Where in the file: empty for the whole file, `:3` for a line, `: $[1]` for a path.
        at: String,
        /// The format it was read as.
        format: Format,
    },
}

/// A format name that [`Format`]'s `FromStr` does not know.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("unknown transcript format `{0}` (expected vtt, srt, txt, json, jsonl or csv)")]
pub struct FormatParseError(pub String);
