//! football-data.co.uk CSV files → canonical matches and odds quotes.
//!
//! Parsing never fails on a row: a malformed row becomes a [`RejectedRow`]
//! (file, line, reason) and the rest of the file is still read. Only a file
//! that cannot be read at all (bad name, missing required column) is a
//! [`FileError`]. See `SOURCE.md` beside the data for the quirks handled here.

pub mod bookmakers;
mod columns;
mod decode;
mod row;

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::path::Path;

use chrono::{Datelike, NaiveDate};
use matchday_core::domain::{Match, MatchStats, OddsQuote};

pub use decode::SourceEncoding;
pub use row::RowError;

use crate::error::FileError;
use columns::Columns;

/// What the parser needs to know that the rows don't say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// How rejected rows name the file (the importer uses the path relative to
    /// the data folder, e.g. `E0/2019-2020.csv`).
    pub label: String,
    /// `2019-2020`, from the file name.
    pub season: String,
    /// The league folder the file sits in; every row's `Div` must match it.
    pub folder_league: Option<String>,
    first_year: i32,
}

impl Source {
    pub fn new(
        label: impl Into<String>,
        season: &str,
        folder_league: Option<&str>,
    ) -> Result<Source, FileError> {
        let first_year =
            season_first_year(season).ok_or_else(|| FileError::BadFileName(season.to_owned()))?;
        Ok(Source {
            label: label.into(),
            season: season.to_owned(),
            folder_league: folder_league.map(str::to_owned),
            first_year,
        })
    }

    /// From a file laid out as `<root>/<league>/<season>.csv`.
    pub fn from_path(root: &Path, path: &Path) -> Result<Source, FileError> {
        let relative = path.strip_prefix(root).unwrap_or(path);
        let label = Source::label_of(root, path);
        let file_name = || relative.file_name().unwrap_or_default().to_string_lossy();
        let season = path
            .file_stem()
            .and_then(|s| s.to_str())
            .filter(|s| season_first_year(s).is_some())
            .ok_or_else(|| FileError::BadFileName(file_name().into_owned()))?;
        // A file directly in the root has no folder to check `Div` against.
        let folder_league = relative
            .parent()
            .and_then(Path::file_name)
            .and_then(|f| f.to_str());
        Source::new(label, season, folder_league)
    }

    /// How a file under `root` is named in reports: its relative path with
    /// `/` separators, the same on every machine.
    pub fn label_of(root: &Path, path: &Path) -> String {
        let relative = path.strip_prefix(root).unwrap_or(path);
        relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/")
    }

    /// A season spans two calendar years; a date outside them means a broken
    /// date (or a file under the wrong name).
    fn season_contains(&self, date: NaiveDate) -> bool {
        (self.first_year..=self.first_year + 1).contains(&date.year())
    }
}

/// `2019-2020` → 2019; anything else → `None`.
fn season_first_year(season: &str) -> Option<i32> {
    let (first, second) = season.split_once('-')?;
    let year = |s: &str| {
        (s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<i32>().ok())
            .flatten()
    };
    let (first, second) = (year(first)?, year(second)?);
    (second == first + 1).then_some(first)
}

/// A row that was not imported, and why. Line numbers are 1-based lines of
/// the file (the header is line 1); line 0 means the file as a whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedRow {
    pub file: String,
    pub line: u64,
    pub reason: String,
}

impl std::fmt::Display for RejectedRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.reason)
    }
}

/// One accepted row.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedMatch {
    /// Line of the file the match came from (provenance).
    pub line: u64,
    pub record: Match,
    pub odds: Vec<OddsQuote>,
    pub stats: MatchStats,
}

/// Everything read from one file, in file order (not sorted by date: a few
/// files have rescheduled games appended at the end).
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedFile {
    pub source: Source,
    pub encoding: SourceEncoding,
    pub matches: Vec<ParsedMatch>,
    pub rejects: Vec<RejectedRow>,
    /// Rows of nothing but commas (seen at the end of some files): skipped,
    /// but counted.
    pub blank_rows: usize,
    /// Odds triples with prices filled in that were unusable and left out.
    pub invalid_odds: usize,
}

impl ParsedFile {
    /// Data rows that were not blank: accepted plus rejected.
    pub fn rows(&self) -> usize {
        self.matches.len() + self.rejects.len()
    }

    pub fn odds(&self) -> impl Iterator<Item = &OddsQuote> {
        self.matches.iter().flat_map(|m| &m.odds)
    }
}

/// Parses one file's bytes (any of the encodings football-data has used).
pub fn parse(bytes: &[u8], source: &Source) -> Result<ParsedFile, FileError> {
    let (text, encoding) = decode::decode(bytes);
    let text = decode::normalize_line_endings(&text);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    // The input is a `str`, so reading the header cannot fail; an empty file
    // has an empty header and fails on the missing columns below.
    let header = reader.headers().cloned().unwrap_or_default();
    let columns = Columns::resolve(header.iter())?;

    let mut parsed = ParsedFile {
        source: source.clone(),
        encoding,
        matches: Vec::new(),
        rejects: Vec::new(),
        blank_rows: 0,
        invalid_odds: 0,
    };
    let mut first_line_of: HashMap<i64, u64> = HashMap::new();
    let reject = |line: u64, reason: String| RejectedRow {
        file: source.label.clone(),
        line,
        reason,
    };
    for result in reader.records() {
        let record = match result {
            Ok(record) => record,
            Err(err) => {
                let line = err.position().map_or(0, |p| p.line());
                parsed
                    .rejects
                    .push(reject(line, RowError::Csv(err.to_string()).to_string()));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        if row::is_blank(&record) {
            parsed.blank_rows += 1;
            continue;
        }
        let outcome = row::parse_row(&record, &columns, source).and_then(|outcome| {
            match first_line_of.entry(outcome.record.id) {
                Entry::Occupied(first) => Err(RowError::Duplicate(*first.get())),
                Entry::Vacant(slot) => {
                    slot.insert(line);
                    Ok(outcome)
                }
            }
        });
        match outcome {
            Ok(outcome) => {
                parsed.invalid_odds += outcome.invalid_odds;
                parsed.matches.push(ParsedMatch {
                    line,
                    record: outcome.record,
                    odds: outcome.odds,
                    stats: outcome.stats,
                });
            }
            Err(err) => parsed.rejects.push(reject(line, err.to_string())),
        }
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests;
