//! End-to-end analysis throughput: 200 generated conversations (about 20 buyer turns each,
//! half English, half Chinese) read from plain `Speaker: text` files and analysed in chunks of
//! 32 files, as `demur analyze` does; after each chunk, the encoder alone on the same buyer
//! turns, and on every turn the analysis encoded (buyer turns and the seller turns the head
//! reads), all under the same background load. The first ratio says what the whole product
//! costs on top of encoding the buyer turns; the second what reading, the head and the
//! strategies cost on top of the encoding the analysis needs.
//!
//! The texts of both encoder-only sets go to `target/tmp/demur-bench/analyze-turns.json`
//! (`buyer` and `needed`), which `benches/compare_analyze.sh` hands to the ONNX Runtime and
//! PyTorch reference.
//!
//! Run with `cargo bench --bench analyze` after `models/setup.sh`. Environment:
//! `DEMUR_BENCH_CONVERSATIONS` (default 200), `DEMUR_BENCH_ROUNDS` (default 1),
//! `DEMUR_BENCH_HEAD_INPUT` (`turn` or `turn_and_context`: the input of the stand-in head used
//! when no trained head is installed; default `turn_and_context`), `DEMUR_BENCH_F32=1` (the f32
//! encoder instead of the default precision, which is the 4-bit path on CPUs with AVX-512
//! VNNI). The corpus stays in
//! `target/tmp/demur-bench/corpus` for `benches/memory.sh`.

mod common;

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Instant;

use candle_core::{DType, Device};
use candle_nn::{VarBuilder, VarMap};
use common::median;
use demur::analyzer::default_head;
use demur::classify::{needed_turns, scored_turns, Head, HeadConfig, HeadInput};
use demur::encoder::{EncoderOptions, Quantize};
use demur::transcript::{read_file, ReadOptions};
use demur::{Analyzer, AnalyzerOptions, Conversation, Label};
use rayon::prelude::*;

/// Files read and analysed together, as in `demur analyze`.
const FILES_PER_CHUNK: usize = 32;

/// Buyer turns per generated conversation.
const BUYER_TURNS: usize = 20;

/// The encoder id the default head is trained for.
const ENCODER_ID: &str = "intfloat/multilingual-e5-small";

/// One timed pass over the corpus.
struct Pass {
    seconds: f64,
    conversations: usize,
    buyer_turns: usize,
    encoded_turns: usize,
}

fn main() {
    // `cargo test --benches` runs every bench once with `--test`; that is not a measurement.
    if std::env::args().any(|a| a == "--test" || a == "--list") {
        return;
    }
    let model = common::model_dir();
    if !Path::new(&model).join("model.safetensors").is_file() {
        eprintln!("analyze bench skipped: no model at {model} (run models/setup.sh)");
        return;
    }
    if let Err(e) = run(model) {
        eprintln!("analyze bench failed: {e}");
        std::process::exit(2);
    }
}

fn run(model: String) -> Result<(), Box<dyn std::error::Error>> {
    let conversations = env_number("DEMUR_BENCH_CONVERSATIONS", 200);
    let rounds = env_number("DEMUR_BENCH_ROUNDS", 1).max(1);
    let work = Path::new(env!("CARGO_TARGET_TMPDIR")).join("demur-bench");
    let corpus = work.join("corpus");
    if corpus.exists() {
        std::fs::remove_dir_all(&corpus)?;
    }
    let files = common::write_corpus(&corpus, conversations, BUYER_TURNS)?;
    let head = head_dir(&work)?;

    let start = Instant::now();
    let analyzer = Analyzer::new(&AnalyzerOptions {
        model: Some(model),
        head: Some(head.clone()),
        encoder: EncoderOptions {
            quantize: if std::env::var_os("DEMUR_BENCH_F32").is_some_and(|v| v == "1") {
                Quantize::Never
            } else {
                Quantize::Auto
            },
            ..Default::default()
        },
        ..Default::default()
    })?;
    let load = start.elapsed().as_secs_f64();
    let input = analyzer.classifier().head().config().input;
    println!(
        "corpus: {} files in {}; head: {} (input {input:?}); encoder: {}; threads: {}; analyzer load {:.2} s",
        files.len(),
        corpus.display(),
        head.display(),
        precision(&analyzer),
        candle_core::utils::get_num_threads(),
        load
    );

    write_turns(&analyzer, &files, &work.join("analyze-turns.json"))?;

    // Two untimed files warm caches and the thread pool.
    run_chunk(&analyzer, &files[..files.len().min(2)])?;

    let mut analysed = Vec::new();
    let mut encoded = Vec::new();
    let mut needed = Vec::new();
    for round in 1..=rounds {
        let (a, e, n) = run_pass(&analyzer, &files)?;
        println!(
            "round {round}: analyze {:.1} s, encoder only {:.1} s (buyer turns) / {:.1} s (all needed turns), ratios {:.3} / {:.3}",
            a.seconds,
            e.seconds,
            n.seconds,
            e.seconds / a.seconds,
            n.seconds / a.seconds
        );
        analysed.push(a);
        encoded.push(e);
        needed.push(n);
    }
    let encoder = precision(&analyzer);
    report(&analysed, &encoded, &needed, input, encoder, load, &work)
}

/// Which arithmetic the analyzer's encoder runs.
fn precision(analyzer: &Analyzer) -> &'static str {
    if analyzer.classifier().encoder().quantized() {
        "4-bit"
    } else {
        "f32"
    }
}

/// One pass over the corpus in chunks; each chunk is analysed, then its buyer turns are
/// encoded alone, so both sides of the ratio see the same background load.
fn run_pass(
    analyzer: &Analyzer,
    files: &[PathBuf],
) -> Result<(Pass, Pass, Pass), Box<dyn std::error::Error>> {
    let mut analysed = Pass::empty();
    let mut encoded = Pass::empty();
    let mut needed = Pass::empty();
    for (i, chunk) in files.chunks(FILES_PER_CHUNK).enumerate() {
        let (a, e, n) = run_chunk(analyzer, chunk)?;
        eprintln!(
            "chunk {}: {} files, analyze {:.1} s, encoder only: buyer turns {:.1} s, all needed turns {:.1} s",
            i + 1,
            chunk.len(),
            a.seconds,
            e.seconds,
            n.seconds
        );
        analysed.add(&a);
        encoded.add(&e);
        needed.add(&n);
    }
    Ok((analysed, encoded, needed))
}

/// Reads and analyses one chunk as `demur analyze` does (parallel reads, one batch, JSON
/// serialisation), then encodes the same buyer turns with the encoder alone.
fn run_chunk(
    analyzer: &Analyzer,
    chunk: &[PathBuf],
) -> Result<(Pass, Pass, Pass), Box<dyn std::error::Error>> {
    let start = Instant::now();
    let conversations = read_chunk(chunk)?;
    let refs: Vec<&Conversation> = conversations.iter().collect();
    for analysis in analyzer.analyze_batch(&refs)? {
        black_box(serde_json::to_string(&analysis)?);
    }
    let analyse_seconds = start.elapsed().as_secs_f64();

    let (texts, needed) = encoded_texts(analyzer, &conversations);
    let start = Instant::now();
    black_box(analyzer.classifier().encoder().embed(&texts)?);
    let encode_seconds = start.elapsed().as_secs_f64();

    let start = Instant::now();
    black_box(analyzer.classifier().encoder().embed(&needed)?);
    let needed_seconds = start.elapsed().as_secs_f64();

    let pass = |seconds, encoded_turns| Pass {
        seconds,
        conversations: conversations.len(),
        buyer_turns: texts.len(),
        encoded_turns,
    };
    Ok((
        pass(analyse_seconds, needed.len()),
        pass(encode_seconds, texts.len()),
        pass(needed_seconds, needed.len()),
    ))
}

/// The buyer turns the analysis scores, and every turn it encodes for them (the buyer turns
/// and the seller turns the head reads).
fn encoded_texts<'a>(
    analyzer: &Analyzer,
    conversations: &'a [Conversation],
) -> (Vec<&'a str>, Vec<&'a str>) {
    let input = analyzer.classifier().head().config().input;
    let texts_of = |c: &'a Conversation, turns: Vec<usize>| {
        turns.into_iter().map(move |t| c.turns[t].text.as_str())
    };
    let buyer = conversations
        .iter()
        .flat_map(|c| texts_of(c, scored_turns(c)))
        .collect();
    let needed = conversations
        .iter()
        .flat_map(|c| texts_of(c, needed_turns(c, &scored_turns(c), input)))
        .collect();
    (buyer, needed)
}

/// Writes both encoder-only sets of the whole corpus for the reference engines.
fn write_turns(
    analyzer: &Analyzer,
    files: &[PathBuf],
    path: &Path,
) -> Result<(), Box<dyn std::error::Error>> {
    let conversations = read_chunk(files)?;
    let (buyer, needed) = encoded_texts(analyzer, &conversations);
    let turns = serde_json::json!({ "buyer": buyer, "needed": needed });
    std::fs::write(path, format!("{turns}\n"))?;
    Ok(())
}

/// The installed head, or a stand-in with untrained weights in `work/head` (scores are
/// meaningless; the work done is the same as with a trained head of that shape).
fn head_dir(work: &Path) -> Result<PathBuf, Box<dyn std::error::Error>> {
    let installed = default_head();
    if installed.join("head.json").is_file() {
        return Ok(installed);
    }
    let input = match std::env::var("DEMUR_BENCH_HEAD_INPUT").as_deref() {
        Ok("turn") => HeadInput::Turn,
        _ => HeadInput::TurnAndContext,
    };
    // Built from JSON so that fields added later with defaults keep their defaults.
    let config: HeadConfig = serde_json::from_value(serde_json::json!({
        "name": "bench-stand-in",
        "version": "0",
        "labels": Label::ALL,
        "thresholds": {},
        "encoder": ENCODER_ID,
        "hidden_size": 384,
        "max_length": 512,
        "input": input,
        "hidden_layer": 256,
    }))?;
    let vars = VarMap::new();
    let head = Head::build(
        config,
        VarBuilder::from_varmap(&vars, DType::F32, &Device::Cpu),
    )?;
    let dir = work.join("head");
    head.save(&vars, &dir)?;
    eprintln!(
        "no trained head at {}: using an untrained stand-in",
        installed.display()
    );
    Ok(dir)
}

fn read_chunk(chunk: &[PathBuf]) -> Result<Vec<Conversation>, Box<dyn std::error::Error>> {
    let options = ReadOptions::default();
    let results: Vec<_> = chunk.par_iter().map(|f| read_file(f, &options)).collect();
    let mut conversations = Vec::new();
    for result in results.into_iter().flatten() {
        conversations.push(result?);
    }
    Ok(conversations)
}

impl Pass {
    fn empty() -> Pass {
        Pass {
            seconds: 0.0,
            conversations: 0,
            buyer_turns: 0,
            encoded_turns: 0,
        }
    }

    fn add(&mut self, other: &Pass) {
        self.seconds += other.seconds;
        self.conversations += other.conversations;
        self.buyer_turns += other.buyer_turns;
        self.encoded_turns += other.encoded_turns;
    }
}

/// Prints medians over the rounds and writes them as JSON.
fn report(
    analysed: &[Pass],
    encoded: &[Pass],
    needed: &[Pass],
    input: HeadInput,
    encoder: &str,
    load: f64,
    work: &Path,
) -> Result<(), Box<dyn std::error::Error>> {
    let med = |passes: &[Pass], f: &dyn Fn(&Pass) -> f64| {
        median(&mut passes.iter().map(f).collect::<Vec<_>>())
    };
    let conv_rate = med(analysed, &|p| p.conversations as f64 / p.seconds);
    let turn_rate = med(analysed, &|p| p.buyer_turns as f64 / p.seconds);
    let encoder_rate = med(encoded, &|p| p.buyer_turns as f64 / p.seconds);
    let ratios: Vec<f64> = analysed
        .iter()
        .zip(encoded)
        .map(|(a, e)| e.seconds / a.seconds)
        .collect();
    let ratio = median(&mut ratios.clone());
    let mut overheads: Vec<f64> = analysed
        .iter()
        .zip(needed)
        .map(|(a, n)| n.seconds / a.seconds)
        .collect();
    let overhead = median(&mut overheads);
    let first = &analysed[0];

    println!(
        "{} conversations, {} buyer turns, {} turns encoded per analysis pass",
        first.conversations, first.buyer_turns, first.encoded_turns
    );
    println!(
        "analyze (median of {}): {conv_rate:.2} conversations/s, {turn_rate:.1} buyer turns/s",
        analysed.len()
    );
    println!("encoder only, same buyer turns: {encoder_rate:.1} buyer turns/s");
    println!("end-to-end / encoder-only throughput: {ratio:.3}");
    println!(
        "end-to-end / encoder on the same turns the analysis encodes: {overhead:.3} (what reading, the head and the strategies cost)"
    );

    let summary = serde_json::json!({
        "threads": candle_core::utils::get_num_threads(),
        "head_input": input,
        "encoder": encoder,
        "analyzer_load_s": load,
        "conversations": first.conversations,
        "buyer_turns": first.buyer_turns,
        "encoded_turns_per_analysis": first.encoded_turns,
        "analyze_s": analysed.iter().map(|p| p.seconds).collect::<Vec<_>>(),
        "encoder_only_s": encoded.iter().map(|p| p.seconds).collect::<Vec<_>>(),
        "conversations_per_s": conv_rate,
        "buyer_turns_per_s": turn_rate,
        "encoder_only_buyer_turns_per_s": encoder_rate,
        "ratio_to_encoder_only": ratio,
        "encoder_needed_turns_s": needed.iter().map(|p| p.seconds).collect::<Vec<_>>(),
        "ratio_to_encoder_on_needed_turns": overhead,
    });
    let path = work.join("analyze.json");
    std::fs::write(&path, format!("{summary:#}\n"))?;
    println!("summary written to {}", path.display());
    Ok(())
}

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}
