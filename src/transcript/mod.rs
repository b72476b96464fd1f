//! Transcript readers: every supported input format into one [`Conversation`] model.
//!
//! [`read_file`] and [`read_bytes`] pick the format (forced, else by extension, else by
//! sniffing the content), run that format's reader, then clean, merge and label the turns in
//! one place (`assemble.rs`): placeholders and zero-width characters removed, consecutive
//! pieces by one speaker merged, roles given or guessed (`roles.rs`), the language detected
//! (`language.rs`). A file can hold several conversations (JSON arrays, Gong exports, JSONL,
//! CSV); each comes back as its own result, so one broken conversation does not hide the rest.

mod assemble;
mod clean;
mod csv;
mod cue;
mod decode;
mod error;
mod format;
mod json;
mod jsonl;
mod language;
mod model;
mod roles;
mod speaker;
mod srt;
mod text;
mod time;
mod vtt;
mod wechat;

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

pub use error::{FormatParseError, TranscriptError};
pub use format::Format;
pub use language::detect_language;
pub use model::{Conversation, Language, Role, Turn};

use assemble::{Context, Draft};

/// How to read a transcript.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// Read as this format instead of detecting it.
    pub format: Option<Format>,
    /// Speaker names that are sellers (case-insensitive); every other named speaker is then a
    /// customer unless the source says otherwise.
    pub sellers: Vec<String>,
}

/// The text of one input and its name, handed to a format's reader.
pub(crate) struct Input<'a> {
    /// The source as given (a path, or `-`).
    pub file: &'a str,
    /// The decoded text: UTF-8, `\n` line ends, no invisible characters.
    pub text: &'a str,
}

impl Input<'_> {
    /// An error at a line of this input.
    pub(crate) fn syntax(&self, line: usize, message: String) -> TranscriptError {
        TranscriptError::Syntax {
            file: self.file.to_string(),
            line,
            message,
        }
    }

    /// An error at a JSON path of this input.
    pub(crate) fn fault(&self, fault: json::Fault) -> TranscriptError {
        TranscriptError::Json {
            file: self.file.to_string(),
            path: fault.path,
            message: fault.message,
        }
    }
}

/// Reads every conversation in a file; a file that cannot be read gives one error.
pub fn read_file(path: &Path, opts: &ReadOptions) -> Vec<Result<Conversation, TranscriptError>> {
    let source = path.display().to_string();
    match fs::read(path) {
        Ok(bytes) => read_bytes(&bytes, &source, opts),
        Err(err) => vec![Err(TranscriptError::Io { file: source, err })],
    }
}

/// Reads every conversation in `bytes`, named `source` in ids and errors (`-` for stdin).
/// The format is `opts.format`, else the extension of `source`, else sniffed from the content.
pub fn read_bytes(
    bytes: &[u8],
    source: &str,
    opts: &ReadOptions,
) -> Vec<Result<Conversation, TranscriptError>> {
    let text = match decode::decode(bytes, source) {
        Ok(text) => text,
        Err(err) => return vec![Err(err)],
    };
    let format = opts
        .format
        .or_else(|| Format::from_path(Path::new(source)))
        .unwrap_or_else(|| Format::sniff(&text));
    tracing::debug!(source, %format, "reading transcript");
    let input = Input {
        file: source,
        text: &text,
    };
    let drafts = read_drafts(format, &input);
    if drafts.is_empty() {
        let file = source.to_string();
        return vec![Err(TranscriptError::Empty {
            file,
            at: String::new(),
            format,
        })];
    }

    let ctx = Context {
        file: source,
        format,
        sellers: &opts.sellers,
    };
    let stem = stem(source);
    let total = drafts.len();
    drafts
        .into_iter()
        .enumerate()
        .map(|(i, draft)| {
            draft.and_then(|d| assemble::finish(d, fallback_id(&stem, i, total), ctx))
        })
        .collect()
}

/// The transcript files under `paths`: files as given, folders walked recursively for known
/// extensions (`.vtt .srt .txt .json .jsonl .csv`, hidden entries skipped), each folder's
/// files sorted by path. A missing path, an unreadable folder or a folder without any
/// transcript file is an error.
pub fn discover(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<TranscriptError>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        match fs::metadata(path) {
            Ok(meta) if meta.is_dir() => {
                let mut found = Vec::new();
                let unreadable = errors.len();
                walk(path, &mut found, &mut errors);
                if found.is_empty() && errors.len() == unreadable {
                    errors.push(TranscriptError::EmptyFolder {
                        file: path.display().to_string(),
                    });
                }
                found.sort();
                files.extend(found);
            }
            Ok(_) => files.push(path.clone()),
            Err(err) if err.kind() == io::ErrorKind::NotFound => {
                errors.push(TranscriptError::Missing {
                    file: path.display().to_string(),
                });
            }
            Err(err) => errors.push(TranscriptError::Io {
                file: path.display().to_string(),
                err,
            }),
        }
    }
    (files, errors)
}

fn read_drafts(format: Format, input: &Input<'_>) -> Vec<Result<Draft, TranscriptError>> {
    match format {
        Format::Vtt => vec![vtt::read(input)],
        Format::Srt => vec![srt::read(input)],
        Format::Text => vec![text::read(input)],
        Format::Json => json::read(input),
        Format::Jsonl => jsonl::read(input),
        Format::Csv => csv::read(input),
    }
}

/// The file name without its extension; `stdin` for `-`.
fn stem(source: &str) -> String {
    if source == "-" {
        return "stdin".to_string();
    }
    let stem = Path::new(source)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned());
    stem.filter(|s| !s.is_empty())
        .unwrap_or_else(|| "conversation".to_string())
}

/// The id of a conversation whose source has none: the stem, numbered when there are several.
fn fallback_id(stem: &str, index: usize, total: usize) -> String {
    if total == 1 {
        stem.to_string()
    } else {
        format!("{stem}-{}", index + 1)
    }
}

/// Collects the transcript files under `dir` into `found`.
fn walk(dir: &Path, found: &mut Vec<PathBuf>, errors: &mut Vec<TranscriptError>) {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) => {
            return errors.push(TranscriptError::Io {
                file: dir.display().to_string(),
                err,
            })
        }
    };
    for entry in entries {
        let entry = match entry {
            Ok(entry) => entry,
            Err(err) => {
                errors.push(TranscriptError::Io {
                    file: dir.display().to_string(),
                    err,
                });
                continue;
            }
        };
        let path = entry.path();
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let is_link = entry.file_type().is_ok_and(|t| t.is_symlink());
        if path.is_dir() && !is_link {
            walk(&path, found, errors);
        } else if path.is_file() && Format::from_path(&path).is_some() {
            found.push(path);
        }
    }
}
