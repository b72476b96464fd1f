//! Per-model conventions: input prefix, pooling, normalisation and window length.
//!
//! They come from `encoder.toml` in the model directory; for hub ids without one, from the
//! conventions shipped in `models/conventions/` (built in); otherwise from defaults.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::EncoderError;

/// How token vectors become one turn vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Pooling {
    /// Attention-masked mean over all tokens (what E5 and sentence-transformers expect).
    Mean,
    /// The first token's vector.
    Cls,
}

/// How a model wants to be fed and pooled.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Conventions {
    /// Canonical model id, used in outputs and to match heads to encoders.
    pub id: Option<String>,
    /// Text prepended to every input (E5: `"query: "`).
    #[serde(default)]
    pub prefix: String,
    /// Pooling over token vectors.
    #[serde(default = "default_pooling")]
    pub pooling: Pooling,
    /// Whether pooled vectors are L2-normalised.
    #[serde(default = "default_true")]
    pub normalize: bool,
    /// Longest window in tokens, special tokens included.
    pub max_length: Option<usize>,
}

fn default_pooling() -> Pooling {
    Pooling::Mean
}

fn default_true() -> bool {
    true
}

impl Default for Conventions {
    fn default() -> Self {
        Conventions {
            id: None,
            prefix: String::new(),
            pooling: Pooling::Mean,
            normalize: true,
            max_length: None,
        }
    }
}

/// Conventions shipped with demur for the models its setup script installs.
const BUILT_IN: &[&str] = &[
    include_str!("../../models/conventions/multilingual-e5-small.toml"),
    include_str!("../../models/conventions/all-MiniLM-L6-v2.toml"),
];

impl Conventions {
    /// Reads `encoder.toml` from a model directory, if there is one.
    pub fn from_dir(dir: &Path) -> Result<Option<Conventions>, EncoderError> {
        let path = dir.join("encoder.toml");
        if !path.exists() {
            return Ok(None);
        }
        let text = std::fs::read_to_string(&path).map_err(|source| EncoderError::Io {
            path: path.clone(),
            source,
        })?;
        toml::from_str(&text)
            .map(Some)
            .map_err(|e| EncoderError::Config {
                path,
                message: e.to_string(),
            })
    }

    /// The built-in conventions for a hub id, if demur ships them.
    pub fn built_in(id: &str) -> Option<Conventions> {
        BUILT_IN
            .iter()
            .filter_map(|text| toml::from_str::<Conventions>(text).ok())
            .find(|c| c.id.as_deref() == Some(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_conventions_parse_and_match_ids() {
        let e5 = Conventions::built_in("intfloat/multilingual-e5-small").unwrap();
        assert_eq!(e5.prefix, "query: ");
        assert_eq!(e5.pooling, Pooling::Mean);
        assert_eq!(e5.max_length, Some(512));
        let minilm = Conventions::built_in("sentence-transformers/all-MiniLM-L6-v2").unwrap();
        assert_eq!(minilm.prefix, "");
        assert!(Conventions::built_in("someone/else").is_none());
    }
}
