//! Deterministic benchmark inputs shared by the benches: buyer turns in English and Chinese,
//! and whole conversations built from them.
//!
//! Turns are stitched from the built-in sentences below by fixed index arithmetic, so every
//! run (and the Python reference, through `benches/reference/turns.json`) sees the same texts.

#![allow(dead_code)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Things buyers say on sales calls, from a few words to a long paragraph.
const BUYER_EN: &[&str] = &[
    "Sounds good.",
    "Okay, makes sense.",
    "Let me think about it.",
    "Can you send that over by email?",
    "Honestly the price is a lot higher than we expected.",
    "We already spent most of this year's budget on the new warehouse system.",
    "I'll have to run this past our CFO before anything gets signed.",
    "Procurement usually takes six to eight weeks for anything over fifty thousand.",
    "We're locked into a contract with our current vendor until March.",
    "To be fair, your competitor quoted us about thirty percent less for a similar package.",
    "The team is still getting used to the last tool we rolled out, so timing is tricky.",
    "I like what I'm seeing, but I'm not the one who makes the final call here.",
    "Can we start with a smaller pilot and expand if it works?",
    "Our legal team will want to review the data processing agreement first.",
    "What happens to our data if we decide to cancel after the first year?",
    "That integration with our ERP is a must-have, not a nice-to-have.",
    "We tried something similar two years ago and adoption was pretty poor.",
    "Is there any flexibility on the annual commitment?",
    "My boss asked me to get at least two other quotes before we decide.",
    "Q3 is our busiest season, so nothing new goes live until October.",
    "I need to see a clear return on investment before I can take this upstairs.",
    "How long does onboarding usually take for a team of our size?",
    "Right now it's just not a priority for the leadership team.",
    "If you can match the other offer, we could probably move forward this month.",
    "I'd want our IT security people on the next call.",
    "Per-seat pricing doesn't really work for us because half the team is part-time.",
    "We're also in the middle of a reorganisation, so budgets are frozen for now.",
    "Yeah, that's fair.",
    "Could you walk me through the support options again?",
    "The board meets at the end of the quarter and that's where it would be decided.",
    "We're happy with what we have, to be honest, even if it's a bit dated.",
    "What kind of discount do you offer for a three-year term paid upfront?",
    "Let me loop in Priya from operations, she owns that process.",
    "I'm worried the reporting module won't cover our regional breakdowns.",
    "Honestly we'd need the implementation fee waived to make the numbers work.",
    "Send me the proposal and I'll circulate it internally next week.",
    "It's more than we budgeted, but the automation piece is compelling.",
    "Who else in our industry is using this today?",
    "We'd have to retrain about forty people, and that cost isn't in the plan.",
    "Can we revisit this after the holidays?",
];

/// What sellers say between buyer turns.
const SELLER_EN: &[&str] = &[
    "Thanks for making the time today.",
    "Could you tell me a bit about how you handle this today?",
    "What would a successful rollout look like for your team?",
    "Shall we get the order form signed this week?",
    "I can put together a proposal with the options we discussed.",
    "Who else would be involved in the decision?",
    "What timeline are you working towards?",
    "Would a pilot with one team help make the case internally?",
];

/// 买家在销售电话里常说的话，长短不一。
const BUYER_ZH: &[&str] = &[
    "好的。",
    "嗯，明白了。",
    "我再考虑一下。",
    "你们能把资料发我邮箱吗？",
    "说实话，这个价格比我们预想的高不少。",
    "今年的预算大部分已经花在新的仓储系统上了。",
    "签字之前我得先跟我们财务总监汇报一下。",
    "超过五万的采购一般要走六到八周的流程。",
    "我们跟现在的供应商合同要到明年三月才到期。",
    "说句实话，另一家给我们的报价比你们低百分之三十左右。",
    "团队还在适应上一个系统，现在再换新的时机不太好。",
    "我个人挺认可的，但最后拍板的不是我。",
    "能不能先小范围试点，效果好再推广？",
    "我们法务要先看一下数据处理协议。",
    "如果第一年之后不续约，我们的数据怎么处理？",
    "跟我们ERP的对接是必须的，不是可有可无的。",
    "我们两年前试过类似的产品，结果大家都不怎么用。",
    "年度合同这块有没有商量的余地？",
    "领导让我至少再找两家比比价再做决定。",
    "第三季度是我们的旺季，十月之前不会上任何新系统。",
    "我得先看到明确的投资回报，才好往上报。",
    "像我们这种规模的团队，上线一般要多久？",
    "目前这个事情在管理层那里优先级不高。",
    "如果你们能跟那家的价格持平，这个月应该就能推进。",
    "下次开会我想请我们信息安全的同事一起参加。",
    "按人头收费对我们不太合适，因为一半的人是兼职。",
    "我们公司正在调整组织架构，预算暂时都冻结了。",
    "对，有道理。",
    "能再给我讲讲售后支持有哪些选项吗？",
    "董事会季度末开会，这个事情要在那时候定。",
    "说实话我们对现在用的还挺满意的，虽然有点老了。",
    "如果签三年并且一次性付款，能给多少折扣？",
    "我拉一下运营部的李经理，这个流程是她负责的。",
    "我担心报表模块满足不了我们按区域拆分的需求。",
    "实施费要是能免掉，这个账才算得过来。",
    "你把方案发我，我下周在内部传一下。",
    "比我们的预算高，不过自动化那部分确实很有吸引力。",
    "我们这个行业里还有哪些公司在用？",
    "我们得重新培训大概四十个人，这笔费用不在计划里。",
    "节后我们再聊这个吧？",
];

/// 销售在买家发言之间说的话。
const SELLER_ZH: &[&str] = &[
    "感谢您今天抽时间。",
    "您现在这块业务是怎么处理的？",
    "对您团队来说，怎样算是上线成功？",
    "这周我们能把合同签了吗？",
    "我可以把刚才聊的几个方案整理成一份报价。",
    "这个决定还有哪些人会参与？",
    "您这边大概的时间计划是怎样的？",
    "先在一个团队试点，会不会更好推动内部决策？",
];

/// A language of the generated texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// English.
    En,
    /// Chinese.
    Zh,
}

impl Lang {
    /// Both languages, English first.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Zh];

    /// The short code used in benchmark names and JSON.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh",
        }
    }

    fn buyer(self) -> &'static [&'static str] {
        match self {
            Lang::En => BUYER_EN,
            Lang::Zh => BUYER_ZH,
        }
    }

    fn seller(self) -> &'static [&'static str] {
        match self {
            Lang::En => SELLER_EN,
            Lang::Zh => SELLER_ZH,
        }
    }
}

/// Turns per language in the shared set (`turns.json`).
pub const TURNS_PER_LANG: usize = 64;

/// Shortest and longest buyer turn, in English words.
const MIN_WORDS: usize = 5;
const MAX_WORDS: usize = 60;

/// Chinese characters per English word that give similar token counts with the e5 tokenizer
/// (checked in `benches/README.md`).
const HAN_PER_WORD: f64 = 2.0;

/// The `index`-th buyer turn of a language; the same index gives the same text every run.
///
/// Target lengths cycle through 5–60 words in a scrambled order; sentences are appended in a
/// fixed stride through the list until the target is reached, then the text is cut to it.
pub fn buyer_turn(lang: Lang, index: usize) -> String {
    let target = MIN_WORDS + (index * 37 + index / 7) % (MAX_WORDS - MIN_WORDS + 1);
    let sentences = lang.buyer();
    let mut at = (index * 13) % sentences.len();
    let mut text = String::new();
    while size(lang, &text) < target {
        if !text.is_empty() && lang == Lang::En {
            text.push(' ');
        }
        text.push_str(sentences[at]);
        at = (at + 11) % sentences.len();
    }
    // Cut to the target: transcribed turns often stop mid-sentence anyway.
    trim_to(lang, &text, target)
}

/// The `index`-th seller line of a language.
pub fn seller_turn(lang: Lang, index: usize) -> String {
    let lines = lang.seller();
    lines[(index * 3) % lines.len()].to_string()
}

/// The shared set: `TURNS_PER_LANG` buyer turns of one language.
pub fn turn_set(lang: Lang) -> Vec<String> {
    (0..TURNS_PER_LANG).map(|i| buyer_turn(lang, i)).collect()
}

/// Length of a text in English words, or Chinese characters scaled to words.
fn size(lang: Lang, text: &str) -> usize {
    match lang {
        Lang::En => text.split_whitespace().count(),
        Lang::Zh => (text.chars().count() as f64 / HAN_PER_WORD).round() as usize,
    }
}

/// Cuts a text to at most `words` (English words, or the Chinese equivalent in characters).
fn trim_to(lang: Lang, text: &str, words: usize) -> String {
    match lang {
        Lang::En => text
            .split_whitespace()
            .take(words)
            .collect::<Vec<_>>()
            .join(" "),
        Lang::Zh => {
            let chars = (words as f64 * HAN_PER_WORD) as usize;
            text.chars().take(chars).collect()
        }
    }
}

/// The `index`-th conversation: alternating seller and buyer lines, `buyer_turns` of the
/// latter, as a plain `Speaker: text` transcript.
pub fn conversation(lang: Lang, index: usize, buyer_turns: usize) -> String {
    let (seller, buyer, colon) = match lang {
        Lang::En => ("Rep", "Customer", ": "),
        Lang::Zh => ("销售", "客户", "："),
    };
    let mut out = String::new();
    for t in 0..buyer_turns {
        let k = index * buyer_turns + t;
        let _ = writeln!(out, "{seller}{colon}{}", seller_turn(lang, k));
        let _ = writeln!(out, "{buyer}{colon}{}", buyer_turn(lang, k * 7 + 3));
    }
    out
}

/// Writes `count` conversations (even indices English, odd Chinese) into `dir`; returns the
/// file paths in order.
pub fn write_corpus(dir: &Path, count: usize, buyer_turns: usize) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut paths = Vec::with_capacity(count);
    for i in 0..count {
        let lang = Lang::ALL[i % 2];
        let path = dir.join(format!("call-{i:04}-{}.txt", lang.code()));
        std::fs::write(&path, conversation(lang, i, buyer_turns))?;
        paths.push(path);
    }
    Ok(paths)
}

/// The shared turn set as JSON: `{"en": [...], "zh": [...]}`.
pub fn turns_json() -> String {
    let value = serde_json::json!({
        "en": turn_set(Lang::En),
        "zh": turn_set(Lang::Zh),
    });
    serde_json::to_string_pretty(&value).unwrap_or_default() + "\n"
}

/// Where the shared turn set lives in the source tree.
pub fn turns_json_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/reference/turns.json")
}

/// The default encoder directory.
pub fn model_dir() -> String {
    demur::analyzer::default_model()
}

/// Median of a list of numbers (the list is sorted in place).
pub fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => f64::NAN,
        _ if n % 2 == 1 => values[n / 2],
        _ => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}
