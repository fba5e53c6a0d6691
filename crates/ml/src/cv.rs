//! Temporal cross-validation: expanding windows, one validation fold per
//! season.
//!
//! Fold `k` validates on every training-split match of season `s_k` and
//! trains on every match that kicked off before the first match of `s_k`
//! (all leagues): the model never sees its validation season or anything
//! after it. The first `burn_in_days` of the data are never trained on:
//! ratings start from nothing there, and rows whose features are all
//! "unknown" only teach the model to trust the fill values.

use chrono::Duration;
use matchday_core::domain::{Match, Score};
use serde::{Deserialize, Serialize};

use crate::calibration;
use crate::features::FeatureTable;
use crate::metrics::{Evaluation, Scores, evaluate};
use crate::models::blend::pool;
use crate::models::{ModelParams, ModelSpec};
use crate::{MlError, Result};

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CvConfig {
    /// Number of validation seasons (the latest ones before the split).
    pub folds: usize,
    /// Matches within this many days of the first kick-off are never
    /// trained on.
    pub burn_in_days: i64,
}

impl Default for CvConfig {
    fn default() -> Self {
        Self {
            folds: 4,
            burn_in_days: 365,
        }
    }
}

/// One expanding-window fold (indices into the match slice).
#[derive(Debug, Clone, PartialEq)]
pub struct Fold {
    pub season: String,
    pub train: Vec<usize>,
    pub valid: Vec<usize>,
}

/// Matches of `pool` allowed in a training set (after the burn-in).
pub fn trainable(matches: &[Match], pool: &[usize], burn_in_days: i64) -> Vec<usize> {
    let Some(first) = matches.iter().map(|m| m.kickoff).min() else {
        return Vec::new();
    };
    let start = first + Duration::days(burn_in_days);
    pool.iter()
        .copied()
        .filter(|&i| matches[i].kickoff >= start)
        .collect()
}

/// The folds over `labelled` (finished training-split matches): the last
/// `config.folds` seasons, oldest first. Seasons sort by label
/// (`2019-2020`), which is chronological.
pub fn season_folds(matches: &[Match], labelled: &[usize], config: &CvConfig) -> Result<Vec<Fold>> {
    let mut seasons: Vec<&str> = labelled
        .iter()
        .map(|&i| matches[i].season.as_str())
        .collect();
    seasons.sort_unstable();
    seasons.dedup();
    if config.folds == 0 || seasons.len() <= config.folds {
        return Err(MlError::InvalidConfig(format!(
            "{} CV folds need more than {} seasons of training data",
            config.folds,
            seasons.len()
        )));
    }
    let eligible = trainable(matches, labelled, config.burn_in_days);
    let folds = seasons[seasons.len() - config.folds..]
        .iter()
        .map(|&season| {
            let valid: Vec<usize> = labelled
                .iter()
                .copied()
                .filter(|&i| matches[i].season == season)
                .collect();
            let start = valid
                .iter()
                .map(|&i| matches[i].kickoff)
                .min()
                .expect("a season in the list has a match");
            let train = eligible
                .iter()
                .copied()
                .filter(|&i| matches[i].kickoff < start)
                .collect();
            Fold {
                season: season.to_string(),
                train,
                valid,
            }
        })
        .collect::<Vec<_>>();
    if folds.iter().any(|f| f.train.is_empty()) {
        return Err(MlError::InvalidConfig(
            "a CV fold has no training match: fewer folds or a shorter burn-in".into(),
        ));
    }
    Ok(folds)
}

/// One fold's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FoldScore {
    pub season: String,
    pub n_train: usize,
    pub scores: Scores,
    /// Temperature fitted on the previous fold's forecasts (none for the
    /// first fold) and the scores after applying it.
    pub temperature: Option<f64>,
    pub calibrated: Option<Scores>,
}

/// Cross-validated scores of one model spec.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CvResult {
    pub name: String,
    pub folds: Vec<FoldScore>,
    /// Means over all folds, uncalibrated.
    pub log_loss: f64,
    pub rps: f64,
    /// Over folds 2..K: uncalibrated vs calibrated with the previous fold's
    /// temperature (the honest test of calibration: fitted on one fold, used
    /// on the next).
    pub log_loss_later_folds: f64,
    pub log_loss_later_folds_calibrated: f64,
    /// Fitted on the last fold's forecasts, for the final model.
    pub final_temperature: f64,
    /// Every validation match's log-loss (uncalibrated), fold after fold:
    /// two candidates' lists pair up match by match, which the selection's
    /// standard error needs.
    #[serde(skip)]
    pub match_log_losses: Vec<f64>,
}

impl CvResult {
    /// Whether the temperature helped on folds it was not fitted on.
    pub fn calibration_helps(&self) -> bool {
        self.log_loss_later_folds_calibrated < self.log_loss_later_folds
    }

    /// The CV log-loss the selection compares: calibrated when that helps
    /// (later folds), else the plain mean.
    pub fn selection_log_loss(&self) -> f64 {
        if self.calibration_helps() {
            self.log_loss - (self.log_loss_later_folds - self.log_loss_later_folds_calibrated)
        } else {
            self.log_loss
        }
    }

    /// The temperature the final model should use (1 if it does not help).
    pub fn temperature(&self) -> f64 {
        if self.calibration_helps() {
            self.final_temperature
        } else {
            1.0
        }
    }
}

/// One candidate's out-of-fold forecasts, one list per fold, in the order of
/// the fold's validation rows.
pub type FoldForecasts = Vec<Vec<[f64; 3]>>;

/// Cross-validate `spec`: fit on each fold's training rows, score on its
/// validation season. `labels[i]` is the final score of match `i` (`None`:
/// not finished).
pub fn cross_validate(
    spec: &ModelSpec,
    table: &FeatureTable,
    labels: &[Option<Score>],
    folds: &[Fold],
    progress: &mut dyn FnMut(usize),
) -> Result<CvResult> {
    let forecasts = fold_forecasts(spec, table, labels, folds, progress)?;
    score_forecasts(&spec.name, &forecasts, labels, folds)
}

/// Cross-validate every candidate, in order. A blend whose two parts are
/// earlier candidates (same features, same settings) is scored from their
/// out-of-fold forecasts instead of fitting both parts again: pooled, they
/// are what the fitted blend predicts (`blend::pool`), and the parts are
/// deterministic. `progress(candidate, fold)` follows each fold. Returns
/// each spec with its result, as the selection takes them.
pub fn cross_validate_candidates(
    specs: &[ModelSpec],
    table: &FeatureTable,
    labels: &[Option<Score>],
    folds: &[Fold],
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Vec<(ModelSpec, CvResult)>> {
    let mut forecasts: Vec<FoldForecasts> = Vec::with_capacity(specs.len());
    let mut out = Vec::with_capacity(specs.len());
    for (k, spec) in specs.iter().enumerate() {
        let pooled = blend_parts(spec, &specs[..k]).map(|(linear, trees, weight)| {
            pool_folds(&forecasts[linear], &forecasts[trees], weight)
        });
        let spec_forecasts = match pooled {
            Some(pooled) => {
                (1..=folds.len()).for_each(|f| progress(k, f));
                pooled
            }
            None => fold_forecasts(spec, table, labels, folds, &mut |f| progress(k, f))?,
        };
        let cv = score_forecasts(&spec.name, &spec_forecasts, labels, folds)?;
        out.push((spec.clone(), cv));
        forecasts.push(spec_forecasts);
    }
    Ok(out)
}

/// For a blend: the indices in `earlier` of its logit and its trees (same
/// features and balance, same settings) and the logit's weight.
fn blend_parts(spec: &ModelSpec, earlier: &[ModelSpec]) -> Option<(usize, usize, f64)> {
    let ModelParams::Blend(blend) = spec.params else {
        return None;
    };
    let find = |params: ModelParams| {
        earlier.iter().position(|e| {
            e.features == spec.features && e.balance == spec.balance && e.params == params
        })
    };
    Some((
        find(ModelParams::Logit(blend.logit))?,
        find(ModelParams::Gbdt(blend.gbdt))?,
        blend.logit_weight,
    ))
}

fn pool_folds(linear: &FoldForecasts, trees: &FoldForecasts, weight: f64) -> FoldForecasts {
    linear
        .iter()
        .zip(trees)
        .map(|(l, t)| l.iter().zip(t).map(|(&l, &t)| pool(l, t, weight)).collect())
        .collect()
}

/// Fit `spec` on each fold's training rows and forecast its validation rows.
fn fold_forecasts(
    spec: &ModelSpec,
    table: &FeatureTable,
    labels: &[Option<Score>],
    folds: &[Fold],
    progress: &mut dyn FnMut(usize),
) -> Result<FoldForecasts> {
    folds
        .iter()
        .enumerate()
        .map(|(k, fold)| {
            let model = spec.fit(table, &fold.train, &scores_of(labels, &fold.train))?;
            let probs = model.predict(table, &fold.valid)?;
            progress(k + 1);
            Ok(probs)
        })
        .collect()
}

fn scores_of(labels: &[Option<Score>], idx: &[usize]) -> Vec<Score> {
    idx.iter()
        .map(|&i| labels[i].expect("folds hold finished matches"))
        .collect()
}

fn classes_of(labels: &[Option<Score>], idx: &[usize]) -> Vec<usize> {
    scores_of(labels, idx).iter().map(|s| s.class()).collect()
}

/// Score out-of-fold forecasts fold by fold, with the calibration check: a
/// temperature fitted on fold k−1's forecasts, applied to fold k's.
fn score_forecasts(
    name: &str,
    forecasts: &FoldForecasts,
    labels: &[Option<Score>],
    folds: &[Fold],
) -> Result<CvResult> {
    let mut out = Vec::with_capacity(folds.len());
    let mut previous: Option<(&[[f64; 3]], Vec<usize>)> = None;
    let mut match_log_losses = Vec::new();
    for (fold, probs) in folds.iter().zip(forecasts) {
        let y = classes_of(labels, &fold.valid);
        let evaluation = Evaluation::new(probs, &y)?;
        let scores = evaluation.scores();
        match_log_losses.extend(evaluation.match_log_losses());
        let (temperature, calibrated) = match &previous {
            Some((p, py)) => {
                let t = calibration::fit_temperature(p, py);
                let cal: Vec<[f64; 3]> = probs
                    .iter()
                    .map(|&q| calibration::apply_temperature(q, t))
                    .collect();
                (Some(t), Some(evaluate(&cal, &y)?))
            }
            None => (None, None),
        };
        out.push(FoldScore {
            season: fold.season.clone(),
            n_train: fold.train.len(),
            scores,
            temperature,
            calibrated,
        });
        previous = Some((probs, y));
    }
    let mean = |f: &dyn Fn(&FoldScore) -> f64, folds: &[FoldScore]| {
        folds.iter().map(f).sum::<f64>() / folds.len().max(1) as f64
    };
    let later: Vec<FoldScore> = out.iter().skip(1).cloned().collect();
    let final_temperature = previous
        .as_ref()
        .map_or(1.0, |(p, y)| calibration::fit_temperature(p, y));
    Ok(CvResult {
        name: name.to_string(),
        log_loss: mean(&|f| f.scores.log_loss, &out),
        rps: mean(&|f| f.scores.rps, &out),
        log_loss_later_folds: mean(&|f| f.scores.log_loss, &later),
        log_loss_later_folds_calibrated: mean(
            &|f| f.calibrated.map_or(f.scores.log_loss, |s| s.log_loss),
            &later,
        ),
        final_temperature,
        folds: out,
        match_log_losses,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::{FeatureConfig, StatsById, build_features};
    use crate::linear::LogitParams;
    use crate::models::FeatureSet;
    use crate::models::blend::BlendParams;
    use crate::models::gbdt::GbdtParams;
    use crate::synthetic::{SyntheticConfig, generate};
    use chrono::{TimeZone, Utc};

    #[test]
    fn folds_expand_and_never_look_ahead() {
        let data = generate(&SyntheticConfig {
            n_seasons: 6,
            ..SyntheticConfig::default()
        });
        let all: Vec<usize> = (0..data.matches.len()).collect();
        let folds = season_folds(
            &data.matches,
            &all,
            &CvConfig {
                folds: 3,
                burn_in_days: 100,
            },
        )
        .unwrap();
        assert_eq!(folds.len(), 3);
        assert_eq!(folds[0].season, "2018-2019");
        let first = data.matches[0].kickoff;
        for w in folds.windows(2) {
            assert!(w[0].train.len() < w[1].train.len());
        }
        for f in &folds {
            let start = f
                .valid
                .iter()
                .map(|&i| data.matches[i].kickoff)
                .min()
                .unwrap();
            for &i in &f.train {
                let k = data.matches[i].kickoff;
                assert!(k < start && k >= first + Duration::days(100));
            }
            assert!(f.valid.iter().all(|&i| data.matches[i].season == f.season));
        }
        assert!(
            season_folds(
                &data.matches,
                &all,
                &CvConfig {
                    folds: 6,
                    burn_in_days: 0
                }
            )
            .is_err()
        );
    }

    #[test]
    fn a_blend_of_earlier_candidates_scores_as_if_it_were_fitted() {
        let data = generate(&SyntheticConfig::default());
        let far = Utc.with_ymd_and_hms(2100, 1, 1, 0, 0, 0).unwrap();
        let table = build_features(
            &data.matches,
            &StatsById::new(),
            far,
            &FeatureConfig::default(),
        )
        .unwrap();
        let labels: Vec<Option<Score>> = data.matches.iter().map(|m| m.score).collect();
        let all: Vec<usize> = (0..data.matches.len()).collect();
        let config = CvConfig {
            folds: 2,
            burn_in_days: 100,
        };
        let folds = season_folds(&data.matches, &all, &config).unwrap();
        let logit = LogitParams::default();
        let gbdt = GbdtParams {
            rounds: 15,
            ..GbdtParams::default()
        };
        // An unequal weight, so swapped parts would show.
        let blend = |gbdt| BlendParams {
            logit,
            gbdt,
            logit_weight: 0.3,
        };
        let other_trees = GbdtParams {
            max_depth: 2,
            ..gbdt
        };
        let specs = [
            ModelSpec::logit("logit", FeatureSet::Full, logit),
            ModelSpec::gbdt("gbdt", FeatureSet::Full, gbdt),
            ModelSpec::blend("pooled", FeatureSet::Full, blend(gbdt)),
            // Its trees are no earlier candidate: fitted.
            ModelSpec::blend("fitted", FeatureSet::Full, blend(other_trees)),
        ];
        let mut steps = Vec::new();
        let results = cross_validate_candidates(&specs, &table, &labels, &folds, &mut |k, f| {
            steps.push((k, f))
        })
        .unwrap();
        assert_eq!(steps.len(), specs.len() * folds.len());
        assert!(blend_parts(&specs[2], &specs[..2]).is_some());
        assert!(blend_parts(&specs[3], &specs[..3]).is_none());
        for (spec, pooled) in &results {
            let fitted = cross_validate(spec, &table, &labels, &folds, &mut |_| {}).unwrap();
            assert_eq!(fitted.name, pooled.name);
            let close = |a: f64, b: f64| (a - b).abs() < 1e-9;
            assert!(close(fitted.log_loss, pooled.log_loss), "{}", spec.name);
            assert!(
                (fitted.final_temperature - pooled.final_temperature).abs() < 1e-6,
                "{} vs {}",
                fitted.final_temperature,
                pooled.final_temperature
            );
            assert!(
                fitted
                    .match_log_losses
                    .iter()
                    .zip(&pooled.match_log_losses)
                    .all(|(&a, &b)| close(a, b))
            );
        }
        // The pool is not one of its parts.
        let log_loss = |k: usize| results[k].1.log_loss;
        assert!((log_loss(2) - log_loss(0)).abs() > 1e-6);
        assert!((log_loss(2) - log_loss(1)).abs() > 1e-6);
    }
}
