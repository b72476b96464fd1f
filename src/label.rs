//! The three objection labels, in the fixed order used for columns and tensor rows.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A kind of hidden objection a buyer turn can carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Label {
    /// Cost, budget missing or frozen, discount asks, ROI doubt, payment terms.
    Price,
    /// Needs proof it works: pilot, integration, security or compliance review.
    Technical,
    /// Cannot or will not decide alone or now: boss, committee, procurement, a stall.
    DecisionChain,
}

impl Label {
    /// All labels in their fixed order.
    pub const ALL: [Label; 3] = [Label::Price, Label::Technical, Label::DecisionChain];

    /// The label's name as written in data and output.
    pub fn as_str(self) -> &'static str {
        match self {
            Label::Price => "price",
            Label::Technical => "technical",
            Label::DecisionChain => "decision_chain",
        }
    }

    /// The label's row in fixed-order arrays.
    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A label name that is not one of the three.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown label `{0}` (expected price, technical or decision_chain)")]
pub struct UnknownLabel(pub String);

impl FromStr for Label {
    type Err = UnknownLabel;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Label::ALL
            .into_iter()
            .find(|label| label.as_str() == s)
            .ok_or_else(|| UnknownLabel(s.to_string()))
    }
}

/// One value per label, in the fixed order.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PerLabel<T>(pub [T; 3]);

impl<T: Copy> PerLabel<T> {
    /// The value for one label.
    pub fn get(&self, label: Label) -> T {
        self.0[label.index()]
    }

    /// Replaces the value for one label.
    pub fn set(&mut self, label: Label, value: T) {
        self.0[label.index()] = value;
    }

    /// Pairs of (label, value) in the fixed order.
    pub fn iter(&self) -> impl Iterator<Item = (Label, T)> + '_ {
        Label::ALL.into_iter().map(|label| (label, self.get(label)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_in_fixed_order() {
        let names: Vec<&str> = Label::ALL.iter().map(|l| l.as_str()).collect();
        assert_eq!(names, ["price", "technical", "decision_chain"]);
        for label in Label::ALL {
            assert_eq!(label.as_str().parse::<Label>(), Ok(label));
        }
        assert_eq!(
            "budget".parse::<Label>(),
            Err(UnknownLabel("budget".into()))
        );
    }

    #[test]
    fn serde_uses_the_data_names() {
        let json = serde_json::to_string(&Label::DecisionChain).unwrap();
        assert_eq!(json, "\"decision_chain\"");
    }
}
