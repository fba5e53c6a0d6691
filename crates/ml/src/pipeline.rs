//! The whole baseline in one call, for the sidecar CLI: features → split →
//! fit → predict every match → evaluate against the market and the naive
//! forecast → ONNX + model card.

mod report;

use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use matchday_core::domain::{Match, OddsQuote};
use serde::{Deserialize, Serialize};

use crate::bookmaker::{self, ImpliedMethod};
use crate::card::{
    self, BookmakerComparison, CardParams, DataWindow, Dim, FeatureSpec, ModelCard, TensorSpec,
};
use crate::features::elo::EloParams;
use crate::features::{FeatureConfig, FeatureTable, build_features};
use crate::linear::{LogitParams, MultinomialLogit};
use crate::metrics::{Scores, argmax, evaluate};
use crate::onnx::{self, OnnxOptions};
use crate::split::{Role, TemporalSplit, is_future, temporal_split, visible_score};
use crate::{CLASS_LABELS, MlError, Result};

pub use report::PipelineReport;

/// Name of the baseline model in cards and registries.
pub const MODEL_NAME: &str = "matchday-1x2-logit";
/// Bumped when the features, the graph or the card layout change.
pub const MODEL_VERSION: &str = "0.1.0";

/// Settings of one run. `Default` suits all of `shared/data/football-data`
/// (2005-06 … 2022-23): test split = 2021-22 and 2022-23 up to 1 April 2023,
/// the rest of 2022-23 treated as upcoming fixtures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PipelineConfig {
    /// Results after this instant are unknown; those matches are "future".
    pub as_of: DateTime<Utc>,
    /// First kick-off of the test split.
    pub split_date: DateTime<Utc>,
    /// Rolling-form windows.
    pub windows: Vec<usize>,
    pub elo: EloParams,
    pub logit: LogitParams,
    pub implied_method: ImpliedMethod,
    pub onnx: OnnxOptions,
    pub model_name: String,
    /// Card timestamp; `None` = now. Not part of the run id.
    pub created_at: Option<DateTime<Utc>>,
}

impl Default for PipelineConfig {
    fn default() -> Self {
        Self {
            as_of: Utc.with_ymd_and_hms(2023, 4, 1, 0, 0, 0).unwrap(),
            split_date: Utc.with_ymd_and_hms(2021, 7, 1, 0, 0, 0).unwrap(),
            windows: vec![5],
            elo: EloParams::default(),
            logit: LogitParams::default(),
            implied_method: ImpliedMethod::default(),
            onnx: OnnxOptions::default(),
            model_name: MODEL_NAME.to_string(),
            created_at: None,
        }
    }
}

impl PipelineConfig {
    pub fn feature_config(&self) -> FeatureConfig {
        FeatureConfig {
            windows: self.windows.clone(),
            elo: self.elo,
            ..FeatureConfig::default()
        }
    }

    /// The parameters that shape the model, as hashed into the run id.
    fn fingerprint(&self) -> String {
        let mut c = self.clone();
        c.created_at = None;
        serde_json::to_string(&c).expect("config serialises")
    }
}

/// Pipeline steps, for progress and timings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Features,
    Split,
    Train,
    Predict,
    Evaluate,
    Export,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Features => "features",
            Stage::Split => "split",
            Stage::Train => "train",
            Stage::Predict => "predict",
            Stage::Evaluate => "evaluate",
            Stage::Export => "export",
        }
    }
}

/// Reported once per stage, when it ends.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgressEvent {
    pub stage: Stage,
    pub elapsed: Duration,
    /// One human line: what the stage produced.
    pub detail: String,
}

/// The forecast for one match.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PredictionRow {
    pub match_id: i64,
    /// (home win, draw, away win).
    pub proba: [f64; 3],
    pub predicted_class: usize,
    /// Kick-off after `as_of`.
    pub is_future: bool,
    pub role: Role,
}

#[derive(Debug, Clone)]
pub struct PipelineOutput {
    pub features: FeatureTable,
    pub split: TemporalSplit,
    pub model: MultinomialLogit,
    pub card: ModelCard,
    pub onnx_bytes: Vec<u8>,
    /// One per input match, in input order.
    pub predictions: Vec<PredictionRow>,
    pub report: PipelineReport,
}

/// Run the baseline on `matches` (any order; ids unique) and their `odds`.
pub fn run(
    matches: &[Match],
    odds: &[OddsQuote],
    config: &PipelineConfig,
    progress: &mut dyn FnMut(&ProgressEvent),
) -> Result<PipelineOutput> {
    let total = Instant::now();
    let mut timings = Vec::new();
    let mut stage = |stage: Stage, started: Instant, detail: String| {
        let event = ProgressEvent {
            stage,
            elapsed: started.elapsed(),
            detail,
        };
        timings.push((stage, event.elapsed));
        progress(&event);
    };

    let t = Instant::now();
    let features = build_features(matches, config.as_of, &config.feature_config())?;
    stage(
        Stage::Features,
        t,
        format!(
            "{} rows × {} features",
            features.len(),
            features.names.len()
        ),
    );

    let t = Instant::now();
    let split = temporal_split(matches, config.split_date, config.as_of)?;
    let labels_of = |idx: &[usize]| -> Vec<usize> {
        idx.iter()
            .map(|&i| {
                visible_score(&matches[i], config.as_of)
                    .expect("split keeps finished matches")
                    .class()
            })
            .collect()
    };
    let train_labels = labels_of(&split.train);
    let test_labels = labels_of(&split.test);
    stage(
        Stage::Split,
        t,
        format!(
            "train {}, test {}, unlabeled {}",
            split.train.len(),
            split.test.len(),
            split.unlabeled.len()
        ),
    );
    if split.train.is_empty() {
        return Err(MlError::EmptyTrainingSet(config.split_date.to_rfc3339()));
    }

    let t = Instant::now();
    let train_rows: Vec<&[f64]> = split
        .train
        .iter()
        .map(|&i| features.rows[i].as_slice())
        .collect();
    let model = MultinomialLogit::fit(&train_rows, &train_labels, &config.logit)?;
    stage(
        Stage::Train,
        t,
        format!(
            "{} Newton iterations, objective {:.5}",
            model.fit_info.iterations, model.fit_info.objective
        ),
    );

    let t = Instant::now();
    let probs = model.predict_many(&features.rows)?;
    let roles = split.roles(matches.len());
    let predictions: Vec<PredictionRow> = matches
        .iter()
        .zip(&probs)
        .zip(&roles)
        .map(|((m, p), &role)| PredictionRow {
            match_id: m.id,
            proba: *p,
            predicted_class: argmax(p),
            is_future: is_future(m, config.as_of),
            role,
        })
        .collect();
    stage(
        Stage::Predict,
        t,
        format!("{} predictions", predictions.len()),
    );

    let t = Instant::now();
    let evaluation = evaluate_test(
        matches,
        odds,
        config,
        &split,
        &probs,
        &train_labels,
        &test_labels,
    )?;
    stage(
        Stage::Evaluate,
        t,
        evaluation.test.map_or("empty test split".into(), |s| {
            format!("test n={} RPS {:.4} log-loss {:.4}", s.n, s.rps, s.log_loss)
        }),
    );

    let t = Instant::now();
    let run_id = card::run_id(matches, odds, config.as_of, &config.fingerprint());
    let card = build_card(
        matches,
        config,
        &split,
        &features,
        &model,
        &evaluation,
        &run_id,
    );
    let metadata = [
        ("run_id".to_string(), run_id.clone()),
        ("class_labels".to_string(), CLASS_LABELS.join(",")),
        ("feature_names".to_string(), features.names.join(",")),
    ];
    let onnx_bytes = onnx::export_logit(&model, &features.names, &config.onnx, &metadata)?;
    stage(Stage::Export, t, format!("{} ONNX bytes", onnx_bytes.len()));

    let report = PipelineReport {
        run_id,
        n_matches: matches.len(),
        n_train: split.train.len(),
        n_test: split.test.len(),
        n_unlabeled: split.unlabeled.len(),
        n_future: card.data_window.n_future,
        test: evaluation.test,
        naive_test: evaluation.naive_test,
        comparison: evaluation.comparison,
        timings,
        total: total.elapsed(),
    };
    Ok(PipelineOutput {
        features,
        split,
        model,
        card,
        onnx_bytes,
        predictions,
        report,
    })
}

struct TestEvaluation {
    test: Option<Scores>,
    naive_test: Option<Scores>,
    comparison: Option<BookmakerComparison>,
}

fn evaluate_test(
    matches: &[Match],
    odds: &[OddsQuote],
    config: &PipelineConfig,
    split: &TemporalSplit,
    probs: &[[f64; 3]],
    train_labels: &[usize],
    test_labels: &[usize],
) -> Result<TestEvaluation> {
    if split.test.is_empty() {
        return Ok(TestEvaluation {
            test: None,
            naive_test: None,
            comparison: None,
        });
    }
    let naive = class_frequencies(train_labels);
    let model_probs: Vec<[f64; 3]> = split.test.iter().map(|&i| probs[i]).collect();
    let test = evaluate(&model_probs, test_labels)?;
    let naive_test = evaluate(&vec![naive; test_labels.len()], test_labels)?;

    // The same matches for all three: test matches with a usable quote.
    let market = bookmaker::market_forecasts(odds, config.implied_method);
    let mut with_odds = (Vec::new(), Vec::new(), Vec::new());
    for (k, &i) in split.test.iter().enumerate() {
        if let Some(f) = market.get(&matches[i].id) {
            with_odds.0.push(probs[i]);
            with_odds.1.push(f.proba);
            with_odds.2.push(test_labels[k]);
        }
    }
    let comparison = if with_odds.2.is_empty() {
        None
    } else {
        let ids = split.test.iter().map(|&i| matches[i].id);
        Some(BookmakerComparison {
            method: config.implied_method,
            sources: bookmaker::source_usage(&market, ids),
            model: evaluate(&with_odds.0, &with_odds.2)?,
            bookmaker: evaluate(&with_odds.1, &with_odds.2)?,
            naive: evaluate(&vec![naive; with_odds.2.len()], &with_odds.2)?,
        })
    };
    Ok(TestEvaluation {
        test: Some(test),
        naive_test: Some(naive_test),
        comparison,
    })
}

fn class_frequencies(labels: &[usize]) -> [f64; 3] {
    let mut counts = [0.0; 3];
    for &y in labels {
        counts[y] += 1.0;
    }
    counts.map(|c| c / labels.len() as f64)
}

fn build_card(
    matches: &[Match],
    config: &PipelineConfig,
    split: &TemporalSplit,
    features: &FeatureTable,
    model: &MultinomialLogit,
    evaluation: &TestEvaluation,
    run_id: &str,
) -> ModelCard {
    let span = |idx: &[usize]| {
        let kickoffs = idx.iter().map(|&i| matches[i].kickoff);
        (kickoffs.clone().min(), kickoffs.max())
    };
    let (train_from, train_to) = span(&split.train);
    let (test_from, test_to) = span(&split.test);
    let n_features = features.names.len();
    ModelCard {
        name: config.model_name.clone(),
        version: MODEL_VERSION.to_string(),
        run_id: run_id.to_string(),
        created_at: config.created_at.unwrap_or_else(Utc::now),
        model_type: "multinomial_logistic_regression".to_string(),
        input: TensorSpec {
            name: onnx::INPUT_NAME.to_string(),
            dtype: "float32".to_string(),
            shape: vec![Dim::Symbolic("N".into()), Dim::Fixed(n_features)],
        },
        output: TensorSpec {
            name: onnx::OUTPUT_NAME.to_string(),
            dtype: "float32".to_string(),
            shape: vec![Dim::Symbolic("N".into()), Dim::Fixed(3)],
        },
        features: features
            .names
            .iter()
            .zip(&model.standardizer.fill_values)
            .map(|(name, &fill_value)| FeatureSpec {
                name: name.clone(),
                dtype: "float32".to_string(),
                fill_value,
            })
            .collect(),
        missing_values: config.onnx.missing_values,
        class_labels: CLASS_LABELS.iter().map(|s| s.to_string()).collect(),
        params: CardParams {
            windows: config.windows.clone(),
            elo: config.elo,
            logit: config.logit,
            implied_method: config.implied_method,
            onnx_opset: onnx::OPSET,
            onnx_ir_version: onnx::IR_VERSION,
        },
        data_window: DataWindow {
            as_of: config.as_of,
            split_date: config.split_date,
            train_from,
            train_to,
            test_from,
            test_to,
            n_train: split.train.len(),
            n_test: split.test.len(),
            n_unlabeled: split.unlabeled.len(),
            n_future: matches
                .iter()
                .filter(|m| is_future(m, config.as_of))
                .count(),
        },
        fit: model.fit_info,
        test_metrics: evaluation.test,
        naive_test_metrics: evaluation.naive_test,
        bookmaker_comparison: evaluation.comparison.clone(),
    }
}

#[cfg(test)]
mod tests;
