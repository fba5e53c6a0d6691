//! A plain Elo rating over all leagues, keyed by team name.
//!
//! Team names are stable across seasons and across the English divisions, so
//! a promoted club keeps its rating. Divisions never play each other, so a
//! rating is only comparable within a league; the feature is a within-match
//! difference, which is all the model needs.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// Elo parameters (rating points).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EloParams {
    /// Update step: rating moves by `k * (result - expected)`. 20 is the
    /// usual club-football value (eloratings.net uses 20–30 by competition).
    pub k: f64,
    /// Added to the home side's rating when computing the expected result
    /// (not to the stored rating). ~60 points ≈ a 58.5% home expectation.
    pub home_advantage: f64,
    /// Rating of a team at its first match. The feature is still NaN for a
    /// team without a previous result: its rating means nothing yet.
    pub initial: f64,
    /// Share of a team's distance from `initial` kept into a new season:
    /// at a team's first match of a season its rating becomes
    /// `initial + season_carry * (rating - initial)`. Regression to the mean
    /// absorbs summer transfers and managerial changes. 1.0 disables it.
    pub season_carry: f64,
}

impl Default for EloParams {
    fn default() -> Self {
        Self {
            k: 20.0,
            home_advantage: 60.0,
            initial: 1500.0,
            season_carry: 0.8,
        }
    }
}

impl EloParams {
    pub(crate) fn validate(&self) -> Result<(), String> {
        let finite = [self.k, self.home_advantage, self.initial, self.season_carry]
            .iter()
            .all(|x| x.is_finite());
        if !finite || self.k <= 0.0 || !(0.0..=1.0).contains(&self.season_carry) {
            return Err(format!("bad Elo parameters {self:?}"));
        }
        Ok(())
    }
}

/// Expected score (win = 1, draw = ½) of the home side.
pub fn expected_home(params: &EloParams, home: f64, away: f64) -> f64 {
    1.0 / (1.0 + 10f64.powf((away - home - params.home_advantage) / 400.0))
}

#[derive(Debug, Clone)]
struct TeamRating {
    rating: f64,
    season: String,
}

/// Ratings of every team that has a known result so far.
#[derive(Debug, Clone, Default)]
pub struct EloRatings {
    params: EloParams,
    teams: HashMap<String, TeamRating>,
}

impl EloRatings {
    pub fn new(params: EloParams) -> Self {
        Self {
            params,
            teams: HashMap::new(),
        }
    }

    /// Rating of `team` going into a match of `season`, after any new-season
    /// regression; `None` if the team has no known result yet.
    pub fn pre_match(&self, team: &str, season: &str) -> Option<f64> {
        self.teams.get(team).map(|t| self.carried(t, season))
    }

    fn carried(&self, t: &TeamRating, season: &str) -> f64 {
        if t.season == season {
            t.rating
        } else {
            let p = &self.params;
            p.initial + p.season_carry * (t.rating - p.initial)
        }
    }

    /// Apply one result; `home_score` is 1, ½ or 0.
    pub fn update(&mut self, home: &str, away: &str, season: &str, home_score: f64) {
        let initial = self.params.initial;
        let rh = self.pre_match(home, season).unwrap_or(initial);
        let ra = self.pre_match(away, season).unwrap_or(initial);
        let delta = self.params.k * (home_score - expected_home(&self.params, rh, ra));
        for (team, rating) in [(home, rh + delta), (away, ra - delta)] {
            self.teams.insert(
                team.to_string(),
                TeamRating {
                    rating,
                    season: season.to_string(),
                },
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn update_matches_a_hand_computed_value() {
        let params = EloParams {
            k: 20.0,
            home_advantage: 60.0,
            initial: 1500.0,
            season_carry: 0.8,
        };
        let mut elo = EloRatings::new(params);
        // New teams start at 1500. Expected home = 1/(1+10^(-60/400)) = 0.585499...
        // Home wins: delta = 20 * (1 - 0.585499) = 8.29003.
        elo.update("A", "B", "2020-2021", 1.0);
        let a = elo.pre_match("A", "2020-2021").unwrap();
        let b = elo.pre_match("B", "2020-2021").unwrap();
        assert!((a - 1_508.290_03).abs() < 1e-4, "{a}");
        assert!((b - 1_491.709_97).abs() < 1e-4, "{b}");

        // B (1491.70997) hosts A (1508.29003) and draws:
        // expected = 1/(1+10^((1508.29003-1491.70997-60)/400)) = 0.562163...
        // delta = 20 * (0.5 - 0.562163) = -1.24326 → B 1490.4667, A 1509.5333.
        elo.update("B", "A", "2020-2021", 0.5);
        let a = elo.pre_match("A", "2020-2021").unwrap();
        let b = elo.pre_match("B", "2020-2021").unwrap();
        assert!((a - 1509.5333).abs() < 1e-3, "{a}");
        assert!((b - 1490.4667).abs() < 1e-3, "{b}");

        // New season: 1500 + 0.8 * 9.5333 = 1507.6266.
        let a_next = elo.pre_match("A", "2021-2022").unwrap();
        assert!((a_next - 1507.6266).abs() < 1e-3, "{a_next}");
        assert_eq!(elo.pre_match("C", "2021-2022"), None);
    }

    #[test]
    fn ratings_are_zero_sum() {
        let mut elo = EloRatings::new(EloParams::default());
        elo.update("A", "B", "s", 0.0);
        elo.update("C", "A", "s", 0.5);
        elo.update("B", "C", "s", 1.0);
        let total: f64 = ["A", "B", "C"]
            .iter()
            .map(|t| elo.pre_match(t, "s").unwrap())
            .sum();
        assert!((total - 4500.0).abs() < 1e-9);
    }
}
