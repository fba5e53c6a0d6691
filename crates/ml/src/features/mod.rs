//! Pre-kick-off features, one row per match.
//!
//! The no-leakage rule: a match's row is built only from results of matches
//! that were over before it kicked off (kick-off at least
//! [`crate::split::RESULT_KNOWN_AFTER`] earlier), and only from results
//! visible at `as_of` (see [`crate::split::visible_score`]). Matches are
//! processed in kick-off order in groups of equal kick-off: every row of a
//! group is read before any result of the group is applied, so two matches
//! at 15:00 never see each other (pre-2019 kick-offs are all "date at
//! 15:00"), nor does a 20:00 kick-off see a 19:30 one.

pub mod crowds;
pub mod dixon_coles;
pub mod elo;
pub mod membership;
pub mod pi_rating;
pub mod rolling;
pub mod shots;

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use matchday_core::domain::{Match, MatchStats};
use serde::{Deserialize, Serialize};

use crate::split::{result_known_at, visible_score};
use crate::{MlError, Result};
use dixon_coles::{DcForecast, DixonColesParams, LeagueMatch};
use elo::{EloParams, EloRatings, PlayedMatch};
use membership::{Arrival, arrival};
use pi_rating::{PiParams, PiRatings};
use rolling::{STATS, TeamForm, TeamResult};
use shots::{SHOT_STATS, ShotForm, TeamShots};

/// Post-match statistics by match id (see [`shots`]); may be empty.
pub type StatsById = HashMap<i64, MatchStats>;

/// Rest days are capped here: beyond a fortnight (international breaks,
/// the summer) more rest says nothing more.
pub const MAX_REST_DAYS: f64 = 14.0;
/// Days of a typical league season, for `season_stage`.
const SEASON_DAYS: f64 = 280.0;

/// The leagues of `shared/data` (`matchday_core::leagues`), one indicator
/// column each.
pub fn default_leagues() -> Vec<String> {
    matchday_core::leagues::LEAGUES
        .iter()
        .map(|l| l.code.to_string())
        .collect()
}

/// Which features to build.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureConfig {
    /// Rolling windows (number of previous matches), e.g. `[5]` or `[3, 10]`.
    pub windows: Vec<usize>,
    pub elo: EloParams,
    #[serde(default)]
    pub pi: PiParams,
    #[serde(default)]
    pub dixon_coles: DixonColesParams,
    /// League codes with an indicator column (`league_E0`, ...).
    #[serde(default = "default_leagues")]
    pub leagues: Vec<String>,
    /// Shot-form windows (matches with statistics); empty = no shot block.
    #[serde(default)]
    pub shot_windows: Vec<usize>,
    /// Opponent-adjusted strengths in the match statistics
    /// ([`STRENGTH_STATS`]): the Dixon-Coles rate model fitted to each
    /// statistic instead of goals; `None` = no such block.
    #[serde(default)]
    pub stat_strength: Option<DixonColesParams>,
    /// Matches behind closed doors ([`crowds`]): their own home-advantage
    /// shift in every rate model and a `closed_doors` indicator column.
    #[serde(default)]
    pub closed_doors: bool,
}

impl Default for FeatureConfig {
    fn default() -> Self {
        Self {
            windows: vec![5],
            elo: EloParams::default(),
            pi: PiParams::default(),
            dixon_coles: DixonColesParams::default(),
            leagues: default_leagues(),
            shot_windows: Vec::new(),
            stat_strength: None,
            closed_doors: false,
        }
    }
}

/// Columns of the Dixon-Coles block, in order.
pub const DC_COLUMNS: [&str; 7] = [
    "dc_home",
    "dc_draw",
    "dc_away",
    "dc_goals_home",
    "dc_goals_away",
    "dc_log_draw_home",
    "dc_log_away_home",
];

/// A statistic's pair (home, away) of one match.
pub type StatPair = fn(&MatchStats) -> Option<[u16; 2]>;

/// The statistics-strength block: per statistic, one column, the log of the
/// ratio of the two sides' expected counts. The expected counts themselves
/// are left out: their level follows how each season's files count (the
/// drift monitor flagged shots on target season to season), and they added
/// nothing in CV (log-loss 1.01539 with them, 1.01546 without, shots on
/// target alone).
pub const STRENGTH_STATS: [(&str, StatPair); 3] = [
    ("sot_log_ratio", |s| s.shots_on_target),
    ("shots_log_ratio", |s| s.shots),
    ("corners_log_ratio", |s| s.corners),
];

/// Columns set by the calendar alone, whose distribution in a window moves
/// by design: a 90-day window holds one part of the season
/// (`season_stage`), and `closed_doors` is 0 outside 2020-21. The drift
/// monitor leaves them out, or it would report drift in every such window.
pub const CALENDAR_COLUMNS: [&str; 2] = ["season_stage", CLOSED_DOORS_COLUMN];

/// The indicator of a match behind closed doors ([`crowds`]).
pub const CLOSED_DOORS_COLUMN: &str = "closed_doors";

/// Columns after the Dixon-Coles block (before the league indicators).
pub const CONTEXT_COLUMNS: [&str; 7] = [
    "rest_days_home",
    "rest_days_away",
    "season_stage",
    "promoted_home",
    "promoted_away",
    "relegated_home",
    "relegated_away",
];

impl FeatureConfig {
    /// Feature names in column order: for each window, the five rolling
    /// stats as home-minus-away differences; `diff_elo`; the pi-rating
    /// difference and expected goal difference; the Dixon-Coles block
    /// ([`DC_COLUMNS`]); the context ([`CONTEXT_COLUMNS`]); one indicator
    /// per league; per shot window, the [`SHOT_STATS`] differences; then, if
    /// configured, the statistics strengths ([`STRENGTH_STATS`]) and the
    /// `closed_doors` indicator. (The sizes of the strength differences are
    /// computed by the model from these: [`crate::models::balance`].)
    pub fn feature_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .windows
            .iter()
            .flat_map(|w| STATS.iter().map(move |s| format!("diff_{s}_{w}_mean")))
            .collect();
        names.push("diff_elo".to_string());
        names.push("pi_rating_diff".to_string());
        names.push("pi_expected_gd".to_string());
        names.extend(DC_COLUMNS.iter().map(|s| s.to_string()));
        names.extend(CONTEXT_COLUMNS.iter().map(|s| s.to_string()));
        names.extend(self.leagues.iter().map(|l| format!("league_{l}")));
        names.extend(
            self.shot_windows
                .iter()
                .flat_map(|w| SHOT_STATS.iter().map(move |s| format!("shot_diff_{s}_{w}"))),
        );
        if self.stat_strength.is_some() {
            names.extend(STRENGTH_STATS.iter().map(|(name, _)| name.to_string()));
        }
        if self.closed_doors {
            names.push(CLOSED_DOORS_COLUMN.to_string());
        }
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
        let mut shot = self.shot_windows.clone();
        shot.sort_unstable();
        shot.dedup();
        if shot.len() != self.shot_windows.len() || shot.first() == Some(&0) {
            return Err(MlError::InvalidConfig(format!(
                "shot windows must be distinct positive sizes, got {:?}",
                self.shot_windows
            )));
        }
        let mut leagues = self.leagues.clone();
        leagues.sort_unstable();
        leagues.dedup();
        if leagues.len() != self.leagues.len() {
            return Err(MlError::InvalidConfig(format!(
                "duplicate league in {:?}",
                self.leagues
            )));
        }
        self.elo.validate().map_err(MlError::InvalidConfig)?;
        self.pi.validate().map_err(MlError::InvalidConfig)?;
        if let Some(p) = &self.stat_strength {
            p.validate().map_err(MlError::InvalidConfig)?;
        }
        self.dixon_coles.validate().map_err(MlError::InvalidConfig)
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

    /// Column indices of `names` (all must exist).
    pub fn columns(&self, names: &[String]) -> Result<Vec<usize>> {
        names
            .iter()
            .map(|n| {
                self.column(n)
                    .ok_or_else(|| MlError::InvalidConfig(format!("no feature `{n}`")))
            })
            .collect()
    }
}

/// A team's latest known result: where, and how it entered that season.
#[derive(Debug, Clone, Copy)]
struct TeamSeason<'a> {
    league: &'a str,
    season: &'a str,
    arrival: Arrival,
}

/// How `team` arrives at `m`, and how it arrived in this season.
fn season_arrival(
    known: &HashMap<&str, TeamSeason<'_>>,
    team: &str,
    m: &Match,
) -> (Arrival, Arrival) {
    let last = known.get(team);
    let a = arrival(last.map(|t| (t.league, t.season)), &m.league, &m.season);
    match (a, last) {
        (Arrival::SameSeason, Some(t)) => (a, t.arrival),
        _ => (a, a),
    }
}

/// Build features for every match (history and future), rows in input order.
///
/// The input need not be sorted: rows are computed in kick-off order and
/// written back at each match's input position. `stats` feeds the shot block
/// (a match's statistics count only once its result is visible at `as_of`).
pub fn build_features(
    matches: &[Match],
    stats: &StatsById,
    as_of: DateTime<Utc>,
    config: &FeatureConfig,
) -> Result<FeatureTable> {
    config.validate()?;
    let names = config.feature_names();
    let max_window = *config.windows.iter().max().expect("validated non-empty");
    let max_shot_window = config.shot_windows.iter().copied().max().unwrap_or(0);
    let mut shot_rows = vec![Vec::new(); matches.len()];
    let mut order: Vec<usize> = (0..matches.len()).collect();
    order.sort_by_key(|&i| matches[i].kickoff); // stable: ties keep input order

    let mut seen = Seen {
        form: HashMap::new(),
        elo: EloRatings::new(config.elo),
        pi: PiRatings::new(config.pi),
        known: HashMap::new(),
        shot_form: HashMap::new(),
        max_window,
        max_shot_window,
    };
    let mut last_kickoff: HashMap<&str, DateTime<Utc>> = HashMap::new();
    let mut season_start: HashMap<(&str, &str), DateTime<Utc>> = HashMap::new();
    let mut head = vec![Vec::new(); matches.len()];
    let mut context = vec![[f64::NAN; CONTEXT_COLUMNS.len()]; matches.len()];
    let mut arrivals = vec![[Arrival::Promoted; 2]; matches.len()];
    let mut season_arrivals = vec![[Arrival::Promoted; 2]; matches.len()];

    let groups: Vec<&[usize]> = order
        .chunk_by(|&a, &b| matches[a].kickoff == matches[b].kickoff)
        .collect();
    let mut applied = 0; // groups whose results have been applied
    for (g, group) in groups.iter().enumerate() {
        let kickoff = matches[group[0]].kickoff;
        // A group's results count once its matches are over, not at their
        // kick-off: per team it makes no difference (no side plays twice
        // within RESULT_KNOWN_AFTER), but league-wide state such as the
        // rating means a newcomer starts from must not read a match still
        // being played.
        while applied < g && result_known_at(matches[groups[applied][0]].kickoff) <= kickoff {
            seen.apply(groups[applied], matches, &season_arrivals, stats, as_of);
            applied += 1;
        }
        for &i in *group {
            let m = &matches[i];
            head[i] = rating_row(m, &seen.form, &seen.elo, &seen.pi, config);
            shot_rows[i] = shot_row(m, &seen.shot_form, &config.shot_windows);
            let (home_now, home_season) = season_arrival(&seen.known, &m.home_team, m);
            let (away_now, away_season) = season_arrival(&seen.known, &m.away_team, m);
            arrivals[i] = [home_now, away_now];
            season_arrivals[i] = [home_season, away_season];
            let start = *season_start
                .entry((m.league.as_str(), m.season.as_str()))
                .or_insert(m.kickoff);
            let rest = |team: &str| {
                last_kickoff.get(team).map_or(f64::NAN, |t| {
                    ((m.kickoff - *t).num_seconds() as f64 / 86_400.0).min(MAX_REST_DAYS)
                })
            };
            let flag = |a: Arrival, want: Arrival| f64::from(u8::from(a == want));
            context[i] = [
                rest(&m.home_team),
                rest(&m.away_team),
                (m.kickoff - start).num_seconds() as f64 / 86_400.0 / SEASON_DAYS,
                flag(home_season, Arrival::Promoted),
                flag(away_season, Arrival::Promoted),
                flag(home_season, Arrival::Relegated),
                flag(away_season, Arrival::Relegated),
            ];
        }
        for &i in *group {
            // Fixtures count for rest days whether played yet or not: the
            // schedule is known before kick-off. But a match still without a
            // result when it should have been over at `as_of` was not played
            // then (postponed: its replay is another row, on another date),
            // and gives nobody rest.
            let m = &matches[i];
            if m.score.is_none() && result_known_at(m.kickoff) <= as_of {
                continue;
            }
            last_kickoff.insert(&m.home_team, m.kickoff);
            last_kickoff.insert(&m.away_team, m.kickoff);
        }
    }

    let goals = |m: &Match| visible_goals(m, as_of);
    let dc = dixon_coles_by_league(
        matches,
        &order,
        &arrivals,
        &config.dixon_coles,
        goals,
        config.closed_doors,
    );
    // A match's statistics count once its result is visible, like its
    // goals; leagues without statistics get no forecast (NaN).
    let strengths: Vec<Vec<Option<DcForecast>>> = match config.stat_strength {
        None => Vec::new(),
        Some(params) => STRENGTH_STATS
            .iter()
            .map(|(_, pair)| {
                let counts = |m: &Match| {
                    visible_score(m, as_of)?;
                    let [h, a] = pair(stats.get(&m.id)?)?;
                    Some((clamp_count(h), clamp_count(a)))
                };
                let closed_doors = config.closed_doors;
                dixon_coles_by_league(matches, &order, &arrivals, &params, counts, closed_doors)
            })
            .collect(),
    };
    let rows = (0..matches.len())
        .map(|i| {
            let mut row = Vec::with_capacity(names.len());
            row.extend_from_slice(&head[i]);
            row.extend(dc_columns(dc[i]));
            row.extend_from_slice(&context[i]);
            let m = &matches[i];
            row.extend(
                config
                    .leagues
                    .iter()
                    .map(|l| f64::from(u8::from(*l == m.league))),
            );
            row.extend_from_slice(&shot_rows[i]);
            row.extend(strengths.iter().map(|s| log_rate_ratio(s[i])));
            if config.closed_doors {
                row.push(f64::from(u8::from(crowds::behind_closed_doors(m.kickoff))));
            }
            row
        })
        .collect();
    Ok(FeatureTable {
        names,
        match_ids: matches.iter().map(|m| m.id).collect(),
        rows,
    })
}

/// What the results applied so far say: per-team form and statistics, the
/// ratings, and where each team last played.
struct Seen<'a> {
    form: HashMap<&'a str, TeamForm>,
    elo: EloRatings,
    pi: PiRatings,
    known: HashMap<&'a str, TeamSeason<'a>>,
    shot_form: HashMap<&'a str, ShotForm>,
    max_window: usize,
    max_shot_window: usize,
}

impl<'a> Seen<'a> {
    /// Apply the results of one group of simultaneous kick-offs (those
    /// visible at `as_of`), all at once: none of them sees another.
    fn apply(
        &mut self,
        group: &[usize],
        matches: &'a [Match],
        season_arrivals: &[[Arrival; 2]],
        stats: &StatsById,
        as_of: DateTime<Utc>,
    ) {
        let mut results = Vec::with_capacity(group.len());
        for &i in group {
            let m = &matches[i];
            let Some(score) = visible_score(m, as_of) else {
                continue;
            };
            if let Some(s) = stats.get(&m.id).filter(|_| self.max_shot_window > 0) {
                for (side, team) in [&m.home_team, &m.away_team].into_iter().enumerate() {
                    self.shot_form
                        .entry(team)
                        .or_insert_with(|| ShotForm::new(self.max_shot_window))
                        .push(TeamShots::new(s, side));
                }
            }
            let [home_season, away_season] = season_arrivals[i];
            for (team, gf, ga, season_arrival) in [
                (m.home_team.as_str(), score.home, score.away, home_season),
                (m.away_team.as_str(), score.away, score.home, away_season),
            ] {
                self.form
                    .entry(team)
                    .or_insert_with(|| TeamForm::new(self.max_window))
                    .push(TeamResult::new(gf, ga));
                self.known.insert(
                    team,
                    TeamSeason {
                        league: &m.league,
                        season: &m.season,
                        arrival: season_arrival,
                    },
                );
            }
            results.push(PlayedMatch {
                home: &m.home_team,
                away: &m.away_team,
                season: &m.season,
                league: &m.league,
                home_goals: score.home,
                away_goals: score.away,
            });
        }
        self.elo.update_group(&results);
        self.pi.update_group(&results);
    }
}

/// Rolling form, Elo and pi-rating columns of one match.
fn rating_row(
    m: &Match,
    form: &HashMap<&str, TeamForm>,
    elo: &EloRatings,
    pi: &PiRatings,
    config: &FeatureConfig,
) -> Vec<f64> {
    let mut row = Vec::with_capacity(config.windows.len() * STATS.len() + 3);
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
    // Ratings exist for newcomers too (they enter below their league's
    // mean), but before a league's first result they mean nothing yet.
    let known = elo.knows(&m.home_team) || elo.knows(&m.away_team);
    if known {
        row.push(
            elo.pre_match(&m.home_team, &m.season, &m.league)
                - elo.pre_match(&m.away_team, &m.season, &m.league),
        );
        let h = pi.pre_match(&m.home_team, &m.season, &m.league);
        let a = pi.pre_match(&m.away_team, &m.season, &m.league);
        row.push(h.home - a.away);
        row.push(pi.expected_goal_diff(h, a));
    } else {
        row.extend([f64::NAN; 3]);
    }
    row
}

/// Shot-form differences (home − away) of one match, per window.
fn shot_row(m: &Match, form: &HashMap<&str, ShotForm>, windows: &[usize]) -> Vec<f64> {
    let home = form.get(m.home_team.as_str());
    let away = form.get(m.away_team.as_str());
    windows
        .iter()
        .flat_map(|&w| {
            let (h, a) = match (home, away) {
                (Some(h), Some(a)) => (h.means(w), a.means(w)),
                _ => ([f64::NAN; 6], [f64::NAN; 6]),
            };
            (0..SHOT_STATS.len()).map(move |k| h[k] - a[k])
        })
        .collect()
}

fn dc_columns(f: Option<DcForecast>) -> [f64; DC_COLUMNS.len()] {
    match f {
        Some(f) => {
            let [h, d, a] = f.proba;
            [h, d, a, f.goals[0], f.goals[1], (d / h).ln(), (a / h).ln()]
        }
        None => [f64::NAN; DC_COLUMNS.len()],
    }
}

/// The score as the goals rate model takes it, once visible at `as_of`.
fn visible_goals(m: &Match, as_of: DateTime<Utc>) -> Option<(u8, u8)> {
    visible_score(m, as_of).map(|s| (s.home, s.away))
}

/// ln(home rate / away rate) of a forecast; NaN without one.
fn log_rate_ratio(f: Option<DcForecast>) -> f64 {
    f.map_or(f64::NAN, |f| (f.goals[0] / f.goals[1]).ln())
}

/// A count as the rate model takes it (no statistic reaches 255 in a real
/// match; a corrupt file must not wrap).
fn clamp_count(n: u16) -> u8 {
    u8::try_from(n).unwrap_or(u8::MAX)
}

/// How each match's two teams arrive (see [`membership`]), input order.
pub fn arrivals(matches: &[Match], as_of: DateTime<Utc>) -> Vec<[Arrival; 2]> {
    let mut order: Vec<usize> = (0..matches.len()).collect();
    order.sort_by_key(|&i| matches[i].kickoff);
    let mut known: HashMap<&str, TeamSeason<'_>> = HashMap::new();
    let mut out = vec![[Arrival::Promoted; 2]; matches.len()];
    for group in order.chunk_by(|&a, &b| matches[a].kickoff == matches[b].kickoff) {
        let mut seen = Vec::with_capacity(group.len());
        for &i in group {
            let m = &matches[i];
            let h = season_arrival(&known, &m.home_team, m);
            let a = season_arrival(&known, &m.away_team, m);
            out[i] = [h.0, a.0];
            seen.push((i, h.1, a.1));
        }
        for (i, h, a) in seen {
            let m = &matches[i];
            if visible_score(m, as_of).is_some() {
                for (team, arrival) in [(&m.home_team, h), (&m.away_team, a)] {
                    known.insert(
                        team,
                        TeamSeason {
                            league: &m.league,
                            season: &m.season,
                            arrival,
                        },
                    );
                }
            }
        }
    }
    out
}

/// Only the Dixon-Coles block (for tuning its parameters).
pub fn dixon_coles_forecasts(
    matches: &[Match],
    as_of: DateTime<Utc>,
    params: &DixonColesParams,
    closed_doors: bool,
) -> Vec<Option<DcForecast>> {
    let mut order: Vec<usize> = (0..matches.len()).collect();
    order.sort_by_key(|&i| matches[i].kickoff);
    let goals = |m: &Match| visible_goals(m, as_of);
    let arrivals = arrivals(matches, as_of);
    dixon_coles_by_league(matches, &order, &arrivals, params, goals, closed_doors)
}

/// One league for the walk-forward: global indices, rows, team ids.
type LeagueRows<'a> = (Vec<usize>, Vec<LeagueMatch>, BTreeMap<&'a str, usize>);

/// Dixon-Coles forecasts of every match (input order), each league walked
/// forward on its own; leagues are spread over the available cores and
/// each league's result is independent of the split, so the output is the
/// same on any machine. `counts` gives the pair a match adds to the fit
/// once played (goals, or one of [`STRENGTH_STATS`]), `None` if it adds
/// nothing; with `closed_doors`, matches behind closed doors
/// ([`crowds`]) get the rate model's own home-advantage shift.
fn dixon_coles_by_league(
    matches: &[Match],
    order: &[usize],
    arrivals: &[[Arrival; 2]],
    params: &DixonColesParams,
    counts: impl Fn(&Match) -> Option<(u8, u8)>,
    closed_doors: bool,
) -> Vec<Option<DcForecast>> {
    // Per league: global indices in kick-off order (ties by team names, so
    // the fit sums in the same order whatever the input order) and local
    // team ids in name order.
    let mut by_league: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for &i in order {
        by_league
            .entry(matches[i].league.as_str())
            .or_default()
            .push(i);
    }
    let mut leagues: BTreeMap<&str, LeagueRows<'_>> = BTreeMap::new();
    for (league, mut idx) in by_league {
        idx.sort_by(|&a, &b| {
            let (x, y) = (&matches[a], &matches[b]);
            (x.kickoff, &x.home_team, &x.away_team).cmp(&(y.kickoff, &y.home_team, &y.away_team))
        });
        let mut teams: BTreeMap<&str, usize> = BTreeMap::new();
        for &i in &idx {
            teams.insert(&matches[i].home_team, 0);
            teams.insert(&matches[i].away_team, 0);
        }
        for (id, v) in teams.values_mut().enumerate() {
            *v = id;
        }
        let rows = idx
            .iter()
            .map(|&i| {
                let m = &matches[i];
                LeagueMatch {
                    kickoff: m.kickoff.timestamp(),
                    home: teams[m.home_team.as_str()],
                    away: teams[m.away_team.as_str()],
                    arrival: arrivals[i],
                    closed: closed_doors && crowds::behind_closed_doors(m.kickoff),
                    score: counts(m),
                }
            })
            .collect();
        leagues.insert(league, (idx, rows, teams));
    }
    let jobs: Vec<(&Vec<usize>, &Vec<LeagueMatch>, usize)> = leagues
        .values()
        .map(|(idx, rows, teams)| (idx, rows, teams.len()))
        .collect();
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(jobs.len().max(1));
    let mut out = vec![None; matches.len()];
    let results: Vec<Vec<(usize, Vec<Option<DcForecast>>)>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let jobs = &jobs;
                s.spawn(move || {
                    jobs.iter()
                        .enumerate()
                        .filter(|(j, _)| j % threads == t)
                        .map(|(j, (_, rows, n_teams))| {
                            (j, dixon_coles::walk_forward(rows, *n_teams, params))
                        })
                        .collect()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("Dixon-Coles worker panicked"))
            .collect()
    });
    for (j, forecasts) in results.into_iter().flatten() {
        for (&i, f) in jobs[j].0.iter().zip(forecasts) {
            out[i] = f;
        }
    }
    out
}

#[cfg(test)]
mod tests;
