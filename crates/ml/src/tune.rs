//! Tuning with a fixed budget and seed, on training data only.
//!
//! Three stages, each scored only on matches before the training cut-off
//! (the test split, or the first walk-forward test season):
//! 1. ratings: coordinate search of the Elo, pi-rating and Dixon-Coles
//!    parameters, each by its own natural error (Elo: squared error of the
//!    expected score; pi: squared error of the expected goal difference;
//!    Dixon-Coles: log-loss of its 1X2 probabilities), on matches after the
//!    burn-in;
//! 2. models: random search of each family's hyper-parameters, scored by
//!    expanding-window CV log-loss ([`crate::cv`]);
//! 3. calibration: the temperature comes with every CV run (fitted on one
//!    fold, checked on the next).

use chrono::{DateTime, Duration, Utc};
use matchday_core::domain::{Match, Score};
use serde::{Deserialize, Serialize};

use crate::Result;
use crate::cv::{Fold, cross_validate};
use crate::features::dixon_coles::DixonColesParams;
use crate::features::elo::{EloParams, EloRatings, PlayedMatch, expected_home};
use crate::features::pi_rating::{PiParams, PiRatings};
use crate::features::{FeatureConfig, FeatureTable, dixon_coles_forecasts};
use crate::linear::LogitParams;
use crate::metrics::LOG_LOSS_EPS;
use crate::models::gbdt::GbdtParams;
use crate::models::{FeatureSet, ModelParams, ModelSpec};
use crate::split::visible_score;
use crate::synthetic::SplitMix64;

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TuneConfig {
    /// Random-search trials per model family.
    pub budget: usize,
    pub seed: u64,
    /// Also tune the rating parameters (stage 1).
    pub ratings: bool,
}

impl Default for TuneConfig {
    fn default() -> Self {
        Self {
            budget: 8,
            seed: 2024,
            ratings: true,
        }
    }
}

/// One evaluated setting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trial {
    pub stage: String,
    pub setting: String,
    pub score: f64,
}

/// Matches scored by the rating objectives: finished, after the burn-in,
/// before `until`.
fn scored(matches: &[Match], until: DateTime<Utc>, burn_in_days: i64) -> Vec<bool> {
    let first = matches.iter().map(|m| m.kickoff).min();
    matches
        .iter()
        .map(|m| {
            first.is_some_and(|f| m.kickoff >= f + Duration::days(burn_in_days))
                && m.kickoff < until
                && m.score.is_some()
        })
        .collect()
}

fn sorted_groups(matches: &[Match]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..matches.len()).collect();
    order.sort_by_key(|&i| matches[i].kickoff);
    order
}

/// Mean squared error of Elo's expected score (1, ½, 0) on scored matches.
pub fn elo_error(matches: &[Match], until: DateTime<Utc>, burn_in: i64, p: &EloParams) -> f64 {
    let keep = scored(matches, until, burn_in);
    let order = sorted_groups(matches);
    let mut elo = EloRatings::new(*p);
    let (mut sum, mut n) = (0.0, 0usize);
    for group in order.chunk_by(|&a, &b| matches[a].kickoff == matches[b].kickoff) {
        let mut results = Vec::new();
        for &i in group {
            let m = &matches[i];
            let Some(s) = visible_score(m, until) else {
                continue;
            };
            let played = PlayedMatch {
                home: &m.home_team,
                away: &m.away_team,
                season: &m.season,
                league: &m.league,
                home_goals: s.home,
                away_goals: s.away,
            };
            if keep[i] {
                let e = expected_home(
                    p,
                    elo.pre_match(&m.home_team, &m.season, &m.league),
                    elo.pre_match(&m.away_team, &m.season, &m.league),
                );
                sum += (played.home_score() - e).powi(2);
                n += 1;
            }
            results.push(played);
        }
        elo.update_group(&results);
    }
    sum / n.max(1) as f64
}

/// Mean squared error of the pi-ratings' expected goal difference.
pub fn pi_error(matches: &[Match], until: DateTime<Utc>, burn_in: i64, p: &PiParams) -> f64 {
    let keep = scored(matches, until, burn_in);
    let order = sorted_groups(matches);
    let mut pi = PiRatings::new(*p);
    let (mut sum, mut n) = (0.0, 0usize);
    for group in order.chunk_by(|&a, &b| matches[a].kickoff == matches[b].kickoff) {
        let mut results = Vec::new();
        for &i in group {
            let m = &matches[i];
            let Some(s) = visible_score(m, until) else {
                continue;
            };
            if keep[i] {
                let h = pi.pre_match(&m.home_team, &m.season, &m.league);
                let a = pi.pre_match(&m.away_team, &m.season, &m.league);
                let gd = f64::from(s.home) - f64::from(s.away);
                sum += (gd - pi.expected_goal_diff(h, a)).powi(2);
                n += 1;
            }
            results.push(PlayedMatch {
                home: &m.home_team,
                away: &m.away_team,
                season: &m.season,
                league: &m.league,
                home_goals: s.home,
                away_goals: s.away,
            });
        }
        pi.update_group(&results);
    }
    sum / n.max(1) as f64
}

/// Log-loss of the Dixon-Coles probabilities on scored matches.
pub fn dc_error(
    matches: &[Match],
    until: DateTime<Utc>,
    burn_in: i64,
    p: &DixonColesParams,
    closed_doors: bool,
) -> f64 {
    let keep = scored(matches, until, burn_in);
    let forecasts = dixon_coles_forecasts(matches, until, p, closed_doors);
    let (mut sum, mut n) = (0.0, 0usize);
    for (i, f) in forecasts.iter().enumerate() {
        if let (true, Some(f), Some(s)) = (keep[i], f, matches[i].score) {
            sum -= f.proba[s.class()].max(LOG_LOSS_EPS).ln();
            n += 1;
        }
    }
    sum / n.max(1) as f64
}

/// A tunable knob: its name, the values tried, and how to set it.
type Knob<'a, P> = (&'a str, &'a [f64], fn(&mut P, f64));

/// One pass of coordinate search: for each knob in turn, keep the value
/// with the lowest error (ties keep the current one).
fn coordinate_search<P: Copy + std::fmt::Debug>(
    stage: &str,
    start: P,
    knobs: &[Knob<'_, P>],
    error: &dyn Fn(&P) -> f64,
    trials: &mut Vec<Trial>,
    progress: &mut dyn FnMut(&str),
) -> P {
    let mut best = start;
    let mut best_err = error(&best);
    trials.push(Trial {
        stage: stage.to_string(),
        setting: format!("{best:?}"),
        score: best_err,
    });
    for (name, values, set) in knobs {
        for &v in *values {
            let mut p = best;
            set(&mut p, v);
            let e = error(&p);
            trials.push(Trial {
                stage: stage.to_string(),
                setting: format!("{name}={v}"),
                score: e,
            });
            if e < best_err {
                best = p;
                best_err = e;
            }
        }
        progress(&format!("{stage} {name}: error {best_err:.5}"));
    }
    best
}

/// Stage 1: tune the rating parameters of `base` on matches before `until`.
pub fn tune_ratings(
    matches: &[Match],
    until: DateTime<Utc>,
    burn_in_days: i64,
    base: &FeatureConfig,
    trials: &mut Vec<Trial>,
    progress: &mut dyn FnMut(&str),
) -> FeatureConfig {
    let mut out = base.clone();
    out.elo = coordinate_search(
        "elo",
        base.elo,
        &[
            ("k", &[10.0, 15.0, 20.0, 25.0, 30.0], |p, v| p.k = v),
            ("home_advantage", &[30.0, 45.0, 60.0, 75.0, 90.0], |p, v| {
                p.home_advantage = v
            }),
            ("goal_diff_exponent", &[0.0, 0.4, 0.7, 1.0], |p, v| {
                p.goal_diff_exponent = v
            }),
            ("season_carry", &[0.7, 0.8, 0.9, 1.0], |p, v| {
                p.season_carry = v
            }),
            (
                "promoted_offset",
                &[0.0, 30.0, 60.0, 90.0, 120.0],
                |p, v| p.promoted_offset = v,
            ),
            ("relegated_offset", &[0.0, 30.0, 60.0, 90.0], |p, v| {
                p.relegated_offset = v
            }),
        ],
        &|p| elo_error(matches, until, burn_in_days, p),
        trials,
        progress,
    );
    out.pi = coordinate_search(
        "pi",
        base.pi,
        &[
            ("learning_rate", &[0.02, 0.035, 0.05, 0.07], |p, v| {
                p.learning_rate = v
            }),
            ("cross_venue", &[0.5, 0.7, 0.9], |p, v| p.cross_venue = v),
            ("promoted_offset", &[0.0, 0.1, 0.2, 0.3, 0.4], |p, v| {
                p.promoted_offset = v
            }),
            ("relegated_offset", &[0.0, 0.1, 0.2, 0.3], |p, v| {
                p.relegated_offset = v
            }),
        ],
        &|p| pi_error(matches, until, burn_in_days, p),
        trials,
        progress,
    );
    out.dixon_coles = coordinate_search(
        "dixon_coles",
        base.dixon_coles,
        &[
            ("decay_per_day", &[0.001, 0.002, 0.003, 0.004], |p, v| {
                p.decay_per_day = v
            }),
            ("ridge", &[4.0, 8.0, 16.0, 32.0], |p, v| p.ridge = v),
            ("promoted_offset", &[0.0, 0.1, 0.2, 0.3], |p, v| {
                p.promoted_offset = v
            }),
            ("relegated_offset", &[0.0, 0.1, 0.2], |p, v| {
                p.relegated_offset = v
            }),
        ],
        &|p| dc_error(matches, until, burn_in_days, p, base.closed_doors),
        trials,
        progress,
    );
    out
}

/// A random setting of a family, drawn from ranges that cover the usual
/// good regions (log-uniform for scale parameters).
fn draw(rng: &mut SplitMix64, family: &ModelParams, seed: u64) -> ModelParams {
    let log_uniform = |rng: &mut SplitMix64, lo: f64, hi: f64| {
        (lo.ln() + rng.next_f64() * (hi.ln() - lo.ln())).exp()
    };
    match family {
        ModelParams::Logit(p) => ModelParams::Logit(LogitParams {
            l2: log_uniform(rng, 1e-5, 1e-1),
            ..*p
        }),
        ModelParams::Gbdt(_) => ModelParams::Gbdt(GbdtParams {
            rounds: 60 + (rng.next_f64() * 300.0) as usize,
            max_depth: 2 + (rng.next_f64() * 4.0) as usize,
            eta: log_uniform(rng, 0.02, 0.15),
            min_child_weight: log_uniform(rng, 5.0, 300.0),
            lambda: log_uniform(rng, 0.3, 20.0),
            subsample: 0.6 + 0.4 * rng.next_f64(),
            colsample_bytree: 0.5 + 0.5 * rng.next_f64(),
            seed,
        }),
        // Not searched (see `tune_candidates`).
        ModelParams::Blend(_) | ModelParams::Goals(_) => *family,
    }
}

/// Stage 2 for every candidate: [`tune_model`] for each family, then each
/// blend takes the tuned settings of the logit and the trees on its feature
/// set, and each goals pool the logit's (neither has a parameter of its own
/// to search: their weights are fixed, and the goal regressions share the
/// logit's penalty).
/// `progress` gets each line and (candidate, candidates).
pub fn tune_candidates(
    candidates: &[ModelSpec],
    table: &FeatureTable,
    labels: &[Option<Score>],
    folds: &[Fold],
    config: &TuneConfig,
    trials: &mut Vec<Trial>,
    progress: &mut dyn FnMut(&str, (usize, usize)),
) -> Result<Vec<ModelSpec>> {
    let n = candidates.len();
    let mut tuned = Vec::with_capacity(n);
    for (k, spec) in candidates.iter().enumerate() {
        tuned.push(match spec.params {
            ModelParams::Blend(_) | ModelParams::Goals(_) => spec.clone(),
            _ => tune_model(spec, table, labels, folds, config, trials, &mut |line| {
                progress(line, (k, n))
            })?,
        });
    }
    let parts = tuned.clone();
    for spec in &mut tuned {
        let features = spec.features.clone();
        for part in parts.iter().filter(|p| p.features == features) {
            match (&mut spec.params, part.params) {
                (ModelParams::Blend(blend), ModelParams::Logit(p)) => blend.logit = p,
                (ModelParams::Blend(blend), ModelParams::Gbdt(p)) => blend.gbdt = p,
                (ModelParams::Goals(goals), ModelParams::Logit(p)) => goals.logit = p,
                _ => {}
            }
        }
    }
    Ok(tuned)
}

/// Stage 2: random search of `spec`'s hyper-parameters (its own setting is
/// trial 0), by mean CV log-loss over `folds`. Returns the best spec.
pub fn tune_model(
    spec: &ModelSpec,
    table: &FeatureTable,
    labels: &[Option<Score>],
    folds: &[Fold],
    config: &TuneConfig,
    trials: &mut Vec<Trial>,
    progress: &mut dyn FnMut(&str),
) -> Result<ModelSpec> {
    let mut rng = SplitMix64::new(config.seed ^ fnv(&spec.name));
    let mut best = spec.clone();
    let mut best_loss = f64::INFINITY;
    for t in 0..config.budget.max(1) {
        let candidate = ModelSpec {
            params: if t == 0 {
                spec.params
            } else {
                draw(&mut rng, &spec.params, config.seed)
            },
            ..spec.clone()
        };
        let cv = cross_validate(&candidate, table, labels, folds, &mut |_| {})?;
        trials.push(Trial {
            stage: spec.name.clone(),
            setting: serde_json::to_string(&candidate.params).expect("params serialise"),
            score: cv.log_loss,
        });
        if cv.log_loss < best_loss {
            best_loss = cv.log_loss;
            best = candidate;
        }
        progress(&format!(
            "{} trial {}/{}: CV log-loss {:.5} (best {:.5})",
            spec.name,
            t + 1,
            config.budget.max(1),
            cv.log_loss,
            best_loss
        ));
    }
    Ok(best)
}

fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Restrict a feature set to what a candidate should read (for reports).
pub fn describe(spec: &ModelSpec) -> String {
    let features = match &spec.features {
        FeatureSet::Full => "all features".to_string(),
        FeatureSet::RollingOnly => "rolling form only".to_string(),
        FeatureSet::EloOnly => "Elo only".to_string(),
        FeatureSet::Named(n) => format!("{} named features", n.len()),
    };
    format!("{} on {}", spec.params.model_type(), features)
}
