//! Precision and recall of the linker on the hand-labelled fixture
//! (`tests/fixtures/linking/labelled.json`): the real fixtures of
//! 2023-04-01..10 in all eight leagues as candidates, 171 feed events
//! (135 that are one of them, 36 hard negatives).
//!
//! Run with `--nocapture` to see the figures quoted in the README.

use chrono::{DateTime, Utc};
use matchday_market::feed::FeedEvent;
use matchday_market::linking::{Aliases, Candidate, Layer, Linker, LinkerConfig};
use serde::Deserialize;
use std::collections::HashMap;

#[derive(Deserialize)]
struct Fixture {
    candidates: Vec<FixtureMatch>,
    events: Vec<FixtureEvent>,
}

#[derive(Deserialize)]
struct FixtureMatch {
    match_id: i64,
    league: String,
    kickoff: DateTime<Utc>,
    home: String,
    away: String,
}

#[derive(Deserialize)]
struct FixtureEvent {
    event_id: String,
    home: String,
    away: String,
    start: DateTime<Utc>,
    gold: Option<i64>,
    note: String,
}

fn fixture() -> Fixture {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/linking/labelled.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn committed_aliases() -> Aliases {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../config/team-aliases.toml"
    );
    Aliases::parse(&std::fs::read_to_string(path).unwrap(), path).unwrap()
}

struct Scores {
    precision: f64,
    recall: f64,
    true_links: usize,
    false_links: usize,
    missed: usize,
    by_layer: HashMap<Layer, usize>,
    mistakes: Vec<String>,
}

fn evaluate(aliases: Aliases) -> Scores {
    let fixture = fixture();
    let candidates = fixture
        .candidates
        .iter()
        .map(|m| Candidate {
            match_id: m.match_id,
            league: m.league.clone(),
            kickoff: m.kickoff,
            home: m.home.clone(),
            away: m.away.clone(),
        })
        .collect();
    let events: Vec<FeedEvent> = fixture
        .events
        .iter()
        .map(|e| FeedEvent {
            bookmaker: "Fonbet".into(),
            event_id: e.event_id.clone(),
            competition: None,
            home: e.home.clone(),
            away: e.away.clone(),
            start: e.start,
            odds: None,
            url: None,
        })
        .collect();
    let outcome = Linker::new(candidates, aliases, LinkerConfig::default()).link(&events);
    let gold: HashMap<&str, (Option<i64>, &FixtureEvent)> = fixture
        .events
        .iter()
        .map(|e| (e.event_id.as_str(), (e.gold, e)))
        .collect();
    let (mut true_links, mut false_links) = (0, 0);
    let mut by_layer = HashMap::new();
    let mut mistakes = Vec::new();
    for link in &outcome.links {
        let (expected, event) = gold[link.event_id.as_str()];
        if expected == Some(link.match_id) {
            true_links += 1;
            *by_layer.entry(link.layer).or_insert(0) += 1;
        } else {
            false_links += 1;
            mistakes.push(format!(
                "WRONG {} {} v {} ({}) → match {} by {:?} {:.2}",
                link.event_id,
                event.home,
                event.away,
                event.note,
                link.match_id,
                link.layer,
                link.score
            ));
        }
    }
    let positives = fixture.events.iter().filter(|e| e.gold.is_some()).count();
    for u in &outcome.unlinked {
        let (expected, event) = gold[u.event_id.as_str()];
        if expected.is_some() {
            mistakes.push(format!(
                "MISSED {} {} v {} ({}): {}",
                u.event_id, event.home, event.away, event.note, u.reason
            ));
        }
    }
    Scores {
        precision: true_links as f64 / (true_links + false_links).max(1) as f64,
        recall: true_links as f64 / positives as f64,
        true_links,
        false_links,
        missed: positives - true_links,
        by_layer,
        mistakes,
    }
}

fn report(name: &str, s: &Scores) {
    println!(
        "{name}: precision {:.3}, recall {:.3} ({} right, {} wrong, {} missed; exact {}, alias {}, similarity {})",
        s.precision,
        s.recall,
        s.true_links,
        s.false_links,
        s.missed,
        s.by_layer.get(&Layer::Exact).unwrap_or(&0),
        s.by_layer.get(&Layer::Alias).unwrap_or(&0),
        s.by_layer.get(&Layer::Similarity).unwrap_or(&0),
    );
    for m in &s.mistakes {
        println!("  {m}");
    }
}

#[test]
fn the_fixture_has_at_least_100_pairs_with_hard_negatives() {
    let fixture = fixture();
    assert!(fixture.events.len() >= 100);
    let negatives = fixture.events.iter().filter(|e| e.gold.is_none()).count();
    assert!(negatives >= 30, "{negatives}");
    let ids: std::collections::HashSet<i64> =
        fixture.candidates.iter().map(|c| c.match_id).collect();
    assert!(
        fixture
            .events
            .iter()
            .filter_map(|e| e.gold)
            .all(|g| ids.contains(&g))
    );
}

#[test]
fn with_the_committed_aliases_no_event_links_to_the_wrong_match() {
    let scores = evaluate(committed_aliases());
    report("three layers (committed aliases)", &scores);
    assert_eq!(scores.false_links, 0, "precision must be 1 on the fixture");
    assert!(scores.recall >= 0.97, "recall {:.3}", scores.recall);
    assert!(scores.by_layer.len() == 3, "every layer contributes");
}

#[test]
fn without_aliases_precision_holds_and_recall_drops() {
    let scores = evaluate(Aliases::default());
    report("exact + similarity only (no aliases)", &scores);
    assert_eq!(scores.false_links, 0);
    assert!(scores.recall < evaluate(committed_aliases()).recall);
}
