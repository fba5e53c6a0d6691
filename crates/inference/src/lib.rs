//! A 3-class ONNX classifier over named features, run with tract.
//!
//! Any classifier whose output is an `[N, 3]` float tensor of probabilities
//! (home win, draw, away win) can be served, whatever produced it: our own
//! exporter writes one `[N, F]` input named `features`; scikit-learn + skl2onnx
//! writes one `[N, F]` input (`float_input`) or one `[N, 1]` input per column.
//! The caller names the features in the order of its model card; [`load`]
//! works out how they map onto the graph's inputs.
//!
//! The path reads as tract's: parse → fix input shapes → optimise → runnable.

use std::collections::HashMap;
use thiserror::Error;
use tract_onnx::prelude::*;
use tract_onnx::tract_hir::infer::Factoid;
use tract_onnx::tract_hir::internal::DimLike;

#[derive(Debug, Error)]
pub enum InferenceError {
    #[error("the model could not be loaded: {0}")]
    Load(String),
    #[error("the model's inputs do not match its card: {0}")]
    Inputs(String),
    #[error("the model has no [N, 3] float output")]
    NoProbabilities,
    #[error("inference failed: {0}")]
    Run(String),
    #[error("the model produced invalid probabilities for row {row}: {detail}")]
    BadOutput { row: usize, detail: String },
}

fn load_err(e: impl std::fmt::Display) -> InferenceError {
    InferenceError::Load(format!("{e:#}"))
}

/// How feature vectors are fed to the graph.
#[derive(Debug, Clone)]
enum Inputs {
    /// One `[N, F]` input; features in card order.
    Matrix,
    /// One `[N, 1]` input per feature: `columns[i]` is the card index of the
    /// feature fed to graph input `i`.
    Columns(Vec<usize>),
}

/// A loaded, optimised model for a fixed batch size.
pub struct Classifier {
    plan: std::sync::Arc<TypedRunnableModel>,
    inputs: Inputs,
    output: usize,
    width: usize,
    batch: usize,
}

/// How much a probability row may stray from summing to 1.
pub const SUM_TOLERANCE: f32 = 1e-4;

/// The file's `metadata_props` (our exporter writes `run_id` there).
pub fn metadata(onnx: &[u8]) -> Result<HashMap<String, String>, InferenceError> {
    let proto = tract_onnx::onnx()
        .proto_model_for_read(&mut &onnx[..])
        .map_err(load_err)?;
    Ok(proto
        .metadata_props
        .into_iter()
        .map(|p| (p.key, p.value))
        .collect())
}

/// Loads `onnx` for batches of exactly `batch` rows of `feature_names.len()`
/// features.
pub fn load(
    onnx: &[u8],
    feature_names: &[String],
    batch: usize,
) -> Result<Classifier, InferenceError> {
    let width = feature_names.len();
    if width == 0 || batch == 0 {
        return Err(InferenceError::Inputs(
            "no features or an empty batch".into(),
        ));
    }
    let mut model = tract_onnx::onnx()
        .model_for_read(&mut &onnx[..])
        .map_err(load_err)?;
    let input_names: Vec<String> = model
        .input_outlets()
        .map_err(load_err)?
        .iter()
        .map(|o| model.node(o.node).name.clone())
        .collect();
    let inputs = if input_names.len() == 1 {
        if let Some(declared) = declared_width(&model)?
            && declared != width
        {
            return Err(InferenceError::Inputs(format!(
                "the graph takes {declared} features per row, the card lists {width}"
            )));
        }
        model
            .set_input_fact(0, f32::fact([batch, width]).into())
            .map_err(load_err)?;
        Inputs::Matrix
    } else {
        let position: HashMap<&str, usize> = feature_names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.as_str(), i))
            .collect();
        let mut columns = Vec::with_capacity(input_names.len());
        for (i, name) in input_names.iter().enumerate() {
            let index = *position.get(name.as_str()).ok_or_else(|| {
                InferenceError::Inputs(format!("graph input `{name}` is not a feature of the card"))
            })?;
            columns.push(index);
            model
                .set_input_fact(i, f32::fact([batch, 1]).into())
                .map_err(load_err)?;
        }
        if columns.len() != width {
            return Err(InferenceError::Inputs(format!(
                "the graph has {} inputs for {width} features",
                columns.len()
            )));
        }
        Inputs::Columns(columns)
    };
    let typed = model.into_typed().map_err(load_err)?;
    let output = probabilities_output(&typed, batch)?;
    let plan = typed
        .into_optimized()
        .map_err(load_err)?
        .into_runnable()
        .map_err(load_err)?;
    Ok(Classifier {
        plan,
        inputs,
        output,
        width,
        batch,
    })
}

/// The feature count a `[N, F]` graph input declares, when it declares one.
/// Checked before tract sees the card's width, so a mismatch is reported as
/// such rather than as a shape error deep in the graph.
fn declared_width(model: &InferenceModel) -> Result<Option<usize>, InferenceError> {
    let fact = model.input_fact(0).map_err(load_err)?;
    Ok(fact
        .shape
        .dim(1)
        .and_then(|d| d.concretize())
        .and_then(|d| d.to_usize().ok()))
}

/// The output holding probabilities: named `probabilities` if there is one
/// (skl2onnx also outputs `label`), else the only `[N, 3]` float output.
fn probabilities_output(model: &TypedModel, batch: usize) -> Result<usize, InferenceError> {
    let outputs = model.output_outlets().map_err(load_err)?;
    let mut candidates = Vec::new();
    for (i, outlet) in outputs.iter().enumerate() {
        let fact = model.outlet_fact(*outlet).map_err(load_err)?;
        let shape: Option<Vec<usize>> = fact.shape.as_concrete().map(|s| s.to_vec());
        if fact.datum_type == f32::datum_type() && shape.as_deref() == Some(&[batch, 3]) {
            let name = model
                .outlet_label(*outlet)
                .unwrap_or(&model.node(outlet.node).name)
                .to_string();
            candidates.push((i, name));
        }
    }
    candidates
        .iter()
        .find(|(_, name)| name == "probabilities")
        .or(candidates.first())
        .map(|(i, _)| *i)
        .ok_or(InferenceError::NoProbabilities)
}

impl Classifier {
    pub fn batch(&self) -> usize {
        self.batch
    }

    pub fn width(&self) -> usize {
        self.width
    }

    /// Probabilities (home, draw, away) for exactly `batch` rows, each of
    /// `width` features in card order (NaN where unknown, if the model fills
    /// missing values itself). Every row is checked: finite, within [0, 1],
    /// summing to 1 within [`SUM_TOLERANCE`].
    pub fn predict(&self, rows: &[Vec<f32>]) -> Result<Vec<[f32; 3]>, InferenceError> {
        if rows.len() != self.batch || rows.iter().any(|r| r.len() != self.width) {
            return Err(InferenceError::Run(format!(
                "expected {} rows of {} features",
                self.batch, self.width
            )));
        }
        let run_err = |e: TractError| InferenceError::Run(format!("{e:#}"));
        let inputs: TVec<TValue> = match &self.inputs {
            Inputs::Matrix => {
                let data: Vec<f32> = rows.iter().flatten().copied().collect();
                tvec!(
                    Tensor::from_shape(&[self.batch, self.width], &data)
                        .map_err(run_err)?
                        .into()
                )
            }
            Inputs::Columns(columns) => columns
                .iter()
                .map(|&c| {
                    let data: Vec<f32> = rows.iter().map(|r| r[c]).collect();
                    Tensor::from_shape(&[self.batch, 1], &data).map(TValue::from)
                })
                .collect::<TractResult<_>>()
                .map_err(run_err)?,
        };
        let outputs = self.plan.run(inputs).map_err(run_err)?;
        let view = outputs[self.output]
            .to_plain_array_view::<f32>()
            .map_err(run_err)?;
        let mut probabilities = Vec::with_capacity(self.batch);
        for (row, p) in view.rows().into_iter().enumerate() {
            let p = [p[0], p[1], p[2]];
            if p.iter()
                .any(|x| !x.is_finite() || *x < -SUM_TOLERANCE || *x > 1.0 + SUM_TOLERANCE)
            {
                return Err(InferenceError::BadOutput {
                    row,
                    detail: format!("{p:?} is not a probability vector"),
                });
            }
            let sum: f32 = p.iter().sum();
            if (sum - 1.0).abs() > SUM_TOLERANCE {
                return Err(InferenceError::BadOutput {
                    row,
                    detail: format!("probabilities sum to {sum}"),
                });
            }
            probabilities.push(p);
        }
        Ok(probabilities)
    }
}
