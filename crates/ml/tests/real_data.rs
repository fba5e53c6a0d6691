//! The baseline on the real football-data.co.uk files in `shared/data`,
//! read through `matchday-data` exactly as the sidecar reads them.

use std::time::Instant;

use matchday_data::Store;
use matchday_ml::pipeline::{self, PipelineConfig};

mod support;

#[test]
fn baseline_beats_the_naive_forecast_on_real_data() {
    let dir = support::football_data_dir();
    let t = Instant::now();
    let mut store = Store::open_in_memory().unwrap();
    store.ingest_football_data(&dir, |_| {}).unwrap();
    let matches = store.matches().unwrap();
    let odds = store.odds().unwrap();
    let stats = store.match_stats().unwrap();
    let load_time = t.elapsed();
    assert!(matches.len() > 60_000, "{} matches", matches.len());

    let config = PipelineConfig::default();
    let t = Instant::now();
    let out = pipeline::run(&matches, &odds, &stats, &config, &mut |e| {
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
        "ingested {} matches, {} quotes in {:.2}s",
        matches.len(),
        odds.len(),
        load_time.as_secs_f64()
    );
    println!("{}", out.report);
    println!("pipeline wall time {:.3}s", run_time.as_secs_f64());

    let test = out.report.test.unwrap();
    let naive = out.report.naive_test.unwrap();
    assert!(test.n > 5_000);
    assert!(
        test.rps < naive.rps,
        "model RPS {} vs naive {}",
        test.rps,
        naive.rps
    );
    let c = out.report.comparison.unwrap();
    assert!(c.model.rps < c.naive.rps);
    // Sanity against SOURCE.md (Pinnacle closing RPS 0.1976 on 2021-23, top 5).
    assert!(
        (0.19..0.205).contains(&c.bookmaker.rps),
        "bookmaker RPS {}",
        c.bookmaker.rps
    );
    assert!(out.predictions.iter().any(|p| p.is_future));
}
