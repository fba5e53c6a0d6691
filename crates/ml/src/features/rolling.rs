//! Rolling form: per team, the mean of a few per-match statistics over its
//! last `w` known results (home and away, any league).

use std::collections::VecDeque;

/// The statistics averaged, in feature order.
pub const STATS: [&str; 5] = ["win", "draw", "points", "goals_for", "goals_against"];

/// One played match from a team's point of view, as the `STATS` values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TeamResult([f64; 5]);

impl TeamResult {
    pub fn new(goals_for: u8, goals_against: u8) -> Self {
        let (win, draw) = match goals_for.cmp(&goals_against) {
            std::cmp::Ordering::Greater => (1.0, 0.0),
            std::cmp::Ordering::Equal => (0.0, 1.0),
            std::cmp::Ordering::Less => (0.0, 0.0),
        };
        let points = 3.0 * win + draw;
        Self([
            win,
            draw,
            points,
            f64::from(goals_for),
            f64::from(goals_against),
        ])
    }
}

/// The last `capacity` results of one team, oldest first.
#[derive(Debug, Clone)]
pub struct TeamForm {
    capacity: usize,
    recent: VecDeque<TeamResult>,
}

impl TeamForm {
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            recent: VecDeque::with_capacity(capacity),
        }
    }

    pub fn push(&mut self, result: TeamResult) {
        if self.recent.len() == self.capacity {
            self.recent.pop_front();
        }
        self.recent.push_back(result);
    }

    /// Means of every stat over the last `min(window, played)` results: a
    /// team with fewer than `window` results still gets a (noisier) value,
    /// like pandas' `rolling(window, min_periods=1)`; with none, all NaN.
    pub fn means(&self, window: usize) -> [f64; 5] {
        let n = window.min(self.recent.len());
        if n == 0 {
            return [f64::NAN; 5];
        }
        let mut sums = [0.0; 5];
        for r in self.recent.iter().skip(self.recent.len() - n) {
            for (s, v) in sums.iter_mut().zip(r.0) {
                *s += v;
            }
        }
        sums.map(|s| s / n as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn means_over_the_last_results_only() {
        let mut form = TeamForm::new(3);
        assert!(form.means(3).iter().all(|v| v.is_nan()));
        form.push(TeamResult::new(3, 0)); // W, 3 pts (drops out below)
        form.push(TeamResult::new(1, 1)); // D, 1 pt
        form.push(TeamResult::new(0, 2)); // L, 0 pts
        form.push(TeamResult::new(2, 1)); // W, 3 pts
        let m = form.means(3);
        assert_eq!(m, [1.0 / 3.0, 1.0 / 3.0, 4.0 / 3.0, 1.0, 4.0 / 3.0]);
        let m1 = form.means(1);
        assert_eq!(m1, [1.0, 0.0, 3.0, 2.0, 1.0]);
    }
}
