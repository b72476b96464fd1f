//! The quantized encoder (4-bit weights, `--quantized`) against the f32 one.

mod common;

use common::{f32_options, tiny_bert, Naming};
use demur::encoder::int8::PackedQ4;
use demur::encoder::{Encoder, EncoderError, EncoderOptions, Quantize, QUANTIZED_WEIGHTS};

/// Buyer and seller turns of the kinds demur scores: English, Chinese, mixed, short and long.
const TEXTS: [&str; 12] = [
    "That's more than we can spend this year.",
    "We'd need to run it against our stack first.",
    "I'll have to take this to our CFO before anything gets signed.",
    "ok thanks",
    "预算还没批，我们再考虑一下",
    "我们需要先做技术验证，POC 通过了才能推进。",
    "这个价格超出了我们今年的预算范围，老板那边肯定不会批的。",
    "好的",
    "这个 pricing 对我们来说有点 tricky，要先跟 IT team align 一下。",
    "Boss 那边还没 sign off，我们 next week 再 follow up 吧。",
    "The SSO integration 要等我们 security team review 完才行。",
    "Honestly our fiscal year just turned over and the budget is spoken for, so unless the \
     price comes down a lot I don't see procurement approving a new vendor before Q3; \
     our IT people would also want a full security review and a pilot on our own stack.",
];

/// The lowest cosine similarity accepted between a quantized and an f32 vector. Measured on
/// these texts: 0.99991 at the lowest, so 1 − cosine has five times that room; two different
/// texts here are at cosine 0.937 at the closest (`benches/README.md`, "Quantized path").
const MIN_COSINE: f32 = 0.9995;

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
    dot / (norm(a) * norm(b))
}

#[test]
fn quantized_vectors_agree_with_f32() {
    let Some(model) = common::quantized_model() else {
        return;
    };
    let full = Encoder::load(&model, &f32_options()).unwrap();
    let options = EncoderOptions {
        quantize: Quantize::Always,
        ..Default::default()
    };
    let quantized = Encoder::load(&model, &options).unwrap();
    assert!(quantized.quantized() && !full.quantized());

    let a = full.embed(&TEXTS).unwrap();
    let b = quantized.embed(&TEXTS).unwrap();
    for ((text, x), y) in TEXTS.iter().zip(&a).zip(&b) {
        let c = cosine(x, y);
        let preview: String = text.chars().take(40).collect();
        eprintln!("cosine {c:.6}  {preview}");
        assert!(c >= MIN_COSINE, "{preview:?}: cosine {c}");
        assert!(
            x != y,
            "{preview:?}: identical vectors, so the 4-bit path did not run"
        );
    }
}

#[test]
fn quantized_without_its_file_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tiny_bert(tmp.path(), Naming::Plain, 11);
    let options = EncoderOptions {
        quantize: Quantize::Always,
        ..Default::default()
    };
    let err = Encoder::load(dir.to_str().unwrap(), &options)
        .err()
        .unwrap();
    let message = err.to_string();
    assert!(
        matches!(err, EncoderError::NoQuantizedWeights { .. }),
        "{message}"
    );
    assert!(message.contains(QUANTIZED_WEIGHTS), "{message}");
}

#[test]
fn a_file_that_is_not_q4_0_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tiny_bert(tmp.path(), Naming::Plain, 12);
    // f32 weights under the quantized name: no `quantization` metadata.
    std::fs::copy(dir.join("model.safetensors"), dir.join(QUANTIZED_WEIGHTS)).unwrap();
    let options = EncoderOptions {
        quantize: Quantize::Always,
        ..Default::default()
    };
    let message = Encoder::load(dir.to_str().unwrap(), &options)
        .err()
        .unwrap()
        .to_string();
    assert!(message.contains("quantization"), "{message}");

    // Unasked (by default, or for f32), a bad file is skipped with a warning, not an error.
    for options in [EncoderOptions::default(), f32_options()] {
        let encoder = Encoder::load(dir.to_str().unwrap(), &options).unwrap();
        assert!(!encoder.quantized());
    }
}

#[test]
fn by_default_the_4_bit_path_runs_exactly_where_it_is_the_faster_one() {
    let Some(model) = common::quantized_model() else {
        return;
    };
    let encoder = Encoder::load(&model, &EncoderOptions::default()).unwrap();
    assert_eq!(encoder.quantized(), PackedQ4::available());
    assert!(!Encoder::load(&model, &f32_options()).unwrap().quantized());

    // A model without the 4-bit file runs in f32, with no error.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tiny_bert(tmp.path(), Naming::Plain, 13);
    let tiny = Encoder::load(dir.to_str().unwrap(), &EncoderOptions::default()).unwrap();
    assert!(!tiny.quantized());
}
