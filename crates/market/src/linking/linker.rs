//! The three-layer linker.

use crate::feed::FeedEvent;
use crate::linking::aliases::Aliases;
use crate::linking::normalize::{Normalized, normalize};
use crate::linking::similarity::team_similarity;
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use std::collections::HashMap;

/// A match of the store an event may link to.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub match_id: i64,
    pub league: String,
    pub kickoff: DateTime<Utc>,
    pub home: String,
    pub away: String,
}

#[derive(Debug, Clone, Copy)]
pub struct LinkerConfig {
    /// Largest difference between the event's and the match's kick-off.
    /// Kick-off times before 2019-20 are unknown in the source (15:00 UK is
    /// assumed), and no club plays twice within a day: 24 h is safe.
    pub window: Duration,
    /// Least mean similarity of the two names for the similarity layer.
    pub threshold: f64,
    /// Least similarity of each of the two names.
    pub team_floor: f64,
    /// The best candidate must beat the next by this much, else the event is
    /// ambiguous and left unlinked.
    pub margin: f64,
}

impl Default for LinkerConfig {
    fn default() -> Self {
        LinkerConfig {
            window: Duration::hours(24),
            threshold: 0.90,
            team_floor: 0.80,
            margin: 0.02,
        }
    }
}

/// Which layer linked an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Layer {
    Exact,
    Alias,
    Similarity,
}

impl Layer {
    pub fn as_str(self) -> &'static str {
        match self {
            Layer::Exact => "exact",
            Layer::Alias => "alias",
            Layer::Similarity => "similarity",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Link {
    pub bookmaker: String,
    pub event_id: String,
    pub match_id: i64,
    pub layer: Layer,
    /// 1.0 for the exact and alias layers; the mean name similarity else
    /// (1.0 too when tokens differ only by generic words).
    pub score: f64,
}

/// An event left unlinked, for the report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Unlinked {
    pub bookmaker: String,
    pub event_id: String,
    pub home: String,
    pub away: String,
    pub start: DateTime<Utc>,
    pub reason: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LinkOutcome {
    pub links: Vec<Link>,
    pub unlinked: Vec<Unlinked>,
}

struct Prepared {
    candidate: Candidate,
    home: Normalized,
    away: Normalized,
}

pub struct Linker {
    /// Sorted by kick-off.
    candidates: Vec<Prepared>,
    aliases: Aliases,
    config: LinkerConfig,
}

/// How a feed name compares with a source name: the score and the layer
/// that produced it (equal tokens, the alias table, or similarity — a
/// similarity of 1.0 between different token lists is still similarity).
fn name_score(feed: &Normalized, alias: Option<&Normalized>, source: &Normalized) -> (f64, Layer) {
    if feed.tokens == source.tokens {
        return (1.0, Layer::Exact);
    }
    if alias.is_some_and(|a| a.tokens == source.tokens) {
        return (1.0, Layer::Alias);
    }
    let direct = team_similarity(feed, source);
    let via_alias = alias.map_or(0.0, |a| team_similarity(a, source));
    (direct.max(via_alias), Layer::Similarity)
}

impl Linker {
    pub fn new(candidates: Vec<Candidate>, aliases: Aliases, config: LinkerConfig) -> Self {
        let mut candidates: Vec<Prepared> = candidates
            .into_iter()
            .map(|c| Prepared {
                home: normalize(&c.home),
                away: normalize(&c.away),
                candidate: c,
            })
            .collect();
        candidates.sort_by_key(|p| (p.candidate.kickoff, p.candidate.match_id));
        Linker {
            candidates,
            aliases,
            config,
        }
    }

    fn in_window(&self, start: DateTime<Utc>) -> &[Prepared] {
        let from = start - self.config.window;
        let to = start + self.config.window;
        let lo = self
            .candidates
            .partition_point(|p| p.candidate.kickoff < from);
        let hi = self
            .candidates
            .partition_point(|p| p.candidate.kickoff <= to);
        &self.candidates[lo..hi]
    }

    /// The decision for one event: a link or the reason there is none.
    fn decide(&self, event: &FeedEvent) -> Result<(i64, Layer, f64, i64), String> {
        let (home, away) = (normalize(&event.home), normalize(&event.away));
        if home.reserve || away.reserve {
            return Err("reserve, youth or women's team (the source has senior teams only)".into());
        }
        let window = self.in_window(event.start);
        if window.is_empty() {
            return Err(format!(
                "no match within ±{}h of kick-off",
                self.config.window.num_hours()
            ));
        }
        let (home_alias, away_alias) = (self.aliases.resolve(&home), self.aliases.resolve(&away));
        let distance = |p: &Prepared| (p.candidate.kickoff - event.start).num_seconds().abs();
        let mut scored: Vec<(f64, Layer, &Prepared)> = Vec::new();
        for p in window {
            let (hs, h_layer) = name_score(&home, home_alias, &p.home);
            let (aws, a_layer) = name_score(&away, away_alias, &p.away);
            // The weaker of the two names decides the layer.
            let layer = h_layer.max(a_layer);
            scored.push(((hs + aws) / 2.0, layer, p));
            if layer != Layer::Similarity
                || (hs >= self.config.team_floor && aws >= self.config.team_floor)
            {
                continue;
            }
            scored.pop(); // one name is too far off
        }
        // Exact beats alias beats similarity; then score; then nearest kick-off.
        scored.sort_by(|a, b| {
            a.1.cmp(&b.1)
                .then(b.0.total_cmp(&a.0))
                .then(distance(a.2).cmp(&distance(b.2)))
        });
        let Some(&(score, layer, best)) = scored.first() else {
            let nearest = window
                .iter()
                .map(|p| {
                    let s = (name_score(&home, home_alias, &p.home).0
                        + name_score(&away, away_alias, &p.away).0)
                        / 2.0;
                    (s, p)
                })
                .max_by(|a, b| a.0.total_cmp(&b.0));
            return Err(match nearest {
                Some((s, p)) => format!(
                    "no candidate similar enough (closest: {} v {}, {s:.2})",
                    p.candidate.home, p.candidate.away
                ),
                None => "no candidate".into(),
            });
        };
        if layer == Layer::Similarity {
            if score < self.config.threshold {
                return Err(format!(
                    "no candidate similar enough (closest: {} v {}, {score:.2})",
                    best.candidate.home, best.candidate.away
                ));
            }
            if let Some(&(next, _, other)) = scored.get(1)
                && score - next < self.config.margin
            {
                return Err(format!(
                    "ambiguous: {} v {} ({score:.2}) and {} v {} ({next:.2})",
                    best.candidate.home,
                    best.candidate.away,
                    other.candidate.home,
                    other.candidate.away
                ));
            }
        }
        Ok((best.candidate.match_id, layer, score, distance(best)))
    }

    /// Links every event; a match keeps at most one event per bookmaker.
    pub fn link(&self, events: &[FeedEvent]) -> LinkOutcome {
        let mut outcome = LinkOutcome::default();
        let mut decided: Vec<(usize, i64, Layer, f64, i64)> = Vec::new();
        for (i, event) in events.iter().enumerate() {
            match self.decide(event) {
                Ok((match_id, layer, score, distance)) => {
                    decided.push((i, match_id, layer, score, distance))
                }
                Err(reason) => outcome.unlinked.push(unlinked(event, reason)),
            }
        }
        // One event per (bookmaker, match): the best layer, score, timing.
        let mut winner: HashMap<(&str, i64), usize> = HashMap::new();
        for (k, d) in decided.iter().enumerate() {
            let key = (events[d.0].bookmaker.as_str(), d.1);
            let better = winner.get(&key).is_none_or(|&w| {
                let o = &decided[w];
                (d.2, -d.3, d.4) < (o.2, -o.3, o.4)
            });
            if better {
                winner.insert(key, k);
            }
        }
        for (k, (i, match_id, layer, score, _)) in decided.iter().enumerate() {
            let event = &events[*i];
            let w = winner[&(event.bookmaker.as_str(), *match_id)];
            if w == k {
                outcome.links.push(Link {
                    bookmaker: event.bookmaker.clone(),
                    event_id: event.event_id.clone(),
                    match_id: *match_id,
                    layer: *layer,
                    score: *score,
                });
            } else {
                let reason = format!(
                    "match {match_id} is already linked to event {}",
                    events[decided[w].0].event_id
                );
                outcome.unlinked.push(unlinked(event, reason));
            }
        }
        outcome
    }
}

fn unlinked(event: &FeedEvent, reason: String) -> Unlinked {
    Unlinked {
        bookmaker: event.bookmaker.clone(),
        event_id: event.event_id.clone(),
        home: event.home.clone(),
        away: event.away.clone(),
        start: event.start,
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(day: u32, hour: u32) -> DateTime<Utc> {
        chrono::NaiveDate::from_ymd_opt(2023, 4, day)
            .unwrap()
            .and_hms_opt(hour, 0, 0)
            .unwrap()
            .and_utc()
    }

    fn candidate(id: i64, home: &str, away: &str, kickoff: DateTime<Utc>) -> Candidate {
        Candidate {
            match_id: id,
            league: "E0".into(),
            kickoff,
            home: home.into(),
            away: away.into(),
        }
    }

    fn event(id: &str, home: &str, away: &str, start: DateTime<Utc>) -> FeedEvent {
        FeedEvent {
            bookmaker: "Fonbet".into(),
            event_id: id.into(),
            competition: None,
            home: home.into(),
            away: away.into(),
            start,
            odds: None,
            url: None,
        }
    }

    fn linker() -> Linker {
        Linker::new(
            vec![
                candidate(1, "Man United", "Brentford", at(5, 19)),
                candidate(2, "Wolves", "Chelsea", at(8, 14)),
                candidate(3, "Leicester", "Bournemouth", at(8, 14)),
                candidate(4, "Nott'm Forest", "Aston Villa", at(8, 16)),
            ],
            Aliases::from_pairs([("Wolverhampton Wanderers", "Wolves")]),
            LinkerConfig::default(),
        )
    }

    #[test]
    fn each_layer_links_what_it_should() {
        let events = [
            event("a", "Manchester Utd", "Brentford FC", at(5, 19)),
            event("b", "Wolverhampton Wanderers", "Chelsea", at(8, 14)),
            event("c", "Leicester City", "AFC Bournemouth", at(8, 14)),
            event("d", "Nottingham Forest", "Aston Vila", at(8, 15)),
        ];
        let outcome = linker().link(&events);
        assert!(outcome.unlinked.is_empty(), "{:?}", outcome.unlinked);
        let got: Vec<(&str, i64, Layer)> = outcome
            .links
            .iter()
            .map(|l| (l.event_id.as_str(), l.match_id, l.layer))
            .collect();
        assert_eq!(
            got,
            [
                ("a", 1, Layer::Exact),
                ("b", 2, Layer::Alias),
                ("c", 3, Layer::Similarity),
                ("d", 4, Layer::Similarity),
            ]
        );
    }

    #[test]
    fn hard_negatives_stay_unlinked_with_a_reason() {
        let events = [
            // Same city, other club, same opponent and time.
            event("x", "Manchester City", "Brentford", at(5, 19)),
            // Right teams, wrong week.
            event("y", "Man United", "Brentford", at(12, 19)),
            // Reserve team.
            event("z", "Man United U21", "Brentford B", at(5, 19)),
            // Home and away swapped: the reverse fixture is another match.
            event("w", "Brentford", "Man United", at(5, 19)),
        ];
        let outcome = linker().link(&events);
        assert!(outcome.links.is_empty(), "{:?}", outcome.links);
        let reasons: Vec<&str> = outcome.unlinked.iter().map(|u| u.reason.as_str()).collect();
        assert!(
            reasons[0].starts_with("no candidate similar enough"),
            "{reasons:?}"
        );
        assert!(reasons[1].starts_with("no match within"), "{reasons:?}");
        assert!(reasons[2].starts_with("reserve"), "{reasons:?}");
        assert!(
            reasons[3].starts_with("no candidate similar enough"),
            "{reasons:?}"
        );
    }

    #[test]
    fn a_match_keeps_one_event_per_bookmaker() {
        let events = [
            event("fuzzy", "Manchester Utd.", "Brentfort", at(5, 19)),
            event("exact", "Man United", "Brentford", at(5, 19)),
        ];
        let outcome = linker().link(&events);
        assert_eq!(outcome.links.len(), 1);
        assert_eq!(outcome.links[0].event_id, "exact");
        assert!(
            outcome.unlinked[0]
                .reason
                .contains("already linked to event exact")
        );
    }
}
