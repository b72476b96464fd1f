//! Plain-text transcripts.
//!
//! Two layouts, told apart by counting: **label lines** (`Speaker: text`, `Speaker：text`,
//! optionally after a `[mm:ss]`, `(mm:ss)` or `hh:mm:ss` stamp, or with the stamp inside the
//! label: `Maya [00:12]: text`) and **header lines** followed by the text on the next lines
//! (Otter `Name  0:08`, WeChat `昵称 2024-01-01 12:00:00`). When header lines are at least as
//! many as label lines, only headers start turns; otherwise only labels do.
//!
//! Which `X:` is a speaker follows the rule in `speaker.rs`. A line that is neither continues
//! the current speaker's turn, across blank lines; before the first speaker, lines form
//! speaker-less paragraphs (a blank line ends one). A `[mm:ss]` stamp on such a line is kept
//! as the turn's start if it has none.

use std::collections::HashMap;

use super::assemble::{Draft, Location, Piece};
use super::error::TranscriptError;
use super::speaker::{self, Prefix};
use super::{time, wechat, Input};

/// A line once its layout is known.
#[derive(Debug, Clone, PartialEq)]
enum Line<'a> {
    Blank,
    /// A speaker whose text follows on the next lines; `wall` is a WeChat date-time.
    Header {
        speaker: Option<String>,
        start: Option<f64>,
        wall: Option<i64>,
    },
    /// `Speaker: text`.
    Said {
        speaker: Option<String>,
        start: Option<f64>,
        text: &'a str,
    },
    /// Anything else.
    Plain {
        start: Option<f64>,
        text: &'a str,
    },
}

/// A header line as found: Otter gives a start, WeChat a date-time.
type Header = (Option<String>, Option<f64>, Option<i64>);

/// Reads a plain-text transcript into one conversation's pieces.
pub(crate) fn read(input: &Input<'_>) -> Result<Draft, TranscriptError> {
    let raw: Vec<&str> = input.text.split('\n').map(str::trim).collect();
    let headers: Vec<Option<Header>> = raw.iter().map(|line| header(line)).collect();
    let labels: Vec<Option<Prefix<'_>>> = raw.iter().map(|line| said(line)).collect();

    let header_count = headers.iter().flatten().count();
    let label_count = labels
        .iter()
        .flatten()
        .filter(|p| !p.rest.is_empty())
        .count();
    let lines = if header_count > 0 && header_count >= label_count {
        header_layout(&raw, headers)
    } else {
        label_layout(&raw, labels)
    };

    let mut draft = Draft::new(Location::File);
    draft.pieces = pieces(&lines);
    Ok(draft)
}

/// Lines where headers followed by text start turns.
fn header_layout<'a>(raw: &[&'a str], headers: Vec<Option<Header>>) -> Vec<Line<'a>> {
    let is_header: Vec<bool> = headers.iter().map(Option::is_some).collect();
    let next = next_content(raw);
    let mut lines = Vec::with_capacity(raw.len());
    for (i, found) in headers.into_iter().enumerate() {
        let followed = next[i].is_some_and(|n| !is_header[n]);
        lines.push(match found {
            Some((speaker, start, wall)) if followed => Line::Header {
                speaker,
                start,
                wall,
            },
            _ => plain(raw[i]),
        });
    }
    lines
}

/// Lines where `Speaker: text` labels start turns; a label with no text after it counts only
/// if it recurs or text follows on the next line.
fn label_layout<'a>(raw: &[&'a str], labels: Vec<Option<Prefix<'a>>>) -> Vec<Line<'a>> {
    let mut counts: HashMap<Option<String>, usize> = HashMap::new();
    for prefix in labels.iter().flatten() {
        *counts.entry(prefix.speaker.clone()).or_default() += 1;
    }
    let is_label: Vec<bool> = labels.iter().map(Option::is_some).collect();
    let next = next_content(raw);
    let mut lines = Vec::with_capacity(raw.len());
    for (i, found) in labels.into_iter().enumerate() {
        let line = match found {
            Some(prefix) if accepted(&prefix, &counts, next[i], &is_label) => Line::Said {
                speaker: prefix.speaker,
                start: prefix.start,
                text: prefix.rest,
            },
            _ => plain(raw[i]),
        };
        lines.push(line);
    }
    lines
}

fn accepted(
    prefix: &Prefix<'_>,
    counts: &HashMap<Option<String>, usize>,
    next: Option<usize>,
    is_label: &[bool],
) -> bool {
    let recurs = counts.get(&prefix.speaker).copied().unwrap_or_default() > 1;
    let text_follows = next.is_some_and(|n| !is_label[n]);
    !prefix.rest.is_empty() || recurs || text_follows
}

/// For each line, the index of the next non-blank line after it.
fn next_content(raw: &[&str]) -> Vec<Option<usize>> {
    let mut next = vec![None; raw.len()];
    let mut after = None;
    for i in (0..raw.len()).rev() {
        next[i] = after;
        if !raw[i].is_empty() {
            after = Some(i);
        }
    }
    next
}

/// An Otter or WeChat header line.
fn header(line: &str) -> Option<Header> {
    if let Some((name, wall)) = wechat::header(line) {
        return Some((speaker::normalize(name), None, Some(wall)));
    }
    let (name, start) = time::suffix(line)?;
    if speaker::is_unknown(name) {
        return Some((None, Some(start), None));
    }
    let title_case = name.split_whitespace().all(|word| {
        word.chars().next().is_some_and(|c| !c.is_lowercase())
            || word.chars().all(|c| c.is_ascii_digit())
    });
    let named = speaker::is_name_like(name) && title_case;
    named.then(|| (speaker::normalize(name), Some(start), None))
}

/// A `Speaker: text` line, maybe after a stamp.
fn said(line: &str) -> Option<Prefix<'_>> {
    let stamped = time::bracketed_prefix(line).or_else(|| time::bare_prefix(line));
    if let Some((start, rest)) = stamped {
        if let Some(prefix) = speaker::split_label(rest) {
            return Some(Prefix {
                start: prefix.start.or(Some(start)),
                ..prefix
            });
        }
    }
    speaker::split_label(line)
}

/// A line that starts no turn; a bracketed stamp in front is kept as a time.
fn plain(line: &str) -> Line<'_> {
    if line.is_empty() {
        return Line::Blank;
    }
    match time::bracketed_prefix(line) {
        Some((start, text)) => Line::Plain {
            start: Some(start),
            text,
        },
        None => Line::Plain {
            start: None,
            text: line,
        },
    }
}

/// Pieces from classified lines.
fn pieces(lines: &[Line<'_>]) -> Vec<Piece> {
    let base = lines.iter().find_map(|line| match line {
        Line::Header { wall, .. } => *wall,
        _ => None,
    });
    let mut pieces = Vec::new();
    let mut current: Option<(Piece, bool)> = None;
    for line in lines {
        match line {
            Line::Blank => {
                if current.as_ref().is_some_and(|(_, labelled)| !labelled) {
                    pieces.extend(current.take().map(|(piece, _)| piece));
                }
            }
            Line::Header {
                speaker,
                start,
                wall,
            } => {
                let start = start.or_else(|| Some((wall.zip(base).map(|(w, b)| w - b)?) as f64));
                pieces.extend(current.take().map(|(piece, _)| piece));
                current = Some((Piece::new(speaker.clone(), "").at(start, None), true));
            }
            Line::Said {
                speaker,
                start,
                text,
            } => {
                pieces.extend(current.take().map(|(piece, _)| piece));
                current = Some((Piece::new(speaker.clone(), *text).at(*start, None), true));
            }
            Line::Plain { start, text } => continue_piece(&mut current, *start, text),
        }
    }
    pieces.extend(current.map(|(piece, _)| piece));
    pieces
}

fn continue_piece(current: &mut Option<(Piece, bool)>, start: Option<f64>, text: &str) {
    match current {
        Some((piece, _)) => {
            piece.text.push('\n');
            piece.text.push_str(text);
            piece.start = piece.start.or(start);
        }
        None => *current = Some((Piece::new(None, text).at(start, None), false)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_text(text: &str) -> Vec<(Option<String>, String, Option<f64>)> {
        let input = Input {
            file: "t.txt",
            text,
        };
        let draft = read(&input).unwrap();
        draft
            .pieces
            .into_iter()
            .map(|p| (p.speaker, p.text, p.start))
            .collect()
    }

    #[test]
    fn reads_labels_and_continuations() {
        let got = read_text("Maya: Hi\nhow are you\n\nLi: fine\nNote: 10:30 works");
        assert_eq!(
            got,
            vec![
                (Some("Maya".into()), "Hi\nhow are you".into(), None),
                (Some("Li".into()), "fine\nNote: 10:30 works".into(), None),
            ]
        );
    }

    #[test]
    fn reads_stamps() {
        let got = read_text("[00:12] Maya: Hi\n00:01:05 Li: yes\nMaya (1:10): ok");
        let starts: Vec<Option<f64>> = got.iter().map(|p| p.2).collect();
        assert_eq!(starts, vec![Some(12.0), Some(65.0), Some(70.0)]);
    }

    #[test]
    fn reads_otter_headers() {
        let got = read_text("Maya Chen  0:08\nHi there\n\nLi Wei  0:15\nHello\nmore\n");
        assert_eq!(
            got,
            vec![
                (Some("Maya Chen".into()), "\nHi there".into(), Some(8.0)),
                (Some("Li Wei".into()), "\nHello\nmore".into(), Some(15.0)),
            ]
        );
    }

    #[test]
    fn reads_wechat_headers() {
        let got =
            read_text("王经理 2024-01-01 12:00:00\n预算批完了\n小李 2024-01-01 12:01:30\n好的");
        assert_eq!(got[0].2, Some(0.0));
        assert_eq!(got[1], (Some("小李".into()), "\n好的".into(), Some(90.0)));
    }

    #[test]
    fn label_without_text_needs_recurrence_or_following_text() {
        let got = read_text("Maya:\nHello there\nLi: hi");
        assert_eq!(got[0], (Some("Maya".into()), "\nHello there".into(), None));
    }
}
