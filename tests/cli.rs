//! The `demur` binary end to end: exit codes, stdout data, stderr messages, golden analyses.
//!
//! `DEMUR_BLESS=1 cargo test --test cli` rewrites tests/golden/analyze_examples.json after a
//! deliberate change (a retrained head, a new playbook).

mod common;

use demur::encoder::int8::PackedQ4;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn demur(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_demur"))
        .args(args)
        .env("DEMUR_MODEL", common::default_model())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/transcripts")
}

#[test]
fn read_prints_one_canonical_line_per_conversation() {
    let out = demur(&["read", "examples/transcripts/zoom-discovery-en.vtt"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let lines: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["id"], "zoom-discovery-en");
    assert_eq!(lines[0]["language"], "en");
    assert!(lines[0]["turns"].as_array().unwrap().len() > 10);
    assert!(lines[0].get("labels").is_none());
}

#[test]
fn read_reports_a_missing_file_and_exits_1() {
    let out = demur(&[
        "read",
        "examples/transcripts/zoom-discovery-en.vtt",
        "no/such.vtt",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stdout(&out).lines().count(),
        1,
        "the good file still printed"
    );
    assert!(stderr(&out).contains("no/such.vtt"), "{}", stderr(&out));
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(demur(&["analyze"]).status.code(), Some(2));
    assert_eq!(
        demur(&["analyze", "x", "--threshold", "budget=0.5"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(demur(&["frobnicate"]).status.code(), Some(2));
}

#[test]
fn version_names_encoder_and_head() {
    let out = demur(&["--version"]);
    assert_eq!(out.status.code(), Some(0));
    let line = stdout(&out);
    assert!(
        line.contains("encoder:") && line.contains("head: objection-head@"),
        "{line}"
    );
}

#[test]
fn bad_inputs_are_reported_and_good_ones_still_analysed() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("empty.txt"), "").unwrap();
    std::fs::write(dir.join("binary.json"), [0u8, 159, 146, 150, 0, 1, 2]).unwrap();
    std::fs::write(dir.join("latin1.txt"), b"Rep: caf\xe9?\nBuyer: non\n").unwrap();
    std::fs::write(
        dir.join("good.txt"),
        "Rep: Can we sign Friday?\nDana: I need my CFO to approve it first.\n",
    )
    .unwrap();
    let jsonl = concat!(
        r#"{"id": "ok-1", "turns": [{"role": "seller", "text": "Ready to go?"}, {"role": "customer", "text": "Our budget is frozen until next year."}]}"#,
        "\n{broken\n",
        r#"{"id": "ok-2", "turns": [{"role": "seller", "text": "Any questions?"}, {"role": "customer", "text": "Does it work with SAP? We need a pilot."}]}"#,
        "\n"
    );
    std::fs::write(dir.join("calls.jsonl"), jsonl).unwrap();
    let long = format!(
        "Rep: Thoughts?\nDana: {}\n",
        "We really need to check this carefully. ".repeat(1250)
    );
    std::fs::write(dir.join("long.txt"), long).unwrap();
    std::fs::write(
        dir.join("sellers-only.txt"),
        "Rep: Hello?\nRep: Anyone there?\n",
    )
    .unwrap();

    let out = demur(&[
        "analyze",
        "--jsonl",
        "--seller",
        "Rep",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    for bad in ["empty.txt", "binary.json", "latin1.txt", "calls.jsonl:2"] {
        assert!(err.contains(bad), "stderr does not name {bad}: {err}");
    }
    let ids: Vec<String> = stdout(&out)
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        ids,
        ["ok-1", "ok-2", "good", "long", "sellers-only"],
        "input order kept"
    );

    let analyses: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let warnings = |i: usize| analyses[i]["warnings"].to_string();
    assert!(warnings(3).contains("long"), "{}", warnings(3));
    assert!(warnings(4).contains("no buyer turns"), "{}", warnings(4));
    for a in &analyses {
        assert_eq!(a["strategies"].as_array().unwrap().len(), 3);
    }
}

#[test]
fn an_output_file_inside_the_input_folder_is_not_read_back() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::copy(
        examples().join("batch-calls.csv"),
        tmp.path().join("calls.csv"),
    )
    .unwrap();
    let target = tmp.path().join("results.jsonl");
    let run = || {
        let out = demur(&[
            "analyze",
            "--jsonl",
            "-o",
            target.to_str().unwrap(),
            tmp.path().to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        std::fs::read_to_string(&target).unwrap()
    };
    let first = run();
    assert_eq!(first.lines().count(), 3);
    assert_eq!(run(), first, "the second run read only calls.csv");
}

#[test]
fn csv_output_has_the_documented_columns_and_output_file_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let target = tmp.path().join("out.csv");
    let csv = examples().join("batch-calls.csv");
    let out = demur(&[
        "analyze",
        "--csv",
        "-o",
        target.to_str().unwrap(),
        csv.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).is_empty(), "results went to the file");
    let text = std::fs::read_to_string(&target).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "id,source,language,price,technical,decision_chain,primary,strategy_1,strategy_2,strategy_3"
    );
    assert_eq!(lines.count(), 3);

    // A target that is not a regular file is written in place, never renamed over.
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let out = demur(&["analyze", "--csv", "-o", "/dev/null", csv.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let kind = std::fs::metadata("/dev/null").unwrap().file_type();
        assert!(kind.is_char_device(), "/dev/null is still a device");
    }

    let out = demur(&["analyze", "--csv", "--per-objection", csv.to_str().unwrap()]);
    let header = stdout(&out).lines().next().unwrap_or_default().to_string();
    assert_eq!(
        header,
        "id,source,language,label,score,turn,speaker,role,start,end,quote"
    );
}

#[test]
fn shards_split_the_inputs_without_overlap() {
    let dir = examples();
    let run = |shard: &str| -> Vec<String> {
        let out = demur(&[
            "analyze",
            "--jsonl",
            "--shard",
            shard,
            dir.to_str().unwrap(),
        ]);
        stdout(&out)
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["source"].to_string())
            .collect()
    };
    let (a, b) = (run("0/2"), run("1/2"));
    assert!(!a.is_empty() && !b.is_empty());
    assert!(a.iter().all(|s| !b.contains(s)));
}

#[test]
fn playbook_check_reports_errors_with_ids() {
    let good = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/strategy/playbook.toml");
    let out = demur(&["playbook", "check", good.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let bad =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/playbooks/duplicate_id.toml");
    let out = demur(&["playbook", "check", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("duplicate"), "{}", stderr(&out));
}

/// Golden analyses of the example transcripts with the f32 encoder: labels and strategy ids
/// exactly, scores within a tolerance (float arithmetic may differ in the last digits across
/// CPUs).
#[test]
fn example_transcripts_match_golden_analyses() {
    let out = demur(&[
        "analyze",
        "--jsonl",
        "-q",
        "--f32",
        examples().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let got: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let summary: Vec<serde_json::Value> = got.iter().map(summarise).collect();

    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/analyze_examples.json");
    if std::env::var_os("DEMUR_BLESS").is_some() {
        std::fs::write(
            &path,
            serde_json::to_string_pretty(&summary).unwrap() + "\n",
        )
        .unwrap();
        return;
    }
    let want: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(want.len(), summary.len());
    for (w, g) in want.iter().zip(&summary) {
        assert_eq!(w["id"], g["id"]);
        assert_eq!(w["objections"], g["objections"], "{}", g["id"]);
        assert_eq!(w["strategies"], g["strategies"], "{}", g["id"]);
        for label in ["price", "technical", "decision_chain"] {
            let (a, b) = (
                w["scores"][label].as_f64().unwrap(),
                g["scores"][label].as_f64().unwrap(),
            );
            assert!((a - b).abs() < 1e-3, "{} {label}: {a} vs {b}", g["id"]);
        }
    }
}

/// With no precision flag, `analyze` prints exactly what `--quantized` prints on a CPU with
/// AVX-512 VNNI (where the 4-bit path is the faster one) and what `--f32` prints elsewhere.
#[test]
fn the_default_precision_is_the_faster_path_here() {
    if common::quantized_model().is_none() {
        return;
    }
    let folder = examples().join("teams-review-en.vtt");
    let run = |flag: &[&str]| {
        let out = demur(
            &[
                &["analyze", "--jsonl", "-q"],
                flag,
                &[folder.to_str().unwrap()],
            ]
            .concat(),
        );
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        stdout(&out)
    };
    let (default, quantized, full) = (run(&[]), run(&["--quantized"]), run(&["--f32"]));
    assert_ne!(
        quantized, full,
        "the 4-bit and f32 paths gave the same output"
    );
    let expected = if PackedQ4::available() {
        quantized
    } else {
        full
    };
    assert_eq!(default, expected);
}

/// With `--quantized` the example transcripts keep their golden objections and strategies;
/// scores move by at most 0.023 here, so 0.05 leaves room for other CPUs' arithmetic.
#[test]
fn quantized_examples_keep_their_golden_labels() {
    if common::quantized_model().is_none() {
        return;
    }
    let out = demur(&[
        "analyze",
        "--jsonl",
        "-q",
        "--quantized",
        examples().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/analyze_examples.json");
    let want: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let got: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| summarise(&serde_json::from_str(l).unwrap()))
        .collect();
    assert_eq!(want.len(), got.len());
    // 4-bit products are lossy (99.75 % label agreement on the dev set): a turn near its
    // threshold may flip, but no conversation may gain or lose a label, nor more than one
    // flagged turn, and scores stay close.
    let list = |v: &serde_json::Value| -> Vec<String> {
        v["objections"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o.as_str().unwrap().to_string())
            .collect()
    };
    let kinds = |objections: &[String]| -> std::collections::BTreeSet<String> {
        objections
            .iter()
            .map(|o| o.split('@').next().unwrap().to_string())
            .collect()
    };
    for (w, g) in want.iter().zip(&got) {
        let (a, b) = (list(w), list(g));
        assert_eq!(kinds(&a), kinds(&b), "{}: {a:?} vs {b:?}", g["id"]);
        let flipped = a.iter().filter(|o| !b.contains(o)).count()
            + b.iter().filter(|o| !a.contains(o)).count();
        assert!(flipped <= 1, "{}: {a:?} vs {b:?}", g["id"]);
        if flipped == 0 {
            assert_eq!(w["strategies"], g["strategies"], "{}", g["id"]);
        }
        for label in ["price", "technical", "decision_chain"] {
            let a = w["scores"][label].as_f64().unwrap();
            let b = g["scores"][label].as_f64().unwrap();
            assert!((a - b).abs() < 0.05, "{} {label}: {a} vs {b}", g["id"]);
        }
    }
}

#[test]
fn quantized_without_the_4_bit_file_exits_2_and_says_why() {
    let tmp = tempfile::tempdir().unwrap();
    let model = common::tiny_bert(tmp.path(), common::Naming::Plain, 21);
    let model = model.to_str().unwrap();
    for args in [
        vec!["analyze", "examples/transcripts/notes-mixed.txt"],
        vec![
            "eval",
            "examples/transcripts/labeled-dialogues.jsonl",
            "--no-cache",
        ],
    ] {
        let out = demur(&[&args[..], &["--quantized", "--model", model]].concat());
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("model-q4_0.safetensors"),
            "{args:?}: {}",
            stderr(&out)
        );
    }
}

fn summarise(a: &serde_json::Value) -> serde_json::Value {
    let objections: Vec<String> = a["objections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| format!("{}@{}", o["label"].as_str().unwrap(), o["turn"]))
        .collect();
    let strategies: Vec<&str> = a["strategies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    serde_json::json!({"id": a["id"], "scores": a["scores"], "objections": objections, "strategies": strategies})
}
