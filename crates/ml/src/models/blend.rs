//! The logit and the boosted trees fitted on the same rows, pooled in logit
//! space: `softmax(w · z_logit + (1 − w) · z_trees)`, a normalised weighted
//! geometric mean of their probabilities.
//!
//! Why: the two make different errors (a linear model extrapolates smoothly,
//! trees cut thresholds and interactions), and on the CV folds their equal
//! mix beat each of them on every fold. Pooling in logit space rather than
//! averaging probabilities keeps one softmax, so the exported graph is the
//! two models' margins added before it; the two poolings scored the same on
//! CV (within 0.00001 log-loss).

use serde::{Deserialize, Serialize};

use super::gbdt::{GbdtModel, GbdtParams};
use crate::calibration::softmax;
use crate::linear::{LogitParams, MultinomialLogit};
use crate::{MlError, Result};

/// The two parts' settings and the logit's share of the pooled logits.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BlendParams {
    pub logit: LogitParams,
    pub gbdt: GbdtParams,
    /// Fixed at one half, not tuned: an equal mix is the robust default,
    /// and CV log-loss was flat from 0.3 to 0.6.
    pub logit_weight: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BlendModel {
    pub logit: MultinomialLogit,
    pub gbdt: GbdtModel,
    pub logit_weight: f64,
}

impl BlendModel {
    pub fn fit(rows: &[&[f64]], labels: &[usize], params: &BlendParams) -> Result<Self> {
        check_logit_weight(params.logit_weight, "a blend")?;
        Ok(Self {
            logit: MultinomialLogit::fit(rows, labels, &params.logit)?,
            gbdt: GbdtModel::fit(rows, labels, &params.gbdt)?,
            logit_weight: params.logit_weight,
        })
    }

    /// Class probabilities of one row (NaN = missing).
    pub fn predict_proba(&self, row: &[f64]) -> Result<[f64; 3]> {
        let linear = self.logit.logits(row)?;
        let trees = self.gbdt.margins(row)?;
        let w = self.logit_weight;
        Ok(softmax(std::array::from_fn(|c| {
            w * linear[c] + (1.0 - w) * trees[c]
        })))
    }
}

/// A pool's weight on the logit must leave both parts a share; `pool` names
/// the model in the error ("a blend", "a goals pool").
pub fn check_logit_weight(weight: f64, pool: &str) -> Result<()> {
    if weight > 0.0 && weight < 1.0 {
        Ok(())
    } else {
        Err(MlError::InvalidConfig(format!(
            "{pool}'s logit weight must lie strictly between 0 and 1, not {weight}"
        )))
    }
}

/// The blend's forecast from its two parts' probabilities: the softmax of
/// their weighted log-probabilities, which differ from their logits by one
/// constant per row, so this equals [`BlendModel::predict_proba`] (CV pools
/// the parts' out-of-fold forecasts with it instead of refitting them).
pub fn pool(linear: [f64; 3], trees: [f64; 3], logit_weight: f64) -> [f64; 3] {
    softmax(std::array::from_fn(|c| {
        logit_weight * linear[c].ln() + (1.0 - logit_weight) * trees[c].ln()
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::SplitMix64;

    #[test]
    fn the_pool_is_the_normalised_weighted_geometric_mean_of_its_parts() {
        let mut rng = SplitMix64::new(3);
        let rows: Vec<Vec<f64>> = (0..600)
            .map(|_| vec![rng.normal(), rng.normal(), rng.normal()])
            .collect();
        let labels: Vec<usize> = rows
            .iter()
            .map(|r| {
                if r[0] > 0.4 {
                    0
                } else if r[1] * r[2] > 0.3 {
                    2
                } else {
                    1
                }
            })
            .collect();
        let refs: Vec<&[f64]> = rows.iter().map(Vec::as_slice).collect();
        let params = BlendParams {
            logit: LogitParams::default(),
            gbdt: GbdtParams {
                rounds: 20,
                ..GbdtParams::default()
            },
            logit_weight: 0.3,
        };
        let blend = BlendModel::fit(&refs, &labels, &params).unwrap();
        for row in rows.iter().take(50) {
            let a = blend.logit.predict_proba(row).unwrap();
            let b = blend.gbdt.predict_proba(row).unwrap();
            let pooled: Vec<f64> = (0..3).map(|c| a[c].powf(0.3) * b[c].powf(0.7)).collect();
            let total: f64 = pooled.iter().sum();
            let p = blend.predict_proba(row).unwrap();
            let from_parts = pool(a, b, 0.3);
            for c in 0..3 {
                assert!((p[c] - pooled[c] / total).abs() < 1e-12);
                assert!((p[c] - from_parts[c]).abs() < 1e-12);
            }
        }
    }
}
