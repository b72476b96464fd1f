//! SubRip (SRT): numbered cues, `00:00:01,000 --> 00:00:04,000` timings (a `.` works too),
//! `Name: text` prefixes when present, `<i>`/`<font>` tags dropped, entities decoded.
//! A block without a timing line is skipped with a warning; a timing that does not parse is
//! an error naming the line.

use super::assemble::{Draft, Location};
use super::clean::strip_markup;
use super::cue;
use super::error::TranscriptError;
use super::Input;

/// Reads an SRT file into one conversation's pieces.
pub(crate) fn read(input: &Input<'_>) -> Result<Draft, TranscriptError> {
    let mut draft = Draft::new(Location::File);
    for block in cue::blocks(input.text) {
        let numbered = block.lines[0].trim().bytes().all(|b| b.is_ascii_digit());
        let at = usize::from(numbered && block.lines.len() > 1);
        let Some(timing) = block.lines.get(at).filter(|line| line.contains("-->")) else {
            draft.warnings.push(format!(
                "line {}: block without a cue timing skipped",
                block.first_line
            ));
            continue;
        };
        let line = block.first_line + at;
        let (start, end) = cue::parse_timing(timing)
            .ok_or_else(|| input.syntax(line, format!("bad cue timing `{}`", timing.trim())))?;
        let payload = strip_markup(&block.lines[at + 1..].join("\n"));
        draft
            .pieces
            .extend(cue::labelled_pieces(&payload, start, end));
    }
    Ok(draft)
}
