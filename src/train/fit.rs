//! Fitting a head on cached turn vectors: class-balanced loss, AdamW, early stopping on dev
//! macro-F1, per-label thresholds tuned on dev.

use std::collections::{BTreeMap, HashMap};

use candle_core::{DType, Device, Tensor, Var};
use candle_nn::{AdamW, Optimizer, ParamsAdamW, VarBuilder, VarMap};

use super::metrics::{counts, macro_f1};
use super::rng::SplitMix;
use crate::classify::{member_prefix, Head, HeadConfig, HeadError};
use crate::label::Label;

/// A feature matrix with its gold labels.
#[derive(Debug, Clone, Default)]
pub struct Examples {
    /// One input row per scored turn.
    pub rows: Vec<Vec<f32>>,
    /// Gold flags per row, in label order.
    pub gold: Vec<[bool; 3]>,
}

/// Knobs of head training.
#[derive(Debug, Clone)]
pub struct FitOptions {
    /// Most passes over the training rows.
    pub epochs: usize,
    /// Stop after this many epochs without a better dev macro-F1.
    pub patience: usize,
    /// AdamW learning rate.
    pub learning_rate: f64,
    /// AdamW weight decay.
    pub weight_decay: f64,
    /// Rows per optimiser step.
    pub batch_size: usize,
    /// Seed for initial weights and shuffling.
    pub seed: u64,
    /// Dropout rate on the head's input and hidden layer while training.
    pub dropout: f32,
    /// Probability of dropping each context vector of a row as a whole while training.
    pub context_dropout: f32,
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions {
            epochs: 60,
            patience: 8,
            learning_rate: 1e-3,
            weight_decay: 1e-2,
            batch_size: 64,
            seed: 17,
            dropout: 0.0,
            context_dropout: 0.0,
        }
    }
}

/// One epoch's summary, as reported on stderr.
#[derive(Debug, Clone, PartialEq)]
pub struct EpochReport {
    /// 1-based epoch.
    pub epoch: usize,
    /// Mean training loss.
    pub loss: f64,
    /// Dev macro-F1 with thresholds tuned on dev.
    pub dev_macro_f1: f64,
}

/// A fitted head with its variables and the epoch history.
pub struct Fitted {
    /// The head, thresholds tuned.
    pub head: Head,
    /// Its variables, for saving.
    pub vars: VarMap,
    /// One report per epoch run.
    pub history: Vec<EpochReport>,
    /// Dev macro-F1 of the kept epoch.
    pub best_dev_macro_f1: f64,
}

/// The best epoch so far: dev macro-F1, weights, tuned thresholds.
type Best = (f64, HashMap<String, Tensor>, BTreeMap<Label, f32>);

/// Trains a head on `train`, keeping the epoch with the best macro-F1 on `dev`.
pub fn fit(
    config: HeadConfig,
    train: &Examples,
    dev: &Examples,
    options: &FitOptions,
    mut on_epoch: impl FnMut(&EpochReport),
) -> Result<Fitted, HeadError> {
    let device = Device::Cpu;
    let width = config.input.width(config.hidden_size);
    let mut rng = SplitMix::new(options.seed);
    let vars = init_vars(&config, width, train, &mut rng)?;
    let head = Head::build(config, VarBuilder::from_varmap(&vars, DType::F32, &device))?;

    let x = matrix(&train.rows, width)?;
    let y = targets(&train.gold)?;
    let weights = balance_weights(&train.gold);
    let mut optimiser = AdamW::new(trainable(&vars), adamw(options))?;

    let mut best: Option<Best> = None;
    let mut history = Vec::new();
    let mut since_best = 0;
    for epoch in 1..=options.epochs {
        let loss = run_epoch(&head, &x, &y, &weights, &mut optimiser, options, &mut rng)?;
        let probs = head.probabilities(&dev.rows)?;
        let thresholds = tune_thresholds(&dev.gold, &probs);
        let f1 = macro_f1(&counts(&dev.gold, &predict(&probs, &thresholds)));
        let report = EpochReport {
            epoch,
            loss,
            dev_macro_f1: f1,
        };
        on_epoch(&report);
        history.push(report);

        if best.as_ref().is_none_or(|(b, _, _)| f1 > *b) {
            best = Some((f1, snapshot(&vars)?, thresholds));
            since_best = 0;
        } else {
            since_best += 1;
            if since_best >= options.patience {
                break;
            }
        }
    }

    let (best_f1, weights, thresholds) = best.unwrap_or_default();
    restore(&vars, &weights)?;
    let mut head = head;
    head.set_thresholds(thresholds);
    Ok(Fitted {
        head,
        vars,
        history,
        best_dev_macro_f1: best_f1,
    })
}

/// Seeded initial weights, plus the standardisation statistics of the training rows.
fn init_vars(
    config: &HeadConfig,
    width: usize,
    train: &Examples,
    rng: &mut SplitMix,
) -> Result<VarMap, HeadError> {
    let vars = VarMap::new();
    let (mean, scale) = standardisation(&train.rows, width);
    let put = |name: &str, values: Vec<f32>, shape: &[usize]| -> Result<(), HeadError> {
        let tensor = Tensor::from_vec(values, shape, &Device::Cpu)?;
        let var = Var::from_tensor(&tensor)?;
        vars.data()
            .lock()
            .map_err(|_| poisoned())?
            .insert(name.to_string(), var);
        Ok(())
    };
    put("input.mean", mean, &[width])?;
    put("input.scale", scale, &[width])?;

    let mut layer = |name: &str, out: usize, inp: usize| -> Result<(), HeadError> {
        let bound = (1.0 / inp as f64).sqrt() as f32;
        let w = (0..out * inp).map(|_| rng.uniform() * bound).collect();
        put(&format!("{name}.weight"), w, &[out, inp])?;
        put(&format!("{name}.bias"), vec![0.0; out], &[out])
    };
    for k in 0..config.members.max(1) {
        let prefix = member_prefix(k);
        match config.hidden_layer {
            0 => layer(&format!("{prefix}output"), Label::ALL.len(), width)?,
            n => {
                layer(&format!("{prefix}hidden"), n, width)?;
                layer(&format!("{prefix}output"), Label::ALL.len(), n)?;
            }
        }
    }
    Ok(vars)
}

fn poisoned() -> HeadError {
    HeadError::Tensor(candle_core::Error::Msg("variable map lock poisoned".into()))
}

/// Per-column mean and 1/std of the rows (scale 1 for constant columns).
fn standardisation(rows: &[Vec<f32>], width: usize) -> (Vec<f32>, Vec<f32>) {
    let n = rows.len().max(1) as f64;
    let mut mean = vec![0f64; width];
    let mut sq = vec![0f64; width];
    for row in rows {
        for (j, &v) in row.iter().enumerate() {
            mean[j] += f64::from(v) / n;
            sq[j] += f64::from(v) * f64::from(v) / n;
        }
    }
    let scale = mean
        .iter()
        .zip(&sq)
        .map(|(m, s)| {
            let std = (s - m * m).max(0.0).sqrt();
            if std > 1e-8 {
                (1.0 / std) as f32
            } else {
                1.0
            }
        })
        .collect();
    (mean.into_iter().map(|m| m as f32).collect(), scale)
}

/// The variables the optimiser updates: everything but the standardisation statistics.
fn trainable(vars: &VarMap) -> Vec<Var> {
    let data = vars.data().lock().map(|d| d.clone()).unwrap_or_default();
    let mut named: Vec<(String, Var)> = data
        .into_iter()
        .filter(|(name, _)| !name.starts_with("input."))
        .collect();
    named.sort_by(|a, b| a.0.cmp(&b.0));
    named.into_iter().map(|(_, var)| var).collect()
}

fn adamw(options: &FitOptions) -> ParamsAdamW {
    ParamsAdamW {
        lr: options.learning_rate,
        weight_decay: options.weight_decay,
        ..ParamsAdamW::default()
    }
}

/// Positive-class weight per label: negatives / positives, so rare labels count as much.
pub(crate) fn balance_weights(gold: &[[bool; 3]]) -> [f32; 3] {
    let mut out = [1f32; 3];
    for (k, w) in out.iter_mut().enumerate() {
        let pos = gold.iter().filter(|g| g[k]).count();
        let neg = gold.len() - pos;
        if pos > 0 {
            *w = (neg as f32 / pos as f32).clamp(1.0, 20.0);
        }
    }
    out
}

fn run_epoch(
    head: &Head,
    x: &Tensor,
    y: &Tensor,
    pos_weight: &[f32; 3],
    optimiser: &mut AdamW,
    options: &FitOptions,
    rng: &mut SplitMix,
) -> Result<f64, HeadError> {
    let rows = x.dim(0)?;
    let mut order: Vec<u32> = (0..rows as u32).collect();
    rng.shuffle(&mut order);
    let pos_weight = Tensor::new(pos_weight, x.device())?;

    let mut total = 0.0;
    let mut batches = 0;
    for chunk in order.chunks(options.batch_size.max(1)) {
        let index = Tensor::new(chunk, x.device())?;
        let xb = x.index_select(&index, 0)?;
        let yb = y.index_select(&index, 0)?;
        let width = xb.dim(1)?;
        let hidden = head.config().hidden_layer;
        let turn_width = head.config().hidden_size;
        let mut masks = Vec::with_capacity(head.members());
        for _ in 0..head.members() {
            let input = dropout_mask(rng, chunk.len(), width, options.dropout)?;
            let input = context_dropout(rng, input, chunk.len(), width, turn_width, options)?;
            masks.push((
                input,
                dropout_mask(rng, chunk.len(), hidden, options.dropout)?,
            ));
        }
        // Members learn independently: the loss is the mean of their losses.
        let mut loss = Tensor::new(0f32, x.device())?;
        for logits in head.logits_masked(&xb, &masks)? {
            loss = (loss + weighted_bce(&logits, &yb, &pos_weight)?)?;
        }
        let loss = (loss / head.members() as f64)?;
        optimiser.backward_step(&loss)?;
        total += f64::from(loss.to_scalar::<f32>()?);
        batches += 1;
    }
    Ok(total / f64::from(batches.max(1)))
}

/// A `[rows, width]` mask of zeros and `1 / (1 − p)`, or none when there is nothing to drop.
pub(crate) fn dropout_mask(
    rng: &mut SplitMix,
    rows: usize,
    width: usize,
    p: f32,
) -> candle_core::Result<Option<Tensor>> {
    if p <= 0.0 || width == 0 {
        return Ok(None);
    }
    let keep = 1.0 / (1.0 - p);
    let values = (0..rows * width).map(|_| {
        if (rng.uniform() + 1.0) / 2.0 < p {
            0.0
        } else {
            keep
        }
    });
    Tensor::from_vec(values.collect(), (rows, width), &Device::Cpu).map(Some)
}

/// Drops whole context blocks (every vector after the turn's own), one row and block at a
/// time with probability `options.context_dropout`, on top of an elementwise mask: the head
/// then cannot lean on how one writer's sellers phrase things, and must read the turn.
fn context_dropout(
    rng: &mut SplitMix,
    mask: Option<Tensor>,
    rows: usize,
    width: usize,
    turn_width: usize,
    options: &FitOptions,
) -> candle_core::Result<Option<Tensor>> {
    let p = options.context_dropout;
    if p <= 0.0 || width <= turn_width || turn_width == 0 {
        return Ok(mask);
    }
    let mut values = match &mask {
        Some(m) => m.flatten_all()?.to_vec1::<f32>()?,
        None => vec![1.0; rows * width],
    };
    for row in values.chunks_exact_mut(width) {
        for block in row[turn_width..].chunks_mut(turn_width) {
            if (rng.uniform() + 1.0) / 2.0 < p {
                block.iter_mut().for_each(|v| *v = 0.0);
            }
        }
    }
    Tensor::from_vec(values, (rows, width), &Device::Cpu).map(Some)
}

/// Binary cross-entropy on logits, positives weighted per label, in a numerically stable form:
/// `w·y·softplus(−z) + (1−y)·softplus(z)`.
pub fn weighted_bce(
    logits: &Tensor,
    y: &Tensor,
    pos_weight: &Tensor,
) -> candle_core::Result<Tensor> {
    let softplus = |z: &Tensor| -> candle_core::Result<Tensor> {
        z.relu()? + (z.abs()?.neg()?.exp()? + 1.0)?.log()?
    };
    let positive = (y.broadcast_mul(pos_weight)? * softplus(&logits.neg()?)?)?;
    let negative = ((y.affine(-1.0, 1.0))? * softplus(logits)?)?;
    (positive + negative)?.mean_all()
}

fn matrix(rows: &[Vec<f32>], width: usize) -> Result<Tensor, HeadError> {
    let flat: Vec<f32> = rows.iter().flatten().copied().collect();
    Ok(Tensor::from_vec(flat, (rows.len(), width), &Device::Cpu)?)
}

pub(crate) fn targets(gold: &[[bool; 3]]) -> Result<Tensor, HeadError> {
    let flat: Vec<f32> = gold
        .iter()
        .flatten()
        .map(|&b| f32::from(u8::from(b)))
        .collect();
    Ok(Tensor::from_vec(flat, (gold.len(), 3), &Device::Cpu)?)
}

fn snapshot(vars: &VarMap) -> Result<HashMap<String, Tensor>, HeadError> {
    let data = vars.data().lock().map_err(|_| poisoned())?;
    data.iter()
        .map(|(k, v)| Ok((k.clone(), v.as_tensor().copy()?)))
        .collect()
}

fn restore(vars: &VarMap, saved: &HashMap<String, Tensor>) -> Result<(), HeadError> {
    let data = vars.data().lock().map_err(|_| poisoned())?;
    for (name, tensor) in saved {
        if let Some(var) = data.get(name) {
            var.set(tensor)?;
        }
    }
    Ok(())
}

/// Predicted flags from probabilities and per-label thresholds.
pub fn predict(probs: &[[f32; 3]], thresholds: &BTreeMap<Label, f32>) -> Vec<[bool; 3]> {
    probs
        .iter()
        .map(|p| Label::ALL.map(|l| p[l.index()] >= thresholds.get(&l).copied().unwrap_or(0.5)))
        .collect()
}

/// The threshold per label that maximises its F1 on the given rows (ties: the one closest to
/// 0.5, so an uninformative dev set keeps the neutral threshold).
pub fn tune_thresholds(gold: &[[bool; 3]], probs: &[[f32; 3]]) -> BTreeMap<Label, f32> {
    let mut out = BTreeMap::new();
    for label in Label::ALL {
        let k = label.index();
        let mut best = (f64::MIN, 0.5f32);
        for step in 1..100 {
            let t = step as f32 / 100.0;
            let pred: Vec<[bool; 3]> = probs.iter().map(|p| [p[k] >= t; 3]).collect();
            let g: Vec<[bool; 3]> = gold.iter().map(|g| [g[k]; 3]).collect();
            let f1 = counts(&g, &pred)[0].metrics().f1;
            let closer = (t - 0.5).abs() < (best.1 - 0.5).abs();
            if f1 > best.0 + 1e-12 || ((f1 - best.0).abs() <= 1e-12 && closer) {
                best = (f1, t);
            }
        }
        out.insert(label, best.1);
    }
    out
}
