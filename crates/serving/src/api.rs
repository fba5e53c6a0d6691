//! The response bodies of the `predict` group, as typed structs (the seed's
//! `PredictResponse`, `ModelInfoResponse`, `AsyncPredictResponse` and task
//! status, with the fields this issue adds). They derive `Deserialize` too,
//! so tests and clients parse exactly what the server writes.

use crate::card::{CardFeature, Metrics};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `POST /predict/` and `GET /predict/{match_id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PredictResponse {
    pub match_id: Option<i64>,
    /// True when the prediction came from the prediction cache.
    pub cached: bool,
    /// When the published features were computed (the pipeline run of the
    /// live data version); null for inline features.
    pub features_computed_at: Option<String>,
    /// Whether the answering model had not learned from this match's result
    /// (`matchday_core::window::out_of_sample`): `false` when its run's list
    /// of training matches, which the data version carries when that run
    /// published it, has the match; `true` when it cannot have learned it (a
    /// fixture, a match not on the list, a kick-off outside the card's
    /// window); null when that cannot be told (inline features, another
    /// run's model inside its window, a card without a window, data
    /// published without the list or before the record envelope).
    #[serde(default)]
    pub out_of_sample: Option<bool>,
    pub prediction: Prediction,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    /// `home_win`, `draw` or `away_win`: the most probable outcome.
    pub predicted_class: String,
    pub probabilities: Probabilities,
    /// Registry version of the model that answered.
    pub model_version: String,
    /// The alias it was reached through (`champion`, `challenger`).
    pub model_stage: String,
    pub model_run_id: String,
}

/// Finite, each in [0, 1], summing to 1 within 1e-6.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Probabilities {
    pub home_win: f64,
    pub draw: f64,
    pub away_win: f64,
}

impl Probabilities {
    pub fn from_array(p: [f64; 3]) -> Self {
        Probabilities {
            home_win: p[0],
            draw: p[1],
            away_win: p[2],
        }
    }

    pub fn as_array(&self) -> [f64; 3] {
        [self.home_win, self.draw, self.away_win]
    }

    /// The most probable class label (ties go to the earlier class).
    pub fn predicted_class(&self) -> &'static str {
        let p = self.as_array();
        let best = (1..3).fold(0, |best, i| if p[i] > p[best] { i } else { best });
        crate::card::CLASS_LABELS[best]
    }
}

/// `GET /predict/model/info`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelInfo {
    pub model_name: String,
    /// Registry version.
    pub version: String,
    /// The alias asked for.
    pub stage: String,
    pub run_id: String,
    /// The card's own version (the model definition).
    pub card_version: String,
    pub model_type: Option<String>,
    /// Holdout scores from the card.
    pub metrics: Metrics,
    /// Training parameters, flattened to `dotted.key → text`.
    pub params: BTreeMap<String, String>,
    /// Input order.
    pub feature_names: Vec<String>,
    /// Input order, with types and the values missing inputs are filled with.
    pub features: Vec<CardFeature>,
    pub missing_values: Option<String>,
    pub data_window: serde_json::Value,
    /// When the model was trained (card).
    pub created_at: String,
    /// When admin registered it, and when the alias last moved.
    pub registered_at: Option<String>,
    pub alias_set_at: String,
}

/// `POST /predict/async/` → 202.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AsyncAccepted {
    pub task_id: String,
    /// Always `submitted`.
    pub status: String,
    pub status_url: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum TaskState {
    /// Part of the seed's schema; never returned here, because a task runs
    /// to completion before its id is handed out.
    Pending,
    Success,
    Failure,
}

/// `GET /monitoring/task_status/{task_id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskStatus {
    pub task_id: String,
    pub status: TaskState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<PredictResponse>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<TaskError>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskError {
    pub code: String,
    pub message: String,
}
