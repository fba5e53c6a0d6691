//! Walk-forward evaluation of every candidate against the baselines and the
//! bookmaker, on the most recent seasons, per league and overall.
//!
//! Protocol (nothing is chosen on the test seasons):
//! 1. features are built once with every result visible — each row only
//!    uses results before its own kick-off (see [`crate::features`]);
//! 2. tuning (optional) and model selection use only seasons before the
//!    first test season (expanding-window CV, [`crate::cv`]);
//! 3. for each test season in turn, every model is refitted on all matches
//!    before that season's first kick-off and predicts the season;
//! 4. all forecasts are scored on exactly the same matches: per league, the
//!    five top divisions pooled where bookmaker odds exist (the market is
//!    Pinnacle closing where present, else the best available source), and
//!    all eight leagues pooled without the market.

pub mod html;
pub mod market_variant;

use std::collections::BTreeMap;
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use matchday_core::domain::{Match, OddsQuote, Score};
use serde::{Deserialize, Serialize};

use crate::bookmaker::{self, ImpliedMethod};
use crate::cv::{CvConfig, cross_validate_candidates, season_folds, trainable};
use crate::features::{FeatureConfig, StatsById, build_features};
use crate::linear::LogitParams;
use crate::metrics::{Evaluation, Scores, paired_standard_error};
use crate::models::goals::GoalsParams;
use crate::models::{FeatureSet, ModelParams, ModelSpec};
use crate::onnx::OnnxOptions;
use crate::pipeline::{PipelineConfig, default_candidates};
use crate::selection::{SelectionRecord, SelectionRule, select};
use crate::tune::{self, Trial, TuneConfig};
use crate::{MlError, Result};

/// Names of the baseline rows.
pub const SEED_STYLE: &str = "seed-style (rolling form, logit)";
pub const ELO_ONLY: &str = "Elo alone (logit on diff_elo)";
/// The feature set of the previous baseline (model 0.1.0): rolling-5 form
/// differences and the Elo difference.
pub const PREVIOUS: &str = "previous baseline (rolling-5 + Elo, logit)";
pub const DIXON_COLES: &str = "Dixon-Coles alone";
/// The logit candidate pooled with a score model (`models::goals`), with
/// the logit's settings: reported on every run, not a candidate (below).
pub const GOALS_POOL: &str = "logit + goals (reported, not a candidate)";
pub const FREQUENCY: &str = "frequency (training H/D/A shares)";
pub const BOOKMAKER: &str = "bookmaker (margin-free)";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvaluateConfig {
    /// The most recent seasons walked forward (one refit per season).
    pub test_seasons: usize,
    pub features: FeatureConfig,
    pub cv: CvConfig,
    pub candidates: Vec<ModelSpec>,
    pub selection: SelectionRule,
    pub tuning: Option<TuneConfig>,
    pub implied_method: ImpliedMethod,
}

impl Default for EvaluateConfig {
    fn default() -> Self {
        let p = PipelineConfig::default();
        Self {
            test_seasons: 2,
            features: p.features,
            cv: p.cv,
            candidates: default_candidates(),
            selection: p.selection,
            tuning: None,
            implied_method: p.implied_method,
        }
    }
}

/// One line of a score table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableRow {
    pub model: String,
    pub scores: Scores,
    /// In a table with the bookmaker: the standard error of this row's mean
    /// RPS minus the bookmaker's, paired per match (how far the gap may be
    /// off by chance). `None` elsewhere and on the bookmaker's own row.
    #[serde(default)]
    pub rps_gap_se: Option<f64>,
}

impl TableRow {
    /// RPS relative to the bookmaker's `bookmaker_rps` (0.0146 = 1.46%
    /// worse), with its standard error on the same scale when known.
    pub fn rps_gap(&self, bookmaker_rps: f64) -> (f64, Option<f64>) {
        (
            self.scores.rps / bookmaker_rps - 1.0,
            self.rps_gap_se.map(|se| se / bookmaker_rps),
        )
    }

    /// The gap as the CLI and the HTML report print it: `+1.46% ± 0.35%`.
    pub fn rps_gap_text(&self, bookmaker_rps: f64) -> String {
        let (gap, se) = self.rps_gap(bookmaker_rps);
        let se = se.map_or(String::new(), |se| format!(" ± {:.2}%", 100.0 * se));
        format!("{:+.2}%{se}", 100.0 * gap)
    }
}

/// Scores of every model on one set of matches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Table {
    pub title: String,
    /// League code, or `None` for a pooled table.
    pub league: Option<String>,
    pub n: usize,
    /// Whether the bookmaker row is there (matches with odds only).
    pub with_bookmaker: bool,
    pub rows: Vec<TableRow>,
}

impl Table {
    /// Scores each named set of forecasts on the same outcomes `y`. With a
    /// [`BOOKMAKER`] set among them, the table is one "with the bookmaker"
    /// and every other row gets the standard error of its gap to it.
    pub fn score(
        title: String,
        league: Option<String>,
        forecasts: &[(String, Vec<[f64; 3]>)],
        y: &[usize],
    ) -> Result<Self> {
        // Every set is checked before any per-match score is taken.
        let evaluations = forecasts
            .iter()
            .map(|(_, p)| Evaluation::new(p, y))
            .collect::<Result<Vec<_>>>()?;
        let bookmaker = forecasts
            .iter()
            .position(|(name, _)| name == BOOKMAKER)
            .map(|k| evaluations[k].match_rps_scores());
        let rows = forecasts
            .iter()
            .zip(&evaluations)
            .map(|((name, _), e)| TableRow {
                model: name.clone(),
                scores: e.scores(),
                rps_gap_se: bookmaker
                    .as_ref()
                    .filter(|_| name != BOOKMAKER)
                    .map(|b| paired_standard_error(&e.match_rps_scores(), b)),
            })
            .collect();
        Ok(Self {
            title,
            league,
            n: y.len(),
            with_bookmaker: bookmaker.is_some(),
            rows,
        })
    }

    pub fn row(&self, model: &str) -> Option<&Scores> {
        self.rows
            .iter()
            .find(|r| r.model == model)
            .map(|r| &r.scores)
    }
}

/// Forecasts pooled over the three classes: of the (match, class) pairs
/// whose forecast fell in `[lo, hi)`, the mean forecast and how often the
/// class happened.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ReliabilityBin {
    pub lo: f64,
    pub hi: f64,
    pub n: usize,
    pub mean_forecast: f64,
    pub observed: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reliability {
    pub model: String,
    pub bins: Vec<ReliabilityBin>,
}

/// Serving cost of a candidate's ONNX file, measured by the caller (the
/// sidecar, through `matchday-inference`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServingCost {
    pub model: String,
    pub onnx_bytes: usize,
    /// Parse + optimise + make runnable, median (ms).
    pub load_ms: f64,
    /// One single-row inference on the loaded model, median (ms).
    pub infer_ms: f64,
    /// Where it was measured (e.g. "native, tract 0.23").
    pub measured: String,
}

/// A candidate's final model (fitted for the last test season), for the
/// serving measurements.
#[derive(Debug, Clone, PartialEq)]
pub struct CandidateArtifact {
    pub name: String,
    pub feature_names: Vec<String>,
    pub onnx: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvaluationReport {
    pub generated_at: DateTime<Utc>,
    pub test_seasons: Vec<String>,
    pub cv_seasons: Vec<String>,
    pub champion: String,
    pub selection: SelectionRecord,
    /// The parameters used (after tuning, if any).
    pub features: FeatureConfig,
    pub candidates: Vec<ModelSpec>,
    pub tuning_trials: Vec<Trial>,
    /// Top-5 with odds (pooled), then each league, then all leagues.
    pub tables: Vec<Table>,
    /// The model that reads opening prices ([`market_variant`]), kept apart
    /// from `tables`: none of those models reads odds.
    #[serde(default)]
    pub market_variant: Option<Table>,
    pub reliability: Vec<Reliability>,
    pub serving: Vec<ServingCost>,
    /// (stage, seconds).
    pub timings: Vec<(String, f64)>,
    pub notes: Vec<String>,
    #[serde(skip)]
    pub artifacts: Vec<CandidateArtifact>,
}

impl EvaluationReport {
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a report serialises")
    }

    /// The pooled top-5 table (with the bookmaker).
    pub fn headline(&self) -> Option<&Table> {
        self.tables
            .iter()
            .find(|t| t.league.is_none() && t.with_bookmaker)
    }
}

/// Progress of [`run`]: a stage name, a line, and `(done, total)` steps.
pub type Progress<'a> = dyn FnMut(&str, &str, Option<(usize, usize)>) + 'a;

/// Run the evaluation.
pub fn run(
    matches: &[Match],
    odds: &[OddsQuote],
    stats: &StatsById,
    config: &EvaluateConfig,
    progress: &mut Progress<'_>,
) -> Result<EvaluationReport> {
    let mut timings = Vec::new();
    let Some(last) = matches.iter().map(|m| m.kickoff).max() else {
        return Err(MlError::InvalidConfig("no matches".into()));
    };
    // Every known result is visible: the evaluation is a back-test.
    let as_of = last + Duration::days(1);
    let labels: Vec<Option<Score>> = matches.iter().map(|m| m.score).collect();
    let mut seasons: Vec<&str> = matches.iter().map(|m| m.season.as_str()).collect();
    seasons.sort_unstable();
    seasons.dedup();
    if seasons.len() <= config.test_seasons + config.cv.folds {
        return Err(MlError::InvalidConfig(format!(
            "{} seasons cannot hold {} test and {} CV seasons",
            seasons.len(),
            config.test_seasons,
            config.cv.folds
        )));
    }
    let test_seasons: Vec<String> = seasons[seasons.len() - config.test_seasons..]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let season_start = |s: &str| {
        matches
            .iter()
            .filter(|m| m.season == s)
            .map(|m| m.kickoff)
            .min()
            .expect("season has matches")
    };
    let first_test = season_start(&test_seasons[0]);
    let before_test: Vec<usize> = (0..matches.len())
        .filter(|&i| labels[i].is_some() && matches[i].kickoff < first_test)
        .collect();

    let mut features_config = config.features.clone();
    let mut candidates = config.candidates.clone();
    let mut trials = Vec::new();
    if config.tuning.is_some_and(|t| t.ratings) {
        let t = Instant::now();
        features_config = tune::tune_ratings(
            matches,
            first_test,
            config.cv.burn_in_days,
            &features_config,
            &mut trials,
            &mut |line| progress("tune", line, None),
        );
        timings.push(("tune ratings".to_string(), t.elapsed().as_secs_f64()));
    }

    let t = Instant::now();
    let table = build_features(matches, stats, as_of, &features_config)?;
    timings.push(("features".to_string(), t.elapsed().as_secs_f64()));
    progress(
        "features",
        &format!("{} × {}", table.len(), table.names.len()),
        None,
    );

    let folds = season_folds(matches, &before_test, &config.cv)?;
    if let Some(tuning) = config.tuning {
        let t = Instant::now();
        candidates = tune::tune_candidates(
            &candidates,
            &table,
            &labels,
            &folds,
            &tuning,
            &mut trials,
            &mut |line, step| progress("tune", line, Some(step)),
        )?;
        timings.push(("tune models".to_string(), t.elapsed().as_secs_f64()));
    }

    let t = Instant::now();
    let steps = candidates.len() * folds.len();
    let cv_results =
        cross_validate_candidates(&candidates, &table, &labels, &folds, &mut |k, f| {
            progress(
                "cv",
                &format!("{} fold {f}/{}", candidates[k].name, folds.len()),
                Some((k * folds.len() + f, steps)),
            )
        })?;
    let (chosen, selection) = select(&cv_results, config.selection);
    timings.push(("cv + select".to_string(), t.elapsed().as_secs_f64()));

    // Walk forward.
    let t = Instant::now();
    let baselines = [
        ModelSpec::logit(SEED_STYLE, FeatureSet::RollingOnly, LogitParams::default()),
        ModelSpec::logit(ELO_ONLY, FeatureSet::EloOnly, LogitParams::default()),
        ModelSpec::logit(
            PREVIOUS,
            FeatureSet::Named(
                ["win", "draw", "points", "goals_for", "goals_against"]
                    .iter()
                    .map(|s| format!("diff_{s}_5_mean"))
                    .chain(["diff_elo".to_string()])
                    .collect(),
            ),
            LogitParams::default(),
        ),
    ];
    // A feature set the table lacks (other windows) is left out, not an error.
    let mut baselines: Vec<ModelSpec> = baselines
        .into_iter()
        .filter(|s| table.columns(&s.features.resolve(&table.names)).is_ok())
        .collect();
    // The goals pool missed the bar set before it was tried (a CV gain of two
    // standard errors: `crates/ml/README.md`), so it is not offered to the
    // selection; it is scored here so each new season adds to the evidence.
    let logit = candidates.iter().find_map(|c| match c.params {
        ModelParams::Logit(params) => Some((c, params)),
        _ => None,
    });
    if let Some((logit, params)) = logit {
        let pool = GoalsParams {
            logit: params,
            logit_weight: 0.5,
        };
        let mut spec = ModelSpec::goals(GOALS_POOL, logit.features.clone(), pool);
        spec.balance = logit.balance;
        baselines.push(spec);
    }
    let dc_cols = table.columns(&["dc_home".into(), "dc_draw".into(), "dc_away".into()])?;
    let market = bookmaker::market_forecasts(odds, config.implied_method);
    let mut forecasts: BTreeMap<String, Vec<[f64; 3]>> = BTreeMap::new();
    let mut evaluated: Vec<usize> = Vec::new();
    let mut splits = Vec::new();
    let mut artifacts = Vec::new();
    let champion = &cv_results[chosen].0.name;
    let raw_name = format!("{champion} (uncalibrated)");
    let champion_t = cv_results[chosen].1.temperature();
    let n_steps = test_seasons.len() * (candidates.len() + baselines.len());
    let mut step = 0;
    for (s_idx, season) in test_seasons.iter().enumerate() {
        let start = season_start(season);
        let pool: Vec<usize> = (0..matches.len())
            .filter(|&i| labels[i].is_some() && matches[i].kickoff < start)
            .collect();
        let train = trainable(matches, &pool, config.cv.burn_in_days);
        let scores: Vec<Score> = train
            .iter()
            .map(|&i| labels[i].expect("finished"))
            .collect();
        let y: Vec<usize> = scores.iter().map(|s| s.class()).collect();
        let test: Vec<usize> = (0..matches.len())
            .filter(|&i| labels[i].is_some() && matches[i].season == *season)
            .collect();
        evaluated.extend(&test);
        splits.push(market_variant::SeasonSplit {
            train: train.clone(),
            test: test.clone(),
        });
        for (spec, cv) in &cv_results {
            let mut fitted = spec.fit(&table, &train, &scores)?;
            fitted.temperature = cv.temperature();
            push(&mut forecasts, &spec.name, fitted.predict(&table, &test)?);
            if spec.name == *champion && champion_t != 1.0 {
                let mut raw = fitted.clone();
                raw.temperature = 1.0;
                push(&mut forecasts, &raw_name, raw.predict(&table, &test)?);
            }
            if s_idx + 1 == test_seasons.len() {
                artifacts.push(CandidateArtifact {
                    name: spec.name.clone(),
                    feature_names: fitted.feature_names.clone(),
                    onnx: fitted.to_onnx(&OnnxOptions::default(), &[])?,
                });
            }
            step += 1;
            progress(
                "walk-forward",
                &format!("{season}: {}", spec.name),
                Some((step, n_steps)),
            );
        }
        for spec in &baselines {
            let fitted = spec.fit(&table, &train, &scores)?;
            push(&mut forecasts, &spec.name, fitted.predict(&table, &test)?);
            step += 1;
            progress(
                "walk-forward",
                &format!("{season}: {}", spec.name),
                Some((step, n_steps)),
            );
        }
        let freq = frequencies(&y);
        push(&mut forecasts, FREQUENCY, vec![freq; test.len()]);
        let dc: Vec<[f64; 3]> = test
            .iter()
            .map(|&i| {
                let r = &table.rows[i];
                let p = [r[dc_cols[0]], r[dc_cols[1]], r[dc_cols[2]]];
                // A league's very first match has no fit: fall back to the shares.
                if p.iter().any(|v| v.is_nan()) {
                    freq
                } else {
                    p
                }
            })
            .collect();
        push(&mut forecasts, DIXON_COLES, dc);
    }
    timings.push(("walk-forward".to_string(), t.elapsed().as_secs_f64()));

    // Score.
    let t = Instant::now();
    let y_all: Vec<usize> = evaluated
        .iter()
        .map(|&i| labels[i].expect("finished").class())
        .collect();
    let market_of: Vec<Option<[f64; 3]>> = evaluated
        .iter()
        .map(|&i| market.get(&matches[i].id).map(|f| f.proba))
        .collect();
    let mut order: Vec<String> = cv_results.iter().map(|(s, _)| s.name.clone()).collect();
    if forecasts.contains_key(&raw_name) {
        order.push(raw_name.clone());
    }
    order.extend(baselines.iter().map(|s| s.name.clone()));
    order.extend([DIXON_COLES, FREQUENCY].iter().map(|s| s.to_string()));
    let score_set = |title: String,
                     league: Option<String>,
                     keep: &dyn Fn(usize) -> bool,
                     with_market: bool|
     -> Result<Option<Table>> {
        let idx: Vec<usize> = (0..evaluated.len())
            .filter(|&k| keep(k) && (!with_market || market_of[k].is_some()))
            .collect();
        if idx.is_empty() {
            return Ok(None);
        }
        let y: Vec<usize> = idx.iter().map(|&k| y_all[k]).collect();
        let mut sets: Vec<(String, Vec<[f64; 3]>)> = order
            .iter()
            .map(|name| {
                (
                    name.clone(),
                    idx.iter().map(|&k| forecasts[name][k]).collect(),
                )
            })
            .collect();
        if with_market {
            let p = idx.iter().map(|&k| market_of[k].expect("kept")).collect();
            sets.push((BOOKMAKER.to_string(), p));
        }
        Table::score(title, league, &sets, &y).map(Some)
    };
    let league_of = |k: usize| matches[evaluated[k]].league.as_str();
    let mut leagues: Vec<&str> = (0..evaluated.len()).map(league_of).collect();
    leagues.sort_unstable();
    leagues.dedup();
    let has_odds =
        |l: &str| (0..evaluated.len()).any(|k| league_of(k) == l && market_of[k].is_some());
    let mut tables = Vec::new();
    let odds_leagues: Vec<&str> = leagues.iter().copied().filter(|l| has_odds(l)).collect();
    tables.extend(score_set(
        format!(
            "Leagues with odds pooled ({}), {}",
            odds_leagues.join(", "),
            test_seasons.join(" + ")
        ),
        None,
        &|k| has_odds(league_of(k)),
        true,
    )?);
    for l in &leagues {
        let name =
            matchday_core::leagues::league(l).map_or(l.to_string(), |x| format!("{l} {}", x.name));
        tables.extend(score_set(
            name,
            Some(l.to_string()),
            &|k| league_of(k) == *l,
            has_odds(l),
        )?);
    }
    tables.extend(score_set(
        format!("All {} leagues pooled (no odds for all)", leagues.len()),
        None,
        &|_| true,
        false,
    )?);

    let with_market: Vec<usize> = (0..evaluated.len())
        .filter(|&k| market_of[k].is_some())
        .collect();
    let mut reliability = Vec::new();
    for name in [champion.as_str(), DIXON_COLES, SEED_STYLE] {
        let p: Vec<[f64; 3]> = with_market.iter().map(|&k| forecasts[name][k]).collect();
        let y: Vec<usize> = with_market.iter().map(|&k| y_all[k]).collect();
        reliability.push(Reliability {
            model: name.to_string(),
            bins: reliability_bins(&p, &y),
        });
    }
    let p: Vec<[f64; 3]> = with_market
        .iter()
        .map(|&k| market_of[k].expect("kept"))
        .collect();
    let y: Vec<usize> = with_market.iter().map(|&k| y_all[k]).collect();
    reliability.push(Reliability {
        model: BOOKMAKER.to_string(),
        bins: reliability_bins(&p, &y),
    });
    timings.push(("score".to_string(), t.elapsed().as_secs_f64()));

    let t = Instant::now();
    let variant = market_variant::run(
        matches,
        odds,
        config.implied_method,
        &table,
        &labels,
        &market_variant::Training {
            before_test: &before_test,
            cv: &config.cv,
        },
        &splits,
        &market_variant::Comparison {
            evaluated: &evaluated,
            champion: (champion, &forecasts[champion]),
            closing: &market_of,
            leagues: &odds_leagues,
            title: format!(
                "Market variant: reads opening prices, not a no-odds model ({}), {}",
                odds_leagues.join(", "),
                test_seasons.join(" + ")
            ),
        },
    )?;
    timings.push(("market variant".to_string(), t.elapsed().as_secs_f64()));

    let sources = bookmaker::source_usage(
        &market,
        with_market.iter().map(|&k| matches[evaluated[k]].id),
    );
    let mut notes = vec![
        format!(
            "Walk-forward: each test season is predicted by models refitted on every match before its first kick-off; model choice and tuning used only seasons before {}.",
            first_test.date_naive()
        ),
        format!(
            "Bookmaker: margin-free ({:?}) implied probabilities; sources on these matches: {}.",
            config.implied_method,
            sources
                .iter()
                .map(|(s, n)| format!("{s} {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        "No model in the score tables reads odds: the bookmaker row is the bar, not an input. The market variant, which reads pre-closing prices, is scored in its own table.".to_string(),
    ];
    if let Some((_, l2)) = &variant {
        notes.push(format!(
            "Market variant: logit on every feature plus the opening prices' log-odds, trained on priced matches only; L2 = {l2} chosen by CV log-loss from {:?}.",
            market_variant::L2_GRID
        ));
    }
    Ok(EvaluationReport {
        generated_at: Utc::now(),
        test_seasons,
        cv_seasons: folds.iter().map(|f| f.season.clone()).collect(),
        champion: champion.clone(),
        selection,
        features: features_config,
        candidates,
        tuning_trials: trials,
        tables,
        market_variant: variant.map(|(table, _)| table),
        reliability,
        serving: Vec::new(),
        timings,
        notes,
        artifacts,
    })
}

fn push(map: &mut BTreeMap<String, Vec<[f64; 3]>>, name: &str, p: Vec<[f64; 3]>) {
    map.entry(name.to_string()).or_default().extend(p);
}

fn frequencies(labels: &[usize]) -> [f64; 3] {
    let mut c = [0.0; 3];
    for &y in labels {
        c[y] += 1.0;
    }
    c.map(|x| x / labels.len().max(1) as f64)
}

/// Ten equal-width bins of the pooled (match, class) forecasts.
pub fn reliability_bins(probs: &[[f64; 3]], labels: &[usize]) -> Vec<ReliabilityBin> {
    const BINS: usize = 10;
    let mut n = [0usize; BINS];
    let mut sum_p = [0.0; BINS];
    let mut hits = [0.0; BINS];
    for (p, &y) in probs.iter().zip(labels) {
        for (c, &pc) in p.iter().enumerate() {
            let b = ((pc * BINS as f64) as usize).min(BINS - 1);
            n[b] += 1;
            sum_p[b] += pc;
            hits[b] += f64::from(u8::from(c == y));
        }
    }
    (0..BINS)
        .map(|b| ReliabilityBin {
            lo: b as f64 / BINS as f64,
            hi: (b + 1) as f64 / BINS as f64,
            n: n[b],
            // Empty bins say 0 (and n = 0): JSON has no NaN.
            mean_forecast: if n[b] > 0 {
                sum_p[b] / n[b] as f64
            } else {
                0.0
            },
            observed: if n[b] > 0 { hits[b] / n[b] as f64 } else { 0.0 },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use matchday_core::domain::OddsKind;

    use crate::cv::CvConfig;
    use crate::models::gbdt::GbdtParams;
    use crate::synthetic::{SyntheticConfig, generate};

    #[test]
    fn walks_forward_over_the_last_seasons_and_renders() {
        let data = generate(&SyntheticConfig {
            n_teams: 12,
            n_seasons: 7,
            ..SyntheticConfig::default()
        });
        let config = EvaluateConfig {
            test_seasons: 2,
            cv: CvConfig {
                folds: 2,
                burn_in_days: 100,
            },
            candidates: vec![
                ModelSpec::logit("logit", FeatureSet::Full, LogitParams::default()),
                ModelSpec::gbdt(
                    "gbdt",
                    FeatureSet::Full,
                    GbdtParams {
                        rounds: 30,
                        ..GbdtParams::default()
                    },
                ),
            ],
            ..EvaluateConfig::default()
        };
        // Opening prices equal to the closing ones, for the market variant.
        let odds: Vec<OddsQuote> = data
            .odds
            .iter()
            .flat_map(|q| {
                let opening = OddsQuote {
                    kind: OddsKind::Opening,
                    ..q.clone()
                };
                [q.clone(), opening]
            })
            .collect();
        let mut stages = Vec::new();
        let report = run(
            &data.matches,
            &odds,
            &StatsById::new(),
            &config,
            &mut |s, _, _| stages.push(s.to_string()),
        )
        .unwrap();
        assert_eq!(report.test_seasons, ["2020-2021", "2021-2022"]);
        assert_eq!(report.cv_seasons, ["2018-2019", "2019-2020"]);
        let head = report.headline().unwrap();
        // Two test seasons of 132 matches, all priced.
        assert_eq!(head.n, 2 * 132);
        for name in [
            SEED_STYLE,
            ELO_ONLY,
            DIXON_COLES,
            FREQUENCY,
            BOOKMAKER,
            GOALS_POOL,
            "logit",
            "gbdt",
        ] {
            assert!(head.row(name).is_some(), "{name}");
        }
        assert!(
            head.rows
                .iter()
                .all(|r| r.rps_gap_se.is_some() == (r.model != BOOKMAKER))
        );
        // The generator's prices are the truth plus a margin: unbeatable.
        let bookie = head.row(BOOKMAKER).unwrap().rps;
        assert!(head.row("logit").unwrap().rps > bookie);
        assert!(head.row(FREQUENCY).unwrap().rps > head.row("logit").unwrap().rps);
        // The market variant: its own table, on the same priced matches,
        // and it reads a price that is the truth plus a margin.
        let variant = report.market_variant.as_ref().unwrap();
        assert_eq!(variant.n, head.n);
        assert!(head.row(market_variant::MARKET_VARIANT).is_none());
        let v = variant.row(market_variant::MARKET_VARIANT).unwrap().rps;
        assert!(v < variant.row("logit (no odds)").unwrap().rps);
        assert!(variant.row(market_variant::OPENING_LINE).is_some());
        assert_eq!(variant.row(BOOKMAKER), head.row(BOOKMAKER));
        assert_eq!(report.artifacts.len(), 2);
        assert!(stages.iter().any(|s| s == "walk-forward"));
        let json = report.to_json();
        let back: EvaluationReport = serde_json::from_str(&json).unwrap();
        assert_eq!(back.tables, report.tables);
        let page = html::render(&report);
        assert!(page.contains("<svg") && page.contains("★") && page.contains(BOOKMAKER));
        assert!(page.contains(market_variant::MARKET_VARIANT));
    }

    #[test]
    fn rows_carry_the_standard_error_of_their_gap_to_the_bookmaker() {
        let y = [0, 2, 1];
        let book = vec![[0.5, 0.3, 0.2], [0.2, 0.3, 0.5], [0.3, 0.4, 0.3]];
        let model = vec![[0.6, 0.2, 0.2], [0.4, 0.3, 0.3], [0.3, 0.4, 0.3]];
        let sets = [("model".to_string(), model), (BOOKMAKER.to_string(), book)];
        let table = Table::score("t".into(), None, &sets, &y).unwrap();
        assert!(table.with_bookmaker && table.n == 3);
        // Per-match RPS by hand: bookmaker 0.145, 0.145, 0.09; model 0.1,
        // 0.325, 0.09. Differences −0.045, 0.18, 0: mean 0.045, sample
        // variance 0.014175, standard error √(0.014175 / 3).
        let row = &table.rows[0];
        let se = row.rps_gap_se.unwrap();
        assert!((se - (0.014175f64 / 3.0).sqrt()).abs() < 1e-12);
        assert_eq!(table.rows[1].rps_gap_se, None);
        let (gap, rel_se) = row.rps_gap(table.row(BOOKMAKER).unwrap().rps);
        assert!((gap - (0.515 / 0.38 - 1.0)).abs() < 1e-12);
        assert!((rel_se.unwrap() - se / (0.38 / 3.0)).abs() < 1e-12);
        assert_eq!(
            row.rps_gap_text(table.row(BOOKMAKER).unwrap().rps),
            "+35.53% ± 54.27%"
        );
        // Without a bookmaker row there is no gap to measure.
        let alone = Table::score("t".into(), None, &sets[..1], &y).unwrap();
        assert!(!alone.with_bookmaker && alone.rows[0].rps_gap_se.is_none());
    }

    #[test]
    fn reliability_bins_pool_the_three_classes() {
        let bins = reliability_bins(&[[0.55, 0.25, 0.2], [0.5, 0.3, 0.2]], &[0, 1]);
        assert_eq!(bins.iter().map(|b| b.n).sum::<usize>(), 6);
        // Bin 5 holds the two home forecasts (.55, .5); one home win.
        assert_eq!(bins[5].n, 2);
        assert!((bins[5].mean_forecast - 0.525).abs() < 1e-12);
        assert!((bins[5].observed - 0.5).abs() < 1e-12);
    }
}
