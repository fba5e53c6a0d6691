//! A season after the files in `shared/data`, in the shape the later
//! football-data files take (`SOURCE.md`: a UTF-8 BOM and CRLF line ends,
//! more columns, Ligue 1 with 18 clubs, statistics and odds for the English
//! lower divisions, stale prices whose overround is negative, a club the
//! data has never seen). It is made from 2022-23 moved one year on,
//! ingested beside the real data and run through the default pipeline at a
//! later as-of date: what the service meets when new seasons arrive.

use std::path::Path;

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use matchday_core::domain::OddsKind;
use matchday_data::Store;
use matchday_ml::pipeline::{self, PipelineConfig};
use matchday_ml::split::default_split;

mod support;

const SEASON: &str = "2023-2024";
/// Replaces Southampton (relegated in 2022-23) in every one of its matches.
const NEW_CLUB: &str = "Newtown";
/// The E0 data row (0-based) given stale closing prices.
const STALE_ROW: usize = 10;

/// The rows of a football-data file as fields (these files quote nothing).
fn read_rows(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines().filter(|l| !l.trim_matches(',').is_empty());
    let header = lines.next().unwrap().split(',').map(String::from).collect();
    let rows = lines
        .map(|l| l.split(',').map(String::from).collect())
        .collect();
    (header, rows)
}

/// Written the way files straight from football-data are: BOM, CRLF.
fn write_rows(path: &Path, header: &[String], rows: &[Vec<String>]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut text = String::from("\u{feff}");
    for fields in std::iter::once(header).chain(rows.iter().map(Vec::as_slice)) {
        text.push_str(&fields.join(","));
        text.push_str("\r\n");
    }
    std::fs::write(path, text).unwrap();
}

/// 364 days on: the same weekday a year later, inside the next season.
fn a_year_on(date: &str) -> String {
    let day = NaiveDate::parse_from_str(date, "%d/%m/%Y")
        .or_else(|_| NaiveDate::parse_from_str(date, "%d/%m/%y"))
        .unwrap();
    (day + Duration::days(364)).format("%d/%m/%Y").to_string()
}

fn column(header: &[String], name: &str) -> usize {
    header.iter().position(|h| h == name).unwrap()
}

/// E0 with a new club, two bookmakers the old files lack, and one match
/// whose Pinnacle closing prices sum to an overround below zero.
fn premier_league(source: &Path, out: &Path) -> (String, String) {
    let (mut header, mut rows) = read_rows(&source.join("E0/2022-2023.csv"));
    let (date, home, away) = (
        column(&header, "Date"),
        column(&header, "HomeTeam"),
        column(&header, "AwayTeam"),
    );
    let ps = ["PSH", "PSD", "PSA"].map(|c| column(&header, c));
    let closing = ["PSCH", "PSCD", "PSCA"].map(|c| column(&header, c));
    header.extend(["BFEH", "BFED", "BFEA", "1XBH", "1XBD", "1XBA"].map(String::from));
    for row in &mut rows {
        row[date] = a_year_on(&row[date]);
        for side in [home, away] {
            if row[side] == "Southampton" {
                row[side] = NEW_CLUB.to_string();
            }
        }
        let prices: Vec<String> = ps.iter().map(|&c| row[c].clone()).collect();
        row.extend(prices.iter().chain(&prices).cloned());
    }
    for c in closing {
        rows[STALE_ROW][c] = "5.0".to_string(); // 3 × 1/5 = 0.6 < 1
    }
    let stale = (rows[STALE_ROW][home].clone(), rows[STALE_ROW][away].clone());
    write_rows(&out.join(format!("E0/{SEASON}.csv")), &header, &rows);
    stale
}

/// Ligue 1 with 18 clubs (306 matches), as from 2023-24.
fn ligue_1(source: &Path, out: &Path) {
    let (header, rows) = read_rows(&source.join("F1/2022-2023.csv"));
    let (date, home, away) = (
        column(&header, "Date"),
        column(&header, "HomeTeam"),
        column(&header, "AwayTeam"),
    );
    let gone = ["Angers", "Ajaccio"];
    let rows: Vec<Vec<String>> = rows
        .into_iter()
        .filter(|r| !gone.contains(&r[home].as_str()) && !gone.contains(&r[away].as_str()))
        .map(|mut r| {
            r[date] = a_year_on(&r[date]);
            r
        })
        .collect();
    write_rows(&out.join(format!("F1/{SEASON}.csv")), &header, &rows);
}

/// The Championship in the full format (statistics and prices), where the
/// files here have results only.
fn championship(source: &Path, out: &Path) {
    let (_, rows) = read_rows(&source.join("E1/2022-2023.csv"));
    let header: Vec<String> = [
        "Div", "Date", "Time", "HomeTeam", "AwayTeam", "FTHG", "FTAG", "FTR", "HS", "AS", "HST",
        "AST", "HC", "AC", "PSH", "PSD", "PSA", "PSCH", "PSCD", "PSCA",
    ]
    .map(String::from)
    .to_vec();
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let goals = |i: usize| r[i].parse::<u32>().unwrap();
            let (hg, ag) = (goals(4), goals(5));
            let mut row = vec![
                r[0].clone(),
                a_year_on(&r[1]),
                "15:00".to_string(),
                r[2].clone(),
                r[3].clone(),
                r[4].clone(),
                r[5].clone(),
                r[6].clone(),
            ];
            row.extend([8 + 3 * hg, 8 + 3 * ag, 2 + hg, 2 + ag, 5, 4].map(|n| n.to_string()));
            row.extend(["2.5", "3.3", "2.9", "2.45", "3.35", "2.95"].map(String::from));
            row
        })
        .collect();
    write_rows(&out.join(format!("E1/{SEASON}.csv")), &header, &rows);
}

#[test]
fn a_later_season_in_the_newer_format_is_imported_and_forecast() {
    let source = support::football_data_dir();
    let later = std::env::temp_dir().join(format!("matchday-later-season-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&later);
    let stale = premier_league(&source, &later);
    ligue_1(&source, &later);
    championship(&source, &later);

    let mut store = Store::open_in_memory().unwrap();
    store.ingest_football_data(&source, |_| {}).unwrap();
    let summary = store.ingest_football_data(&later, |_| {}).unwrap();
    std::fs::remove_dir_all(&later).unwrap();
    assert!(summary.rejected.is_empty(), "{:?}", summary.rejected);
    assert_eq!((summary.files, summary.rows), (3, 380 + 306 + 552));
    assert_eq!(summary.inserted, 380 + 306 + 552);
    assert!(
        summary.invalid_odds >= 1,
        "the stale prices were not refused"
    );

    let matches = store.matches().unwrap();
    let odds = store.odds().unwrap();
    let stats = store.match_stats().unwrap();
    let stale_match = matches
        .iter()
        .find(|m| m.season == SEASON && m.home_team == stale.0 && m.away_team == stale.1)
        .unwrap();
    assert!(
        !odds.iter().any(|q| q.match_id == stale_match.id
            && q.bookmaker == "PS"
            && q.kind == OddsKind::Closing),
        "a closing price with a negative overround was stored"
    );
    assert!(odds.iter().all(|q| q.is_valid()));

    let as_of = Utc.with_ymd_and_hms(2024, 4, 1, 0, 0, 0).unwrap();
    let config = PipelineConfig {
        as_of,
        split_date: default_split(as_of),
        ..PipelineConfig::default()
    };
    assert_eq!(
        config.split_date,
        Utc.with_ymd_and_hms(2022, 7, 1, 0, 0, 0).unwrap()
    );
    let out = pipeline::run(&matches, &odds, &stats, &config, &mut |_| {}).unwrap();

    let new_season: Vec<usize> = (0..matches.len())
        .filter(|&i| matches[i].season == SEASON)
        .collect();
    assert_eq!(new_season.len(), 380 + 306 + 552);
    let by_id: std::collections::HashMap<i64, usize> =
        matches.iter().enumerate().map(|(i, m)| (m.id, i)).collect();
    let mut forecast = 0;
    for p in &out.predictions {
        let m = &matches[by_id[&p.match_id]];
        if m.season != SEASON {
            continue;
        }
        forecast += 1;
        assert!(
            p.proba
                .iter()
                .all(|q| q.is_finite() && *q > 0.0 && *q < 1.0),
            "{p:?}"
        );
        assert!((p.proba.iter().sum::<f64>() - 1.0).abs() < 1e-9, "{p:?}");
        assert_eq!(p.is_future, m.kickoff > as_of);
    }
    assert_eq!(forecast, new_season.len());
    let new_club = new_season
        .iter()
        .filter(|&&i| matches[i].home_team == NEW_CLUB || matches[i].away_team == NEW_CLUB)
        .count();
    assert_eq!(new_club, 38);
    assert!(new_season.iter().any(|&i| matches[i].kickoff > as_of));

    // The Championship's new statistics reach its features once a few
    // matches are known (none of its earlier seasons had any).
    let sot = out
        .features
        .names
        .iter()
        .position(|n| n == "sot_log_ratio")
        .unwrap();
    let row_of: std::collections::HashMap<i64, usize> = out
        .features
        .match_ids
        .iter()
        .enumerate()
        .map(|(r, &id)| (id, r))
        .collect();
    let late_e1: Vec<f64> = new_season
        .iter()
        .map(|&i| &matches[i])
        .filter(|m| {
            m.league == "E1" && m.kickoff > Utc.with_ymd_and_hms(2023, 11, 1, 0, 0, 0).unwrap()
        })
        .map(|m| out.features.rows[row_of[&m.id]][sot])
        .collect();
    assert!(!late_e1.is_empty());
    assert!(
        late_e1.iter().all(|v| v.is_finite()),
        "E1 statistics unused"
    );

    let test = out.report.test.unwrap();
    let naive = out.report.naive_test.unwrap();
    assert!(
        test.rps < naive.rps,
        "model RPS {} vs naive {}",
        test.rps,
        naive.rps
    );
}
