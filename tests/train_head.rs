//! Head training on a tiny random-weight encoder: the loss falls, held-back rows beat chance,
//! heads round-trip through disk and refuse the wrong encoder, and bad data is named.

mod common;

use common::{tiny_bert, write_dataset, Naming};
use demur::classify::{Head, HeadError, HeadInput};
use demur::encoder::{Encoder, EncoderOptions};
use demur::train::{
    read_dataset, train, DatasetError, FitOptions, InputChoice, TrainOptions, TrainProgress,
};

fn options(dir: &std::path::Path) -> TrainOptions {
    TrainOptions {
        train: dir.join("train.jsonl"),
        dev: dir.join("dev.jsonl"),
        out: dir.join("head"),
        input: InputChoice::Only(HeadInput::Turn),
        hidden_layer: 0,
        members: 1,
        fit: FitOptions {
            epochs: 40,
            patience: 40,
            learning_rate: 0.05,
            ..FitOptions::default()
        },
        cache: Some(dir.join("cache")),
        name: "test-head".into(),
        version: "0".into(),
    }
}

#[test]
fn loss_falls_and_held_back_rows_beat_chance() {
    let tmp = tempfile::tempdir().unwrap();
    let model = tiny_bert(&tmp.path().join("model"), Naming::Plain, 11);
    let encoder = Encoder::load(model.to_str().unwrap(), &EncoderOptions::default()).unwrap();
    write_dataset(&tmp.path().join("train.jsonl"), 30, 0);
    write_dataset(&tmp.path().join("dev.jsonl"), 9, 1);

    let mut losses = Vec::new();
    let mut epoch = |_: HeadInput, r: &demur::train::EpochReport| losses.push(r.loss);
    let progress = TrainProgress {
        encoded: &|_, _| {},
        epoch: &mut epoch,
    };
    let outcome = train(&encoder, &options(tmp.path()), progress).unwrap();

    assert!(
        losses.last().unwrap() < &(losses[0] * 0.5),
        "loss {losses:?}"
    );
    // Chance on balanced binary labels is F1 about 0.5; separable data must do far better.
    assert!(
        outcome.dev_report.overall.macro_f1 > 0.6,
        "{}",
        outcome.dev_report.summary()
    );

    // The saved head reloads and gives the same probabilities.
    let head = Head::load(&tmp.path().join("head")).unwrap();
    assert_eq!(head.config(), &outcome.config);
    let v = encoder.embed(&["the price is too high"]).unwrap();
    let p = head.probabilities(&v).unwrap();
    assert!(
        p[0][0] > p[0][1],
        "price row scores price above technical: {p:?}"
    );
}

#[test]
fn same_seed_gives_the_same_head() {
    let tmp = tempfile::tempdir().unwrap();
    let model = tiny_bert(&tmp.path().join("model"), Naming::Plain, 12);
    let encoder = Encoder::load(model.to_str().unwrap(), &EncoderOptions::default()).unwrap();
    write_dataset(&tmp.path().join("train.jsonl"), 12, 0);
    write_dataset(&tmp.path().join("dev.jsonl"), 6, 1);
    let run = |out: &str| {
        let mut options = options(tmp.path());
        options.fit.epochs = 5;
        options.out = tmp.path().join(out);
        let progress = TrainProgress {
            encoded: &|_, _| {},
            epoch: &mut |_, _| {},
        };
        train(&encoder, &options, progress).unwrap();
        std::fs::read(tmp.path().join(out).join("head.safetensors")).unwrap()
    };
    assert_eq!(run("a"), run("b"));
}

#[test]
fn head_refuses_a_different_encoder() {
    let tmp = tempfile::tempdir().unwrap();
    let model = tiny_bert(&tmp.path().join("model"), Naming::Plain, 13);
    let encoder = Encoder::load(model.to_str().unwrap(), &EncoderOptions::default()).unwrap();
    write_dataset(&tmp.path().join("train.jsonl"), 6, 0);
    write_dataset(&tmp.path().join("dev.jsonl"), 3, 1);
    let mut options = options(tmp.path());
    options.fit.epochs = 2;
    let progress = TrainProgress {
        encoded: &|_, _| {},
        epoch: &mut |_, _| {},
    };
    train(&encoder, &options, progress).unwrap();

    let dir = tmp.path().join("head");
    let head = Head::load(&dir).unwrap();
    assert!(head.check_encoder(&dir, "test/tiny-bert", 16).is_ok());
    let err = head
        .check_encoder(&dir, "intfloat/multilingual-e5-small", 384)
        .unwrap_err();
    assert!(matches!(err, HeadError::EncoderMismatch { .. }));
    let message = err.to_string();
    assert!(
        message.contains("test/tiny-bert") && message.contains("multilingual-e5-small"),
        "{message}"
    );
}

#[test]
fn bad_labeled_data_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("bad.jsonl");
    let write = |line: &str| std::fs::write(&path, format!("{line}\n")).unwrap();

    write(
        r#"{"id": "acme-17", "turns": [{"text": "hi", "role": "customer", "labels": []}, {"text": "too dear", "role": "customer", "labels": ["budget"]}]}"#,
    );
    let err = read_dataset(&path).unwrap_err();
    assert!(
        matches!(err, DatasetError::UnknownLabel { turn: 1, .. }),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("unknown label `budget` in conversation `acme-17`, turn 1"),
        "{err}"
    );

    write(
        r#"{"id": "acme-18", "labels": ["technical"], "turns": [{"text": "too dear", "role": "customer", "labels": ["price"]}]}"#,
    );
    let err = read_dataset(&path).unwrap_err().to_string();
    assert!(err.contains("acme-18") && err.contains("price"), "{err}");

    write(
        r#"{"id": "acme-19", "turns": [{"text": "shall we sign?", "role": "seller", "labels": []}]}"#,
    );
    let err = read_dataset(&path).unwrap_err().to_string();
    assert!(err.contains("no buyer turns"), "{err}");

    write(r#"{"id": "acme-20", "turns": [{"text": "x"}]}"#);
    let err = read_dataset(&path).unwrap_err().to_string();
    assert!(
        err.contains("bad.jsonl:1") && err.contains("labels"),
        "{err}"
    );
}
