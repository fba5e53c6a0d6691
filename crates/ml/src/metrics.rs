//! Scores of probabilistic 1X2 forecasts (class 0 home, 1 draw, 2 away).
//!
//! Every later model is compared with these, so each has a unit test on a
//! hand-computed value.

use serde::{Deserialize, Serialize};

use crate::{MlError, Result};

/// Probabilities are clipped to `[EPS, 1]` in log-loss so one confident miss
/// gives a large but finite penalty (sklearn's convention).
pub const LOG_LOSS_EPS: f64 = 1e-15;

/// Number of equal-width confidence bins of [`Evaluation::ece`].
pub const ECE_BINS: usize = 10;

/// Index of the largest probability; ties go to the lower class (home
/// before draw before away).
pub fn argmax(p: &[f64; 3]) -> usize {
    let mut best = 0;
    for c in 1..3 {
        if p[c] > p[best] {
            best = c;
        }
    }
    best
}

/// All the scores of one set of forecasts.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Scores {
    pub n: usize,
    pub log_loss: f64,
    pub rps: f64,
    pub brier: f64,
    pub accuracy: f64,
    pub ece: f64,
}

/// Forecasts paired with outcomes, checked once so each metric can't fail.
#[derive(Debug, Clone, Copy)]
pub struct Evaluation<'a> {
    probs: &'a [[f64; 3]],
    labels: &'a [usize],
}

impl<'a> Evaluation<'a> {
    /// Non-empty, equal lengths, labels in 0..3, probabilities finite.
    pub fn new(probs: &'a [[f64; 3]], labels: &'a [usize]) -> Result<Self> {
        let fail = |m: String| Err(MlError::InvalidEvaluation(m));
        if probs.len() != labels.len() {
            return fail(format!(
                "{} forecasts for {} outcomes",
                probs.len(),
                labels.len()
            ));
        }
        if probs.is_empty() {
            return fail("no forecasts".into());
        }
        if let Some(l) = labels.iter().find(|&&l| l > 2) {
            return fail(format!("label {l} is not a 1X2 class"));
        }
        if probs.iter().flatten().any(|p| !p.is_finite()) {
            return fail("non-finite probability".into());
        }
        Ok(Self { probs, labels })
    }

    fn mean(&self, f: impl Fn(&[f64; 3], usize) -> f64) -> f64 {
        let total: f64 = self
            .probs
            .iter()
            .zip(self.labels)
            .map(|(p, &y)| f(p, y))
            .sum();
        total / self.probs.len() as f64
    }

    /// Mean negative log-probability of the outcome (natural log).
    pub fn log_loss(&self) -> f64 {
        self.mean(match_log_loss)
    }

    /// Each forecast's log-loss, in order (what paired comparisons need).
    pub fn match_log_losses(&self) -> Vec<f64> {
        self.per_match(match_log_loss)
    }

    /// Each forecast's RPS, in order (paired comparisons of RPS).
    pub fn match_rps_scores(&self) -> Vec<f64> {
        self.per_match(match_rps)
    }

    fn per_match(&self, f: impl Fn(&[f64; 3], usize) -> f64) -> Vec<f64> {
        self.probs
            .iter()
            .zip(self.labels)
            .map(|(p, &y)| f(p, y))
            .collect()
    }

    /// Ranked probability score over the ordered outcomes H < D < A:
    /// `1/(r-1) Σ_{i<r} (Σ_{j≤i} p_j - o_j)²` with r = 3, averaged. It
    /// rewards putting mass near the outcome (a draw forecast is "closer" to a
    /// home win than an away-win forecast is).
    pub fn rps(&self) -> f64 {
        self.mean(match_rps)
    }

    /// Multi-class Brier: `Σ_c (p_c - o_c)²`, averaged (range 0..2).
    pub fn brier(&self) -> f64 {
        self.mean(|p, y| {
            let o = one_hot(y);
            (0..3).map(|c| (p[c] - o[c]).powi(2)).sum()
        })
    }

    /// Share of matches whose most probable class happened.
    pub fn accuracy(&self) -> f64 {
        self.mean(|p, y| f64::from(u8::from(argmax(p) == y)))
    }

    /// Expected calibration error of the top-class confidence:
    /// `Σ_b (n_b / n) |accuracy_b - mean confidence_b|` over [`ECE_BINS`]
    /// equal-width bins of [0, 1] (a confidence of exactly 1 goes in the last).
    pub fn ece(&self) -> f64 {
        let mut count = [0usize; ECE_BINS];
        let mut conf = [0.0; ECE_BINS];
        let mut hits = [0.0; ECE_BINS];
        for (p, &y) in self.probs.iter().zip(self.labels) {
            let top = argmax(p);
            let bin = ((p[top] * ECE_BINS as f64) as usize).min(ECE_BINS - 1);
            count[bin] += 1;
            conf[bin] += p[top];
            hits[bin] += f64::from(u8::from(top == y));
        }
        let n = self.probs.len() as f64;
        (0..ECE_BINS)
            .filter(|&b| count[b] > 0)
            .map(|b| (hits[b] - conf[b]).abs() / n)
            .sum()
    }

    pub fn scores(&self) -> Scores {
        Scores {
            n: self.probs.len(),
            log_loss: self.log_loss(),
            rps: self.rps(),
            brier: self.brier(),
            accuracy: self.accuracy(),
            ece: self.ece(),
        }
    }
}

/// Negative log-probability of outcome `y` (clamped, so a zero is finite).
pub fn match_log_loss(p: &[f64; 3], y: usize) -> f64 {
    -p[y].clamp(LOG_LOSS_EPS, 1.0).ln()
}

/// Ranked probability score of one forecast (see [`Evaluation::rps`]).
pub fn match_rps(p: &[f64; 3], y: usize) -> f64 {
    let o = one_hot(y);
    let c1 = p[0] - o[0];
    let c2 = c1 + p[1] - o[1];
    (c1 * c1 + c2 * c2) / 2.0
}

pub use matchday_core::stats::paired_standard_error;

/// Shorthand for `Evaluation::new(probs, labels)?.scores()`.
pub fn evaluate(probs: &[[f64; 3]], labels: &[usize]) -> Result<Scores> {
    Ok(Evaluation::new(probs, labels)?.scores())
}

fn one_hot(y: usize) -> [f64; 3] {
    let mut o = [0.0; 3];
    o[y] = 1.0;
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: [[f64; 3]; 3] = [[0.5, 0.3, 0.2], [0.2, 0.3, 0.5], [0.6, 0.3, 0.1]];
    const Y: [usize; 3] = [0, 1, 2];

    fn close(a: f64, b: f64) {
        assert!((a - b).abs() < 1e-12, "{a} vs {b}");
    }

    #[test]
    fn log_loss_by_hand() {
        let e = Evaluation::new(&P, &Y).unwrap();
        close(
            e.log_loss(),
            -(0.5f64.ln() + 0.3f64.ln() + 0.1f64.ln()) / 3.0,
        );
        // A certain miss is large but finite.
        let sure = [[0.0, 0.0, 1.0]];
        close(
            Evaluation::new(&sure, &[0]).unwrap().log_loss(),
            -(1e-15f64).ln(),
        );
    }

    #[test]
    fn rps_by_hand() {
        // Match 1 (home won): cum p = .5, .8; cum o = 1, 1 → (.25 + .04)/2 = .145
        // Match 2 (draw):     cum p = .2, .5; cum o = 0, 1 → (.04 + .25)/2 = .145
        // Match 3 (away won): cum p = .6, .9; cum o = 0, 0 → (.36 + .81)/2 = .585
        let e = Evaluation::new(&P, &Y).unwrap();
        close(e.rps(), (0.145 + 0.145 + 0.585) / 3.0);
        // Ordering matters: for a home win, a draw forecast beats an away one.
        let draw = Evaluation::new(&[[0.0, 1.0, 0.0]], &[0]).unwrap().rps();
        let away = Evaluation::new(&[[0.0, 0.0, 1.0]], &[0]).unwrap().rps();
        close(draw, 0.5);
        close(away, 1.0);
    }

    #[test]
    fn brier_by_hand() {
        // (.25 + .09 + .04) + (.04 + .49 + .25) + (.36 + .09 + .81) = .38 + .78 + 1.26
        let e = Evaluation::new(&P, &Y).unwrap();
        close(e.brier(), (0.38 + 0.78 + 1.26) / 3.0);
    }

    #[test]
    fn accuracy_and_ties() {
        let e = Evaluation::new(&P, &Y).unwrap();
        close(e.accuracy(), 1.0 / 3.0); // only match 1 hits (match 2 says away)
        assert_eq!(argmax(&[0.4, 0.4, 0.2]), 0);
        assert_eq!(argmax(&[0.2, 0.4, 0.4]), 1);
    }

    #[test]
    fn ece_by_hand() {
        // Top confidences .5 (bin 5, hit), .5 (bin 5, miss), .6 (bin 6, miss).
        // Bin 5: |1 - (.5 + .5)| / 3 = 0; bin 6: |0 - .6| / 3 = .2.
        let e = Evaluation::new(&P, &Y).unwrap();
        close(e.ece(), 0.2);
        // A confidence of exactly 1 lands in the last bin, and is perfect here.
        close(
            Evaluation::new(&[[1.0, 0.0, 0.0]], &[0]).unwrap().ece(),
            0.0,
        );
    }

    #[test]
    fn bad_inputs_are_errors() {
        assert!(Evaluation::new(&P, &Y[..2]).is_err());
        assert!(Evaluation::new(&[], &[]).is_err());
        assert!(Evaluation::new(&P[..1], &[3]).is_err());
        assert!(Evaluation::new(&[[f64::NAN, 0.5, 0.5]], &[0]).is_err());
    }

    #[test]
    fn scores_bundle_all_metrics() {
        let s = evaluate(&P, &Y).unwrap();
        assert_eq!(s.n, 3);
        close(s.rps, Evaluation::new(&P, &Y).unwrap().rps());
    }
}
