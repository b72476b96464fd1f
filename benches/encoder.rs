//! Encoder throughput: `Encoder::embed` on English and Chinese buyer turns at batch sizes 1, 8
//! and 32, the whole shared turn set in length-sorted batches (what the PyTorch reference in
//! `benches/reference/` runs), model load time, and an f32 matmul ceiling at the encoder's
//! feed-forward shapes (beside the same products on Q4_0 weights, through candle's `QMatMul`
//! and demur's 8-bit product), and the thread split (both
//! sorted sets through rayon pools of 1, 2 and 4 threads, and with batches run one at a time
//! or concurrently, `threads/…`). When the model has `model-q4_0.safetensors`, the sorted sets also run
//! through the quantized encoder (`q4_0/…` in the summary), right after the f32 run of the
//! same set, and the summary ends with the quantized/f32 time ratios.
//!
//! Run with `cargo bench --bench encoder` after `models/setup.sh`. Criterion reports tokens/s;
//! a summary with turns/s, tokens/s, GFLOP/s and the fraction of the matmul ceiling (for the
//! `q4_0/…` sets, of the faster 4-bit product) follows on stdout and is written to
//! `target/tmp/demur-bench/encoder.json`.

mod common;

use std::cell::RefCell;
use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use candle_core::quantized::{GgmlDType, QMatMul, QTensor};
use candle_core::{Device, Module, Tensor};
use common::{median, Lang};
use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, BenchmarkId, Criterion, SamplingMode, Throughput};
use demur::encoder::int8::PackedQ4;
use demur::encoder::{Encoder, EncoderOptions, Quantize, QUANTIZED_WEIGHTS};

/// The workload at batch sizes 1, 8 and 32 is every `WORKLOAD_STRIDE`-th turn of the set (32
/// turns, as long on average as the whole set).
const WORKLOAD_STRIDE: usize = 2;

/// Batch sizes measured.
const BATCH_SIZES: [usize; 3] = [1, 8, 32];

/// `<s>` and `</s>`: the special tokens around every window, which `tokenize` leaves out.
const SPECIAL_TOKENS: usize = 2;

/// Shape of multilingual-e5-small's transformer.
const LAYERS: f64 = 12.0;
const HIDDEN: f64 = 384.0;
const FEED_FORWARD: f64 = 1536.0;

/// Rows of the ceiling matmul: a full batch of 32 windows of 48 tokens.
const CEILING_ROWS: usize = 32 * 48;

/// One measured workload and its per-iteration timings.
struct Measured {
    name: String,
    turns: usize,
    tokens: usize,
    flops: f64,
    samples: RefCell<Vec<f64>>,
}

impl Measured {
    fn new(name: String, lengths: &[usize]) -> Measured {
        Measured {
            name,
            turns: lengths.len(),
            tokens: lengths.iter().sum(),
            flops: lengths.iter().map(|&l| flops_per_token(l) * l as f64).sum(),
            samples: RefCell::new(Vec::new()),
        }
    }

    /// Runs `routine` `iters` times, records the time per iteration and returns the total.
    fn time(&self, iters: u64, mut routine: impl FnMut()) -> Duration {
        let start = Instant::now();
        for _ in 0..iters {
            routine();
        }
        let elapsed = start.elapsed();
        let per_iter = elapsed.as_secs_f64() / iters.max(1) as f64;
        self.samples.borrow_mut().push(per_iter);
        elapsed
    }

    /// Median seconds per iteration over the last `n` samples (criterion's measurement; the
    /// earlier ones are its warm-up).
    fn median_seconds(&self, n: usize) -> f64 {
        let samples = self.samples.borrow();
        let mut last: Vec<f64> = samples[samples.len().saturating_sub(n)..].to_vec();
        median(&mut last)
    }
}

/// Useful FLOPs per token of a window of `len` tokens: the linear layers (Q, K, V, output,
/// and the two feed-forward matrices) plus the attention products QKᵀ and AV.
fn flops_per_token(len: usize) -> f64 {
    let linear = 4.0 * HIDDEN * HIDDEN + 2.0 * HIDDEN * FEED_FORWARD;
    let attention = 2.0 * len as f64 * HIDDEN;
    LAYERS * 2.0 * (linear + attention)
}

fn main() {
    let model = common::model_dir();
    if !Path::new(&model).join("model.safetensors").is_file() {
        eprintln!("encoder bench skipped: no model at {model} (run models/setup.sh)");
        return;
    }
    check_turns_json();

    let mut criterion = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
        .configure_from_args();
    let options = EncoderOptions {
        quantize: Quantize::Never,
        ..Default::default()
    };
    let encoder = match Encoder::load(&model, &options) {
        Ok(encoder) => encoder,
        Err(e) => {
            eprintln!("encoder bench: cannot load {model}: {e}");
            std::process::exit(2);
        }
    };

    let quantized = load_quantized(&model);

    let samples = 10;
    let mut results = vec![bench_load(&mut criterion, &model, &options)];
    for lang in Lang::ALL {
        results.extend(bench_embed(
            &mut criterion,
            &encoder,
            quantized.as_ref(),
            lang,
        ));
    }
    results.extend(bench_threads(&model, &encoder));
    let ceiling = bench_ceiling(&mut criterion);
    criterion.final_summary();

    // `--list` and `--test` (as in `cargo test --benches`) measure nothing worth reporting.
    let measuring = !std::env::args().any(|a| a == "--list" || a == "--test");
    if measuring {
        report(&results, &ceiling, samples);
    }
}

/// The quantized encoder, when the model has its 4-bit weights.
fn load_quantized(model: &str) -> Option<Encoder> {
    if !Path::new(model).join(QUANTIZED_WEIGHTS).is_file() {
        eprintln!("quantized benches skipped: no {QUANTIZED_WEIGHTS} in {model}");
        return None;
    }
    let options = EncoderOptions {
        quantize: Quantize::Always,
        ..Default::default()
    };
    match Encoder::load(model, &options) {
        Ok(encoder) => Some(encoder),
        Err(e) => {
            eprintln!("encoder bench: cannot load {model} quantized: {e}");
            std::process::exit(2);
        }
    }
}

/// Fails loudly when `benches/reference/turns.json` no longer matches the generator; writes
/// it when it is missing.
fn check_turns_json() {
    let path = common::turns_json_path();
    let fresh = common::turns_json();
    match std::fs::read_to_string(&path) {
        Ok(stored) if stored == fresh => {}
        Ok(_) => eprintln!(
            "warning: {} differs from the generator in benches/common; \
             delete it and rerun to regenerate",
            path.display()
        ),
        Err(_) => match std::fs::write(&path, fresh) {
            Ok(()) => eprintln!("wrote {}", path.display()),
            Err(e) => eprintln!("warning: cannot write {}: {e}", path.display()),
        },
    }
}

/// Window lengths (special tokens included) of some texts.
fn lengths(encoder: &Encoder, texts: &[String]) -> Vec<usize> {
    texts
        .iter()
        .map(|t| encoder.tokenize(t).map_or(0, |ids| ids.len()) + SPECIAL_TOKENS)
        .collect()
}

fn bench_load(criterion: &mut Criterion, model: &str, options: &EncoderOptions) -> Measured {
    let measured = Measured::new("load".into(), &[]);
    let mut group = criterion.benchmark_group("load");
    group.sampling_mode(SamplingMode::Flat);
    group.bench_function("encoder", |b| {
        b.iter_custom(|iters| {
            measured.time(iters, || {
                black_box(Encoder::load(model, options).ok());
            })
        })
    });
    group.finish();
    measured
}

fn bench_embed(
    criterion: &mut Criterion,
    encoder: &Encoder,
    quantized: Option<&Encoder>,
    lang: Lang,
) -> Vec<Measured> {
    let set = common::turn_set(lang);
    let mut group = criterion.benchmark_group(format!("embed/{}", lang.code()));
    group.sampling_mode(SamplingMode::Flat);
    let mut out = Vec::new();

    // The same 32 turns, embedded in calls of 1, 8 or 32 turns.
    let workload: Vec<String> = set.iter().step_by(WORKLOAD_STRIDE).cloned().collect();
    let workload_lengths = lengths(encoder, &workload);
    let texts: Vec<&str> = workload.iter().map(String::as_str).collect();
    for batch in BATCH_SIZES {
        let measured = Measured::new(format!("{}/batch-{batch}", lang.code()), &workload_lengths);
        group.throughput(Throughput::Elements(measured.tokens as u64));
        group.bench_function(BenchmarkId::new("batch", batch), |b| {
            b.iter_custom(|iters| {
                measured.time(iters, || {
                    for call in texts.chunks(batch) {
                        black_box(encoder.embed(call).ok());
                    }
                })
            })
        });
        out.push(measured);
    }

    // The whole set in one call: the encoder sorts by length and batches it (`EncoderOptions`).
    let name = format!("{}/sorted-{}", lang.code(), set.len());
    out.push(bench_sorted(
        &mut group,
        encoder,
        &set,
        name.clone(),
        "sorted",
    ));
    if let Some(quantized) = quantized {
        let name = format!("q4_0/{name}");
        out.push(bench_sorted(
            &mut group,
            quantized,
            &set,
            name,
            "sorted-q4_0",
        ));
    }
    group.finish();
    out
}

/// The whole set in one `embed` call.
fn bench_sorted(
    group: &mut BenchmarkGroup<WallTime>,
    encoder: &Encoder,
    set: &[String],
    name: String,
    id: &str,
) -> Measured {
    let all: Vec<&str> = set.iter().map(String::as_str).collect();
    let measured = Measured::new(name, &lengths(encoder, set));
    group.throughput(Throughput::Elements(measured.tokens as u64));
    group.bench_function(BenchmarkId::new(id, set.len()), |b| {
        b.iter_custom(|iters| {
            measured.time(iters, || {
                black_box(encoder.embed(&all).ok());
            })
        })
    });
    measured
}

/// Rounds of the thread-split measurement.
const THREAD_ROUNDS: usize = 7;

/// The default options' thread split (`threads/pool-2/default`, `EncoderOptions::default`):
/// both sorted sets in one call.
const DEFAULT_SPLIT: &str = "threads/pool-2/default";

/// The thread split: both sorted sets in one call, with the default options (concurrent
/// batches of 16) in rayon pools of 1, 2 and 4 threads, and in a 2-thread pool with batches of
/// 8 or 32 run one at a time with both threads on each operation, or with concurrent batches
/// of 8. Matrix products run on the same pool as the other kernels (candle hands them to
/// rayon), so the pool size is the whole thread count.
///
/// Not a criterion group: the variants take turns, one call each per round, so that a change
/// in background load hits all of them alike, and the ratios are taken within each round.
/// Runs when the bench filter (if any) matches `threads`.
fn bench_threads(model: &str, encoder: &Encoder) -> Vec<Measured> {
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let wanted = filters.is_empty()
        || filters
            .iter()
            .any(|f| regex::Regex::new(f).is_ok_and(|r| r.is_match(DEFAULT_SPLIT)));
    if !wanted || std::env::args().any(|a| a == "--list" || a == "--test") {
        return Vec::new();
    }

    let mut set = common::turn_set(Lang::En);
    set.extend(common::turn_set(Lang::Zh));
    let all: Vec<&str> = set.iter().map(String::as_str).collect();
    let set_lengths = lengths(encoder, &set);

    let variants = [
        ("serial-8", false, 8),
        ("serial-32", false, 32),
        ("concurrent-8", true, 8),
    ];
    let mut loaded = Vec::new();
    for (name, concurrent_batches, batch_size) in variants {
        let options = EncoderOptions {
            batch_size,
            concurrent_batches,
            quantize: Quantize::Never,
            ..Default::default()
        };
        match Encoder::load(model, &options) {
            Ok(variant) => loaded.push((format!("pool-2/{name}"), variant)),
            Err(e) => eprintln!("threads bench: cannot load {model}: {e}"),
        }
    }
    let mut runs: Vec<(String, &Encoder, usize)> = [1, 2, 4]
        .into_iter()
        .map(|threads| (format!("pool-{threads}/default"), encoder, threads))
        .collect();
    runs.extend(loaded.iter().map(|(name, e)| (name.clone(), e, 2)));

    let mut timed = Vec::new();
    for (name, encoder, threads) in runs {
        match rayon::ThreadPoolBuilder::new().num_threads(threads).build() {
            Ok(pool) => timed.push((
                Measured::new(format!("threads/{name}"), &set_lengths),
                encoder,
                pool,
            )),
            Err(e) => eprintln!("threads bench: cannot build a pool of {threads}: {e}"),
        }
    }
    for (_, encoder, pool) in &timed {
        pool.install(|| black_box(encoder.embed(&all).ok()));
    }
    for round in 1..=THREAD_ROUNDS {
        for (measured, encoder, pool) in &timed {
            measured.time(1, || {
                pool.install(|| black_box(encoder.embed(&all).ok()));
            });
        }
        eprintln!("threads: round {round} of {THREAD_ROUNDS} done");
    }
    timed.into_iter().map(|(measured, _, _)| measured).collect()
}

/// Per `threads/…` workload, the median over rounds of its throughput over the default
/// split's (`pool-2/default`) in the same round.
fn thread_ratios(results: &[Measured]) -> Vec<(String, f64)> {
    let Some(default) = results.iter().find(|m| m.name == DEFAULT_SPLIT) else {
        return Vec::new();
    };
    let base = default.samples.borrow();
    results
        .iter()
        .filter_map(|m| {
            let name = m.name.strip_prefix("threads/")?;
            let mut ratios: Vec<f64> = base
                .iter()
                .zip(m.samples.borrow().iter())
                .map(|(b, s)| b / s)
                .collect();
            let ratio = median(&mut ratios);
            ratio.is_finite().then(|| (name.to_string(), ratio))
        })
        .collect()
}

/// f32 matmul throughput (GFLOP/s) at the feed-forward shapes, weights transposed as in
/// candle's `Linear`: up (rows×384 · 384×1536) and down (rows×1536 · 1536×384); then the same
/// products with the weight as Q4_0 blocks through candle's `QMatMul` (`up-q4_0`,
/// `down-q4_0`) and, on CPUs with AVX-512 VNNI, through demur's packed 8-bit product
/// (`up-int8`, `down-int8`), which the quantized encoder runs there.
fn bench_ceiling(criterion: &mut Criterion) -> Vec<(String, f64)> {
    let mut group = criterion.benchmark_group("matmul");
    group.sampling_mode(SamplingMode::Flat);
    let (h, ff) = (HIDDEN as usize, FEED_FORWARD as usize);
    let mut out = Vec::new();
    for (name, inner, outer) in [("up", h, ff), ("down", ff, h)] {
        let Ok((x, w, q, packed)) = ceiling_operands(CEILING_ROWS, inner, outer) else {
            eprintln!("matmul ceiling: cannot build operands");
            continue;
        };
        let flops = 2.0 * (CEILING_ROWS * inner * outer) as f64;
        let full = time_matmul(&mut group, name, flops, || x.matmul(&w));
        let quantized = format!("{name}-q4_0");
        let blocks = time_matmul(&mut group, &quantized, flops, || q.forward(&x));
        out.extend([(name.to_string(), full), (quantized, blocks)]);
        if let Some(packed) = packed {
            let input = x
                .flatten_all()
                .and_then(|x| x.to_vec1::<f32>())
                .unwrap_or_default();
            let int8 = format!("{name}-int8");
            let gflops = time_matmul(&mut group, &int8, flops, || packed.product(&input));
            out.push((int8, gflops));
        }
    }
    group.finish();
    out.retain(|(_, gflops)| gflops.is_finite());
    out
}

/// GFLOP/s of one product.
fn time_matmul<R>(
    group: &mut BenchmarkGroup<WallTime>,
    name: &str,
    flops: f64,
    product: impl Fn() -> R,
) -> f64 {
    let measured = Measured::new(name.into(), &[]);
    group.throughput(Throughput::Elements(flops as u64));
    group.bench_function(BenchmarkId::new(name, CEILING_ROWS), |b| {
        b.iter_custom(|iters| {
            measured.time(iters, || {
                black_box(product());
            })
        })
    });
    flops / measured.median_seconds(10) / 1e9
}

/// A random input, a transposed random weight as `Linear` multiplies them, the weight as
/// Q4_0 blocks, and those blocks packed for the 8-bit product where this CPU runs it.
fn ceiling_operands(
    rows: usize,
    inner: usize,
    outer: usize,
) -> candle_core::Result<(Tensor, Tensor, QMatMul, Option<PackedQ4>)> {
    let x = Tensor::randn(0f32, 1.0, (rows, inner), &Device::Cpu)?;
    let w = Tensor::randn(0f32, 1.0, (outer, inner), &Device::Cpu)?;
    let blocks = QTensor::quantize(&w, GgmlDType::Q4_0)?;
    let packed = PackedQ4::available()
        .then(|| PackedQ4::pack(&blocks.data().ok()?, outer, inner))
        .flatten();
    let q = QMatMul::from_qtensor(blocks)?;
    Ok((x, w.t()?, q, packed))
}

/// Median time of each `q4_0/…` workload over its f32 twin's.
fn quantized_ratios(results: &[Measured], samples: usize) -> Vec<(String, f64)> {
    let mut out = Vec::new();
    for q in results {
        let Some(name) = q.name.strip_prefix("q4_0/") else {
            continue;
        };
        let Some(full) = results.iter().find(|m| m.name == name) else {
            continue;
        };
        let ratio = q.median_seconds(samples) / full.median_seconds(samples);
        if ratio.is_finite() {
            out.push((name.to_string(), ratio));
        }
    }
    out
}

/// Prints the summary and writes it as JSON.
fn report(results: &[Measured], ceiling: &[(String, f64)], samples: usize) {
    // Each workload against the products of its own arithmetic: f32, or for the quantized
    // encoder the faster of the two 4-bit products (the one it runs).
    let quantized = |name: &str| name.ends_with("-q4_0") || name.ends_with("-int8");
    let best = |of_quantized: bool| {
        ceiling
            .iter()
            .filter(|(name, _)| quantized(name) == of_quantized)
            .map(|(_, g)| *g)
            .fold(0.0, f64::max)
    };
    let (f32_ceiling, quantized_ceiling) = (best(false), best(true));
    println!();
    println!(
        "threads: {}   matmul ceiling: {}",
        candle_core::utils::get_num_threads(),
        if ceiling.is_empty() {
            "not measured (the filter left it out)".to_string()
        } else {
            ceiling
                .iter()
                .map(|(n, g)| format!("{n} {g:.1} GFLOP/s"))
                .collect::<Vec<_>>()
                .join(", ")
        }
    );
    println!(
        "{:<18} {:>10} {:>10} {:>11} {:>9} {:>9}",
        "workload", "median ms", "turns/s", "tokens/s", "GFLOP/s", "ceiling"
    );

    let mut rows = Vec::new();
    for m in results {
        let seconds = m.median_seconds(samples);
        if !seconds.is_finite() {
            continue;
        }
        if m.turns == 0 {
            println!("{:<18} {:>10.1}", m.name, seconds * 1e3);
            rows.push(serde_json::json!({ "workload": m.name, "median_s": seconds }));
            continue;
        }
        let gflops = m.flops / seconds / 1e9;
        let best_ceiling = if m.name.starts_with("q4_0/") {
            quantized_ceiling
        } else {
            f32_ceiling
        };
        // No ceiling when a filter skipped the matmul benches.
        let fraction = (best_ceiling > 0.0).then(|| gflops / best_ceiling);
        println!(
            "{:<18} {:>10.1} {:>10.1} {:>11.0} {:>9.1} {:>9}",
            m.name,
            seconds * 1e3,
            m.turns as f64 / seconds,
            m.tokens as f64 / seconds,
            gflops,
            fraction.map_or("–".into(), |f| format!("{:.1}%", 100.0 * f))
        );
        rows.push(serde_json::json!({
            "workload": m.name,
            "turns": m.turns,
            "tokens": m.tokens,
            "median_s": seconds,
            "turns_per_s": m.turns as f64 / seconds,
            "tokens_per_s": m.tokens as f64 / seconds,
            "gflops": gflops,
            "ceiling_fraction": fraction,
        }));
    }

    let ratios = quantized_ratios(results, samples);
    for (name, ratio) in &ratios {
        println!("quantized/f32 time, {name}: {ratio:.2}");
    }

    let threads = thread_ratios(results);
    for (name, ratio) in &threads {
        println!("throughput over pool-2/default, {name}: {ratio:.2}");
    }

    let ceiling: serde_json::Map<String, serde_json::Value> = ceiling
        .iter()
        .map(|(name, gflops)| (name.clone(), (*gflops).into()))
        .collect();
    let summary = serde_json::json!({
        "threads": candle_core::utils::get_num_threads(),
        "ceiling_gflops": ceiling,
        "results": rows,
        "quantized_over_f32_time": ratios
            .into_iter()
            .map(|(name, ratio)| (name, ratio.into()))
            .collect::<serde_json::Map<_, _>>(),
        "throughput_over_default_split": threads
            .into_iter()
            .map(|(name, ratio)| (name, ratio.into()))
            .collect::<serde_json::Map<_, _>>(),
    });
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("demur-bench");
    let path = dir.join("encoder.json");
    let written = std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(&path, format!("{summary:#}\n")));
    match written {
        Ok(()) => println!("summary written to {}", path.display()),
        Err(e) => eprintln!("warning: cannot write {}: {e}", path.display()),
    }
}
