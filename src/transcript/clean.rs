//! Text cleaning shared by every reader: invisible characters, ASR placeholders, markup tags,
//! HTML entities, whitespace, and how two pieces of text are joined.

/// Non-speech annotations that are removed when they stand in parentheses. Anything in square
/// brackets or braces (`[inaudible]`, `{vocalsound}`, `[SPEAKING CHINESE]`) is removed whatever
/// it says, since transcripts use those only for annotations; parentheses also hold speech.
const NON_SPEECH: &[&str] = &[
    "crosstalk",
    "cross talk",
    "cross-talk",
    "inaudible",
    "unintelligible",
    "indistinct",
    "indiscernible",
    "laughs",
    "laughter",
    "laughing",
    "laugh",
    "chuckles",
    "chuckling",
    "sighs",
    "coughs",
    "coughing",
    "clears throat",
    "silence",
    "pause",
    "long pause",
    "music",
    "applause",
    "noise",
    "background noise",
    "static",
    "beep",
    "overlapping",
    "overtalk",
    "foreign",
    "foreign language",
    "speaking foreign language",
    "speaking chinese",
    "speaking mandarin",
    "unclear",
    "no audio",
    "typing",
    "笑",
    "笑声",
    "大笑",
    "听不清",
    "音乐",
    "沉默",
    "停顿",
    "杂音",
    "噪音",
    "掌声",
    "咳嗽",
    "静音",
];

/// Markup tags of WebVTT and SRT payloads; anything else in angle brackets stays as text.
const TAGS: &[&str] = &[
    "c", "i", "b", "u", "s", "v", "lang", "ruby", "rt", "font", "span", "em", "strong", "br",
];

/// The most characters a placeholder holds; longer bracketed text is kept.
const MAX_PLACEHOLDER: usize = 60;

/// The most characters a markup tag spans, `<` and `>` included.
const MAX_TAG: usize = 200;

/// Punctuation that a space left by a removed placeholder must not precede.
const CLOSING_PUNCTUATION: &[char] = &[
    ',', '.', '!', '?', ';', ':', '，', '。', '！', '？', '；', '：', '、',
];

/// One token of a subtitle payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Markup<'a> {
    /// Text between tags (entities not yet decoded).
    Text(&'a str),
    /// A known tag: `<v.loud Maya>` has name `v` and annotation `Maya`; a timestamp tag
    /// (`<00:00:05.000>`) has an empty name.
    Tag {
        closing: bool,
        name: &'a str,
        annotation: &'a str,
    },
}

/// Zero-width and other invisible format characters that carry no text.
pub(crate) fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' | '\u{00AD}' | '\u{180E}'
    )
}

/// A Han (Chinese) character.
pub(crate) fn is_han(c: char) -> bool {
    matches!(
        c,
        '\u{4E00}'..='\u{9FFF}'
            | '\u{3400}'..='\u{4DBF}'
            | '\u{F900}'..='\u{FAFF}'
            | '\u{20000}'..='\u{2EBEF}'
            | '\u{30000}'..='\u{3134F}'
    )
}

/// Characters written without spaces around them: Han, kana, CJK and full-width punctuation.
pub(crate) fn is_cjk(c: char) -> bool {
    is_han(c) || matches!(c, '\u{3000}'..='\u{30FF}' | '\u{FF00}'..='\u{FFEF}')
}

/// Cleans one piece of text: invisible characters and placeholders removed, whitespace
/// collapsed, lines joined. Returns an empty string when nothing but punctuation is left.
pub(crate) fn clean_text(raw: &str) -> String {
    let mut out = String::new();
    for line in raw.split('\n') {
        join_text(&mut out, &clean_line(line));
    }
    if has_content(&out) {
        out
    } else {
        String::new()
    }
}

/// Appends `next` to `text`: with a space between Latin text, with nothing when either side
/// of the join is CJK.
pub(crate) fn join_text(text: &mut String, next: &str) {
    let next = next.trim();
    let (Some(last), Some(first)) = (text.chars().last(), next.chars().next()) else {
        text.push_str(next);
        return;
    };
    if !is_cjk(last) && !is_cjk(first) {
        text.push(' ');
    }
    text.push_str(next);
}

/// Decodes HTML entities (`&amp;`, `&lt;`, `&nbsp;`, `&#39;`, …).
pub(crate) fn decode_entities(text: &str) -> String {
    html_escape::decode_html_entities(text).into_owned()
}

/// The text of a subtitle payload with every known tag dropped and entities decoded.
pub(crate) fn strip_markup(payload: &str) -> String {
    let text: String = markup(payload)
        .into_iter()
        .filter_map(|token| match token {
            Markup::Text(text) => Some(text),
            Markup::Tag { .. } => None,
        })
        .collect();
    decode_entities(&text)
}

/// Splits a subtitle payload into text and known tags.
pub(crate) fn markup(payload: &str) -> Vec<Markup<'_>> {
    let mut tokens = Vec::new();
    let mut plain_from = 0;
    let mut search_from = 0;
    while let Some(offset) = payload[search_from..].find('<') {
        let at = search_from + offset;
        match parse_tag(&payload[at..]) {
            Some((tag, len)) => {
                if at > plain_from {
                    tokens.push(Markup::Text(&payload[plain_from..at]));
                }
                tokens.push(tag);
                plain_from = at + len;
                search_from = plain_from;
            }
            None => search_from = at + 1,
        }
    }
    if plain_from < payload.len() {
        tokens.push(Markup::Text(&payload[plain_from..]));
    }
    tokens
}

/// Removes ASR placeholders: every `[…]` and `{…}` group, and `(…)` / `（…）` groups that hold
/// a known non-speech annotation such as `(crosstalk)`.
pub(crate) fn remove_placeholders(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    let mut removed = false;
    while let Some(at) = rest.find(['[', '{', '(', '（']) {
        out.push_str(&rest[..at]);
        let from = &rest[at..];
        if let Some(len) = placeholder_len(from) {
            rest = &from[len..];
            removed = true;
            if rest.starts_with(CLOSING_PUNCTUATION) {
                out.truncate(out.trim_end().len());
            }
        } else {
            let Some(open) = from.chars().next() else {
                break;
            };
            out.push(open);
            rest = &from[open.len_utf8()..];
        }
    }
    out.push_str(rest);
    if removed {
        out = out
            .trim_start_matches([',', ';', '，', '；', '、', ' '])
            .to_string();
    }
    out
}

/// Whether the text has anything besides whitespace and punctuation.
pub(crate) fn has_content(text: &str) -> bool {
    text.chars()
        .any(|c| !c.is_whitespace() && !is_punctuation(c))
}

fn is_punctuation(c: char) -> bool {
    c.is_ascii_punctuation() || "，。！？；：、…（）《》〈〉“”‘’—–·【】「」『』～".contains(c)
}

/// One line with invisible characters and placeholders gone and whitespace collapsed.
fn clean_line(line: &str) -> String {
    let visible: String = line.chars().filter(|&c| !is_invisible(c)).collect();
    let spoken = remove_placeholders(&visible);
    spoken.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The byte length of the placeholder group that `from` starts with, if it is one.
fn placeholder_len(from: &str) -> Option<usize> {
    let open = from.chars().next()?;
    let close = match open {
        '[' => ']',
        '{' => '}',
        '(' => ')',
        '（' => '）',
        _ => return None,
    };
    let body_start = open.len_utf8();
    let (body_len, _) = from[body_start..]
        .char_indices()
        .take(MAX_PLACEHOLDER + 1)
        .find(|&(_, c)| c == close)?;
    let body = &from[body_start..body_start + body_len];
    if body.contains(open) || body.contains('\n') {
        return None;
    }
    let remove = matches!(open, '[' | '{') || is_non_speech(body);
    remove.then_some(body_start + body_len + close.len_utf8())
}

/// `laughs`, `Crosstalk.`, `inaudible 00:12:30`: a known annotation, maybe with a time after it.
fn is_non_speech(body: &str) -> bool {
    let lower = body.trim().trim_end_matches(['.', '!']).to_lowercase();
    NON_SPEECH
        .iter()
        .any(|word| match lower.strip_prefix(word) {
            Some(rest) => rest.is_empty() || rest.starts_with([' ', ':', ',']),
            None => false,
        })
}

/// A known tag at the start of `s` (which starts with `<`), with its byte length.
fn parse_tag(s: &str) -> Option<(Markup<'_>, usize)> {
    let (end, _) = s.char_indices().take(MAX_TAG).find(|&(_, c)| c == '>')?;
    let inner = &s[1..end];
    if inner.contains(['<', '\n']) {
        return None;
    }
    let (closing, body) = match inner.strip_prefix('/') {
        Some(body) => (true, body),
        None => (false, inner),
    };
    if !closing && super::time::parse_clock(body.trim()).is_some() {
        return Some((
            Markup::Tag {
                closing,
                name: "",
                annotation: "",
            },
            end + 1,
        ));
    }
    let (name, annotation) = body.split_once(char::is_whitespace).unwrap_or((body, ""));
    let base = name.split('.').next().unwrap_or(name).trim_end_matches('/');
    let known = TAGS.iter().any(|tag| tag.eq_ignore_ascii_case(base));
    let tag = Markup::Tag {
        closing,
        name: base,
        annotation: annotation.trim(),
    };
    known.then_some((tag, end + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_placeholders() {
        assert_eq!(clean_text("So [inaudible] we need it"), "So we need it");
        assert_eq!(clean_text("{vocalsound} Okay"), "Okay");
        assert_eq!(clean_text("I think [inaudible], yes"), "I think, yes");
        assert_eq!(clean_text("[SPEAKING CHINESE]"), "");
        assert_eq!(clean_text("(crosstalk)"), "");
        assert_eq!(clean_text("(Laughs.) fair"), "fair");
        assert_eq!(clean_text("我们[笑]可以"), "我们可以");
        assert_eq!(clean_text("（笑）好的"), "好的");
    }

    #[test]
    fn keeps_speech_in_parentheses() {
        assert_eq!(
            clean_text("We have (roughly) 40 seats"),
            "We have (roughly) 40 seats"
        );
        assert_eq!(clean_text("价格（含税）太高了"), "价格（含税）太高了");
    }

    #[test]
    fn drops_punctuation_only_text() {
        assert_eq!(clean_text("[inaudible]."), "");
        assert_eq!(clean_text("  \t "), "");
        assert_eq!(clean_text("……"), "");
    }

    #[test]
    fn joins_latin_with_space_and_cjk_without() {
        assert_eq!(clean_text("we need\nbudget"), "we need budget");
        assert_eq!(clean_text("预算今年\n已经批完了"), "预算今年已经批完了");
        assert_eq!(clean_text("预算\nOK"), "预算OK");
    }

    #[test]
    fn strips_invisible_and_collapses_space() {
        assert_eq!(clean_text("a\u{200B}b  \u{00A0} c"), "ab c");
    }

    #[test]
    fn tokenizes_markup() {
        let tokens = markup("<v.loud Maya Chen>Hi <00:00:05.000>there</v> a < b");
        assert_eq!(
            tokens,
            vec![
                Markup::Tag {
                    closing: false,
                    name: "v",
                    annotation: "Maya Chen"
                },
                Markup::Text("Hi "),
                Markup::Tag {
                    closing: false,
                    name: "",
                    annotation: ""
                },
                Markup::Text("there"),
                Markup::Tag {
                    closing: true,
                    name: "v",
                    annotation: ""
                },
                Markup::Text(" a < b"),
            ]
        );
    }

    #[test]
    fn strips_tags_and_decodes_entities() {
        let text =
            strip_markup("<i>R&amp;D</i> &lt;b&gt; &#39;ok&#39;&nbsp;<font color=\"red\">x</font>");
        assert_eq!(text, "R&D <b> 'ok'\u{00A0}x");
    }
}
