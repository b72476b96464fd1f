//! Speaker names: normalizing them, telling unknown speakers apart, and the rule that decides
//! whether `X: text` names a speaker or is just a colon inside text.
//!
//! `X` names a speaker when all of these hold:
//! - it looks like a name: at most 40 characters and 4 words, starting with a letter, made of
//!   letters, digits, spaces and `.-'_&()#@/·` (brackets also full-width, `（）`, as Chinese
//!   text writes them); a Latin label starts with a capital or holds a
//!   digit or `_` (`Maya`, `Li Wei (Acme)`, `Speaker 1`, `spk_0`); a Chinese label has at most
//!   12 Han characters and none of the function characters that mark a sentence (`的是了吗…`);
//! - it has no sentence words (`the`, `is`, `we`, …), so `So the thing is: …` stays text;
//! - it is not a heading word that prose puts before a colon (`Note`, `Agenda`, `Re`, `PS`,
//!   `FYI`, `Subject`, `备注`, …), nor such a word with a number (`Step 1`, `Q3`);
//! - and, in plain text, it is followed by text on its line or the next one, or it is used as a
//!   label on more than one line.
//!
//! A colon between two digits (`10:30`) never separates a label.

use super::clean::{is_han, is_invisible};
use super::time;

/// Words that prose puts before a colon and that are not speakers.
const HEADINGS: &[&str] = &[
    "note",
    "notes",
    "nb",
    "n.b",
    "agenda",
    "re",
    "fw",
    "fwd",
    "ps",
    "p.s",
    "pps",
    "fyi",
    "cc",
    "bcc",
    "to",
    "from",
    "subject",
    "topic",
    "date",
    "time",
    "when",
    "where",
    "location",
    "summary",
    "action items",
    "action item",
    "next steps",
    "next step",
    "todo",
    "to do",
    "tip",
    "warning",
    "example",
    "update",
    "reminder",
    "http",
    "https",
    "mailto",
    "step",
    "option",
    "item",
    "phase",
    "point",
    "goal",
    "goals",
    "result",
    "results",
    "status",
    "attendees",
    "participants",
    "duration",
    "title",
    "price",
    "pricing",
    "budget",
    "cost",
    "total",
    "q1",
    "q2",
    "q3",
    "q4",
    "fy",
    "注",
    "注意",
    "备注",
    "议程",
    "时间",
    "日期",
    "主题",
    "地点",
    "总结",
    "会议纪要",
    "纪要",
    "待办",
    "参会人",
    "结论",
    "附件",
];

/// Words that make a would-be label a sentence fragment.
const SENTENCE_WORDS: &[&str] = &[
    "the", "is", "are", "was", "were", "a", "an", "to", "of", "and", "but", "so", "we", "i", "it",
    "that", "this", "our", "my", "your", "will", "can", "be", "have", "has", "what", "how", "why",
    "if", "just", "also", "not", "there", "here",
];

/// Han characters that names and titles almost never hold but sentences do.
const SENTENCE_HAN: &str = "的是了吗呢吧啊我你他她这那就都在说么";

/// Names that mean the source did not know who spoke.
const UNKNOWN: &[&str] = &[
    "unknown",
    "unknown speaker",
    "speaker ?",
    "speaker?",
    "?",
    "??",
    "unidentified",
    "unidentified speaker",
    "未知",
    "未知说话人",
];

/// A `X: text` prefix found on a line.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Prefix<'a> {
    /// The label as written, used to count how often it recurs.
    pub label: &'a str,
    /// The speaker it names; `None` for `Unknown Speaker`, `Speaker ?`.
    pub speaker: Option<String>,
    /// A time written inside the label (`Maya [00:12]:`).
    pub start: Option<f64>,
    /// The text after the colon.
    pub rest: &'a str,
}

/// The speaker name cleaned of invisible characters and extra spaces; `None` when empty or a
/// way of saying "unknown".
pub(crate) fn normalize(raw: &str) -> Option<String> {
    let visible: String = raw.chars().filter(|&c| !is_invisible(c)).collect();
    let name = visible.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() || is_unknown(&name) {
        None
    } else {
        Some(name)
    }
}

/// Whether a name stands for an unknown speaker (`Unknown Speaker`, `Speaker ?`, `未知`).
pub(crate) fn is_unknown(name: &str) -> bool {
    let lower = name.trim().to_lowercase();
    UNKNOWN.contains(&lower.as_str())
}

/// The `X: text` or `X：text` prefix of `line`, when `X` names a speaker by the module's rule
/// (all but the recurrence part, which needs the whole file).
pub(crate) fn split_label(line: &str) -> Option<Prefix<'_>> {
    let at = separator(line)?;
    let colon_len = line[at..].chars().next()?.len_utf8();
    let (label, rest) = (line[..at].trim(), line[at + colon_len..].trim());
    let (name, start) = match time::suffix(label) {
        Some((name, start)) => (name, Some(start)),
        None => (label, None),
    };
    if is_unknown(name) {
        return Some(Prefix {
            label,
            speaker: None,
            start,
            rest,
        });
    }
    if !is_name_like(name) || is_heading(name) {
        return None;
    }
    Some(Prefix {
        label,
        speaker: normalize(name),
        start,
        rest,
    })
}

/// Whether `name` has the shape of a speaker name (see the module docs).
pub(crate) fn is_name_like(name: &str) -> bool {
    let count = name.chars().count();
    let starts_with_letter = name.chars().next().is_some_and(char::is_alphabetic);
    let allowed = name
        .chars()
        .all(|c| c.is_alphanumeric() || " .-'_&()（）#@/·".contains(c));
    if count == 0 || count > 40 || !starts_with_letter || !allowed {
        return false;
    }
    if name.chars().any(is_han) {
        han_name(name)
    } else {
        latin_name(name)
    }
}

/// The byte offset of the label colon: the first `:` or `：` not between two digits.
fn separator(line: &str) -> Option<usize> {
    let bytes = line.as_bytes();
    line.char_indices().find_map(|(at, c)| match c {
        '：' => Some(at),
        ':' => {
            let before = at.checked_sub(1).and_then(|i| bytes.get(i));
            let after = bytes.get(at + 1);
            let clock =
                before.is_some_and(u8::is_ascii_digit) && after.is_some_and(u8::is_ascii_digit);
            (!clock).then_some(at)
        }
        _ => None,
    })
}

fn han_name(name: &str) -> bool {
    let han = name.chars().filter(|&c| is_han(c)).count();
    han <= 12 && !name.chars().any(|c| SENTENCE_HAN.contains(c))
}

fn latin_name(name: &str) -> bool {
    let words: Vec<String> = name.split_whitespace().map(str::to_lowercase).collect();
    let first_upper = name.chars().next().is_some_and(char::is_uppercase);
    let id_like = name.chars().any(|c| c.is_ascii_digit() || c == '_');
    let sentence = words.iter().any(|w| SENTENCE_WORDS.contains(&w.as_str()));
    words.len() <= 4 && (first_upper || id_like) && !sentence
}

/// A heading word, alone or with a number after it (`Step 1`, `Q3 2024`).
fn is_heading(name: &str) -> bool {
    let lower = name.to_lowercase();
    let lower = lower.trim_end_matches('.');
    if HEADINGS.contains(&lower) {
        return true;
    }
    let mut words = lower.split_whitespace();
    let first = words.next().unwrap_or_default();
    let numbered = words.all(|w| w.chars().all(|c| c.is_ascii_digit() || c == '.'));
    HEADINGS.contains(&first) && numbered
}

#[cfg(test)]
mod tests {
    use super::*;

    fn speaker(line: &str) -> Option<Option<String>> {
        split_label(line).map(|prefix| prefix.speaker)
    }

    #[test]
    fn finds_speakers() {
        assert_eq!(speaker("Maya: hi"), Some(Some("Maya".into())));
        assert_eq!(
            speaker("Li Wei (Acme): ok"),
            Some(Some("Li Wei (Acme)".into()))
        );
        assert_eq!(
            speaker("王经理：预算今年已经批完了"),
            Some(Some("王经理".into()))
        );
        assert_eq!(
            speaker("Kevin（销售）：上周发的 proposal 你看了吗？"),
            Some(Some("Kevin（销售）".into()))
        );
        assert_eq!(speaker("spk_0: hello"), Some(Some("spk_0".into())));
        assert_eq!(speaker("Speaker ?: hello"), Some(None));
        assert_eq!(speaker("Unknown Speaker: hello"), Some(None));
    }

    #[test]
    fn reads_a_time_inside_the_label() {
        let prefix = split_label("Maya [00:12]: hi").unwrap();
        assert_eq!(
            (prefix.speaker.as_deref(), prefix.start, prefix.rest),
            (Some("Maya"), Some(12.0), "hi")
        );
    }

    #[test]
    fn ignores_colons_inside_text() {
        for line in [
            "Note: 10:30 works",
            "Agenda: pricing",
            "Re: your proposal",
            "PS: thanks",
            "Step 2: sign",
            "Q3: maybe",
            "So the thing is: budget",
            "meet at 10:30 then",
            "well, the plan: later",
            "我想说的是：预算不够",
            "https://example.com",
        ] {
            assert_eq!(speaker(line), None, "{line}");
        }
    }

    #[test]
    fn normalizes_names() {
        assert_eq!(
            normalize("  Maya\u{200B}   Chen "),
            Some("Maya Chen".into())
        );
        assert_eq!(normalize("Unknown Speaker"), None);
        assert_eq!(normalize(""), None);
    }
}
