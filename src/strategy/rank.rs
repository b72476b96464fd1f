//! Ranking: scores every strategy against the conversation and picks three diverse ones.
//!
//! **Score** of a strategy, in 0..1:
//!
//! ```text
//! score = 0.5 · p + 0.3 · fit + 0.2 · priority
//! ```
//!
//! - `p`: the conversation score of the strategy's label; for `advance`, 1 − the highest label
//!   score. Scores that are not finite count as 0; all are clamped to 0..1.
//! - `fit`: how well its conditions match, 0..1: `0.6 · keywords + 0.25 · cues + 0.15 · stage`.
//!   `keywords` = min(1, 0.5 per distinct keyword found in the strategy's focus + 0.25 per
//!   distinct keyword found only in another buyer turn); the focus is the objection quotes and
//!   turns of its label, or for `advance` every buyer turn. `cues` = the mean over its cues of
//!   1 when the cue is found in a focus turn (for `advance`: anywhere), 0.5 when found only
//!   elsewhere, 0 when absent. `stage` = 1 when the call's stage is listed. A kind of
//!   condition the strategy lacks adds nothing, so a specific strategy that matches beats a
//!   generic one.
//! - `priority`: the playbook's base priority.
//!
//! **Order**: higher score, then higher priority, then id ascending. Deterministic.
//!
//! **Diversity**: the objection kinds present (labels with at least one objection) are ordered
//! by conversation score, then their strongest objection, then the fixed label order. Each kind
//! gets its best strategy in that order; remaining places go to the best remaining strategy of
//! any present kind. No kind present: three `advance` strategies. Within each pick a strategy
//! whose (label, approach) is not yet chosen is preferred. A playbook short of strategies for a
//! kind is topped up from `advance`, then from any strategy.

use std::cmp::Ordering;
use std::collections::BTreeSet;

use super::cues::{Cue, Cues};
use super::playbook::{Strategy, StrategyLabel};
use crate::analysis::{LabelScores, Objection};
use crate::label::Label;
use crate::transcript::{Conversation, Role};

/// How many strategies are recommended.
pub const CHOSEN: usize = 3;

const W_LABEL: f32 = 0.5;
const W_FIT: f32 = 0.3;
const W_PRIORITY: f32 = 0.2;
const W_KEYWORDS: f32 = 0.6;
const W_CUES: f32 = 0.25;
const W_STAGE: f32 = 0.15;
const PER_FOCUS_KEYWORD: f32 = 0.5;
const PER_OTHER_KEYWORD: f32 = 0.25;

/// The conversation as the ranking sees it: buyer texts and the objections per label.
pub(crate) struct Evidence<'a> {
    /// Lowercased text of each turn, `None` for seller turns.
    buyer_texts: Vec<Option<String>>,
    objections: &'a [Objection],
}

impl<'a> Evidence<'a> {
    pub(crate) fn new(conversation: &Conversation, objections: &'a [Objection]) -> Evidence<'a> {
        let buyer_texts = conversation
            .turns
            .iter()
            .map(|t| (t.role != Role::Seller).then(|| t.text.to_lowercase()))
            .collect();
        Evidence {
            buyer_texts,
            objections,
        }
    }

    /// The objections of one label, strongest first (then earliest turn).
    pub(crate) fn objections_of(&self, label: Label) -> Vec<&'a Objection> {
        let mut found: Vec<&Objection> = self
            .objections
            .iter()
            .filter(|o| o.label == label)
            .collect();
        found.sort_by(|a, b| {
            clean(b.score)
                .total_cmp(&clean(a.score))
                .then(a.turn.cmp(&b.turn))
        });
        found
    }

    /// The turns an objection strategy answers: its label's objection turns, ascending.
    pub(crate) fn focus_turns(&self, label: StrategyLabel) -> BTreeSet<usize> {
        match label {
            StrategyLabel::Objection(label) => self
                .objections
                .iter()
                .filter(|o| o.label == label)
                .map(|o| o.turn)
                .collect(),
            StrategyLabel::Advance => BTreeSet::new(),
        }
    }

    /// Buyer turns where one of the strategy's keywords occurs.
    pub(crate) fn keyword_turns(&self, strategy: &Strategy) -> Vec<usize> {
        let words: Vec<&str> = strategy.conditions.keywords.iter().collect();
        (self.buyer_texts.iter().enumerate())
            .filter(|(_, text)| text.as_deref().is_some_and(|t| has_any(t, &words)))
            .map(|(turn, _)| turn)
            .collect()
    }

    /// Keyword evidence, 0..1: 0.5 per distinct keyword in the focus, 0.25 per one only
    /// elsewhere on the buyer's side.
    fn keyword_fit(&self, strategy: &Strategy) -> f32 {
        let focus = self.focus_texts(strategy.label);
        let others: Vec<&str> = self
            .buyer_texts
            .iter()
            .flatten()
            .map(String::as_str)
            .collect();
        let (mut in_focus, mut elsewhere) = (0u8, 0u8);
        for word in strategy.conditions.keywords.iter() {
            if focus.iter().any(|t| has_word(t, word)) {
                in_focus = in_focus.saturating_add(1);
            } else if others.iter().any(|t| has_word(t, word)) {
                elsewhere = elsewhere.saturating_add(1);
            }
        }
        let value =
            PER_FOCUS_KEYWORD * f32::from(in_focus) + PER_OTHER_KEYWORD * f32::from(elsewhere);
        value.min(1.0)
    }

    /// The lowercased texts a strategy answers: its label's objection quotes and turns, or
    /// every buyer turn for `advance`.
    fn focus_texts(&self, label: StrategyLabel) -> Vec<String> {
        let StrategyLabel::Objection(label) = label else {
            return self.buyer_texts.iter().flatten().cloned().collect();
        };
        let of_label = self.objections.iter().filter(|o| o.label == label);
        let quotes = of_label.map(|o| o.quote.to_lowercase());
        let turns = self
            .focus_turns(StrategyLabel::Objection(label))
            .into_iter();
        quotes
            .chain(turns.filter_map(|t| self.buyer_texts.get(t).cloned().flatten()))
            .collect()
    }
}

/// A strategy with its ranking score.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scored<'p> {
    pub(crate) strategy: &'p Strategy,
    pub(crate) score: f32,
}

/// A score the model gave, made safe to compare: finite and within 0..1.
fn clean(score: f32) -> f32 {
    if score.is_finite() {
        score.clamp(0.0, 1.0)
    } else {
        0.0
    }
}

/// The probability a strategy's label stands for.
fn label_probability(label: StrategyLabel, scores: &LabelScores) -> f32 {
    match label {
        StrategyLabel::Objection(label) => clean(scores.get(label)),
        StrategyLabel::Advance => {
            let highest = Label::ALL
                .map(|l| clean(scores.get(l)))
                .into_iter()
                .fold(0.0, f32::max);
            1.0 - highest
        }
    }
}

/// How well a strategy's conditions match the conversation, 0..1.
fn fit(strategy: &Strategy, cues: &Cues, evidence: &Evidence<'_>) -> f32 {
    let conditions = &strategy.conditions;
    let keywords = evidence.keyword_fit(strategy);
    let cue_share = match conditions.cues.len() {
        0 => 0.0,
        n => {
            let focus = evidence.focus_turns(strategy.label);
            let each = conditions
                .cues
                .iter()
                .map(|c| cue_value(*c, strategy.label, cues, &focus));
            each.sum::<f32>() / n as f32
        }
    };
    let stage = f32::from(u8::from(conditions.stage.contains(&cues.stage)));
    W_KEYWORDS * keywords + W_CUES * cue_share + W_STAGE * stage
}

/// 1 when a cue is in a focus turn (any turn for `advance`), 0.5 elsewhere, 0 when absent.
fn cue_value(cue: Cue, label: StrategyLabel, cues: &Cues, focus: &BTreeSet<usize>) -> f32 {
    let turns = cues.turns_of(cue);
    if turns.is_empty() {
        0.0
    } else if label == StrategyLabel::Advance || turns.iter().any(|t| focus.contains(t)) {
        1.0
    } else {
        0.5
    }
}

/// Scores one strategy (see the module doc).
pub(crate) fn score<'p>(
    strategy: &'p Strategy,
    scores: &LabelScores,
    cues: &Cues,
    evidence: &Evidence<'_>,
) -> Scored<'p> {
    let p = label_probability(strategy.label, scores);
    let fit = fit(strategy, cues, evidence);
    let score = W_LABEL * p + W_FIT * fit + W_PRIORITY * strategy.priority;
    Scored { strategy, score }
}

/// The objection kinds present, strongest first.
pub(crate) fn kinds_present(scores: &LabelScores, objections: &[Objection]) -> Vec<Label> {
    let strongest = |label: Label| {
        let of_label = objections.iter().filter(|o| o.label == label);
        of_label.map(|o| clean(o.score)).fold(0.0, f32::max)
    };
    let mut kinds: Vec<Label> = Label::ALL
        .into_iter()
        .filter(|l| objections.iter().any(|o| o.label == *l))
        .collect();
    kinds.sort_by(|a, b| {
        let by_score = clean(scores.get(*b)).total_cmp(&clean(scores.get(*a)));
        by_score
            .then(strongest(*b).total_cmp(&strongest(*a)))
            .then(a.cmp(b))
    });
    kinds
}

/// The documented order: higher score, then higher priority, then id ascending.
fn order(a: &Scored<'_>, b: &Scored<'_>) -> Ordering {
    b.score
        .total_cmp(&a.score)
        .then(b.strategy.priority.total_cmp(&a.strategy.priority))
        .then_with(|| a.strategy.id.cmp(&b.strategy.id))
}

/// Picks three strategies by the diversity rule (see the module doc), best first per place.
pub(crate) fn choose<'p>(mut candidates: Vec<Scored<'p>>, kinds: &[Label]) -> Vec<Scored<'p>> {
    candidates.sort_by(order);
    let mut picks = Picks {
        sorted: &candidates,
        chosen: Vec::new(),
    };
    let of_kind = |kind: Label| move |s: &Strategy| s.label == StrategyLabel::Objection(kind);

    if kinds.is_empty() {
        picks.fill(|s| s.label == StrategyLabel::Advance);
    } else {
        for kind in kinds.iter().take(CHOSEN) {
            picks.one(of_kind(*kind));
        }
        picks.fill(|s| matches!(s.label, StrategyLabel::Objection(l) if kinds.contains(&l)));
    }
    picks.fill(|s| s.label == StrategyLabel::Advance);
    picks.fill(|_| true);
    picks.chosen
}

/// The places filled so far, over the candidates in ranking order.
struct Picks<'c, 'p> {
    sorted: &'c [Scored<'p>],
    chosen: Vec<Scored<'p>>,
}

impl<'p> Picks<'_, 'p> {
    /// Chooses the best candidate that passes `filter`, preferring a new approach.
    fn one(&mut self, filter: impl Fn(&Strategy) -> bool) -> bool {
        if self.chosen.len() >= CHOSEN {
            return false;
        }
        let open = |c: &&Scored<'p>| filter(c.strategy) && !self.is_chosen(c.strategy);
        let fresh = self
            .sorted
            .iter()
            .filter(open)
            .find(|c| !self.approach_taken(c.strategy));
        let pick = fresh.or_else(|| self.sorted.iter().find(open)).copied();
        match pick {
            Some(pick) => {
                self.chosen.push(pick);
                true
            }
            None => false,
        }
    }

    /// Chooses until three are chosen or no candidate passes `filter`.
    fn fill(&mut self, filter: impl Fn(&Strategy) -> bool) {
        while self.one(&filter) {}
    }

    fn is_chosen(&self, strategy: &Strategy) -> bool {
        self.chosen.iter().any(|c| c.strategy.id == strategy.id)
    }

    fn approach_taken(&self, strategy: &Strategy) -> bool {
        let key = (strategy.label, &strategy.approach);
        self.chosen
            .iter()
            .any(|c| (c.strategy.label, &c.strategy.approach) == key)
    }
}

/// Whether `text` (lowercased) holds any keyword; a Latin keyword must start a word.
fn has_any(text: &str, words: &[&str]) -> bool {
    words.iter().any(|w| has_word(text, w))
}

fn has_word(text: &str, word: &str) -> bool {
    if !word.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return text.contains(word);
    }
    text.match_indices(word).any(|(at, _)| {
        text[..at]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_ascii_alphanumeric())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin_keywords_start_a_word_chinese_match_anywhere() {
        assert!(has_word("our budget is frozen", "budget"));
        assert!(has_word("budgets", "budget"));
        assert!(!has_word("nobudget", "budget"));
        assert!(has_word("预算今年批完了", "预算"));
        assert!(has_word("跟cfo说", "cfo"));
    }

    #[test]
    fn bad_scores_count_as_zero() {
        assert_eq!(clean(f32::NAN), 0.0);
        assert_eq!(clean(2.0), 1.0);
        assert_eq!(clean(-1.0), 0.0);
        let scores = LabelScores {
            price: f32::NAN,
            technical: 0.25,
            decision_chain: 0.0,
        };
        assert_eq!(label_probability(StrategyLabel::Advance, &scores), 0.75);
    }
}
