//! Gradient-boosted trees (softmax over the three classes) trained with
//! [hessboost](https://crates.io/crates/hessboost).
//!
//! Why hessboost: it is pure Rust (LightGBM's bindings need cmake and
//! libclang, which neither these machines nor CI have, and a C++ build of
//! LightGBM on 2 cores), it implements XGBoost's `multi:softprob` (one tree
//! per class per round, a true softmax, where e.g. `perpetual` only offers
//! one-vs-rest boosters), it promises the same model bits for the same seed
//! on any thread count (our determinism rule), and it exposes the fitted
//! trees, which the ONNX export needs.
//!
//! The trees are copied out of hessboost right after training: prediction
//! and export both walk this copy, in `f32` like the exported graph
//! (`onnx::trees`), so the graph reproduces the trainer to float rounding.
//! Inputs are filled with the training means before training (NaN never
//! reaches the trees), because servers that pre-fill with the card's
//! `fill_values` must see the same routing.

use hessboost::objective::Multiclass;
use hessboost::prelude::{DMatrix, Objective, TrainingParams, TreeMethod, train};
use serde::{Deserialize, Serialize};

use crate::calibration::softmax;
use crate::linear::Standardizer;
use crate::{MlError, Result};

/// Training settings (XGBoost names).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GbdtParams {
    /// Boosting rounds (each adds one tree per class).
    pub rounds: usize,
    pub max_depth: usize,
    pub eta: f64,
    pub min_child_weight: f64,
    /// L2 on leaf weights.
    pub lambda: f64,
    pub subsample: f64,
    pub colsample_bytree: f64,
    pub seed: u64,
}

impl Default for GbdtParams {
    fn default() -> Self {
        Self {
            rounds: 150,
            max_depth: 3,
            eta: 0.05,
            min_child_weight: 20.0,
            lambda: 2.0,
            subsample: 0.8,
            colsample_bytree: 0.8,
            seed: 7,
        }
    }
}

/// One node: a split `x[feature] < threshold` (left when true, also for
/// NaN if `missing_left`), or a leaf (`left == right == u32::MAX`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TreeNode {
    pub feature: u32,
    pub threshold: f32,
    pub missing_left: bool,
    pub left: u32,
    pub right: u32,
    /// Leaf value (margin contribution); 0 for splits.
    pub value: f32,
}

impl TreeNode {
    pub fn is_leaf(&self) -> bool {
        self.left == u32::MAX
    }
}

/// One tree and the class whose margin it adds to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tree {
    pub class: usize,
    pub nodes: Vec<TreeNode>,
}

impl Tree {
    fn leaf(&self, row: &[f32]) -> f32 {
        let mut n = &self.nodes[0];
        while !n.is_leaf() {
            let x = row[n.feature as usize];
            let left = if x.is_nan() {
                n.missing_left
            } else {
                x < n.threshold
            };
            n = &self.nodes[if left { n.left } else { n.right } as usize];
        }
        n.value
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GbdtModel {
    /// Training means: the NaN fill (as for the logit).
    pub fill_values: Vec<f64>,
    /// Initial margin of each class.
    pub base_margins: [f32; 3],
    pub trees: Vec<Tree>,
    pub params: GbdtParams,
}

fn hb_err(e: impl std::fmt::Display) -> MlError {
    MlError::Solver(format!("hessboost: {e}"))
}

impl GbdtModel {
    /// Fit on `rows` (NaN = missing) with labels in 0..3.
    pub fn fit(rows: &[&[f64]], labels: &[usize], params: &GbdtParams) -> Result<Self> {
        let Some(first) = rows.first() else {
            return Err(MlError::InvalidTrainingData("no rows".into()));
        };
        let width = first.len();
        if rows.len() != labels.len() || labels.iter().any(|&y| y > 2) {
            return Err(MlError::InvalidTrainingData(
                "rows and labels (0..3) must pair up".into(),
            ));
        }
        let fill_values = Standardizer::fit(rows, width).fill_values;
        let mut x = Vec::with_capacity(rows.len() * width);
        for r in rows {
            x.extend(filled_f32(r, &fill_values));
        }
        let y: Vec<f32> = labels.iter().map(|&c| c as f32).collect();
        let data = DMatrix::from_dense(&x, rows.len(), width)
            .and_then(|d| d.with_labels(&y))
            .map_err(hb_err)?;
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let hb_params = TrainingParams::builder()
            .objective(Objective::Softprob(Multiclass::new(3).map_err(hb_err)?))
            .tree_method(TreeMethod::Hist)
            .max_depth(params.max_depth)
            .eta(params.eta)
            .min_child_weight(params.min_child_weight)
            .lambda(params.lambda)
            .subsample(params.subsample)
            .colsample_bytree(params.colsample_bytree)
            .seed(params.seed)
            .nthread(threads)
            .build()
            .map_err(hb_err)?;
        let booster = train(&hb_params, &data, params.rounds).map_err(hb_err)?;

        let base = booster.base_scores();
        if base.len() != 3 || booster.has_vector_leaves() {
            return Err(MlError::Solver(
                "hessboost returned an unexpected model layout".into(),
            ));
        }
        let mut trees = Vec::with_capacity(booster.num_trees());
        for ((tree, weight), outputs) in booster
            .trees()
            .iter()
            .zip(booster.tree_weights())
            .zip(booster.tree_outputs())
        {
            // Plain gbtree: every weight is 1 (DART would rescale).
            if weight != 1.0 || tree.has_categorical_splits() || tree.linear_leaves().is_some() {
                return Err(MlError::Solver(
                    "only plain numeric gbtree models are exported".into(),
                ));
            }
            let nodes = tree
                .nodes()
                .iter()
                .map(|n| {
                    if n.is_leaf() {
                        TreeNode {
                            feature: 0,
                            threshold: 0.0,
                            missing_left: true,
                            left: u32::MAX,
                            right: u32::MAX,
                            value: n.leaf_value,
                        }
                    } else {
                        TreeNode {
                            feature: n.split_feature,
                            threshold: n.split_cond,
                            missing_left: n.default_left,
                            left: n.left as u32,
                            right: n.right as u32,
                            value: 0.0,
                        }
                    }
                })
                .collect();
            trees.push(Tree {
                class: outputs.start,
                nodes,
            });
        }
        let model = Self {
            fill_values,
            base_margins: [base[0], base[1], base[2]],
            trees,
            params: *params,
        };
        // The copy must predict what hessboost predicts (a changed tree
        // layout in a new release would show here, not in production).
        let check = &x[..width];
        let ours = model.margins_f32(check);
        let mut theirs = [0f32; 3];
        booster
            .predict_margin_row_into(check, hessboost::prelude::Iterations::Best, &mut theirs)
            .map_err(hb_err)?;
        if ours.iter().zip(theirs).any(|(a, b)| (a - b).abs() > 1e-4) {
            return Err(MlError::Solver(format!(
                "tree copy disagrees with hessboost: {ours:?} vs {theirs:?}"
            )));
        }
        Ok(model)
    }

    pub fn n_features(&self) -> usize {
        self.fill_values.len()
    }

    /// Margins of one filled `f32` row, summed like tract sums them.
    pub fn margins_f32(&self, row: &[f32]) -> [f32; 3] {
        let mut m = [0f32; 3];
        for t in &self.trees {
            m[t.class] += t.leaf(row);
        }
        for (m, b) in m.iter_mut().zip(self.base_margins) {
            *m += b;
        }
        m
    }

    /// Class probabilities of one row (NaN = missing).
    pub fn predict_proba(&self, row: &[f64]) -> Result<[f64; 3]> {
        self.margins(row).map(softmax)
    }

    /// The softmax's inputs for one row (NaN = missing).
    pub fn margins(&self, row: &[f64]) -> Result<[f64; 3]> {
        if row.len() != self.n_features() {
            return Err(MlError::FeatureCount {
                model: self.n_features(),
                given: row.len(),
            });
        }
        let x: Vec<f32> = filled_f32(row, &self.fill_values).collect();
        Ok(self.margins_f32(&x).map(f64::from))
    }
}

/// NaN → fill value, then `f32` (the ONNX input type).
fn filled_f32<'a>(row: &'a [f64], fill: &'a [f64]) -> impl Iterator<Item = f32> + 'a {
    super::filled(row, fill).map(|v| v as f32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::SplitMix64;

    fn data(n: usize, seed: u64) -> (Vec<Vec<f64>>, Vec<usize>) {
        let mut rng = SplitMix64::new(seed);
        let mut rows = Vec::new();
        let mut labels = Vec::new();
        for _ in 0..n {
            let a = rng.normal();
            let b = rng.normal();
            let missing = rng.next_f64() < 0.1;
            let z = a + 0.5 * b + 0.7 * rng.normal();
            labels.push(if z > 0.5 {
                0
            } else if z > -0.3 {
                1
            } else {
                2
            });
            rows.push(vec![a, if missing { f64::NAN } else { b }, rng.next_f64()]);
        }
        (rows, labels)
    }

    #[test]
    fn learns_and_is_deterministic() {
        let (rows, labels) = data(3000, 1);
        let refs: Vec<&[f64]> = rows.iter().map(|r| r.as_slice()).collect();
        let params = GbdtParams {
            rounds: 40,
            ..GbdtParams::default()
        };
        let a = GbdtModel::fit(&refs, &labels, &params).unwrap();
        let b = GbdtModel::fit(&refs, &labels, &params).unwrap();
        assert_eq!(a, b, "same seed, same trees");
        assert_eq!(a.trees.len(), 3 * 40);
        let p = a.predict_proba(&[2.0, 1.0, 0.5]).unwrap();
        let q = a.predict_proba(&[-2.0, -1.0, 0.5]).unwrap();
        assert!(p[0] > 0.6 && q[2] > 0.6, "{p:?} {q:?}");
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        // NaN is the training mean, as servers fill it.
        let nan = a.predict_proba(&[0.3, f64::NAN, 0.5]).unwrap();
        let filled = a.predict_proba(&[0.3, a.fill_values[1], 0.5]).unwrap();
        assert_eq!(nan, filled);
    }
}
