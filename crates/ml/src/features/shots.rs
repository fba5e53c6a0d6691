//! Shot form: per team, the mean of its shots, shots on target and corners
//! (for and against) over its last `w` matches that have statistics.
//!
//! Results say who won; shots say who made the chances, which is a steadier
//! signal of strength over a few matches. Only the top divisions publish
//! them (E1–E3 files here are results-only): a team without statistics in
//! its history gets NaN, which the model fills with the training mean.

use std::collections::VecDeque;

use matchday_core::domain::MatchStats;

/// The statistics averaged, in feature order.
pub const SHOT_STATS: [&str; 6] = [
    "shots_for",
    "shots_against",
    "sot_for",
    "sot_against",
    "corners_for",
    "corners_against",
];

/// One match's statistics from a team's side; NaN where the file lacked a pair.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TeamShots([f64; 6]);

impl TeamShots {
    /// `side` 0 = the home team's view, 1 = the away team's.
    pub fn new(stats: &MatchStats, side: usize) -> Self {
        let view = |pair: Option<[u16; 2]>| match pair {
            Some(p) => [f64::from(p[side]), f64::from(p[1 - side])],
            None => [f64::NAN; 2],
        };
        let [sf, sa] = view(stats.shots);
        let [tf, ta] = view(stats.shots_on_target);
        let [cf, ca] = view(stats.corners);
        Self([sf, sa, tf, ta, cf, ca])
    }
}

/// The last `capacity` matches with statistics of one team, oldest first.
#[derive(Debug, Clone)]
pub struct ShotForm {
    capacity: usize,
    recent: VecDeque<TeamShots>,
}

impl ShotForm {
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            recent: VecDeque::with_capacity(capacity),
        }
    }

    pub fn push(&mut self, shots: TeamShots) {
        if self.recent.len() == self.capacity {
            self.recent.pop_front();
        }
        self.recent.push_back(shots);
    }

    /// Per statistic, the mean over the last `min(window, recorded)`
    /// matches, skipping NaN; NaN when none has it.
    pub fn means(&self, window: usize) -> [f64; 6] {
        let n = window.min(self.recent.len());
        let mut sums = [0.0; 6];
        let mut counts = [0usize; 6];
        for s in self.recent.iter().skip(self.recent.len() - n) {
            for k in 0..6 {
                if !s.0[k].is_nan() {
                    sums[k] += s.0[k];
                    counts[k] += 1;
                }
            }
        }
        std::array::from_fn(|k| {
            if counts[k] == 0 {
                f64::NAN
            } else {
                sums[k] / counts[k] as f64
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(shots: [u16; 2], sot: [u16; 2], corners: Option<[u16; 2]>) -> MatchStats {
        MatchStats {
            shots: Some(shots),
            shots_on_target: Some(sot),
            corners,
        }
    }

    #[test]
    fn sides_swap_for_and_against() {
        let s = stats([12, 7], [5, 2], Some([6, 3]));
        assert_eq!(TeamShots::new(&s, 0).0, [12.0, 7.0, 5.0, 2.0, 6.0, 3.0]);
        assert_eq!(TeamShots::new(&s, 1).0, [7.0, 12.0, 2.0, 5.0, 3.0, 6.0]);
    }

    #[test]
    fn means_over_the_last_matches_skipping_missing_pairs() {
        let mut form = ShotForm::new(2);
        assert!(form.means(2).iter().all(|v| v.is_nan()));
        form.push(TeamShots::new(&stats([20, 0], [10, 0], Some([9, 9])), 0)); // drops out
        form.push(TeamShots::new(&stats([10, 4], [4, 1], None), 0));
        form.push(TeamShots::new(&stats([6, 8], [2, 3], Some([4, 5])), 0));
        let m = form.means(2);
        assert_eq!(&m[..4], &[8.0, 6.0, 3.0, 2.0]);
        // Corners: only the last match has them.
        assert_eq!(&m[4..], &[4.0, 5.0]);
        assert_eq!(form.means(1)[0], 6.0);
    }
}
