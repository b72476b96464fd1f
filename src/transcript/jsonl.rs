//! JSON Lines: one labeled-dialogue conversation (FORMATS.md §2) per line. A broken line is an
//! error naming its line; the other lines still give conversations. Blank lines are skipped;
//! an id used twice is an error on the later line.

use std::collections::HashMap;

use serde_json::Value;

use super::assemble::{Draft, Location};
use super::error::TranscriptError;
use super::json::{self, dialogue};
use super::Input;

/// Reads every line into a draft, or an error for that line.
pub(crate) fn read(input: &Input<'_>) -> Vec<Result<Draft, TranscriptError>> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut results = Vec::new();
    for (i, line) in input.text.split('\n').enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let draft =
            read_line(line, i + 1, input).and_then(|draft| unique(draft, i + 1, &mut seen, input));
        results.push(draft);
    }
    results
}

fn read_line(line: &str, number: usize, input: &Input<'_>) -> Result<Draft, TranscriptError> {
    let value: Value = serde_json::from_str(line)
        .map_err(|err| input.syntax(number, json::syntax_message(&err)))?;
    let fault =
        |fault: json::Fault| input.syntax(number, format!("{}: {}", fault.path, fault.message));
    let parsed: dialogue::Dialogue = json::typed(value, "$").map_err(fault)?;
    dialogue::into_draft(parsed, "$", Location::Line(number)).map_err(fault)
}

fn unique(
    draft: Draft,
    number: usize,
    seen: &mut HashMap<String, usize>,
    input: &Input<'_>,
) -> Result<Draft, TranscriptError> {
    let Some(id) = draft.id.clone() else {
        return Ok(draft);
    };
    match seen.get(&id) {
        Some(first) => Err(input.syntax(
            number,
            format!("duplicate conversation id `{id}` (first on line {first})"),
        )),
        None => {
            seen.insert(id, number);
            Ok(draft)
        }
    }
}
