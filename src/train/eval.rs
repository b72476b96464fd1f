//! The evaluation report of FORMATS.md §4, plus a per-language breakdown and calibration.

use std::collections::BTreeMap;

use serde::Serialize;

use super::dataset::LabeledConversation;
use super::fit::predict;
use super::metrics::{
    counts, exact_match, expected_calibration_error, flags, macro_f1, micro_f1, LabelMetrics,
};
use crate::classify::scored_turns;
use crate::label::Label;

/// Bins of the expected calibration error.
const CALIBRATION_BINS: usize = 10;

/// Conversation-level figures.
#[derive(Debug, Clone, Serialize)]
pub struct ConversationMetrics {
    /// Macro-F1 over conversation label sets (a conversation has a label when any turn does).
    pub macro_f1: f64,
}

/// Metrics over one set of conversations.
#[derive(Debug, Clone, Serialize)]
pub struct Metrics {
    /// Conversations evaluated.
    pub conversations: usize,
    /// Scored turns evaluated.
    pub turns: usize,
    /// Per-label precision, recall, F1, support.
    pub labels: BTreeMap<String, LabelMetrics>,
    /// Mean per-label F1.
    pub macro_f1: f64,
    /// F1 of pooled counts.
    pub micro_f1: f64,
    /// Share of turns whose predicted label set is exactly right.
    pub exact_match: f64,
    /// Conversation-level figures.
    pub conversation: ConversationMetrics,
    /// Expected calibration error of the turn probabilities (10 bins).
    pub ece: f64,
}

/// The full report: overall metrics plus the same per language.
#[derive(Debug, Clone, Serialize)]
pub struct EvalReport {
    /// Overall figures.
    #[serde(flatten)]
    pub overall: Metrics,
    /// The same figures per conversation language (`en`, `zh`, `mixed`).
    pub by_language: BTreeMap<String, Metrics>,
}

/// Builds the report from each conversation's turn probabilities (one row per scored turn, in
/// the order of [`scored_turns`]).
pub fn report(
    data: &[LabeledConversation],
    probs: &[Vec<[f32; 3]>],
    thresholds: &BTreeMap<Label, f32>,
) -> EvalReport {
    let all: Vec<usize> = (0..data.len()).collect();
    let overall = metrics(data, probs, thresholds, &all);
    let mut languages: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, c) in data.iter().enumerate() {
        let name = c.conversation.language.as_str().to_string();
        languages.entry(name).or_default().push(i);
    }
    let by_language = languages
        .into_iter()
        .map(|(lang, idx)| (lang, metrics(data, probs, thresholds, &idx)))
        .collect();
    EvalReport {
        overall,
        by_language,
    }
}

fn metrics(
    data: &[LabeledConversation],
    probs: &[Vec<[f32; 3]>],
    thresholds: &BTreeMap<Label, f32>,
    subset: &[usize],
) -> Metrics {
    let mut gold = Vec::new();
    let mut turn_probs = Vec::new();
    let mut conv_gold = Vec::new();
    let mut conv_pred = Vec::new();
    for &i in subset {
        let c = &data[i];
        let turns = scored_turns(&c.conversation);
        let g: Vec<[bool; 3]> = turns.iter().map(|&t| flags(&c.labels[t])).collect();
        let p = predict(&probs[i], thresholds);
        conv_gold.push(any(&g));
        conv_pred.push(any(&p));
        gold.extend(g);
        turn_probs.extend(probs[i].iter().copied());
    }
    let predicted = predict(&turn_probs, thresholds);
    let c = counts(&gold, &predicted);
    let labels = Label::ALL
        .iter()
        .map(|l| (l.to_string(), c[l.index()].metrics()))
        .collect();
    Metrics {
        conversations: subset.len(),
        turns: gold.len(),
        labels,
        macro_f1: macro_f1(&c),
        micro_f1: micro_f1(&c),
        exact_match: exact_match(&gold, &predicted),
        conversation: ConversationMetrics {
            macro_f1: macro_f1(&counts(&conv_gold, &conv_pred)),
        },
        ece: expected_calibration_error(&gold, &turn_probs, CALIBRATION_BINS),
    }
}

fn any(rows: &[[bool; 3]]) -> [bool; 3] {
    let mut out = [false; 3];
    for row in rows {
        for (o, &v) in out.iter_mut().zip(row) {
            *o |= v;
        }
    }
    out
}

impl EvalReport {
    /// One line per language with macro-F1, for people.
    pub fn summary(&self) -> String {
        let mut out = format!(
            "macro-F1 {:.3}, micro-F1 {:.3}, exact match {:.3}, conversation macro-F1 {:.3}, ECE {:.3} ({} turns)",
            self.overall.macro_f1,
            self.overall.micro_f1,
            self.overall.exact_match,
            self.overall.conversation.macro_f1,
            self.overall.ece,
            self.overall.turns
        );
        for (lang, m) in &self.by_language {
            out += &format!("\n  {lang}: macro-F1 {:.3} ({} turns)", m.macro_f1, m.turns);
        }
        out
    }
}
