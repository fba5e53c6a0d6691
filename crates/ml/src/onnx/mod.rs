//! ONNX export of a fitted [`MultinomialLogit`] and of a gradient-boosted
//! tree ensemble ([`GbdtModel`], see [`export_gbdt`]).
//!
//! Logit graph (opset 13, IR version 7):
//! `features [N, F] → IsNaN/Where (fill) → MatMul W [F, 3] → Add b [3]
//! → Softmax(axis=1) → probabilities [N, 3]`.
//!
//! The standardisation is folded into `W` and `b`. Missing values are
//! handled in the graph by default ([`MissingValues::FilledInGraph`]): a NaN
//! input is replaced by the training mean, exactly like the trainer does, so
//! the model is safe to call on raw features. Filling NaN before inference
//! with the card's `fill_values` is still correct (the in-graph fill then
//! never fires), so servers that pre-fill keep working.

pub mod proto;

use prost::Message;
use serde::{Deserialize, Serialize};

use crate::linear::MultinomialLogit;
use crate::models::gbdt::GbdtModel;
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
    let n_features = model.n_features();
    if feature_names.len() != n_features {
        return Err(MlError::FeatureCount {
            model: n_features,
            given: feature_names.len(),
        });
    }
    let raw = model.to_raw();
    let f = n_features as i64;

    let mut nodes = Vec::new();
    let mut initializers = vec![
        tensor(
            "weights",
            vec![f, 3],
            raw.weights.iter().flatten().map(|&w| w as f32).collect(),
        ),
        tensor(
            "bias",
            vec![3],
            raw.intercepts.iter().map(|&b| b as f32).collect(),
        ),
    ];
    let linear_input = match options.missing_values {
        MissingValues::FilledInGraph => {
            fill_missing_in_graph(&raw.fill_values, &mut nodes, &mut initializers)
        }
        MissingValues::FillBeforeInference => INPUT_NAME,
    };
    nodes.push(node(
        "MatMul",
        &[linear_input, "weights"],
        "logits_linear",
        vec![],
    ));
    nodes.push(node("Add", &["logits_linear", "bias"], "logits", vec![]));
    let axis = AttributeProto {
        name: "axis".into(),
        r#type: ATTRIBUTE_INT,
        i: 1,
        ..Default::default()
    };
    nodes.push(node("Softmax", &["logits"], OUTPUT_NAME, vec![axis]));

    let graph = GraphProto {
        node: nodes,
        name: "matchday_1x2_logit".into(),
        initializer: initializers,
        doc_string: format!(
            "Multinomial logistic regression, classes [home_win, draw, away_win]; inputs: {}",
            feature_names.join(", ")
        ),
        input: vec![value_info(INPUT_NAME, f, "raw features, NaN = missing")],
        output: vec![value_info(
            OUTPUT_NAME,
            3,
            "P(home win), P(draw), P(away win)",
        )],
    };
    let model = ModelProto {
        ir_version: IR_VERSION,
        opset_import: vec![OperatorSetIdProto {
            domain: String::new(),
            version: OPSET,
        }],
        producer_name: "matchday-ml".into(),
        producer_version: env!("CARGO_PKG_VERSION").into(),
        domain: "matchday".into(),
        model_version: 1,
        doc_string: "Matchday 1X2 baseline".into(),
        graph: Some(graph),
        metadata_props: metadata
            .iter()
            .map(|(key, value)| StringStringEntryProto {
                key: key.clone(),
                value: value.clone(),
            })
            .collect(),
    };
    Ok(model.encode_to_vec())
}

/// Domain of the classic-ML operators (`TreeEnsembleClassifier`).
pub const ML_DOMAIN: &str = "ai.onnx.ml";
/// `ai.onnx.ml` opset 3: TreeEnsembleClassifier as tract 0.23 reads it.
pub const ML_OPSET: i64 = 3;

/// Serialise a tree ensemble as `[fill →] TreeEnsembleClassifier
/// (post_transform SOFTMAX) → probabilities`; logits are divided by
/// `temperature` by scaling every leaf and base value.
///
/// Splits are `BRANCH_LT` (`x < threshold` goes to the true/left child), as
/// the trainer's; thresholds and leaves are the trainer's own `f32` values,
/// so routing is identical for the `f32` inputs. tract reads the comparison
/// modes 1..=5 only (`BRANCH_GTE` would be taken for a leaf): we use 3.
pub fn export_gbdt(
    model: &GbdtModel,
    temperature: f64,
    feature_names: &[String],
    options: &OnnxOptions,
    metadata: &[(String, String)],
) -> Result<Vec<u8>> {
    let n_features = model.n_features();
    if feature_names.len() != n_features {
        return Err(MlError::FeatureCount {
            model: n_features,
            given: feature_names.len(),
        });
    }
    let f = n_features as i64;
    let scale = |v: f32| (f64::from(v) / temperature) as f32;
    let mut a = TreeAttributes::default();
    for (t, tree) in model.trees.iter().enumerate() {
        for (id, n) in tree.nodes.iter().enumerate() {
            a.tree_ids.push(t as i64);
            a.node_ids.push(id as i64);
            if n.is_leaf() {
                a.feature_ids.push(0);
                a.values.push(0.0);
                a.modes.push(b"LEAF".to_vec());
                a.true_ids.push(0);
                a.false_ids.push(0);
                a.missing_true.push(0);
                a.class_tree_ids.push(t as i64);
                a.class_node_ids.push(id as i64);
                a.class_ids.push(tree.class as i64);
                a.class_weights.push(scale(n.value));
            } else {
                a.feature_ids.push(i64::from(n.feature));
                a.values.push(n.threshold);
                a.modes.push(b"BRANCH_LT".to_vec());
                a.true_ids.push(i64::from(n.left));
                a.false_ids.push(i64::from(n.right));
                a.missing_true.push(i64::from(n.missing_left));
            }
        }
    }
    let ints = |name: &str, v: Vec<i64>| AttributeProto {
        name: name.into(),
        r#type: ATTRIBUTE_INTS,
        ints: v,
        ..Default::default()
    };
    let floats = |name: &str, v: Vec<f32>| AttributeProto {
        name: name.into(),
        r#type: ATTRIBUTE_FLOATS,
        floats: v,
        ..Default::default()
    };
    let attributes = vec![
        ints("classlabels_int64s", vec![0, 1, 2]),
        floats(
            "base_values",
            model.base_margins.iter().map(|&b| scale(b)).collect(),
        ),
        AttributeProto {
            name: "post_transform".into(),
            r#type: ATTRIBUTE_STRING,
            s: b"SOFTMAX".to_vec(),
            ..Default::default()
        },
        ints("nodes_treeids", a.tree_ids),
        ints("nodes_nodeids", a.node_ids),
        ints("nodes_featureids", a.feature_ids),
        floats("nodes_values", a.values),
        AttributeProto {
            name: "nodes_modes".into(),
            r#type: ATTRIBUTE_STRINGS,
            strings: a.modes,
            ..Default::default()
        },
        ints("nodes_truenodeids", a.true_ids),
        ints("nodes_falsenodeids", a.false_ids),
        ints("nodes_missing_value_tracks_true", a.missing_true),
        ints("class_treeids", a.class_tree_ids),
        ints("class_nodeids", a.class_node_ids),
        ints("class_ids", a.class_ids),
        floats("class_weights", a.class_weights),
    ];

    let mut nodes = Vec::new();
    let mut initializers = Vec::new();
    let input = match options.missing_values {
        MissingValues::FilledInGraph => {
            fill_missing_in_graph(&model.fill_values, &mut nodes, &mut initializers)
        }
        MissingValues::FillBeforeInference => INPUT_NAME,
    };
    nodes.push(NodeProto {
        input: vec![input.into()],
        output: vec!["label".into(), OUTPUT_NAME.into()],
        name: "TreeEnsembleClassifier".into(),
        op_type: "TreeEnsembleClassifier".into(),
        domain: ML_DOMAIN.into(),
        attribute: attributes,
    });
    let graph = GraphProto {
        node: nodes,
        name: "matchday_1x2_gbdt".into(),
        initializer: initializers,
        doc_string: format!(
            "Gradient-boosted trees ({} trees, softmax), classes [home_win, draw, away_win]; inputs: {}",
            model.trees.len(),
            feature_names.join(", ")
        ),
        input: vec![value_info(INPUT_NAME, f, "raw features, NaN = missing")],
        output: vec![value_info(
            OUTPUT_NAME,
            3,
            "P(home win), P(draw), P(away win)",
        )],
    };
    let model = ModelProto {
        ir_version: IR_VERSION,
        opset_import: vec![
            OperatorSetIdProto {
                domain: String::new(),
                version: OPSET,
            },
            OperatorSetIdProto {
                domain: ML_DOMAIN.into(),
                version: ML_OPSET,
            },
        ],
        producer_name: "matchday-ml".into(),
        producer_version: env!("CARGO_PKG_VERSION").into(),
        domain: "matchday".into(),
        model_version: 1,
        doc_string: "Matchday 1X2 gradient-boosted trees".into(),
        graph: Some(graph),
        metadata_props: metadata
            .iter()
            .map(|(key, value)| StringStringEntryProto {
                key: key.clone(),
                value: value.clone(),
            })
            .collect(),
    };
    Ok(model.encode_to_vec())
}

/// The node and leaf attributes of a TreeEnsembleClassifier, as columns.
#[derive(Default)]
struct TreeAttributes {
    tree_ids: Vec<i64>,
    node_ids: Vec<i64>,
    feature_ids: Vec<i64>,
    values: Vec<f32>,
    modes: Vec<Vec<u8>>,
    true_ids: Vec<i64>,
    false_ids: Vec<i64>,
    missing_true: Vec<i64>,
    class_tree_ids: Vec<i64>,
    class_node_ids: Vec<i64>,
    class_ids: Vec<i64>,
    class_weights: Vec<f32>,
}

/// `Where(IsNaN(x), fill_values, x)`: a missing input becomes the training
/// fill value inside the graph. Returns the name of the filled tensor.
fn fill_missing_in_graph(
    fill_values: &[f64],
    nodes: &mut Vec<NodeProto>,
    initializers: &mut Vec<TensorProto>,
) -> &'static str {
    initializers.push(tensor(
        "fill_values",
        vec![fill_values.len() as i64],
        fill_values.iter().map(|&v| v as f32).collect(),
    ));
    nodes.push(node("IsNaN", &[INPUT_NAME], "features_is_nan", vec![]));
    nodes.push(node(
        "Where",
        &["features_is_nan", "fill_values", INPUT_NAME],
        "features_filled",
        vec![],
    ));
    "features_filled"
}

fn tensor(name: &str, dims: Vec<i64>, float_data: Vec<f32>) -> TensorProto {
    TensorProto {
        dims,
        data_type: FLOAT,
        float_data,
        name: name.into(),
    }
}

fn node(op: &str, inputs: &[&str], output: &str, attribute: Vec<AttributeProto>) -> NodeProto {
    NodeProto {
        input: inputs.iter().map(|s| s.to_string()).collect(),
        output: vec![output.into()],
        name: format!("{op}_{output}"),
        op_type: op.into(),
        domain: String::new(),
        attribute,
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
