//! Temperature scaling (Guo et al. 2017): probabilities are re-sharpened or
//! softened by dividing every logit by one number `T`, fitted by log-loss
//! on forecasts of a fold the model never trained on.
//!
//! One parameter cannot overfit a season of matches, it keeps the argmax
//! (accuracy and the model's ranking are untouched), and it folds exactly
//! into both exported graphs (logit weights, tree leaves), so ONNX needs no
//! extra node. Isotonic regression would need a per-class lookup table in
//! the graph and three separate fits that no longer sum to one.

use crate::linalg::golden_section_min;
use crate::linear::MultinomialLogit;
use crate::metrics::LOG_LOSS_EPS;

/// Search range: a well-specified model sits near 1.
pub const T_MIN: f64 = 0.5;
pub const T_MAX: f64 = 2.0;

/// `softmax(ln p / T)`.
pub fn apply_temperature(p: [f64; 3], t: f64) -> [f64; 3] {
    if t == 1.0 {
        return p;
    }
    softmax(p.map(|x| x.max(LOG_LOSS_EPS).ln() / t))
}

/// Probabilities from the three classes' logits (shifted by their maximum,
/// so large logits cannot overflow).
pub fn softmax(logits: [f64; 3]) -> [f64; 3] {
    let max = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let e = logits.map(|l| (l - max).exp());
    let total: f64 = e.iter().sum();
    e.map(|v| v / total)
}

fn mean_log_loss(probs: &[[f64; 3]], labels: &[usize], t: f64) -> f64 {
    probs
        .iter()
        .zip(labels)
        .map(|(p, &y)| -apply_temperature(*p, t)[y].max(LOG_LOSS_EPS).ln())
        .sum::<f64>()
        / probs.len().max(1) as f64
}

/// The temperature in `[T_MIN, T_MAX]` minimising log-loss (golden-section
/// search: the loss is unimodal in `T`); 1 for no data.
pub fn fit_temperature(probs: &[[f64; 3]], labels: &[usize]) -> f64 {
    if probs.is_empty() {
        return 1.0;
    }
    golden_section_min(|t| mean_log_loss(probs, labels, t), T_MIN, T_MAX, 60)
}

/// The logit with every logit divided by `t` (weights and intercepts).
pub fn scale_logit(model: &MultinomialLogit, t: f64) -> MultinomialLogit {
    let mut m = model.clone();
    for w in &mut m.weights {
        *w = w.map(|x| x / t);
    }
    m.intercepts = m.intercepts.map(|x| x / t);
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::SplitMix64;

    #[test]
    fn recovers_the_temperature_that_made_forecasts_overconfident() {
        // True probabilities, outcomes drawn from them, then forecasts made
        // overconfident by T = 0.7: the fitted T ≈ 1/0.7 gives the truth back.
        let mut rng = SplitMix64::new(3);
        let mut probs = Vec::new();
        let mut labels = Vec::new();
        for _ in 0..20_000 {
            let raw = [
                rng.next_f64() + 0.2,
                rng.next_f64() * 0.5 + 0.2,
                rng.next_f64() + 0.2,
            ];
            let total: f64 = raw.iter().sum();
            let truth = raw.map(|x| x / total);
            let u = rng.next_f64();
            labels.push(if u < truth[0] {
                0
            } else if u < truth[0] + truth[1] {
                1
            } else {
                2
            });
            probs.push(apply_temperature(truth, 0.7));
        }
        let t = fit_temperature(&probs, &labels);
        assert!((t - 1.0 / 0.7).abs() < 0.1, "{t}");
        assert!(mean_log_loss(&probs, &labels, t) < mean_log_loss(&probs, &labels, 1.0));
        // Softer, but the argmax never changes.
        let p = [0.5, 0.3, 0.2];
        let soft = apply_temperature(p, 1.7);
        assert!(soft[0] < 0.5 && soft[0] > soft[1] && soft[1] > soft[2]);
        assert_eq!(apply_temperature(p, 1.0), p);
    }
}
