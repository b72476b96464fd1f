//! Evaluation metrics for multi-label predictions (FORMATS.md §4).

use serde::Serialize;

use crate::label::Label;

/// Precision, recall, F1 and support of one label.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LabelMetrics {
    /// Of the turns predicted to carry the label, the share that do.
    pub precision: f64,
    /// Of the turns that carry the label, the share predicted.
    pub recall: f64,
    /// Harmonic mean of precision and recall (0 when both are 0).
    pub f1: f64,
    /// Turns that carry the label.
    pub support: usize,
}

/// Counts of one label's outcomes.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Counts {
    /// Predicted and true.
    pub tp: usize,
    /// Predicted, not true.
    pub fp: usize,
    /// True, not predicted.
    pub fn_: usize,
}

impl Counts {
    /// Precision, recall and F1 from the counts.
    pub fn metrics(self) -> LabelMetrics {
        let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        let precision = ratio(self.tp, self.tp + self.fp);
        let recall = ratio(self.tp, self.tp + self.fn_);
        let f1 = if precision + recall == 0.0 {
            0.0
        } else {
            2.0 * precision * recall / (precision + recall)
        };
        LabelMetrics {
            precision,
            recall,
            f1,
            support: self.tp + self.fn_,
        }
    }
}

/// Per-label counts over pairs of (gold, predicted) label sets.
pub fn counts(gold: &[[bool; 3]], predicted: &[[bool; 3]]) -> [Counts; 3] {
    let mut out = [Counts::default(); 3];
    for (g, p) in gold.iter().zip(predicted) {
        for (c, (&g, &p)) in out.iter_mut().zip(g.iter().zip(p)) {
            match (g, p) {
                (true, true) => c.tp += 1,
                (false, true) => c.fp += 1,
                (true, false) => c.fn_ += 1,
                (false, false) => {}
            }
        }
    }
    out
}

/// Mean of the per-label F1 scores.
pub fn macro_f1(counts: &[Counts; 3]) -> f64 {
    counts.iter().map(|c| c.metrics().f1).sum::<f64>() / counts.len() as f64
}

/// F1 of the pooled counts of all labels.
pub fn micro_f1(counts: &[Counts; 3]) -> f64 {
    let pooled = counts.iter().fold(Counts::default(), |a, c| Counts {
        tp: a.tp + c.tp,
        fp: a.fp + c.fp,
        fn_: a.fn_ + c.fn_,
    });
    pooled.metrics().f1
}

/// Share of rows whose predicted label set equals the gold set.
pub fn exact_match(gold: &[[bool; 3]], predicted: &[[bool; 3]]) -> f64 {
    if gold.is_empty() {
        return 0.0;
    }
    let same = gold.iter().zip(predicted).filter(|(g, p)| g == p).count();
    same as f64 / gold.len() as f64
}

/// Expected calibration error over all (row, label) probabilities, in `bins` equal-width bins:
/// the support-weighted mean gap between mean confidence and observed frequency.
pub fn expected_calibration_error(gold: &[[bool; 3]], probs: &[[f32; 3]], bins: usize) -> f64 {
    let bins = bins.max(1);
    let mut sum_p = vec![0f64; bins];
    let mut sum_y = vec![0f64; bins];
    let mut n = vec![0usize; bins];
    for (g, p) in gold.iter().zip(probs) {
        for label in Label::ALL {
            let prob = f64::from(p[label.index()]).clamp(0.0, 1.0);
            let bin = ((prob * bins as f64) as usize).min(bins - 1);
            sum_p[bin] += prob;
            sum_y[bin] += f64::from(u8::from(g[label.index()]));
            n[bin] += 1;
        }
    }
    let total: usize = n.iter().sum();
    if total == 0 {
        return 0.0;
    }
    (0..bins)
        .filter(|&b| n[b] > 0)
        .map(|b| (sum_p[b] - sum_y[b]).abs() / total as f64)
        .sum()
}

/// Label sets as fixed-order flags.
pub fn flags(labels: &[Label]) -> [bool; 3] {
    let mut out = [false; 3];
    for label in labels {
        out[label.index()] = true;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: bool = true;
    const F: bool = false;

    #[test]
    fn hand_computed_counts_and_scores() {
        // price: tp 2, fp 1, fn 1 -> P 2/3, R 2/3, F1 2/3
        // technical: tp 1, fp 0, fn 1 -> P 1, R 1/2, F1 2/3
        // decision_chain: tp 0, fp 1, fn 0 -> P 0, R 0, F1 0
        let gold = [[T, F, F], [T, T, F], [T, F, F], [F, T, F], [F, F, F]];
        let pred = [[T, F, F], [T, T, F], [F, F, F], [F, F, T], [T, F, F]];
        let c = counts(&gold, &pred);
        assert_eq!(
            c[0],
            Counts {
                tp: 2,
                fp: 1,
                fn_: 1
            }
        );
        assert_eq!(
            c[1],
            Counts {
                tp: 1,
                fp: 0,
                fn_: 1
            }
        );
        assert_eq!(
            c[2],
            Counts {
                tp: 0,
                fp: 1,
                fn_: 0
            }
        );
        let m = c[1].metrics();
        assert!((m.precision - 1.0).abs() < 1e-12 && (m.recall - 0.5).abs() < 1e-12);
        assert!((macro_f1(&c) - (2.0 / 3.0 + 2.0 / 3.0) / 3.0).abs() < 1e-12);
        // pooled: tp 3, fp 2, fn 2 -> P 3/5, R 3/5, F1 0.6
        assert!((micro_f1(&c) - 0.6).abs() < 1e-12);
        assert!((exact_match(&gold, &pred) - 0.4).abs() < 1e-12);
    }

    #[test]
    fn calibration_error_by_hand() {
        // 2 bins. Probabilities 0.2 (false), 0.2 (true), 0.9 (true) and three 0.1 (false):
        // bin 0: p sum 0.2+0.2+0.1*3 = 0.7 over 5, y sum 1 -> |0.7 - 1| = 0.3
        // bin 1: p 0.9, y 1 -> 0.1; ECE = (0.3 + 0.1) / 6
        let gold = [[F, T, F], [T, F, F]];
        let probs = [[0.2, 0.2, 0.1], [0.9, 0.1, 0.1]];
        let ece = expected_calibration_error(&gold, &probs, 2);
        assert!((ece - 0.4 / 6.0).abs() < 1e-6, "{ece}");
    }

    #[test]
    fn empty_inputs_give_zero_not_nan() {
        assert_eq!(Counts::default().metrics().f1, 0.0);
        assert_eq!(exact_match(&[], &[]), 0.0);
        assert_eq!(expected_calibration_error(&[], &[], 10), 0.0);
    }
}
