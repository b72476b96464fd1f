//! Playbook types, loading and validation.
//!
//! Validation reports every problem it finds, each naming the strategy and the field
//! (``strategy `price.roi-case`: field `talk_track.zh` is missing``), so that a playbook
//! author can fix a file in one pass.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use serde::Deserialize;

use super::cues::{Cue, Stage};
use super::render::{slot_refs, Lang, Slot, Text};
use crate::label::Label;

/// The playbook built into the binary.
const BUILTIN_TOML: &str = include_str!("playbook.toml");

/// Where the built-in playbook says it came from in messages.
const BUILTIN_ORIGIN: &str = "built-in playbook";

/// The fewest and most steps a strategy may have.
pub const STEPS: std::ops::RangeInclusive<usize> = 2..=5;

/// The fewest `advance` strategies a complete playbook needs: a call without objections
/// still gets three strategies.
pub const MIN_ADVANCE: usize = 3;

/// What a strategy answers: one objection label, or `advance` when no objection was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StrategyLabel {
    /// Answers one objection kind.
    Objection(Label),
    /// Moves a deal forward when the call showed no objection.
    Advance,
}

impl StrategyLabel {
    /// The name used in playbooks and in `Recommendation::label`.
    pub fn as_str(self) -> &'static str {
        match self {
            StrategyLabel::Objection(label) => label.as_str(),
            StrategyLabel::Advance => "advance",
        }
    }

    fn parse(name: &str) -> Option<StrategyLabel> {
        match name {
            "advance" => Some(StrategyLabel::Advance),
            other => other.parse().ok().map(StrategyLabel::Objection),
        }
    }
}

impl fmt::Display for StrategyLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Words in the buyer's turns that make a strategy fit, stored lowercased.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Keywords {
    /// English keywords, matched at the start of a word.
    pub en: Vec<String>,
    /// Chinese keywords, matched anywhere.
    pub zh: Vec<String>,
}

impl Keywords {
    /// Both lists, English first.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.en.iter().chain(&self.zh).map(String::as_str)
    }

    /// Whether there are no keywords.
    pub fn is_empty(&self) -> bool {
        self.en.is_empty() && self.zh.is_empty()
    }
}

/// What in a conversation makes a strategy fit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Conditions {
    /// Cues whose presence makes it fit (see [`super::cues`]).
    pub cues: Vec<Cue>,
    /// Call stages it suits.
    pub stage: Vec<Stage>,
    /// Words in the buyer's turns that point to it.
    pub keywords: Keywords,
}

/// One follow-up strategy of the playbook.
#[derive(Debug, Clone, PartialEq)]
pub struct Strategy {
    /// Unique id, e.g. `price.phase-the-spend`.
    pub id: String,
    /// The label it answers.
    pub label: StrategyLabel,
    /// Its family of approach; at most one strategy per approach is chosen while others remain.
    pub approach: String,
    /// Base priority, 0 to 1.
    pub priority: f32,
    /// Short title.
    pub title: Text,
    /// Why it works.
    pub why: Text,
    /// Concrete steps for the seller, 2 to 5.
    pub steps: Vec<Text>,
    /// What the seller can say.
    pub talk_track: Text,
    /// Slots its texts use.
    pub slots: Vec<Slot>,
    /// What makes it fit.
    pub conditions: Conditions,
}

/// How a user playbook combines with the built-in one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Adds strategies and fallbacks to the built-in playbook; a strategy with a built-in id
    /// replaces that one, and `disable` removes built-in strategies.
    Extend,
    /// Stands alone and must be complete.
    Replace,
}

/// A validated set of strategies with the neutral wording for every slot.
#[derive(Debug, Clone, PartialEq)]
pub struct Playbook {
    origin: String,
    strategies: Vec<Strategy>,
    fallbacks: BTreeMap<Slot, Text>,
}

static BUILTIN: LazyLock<Playbook> = LazyLock::new(|| {
    Playbook::from_toml(BUILTIN_TOML, BUILTIN_ORIGIN)
        .unwrap_or_else(|e| panic!("the built-in playbook is invalid: {e}"))
});

impl Playbook {
    /// The playbook built into the binary (src/strategy/playbook.toml).
    pub fn builtin() -> Playbook {
        BUILTIN.clone()
    }

    /// Parses and validates a playbook, applying its `mode` (default `extend`).
    pub fn from_toml(text: &str, origin: &str) -> Result<Playbook, PlaybookError> {
        build(text, origin)
            .map(|(playbook, _)| playbook)
            .map_err(|errors| collapse(origin, errors))
    }

    /// Reads a user playbook file; it replaces or extends the built-in one per its `mode`.
    pub fn load(path: &Path) -> Result<Playbook, PlaybookError> {
        let text = read(path)?;
        Playbook::from_toml(&text, &path.display().to_string())
    }

    /// Number of strategies.
    pub fn len(&self) -> usize {
        self.strategies.len()
    }

    /// Whether there are no strategies (never true for a validated playbook).
    pub fn is_empty(&self) -> bool {
        self.strategies.is_empty()
    }

    /// The strategies, in file order (the built-in ones first when extended).
    pub fn strategies(&self) -> &[Strategy] {
        &self.strategies
    }

    /// The strategy with this id.
    pub fn get(&self, id: &str) -> Option<&Strategy> {
        self.strategies.iter().find(|s| s.id == id)
    }

    /// The neutral wording for a slot the conversation gives no value for.
    pub fn fallback(&self, slot: Slot) -> Option<&Text> {
        self.fallbacks.get(&slot)
    }

    /// Where the playbook came from (a path, or `built-in playbook`).
    pub fn origin(&self) -> &str {
        &self.origin
    }

    pub(crate) fn fallbacks(&self) -> &BTreeMap<Slot, Text> {
        &self.fallbacks
    }
}

/// Validates a playbook file, reporting every error; on success, the number of strategies
/// the file itself defines.
pub fn check_file(path: &Path) -> Result<usize, Vec<PlaybookError>> {
    let text = read(path).map_err(|e| vec![e])?;
    check(&text, &path.display().to_string())
}

/// Validates playbook text, reporting every error; on success, the number of strategies it
/// defines.
pub fn check(text: &str, origin: &str) -> Result<usize, Vec<PlaybookError>> {
    build(text, origin).map(|(_, count)| count)
}

/// Why a playbook was refused.
#[derive(Debug, thiserror::Error)]
pub enum PlaybookError {
    /// The file could not be read.
    #[error("cannot read playbook `{}`: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// Not TOML, or a key or value of the wrong kind.
    #[error("playbook `{origin}` is not a valid playbook file: {message}")]
    Syntax {
        /// The file.
        origin: String,
        /// The TOML parser's message, with line and column.
        message: String,
    },
    /// `mode` is neither `extend` nor `replace`.
    #[error("playbook `{origin}`: unknown mode `{mode}` (expected \"extend\" or \"replace\")")]
    UnknownMode {
        /// The file.
        origin: String,
        /// The value given.
        mode: String,
    },
    /// `disable` given in a playbook that replaces the built-in one.
    #[error("playbook `{origin}`: `disable` only applies with mode = \"extend\"")]
    DisableWithoutExtend {
        /// The file.
        origin: String,
    },
    /// `disable` names a strategy the built-in playbook does not have.
    #[error("playbook `{origin}`: `disable` names `{id}`, which is not a built-in strategy")]
    UnknownDisabled {
        /// The file.
        origin: String,
        /// The id given.
        id: String,
    },
    /// A required field is absent.
    #[error("strategy `{id}`: field `{field}` is missing")]
    MissingField {
        /// The strategy's id (`#N` for the N-th strategy when it has none).
        id: String,
        /// The field, e.g. `talk_track.zh`.
        field: String,
    },
    /// A text field holds only whitespace.
    #[error("strategy `{id}`: field `{field}` is empty")]
    EmptyField {
        /// The strategy's id.
        id: String,
        /// The field, e.g. `steps.en[2]`.
        field: String,
    },
    /// `label` is not one of the three labels or `advance`.
    #[error(
        "strategy `{id}`: field `label` has unknown label `{label}` \
         (expected price, technical, decision_chain or advance)"
    )]
    UnknownLabel {
        /// The strategy's id.
        id: String,
        /// The value given.
        label: String,
    },
    /// Two strategies of one file share an id.
    #[error("strategy `{id}`: duplicate id (an id may appear once in a playbook file)")]
    DuplicateId {
        /// The repeated id.
        id: String,
    },
    /// An id with characters other than letters, digits, `.`, `_` and `-`.
    #[error("strategy `{id}`: field `id` may hold only letters, digits, `.`, `_` and `-`")]
    BadId {
        /// The id given.
        id: String,
    },
    /// A text uses a name between braces that is not a slot.
    #[error(
        "strategy `{id}`: field `{field}` uses unknown slot `{{{slot}}}` (known: {known})",
        known = slot_names()
    )]
    UnknownSlot {
        /// The strategy's id.
        id: String,
        /// The field, e.g. `why.en` or `slots`.
        field: String,
        /// The name between braces.
        slot: String,
    },
    /// A text uses a slot that the strategy's `slots` does not list.
    #[error(
        "strategy `{id}`: field `{field}` uses slot `{{{slot}}}`, which `slots` does not list"
    )]
    UndeclaredSlot {
        /// The strategy's id.
        id: String,
        /// The field.
        field: String,
        /// The slot.
        slot: Slot,
    },
    /// Fewer than 2 or more than 5 steps.
    #[error(
        "strategy `{id}`: field `{field}` has {count} step{} (expected 2 to 5)",
        plural(*.count)
    )]
    StepCount {
        /// The strategy's id.
        id: String,
        /// `steps.en` or `steps.zh`.
        field: String,
        /// How many there are.
        count: usize,
    },
    /// The English and Chinese steps differ in number.
    #[error(
        "strategy `{id}`: fields `steps.en` and `steps.zh` have {en} and {zh} steps \
         (they must match)"
    )]
    StepMismatch {
        /// The strategy's id.
        id: String,
        /// Number of English steps.
        en: usize,
        /// Number of Chinese steps.
        zh: usize,
    },
    /// A cue or stage name that is not known.
    #[error(
        "strategy `{id}`: field `{field}` has unknown value `{value}` (expected one of {expected})"
    )]
    UnknownValue {
        /// The strategy's id.
        id: String,
        /// `conditions.cues` or `conditions.stage`.
        field: String,
        /// The value given.
        value: String,
        /// The values allowed.
        expected: String,
    },
    /// `priority` outside 0 to 1.
    #[error("strategy `{id}`: field `priority` is {value} (expected 0 to 1)")]
    BadPriority {
        /// The strategy's id.
        id: String,
        /// The value given.
        value: f64,
    },
    /// A `[fallback]` entry is missing, empty, unknown or uses a slot itself.
    #[error("field `{field}` {problem}")]
    Fallback {
        /// The field, e.g. `fallback.stakeholder.zh`.
        field: String,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// A complete playbook lacks strategies for a label.
    #[error(
        "playbook `{origin}` has {found} `{label}` strategies; \
         a complete playbook needs at least {needed}"
    )]
    TooFew {
        /// The playbook.
        origin: String,
        /// The label short of strategies.
        label: StrategyLabel,
        /// How many it has.
        found: usize,
        /// How many it needs.
        needed: usize,
    },
    /// Several of the errors above.
    #[error("playbook `{origin}` has {} errors:{}", .errors.len(), bullets(.errors))]
    Invalid {
        /// The playbook.
        origin: String,
        /// Every error found.
        errors: Vec<PlaybookError>,
    },
}

fn plural(count: usize) -> &'static str {
    if count == 1 {
        ""
    } else {
        "s"
    }
}

fn slot_names() -> String {
    Slot::ALL.map(Slot::as_str).join(", ")
}

fn bullets(errors: &[PlaybookError]) -> String {
    errors.iter().map(|e| format!("\n  - {e}")).collect()
}

/// One error as is; several as [`PlaybookError::Invalid`].
fn collapse(origin: &str, mut errors: Vec<PlaybookError>) -> PlaybookError {
    match errors.len() {
        1 => errors.remove(0),
        _ => PlaybookError::Invalid {
            origin: origin.to_string(),
            errors,
        },
    }
}

fn read(path: &Path) -> Result<String, PlaybookError> {
    std::fs::read_to_string(path).map_err(|source| PlaybookError::Read {
        path: path.to_path_buf(),
        source,
    })
}

// The file as written; every field optional so that validation can name what is missing.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPlaybook {
    mode: Option<String>,
    #[serde(default)]
    disable: Vec<String>,
    #[serde(default)]
    fallback: BTreeMap<String, RawText>,
    #[serde(default)]
    strategy: Vec<RawStrategy>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawText {
    en: Option<String>,
    zh: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSteps {
    en: Option<Vec<String>>,
    zh: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStrategy {
    id: Option<String>,
    label: Option<String>,
    approach: Option<String>,
    priority: Option<f64>,
    title: Option<RawText>,
    why: Option<RawText>,
    steps: Option<RawSteps>,
    talk_track: Option<RawText>,
    #[serde(default)]
    slots: Vec<String>,
    #[serde(default)]
    conditions: RawConditions,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawConditions {
    #[serde(default)]
    cues: Vec<String>,
    #[serde(default)]
    stage: Vec<String>,
    #[serde(default)]
    keywords: RawKeywords,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawKeywords {
    #[serde(default)]
    en: Vec<String>,
    #[serde(default)]
    zh: Vec<String>,
}

/// A file whose every part validated, before its mode is applied.
struct PlaybookFile {
    mode: Mode,
    disable: Vec<String>,
    fallbacks: BTreeMap<Slot, Text>,
    strategies: Vec<Strategy>,
}

/// Parses, validates and applies the mode; on success also the file's own strategy count.
fn build(text: &str, origin: &str) -> Result<(Playbook, usize), Vec<PlaybookError>> {
    let raw: RawPlaybook = toml::from_str(text).map_err(|e| {
        let message = e.to_string().trim_end().to_string();
        vec![PlaybookError::Syntax {
            origin: origin.to_string(),
            message,
        }]
    })?;

    let file = validate_file(raw, origin)?;
    let count = file.strategies.len();
    let playbook = assemble(file, origin)?;
    Ok((playbook, count))
}

fn validate_file(raw: RawPlaybook, origin: &str) -> Result<PlaybookFile, Vec<PlaybookError>> {
    let mut errors = Vec::new();
    let mode = validate_mode(raw.mode.as_deref(), &raw.disable, origin, &mut errors);
    let fallbacks = validate_fallbacks(raw.fallback, &mut errors);
    let strategies = validate_strategies(raw.strategy, &mut errors);
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(PlaybookFile {
        mode,
        disable: raw.disable,
        fallbacks,
        strategies,
    })
}

/// The file's mode (`extend` when absent), with `disable` checked against it.
fn validate_mode(
    raw: Option<&str>,
    disable: &[String],
    origin: &str,
    errors: &mut Vec<PlaybookError>,
) -> Mode {
    let origin = origin.to_string();
    let mode = match raw {
        None | Some("extend") => Mode::Extend,
        Some("replace") => Mode::Replace,
        Some(other) => {
            let mode = other.to_string();
            errors.push(PlaybookError::UnknownMode {
                origin: origin.clone(),
                mode,
            });
            Mode::Extend
        }
    };

    if mode == Mode::Replace && !disable.is_empty() {
        errors.push(PlaybookError::DisableWithoutExtend { origin });
    } else if mode == Mode::Extend {
        let builtin = Playbook::builtin();
        for id in disable.iter().filter(|id| builtin.get(id).is_none()) {
            let (origin, id) = (origin.clone(), id.clone());
            errors.push(PlaybookError::UnknownDisabled { origin, id });
        }
    }
    mode
}

fn validate_fallbacks(
    raw: BTreeMap<String, RawText>,
    errors: &mut Vec<PlaybookError>,
) -> BTreeMap<Slot, Text> {
    let mut fallbacks = BTreeMap::new();
    for (name, text) in raw {
        let Ok(slot) = name.parse::<Slot>() else {
            let field = format!("fallback.{name}");
            errors.push(PlaybookError::Fallback {
                field,
                problem: "names no known slot",
            });
            continue;
        };
        let en = fallback_text(&name, Lang::En, text.en, errors);
        let zh = fallback_text(&name, Lang::Zh, text.zh, errors);
        if let (Some(en), Some(zh)) = (en, zh) {
            fallbacks.insert(slot, Text { en, zh });
        }
    }
    fallbacks
}

fn fallback_text(
    name: &str,
    lang: Lang,
    raw: Option<String>,
    errors: &mut Vec<PlaybookError>,
) -> Option<String> {
    let field = format!("fallback.{name}.{}", lang.as_str());
    let problem = match raw.as_deref().map(|s| normalize(s, lang)) {
        None => "is missing",
        Some(s) if s.is_empty() => "is empty",
        Some(s) if slot_refs(&s).next().is_some() => "must not use slots",
        Some(s) => return Some(s),
    };
    errors.push(PlaybookError::Fallback { field, problem });
    None
}

fn validate_strategies(raw: Vec<RawStrategy>, errors: &mut Vec<PlaybookError>) -> Vec<Strategy> {
    let mut seen = BTreeSet::new();
    let mut strategies = Vec::new();
    for (i, raw) in raw.into_iter().enumerate() {
        if let Some(id) = raw.id.as_deref().map(str::trim) {
            if !seen.insert(id.to_string()) {
                errors.push(PlaybookError::DuplicateId { id: id.to_string() });
            }
        }
        let mut check = StrategyCheck::new(raw.id.as_deref(), i + 1);
        let strategy = check.strategy(raw);
        errors.append(&mut check.errors);
        strategies.extend(strategy);
    }
    strategies
}

/// Collects the errors of one strategy while building it.
struct StrategyCheck {
    id: String,
    declared: Vec<Slot>,
    errors: Vec<PlaybookError>,
}

impl StrategyCheck {
    fn new(id: Option<&str>, position: usize) -> StrategyCheck {
        let id = match id.map(str::trim) {
            Some(id) if !id.is_empty() => id.to_string(),
            _ => format!("#{position}"),
        };
        StrategyCheck {
            id,
            declared: Vec::new(),
            errors: Vec::new(),
        }
    }

    /// The strategy, or `None` when any field is wrong (the errors are in `self.errors`).
    fn strategy(&mut self, raw: RawStrategy) -> Option<Strategy> {
        self.check_id(raw.id.as_deref());
        let label = self.label(raw.label.as_deref());
        self.declared = self.slots(&raw.slots);
        let priority = self.priority(raw.priority);

        let title = self.text("title", raw.title);
        let why = self.text("why", raw.why);
        let steps = self.steps(raw.steps);
        let talk_track = self.text("talk_track", raw.talk_track);
        let conditions = self.conditions(raw.conditions);

        let approach = raw
            .approach
            .map(|a| a.trim().to_string())
            .filter(|a| !a.is_empty());
        let strategy = Strategy {
            approach: approach.unwrap_or_else(|| self.id.clone()),
            id: self.id.clone(),
            label: label?,
            priority,
            title: title?,
            why: why?,
            steps: steps?,
            talk_track: talk_track?,
            slots: self.declared.clone(),
            conditions,
        };
        self.errors.is_empty().then_some(strategy)
    }

    fn push(&mut self, error: PlaybookError) {
        self.errors.push(error);
    }

    fn missing(&mut self, field: &str) {
        let (id, field) = (self.id.clone(), field.to_string());
        self.push(PlaybookError::MissingField { id, field });
    }

    fn check_id(&mut self, id: Option<&str>) {
        let Some(id) = id.map(str::trim).filter(|id| !id.is_empty()) else {
            return self.missing("id");
        };
        let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
        if !id.chars().all(allowed) {
            self.push(PlaybookError::BadId { id: id.to_string() });
        }
    }

    fn label(&mut self, raw: Option<&str>) -> Option<StrategyLabel> {
        let Some(raw) = raw else {
            self.missing("label");
            return None;
        };
        let label = StrategyLabel::parse(raw.trim());
        if label.is_none() {
            let (id, label) = (self.id.clone(), raw.to_string());
            self.push(PlaybookError::UnknownLabel { id, label });
        }
        label
    }

    fn slots(&mut self, raw: &[String]) -> Vec<Slot> {
        let mut slots = Vec::new();
        for name in raw {
            match name.trim().parse::<Slot>() {
                Ok(slot) if !slots.contains(&slot) => slots.push(slot),
                Ok(_) => {}
                Err(()) => {
                    let (id, slot) = (self.id.clone(), name.clone());
                    self.push(PlaybookError::UnknownSlot {
                        id,
                        field: "slots".into(),
                        slot,
                    });
                }
            }
        }
        slots
    }

    fn priority(&mut self, raw: Option<f64>) -> f32 {
        const DEFAULT: f32 = 0.5;
        match raw {
            None => DEFAULT,
            Some(value) if (0.0..=1.0).contains(&value) => value as f32,
            Some(value) => {
                self.push(PlaybookError::BadPriority {
                    id: self.id.clone(),
                    value,
                });
                DEFAULT
            }
        }
    }

    fn text(&mut self, field: &str, raw: Option<RawText>) -> Option<Text> {
        let Some(raw) = raw else {
            self.missing(field);
            return None;
        };
        let en = self.string(&format!("{field}.en"), raw.en.as_deref(), Lang::En);
        let zh = self.string(&format!("{field}.zh"), raw.zh.as_deref(), Lang::Zh);
        Some(Text { en: en?, zh: zh? })
    }

    /// One text, normalised, with its slot references checked.
    fn string(&mut self, field: &str, raw: Option<&str>, lang: Lang) -> Option<String> {
        let Some(raw) = raw else {
            self.missing(field);
            return None;
        };
        let text = normalize(raw, lang);
        if text.is_empty() {
            let (id, field) = (self.id.clone(), field.to_string());
            self.push(PlaybookError::EmptyField { id, field });
            return None;
        }
        self.check_refs(field, &text);
        Some(text)
    }

    fn check_refs(&mut self, field: &str, text: &str) {
        for name in slot_refs(text) {
            let (id, field) = (self.id.clone(), field.to_string());
            match name.parse::<Slot>() {
                Err(()) => self.push(PlaybookError::UnknownSlot {
                    id,
                    field,
                    slot: name.into(),
                }),
                Ok(slot) if !self.declared.contains(&slot) => {
                    self.push(PlaybookError::UndeclaredSlot { id, field, slot })
                }
                Ok(_) => {}
            }
        }
    }

    fn steps(&mut self, raw: Option<RawSteps>) -> Option<Vec<Text>> {
        let Some(raw) = raw else {
            self.missing("steps");
            return None;
        };
        let en = self.step_list(Lang::En, raw.en);
        let zh = self.step_list(Lang::Zh, raw.zh);
        let (en, zh) = (en?, zh?);
        if en.len() != zh.len() {
            let (id, en, zh) = (self.id.clone(), en.len(), zh.len());
            self.push(PlaybookError::StepMismatch { id, en, zh });
            return None;
        }
        Some(
            en.into_iter()
                .zip(zh)
                .map(|(en, zh)| Text { en, zh })
                .collect(),
        )
    }

    fn step_list(&mut self, lang: Lang, raw: Option<Vec<String>>) -> Option<Vec<String>> {
        let field = format!("steps.{}", lang.as_str());
        let Some(raw) = raw else {
            self.missing(&field);
            return None;
        };
        let steps: Vec<Option<String>> = (raw.iter().enumerate())
            .map(|(i, step)| self.string(&format!("{field}[{i}]"), Some(step), lang))
            .collect();
        if !STEPS.contains(&steps.len()) {
            let (id, count) = (self.id.clone(), steps.len());
            self.push(PlaybookError::StepCount { id, field, count });
            return None;
        }
        steps.into_iter().collect()
    }

    fn conditions(&mut self, raw: RawConditions) -> Conditions {
        let cues = self.names("conditions.cues", &raw.cues, &Cue::ALL.map(Cue::as_str));
        let stage = self.names(
            "conditions.stage",
            &raw.stage,
            &Stage::ALL.map(Stage::as_str),
        );
        let en = self.keywords("conditions.keywords.en", raw.keywords.en);
        let zh = self.keywords("conditions.keywords.zh", raw.keywords.zh);
        Conditions {
            cues: cues.iter().filter_map(|c| c.parse().ok()).collect(),
            stage: stage.iter().filter_map(|s| s.parse().ok()).collect(),
            keywords: Keywords { en, zh },
        }
    }

    /// The names of `raw` that are in `known`; an error for each one that is not.
    fn names(&mut self, field: &str, raw: &[String], known: &[&str]) -> Vec<String> {
        let mut kept = Vec::new();
        for value in raw.iter().map(|v| v.trim()) {
            if known.contains(&value) {
                kept.push(value.to_string());
                continue;
            }
            self.push(PlaybookError::UnknownValue {
                id: self.id.clone(),
                field: field.to_string(),
                value: value.to_string(),
                expected: known.join(", "),
            });
        }
        kept
    }

    fn keywords(&mut self, field: &str, raw: Vec<String>) -> Vec<String> {
        let mut kept = Vec::new();
        for (i, word) in raw.iter().enumerate() {
            let word = word.trim().to_lowercase();
            if word.is_empty() {
                let (id, field) = (self.id.clone(), format!("{field}[{i}]"));
                self.push(PlaybookError::EmptyField { id, field });
            } else {
                kept.push(word);
            }
        }
        kept
    }
}

/// Joins the lines of a multi-line TOML string: with a space in English, with nothing in
/// Chinese, so that authors may wrap long texts freely.
fn normalize(raw: &str, lang: Lang) -> String {
    let joiner = match lang {
        Lang::En => " ",
        Lang::Zh => "",
    };
    let lines: Vec<&str> = raw
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    lines.join(joiner)
}

/// Applies the file's mode and checks that the result is complete.
fn assemble(file: PlaybookFile, origin: &str) -> Result<Playbook, Vec<PlaybookError>> {
    let (mut strategies, mut fallbacks, origin) = match file.mode {
        Mode::Replace => (Vec::new(), BTreeMap::new(), origin.to_string()),
        Mode::Extend => {
            let base = Playbook::builtin();
            (
                base.strategies,
                base.fallbacks,
                format!("{BUILTIN_ORIGIN} + {origin}"),
            )
        }
    };

    strategies.retain(|s: &Strategy| !file.disable.contains(&s.id));
    fallbacks.extend(file.fallbacks);
    for strategy in file.strategies {
        match strategies.iter_mut().find(|s| s.id == strategy.id) {
            Some(existing) => *existing = strategy,
            None => strategies.push(strategy),
        }
    }

    let playbook = Playbook {
        origin,
        strategies,
        fallbacks,
    };
    let errors = completeness(&playbook);
    if errors.is_empty() {
        Ok(playbook)
    } else {
        Err(errors)
    }
}

/// What a playbook needs so that every conversation gets three strategies with no raw slot.
fn completeness(playbook: &Playbook) -> Vec<PlaybookError> {
    let mut errors = too_few(playbook);
    let used: BTreeSet<Slot> = playbook
        .strategies
        .iter()
        .flat_map(|s| s.slots.clone())
        .collect();
    for slot in used
        .into_iter()
        .filter(|slot| !playbook.fallbacks.contains_key(slot))
    {
        let (field, problem) = (
            format!("fallback.{slot}"),
            "is missing (a strategy uses it)",
        );
        errors.push(PlaybookError::Fallback { field, problem });
    }
    errors
}

/// One error per label with fewer strategies than a complete playbook needs.
fn too_few(playbook: &Playbook) -> Vec<PlaybookError> {
    let objections = Label::ALL.map(|label| (StrategyLabel::Objection(label), 1));
    let needs = objections
        .into_iter()
        .chain([(StrategyLabel::Advance, MIN_ADVANCE)]);
    needs
        .filter_map(|(label, needed)| {
            let found = playbook
                .strategies
                .iter()
                .filter(|s| s.label == label)
                .count();
            let origin = playbook.origin.clone();
            (found < needed).then_some(PlaybookError::TooFew {
                origin,
                label,
                found,
                needed,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const FALLBACKS: &str = r#"
        mode = "replace"
        [fallback.stakeholder]
        en = "the other decision makers"
        zh = "其他决策人"
    "#;

    fn strategy(id: &str, label: &str) -> String {
        format!(
            r#"
            [[strategy]]
            id = "{id}"
            label = "{label}"
            slots = ["stakeholder"]
            title.en = "Title"
            title.zh = "标题"
            why.en = "Because {{stakeholder}} decides."
            why.zh = "因为{{stakeholder}}说了算。"
            steps.en = ["One", "Two"]
            steps.zh = ["一", "二"]
            talk_track.en = "Say this."
            talk_track.zh = "这样说。"
            "#
        )
    }

    fn complete() -> String {
        let mut text = FALLBACKS.to_string();
        for (i, label) in [
            "price",
            "technical",
            "decision_chain",
            "advance",
            "advance",
            "advance",
        ]
        .iter()
        .enumerate()
        {
            text += &strategy(&format!("s{i}"), label);
        }
        text
    }

    #[test]
    fn builtin_is_valid_and_rich() {
        let playbook = Playbook::builtin();
        for label in Label::ALL {
            let n = playbook
                .strategies()
                .iter()
                .filter(|s| s.label.as_str() == label.as_str());
            assert!(n.count() >= 8, "{label}");
        }
        let advance = playbook
            .strategies()
            .iter()
            .filter(|s| s.label == StrategyLabel::Advance);
        assert!(advance.count() >= 4);
        assert!(Slot::ALL
            .iter()
            .all(|slot| playbook.fallback(*slot).is_some()));
    }

    #[test]
    fn builtin_strategies_use_every_slot_they_declare() {
        for s in Playbook::builtin().strategies() {
            let texts = [&s.title, &s.why, &s.talk_track]
                .into_iter()
                .chain(&s.steps);
            let used: BTreeSet<&str> = texts
                .flat_map(|t| slot_refs(&t.en).chain(slot_refs(&t.zh)))
                .collect();
            let declared: BTreeSet<&str> = s.slots.iter().map(|slot| slot.as_str()).collect();
            assert_eq!(used, declared, "{}", s.id);
            assert!(STEPS.contains(&s.steps.len()), "{}", s.id);
        }
    }

    #[test]
    fn builtin_ids_name_their_label() {
        for s in Playbook::builtin().strategies() {
            assert!(s.id.starts_with(&format!("{}.", s.label)), "{}", s.id);
        }
    }

    #[test]
    fn replace_mode_stands_alone() {
        let playbook = Playbook::from_toml(&complete(), "test").unwrap();
        assert_eq!(playbook.len(), 6);
        assert_eq!(check(&complete(), "test").unwrap(), 6);
    }

    #[test]
    fn extend_mode_adds_overrides_and_disables() {
        let builtin = Playbook::builtin();
        let first = builtin.strategies()[0].id.clone();
        let second = builtin.strategies()[1].id.clone();
        let text = format!(
            "mode = \"extend\"\ndisable = [\"{second}\"]\n{FALLBACKS_EXT}{}{}",
            strategy(&first, "advance"),
            strategy("custom.new", "price"),
        );
        let playbook = Playbook::from_toml(&text, "user.toml").unwrap();
        assert_eq!(playbook.len(), builtin.len());
        assert_eq!(playbook.get(&first).unwrap().label, StrategyLabel::Advance);
        assert!(playbook.get(&second).is_none());
        assert!(playbook.get("custom.new").is_some());
        assert_eq!(playbook.origin(), "built-in playbook + user.toml");
    }

    const FALLBACKS_EXT: &str = "[fallback.date]\nen = \"soon\"\nzh = \"近期\"\n";

    #[test]
    fn extend_is_the_default_mode() {
        let text = strategy("custom.only", "technical");
        let playbook = Playbook::from_toml(&text, "user.toml").unwrap();
        assert_eq!(playbook.len(), Playbook::builtin().len() + 1);
    }

    #[test]
    fn incomplete_replacement_is_refused() {
        let text = format!("{FALLBACKS}{}", strategy("p", "price"));
        let errors = check(&text, "t").unwrap_err();
        let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(messages.len(), 3, "{messages:?}");
        assert!(messages[0].contains("0 `technical` strategies"));
        assert!(messages[2].contains("0 `advance` strategies"));
    }

    #[test]
    fn multi_line_texts_are_joined_per_language() {
        assert_eq!(normalize("  one\n   two  \n", Lang::En), "one two");
        assert_eq!(normalize("第一\n  第二\n", Lang::Zh), "第一第二");
    }

    #[test]
    fn several_errors_collapse_into_one_listing() {
        let text = "mode = \"sideways\"\ndisable = []\n[fallback.nope]\nen = \"x\"\nzh = \"y\"\n";
        let err = Playbook::from_toml(text, "bad.toml").unwrap_err();
        let message = err.to_string();
        assert!(
            message.starts_with("playbook `bad.toml` has 2 errors:"),
            "{message}"
        );
        assert!(message.contains("unknown mode `sideways`"));
        assert!(message.contains("field `fallback.nope` names no known slot"));
    }
}
