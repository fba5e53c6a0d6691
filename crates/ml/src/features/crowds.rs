//! Matches played without spectators.
//!
//! From the restart after the spring 2020 suspension to the end of the
//! 2020-21 seasons, the leagues of `shared/data` played behind closed doors
//! (a few late-2020-21 rounds had small capped crowds). Home advantage fell
//! visibly then: 40% home wins against 44% in other seasons over the eight
//! leagues, and more away wins than home wins in the 2020-21 Premier League
//! (`shared/data/football-data/SOURCE.md`). Whether a match has a crowd is
//! announced before kick-off, so it is a fair input.

use chrono::{DateTime, TimeZone, Utc};

/// First day of the period: the earliest restart (the Bundesliga's, 16 May
/// 2020) falls after it, and no match in the data is played between the
/// March suspension and it.
fn from() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2020, 5, 1, 0, 0, 0).unwrap()
}

/// First day after the period: every 2020-21 season had ended, and 2021-22
/// started with crowds back.
fn until() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2021, 7, 1, 0, 0, 0).unwrap()
}

/// Whether a match kicking off at `kickoff` was played behind closed doors.
pub fn behind_closed_doors(kickoff: DateTime<Utc>) -> bool {
    (from()..until()).contains(&kickoff)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_period_covers_the_restart_and_2020_21_only() {
        let at = |y, m, d| Utc.with_ymd_and_hms(y, m, d, 15, 0, 0).unwrap();
        assert!(!behind_closed_doors(at(2020, 3, 8)));
        assert!(behind_closed_doors(at(2020, 5, 16)));
        assert!(behind_closed_doors(at(2021, 5, 23)));
        assert!(!behind_closed_doors(at(2021, 8, 13)));
        assert!(!behind_closed_doors(at(2019, 5, 16)));
    }
}
