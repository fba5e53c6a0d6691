//! pi-ratings (Constantinou & Fenton, 2013): every team has a home and an
//! away rating on a goal-difference scale, updated by how far the observed
//! goal difference was from the expected one.
//!
//! - Expected goal difference of a rating `r` against an average side:
//!   `sign(r) · (b^{|r|/c} − 1)`; of a match, the home side's (home rating)
//!   minus the away side's (away rating).
//! - Error `e = |observed − expected|`, dampened to `ψ(e) = c · log_b(1 + e)`
//!   so a 6-0 does not count six times a 1-0.
//! - The home side's home rating moves by `±λ·ψ(e)` (up if it did better
//!   than expected), its away rating by `γ` times that change; the away side
//!   mirrors it (away rating first, home rating by `γ`).
//!
//! Ratings of a team that changes league are re-anchored on its new league
//! as Elo does (see [`super::membership`]): the paper rates a single league.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::elo::PlayedMatch;
use super::membership::{Arrival, arrival, is_member};

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PiParams {
    /// λ: learning rate of the venue the match was played at.
    pub learning_rate: f64,
    /// γ: share of that change passed to the other venue's rating.
    pub cross_venue: f64,
    /// `b` (the paper's 10) and `c` (3): the rating ↔ goal scale.
    pub base: f64,
    pub scale: f64,
    /// Promoted (or new) teams start this far below their league's mean
    /// ratings; relegated ones `relegated_offset` above.
    pub promoted_offset: f64,
    pub relegated_offset: f64,
}

impl Default for PiParams {
    fn default() -> Self {
        Self {
            learning_rate: 0.035,
            cross_venue: 0.7,
            base: 10.0,
            scale: 3.0,
            promoted_offset: 0.0,
            relegated_offset: 0.0,
        }
    }
}

impl PiParams {
    pub(crate) fn validate(&self) -> Result<(), String> {
        let ok = [
            self.learning_rate,
            self.cross_venue,
            self.base,
            self.scale,
            self.promoted_offset,
            self.relegated_offset,
        ]
        .iter()
        .all(|x| x.is_finite())
            && self.learning_rate > 0.0
            && (0.0..=1.0).contains(&self.cross_venue)
            && self.base > 1.0
            && self.scale > 0.0;
        if ok {
            Ok(())
        } else {
            Err(format!("bad pi-rating parameters {self:?}"))
        }
    }

    /// Expected goal difference of a side rated `r` against an average one.
    pub fn expected_goals(&self, r: f64) -> f64 {
        r.signum() * (self.base.powf(r.abs() / self.scale) - 1.0)
    }
}

/// A team's two ratings.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct PiRating {
    pub home: f64,
    pub away: f64,
}

#[derive(Debug, Clone)]
struct TeamState {
    rating: PiRating,
    season: String,
    league: String,
}

#[derive(Debug, Clone, Default)]
pub struct PiRatings {
    params: PiParams,
    teams: BTreeMap<String, TeamState>,
}

impl PiRatings {
    pub fn new(params: PiParams) -> Self {
        Self {
            params,
            teams: BTreeMap::new(),
        }
    }

    /// Ratings of `team` going into a match of `league`/`season`.
    pub fn pre_match(&self, team: &str, season: &str, league: &str) -> PiRating {
        let t = self.teams.get(team);
        let previous = t.map(|t| (t.league.as_str(), t.season.as_str()));
        let shift = |offset: f64| {
            let mean = self.league_mean(league, season);
            PiRating {
                home: mean.home + offset,
                away: mean.away + offset,
            }
        };
        match (arrival(previous, league, season), t) {
            (Arrival::SameSeason | Arrival::NewSeason, Some(t)) => t.rating,
            (Arrival::Relegated, _) => shift(self.params.relegated_offset),
            _ => shift(-self.params.promoted_offset),
        }
    }

    /// Expected goal difference (home − away) of a match.
    pub fn expected_goal_diff(&self, home: PiRating, away: PiRating) -> f64 {
        self.params.expected_goals(home.home) - self.params.expected_goals(away.away)
    }

    /// Mean ratings of `league`'s members at a match of `season`
    /// ([`is_member`]).
    fn league_mean(&self, league: &str, season: &str) -> PiRating {
        let (mut sum, mut n) = (PiRating::default(), 0usize);
        let members = self
            .teams
            .values()
            .filter(|t| is_member(&t.league, &t.season, league, season));
        for t in members {
            sum.home += t.rating.home;
            sum.away += t.rating.away;
            n += 1;
        }
        if n == 0 {
            sum
        } else {
            PiRating {
                home: sum.home / n as f64,
                away: sum.away / n as f64,
            }
        }
    }

    /// Apply results of simultaneous matches (all read before any write).
    pub fn update_group(&mut self, results: &[PlayedMatch<'_>]) {
        let p = self.params;
        let updates: Vec<(&str, PiRating, &PlayedMatch<'_>)> = results
            .iter()
            .flat_map(|r| {
                let mut h = self.pre_match(r.home, r.season, r.league);
                let mut a = self.pre_match(r.away, r.season, r.league);
                let observed = f64::from(r.home_goals) - f64::from(r.away_goals);
                let expected = self.expected_goal_diff(h, a);
                let error = (observed - expected).abs();
                let psi = p.scale * (1.0 + error).log(p.base);
                // Exactly as expected: both signs give a zero step.
                let (psi_home, psi_away) = if observed > expected {
                    (psi, -psi)
                } else {
                    (-psi, psi)
                };
                let dh = psi_home * p.learning_rate;
                h.home += dh;
                h.away += dh * p.cross_venue;
                let da = psi_away * p.learning_rate;
                a.away += da;
                a.home += da * p.cross_venue;
                [(r.home, h, r), (r.away, a, r)]
            })
            .collect();
        for (team, rating, r) in updates {
            self.teams.insert(
                team.to_string(),
                TeamState {
                    rating,
                    season: r.season.to_string(),
                    league: r.league.to_string(),
                },
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn played<'a>(home: &'a str, away: &'a str, goals: (u8, u8)) -> PlayedMatch<'a> {
        PlayedMatch {
            home,
            away,
            season: "2020-2021",
            league: "E0",
            home_goals: goals.0,
            away_goals: goals.1,
        }
    }

    fn close(a: f64, b: f64) {
        assert!((a - b).abs() < 1e-9, "{a} vs {b}");
    }

    #[test]
    fn updates_match_the_paper_by_hand() {
        let mut pi = PiRatings::new(PiParams::default());
        // Both at 0: expected gd 0. A wins 2-0: e = 2, ψ = 3·log10(3) = 1.4313637642.
        // A home += 0.035ψ = 0.0500977317, A away += 0.7 of it = 0.0350684122;
        // B away -= 0.0500977317, B home -= 0.0350684122.
        pi.update_group(&[played("A", "B", (2, 0))]);
        let a = pi.pre_match("A", "2020-2021", "E0");
        let b = pi.pre_match("B", "2020-2021", "E0");
        close(a.home, 0.050_097_731_746);
        close(a.away, 0.035_068_412_223);
        close(b.away, -0.050_097_731_746);
        close(b.home, -0.035_068_412_223);

        // B hosts A. Expected: g(B.home) - g(A.away), g(r) = 10^(|r|/3) - 1 signed:
        // g(-0.0350684122) = -(10^0.0116894707 - 1) = -0.0272815086,
        // g(0.0350684122) = 0.0272815086 → expected -0.0545630172.
        // Observed 1-1 (0) is above it: e = 0.0545630172,
        // ψ = 3·log10(1.0545630172) = 0.0692176105; B home += 0.035ψ.
        let expected = pi.expected_goal_diff(b, a);
        close(expected, -0.054_563_017_188);
        pi.update_group(&[played("B", "A", (1, 1))]);
        let b2 = pi.pre_match("B", "2020-2021", "E0");
        let a2 = pi.pre_match("A", "2020-2021", "E0");
        let step = 0.035 * 3.0 * (1.0 + 0.054_563_017_188f64).log10();
        close(b2.home, b.home + step);
        close(b2.away, b.away + 0.7 * step);
        close(a2.away, a.away - step);
        close(a2.home, a.home - 0.7 * step);
        assert!((step - 0.035 * 0.069_217_610_5).abs() < 1e-9);
    }

    #[test]
    fn newcomers_start_below_their_league() {
        let mut pi = PiRatings::new(PiParams {
            promoted_offset: 0.2,
            ..PiParams::default()
        });
        pi.update_group(&[played("A", "B", (1, 0))]);
        let a = pi.pre_match("A", "2020-2021", "E0");
        let b = pi.pre_match("B", "2020-2021", "E0");
        // The newcomer sits 0.2 below the league's mean at each venue.
        let c = pi.pre_match("C", "2020-2021", "E0");
        close(c.home, (a.home + b.home) / 2.0 - 0.2);
        close(c.away, (a.away + b.away) / 2.0 - 0.2);
    }
}
