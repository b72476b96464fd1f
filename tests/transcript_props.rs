//! Property tests: no input makes a transcript reader panic, and whatever comes back keeps the
//! promises of the model (turns with text, finite times, errors that name the source).

use demur::transcript::{read_bytes, Conversation, Format, ReadOptions, TranscriptError};
use proptest::prelude::*;

/// Text made of the pieces the readers look for, so that cases get past the first checks.
const TRANSCRIPTISH: &str = "(WEBVTT\n|NOTE |\n|\r\n|\r| |-->|00:0[0-9]\\.[0-9]{3}|0:0[0-9],5|\
    [0-9]{1,3}|[A-Za-z]{1,6}|: |：|<v [A-Z][a-z]{0,4}>|</v>|<[0-9:.]{0,12}>|<|>|\\[|\\]|\
    \\{|\\}|\\(|\\)|（|）|&amp;|&#[0-9]{1,8};|&|王经理|预算|\u{200B}|\u{FEFF}|\"|,|;|\t|\\{\"|\
    \"turns\"|\"text\"|\"segments\"|\"results\"|\"items\"|\\[\\{|\\}\\]|2024-01-0[1-9] 1[0-9]:00:00)*";

fn check(results: &[Result<Conversation, TranscriptError>], source: &str) {
    assert!(!results.is_empty(), "a read returns at least one result");
    for result in results {
        match result {
            Ok(conversation) => {
                assert!(!conversation.turns.is_empty());
                assert_eq!(conversation.source, source);
                for turn in &conversation.turns {
                    assert!(!turn.text.trim().is_empty());
                    assert!(turn.start.is_none_or(f64::is_finite));
                    assert!(turn.end.is_none_or(f64::is_finite));
                }
            }
            Err(err) => assert!(err.to_string().starts_with(source), "{err}"),
        }
    }
}

fn read_as(bytes: &[u8], format: Option<Format>) {
    let opts = ReadOptions {
        format,
        sellers: vec!["Maya".to_string()],
    };
    let source = "prop/input";
    check(&read_bytes(bytes, source, &opts), source);
}

fn formats() -> impl Strategy<Value = Option<Format>> {
    prop_oneof![
        Just(None),
        proptest::sample::select(Format::ALL.to_vec()).prop_map(Some)
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(
        bytes in proptest::collection::vec(any::<u8>(), 0..512),
        format in formats(),
    ) {
        read_as(&bytes, format);
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,300}", format in formats()) {
        read_as(text.as_bytes(), format);
    }

    #[test]
    fn transcript_like_text_never_panics(text in TRANSCRIPTISH, format in formats()) {
        read_as(text.as_bytes(), format);
    }

    #[test]
    fn vtt_like_text_never_panics(body in TRANSCRIPTISH) {
        read_as(format!("WEBVTT\n\n{body}").as_bytes(), Some(Format::Vtt));
    }

    #[test]
    fn srt_like_text_never_panics(body in TRANSCRIPTISH) {
        read_as(format!("1\n00:00:01,000 --> 00:00:02,000\n{body}").as_bytes(), Some(Format::Srt));
    }

    #[test]
    fn text_like_never_panics(body in TRANSCRIPTISH) {
        read_as(format!("Maya: hi\n{body}").as_bytes(), Some(Format::Text));
    }

    #[test]
    fn json_like_never_panics(body in TRANSCRIPTISH) {
        read_as(format!("{{\"turns\": [{body}]}}").as_bytes(), Some(Format::Json));
        read_as(format!("{{\"segments\": [{body}").as_bytes(), Some(Format::Json));
    }

    #[test]
    fn jsonl_like_never_panics(body in TRANSCRIPTISH) {
        let text = format!("{{\"id\": \"a\", \"turns\": [{body}]}}\n{body}");
        read_as(text.as_bytes(), Some(Format::Jsonl));
    }

    #[test]
    fn csv_like_never_panics(body in TRANSCRIPTISH) {
        let text = format!("conversation_id,speaker,text,start\n{body}");
        read_as(text.as_bytes(), Some(Format::Csv));
    }
}

/// Well-formed JSON of each supported shape, with arbitrary values where strings go.
#[test]
fn json_shapes_with_odd_values_never_panic() {
    let values = [
        "\"\"",
        "null",
        "-1",
        "1e308",
        "\"[inaudible]\"",
        "[]",
        "{}",
        "\"\\u200b\"",
    ];
    let shapes = [
        "{\"turns\": [{\"text\": V, \"speaker\": V, \"role\": V, \"start\": V}]}",
        "{\"callTranscripts\": [{\"callId\": V, \"transcript\": [{\"speakerId\": V, \"sentences\": [{\"text\": V, \"start\": V}]}]}], \"parties\": [{\"speakerId\": V, \"name\": V, \"affiliation\": V}]}",
        "{\"results\": {\"items\": [{\"type\": V, \"start_time\": V, \"alternatives\": [{\"content\": V}]}], \"speaker_labels\": {\"segments\": [{\"speaker_label\": V, \"start_time\": V, \"end_time\": V}]}}}",
        "{\"results\": {\"utterances\": [{\"speaker\": V, \"transcript\": V, \"start\": V}]}}",
        "{\"utterances\": [{\"speaker\": V, \"text\": V, \"start\": V}]}",
        "{\"segments\": [{\"text\": V, \"speaker\": V, \"start\": V}]}",
    ];
    for shape in shapes {
        for value in values {
            let json = shape.replace('V', value);
            read_as(json.as_bytes(), Some(Format::Json));
            read_as(json.as_bytes(), None);
        }
    }
}
