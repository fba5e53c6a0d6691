//! Writing parsed files: each in a savepoint, idempotent. Rows already
//! stored go through `merge`; odds follow the same rule per (match,
//! bookmaker, kind): new prices replace the stored ones and count as updated.

use chrono::{SecondsFormat, Utc};
use matchday_core::domain::{MatchStats, OddsQuote, Score};
use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::Store;
use super::merge::{Facts, Merge, Stored, facts_of, merge};
use super::read::score_from_columns;
use crate::error::{DataError, FileError};
use crate::football_data::{ParsedFile, ParsedMatch, RejectedRow, SourceEncoding};

/// What importing one file did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileReport {
    /// Path relative to the imported folder (`E0/2019-2020.csv`).
    pub file: String,
    pub sha256: String,
    /// `None` when the file could not be parsed.
    pub encoding: Option<SourceEncoding>,
    /// Data rows read (blank rows excluded): accepted + rejected.
    pub rows: usize,
    pub inserted: usize,
    pub unchanged: usize,
    pub updated: usize,
    pub odds_inserted: usize,
    pub odds_unchanged: usize,
    pub odds_updated: usize,
    /// Odds triples filled in but unusable (see `OddsQuote::is_valid`).
    pub invalid_odds: usize,
    pub blank_rows: usize,
    pub rejected: Vec<RejectedRow>,
}

#[derive(Clone, Copy)]
enum Outcome {
    Inserted,
    Unchanged,
    Updated,
}

/// Files imported together: each file in its own savepoint (atomic, with its
/// log row), the whole batch in one SQLite transaction.
///
/// Why not one transaction per file: match ids are hashes, so every file's
/// rows land all over the `matches` and `odds` B-trees and each commit
/// rewrites most of their pages. Committing 144 files one by one wrote
/// ~1.4 GB and took 11–15 s; one commit per batch takes 3.4 s.
pub struct ImportBatch<'s> {
    tx: Transaction<'s>,
}

impl Store {
    /// Starts a batch; nothing is visible to other connections until
    /// [`ImportBatch::commit`]. Dropping the batch rolls it back.
    pub fn begin_import(&mut self) -> Result<ImportBatch<'_>, DataError> {
        Ok(ImportBatch {
            tx: self.conn.transaction()?,
        })
    }

    /// Imports one parsed file in its own transaction.
    pub fn import_parsed(
        &mut self,
        parsed: &ParsedFile,
        sha256: &str,
    ) -> Result<FileReport, DataError> {
        let mut batch = self.begin_import()?;
        let report = batch.import_parsed(parsed, sha256)?;
        batch.commit()?;
        Ok(report)
    }
}

impl ImportBatch<'_> {
    /// Writes one parsed file and logs it in `imports`. Its rejected rows
    /// replace those of any earlier import of the same file.
    pub fn import_parsed(
        &mut self,
        parsed: &ParsedFile,
        sha256: &str,
    ) -> Result<FileReport, DataError> {
        let mut report = FileReport {
            file: parsed.source.label.clone(),
            sha256: sha256.to_owned(),
            encoding: Some(parsed.encoding),
            rows: parsed.rows(),
            invalid_odds: parsed.invalid_odds,
            blank_rows: parsed.blank_rows,
            rejected: parsed.rejects.clone(),
            ..FileReport::default()
        };
        let savepoint = self.tx.savepoint()?;
        let import_id = start_import(&savepoint, &report)?;
        for row in &parsed.matches {
            match write_match(&savepoint, row, import_id)? {
                Err(reason) => report.rejected.push(RejectedRow {
                    file: report.file.clone(),
                    line: row.line,
                    reason,
                }),
                Ok(outcome) => {
                    let counters = [
                        &mut report.inserted,
                        &mut report.unchanged,
                        &mut report.updated,
                    ];
                    count(outcome, counters);
                    write_stats(&savepoint, row.record.id, &row.stats)?;
                    for quote in &row.odds {
                        let outcome = write_odds(&savepoint, quote, import_id)?;
                        let counters = [
                            &mut report.odds_inserted,
                            &mut report.odds_unchanged,
                            &mut report.odds_updated,
                        ];
                        count(outcome, counters);
                    }
                }
            }
        }
        finish_import(&savepoint, import_id, &report)?;
        savepoint.commit()?;
        Ok(report)
    }

    /// Logs a file that could not be parsed, as one rejected "row" of it.
    pub fn record_file_error(
        &mut self,
        file: &str,
        sha256: &str,
        error: &FileError,
    ) -> Result<FileReport, DataError> {
        let report = FileReport {
            file: file.to_owned(),
            sha256: sha256.to_owned(),
            rejected: vec![RejectedRow {
                file: file.to_owned(),
                line: error.line(),
                reason: error.to_string(),
            }],
            ..FileReport::default()
        };
        let savepoint = self.tx.savepoint()?;
        let import_id = start_import(&savepoint, &report)?;
        finish_import(&savepoint, import_id, &report)?;
        savepoint.commit()?;
        Ok(report)
    }

    pub fn commit(self) -> Result<(), DataError> {
        Ok(self.tx.commit()?)
    }
}

fn count(outcome: Outcome, [inserted, unchanged, updated]: [&mut usize; 3]) {
    *match outcome {
        Outcome::Inserted => inserted,
        Outcome::Unchanged => unchanged,
        Outcome::Updated => updated,
    } += 1;
}

fn start_import(conn: &Connection, report: &FileReport) -> Result<i64, DataError> {
    conn.execute(
        "INSERT INTO imports (file, sha256, encoding, rows, inserted, unchanged, updated, \
         rejected, skipped_blank, odds_inserted, odds_updated, imported_at) \
         VALUES (?1, ?2, ?3, 0, 0, 0, 0, 0, 0, 0, 0, ?4)",
        params![
            report.file,
            report.sha256,
            report.encoding.map(SourceEncoding::as_str),
            Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true),
        ],
    )?;
    let import_id = conn.last_insert_rowid();
    conn.execute("DELETE FROM rejects WHERE file = ?1", [&report.file])?;
    Ok(import_id)
}

fn finish_import(conn: &Connection, import_id: i64, report: &FileReport) -> Result<(), DataError> {
    let mut insert = conn.prepare_cached(
        "INSERT INTO rejects (file, line, reason, import_id) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for reject in &report.rejected {
        insert.execute(params![
            reject.file,
            reject.line as i64,
            reject.reason,
            import_id
        ])?;
    }
    let n = |v: usize| v as i64;
    conn.execute(
        "UPDATE imports SET rows = ?2, inserted = ?3, unchanged = ?4, updated = ?5, rejected = ?6, \
         skipped_blank = ?7, odds_inserted = ?8, odds_updated = ?9 WHERE id = ?1",
        params![
            import_id,
            n(report.rows),
            n(report.inserted),
            n(report.unchanged),
            n(report.updated),
            n(report.rejected.len()),
            n(report.blank_rows),
            n(report.odds_inserted),
            n(report.odds_updated),
        ],
    )?;
    Ok(())
}

/// Inner `Err`: the row conflicts with a stored match (reason).
fn write_match(
    conn: &Connection,
    row: &ParsedMatch,
    import_id: i64,
) -> Result<Result<Outcome, String>, DataError> {
    let m = &row.record;
    let incoming = facts_of(m);
    let (home_score, away_score) = score_columns(incoming.score);
    let inserted = conn
        .prepare_cached(
            "INSERT INTO matches (id, league, season, kickoff_utc, kickoff_time_known, home_team, \
             away_team, home_score, away_score, import_id, source_line) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) ON CONFLICT (id) DO NOTHING",
        )?
        .execute(params![
            m.id,
            m.league,
            m.season,
            incoming.kickoff,
            incoming.time_known,
            m.home_team,
            m.away_team,
            home_score,
            away_score,
            import_id,
            row.line as i64,
        ])?;
    if inserted == 1 {
        return Ok(Ok(Outcome::Inserted));
    }
    let stored = load(conn, m.id)?;
    match merge(&stored, m, incoming) {
        Merge::Unchanged => Ok(Ok(Outcome::Unchanged)),
        Merge::Conflict(reason) => Ok(Err(reason)),
        Merge::Update(facts) => {
            let (home_score, away_score) = score_columns(facts.score);
            conn.prepare_cached(
                "UPDATE matches SET kickoff_utc = ?2, kickoff_time_known = ?3, home_score = ?4, \
                 away_score = ?5, import_id = ?6, source_line = ?7 WHERE id = ?1",
            )?
            .execute(params![
                m.id,
                facts.kickoff,
                facts.time_known,
                home_score,
                away_score,
                import_id,
                row.line as i64,
            ])?;
            Ok(Ok(Outcome::Updated))
        }
    }
}

fn score_columns(score: Option<Score>) -> (Option<u8>, Option<u8>) {
    (score.map(|s| s.home), score.map(|s| s.away))
}

fn load(conn: &Connection, id: i64) -> Result<Stored, DataError> {
    let mut stmt = conn.prepare_cached(
        "SELECT league, season, home_team, away_team, kickoff_utc, kickoff_time_known, \
         home_score, away_score FROM matches WHERE id = ?1",
    )?;
    let mut rows = stmt.query([id])?;
    let row = rows
        .next()?
        .ok_or_else(|| DataError::CorruptStore(format!("match {id} vanished mid-import")))?;
    Ok(Stored {
        identity: (row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?),
        facts: Facts {
            kickoff: row.get(4)?,
            time_known: row.get(5)?,
            score: score_from_columns(row.get(6)?, row.get(7)?)?,
        },
    })
}

fn write_odds(conn: &Connection, quote: &OddsQuote, import_id: i64) -> Result<Outcome, DataError> {
    // One parameter list for the three statements: the key is ?1..?3 in each.
    let row = params![
        quote.match_id,
        quote.bookmaker,
        quote.kind.as_str(),
        quote.home,
        quote.draw,
        quote.away,
        import_id
    ];
    let inserted = conn
        .prepare_cached(
            "INSERT INTO odds (match_id, bookmaker, kind, home, draw, away, import_id) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO NOTHING",
        )?
        .execute(row)?;
    if inserted == 1 {
        return Ok(Outcome::Inserted);
    }
    let stored: Option<(f64, f64, f64)> = conn
        .prepare_cached(
            "SELECT home, draw, away FROM odds WHERE match_id = ?1 AND bookmaker = ?2 AND kind = ?3",
        )?
        .query_row(&row[..3], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    if stored == Some((quote.home, quote.draw, quote.away)) {
        return Ok(Outcome::Unchanged);
    }
    conn.prepare_cached(
        "UPDATE odds SET home = ?4, draw = ?5, away = ?6, import_id = ?7 \
         WHERE match_id = ?1 AND bookmaker = ?2 AND kind = ?3",
    )?
    .execute(row)?;
    Ok(Outcome::Updated)
}

/// Upserts a played match's statistics (the latest file wins, like scores).
fn write_stats(conn: &Connection, match_id: i64, stats: &MatchStats) -> Result<(), DataError> {
    if stats.is_empty() {
        return Ok(());
    }
    let side = |pair: Option<[u16; 2]>, i: usize| pair.map(|p| p[i]);
    conn.prepare_cached(
        "INSERT INTO match_stats (match_id, home_shots, away_shots, home_on_target, \
         away_on_target, home_corners, away_corners) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) \
         ON CONFLICT(match_id) DO UPDATE SET home_shots = ?2, away_shots = ?3, \
         home_on_target = ?4, away_on_target = ?5, home_corners = ?6, away_corners = ?7",
    )?
    .execute(params![
        match_id,
        side(stats.shots, 0),
        side(stats.shots, 1),
        side(stats.shots_on_target, 0),
        side(stats.shots_on_target, 1),
        side(stats.corners, 0),
        side(stats.corners, 1),
    ])?;
    Ok(())
}
