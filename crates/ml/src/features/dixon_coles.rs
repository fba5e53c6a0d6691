//! Dixon-Coles (1997) attack/defence strengths with exponential time
//! decay, refitted walk-forward within each league, and the 1X2
//! probabilities they imply.
//!
//! Goals: home `X ~ Poisson(λ)`, away `Y ~ Poisson(ν)` with
//! `ln λ = μ + h + attack[home] + defence[away]` and
//! `ln ν = μ + attack[away] + defence[home]` (`defence` is a weakness: higher
//! concedes more), and Dixon and Coles' correction `τ` of the four low
//! scores (0-0, 1-0, 0-1, 1-1) by one parameter `ρ`.
//!
//! The fit maximises the likelihood of the league's earlier results weighted
//! by `exp(−ξ · age in days)` (older than `window_days`: dropped), with a
//! Gaussian prior of precision `ridge` (in weighted matches) on every
//! attack and defence. The prior is what makes the model usable for a team
//! with few results: it is centred on 0 for a team that stayed, below the
//! league for a promoted or new team and above it for a relegated one (see
//! [`super::membership`]), so a newcomer is predicted like a typical
//! newcomer until its own results take over. `μ` and `h` are fitted as well
//! (home advantage per league). Matches played behind closed doors
//! ([`super::crowds`]) get `h + c` instead of `h`, with its own shift `c`
//! (prior precision `ridge`, centred on 0): the home advantage of 2020-21
//! fell visibly, and one `h` for both would carry that season's low value
//! into the next ones for as long as its results weigh in the fit. `ρ` is
//! then fitted given the rates (the usual two-step simplification; `τ`
//! hardly moves the strengths).
//!
//! Walk-forward: before predicting a group of simultaneous kick-offs the
//! model is refitted on every result known so far if new ones arrived and
//! at least `refit_days` passed since the last fit, so a row never sees a
//! result at or after its own kick-off. Leagues never share a match, so each
//! league runs on its own (in parallel, see [`super::build_features`]).

use serde::{Deserialize, Serialize};

use super::membership::Arrival;
use crate::linalg::cholesky_solve;

/// Scores above this are folded into the probabilities' normalisation; the
/// Poisson mass beyond 10 goals is negligible at football rates.
pub(crate) const MAX_GOALS: usize = 10;

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DixonColesParams {
    /// ξ, per day: a result a year old weighs `exp(−365 ξ)`.
    pub decay_per_day: f64,
    /// Results older than this are left out of a fit.
    pub window_days: f64,
    /// Prior precision on each attack and defence, in weighted matches.
    pub ridge: f64,
    /// Prior centre of a promoted/new team: attack −offset, defence +offset
    /// (log-rate units).
    pub promoted_offset: f64,
    /// Prior centre of a relegated team: attack +offset, defence −offset.
    pub relegated_offset: f64,
    /// Minimum days between two refits of a league.
    pub refit_days: f64,
}

impl Default for DixonColesParams {
    fn default() -> Self {
        Self {
            decay_per_day: 0.002,
            window_days: 1100.0,
            ridge: 8.0,
            promoted_offset: 0.15,
            relegated_offset: 0.05,
            refit_days: 1.0,
        }
    }
}

impl DixonColesParams {
    pub(crate) fn validate(&self) -> Result<(), String> {
        let finite = [
            self.decay_per_day,
            self.window_days,
            self.ridge,
            self.promoted_offset,
            self.relegated_offset,
            self.refit_days,
        ]
        .iter()
        .all(|x| x.is_finite());
        if !finite || self.decay_per_day < 0.0 || self.window_days <= 0.0 || self.ridge <= 0.0 {
            return Err(format!("bad Dixon-Coles parameters {self:?}"));
        }
        Ok(())
    }
}

/// One result, with team ids local to the league.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Result1x2 {
    /// Kick-off, in days since the epoch.
    pub day: f64,
    pub home: usize,
    pub away: usize,
    pub home_goals: u8,
    pub away_goals: u8,
    /// Played behind closed doors (see [`super::crowds`]).
    pub closed: bool,
}

/// A fitted model.
#[derive(Debug, Clone, PartialEq)]
pub struct DcModel {
    pub mu: f64,
    pub home_advantage: f64,
    /// Added to `home_advantage` behind closed doors.
    pub closed_shift: f64,
    pub rho: f64,
    /// `(attack, defence)` per local team id; `None` = not in the fit.
    pub teams: Vec<Option<(f64, f64)>>,
}

/// What the model says about one match.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DcForecast {
    /// (home win, draw, away win).
    pub proba: [f64; 3],
    /// Expected goals (λ, ν).
    pub goals: [f64; 2],
}

/// Prior centre `(attack, defence)` of a team by how it arrived.
pub fn prior_centre(params: &DixonColesParams, arrival: Arrival) -> (f64, f64) {
    match arrival {
        Arrival::Promoted => (-params.promoted_offset, params.promoted_offset),
        Arrival::Relegated => (params.relegated_offset, -params.relegated_offset),
        Arrival::SameSeason | Arrival::NewSeason => (0.0, 0.0),
    }
}

impl DcModel {
    /// Strengths of `team`, or its prior centre if it is not in the fit.
    fn strengths(&self, team: usize, centre: (f64, f64)) -> (f64, f64) {
        self.teams.get(team).copied().flatten().unwrap_or(centre)
    }

    /// Forecast of `home` v `away` (`closed`: behind closed doors); the
    /// centres stand in for teams the fit has not seen.
    pub fn forecast(
        &self,
        home: usize,
        away: usize,
        closed: bool,
        home_centre: (f64, f64),
        away_centre: (f64, f64),
    ) -> DcForecast {
        let (ah, dh) = self.strengths(home, home_centre);
        let (aa, da) = self.strengths(away, away_centre);
        let shift = if closed { self.closed_shift } else { 0.0 };
        let lambda = (self.mu + self.home_advantage + shift + ah + da).exp();
        let nu = (self.mu + aa + dh).exp();
        DcForecast {
            proba: outcome_probabilities(lambda, nu, self.rho),
            goals: [lambda, nu],
        }
    }
}

/// Dixon and Coles' low-score factor.
fn tau(x: u8, y: u8, lambda: f64, nu: f64, rho: f64) -> f64 {
    match (x, y) {
        (0, 0) => 1.0 - lambda * nu * rho,
        (0, 1) => 1.0 + lambda * rho,
        (1, 0) => 1.0 + nu * rho,
        (1, 1) => 1.0 - rho,
        _ => 1.0,
    }
}

/// (home, draw, away) of the Dixon-Coles score distribution, renormalised
/// over scores up to [`MAX_GOALS`].
pub fn outcome_probabilities(lambda: f64, nu: f64, rho: f64) -> [f64; 3] {
    let pmf = |rate: f64| {
        let mut p = [0.0; MAX_GOALS + 1];
        p[0] = (-rate).exp();
        for k in 1..=MAX_GOALS {
            p[k] = p[k - 1] * rate / k as f64;
        }
        p
    };
    let (ph, pa) = (pmf(lambda), pmf(nu));
    let mut out = [0.0; 3];
    for (x, px) in ph.iter().enumerate() {
        for (y, py) in pa.iter().enumerate() {
            let t = tau(x as u8, y as u8, lambda, nu, rho).max(0.0);
            let class = match x.cmp(&y) {
                std::cmp::Ordering::Greater => 0,
                std::cmp::Ordering::Equal => 1,
                std::cmp::Ordering::Less => 2,
            };
            out[class] += t * px * py;
        }
    }
    let total: f64 = out.iter().sum();
    out.map(|p| p / total)
}

/// Fit on `results` as seen on `day`. `centres[t]` is the prior centre of
/// local team `t`; `warm` is an earlier fit to start from. Teams without a
/// result in the window are left out (`None`).
pub fn fit(
    results: &[Result1x2],
    day: f64,
    centres: &[(f64, f64)],
    params: &DixonColesParams,
    warm: Option<&DcModel>,
) -> Option<DcModel> {
    let rows: Vec<(f64, &Result1x2)> = results
        .iter()
        .filter(|r| r.day < day && day - r.day <= params.window_days)
        .map(|r| ((-(params.decay_per_day) * (day - r.day)).exp(), r))
        .collect();
    if rows.is_empty() {
        return None;
    }
    // Compact parameter slots for the teams in the window, in id order.
    let n_teams = centres.len();
    let mut slot = vec![usize::MAX; n_teams];
    for (_, r) in &rows {
        slot[r.home] = 0;
        slot[r.away] = 0;
    }
    let mut active = Vec::new();
    for (t, s) in slot.iter_mut().enumerate() {
        if *s == 0 {
            *s = active.len();
            active.push(t);
        }
    }
    let k = active.len();
    let p = 3 + 2 * k; // μ, h, closed-doors shift, attacks, defences
    let (attack, defence) = (|i: usize| 3 + i, |i: usize| 3 + k + i);
    // The home rate's indices: μ, h [, shift], attack, defence.
    let home_terms = |r: &Result1x2| -> ([usize; 5], usize) {
        let (a, d) = (attack(slot[r.home]), defence(slot[r.away]));
        if r.closed {
            ([0, 1, 2, a, d], 5)
        } else {
            ([0, 1, a, d, 0], 4)
        }
    };

    let mut theta = vec![0.0; p];
    let total_w: f64 = rows.iter().map(|(w, _)| w).sum();
    let mean_goals = rows
        .iter()
        .map(|(w, r)| w * f64::from(r.home_goals + r.away_goals) / 2.0)
        .sum::<f64>()
        / total_w;
    theta[0] = mean_goals.max(0.1).ln();
    theta[1] = 0.25;
    for (i, &t) in active.iter().enumerate() {
        let start = warm
            .and_then(|w| w.teams.get(t).copied().flatten())
            .unwrap_or(centres[t]);
        theta[attack(i)] = start.0;
        theta[defence(i)] = start.1;
    }
    if let Some(w) = warm {
        theta[0] = w.mu;
        theta[1] = w.home_advantage;
        theta[2] = w.closed_shift;
    }

    let centre_of = |i: usize| centres[active[i]];
    // Tiny ridge on μ and h: only there to keep the Hessian definite.
    const FREE_RIDGE: f64 = 1e-8;
    let objective = |theta: &[f64]| -> f64 {
        let mut f = 0.0;
        for (w, r) in &rows {
            let (idx, n) = home_terms(r);
            let eh: f64 = idx[..n].iter().map(|&j| theta[j]).sum();
            let ea = theta[0] + theta[attack(slot[r.away])] + theta[defence(slot[r.home])];
            f += w
                * (eh.exp() - f64::from(r.home_goals) * eh + ea.exp()
                    - f64::from(r.away_goals) * ea);
        }
        for i in 0..k {
            let c = centre_of(i);
            f += 0.5
                * params.ridge
                * ((theta[attack(i)] - c.0).powi(2) + (theta[defence(i)] - c.1).powi(2));
        }
        f + 0.5 * FREE_RIDGE * (theta[0].powi(2) + theta[1].powi(2))
            + 0.5 * params.ridge * theta[2].powi(2)
    };

    let mut f = objective(&theta);
    for _ in 0..50 {
        let mut grad = vec![0.0; p];
        let mut hess = vec![0.0; p * p];
        for (w, r) in &rows {
            let (home_idx, n) = home_terms(r);
            let home_idx = &home_idx[..n];
            let (aa, dh) = (attack(slot[r.away]), defence(slot[r.home]));
            let lambda = home_idx.iter().map(|&j| theta[j]).sum::<f64>().exp();
            let nu = (theta[0] + theta[aa] + theta[dh]).exp();
            for (idx, rate, goals) in [
                (home_idx, lambda, r.home_goals),
                (&[0, aa, dh][..], nu, r.away_goals),
            ] {
                let g = w * (rate - f64::from(goals));
                let h = w * rate;
                for &a in idx {
                    grad[a] += g;
                    for &b in idx {
                        hess[a * p + b] += h;
                    }
                }
            }
        }
        grad[0] += FREE_RIDGE * theta[0];
        grad[1] += FREE_RIDGE * theta[1];
        hess[0] += FREE_RIDGE;
        hess[p + 1] += FREE_RIDGE;
        grad[2] += params.ridge * theta[2];
        hess[2 * p + 2] += params.ridge;
        for i in 0..k {
            let c = centre_of(i);
            for (j, centre) in [(attack(i), c.0), (defence(i), c.1)] {
                grad[j] += params.ridge * (theta[j] - centre);
                hess[j * p + j] += params.ridge;
            }
        }
        let max_grad = grad.iter().fold(0.0f64, |m, g| m.max(g.abs()));
        if max_grad < 1e-7 * total_w.max(1.0) {
            break;
        }
        let neg: Vec<f64> = grad.iter().map(|g| -g).collect();
        let Ok(step) = cholesky_solve(&mut hess, p, &neg) else {
            break;
        };
        // Newton on a convex objective: the full step almost always wins;
        // halving guards a cold start.
        let mut t = 1.0;
        loop {
            let trial: Vec<f64> = theta.iter().zip(&step).map(|(x, s)| x + t * s).collect();
            let ft = objective(&trial);
            if ft <= f {
                theta = trial;
                f = ft;
                break;
            }
            t /= 2.0;
            if t < 1e-6 {
                break;
            }
        }
        if t < 1e-6 {
            break;
        }
    }

    let mut teams = vec![None; n_teams];
    for (i, &t) in active.iter().enumerate() {
        teams[t] = Some((theta[attack(i)], theta[defence(i)]));
    }
    let mut model = DcModel {
        mu: theta[0],
        home_advantage: theta[1],
        closed_shift: theta[2],
        rho: 0.0,
        teams,
    };
    model.rho = fit_rho(&rows, &model, warm.map_or(0.0, |w| w.rho));
    Some(model)
}

/// Maximise the weighted log-likelihood of `τ` over `ρ` given the rates:
/// a concave 1-D problem (a sum of logs of functions linear in `ρ`).
fn fit_rho(rows: &[(f64, &Result1x2)], model: &DcModel, start: f64) -> f64 {
    // Each low score contributes w · ln(1 + c ρ).
    let terms: Vec<(f64, f64)> = rows
        .iter()
        .filter(|(_, r)| r.home_goals <= 1 && r.away_goals <= 1)
        .map(|(w, r)| {
            let f = model.forecast(r.home, r.away, r.closed, (0.0, 0.0), (0.0, 0.0));
            let (lambda, nu) = (f.goals[0], f.goals[1]);
            let c = match (r.home_goals, r.away_goals) {
                (0, 0) => -lambda * nu,
                (0, 1) => lambda,
                (1, 0) => nu,
                _ => -1.0,
            };
            (*w, c)
        })
        .collect();
    if terms.is_empty() {
        return 0.0;
    }
    // ρ stays where every τ of a typical match is positive.
    const BOUND: f64 = 0.2;
    let mut rho = start.clamp(-BOUND, BOUND);
    for _ in 0..20 {
        let (mut d1, mut d2) = (0.0, 0.0);
        for &(w, c) in &terms {
            let q = 1.0 + c * rho;
            d1 += w * c / q;
            d2 -= w * c * c / (q * q);
        }
        if d2 >= 0.0 {
            break;
        }
        let next = (rho - d1 / d2).clamp(-BOUND, BOUND);
        let done = (next - rho).abs() < 1e-10;
        rho = next;
        if done {
            break;
        }
    }
    rho
}

/// One match of a league, as the walk-forward sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LeagueMatch {
    /// Kick-off in seconds (groups) and days (weights).
    pub kickoff: i64,
    pub home: usize,
    pub away: usize,
    pub arrival: [Arrival; 2],
    /// Behind closed doors (see [`super::crowds`]).
    pub closed: bool,
    /// The score if known at `as_of`.
    pub score: Option<(u8, u8)>,
}

/// Walk-forward forecasts of one league's matches (sorted by kick-off,
/// team ids local to the league, `< n_teams`); `None` before the league's
/// first known result.
pub fn walk_forward(
    matches: &[LeagueMatch],
    n_teams: usize,
    params: &DixonColesParams,
) -> Vec<Option<DcForecast>> {
    let mut out = vec![None; matches.len()];
    let mut history: Vec<Result1x2> = Vec::new();
    // When each result in `history` is known, in kick-off order: the results
    // a fit may use are a prefix.
    let mut known_at: Vec<i64> = Vec::new();
    let known_after = crate::split::RESULT_KNOWN_AFTER.num_seconds();
    let mut centres = vec![(0.0, 0.0); n_teams];
    let mut model: Option<DcModel> = None;
    let mut fitted_on = 0usize; // results in the current fit
    let mut last_fit_day = f64::NEG_INFINITY;
    let mut start = 0;
    while start < matches.len() {
        let kickoff = matches[start].kickoff;
        let end = start
            + matches[start..]
                .iter()
                .take_while(|m| m.kickoff == kickoff)
                .count();
        let group = &matches[start..end];
        let day = kickoff as f64 / 86_400.0;
        // The prior follows how a team arrived this season, all season.
        for m in group {
            for (team, arrival) in [(m.home, m.arrival[0]), (m.away, m.arrival[1])] {
                if arrival != Arrival::SameSeason {
                    centres[team] = prior_centre(params, arrival);
                }
            }
        }
        let known = known_at.partition_point(|&t| t <= kickoff);
        if known > fitted_on && day - last_fit_day >= params.refit_days {
            model = fit(&history[..known], day, &centres, params, model.as_ref());
            fitted_on = known;
            last_fit_day = day;
        }
        if let Some(model) = &model {
            for (k, m) in group.iter().enumerate() {
                out[start + k] = Some(model.forecast(
                    m.home,
                    m.away,
                    m.closed,
                    centres[m.home],
                    centres[m.away],
                ));
            }
        }
        for m in group {
            if let Some((h, a)) = m.score {
                history.push(Result1x2 {
                    day,
                    home: m.home,
                    away: m.away,
                    home_goals: h,
                    away_goals: a,
                    closed: m.closed,
                });
                known_at.push(kickoff + known_after);
            }
        }
        start = end;
    }
    out
}

#[cfg(test)]
mod tests;
