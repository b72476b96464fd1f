//! Fine-tuning the top encoder layers together with a sequence-classification head.
//!
//! The model is the one Hugging Face calls `BertForSequenceClassification`: the first token's
//! final hidden state, a tanh "pooler" layer, then one logit per label (multi-label, sigmoid).
//! Only the top `layers` transformer layers, the pooler and the classifier learn; the layers
//! below stay frozen, so their output is computed once per turn (packed, on the fast path)
//! and each step runs only the trainable layers, with candle's autograd and AdamW.
//!
//! The output directory is at once a Hugging Face checkpoint (`config.json` with
//! `id2label`/`label2id`, `model.safetensors` in Hugging Face's names, `tokenizer.json`) and a
//! demur head whose encoder is bundled (`head.json`, `head.safetensors`, `encoder.toml`).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor, Var};
use candle_nn::{AdamW, Optimizer, ParamsAdamW};

use super::dataset::LabeledConversation;
use super::fit::{
    balance_weights, dropout_mask, targets, tune_thresholds, weighted_bce, EpochReport,
};
use super::metrics::{counts, flags, macro_f1};
use super::rng::SplitMix;
use super::{read_dataset, split_by_conversation, TrainError};
use crate::classify::{scored_turns, Activation, HeadConfig, HeadError, HeadInput};
use crate::encoder::bert::{Bert, Dense, LayerWeights, Weight};
use crate::encoder::{Conventions, Encoder, ModelFiles, Pooling};
use crate::label::Label;

/// What a fine-tuning run reads and writes, and its knobs.
#[derive(Debug, Clone)]
pub struct FinetuneOptions {
    /// Labeled training dialogues (JSONL).
    pub train: PathBuf,
    /// Labeled dev dialogues: early stopping, thresholds, the report.
    pub dev: PathBuf,
    /// The checkpoint directory written.
    pub out: PathBuf,
    /// Head name (the checkpoint's encoder id is `name@version`).
    pub name: String,
    /// Head version.
    pub version: String,
    /// Top transformer layers that learn (at least 1).
    pub layers: usize,
    /// Most epochs.
    pub epochs: usize,
    /// Epochs without dev improvement before stopping.
    pub patience: usize,
    /// AdamW learning rate of the transformer layers.
    pub encoder_learning_rate: f64,
    /// AdamW learning rate of the pooler and classifier.
    pub head_learning_rate: f64,
    /// AdamW weight decay.
    pub weight_decay: f64,
    /// Turns per step.
    pub batch_size: usize,
    /// Dropout on the pooled vector while training.
    pub dropout: f32,
    /// Seed of initialisation, batch order and dropout.
    pub seed: u64,
}

impl Default for FinetuneOptions {
    fn default() -> Self {
        FinetuneOptions {
            train: PathBuf::from("datasets/train.jsonl"),
            dev: PathBuf::from("datasets/dev.jsonl"),
            out: PathBuf::from("models/objection-head-ft"),
            name: "objection-head-ft".into(),
            version: "1".into(),
            layers: 2,
            epochs: 4,
            patience: 2,
            encoder_learning_rate: 5e-5,
            head_learning_rate: 1e-3,
            weight_decay: 0.01,
            batch_size: 32,
            dropout: 0.1,
            seed: 17,
        }
    }
}

/// The result of a fine-tuning run.
pub struct Finetuned {
    /// The written head's configuration (thresholds tuned on dev).
    pub config: HeadConfig,
    /// Dev probabilities of the kept epoch, per conversation (scored turns only).
    pub dev_probabilities: Vec<Vec<[f32; 3]>>,
    /// The dev conversations, for reporting.
    pub dev: Vec<LabeledConversation>,
    /// One entry per epoch run.
    pub history: Vec<EpochReport>,
}

/// The trainable part: top layers, pooler, classifier.
struct Trainable {
    layers: Vec<Vec<Var>>,
    pooler: [Var; 2],
    classifier: [Var; 2],
}

impl Trainable {
    fn layer_weights(&self) -> Vec<LayerWeights> {
        self.layers
            .iter()
            .map(|vars| {
                let tensors: Vec<Tensor> = vars.iter().map(|v| v.as_tensor().clone()).collect();
                LayerWeights::from_tensors(&tensors)
            })
            .collect()
    }

    fn encoder_vars(&self) -> Vec<Var> {
        self.layers.iter().flatten().cloned().collect()
    }

    fn head_vars(&self) -> Vec<Var> {
        self.pooler
            .iter()
            .chain(&self.classifier)
            .cloned()
            .collect()
    }

    fn snapshot(&self) -> candle_core::Result<Vec<Tensor>> {
        self.encoder_vars()
            .iter()
            .chain(&self.head_vars())
            .map(|v| v.as_tensor().copy())
            .collect()
    }

    fn restore(&self, saved: &[Tensor]) -> candle_core::Result<()> {
        for (var, t) in self
            .encoder_vars()
            .iter()
            .chain(&self.head_vars())
            .zip(saved)
        {
            var.set(t)?;
        }
        Ok(())
    }
}

/// One buyer turn: the frozen layers' output for its first window, and its gold flags.
struct Example {
    hidden: Tensor,
    len: usize,
    gold: [bool; 3],
}

/// Fine-tunes the top `options.layers` layers of `encoder` on labeled dialogues and writes
/// the checkpoint to `options.out`. `base` are the encoder's files (its tokenizer and config
/// are copied into the checkpoint).
pub fn finetune(
    encoder: &Encoder,
    base: &ModelFiles,
    options: &FinetuneOptions,
    epoch_done: &mut dyn FnMut(&EpochReport),
) -> Result<Finetuned, TrainError> {
    let bert = encoder.bert();
    let total = bert.layers.len();
    if options.layers == 0 || options.layers > total {
        return Err(TrainError::Options(format!(
            "--unfreeze {} is out of range: the encoder has {total} layers",
            options.layers
        )));
    }
    if !bert.packs() || bert.quantized() {
        return Err(TrainError::Options(
            "fine-tuning runs on the CPU with f32 weights only (not --quantized)".into(),
        ));
    }
    let train_data = read_dataset(&options.train)?;
    let dev_data = read_dataset(&options.dev)?;
    let frozen = total - options.layers;
    let train = examples(encoder, &train_data, frozen)?;
    let dev = examples(encoder, &dev_data, frozen)?;
    tracing::info!(
        train = train.len(),
        dev = dev.len(),
        frozen,
        "frozen layers run"
    );

    let mut rng = SplitMix::new(options.seed);
    let hidden = encoder.hidden_size();
    let trainable = init(bert, frozen, hidden, &mut rng)?;
    let params = |lr: f64| ParamsAdamW {
        lr,
        weight_decay: options.weight_decay,
        ..ParamsAdamW::default()
    };
    let mut encoder_opt = AdamW::new(
        trainable.encoder_vars(),
        params(options.encoder_learning_rate),
    )?;
    let mut head_opt = AdamW::new(trainable.head_vars(), params(options.head_learning_rate))?;
    let gold: Vec<[bool; 3]> = train.iter().map(|e| e.gold).collect();
    let pos_weight = Tensor::new(&balance_weights(&gold), &Device::Cpu)?;

    let mut history = Vec::new();
    let mut best: Option<(f64, Vec<Tensor>)> = None;
    let mut since_best = 0;
    for epoch in 1..=options.epochs.max(1) {
        let mut batches = length_batches(&train, options.batch_size);
        rng.shuffle(&mut batches);
        let mut loss_sum = 0.0;
        for batch in &batches {
            let layers = trainable.layer_weights();
            let logits = forward(
                bert,
                &layers,
                &trainable,
                &train,
                batch,
                Some((&mut rng, options.dropout)),
            )?;
            let gold: Vec<[bool; 3]> = batch.iter().map(|&i| train[i].gold).collect();
            let y = targets(&gold)?;
            let loss = weighted_bce(&logits, &y, &pos_weight)?;
            let grads = loss.backward()?;
            encoder_opt.step(&grads)?;
            head_opt.step(&grads)?;
            loss_sum += f64::from(loss.to_scalar::<f32>()?);
        }
        let probs = probabilities(bert, &trainable, &dev, options.batch_size)?;
        let dev_gold: Vec<[bool; 3]> = dev.iter().map(|e| e.gold).collect();
        let thresholds = tune_thresholds(&dev_gold, &probs);
        let f1 = macro_f1(&counts(
            &dev_gold,
            &super::fit::predict(&probs, &thresholds),
        ));
        let report = EpochReport {
            epoch,
            loss: loss_sum / batches.len().max(1) as f64,
            dev_macro_f1: f1,
        };
        epoch_done(&report);
        history.push(report);
        if best.as_ref().is_none_or(|(b, _)| f1 > *b) {
            best = Some((f1, trainable.snapshot()?));
            since_best = 0;
        } else {
            since_best += 1;
            if since_best >= options.patience.max(1) {
                break;
            }
        }
    }
    if let Some((_, saved)) = &best {
        trainable.restore(saved)?;
    }

    let probs = probabilities(bert, &trainable, &dev, options.batch_size)?;
    let dev_gold: Vec<[bool; 3]> = dev.iter().map(|e| e.gold).collect();
    let config = HeadConfig {
        name: options.name.clone(),
        version: options.version.clone(),
        labels: Label::ALL.to_vec(),
        thresholds: tune_thresholds(&dev_gold, &probs),
        encoder: format!("{}@{}", options.name, options.version),
        hidden_size: hidden,
        max_length: encoder.max_length(),
        input: HeadInput::Turn,
        hidden_layer: hidden,
        members: 1,
        activation: Activation::Tanh,
        bundled_encoder: true,
    };
    write_checkpoint(
        bert,
        frozen,
        &trainable,
        base,
        encoder,
        &config,
        &options.out,
    )?;
    Ok(Finetuned {
        config,
        dev_probabilities: split_by_conversation(&dev_data, probs),
        dev: dev_data,
        history,
    })
}

/// The buyer turns of a dataset, run through the frozen layers in packed batches.
fn examples(
    encoder: &Encoder,
    data: &[LabeledConversation],
    frozen: usize,
) -> Result<Vec<Example>, TrainError> {
    let mut windows = Vec::new();
    let mut gold = Vec::new();
    for c in data {
        for t in scored_turns(&c.conversation) {
            windows.push(encoder.first_window(&c.conversation.turns[t].text)?);
            gold.push(flags(&c.labels[t]));
        }
    }
    let mut order: Vec<usize> = (0..windows.len()).collect();
    order.sort_by_key(|&i| windows[i].len());
    let mut hidden: Vec<Option<Tensor>> = vec![None; windows.len()];
    let mut start = 0;
    while start < order.len() {
        // About 4096 tokens per frozen pass.
        let mut end = start;
        let mut tokens = 0;
        while end < order.len() && (end == start || tokens + windows[order[end]].len() <= 4096) {
            tokens += windows[order[end]].len();
            end += 1;
        }
        let chunk: Vec<&[u32]> = order[start..end]
            .iter()
            .map(|&i| windows[i].as_slice())
            .collect();
        let out = encoder
            .bert()
            .forward_packed(&chunk, frozen)
            .map_err(crate::encoder::EncoderError::from)?;
        let mut row = 0;
        for &i in &order[start..end] {
            let len = windows[i].len();
            hidden[i] = Some(out.narrow(0, row, len)?.contiguous()?);
            row += len;
        }
        start = end;
    }
    Ok(hidden
        .into_iter()
        .zip(windows)
        .zip(gold)
        .map(|((h, w), gold)| Example {
            hidden: h.unwrap_or_else(|| unreachable!("every window was run")),
            len: w.len(),
            gold,
        })
        .collect())
}

/// Trainable copies of the top layers, and a fresh pooler and classifier.
fn init(
    bert: &Bert,
    frozen: usize,
    hidden: usize,
    rng: &mut SplitMix,
) -> candle_core::Result<Trainable> {
    let layers = bert.layers[frozen..]
        .iter()
        .map(|l| {
            l.tensors()?
                .into_iter()
                .map(|t| Var::from_tensor(&t.copy()?))
                .collect()
        })
        .collect::<candle_core::Result<Vec<Vec<Var>>>>()?;
    // Uniform with standard deviation 0.02, as BERT initialises new layers.
    let mut random = |rows: usize, cols: usize| -> candle_core::Result<Var> {
        let a = 0.02 * 3f32.sqrt();
        let values: Vec<f32> = (0..rows * cols).map(|_| rng.uniform() * a).collect();
        Var::from_vec(values, (rows, cols), &Device::Cpu)
    };
    let pooler = [
        random(hidden, hidden)?,
        Var::zeros(hidden, DType::F32, &Device::Cpu)?,
    ];
    let classifier = [
        random(Label::ALL.len(), hidden)?,
        Var::zeros(Label::ALL.len(), DType::F32, &Device::Cpu)?,
    ];
    Ok(Trainable {
        layers,
        pooler,
        classifier,
    })
}

/// Batches of example indices of similar length (so that little is padded).
fn length_batches(examples: &[Example], size: usize) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..examples.len()).collect();
    order.sort_by_key(|&i| examples[i].len);
    order.chunks(size.max(1)).map(<[usize]>::to_vec).collect()
}

/// Logits `(batch, 3)` of a batch; with `dropout`, the pooled vector is dropped out.
fn forward(
    bert: &Bert,
    layers: &[LayerWeights],
    trainable: &Trainable,
    examples: &[Example],
    batch: &[usize],
    dropout: Option<(&mut SplitMix, f32)>,
) -> candle_core::Result<Tensor> {
    let len = batch.iter().map(|&i| examples[i].len).max().unwrap_or(1);
    let hidden = examples[batch[0]].hidden.dim(1)?;
    let mut rows = Vec::with_capacity(batch.len());
    let mut mask = Vec::with_capacity(batch.len() * len);
    for &i in batch {
        let e = &examples[i];
        let padded = if e.len < len {
            Tensor::cat(
                &[
                    &e.hidden,
                    &Tensor::zeros((len - e.len, hidden), DType::F32, &Device::Cpu)?,
                ],
                0,
            )?
        } else {
            e.hidden.clone()
        };
        rows.push(padded);
        mask.extend((0..len).map(|p| u32::from(p < e.len)));
    }
    let x = Tensor::stack(&rows, 0)?;
    let mask = Tensor::from_vec(mask, (batch.len(), len), &Device::Cpu)?;
    let out = bert.forward_padded(&x, &mask, layers)?;
    let first = out.narrow(1, 0, 1)?.squeeze(1)?;
    let pooler = Dense {
        weight: Weight::F32(trainable.pooler[0].as_tensor().clone()),
        bias: trainable.pooler[1].as_tensor().clone(),
    };
    let mut pooled = candle_core::Module::forward(&pooler, &first)?.tanh()?;
    if let Some((rng, p)) = dropout {
        let (b, h) = pooled.dims2()?;
        if let Some(mask) = dropout_mask(rng, b, h, p)? {
            pooled = pooled.mul(&mask)?;
        }
    }
    let classifier = Dense {
        weight: Weight::F32(trainable.classifier[0].as_tensor().clone()),
        bias: trainable.classifier[1].as_tensor().clone(),
    };
    candle_core::Module::forward(&classifier, &pooled)
}

/// Probabilities of every example, in example order.
fn probabilities(
    bert: &Bert,
    trainable: &Trainable,
    examples: &[Example],
    batch_size: usize,
) -> candle_core::Result<Vec<[f32; 3]>> {
    let layers = trainable
        .layer_weights()
        .into_iter()
        .map(|l| {
            let detached: Vec<Tensor> = l.tensors()?.iter().map(|t| t.detach()).collect();
            Ok(LayerWeights::from_tensors(&detached))
        })
        .collect::<candle_core::Result<Vec<_>>>()?;
    let mut out = vec![[0f32; 3]; examples.len()];
    for batch in length_batches(examples, batch_size) {
        let logits = forward(bert, &layers, trainable, examples, &batch, None)?.detach();
        let p: Vec<Vec<f32>> = candle_nn::ops::sigmoid(&logits)?.to_vec2()?;
        for (&i, row) in batch.iter().zip(p) {
            out[i] = [row[0], row[1], row[2]];
        }
    }
    Ok(out)
}

/// Writes the Hugging Face checkpoint and the demur head into `out`.
fn write_checkpoint(
    bert: &Bert,
    frozen: usize,
    trainable: &Trainable,
    base: &ModelFiles,
    encoder: &Encoder,
    config: &HeadConfig,
    out: &Path,
) -> Result<(), TrainError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| HeadError::Io { path, source }
    };
    std::fs::create_dir_all(out).map_err(io(out))?;

    // model.safetensors, in Hugging Face's names.
    let mut tensors: HashMap<String, Tensor> = HashMap::new();
    let e = &bert.embeddings;
    for (name, t) in [
        ("word_embeddings.weight", &e.word.to_f32()?),
        ("position_embeddings.weight", &e.position),
        ("token_type_embeddings.weight", &e.token_type),
        ("LayerNorm.weight", &e.norm.weight),
        ("LayerNorm.bias", &e.norm.bias),
    ] {
        tensors.insert(format!("bert.embeddings.{name}"), t.clone());
    }
    let tuned = trainable.layer_weights();
    for (i, layer) in bert.layers[..frozen].iter().chain(&tuned).enumerate() {
        for (name, t) in layer.named_tensors()? {
            tensors.insert(format!("bert.encoder.layer.{i}.{name}"), t.detach());
        }
    }
    let [pw, pb] = &trainable.pooler;
    let [cw, cb] = &trainable.classifier;
    tensors.insert("bert.pooler.dense.weight".into(), pw.as_tensor().detach());
    tensors.insert("bert.pooler.dense.bias".into(), pb.as_tensor().detach());
    tensors.insert("classifier.weight".into(), cw.as_tensor().detach());
    tensors.insert("classifier.bias".into(), cb.as_tensor().detach());
    candle_core::safetensors::save(&tensors, out.join("model.safetensors"))?;

    // config.json: the base config, as a multi-label sequence classifier.
    let text = std::fs::read_to_string(&base.config).map_err(io(&base.config))?;
    let mut hf: serde_json::Value = serde_json::from_str(&text).map_err(|e| HeadError::Config {
        path: base.config.clone(),
        message: e.to_string(),
    })?;
    let id2label: BTreeMap<String, &str> = Label::ALL
        .iter()
        .enumerate()
        .map(|(i, l)| (i.to_string(), l.as_str()))
        .collect();
    let label2id: BTreeMap<&str, usize> = Label::ALL
        .iter()
        .enumerate()
        .map(|(i, l)| (l.as_str(), i))
        .collect();
    hf["architectures"] = serde_json::json!(["BertForSequenceClassification"]);
    hf["id2label"] = serde_json::json!(id2label);
    hf["label2id"] = serde_json::json!(label2id);
    hf["problem_type"] = serde_json::json!("multi_label_classification");
    let config_path = out.join("config.json");
    let pretty = serde_json::to_string_pretty(&hf).unwrap_or_default() + "\n";
    std::fs::write(&config_path, pretty).map_err(io(&config_path))?;

    let tokenizer = out.join("tokenizer.json");
    std::fs::copy(&base.tokenizer, &tokenizer).map_err(io(&tokenizer))?;

    // encoder.toml: the same feeding, but the first token's vector, unnormalised.
    let conventions = Conventions {
        id: Some(config.encoder.clone()),
        pooling: Pooling::Cls,
        normalize: false,
        max_length: Some(encoder.max_length()),
        ..encoder.conventions().clone()
    };
    let toml_path = out.join("encoder.toml");
    let toml_text = toml::to_string(&conventions).map_err(|e| HeadError::Config {
        path: toml_path.clone(),
        message: e.to_string(),
    })?;
    std::fs::write(&toml_path, toml_text).map_err(io(&toml_path))?;

    // head.json + head.safetensors: the pooler as the hidden layer, the classifier as output.
    let hidden = config.hidden_size;
    let head_tensors = HashMap::from([
        (
            "input.mean".to_string(),
            Tensor::zeros(hidden, DType::F32, &Device::Cpu)?,
        ),
        (
            "input.scale".to_string(),
            Tensor::ones(hidden, DType::F32, &Device::Cpu)?,
        ),
        ("hidden.weight".to_string(), pw.as_tensor().detach()),
        ("hidden.bias".to_string(), pb.as_tensor().detach()),
        ("output.weight".to_string(), cw.as_tensor().detach()),
        ("output.bias".to_string(), cb.as_tensor().detach()),
    ]);
    candle_core::safetensors::save(&head_tensors, out.join("head.safetensors"))?;
    let head_path = out.join("head.json");
    let json = serde_json::to_string_pretty(config).unwrap_or_default() + "\n";
    std::fs::write(&head_path, json).map_err(io(&head_path))?;
    Ok(())
}
