//! The shipped head with the default encoder: plainly different turns get different labels.

mod common;

use demur::transcript::{Conversation, Language, Role, Turn};
use demur::{Analyzer, AnalyzerOptions, Label};

fn analyzer() -> Analyzer {
    let options = AnalyzerOptions {
        model: Some(common::default_model()),
        ..Default::default()
    };
    Analyzer::new(&options).unwrap()
}

fn call(buyer: &str) -> Conversation {
    let turn = |role, text: &str| Turn {
        speaker: Some(if role == Role::Seller { "Rep" } else { "Dana" }.into()),
        role,
        text: text.into(),
        start: None,
        end: None,
    };
    Conversation {
        id: "t".into(),
        source: "test".into(),
        language: Language::En,
        turns: vec![
            turn(Role::Seller, "So, what do you think of the proposal?"),
            turn(Role::Customer, buyer),
        ],
        warnings: vec![],
    }
}

fn labels(analyzer: &Analyzer, buyer: &str) -> Vec<Label> {
    let analysis = analyzer.analyze(&call(buyer)).unwrap();
    let mut labels: Vec<Label> = analysis.objections.iter().map(|o| o.label).collect();
    labels.dedup();
    labels
}

#[test]
fn a_plain_price_objection_is_price() {
    assert_eq!(
        labels(&analyzer(), "That's more than we can spend."),
        [Label::Price]
    );
}

#[test]
fn a_plain_approval_objection_is_decision_chain() {
    let found = labels(&analyzer(), "I'll have to take this to our CFO.");
    assert_eq!(found, [Label::DecisionChain]);
}

#[test]
fn a_plain_proof_objection_is_technical() {
    let found = labels(&analyzer(), "We'd need to run it against our stack first.");
    assert_eq!(found, [Label::Technical]);
}

#[test]
fn a_negated_concern_is_not_an_objection() {
    let analyzer = analyzer();
    assert_eq!(labels(&analyzer, "Price is not a problem for us."), []);
}

#[test]
fn analyses_are_complete_and_deterministic() {
    let analyzer = analyzer();
    let conversation = call("我们这边流程比较长，要先跟领导汇报一下。");
    let a = analyzer.analyze(&conversation).unwrap();
    let b = analyzer.analyze(&conversation).unwrap();
    assert_eq!(a, b);
    assert_eq!(a.strategies.len(), 3);
    let ranks: Vec<usize> = a.strategies.iter().map(|s| s.rank).collect();
    assert_eq!(ranks, [1, 2, 3]);
    for o in &a.objections {
        let quote: String = conversation.turns[o.turn]
            .text
            .chars()
            .skip(o.char_start)
            .take(o.char_end - o.char_start)
            .collect();
        assert_eq!(quote, o.quote);
    }
}
