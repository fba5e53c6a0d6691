//! From a feed packet to the football matches it prices.

use crate::feed::schema::{FACTOR_AWAY, FACTOR_DRAW, FACTOR_HOME, Snapshot};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::HashMap;

/// A match as the feed lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeedEvent {
    pub bookmaker: String,
    pub event_id: String,
    /// The competition segment's name (`Football. England. Premier League`).
    pub competition: Option<String>,
    pub home: String,
    pub away: String,
    pub start: DateTime<Utc>,
    /// Home, draw, away decimal prices, when all three are offered.
    pub odds: Option<[f64; 3]>,
    /// The bookmaker's page of the event.
    pub url: Option<String>,
}

/// An entry of the packet that is not a usable match, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ignored {
    pub event_id: String,
    pub reason: String,
}

/// The root sport of every segment (following `parent_id`), by id.
fn root_names(snapshot: &Snapshot) -> HashMap<u64, &str> {
    let by_id: HashMap<u64, &crate::feed::schema::Sport> =
        snapshot.sports.iter().map(|s| (s.id, s)).collect();
    let mut roots = HashMap::new();
    for sport in &snapshot.sports {
        let mut current = sport;
        // A malformed tree (a cycle) must not hang: at most 16 levels.
        for _ in 0..16 {
            match current.parent_id.and_then(|p| by_id.get(&p)) {
                Some(parent) if parent.id != current.id => current = parent,
                _ => break,
            }
        }
        roots.insert(sport.id, current.name.as_str());
    }
    roots
}

/// The football matches of a packet. `url_template` builds an event's page
/// from `{event}` and `{sport}` (e.g. `https://book.example/football/{sport}/{event}`).
pub fn events_of(
    snapshot: &Snapshot,
    bookmaker: &str,
    url_template: Option<&str>,
) -> (Vec<FeedEvent>, Vec<Ignored>) {
    let roots = root_names(snapshot);
    let names: HashMap<u64, &str> = snapshot
        .sports
        .iter()
        .map(|s| (s.id, s.name.as_str()))
        .collect();
    let prices: HashMap<u64, &crate::feed::schema::CustomFactors> =
        snapshot.custom_factors.iter().map(|c| (c.e, c)).collect();
    let (mut events, mut ignored) = (Vec::new(), Vec::new());
    for event in &snapshot.events {
        let id = event.id.to_string();
        let ignore = |reason: &str| Ignored {
            event_id: id.clone(),
            reason: reason.to_string(),
        };
        if event.level != 1 || event.parent_id.is_some_and(|p| p != 0) {
            continue; // a sub-event (corners, cards ...) of a match
        }
        if let Some(root) = event.sport_id.and_then(|s| roots.get(&s))
            && !root.eq_ignore_ascii_case("football")
        {
            continue; // another sport
        }
        let (Some(home), Some(away)) = (
            event
                .team1
                .as_deref()
                .map(str::trim)
                .filter(|t| !t.is_empty()),
            event
                .team2
                .as_deref()
                .map(str::trim)
                .filter(|t| !t.is_empty()),
        ) else {
            ignored.push(ignore("no team names"));
            continue;
        };
        let Some(start) = event
            .start_time
            .and_then(|t| DateTime::from_timestamp(t, 0))
        else {
            ignored.push(ignore("no valid start time"));
            continue;
        };
        let odds = prices.get(&event.id).and_then(|c| {
            let price = |f: u32| {
                c.factors
                    .iter()
                    .find(|x| x.f == f)
                    .map(|x| x.v)
                    .filter(|v| v.is_finite() && *v > 1.0)
            };
            Some([
                price(FACTOR_HOME)?,
                price(FACTOR_DRAW)?,
                price(FACTOR_AWAY)?,
            ])
        });
        let sport = event.sport_id.map(|s| s.to_string()).unwrap_or_default();
        events.push(FeedEvent {
            bookmaker: bookmaker.to_string(),
            event_id: id.clone(),
            competition: event
                .sport_id
                .and_then(|s| names.get(&s))
                .map(|n| n.to_string()),
            home: home.to_string(),
            away: away.to_string(),
            start,
            odds,
            url: url_template.map(|t| t.replace("{event}", &id).replace("{sport}", &sport)),
        });
    }
    (events, ignored)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PACKET: &str = r#"{
        "packetVersion": 7,
        "sports": [
            {"id": 1, "kind": "sport", "name": "Football"},
            {"id": 2, "kind": "sport", "name": "Hockey"},
            {"id": 11918, "parentId": 1, "kind": "segment", "name": "Football. England. Premier League"},
            {"id": 2001, "parentId": 2, "kind": "segment", "name": "Hockey. KHL"}
        ],
        "events": [
            {"id": 100, "sportId": 11918, "level": 1, "team1": "Manchester United", "team2": "Brentford", "startTime": 1680363000},
            {"id": 101, "parentId": 100, "sportId": 11918, "level": 2, "team1": "Manchester United", "team2": "Brentford", "startTime": 1680363000},
            {"id": 102, "sportId": 2001, "level": 1, "team1": "SKA", "team2": "CSKA", "startTime": 1680363000},
            {"id": 103, "sportId": 11918, "level": 1, "team1": "Chelsea", "team2": "Aston Villa", "startTime": 1680350400},
            {"id": 104, "sportId": 11918, "level": 1, "team1": "", "team2": "X", "startTime": 1680350400},
            {"id": 105, "sportId": 11918, "level": 1, "team1": "A", "team2": "B"}
        ],
        "customFactors": [
            {"e": 100, "factors": [{"f": 921, "v": 1.62}, {"f": 922, "v": 4.1}, {"f": 923, "v": 5.4}, {"f": 930, "v": 1.9}]},
            {"e": 103, "factors": [{"f": 921, "v": 1.8}, {"f": 923, "v": 4.6}]}
        ],
        "somethingNew": true
    }"#;

    #[test]
    fn football_matches_with_their_1x2_prices() {
        let snapshot = Snapshot::parse(PACKET.as_bytes()).unwrap();
        let (events, ignored) = events_of(
            &snapshot,
            "Fonbet",
            Some("https://book.example/football/{sport}/{event}"),
        );
        let ids: Vec<&str> = events.iter().map(|e| e.event_id.as_str()).collect();
        assert_eq!(ids, ["100", "103"]);
        assert_eq!(events[0].odds, Some([1.62, 4.1, 5.4]));
        assert_eq!(events[0].home, "Manchester United");
        assert_eq!(events[0].start.to_rfc3339(), "2023-04-01T15:30:00+00:00");
        assert_eq!(
            events[0].url.as_deref(),
            Some("https://book.example/football/11918/100")
        );
        assert_eq!(
            events[0].competition.as_deref(),
            Some("Football. England. Premier League")
        );
        assert_eq!(events[1].odds, None, "no draw price: no 1X2 quote");
        let reasons: Vec<(&str, &str)> = ignored
            .iter()
            .map(|i| (i.event_id.as_str(), i.reason.as_str()))
            .collect();
        assert_eq!(
            reasons,
            [("104", "no team names"), ("105", "no valid start time")]
        );
    }
}
