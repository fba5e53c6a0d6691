//! ONNX export of a fitted [`MultinomialLogit`], of a gradient-boosted tree
//! ensemble ([`crate::models::gbdt::GbdtModel`], walked level by level: see
//! the `trees` module and [`export_gbdt`]), of their blend
//! ([`export_blend`]) and of the logit pooled with a score model
//! ([`export_goals`]). Plain opset-13 operators only, IR version 7.
//!
//! Logit graph:
//! `features [N, F] → IsNaN/Where (fill) → MatMul W [F, 3] → Add b [3]
//! → Softmax(axis=1) → probabilities [N, 3]`. The blend adds the trees'
//! margins to the logits before the Softmax.
//!
//! A model with a [`Balance`] reads `F` inputs and sees `F + k` columns: after
//! the fill, `Gather` (the `k` sources) `→ Abs` gives their sizes, as the
//! trainer does, so clients send only the inputs. The trees read them
//! appended (`Concat`); the logit multiplies them by their own rows of `W`
//! and adds (`x·W_inputs + sizes·W_sizes`), because tract's optimiser splits
//! a `Concat` feeding a `MatMul` at load time, which costs a fresh instance
//! ~0.5 ms (1.7 → 1.2 ms natively) for the same numbers.
//!
//! The standardisation is folded into `W` and `b`. Missing values are
//! handled in the graph by default ([`MissingValues::FilledInGraph`]): a NaN
//! input is replaced by the training mean, exactly like the trainer does, so
//! the model is safe to call on raw features. Filling NaN before inference
//! with the card's `fill_values` is still correct (the in-graph fill then
//! never fires), so servers that pre-fill keep working.

pub mod proto;
mod trees;

pub use trees::export_gbdt;

use prost::Message;
use serde::{Deserialize, Serialize};

use crate::calibration::scale_logit;
use crate::linear::{MultinomialLogit, RawLinear};
use crate::models::balance::Balance;
use crate::models::blend::BlendModel;
use crate::models::goals::{GRID_SIDE, GoalsModel};
use crate::{MlError, Result};
use matchday_core::domain::Score;
use proto::*;

pub const INPUT_NAME: &str = "features";
pub const OUTPUT_NAME: &str = "probabilities";
/// Default-domain operator set: Softmax-13 normalises along one axis only.
pub const OPSET: i64 = 13;
/// IR version 7 is the one that shipped with opset 13 (ONNX 1.8).
pub const IR_VERSION: i64 = 7;
const BATCH_DIM: &str = "N";

/// Where NaN inputs are filled with the training means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MissingValues {
    /// `Where(IsNaN(x), fill, x)` is the first step of the graph.
    #[default]
    FilledInGraph,
    /// The graph has no fill step: the caller must replace NaN by the card's
    /// `fill_values` first (NaN would otherwise propagate to the output).
    FillBeforeInference,
}

/// Export settings.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct OnnxOptions {
    pub missing_values: MissingValues,
}

/// What a graph reads: its input columns, in order, and the sizes the model
/// appends to them (`None`: the model reads the inputs as they are).
#[derive(Debug, Clone, Copy)]
pub struct GraphInputs<'a> {
    pub names: &'a [String],
    pub balance: Option<&'a Balance>,
}

impl<'a> GraphInputs<'a> {
    /// Inputs the model reads as they are.
    pub fn plain(names: &'a [String]) -> Self {
        Self {
            names,
            balance: None,
        }
    }
}

/// Serialise `model` (whose inputs are `inputs`) as an ONNX model.
/// `metadata` lands in `metadata_props` (run id, labels, ...).
pub fn export_logit(
    model: &MultinomialLogit,
    inputs: &GraphInputs,
    options: &OnnxOptions,
    metadata: &[(String, String)],
) -> Result<Vec<u8>> {
    let raw = model.to_raw();
    let (mut g, columns) = Graph::start(&raw.fill_values, inputs, options)?;
    let logits = g.linear_logits(&raw, &columns, "");
    Ok(g.finish(
        &logits,
        "matchday_1x2_logit",
        "Multinomial logistic regression",
        "Matchday 1X2 baseline",
        metadata,
    ))
}

/// Serialise the logit + trees blend: both parts' logits, weighted and
/// divided by `temperature`, added before one softmax.
pub fn export_blend(
    model: &BlendModel,
    temperature: f64,
    inputs: &GraphInputs,
    options: &OnnxOptions,
    metadata: &[(String, String)],
) -> Result<Vec<u8>> {
    let w = model.logit_weight;
    let (mut g, columns) = Graph::start(&model.gbdt.fill_values, inputs, options)?;
    let linear = scale_logit(&model.logit, temperature / w).to_raw();
    let linear = g.linear_logits(&linear, &columns, "logit_");
    let joined = g.joined(&columns);
    let trees = g.tree_margins(&model.gbdt, (1.0 - w) / temperature, &joined, "trees_")?;
    g.op("Add", &[&linear, &trees], "logits", vec![]);
    Ok(g.finish(
        "logits",
        "matchday_1x2_blend",
        &format!(
            "Logit ({w}) and gradient-boosted trees ({} trees) pooled in logit space",
            model.gbdt.trees.len()
        ),
        "Matchday 1X2 logit + trees",
        metadata,
    ))
}

/// Serialise the logit pooled with the score model
/// ([`crate::models::goals`]). The score model's part, per row:
/// - `(log λ, log ν, 0) = x · W + b` (the two regressions, one MatMul) and
///   its `Exp`, `(λ, ν, 1)`;
/// - the log of each of the 121 cells' Poisson mass, `x log λ − λ − ln x! +
///   y log ν − ν − ln y!`, as two MatMuls of those by constants, then `Exp`;
/// - Dixon-Coles' `τ` per cell, linear in `(λ, ν, 1)` and `λν`, through
///   `Relu` (as the trainer clamps it at 0);
/// - the cells summed into home / draw / away by a MatMul, then `Log`.
///
/// Those three logs enter the pool unnormalised: the grid's total is one
/// constant per row, which the softmax removes, as it removes the logit's
/// own normaliser. Pool weights and temperature are folded into the logit's
/// weights and one `Mul`.
pub fn export_goals(
    model: &GoalsModel,
    temperature: f64,
    inputs: &GraphInputs,
    options: &OnnxOptions,
    metadata: &[(String, String)],
) -> Result<Vec<u8>> {
    let w = model.logit_weight;
    let (mut g, columns) = Graph::start(&model.logit.standardizer.fill_values, inputs, options)?;
    let linear = scale_logit(&model.logit, temperature / w).to_raw();
    let linear = g.linear_logits(&linear, &columns, "logit_");
    let log_rates = g.linear_logits(&model.raw_log_rates(), &columns, "goals_log_rates_");
    g.op("Exp", &[&log_rates], "goals_rates", vec![]);

    let cells = GRID_SIDE * GRID_SIDE;
    let cell_goals = |i: usize| ((i / GRID_SIDE) as f64, (i % GRID_SIDE) as f64);
    let ln_factorial = |k: f64| (1..=k as usize).map(|j| (j as f64).ln()).sum::<f64>();
    // Rows multiply (log λ, log ν, 0) and (λ, ν, 1), in that order.
    let mut goal_counts = vec![0.0; 3 * cells];
    let mut rate_terms = vec![0.0; 3 * cells];
    for i in 0..cells {
        let (x, y) = cell_goals(i);
        goal_counts[i] = x;
        goal_counts[cells + i] = y;
        rate_terms[i] = -1.0;
        rate_terms[cells + i] = -1.0;
        rate_terms[2 * cells + i] = -ln_factorial(x) - ln_factorial(y);
    }
    let counts = g.const_mat_mul(&log_rates, 3, cells, &goal_counts, "grid_goal_counts");
    let terms = g.const_mat_mul("goals_rates", 3, cells, &rate_terms, "grid_rate_terms");
    g.op("Add", &[&counts, &terms], "grid_log_mass", vec![]);
    g.op("Exp", &["grid_log_mass"], "grid_mass", vec![]);

    // τ = 1 − λνρ at 0–0, 1 + λρ at 0–1, 1 + νρ at 1–0, 1 − ρ at 1–1, else 1.
    let rho = model.rho;
    let (at_0_1, at_1_0, at_1_1) = (1, GRID_SIDE, GRID_SIDE + 1);
    let mut tau_rates = vec![0.0; 3 * cells];
    tau_rates[at_0_1] = rho;
    tau_rates[cells + at_1_0] = rho;
    tau_rates[2 * cells..].fill(1.0);
    tau_rates[2 * cells + at_1_1] = 1.0 - rho;
    let mut tau_product = vec![0.0; cells];
    tau_product[0] = -rho;
    let sum_of_logs = g.const_mat_mul(&log_rates, 3, 1, &[1.0, 1.0, 0.0], "goals_log_product");
    g.op("Exp", &[&sum_of_logs], "goals_rate_product", vec![]);
    let from_rates = g.const_mat_mul("goals_rates", 3, cells, &tau_rates, "tau_rate_terms");
    let from_product = g.const_mat_mul(
        "goals_rate_product",
        1,
        cells,
        &tau_product,
        "tau_product_terms",
    );
    g.op("Add", &[&from_rates, &from_product], "tau_linear", vec![]);
    g.op("Relu", &["tau_linear"], "tau", vec![]);
    g.op("Mul", &["grid_mass", "tau"], "grid_joint", vec![]);

    let mut outcome_of_cell = vec![0.0; cells * 3];
    for i in 0..cells {
        let score = Score {
            home: (i / GRID_SIDE) as u8,
            away: (i % GRID_SIDE) as u8,
        };
        outcome_of_cell[i * 3 + score.class()] = 1.0;
    }
    let outcome = g.const_mat_mul("grid_joint", cells, 3, &outcome_of_cell, "grid_outcomes");
    g.op("Log", &[&outcome], "goals_log_outcome", vec![]);
    g.constant(float_tensor(
        "goals_pool_weight",
        vec![1],
        vec![((1.0 - w) / temperature) as f32],
    ));
    g.op(
        "Mul",
        &["goals_log_outcome", "goals_pool_weight"],
        "goals_logits",
        vec![],
    );
    g.op("Add", &[&linear, "goals_logits"], "logits", vec![]);
    Ok(g.finish(
        "logits",
        "matchday_1x2_logit_goals",
        &format!("Logit ({w}) and a Poisson score model (rho {rho:.4}) pooled in log space"),
        "Matchday 1X2 logit + goals",
        metadata,
    ))
}

/// The columns a model reads, by tensor name: the filled inputs and, for a
/// model with a [`Balance`], the sizes it appends to them.
struct Columns {
    inputs: String,
    sizes: Option<String>,
}

/// The nodes and constants of a graph being built, in order, over the
/// inputs it was started with.
struct Graph {
    nodes: Vec<NodeProto>,
    initializers: Vec<TensorProto>,
    /// Columns of the graph input.
    input_width: usize,
    /// The inputs by name (and the sizes appended), for the graph's doc.
    inputs_doc: String,
}

impl Graph {
    /// A graph over `inputs` for a model that fills NaN with `model_fill`
    /// (one training mean per column it sees), and the columns the model
    /// reads:
    /// - with [`MissingValues::FilledInGraph`], `Where(IsNaN(x), fill, x)`,
    ///   so a missing input becomes the training mean inside the graph;
    /// - with a [`Balance`], the sizes of its sources, computed after that
    ///   (appended by [`Graph::joined`] for the models that read one row).
    fn start(
        model_fill: &[f64],
        inputs: &GraphInputs,
        options: &OnnxOptions,
    ) -> Result<(Self, Columns)> {
        let (fill_values, model_width) = match inputs.balance {
            None => (model_fill, inputs.names.len()),
            Some(b) => (b.fill_values.as_slice(), b.model_width()),
        };
        if inputs.names.len() != fill_values.len() || model_width != model_fill.len() {
            return Err(MlError::FeatureCount {
                model: model_fill.len(),
                given: model_width,
            });
        }
        let mut g = Self {
            nodes: Vec::new(),
            initializers: Vec::new(),
            input_width: inputs.names.len(),
            inputs_doc: match inputs.balance {
                None => inputs.names.join(", "),
                Some(b) => format!(
                    "{}; appended after the fill: {}",
                    inputs.names.join(", "),
                    b.names(inputs.names).join(", ")
                ),
            },
        };
        let mut x = INPUT_NAME.to_string();
        if options.missing_values == MissingValues::FilledInGraph {
            g.constant(float_tensor(
                "fill_values",
                vec![fill_values.len() as i64],
                fill_values.iter().map(|&v| v as f32).collect(),
            ));
            g.op("IsNaN", &[INPUT_NAME], "features_is_nan", vec![]);
            g.op(
                "Where",
                &["features_is_nan", "fill_values", INPUT_NAME],
                "features_filled",
                vec![],
            );
            x = "features_filled".to_string();
        }
        if let Some(b) = inputs.balance {
            g.constant(int32_tensor(
                "balance_sources",
                vec![b.sources.len() as i64],
                b.sources.iter().map(|&s| s as i32).collect(),
            ));
            let axis = || vec![int_attribute("axis", 1)];
            g.op(
                "Gather",
                &[&x, "balance_sources"],
                "balance_source_values",
                axis(),
            );
            g.op("Abs", &["balance_source_values"], "balance_sizes", vec![]);
        }
        let columns = Columns {
            inputs: x,
            sizes: inputs.balance.map(|_| "balance_sizes".to_string()),
        };
        Ok((g, columns))
    }

    /// The columns as one tensor `[N, F + k]`: the sizes appended to the
    /// inputs, as the trainer's rows are.
    fn joined(&mut self, columns: &Columns) -> String {
        match &columns.sizes {
            None => columns.inputs.clone(),
            Some(sizes) => {
                let joined = "features_with_sizes";
                self.op(
                    "Concat",
                    &[&columns.inputs, sizes],
                    joined,
                    vec![int_attribute("axis", 1)],
                );
                joined.to_string()
            }
        }
    }

    fn op(&mut self, op: &str, inputs: &[&str], output: &str, attribute: Vec<AttributeProto>) {
        self.nodes.push(NodeProto {
            input: inputs.iter().map(|s| s.to_string()).collect(),
            output: vec![output.into()],
            name: format!("{op}_{output}"),
            op_type: op.into(),
            domain: String::new(),
            attribute,
        });
    }

    fn constant(&mut self, tensor: TensorProto) {
        self.initializers.push(tensor);
    }

    /// `x · W + b` of a linear model on raw (filled) columns; returns the
    /// logits' name. Names are prefixed with `prefix`. With sizes, `W`'s
    /// rows are split between the inputs and the sizes (module doc).
    fn linear_logits(&mut self, raw: &RawLinear, columns: &Columns, prefix: &str) -> String {
        let (bias, logits) = (format!("{prefix}bias"), format!("{prefix}logits"));
        // `start` checked that the model sees the inputs, then the sizes.
        let (input_rows, size_rows) = raw.weights.split_at(self.input_width);
        let inputs_product = self.mat_mul(&columns.inputs, input_rows, &format!("{prefix}weights"));
        let product = match &columns.sizes {
            None => inputs_product,
            Some(sizes) => {
                let sizes_product =
                    self.mat_mul(sizes, size_rows, &format!("{prefix}size_weights"));
                let sum = format!("{prefix}logits_linear");
                self.op("Add", &[&inputs_product, &sizes_product], &sum, vec![]);
                sum
            }
        };
        self.constant(float_tensor(
            &bias,
            vec![3],
            raw.intercepts.iter().map(|&b| b as f32).collect(),
        ));
        self.op("Add", &[&product, &bias], &logits, vec![]);
        logits
    }

    /// `x · rows` (`rows`: `[width of x, 3]`, stored as `weights`); returns
    /// the product's name.
    fn mat_mul(&mut self, x: &str, rows: &[[f64; 3]], weights: &str) -> String {
        let flat: Vec<f64> = rows.iter().flatten().copied().collect();
        self.const_mat_mul(x, rows.len(), 3, &flat, weights)
    }

    /// `x · M` for a constant `M` (`rows × cols`, row-major, stored as
    /// `name`); returns the product's name.
    fn const_mat_mul(
        &mut self,
        x: &str,
        rows: usize,
        cols: usize,
        m: &[f64],
        name: &str,
    ) -> String {
        self.constant(float_tensor(
            name,
            vec![rows as i64, cols as i64],
            m.iter().map(|&v| v as f32).collect(),
        ));
        let product = format!("{x}_times_{name}");
        self.op("MatMul", &[x, name], &product, vec![]);
        product
    }

    /// `Softmax(logits, axis = 1) → probabilities`, and the model around the
    /// graph: `description` with the classes and inputs as its doc, IR
    /// version, the default-domain opset, our producer and `metadata` as
    /// `metadata_props`.
    fn finish(
        mut self,
        logits: &str,
        name: &str,
        description: &str,
        model_doc: &str,
        metadata: &[(String, String)],
    ) -> Vec<u8> {
        self.op(
            "Softmax",
            &[logits],
            OUTPUT_NAME,
            vec![int_attribute("axis", 1)],
        );
        let graph = GraphProto {
            node: self.nodes,
            name: name.into(),
            initializer: self.initializers,
            doc_string: format!(
                "{description}, classes [home_win, draw, away_win]; inputs: {}",
                self.inputs_doc
            ),
            input: vec![value_info(
                INPUT_NAME,
                self.input_width as i64,
                "raw features, NaN = missing",
            )],
            output: vec![value_info(
                OUTPUT_NAME,
                3,
                "P(home win), P(draw), P(away win)",
            )],
        };
        ModelProto {
            ir_version: IR_VERSION,
            opset_import: vec![OperatorSetIdProto {
                domain: String::new(),
                version: OPSET,
            }],
            producer_name: "matchday-ml".into(),
            producer_version: env!("CARGO_PKG_VERSION").into(),
            domain: "matchday".into(),
            model_version: 1,
            doc_string: model_doc.into(),
            graph: Some(graph),
            metadata_props: metadata
                .iter()
                .map(|(key, value)| StringStringEntryProto {
                    key: key.clone(),
                    value: value.clone(),
                })
                .collect(),
        }
        .encode_to_vec()
    }
}

fn float_tensor(name: &str, dims: Vec<i64>, float_data: Vec<f32>) -> TensorProto {
    TensorProto {
        dims,
        data_type: FLOAT,
        float_data,
        name: name.into(),
        ..Default::default()
    }
}

fn int32_tensor(name: &str, dims: Vec<i64>, int32_data: Vec<i32>) -> TensorProto {
    TensorProto {
        dims,
        data_type: INT32,
        int32_data,
        name: name.into(),
        ..Default::default()
    }
}

fn int_attribute(name: &str, i: i64) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        r#type: ATTRIBUTE_INT,
        i,
    }
}

/// A float32 `[N, width]` tensor with a symbolic batch dimension.
fn value_info(name: &str, width: i64, doc: &str) -> ValueInfoProto {
    let dims = vec![
        Dimension {
            value: Some(DimensionValue::DimParam(BATCH_DIM.into())),
        },
        Dimension {
            value: Some(DimensionValue::DimValue(width)),
        },
    ];
    ValueInfoProto {
        name: name.into(),
        r#type: Some(TypeProto {
            value: Some(TypeValue::TensorType(TensorTypeProto {
                elem_type: FLOAT,
                shape: Some(TensorShapeProto { dim: dims }),
            })),
        }),
        doc_string: doc.into(),
    }
}

#[cfg(test)]
mod tests;
