//! `check_file` on small playbook files, one per kind of error (tests/fixtures/playbooks/), and
//! loading a user playbook that extends the built-in one.

use std::path::PathBuf;

use demur::strategy::{check, check_file, recommend, Playbook, PlaybookError};
use demur::{Conversation, Label, LabelScores, Language, Objection, Role, Turn};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/playbooks")
        .join(name)
}

/// The error messages of a fixture, which must fail the check.
fn errors(name: &str) -> Vec<String> {
    match check_file(&fixture(name)) {
        Ok(n) => panic!("{name} passed the check with {n} strategies"),
        Err(errors) => errors.iter().map(ToString::to_string).collect(),
    }
}

const SLOTS: &str = "quote, speaker, stakeholder, competitor, amount, seats, date, their_stack";

#[test]
fn unknown_label_names_the_strategy() {
    assert_eq!(
        errors("unknown_label.toml"),
        [
            "strategy `budget.wait`: field `label` has unknown label `budget` \
          (expected price, technical, decision_chain or advance)"
        ]
    );
}

#[test]
fn every_missing_language_is_reported() {
    assert_eq!(
        errors("missing_language.toml"),
        [
            "strategy `price.roi-case`: field `why.zh` is missing",
            "strategy `price.roi-case`: field `talk_track.zh` is missing",
        ]
    );
}

#[test]
fn duplicate_ids_are_refused() {
    assert_eq!(
        errors("duplicate_id.toml"),
        ["strategy `technical.pilot`: duplicate id (an id may appear once in a playbook file)"]
    );
}

#[test]
fn unknown_and_undeclared_slots_are_refused() {
    assert_eq!(
        errors("unknown_slot.toml"),
        [
            format!(
                "strategy `decision_chain.brief-the-boss`: field `slots` uses unknown slot \
                 `{{budget_owner}}` (known: {SLOTS})"
            ),
            format!(
                "strategy `decision_chain.brief-the-boss`: field `why.en` uses unknown slot \
                 `{{budget_owner}}` (known: {SLOTS})"
            ),
            "strategy `decision_chain.brief-the-boss`: field `steps.en[1]` uses slot `{speaker}`, \
             which `slots` does not list"
                .to_string(),
        ]
    );
}

#[test]
fn too_few_and_too_many_steps_are_refused() {
    assert_eq!(
        errors("step_count.toml"),
        [
            "strategy `advance.one-step`: field `steps.en` has 1 step (expected 2 to 5)",
            "strategy `advance.one-step`: field `steps.zh` has 1 step (expected 2 to 5)",
            "strategy `advance.six-steps`: field `steps.en` has 6 steps (expected 2 to 5)",
        ]
    );
}

#[test]
fn all_errors_of_a_file_are_reported_not_only_the_first() {
    let origin = fixture("many_errors.toml").display().to_string();
    let id = "strategy `price.bad one`";
    assert_eq!(
        errors("many_errors.toml"),
        [
            format!(
                "playbook `{origin}`: `disable` names `price.no-such-strategy`, which is not a \
                 built-in strategy"
            ),
            "field `fallback.budget` names no known slot".to_string(),
            "field `fallback.date.zh` is missing".to_string(),
            format!("{id}: field `id` may hold only letters, digits, `.`, `_` and `-`"),
            format!(
                "{id}: field `label` has unknown label `pricing` \
                 (expected price, technical, decision_chain or advance)"
            ),
            format!("{id}: field `priority` is 3 (expected 0 to 1)"),
            format!("{id}: field `title.zh` is empty"),
            format!("{id}: field `why.en` uses unknown slot `{{Quote}}` (known: {SLOTS})"),
            format!("{id}: fields `steps.en` and `steps.zh` have 3 and 2 steps (they must match)"),
            format!("{id}: field `talk_track.en` is missing"),
            format!(
                "{id}: field `conditions.cues` has unknown value `budget` (expected one of \
                 stakeholder, competitor, stack, amount, seats, percent, date, deadline)"
            ),
            format!(
                "{id}: field `conditions.stage` has unknown value `signing` (expected one of \
                 discovery, demo, proposal, negotiation, closing)"
            ),
            "strategy `#2`: field `id` is missing".to_string(),
        ]
    );
}

#[test]
fn syntax_errors_and_unknown_keys_say_where() {
    let not_toml = errors("not_toml.toml");
    assert_eq!(not_toml.len(), 1);
    assert!(not_toml[0].contains("not_toml.toml` is not a valid playbook file"));
    assert!(not_toml[0].contains("line 1"), "{}", not_toml[0]);

    let typo = errors("unknown_key.toml");
    assert_eq!(typo.len(), 1);
    assert!(typo[0].contains("unknown field `titel`"), "{}", typo[0]);
    assert!(typo[0].contains("line 4"));
}

#[test]
fn a_replacing_playbook_must_be_complete() {
    let origin = fixture("incomplete_replace.toml").display().to_string();
    let too_few = |n: usize, label: &str, needed: usize| {
        format!(
            "playbook `{origin}` has {n} `{label}` strategies; a complete playbook needs at \
             least {needed}"
        )
    };
    assert_eq!(
        errors("incomplete_replace.toml"),
        [
            too_few(0, "technical", 1),
            too_few(0, "decision_chain", 1),
            too_few(0, "advance", 3),
            "field `fallback.amount` is missing (a strategy uses it)".to_string(),
        ]
    );
}

#[test]
fn a_missing_file_is_a_read_error() {
    let errors = check_file(&fixture("no_such_file.toml")).unwrap_err();
    assert_eq!(errors.len(), 1);
    assert!(matches!(errors[0], PlaybookError::Read { .. }));
    assert!(errors[0].to_string().starts_with("cannot read playbook `"));
}

#[test]
fn load_reports_several_errors_as_one() {
    let err = Playbook::load(&fixture("step_count.toml")).unwrap_err();
    let PlaybookError::Invalid { errors, .. } = &err else {
        panic!("{err}")
    };
    assert_eq!(errors.len(), 3);
    assert!(err
        .to_string()
        .contains("has 3 errors:\n  - strategy `advance.one-step`"));
}

#[test]
fn the_built_in_playbook_passes_its_own_check() {
    let text = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/strategy/playbook.toml"),
    )
    .unwrap();
    assert_eq!(
        check(&text, "playbook.toml").unwrap(),
        Playbook::builtin().len()
    );
}

#[test]
fn an_extending_playbook_adds_disables_and_is_used() {
    assert_eq!(check_file(&fixture("good_extend.toml")).unwrap(), 1);
    let playbook = Playbook::load(&fixture("good_extend.toml")).unwrap();
    let builtin = Playbook::builtin();
    assert_eq!(playbook.len(), builtin.len());
    assert!(playbook.get("price.multi-year-trade").is_none());
    assert_eq!(
        playbook
            .fallback(demur::strategy::Slot::Competitor)
            .unwrap()
            .en,
        "the other vendor"
    );

    let turn = Turn {
        speaker: Some("Dana".into()),
        role: Role::Customer,
        text: "There's no budget left this year.".into(),
        start: None,
        end: None,
    };
    let conversation = Conversation {
        id: "c".into(),
        source: "test".into(),
        language: Language::En,
        turns: vec![turn],
        warnings: vec![],
    };
    let objection = Objection {
        label: Label::Price,
        score: 0.9,
        turn: 0,
        speaker: Some("Dana".into()),
        role: Role::Customer,
        start: None,
        end: None,
        quote: "There's no budget left this year.".into(),
        char_start: 0,
        char_end: 33,
    };
    let scores = LabelScores {
        price: 0.9,
        technical: 0.0,
        decision_chain: 0.0,
    };
    let recs = recommend(&playbook, &conversation, &scores, &[objection]);
    assert_eq!(recs[0].id, "price.ask-for-the-budget");
    assert_eq!(
        recs[0].steps,
        [
            "Acknowledge \"There's no budget left this year.\".",
            "Ask Dana what range would be comfortable."
        ]
    );
}
