//! ONNX export of a fitted [`MultinomialLogit`], of a gradient-boosted tree
//! ensemble ([`crate::models::gbdt::GbdtModel`], walked level by level: see
//! the `trees` module and [`export_gbdt`]) and of their blend
//! ([`export_blend`]). Plain opset-13 operators only, IR version 7.
//!
//! Logit graph:
//! `features [N, F] → IsNaN/Where (fill) → MatMul W [F, 3] → Add b [3]
//! → Softmax(axis=1) → probabilities [N, 3]`. The blend adds the trees'
//! margins to the logits before the Softmax.
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
use crate::models::blend::BlendModel;
use crate::{MlError, Result};
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

/// Serialise `model` (whose inputs are `feature_names`, in order) as an ONNX
/// model. `metadata` lands in `metadata_props` (run id, labels, ...).
pub fn export_logit(
    model: &MultinomialLogit,
    feature_names: &[String],
    options: &OnnxOptions,
    metadata: &[(String, String)],
) -> Result<Vec<u8>> {
    let raw = model.to_raw();
    let (mut g, x) = Graph::start(&raw.fill_values, feature_names, options)?;
    let logits = g.linear_logits(&raw, x, "");
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
    feature_names: &[String],
    options: &OnnxOptions,
    metadata: &[(String, String)],
) -> Result<Vec<u8>> {
    let w = model.logit_weight;
    let (mut g, x) = Graph::start(&model.gbdt.fill_values, feature_names, options)?;
    let linear = scale_logit(&model.logit, temperature / w).to_raw();
    let linear = g.linear_logits(&linear, x, "logit_");
    let trees = g.tree_margins(&model.gbdt, (1.0 - w) / temperature, x, "trees_")?;
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

/// The nodes and constants of a graph being built, in order, over the
/// features it was started with.
struct Graph {
    nodes: Vec<NodeProto>,
    initializers: Vec<TensorProto>,
    feature_names: Vec<String>,
}

impl Graph {
    /// A graph over `feature_names` (one training mean per feature in
    /// `fill_values`), and the name of the features as the rest of it reads
    /// them: with [`MissingValues::FilledInGraph`],
    /// `Where(IsNaN(x), fill_values, x)`, so a missing input becomes the
    /// training mean inside the graph.
    fn start(
        fill_values: &[f64],
        feature_names: &[String],
        options: &OnnxOptions,
    ) -> Result<(Self, &'static str)> {
        if feature_names.len() != fill_values.len() {
            return Err(MlError::FeatureCount {
                model: fill_values.len(),
                given: feature_names.len(),
            });
        }
        let mut g = Self {
            nodes: Vec::new(),
            initializers: Vec::new(),
            feature_names: feature_names.to_vec(),
        };
        let x = match options.missing_values {
            MissingValues::FillBeforeInference => INPUT_NAME,
            MissingValues::FilledInGraph => {
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
                "features_filled"
            }
        };
        Ok((g, x))
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

    /// `x · W + b` of a linear model on raw (filled) features; returns the
    /// logits' name. Names are prefixed with `prefix`.
    fn linear_logits(&mut self, raw: &RawLinear, x: &str, prefix: &str) -> String {
        let (weights, bias, product, logits) = (
            format!("{prefix}weights"),
            format!("{prefix}bias"),
            format!("{prefix}logits_linear"),
            format!("{prefix}logits"),
        );
        self.constant(float_tensor(
            &weights,
            vec![raw.weights.len() as i64, 3],
            raw.weights.iter().flatten().map(|&w| w as f32).collect(),
        ));
        self.constant(float_tensor(
            &bias,
            vec![3],
            raw.intercepts.iter().map(|&b| b as f32).collect(),
        ));
        self.op("MatMul", &[x, &weights], &product, vec![]);
        self.op("Add", &[&product, &bias], &logits, vec![]);
        logits
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
                self.feature_names.join(", ")
            ),
            input: vec![value_info(
                INPUT_NAME,
                self.feature_names.len() as i64,
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
