//! Elo over all leagues, keyed by team name, with a goal-difference scaled
//! update and explicit handling of promotion and relegation.
//!
//! Team names are stable across seasons and across the English divisions, so
//! a club keeps its rating from season to season. Divisions never play each
//! other, so a rating is only comparable within a league: at a team's first
//! match of a season it is re-anchored on the mean of its (new) league (see
//! [`Arrival`]): regressed towards it if the team stayed, set below it if the
//! team came up (or is new), above it if the team came down.
//!
//! The update is `k · (1 + |goal difference|)^λ · (result − expected)`
//! (Hvattum & Arntzen 2010): a 4-0 says more than a 1-0.
//!
//! Defaults were tuned on training data only (kick-offs before 2021-07-01,
//! see [`crate::tune`]), by the squared error of the expected score.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::membership::{Arrival, arrival, is_member};

/// Elo parameters (rating points).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EloParams {
    /// Update step: rating moves by `k * (1 + |gd|)^λ * (result - expected)`.
    pub k: f64,
    /// Added to the home side's rating when computing the expected result
    /// (not to the stored rating). ~60 points ≈ a 58.5% home expectation.
    pub home_advantage: f64,
    /// Rating of the very first teams of a league.
    pub initial: f64,
    /// Share of a team's distance from its league's mean kept into a new
    /// season in the same league: `mean + season_carry * (rating - mean)`.
    /// Regression to the mean absorbs summer transfers; 1.0 disables it.
    pub season_carry: f64,
    /// λ of the goal-difference multiplier `(1 + |gd|)^λ`; 0 = plain Elo.
    #[serde(default)]
    pub goal_diff_exponent: f64,
    /// A promoted (or new, or returning) team starts this far below the
    /// mean of its new league.
    #[serde(default)]
    pub promoted_offset: f64,
    /// A relegated team starts this far above the mean of its new league.
    #[serde(default)]
    pub relegated_offset: f64,
}

impl Default for EloParams {
    fn default() -> Self {
        Self {
            k: 15.0,
            home_advantage: 60.0,
            initial: 1500.0,
            season_carry: 0.9,
            goal_diff_exponent: 0.0,
            promoted_offset: 0.0,
            relegated_offset: 0.0,
        }
    }
}

impl EloParams {
    pub(crate) fn validate(&self) -> Result<(), String> {
        let finite = [
            self.k,
            self.home_advantage,
            self.initial,
            self.season_carry,
            self.goal_diff_exponent,
            self.promoted_offset,
            self.relegated_offset,
        ]
        .iter()
        .all(|x| x.is_finite());
        if !finite
            || self.k <= 0.0
            || !(0.0..=1.0).contains(&self.season_carry)
            || !(0.0..=2.0).contains(&self.goal_diff_exponent)
        {
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
    league: String,
}

/// Ratings of every team that has a known result so far.
#[derive(Debug, Clone, Default)]
pub struct EloRatings {
    params: EloParams,
    // Ordered, so the league-mean sum runs in the same order on every run.
    teams: BTreeMap<String, TeamRating>,
}

impl EloRatings {
    pub fn new(params: EloParams) -> Self {
        Self {
            params,
            teams: BTreeMap::new(),
        }
    }

    pub fn params(&self) -> &EloParams {
        &self.params
    }

    /// Rating of `team` going into a match of `season` in `league`, after
    /// any re-anchoring at the start of a season. A team never seen before
    /// is a promoted one: `league mean - promoted_offset`.
    pub fn pre_match(&self, team: &str, season: &str, league: &str) -> f64 {
        let t = self.teams.get(team);
        let previous = t.map(|t| (t.league.as_str(), t.season.as_str()));
        match (arrival(previous, league, season), t) {
            (Arrival::SameSeason, Some(t)) => t.rating,
            (Arrival::NewSeason, Some(t)) => {
                let mean = self.league_mean(league, season);
                mean + self.params.season_carry * (t.rating - mean)
            }
            (Arrival::Relegated, _) => {
                self.league_mean(league, season) + self.params.relegated_offset
            }
            _ => self.league_mean(league, season) - self.params.promoted_offset,
        }
    }

    /// Whether `team` has a known result.
    pub fn knows(&self, team: &str) -> bool {
        self.teams.contains_key(team)
    }

    /// Mean stored rating of `league`'s members at a match of `season`
    /// ([`is_member`]; `initial` if none). Computed lazily: only a team's
    /// first match of a season needs it, a few thousand times over all the
    /// data.
    fn league_mean(&self, league: &str, season: &str) -> f64 {
        let (mut sum, mut n) = (0.0, 0usize);
        let members = self
            .teams
            .values()
            .filter(|t| is_member(&t.league, &t.season, league, season));
        for t in members {
            sum += t.rating;
            n += 1;
        }
        if n == 0 {
            self.params.initial
        } else {
            sum / n as f64
        }
    }

    /// Apply one result of `league`/`season`.
    pub fn update(&mut self, home: &str, away: &str, season: &str, league: &str, goals: (u8, u8)) {
        self.update_group(&[PlayedMatch {
            home,
            away,
            season,
            league,
            home_goals: goals.0,
            away_goals: goals.1,
        }]);
    }

    /// Apply the results of matches that kicked off at the same time. Every
    /// pre-match rating is read before any is written: the new-season league
    /// mean must not depend on which of simultaneous matches comes first.
    pub fn update_group(&mut self, results: &[PlayedMatch<'_>]) {
        let updates: Vec<(&str, f64, &PlayedMatch<'_>)> = results
            .iter()
            .flat_map(|r| {
                let rh = self.pre_match(r.home, r.season, r.league);
                let ra = self.pre_match(r.away, r.season, r.league);
                let delta = self.params.k
                    * r.goal_diff_multiplier(self.params.goal_diff_exponent)
                    * (r.home_score() - expected_home(&self.params, rh, ra));
                [(r.home, rh + delta, r), (r.away, ra - delta, r)]
            })
            .collect();
        for (team, rating, r) in updates {
            self.teams.insert(
                team.to_string(),
                TeamRating {
                    rating,
                    season: r.season.to_string(),
                    league: r.league.to_string(),
                },
            );
        }
    }
}

/// One known result, as the ratings see it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlayedMatch<'a> {
    pub home: &'a str,
    pub away: &'a str,
    pub season: &'a str,
    pub league: &'a str,
    pub home_goals: u8,
    pub away_goals: u8,
}

impl PlayedMatch<'_> {
    /// 1 home win, ½ draw, 0 away win.
    pub fn home_score(&self) -> f64 {
        match self.home_goals.cmp(&self.away_goals) {
            std::cmp::Ordering::Greater => 1.0,
            std::cmp::Ordering::Equal => 0.5,
            std::cmp::Ordering::Less => 0.0,
        }
    }

    /// `(1 + |gd|)^λ`.
    fn goal_diff_multiplier(&self, exponent: f64) -> f64 {
        let gd = (i32::from(self.home_goals) - i32::from(self.away_goals)).unsigned_abs();
        (1.0 + f64::from(gd)).powf(exponent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) {
        assert!((a - b).abs() < 1e-6, "{a} vs {b}");
    }

    #[test]
    fn update_matches_hand_computed_values() {
        let params = EloParams {
            k: 20.0,
            home_advantage: 60.0,
            initial: 1500.0,
            season_carry: 0.8,
            goal_diff_exponent: 0.5,
            promoted_offset: 30.0,
            relegated_offset: 20.0,
        };
        let s1 = "2020-2021";
        let mut elo = EloRatings::new(params);
        // Both new: promoted into an empty league, 1500 - 30 = 1470 each.
        close(elo.pre_match("A", s1, "E0"), 1470.0);
        // Expected home = 1/(1+10^(-60/400)) = 0.5854986787. A wins 3-0:
        // multiplier (1+3)^0.5 = 2, delta = 20·2·(1-0.5854986787) = 16.5800528531.
        elo.update("A", "B", s1, "E0", (3, 0));
        close(elo.pre_match("A", s1, "E0"), 1_486.580_052_853_1);
        close(elo.pre_match("B", s1, "E0"), 1_453.419_947_146_9);

        // B hosts A, 1-1: expected = 1/(1+10^((1486.5800528531-1453.4199471469-60)/400))
        // = 0.5385490592, multiplier 1, delta = 20·(0.5-0.5385490592) = -0.7709811833.
        elo.update("B", "A", s1, "E0", (1, 1));
        close(elo.pre_match("A", s1, "E0"), 1_487.351_034_036_5);
        close(elo.pre_match("B", s1, "E0"), 1_452.648_965_963_5);

        // Next season in E0: mean (A, B) = 1470 → A = 1470 + 0.8·17.3510340365.
        let s2 = "2021-2022";
        close(elo.pre_match("A", s2, "E0"), 1_483.880_827_229_2);
        // A newcomer starts 30 below the E0 mean.
        close(elo.pre_match("C", s2, "E0"), 1440.0);
        // B relegated to E1, where nobody has played: 1500 + 20.
        close(elo.pre_match("B", s2, "E1"), 1520.0);
        // A back in E0 after a season away counts as promoted; nobody has
        // played E0 in 2021-22 or 2022-23, so it starts 30 below `initial`.
        close(elo.pre_match("A", "2022-2023", "E0"), 1470.0);
    }

    #[test]
    fn a_club_gone_from_the_league_stops_counting_in_its_mean() {
        let mut elo = EloRatings::new(EloParams::default());
        let (s1, s2, s3) = ("2018-2019", "2019-2020", "2020-2021");
        // X loses heavily in 2018-19 and is never seen again (relegated out
        // of the data); A and B play on.
        for _ in 0..5 {
            elo.update("A", "X", s1, "SP1", (4, 0));
            elo.update("B", "X", s1, "SP1", (3, 0));
        }
        elo.update("A", "B", s2, "SP1", (1, 1));
        let (a, b, x) = (
            elo.pre_match("A", s2, "SP1"),
            elo.pre_match("B", s2, "SP1"),
            elo.pre_match("X", s1, "SP1"),
        );
        assert!(x < a.min(b) - 50.0);
        let offset = EloParams::default().promoted_offset;
        // A season after its last match X still counts: a newcomer in
        // 2019-20 starts below the mean of all three.
        close(elo.pre_match("N", s2, "SP1"), (a + b + x) / 3.0 - offset);
        // Two seasons after, only the members do.
        close(elo.pre_match("N", s3, "SP1"), (a + b) / 2.0 - offset);
    }

    #[test]
    fn ratings_are_zero_sum_within_a_season() {
        let mut elo = EloRatings::new(EloParams {
            goal_diff_exponent: 1.0,
            ..EloParams::default()
        });
        elo.update("A", "B", "s", "L", (0, 2));
        elo.update("C", "A", "s", "L", (2, 2));
        elo.update("B", "C", "s", "L", (4, 1));
        let total: f64 = ["A", "B", "C"]
            .iter()
            .map(|t| elo.pre_match(t, "s", "L"))
            .sum();
        assert!((total - 4500.0).abs() < 1e-9);
    }
}
