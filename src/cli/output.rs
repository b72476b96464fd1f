//! Output writers: the readable report, JSON, JSON Lines and CSV, to stdout or a file written
//! atomically (a temporary file in the same folder, renamed when complete).

use std::fmt::Write as _;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use demur::{Analysis, Label};
use tempfile::NamedTempFile;

/// Which shape the results take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Readable text for people.
    Report,
    /// One JSON array.
    Json,
    /// One JSON object per line.
    Jsonl,
    /// CSV: a row per conversation, or per objection.
    Csv,
}

/// A buffered, line-flushed stdout.
pub fn stdout_lines() -> BufWriter<std::io::Stdout> {
    BufWriter::new(std::io::stdout())
}

/// Writes analyses, in the order given, in one of the output kinds.
pub struct Writer {
    kind: Kind,
    per_objection: bool,
    sink: Sink,
    written: usize,
}

enum Sink {
    Stdout(BufWriter<std::io::Stdout>),
    File {
        temp: BufWriter<NamedTempFile>,
        path: PathBuf,
    },
    /// An existing target that is not a regular file (`/dev/null`, a pipe): written in
    /// place, since renaming over it would replace it.
    Special(BufWriter<std::fs::File>),
    Csv(Box<csv::Writer<Sink>>),
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Sink::Stdout(w) => w.write(buf),
            Sink::File { temp, .. } => temp.write(buf),
            Sink::Special(w) => w.write(buf),
            Sink::Csv(_) => Err(std::io::Error::other("csv sink is written through csv")),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Sink::Stdout(w) => w.flush(),
            Sink::File { temp, .. } => temp.flush(),
            Sink::Special(w) => w.flush(),
            Sink::Csv(w) => w.flush(),
        }
    }
}

impl Writer {
    /// A writer to `output` (atomically) or stdout.
    pub fn new(kind: Kind, per_objection: bool, output: Option<&Path>) -> anyhow::Result<Writer> {
        let mut sink = match output {
            None => Sink::Stdout(stdout_lines()),
            Some(path) if std::fs::metadata(path).is_ok_and(|m| !m.is_file()) => {
                let file = std::fs::OpenOptions::new()
                    .write(true)
                    .open(path)
                    .with_context(|| format!("cannot write {}", path.display()))?;
                Sink::Special(BufWriter::new(file))
            }
            Some(path) => {
                let dir = path
                    .parent()
                    .filter(|p| !p.as_os_str().is_empty())
                    .unwrap_or(Path::new("."));
                let temp = NamedTempFile::new_in(dir).with_context(|| {
                    format!("cannot create a temporary file in {}", dir.display())
                })?;
                Sink::File {
                    temp: BufWriter::new(temp),
                    path: path.to_path_buf(),
                }
            }
        };
        if kind == Kind::Csv {
            let mut csv = csv::Writer::from_writer(sink);
            csv.write_record(if per_objection {
                OBJECTION_COLUMNS
            } else {
                CONVERSATION_COLUMNS
            })?;
            sink = Sink::Csv(Box::new(csv));
        }
        Ok(Writer {
            kind,
            per_objection,
            sink,
            written: 0,
        })
    }

    /// Writes one analysis.
    pub fn write(&mut self, analysis: &Analysis) -> anyhow::Result<()> {
        match (&mut self.sink, self.kind) {
            (Sink::Csv(csv), _) => csv_rows(csv, analysis, self.per_objection)?,
            (sink, Kind::Json) => {
                sink.write_all(if self.written == 0 { b"[\n" } else { b",\n" })?;
                serde_json::to_writer_pretty(&mut *sink, analysis)?;
            }
            (sink, Kind::Jsonl) => {
                serde_json::to_writer(&mut *sink, analysis)?;
                sink.write_all(b"\n")?;
            }
            (sink, _) => sink.write_all(report(analysis).as_bytes())?,
        }
        self.written += 1;
        Ok(())
    }

    /// Closes the output: ends the JSON array, flushes, and renames the temporary file.
    pub fn finish(mut self) -> anyhow::Result<()> {
        if self.kind == Kind::Json {
            self.sink
                .write_all(if self.written == 0 { b"[]\n" } else { b"\n]\n" })?;
        }
        let sink = match self.sink {
            Sink::Csv(csv) => csv
                .into_inner()
                .map_err(|e| anyhow::anyhow!("{}", e.error()))?,
            other => other,
        };
        match sink {
            Sink::Stdout(mut w) => w.flush()?,
            Sink::Special(mut w) => w.flush()?,
            Sink::File { temp, path } => {
                let temp = temp
                    .into_inner()
                    .map_err(|e| anyhow::anyhow!("{}", e.error()))?;
                temp.persist(&path)
                    .with_context(|| format!("cannot write {}", path.display()))?;
            }
            Sink::Csv(_) => {}
        }
        Ok(())
    }
}

const CONVERSATION_COLUMNS: &[&str] = &[
    "id",
    "source",
    "language",
    "price",
    "technical",
    "decision_chain",
    "primary",
    "strategy_1",
    "strategy_2",
    "strategy_3",
];

const OBJECTION_COLUMNS: &[&str] = &[
    "id", "source", "language", "label", "score", "turn", "speaker", "role", "start", "end",
    "quote",
];

fn csv_rows(csv: &mut csv::Writer<Sink>, a: &Analysis, per_objection: bool) -> anyhow::Result<()> {
    let language = language_name(a);
    if !per_objection {
        let primary = a
            .objections
            .first()
            .map_or("none".to_string(), |o| o.label.to_string());
        let mut row = vec![a.id.clone(), a.source.clone(), language];
        row.extend(
            Label::ALL
                .iter()
                .map(|&l| format!("{:.4}", a.scores.get(l))),
        );
        row.push(primary);
        row.extend((0..3).map(|i| a.strategies.get(i).map_or(String::new(), |s| s.id.clone())));
        csv.write_record(&row)?;
        return Ok(());
    }
    for o in &a.objections {
        let time = |t: Option<f64>| t.map_or(String::new(), |t| format!("{t:.2}"));
        let role = serde_json::to_value(o.role)?
            .as_str()
            .unwrap_or_default()
            .to_string();
        csv.write_record([
            a.id.clone(),
            a.source.clone(),
            language.clone(),
            o.label.to_string(),
            format!("{:.4}", o.score),
            o.turn.to_string(),
            o.speaker.clone().unwrap_or_default(),
            role,
            time(o.start),
            time(o.end),
            o.quote.clone(),
        ])?;
    }
    Ok(())
}

fn language_name(a: &Analysis) -> String {
    a.language.as_str().to_string()
}

/// The readable report of one analysis.
pub fn report(a: &Analysis) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "── {} ({}, {}) ──", a.id, a.source, language_name(a));
    let scores: Vec<String> = Label::ALL
        .iter()
        .map(|&l| format!("{l} {:.2}", a.scores.get(l)))
        .collect();
    let _ = writeln!(out, "scores: {}", scores.join(" · "));
    if a.objections.is_empty() {
        let _ = writeln!(out, "objections: none found");
    } else {
        let _ = writeln!(out, "objections:");
    }
    for o in &a.objections {
        let who = o.speaker.as_deref().unwrap_or("unknown speaker");
        let at = o
            .start
            .map_or(String::new(), |t| format!(" at {}", clock(t)));
        let _ = writeln!(
            out,
            "  [{} {:.2}] turn {}, {who}{at}:",
            o.label, o.score, o.turn
        );
        let _ = writeln!(out, "      “{}”", shorten(&o.quote, 240));
    }
    let _ = writeln!(out, "strategies:");
    for s in &a.strategies {
        let _ = writeln!(out, "  {}. {}  [{}]", s.rank, s.title, s.id);
        let _ = writeln!(out, "     {}", s.why);
        for step in &s.steps {
            let _ = writeln!(out, "     - {step}");
        }
        let _ = writeln!(out, "     say: “{}”", s.talk_track);
    }
    for w in &a.warnings {
        let _ = writeln!(out, "warning: {w}");
    }
    out.push('\n');
    out
}

fn clock(seconds: f64) -> String {
    let s = seconds.max(0.0) as u64;
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{:02}:{:02}", s / 60, s % 60)
    }
}

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max).collect();
    format!("{cut}…")
}
