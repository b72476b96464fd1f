//! How far the quantized encoder (`--quantized`) moves the shipped head's results on labeled
//! dialogues: per scored turn, whether the predicted label set stays the same and how much
//! each label's score moves; and the cosine between the two encoders' vectors of every turn.
//!
//! Run with `cargo run --release --example quantized_agreement -- datasets/dev.jsonl` after
//! `models/setup.sh`. Both encoders encode every turn afresh (the feature cache is not used).

use std::path::PathBuf;

use demur::analyzer::{default_head, default_model};
use demur::classify::Head;
use demur::encoder::{Encoder, EncoderOptions, Quantize};
use demur::train::features::{examples, turn_vectors, TurnVectors};
use demur::train::fit::predict;
use demur::train::read_dataset;
use demur::Label;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .ok_or("usage: quantized_agreement DATA.jsonl")?;
    let data = read_dataset(&path)?;
    let head = Head::load(&default_head())?;
    let thresholds = Label::ALL.iter().map(|&l| (l, head.threshold(l))).collect();

    let mut runs = Vec::new();
    for quantized in [false, true] {
        let options = EncoderOptions {
            quantize: if quantized {
                Quantize::Always
            } else {
                Quantize::Never
            },
            ..Default::default()
        };
        let encoder = Encoder::load(&default_model(), &options)?;
        let vectors = turn_vectors(&encoder, &data, None, &|_, _| {})?;
        let rows = examples(&data, &vectors, head.config().input).rows;
        let probs = head.probabilities(&rows)?;
        runs.push((vectors, probs));
    }
    let [(full_vectors, full), (quantized_vectors, quantized)] =
        <[_; 2]>::try_from(runs).map_err(|_| "two runs expected")?;

    let same = predict(&full, &thresholds)
        .iter()
        .zip(predict(&quantized, &thresholds))
        .filter(|(a, b)| *a == b)
        .count();
    let diffs: Vec<f32> = full
        .iter()
        .zip(&quantized)
        .flat_map(|(a, b)| a.iter().zip(b).map(|(x, y)| (x - y).abs()))
        .collect();
    let cosines = cosines(&full_vectors, &quantized_vectors);
    let identical = full_vectors
        .iter()
        .flatten()
        .zip(quantized_vectors.iter().flatten())
        .filter(|(a, b)| a == b)
        .count();

    println!("scored turns: {}", full.len());
    println!(
        "same predicted label set: {same} ({:.2} %)",
        100.0 * same as f64 / full.len() as f64
    );
    println!(
        "score |difference| over turns × labels: mean {:.4}, largest {:.4}",
        diffs.iter().sum::<f32>() / diffs.len() as f32,
        diffs.iter().copied().fold(0.0, f32::max)
    );
    println!(
        "turn vectors (all {} turns): cosine mean {:.6}, lowest {:.6}",
        cosines.len(),
        cosines.iter().sum::<f32>() / cosines.len() as f32,
        cosines.iter().copied().fold(1.0, f32::min)
    );
    println!("identical turn vectors: {identical}");
    Ok(())
}

/// The cosine between the two encoders' vectors of each turn.
fn cosines(a: &TurnVectors, b: &TurnVectors) -> Vec<f32> {
    let a = a.iter().flatten();
    let b = b.iter().flatten();
    a.zip(b)
        .map(|(x, y)| {
            let dot: f32 = x.iter().zip(y).map(|(p, q)| p * q).sum();
            let norm = |v: &[f32]| v.iter().map(|p| p * p).sum::<f32>().sqrt();
            dot / (norm(x) * norm(y)).max(1e-12)
        })
        .collect()
}
