//! WebVTT: Zoom style (`Name: text` in cues) and Teams style (`<v Name>…</v>` voice tags).
//!
//! The header block and NOTE, STYLE and REGION blocks are skipped; cue ids (numbers, GUIDs)
//! are ignored; cue settings after the timing are ignored; timestamps may lack hours
//! (`00:11.000`) or have one digit of them. A voice tag without its closing tag lasts to the
//! end of the cue. Other tags (`<c>`, `<i>`, inline timestamps `<00:00:05.000>`) are dropped
//! and HTML entities decoded. Text outside a cue is skipped with a warning.

use super::assemble::{Draft, Location, Piece};
use super::clean::{decode_entities, markup, Markup};
use super::cue::{self, Block};
use super::error::TranscriptError;
use super::Input;

/// Reads a WebVTT file into one conversation's pieces.
pub(crate) fn read(input: &Input<'_>) -> Result<Draft, TranscriptError> {
    let mut blocks = cue::blocks(input.text).into_iter();
    let header = blocks.next().filter(|block| is_header(block.lines[0]));
    let Some(header) = header else {
        return Err(input.syntax(1, "not WebVTT: the first line must be `WEBVTT`".to_string()));
    };

    let mut draft = Draft::new(Location::File);
    if let Some(first_cue) = cue_after_header(header) {
        read_block(&first_cue, input, &mut draft)?;
    }
    for block in blocks {
        read_block(&block, input, &mut draft)?;
    }
    Ok(draft)
}

fn is_header(line: &str) -> bool {
    let rest = line.strip_prefix("WEBVTT");
    rest.is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t']))
}

/// A cue that follows the header without the blank line the spec asks for.
fn cue_after_header(header: Block<'_>) -> Option<Block<'_>> {
    let timing = header.lines.iter().position(|line| line.contains("-->"))?;
    let from = timing.saturating_sub(1).max(1);
    Some(Block {
        first_line: header.first_line + from,
        lines: header.lines[from..].to_vec(),
    })
}

fn read_block(
    block: &Block<'_>,
    input: &Input<'_>,
    draft: &mut Draft,
) -> Result<(), TranscriptError> {
    let first = block.lines[0];
    let keyword = ["NOTE", "STYLE", "REGION"]
        .into_iter()
        .any(|k| is_keyword(first, k));
    if keyword && !first.contains("-->") {
        return Ok(());
    }
    let Some(at) = block.lines.iter().position(|line| line.contains("-->")) else {
        draft.warnings.push(format!(
            "line {}: text outside a cue skipped",
            block.first_line
        ));
        return Ok(());
    };

    let line = block.lines[at];
    let (start, end) = cue::parse_timing(line).ok_or_else(|| {
        input.syntax(
            block.first_line + at,
            format!("bad cue timing `{}`", line.trim()),
        )
    })?;
    let payload = block.lines[at + 1..].join("\n");
    draft.pieces.extend(cue_pieces(&payload, start, end));
    Ok(())
}

fn is_keyword(line: &str, keyword: &str) -> bool {
    line.strip_prefix(keyword)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t']))
}

/// The pieces of one cue: one per voice span, and `Name: text` lines outside voices.
fn cue_pieces(payload: &str, start: f64, end: f64) -> Vec<Piece> {
    let mut pieces = Vec::new();
    let mut voice: Option<String> = None;
    let mut buffer = String::new();
    for token in markup(payload) {
        match token {
            Markup::Text(text) => buffer.push_str(text),
            Markup::Tag {
                closing,
                name,
                annotation,
            } if name.eq_ignore_ascii_case("v") => {
                flush(&mut pieces, voice.take(), &mut buffer, (start, end));
                voice = (!closing).then(|| decode_entities(annotation));
            }
            Markup::Tag { .. } => {}
        }
    }
    flush(&mut pieces, voice, &mut buffer, (start, end));
    pieces
}

fn flush(pieces: &mut Vec<Piece>, voice: Option<String>, buffer: &mut String, times: (f64, f64)) {
    let text = decode_entities(&std::mem::take(buffer));
    if text.trim().is_empty() {
        return;
    }
    match voice {
        Some(name) => pieces.push(Piece::new(Some(name), text).at(Some(times.0), Some(times.1))),
        None => pieces.extend(cue::labelled_pieces(&text, times.0, times.1)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces(payload: &str) -> Vec<(Option<String>, String)> {
        cue_pieces(payload, 0.0, 1.0)
            .into_iter()
            .map(|p| (p.speaker, p.text))
            .collect()
    }

    #[test]
    fn reads_voice_tags() {
        assert_eq!(
            pieces("<v Maya Chen>Hi</v>"),
            vec![(Some("Maya Chen".into()), "Hi".into())]
        );
        assert_eq!(
            pieces("<v.loud Li>Hello"),
            vec![(Some("Li".into()), "Hello".into())]
        );
        assert_eq!(
            pieces("<v A>one</v> <v B>two</v>"),
            vec![
                (Some("A".into()), "one".into()),
                (Some("B".into()), "two".into())
            ]
        );
    }

    #[test]
    fn reads_zoom_labels_and_entities() {
        assert_eq!(
            pieces("Maya: R&amp;D <00:00:01.000>is&nbsp;ready"),
            vec![(Some("Maya".into()), "R&D is\u{a0}ready".into())]
        );
    }

    #[test]
    fn header_needs_webvtt() {
        assert!(is_header("WEBVTT"));
        assert!(is_header("WEBVTT - Zoom"));
        assert!(!is_header("WEBVTTX"));
    }
}
