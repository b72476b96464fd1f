//! Cues: the concrete facts in a conversation that make a strategy fit and fill its slots.
//!
//! - `stakeholder` (buyer turns): a person or group who must weigh in. CFO, CEO, CTO, CIO,
//!   CISO, COO, VP, founder, finance, procurement, legal, the board, a committee, leadership, IT,
//!   the security or compliance team, headquarters, boss/manager; 领导, 上级, 老板, 老总,
//!   总经理, 王总 (surname + 总), 财务, 采购, 法务, 信息部, IT部门, 安全团队, 合规部, 总部,
//!   集团, 董事会, 委员会, 管理层.
//! - `competitor` (buyer turns): a capitalised vendor name after "quote from", "compared to",
//!   "cheaper than", "switching from", "currently using", "we use", … or before "quoted",
//!   "offered", "is cheaper"; 用的是X, 现在用X, X那家, X的报价, 跟X比, 一家叫X的; or a vendor
//!   of [`KNOWN_VENDORS`] named in a turn about price or comparison. A [`STACK`] name that only
//!   follows "we use" is stack, not a competitor.
//! - `stack` (buyer turns): a system of the buyer's stack from [`STACK`] (SAP, Salesforce,
//!   Oracle, AWS, Kubernetes, 金蝶, 用友, 钉钉, 飞书, 企业微信, 阿里云…).
//! - `amount` (all turns): money, `$40k`, `¥50万`, `120,000 dollars`, `30万元`, `五十万`.
//! - `seats` (all turns): a seat or user count, `50 seats`, `200 users`, `30个账号`, `二十个坐席`.
//! - `percent` (all turns): a share or discount, `15%`, `20 percent`, `百分之十`, `八折`.
//! - `date` (all turns): Q1–Q4, H1, FY25, next/this quarter, the end of the quarter/month/year,
//!   next week/month/year, month names, weekdays after by/on/before; 年底, 年初, 下个月, 月底,
//!   下周, 过完年, 下季度, 第三季度, 明年, 下半年, 3月底, 周五. Each has an English and a
//!   Chinese wording (`end of March` ↔ `3月底`). Dates that are "after …" (过完年) are cues but
//!   do not fill `{date}`, which texts use as "by {date}".
//! - `deadline`: a date right after "by", "before", "until", "no later than", "due" or right
//!   before 之前/以前/前/截止 (all turns); or deadline, go-live, renewal, cut-off, 截止, 上线,
//!   到期, 最晚 in a buyer turn.
//!
//! The call's `stage` is the most advanced one any turn shows: `closing` (order form, purchase
//! order, signed, 签约, 下单, 盖章), `negotiation` (discount, contract, terms, 折扣, 优惠, 合同),
//! `proposal` (proposal, quote, pricing, 报价, 方案, or a seller turn naming an amount), `demo`
//! (demo, trial, pilot, 演示, 试用); `discovery` when none shows.
//!
//! "Buyer turns" are every turn whose role is not `seller`, so that conversations with unknown
//! roles still yield cues.

use std::fmt;
use std::str::FromStr;
use std::sync::LazyLock;

use regex::Regex;

use super::render::{Lang, Slot};
use crate::transcript::{Conversation, Role};

/// A kind of fact a strategy's conditions can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Cue {
    /// A stakeholder who must weigh in was named.
    Stakeholder,
    /// A competing or incumbent vendor was named.
    Competitor,
    /// A system of the buyer's stack was named.
    Stack,
    /// A money amount was mentioned.
    Amount,
    /// A seat or user count was mentioned.
    Seats,
    /// A percentage or discount was mentioned.
    Percent,
    /// A date or period was mentioned.
    Date,
    /// A date is a deadline, or a deadline was spoken of.
    Deadline,
}

impl Cue {
    /// Every cue, in a fixed order.
    pub const ALL: [Cue; 8] = [
        Cue::Stakeholder,
        Cue::Competitor,
        Cue::Stack,
        Cue::Amount,
        Cue::Seats,
        Cue::Percent,
        Cue::Date,
        Cue::Deadline,
    ];

    /// The cue's name in a playbook's `conditions.cues`.
    pub fn as_str(self) -> &'static str {
        match self {
            Cue::Stakeholder => "stakeholder",
            Cue::Competitor => "competitor",
            Cue::Stack => "stack",
            Cue::Amount => "amount",
            Cue::Seats => "seats",
            Cue::Percent => "percent",
            Cue::Date => "date",
            Cue::Deadline => "deadline",
        }
    }
}

impl fmt::Display for Cue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Cue {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Cue::ALL.into_iter().find(|cue| cue.as_str() == s).ok_or(())
    }
}

/// How far a call has gone, from first talk to paperwork.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Stage {
    /// Learning about the buyer's situation.
    #[default]
    Discovery,
    /// A demo, trial or pilot has been shown or discussed.
    Demo,
    /// A proposal, quote or pricing is on the table.
    Proposal,
    /// Discounts, contract or terms are being discussed.
    Negotiation,
    /// Signing, an order form or a purchase order is being discussed.
    Closing,
}

impl Stage {
    /// Every stage, in order.
    pub const ALL: [Stage; 5] = [
        Stage::Discovery,
        Stage::Demo,
        Stage::Proposal,
        Stage::Negotiation,
        Stage::Closing,
    ];

    /// The stage's name in a playbook's `conditions.stage`.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Discovery => "discovery",
            Stage::Demo => "demo",
            Stage::Proposal => "proposal",
            Stage::Negotiation => "negotiation",
            Stage::Closing => "closing",
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Stage {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Stage::ALL
            .into_iter()
            .find(|stage| stage.as_str() == s)
            .ok_or(())
    }
}

/// One fact found in one turn, with the words to use for it in each output language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mention {
    /// 0-based index of the turn it was found in.
    pub turn: usize,
    /// Whether that turn is on the buyer's side (any role but `seller`).
    pub buyer: bool,
    /// How English output names it (e.g. `the CFO`).
    pub en: String,
    /// How Chinese output names it (e.g. `CFO`, `财务`).
    pub zh: String,
}

impl Mention {
    /// The mention's words in one language.
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => &self.en,
            Lang::Zh => &self.zh,
        }
    }
}

/// Everything the cue extractor found in one conversation, mentions in turn order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cues {
    /// Stakeholders named on the buyer's side.
    pub stakeholders: Vec<Mention>,
    /// Competing or incumbent vendors named on the buyer's side.
    pub competitors: Vec<Mention>,
    /// Systems of the buyer's stack named on the buyer's side.
    pub stack: Vec<Mention>,
    /// Money amounts.
    pub amounts: Vec<Mention>,
    /// Seat or user counts.
    pub seats: Vec<Mention>,
    /// Percentages and discounts.
    pub percents: Vec<Mention>,
    /// Dates and periods.
    pub dates: Vec<Mention>,
    /// Turns in which a deadline was spoken of.
    pub deadlines: Vec<usize>,
    /// The most advanced stage any turn shows.
    pub stage: Stage,
}

impl Cues {
    /// Extracts the cues of a whole conversation.
    pub fn extract(conversation: &Conversation) -> Cues {
        let mut cues = Cues::default();
        for (turn, t) in conversation.turns.iter().enumerate() {
            cues.scan_turn(turn, t.role != Role::Seller, &t.text);
        }
        cues
    }

    /// Whether the conversation shows a cue.
    pub fn has(&self, cue: Cue) -> bool {
        match cue {
            Cue::Stakeholder => !self.stakeholders.is_empty(),
            Cue::Competitor => !self.competitors.is_empty(),
            Cue::Stack => !self.stack.is_empty(),
            Cue::Amount => !self.amounts.is_empty(),
            Cue::Seats => !self.seats.is_empty(),
            Cue::Percent => !self.percents.is_empty(),
            Cue::Date => !self.dates.is_empty(),
            Cue::Deadline => !self.deadlines.is_empty(),
        }
    }

    /// The turns in which a cue was found, in turn order (with repeats).
    pub fn turns_of(&self, cue: Cue) -> Vec<usize> {
        let mentions = match cue {
            Cue::Stakeholder => &self.stakeholders,
            Cue::Competitor => &self.competitors,
            Cue::Stack => &self.stack,
            Cue::Amount => &self.amounts,
            Cue::Seats => &self.seats,
            Cue::Percent => &self.percents,
            Cue::Date => &self.dates,
            Cue::Deadline => return self.deadlines.clone(),
        };
        mentions.iter().map(|m| m.turn).collect()
    }

    /// The mentions that can fill a slot; empty for slots not drawn from cues.
    pub fn for_slot(&self, slot: Slot) -> &[Mention] {
        match slot {
            Slot::Stakeholder => &self.stakeholders,
            Slot::Competitor => &self.competitors,
            Slot::TheirStack => &self.stack,
            Slot::Amount => &self.amounts,
            Slot::Seats => &self.seats,
            Slot::Date => &self.dates,
            Slot::Quote | Slot::Speaker => &[],
        }
    }

    fn scan_turn(&mut self, turn: usize, buyer: bool, text: &str) {
        let at = Place { turn, buyer };
        if buyer {
            at.collect(
                terms(&STAKEHOLDER_TERMS, text).into_iter().map(|h| h.named),
                &mut self.stakeholders,
            );
            at.collect(competitors(text), &mut self.competitors);
            at.collect(
                terms(&STACK_TERMS, text).into_iter().map(|h| h.named),
                &mut self.stack,
            );
            if DEADLINE_WORDS.is_match(text) {
                self.deadlines.push(turn);
            }
        }

        let amounts_before = self.amounts.len();
        at.collect(verbatim(&AMOUNT, text), &mut self.amounts);
        if !buyer && self.amounts.len() > amounts_before {
            // A seller naming a price means a quote is on the table.
            self.stage = self.stage.max(Stage::Proposal);
        }
        at.collect(verbatim(&SEATS, text), &mut self.seats);
        at.collect(verbatim(&PERCENT, text), &mut self.percents);

        let dates = dates(text);
        if dates.iter().any(|hit| is_deadline(text, hit)) && self.deadlines.last() != Some(&turn) {
            self.deadlines.push(turn);
        }
        at.collect(dates.into_iter().map(|h| h.named), &mut self.dates);

        self.stage = self.stage.max(stage_of(text));
    }
}

/// Where a mention was found.
struct Place {
    turn: usize,
    buyer: bool,
}

impl Place {
    fn collect(&self, found: impl IntoIterator<Item = Named>, into: &mut Vec<Mention>) {
        into.extend(found.into_iter().map(|n| Mention {
            turn: self.turn,
            buyer: self.buyer,
            en: n.en,
            zh: n.zh,
        }));
    }
}

/// A fact's words in both languages.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Named {
    en: String,
    zh: String,
}

impl Named {
    fn same(words: &str) -> Named {
        Named {
            en: words.to_string(),
            zh: words.to_string(),
        }
    }
}

/// A fact with its byte span in the turn's text.
struct Hit {
    start: usize,
    end: usize,
    named: Named,
}

/// A pattern and the words each language uses for what it finds (`None`: the words matched;
/// when the pattern has a capture group, the words of group 1).
struct Term {
    pattern: &'static str,
    en: Option<&'static str>,
    zh: Option<&'static str>,
}

const fn term(pattern: &'static str, en: &'static str, zh: &'static str) -> Term {
    Term {
        pattern,
        en: Some(en),
        zh: Some(zh),
    }
}

const fn term_en(pattern: &'static str, en: &'static str) -> Term {
    Term {
        pattern,
        en: Some(en),
        zh: None,
    }
}

const fn term_as_is(pattern: &'static str) -> Term {
    Term {
        pattern,
        en: None,
        zh: None,
    }
}

const STAKEHOLDERS: &[Term] = &[
    term(
        r"\bCFO\b|(?i:\bchief financial officer\b|\bfinance director\b)",
        "the CFO",
        "CFO",
    ),
    term(
        r"\bCEO\b|(?i:\bchief executive\b|\bmanaging director\b)",
        "the CEO",
        "CEO",
    ),
    term(
        r"\bCTO\b|(?i:\bchief technology officer\b)",
        "the CTO",
        "CTO",
    ),
    term(
        r"\bCIO\b|(?i:\bchief information officer\b)",
        "the CIO",
        "CIO",
    ),
    term(r"\bCISO\b", "the CISO", "CISO"),
    term(r"\bCOO\b", "the COO", "COO"),
    term(r"\bVP\b|(?i:\bvice president\b)", "the VP", "副总"),
    term(r"(?i)\bfounders?\b", "the founder", "创始人"),
    term(
        r"(?i)\bfinance(?:\s+(?:team|department|folks|people))?\b",
        "the finance team",
        "财务",
    ),
    term(
        r"(?i)\bprocurement\b|\bpurchasing\b|\bsourcing team\b",
        "procurement",
        "采购",
    ),
    term(
        r"(?i)\blegal\b|\blawyers?\b|\bcounsel\b",
        "the legal team",
        "法务",
    ),
    term(
        r"(?i)\b(?:the|our|my) board\b|\bboard (?:meeting|approval|sign-?off)\b",
        "the board",
        "董事会",
    ),
    term(r"(?i)\bcommittee\b", "the committee", "决策委员会"),
    term(
        concat!(
            r"(?i)\bleadership(?: team)?\b|\bexec(?:utive)? team\b",
            r"|\b(?:senior|upper|top) management\b|\bmanagement team\b",
        ),
        "the leadership team",
        "管理层",
    ),
    term(
        r"\bIT\b(?:\s+(?:team|department|folks|people))?",
        "the IT team",
        "IT部门",
    ),
    term(
        r"(?i)\bsecurity (?:team|folks|people|office)\b|\binfosec\b",
        "the security team",
        "安全团队",
    ),
    term(
        r"(?i)\bcompliance (?:team|office|officer)\b",
        "the compliance team",
        "合规部门",
    ),
    term(
        r"(?i)\bheadquarters\b|\bhead office\b|\bparent company\b|\bHQ\b",
        "headquarters",
        "总部",
    ),
    term(
        r"(?i)\b(?:my|our) (?:boss|manager|supervisor|director)\b|\bboss\b",
        "the boss",
        "领导",
    ),
    term_en("领导|上级|上头|一把手|老总", "the boss"),
    term_en("老板", "the owner"),
    term_en("总经理|总裁|董事长", "the general manager"),
    term_en(SURNAME_BOSS, "the executive"),
    term_en("财务(?:总监|负责人)", "the CFO"),
    term_en("财务", "the finance team"),
    term_en("采购", "procurement"),
    term_en("法务", "the legal team"),
    term_en("信息部|信息中心|信息化部|IT部门?|技术部", "the IT team"),
    term_en("安全部门?|安全团队|信息安全部", "the security team"),
    term_en("合规部门?", "the compliance team"),
    term_en("总部|集团", "headquarters"),
    term_en("董事会|股东会", "the board"),
    term_en("委员会", "the committee"),
    term_en("管理层|高层", "the leadership team"),
];

/// `王总` and the like, not followed by characters that make 总 part of another word.
const SURNAME_BOSS: &str = concat!(
    "([王李张刘陈杨黄赵吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁",
    "潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范石廖贾夏韦方白邹孟熊秦邱",
    "江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴莫孔汤]总)(?:[^部体共结之是算计额的和]|$)"
);

/// Systems of a buyer's stack; a name here is stack, not a competitor, when it only follows
/// "we use".
pub const STACK: &[&str] = &[
    "SAP",
    "Salesforce",
    "Oracle",
    "NetSuite",
    "Workday",
    "Dynamics",
    "HubSpot",
    "ServiceNow",
    "Zendesk",
    "Jira",
    "Confluence",
    "Slack",
    "Microsoft Teams",
    "Okta",
    "Active Directory",
    "AWS",
    "Azure",
    "GCP",
    "Google Cloud",
    "Snowflake",
    "Databricks",
    "BigQuery",
    "PostgreSQL",
    "Postgres",
    "MySQL",
    "SQL Server",
    "MongoDB",
    "Kafka",
    "Kubernetes",
    "Docker",
    "Shopify",
    "Magento",
    "SharePoint",
    "Tableau",
    "Power BI",
    "Excel",
    "Marketo",
    "金蝶",
    "用友",
    "钉钉",
    "飞书",
    "企业微信",
    "阿里云",
    "腾讯云",
    "华为云",
    "泛微",
    "致远",
    "浪潮",
    "销售易",
    "纷享销客",
    "北森",
];

/// Well-known vendors that count as a competitor when named in a turn about price or
/// comparison, even without a "quote from X" pattern.
pub const KNOWN_VENDORS: &[&str] = &[
    "Salesforce",
    "HubSpot",
    "Gong",
    "Chorus",
    "Clari",
    "Outreach",
    "Salesloft",
    "Zendesk",
    "Freshworks",
    "Zoho",
    "Pipedrive",
    "Oracle",
    "SAP",
    "Microsoft",
    "ServiceNow",
    "Workday",
    "金蝶",
    "用友",
    "销售易",
    "纷享销客",
    "钉钉",
    "飞书",
    "企业微信",
    "泛微",
    "致远",
    "北森",
];

static STAKEHOLDER_TERMS: LazyLock<Vec<(Regex, &'static Term)>> =
    LazyLock::new(|| compile_terms(STAKEHOLDERS));

static STACK_TERMS: LazyLock<Vec<(Regex, &'static Term)>> = LazyLock::new(|| {
    static TERMS: LazyLock<Vec<Term>> = LazyLock::new(|| {
        STACK
            .iter()
            .map(|name| Term {
                pattern: name,
                en: None,
                zh: None,
            })
            .collect()
    });
    TERMS.iter().map(|t| (bounded(t.pattern), t)).collect()
});

/// Compiles a built-in pattern. `\b` is made an ASCII word boundary, so that `CFO` is found in
/// 跟CFO汇报 (Unicode counts Han characters as word characters).
fn compile(pattern: &str) -> Regex {
    let pattern = pattern.replace(r"\b", r"(?-u:\b)");
    Regex::new(&pattern).unwrap_or_else(|e| panic!("built-in pattern `{pattern}`: {e}"))
}

fn compile_terms(table: &'static [Term]) -> Vec<(Regex, &'static Term)> {
    table.iter().map(|t| (compile(t.pattern), t)).collect()
}

/// A literal name, matched as a whole word when it is Latin.
fn bounded(name: &str) -> Regex {
    let escaped = regex::escape(name);
    if name.is_ascii() {
        compile(&format!(r"\b{escaped}\b"))
    } else {
        compile(&escaped)
    }
}

/// The words a term gives for one match.
fn named_for(term: &Term, caps: &regex::Captures<'_>) -> Named {
    let found = caps
        .get(1)
        .or_else(|| caps.get(0))
        .map_or("", |m| m.as_str());
    Named {
        en: term.en.unwrap_or(found).to_string(),
        zh: term.zh.unwrap_or(found).to_string(),
    }
}

/// Every match of every term, in order of position in the text.
fn terms(table: &[(Regex, &'static Term)], text: &str) -> Vec<Hit> {
    let mut hits: Vec<Hit> = table
        .iter()
        .flat_map(|(re, term)| {
            re.captures_iter(text).filter_map(|caps| {
                let whole = caps.get(0)?;
                Some(Hit {
                    start: whole.start(),
                    end: whole.end(),
                    named: named_for(term, &caps),
                })
            })
        })
        .collect();
    hits.sort_by_key(|h| h.start);
    hits
}

fn verbatim<'t>(re: &'t Regex, text: &'t str) -> impl Iterator<Item = Named> + 't {
    re.find_iter(text).map(|m| Named::same(m.as_str().trim()))
}

/// Latin number with optional thousands separators and decimals.
const NUM: &str = r"\d[\d,]*(?:\.\d+)?";

static AMOUNT: LazyLock<Regex> = LazyLock::new(|| {
    compile(&format!(
        "[$¥€£￥]\\s?{NUM}(?:\\s?(?:[kKmM]\\b|mm\\b|bn\\b|million|thousand|billion|万))?\
         |{NUM}\\s?(?:[kK]\\b|(?i:million|thousand|dollars|usd|rmb|cny|euros|bucks)\\b)\
         |{NUM}\\s?(?:百万|万|千|亿)(?:元|块|美元|美金|人民币)?\
         |{NUM}\\s?(?:元|块钱|块|美元|美金)\
         |[一二两三四五六七八九十百]+[千万](?:元|块)?"
    ))
});

static SEATS: LazyLock<Regex> = LazyLock::new(|| {
    compile(&format!(
        "(?i:\\b{NUM}\\s?(?:seats?|users?|licen[cs]es?|sales reps|reps|agents|employees|people|staff)\\b)\
         |\\d+\\s?个?(?:账号|席位|用户|坐席|人|套)\
         |[一二两三四五六七八九十百千]+个?(?:账号|席位|用户|坐席)"
    ))
});

static PERCENT: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"\d+(?:\.\d+)?\s?%|(?i:\b\d+(?:\.\d+)?\s?percent\b)|百分之[\d一二三四五六七八九十]+|[一二三四五六七八九]折|\d(?:\.\d)?折",
    )
});

static DEADLINE_WORDS: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"(?i:\bdeadline\b|\bhard stop\b|\bgo[- ]live\b|\bcut-?off\b|\brenewal\b|\bcontract (?:ends|expires|is up)\b)|截止|上线|到期|最晚|死线",
    )
});

const DATES: &[Term] = &[
    term_as_is(r"\bQ[1-4]\b|\bFY ?\d{2,4}\b|\bH[12]\b"),
    term(r"(?i)\bnext quarter\b", "next quarter", "下个季度"),
    term(r"(?i)\bthis quarter\b", "this quarter", "本季度"),
    term(
        r"(?i)\bend of (?:the |this )?quarter\b|\bquarter[- ]end\b",
        "the end of the quarter",
        "季度末",
    ),
    term(
        r"(?i)\bend of (?:the |this )?year\b|\byear[- ]end\b",
        "year-end",
        "年底",
    ),
    term(
        r"(?i)\bend of (?:the |this )?month\b|\bmonth[- ]end\b",
        "the end of the month",
        "月底",
    ),
    term(
        r"(?i)\bnext (?:fiscal |calendar )?year\b",
        "next year",
        "明年",
    ),
    term(
        r"(?i)\bnew fiscal year\b|\bnext budget (?:cycle|year)\b",
        "the new fiscal year",
        "新财年",
    ),
    term(r"(?i)\bnext month\b", "next month", "下个月"),
    term(r"(?i)\bnext week\b", "next week", "下周"),
    term(r"(?i)\bthis week\b", "this week", "本周"),
    term(r"(?i)\bafter the holidays\b", "after the holidays", "节后"),
    term(
        r"\b(?:by|on|before|until|next|this) Monday\b",
        "Monday",
        "周一",
    ),
    term(
        r"\b(?:by|on|before|until|next|this) Tuesday\b",
        "Tuesday",
        "周二",
    ),
    term(
        r"\b(?:by|on|before|until|next|this) Wednesday\b",
        "Wednesday",
        "周三",
    ),
    term(
        r"\b(?:by|on|before|until|next|this) Thursday\b",
        "Thursday",
        "周四",
    ),
    term(
        r"\b(?:by|on|before|until|next|this) Friday\b",
        "Friday",
        "周五",
    ),
    term_en("年底|年末", "year-end"),
    term_en("年初", "the start of the year"),
    term_en("下个?月", "next month"),
    term_en("月底|月末", "the end of the month"),
    term_en("下周|下星期|下礼拜", "next week"),
    term_en("这周|本周|这个?星期|这礼拜", "this week"),
    term_en("过完年|过了年|年后|春节后|节后", "after Chinese New Year"),
    term_en("下个?季度", "next quarter"),
    term_en("季度末|季末", "the end of the quarter"),
    term_en("第一季度|一季度", "Q1"),
    term_en("第二季度|二季度", "Q2"),
    term_en("第三季度|三季度", "Q3"),
    term_en("第四季度|四季度", "Q4"),
    term_en("明年", "next year"),
    term_en("下半年", "the second half of the year"),
    term_en("新财年|下个财年", "the new fiscal year"),
    term_en("(?:周|星期|礼拜)一", "Monday"),
    term_en("(?:周|星期|礼拜)二", "Tuesday"),
    term_en("(?:周|星期|礼拜)三", "Wednesday"),
    term_en("(?:周|星期|礼拜)四", "Thursday"),
    term_en("(?:周|星期|礼拜)五", "Friday"),
];

static DATE_TERMS: LazyLock<Vec<(Regex, &'static Term)>> = LazyLock::new(|| compile_terms(DATES));

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// An English month; `May` only after a preposition, since "May I…" is not a date.
static EN_MONTH: LazyLock<Regex> = LazyLock::new(|| {
    let months: Vec<&str> = MONTHS.iter().copied().filter(|m| *m != "May").collect();
    let part = r"(?:(?:the )?(end|beginning|start|middle) of |(early|mid|late)[- ])?";
    let may = "(?:in|by|until|before|of|early|mid|late) May";
    compile(&format!(r"\b{part}({}|{may})\b", months.join("|")))
});

/// A Chinese month, `3月`, `十一月底`; `三个月` (three months) is a duration and does not match.
static ZH_MONTH: LazyLock<Regex> =
    LazyLock::new(|| compile(r"(1[0-2]|[1-9]|十[一二]?|[一二三四五六七八九])月(底|末|初|中|份)?"));

fn dates(text: &str) -> Vec<Hit> {
    let mut hits = terms(&DATE_TERMS, text);
    hits.extend(EN_MONTH.captures_iter(text).filter_map(|c| en_month(&c)));
    hits.extend(ZH_MONTH.captures_iter(text).filter_map(|c| zh_month(&c)));
    hits.sort_by_key(|h| (h.start, std::cmp::Reverse(h.end)));

    // "3月底" also holds "月底": keep only hits not inside an earlier, longer one.
    let mut kept: Vec<Hit> = Vec::with_capacity(hits.len());
    for hit in hits {
        if kept.last().is_none_or(|last| hit.start >= last.end) {
            kept.push(hit);
        }
    }
    kept
}

fn en_month(caps: &regex::Captures<'_>) -> Option<Hit> {
    let whole = caps.get(0)?;
    let name = caps.get(3)?.as_str().rsplit(' ').next()?;
    let number = MONTHS.iter().position(|m| *m == name)? + 1;
    let part = caps
        .get(1)
        .or_else(|| caps.get(2))
        .map_or("", |m| m.as_str());
    let zh_part = match part {
        "end" | "late" => "底",
        "beginning" | "start" | "early" => "初",
        "middle" | "mid" => "中",
        _ => "",
    };
    let en = whole.as_str().trim_start_matches("the ");
    let en = en
        .strip_prefix("in ")
        .or_else(|| en.strip_prefix("by "))
        .unwrap_or(en);
    let named = Named {
        en: en.to_string(),
        zh: format!("{number}月{zh_part}"),
    };
    Some(Hit {
        start: whole.start(),
        end: whole.end(),
        named,
    })
}

fn zh_month(caps: &regex::Captures<'_>) -> Option<Hit> {
    let whole = caps.get(0)?;
    let number = month_number(caps.get(1)?.as_str())?;
    let name = MONTHS.get(number - 1)?;
    let en = match caps.get(2).map(|m| m.as_str()) {
        Some("底" | "末") => format!("the end of {name}"),
        Some("初") => format!("early {name}"),
        Some("中") => format!("mid-{name}"),
        _ => (*name).to_string(),
    };
    let named = Named {
        en,
        zh: whole.as_str().to_string(),
    };
    Some(Hit {
        start: whole.start(),
        end: whole.end(),
        named,
    })
}

fn month_number(digits: &str) -> Option<usize> {
    const HAN: [&str; 12] = [
        "一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二",
    ];
    digits
        .parse()
        .ok()
        .or_else(|| HAN.iter().position(|h| *h == digits).map(|i| i + 1))
}

/// Whether a date is said as a deadline: "by Q3", "before the end of the year", "年底之前".
fn is_deadline(text: &str, hit: &Hit) -> bool {
    const BEFORE: [&str; 8] = [
        "by",
        "before",
        "until",
        "no later than",
        "due",
        "必须在",
        "得在",
        "赶在",
    ];
    const AFTER: [&str; 5] = ["之前", "以前", "前", "截止", "为止"];
    let head = text[..hit.start].trim_end().to_lowercase();
    let head = head
        .strip_suffix("the")
        .map_or(head.as_str(), str::trim_end);
    let tail = &text[hit.end..];
    BEFORE.iter().any(|w| ends_with_word(head, w)) || AFTER.iter().any(|w| tail.starts_with(w))
}

fn ends_with_word(head: &str, word: &str) -> bool {
    head.strip_suffix(word).is_some_and(|rest| {
        !word.is_ascii()
            || rest
                .chars()
                .next_back()
                .is_none_or(|c| !c.is_alphanumeric())
    })
}

static STAGES: LazyLock<[(Stage, Regex); 4]> = LazyLock::new(|| {
    [
        (
            Stage::Closing,
            compile(
                r"(?i:\border form\b|\bpurchase order\b|\bsign (?:the|this|it)\b|\bsigned\b|\bcountersign|\bdocusign\b)|\bPO\b|签约|签合同|下单|盖章|走合同",
            ),
        ),
        (
            Stage::Negotiation,
            compile(
                r"(?i:\bdiscount|\bcontract\b|\bterms\b|\bredline|\bnegotiat|\bMSA\b)|折扣|优惠|合同|条款|打折|让利|账期",
            ),
        ),
        (
            Stage::Proposal,
            compile(
                r"(?i:\bproposal\b|\bquote\b|\bquoted\b|\bpricing\b|\bprice sheet\b|\bestimate\b)|报价|方案|价格表",
            ),
        ),
        (
            Stage::Demo,
            compile(
                r"(?i:\bdemo\b|\bwalk-?through\b|\bshowed\b|\btrial\b|\bpilot\b|\bpoc\b)|演示|试用|试点",
            ),
        ),
    ]
});

fn stage_of(text: &str) -> Stage {
    STAGES
        .iter()
        .find(|(_, re)| re.is_match(text))
        .map_or(Stage::Discovery, |(stage, _)| *stage)
}

/// A capitalised Latin vendor name of one or two words.
const NAME: &str = r"([A-Z][A-Za-z0-9&\-]*(?:\.(?:com|io|ai))?(?:\s[A-Z][A-Za-z0-9&\-]*)?)";

/// A Chinese vendor name is only trusted from [`KNOWN_VENDORS`] or cut out of a forward pattern.
static COMPETITOR_STRONG: LazyLock<Regex> = LazyLock::new(|| {
    let before = [
        "quotes? from",
        "quoted by",
        "offer from",
        "proposal from",
        "pricing from",
        "price from",
        "bid from",
        "compared (?:to|with)",
        "versus",
        "vs\\.?",
        "cheaper than",
        "switch(?:ing|ed)? (?:from|to)",
        "moving (?:off|to)",
        "migrat(?:e|ing) (?:from|off)",
        "replacing",
        "evaluating",
        "talking to",
    ];
    compile(&format!(r"(?i:{})\s+(?:the\s+)?{NAME}", before.join("|")))
});

static COMPETITOR_AFTER: LazyLock<Regex> = LazyLock::new(|| {
    let en = "quoted|offered|is offering|is cheaper|was cheaper|came in|charges|gave us";
    let zh = "那家|那边|家的|的报价|报价|报的价|给的价|的价格|更便宜|便宜";
    compile(&format!(r"\b{NAME}\s+(?i:{en})\b|{NAME}\s*(?:{zh})"))
});

static INCUMBENT: LazyLock<Regex> = LazyLock::new(|| {
    let before = [
        "currently (?:using|on|with)",
        "we(?:'re| are)? (?:currently |already )?(?:using|use|on)",
        "we've been (?:using|on)",
        "already (?:use|using)",
        "we run",
        "our (?:current )?(?:vendor|provider|tool|system) is",
    ];
    compile(&format!(r"(?i:{})\s+{NAME}", before.join("|")))
});

static ZH_INCUMBENT: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"(?:用的是|(?:现在|目前|之前|原来|以前)用的?是?|一直在?用)\s*([A-Za-z][A-Za-z0-9&\-]*|\p{Han}{2,6})",
    )
});

static ZH_NAMED: LazyLock<Regex> =
    LazyLock::new(|| compile(r"(?:一家|有家|有个)叫([\p{Han}A-Za-z0-9]{2,6}?)的"));

static ZH_VENDOR_CONTEXT: LazyLock<Regex> = LazyLock::new(|| {
    let names: Vec<String> = KNOWN_VENDORS.iter().map(|n| regex::escape(n)).collect();
    let names = names.join("|");
    compile(&format!(
        r"(?:跟|和|与|比)\s*({names})\s*(?:比|对比|相比|比较)|({names})\s*(?:那家|那边|的报价|报价|报的价|给的价|的价格|更便宜|便宜)"
    ))
});

static VENDOR_NAMES: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
    KNOWN_VENDORS
        .iter()
        .map(|name| (bounded(name), *name))
        .collect()
});

static PRICE_CONTEXT: LazyLock<Regex> = LazyLock::new(|| {
    let en =
        r"cheaper|quote|offer|pricing|price|alternative|compar|switch|competitor|versus|\bvs\b";
    compile(&format!(
        "(?i:{en})|便宜|报价|优惠|对比|比较|价格|竞品|换成"
    ))
});

/// Words that a capitalised-name pattern catches but that never name a vendor.
const NOT_NAMES: &[&str] = &[
    "I", "We", "Our", "The", "A", "An", "It", "This", "That", "They", "Their", "Them", "You",
    "Your", "Some", "Another", "Other", "One", "Two", "OK", "Yes", "No", "So", "And", "But",
    "What", "Which", "Who", "He", "She", "My", "Last", "Next", "Then", "There",
];

/// Chinese words a forward pattern can cut out that are not a vendor.
const NOT_ZH_NAMES: &[&str] = &[
    "那家", "这家", "别家", "别的", "其他", "一个", "这个", "那个", "他们", "我们",
];

fn competitors(text: &str) -> Vec<Named> {
    let mut found = latin_competitors(text);
    found.extend(chinese_competitors(text));
    if PRICE_CONTEXT.is_match(text) {
        let named = VENDOR_NAMES.iter().filter(|(re, _)| re.is_match(text));
        found.extend(named.map(|(_, name)| name.to_string()));
    }
    let vendors = found.into_iter().filter(|n| is_vendor_name(n));
    vendors.map(|n| Named::same(&n)).collect()
}

/// Capitalised names around "quote from", "is cheaper", "we use" and the like.
fn latin_competitors(text: &str) -> Vec<String> {
    let around = COMPETITOR_STRONG
        .captures_iter(text)
        .chain(COMPETITOR_AFTER.captures_iter(text));
    let mut found: Vec<String> = around
        .filter_map(|c| c.get(1).or_else(|| c.get(2)))
        .map(|m| m.as_str().into())
        .collect();
    let incumbents = INCUMBENT.captures_iter(text).filter_map(|c| c.get(1));
    found.extend(incumbents.filter_map(incumbent));
    found
}

/// Names after 用的是 / 叫…的, and known vendors before 那家, 报价, 便宜 or in 跟X比.
fn chinese_competitors(text: &str) -> Vec<String> {
    let used = ZH_INCUMBENT.captures_iter(text).filter_map(|c| c.get(1));
    let mut found: Vec<String> = used
        .filter_map(|m| zh_name(m.as_str()))
        .filter(|n| !STACK.contains(&n.as_str()))
        .collect();
    found.extend(
        ZH_NAMED
            .captures_iter(text)
            .filter_map(|c| zh_name(c.get(1)?.as_str())),
    );
    let known = ZH_VENDOR_CONTEXT.captures_iter(text);
    found.extend(
        known
            .filter_map(|c| c.get(1).or_else(|| c.get(2)))
            .map(|m| m.as_str().into()),
    );
    found
}

/// A name after "we use": a competitor (the incumbent) unless it is part of the buyer's stack.
fn incumbent(m: regex::Match<'_>) -> Option<String> {
    let name = m.as_str();
    let first = name.split(' ').next().unwrap_or(name);
    let in_stack = STACK.iter().any(|s| *s == name || *s == first);
    (!in_stack).then(|| name.to_string())
}

/// Cuts a Chinese name out of the text that followed 用的是: up to 的, 系统, 做… .
fn zh_name(raw: &str) -> Option<String> {
    const STOPS: [&str; 10] = [
        "的", "系统", "软件", "平台", "那", "做", "来", "管", "这", "在",
    ];
    if raw.is_ascii() {
        return Some(raw.to_string());
    }
    let cut = STOPS
        .iter()
        .filter_map(|s| raw.find(s))
        .min()
        .unwrap_or(raw.len());
    let name = &raw[..cut];
    let chars = name.chars().count();
    let first_ok = !name.starts_with(['户', '于', '了', '着', '过', '完', '不', '到']);
    ((2..=4).contains(&chars) && first_ok && !NOT_ZH_NAMES.contains(&name)).then(|| name.into())
}

fn is_vendor_name(name: &str) -> bool {
    let first = name.split(' ').next().unwrap_or(name);
    let is_date = DATE_TERMS.iter().any(|(re, _)| re.is_match(first)) || MONTHS.contains(&first);
    let is_person = STAKEHOLDER_TERMS.iter().any(|(re, _)| re.is_match(first));
    !name.is_empty() && !NOT_NAMES.contains(&first) && !is_date && !is_person
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(found: &[Mention], lang: Lang) -> Vec<&str> {
        found.iter().map(|m| m.get(lang)).collect()
    }

    fn cues_of(turns: &[(Role, &str)]) -> Cues {
        let mut cues = Cues::default();
        for (i, (role, text)) in turns.iter().enumerate() {
            cues.scan_turn(i, *role != Role::Seller, text);
        }
        cues
    }

    fn buyer(text: &str) -> Cues {
        cues_of(&[(Role::Customer, text)])
    }

    #[test]
    fn every_built_in_pattern_compiles() {
        assert_eq!(STAKEHOLDER_TERMS.len(), STAKEHOLDERS.len());
        assert_eq!(DATE_TERMS.len(), DATES.len());
        assert_eq!(STACK_TERMS.len(), STACK.len());
        let lazies = [
            &AMOUNT,
            &SEATS,
            &PERCENT,
            &DEADLINE_WORDS,
            &EN_MONTH,
            &ZH_MONTH,
        ];
        assert!(lazies.iter().all(|re| !re.as_str().is_empty()));
        let more = [
            &COMPETITOR_STRONG,
            &COMPETITOR_AFTER,
            &INCUMBENT,
            &ZH_INCUMBENT,
            &ZH_NAMED,
        ];
        assert!(more.iter().all(|re| !re.as_str().is_empty()));
        assert!(!ZH_VENDOR_CONTEXT.as_str().is_empty() && !PRICE_CONTEXT.as_str().is_empty());
        assert_eq!(STAGES.len(), 4);
    }

    #[test]
    fn stakeholders_in_both_languages() {
        let cues = buyer("I'd need our CFO and procurement to sign off before the board meets.");
        assert_eq!(
            names(&cues.stakeholders, Lang::En),
            ["the CFO", "procurement", "the board"]
        );
        let cues = buyer("这个要跟王总汇报，财务那边也得过一下");
        assert_eq!(names(&cues.stakeholders, Lang::Zh), ["王总", "财务"]);
        assert_eq!(
            names(&cues.stakeholders, Lang::En),
            ["the executive", "the finance team"]
        );
        assert!(buyer("我们总部在上海")
            .stakeholders
            .iter()
            .all(|m| m.zh != "们总"));
    }

    #[test]
    fn it_the_pronoun_is_not_it_the_team() {
        assert!(buyer("it works, but let me think about it")
            .stakeholders
            .is_empty());
        assert_eq!(
            names(&buyer("Our IT team will check it.").stakeholders, Lang::En),
            ["the IT team"]
        );
    }

    #[test]
    fn competitors_from_patterns_and_the_vendor_list() {
        let cues = buyer("We got a quote from Acme Corp that's 20% lower.");
        assert_eq!(names(&cues.competitors, Lang::En), ["Acme Corp"]);
        let cues = buyer("We're currently using Gong for this.");
        assert_eq!(names(&cues.competitors, Lang::En), ["Gong"]);
        let cues = buyer("我们现在用的是销售易的系统，销售易报价便宜不少");
        assert_eq!(names(&cues.competitors, Lang::Zh), ["销售易", "销售易"]);
        let cues = buyer("之前用的那家也说能对接");
        assert!(cues.competitors.is_empty());
    }

    #[test]
    fn stack_names_are_not_incumbents() {
        let cues = buyer("We use Salesforce and SAP for everything.");
        assert!(cues.competitors.is_empty());
        assert_eq!(names(&cues.stack, Lang::En), ["Salesforce", "SAP"]);
        let cues = buyer("我们用的是金蝶，能对接吗？");
        assert!(cues.competitors.is_empty());
        assert_eq!(names(&cues.stack, Lang::Zh), ["金蝶"]);
    }

    #[test]
    fn seller_turns_give_no_stakeholders_or_stack() {
        let cues = cues_of(&[(
            Role::Seller,
            "Would your CFO want to see our SAP connector?",
        )]);
        assert!(cues.stakeholders.is_empty() && cues.stack.is_empty());
    }

    #[test]
    fn numbers_amounts_seats_and_percents() {
        let cues =
            buyer("$40k for 50 seats is steep; budget was ¥30万, maybe 15% off or 120,000 dollars");
        assert_eq!(
            names(&cues.amounts, Lang::En),
            ["$40k", "¥30万", "120,000 dollars"]
        );
        assert_eq!(names(&cues.seats, Lang::En), ["50 seats"]);
        assert_eq!(names(&cues.percents, Lang::En), ["15%"]);
        let cues = buyer("五十万太多了，先开二十个账号，能打八折吗");
        assert_eq!(names(&cues.amounts, Lang::Zh), ["五十万"]);
        assert_eq!(names(&cues.seats, Lang::Zh), ["二十个账号"]);
        assert_eq!(names(&cues.percents, Lang::Zh), ["八折"]);
    }

    #[test]
    fn dates_with_both_wordings() {
        let cues = buyer("Maybe next quarter, or by the end of March.");
        assert_eq!(
            names(&cues.dates, Lang::En),
            ["next quarter", "end of March"]
        );
        assert_eq!(names(&cues.dates, Lang::Zh), ["下个季度", "3月底"]);
        assert!(cues.has(Cue::Deadline));
        let cues = buyer("过完年再说吧，三个月以后");
        assert_eq!(names(&cues.dates, Lang::Zh), ["过完年"]);
        assert!(!cues.has(Cue::Deadline));
        let cues = buyer("年底之前必须上线，预计10月份开始");
        assert_eq!(names(&cues.dates, Lang::En), ["year-end", "October"]);
        assert!(cues.has(Cue::Deadline));
        assert!(buyer("May I ask a question?").dates.is_empty());
    }

    #[test]
    fn stage_is_the_most_advanced_seen() {
        let cues = cues_of(&[
            (Role::Seller, "Thanks for joining the demo."),
            (Role::Customer, "Can you send the order form?"),
            (Role::Seller, "Sure, and the pricing too."),
        ]);
        assert_eq!(cues.stage, Stage::Closing);
        assert_eq!(buyer("Hello there").stage, Stage::Discovery);
        assert_eq!(buyer("Need CFO sign-off first").stage, Stage::Discovery);
    }

    #[test]
    fn names_round_trip() {
        for cue in Cue::ALL {
            assert_eq!(cue.as_str().parse::<Cue>(), Ok(cue));
        }
        for stage in Stage::ALL {
            assert_eq!(stage.as_str().parse::<Stage>(), Ok(stage));
        }
    }
}
