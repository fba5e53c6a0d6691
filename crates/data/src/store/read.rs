//! Queries. Results come back sorted, whatever order the files had.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDateTime, Utc};
use matchday_core::domain::{Match, MatchStats, OddsKind, OddsQuote, Score};
use rusqlite::{OptionalExtension, Params, Row, Statement, params};

use super::{KICKOFF_FORMAT, Store};
use crate::error::DataError;
use crate::football_data::RejectedRow;

/// Sizes of the store.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    pub matches: u64,
    /// Matches with a score.
    pub played: u64,
    pub odds: u64,
    /// Distinct files ever imported.
    pub files: u64,
    /// Rejected rows of the latest import of each file.
    pub rejects: u64,
    pub matches_by_league: BTreeMap<String, u64>,
}

/// One line of the import log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRecord {
    pub id: i64,
    pub file: String,
    pub sha256: String,
    /// `None` when the file could not be parsed.
    pub encoding: Option<String>,
    pub rows: u64,
    pub inserted: u64,
    pub unchanged: u64,
    pub updated: u64,
    pub rejected: u64,
    pub skipped_blank: u64,
    pub odds_inserted: u64,
    pub odds_updated: u64,
    pub imported_at: String,
}

/// Where a match's current values come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provenance {
    pub file: String,
    pub sha256: String,
    pub line: u64,
    pub imported_at: String,
}

const MATCH_COLUMNS: &str = "id, league, season, kickoff_utc, kickoff_time_known, \
     home_team, away_team, home_score, away_score";
const ODDS_COLUMNS: &str = "match_id, bookmaker, kind, home, draw, away";
/// 'opening' sorts after 'closing' as text; `OddsKind` puts it first.
const KIND_ORDER: &str = "kind DESC";

impl Store {
    /// Every match, sorted by (kick-off, id).
    pub fn matches(&self) -> Result<Vec<Match>, DataError> {
        let sql = format!("SELECT {MATCH_COLUMNS} FROM matches ORDER BY kickoff_utc, id");
        collect(&mut self.conn.prepare(&sql)?, [], match_from_row)
    }

    /// Every odds quote, sorted by (match id, bookmaker, kind), opening before
    /// closing as in `OddsKind`'s order.
    pub fn odds(&self) -> Result<Vec<OddsQuote>, DataError> {
        let sql =
            format!("SELECT {ODDS_COLUMNS} FROM odds ORDER BY match_id, bookmaker, {KIND_ORDER}");
        collect(&mut self.conn.prepare(&sql)?, [], quote_from_row)
    }

    /// Post-match statistics by match id (played top-division matches).
    pub fn match_stats(&self) -> Result<HashMap<i64, MatchStats>, DataError> {
        let mut stmt = self.conn.prepare(
            "SELECT match_id, home_shots, away_shots, home_on_target, away_on_target, \
             home_corners, away_corners FROM match_stats",
        )?;
        let rows = collect(&mut stmt, [], |row| {
            let pair = |h: usize, a: usize| -> Result<Option<[u16; 2]>, DataError> {
                let count = |v: Option<i64>| {
                    v.map(|v| {
                        u16::try_from(v).map_err(|_| DataError::CorruptStore(format!("stat {v}")))
                    })
                    .transpose()
                };
                Ok(match (count(row.get(h)?)?, count(row.get(a)?)?) {
                    (Some(h), Some(a)) => Some([h, a]),
                    _ => None,
                })
            };
            Ok((
                row.get::<_, i64>(0)?,
                MatchStats {
                    shots: pair(1, 2)?,
                    shots_on_target: pair(3, 4)?,
                    corners: pair(5, 6)?,
                },
            ))
        })?;
        Ok(rows.into_iter().collect())
    }

    /// The odds quotes of one match, sorted by (bookmaker, kind).
    pub fn odds_for(&self, match_id: i64) -> Result<Vec<OddsQuote>, DataError> {
        let sql = format!(
            "SELECT {ODDS_COLUMNS} FROM odds WHERE match_id = ?1 ORDER BY bookmaker, {KIND_ORDER}"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        collect(&mut stmt, [match_id], quote_from_row)
    }

    pub fn counts(&self) -> Result<Counts, DataError> {
        let count = |sql: &str| -> Result<u64, DataError> {
            let n: i64 = self.conn.query_row(sql, [], |row| row.get(0))?;
            Ok(n.try_into().unwrap_or_default())
        };
        let mut stmt = self
            .conn
            .prepare("SELECT league, COUNT(*) FROM matches GROUP BY league")?;
        let matches_by_league = stmt
            .query_map([], |row| Ok((row.get(0)?, row.get::<_, i64>(1)? as u64)))?
            .collect::<Result<_, _>>()?;
        Ok(Counts {
            matches: count("SELECT COUNT(*) FROM matches")?,
            played: count("SELECT COUNT(*) FROM matches WHERE home_score IS NOT NULL")?,
            odds: count("SELECT COUNT(*) FROM odds")?,
            files: count("SELECT COUNT(DISTINCT file) FROM imports")?,
            rejects: count("SELECT COUNT(*) FROM rejects")?,
            matches_by_league,
        })
    }

    /// Rejected rows of the latest import of each file, by file and line.
    pub fn rejects(&self) -> Result<Vec<RejectedRow>, DataError> {
        let mut stmt = self
            .conn
            .prepare("SELECT file, line, reason FROM rejects ORDER BY file, line")?;
        let rows = stmt.query_map([], |row| {
            Ok(RejectedRow {
                file: row.get(0)?,
                line: row.get::<_, i64>(1)? as u64,
                reason: row.get(2)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The import log, oldest first.
    pub fn imports(&self) -> Result<Vec<ImportRecord>, DataError> {
        let mut stmt = self.conn.prepare(
            "SELECT id, file, sha256, encoding, rows, inserted, unchanged, updated, rejected, \
             skipped_blank, odds_inserted, odds_updated, imported_at FROM imports ORDER BY id",
        )?;
        let rows = stmt.query_map([], |row| {
            let n = |i: usize| row.get::<_, i64>(i).map(|v| v as u64);
            Ok(ImportRecord {
                id: row.get(0)?,
                file: row.get(1)?,
                sha256: row.get(2)?,
                encoding: row.get(3)?,
                rows: n(4)?,
                inserted: n(5)?,
                unchanged: n(6)?,
                updated: n(7)?,
                rejected: n(8)?,
                skipped_blank: n(9)?,
                odds_inserted: n(10)?,
                odds_updated: n(11)?,
                imported_at: row.get(12)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The file, its hash and the line a match's current values come from.
    pub fn provenance(&self, match_id: i64) -> Result<Option<Provenance>, DataError> {
        let found = self
            .conn
            .query_row(
                "SELECT i.file, i.sha256, m.source_line, i.imported_at \
                 FROM matches m JOIN imports i ON i.id = m.import_id WHERE m.id = ?1",
                params![match_id],
                |row| {
                    Ok(Provenance {
                        file: row.get(0)?,
                        sha256: row.get(1)?,
                        line: row.get::<_, i64>(2)? as u64,
                        imported_at: row.get(3)?,
                    })
                },
            )
            .optional()?;
        Ok(found)
    }
}

pub(super) fn parse_kickoff(text: &str) -> Result<DateTime<Utc>, DataError> {
    NaiveDateTime::parse_from_str(text, KICKOFF_FORMAT)
        .map(|t| t.and_utc())
        .map_err(|_| DataError::CorruptStore(format!("kickoff_utc {text:?}")))
}

pub(super) fn score_from_columns(
    home: Option<i64>,
    away: Option<i64>,
) -> Result<Option<Score>, DataError> {
    let goals = |g: i64| u8::try_from(g).map_err(|_| DataError::CorruptStore(format!("score {g}")));
    match (home, away) {
        (Some(home), Some(away)) => Ok(Some(Score {
            home: goals(home)?,
            away: goals(away)?,
        })),
        _ => Ok(None),
    }
}

/// Runs a query and converts every row, stopping at the first failure.
fn collect<T>(
    stmt: &mut Statement<'_>,
    params: impl Params,
    convert: impl Fn(&Row<'_>) -> Result<T, DataError>,
) -> Result<Vec<T>, DataError> {
    let mut rows = stmt.query(params)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(convert(row)?);
    }
    Ok(out)
}

fn match_from_row(row: &Row<'_>) -> Result<Match, DataError> {
    Ok(Match {
        id: row.get(0)?,
        league: row.get(1)?,
        season: row.get(2)?,
        kickoff: parse_kickoff(&row.get::<_, String>(3)?)?,
        kickoff_time_known: row.get(4)?,
        home_team: row.get(5)?,
        away_team: row.get(6)?,
        score: score_from_columns(row.get(7)?, row.get(8)?)?,
    })
}

pub(super) fn parse_kind(kind: &str) -> Result<OddsKind, DataError> {
    match kind {
        "opening" => Ok(OddsKind::Opening),
        "closing" => Ok(OddsKind::Closing),
        other => Err(DataError::CorruptStore(format!("odds kind {other:?}"))),
    }
}

fn quote_from_row(row: &Row<'_>) -> Result<OddsQuote, DataError> {
    Ok(OddsQuote {
        match_id: row.get(0)?,
        bookmaker: row.get(1)?,
        kind: parse_kind(&row.get::<_, String>(2)?)?,
        home: row.get(3)?,
        draw: row.get(4)?,
        away: row.get(5)?,
    })
}
