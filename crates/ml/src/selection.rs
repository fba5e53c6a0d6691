//! The select-model stage: compare candidates by CV log-loss, and let
//! serving cost break near-ties.
//!
//! tract runs a tree ensemble hundreds of times slower than a linear model:
//! in the `predict` component our 549-tree candidate takes 16–18 ms per
//! row and the logit 0.04–0.07 ms (`docs/benchmarks.md`), against a p99
//! budget of 5 ms. A tree ensemble therefore has to beat the best linear
//! candidate by more than `tree_margin` of CV log-loss to be chosen.

use serde::{Deserialize, Serialize};

use crate::cv::{CvResult, FoldScore};
use crate::models::{ModelParams, ModelSpec};
use crate::tune::describe;

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SelectionRule {
    /// CV log-loss a tree ensemble must gain over the best linear model.
    pub tree_margin: f64,
}

impl Default for SelectionRule {
    fn default() -> Self {
        Self { tree_margin: 0.002 }
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
    let best = (0..candidates.len())
        .min_by(|&a, &b| loss(a).total_cmp(&loss(b)))
        .expect("non-empty");
    let best_linear = (0..candidates.len())
        .filter(|&i| !candidates[i].0.params.is_tree_ensemble())
        .min_by(|&a, &b| loss(a).total_cmp(&loss(b)));
    let (chosen, reason) = match best_linear {
        Some(lin) if lin != best && loss(lin) - loss(best) <= rule.tree_margin => (
            lin,
            format!(
                "`{}` has the lowest CV log-loss ({:.5}) but beats the linear `{}` ({:.5}) by only {:.5} ≤ {:.4}: not worth a tree walk per request (measured in the predict component: 16–18 ms vs 0.04–0.07 ms per row, p99 budget 5 ms)",
                candidates[best].0.name,
                loss(best),
                candidates[lin].0.name,
                loss(lin),
                loss(lin) - loss(best),
                rule.tree_margin
            ),
        ),
        _ if candidates.len() == 1 => (
            best,
            format!("the only candidate (CV log-loss {:.5})", loss(best)),
        ),
        _ => (
            best,
            format!(
                "lowest CV log-loss ({:.5}) of {} candidates{}",
                loss(best),
                candidates.len(),
                if candidates[best].0.params.is_tree_ensemble() && best_linear.is_some() {
                    format!(
                        "; a tree ensemble, chosen because it beats the best linear model by more than {:.4}",
                        rule.tree_margin
                    )
                } else {
                    String::new()
                }
            ),
        ),
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
