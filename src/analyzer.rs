//! The front door: one [`Analyzer`] built once (encoder, head, playbook) and shared across
//! threads, turning conversations into [`Analysis`] values.

use std::path::{Path, PathBuf};

use crate::analysis::{Analysis, ModelInfo};
use crate::classify::{objections, scored_turns, Classifier, ClassifyError, Head, HeadError};
use crate::encoder::{Encoder, EncoderError, EncoderOptions};
use crate::label::{Label, PerLabel};
use crate::strategy::{recommend, Playbook, PlaybookError};
use crate::transcript::Conversation;

/// Turns longer than this many characters are reported as scored in windows.
const LONG_TURN_CHARS: usize = 2_000;

/// Errors building or running an analyzer.
#[derive(Debug, thiserror::Error)]
pub enum AnalyzeError {
    /// The encoder failed to load or run.
    #[error(transparent)]
    Encoder(#[from] EncoderError),
    /// The head failed to load or does not fit the encoder.
    #[error(transparent)]
    Head(#[from] HeadError),
    /// Scoring failed.
    #[error(transparent)]
    Classify(#[from] ClassifyError),
    /// The playbook failed to load.
    #[error(transparent)]
    Playbook(#[from] PlaybookError),
}

/// How to build an [`Analyzer`].
#[derive(Debug, Clone, Default)]
pub struct AnalyzerOptions {
    /// Model directory or hub id; `None` for the default encoder ([`default_model`]).
    pub model: Option<String>,
    /// Head directory; `None` for the head shipped with demur.
    pub head: Option<PathBuf>,
    /// Playbook file replacing or extending the built-in one.
    pub playbook: Option<PathBuf>,
    /// Per-label thresholds overriding the head's.
    pub thresholds: Vec<(Label, f32)>,
    /// Device, dtype, precision and batching of the encoder. By default the encoder runs its
    /// 4-bit weights on CPUs where that is the faster path ([`crate::encoder::Quantize::Auto`]).
    pub encoder: EncoderOptions,
}

/// Encoder, head and playbook, loaded once. `Send + Sync`: share it across threads.
///
/// ```
/// use demur::transcript::{read_bytes, ReadOptions};
/// use demur::{Analyzer, AnalyzerOptions, Label};
///
/// let analyzer = Analyzer::new(&AnalyzerOptions::default())?;
/// let text = "Rep: Shall we send the order form today?\n\
///             Dana: I'll have to take this to our CFO before anything gets signed.";
/// let conversation = read_bytes(text.as_bytes(), "call.txt", &ReadOptions::default())
///     .remove(0)?;
///
/// let analysis = analyzer.analyze(&conversation)?;
/// assert_eq!(analysis.strategies.len(), 3);
/// assert!(analysis.objections.iter().any(|o| o.label == Label::DecisionChain));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Analyzer {
    classifier: Classifier,
    playbook: Playbook,
    thresholds: PerLabel<f32>,
    model: ModelInfo,
}

impl Analyzer {
    /// Loads everything the options name.
    pub fn new(options: &AnalyzerOptions) -> Result<Analyzer, AnalyzeError> {
        let head_dir = options.head.clone().unwrap_or_else(default_head);
        let head = Head::load(&head_dir)?;
        let model = model_for(&head_dir, &head, options.model.clone());
        let encoder = Encoder::load(&model, &options.encoder)?;
        head.check_encoder(&head_dir, encoder.name(), encoder.hidden_size())?;
        let playbook = match &options.playbook {
            Some(path) => Playbook::load(path)?,
            None => Playbook::builtin(),
        };

        let mut thresholds = PerLabel(Label::ALL.map(|l| head.threshold(l)));
        for &(label, value) in &options.thresholds {
            thresholds.set(label, value);
        }
        let model = ModelInfo {
            encoder: encoder.name().to_string(),
            head: head.id(),
        };
        tracing::info!(encoder = %model.encoder, head = %model.head, "analyzer ready");
        Ok(Analyzer {
            classifier: Classifier::new(encoder, head),
            playbook,
            thresholds,
            model,
        })
    }

    /// The encoder and head in use.
    pub fn model(&self) -> &ModelInfo {
        &self.model
    }

    /// The classifier (encoder and head) in use.
    pub fn classifier(&self) -> &Classifier {
        &self.classifier
    }

    /// The decision threshold per label in use.
    pub fn thresholds(&self) -> PerLabel<f32> {
        self.thresholds
    }

    /// Analyses one conversation.
    pub fn analyze(&self, conversation: &Conversation) -> Result<Analysis, AnalyzeError> {
        let mut out = self.analyze_batch(&[conversation])?;
        Ok(out.remove(0))
    }

    /// Analyses several conversations, encoding all their turns in one length-sorted pass.
    /// Results are in input order.
    pub fn analyze_batch(
        &self,
        conversations: &[&Conversation],
    ) -> Result<Vec<Analysis>, AnalyzeError> {
        let scores = self.classifier.score(conversations)?;
        Ok(conversations
            .iter()
            .zip(scores)
            .map(|(c, s)| self.assemble(c, &s))
            .collect())
    }

    fn assemble(
        &self,
        conversation: &Conversation,
        scores: &crate::classify::ConversationScores,
    ) -> Analysis {
        let found = objections(conversation, scores, &self.thresholds);
        let label_scores = scores.scores.into();
        let strategies = recommend(&self.playbook, conversation, &label_scores, &found);
        Analysis {
            id: conversation.id.clone(),
            source: conversation.source.clone(),
            language: conversation.language,
            model: self.model.clone(),
            scores: label_scores,
            objections: found,
            strategies,
            warnings: warnings(conversation),
        }
    }
}

fn warnings(conversation: &Conversation) -> Vec<String> {
    let mut out = conversation.warnings.clone();
    let scored = scored_turns(conversation);
    if scored.is_empty() {
        out.push("no buyer turns: nothing was scored".to_string());
    }
    for &t in &scored {
        let chars = conversation.turns[t].text.chars().count();
        if chars > LONG_TURN_CHARS {
            out.push(format!(
                "turn {t} is long ({chars} characters): scored in overlapping windows"
            ));
        }
    }
    out
}

/// The default encoder: `$DEMUR_MODEL`, else the directory `models/setup.sh` installs (when
/// present), else the hub id resolved through the Hugging Face cache.
pub fn default_model() -> String {
    if let Ok(model) = std::env::var("DEMUR_MODEL") {
        return model;
    }
    let installed = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/multilingual-e5-small");
    if installed.join("model.safetensors").is_file() {
        return installed.display().to_string();
    }
    "intfloat/multilingual-e5-small".to_string()
}

/// The encoder to pair with a head: the one asked for, else the head's own directory when
/// the head bundles its encoder (a fine-tuned checkpoint), else [`default_model`].
pub fn model_for(head_dir: &Path, head: &Head, asked: Option<String>) -> String {
    asked.unwrap_or_else(|| {
        if head.config().bundled_encoder {
            head_dir.display().to_string()
        } else {
            default_model()
        }
    })
}

/// The head shipped with demur: `$DEMUR_HEAD`, else `models/objection-head`.
pub fn default_head() -> PathBuf {
    std::env::var_os("DEMUR_HEAD")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("models/objection-head"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shareable<T: Send + Sync>() {}

    #[test]
    fn analyzer_can_be_shared_across_threads() {
        shareable::<Analyzer>();
    }
}
