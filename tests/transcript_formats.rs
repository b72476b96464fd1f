//! Golden tests of the transcript readers over the fixtures in `tests/fixtures/transcripts/`.

use std::fs;
use std::path::{Path, PathBuf};

use demur::transcript::{
    self, detect_language, Conversation, Format, Language, ReadOptions, Role, TranscriptError,
};

type Outcome = Result<Conversation, TranscriptError>;

/// A turn as compared here: speaker, role, text, start and end in milliseconds.
type Row<'a> = (Option<&'a str>, Role, &'a str, Option<i64>, Option<i64>);

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/transcripts")
        .join(name)
}

fn read_all(name: &str) -> Vec<Outcome> {
    transcript::read_file(&fixture(name), &ReadOptions::default())
}

fn read_one(name: &str) -> Conversation {
    let mut results = read_all(name);
    assert_eq!(results.len(), 1, "{name}: {results:?}");
    ok(results.remove(0))
}

fn ok(outcome: Outcome) -> Conversation {
    outcome.unwrap_or_else(|err| panic!("unexpected error: {err}"))
}

fn error(outcome: &Outcome) -> String {
    match outcome {
        Ok(conversation) => panic!("expected an error, got {conversation:?}"),
        Err(err) => err.to_string(),
    }
}

fn ms(seconds: Option<f64>) -> Option<i64> {
    seconds.map(|s| (s * 1000.0).round() as i64)
}

fn rows(conversation: &Conversation) -> Vec<Row<'_>> {
    conversation
        .turns
        .iter()
        .map(|t| {
            (
                t.speaker.as_deref(),
                t.role,
                t.text.as_str(),
                ms(t.start),
                ms(t.end),
            )
        })
        .collect()
}

fn guessed(name: &str, role: &str, reason: &str) -> String {
    format!("roles guessed: `{name}` = {role} ({reason})")
}

// ---- WebVTT ----

#[test]
fn zoom_vtt_reads_name_prefixes_merges_and_drops_placeholders() {
    let c = read_one("zoom.vtt");
    assert_eq!(c.id, "zoom");
    assert!(c.source.ends_with("tests/fixtures/transcripts/zoom.vtt"));
    assert_eq!(c.language, Language::En);
    assert_eq!(
        rows(&c),
        vec![
            (
                Some("Maya Chen"),
                Role::Seller,
                "Hi Daniel, thanks for making time today. I wanted to walk through pricing & rollout.",
                Some(1000),
                Some(7000),
            ),
            (
                Some("Daniel Ortiz"),
                Role::Customer,
                "Honestly the number is above what we planned for this year.",
                Some(9000),
                Some(14000),
            ),
            (
                Some("Maya Chen"),
                Role::Seller,
                "Understood. Note: 10:30 works for a follow-up.",
                Some(14500),
                Some(16000),
            ),
            (
                Some("Daniel Ortiz"),
                Role::Customer,
                "I'd need our CFO to sign off before anything.",
                Some(16000),
                Some(18000),
            ),
        ]
    );
    assert_eq!(
        c.warnings,
        vec![
            guessed("Maya Chen", "seller", "first speaker"),
            guessed("Daniel Ortiz", "customer", "another speaker is the seller"),
        ]
    );
}

#[test]
fn teams_vtt_reads_voice_tags_guid_ids_entities_and_unclosed_voices() {
    let c = read_one("teams.vtt");
    assert_eq!(
        rows(&c),
        vec![
            (
                Some("Priya Nair (Sales)"),
                Role::Seller,
                "Thanks everyone for joining. Shall we look at the pilot plan <draft>?",
                Some(2000),
                Some(11000),
            ),
            (
                Some("Tom O'Brien"),
                Role::Customer,
                "Our IT team will want to see it running on our own data before we commit.",
                Some(11000),
                Some(19000),
            ),
            (
                None,
                Role::Other,
                "Sorry, who joined?",
                Some(19000),
                Some(21000)
            ),
            (
                Some("Priya Nair (Sales)"),
                Role::Seller,
                "Welcome, Sam.",
                Some(21000),
                Some(23000)
            ),
        ]
    );
    assert_eq!(
        c.warnings,
        vec![
            guessed("Priya Nair (Sales)", "seller", "name has `sales`"),
            guessed("Tom O'Brien", "customer", "another speaker is the seller"),
            "1 turn(s) without a speaker: role `other`".to_string(),
        ]
    );
}

#[test]
fn chinese_vtt_joins_without_spaces_and_is_zh() {
    let c = read_one("zh.vtt");
    assert_eq!(c.language, Language::Zh);
    assert_eq!(
        rows(&c),
        vec![
            (
                Some("销售小张"),
                Role::Seller,
                "王总您好，今天主要想跟您聊一下试点方案。",
                Some(1000),
                Some(3000),
            ),
            (
                Some("王总"),
                Role::Customer,
                "预算今年已经批完了，我得回去跟老板汇报一下。",
                Some(3000),
                Some(9000),
            ),
        ]
    );
    assert_eq!(
        c.warnings[0],
        guessed("销售小张", "seller", "name has `销售`")
    );
}

#[test]
fn vtt_without_cues_or_header_is_an_error() {
    let empty = read_all("empty.vtt");
    assert!(error(&empty[0]).ends_with("empty.vtt: no turns found in this vtt input"));
    let headless = read_all("noheader.vtt");
    assert!(error(&headless[0])
        .ends_with("noheader.vtt:1: not WebVTT: the first line must be `WEBVTT`"));
}

#[test]
fn vtt_without_speakers_keeps_cues_apart() {
    let text = "WEBVTT\n\n00:01.000 --> 00:02.000\nso we\n\n00:02.000 --> 00:03.000\nneed budget\n";
    let results = transcript::read_bytes(text.as_bytes(), "plain.vtt", &ReadOptions::default());
    let c = ok(results.into_iter().next().unwrap());
    assert_eq!(
        rows(&c),
        vec![
            (None, Role::Other, "so we", Some(1000), Some(2000)),
            (None, Role::Other, "need budget", Some(2000), Some(3000)),
        ]
    );
}

// ---- SRT ----

#[test]
fn srt_reads_prefixes_strips_tags_and_skips_untimed_blocks() {
    let c = read_one("call.srt");
    assert_eq!(
        rows(&c),
        vec![
            (
                Some("Rep"),
                Role::Seller,
                "Thanks for jumping on, Sarah.",
                Some(1000),
                Some(3500)
            ),
            (
                Some("Sarah"),
                Role::Customer,
                "Happy to. We looked at the quote. Is there any flexibility on price?",
                Some(3500),
                Some(9250),
            ),
            (
                Some("Rep"),
                Role::Seller,
                "We can look at phasing it.",
                Some(10000),
                Some(12000)
            ),
        ]
    );
    assert_eq!(
        c.warnings,
        vec![
            "line 18: block without a cue timing skipped".to_string(),
            guessed("Rep", "seller", "name has `rep`"),
            guessed("Sarah", "customer", "another speaker is the seller"),
        ]
    );
}

#[test]
fn srt_without_names_gives_unknown_turns() {
    let c = read_one("nonames.srt");
    assert_eq!(
        rows(&c),
        vec![
            (
                None,
                Role::Other,
                "So where do we start?",
                Some(1000),
                Some(2000)
            ),
            (
                None,
                Role::Other,
                "Probably with security.",
                Some(3000),
                Some(5000)
            ),
        ]
    );
    assert_eq!(
        c.warnings,
        vec!["2 turn(s) without a speaker: role `other`"]
    );
}

#[test]
fn srt_errors_name_file_and_line() {
    let bad = read_all("badtiming.srt");
    assert!(error(&bad[0]).ends_with("badtiming.srt:2: bad cue timing `00:00:01,000 --> later`"));
    let only_placeholders = read_all("placeholders.srt");
    assert!(error(&only_placeholders[0])
        .ends_with("placeholders.srt: no turns found in this srt input"));
}

// ---- plain text ----

#[test]
fn text_handles_bom_line_ends_zero_width_stamps_and_colons_in_text() {
    let c = read_one("plain.txt");
    assert_eq!(
        rows(&c),
        vec![
            (
                Some("Maya"),
                Role::Seller,
                "Thanks for the time today. Agenda: pricing, rollout, next steps.",
                Some(5000),
                None,
            ),
            (
                Some("Daniel"),
                Role::Customer,
                "Sure. We're comparing a cheaper quote right now, so price matters.",
                Some(20000),
                None,
            ),
            (
                Some("Maya"),
                Role::Seller,
                "Makes sense. Note: 10:30 Thursday works for the follow-up?",
                Some(62000),
                None,
            ),
            (
                Some("Daniel"),
                Role::Customer,
                "Let me check with our CFO first.",
                Some(70000),
                None
            ),
        ]
    );
}

#[test]
fn text_reads_clock_stamps_and_unknown_speakers() {
    let c = read_one("stamps.txt");
    assert_eq!(
        rows(&c),
        vec![
            (
                Some("Alex (AE)"),
                Role::Seller,
                "Hi Jordan, good to see you.",
                Some(3000),
                None
            ),
            (
                Some("Jordan"),
                Role::Customer,
                "Likewise. Quick question before we start: does this integrate with Salesforce?",
                Some(7000),
                None,
            ),
            (
                None,
                Role::Other,
                "Sorry, I dropped for a second.",
                Some(15000),
                None
            ),
            (
                Some("Alex (AE)"),
                Role::Seller,
                "Yes, natively.",
                Some(19000),
                None
            ),
        ]
    );
    assert_eq!(
        c.warnings,
        vec![
            guessed("Alex (AE)", "seller", "name has `ae`"),
            guessed("Jordan", "customer", "another speaker is the seller"),
            "1 turn(s) without a speaker: role `other`".to_string(),
        ]
    );
}

#[test]
fn seller_names_from_the_caller_beat_guesses() {
    let opts = ReadOptions {
        sellers: vec!["JORDAN".to_string()],
        ..ReadOptions::default()
    };
    let c = ok(transcript::read_file(&fixture("stamps.txt"), &opts).remove(0));
    let roles: Vec<(Option<&str>, Role)> = c
        .turns
        .iter()
        .map(|t| (t.speaker.as_deref(), t.role))
        .collect();
    assert_eq!(
        roles,
        vec![
            (Some("Alex (AE)"), Role::Customer),
            (Some("Jordan"), Role::Seller),
            (None, Role::Other),
            (Some("Alex (AE)"), Role::Customer),
        ]
    );
    assert_eq!(
        c.warnings[0],
        guessed("Alex (AE)", "customer", "not a listed seller")
    );

    let nobody = ReadOptions {
        sellers: vec!["Zed".to_string()],
        ..ReadOptions::default()
    };
    let c = ok(transcript::read_file(&fixture("stamps.txt"), &nobody).remove(0));
    assert_eq!(c.warnings[0], "no speaker matches the seller names `Zed`");
}

#[test]
fn otter_headers_start_turns() {
    let c = read_one("otter.txt");
    assert_eq!(
        rows(&c),
        vec![
            (
                Some("Maya Chen"),
                Role::Seller,
                "Thanks for joining, everyone. Let's get started.",
                Some(8000),
                None,
            ),
            (
                Some("Daniel Ortiz"),
                Role::Customer,
                "Sure. Before we go further, I'd want our security team to review this.",
                Some(15000),
                None,
            ),
            (None, Role::Other, "Can you hear me?", Some(31000), None),
            (
                Some("Maya Chen"),
                Role::Seller,
                "Yes, loud and clear.",
                Some(62000),
                None
            ),
        ]
    );
}

#[test]
fn wechat_export_reads_headers_and_relative_times() {
    let c = read_one("wechat.txt");
    assert_eq!(c.language, Language::Zh);
    assert_eq!(
        rows(&c),
        vec![
            (
                Some("王经理"),
                Role::Customer,
                "你好，我们看了报价。价格：有点超出预算了",
                Some(0),
                None,
            ),
            (
                Some("销售-李明"),
                Role::Seller,
                "理解，我们可以分期。",
                Some(300_000),
                None
            ),
            (
                Some("王经理"),
                Role::Customer,
                "我需要跟财务商量一下。",
                Some(390_000),
                None
            ),
        ]
    );
    assert_eq!(
        c.warnings,
        vec![
            guessed("王经理", "customer", "another speaker is the seller"),
            guessed("销售-李明", "seller", "name has `销售`"),
        ]
    );
}

#[test]
fn full_width_colon_separates_speakers_and_no_times_stay_none() {
    let c = read_one("zh.txt");
    assert_eq!(c.language, Language::Zh);
    assert_eq!(
        rows(&c),
        vec![
            (
                Some("顾问小陈"),
                Role::Seller,
                "王总，上次发的方案您看了吗？",
                None,
                None
            ),
            (
                Some("王总"),
                Role::Customer,
                "看了，整体不错。不过我们上次那家也说能对接金蝶，结果没做成。",
                None,
                None,
            ),
            (
                Some("顾问小陈"),
                Role::Seller,
                "我们可以先做一个两周的试点。",
                None,
                None
            ),
            (
                Some("王总"),
                Role::Customer,
                "这个要跟IT那边确认一下。",
                None,
                None
            ),
        ]
    );
}

#[test]
fn code_switched_text_is_mixed() {
    let c = read_one("mixed.txt");
    assert_eq!(c.language, Language::Mixed);
    assert_eq!(c.turns.len(), 4);
    assert_eq!(
        c.turns[1].text,
        "主要是 Excel 人工对, 说实话挺 painful 的。"
    );
}

#[test]
fn text_without_speakers_is_paragraphs() {
    let text = "First thought\ncontinues here.\n\nSecond paragraph.";
    let c =
        ok(transcript::read_bytes(text.as_bytes(), "notes.txt", &ReadOptions::default()).remove(0));
    assert_eq!(
        rows(&c),
        vec![
            (
                None,
                Role::Other,
                "First thought continues here.",
                None,
                None
            ),
            (None, Role::Other, "Second paragraph.", None, None),
        ]
    );
}

// ---- encodings ----

#[test]
fn non_utf8_and_binary_input_are_clear_errors() {
    let latin1 = read_all("latin1.txt");
    let message = error(&latin1[0]);
    assert!(
        message
            .ends_with("latin1.txt:2: not valid UTF-8 (byte 0xe9); save the transcript as UTF-8"),
        "{message}"
    );

    let binary = transcript::read_bytes(
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR",
        "logo.png",
        &ReadOptions::default(),
    );
    assert_eq!(
        error(&binary[0]),
        "logo.png:3: binary data (NUL byte); a transcript must be UTF-8 text"
    );

    let utf16 = transcript::read_bytes(b"\xff\xfeM\0a\0", "-", &ReadOptions::default());
    assert!(error(&utf16[0]).starts_with("-:1: not valid UTF-8 (a UTF-16 byte-order mark)"));
}

// ---- JSON ----

#[test]
fn json_dialogue_uses_its_id_roles_and_language() {
    let c = read_one("dialogue.json");
    assert_eq!((c.id.as_str(), c.language), ("acme-017", Language::En));
    assert_eq!(
        rows(&c),
        vec![
            (
                Some("Rep"),
                Role::Seller,
                "Could we get this signed by Friday?",
                Some(61000),
                None
            ),
            (
                Some("Li Wei"),
                Role::Customer,
                "Let me loop in our CFO first. She owns the budget.",
                Some(64500),
                Some(68000),
            ),
        ]
    );
    assert!(c.warnings.is_empty());
}

#[test]
fn json_array_gives_one_result_per_conversation() {
    let results = read_all("dialogues.json");
    assert_eq!(results.len(), 3);

    let Ok(zh) = &results[0] else {
        panic!("{:?}", results[0])
    };
    assert_eq!((zh.id.as_str(), zh.language), ("zh-001", Language::Zh));
    assert_eq!(zh.turns[0].role, Role::Seller);

    let Ok(second) = &results[1] else {
        panic!("{:?}", results[1])
    };
    assert_eq!(second.id, "dialogues-2");
    let roles: Vec<Role> = second.turns.iter().map(|t| t.role).collect();
    assert_eq!(roles, vec![Role::Customer, Role::Seller]);
    assert!(second.warnings.is_empty());

    assert!(error(&results[2]).ends_with("dialogues.json: $[2].turns[0]: missing field `text`"));
}

#[test]
fn gong_export_uses_parties_and_affiliations() {
    let results = read_all("gong.json");
    assert_eq!(results.len(), 2);
    let Ok(call) = &results[0] else {
        panic!("{:?}", results[0])
    };
    assert_eq!(call.id, "7782342274025937895");
    assert_eq!(
        rows(call),
        vec![
            (
                Some("Maya Chen"),
                Role::Seller,
                "Thanks for joining. Shall we start?",
                Some(460_230),
                Some(465_000),
            ),
            (
                Some("Daniel Ortiz"),
                Role::Customer,
                "Before anything, legal has to review the contract.",
                Some(465_500),
                Some(470_120),
            ),
            (
                Some("Sam Lee"),
                Role::Customer,
                "Hi all, Sam here.",
                Some(470_500),
                Some(471_000)
            ),
            (
                Some("Maya Chen"),
                Role::Seller,
                "Welcome, Sam.",
                Some(471_000),
                Some(473_000)
            ),
        ]
    );
    assert_eq!(
        call.warnings,
        vec![guessed(
            "Sam Lee",
            "customer",
            "another speaker is the seller"
        )]
    );
    assert!(error(&results[1])
        .ends_with("gong.json: $.callTranscripts[1]: no turns found in this json input"));
}

#[test]
fn gong_errors_name_the_json_path_and_spare_other_calls() {
    let results = read_all("gong_bad.json");
    let message = error(&results[0]);
    assert!(
        message.ends_with(
            "gong_bad.json: $.callTranscripts[0].transcript[3].sentences[0]: missing field `text`"
        ),
        "{message}"
    );
    let Ok(second) = &results[1] else {
        panic!("{:?}", results[1])
    };
    assert_eq!(
        (second.id.as_str(), second.turns[0].text.as_str()),
        ("c-2", "Still readable.")
    );
    assert_eq!(second.turns[0].speaker.as_deref(), Some("9"));
}

#[test]
fn aws_transcribe_groups_words_by_speaker_with_punctuation() {
    let c = read_one("aws.json");
    assert_eq!(c.id, "acme-discovery");
    assert_eq!(
        rows(&c),
        vec![
            (
                Some("spk_0"),
                Role::Seller,
                "Hi, thanks for joining.",
                Some(40),
                Some(1900)
            ),
            (
                Some("spk_1"),
                Role::Customer,
                "Happy to help. Does it work with SAP?",
                Some(2100),
                Some(5200),
            ),
        ]
    );
}

#[test]
fn aws_without_speaker_labels_splits_sentences() {
    let json = r#"{"results": {"items": [
        {"type": "pronunciation", "start_time": "0.0", "end_time": "0.5", "alternatives": [{"content": "Hello"}]},
        {"type": "punctuation", "alternatives": [{"content": "."}]},
        {"type": "pronunciation", "start_time": "0.6", "end_time": "1.0", "alternatives": [{"content": "Anyone"}]},
        {"type": "pronunciation", "start_time": "1.0", "end_time": "1.2", "alternatives": [{"content": "there"}]},
        {"type": "punctuation", "alternatives": [{"content": "?"}]}]}}"#;
    let c =
        ok(transcript::read_bytes(json.as_bytes(), "job.json", &ReadOptions::default()).remove(0));
    assert_eq!(
        rows(&c),
        vec![
            (None, Role::Other, "Hello.", Some(0), Some(500)),
            (None, Role::Other, "Anyone there?", Some(600), Some(1200)),
        ]
    );

    let bad = r#"{"results": {"items": [{"type": "pronunciation", "start_time": "soon", "alternatives": [{"content": "Hi"}]}]}}"#;
    let results = transcript::read_bytes(bad.as_bytes(), "job.json", &ReadOptions::default());
    assert_eq!(
        error(&results[0]),
        "job.json: $.results.items[0].start_time: not a time in seconds: `soon`"
    );
}

#[test]
fn whisperx_segments_with_speakers() {
    let c = read_one("whisper.json");
    assert_eq!(
        rows(&c),
        vec![
            (
                Some("SPEAKER_00"),
                Role::Seller,
                "Thanks for hopping on.",
                Some(0),
                Some(2500)
            ),
            (
                Some("SPEAKER_01"),
                Role::Customer,
                "We'd need a pilot on our own data first.",
                Some(2500),
                Some(6000),
            ),
            (
                Some("SPEAKER_00"),
                Role::Seller,
                "Totally fair.",
                Some(7000),
                Some(9000)
            ),
        ]
    );
}

#[test]
fn plain_whisper_segments_have_no_speakers() {
    let json = r#"{"text": "hi there", "segments": [{"start": 0, "end": 1, "text": " hi"}, {"start": 1, "end": 2.5, "text": " there"}]}"#;
    let c = ok(transcript::read_bytes(json.as_bytes(), "-", &ReadOptions::default()).remove(0));
    assert_eq!(c.id, "stdin");
    assert_eq!(
        rows(&c),
        vec![
            (None, Role::Other, "hi", Some(0), Some(1000)),
            (None, Role::Other, "there", Some(1000), Some(2500))
        ]
    );
}

#[test]
fn assemblyai_utterances() {
    let c = read_one("assemblyai.json");
    assert_eq!(c.id, "5551722-f677-48a4-a1b0-1d6e8d2d9b4f");
    assert_eq!(
        rows(&c),
        vec![
            (
                Some("Speaker A"),
                Role::Seller,
                "So what did your team think of the proposal?",
                Some(250),
                Some(3100),
            ),
            (
                Some("Speaker B"),
                Role::Customer,
                "Honestly, it's hard to justify at that price.",
                Some(3400),
                Some(6900),
            ),
        ]
    );
}

#[test]
fn deepgram_utterances_and_mixed_language() {
    let c = read_one("deepgram.json");
    assert_eq!((c.id.as_str(), c.language), ("deepgram", Language::Mixed));
    assert_eq!(
        rows(&c),
        vec![
            (
                Some("Speaker 0"),
                Role::Seller,
                "Hi, this is Alex from Northwind.",
                Some(500),
                Some(2000)
            ),
            (
                Some("Speaker 1"),
                Role::Customer,
                "我们需要先跟老板汇报一下。",
                Some(2200),
                Some(5000)
            ),
            (
                Some("Speaker 0"),
                Role::Seller,
                "Of course.",
                Some(5100),
                Some(6000)
            ),
        ]
    );
}

#[test]
fn json_syntax_errors_name_the_line() {
    let results = transcript::read_bytes(
        b"{\n  \"turns\": [\n    oops\n]}",
        "call.json",
        &ReadOptions::default(),
    );
    let message = error(&results[0]);
    assert!(
        message.starts_with("call.json:3: invalid JSON (column 5): expected value"),
        "{message}"
    );
    let none = transcript::read_bytes(b"[]", "calls.json", &ReadOptions::default());
    assert_eq!(
        error(&none[0]),
        "calls.json: no turns found in this json input"
    );
    let other = transcript::read_bytes(br#"{"hello": 1}"#, "call.json", &ReadOptions::default());
    assert!(error(&other[0]).starts_with("call.json: $: not a transcript"));
}

// ---- JSONL ----

#[test]
fn jsonl_reports_broken_lines_and_keeps_the_rest() {
    let results = read_all("calls.jsonl");
    assert_eq!(results.len(), 5);

    let Ok(first) = &results[0] else {
        panic!("{:?}", results[0])
    };
    assert_eq!((first.id.as_str(), first.turns.len()), ("en-1", 2));
    assert_eq!(first.turns[1].role, Role::Customer);

    let broken = error(&results[1]);
    assert!(
        broken.contains("calls.jsonl:2: invalid JSON (column 85): EOF while parsing a list"),
        "{broken}"
    );

    let Ok(zh) = &results[2] else {
        panic!("{:?}", results[2])
    };
    assert_eq!((zh.id.as_str(), zh.language), ("zh-1", Language::Zh));
    assert_eq!(
        rows(zh),
        vec![
            (Some("销售"), Role::Seller, "您好", Some(1000), None),
            (
                Some("客户"),
                Role::Customer,
                "我们再考虑一下",
                Some(2500),
                None
            ),
        ]
    );
    assert_eq!(
        zh.warnings,
        vec![
            guessed("销售", "seller", "name has `销售`"),
            guessed("客户", "customer", "name has `客户`")
        ]
    );

    assert!(error(&results[3])
        .ends_with("calls.jsonl:5: duplicate conversation id `en-1` (first on line 1)"));
    assert!(error(&results[4]).ends_with(
        "calls.jsonl:6: $.turns[0].role: unknown role `boss` (expected seller, customer or other)"
    ));
}

// ---- CSV ----

#[test]
fn csv_reads_bom_any_column_order_quotes_and_role_synonyms() {
    let results = read_all("calls.csv");
    assert_eq!(results.len(), 2);
    let Ok(deal) = &results[0] else {
        panic!("{:?}", results[0])
    };
    assert_eq!(deal.id, "deal-1");
    assert_eq!(
        rows(deal),
        vec![
            (
                Some("Ana Ruiz"),
                Role::Customer,
                "Thanks for the demo, it looked great. We'd need procurement to weigh in, and legal too.",
                Some(12500),
                Some(19250),
            ),
            (Some("Sam Patel"), Role::Seller, "Happy to set that up.", Some(20000), Some(22500)),
        ]
    );
    assert!(deal.warnings.is_empty());

    let Ok(zh) = &results[1] else {
        panic!("{:?}", results[1])
    };
    assert_eq!((zh.id.as_str(), zh.language), ("deal-2", Language::Zh));
    assert_eq!(
        rows(zh),
        vec![(
            Some("王芳"),
            Role::Seller,
            "你好，请问价格是多少？",
            Some(62000),
            None
        )]
    );
    assert_eq!(
        zh.warnings,
        vec![guessed("王芳", "seller", "first speaker")]
    );
}

#[test]
fn csv_errors_name_the_line_and_fail_only_their_conversation() {
    let results = read_all("bad.csv");
    assert_eq!(results.len(), 4);
    let Ok(c1) = &results[0] else {
        panic!("{:?}", results[0])
    };
    assert_eq!(
        rows(c1),
        vec![(
            Some("Ana"),
            Role::Seller,
            "hello this has, a quoted comma",
            Some(1000),
            None
        )]
    );
    assert!(error(&results[1]).contains("bad.csv:4: row has 5 cells but the header has 4"));
    assert!(error(&results[2]).ends_with("bad.csv:5: column `start`: not a time `soon`"));
    assert_eq!(results[3].as_ref().map(|c| c.id.as_str()).ok(), Some("c3"));
}

#[test]
fn csv_without_text_column_is_an_error() {
    let results = transcript::read_bytes(b"id,who,said\n1,a,b\n", "x.csv", &ReadOptions::default());
    assert_eq!(
        error(&results[0]),
        "x.csv:1: no `text` column in the header (found: id, who, said)"
    );
}

// ---- detection, forcing, discovery ----

#[test]
fn stdin_content_is_sniffed() {
    let opts = ReadOptions::default();
    for name in [
        "zoom.vtt",
        "call.srt",
        "dialogue.json",
        "calls.csv",
        "zh.txt",
        "calls.jsonl",
    ] {
        let bytes = fs::read(fixture(name)).unwrap();
        let by_extension = transcript::read_file(&fixture(name), &opts);
        let sniffed = transcript::read_bytes(&bytes, "-", &opts);
        let turns = |results: &[Outcome]| -> Vec<usize> {
            results
                .iter()
                .map(|r| r.as_ref().map_or(0, |c| c.turns.len()))
                .collect()
        };
        assert_eq!(turns(&sniffed), turns(&by_extension), "{name}");
    }
    let c =
        ok(transcript::read_bytes(&fs::read(fixture("zoom.vtt")).unwrap(), "-", &opts).remove(0));
    assert_eq!((c.id.as_str(), c.source.as_str()), ("stdin", "-"));
}

#[test]
fn a_forced_format_overrides_the_extension() {
    let bytes = fs::read(fixture("zoom.vtt")).unwrap();
    let forced = ReadOptions {
        format: Some(Format::Vtt),
        ..ReadOptions::default()
    };
    let c = ok(transcript::read_bytes(&bytes, "export.txt", &forced).remove(0));
    assert_eq!(c.turns.len(), 4);
    let as_json = ReadOptions {
        format: Some(Format::Json),
        ..ReadOptions::default()
    };
    let results = transcript::read_bytes(&bytes, "zoom.vtt", &as_json);
    assert!(error(&results[0]).starts_with("zoom.vtt:1: invalid JSON"));
}

#[test]
fn discover_walks_folders_sorted_and_reports_missing_paths() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for file in [
        "calls/z.json",
        "calls/b.vtt",
        "calls/sub/d.SRT",
        "calls/.hidden.txt",
        "calls/notes.md",
        "calls/.git/x.txt",
        "one.md",
    ] {
        let path = root.join(file);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, "x").unwrap();
    }
    let given = vec![
        root.join("one.md"),
        root.join("calls"),
        root.join("nope.vtt"),
    ];
    let (files, errors) = transcript::discover(&given);
    let expected: Vec<PathBuf> = ["one.md", "calls/b.vtt", "calls/sub/d.SRT", "calls/z.json"]
        .iter()
        .map(|f| root.join(f))
        .collect();
    assert_eq!(files, expected);
    assert_eq!(errors.len(), 1);
    assert_eq!(
        errors[0].to_string(),
        format!(
            "{}: no such file or folder",
            root.join("nope.vtt").display()
        )
    );
}

#[test]
fn a_folder_without_transcripts_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty");
    let notes = dir.path().join("notes");
    fs::create_dir_all(notes.join("sub")).unwrap();
    fs::create_dir_all(&empty).unwrap();
    fs::write(notes.join("readme.md"), "x").unwrap();
    fs::write(notes.join(".hidden.vtt"), "x").unwrap();
    let (files, errors) = transcript::discover(&[empty.clone(), notes.clone()]);
    assert!(files.is_empty());
    let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
    let expected: Vec<String> = [empty, notes]
        .iter()
        .map(|dir| {
            format!(
                "{}: no transcript files in this folder (looked for .vtt .srt .txt .json .jsonl .csv)",
                dir.display()
            )
        })
        .collect();
    assert_eq!(messages, expected);
}

#[test]
fn unreadable_file_names_the_path() {
    let results = transcript::read_file(Path::new("no/such/call.vtt"), &ReadOptions::default());
    assert!(error(&results[0]).starts_with("no/such/call.vtt: cannot read: "));
}

#[test]
fn detect_language_is_public() {
    assert_eq!(
        detect_language(["Let me think about it."].into_iter()),
        Language::En
    );
    assert_eq!(detect_language(["我再考虑考虑"].into_iter()), Language::Zh);
    assert_eq!(
        detect_language(["这个 pilot 要 IT 先 review 一下"].into_iter()),
        Language::Mixed
    );
}
