//! Fine-tuning the top layers of a tiny random-weight encoder: the loss falls, the checkpoint
//! is laid out as a Hugging Face sequence classifier, and demur reloads it to the same scores.

mod common;

use std::collections::HashMap;

use candle_core::{Device, Tensor};
use common::{tiny_bert, write_dataset, Naming};
use demur::encoder::{resolve, Encoder, EncoderOptions};
use demur::train::{finetune, read_dataset, EpochReport, FinetuneOptions};
use demur::{Analyzer, AnalyzerOptions};

fn options(dir: &std::path::Path, layers: usize) -> FinetuneOptions {
    FinetuneOptions {
        train: dir.join("train.jsonl"),
        dev: dir.join("dev.jsonl"),
        out: dir.join("tuned"),
        name: "tiny-tuned".into(),
        version: "0".into(),
        layers,
        epochs: 25,
        patience: 25,
        encoder_learning_rate: 1e-3,
        head_learning_rate: 1e-2,
        batch_size: 8,
        ..FinetuneOptions::default()
    }
}

#[test]
fn loss_falls_and_the_checkpoint_reloads_to_the_same_scores() {
    let tmp = tempfile::tempdir().unwrap();
    let model = tiny_bert(&tmp.path().join("model"), Naming::Plain, 21);
    let spec = model.to_str().unwrap();
    let encoder = Encoder::load(spec, &EncoderOptions::default()).unwrap();
    write_dataset(&tmp.path().join("train.jsonl"), 30, 0);
    write_dataset(&tmp.path().join("dev.jsonl"), 9, 1);
    let out = tmp.path().join("tuned");

    let mut history: Vec<EpochReport> = Vec::new();
    let outcome = finetune(
        &encoder,
        &resolve(spec).unwrap(),
        &options(tmp.path(), 1),
        &mut |r| history.push(r.clone()),
    )
    .unwrap();
    let losses: Vec<f64> = history.iter().map(|r| r.loss).collect();
    assert!(
        losses.last().unwrap() < &(losses[0] * 0.5),
        "loss {losses:?}"
    );
    let best = history.iter().map(|r| r.dev_macro_f1).fold(0.0, f64::max);
    assert!(best > 0.6, "dev macro-F1 {best}");

    // Hugging Face layout: config with the label maps, weights under `bert.` + classifier.
    let config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("config.json")).unwrap()).unwrap();
    assert_eq!(config["architectures"][0], "BertForSequenceClassification");
    assert_eq!(config["id2label"]["0"], "price");
    assert_eq!(config["id2label"]["2"], "decision_chain");
    assert_eq!(config["label2id"]["technical"], 1);
    assert_eq!(config["problem_type"], "multi_label_classification");
    let tuned =
        candle_core::safetensors::load(out.join("model.safetensors"), &Device::Cpu).unwrap();
    let base =
        candle_core::safetensors::load(model.join("model.safetensors"), &Device::Cpu).unwrap();
    for name in [
        "bert.pooler.dense.weight",
        "classifier.weight",
        "classifier.bias",
    ] {
        assert!(tuned.contains_key(name), "{name} missing");
    }
    let differ = |a: &Tensor, b: &Tensor| {
        (a - b)
            .unwrap()
            .abs()
            .unwrap()
            .max_all()
            .unwrap()
            .to_scalar::<f32>()
            .unwrap()
    };
    let key = "encoder.layer.{}.attention.self.query.weight";
    let frozen = key.replace("{}", "0");
    let top = key.replace("{}", "1");
    assert_eq!(
        differ(&tuned[&format!("bert.{frozen}")], &base[&frozen]),
        0.0
    );
    assert!(differ(&tuned[&format!("bert.{top}")], &base[&top]) > 0.0);
    // Every base tensor is in the checkpoint under its `bert.` name.
    let names: HashMap<&String, ()> = tuned.keys().map(|k| (k, ())).collect();
    for name in base.keys() {
        assert!(names.contains_key(&format!("bert.{name}")), "{name}");
    }

    // demur reads the checkpoint as a head with its encoder bundled, to the same scores.
    let analyzer = Analyzer::new(&AnalyzerOptions {
        head: Some(out.clone()),
        ..AnalyzerOptions::default()
    })
    .unwrap();
    assert_eq!(analyzer.model().head, "tiny-tuned@0");
    let dev = read_dataset(&tmp.path().join("dev.jsonl")).unwrap();
    let conversations: Vec<_> = dev.iter().map(|c| &c.conversation).collect();
    let scored = analyzer.classifier().score(&conversations).unwrap();
    let mut worst = 0f32;
    for (conversation, want) in scored.iter().zip(&outcome.dev_probabilities) {
        assert_eq!(conversation.turns.len(), want.len());
        for (turn, w) in conversation.turns.iter().zip(want) {
            for (got, want) in turn.scores.iter().zip(w) {
                worst = worst.max((got - want).abs());
            }
        }
    }
    assert!(worst < 1e-4, "reloaded scores differ by {worst}");
}

#[test]
fn unfreezing_more_layers_than_the_encoder_has_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let model = tiny_bert(&tmp.path().join("model"), Naming::Plain, 22);
    let spec = model.to_str().unwrap();
    let encoder = Encoder::load(spec, &EncoderOptions::default()).unwrap();
    write_dataset(&tmp.path().join("train.jsonl"), 3, 0);
    std::fs::copy(tmp.path().join("train.jsonl"), tmp.path().join("dev.jsonl")).unwrap();
    let err = finetune(
        &encoder,
        &resolve(spec).unwrap(),
        &options(tmp.path(), 3),
        &mut |_| {},
    )
    .err()
    .unwrap()
    .to_string();
    assert!(
        err.contains("--unfreeze 3") && err.contains("2 layers"),
        "{err}"
    );
}
