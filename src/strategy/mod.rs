//! Strategy playbook: three ranked follow-up strategies grounded in the conversation.
//!
//! ```text
//! Conversation ──cues──▶ Cues ─┐
//! LabelScores, [Objection] ────┼──rank──▶ 3 strategies ──render──▶ Vec<Recommendation>
//! Playbook (TOML, en + zh) ────┘                          (en, or zh for zh and mixed)
//! ```
//!
//! # The playbook
//!
//! A playbook is TOML data: the built-in one is `src/strategy/playbook.toml`, compiled into
//! the binary; a user file (`--playbook FILE`) changes it according to its top-level `mode`:
//!
//! - `mode = "extend"` (the default): its strategies are added to the built-in ones; one with
//!   a built-in id replaces that strategy; `disable = ["id", …]` removes built-in strategies;
//!   its `[fallback.*]` entries override the built-in wording.
//! - `mode = "replace"`: the file stands alone and must be complete: at least one strategy per
//!   objection label, at least three `advance` strategies, and a fallback for every slot used.
//!
//! Each `[[strategy]]` has:
//!
//! | key | meaning |
//! | --- | --- |
//! | `id` | unique id, letters, digits, `.`, `_`, `-` (e.g. `price.phase-the-spend`) |
//! | `label` | `price`, `technical`, `decision_chain`, or `advance` (no objection found) |
//! | `approach` | optional family; the picks prefer different families (default: the id) |
//! | `priority` | base priority, 0 to 1 (default 0.5) |
//! | `title.en`, `title.zh` | short title |
//! | `why.en`, `why.zh` | why it works |
//! | `steps.en`, `steps.zh` | 2 to 5 concrete steps, as many in each language |
//! | `talk_track.en`, `talk_track.zh` | what the seller can say |
//! | `slots` | the slots its texts use |
//! | `conditions.cues` | cues that make it fit (see [`cues`]) |
//! | `conditions.stage` | call stages it suits (see [`Stage`]) |
//! | `conditions.keywords.en`, `.zh` | words in the buyer's turns that point to it |
//!
//! Multi-line strings are joined line by line: with a space in English, with nothing in
//! Chinese.
//!
//! # Slots
//!
//! Texts name slots in braces: `{quote}` (the buyer's own words, in quotation marks),
//! `{speaker}`, `{stakeholder}`, `{competitor}`, `{amount}`, `{seats}`, `{date}`,
//! `{their_stack}`. A slot the conversation gives no value for takes the playbook's neutral
//! `[fallback.<slot>]` wording (`en`, `zh`), so no raw `{placeholder}` reaches the output. The
//! values come from [`cues`].
//!
//! # Validation
//!
//! [`check_file`] (behind `demur playbook check FILE`) reports every error, each naming the
//! strategy and the field: unknown label, a missing `en` or `zh` text, duplicate id, an unknown
//! or undeclared slot, too few or too many steps, unknown cue or stage, bad priority,
//! incomplete fallbacks, an incomplete playbook.
//!
//! # Ranking
//!
//! See [`rank`] for the score, the order and the diversity rule. Every recommendation's `why`
//! starts with the evidence (`Buyer (Dana, turn 7): "our fiscal year just turned over" — …`,
//! turn numbers being the 0-based indices also listed in `evidence`); with no objection it
//! says so.

pub mod cues;
pub mod playbook;
pub mod rank;
pub mod render;

pub use cues::{Cue, Cues, Mention, Stage};
pub use playbook::{
    check, check_file, Conditions, Keywords, Mode, Playbook, PlaybookError, Strategy, StrategyLabel,
};
pub use render::{Lang, Slot, Text};

use crate::analysis::{LabelScores, Objection, Recommendation};
use crate::transcript::Conversation;

/// Three ranked follow-up strategies for a conversation, in its language, with evidence.
///
/// `scores` are the conversation-level label scores and `objections` the (turn, label) pairs
/// above threshold; a label counts as present when it has at least one objection.
pub fn recommend(
    playbook: &Playbook,
    conversation: &Conversation,
    scores: &LabelScores,
    objections: &[Objection],
) -> Vec<Recommendation> {
    let cues = Cues::extract(conversation);
    let evidence = rank::Evidence::new(conversation, objections);
    let scored = (playbook.strategies().iter())
        .map(|strategy| rank::score(strategy, scores, &cues, &evidence))
        .collect();
    let chosen = rank::choose(scored, &rank::kinds_present(scores, objections));

    let ctx = render::RenderContext {
        lang: Lang::of(conversation.language),
        conversation,
        cues: &cues,
        evidence: &evidence,
        fallbacks: playbook.fallbacks(),
    };
    (chosen.into_iter().enumerate())
        .map(|(i, scored)| render::recommendation(i + 1, scored, &ctx))
        .collect()
}
