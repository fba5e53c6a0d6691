//! A seeded league generator for tests: teams with latent strengths that
//! drift between seasons, double round-robin schedules, Poisson goals with a
//! home advantage, and fair-ish bookmaker prices from the true probabilities.
//!
//! Uses its own SplitMix64 so that the same seed gives the same league on any
//! platform and with any version of the `rand` crates.

use chrono::{DateTime, Duration, TimeZone, Utc};
use matchday_core::domain::{Match, OddsKind, OddsQuote, Score};
use matchday_core::ids;

/// Knobs of the generator; `Default` gives a small 3-season league.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntheticConfig {
    pub seed: u64,
    pub league: String,
    /// Even, so every team plays each round.
    pub n_teams: usize,
    pub n_seasons: usize,
    /// Kick-off of the first round; rounds are a week apart, seasons restart
    /// each year at the same calendar date.
    pub start: DateTime<Utc>,
    /// Log-rate of goals of an average team (exp(0.3) ≈ 1.35 goals).
    pub log_base_rate: f64,
    /// Added to the home side's log-rate.
    pub home_advantage: f64,
    /// Standard deviation of the latent strengths (log-rate units).
    pub strength_sd: f64,
    /// Standard deviation of each team's strength change between seasons.
    pub season_drift_sd: f64,
    /// Bookmaker margin on the generated prices (0.05 = 5% overround).
    pub margin: f64,
}

impl Default for SyntheticConfig {
    fn default() -> Self {
        Self {
            seed: 7,
            league: "SYN".to_string(),
            n_teams: 12,
            n_seasons: 3,
            start: Utc.with_ymd_and_hms(2015, 8, 8, 14, 0, 0).unwrap(),
            log_base_rate: 0.3,
            home_advantage: 0.25,
            strength_sd: 0.35,
            season_drift_sd: 0.1,
            margin: 0.05,
        }
    }
}

/// A generated league: matches sorted by kick-off, all scored; one `PS`
/// closing quote per match; the latent strength of each team per season.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntheticData {
    pub matches: Vec<Match>,
    pub odds: Vec<OddsQuote>,
    /// The true (home, draw, away) probabilities, parallel to `matches`.
    pub true_proba: Vec<[f64; 3]>,
    pub team_names: Vec<String>,
}

/// SplitMix64: tiny, fast, well-distributed, and stable by construction.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Standard normal (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.next_f64(); // (0, 1]: ln is finite
        let u2 = self.next_f64();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// Poisson(lambda) by Knuth's product method (fine for football rates).
    pub fn poisson(&mut self, lambda: f64) -> u32 {
        let limit = (-lambda).exp();
        let mut k = 0;
        let mut p = self.next_f64();
        while p > limit {
            k += 1;
            p *= self.next_f64();
        }
        k
    }
}

/// Generate a league from `config`.
pub fn generate(config: &SyntheticConfig) -> SyntheticData {
    assert!(
        config.n_teams >= 2 && config.n_teams.is_multiple_of(2),
        "n_teams must be even and at least 2"
    );
    let mut rng = SplitMix64::new(config.seed);
    let team_names: Vec<String> = (0..config.n_teams)
        .map(|t| format!("Team {t:02}"))
        .collect();
    let mut strength: Vec<f64> = (0..config.n_teams)
        .map(|_| config.strength_sd * rng.normal())
        .collect();
    let rounds = double_round_robin(config.n_teams);

    let mut data = SyntheticData {
        matches: Vec::new(),
        odds: Vec::new(),
        true_proba: Vec::new(),
        team_names: team_names.clone(),
    };
    for season in 0..config.n_seasons {
        if season > 0 {
            for s in &mut strength {
                *s += config.season_drift_sd * rng.normal();
            }
        }
        let year = 2015 + season as i32; // label only; kick-offs come from `start`
        let season_label = format!("{}-{}", year, year + 1);
        let season_start = config.start + Duration::weeks(52 * season as i64);
        for (round, fixtures) in rounds.iter().enumerate() {
            let kickoff = season_start + Duration::weeks(round as i64);
            for &(h, a) in fixtures {
                let lambda_home = (config.log_base_rate + config.home_advantage + strength[h]
                    - strength[a])
                    .exp();
                let lambda_away = (config.log_base_rate + strength[a] - strength[h]).exp();
                let score = Score {
                    home: rng.poisson(lambda_home).min(20) as u8,
                    away: rng.poisson(lambda_away).min(20) as u8,
                };
                let date = kickoff.format("%Y-%m-%d").to_string();
                let id = ids::match_id(&config.league, &date, &team_names[h], &team_names[a]);
                let proba = poisson_1x2(lambda_home, lambda_away);
                let [home, draw, away] = prices(proba, config.margin);
                data.odds.push(OddsQuote {
                    match_id: id,
                    bookmaker: "PS".to_string(),
                    kind: OddsKind::Closing,
                    home,
                    draw,
                    away,
                });
                data.true_proba.push(proba);
                data.matches.push(Match {
                    id,
                    league: config.league.clone(),
                    season: season_label.clone(),
                    kickoff,
                    kickoff_time_known: true,
                    home_team: team_names[h].clone(),
                    away_team: team_names[a].clone(),
                    score: Some(score),
                });
            }
        }
    }
    data
}

/// Circle-method schedule: each team plays every other once at home and
/// once away, every team in every round.
fn double_round_robin(n: usize) -> Vec<Vec<(usize, usize)>> {
    let mut slots: Vec<usize> = (0..n).collect();
    let mut first_half = Vec::with_capacity(n - 1);
    for round in 0..n - 1 {
        let fixtures = (0..n / 2)
            .map(|i| {
                let (a, b) = (slots[i], slots[n - 1 - i]);
                // Alternate venues so no team is always at home.
                if (round + i) % 2 == 0 { (a, b) } else { (b, a) }
            })
            .collect();
        first_half.push(fixtures);
        slots[1..].rotate_right(1);
    }
    let second_half: Vec<Vec<(usize, usize)>> = first_half
        .iter()
        .map(|r: &Vec<(usize, usize)>| r.iter().map(|&(h, a)| (a, h)).collect())
        .collect();
    first_half.into_iter().chain(second_half).collect()
}

/// Decimal prices with overround `margin` spread proportionally, except
/// that no price goes below 1.01 (as with real books): a near-certain
/// favourite is capped and the long shots carry the rest of the margin.
fn prices(proba: [f64; 3], margin: f64) -> [f64; 3] {
    const MIN_PRICE: f64 = 1.01;
    let mut implied = proba.map(|p| p * (1.0 + margin));
    let favourite = crate::metrics::argmax(&proba);
    if implied[favourite] > 1.0 / MIN_PRICE {
        implied[favourite] = 1.0 / MIN_PRICE;
        let rest = 1.0 - proba[favourite];
        let scale = (1.0 + margin - implied[favourite]) / rest;
        for c in (0..3).filter(|&c| c != favourite) {
            implied[c] = proba[c] * scale;
        }
    }
    implied.map(|q| 1.0 / q)
}

/// Home/draw/away probabilities of two independent Poisson scores.
fn poisson_1x2(lambda_home: f64, lambda_away: f64) -> [f64; 3] {
    const MAX_GOALS: usize = 15;
    let pmf = |lambda: f64| {
        let mut p = vec![(-lambda).exp(); MAX_GOALS + 1];
        for k in 1..=MAX_GOALS {
            p[k] = p[k - 1] * lambda / k as f64;
        }
        p
    };
    let (ph, pa) = (pmf(lambda_home), pmf(lambda_away));
    let mut out = [0.0; 3];
    for (i, x) in ph.iter().enumerate() {
        for (j, y) in pa.iter().enumerate() {
            out[Score {
                home: i as u8,
                away: j as u8,
            }
            .class()] += x * y;
        }
    }
    let total: f64 = out.iter().sum();
    out.map(|p| p / total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn same_seed_same_league_and_sorted() {
        let a = generate(&SyntheticConfig::default());
        let b = generate(&SyntheticConfig::default());
        assert_eq!(a, b);
        let c = generate(&SyntheticConfig {
            seed: 8,
            ..SyntheticConfig::default()
        });
        assert_ne!(a.matches, c.matches);
        assert!(a.matches.windows(2).all(|w| w[0].kickoff <= w[1].kickoff));
    }

    #[test]
    fn schedule_is_a_double_round_robin() {
        let config = SyntheticConfig::default();
        let data = generate(&config);
        let per_season = config.n_teams * (config.n_teams - 1);
        assert_eq!(data.matches.len(), per_season * config.n_seasons);
        let pairs: HashSet<(String, String)> = data.matches[..per_season]
            .iter()
            .map(|m| (m.home_team.clone(), m.away_team.clone()))
            .collect();
        assert_eq!(pairs.len(), per_season);
        let ids: HashSet<i64> = data.matches.iter().map(|m| m.id).collect();
        assert_eq!(ids.len(), data.matches.len());
    }

    #[test]
    fn home_advantage_shows_in_the_results() {
        let data = generate(&SyntheticConfig {
            n_seasons: 10,
            ..SyntheticConfig::default()
        });
        let home_wins = data
            .matches
            .iter()
            .filter(|m| m.score.unwrap().class() == 0)
            .count();
        let away_wins = data
            .matches
            .iter()
            .filter(|m| m.score.unwrap().class() == 2)
            .count();
        assert!(home_wins > away_wins + away_wins / 5);
        let bad: Vec<_> = data.odds.iter().filter(|q| !q.is_valid()).take(3).collect();
        assert!(bad.is_empty(), "{bad:?}");
    }
}
