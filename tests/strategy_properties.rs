//! Properties of `recommend` over random objection profiles and conversations.

use std::collections::BTreeSet;

use demur::strategy::{recommend, Playbook};
use demur::{Conversation, Label, LabelScores, Language, Objection, Recommendation, Role, Turn};
use proptest::prelude::*;

const EN: &[&str] = &[
    "Honestly that's steep for us.",
    "Our CFO and procurement need to sign off.",
    "We got a quote from Acme that's 20% lower.",
    "Does it work with SAP and Salesforce?",
    "Let me think about it and get back to you next quarter.",
    "The budget is frozen until Q3.",
    "$40k for 50 seats is a lot.",
    "Our security team will review data residency.",
    "Sounds good, let's schedule next steps for Friday.",
    "Can we pay monthly instead of up front?",
    "We are currently using Gong.",
    "By the end of March we must be live.",
    "ok",
];

const ZH: &[&str] = &[
    "预算今年已经批完了。",
    "这个要跟王总汇报，财务也得过一下。",
    "我们用的是金蝶，能对接吗？",
    "能不能再优惠点，打个八折？",
    "我再考虑考虑，过完年再说。",
    "30个账号一年24万，有点贵。",
    "信息部要先做安全评估。",
    "年底之前必须上线。",
    "可以，下周再约时间。",
    "嗯",
];

fn lines(language: Language) -> Vec<&'static str> {
    match language {
        Language::En => EN.to_vec(),
        Language::Zh => ZH.to_vec(),
        Language::Mixed => EN.iter().chain(ZH).copied().collect(),
    }
}

fn language() -> impl Strategy<Value = Language> {
    prop_oneof![
        Just(Language::En),
        Just(Language::Zh),
        Just(Language::Mixed)
    ]
}

fn role() -> impl Strategy<Value = Role> {
    prop_oneof![Just(Role::Seller), Just(Role::Customer), Just(Role::Other)]
}

fn label() -> impl Strategy<Value = Label> {
    prop_oneof![
        Just(Label::Price),
        Just(Label::Technical),
        Just(Label::DecisionChain)
    ]
}

/// Model scores, now and then out of range or not a number.
fn score() -> impl Strategy<Value = f32> {
    prop_oneof![8 => 0.0f32..=1.0, 1 => -1.0f32..2.0, 1 => Just(f32::NAN)]
}

fn turn(language: Language) -> impl Strategy<Value = Turn> {
    let pool = lines(language);
    let text = prop_oneof![
        4 => prop::collection::vec(prop::sample::select(pool), 1..3).prop_map(|p| p.join(" ")),
        1 => "[a-zA-Z0-9 ,.$%']{0,40}",
    ];
    let names = match language {
        Language::En => vec!["Dana", "Sam", "Lily"],
        Language::Zh | Language::Mixed => vec!["王经理", "李总", "Lily"],
    };
    let speaker = prop::option::of(prop::sample::select(names));
    (speaker, role(), text).prop_map(|(speaker, role, text)| Turn {
        speaker: speaker.map(String::from),
        role,
        text,
        start: None,
        end: None,
    })
}

fn conversation() -> impl Strategy<Value = Conversation> {
    language().prop_flat_map(|language| {
        prop::collection::vec(turn(language), 1..8).prop_map(move |turns| Conversation {
            id: "p".into(),
            source: "prop".into(),
            language,
            turns,
            warnings: vec![],
        })
    })
}

/// A profile for a conversation: objections may point past its last turn.
fn case() -> impl Strategy<Value = (Conversation, LabelScores, Vec<Objection>)> {
    conversation().prop_flat_map(|c| {
        let n = c.turns.len();
        let objection =
            (label(), score(), 0..n + 2).prop_map(move |(label, score, turn)| (label, score, turn));
        let scores = (score(), score(), score()).prop_map(|(price, technical, decision_chain)| {
            LabelScores {
                price,
                technical,
                decision_chain,
            }
        });
        (Just(c), scores, prop::collection::vec(objection, 0..5)).prop_map(|(c, scores, raw)| {
            let objections = raw
                .into_iter()
                .map(|(l, s, t)| make_objection(&c, l, s, t))
                .collect();
            (c, scores, objections)
        })
    })
}

fn make_objection(c: &Conversation, label: Label, score: f32, turn: usize) -> Objection {
    let t = c.turns.get(turn);
    let quote = t.map_or_else(|| "that is not for us".to_string(), |t| t.text.clone());
    Objection {
        label,
        score,
        turn,
        speaker: t.and_then(|t| t.speaker.clone()),
        role: t.map_or(Role::Customer, |t| t.role),
        start: None,
        end: None,
        char_start: 0,
        char_end: quote.chars().count(),
        quote,
    }
}

fn texts(r: &Recommendation) -> Vec<&str> {
    let mut all = vec![r.title.as_str(), r.why.as_str(), r.talk_track.as_str()];
    all.extend(r.steps.iter().map(String::as_str));
    all
}

fn has_han(text: &str) -> bool {
    text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

fn has_raw_slot(text: &str) -> bool {
    text.split('{').skip(1).any(|rest| {
        let name: String = rest.chars().take_while(|c| *c != '}').collect();
        rest.len() > name.len() && name.chars().all(|c| c.is_ascii_lowercase() || c == '_')
    })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 200,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn always_three_distinct_ranked_strategies((c, scores, objections) in case()) {
        let recs = recommend(&Playbook::builtin(), &c, &scores, &objections);
        prop_assert_eq!(recs.len(), 3);
        prop_assert_eq!(recs.iter().map(|r| r.rank).collect::<Vec<_>>(), vec![1, 2, 3]);
        let ids: BTreeSet<&str> = recs.iter().map(|r| r.id.as_str()).collect();
        prop_assert_eq!(ids.len(), 3);
        prop_assert!(recs.iter().all(|r| (0.0..=1.0).contains(&r.score)));
    }

    #[test]
    fn written_in_the_conversation_language_with_every_slot_filled(
        (c, scores, objections) in case()
    ) {
        let playbook = Playbook::builtin();
        for r in recommend(&playbook, &c, &scores, &objections) {
            let strategy = playbook.get(&r.id).unwrap();
            prop_assert!(texts(&r).iter().all(|t| !has_raw_slot(t)), "{:?}", r);
            prop_assert!(texts(&r).iter().all(|t| !t.trim().is_empty()));
            match c.language {
                Language::En => {
                    prop_assert_eq!(&r.title, &strategy.title.en);
                    prop_assert!(texts(&r).iter().all(|t| !has_han(t)), "{:?}", r);
                }
                Language::Zh | Language::Mixed => {
                    prop_assert_eq!(&r.title, &strategy.title.zh);
                    prop_assert!(texts(&r).iter().all(|t| has_han(t)), "{:?}", r);
                }
            }
        }
    }

    #[test]
    fn kinds_present_are_covered_and_evidence_is_theirs((c, scores, objections) in case()) {
        let recs = recommend(&Playbook::builtin(), &c, &scores, &objections);
        let present: BTreeSet<&str> = objections.iter().map(|o| o.label.as_str()).collect();
        let chosen: BTreeSet<&str> = recs.iter().map(|r| r.label.as_str()).collect();
        if present.is_empty() {
            prop_assert!(recs.iter().all(|r| r.label == "advance"));
        } else {
            prop_assert_eq!(&chosen, &present);
        }
        for r in recs.iter().filter(|r| r.label != "advance") {
            let turns: BTreeSet<usize> = objections
                .iter()
                .filter(|o| o.label.as_str() == r.label)
                .map(|o| o.turn)
                .collect();
            prop_assert_eq!(r.evidence.iter().copied().collect::<BTreeSet<_>>(), turns);
        }
    }

    #[test]
    fn deterministic((c, scores, objections) in case()) {
        let playbook = Playbook::builtin();
        let first = recommend(&playbook, &c, &scores, &objections);
        let second = recommend(&playbook, &c, &scores, &objections);
        prop_assert_eq!(first, second);
    }
}
