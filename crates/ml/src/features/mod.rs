//! Pre-kick-off features, one row per match.
//!
//! The no-leakage rule: a match's row is built only from results of matches
//! that kicked off strictly before it, and only from results visible at
//! `as_of` (see [`crate::split::visible_score`]). Matches are processed in
//! kick-off order in groups of equal kick-off: every row of a group is read
//! before any result of the group is applied, so two matches at 15:00 never
//! see each other (pre-2019 kick-offs are all "date at 15:00").

pub mod elo;
pub mod rolling;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use matchday_core::domain::Match;
use serde::{Deserialize, Serialize};

use crate::split::visible_score;
use crate::{MlError, Result};
use elo::{EloParams, EloRatings};
use rolling::{STATS, TeamForm, TeamResult};

/// Which features to build.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureConfig {
    /// Rolling windows (number of previous matches), e.g. `[5]` or `[3, 10]`.
    pub windows: Vec<usize>,
    pub elo: EloParams,
}

impl Default for FeatureConfig {
    fn default() -> Self {
        Self {
            windows: vec![5],
            elo: EloParams::default(),
        }
    }
}

impl FeatureConfig {
    /// Feature names in column order: for each window, the five rolling
    /// stats as home-minus-away differences, then `diff_elo`.
    pub fn feature_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .windows
            .iter()
            .flat_map(|w| STATS.iter().map(move |s| format!("diff_{s}_{w}_mean")))
            .collect();
        names.push("diff_elo".to_string());
        names
    }

    pub fn validate(&self) -> Result<()> {
        let mut sorted = self.windows.clone();
        sorted.sort_unstable();
        sorted.dedup();
        if self.windows.is_empty() || sorted.len() != self.windows.len() || sorted[0] == 0 {
            return Err(MlError::InvalidConfig(format!(
                "windows must be distinct positive sizes, got {:?}",
                self.windows
            )));
        }
        self.elo.validate().map_err(MlError::InvalidConfig)
    }
}

/// Feature matrix aligned with the input matches; NaN means unknown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureTable {
    pub names: Vec<String>,
    pub match_ids: Vec<i64>,
    pub rows: Vec<Vec<f64>>,
}

impl FeatureTable {
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Column index of a feature.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }
}

/// Build features for every match (history and future), rows in input order.
///
/// The input need not be sorted: rows are computed in kick-off order and
/// written back at each match's input position.
pub fn build_features(
    matches: &[Match],
    as_of: DateTime<Utc>,
    config: &FeatureConfig,
) -> Result<FeatureTable> {
    config.validate()?;
    let names = config.feature_names();
    let max_window = *config.windows.iter().max().expect("validated non-empty");
    let mut order: Vec<usize> = (0..matches.len()).collect();
    order.sort_by_key(|&i| matches[i].kickoff); // stable: ties keep input order

    let mut form: HashMap<&str, TeamForm> = HashMap::new();
    let mut elo = EloRatings::new(config.elo);
    let mut rows = vec![Vec::new(); matches.len()];

    for group in order.chunk_by(|&a, &b| matches[a].kickoff == matches[b].kickoff) {
        for &i in group {
            rows[i] = row(&matches[i], &form, &elo, config, names.len());
        }
        let mut results = Vec::with_capacity(group.len());
        for &i in group {
            let m = &matches[i];
            let Some(score) = visible_score(m, as_of) else {
                continue;
            };
            for (team, gf, ga) in [
                (m.home_team.as_str(), score.home, score.away),
                (m.away_team.as_str(), score.away, score.home),
            ] {
                form.entry(team)
                    .or_insert_with(|| TeamForm::new(max_window))
                    .push(TeamResult::new(gf, ga));
            }
            results.push(elo::PlayedMatch {
                home: &m.home_team,
                away: &m.away_team,
                season: &m.season,
                league: &m.league,
                home_score: match score.class() {
                    0 => 1.0,
                    1 => 0.5,
                    _ => 0.0,
                },
            });
        }
        elo.update_group(&results);
    }

    Ok(FeatureTable {
        names,
        match_ids: matches.iter().map(|m| m.id).collect(),
        rows,
    })
}

fn row(
    m: &Match,
    form: &HashMap<&str, TeamForm>,
    elo: &EloRatings,
    config: &FeatureConfig,
    width: usize,
) -> Vec<f64> {
    let mut row = Vec::with_capacity(width);
    let home = form.get(m.home_team.as_str());
    let away = form.get(m.away_team.as_str());
    for &w in &config.windows {
        let (h, a) = match (home, away) {
            (Some(h), Some(a)) => (h.means(w), a.means(w)),
            // A team without a previous result: every diff is unknown.
            _ => ([f64::NAN; 5], [f64::NAN; 5]),
        };
        row.extend(h.iter().zip(a).map(|(h, a)| h - a));
    }
    let diff_elo = match (
        elo.pre_match(&m.home_team, &m.season, &m.league),
        elo.pre_match(&m.away_team, &m.season, &m.league),
    ) {
        (Some(h), Some(a)) => h - a,
        _ => f64::NAN,
    };
    row.push(diff_elo);
    row
}

#[cfg(test)]
mod tests;
