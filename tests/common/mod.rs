//! Helpers shared by the integration tests: model locations and a tiny random-weight BERT.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor};
use demur::encoder::{EncoderOptions, Quantize, QUANTIZED_WEIGHTS};

/// The default encoder as installed by `models/setup.sh` (override with `DEMUR_MODEL`).
pub fn default_model() -> String {
    std::env::var("DEMUR_MODEL").unwrap_or_else(|_| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/multilingual-e5-small");
        assert!(
            dir.join("model.safetensors").exists(),
            "the default encoder is not installed: run models/setup.sh first ({})",
            dir.display()
        );
        dir.display().to_string()
    })
}

/// The default encoder when it has its 4-bit weights file, for tests of the 4-bit path; `None`
/// (saying so on stderr) when it has not, so that such a test is skipped.
pub fn quantized_model() -> Option<String> {
    let model = default_model();
    if Path::new(&model).join(QUANTIZED_WEIGHTS).is_file() {
        return Some(model);
    }
    eprintln!("skipped: no {QUANTIZED_WEIGHTS} in {model} (run models/setup.sh)");
    None
}

/// Encoder options that pin the f32 path (the default takes the 4-bit one on CPUs where it is
/// faster): for tests whose reference numbers are f32 ones.
pub fn f32_options() -> EncoderOptions {
    EncoderOptions {
        quantize: Quantize::Never,
        ..EncoderOptions::default()
    }
}

/// How the tiny model's tensors are named, to exercise the loader's name variants.
#[derive(Clone, Copy, PartialEq)]
pub enum Naming {
    /// Hugging Face `BertModel` names.
    Plain,
    /// Every name under `bert.`.
    BertPrefix,
    /// Layer norms as `gamma`/`beta` (old TensorFlow exports).
    GammaBeta,
}

pub const TINY_WORDS: &[&str] = &[
    "[PAD]", "[UNK]", "[CLS]", "[SEP]", "price", "budget", "pilot", "security", "boss", "cfo",
    "approve", "great", "thanks", "we", "need", "to", "the", "a", "is", "too", "high", "run", "it",
    "on", "our", "stack", "first", "ask", "my", "team", "hello", "ok",
];

/// Writes a 2-layer, hidden-16 BERT with random weights and a word-level tokenizer to `dir`.
pub fn tiny_bert(dir: &Path, naming: Naming, seed: u64) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("config.json"), tiny_config()).unwrap();
    std::fs::write(dir.join("tokenizer.json"), tiny_tokenizer()).unwrap();
    let tensors = tiny_tensors(naming, seed);
    candle_core::safetensors::save(&tensors, dir.join("model.safetensors")).unwrap();
    std::fs::write(
        dir.join("encoder.toml"),
        "id = \"test/tiny-bert\"\nprefix = \"\"\npooling = \"mean\"\nnormalize = true\nmax_length = 16\n",
    )
    .unwrap();
    dir.to_path_buf()
}

fn tiny_config() -> String {
    serde_json::json!({
        "model_type": "bert", "vocab_size": TINY_WORDS.len(), "hidden_size": 16,
        "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 32,
        "hidden_act": "gelu", "hidden_dropout_prob": 0.0, "max_position_embeddings": 64,
        "type_vocab_size": 2, "initializer_range": 0.02, "layer_norm_eps": 1e-12,
        "pad_token_id": 0
    })
    .to_string()
}

fn tiny_tokenizer() -> String {
    let vocab: HashMap<&str, usize> = TINY_WORDS
        .iter()
        .enumerate()
        .map(|(i, w)| (*w, i))
        .collect();
    serde_json::json!({
        "version": "1.0", "truncation": null, "padding": null, "added_tokens": [],
        "normalizer": {"type": "Lowercase"},
        "pre_tokenizer": {"type": "Whitespace"},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}},
                       {"Sequence": {"id": "A", "type_id": 0}},
                       {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
            "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}],
            "special_tokens": {
                "[CLS]": {"id": "[CLS]", "ids": [2], "tokens": ["[CLS]"]},
                "[SEP]": {"id": "[SEP]", "ids": [3], "tokens": ["[SEP]"]}
            }
        },
        "decoder": null,
        "model": {"type": "WordLevel", "vocab": vocab, "unk_token": "[UNK]"}
    })
    .to_string()
}

fn tiny_tensors(naming: Naming, seed: u64) -> HashMap<String, Tensor> {
    let (h, ff, vocab) = (16, 32, TINY_WORDS.len());
    let mut shapes: Vec<(String, Vec<usize>)> = vec![
        ("embeddings.word_embeddings.weight".into(), vec![vocab, h]),
        ("embeddings.position_embeddings.weight".into(), vec![64, h]),
        ("embeddings.token_type_embeddings.weight".into(), vec![2, h]),
    ];
    let mut norms = vec!["embeddings.LayerNorm".to_string()];
    for i in 0..2 {
        let p = format!("encoder.layer.{i}");
        for (name, out, inp) in [
            ("attention.self.query", h, h),
            ("attention.self.key", h, h),
            ("attention.self.value", h, h),
            ("attention.output.dense", h, h),
            ("intermediate.dense", ff, h),
            ("output.dense", h, ff),
        ] {
            shapes.push((format!("{p}.{name}.weight"), vec![out, inp]));
            shapes.push((format!("{p}.{name}.bias"), vec![out]));
        }
        norms.push(format!("{p}.attention.output.LayerNorm"));
        norms.push(format!("{p}.output.LayerNorm"));
    }

    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut tensors = HashMap::new();
    for (name, shape) in shapes {
        let n: usize = shape.iter().product();
        let values: Vec<f32> = (0..n).map(|_| next_uniform(&mut state) * 0.4).collect();
        let tensor = Tensor::from_vec(values, shape, &Device::Cpu).unwrap();
        tensors.insert(rename(&name, naming), tensor);
    }
    for norm in norms {
        let (w, b) = match naming {
            Naming::GammaBeta => ("gamma", "beta"),
            _ => ("weight", "bias"),
        };
        let ones = Tensor::ones(h, DType::F32, &Device::Cpu).unwrap();
        let zeros = Tensor::zeros(h, DType::F32, &Device::Cpu).unwrap();
        tensors.insert(rename(&format!("{norm}.{w}"), naming), ones);
        tensors.insert(rename(&format!("{norm}.{b}"), naming), zeros);
    }
    tensors
}

fn rename(name: &str, naming: Naming) -> String {
    match naming {
        Naming::BertPrefix => format!("bert.{name}"),
        _ => name.to_string(),
    }
}

/// A uniform value in [-1, 1) from a 64-bit LCG: deterministic weights without a rand crate.
fn next_uniform(state: &mut u64) -> f32 {
    *state = state
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    ((*state >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
}

/// Separable data: price turns use price words, technical turns stack words, the rest chat.
pub fn write_dataset(path: &std::path::Path, conversations: usize, offset: usize) {
    let price = [
        "the price is too high",
        "budget is too high",
        "price price budget",
    ];
    let technical = [
        "run it on our stack first",
        "need a pilot first",
        "security on our stack",
    ];
    let chat = ["hello thanks", "ok great", "thanks a lot"];
    use std::io::Write;
    let mut file = std::fs::File::create(path).unwrap();
    for i in 0..conversations {
        let k = (i + offset) % 3;
        let line = serde_json::json!({
            "id": format!("c{i}"),
            "language": "en",
            "turns": [
                {"speaker": "Rep", "role": "seller", "text": "hello", "labels": []},
                {"speaker": "Bo", "role": "customer", "text": price[k], "labels": ["price"]},
                {"speaker": "Rep", "role": "seller", "text": "ok", "labels": []},
                {"speaker": "Bo", "role": "customer", "text": technical[k], "labels": ["technical"]},
                {"speaker": "Bo", "role": "customer", "text": chat[k], "labels": []}
            ]
        });
        writeln!(file, "{line}").unwrap();
    }
}
