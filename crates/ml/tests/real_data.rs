//! The baseline on the real football-data.co.uk files in `shared/data`.
//!
//! Uses a deliberately minimal CSV reader (no quoting; the files have none)
//! so this crate's tests don't wait on `matchday-data`.

use std::collections::HashMap;
use std::fs;
use std::path::PathBuf;
use std::time::Instant;

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc, Weekday};
use matchday_core::domain::{Match, OddsKind, OddsQuote, Score};
use matchday_core::ids;
use matchday_ml::pipeline::{self, PipelineConfig};

fn data_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("MATCHDAY_DATA_DIR") {
        return PathBuf::from(dir);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/football-data")
}

/// Last Sunday of a month, for the UK's summer-time switch.
fn last_sunday(year: i32, month: u32) -> NaiveDate {
    let mut d = NaiveDate::from_ymd_opt(year, month + 1, 1)
        .unwrap()
        .pred_opt()
        .unwrap();
    while d.weekday() != Weekday::Sun {
        d = d.pred_opt().unwrap();
    }
    d
}

/// UK local time → UTC (BST from the last Sunday of March to the last of October).
fn uk_to_utc(local: NaiveDateTime) -> DateTime<Utc> {
    let y = local.date().year();
    let bst = local.date() >= last_sunday(y, 3) && local.date() < last_sunday(y, 10);
    Utc.from_utc_datetime(&(local - chrono::Duration::hours(i64::from(bst))))
}

fn parse_date(s: &str) -> NaiveDate {
    let fmt = if s.len() == 8 { "%d/%m/%y" } else { "%d/%m/%Y" };
    NaiveDate::parse_from_str(s, fmt).unwrap_or_else(|e| panic!("date {s}: {e}"))
}

fn load() -> (Vec<Match>, Vec<OddsQuote>) {
    let dir = data_dir();
    assert!(
        dir.is_dir(),
        "football-data not found at {} (set MATCHDAY_DATA_DIR)",
        dir.display()
    );
    let mut matches = Vec::new();
    let mut odds = Vec::new();
    let odds_columns = [
        ("PS", OddsKind::Opening, "PSH", "PSD", "PSA"),
        ("PS", OddsKind::Closing, "PSCH", "PSCD", "PSCA"),
        ("Avg", OddsKind::Opening, "AvgH", "AvgD", "AvgA"),
        ("Avg", OddsKind::Closing, "AvgCH", "AvgCD", "AvgCA"),
        ("BbAv", OddsKind::Opening, "BbAvH", "BbAvD", "BbAvA"),
        ("B365", OddsKind::Opening, "B365H", "B365D", "B365A"),
        ("B365", OddsKind::Closing, "B365CH", "B365CD", "B365CA"),
    ];
    let mut paths: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .filter(|e| e.path().is_dir())
        .flat_map(|e| fs::read_dir(e.path()).unwrap().flatten().map(|f| f.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "csv"))
        .collect();
    paths.sort();
    for path in paths {
        let season = path.file_stem().unwrap().to_string_lossy().to_string();
        let text = fs::read_to_string(&path).unwrap();
        let mut lines = text.lines();
        let header: Vec<&str> = lines
            .next()
            .unwrap()
            .trim_start_matches('\u{feff}')
            .split(',')
            .collect();
        let col: HashMap<&str, usize> = header.iter().enumerate().map(|(i, h)| (*h, i)).collect();
        for line in lines {
            let f: Vec<&str> = line.split(',').collect();
            let get = |name: &str| {
                col.get(name)
                    .and_then(|&i| f.get(i))
                    .copied()
                    .filter(|v| !v.is_empty())
            };
            let (Some(league), Some(home), Some(away), Some(date)) =
                (get("Div"), get("HomeTeam"), get("AwayTeam"), get("Date"))
            else {
                continue; // blank rows of commas
            };
            let date = parse_date(date);
            let time = get("Time").map(|t| NaiveTime::parse_from_str(t, "%H:%M").unwrap());
            let kickoff = uk_to_utc(
                date.and_time(time.unwrap_or(NaiveTime::from_hms_opt(15, 0, 0).unwrap())),
            );
            let goals = |name: &str| get(name).map(|v| v.parse::<f64>().unwrap() as u8);
            let score = match (goals("FTHG"), goals("FTAG")) {
                (Some(home), Some(away)) => Some(Score { home, away }),
                _ => None,
            };
            let id = ids::match_id(league, &date.format("%Y-%m-%d").to_string(), home, away);
            for (bookmaker, kind, h, d, a) in odds_columns {
                let price = |c: &str| get(c).and_then(|v| v.parse::<f64>().ok());
                if let (Some(home), Some(draw), Some(away)) = (price(h), price(d), price(a)) {
                    odds.push(OddsQuote {
                        match_id: id,
                        bookmaker: bookmaker.into(),
                        kind,
                        home,
                        draw,
                        away,
                    });
                }
            }
            matches.push(Match {
                id,
                league: league.into(),
                season: season.clone(),
                kickoff,
                kickoff_time_known: time.is_some(),
                home_team: home.into(),
                away_team: away.into(),
                score,
            });
        }
    }
    matches.sort_by_key(|m| (m.kickoff, m.id));
    (matches, odds)
}

#[test]
fn baseline_beats_the_naive_forecast_on_real_data() {
    let t = Instant::now();
    let (matches, odds) = load();
    let load_time = t.elapsed();
    assert!(matches.len() > 60_000, "{} matches", matches.len());

    let config = PipelineConfig::default();
    let t = Instant::now();
    let out = pipeline::run(&matches, &odds, &config, &mut |e| {
        eprintln!(
            "  [{:>8}] {:>7.3}s {}",
            e.stage.as_str(),
            e.elapsed.as_secs_f64(),
            e.detail
        );
    })
    .unwrap();
    let run_time = t.elapsed();
    println!(
        "loaded {} matches, {} quotes in {:.2}s",
        matches.len(),
        odds.len(),
        load_time.as_secs_f64()
    );
    println!("{}", out.report);
    println!("pipeline wall time {:.3}s", run_time.as_secs_f64());

    let test = out.report.test.unwrap();
    let naive = out.report.naive_test.unwrap();
    assert!(
        test.rps < naive.rps,
        "model RPS {} vs naive {}",
        test.rps,
        naive.rps
    );
    assert!(test.n > 5_000);
    let c = out.report.comparison.unwrap();
    assert!(c.model.rps < c.naive.rps);
    // Sanity against SOURCE.md (Pinnacle closing RPS 0.1976 on 2021-23, top 5):
    // the market is far ahead of a form-and-Elo model.
    assert!(
        (0.18..0.21).contains(&c.bookmaker.rps),
        "bookmaker RPS {}",
        c.bookmaker.rps
    );
    assert!(out.predictions.iter().any(|p| p.is_future));
}
