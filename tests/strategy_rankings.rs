//! Golden rankings of the built-in playbook for fixed objection profiles: the exact strategies
//! and their order, and the values their slots were filled with.

use demur::strategy::{recommend, Playbook};
use demur::{Conversation, Label, LabelScores, Language, Objection, Recommendation, Role, Turn};

use Role::{Customer, Seller};

fn turn(role: Role, speaker: &str, text: &str) -> Turn {
    Turn {
        speaker: Some(speaker.into()),
        role,
        text: text.into(),
        start: None,
        end: None,
    }
}

fn conversation(language: Language, turns: Vec<Turn>) -> Conversation {
    let id = "call".to_string();
    Conversation {
        id,
        source: "test".into(),
        language,
        turns,
        warnings: vec![],
    }
}

/// An objection quoting the whole turn.
fn objection(c: &Conversation, label: Label, score: f32, index: usize) -> Objection {
    let t = &c.turns[index];
    Objection {
        label,
        score,
        turn: index,
        speaker: t.speaker.clone(),
        role: t.role,
        start: None,
        end: None,
        quote: t.text.clone(),
        char_start: 0,
        char_end: t.text.chars().count(),
    }
}

fn scores(price: f32, technical: f32, decision_chain: f32) -> LabelScores {
    LabelScores {
        price,
        technical,
        decision_chain,
    }
}

fn run(c: &Conversation, s: LabelScores, o: &[Objection]) -> Vec<Recommendation> {
    let recs = recommend(&Playbook::builtin(), c, &s, o);
    assert_eq!(recs.iter().map(|r| r.rank).collect::<Vec<_>>(), [1, 2, 3]);
    recs
}

fn ids(recs: &[Recommendation]) -> Vec<&str> {
    recs.iter().map(|r| r.id.as_str()).collect()
}

fn all_text(r: &Recommendation) -> String {
    format!(
        "{}\n{}\n{}\n{}",
        r.title,
        r.why,
        r.steps.join("\n"),
        r.talk_track
    )
}

#[test]
fn price_only_gets_three_different_price_approaches() {
    let c = conversation(
        Language::En,
        vec![
            turn(Seller, "Rep", "Thanks Dana. For 50 seats the proposal comes to $48k a year."),
            turn(Customer, "Dana", "Honestly that's steep. Our fiscal year just turned over and the budget is allocated."),
            turn(Seller, "Rep", "Understood. What would the return need to look like?"),
            turn(Customer, "Dana", "If I can't show payback by Q3, I can't justify it."),
        ],
    );
    let o = [
        objection(&c, Label::Price, 0.93, 1),
        objection(&c, Label::Price, 0.81, 3),
    ];
    let recs = run(&c, scores(0.91, 0.05, 0.1), &o);

    assert_eq!(
        ids(&recs),
        [
            "price.roi-case",
            "price.budget-cycle",
            "price.phase-the-spend"
        ]
    );
    assert!(recs
        .iter()
        .all(|r| r.label == "price" && r.evidence == [1, 3]));
    assert!(
        recs[0]
            .why
            .starts_with("Buyer (Dana, turn 1): \"Honestly that's steep."),
        "{}",
        recs[0].why
    );
    assert!(recs[0].why.contains("(also turn 3) — A price objection"));
    assert!(recs[0].steps[2].contains("against $48k"));
    assert!(recs[0].steps[3].contains("with Dana"));
    assert!(recs[1].steps[1].contains("finished by Q3"));
    assert!(recs[1].steps[3].contains("walk the other decision makers through"));
    assert!(recs[2].steps[1].contains("a first phase for 50 seats"));
    assert!(recs[2].talk_track.contains("Start with 50 seats"));
    assert!(recs.windows(2).all(|w| w[0].score >= w[1].score));
}

#[test]
fn technical_and_decision_chain_cover_both_strongest_first() {
    let c = conversation(
        Language::En,
        vec![
            turn(Seller, "Rep", "That's the dashboard; it updates live."),
            turn(Customer, "Sam", "Looks good, but does it actually work with SAP? Our last vendor promised the same."),
            turn(Seller, "Rep", "We have a connector."),
            turn(Customer, "Sam", "Our IT team will want to see it running on our data, and then I'd need our CFO to sign off."),
        ],
    );
    let o = [
        objection(&c, Label::Technical, 0.88, 1),
        objection(&c, Label::DecisionChain, 0.84, 3),
        objection(&c, Label::Technical, 0.7, 3),
    ];
    let recs = run(&c, scores(0.1, 0.9, 0.8), &o);

    assert_eq!(
        ids(&recs),
        [
            "technical.sandbox-own-data",
            "decision_chain.map-buying-group",
            "technical.reference-customer"
        ]
    );
    assert_eq!(recs[0].evidence, [1, 3]);
    assert_eq!(recs[1].evidence, [3]);
    assert!(recs[0].steps[1].contains("would use with SAP"));
    assert!(recs[1]
        .why
        .starts_with("Buyer (Sam, turn 3): \"Our IT team will want"));
    assert!(
        recs[1]
            .why
            .contains("tells you what the IT team and the CFO will ask"),
        "{}",
        recs[1].why
    );
    assert!(recs[1].steps[0].starts_with("Ask Sam to walk you through"));
    assert!(recs[2].steps[2].contains("integration with SAP"));
}

#[test]
fn three_kinds_get_one_strategy_each_in_order_of_strength() {
    let c = conversation(
        Language::En,
        vec![
            turn(Seller, "Rep", "So that's the pricing for the team."),
            turn(
                Customer,
                "Priya",
                "We got a quote from Acme that's about 20% lower.",
            ),
            turn(
                Customer,
                "Priya",
                "Our security team will also need to review how you store call data.",
            ),
            turn(
                Customer,
                "Priya",
                "And procurement has to approve any new vendor, so maybe next quarter.",
            ),
        ],
    );
    let o = [
        objection(&c, Label::Price, 0.9, 1),
        objection(&c, Label::Technical, 0.75, 2),
        objection(&c, Label::DecisionChain, 0.8, 3),
    ];
    let recs = run(&c, scores(0.9, 0.75, 0.82), &o);

    assert_eq!(
        ids(&recs),
        [
            "price.competitor-tco",
            "decision_chain.procurement-legal-early",
            "technical.security-pack"
        ]
    );
    let labels: Vec<&str> = recs.iter().map(|r| r.label.as_str()).collect();
    assert_eq!(labels, ["price", "decision_chain", "technical"]);
    assert_eq!(
        recs.iter().map(|r| r.evidence.clone()).collect::<Vec<_>>(),
        [[1], [3], [2]]
    );
    assert!(recs[0].why.contains("A cheaper quote from Acme usually"));
    assert!(recs[0].talk_track.starts_with("If Acme is cheaper"));
    assert!(recs[1].steps[2].contains("handle it for procurement"));
    assert!(recs[1].steps[3].ends_with("finish by next quarter."));
    assert!(recs[2].steps[0].starts_with("Reply to \"Our security team will also need"));
}

#[test]
fn no_objection_gets_three_advance_strategies_that_say_so() {
    let c = conversation(
        Language::En,
        vec![
            turn(Seller, "Rep", "Any questions on the demo?"),
            turn(
                Customer,
                "Lee",
                "No, this sounds good. The other team in Berlin has the same problem.",
            ),
            turn(Customer, "Lee", "Let's schedule next steps for next week."),
        ],
    );
    let recs = run(&c, scores(0.05, 0.1, 0.08), &[]);

    assert_eq!(
        ids(&recs),
        [
            "advance.confirm-next-step",
            "advance.order-form",
            "advance.expand-team"
        ]
    );
    assert!(recs.iter().all(|r| r.label == "advance"));
    assert!(recs
        .iter()
        .all(|r| r.why.starts_with("No objection was found in this call.")));
    assert!(recs[0]
        .why
        .contains("Buyer (Lee, turn 2): \"Let's schedule next steps for next week.\""));
    assert_eq!(recs[0].evidence, [2]);
    assert!(recs[0].steps[0].ends_with("decided by next week."));
    assert!(recs[0].steps[2].contains("whether the other decision makers should join"));
    assert!(recs[2].steps[1].contains("beyond a first team"));
}

#[test]
fn chinese_conversation_is_answered_in_chinese_with_chinese_cues() {
    let c = conversation(
        Language::Zh,
        vec![
            turn(Seller, "小张", "王经理，按30个账号算，一年是24万。"),
            turn(
                Customer,
                "王经理",
                "预算今年已经批完了，这个价格我们也不好交代。",
            ),
            turn(Seller, "小张", "理解。"),
            turn(
                Customer,
                "王经理",
                "这事我还得跟李总汇报一下，财务那边也要过。",
            ),
        ],
    );
    let o = [
        objection(&c, Label::Price, 0.93, 1),
        objection(&c, Label::DecisionChain, 0.86, 3),
    ];
    let recs = run(&c, scores(0.92, 0.06, 0.85), &o);

    assert_eq!(
        ids(&recs),
        [
            "price.budget-cycle",
            "decision_chain.equip-champion",
            "price.phase-the-spend"
        ]
    );
    assert_eq!(recs[0].title, "踩准客户的预算周期");
    assert!(
        recs[0]
            .why
            .starts_with("客户（王经理，第1轮）：“预算今年已经批完了"),
        "{}",
        recs[0].why
    );
    assert!(
        recs[0].steps[3].contains("和李总和财务一起过一遍"),
        "{}",
        recs[0].steps[3]
    );
    assert!(recs[0].steps[1].contains("在约定的时间之前完成"));
    assert!(recs[1].talk_track.starts_with("您去跟李总和财务汇报的时候"));
    assert!(recs[1].steps[0].starts_with("问王经理："));
    assert!(recs[2].steps[1].contains("第一期只覆盖30个账号"));
    assert!(recs.iter().all(|r| !all_text(r).contains("the ")));
}

#[test]
fn mixed_conversation_is_answered_in_chinese() {
    let c = conversation(
        Language::Mixed,
        vec![
            turn(Seller, "Kevin", "这个方案可以直接用。"),
            turn(
                Customer,
                "Lily",
                "我们用的是Salesforce，能对接吗？IT部门要先评估一下。",
            ),
            turn(
                Customer,
                "Lily",
                "另外price能不能再优惠点，年底之前要定下来。",
            ),
        ],
    );
    let o = [
        objection(&c, Label::Technical, 0.87, 1),
        objection(&c, Label::Price, 0.7, 2),
    ];
    let recs = run(&c, scores(0.72, 0.88, 0.2), &o);

    assert_eq!(
        ids(&recs),
        [
            "technical.integration-workshop",
            "price.value-packaging",
            "technical.architecture-review"
        ]
    );
    assert_eq!(recs[0].title, "和对方工程师开一次对接工作坊");
    assert!(recs[0]
        .why
        .starts_with("客户（Lily，第1轮）：“我们用的是Salesforce"));
    assert!(recs[0].talk_track.contains("对照Salesforce把方案梳理清楚"));
    assert!(recs[0].steps[3].contains("年底之前再安排一次会，和IT部门确认方案"));
    assert!(recs[1].steps[1].contains("价格低于目前谈的金额"));
    assert_eq!(recs[2].evidence, [1]);
}

#[test]
fn ties_break_by_priority_then_id() {
    // No cues, no keywords, equal scores: the order is the playbook's priority, then the id.
    let c = conversation(Language::En, vec![turn(Customer, "Ana", "Hmm.")]);
    let recs = run(&c, scores(0.0, 0.0, 0.0), &[]);
    assert_eq!(
        ids(&recs),
        [
            "advance.confirm-next-step",
            "advance.order-form",
            "advance.expand-team"
        ]
    );
    assert!(recs.iter().all(|r| r.evidence.is_empty()));
    assert!(recs[0]
        .why
        .starts_with("No objection was found in this call. The call went well"));

    let again = run(&c, scores(0.0, 0.0, 0.0), &[]);
    assert_eq!(recs, again);
}

#[test]
fn missing_values_fall_back_to_neutral_wording() {
    let c = conversation(
        Language::En,
        vec![Turn {
            speaker: None,
            role: Customer,
            text: "We'd need to see a pilot first.".into(),
            start: None,
            end: None,
        }],
    );
    let o = [objection(&c, Label::Technical, 0.9, 0)];
    let recs = run(&c, scores(0.0, 0.9, 0.0), &o);

    assert_eq!(recs[0].id, "technical.scoped-pilot");
    assert!(recs[0]
        .why
        .starts_with("Buyer (turn 0): \"We'd need to see a pilot first.\" — "));
    assert!(recs[0].steps[1].contains("working with the current systems"));
    assert!(
        recs[0].steps[2].contains("before an agreed date, and invite the other decision makers")
    );
    assert!(recs.iter().all(|r| r.label == "technical"));
}
