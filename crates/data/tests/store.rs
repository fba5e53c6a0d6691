//! The store and the importer on the fixture folders: counts, idempotency,
//! corrections, provenance, file-level errors.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use matchday_core::domain::{OddsKind, Score};
use matchday_core::ids::match_id;
use matchday_data::{DB_FILE_NAME, DataError, IngestProgress, IngestSummary, Store};

fn fixtures(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn ingest(store: &mut Store, dir: &str) -> IngestSummary {
    store.ingest_football_data(fixtures(dir), |_| {}).unwrap()
}

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn liverpool_norwich() -> i64 {
    match_id("E0", "2019-08-09", "Liverpool", "Norwich")
}

#[test]
fn ingest_reports_counts_rejects_and_progress() {
    let mut store = Store::open_in_memory().unwrap();
    let mut events = Vec::new();
    let summary = store
        .ingest_football_data(fixtures("tree"), |event| match event {
            IngestProgress::Started { files } => events.push(format!("start {files}")),
            IngestProgress::FileDone {
                index,
                files,
                report,
            } => events.push(format!("{index}/{files} {}", report.file)),
        })
        .unwrap();
    assert_eq!(
        events,
        [
            "start 3",
            "1/3 E0/2019-2020.csv",
            "2/3 E1/2005-2006.csv",
            "3/3 SP1/2005-2006.csv"
        ]
    );
    assert_eq!(summary.files, 3);
    assert_eq!(summary.rows, 8);
    assert_eq!(
        (summary.inserted, summary.unchanged, summary.updated),
        (7, 0, 0)
    );
    assert_eq!(summary.odds_inserted, 8);
    assert_eq!(summary.blank_rows, 1);
    let rejected: Vec<String> = summary.rejected.iter().map(|r| r.to_string()).collect();
    assert_eq!(
        rejected,
        ["E1/2005-2006.csv:4: bad Date \"32/08/05\" (expected dd/mm/yy or dd/mm/yyyy)"]
    );

    let counts = store.counts().unwrap();
    assert_eq!((counts.matches, counts.played, counts.odds), (7, 7, 8));
    assert_eq!((counts.files, counts.rejects), (3, 1));
    assert_eq!(counts.matches_by_league["E0"], 3);
    assert_eq!(store.rejects().unwrap(), summary.rejected);
}

#[test]
fn matches_come_back_sorted_with_their_odds() {
    let mut store = Store::open_in_memory().unwrap();
    ingest(&mut store, "tree");
    let matches = store.matches().unwrap();
    assert!(
        matches
            .windows(2)
            .all(|w| (w[0].kickoff, w[0].id) <= (w[1].kickoff, w[1].id))
    );
    assert_eq!(matches[0].league, "E1");
    let m = matches
        .iter()
        .find(|m| m.id == liverpool_norwich())
        .unwrap();
    assert_eq!(m.kickoff, utc("2019-08-09T19:00:00Z"));
    assert!(m.kickoff_time_known);
    assert_eq!(m.score, Some(Score { home: 4, away: 1 }));
    assert_eq!(m.season, "2019-2020");
    let malaga = matches.iter().find(|m| m.home_team == "Málaga").unwrap();
    assert_eq!(malaga.kickoff, utc("2005-08-27T14:00:00Z"));
    assert!(!malaga.kickoff_time_known);

    let odds = store.odds_for(liverpool_norwich()).unwrap();
    let quotes: Vec<_> = odds
        .iter()
        .map(|q| (q.bookmaker.as_str(), q.kind, q.home, q.draw, q.away))
        .collect();
    assert_eq!(
        quotes,
        [
            ("PS", OddsKind::Opening, 1.15, 9.59, 18.05),
            ("PS", OddsKind::Closing, 1.14, 10.43, 19.63)
        ]
    );
    let all = store.odds().unwrap();
    assert_eq!(all.len(), 8);
    assert!(all.windows(2).all(|w| w[0].match_id <= w[1].match_id));
}

#[test]
fn importing_twice_adds_nothing() {
    let mut store = Store::open_in_memory().unwrap();
    let first = ingest(&mut store, "tree");
    let before = (
        store.counts().unwrap(),
        store.matches().unwrap(),
        store.odds().unwrap(),
    );
    let second = ingest(&mut store, "tree");
    assert_eq!(
        (second.inserted, second.updated, second.unchanged),
        (0, 0, 7)
    );
    assert_eq!(
        (
            second.odds_inserted,
            second.odds_updated,
            second.odds_unchanged
        ),
        (0, 0, 8)
    );
    // Rejects are reported again but stored once (latest import of the file).
    assert_eq!(second.rejected, first.rejected);
    let after = (
        store.counts().unwrap(),
        store.matches().unwrap(),
        store.odds().unwrap(),
    );
    assert_eq!(after, before);
    // The log keeps both runs.
    let log = store.imports().unwrap();
    assert_eq!(log.len(), 6);
    assert_eq!(log[0].sha256, log[3].sha256);
    assert_eq!(
        (log[3].inserted, log[3].unchanged, log[3].skipped_blank),
        (0, 3, 1)
    );
    assert_eq!(log[4].rejected, 1);
    assert_eq!(log[0].encoding.as_deref(), Some("utf-8-bom"));
    assert_eq!(log[2].encoding.as_deref(), Some("windows-1252"));
}

#[test]
fn corrected_file_updates_scores_and_prices_but_keeps_known_times() {
    let mut store = Store::open_in_memory().unwrap();
    ingest(&mut store, "tree");
    let corrected = ingest(&mut store, "corrected");
    // Liverpool and West Ham unchanged (the missing Time erases nothing),
    // Bournemouth's score corrected, Burnley new.
    assert_eq!(
        (corrected.inserted, corrected.unchanged, corrected.updated),
        (1, 2, 1)
    );
    // West Ham's closing price moved; the rest is as before, plus Burnley's two.
    assert_eq!(
        (
            corrected.odds_inserted,
            corrected.odds_unchanged,
            corrected.odds_updated
        ),
        (2, 5, 1)
    );

    let matches = store.matches().unwrap();
    let by_home = |team: &str| matches.iter().find(|m| m.home_team == team).unwrap();
    assert_eq!(
        by_home("Bournemouth").score,
        Some(Score { home: 2, away: 1 })
    );
    let liverpool = by_home("Liverpool");
    assert_eq!(liverpool.kickoff, utc("2019-08-09T19:00:00Z"));
    assert!(liverpool.kickoff_time_known);
    assert!(!by_home("Burnley").kickoff_time_known);

    // Provenance follows the values: the corrected file for Bournemouth, the
    // original import for Liverpool.
    let log = store.imports().unwrap();
    let bournemouth = store
        .provenance(by_home("Bournemouth").id)
        .unwrap()
        .unwrap();
    assert_eq!(
        (bournemouth.file.as_str(), bournemouth.line),
        ("E0/2019-2020.csv", 4)
    );
    assert_eq!(bournemouth.sha256, log[3].sha256);
    let original = store.provenance(liverpool.id).unwrap().unwrap();
    assert_eq!(
        (original.line, original.sha256.as_str()),
        (2, log[0].sha256.as_str())
    );
    assert_ne!(log[0].sha256, log[3].sha256);
    assert_eq!(store.provenance(1).unwrap(), None);
}

#[test]
fn store_on_disk_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    {
        let mut store = Store::open(&data_dir).unwrap();
        ingest(&mut store, "tree");
        assert_eq!(store.path(), Some(data_dir.join(DB_FILE_NAME).as_path()));
    }
    let store = Store::open(&data_dir).unwrap();
    assert_eq!(store.counts().unwrap().matches, 7);
    assert_eq!(store.odds_for(liverpool_norwich()).unwrap().len(), 2);
}

#[test]
fn newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    drop(Store::open(dir.path()).unwrap());
    let conn = rusqlite::Connection::open(dir.path().join(DB_FILE_NAME)).unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    let err = Store::open(dir.path()).err().unwrap();
    assert!(
        matches!(err, DataError::UnsupportedSchema { found: 99, .. }),
        "{err}"
    );
}

#[test]
fn unparsable_files_are_reported_and_the_rest_imported() {
    let dir = tempfile::tempdir().unwrap();
    let e0 = dir.path().join("E0");
    std::fs::create_dir_all(&e0).unwrap();
    std::fs::write(e0.join("latest.csv"), "Div,Date\n").unwrap();
    std::fs::write(e0.join("2018-2019.csv"), "Div,Date,HomeTeam,AwayTeam,FTR\n").unwrap();
    std::fs::write(
        e0.join("2019-2020.csv"),
        "Div,Date,HomeTeam,AwayTeam,FTHG,FTAG\nE0,10/08/2019,A,B,1,0\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not a csv").unwrap();
    let mut store = Store::open_in_memory().unwrap();
    let summary = store.ingest_football_data(dir.path(), |_| {}).unwrap();
    assert_eq!((summary.files, summary.inserted), (3, 1));
    let rejected: Vec<String> = summary.rejected.iter().map(|r| r.to_string()).collect();
    assert_eq!(
        rejected,
        [
            "E0/2018-2019.csv:1: header has no FTHG column",
            "E0/latest.csv:0: file name \"latest.csv\" is not <season>.csv with a season like 2019-2020",
        ]
    );
    assert_eq!(store.rejects().unwrap().len(), 2);
}

#[test]
fn missing_folder_is_an_io_error() {
    let mut store = Store::open_in_memory().unwrap();
    let err = store
        .ingest_football_data(fixtures("no-such-folder"), |_| {})
        .unwrap_err();
    assert!(matches!(err, DataError::Io { .. }), "{err}");
}

#[test]
fn single_file_then_folder() {
    let mut store = Store::open_in_memory().unwrap();
    let root = fixtures("tree");
    let report =
        matchday_data::ingest_file(&mut store, &root, &root.join("E0/2019-2020.csv")).unwrap();
    assert_eq!(
        (report.file.as_str(), report.inserted, report.blank_rows),
        ("E0/2019-2020.csv", 3, 1)
    );
    assert_eq!(
        report.encoding,
        Some(matchday_data::SourceEncoding::Utf8WithBom)
    );
    let summary = ingest(&mut store, "tree");
    assert_eq!((summary.inserted, summary.unchanged), (4, 3));
}

#[cfg(unix)]
#[test]
fn unreadable_file_keeps_the_files_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let e0 = dir.path().join("E0");
    std::fs::create_dir_all(&e0).unwrap();
    std::fs::copy(fixtures("tree/E0/2019-2020.csv"), e0.join("2019-2020.csv")).unwrap();
    // Sorted after the good file; reading it fails.
    std::os::unix::fs::symlink("/nonexistent/file.csv", e0.join("2020-2021.csv")).unwrap();
    let mut store = Store::open_in_memory().unwrap();
    let err = store.ingest_football_data(dir.path(), |_| {}).unwrap_err();
    assert!(
        matches!(&err, DataError::Io { path, .. } if path.ends_with("E0/2020-2021.csv")),
        "{err}"
    );
    assert_eq!(store.counts().unwrap().matches, 3);
    assert_eq!(store.imports().unwrap().len(), 1);
}

#[test]
fn dropped_batch_rolls_back() {
    let mut store = Store::open_in_memory().unwrap();
    let root = fixtures("tree");
    let bytes = std::fs::read(root.join("E0/2019-2020.csv")).unwrap();
    let source = matchday_data::Source::new("E0/2019-2020.csv", "2019-2020", Some("E0")).unwrap();
    let parsed = matchday_data::football_data::parse(&bytes, &source).unwrap();
    {
        let mut batch = store.begin_import().unwrap();
        assert_eq!(batch.import_parsed(&parsed, "x").unwrap().inserted, 3);
    }
    assert_eq!(store.counts().unwrap().matches, 0);
    assert!(store.imports().unwrap().is_empty());
}
