//! The default encoder against golden vectors computed without candle
//! (tests/golden/encoder_golden.py: numpy forward pass over the same 4-bit weights).

mod common;

use demur::encoder::{Encoder, EncoderOptions, Quantize};

#[derive(serde::Deserialize)]
struct Golden {
    tolerance: f32,
    golden: Vec<Case>,
}

#[derive(serde::Deserialize)]
struct Case {
    text: String,
    vector: Vec<f32>,
}

fn golden() -> Golden {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/encoder_e5.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn default_encoder_matches_golden_vectors() {
    let encoder = Encoder::load(&common::default_model(), &common::f32_options()).unwrap();
    let golden = golden();
    let texts: Vec<&str> = golden.golden.iter().map(|c| c.text.as_str()).collect();

    let batched = encoder.embed(&texts).unwrap();
    for (case, got) in golden.golden.iter().zip(&batched) {
        let diff = case
            .vector
            .iter()
            .zip(got)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max);
        let preview: String = case.text.chars().take(40).collect();
        assert!(diff < golden.tolerance, "{preview:?}: max |diff| {diff}");
    }
}

#[test]
fn nfc_nfd_and_full_width_stay_close_but_are_encoded_separately() {
    let golden = golden();
    let by_text = |prefix: &str| {
        golden
            .golden
            .iter()
            .filter(|c| c.text.starts_with(prefix))
            .collect::<Vec<_>>()
    };
    let cafe = by_text("Caf");
    assert_eq!(
        cafe.len(),
        2,
        "NFC and NFD forms are both in the golden set"
    );
    let cosine: f32 = cafe[0]
        .vector
        .iter()
        .zip(&cafe[1].vector)
        .map(|(a, b)| a * b)
        .sum();
    assert!(cosine > 0.8, "NFC vs NFD cosine {cosine}");
}

#[test]
fn default_tokenizer_knows_chinese_sales_words() {
    let encoder = Encoder::load(&common::default_model(), &common::f32_options()).unwrap();
    for text in [
        "预算还没批，我们再考虑一下",
        "我们需要先做技术验证，POC 通过了才能推进。",
    ] {
        let ids = encoder.tokenize(text).unwrap();
        assert!(!ids.contains(&3), "{text}: has <unk>");
    }
}

/// For the f32 path and for the default one (the 4-bit path on CPUs with AVX-512 VNNI).
#[test]
fn concurrent_and_one_at_a_time_batches_give_the_same_bits() {
    let golden = golden();
    let texts: Vec<&str> = golden.golden.iter().map(|c| c.text.as_str()).collect();
    for quantize in [Quantize::Never, Quantize::Auto] {
        let load = |concurrent_batches, batch_size| {
            let options = EncoderOptions {
                concurrent_batches,
                batch_size,
                quantize,
                ..Default::default()
            };
            Encoder::load(&common::default_model(), &options).unwrap()
        };
        // Batches of 3: five batches of the 14 texts, so several run at once.
        let concurrent = load(true, 3).embed(&texts).unwrap();
        let serial = load(false, 3).embed(&texts).unwrap();
        assert_eq!(concurrent, serial, "{quantize:?}");

        // Other batch sizes pack other windows together; only rounding may differ.
        let whole = load(false, 32).embed(&texts).unwrap();
        for ((a, b), text) in concurrent.iter().zip(&whole).zip(&texts) {
            let diff = a
                .iter()
                .zip(b)
                .map(|(x, y)| (x - y).abs())
                .fold(0.0, f32::max);
            assert!(
                diff < 1e-5,
                "{quantize:?}, {text:?}: batches of 3 vs 32 differ by {diff}"
            );
        }
    }
}
