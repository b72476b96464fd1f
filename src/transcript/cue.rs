//! What WebVTT and SRT share: blocks of lines, cue timings, and `Name: text` lines in cues.

use super::assemble::Piece;
use super::speaker;
use super::time::parse_clock;

/// A run of non-blank lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Block<'a> {
    /// The 1-based line of the first line.
    pub first_line: usize,
    /// The lines, without their line ends.
    pub lines: Vec<&'a str>,
}

/// Splits text into blocks at blank or whitespace-only lines.
pub(crate) fn blocks(text: &str) -> Vec<Block<'_>> {
    let mut blocks = Vec::new();
    let mut current: Option<Block<'_>> = None;
    for (i, line) in text.split('\n').enumerate() {
        if line.trim().is_empty() {
            blocks.extend(current.take());
        } else {
            current
                .get_or_insert_with(|| Block {
                    first_line: i + 1,
                    lines: Vec::new(),
                })
                .lines
                .push(line);
        }
    }
    blocks.extend(current);
    blocks
}

/// `start --> end [settings]` in seconds; cue settings after the end time are ignored.
pub(crate) fn parse_timing(line: &str) -> Option<(f64, f64)> {
    let (left, right) = line.split_once("-->")?;
    let start = parse_clock(left.trim())?;
    let end = parse_clock(right.split_whitespace().next()?)?;
    Some((start, end))
}

/// The pieces of a cue's text: a line `Name: text` starts a piece by that speaker, a line
/// starting with a dialogue dash (`- text`) starts a piece by an unknown speaker, any other
/// line continues the piece before it.
pub(crate) fn labelled_pieces(text: &str, start: f64, end: f64) -> Vec<Piece> {
    let mut pieces: Vec<Piece> = Vec::new();
    for line in text.split('\n').map(str::trim).filter(|l| !l.is_empty()) {
        let (dashed, line) = match line.strip_prefix("- ").or_else(|| line.strip_prefix("– ")) {
            Some(rest) => (true, rest),
            None => (false, line),
        };
        let label = speaker::split_label(line).filter(|prefix| !prefix.rest.is_empty());
        match (label, pieces.last_mut()) {
            (Some(prefix), _) => pieces.push(Piece::new(prefix.speaker, prefix.rest)),
            (None, Some(last)) if !dashed => {
                last.text.push('\n');
                last.text.push_str(line);
            }
            (None, _) => pieces.push(Piece::new(None, line)),
        }
    }
    pieces
        .into_iter()
        .map(|piece| piece.at(Some(start), Some(end)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_blocks_at_blank_lines() {
        let blocks = blocks("a\nb\n\n  \nc\n");
        assert_eq!(
            blocks[0],
            Block {
                first_line: 1,
                lines: vec!["a", "b"]
            }
        );
        assert_eq!(
            blocks[1],
            Block {
                first_line: 5,
                lines: vec!["c"]
            }
        );
    }

    #[test]
    fn parses_timings_with_settings() {
        assert_eq!(
            parse_timing("00:01.000 --> 00:04.500 align:start line:0%"),
            Some((1.0, 4.5))
        );
        assert_eq!(
            parse_timing("0:00:01.000 --> 0:00:02.000"),
            Some((1.0, 2.0))
        );
        assert_eq!(
            parse_timing("00:00:01,000 --> 00:00:02,000"),
            Some((1.0, 2.0))
        );
        assert_eq!(parse_timing("00:00:01 -> 2"), None);
    }

    #[test]
    fn labels_start_pieces() {
        let pieces = labelled_pieces("Maya: Hi\nthere\n- Li: Hello\n- who?", 1.0, 2.0);
        let got: Vec<(Option<&str>, &str)> = pieces
            .iter()
            .map(|p| (p.speaker.as_deref(), p.text.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (Some("Maya"), "Hi\nthere"),
                (Some("Li"), "Hello"),
                (None, "who?")
            ]
        );
    }
}
