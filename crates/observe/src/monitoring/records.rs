//! The monitoring records: what the sidecar computes, `admin` stores and
//! the `monitoring` component serves. One definition for all three, so the
//! JSON a client reads is the JSON the sidecar wrote, field for field.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Latest drift summary (JSON [`DriftSummary`]).
pub const DRIFT_LATEST: &str = "monitoring/drift/latest";
/// Latest quality summary (JSON [`QualitySummary`]).
pub const QUALITY_LATEST: &str = "monitoring/quality/latest";
/// Stored reports, newest first (JSON `Vec<ReportEntry>`).
pub const REPORT_INDEX: &str = "monitoring/reports/index";

/// The HTML of a stored report.
pub fn report_key(name: &str) -> String {
    format!("monitoring/reports/html/{name}")
}

/// A span of matches (kick-off times, RFC 3339) and how many there were.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Window {
    pub from: Option<String>,
    pub to: Option<String>,
    pub n: usize,
}

/// Per-feature verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeatureStatus {
    Ok,
    /// Moderate shift: worth a look, not an alert.
    Warn,
    Drift,
}

/// How a feature compares between the reference and the current window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureDrift {
    pub feature: String,
    /// Population stability index over the reference's bins.
    pub psi: f64,
    /// Two-sample Kolmogorov-Smirnov statistic (largest CDF gap) and its
    /// asymptotic p-value, on the known (non-missing) values.
    pub ks_statistic: f64,
    pub ks_p_value: f64,
    pub status: FeatureStatus,
    pub reference_mean: Option<f64>,
    pub current_mean: Option<f64>,
    pub reference_missing_share: f64,
    pub current_missing_share: f64,
}

/// The thresholds a drift report applied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DriftThresholds {
    /// PSI at or above which a feature is `warn`.
    pub psi_warn: f64,
    /// PSI at or above which a feature drifts.
    pub psi_drift: f64,
    /// KS: a feature drifts when the p-value is below this ...
    pub ks_alpha: f64,
    /// ... and the statistic is at least this (large samples make tiny,
    /// harmless shifts significant).
    pub ks_min_statistic: f64,
    /// Share of drifting features from which the data set counts as drifted.
    pub dataset_share: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DriftSummary {
    /// Share of the model's features that drift (0..1).
    pub drift_score: f64,
    pub dataset_drift: bool,
    pub n_features: usize,
    pub n_drifted: usize,
    pub features: Vec<FeatureDrift>,
    pub reference_window: Window,
    pub current_window: Window,
    pub thresholds: DriftThresholds,
    /// The model whose training data is the reference.
    pub model_run_id: Option<String>,
    pub created_at: String,
    /// Name of the HTML report (set by `admin` when it stores it).
    #[serde(default)]
    pub report: Option<String>,
}

/// Scores of one forecaster on a set of finished matches.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Scores {
    pub n: usize,
    pub log_loss: f64,
    pub rps: f64,
    pub brier: f64,
    pub ece: f64,
    /// Share of matches whose most probable outcome happened.
    pub hit_rate: f64,
}

/// The model next to the bookmaker on the matches both priced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MarketComparison {
    pub n: usize,
    pub model: Scores,
    pub bookmaker: Scores,
    /// Odds source label (`PS closing`) → matches priced by it.
    pub sources: BTreeMap<String, usize>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QualitySummary {
    /// The model evaluated (the champion's run id).
    pub model_run_id: String,
    /// Its training data ended here: every match evaluated kicked off later.
    pub trained_as_of: String,
    /// Matches evaluated: finished since `trained_as_of`.
    pub window: Window,
    /// Predictions of finished matches (in the window) that had no result
    /// to score yet, or no prediction: not counted.
    pub n_unscored: usize,
    /// The model on every finished match of the window (`None` when there is none yet).
    pub model: Option<Scores>,
    /// The model and the bookmaker on the subset with usable odds.
    pub market: Option<MarketComparison>,
    pub created_at: String,
    #[serde(default)]
    pub report: Option<String>,
}

/// The kinds of stored report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    Drift,
    Quality,
}

impl ReportKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ReportKind::Drift => "drift",
            ReportKind::Quality => "quality",
        }
    }

    pub fn latest_key(self) -> &'static str {
        match self {
            ReportKind::Drift => DRIFT_LATEST,
            ReportKind::Quality => QUALITY_LATEST,
        }
    }
}

/// One row of `GET /monitoring/reports`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportEntry {
    pub name: String,
    pub kind: ReportKind,
    pub created_at: String,
    pub url: String,
    pub bytes: usize,
}
