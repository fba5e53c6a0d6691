//! Quirk-by-quirk tests on tiny inline files. Fixture files (encodings, line
//! endings) are exercised in `tests/fixtures.rs`.

use chrono::{DateTime, Utc};
use matchday_core::domain::{OddsKind, Score};
use matchday_core::ids::match_id;

use super::*;

fn source(season: &str, league: &str) -> Source {
    Source::new(format!("{league}/{season}.csv"), season, Some(league)).unwrap()
}

fn parse_str(text: &str, season: &str, league: &str) -> ParsedFile {
    parse(text.as_bytes(), &source(season, league)).unwrap()
}

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

const E0_2019: &str = "\
Div,Date,Time,HomeTeam,AwayTeam,FTHG,FTAG,FTR,B365H,B365D,B365A,PSH,PSD,PSA,B365>2.5,B365<2.5,PSCH,PSCD,PSCA,AvgH,AvgD,AvgA
E0,09/08/2019,20:00,Liverpool,Norwich,4,1,H,1.14,10.0,19.0,1.15,9.59,18.05,1.4,3.0,1.14,10.43,19.63,1.14,8.75,19.83
E0,26/12/2019,12:30,Tottenham,Brighton,2,1,H,1.4,5.0,8.0,,,,1.5,2.6,1.41,5.1,8.2,1.0,5.0,9.0
";

#[test]
fn reads_matches_with_time_and_bst() {
    let parsed = parse_str(E0_2019, "2019-2020", "E0");
    assert!(parsed.rejects.is_empty(), "{:?}", parsed.rejects);
    assert_eq!(parsed.matches.len(), 2);
    let first = &parsed.matches[0];
    assert_eq!(first.line, 2);
    let m = &first.record;
    assert_eq!(m.id, 530_331_760_597_023);
    assert_eq!(m.id, match_id("E0", "2019-08-09", "Liverpool", "Norwich"));
    assert_eq!((m.league.as_str(), m.season.as_str()), ("E0", "2019-2020"));
    assert_eq!(m.kickoff, utc("2019-08-09T19:00:00Z"));
    assert!(m.kickoff_time_known);
    assert_eq!(m.score, Some(Score { home: 4, away: 1 }));
    let winter = &parsed.matches[1].record;
    assert_eq!(winter.kickoff, utc("2019-12-26T12:30:00Z"));
}

#[test]
fn odds_by_bookmaker_and_kind_over_under_ignored() {
    let parsed = parse_str(E0_2019, "2019-2020", "E0");
    let first: Vec<_> = parsed.matches[0]
        .odds
        .iter()
        .map(|q| (q.bookmaker.as_str(), q.kind, q.home, q.draw, q.away))
        .collect();
    assert_eq!(
        first,
        vec![
            ("B365", OddsKind::Opening, 1.14, 10.0, 19.0),
            ("PS", OddsKind::Opening, 1.15, 9.59, 18.05),
            ("PS", OddsKind::Closing, 1.14, 10.43, 19.63),
            ("Avg", OddsKind::Opening, 1.14, 8.75, 19.83),
        ]
    );
    let id = parsed.matches[0].record.id;
    assert!(parsed.matches[0].odds.iter().all(|q| q.match_id == id));
}

#[test]
fn blank_or_invalid_triples_are_absent() {
    let parsed = parse_str(E0_2019, "2019-2020", "E0");
    let second: Vec<_> = parsed.matches[1]
        .odds
        .iter()
        .map(|q| (q.bookmaker.as_str(), q.kind))
        .collect();
    // PS opening blank (not offered); Avg home price 1.0 (invalid).
    assert_eq!(
        second,
        vec![("B365", OddsKind::Opening), ("PS", OddsKind::Closing)]
    );
    assert_eq!(parsed.invalid_odds, 1);
}

#[test]
fn partial_triples_and_negative_overround_are_invalid() {
    let text = "\
Div,Date,HomeTeam,AwayTeam,FTHG,FTAG,B365H,B365D,B365A,PSH,PSD,PSA,BbMxH,BbMxD,BbMxA
I1,27/08/05,Fiorentina,Sampdoria,2,1,2.2,,3.25,abc,2.9,3.2,3.0,4.0,4.0
I1,27/08/05,Livorno,Lecce,2,1,-2.2,2.9,3.25,2.25,2.9,3.2,2.35,3.0,3.7
";
    let parsed = parse_str(text, "2005-2006", "I1");
    assert!(parsed.rejects.is_empty());
    // Row 1: B365 partly blank, PS unparsable, BbMx sums to 0.83 < 1.
    assert!(parsed.matches[0].odds.is_empty());
    // Row 2: B365 negative; PS and BbMx fine.
    let books: Vec<_> = parsed.matches[1]
        .odds
        .iter()
        .map(|q| q.bookmaker.as_str())
        .collect();
    assert_eq!(books, ["PS", "BbMx"]);
    assert_eq!(parsed.invalid_odds, 4);
}

#[test]
fn results_only_file_two_digit_years_and_default_kickoff() {
    let text = "Div,Date,HomeTeam,AwayTeam,FTHG,FTAG,FTR\n\
                E1,06/08/05,Crewe,Burnley,2,1,H\n\
                E1,07/01/06,Luton,Crewe,0,0,D\n";
    let parsed = parse_str(text, "2005-2006", "E1");
    assert!(parsed.rejects.is_empty());
    let [summer, winter] = [&parsed.matches[0].record, &parsed.matches[1].record];
    // No Time: 15:00 UK local, BST in August, GMT in January.
    assert_eq!(summer.kickoff, utc("2005-08-06T14:00:00Z"));
    assert_eq!(winter.kickoff, utc("2006-01-07T15:00:00Z"));
    assert!(!summer.kickoff_time_known && !winter.kickoff_time_known);
    assert_eq!(summer.id, match_id("E1", "2005-08-06", "Crewe", "Burnley"));
    assert!(parsed.matches.iter().all(|m| m.odds.is_empty()));
}

#[test]
fn mixed_date_formats_and_float_numbers() {
    let text = "Div,Date,HomeTeam,AwayTeam,FTHG,FTAG\n\
                F1,04/08/06,Bordeaux,Lyon,1.0,2.0\n\
                F1,05/08/2006,Nice,Lens,0,0.0\n";
    let parsed = parse_str(text, "2006-2007", "F1");
    assert!(parsed.rejects.is_empty());
    let dates: Vec<_> = parsed
        .matches
        .iter()
        .map(|m| m.record.kickoff.date_naive().to_string())
        .collect();
    assert_eq!(dates, ["2006-08-04", "2006-08-05"]);
    assert_eq!(
        parsed.matches[0].record.score,
        Some(Score { home: 1, away: 2 })
    );
}

#[test]
fn trailing_comma_rows_are_counted_not_rejected() {
    let text = "Div,Date,HomeTeam,AwayTeam,FTHG,FTAG\n\
                I1,19/05/13,Siena,Milan,1.0,2.0\n\
                ,,,,,\n\
                ,,,,,\n";
    let parsed = parse_str(text, "2012-2013", "I1");
    assert_eq!((parsed.matches.len(), parsed.blank_rows), (1, 2));
    assert!(parsed.rejects.is_empty());
    assert_eq!(parsed.rows(), 1);
}

#[test]
fn rows_keep_file_order() {
    let text = "Div,Date,HomeTeam,AwayTeam,FTHG,FTAG\n\
                D1,10/05/06,Bayern,Koln,2,1\n\
                D1,05/08/05,Hamburg,Nurnberg,3,0\n";
    let parsed = parse_str(text, "2005-2006", "D1");
    let teams: Vec<_> = parsed
        .matches
        .iter()
        .map(|m| m.record.home_team.as_str())
        .collect();
    assert_eq!(teams, ["Bayern", "Hamburg"]);
}

fn reasons(parsed: &ParsedFile) -> Vec<(u64, String)> {
    parsed
        .rejects
        .iter()
        .map(|r| {
            assert_eq!(r.file, parsed.source.label);
            (r.line, r.reason.clone())
        })
        .collect()
}

#[test]
fn malformed_rows_are_rejected_with_line_and_reason() {
    let text = "Div,Date,HomeTeam,AwayTeam,FTHG,FTAG,FTR\n\
                E0,31/02/2019,A,B,1,0,H\n\
                E0,10/08/2019,A,B,x,0,H\n\
                E0,10/08/2019,C,D,1,0,A\n\
                E0,10/08/2019,,D,1,0,H\n\
                E0,10/08/2019,E,F,1,,H\n\
                E0,10/08/2025,E,F,1,0,H\n\
                SP1,10/08/2019,G,H,1,0,H\n\
                XX,10/08/2019,G,H,1,0,H\n\
                E0,10/08/2019,G,H,1,0\n\
                E0,10/08/2019,G,H,1,0,H,extra\n\
                E0,10/08/2019,G,G,1,0,H\n\
                E0,10/08/2019,G,H,1,0,H\n\
                E0,10/08/2019,G,H,1,0,H\n\
                E0,10/08/2019,I,J,1,0,H,\n";
    let parsed = parse_str(text, "2019-2020", "E0");
    let expected = [
        (
            2,
            "bad Date \"31/02/2019\" (expected dd/mm/yy or dd/mm/yyyy)",
        ),
        (3, "bad FTHG \"x\" (expected a whole number of goals)"),
        (4, "FTR \"A\" contradicts the score 1-0"),
        (5, "empty HomeTeam"),
        (6, "only one of FTHG/FTAG is filled in"),
        (7, "Date 2025-08-10 is outside season 2019-2020"),
        (8, "Div \"SP1\" does not match the folder \"E0\""),
        (9, "unknown league \"XX\" (not in matchday_core::leagues)"),
        (10, "row has 6 fields, the header has 7"),
        (11, "row has 8 fields, the header has 7"),
        (12, "\"G\" would play itself"),
        (14, "same match as line 13 (league, date and teams)"),
    ];
    let expected: Vec<_> = expected.iter().map(|(l, r)| (*l, r.to_string())).collect();
    assert_eq!(reasons(&parsed), expected);
    // Line 13 and line 15 (a trailing empty field is fine).
    assert_eq!(
        parsed.matches.iter().map(|m| m.line).collect::<Vec<_>>(),
        [13, 15]
    );
    assert_eq!(parsed.rows(), 14);
}

#[test]
fn unplayed_match_has_no_score() {
    let text = "Div,Date,HomeTeam,AwayTeam,FTHG,FTAG,FTR\nE0,10/05/2020,A,B,,,\n";
    let parsed = parse_str(text, "2019-2020", "E0");
    assert_eq!(parsed.matches[0].record.score, None);
}

#[test]
fn a_blank_or_unreadable_time_means_unknown_time() {
    let text = "Div,Date,Time,HomeTeam,AwayTeam,FTHG,FTAG\nE0,10/08/2019,,A,B,1,1\nE0,11/08/2019,9pm,C,D,1,1\nE0,12/08/2019,20:00:00,E,F,0,0\n";
    let parsed = parse_str(text, "2019-2020", "E0");
    let kickoffs: Vec<_> = parsed
        .matches
        .iter()
        .map(|m| (m.record.kickoff, m.record.kickoff_time_known))
        .collect();
    // The match with "9pm" is kept on its date at the default hour, as in
    // seasons without Time, rather than lost.
    assert_eq!(
        kickoffs,
        [
            (utc("2019-08-10T14:00:00Z"), false),
            (utc("2019-08-11T14:00:00Z"), false),
            (utc("2019-08-12T19:00:00Z"), true),
        ]
    );
    assert!(reasons(&parsed).is_empty());
}

#[test]
fn headers_with_comparison_signs_and_spaces() {
    let text = " Div ,Date,HomeTeam,AwayTeam,FTHG,FTAG,BbMx>2.5,BbAv<2.5,BbMxH,BbMxD,BbMxA\n\
                E0,10/08/2019, Man United , Chelsea,4,0,1.9,2.0,1.9,3.9,4.5\n";
    let parsed = parse_str(text, "2019-2020", "E0");
    let m = &parsed.matches[0];
    assert_eq!(
        (m.record.home_team.as_str(), m.record.away_team.as_str()),
        ("Man United", "Chelsea")
    );
    assert_eq!(m.odds.len(), 1);
    assert_eq!(m.odds[0].bookmaker, "BbMx");
}

#[test]
fn file_errors() {
    let missing = parse(b"Div,Date,HomeTeam,FTHG,FTAG\n", &source("2019-2020", "E0"));
    assert_eq!(missing.unwrap_err(), FileError::MissingColumn("AwayTeam"));
    assert_eq!(
        parse(b"", &source("2019-2020", "E0")).unwrap_err(),
        FileError::MissingColumn("Div")
    );
    for bad in ["2019", "2019-2021", "19-20", "2019_2020", "abcd-efgh"] {
        assert!(Source::new("x", bad, None).is_err(), "{bad}");
    }
}

#[test]
fn source_from_path() {
    let root = Path::new("/data/football-data");
    let source = Source::from_path(root, &root.join("E0/2019-2020.csv")).unwrap();
    assert_eq!(
        source,
        Source::new("E0/2019-2020.csv", "2019-2020", Some("E0")).unwrap()
    );
    let flat = Source::from_path(root, &root.join("2019-2020.csv")).unwrap();
    assert_eq!(flat.folder_league, None);
    assert_eq!(
        Source::from_path(root, &root.join("E0/latest.csv")).unwrap_err(),
        FileError::BadFileName("latest.csv".into())
    );
}
