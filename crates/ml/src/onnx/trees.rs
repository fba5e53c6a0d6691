//! A tree ensemble as a graph of plain tensor operators, evaluated level by
//! level ("perfect tree traversal", as Hummingbird compiles trees).
//!
//! Why not `ai.onnx.ml` TreeEnsembleClassifier: tract 0.23 runs it, but
//! finds each leaf's vote with `outer_iter().skip(start)` over the ensemble's
//! whole vote table, so one row costs O(trees × leaves): 549 depth-3 trees
//! took 10–13 ms per row natively (and a 300-tree skl2onnx model 3–6 ms).
//! Here every tree is padded to the ensemble's depth `D` (a leaf above `D`
//! is copied into all of its descendants), so a row walks all trees at once
//! in `D` steps of a few operators on `[N, T]` tensors:
//!
//! ```text
//! idx = 0                                             (per row, per tree)
//! for each level d:  f   = Gather(feature_d, offset_d + idx)
//!                    x   = GatherElements(features, f, axis 1)
//!                    idx = 2·idx + (x >= Gather(threshold_d, offset_d + idx))
//! margins = MatMul(Gather(leaf_values, offset_D + idx), tree_class [T, 3]) + base
//! probabilities = Softmax(margins)
//! ```
//!
//! Indices are `int32`: with `int64` ones tract ran the index arithmetic
//! through its symbolic-dimension type (`TDim`), 0.35 ms per row instead of
//! 0.05 ms natively.
//!
//! `x < threshold` goes left, like the trainer, with the trainer's own `f32`
//! thresholds and leaf values. NaN never reaches the trees: the graph fills
//! it first (or the caller does, with [`super::MissingValues::FillBeforeInference`]);
//! the trainer also fills before it splits.

use super::proto::*;
use super::{Graph, GraphInputs, OnnxOptions, float_tensor, int_attribute, int32_tensor};
use crate::models::gbdt::{GbdtModel, Tree};
use crate::{MlError, Result};

/// Deeper trees would make the padded tables (2^D leaves per tree) large;
/// the tuner searches depths 2..=5.
pub const MAX_DEPTH: usize = 12;

/// Serialise a tree ensemble as the level-by-level graph above; logits are
/// divided by `temperature` by scaling every leaf and base value.
pub fn export_gbdt(
    model: &GbdtModel,
    temperature: f64,
    inputs: &GraphInputs,
    options: &OnnxOptions,
    metadata: &[(String, String)],
) -> Result<Vec<u8>> {
    let (mut g, columns) = Graph::start(&model.fill_values, inputs, options)?;
    let x = g.joined(&columns);
    let logits = g.tree_margins(model, 1.0 / temperature, &x, "")?;
    Ok(g.finish(
        &logits,
        "matchday_1x2_gbdt",
        &format!(
            "Gradient-boosted trees ({} trees, softmax), walked level by level",
            model.trees.len()
        ),
        "Matchday 1X2 gradient-boosted trees",
        metadata,
    ))
}

impl Graph {
    /// The ensemble's margins `[N, 3]` times `factor`, read from the filled
    /// features `x`; returns their name. Names are prefixed with `prefix`.
    pub(super) fn tree_margins(
        &mut self,
        model: &GbdtModel,
        factor: f64,
        x: &str,
        prefix: &str,
    ) -> Result<String> {
        let tables = PaddedTrees::build(&model.trees)?;
        let t = model.trees.len() as i64;
        let name = |what: &str, level: usize| format!("{prefix}{what}_{level}");
        let to_int32 = vec![int_attribute("to", INT32.into())];
        let two = format!("{prefix}two");
        self.constant(int32_tensor(&two, vec![], vec![2]));

        // Level 0: every tree's root, the same node for all rows.
        let (feature, threshold) = (name("feature", 0), name("threshold", 0));
        self.constant(int32_tensor(&feature, vec![t], tables.features[0].clone()));
        self.constant(float_tensor(
            &threshold,
            vec![t],
            tables.thresholds[0].clone(),
        ));
        self.op(
            "Gather",
            &[x, &feature],
            &name("x", 0),
            vec![int_attribute("axis", 1)],
        );
        self.op(
            "GreaterOrEqual",
            &[&name("x", 0), &threshold],
            &name("right", 0),
            vec![],
        );
        self.op(
            "Cast",
            &[&name("right", 0)],
            &name("index", 1),
            to_int32.clone(),
        );

        // Levels 1..D: a node's position in its level's table is
        // tree · 2^d + index.
        for d in 1..tables.depth {
            let width = 1i64 << d;
            let n = |what: &str| name(what, d);
            self.constant(int32_tensor(&n("offset"), vec![t], offsets(t, width)));
            self.constant(int32_tensor(
                &n("feature"),
                vec![t * width],
                tables.features[d].clone(),
            ));
            self.constant(float_tensor(
                &n("threshold"),
                vec![t * width],
                tables.thresholds[d].clone(),
            ));
            self.op("Add", &[&n("index"), &n("offset")], &n("position"), vec![]);
            self.op(
                "Gather",
                &[&n("feature"), &n("position")],
                &n("column"),
                vec![],
            );
            self.op(
                "GatherElements",
                &[x, &n("column")],
                &n("x"),
                vec![int_attribute("axis", 1)],
            );
            self.op(
                "Gather",
                &[&n("threshold"), &n("position")],
                &n("split"),
                vec![],
            );
            self.op(
                "GreaterOrEqual",
                &[&n("x"), &n("split")],
                &n("right_bool"),
                vec![],
            );
            self.op("Cast", &[&n("right_bool")], &n("right"), to_int32.clone());
            self.op("Mul", &[&n("index"), &two], &n("index_doubled"), vec![]);
            self.op(
                "Add",
                &[&n("index_doubled"), &n("right")],
                &name("index", d + 1),
                vec![],
            );
        }

        let depth = tables.depth;
        let leaves = 1i64 << depth;
        let scale = |v: f32| (f64::from(v) * factor) as f32;
        let p = |what: &str| format!("{prefix}{what}");
        self.constant(int32_tensor(&p("leaf_offset"), vec![t], offsets(t, leaves)));
        self.constant(float_tensor(
            &p("leaf_values"),
            vec![t * leaves],
            tables.leaf_values.iter().map(|&v| scale(v)).collect(),
        ));
        let mut tree_class = vec![0f32; model.trees.len() * 3];
        for (i, tree) in model.trees.iter().enumerate() {
            tree_class[i * 3 + tree.class] = 1.0;
        }
        self.constant(float_tensor(&p("tree_class"), vec![t, 3], tree_class));
        self.constant(float_tensor(
            &p("base_margins"),
            vec![3],
            model.base_margins.iter().map(|&b| scale(b)).collect(),
        ));
        self.op(
            "Add",
            &[&name("index", depth), &p("leaf_offset")],
            &p("leaf_position"),
            vec![],
        );
        self.op(
            "Gather",
            &[&p("leaf_values"), &p("leaf_position")],
            &p("leaf"),
            vec![],
        );
        self.op(
            "MatMul",
            &[&p("leaf"), &p("tree_class")],
            &p("margins_trees"),
            vec![],
        );
        let margins = p("logits");
        self.op(
            "Add",
            &[&p("margins_trees"), &p("base_margins")],
            &margins,
            vec![],
        );
        Ok(margins)
    }
}

/// The ensemble as complete binary trees of one depth, one table per level.
struct PaddedTrees {
    depth: usize,
    /// `features[d][tree · 2^d + i]`: the split feature of node `i` of level `d`.
    features: Vec<Vec<i32>>,
    thresholds: Vec<Vec<f32>>,
    /// `leaf_values[tree · 2^D + i]`.
    leaf_values: Vec<f32>,
}

impl PaddedTrees {
    fn build(trees: &[Tree]) -> Result<Self> {
        if trees.is_empty() {
            return Err(MlError::Solver("a tree ensemble without trees".into()));
        }
        // At least one level, so that the graph always has a split.
        let depth = trees
            .iter()
            .map(|t| tree_depth(t, 0))
            .max()
            .unwrap_or(0)
            .max(1);
        if depth > MAX_DEPTH || i32::try_from(trees.len() << depth).is_err() {
            return Err(MlError::Solver(format!(
                "{} trees of depth {depth} are too many or too deep for the export \
                 (depth at most {MAX_DEPTH}, 32-bit table positions)",
                trees.len()
            )));
        }
        let mut padded = Self {
            depth,
            features: (0..depth).map(|d| vec![0; trees.len() << d]).collect(),
            thresholds: (0..depth).map(|d| vec![0.0; trees.len() << d]).collect(),
            leaf_values: vec![0.0; trees.len() << depth],
        };
        for (i, tree) in trees.iter().enumerate() {
            padded.place(tree, i, 0, 0, 0);
        }
        Ok(padded)
    }

    /// Writes `tree`'s node `id` at position `at` of level `level`. A leaf
    /// above the last level becomes a split on feature 0 whose two children
    /// are that same leaf, so either way leads to its value.
    fn place(&mut self, tree: &Tree, index: usize, id: usize, level: usize, at: usize) {
        let n = &tree.nodes[id];
        if level == self.depth {
            self.leaf_values[(index << level) + at] = n.value;
            return;
        }
        let slot = (index << level) + at;
        let (left, right) = if n.is_leaf() {
            (id, id)
        } else {
            self.features[level][slot] = n.feature as i32;
            self.thresholds[level][slot] = n.threshold;
            (n.left as usize, n.right as usize)
        };
        self.place(tree, index, left, level + 1, 2 * at);
        self.place(tree, index, right, level + 1, 2 * at + 1);
    }
}

fn tree_depth(tree: &Tree, id: usize) -> usize {
    let n = &tree.nodes[id];
    if n.is_leaf() {
        0
    } else {
        1 + tree_depth(tree, n.left as usize).max(tree_depth(tree, n.right as usize))
    }
}

/// `[0, width, 2·width, …]`: where each tree's part of a level table starts.
/// (`PaddedTrees::build` checks that the tables' sizes fit in `i32`.)
fn offsets(trees: i64, width: i64) -> Vec<i32> {
    (0..trees).map(|t| (t * width) as i32).collect()
}
