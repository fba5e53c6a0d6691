//! Imports a football-data folder into a data directory and prints what
//! happened, with timings: `cargo run --profile native -p matchday-data
//! --example ingest -- <football-data dir> <data dir>`.

use std::time::Instant;

use matchday_data::{IngestProgress, Store, football_data, football_data_files};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(source), Some(data_dir)) = (args.next(), args.next()) else {
        eprintln!("usage: ingest <football-data dir> <data dir>");
        std::process::exit(2);
    };
    let source = std::path::Path::new(&source);

    // Parsing alone, to tell it apart from writing.
    let started = Instant::now();
    let mut rows = 0;
    for path in football_data_files(source)? {
        let bytes = std::fs::read(&path)?;
        let parsed = football_data::Source::from_path(source, &path)
            .and_then(|s| football_data::parse(&bytes, &s))?;
        rows += parsed.rows();
    }
    println!("parse only: {rows} rows in {:.2?}", started.elapsed());

    let mut store = Store::open(&data_dir)?;
    let summary = store.ingest_football_data(source, |event| {
        if let IngestProgress::FileDone {
            index,
            files,
            report,
        } = event
            && (index % 36 == 0 || index == files)
        {
            println!("[{index}/{files}] {}", report.file);
        }
    })?;
    println!(
        "{} files, {} rows: {} inserted, {} unchanged, {} updated; odds {} inserted, {} unchanged, \
         {} updated, {} invalid; {} blank rows; {} rejected; {:.2?}",
        summary.files,
        summary.rows,
        summary.inserted,
        summary.unchanged,
        summary.updated,
        summary.odds_inserted,
        summary.odds_unchanged,
        summary.odds_updated,
        summary.invalid_odds,
        summary.blank_rows,
        summary.rejected.len(),
        summary.elapsed
    );
    for reject in &summary.rejected {
        println!("rejected {reject}");
    }
    let counts = store.counts()?;
    println!("store: {counts:?}");
    let started = Instant::now();
    let (matches, odds) = (store.matches()?, store.odds()?);
    println!(
        "read back {} matches, {} odds in {:.2?}",
        matches.len(),
        odds.len(),
        started.elapsed()
    );
    Ok(())
}
