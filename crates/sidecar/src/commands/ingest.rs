//! `matchday ingest football-data <dir>`.

use crate::progress;
use anyhow::{Context, Result};
use matchday_data::{IngestProgress, Store};
use std::path::Path;

pub fn football_data(data_dir: &Path, dir: &Path) -> Result<()> {
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("creating {}", data_dir.display()))?;
    let mut store = Store::open(data_dir)
        .with_context(|| format!("opening the store in {}", data_dir.display()))?;
    let mut bar = None;
    let summary = store
        .ingest_football_data(dir, |event| match event {
            IngestProgress::Started { files } => bar = Some(progress::bar(files as u64, "ingest")),
            IngestProgress::FileDone { report, .. } => {
                if let Some(bar) = &bar {
                    bar.set_message(report.file.clone());
                    bar.inc(1);
                }
            }
        })
        .with_context(|| format!("importing {}", dir.display()))?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    println!(
        "{} files, {} rows: {} new, {} unchanged, {} updated, {} rejected; odds {} new, {} unchanged, {} invalid; {} blank rows skipped ({:.1}s)",
        summary.files,
        summary.rows,
        summary.inserted,
        summary.unchanged,
        summary.updated,
        summary.rejected.len(),
        summary.odds_inserted,
        summary.odds_unchanged,
        summary.invalid_odds,
        summary.blank_rows,
        summary.elapsed.as_secs_f64()
    );
    // Rejected rows are reported, never silently dropped.
    for rejected in &summary.rejected {
        eprintln!("rejected {rejected}");
    }
    Ok(())
}
