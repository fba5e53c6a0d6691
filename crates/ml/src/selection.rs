//! The select-model stage: compare candidates by CV log-loss, and let
//! serving cost break near-ties, by the one-standard-error rule (Breiman et
//! al., 1984): the candidate with the lowest CV log-loss is chosen unless a
//! candidate that is cheaper to serve is within `standard_errors` standard
//! errors of it, in which case the cheapest such candidate is.
//!
//! The standard error is that of the mean per-match difference between the
//! two candidates' log-losses over the same CV matches (~13,600 here): the
//! noise of this comparison, not a fixed margin. Serving cost is ranked,
//! not weighed: in the `predict` component the logit takes 0.03 ms per row,
//! the trees 0.12 ms and the blend 0.13 ms (`docs/benchmarks.md`), all far
//! under the 5 ms p99 budget, so cost only decides between candidates
//! the data cannot tell apart.

use serde::{Deserialize, Serialize};

use crate::cv::{CvResult, FoldScore};
use crate::metrics::paired_standard_error;
use crate::models::{ModelParams, ModelSpec};
use crate::tune::describe;

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SelectionRule {
    /// How many standard errors of the paired difference a cheaper
    /// candidate may trail the best one by and still be chosen.
    pub standard_errors: f64,
}

impl Default for SelectionRule {
    fn default() -> Self {
        Self {
            standard_errors: 1.0,
        }
    }
}

/// One candidate as the card records it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CandidateRecord {
    pub name: String,
    pub description: String,
    pub params: ModelParams,
    /// Mean over folds, uncalibrated.
    pub cv_log_loss: f64,
    pub cv_rps: f64,
    /// What the selection compared (calibrated if that helped on later folds).
    pub selection_log_loss: f64,
    pub calibration_helps: bool,
    /// Temperature of the final model (1 = none).
    pub temperature: f64,
    pub folds: Vec<FoldScore>,
}

/// The outcome of the stage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SelectionRecord {
    pub chosen: String,
    pub reason: String,
    pub rule: SelectionRule,
    pub candidates: Vec<CandidateRecord>,
}

/// Pick one of `candidates` (non-empty); returns its index and the record.
pub fn select(
    candidates: &[(ModelSpec, CvResult)],
    rule: SelectionRule,
) -> (usize, SelectionRecord) {
    assert!(!candidates.is_empty(), "no candidate to select from");
    let loss = |i: usize| candidates[i].1.selection_log_loss();
    let cost = |i: usize| candidates[i].0.params.serving_cost_rank();
    let name = |i: usize| &candidates[i].0.name;
    let best = (0..candidates.len())
        .min_by(|&a, &b| loss(a).total_cmp(&loss(b)))
        .expect("non-empty");
    // (candidate, how far it trails the best, one standard error of that).
    let cheaper: Vec<(usize, f64, f64)> = (0..candidates.len())
        .filter(|&i| cost(i) < cost(best))
        .map(|i| {
            let se = paired_standard_error(
                &candidates[i].1.match_log_losses,
                &candidates[best].1.match_log_losses,
            );
            (i, loss(i) - loss(best), se)
        })
        .collect();
    let within = cheaper
        .iter()
        .filter(|(_, gap, se)| *gap <= rule.standard_errors * se)
        .min_by(|a, b| {
            cost(a.0)
                .cmp(&cost(b.0))
                .then(loss(a.0).total_cmp(&loss(b.0)))
        });
    let (chosen, reason) = if candidates.len() == 1 {
        (
            best,
            format!("the only candidate (CV log-loss {:.5})", loss(best)),
        )
    } else if let Some(&(i, gap, se)) = within {
        (
            i,
            format!(
                "`{}` has the lowest CV log-loss ({:.5}), but `{}` ({:.5}) trails it by only \
                 {gap:.5}, within {} standard error(s) ({se:.5}) of the paired per-match \
                 difference, and is cheaper to serve",
                name(best),
                loss(best),
                name(i),
                loss(i),
                rule.standard_errors
            ),
        )
    } else {
        let behind: Vec<String> = cheaper
            .iter()
            .map(|&(i, gap, se)| format!("`{}` +{gap:.5} (standard error {se:.5})", name(i)))
            .collect();
        (
            best,
            format!(
                "lowest CV log-loss ({:.5}) of {} candidates{}",
                loss(best),
                candidates.len(),
                if behind.is_empty() {
                    ", and the cheapest to serve".to_string()
                } else {
                    format!(
                        "; each cheaper one trails by more than {} standard error(s): {}",
                        rule.standard_errors,
                        behind.join(", ")
                    )
                }
            ),
        )
    };
    let record = SelectionRecord {
        chosen: candidates[chosen].0.name.clone(),
        reason,
        rule,
        candidates: candidates
            .iter()
            .map(|(spec, cv)| CandidateRecord {
                name: spec.name.clone(),
                description: describe(spec),
                params: spec.params,
                cv_log_loss: cv.log_loss,
                cv_rps: cv.rps,
                selection_log_loss: cv.selection_log_loss(),
                calibration_helps: cv.calibration_helps(),
                temperature: cv.temperature(),
                folds: cv.folds.clone(),
            })
            .collect(),
    };
    (chosen, record)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::default_candidates;
    use crate::synthetic::SplitMix64;

    /// A candidate whose per-match CV losses are `base[i] + shift + noise·ε`,
    /// with ε demeaned so that its mean trails `base` by exactly `shift`.
    fn candidate(spec: &ModelSpec, base: &[f64], shift: f64, noise: f64) -> (ModelSpec, CvResult) {
        let mut rng = SplitMix64::new(u64::from(spec.params.serving_cost_rank()) + 2);
        let eps: Vec<f64> = base.iter().map(|_| rng.normal()).collect();
        let eps_mean = eps.iter().sum::<f64>() / eps.len() as f64;
        let losses: Vec<f64> = base
            .iter()
            .zip(&eps)
            .map(|(b, e)| b + shift + noise * (e - eps_mean))
            .collect();
        let mean = losses.iter().sum::<f64>() / losses.len() as f64;
        let cv = CvResult {
            name: spec.name.clone(),
            folds: Vec::new(),
            log_loss: mean,
            rps: 0.2,
            log_loss_later_folds: mean,
            log_loss_later_folds_calibrated: mean,
            final_temperature: 1.0,
            match_log_losses: losses,
        };
        (spec.clone(), cv)
    }

    /// The pipeline's candidates: logit, gbdt, blend (cheapest first).
    fn specs() -> [ModelSpec; 3] {
        default_candidates().try_into().expect("three candidates")
    }

    fn base() -> Vec<f64> {
        let mut rng = SplitMix64::new(1);
        (0..4000).map(|_| 1.0 + 0.5 * rng.normal()).collect()
    }

    #[test]
    fn a_cheaper_candidate_within_one_standard_error_is_chosen() {
        // Per-match noise 0.05 over 4,000 matches: SE ≈ 0.0011.
        let [logit, gbdt, blend] = specs();
        let base = base();
        let candidates = [
            candidate(&logit, &base, 0.0004, 0.05),
            candidate(&gbdt, &base, 0.0002, 0.05),
            candidate(&blend, &base, 0.0, 0.05),
        ];
        let (chosen, record) = select(&candidates, SelectionRule::default());
        // Both cheaper ones are within; the cheapest wins.
        assert_eq!(record.chosen, "logit");
        assert_eq!(chosen, 0);
        assert!(
            record.reason.contains("`blend` has the lowest"),
            "{}",
            record.reason
        );
    }

    #[test]
    fn the_best_is_kept_when_every_cheaper_one_trails_by_more_than_the_noise() {
        let [logit, gbdt, blend] = specs();
        let base = base();
        let candidates = [
            candidate(&logit, &base, 0.004, 0.05),
            candidate(&gbdt, &base, 0.003, 0.05),
            candidate(&blend, &base, 0.0, 0.05),
        ];
        let (chosen, record) = select(&candidates, SelectionRule::default());
        assert_eq!((chosen, record.chosen.as_str()), (2, "blend"));
        assert!(record.reason.contains("`logit` +0.00"), "{}", record.reason);
        assert!(record.reason.contains("`gbdt` +0.00"), "{}", record.reason);
        // The same gaps with a noisier comparison: the logit is within.
        let noisy = [
            candidate(&specs()[0], &base, 0.004, 0.5),
            candidate(&specs()[2], &base, 0.0, 0.5),
        ];
        assert_eq!(select(&noisy, SelectionRule::default()).1.chosen, "logit");
        // And with a rule of zero standard errors, only the loss counts.
        let strict = SelectionRule {
            standard_errors: 0.0,
        };
        assert_eq!(select(&noisy, strict).1.chosen, "blend");
    }

    #[test]
    fn the_cheapest_best_candidate_needs_no_comparison() {
        let [logit, gbdt, _] = specs();
        let base = base();
        let candidates = [
            candidate(&gbdt, &base, 0.0001, 0.05),
            candidate(&logit, &base, 0.0, 0.05),
        ];
        let (chosen, record) = select(&candidates, SelectionRule::default());
        assert_eq!(chosen, 1);
        assert!(
            record.reason.ends_with("the cheapest to serve"),
            "{}",
            record.reason
        );
        let (_, only) = select(&candidates[..1], SelectionRule::default());
        assert!(only.reason.starts_with("the only candidate"));
    }
}
