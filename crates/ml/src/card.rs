//! The model card: everything a server or a reviewer needs to use or judge
//! a model file without the code that trained it (JSON, next to the ONNX).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use matchday_core::domain::{Match, OddsQuote};
use serde::{Deserialize, Serialize};

use crate::bookmaker::ImpliedMethod;
use crate::features::StatsById;
use crate::features::dixon_coles::DixonColesParams;
use crate::features::elo::EloParams;
use crate::features::pi_rating::PiParams;
use crate::linear::FitInfo;
use crate::metrics::Scores;
use crate::models::ModelParams;
use crate::onnx::MissingValues;
use crate::selection::SelectionRecord;
use crate::split::visible_score;

/// One dimension of a tensor: fixed, or symbolic (`"N"`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Dim {
    Fixed(usize),
    Symbolic(String),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TensorSpec {
    pub name: String,
    pub dtype: String,
    pub shape: Vec<Dim>,
}

/// One model input column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureSpec {
    pub name: String,
    /// Type in the ONNX input (the trainer computes in f64).
    pub dtype: String,
    /// Training mean; what a missing (NaN) value is replaced by.
    pub fill_value: f64,
}

/// Everything that determines the model, besides the data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CardParams {
    pub windows: Vec<usize>,
    #[serde(default)]
    pub shot_windows: Vec<usize>,
    #[serde(default)]
    pub stat_strength: Option<DixonColesParams>,
    pub elo: EloParams,
    pub pi: PiParams,
    pub dixon_coles: DixonColesParams,
    /// The chosen model's family and hyper-parameters.
    pub model: ModelParams,
    /// Logits are divided by this (temperature calibration; 1 = none).
    pub temperature: f64,
    pub implied_method: ImpliedMethod,
    pub onnx_opset: i64,
    pub onnx_ir_version: i64,
}

/// Which matches trained and tested the model. `*_from`/`*_to` are the first
/// and last kick-offs actually in each split.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataWindow {
    pub as_of: DateTime<Utc>,
    pub split_date: DateTime<Utc>,
    /// First and last kick-off the served weights were fitted on: every
    /// finished match up to `as_of`, the test split included.
    pub train_from: Option<DateTime<Utc>>,
    pub train_to: Option<DateTime<Utc>>,
    pub test_from: Option<DateTime<Utc>>,
    pub test_to: Option<DateTime<Utc>>,
    pub n_train: usize,
    /// The test metrics score the same recipe fitted on the training split
    /// alone (`holdout_n_train` matches, the last at `holdout_train_to`);
    /// the served fit has no later matches to be scored on. Absent from
    /// cards written before the served fit took in the test split.
    #[serde(default)]
    pub holdout_train_to: Option<DateTime<Utc>>,
    #[serde(default)]
    pub holdout_n_train: usize,
    pub n_test: usize,
    /// No known result at `as_of` (future fixtures, postponed matches).
    pub n_unlabeled: usize,
    /// Kick-off after `as_of`.
    pub n_future: usize,
}

/// Model, bookmaker and naive forecasts on the same test matches (those
/// with a usable quote).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BookmakerComparison {
    pub method: ImpliedMethod,
    /// Source label (`PS closing`) → number of these matches priced by it.
    pub sources: BTreeMap<String, usize>,
    pub model: Scores,
    pub bookmaker: Scores,
    /// Training-split class frequencies, the same for every match.
    pub naive: Scores,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelCard {
    pub name: String,
    /// Version of the model definition (features, graph, card layout).
    pub version: String,
    /// Hash of the data and parameters: same inputs, same run id.
    pub run_id: String,
    pub created_at: DateTime<Utc>,
    pub model_type: String,
    pub input: TensorSpec,
    pub output: TensorSpec,
    /// In input-column order.
    pub features: Vec<FeatureSpec>,
    pub missing_values: MissingValues,
    /// Output columns, in order.
    pub class_labels: Vec<String>,
    pub params: CardParams,
    pub data_window: DataWindow,
    /// Newton's convergence record (logistic regression only).
    pub fit: Option<FitInfo>,
    /// The candidates, their CV scores, the chosen one and why.
    pub selection: Option<SelectionRecord>,
    /// The model on the whole test split (`None` when it is empty).
    pub test_metrics: Option<Scores>,
    /// Training class frequencies on the whole test split.
    pub naive_test_metrics: Option<Scores>,
    pub bookmaker_comparison: Option<BookmakerComparison>,
}

impl ModelCard {
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a card always serialises")
    }

    pub fn from_json(json: &str) -> serde_json::Result<Self> {
        serde_json::from_str(json)
    }

    /// Fill values in input order, for servers that fill before inference.
    pub fn fill_values(&self) -> Vec<f64> {
        self.features.iter().map(|f| f.fill_value).collect()
    }
}

/// FNV-1a, 64 bits: stable across platforms and releases.
struct Fnv(u64);

impl Fnv {
    fn new() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }

    fn bytes(mut self, bytes: &[u8]) -> Self {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
        self
    }

    fn field(self, bytes: &[u8]) -> Self {
        // The separator keeps ("ab", "c") and ("a", "bc") apart.
        self.bytes(bytes).bytes(&[0x1f])
    }
}

/// `run-<16 hex>` from the data visible at `as_of` and the parameters:
/// matches, their results and the post-match statistics that feed the shot
/// features (both only once the result is visible), and odds.
///
/// Per-record hashes are combined by wrapping addition, so the id doesn't
/// depend on the order the store returns rows in.
pub fn run_id(
    matches: &[Match],
    stats: &StatsById,
    odds: &[OddsQuote],
    as_of: DateTime<Utc>,
    params: &str,
) -> String {
    let mut combined: u64 = 0;
    for m in matches {
        let score = visible_score(m, as_of);
        let mut h = Fnv::new()
            .field(b"match")
            .field(&m.id.to_le_bytes())
            .field(&m.kickoff.timestamp().to_le_bytes())
            .field(m.home_team.as_bytes())
            .field(m.away_team.as_bytes())
            .field(m.season.as_bytes())
            .field(&score.map_or([u8::MAX; 2], |s| [s.home, s.away]));
        if let Some(s) = stats.get(&m.id).filter(|_| score.is_some()) {
            h = h.field(b"stats");
            for pair in [s.shots, s.shots_on_target, s.corners] {
                let [home, away] = pair.unwrap_or([u16::MAX; 2]);
                h = h.field(&[home.to_le_bytes(), away.to_le_bytes()].concat());
            }
        }
        combined = combined.wrapping_add(h.0);
    }
    for q in odds {
        let h = Fnv::new()
            .field(b"odds")
            .field(&q.match_id.to_le_bytes())
            .field(q.bookmaker.as_bytes())
            .field(q.kind.as_str().as_bytes())
            .field(&q.home.to_bits().to_le_bytes())
            .field(&q.draw.to_bits().to_le_bytes())
            .field(&q.away.to_bits().to_le_bytes());
        combined = combined.wrapping_add(h.0);
    }
    let h = Fnv::new()
        .field(&combined.to_le_bytes())
        .field(&(matches.len() as u64).to_le_bytes())
        .field(&(odds.len() as u64).to_le_bytes())
        .field(&as_of.timestamp().to_le_bytes())
        .field(params.as_bytes());
    format!("run-{:016x}", h.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::{SyntheticConfig, generate};
    use matchday_core::domain::MatchStats;

    #[test]
    fn run_id_is_stable_order_free_and_sensitive() {
        let data = generate(&SyntheticConfig::default());
        let stats = StatsById::new();
        let as_of = data.matches.last().unwrap().kickoff;
        let id = run_id(&data.matches, &stats, &data.odds, as_of, "p");
        assert!(id.starts_with("run-") && id.len() == 20);
        let mut reversed = data.matches.clone();
        reversed.reverse();
        assert_eq!(run_id(&reversed, &stats, &data.odds, as_of, "p"), id);
        assert_ne!(run_id(&data.matches, &stats, &data.odds, as_of, "q"), id);
        let mut changed = data.matches.clone();
        changed[5].score = None;
        assert_ne!(run_id(&changed, &stats, &data.odds, as_of, "p"), id);
    }

    /// The shot features read the statistics, so a corrected count is a
    /// different run; statistics of matches whose result `as_of` cannot see
    /// are not read, so they change nothing.
    #[test]
    fn run_id_covers_the_statistics_the_features_read() {
        let data = generate(&SyntheticConfig::default());
        let stats: StatsById = data
            .matches
            .iter()
            .map(|m| {
                let s = MatchStats {
                    shots: Some([12, 9]),
                    shots_on_target: Some([5, 3]),
                    corners: None,
                };
                (m.id, s)
            })
            .collect();
        let as_of = data.matches[data.matches.len() / 2].kickoff;
        let id = run_id(&data.matches, &stats, &data.odds, as_of, "p");
        assert_ne!(
            run_id(&data.matches, &StatsById::new(), &data.odds, as_of, "p"),
            id
        );
        let first = |visible: bool| {
            data.matches
                .iter()
                .find(|m| visible_score(m, as_of).is_some() == visible)
                .expect("matches on both sides of as_of")
                .id
        };
        let mut corrected = stats.clone();
        corrected.get_mut(&first(true)).unwrap().corners = Some([4, 6]);
        assert_ne!(
            run_id(&data.matches, &corrected, &data.odds, as_of, "p"),
            id
        );
        let mut unread = stats.clone();
        unread.remove(&first(false));
        assert_eq!(run_id(&data.matches, &unread, &data.odds, as_of, "p"), id);
    }
}
