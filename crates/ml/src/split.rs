//! What is known at `as_of`, and the temporal train/test split.
//!
//! A match that kicks off after `as_of` is a future fixture: its score is
//! treated as unknown even if the input carries one, so that a back-test at
//! an old date sees exactly what was knowable then.

use chrono::{DateTime, Datelike, TimeZone, Utc};
use matchday_core::domain::{Match, Score};
use serde::{Deserialize, Serialize};

use crate::{MlError, Result};

// One rule for when a result is known, shared with the `predict` component.
pub use matchday_core::window::{RESULT_KNOWN_AFTER, result_known_at};

/// The score of `m` as known at `as_of`: `None` for future or unplayed
/// matches and for matches still being played at `as_of`.
pub fn visible_score(m: &Match, as_of: DateTime<Utc>) -> Option<Score> {
    if result_known_at(m.kickoff) <= as_of {
        m.score
    } else {
        None
    }
}

/// Whether `m` kicks off after `as_of`.
pub fn is_future(m: &Match, as_of: DateTime<Utc>) -> bool {
    m.kickoff > as_of
}

/// Seasons start on 1 July here: every league in the data plays August to
/// May (the COVID-delayed 2019-20 ends in August 2020, before 2020-21).
const SEASON_START_MONTH: u32 = 7;

/// The default split for `as_of`: 1 July of the season before `as_of`'s, so
/// the test split is the last two seasons (the one under way and the one
/// before it), as `evaluate` walks forward over (2021-07-01 for
/// 2023-04-01). The served model learns from the test split too
/// (`pipeline::run`); the split sets what its card's test metrics cover
/// and which seasons the CV folds are.
pub fn default_split(as_of: DateTime<Utc>) -> DateTime<Utc> {
    let season = if as_of.month() >= SEASON_START_MONTH {
        as_of.year()
    } else {
        as_of.year() - 1
    };
    Utc.with_ymd_and_hms(season - 1, SEASON_START_MONTH, 1, 0, 0, 0)
        .single()
        .expect("1 July at midnight exists in UTC")
}

/// Which part of the split a match belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Finished, kicked off before the split date.
    Train,
    /// Finished, kicked off in `[split_date, as_of]`.
    Test,
    /// No result known at `as_of` (future fixture, or postponed/unplayed).
    Unlabeled,
}

/// Indices into the match slice, in input order.
#[derive(Debug, Clone, PartialEq)]
pub struct TemporalSplit {
    pub split_date: DateTime<Utc>,
    pub as_of: DateTime<Utc>,
    pub train: Vec<usize>,
    pub test: Vec<usize>,
    pub unlabeled: Vec<usize>,
}

impl TemporalSplit {
    /// Role of every match, in input order.
    pub fn roles(&self, n: usize) -> Vec<Role> {
        let mut roles = vec![Role::Unlabeled; n];
        for &i in &self.train {
            roles[i] = Role::Train;
        }
        for &i in &self.test {
            roles[i] = Role::Test;
        }
        roles
    }

    /// Every match with a known result (`train` and `test`), in input order.
    pub fn finished(&self) -> Vec<usize> {
        let mut finished = [self.train.as_slice(), self.test.as_slice()].concat();
        finished.sort_unstable();
        finished
    }
}

/// `train` = finished matches with kickoff < `split_date`;
/// `test` = finished matches with `split_date` ≤ kickoff ≤ `as_of`.
pub fn temporal_split(
    matches: &[Match],
    split_date: DateTime<Utc>,
    as_of: DateTime<Utc>,
) -> Result<TemporalSplit> {
    if split_date > as_of {
        return Err(MlError::InvalidConfig(format!(
            "split date {split_date} is after as_of {as_of}"
        )));
    }
    let mut split = TemporalSplit {
        split_date,
        as_of,
        train: Vec::new(),
        test: Vec::new(),
        unlabeled: Vec::new(),
    };
    for (i, m) in matches.iter().enumerate() {
        match visible_score(m, as_of) {
            Some(_) if m.kickoff < split_date => split.train.push(i),
            Some(_) => split.test.push(i),
            None => split.unlabeled.push(i),
        }
    }
    Ok(split)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::{SyntheticConfig, generate};
    use chrono::TimeZone;

    #[test]
    fn nothing_at_or_after_the_split_date_is_trained_on() {
        let data = generate(&SyntheticConfig::default());
        let kickoffs: Vec<_> = data.matches.iter().map(|m| m.kickoff).collect();
        let split_date = kickoffs[kickoffs.len() / 2];
        let as_of = kickoffs[kickoffs.len() * 3 / 4];
        let split = temporal_split(&data.matches, split_date, as_of).unwrap();

        assert!(!split.train.is_empty() && !split.test.is_empty());
        for &i in &split.train {
            assert!(data.matches[i].kickoff < split_date);
            assert!(data.matches[i].score.is_some());
        }
        for &i in &split.test {
            let k = data.matches[i].kickoff;
            assert!(split_date <= k && k <= as_of);
        }
        // Every match after as_of is unlabeled although the generator scored it.
        for (i, m) in data.matches.iter().enumerate() {
            if m.kickoff > as_of {
                assert!(split.unlabeled.contains(&i));
            }
        }
        assert_eq!(
            split.train.len() + split.test.len() + split.unlabeled.len(),
            data.matches.len()
        );
    }

    #[test]
    fn split_after_as_of_is_rejected() {
        let t = Utc.with_ymd_and_hms(2022, 1, 1, 0, 0, 0).unwrap();
        let err = temporal_split(&[], t, t - chrono::Duration::days(1)).unwrap_err();
        assert!(matches!(err, MlError::InvalidConfig(_)));
    }

    #[test]
    fn the_default_split_leaves_the_last_two_seasons_for_the_test() {
        let day = |y, m, d| Utc.with_ymd_and_hms(y, m, d, 0, 0, 0).unwrap();
        assert_eq!(default_split(day(2023, 4, 1)), day(2021, 7, 1));
        assert_eq!(default_split(day(2022, 7, 20)), day(2021, 7, 1));
        assert_eq!(default_split(day(2023, 6, 30)), day(2021, 7, 1));
        assert_eq!(default_split(day(2023, 7, 1)), day(2022, 7, 1));
        assert_eq!(default_split(day(2026, 11, 23)), day(2025, 7, 1));
    }
}
