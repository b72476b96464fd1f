//! Encoder loading and running on a tiny random-weight BERT: the code paths, not the model.

mod common;

use common::{tiny_bert, Naming};
use demur::encoder::{Encoder, EncoderError, EncoderOptions};

fn load(dir: &std::path::Path) -> Encoder {
    Encoder::load(dir.to_str().unwrap(), &EncoderOptions::default()).unwrap()
}

fn max_diff(a: &[f32], b: &[f32]) -> f32 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

#[test]
fn vectors_are_normalised_and_sized() {
    let tmp = tempfile::tempdir().unwrap();
    let encoder = load(&tiny_bert(tmp.path(), Naming::Plain, 1));
    assert_eq!(encoder.name(), "test/tiny-bert");
    let vectors = encoder.embed(&["price is too high", "hello"]).unwrap();
    assert_eq!(vectors.len(), 2);
    for v in &vectors {
        assert_eq!(v.len(), 16);
        let norm: f32 = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-5, "norm {norm}");
    }
    assert!(
        max_diff(&vectors[0], &vectors[1]) > 1e-3,
        "different texts, same vector"
    );
}

#[test]
fn batch_results_equal_one_at_a_time() {
    let tmp = tempfile::tempdir().unwrap();
    let encoder = load(&tiny_bert(tmp.path(), Naming::Plain, 2));
    let texts = [
        "ok",
        "we need to run it on our stack first",
        "price",
        "ask my boss and the cfo to approve the budget",
        "thanks",
    ];
    let batch = encoder.embed(&texts).unwrap();
    for (text, together) in texts.iter().zip(&batch) {
        let alone = encoder.embed(&[text]).unwrap();
        assert!(max_diff(&alone[0], together) < 1e-4, "{text}");
    }
}

#[test]
fn long_text_is_windowed_not_cut() {
    let tmp = tempfile::tempdir().unwrap();
    let encoder = load(&tiny_bert(tmp.path(), Naming::Plain, 3));
    // max_length is 16 in the tiny conventions: 60 words need several windows.
    let head = "the price is too high ".repeat(3);
    let tail = "we need to run it on our stack first ".repeat(5);
    let long = format!("{head}{tail}");
    let short = encoder.embed(&[&head]).unwrap();
    let windowed = encoder.embed(&[&long]).unwrap();
    assert!(
        max_diff(&short[0], &windowed[0]) > 1e-3,
        "tokens past the window were ignored"
    );
    let huge = "price ".repeat(40_000 / 6);
    assert_eq!(encoder.embed(&[&huge]).unwrap()[0].len(), 16);
}

#[test]
fn odd_inputs_never_panic() {
    let tmp = tempfile::tempdir().unwrap();
    let encoder = load(&tiny_bert(tmp.path(), Naming::Plain, 4));
    let odd = ["", "   ", "🙂🙂", "\u{200b}\u{200b}", "?", "。", "\n\t"];
    for v in encoder.embed(&odd).unwrap() {
        assert!(v.iter().all(|x| x.is_finite()));
    }
}

#[test]
fn name_variants_load_to_the_same_model() {
    let tmp = tempfile::tempdir().unwrap();
    let plain = load(&tiny_bert(&tmp.path().join("plain"), Naming::Plain, 5));
    let prefixed = load(&tiny_bert(
        &tmp.path().join("prefixed"),
        Naming::BertPrefix,
        5,
    ));
    let gamma = load(&tiny_bert(&tmp.path().join("gamma"), Naming::GammaBeta, 5));
    let text = ["we need to run it on our stack first"];
    let a = plain.embed(&text).unwrap();
    assert!(max_diff(&a[0], &prefixed.embed(&text).unwrap()[0]) < 1e-6);
    assert!(max_diff(&a[0], &gamma.embed(&text).unwrap()[0]) < 1e-6);
}

#[test]
fn missing_tensor_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tiny_bert(tmp.path(), Naming::Plain, 6);
    let path = dir.join("model.safetensors");
    let mut tensors = candle_core::safetensors::load(&path, &candle_core::Device::Cpu).unwrap();
    tensors.remove("encoder.layer.1.output.dense.weight");
    candle_core::safetensors::save(&tensors, &path).unwrap();
    let err = Encoder::load(dir.to_str().unwrap(), &EncoderOptions::default())
        .err()
        .unwrap();
    let message = err.to_string();
    assert!(matches!(err, EncoderError::Weights { .. }), "{message}");
    assert!(message.contains("output.dense.weight"), "{message}");
}

#[test]
fn unsupported_model_type_dtype_and_device_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tiny_bert(tmp.path(), Naming::Plain, 7);
    let options = EncoderOptions::default();

    let cpu_half = EncoderOptions {
        dtype: "f16".into(),
        ..options.clone()
    };
    assert!(
        Encoder::load(dir.to_str().unwrap(), &cpu_half).is_ok(),
        "f16 on cpu falls back"
    );
    let bad_dtype = EncoderOptions {
        dtype: "int3".into(),
        ..options.clone()
    };
    let err = Encoder::load(dir.to_str().unwrap(), &bad_dtype)
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("supported: f32, f16, bf16"), "{err}");
    let bad_device = EncoderOptions {
        device: "tpu".into(),
        ..options.clone()
    };
    let err = Encoder::load(dir.to_str().unwrap(), &bad_device)
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("supported: cpu, cuda, metal"), "{err}");

    let config = std::fs::read_to_string(dir.join("config.json")).unwrap();
    std::fs::write(
        dir.join("config.json"),
        config.replace("\"bert\"", "\"gpt2\""),
    )
    .unwrap();
    let err = Encoder::load(dir.to_str().unwrap(), &options)
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("model_type `gpt2` is not supported (supported: bert)"),
        "{err}"
    );
}

#[test]
fn baked_in_padding_is_overridden() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tiny_bert(tmp.path(), Naming::Plain, 8);
    let plain = load(&dir).embed(&["price is too high"]).unwrap();
    let path = dir.join("tokenizer.json");
    let mut tokenizer: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    tokenizer["padding"] = serde_json::json!({
        "strategy": {"Fixed": 12}, "direction": "Right", "pad_to_multiple_of": null,
        "pad_id": 0, "pad_type_id": 0, "pad_token": "[PAD]"
    });
    tokenizer["truncation"] = serde_json::json!({
        "direction": "Right", "max_length": 3, "strategy": "LongestFirst", "stride": 0
    });
    std::fs::write(&path, tokenizer.to_string()).unwrap();
    let padded = load(&dir).embed(&["price is too high"]).unwrap();
    assert!(max_diff(&plain[0], &padded[0]) < 1e-6);
}

#[test]
fn hub_ids_resolve_through_a_local_cache() {
    let tmp = tempfile::tempdir().unwrap();
    let model = tiny_bert(&tmp.path().join("src"), Naming::Plain, 9);
    let cache = tmp.path().join("hub");
    let commit = "0123456789abcdef0123456789abcdef01234567";
    let snapshot = cache.join("models--test--tiny-bert/snapshots").join(commit);
    std::fs::create_dir_all(&snapshot).unwrap();
    std::fs::create_dir_all(cache.join("models--test--tiny-bert/refs")).unwrap();
    std::fs::write(cache.join("models--test--tiny-bert/refs/main"), commit).unwrap();
    for file in [
        "config.json",
        "tokenizer.json",
        "model.safetensors",
        "encoder.toml",
    ] {
        std::fs::copy(model.join(file), snapshot.join(file)).unwrap();
    }

    // The hub client reads its cache location from the environment, as users set it.
    std::env::set_var("HF_HUB_CACHE", &cache);
    std::env::set_var("HF_HUB_OFFLINE", "1");
    let encoder = Encoder::load("test/tiny-bert", &EncoderOptions::default()).unwrap();
    assert_eq!(encoder.name(), "test/tiny-bert");
    assert_eq!(encoder.embed(&["hello"]).unwrap()[0].len(), 16);

    std::fs::remove_file(snapshot.join("tokenizer.json")).unwrap();
    let err = Encoder::load("test/tiny-bert", &EncoderOptions::default())
        .err()
        .unwrap();
    let message = err.to_string();
    assert!(message.contains("test/tiny-bert"), "{message}");
    assert!(message.contains("tokenizer.json"), "{message}");
    assert!(message.contains(&cache.display().to_string()), "{message}");
}
