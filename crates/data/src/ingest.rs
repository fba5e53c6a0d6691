//! Importing a folder of football-data files: `<league>/<season>.csv`.
//!
//! A CLI can either hand [`ingest_dir`] a progress callback, or drive the loop
//! itself with [`football_data_files`] and [`ingest_file`].

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::error::DataError;
use crate::football_data::{self, RejectedRow, Source};
use crate::store::{FileReport, ImportBatch, Store};

/// What happened so far, for a progress bar.
#[derive(Debug, Clone, Copy)]
pub enum IngestProgress<'a> {
    /// Before the first file.
    Started { files: usize },
    /// After each file; `index` counts from 1.
    FileDone {
        index: usize,
        files: usize,
        report: &'a FileReport,
    },
}

/// Totals of one ingest run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IngestSummary {
    pub files: usize,
    /// Data rows read (blank rows excluded): inserted + unchanged + updated + rejected.
    pub rows: usize,
    pub inserted: usize,
    pub unchanged: usize,
    pub updated: usize,
    pub odds_inserted: usize,
    pub odds_unchanged: usize,
    pub odds_updated: usize,
    pub invalid_odds: usize,
    /// Rows of nothing but commas, skipped.
    pub blank_rows: usize,
    /// Every rejected row, as `file:line: reason`.
    pub rejected: Vec<RejectedRow>,
    pub elapsed: Duration,
}

impl IngestSummary {
    fn add(&mut self, report: &FileReport) {
        self.files += 1;
        self.rows += report.rows;
        self.inserted += report.inserted;
        self.unchanged += report.unchanged;
        self.updated += report.updated;
        self.odds_inserted += report.odds_inserted;
        self.odds_unchanged += report.odds_unchanged;
        self.odds_updated += report.odds_updated;
        self.invalid_odds += report.invalid_odds;
        self.blank_rows += report.blank_rows;
        self.rejected.extend(report.rejected.iter().cloned());
    }
}

/// Every `.csv` under `dir`, recursively, sorted by path (so runs and their
/// logs are reproducible).
pub fn football_data_files(dir: &Path) -> Result<Vec<PathBuf>, DataError> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        let entries = std::fs::read_dir(&folder).map_err(|e| DataError::io(&folder, e))?;
        for entry in entries {
            let path = entry.map_err(|e| DataError::io(&folder, e))?.path();
            if path.is_dir() {
                pending.push(path);
            } else if path
                .extension()
                .is_some_and(|ext| ext.eq_ignore_ascii_case("csv"))
            {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

/// Imports one file of the folder `root` (which names it and gives its league
/// folder) in its own transaction. A file that can't be parsed is logged with a
/// rejected row, not returned as an error; errors are I/O and the database.
/// To import many files, [`ingest_dir`] is much faster (one commit).
pub fn ingest_file(store: &mut Store, root: &Path, path: &Path) -> Result<FileReport, DataError> {
    let mut batch = store.begin_import()?;
    let report = ingest_file_into(&mut batch, root, path)?;
    batch.commit()?;
    Ok(report)
}

fn ingest_file_into(
    batch: &mut ImportBatch<'_>,
    root: &Path,
    path: &Path,
) -> Result<FileReport, DataError> {
    let bytes = std::fs::read(path).map_err(|e| DataError::io(path, e))?;
    let sha256 = hex(&Sha256::digest(&bytes));
    let parsed =
        Source::from_path(root, path).and_then(|source| football_data::parse(&bytes, &source));
    match parsed {
        Ok(parsed) => batch.import_parsed(&parsed, &sha256),
        Err(error) => batch.record_file_error(&Source::label_of(root, path), &sha256, &error),
    }
}

/// Imports every file of [`football_data_files`]`(dir)`, calling `progress`
/// before the first and after each file. Each file is atomic; the run is
/// committed once at the end (see [`ImportBatch`] for why). If a file can't
/// be read, the files before it are still committed and the error returned.
pub fn ingest_dir(
    store: &mut Store,
    dir: &Path,
    mut progress: impl FnMut(IngestProgress<'_>),
) -> Result<IngestSummary, DataError> {
    let started = Instant::now();
    let files = football_data_files(dir)?;
    progress(IngestProgress::Started { files: files.len() });
    let mut summary = IngestSummary::default();
    let mut batch = store.begin_import()?;
    for (i, path) in files.iter().enumerate() {
        let report = match ingest_file_into(&mut batch, dir, path) {
            Ok(report) => report,
            Err(err) => {
                batch.commit()?;
                return Err(err);
            }
        };
        summary.add(&report);
        progress(IngestProgress::FileDone {
            index: i + 1,
            files: files.len(),
            report: &report,
        });
    }
    batch.commit()?;
    summary.elapsed = started.elapsed();
    Ok(summary)
}

impl Store {
    /// [`ingest_dir`] on this store.
    pub fn ingest_football_data(
        &mut self,
        dir: impl AsRef<Path>,
        progress: impl FnMut(IngestProgress<'_>),
    ) -> Result<IngestSummary, DataError> {
        ingest_dir(self, dir.as_ref(), progress)
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_hex() {
        assert_eq!(
            hex(&Sha256::digest(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
