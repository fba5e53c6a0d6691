//! The model families the pipeline can train, behind one interface: fit on
//! named feature columns, predict 1X2 probabilities, export ONNX.
//!
//! - [`ModelSpec`]: what to train (a name, a feature set, the family and its
//!   parameters) — what CV scores, tuning varies and the card records.
//! - [`Fitted`]: a trained model plus its temperature (calibration).

pub mod balance;
pub mod blend;
pub mod gbdt;
pub mod goals;

use serde::{Deserialize, Serialize};

use crate::calibration;
use crate::features::FeatureTable;
use crate::linear::{LogitParams, MultinomialLogit};
use crate::onnx::{self, OnnxOptions};
use crate::{MlError, Result};
use balance::Balance;
use blend::{BlendModel, BlendParams};
use gbdt::{GbdtModel, GbdtParams};
use goals::{GoalsModel, GoalsParams};
use matchday_core::domain::Score;

/// Which columns of the feature table a model reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeatureSet {
    /// Every column.
    Full,
    /// Only the rolling-window form differences (the seed's family).
    RollingOnly,
    /// Only `diff_elo`.
    EloOnly,
    /// Exactly these columns, in this order.
    Named(Vec<String>),
}

impl FeatureSet {
    /// The column names, in table order (or the given order for `Named`).
    pub fn resolve(&self, table_names: &[String]) -> Vec<String> {
        let keep = |f: &dyn Fn(&str) -> bool| {
            table_names
                .iter()
                .filter(|n| f(n))
                .cloned()
                .collect::<Vec<_>>()
        };
        match self {
            FeatureSet::Full => table_names.to_vec(),
            FeatureSet::RollingOnly => keep(&|n| n.starts_with("diff_") && n.ends_with("_mean")),
            FeatureSet::EloOnly => keep(&|n| n == "diff_elo"),
            FeatureSet::Named(names) => names.clone(),
        }
    }
}

/// Model family and its parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "family", rename_all = "snake_case")]
pub enum ModelParams {
    Logit(LogitParams),
    Gbdt(GbdtParams),
    Blend(BlendParams),
    Goals(GoalsParams),
}

impl ModelParams {
    /// Per-row inference cost, in order: the logit (one MatMul), the logit
    /// and the score model (a few MatMuls over a 121-cell grid), the trees
    /// (a few gathers per level), the blend (logit and trees). In the predict
    /// component the logit, the trees and the blend take 0.03, 0.12 and
    /// 0.13 ms (`docs/benchmarks.md`); natively the goals pool runs a row in
    /// 0.018 ms against the logit's 0.006 and the trees' 0.036 (`evaluate`).
    pub fn serving_cost_rank(&self) -> u8 {
        match self {
            ModelParams::Logit(_) => 0,
            ModelParams::Goals(_) => 1,
            ModelParams::Gbdt(_) => 2,
            ModelParams::Blend(_) => 3,
        }
    }

    pub fn model_type(&self) -> &'static str {
        match self {
            ModelParams::Logit(_) => "multinomial_logistic_regression",
            ModelParams::Gbdt(_) => "gradient_boosted_trees",
            ModelParams::Blend(_) => "logit_and_gradient_boosted_trees",
            ModelParams::Goals(_) => "logit_and_poisson_goals",
        }
    }
}

/// What to train.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelSpec {
    pub name: String,
    pub features: FeatureSet,
    pub params: ModelParams,
    /// The model appends the sizes of the strength differences among its
    /// inputs to them ([`balance`]).
    #[serde(default)]
    pub balance: bool,
}

impl ModelSpec {
    pub fn logit(name: &str, features: FeatureSet, params: LogitParams) -> Self {
        Self {
            name: name.to_string(),
            features,
            params: ModelParams::Logit(params),
            balance: false,
        }
    }

    pub fn gbdt(name: &str, features: FeatureSet, params: GbdtParams) -> Self {
        Self {
            name: name.to_string(),
            features,
            params: ModelParams::Gbdt(params),
            balance: false,
        }
    }

    pub fn blend(name: &str, features: FeatureSet, params: BlendParams) -> Self {
        Self {
            name: name.to_string(),
            features,
            params: ModelParams::Blend(params),
            balance: false,
        }
    }

    pub fn goals(name: &str, features: FeatureSet, params: GoalsParams) -> Self {
        Self {
            name: name.to_string(),
            features,
            params: ModelParams::Goals(params),
            balance: false,
        }
    }

    /// The same spec with [`Self::balance`] on.
    pub fn with_balance(self) -> Self {
        Self {
            balance: true,
            ..self
        }
    }

    /// Fit on the rows `train` of `table` (final scores parallel to
    /// `train`; most families read only their 1X2 class).
    pub fn fit(&self, table: &FeatureTable, train: &[usize], scores: &[Score]) -> Result<Fitted> {
        let names = self.features.resolve(&table.names);
        if names.is_empty() {
            return Err(MlError::InvalidConfig(format!(
                "model `{}` selects no feature",
                self.name
            )));
        }
        let columns = table.columns(&names)?;
        let mut rows: Vec<Vec<f64>> = train
            .iter()
            .map(|&i| pick(&table.rows[i], &columns))
            .collect();
        let balance = if self.balance {
            let refs: Vec<&[f64]> = rows.iter().map(|r| r.as_slice()).collect();
            Balance::fit(&names, &refs)
        } else {
            None
        };
        if let Some(b) = &balance {
            rows = rows.iter().map(|r| b.expand(r)).collect();
        }
        let refs: Vec<&[f64]> = rows.iter().map(|r| r.as_slice()).collect();
        let labels: Vec<usize> = scores.iter().map(|s| s.class()).collect();
        let model = match &self.params {
            ModelParams::Logit(p) => Trained::Logit(MultinomialLogit::fit(&refs, &labels, p)?),
            ModelParams::Gbdt(p) => Trained::Gbdt(GbdtModel::fit(&refs, &labels, p)?),
            ModelParams::Blend(p) => Trained::Blend(BlendModel::fit(&refs, &labels, p)?),
            ModelParams::Goals(p) => Trained::Goals(GoalsModel::fit(&refs, scores, p)?),
        };
        Ok(Fitted {
            spec: self.clone(),
            feature_names: names,
            columns,
            balance,
            model,
            temperature: 1.0,
        })
    }
}

fn pick(row: &[f64], columns: &[usize]) -> Vec<f64> {
    columns.iter().map(|&c| row[c]).collect()
}

/// A trained model of one of the families.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "family", rename_all = "snake_case")]
pub enum Trained {
    Logit(MultinomialLogit),
    Gbdt(GbdtModel),
    Blend(BlendModel),
    Goals(GoalsModel),
}

/// A trained model, the columns it reads and its temperature.
#[derive(Debug, Clone, PartialEq)]
pub struct Fitted {
    pub spec: ModelSpec,
    /// In model-input order (the card's and the ONNX input's).
    pub feature_names: Vec<String>,
    /// Their indices in the table it was trained on.
    pub columns: Vec<usize>,
    /// Sizes the model appends to its inputs (`None`: it reads them as they are).
    pub balance: Option<Balance>,
    pub model: Trained,
    /// Logits are divided by this (1 = uncalibrated).
    pub temperature: f64,
}

/// `row` with each NaN replaced by its column's fill value (the training
/// mean): how every model, and every graph that fills, sees a missing input.
pub fn filled<'a>(row: &'a [f64], fill: &'a [f64]) -> impl Iterator<Item = f64> + 'a {
    row.iter()
        .zip(fill)
        .map(|(&v, &f)| if v.is_nan() { f } else { v })
}

impl Fitted {
    /// Probabilities of one model-input row (feature-name order).
    pub fn predict_row(&self, row: &[f64]) -> Result<[f64; 3]> {
        let expanded;
        let row = match &self.balance {
            Some(b) => {
                expanded = b.expand(row);
                &expanded
            }
            None => row,
        };
        let p = match &self.model {
            Trained::Logit(m) => m.predict_proba(row)?,
            Trained::Gbdt(m) => m.predict_proba(row)?,
            Trained::Blend(m) => m.predict_proba(row)?,
            Trained::Goals(m) => m.predict_proba(row)?,
        };
        Ok(calibration::apply_temperature(p, self.temperature))
    }

    /// Probabilities of table rows `idx` (a table with the training columns).
    pub fn predict(&self, table: &FeatureTable, idx: &[usize]) -> Result<Vec<[f64; 3]>> {
        idx.iter()
            .map(|&i| self.predict_row(&pick(&table.rows[i], &self.columns)))
            .collect()
    }

    /// Training means, the NaN fill, in input order.
    pub fn fill_values(&self) -> &[f64] {
        if let Some(b) = &self.balance {
            return &b.fill_values;
        }
        match &self.model {
            Trained::Logit(m) => &m.standardizer.fill_values,
            Trained::Gbdt(m) => &m.fill_values,
            // Both parts fill with the same training means.
            Trained::Blend(m) => &m.gbdt.fill_values,
            Trained::Goals(m) => &m.logit.standardizer.fill_values,
        }
    }

    /// The ONNX graph of this model (temperature folded in).
    pub fn to_onnx(&self, options: &OnnxOptions, metadata: &[(String, String)]) -> Result<Vec<u8>> {
        let inputs = onnx::GraphInputs {
            names: &self.feature_names,
            balance: self.balance.as_ref(),
        };
        match &self.model {
            Trained::Logit(m) => {
                let scaled = calibration::scale_logit(m, self.temperature);
                onnx::export_logit(&scaled, &inputs, options, metadata)
            }
            Trained::Gbdt(m) => onnx::export_gbdt(m, self.temperature, &inputs, options, metadata),
            Trained::Blend(m) => {
                onnx::export_blend(m, self.temperature, &inputs, options, metadata)
            }
            Trained::Goals(m) => {
                onnx::export_goals(m, self.temperature, &inputs, options, metadata)
            }
        }
    }
}
