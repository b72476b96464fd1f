//! Slot filling: turns a strategy's bilingual templates into text in the conversation's language.
//!
//! A template refers to a slot as `{name}`. Each slot takes its value from the conversation
//! (the buyer's quote, a stakeholder named, …) or, when the conversation has none, the
//! playbook's neutral fallback for that slot and language. Values are inserted in one pass, so
//! a buyer who happens to say `{date}` is quoted, not expanded.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;
use std::sync::LazyLock;

use regex::{Captures, Regex};

use super::cues::{Cues, Mention};
use super::playbook::{Strategy, StrategyLabel};
use super::rank::{Evidence, Scored};
use crate::analysis::{Objection, Recommendation};
use crate::transcript::{Conversation, Language};

/// The language strategies are written in: `mixed` conversations are answered in Chinese.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    /// English.
    En,
    /// Chinese.
    Zh,
}

impl Lang {
    /// The output language for a conversation's language (FORMATS.md §3: `mixed` uses `zh`).
    pub fn of(language: Language) -> Lang {
        match language {
            Language::En => Lang::En,
            Language::Zh | Language::Mixed => Lang::Zh,
        }
    }

    /// The language's key in the playbook (`en` or `zh`).
    pub fn as_str(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh",
        }
    }
}

/// A piece of playbook text in both output languages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    /// English.
    pub en: String,
    /// Chinese.
    pub zh: String,
}

impl Text {
    /// The text in one language.
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => &self.en,
            Lang::Zh => &self.zh,
        }
    }
}

/// A value a template can ask for; the only names allowed between braces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Slot {
    /// The buyer's own words from the objection turn, in quotation marks.
    Quote,
    /// The buyer who raised the objection.
    Speaker,
    /// One or two stakeholders named in the conversation (CFO, procurement, 领导…).
    Stakeholder,
    /// A competing or incumbent vendor the buyer named.
    Competitor,
    /// A money amount mentioned ($40k, ¥50万…).
    Amount,
    /// A seat or user count (50 seats, 30个账号…).
    Seats,
    /// A date or period mentioned (Q3, next quarter, 年底…).
    Date,
    /// Systems of the buyer's stack that were named (SAP, Salesforce, 钉钉…).
    TheirStack,
}

impl Slot {
    /// Every slot, in a fixed order.
    pub const ALL: [Slot; 8] = [
        Slot::Quote,
        Slot::Speaker,
        Slot::Stakeholder,
        Slot::Competitor,
        Slot::Amount,
        Slot::Seats,
        Slot::Date,
        Slot::TheirStack,
    ];

    /// The slot's name as written between braces.
    pub fn as_str(self) -> &'static str {
        match self {
            Slot::Quote => "quote",
            Slot::Speaker => "speaker",
            Slot::Stakeholder => "stakeholder",
            Slot::Competitor => "competitor",
            Slot::Amount => "amount",
            Slot::Seats => "seats",
            Slot::Date => "date",
            Slot::TheirStack => "their_stack",
        }
    }
}

impl fmt::Display for Slot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Slot {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Slot::ALL
            .into_iter()
            .find(|slot| slot.as_str() == s)
            .ok_or(())
    }
}

/// Anything between braces counts as a slot reference, so a typo such as `{Stakeholder}` is
/// caught by validation instead of leaking into the output.
static SLOT_REF: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\{([^{}]*)\}").expect("valid built-in pattern"));

/// The names between braces in a template, in order of appearance.
pub(crate) fn slot_refs(template: &str) -> impl Iterator<Item = &str> {
    SLOT_REF
        .captures_iter(template)
        .filter_map(|c| c.get(1))
        .map(|m| m.as_str())
}

/// Values found in the conversation for one strategy, in one language.
pub(crate) type SlotValues = BTreeMap<Slot, String>;

/// Fills every `{slot}` of `template`: the conversation's value, else the playbook fallback.
///
/// Validation guarantees that every name is a known slot with a fallback; a name that is
/// neither is dropped rather than shown raw.
pub(crate) fn fill(
    template: &str,
    values: &SlotValues,
    fallbacks: &BTreeMap<Slot, Text>,
    lang: Lang,
) -> String {
    SLOT_REF
        .replace_all(template, |caps: &Captures<'_>| {
            let Ok(slot) = caps[1].parse::<Slot>() else {
                return String::new();
            };
            match values.get(&slot) {
                Some(value) => value.clone(),
                None => fallbacks
                    .get(&slot)
                    .map(|t| t.get(lang).to_string())
                    .unwrap_or_default(),
            }
        })
        .into_owned()
}

/// At most this many characters of a buyer's turn are quoted.
const QUOTE_CHARS: usize = 120;

/// The buyer's words in the language's quotation marks, shortened at a character boundary.
pub(crate) fn quoted(words: &str, lang: Lang) -> String {
    let words = words.trim();
    let mut short: String = words.chars().take(QUOTE_CHARS).collect();
    if words.chars().count() > QUOTE_CHARS {
        short.push('…');
    }
    match lang {
        Lang::En => format!("\"{short}\""),
        Lang::Zh => format!("“{short}”"),
    }
}

/// Joins one or two names the way the language lists them ("A and B", "A和B").
pub(crate) fn join_names(names: &[&str], lang: Lang) -> String {
    match (names, lang) {
        ([first, second, ..], Lang::En) => format!("{first} and {second}"),
        ([first, second, ..], Lang::Zh) => format!("{first}和{second}"),
        ([only], _) => (*only).to_string(),
        ([], _) => String::new(),
    }
}

/// What rendering one strategy needs besides the strategy.
pub(crate) struct RenderContext<'a> {
    pub(crate) lang: Lang,
    pub(crate) conversation: &'a Conversation,
    pub(crate) cues: &'a Cues,
    pub(crate) evidence: &'a Evidence<'a>,
    pub(crate) fallbacks: &'a BTreeMap<Slot, Text>,
}

/// One chosen strategy, written out in the conversation's language with its evidence.
pub(crate) fn recommendation(
    rank: usize,
    scored: Scored<'_>,
    ctx: &RenderContext<'_>,
) -> Recommendation {
    let strategy = scored.strategy;
    let focus = match strategy.label {
        StrategyLabel::Objection(label) => ctx.evidence.objections_of(label),
        StrategyLabel::Advance => Vec::new(),
    };
    let evidence: Vec<usize> = match strategy.label {
        StrategyLabel::Objection(_) => ctx
            .evidence
            .focus_turns(strategy.label)
            .into_iter()
            .collect(),
        StrategyLabel::Advance => ctx.evidence.keyword_turns(strategy),
    };

    let values = slot_values(strategy, &focus, &evidence, ctx);
    let fill = |text: &Text| fill(text.get(ctx.lang), &values, ctx.fallbacks, ctx.lang);
    let lead = match focus.first() {
        Some(first) => objection_lead(first, &evidence, ctx),
        None => advance_lead(&evidence, ctx),
    };

    Recommendation {
        rank,
        id: strategy.id.clone(),
        label: strategy.label.as_str().to_string(),
        score: (scored.score * 1000.0).round() / 1000.0,
        title: fill(&strategy.title),
        why: format!("{lead}{}", fill(&strategy.why)),
        steps: strategy.steps.iter().map(&fill).collect(),
        talk_track: fill(&strategy.talk_track),
        evidence,
    }
}

/// `Buyer (Dana, turn 7): "…" (also turns 3, 9) — `, citing the strongest objection.
fn objection_lead(first: &Objection, turns: &[usize], ctx: &RenderContext<'_>) -> String {
    let speaker = first
        .speaker
        .clone()
        .or_else(|| speaker_of(ctx.conversation, first.turn));
    let others: Vec<String> = turns
        .iter()
        .filter(|t| **t != first.turn)
        .map(ToString::to_string)
        .collect();
    let quote = first.quote.trim();
    let said = if quote.is_empty() {
        String::new()
    } else {
        quoted(quote, ctx.lang)
    };
    match ctx.lang {
        Lang::En => english_lead(speaker, first.turn, &said, &others),
        Lang::Zh => chinese_lead(speaker, first.turn, &said, &others),
    }
}

fn english_lead(speaker: Option<String>, turn: usize, said: &str, others: &[String]) -> String {
    let who = speaker.map(|s| format!("{s}, ")).unwrap_or_default();
    let said = if said.is_empty() {
        String::new()
    } else {
        format!(": {said}")
    };
    let also = match others {
        [] => String::new(),
        [one] => format!(" (also turn {one})"),
        many => format!(" (also turns {})", many.join(", ")),
    };
    format!("Buyer ({who}turn {turn}){said}{also} — ")
}

fn chinese_lead(speaker: Option<String>, turn: usize, said: &str, others: &[String]) -> String {
    let who = speaker.map(|s| format!("{s}，")).unwrap_or_default();
    let said = if said.is_empty() {
        String::new()
    } else {
        format!("：{said}")
    };
    let also = match others {
        [] => String::new(),
        many => format!("（另见第{}轮）", many.join("、")),
    };
    format!("客户（{who}第{turn}轮）{said}{also}——")
}

/// Says that no objection was found and, when a buyer turn points to the strategy, cites it.
fn advance_lead(turns: &[usize], ctx: &RenderContext<'_>) -> String {
    let cited = turns
        .first()
        .and_then(|t| Some((*t, ctx.conversation.turns.get(*t)?)));
    match (ctx.lang, cited) {
        (Lang::En, None) => "No objection was found in this call. ".to_string(),
        (Lang::Zh, None) => "本次通话没有发现异议。".to_string(),
        (Lang::En, Some((n, turn))) => {
            let who = turn
                .speaker
                .as_ref()
                .map(|s| format!("{s}, "))
                .unwrap_or_default();
            let said = quoted(&turn.text, Lang::En);
            format!("No objection was found in this call. Buyer ({who}turn {n}): {said} — ")
        }
        (Lang::Zh, Some((n, turn))) => {
            let who = turn
                .speaker
                .as_ref()
                .map(|s| format!("{s}，"))
                .unwrap_or_default();
            let said = quoted(&turn.text, Lang::Zh);
            format!("本次通话没有发现异议。客户（{who}第{n}轮）：{said}——")
        }
    }
}

fn speaker_of(conversation: &Conversation, turn: usize) -> Option<String> {
    conversation.turns.get(turn).and_then(|t| t.speaker.clone())
}

/// The conversation's value for each slot the strategy lists; absent ones fall back later.
fn slot_values(
    strategy: &Strategy,
    focus: &[&Objection],
    turns: &[usize],
    ctx: &RenderContext<'_>,
) -> SlotValues {
    let focus_turns: BTreeSet<usize> = turns.iter().copied().collect();
    let mut values = SlotValues::new();
    for slot in &strategy.slots {
        let value = match slot {
            Slot::Quote => quote_value(focus, turns, ctx),
            Slot::Speaker => speaker_value(focus, turns, ctx),
            Slot::Stakeholder | Slot::TheirStack => {
                pick(ctx.cues.for_slot(*slot), &focus_turns, ctx.lang, 2)
            }
            Slot::Date => {
                // Texts say "by {date}": a date that is itself "after …" reads wrong there.
                let dates: Vec<Mention> = (ctx.cues.dates.iter())
                    .filter(|m| !m.en.starts_with("after "))
                    .cloned()
                    .collect();
                pick(&dates, &focus_turns, ctx.lang, 1)
            }
            _ => pick(ctx.cues.for_slot(*slot), &focus_turns, ctx.lang, 1),
        };
        if let Some(value) = value.filter(|v| !v.trim().is_empty()) {
            values.insert(*slot, value);
        }
    }
    values
}

fn quote_value(focus: &[&Objection], turns: &[usize], ctx: &RenderContext<'_>) -> Option<String> {
    let words = match focus.first() {
        Some(first) => first.quote.clone(),
        None => ctx.conversation.turns.get(*turns.first()?)?.text.clone(),
    };
    (!words.trim().is_empty()).then(|| quoted(&words, ctx.lang))
}

fn speaker_value(focus: &[&Objection], turns: &[usize], ctx: &RenderContext<'_>) -> Option<String> {
    match focus.first() {
        Some(first) => first
            .speaker
            .clone()
            .or_else(|| speaker_of(ctx.conversation, first.turn)),
        None => speaker_of(ctx.conversation, *turns.first()?),
    }
}

/// Up to `max` distinct mentions: those in the focus turns first, then buyer turns, then the
/// rest, each group in turn order.
fn pick(mentions: &[Mention], focus: &BTreeSet<usize>, lang: Lang, max: usize) -> Option<String> {
    let mut ordered: Vec<&Mention> = mentions.iter().collect();
    ordered.sort_by_key(|m| (!focus.contains(&m.turn), !m.buyer, m.turn));
    let mut names: Vec<&str> = Vec::new();
    for mention in ordered {
        let name = mention.get(lang);
        if names.len() < max && !names.iter().any(|n| n.eq_ignore_ascii_case(name)) {
            names.push(name);
        }
    }
    (!names.is_empty()).then(|| join_names(&names, lang))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fallbacks() -> BTreeMap<Slot, Text> {
        let text = Text {
            en: "the other decision makers".into(),
            zh: "其他决策人".into(),
        };
        BTreeMap::from([(Slot::Stakeholder, text)])
    }

    #[test]
    fn fills_values_then_fallbacks() {
        let values = SlotValues::from([(Slot::Date, "Q3".to_string())]);
        let out = fill(
            "Brief {stakeholder} before {date}.",
            &values,
            &fallbacks(),
            Lang::En,
        );
        assert_eq!(out, "Brief the other decision makers before Q3.");
        let out = fill("先和{stakeholder}沟通", &values, &fallbacks(), Lang::Zh);
        assert_eq!(out, "先和其他决策人沟通");
    }

    #[test]
    fn inserted_values_are_not_expanded_again() {
        let values = SlotValues::from([(Slot::Quote, "\"{date}\"".to_string())]);
        assert_eq!(
            fill("{quote}", &values, &fallbacks(), Lang::En),
            "\"{date}\""
        );
    }

    #[test]
    fn unknown_names_are_dropped_not_shown() {
        assert_eq!(
            fill("a{nope}b", &SlotValues::new(), &fallbacks(), Lang::En),
            "ab"
        );
    }

    #[test]
    fn quotes_are_shortened_on_char_boundaries() {
        let long = "预".repeat(200);
        let q = quoted(&long, Lang::Zh);
        assert_eq!(q.chars().count(), QUOTE_CHARS + 3);
        assert!(q.ends_with("…”"));
        assert_eq!(quoted(" fine ", Lang::En), "\"fine\"");
    }

    #[test]
    fn names_join_per_language() {
        assert_eq!(
            join_names(&["the CFO", "legal"], Lang::En),
            "the CFO and legal"
        );
        assert_eq!(join_names(&["财务", "采购"], Lang::Zh), "财务和采购");
    }

    #[test]
    fn slot_names_round_trip() {
        for slot in Slot::ALL {
            assert_eq!(slot.as_str().parse::<Slot>(), Ok(slot));
        }
        let refs: Vec<&str> = slot_refs("x {quote} y {Bad Name} z").collect();
        assert_eq!(refs, ["quote", "Bad Name"]);
    }
}
