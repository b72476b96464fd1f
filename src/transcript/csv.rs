//! CSV: one row per turn. Columns (header names any case and order, spaces or dashes read as
//! `_`): `text` (required), `conversation_id` (or `conversation`, `call_id`, `id`), `speaker`
//! (or `speaker_name`, `name`), and optionally `role`, `start`, `end` (seconds, or `mm:ss` /
//! `hh:mm:ss`). Rows group into conversations by id, in order of first appearance. Quoted
//! cells may hold commas and newlines; a `;` or tab header without commas switches the
//! delimiter. A bad row is an error naming its line: it fails its conversation only.

use std::collections::HashMap;

use ::csv::{ReaderBuilder, StringRecord};

use super::assemble::{Draft, Location, Piece};
use super::error::TranscriptError;
use super::roles::parse_role;
use super::time::parse_seconds;
use super::Input;

/// Column kinds and the header names that stand for them.
const COLUMNS: &[(Column, &[&str])] = &[
    (
        Column::Id,
        &["conversation_id", "conversation", "call_id", "id"],
    ),
    (Column::Speaker, &["speaker", "speaker_name", "name"]),
    (
        Column::Text,
        &["text", "utterance", "transcript", "message"],
    ),
    (Column::Role, &["role", "speaker_role"]),
    (Column::Start, &["start", "start_time"]),
    (Column::End, &["end", "end_time"]),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Column {
    Id,
    Speaker,
    Text,
    Role,
    Start,
    End,
}

/// A conversation being collected, or the error that failed it.
type Entry = Result<Draft, TranscriptError>;

/// Whether `line` is a CSV header row this reader understands (it has a text column).
pub(crate) fn is_header(line: &str) -> bool {
    let delimiter = delimiter(line);
    line.contains(delimiter as char)
        && line
            .split(delimiter as char)
            .any(|name| column(name) == Some(Column::Text))
}

/// Reads every conversation in the file.
pub(crate) fn read(input: &Input<'_>) -> Vec<Entry> {
    let first_line = input.text.lines().next().unwrap_or_default();
    let mut reader = ReaderBuilder::new()
        .delimiter(delimiter(first_line))
        .from_reader(input.text.as_bytes());
    let columns = match reader.headers() {
        Ok(headers) => columns(headers, input),
        Err(err) => Err(csv_error(&err, input)),
    };
    let columns = match columns {
        Ok(columns) => columns,
        Err(err) => return vec![Err(err)],
    };

    let mut entries: Vec<Entry> = Vec::new();
    let mut by_id: HashMap<String, usize> = HashMap::new();
    for record in reader.records() {
        match record {
            Ok(record) => add_row(&record, &columns, input, &mut entries, &mut by_id),
            Err(err) => entries.push(Err(csv_error(&err, input))),
        }
    }
    if entries.is_empty() {
        return vec![Err(input.syntax(1, "no rows after the header".to_string()))];
    }
    entries
}

fn delimiter(header: &str) -> u8 {
    if header.contains(',') {
        b','
    } else if header.contains(';') {
        b';'
    } else if header.contains('\t') {
        b'\t'
    } else {
        b','
    }
}

fn column(name: &str) -> Option<Column> {
    let name = name
        .trim()
        .trim_matches('"')
        .trim()
        .to_lowercase()
        .replace([' ', '-'], "_");
    COLUMNS
        .iter()
        .find(|(_, names)| names.contains(&name.as_str()))
        .map(|(column, _)| *column)
}

/// Where each known column sits; the first of two columns of one kind wins.
fn columns(
    headers: &StringRecord,
    input: &Input<'_>,
) -> Result<HashMap<Column, usize>, TranscriptError> {
    let mut found = HashMap::new();
    for (i, name) in headers.iter().enumerate() {
        if let Some(column) = column(name) {
            found.entry(column).or_insert(i);
        }
    }
    if found.contains_key(&Column::Text) {
        return Ok(found);
    }
    let names: Vec<&str> = headers.iter().collect();
    Err(input.syntax(
        1,
        format!(
            "no `text` column in the header (found: {})",
            names.join(", ")
        ),
    ))
}

/// One row and where its columns sit.
struct Row<'a> {
    record: &'a StringRecord,
    columns: &'a HashMap<Column, usize>,
    line: usize,
}

impl<'a> Row<'a> {
    fn cell(&self, column: Column) -> &'a str {
        let record = self.record;
        self.columns
            .get(&column)
            .and_then(|&i| record.get(i))
            .unwrap_or_default()
    }
}

fn add_row(
    record: &StringRecord,
    columns: &HashMap<Column, usize>,
    input: &Input<'_>,
    entries: &mut Vec<Entry>,
    by_id: &mut HashMap<String, usize>,
) {
    let line = record.position().map_or(0, |p| p.line() as usize);
    let row = Row {
        record,
        columns,
        line,
    };
    let id = row.cell(Column::Id).trim().to_string();
    let index = *by_id.entry(id.clone()).or_insert_with(|| {
        let mut draft = Draft::new(Location::Line(line));
        draft.id = (!id.is_empty()).then(|| id.clone());
        entries.push(Ok(draft));
        entries.len() - 1
    });
    match (entries.get_mut(index), row_piece(&row, input)) {
        (Some(Ok(draft)), Ok(piece)) => draft.pieces.push(piece),
        (Some(entry @ Ok(_)), Err(err)) => *entry = Err(err),
        _ => {}
    }
}

fn row_piece(row: &Row<'_>, input: &Input<'_>) -> Result<Piece, TranscriptError> {
    let role = match row.cell(Column::Role).trim() {
        "" => None,
        name => Some(parse_role(name).ok_or_else(|| {
            input.syntax(
                row.line,
                format!("unknown role `{name}` (expected seller, customer or other)"),
            )
        })?),
    };
    let start = time_cell(row.cell(Column::Start), "start", row.line, input)?;
    let end = time_cell(row.cell(Column::End), "end", row.line, input)?;
    let speaker = Some(row.cell(Column::Speaker).to_string());
    let mut piece = Piece::new(speaker, row.cell(Column::Text)).at(start, end);
    piece.role = role;
    Ok(piece)
}

fn time_cell(
    value: &str,
    name: &str,
    line: usize,
    input: &Input<'_>,
) -> Result<Option<f64>, TranscriptError> {
    if value.trim().is_empty() {
        return Ok(None);
    }
    parse_seconds(value).map(Some).ok_or_else(|| {
        input.syntax(
            line,
            format!("column `{name}`: not a time `{}`", value.trim()),
        )
    })
}

fn csv_error(err: &::csv::Error, input: &Input<'_>) -> TranscriptError {
    let line = err.position().map_or(1, |p| p.line() as usize);
    let message = match err.kind() {
        ::csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!(
            "row has {len} cells but the header has {expected_len} \
             (quote cells that hold the delimiter)"
        ),
        _ => err.to_string(),
    };
    input.syntax(line, message)
}
