//! How a team arrives at a match: still in the same league season, starting
//! a new season in the same league, or coming up/down from another one.
//!
//! Every rating needs this at a team's first match of a season. Club
//! strength persists over the summer, but a promoted club is weaker than the
//! average of its new league, whatever its rating in the old one said (a
//! rating is only comparable within a league: divisions never meet), and a
//! relegated club is stronger than the average of its new one. The top
//! divisions here have no second division in the data, so a club back after a
//! season (or more) away is a promoted club too.

use matchday_core::leagues;
use serde::{Deserialize, Serialize};

/// A team's situation at a match, relative to its previous known result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Arrival {
    /// Same league, same season as its previous result.
    SameSeason,
    /// First match of the next season in the same league.
    NewSeason,
    /// No previous result, a gap of a season or more, or a move up from a
    /// lower division.
    Promoted,
    /// A move down from a higher division in consecutive seasons.
    Relegated,
}

/// First year of a `2019-2020` style season label.
pub fn season_start_year(season: &str) -> Option<i32> {
    season.get(..4)?.parse().ok()
}

/// Division level of a league (1 = top); unknown leagues count as top
/// divisions, the usual case for a new source.
fn tier(league: &str) -> u8 {
    leagues::league(league).map_or(1, |l| l.tier)
}

/// Whether `later` is the season after `earlier`.
fn follows(earlier: &str, later: &str) -> bool {
    match (season_start_year(earlier), season_start_year(later)) {
        (Some(a), Some(b)) => b == a + 1,
        // Unparseable labels: trust that seasons follow each other.
        _ => earlier != later,
    }
}

/// Whether a team whose previous result was in `last_league`/`last_season`
/// is one of `league`'s members at a match of `season`: it played there this
/// season or the one before. The league mean a newcomer starts from is its
/// members' mean: a club relegated out of the data keeps its last rating
/// forever, and counting it would drag the mean down a little more every
/// season (a replica of the Elo counted 40 clubs for La Liga's 20 by
/// 2022-23, the mean ~50 points under its members').
pub fn is_member(last_league: &str, last_season: &str, league: &str, season: &str) -> bool {
    last_league == league && (last_season == season || follows(last_season, season))
}

/// Classify a team's arrival at a match of `league`/`season`, given the
/// league and season of its previous known result (`None` if it has none).
pub fn arrival(previous: Option<(&str, &str)>, league: &str, season: &str) -> Arrival {
    let Some((last_league, last_season)) = previous else {
        return Arrival::Promoted;
    };
    if last_season == season && last_league == league {
        return Arrival::SameSeason;
    }
    if last_season == season || !follows(last_season, season) {
        // A league change inside a season (never in this data) or a gap.
        return Arrival::Promoted;
    }
    match tier(last_league).cmp(&tier(league)) {
        std::cmp::Ordering::Equal if last_league == league => Arrival::NewSeason,
        // Lower number = higher division: coming from a higher one is a drop.
        std::cmp::Ordering::Less => Arrival::Relegated,
        _ => Arrival::Promoted,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrivals() {
        let s = "2020-2021";
        assert_eq!(arrival(None, "E0", s), Arrival::Promoted);
        assert_eq!(arrival(Some(("E0", s)), "E0", s), Arrival::SameSeason);
        assert_eq!(
            arrival(Some(("E0", "2019-2020")), "E0", s),
            Arrival::NewSeason
        );
        assert_eq!(
            arrival(Some(("E1", "2019-2020")), "E0", s),
            Arrival::Promoted
        );
        assert_eq!(
            arrival(Some(("E0", "2019-2020")), "E1", s),
            Arrival::Relegated
        );
        // Two seasons away (in a division not in the data): promoted.
        assert_eq!(
            arrival(Some(("SP1", "2018-2019")), "SP1", s),
            Arrival::Promoted
        );
        assert_eq!(season_start_year(s), Some(2020));
    }

    #[test]
    fn members_played_in_the_league_this_season_or_the_last() {
        let s = "2020-2021";
        assert!(is_member("SP1", s, "SP1", s));
        assert!(is_member("SP1", "2019-2020", "SP1", s));
        assert!(!is_member("SP1", "2018-2019", "SP1", s));
        assert!(!is_member("E1", s, "E0", s));
    }
}
