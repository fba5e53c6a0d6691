//! Whether a match already stored changes when it is imported again.
//!
//! - same facts → *unchanged* (nothing written);
//! - a different score, or a kick-off time where there was none or a different
//!   one → *updated*: football-data re-publishes files with corrections, and
//!   the latest file is the better source;
//! - a blank score or a missing time never erases a known one: a blank means
//!   "not in this file", not "not played";
//! - the same id with another league, season or teams → a conflict, and the
//!   row is rejected (a misfiled row or, vanishingly unlikely, an id collision).

use matchday_core::domain::{Match, Score};

use super::KICKOFF_FORMAT;

/// The facts of a match that a later file may correct.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Facts {
    pub kickoff: String,
    pub time_known: bool,
    pub score: Option<Score>,
}

/// A stored match, as far as merging needs it.
pub(super) struct Stored {
    /// League, season, home team, away team.
    pub identity: (String, String, String, String),
    pub facts: Facts,
}

#[derive(Debug, PartialEq)]
pub(super) enum Merge {
    Unchanged,
    Update(Facts),
    Conflict(String),
}

pub(super) fn facts_of(m: &Match) -> Facts {
    Facts {
        kickoff: m.kickoff.format(KICKOFF_FORMAT).to_string(),
        time_known: m.kickoff_time_known,
        score: m.score,
    }
}

/// The rules of the module comment, on one stored and one incoming match.
pub(super) fn merge(stored: &Stored, incoming: &Match, facts: Facts) -> Merge {
    let (league, season, home, away) = &stored.identity;
    if (league, season, home, away)
        != (
            &incoming.league,
            &incoming.season,
            &incoming.home_team,
            &incoming.away_team,
        )
    {
        return Merge::Conflict(format!(
            "match id {} is already stored for {league} {season} {home} v {away}",
            incoming.id
        ));
    }
    let old = &stored.facts;
    let keep_old_time = old.time_known && !facts.time_known;
    let merged = Facts {
        kickoff: if keep_old_time {
            old.kickoff.clone()
        } else {
            facts.kickoff
        },
        time_known: old.time_known || facts.time_known,
        score: facts.score.or(old.score),
    };
    if &merged == old {
        Merge::Unchanged
    } else {
        Merge::Update(merged)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn incoming(kickoff_hour: u32, time_known: bool, score: Option<(u8, u8)>) -> Match {
        Match {
            id: 7,
            league: "E0".into(),
            season: "2019-2020".into(),
            kickoff: Utc
                .with_ymd_and_hms(2019, 8, 10, kickoff_hour, 0, 0)
                .unwrap(),
            kickoff_time_known: time_known,
            home_team: "A".into(),
            away_team: "B".into(),
            score: score.map(|(home, away)| Score { home, away }),
        }
    }

    fn stored(m: &Match) -> Stored {
        Stored {
            identity: (
                m.league.clone(),
                m.season.clone(),
                m.home_team.clone(),
                m.away_team.clone(),
            ),
            facts: facts_of(m),
        }
    }

    fn merged(old: &Match, new: &Match) -> Merge {
        merge(&stored(old), new, facts_of(new))
    }

    #[test]
    fn same_facts_are_unchanged() {
        let m = incoming(14, true, Some((1, 0)));
        assert_eq!(merged(&m, &m), Merge::Unchanged);
    }

    #[test]
    fn corrected_score_and_time_update() {
        let old = incoming(14, true, Some((1, 0)));
        let new = incoming(14, true, Some((1, 1)));
        assert_eq!(merged(&old, &new), Merge::Update(facts_of(&new)));
        let later = incoming(16, true, Some((1, 0)));
        assert_eq!(merged(&old, &later), Merge::Update(facts_of(&later)));
        // A result arriving for a fixture.
        let fixture = incoming(14, true, None);
        assert_eq!(merged(&fixture, &old), Merge::Update(facts_of(&old)));
    }

    #[test]
    fn blanks_never_erase_known_facts() {
        let old = incoming(18, true, Some((2, 0)));
        assert_eq!(merged(&old, &incoming(14, false, None)), Merge::Unchanged);
        // ...but the blank file's other facts still apply.
        let new = incoming(14, false, Some((3, 0)));
        let expected = Facts {
            score: new.score,
            ..facts_of(&old)
        };
        assert_eq!(merged(&old, &new), Merge::Update(expected));
    }

    #[test]
    fn other_identity_is_a_conflict() {
        let old = incoming(14, true, Some((1, 0)));
        let mut new = old.clone();
        new.season = "2020-2021".into();
        assert!(
            matches!(merged(&old, &new), Merge::Conflict(reason) if reason.contains("E0 2019-2020 A v B"))
        );
    }
}
