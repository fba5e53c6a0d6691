//! Parsing the fixture files, one quirk of SOURCE.md each.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use matchday_core::domain::{OddsKind, Score};
use matchday_core::ids::match_id;
use matchday_data::football_data::{self, ParsedFile};
use matchday_data::{Source, SourceEncoding};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn parse(name: &str, season: &str, league: &str) -> ParsedFile {
    let bytes = std::fs::read(fixture(name)).unwrap();
    let source = Source::new(name, season, Some(league)).unwrap();
    football_data::parse(&bytes, &source).unwrap()
}

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

#[test]
fn bom_and_crlf() {
    let parsed = parse("bom_crlf.csv", "2019-2020", "E0");
    assert_eq!(parsed.encoding, SourceEncoding::Utf8WithBom);
    assert!(parsed.rejects.is_empty(), "{:?}", parsed.rejects);
    assert_eq!(parsed.matches.len(), 2);
    let m = &parsed.matches[0].record;
    // The BOM must not stick to `Div`, nor `\r` to the last column.
    assert_eq!(m.league, "E0");
    assert_eq!(m.id, match_id("E0", "2019-08-09", "Liverpool", "Norwich"));
    let psc = parsed.matches[0]
        .odds
        .iter()
        .find(|q| q.bookmaker == "PS" && q.kind == OddsKind::Closing)
        .unwrap();
    assert_eq!((psc.home, psc.draw, psc.away), (1.14, 10.43, 19.63));
    // Last Sunday of October 2019: 16:30 is already GMT.
    assert_eq!(
        parsed.matches[1].record.kickoff,
        utc("2019-10-27T16:30:00Z")
    );
    assert_eq!(parsed.matches[1].line, 3);
    assert_eq!(parsed.odds().count(), 8);
}

#[test]
fn cp1252_names() {
    let parsed = parse("cp1252.csv", "2005-2006", "SP1");
    assert_eq!(parsed.encoding, SourceEncoding::Windows1252);
    let teams: Vec<_> = parsed
        .matches
        .iter()
        .flat_map(|m| [m.record.home_team.as_str(), m.record.away_team.as_str()])
        .collect();
    assert_eq!(teams, ["Málaga", "Alavés", "Atlético", "Cádiz"]);
    // Ids hash the UTF-8 name, whatever the file's encoding was.
    assert_eq!(
        parsed.matches[0].record.id,
        match_id("SP1", "2005-08-27", "Málaga", "Alavés")
    );
}

#[test]
fn trailing_comma_rows() {
    let parsed = parse("trailing_commas.csv", "2012-2013", "I1");
    assert_eq!(parsed.matches.len(), 2);
    assert_eq!(parsed.blank_rows, 3);
    assert!(parsed.rejects.is_empty());
    assert_eq!(
        parsed.matches[1].record.score,
        Some(Score { home: 2, away: 2 })
    );
}

#[test]
fn mixed_date_formats_in_file_order() {
    let parsed = parse("mixed_dates.csv", "2006-2007", "F1");
    assert!(parsed.rejects.is_empty());
    let dates: Vec<_> = parsed
        .matches
        .iter()
        .map(|m| m.record.kickoff.date_naive().to_string())
        .collect();
    // Not sorted: the store sorts, the parser keeps file order.
    assert_eq!(
        dates,
        ["2006-08-05", "2006-08-06", "2007-05-20", "2007-04-10"]
    );
    assert!(parsed.matches.iter().all(|m| !m.record.kickoff_time_known));
}

#[test]
fn missing_odds_value() {
    let parsed = parse("missing_odds.csv", "2005-2006", "I1");
    assert!(parsed.rejects.is_empty());
    let books = |i: usize| -> Vec<&str> {
        parsed.matches[i]
            .odds
            .iter()
            .map(|q| q.bookmaker.as_str())
            .collect()
    };
    assert_eq!(books(0), ["B365", "BbAv"]);
    // Blank triple: not offered. Partial triple: absent and counted invalid.
    assert_eq!(books(1), ["BbAv"]);
    assert_eq!(books(2), ["BbAv"]);
    assert_eq!(parsed.invalid_odds, 1);
}

#[test]
fn bad_date_is_rejected_with_its_line() {
    let parsed = parse("bad_date.csv", "2005-2006", "D1");
    assert_eq!(parsed.matches.len(), 2);
    assert_eq!(parsed.rejects.len(), 1);
    let reject = &parsed.rejects[0];
    assert_eq!((reject.file.as_str(), reject.line), ("bad_date.csv", 3));
    assert!(reject.reason.contains("31/09/05"), "{}", reject.reason);
    assert_eq!(
        reject.to_string(),
        "bad_date.csv:3: bad Date \"31/09/05\" (expected dd/mm/yy or dd/mm/yyyy)"
    );
}
