//! From turn scores to conversation scores.
//!
//! A conversation carries an objection kind when any of its buyer turns does, so its score per
//! label is the highest turn score for that label (0 when no turn was scored). Unlike a
//! noisy-or, the maximum does not grow with the number of turns, so long calls are not
//! flagged just for being long.

use crate::label::PerLabel;

/// Conversation-level score per label: the maximum over its scored turns.
pub fn conversation_scores(turn_scores: &[[f32; 3]]) -> PerLabel<f32> {
    let mut out = [0f32; 3];
    for scores in turn_scores {
        for (o, s) in out.iter_mut().zip(scores) {
            *o = o.max(*s);
        }
    }
    PerLabel(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maximum_per_label_and_zero_when_nothing_scored() {
        let scores = conversation_scores(&[[0.1, 0.9, 0.2], [0.7, 0.3, 0.25]]);
        assert_eq!(scores.0, [0.7, 0.9, 0.25]);
        assert_eq!(conversation_scores(&[]).0, [0.0, 0.0, 0.0]);
    }

    #[test]
    fn adding_weak_turns_never_raises_the_score() {
        let base = conversation_scores(&[[0.6, 0.1, 0.1]]);
        let more = conversation_scores(&[[0.6, 0.1, 0.1], [0.2, 0.05, 0.1], [0.3, 0.1, 0.0]]);
        assert_eq!(base, more);
    }
}
