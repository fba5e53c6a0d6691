//! One data row → a canonical match and its odds, or the reason it can't be.

use chrono::{NaiveDate, NaiveTime};
use csv::StringRecord;
use matchday_core::domain::{Match, MatchStats, OddsQuote, Score};
use matchday_core::{ids, leagues};
use thiserror::Error;

use super::Source;
use super::columns::Columns;
use crate::uk_time::{DEFAULT_KICKOFF, uk_local_to_utc};

/// Why a row was rejected. Its text is what the store and the summary show.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RowError {
    #[error("row has {found} fields, the header has {expected}")]
    FieldCount { found: usize, expected: usize },
    #[error("empty {0}")]
    Missing(&'static str),
    #[error("unknown league {0:?} (not in matchday_core::leagues)")]
    UnknownLeague(String),
    #[error("Div {div:?} does not match the folder {folder:?}")]
    LeagueMismatch { div: String, folder: String },
    #[error("bad Date {0:?} (expected dd/mm/yy or dd/mm/yyyy)")]
    BadDate(String),
    #[error("Date {date} is outside season {season}")]
    DateOutsideSeason { date: NaiveDate, season: String },
    #[error("bad {column} {value:?} (expected a whole number of goals)")]
    BadGoals { column: &'static str, value: String },
    #[error("only one of FTHG/FTAG is filled in")]
    HalfScore,
    #[error("FTR {result:?} contradicts the score {home}-{away}")]
    ResultMismatch { result: String, home: u8, away: u8 },
    #[error("{0:?} would play itself")]
    SameTeams(String),
    #[error("same match as line {0} (league, date and teams)")]
    Duplicate(u64),
    #[error("unreadable CSV: {0}")]
    Csv(String),
}

/// What one accepted row yields.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RowOutcome {
    pub record: Match,
    pub odds: Vec<OddsQuote>,
    /// Shots, shots on target, corners; empty for files without them. A
    /// count that is blank or not a whole number leaves that pair unknown
    /// (the match itself is still good).
    pub stats: MatchStats,
    /// Triples with prices filled in that are unusable (a blank among them, a
    /// price that isn't a number or is ≤ 1.0, a negative overround).
    pub invalid_odds: usize,
}

pub(crate) fn is_blank(record: &StringRecord) -> bool {
    record.iter().all(str::is_empty)
}

pub(crate) fn parse_row(
    record: &StringRecord,
    cols: &Columns,
    source: &Source,
) -> Result<RowOutcome, RowError> {
    check_field_count(record, cols.header_len)?;
    let field = |i: usize| record.get(i).unwrap_or("");
    let required = |i: usize, name: &'static str| match field(i) {
        "" => Err(RowError::Missing(name)),
        value => Ok(value),
    };

    let league = check_league(required(cols.div, "Div")?, source)?;
    let date_text = required(cols.date, "Date")?;
    let date = parse_date(date_text).ok_or_else(|| RowError::BadDate(date_text.to_owned()))?;
    if !source.season_contains(date) {
        return Err(RowError::DateOutsideSeason {
            date,
            season: source.season.clone(),
        });
    }
    // A kick-off time is an extra: one that cannot be read ("TBC") leaves the
    // match on its date at the default hour, as in seasons without `Time`,
    // rather than losing the match.
    let time = cols.time.map(field).and_then(parse_time);
    let home_team = required(cols.home_team, "HomeTeam")?;
    let away_team = required(cols.away_team, "AwayTeam")?;
    if home_team == away_team {
        return Err(RowError::SameTeams(home_team.to_owned()));
    }
    let score = parse_score(field(cols.home_goals), field(cols.away_goals))?;
    if let (Some(score), Some(result)) = (score, cols.result.map(field)) {
        check_result(result, score)?;
    }

    // The id's date is the UK calendar date of the file, whatever UTC says.
    let id = ids::match_id(
        league,
        &date.format("%Y-%m-%d").to_string(),
        home_team,
        away_team,
    );
    let record = Match {
        id,
        league: league.to_owned(),
        season: source.season.clone(),
        kickoff: uk_local_to_utc(date.and_time(time.unwrap_or(DEFAULT_KICKOFF))),
        kickoff_time_known: time.is_some(),
        home_team: home_team.to_owned(),
        away_team: away_team.to_owned(),
        score,
    };
    let (odds, invalid_odds) = parse_odds(record.id, cols, &field);
    let stats = if record.score.is_some() {
        let pair = |at: Option<[usize; 2]>| {
            let [h, a] = at?;
            Some([parse_count(field(h))?, parse_count(field(a))?])
        };
        MatchStats {
            shots: pair(cols.shots),
            shots_on_target: pair(cols.shots_on_target),
            corners: pair(cols.corners),
        }
    } else {
        MatchStats::default()
    };
    Ok(RowOutcome {
        record,
        odds,
        stats,
        invalid_odds,
    })
}

/// Shorter rows are truncated; longer ones are fine only if the extra fields
/// are empty (a stray trailing comma).
fn check_field_count(record: &StringRecord, expected: usize) -> Result<(), RowError> {
    let found = record.len();
    let extra_is_empty = record.iter().skip(expected).all(str::is_empty);
    if found < expected || !extra_is_empty {
        return Err(RowError::FieldCount { found, expected });
    }
    Ok(())
}

fn check_league<'r>(div: &'r str, source: &Source) -> Result<&'r str, RowError> {
    if leagues::league(div).is_none() {
        return Err(RowError::UnknownLeague(div.to_owned()));
    }
    match &source.folder_league {
        Some(folder) if folder != div => Err(RowError::LeagueMismatch {
            div: div.to_owned(),
            folder: folder.clone(),
        }),
        _ => Ok(div),
    }
}

/// `dd/mm/yy` (20yy: every season here is in this century) or `dd/mm/yyyy`,
/// told apart per value by the year's length.
pub(crate) fn parse_date(text: &str) -> Option<NaiveDate> {
    let mut parts = text.split('/');
    let (day, month, year) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let number = |part: &str, max_len: usize| -> Option<u32> {
        let digits_only = part.bytes().all(|b| b.is_ascii_digit());
        (!part.is_empty() && part.len() <= max_len && digits_only)
            .then(|| part.parse().ok())
            .flatten()
    };
    let year = match year.len() {
        2 => 2000 + number(year, 2)?,
        4 => number(year, 4)?,
        _ => return None,
    };
    NaiveDate::from_ymd_opt(
        i32::try_from(year).ok()?,
        number(month, 2)?,
        number(day, 2)?,
    )
}

/// `HH:MM` (or `HH:MM:SS`), UK local time.
pub(crate) fn parse_time(text: &str) -> Option<NaiveTime> {
    NaiveTime::parse_from_str(text, "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(text, "%H:%M:%S"))
        .ok()
}

/// A match statistic: a whole, non-negative count (maybe written `12.0`).
fn parse_count(text: &str) -> Option<u16> {
    let value: f64 = text.parse().ok()?;
    (value.is_finite() && value.fract() == 0.0 && (0.0..=f64::from(u16::MAX)).contains(&value))
        .then_some(value as u16)
}

/// Both blank: not played (yet). Goals may be written `3.0`, but must be whole.
fn parse_score(home: &str, away: &str) -> Result<Option<Score>, RowError> {
    match (home, away) {
        ("", "") => Ok(None),
        ("", _) | (_, "") => Err(RowError::HalfScore),
        _ => Ok(Some(Score {
            home: parse_goals("FTHG", home)?,
            away: parse_goals("FTAG", away)?,
        })),
    }
}

pub(crate) fn parse_goals(column: &'static str, text: &str) -> Result<u8, RowError> {
    let bad = || RowError::BadGoals {
        column,
        value: text.to_owned(),
    };
    let goals: f64 = text.parse().map_err(|_| bad())?;
    let whole = goals.is_finite() && goals.fract() == 0.0;
    if !whole || !(0.0..=f64::from(u8::MAX)).contains(&goals) {
        return Err(bad());
    }
    // Exact: a whole number in 0..=255.
    Ok(goals as u8)
}

/// An `FTR` that disagrees with the goals means the row is garbled; an empty
/// one is fine (the goals are the fact).
fn check_result(result: &str, score: Score) -> Result<(), RowError> {
    let expected = ["H", "D", "A"][score.class()];
    if result.is_empty() || result == expected {
        Ok(())
    } else {
        Err(RowError::ResultMismatch {
            result: result.to_owned(),
            home: score.home,
            away: score.away,
        })
    }
}

/// Every complete, valid triple of the row. A triple left entirely blank was
/// not offered; one partly filled or failing `OddsQuote::is_valid` is
/// counted as invalid. Both are absent from the result.
fn parse_odds<'r>(
    match_id: i64,
    cols: &Columns,
    field: &impl Fn(usize) -> &'r str,
) -> (Vec<OddsQuote>, usize) {
    let mut quotes = Vec::new();
    let mut invalid = 0;
    for triple in &cols.odds {
        let texts = triple.at.map(field);
        if texts.iter().all(|t| t.is_empty()) {
            continue;
        }
        let prices = texts.map(|t| t.parse::<f64>().ok());
        let quote = match prices {
            [Some(home), Some(draw), Some(away)] => Some(OddsQuote {
                match_id,
                bookmaker: triple.bookmaker.to_owned(),
                kind: triple.kind,
                home,
                draw,
                away,
            }),
            _ => None,
        };
        match quote.filter(OddsQuote::is_valid) {
            Some(quote) => quotes.push(quote),
            None => invalid += 1,
        }
    }
    (quotes, invalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_both_formats() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day);
        assert_eq!(parse_date("09/08/19"), d(2019, 8, 9));
        assert_eq!(parse_date("09/08/2019"), d(2019, 8, 9));
        assert_eq!(parse_date("27/08/05"), d(2005, 8, 27));
        assert_eq!(parse_date("1/2/2006"), d(2006, 2, 1));
        for bad in [
            "",
            "09/08",
            "09/08/019",
            "32/01/2019",
            "29/02/2019",
            "09-08-2019",
            "a9/08/19",
            "09/08/19/1",
            "+9/08/19",
        ] {
            assert_eq!(parse_date(bad), None, "{bad:?}");
        }
        assert_eq!(parse_date("29/02/2020"), d(2020, 2, 29));
    }

    #[test]
    fn times() {
        assert_eq!(parse_time("20:00"), NaiveTime::from_hms_opt(20, 0, 0));
        assert_eq!(parse_time("12:30"), NaiveTime::from_hms_opt(12, 30, 0));
        assert_eq!(parse_time("19:45:00"), NaiveTime::from_hms_opt(19, 45, 0));
        assert_eq!(parse_time("25:00"), None);
        assert_eq!(parse_time("noon"), None);
    }

    #[test]
    fn goals_are_whole_non_negative_numbers_written_any_way() {
        assert_eq!(parse_goals("FTHG", "3"), Ok(3));
        assert_eq!(parse_goals("FTHG", "3.0"), Ok(3));
        assert_eq!(parse_goals("FTHG", "0.0"), Ok(0));
        for bad in ["-1", "2.5", "x", "NaN", "inf", "256", "-1.0"] {
            assert!(parse_goals("FTHG", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn scores_and_results() {
        assert_eq!(parse_score("", ""), Ok(None));
        assert_eq!(parse_score("1", ""), Err(RowError::HalfScore));
        let score = Score { home: 2, away: 1 };
        assert_eq!(parse_score("2.0", "1"), Ok(Some(score)));
        assert_eq!(check_result("H", score), Ok(()));
        assert_eq!(check_result("", score), Ok(()));
        assert!(check_result("A", score).is_err());
    }
}
