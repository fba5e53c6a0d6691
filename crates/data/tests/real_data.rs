//! Imports all of football-data (the data beside the repo, see SOURCE.md
//! there) and checks the facts SOURCE.md states.
//!
//! The folder is `<repo>/../shared/data/football-data`, or `$MATCHDAY_DATA_DIR`
//! (the football-data folder itself, or a folder containing it). The test
//! fails, rather than skips, when it is absent: these are the numbers the
//! rest of the pipeline is built on.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use chrono::{DateTime, Utc};
use matchday_core::domain::{Match, OddsKind, OddsQuote, Score};
use matchday_core::ids::match_id;
use matchday_data::{Counts, FileReport, IngestProgress, IngestSummary, Store};

fn data_dir() -> PathBuf {
    let dir = match std::env::var_os("MATCHDAY_DATA_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/football-data")
        }
    };
    let nested = dir.join("football-data");
    let dir = if nested.is_dir() { nested } else { dir };
    assert!(
        dir.join("SOURCE.md").is_file(),
        "football-data not found at {} (expected <league>/<season>.csv and SOURCE.md); \
         set MATCHDAY_DATA_DIR to the football-data folder",
        dir.display()
    );
    dir
}

/// Everything the tests look at, from one import (and one re-import).
struct Imported {
    first: IngestSummary,
    reports: Vec<FileReport>,
    second: IngestSummary,
    counts: Counts,
    matches: Vec<Match>,
    odds: Vec<OddsQuote>,
}

fn imported() -> &'static Imported {
    static IMPORTED: OnceLock<Imported> = OnceLock::new();
    IMPORTED.get_or_init(|| {
        let dir = data_dir();
        // On disk, as the sidecar runs it, so the timing means something.
        // Per process: nextest runs each test in its own process, in parallel.
        let store_dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("real_data-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&store_dir);
        let mut store = Store::open(&store_dir).unwrap();
        let mut reports = Vec::new();
        let first = store
            .ingest_football_data(&dir, |event| {
                if let IngestProgress::FileDone { report, .. } = event {
                    reports.push(report.clone());
                }
            })
            .unwrap();
        let second = store.ingest_football_data(&dir, |_| {}).unwrap();
        eprintln!(
            "imported {} files, {} matches, {} odds in {:.2?}; re-import in {:.2?}",
            first.files, first.inserted, first.odds_inserted, first.elapsed, second.elapsed
        );
        Imported {
            counts: store.counts().unwrap(),
            matches: store.matches().unwrap(),
            odds: store.odds().unwrap(),
            first,
            reports,
            second,
        }
    })
}

fn is_top_league(league: &str) -> bool {
    !matches!(league, "E1" | "E2" | "E3")
}

#[test]
fn every_match_imported_none_rejected() {
    let data = imported();
    let rejected: Vec<String> = data
        .first
        .rejected
        .iter()
        .map(ToString::to_string)
        .collect();
    assert!(
        rejected.is_empty(),
        "rejected rows:\n{}",
        rejected.join("\n")
    );
    assert_eq!(data.first.files, 144);
    assert_eq!(data.first.rows, 62_311);
    assert_eq!(data.first.inserted, 62_311);
    assert_eq!((data.first.unchanged, data.first.updated), (0, 0));
    assert_eq!(data.counts.matches, 62_311);
    assert_eq!(data.counts.played, 62_311);
    assert_eq!(data.counts.files, 144);
    assert_eq!(data.counts.rejects, 0);
}

#[test]
fn per_league_and_season_counts() {
    let expected: BTreeMap<String, u64> = [
        ("E0", 6_840),
        ("E1", 9_936),
        ("E2", 9_784),
        ("E3", 9_824),
        ("SP1", 6_840),
        ("D1", 5_508),
        ("I1", 6_840),
        ("F1", 6_739),
    ]
    .into_iter()
    .map(|(league, n)| (league.to_owned(), n))
    .collect();
    assert_eq!(imported().counts.matches_by_league, expected);

    let mut per_season: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for m in &imported().matches {
        *per_season.entry((&m.league, &m.season)).or_default() += 1;
    }
    assert_eq!(per_season.len(), 144);
    for ((league, season), n) in per_season {
        let expected = match (league, season) {
            ("E2", "2019-2020") => 400,
            ("E3", "2019-2020") => 440,
            ("F1", "2019-2020") => 279,
            ("E1" | "E2" | "E3", _) => 552,
            ("D1", _) => 306,
            _ => 380,
        };
        assert_eq!(n, expected, "{league} {season}");
    }
}

#[test]
fn blank_rows_are_counted_per_file() {
    let data = imported();
    assert_eq!(data.first.blank_rows, 8);
    let with_blanks: Vec<(&str, usize)> = data
        .reports
        .iter()
        .filter(|r| r.blank_rows > 0)
        .map(|r| (r.file.as_str(), r.blank_rows))
        .collect();
    assert_eq!(
        with_blanks,
        [
            ("E0/2014-2015.csv", 1),
            ("F1/2013-2014.csv", 1),
            ("F1/2015-2016.csv", 1),
            ("I1/2012-2013.csv", 3),
            ("I1/2014-2015.csv", 1),
            ("I1/2015-2016.csv", 1),
        ]
    );
    assert!(data.reports.iter().all(|r| r.encoding.is_some()));
}

#[test]
fn reimport_adds_nothing() {
    let second = &imported().second;
    assert_eq!(second.files, 144);
    assert_eq!(
        (second.inserted, second.updated, second.unchanged),
        (0, 0, 62_311)
    );
    assert_eq!((second.odds_inserted, second.odds_updated), (0, 0));
    assert_eq!(second.odds_unchanged, imported().first.odds_inserted);
    assert!(second.rejected.is_empty());
}

#[test]
fn matches_sorted_with_kickoff_times_from_2019_20() {
    let matches = &imported().matches;
    assert!(
        matches
            .windows(2)
            .all(|w| (w[0].kickoff, w[0].id) < (w[1].kickoff, w[1].id))
    );
    for m in matches {
        // Every top-division file from 2019-20 has `Time`; E1–E3 never do.
        let has_time = is_top_league(&m.league) && m.season.as_str() >= "2019-2020";
        assert_eq!(m.kickoff_time_known, has_time, "{m:?}");
    }
    assert_eq!(
        matches.iter().filter(|m| m.kickoff_time_known).count(),
        7_203
    );
}

#[test]
fn liverpool_norwich_2019() {
    let data = imported();
    let id = match_id("E0", "2019-08-09", "Liverpool", "Norwich");
    assert_eq!(id, 530_331_760_597_023);
    let m = data.matches.iter().find(|m| m.id == id).unwrap();
    assert_eq!(
        m.kickoff,
        "2019-08-09T19:00:00Z".parse::<DateTime<Utc>>().unwrap()
    );
    assert_eq!(m.score, Some(Score { home: 4, away: 1 }));
    let quote = |bookmaker: &str, kind| {
        data.odds
            .iter()
            .find(|q| q.match_id == id && q.bookmaker == bookmaker && q.kind == kind)
            .map(|q| (q.home, q.draw, q.away))
    };
    assert_eq!(quote("PS", OddsKind::Opening), Some((1.15, 9.59, 18.05)));
    assert_eq!(quote("PS", OddsKind::Closing), Some((1.14, 10.43, 19.63)));
    assert_eq!(quote("B365", OddsKind::Opening), Some((1.14, 10.0, 19.0)));
    assert_eq!(quote("Avg", OddsKind::Closing), Some((1.14, 9.52, 19.18)));
    assert_eq!(quote("BbAv", OddsKind::Opening), None);
}

#[test]
fn covid_season_home_advantage() {
    // SOURCE.md: E0 2020-21 has more away wins (153) than home wins (144).
    let mut classes = [0; 3];
    for m in &imported().matches {
        if m.league == "E0" && m.season == "2020-2021" {
            classes[m.score.unwrap().class()] += 1;
        }
    }
    assert_eq!(classes, [144, 83, 153]);
}

/// Matches of one file with a quote of this bookmaker and kind.
fn quoted(league: &str, season: &str, bookmaker: &str, kind: OddsKind) -> usize {
    let data = imported();
    let ids: std::collections::HashSet<i64> = data
        .matches
        .iter()
        .filter(|m| m.league == league && m.season == season)
        .map(|m| m.id)
        .collect();
    data.odds
        .iter()
        .filter(|q| q.bookmaker == bookmaker && q.kind == kind && ids.contains(&q.match_id))
        .count()
}

#[test]
fn odds_availability_facts() {
    use OddsKind::{Closing, Opening};
    // SOURCE.md quirk 3.
    assert_eq!(quoted("I1", "2005-2006", "B365", Opening), 378);
    assert_eq!(quoted("F1", "2016-2017", "PS", Opening), 378);
    assert_eq!(quoted("F1", "2020-2021", "B365", Opening), 378);
    // Closing prices exist from 2019-20 (PS closing from 2012-13).
    assert_eq!(quoted("E0", "2019-2020", "B365", Closing), 380);
    assert_eq!(quoted("E0", "2018-2019", "B365", Closing), 0);
    assert_eq!(quoted("E0", "2018-2019", "BbAv", Opening), 380);
    assert_eq!(quoted("E0", "2019-2020", "BbAv", Opening), 0);
    assert_eq!(quoted("E0", "2019-2020", "Avg", Opening), 380);
}

#[test]
fn pinnacle_from_2012_13_only() {
    let data = imported();
    let season_of: std::collections::HashMap<i64, &Match> =
        data.matches.iter().map(|m| (m.id, m)).collect();
    for q in data.odds.iter().filter(|q| q.bookmaker == "PS") {
        let m = season_of[&q.match_id];
        assert!(
            m.season.as_str() >= "2012-2013",
            "PS odds in {} {}",
            m.league,
            m.season
        );
    }
    for league in ["E0", "SP1", "D1", "I1", "F1"] {
        for year in 2012..2023 {
            let season = format!("{year}-{}", year + 1);
            let n = quoted(league, &season, "PS", OddsKind::Opening);
            assert!(n >= 270, "{league} {season}: PS on {n} matches");
        }
    }
}

#[test]
fn results_only_leagues_have_no_odds() {
    let data = imported();
    let lower: std::collections::HashSet<i64> = data
        .matches
        .iter()
        .filter(|m| !is_top_league(&m.league))
        .map(|m| m.id)
        .collect();
    assert_eq!(lower.len(), 9_936 + 9_784 + 9_824);
    assert!(data.odds.iter().all(|q| !lower.contains(&q.match_id)));
}

#[test]
fn odds_totals_and_validity() {
    let data = imported();
    assert!(data.odds.iter().all(OddsQuote::is_valid));
    assert_eq!(data.counts.odds, 380_967);
    assert_eq!(data.first.odds_inserted, 380_967);
    // Nearly all of these are market-maximum triples (`Max`, `BbMx`) whose
    // best prices sum to an overround below zero; see the crate README.
    assert_eq!(data.first.invalid_odds, 16_548);
    let mut per_book: BTreeMap<(&str, OddsKind), usize> = BTreeMap::new();
    for q in &data.odds {
        *per_book.entry((&q.bookmaker, q.kind)).or_default() += 1;
    }
    assert_eq!(per_book[&("PS", OddsKind::Closing)], 19_981);
    assert_eq!(per_book[&("Avg", OddsKind::Closing)], 7_203);
    assert_eq!(per_book[&("BbAv", OddsKind::Opening)], 25_563);
    assert_eq!(per_book[&("Max", OddsKind::Closing)], 1_507);
}

#[test]
fn import_is_fast() {
    let elapsed = imported().first.elapsed;
    // A regression guard (e.g. one transaction per row), not a benchmark:
    // a few seconds in an optimised build.
    if !cfg!(debug_assertions) {
        assert!(
            elapsed < Duration::from_secs(60),
            "import took {elapsed:.2?}"
        );
    }
}
