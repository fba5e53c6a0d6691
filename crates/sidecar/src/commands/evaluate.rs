//! `matchday evaluate [--tune]`: walk-forward evaluation of every candidate
//! model against the baselines and the bookmaker on the most recent
//! seasons in the store, with each candidate's serving cost; writes
//! `<data>/reports/evaluation.json` and `evaluation.html`.
//!
//! Declared from `main.rs` (not `commands/mod.rs`) and self-contained, so
//! the command's whole footprint is this file plus one enum variant.

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use matchday_data::Store;
use matchday_ml::evaluate::{self, EvaluateConfig, ServingCost, html};
use matchday_ml::tune::TuneConfig;
use std::path::Path;
use std::time::{Duration, Instant};

#[derive(clap::Args, Clone, Default)]
pub struct EvaluateArgs {
    /// Tune rating parameters and model hyper-parameters first (CV on the
    /// seasons before the test seasons; several minutes).
    #[arg(long)]
    pub tune: bool,
    /// Random-search trials per model family when tuning.
    #[arg(long, default_value_t = 8)]
    pub budget: usize,
    /// Seed of the random search.
    #[arg(long, default_value_t = 2024)]
    pub seed: u64,
    /// Number of most recent seasons to walk forward over.
    #[arg(long, default_value_t = 2)]
    pub test_seasons: usize,
}

/// Median of `runs` timings of `f` in milliseconds.
fn median_ms(runs: usize, mut f: impl FnMut() -> Result<()>) -> Result<f64> {
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        f()?;
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    Ok(times[times.len() / 2])
}

/// Load (parse, optimise, runnable) and one-row inference through
/// `matchday-inference`, exactly what a server does per fresh instance.
fn serving_cost(a: &evaluate::CandidateArtifact) -> Result<ServingCost> {
    let row = vec![vec![f32::NAN; a.feature_names.len()]];
    let load_ms = median_ms(15, || {
        matchday_inference::load(&a.onnx, &a.feature_names, 1)?;
        Ok(())
    })?;
    let classifier = matchday_inference::load(&a.onnx, &a.feature_names, 1)?;
    let infer_ms = median_ms(201, || {
        classifier.predict(&row)?;
        Ok(())
    })?;
    Ok(ServingCost {
        model: a.name.clone(),
        onnx_bytes: a.onnx.len(),
        load_ms,
        infer_ms,
        measured: "native (x86-64, --profile native), tract-onnx 0.23 via matchday-inference, batch 1, median".to_string(),
    })
}

pub fn evaluate(data_dir: &Path, args: &EvaluateArgs) -> Result<()> {
    let store = Store::open(data_dir)
        .with_context(|| format!("opening the store in {}", data_dir.display()))?;
    let (matches, odds, stats) = (store.matches()?, store.odds()?, store.match_stats()?);
    if matches.is_empty() {
        bail!(
            "the store in {} is empty: run `matchday ingest football-data <dir>` first",
            data_dir.display()
        );
    }
    let config = EvaluateConfig {
        test_seasons: args.test_seasons,
        tuning: args.tune.then_some(TuneConfig {
            budget: args.budget,
            seed: args.seed,
            ratings: true,
        }),
        ..EvaluateConfig::default()
    };

    let started = Instant::now();
    let bar = ProgressBar::new(1);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} {prefix:<12} [{bar:30}] {pos}/{len} {elapsed} {wide_msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar.enable_steady_tick(Duration::from_millis(120));
    let mut report = evaluate::run(
        &matches,
        &odds,
        &stats,
        &config,
        &mut |stage, line, step| {
            bar.set_prefix(stage.to_string());
            if let Some((done, total)) = step {
                bar.set_length(total as u64);
                bar.set_position(done as u64);
            }
            bar.set_message(line.to_string());
            if step.is_none() {
                bar.println(format!("  {stage:<12} {line}"));
            }
        },
    )?;
    bar.set_prefix("serving");
    bar.set_length(report.artifacts.len() as u64);
    let t = Instant::now();
    for (k, a) in report.artifacts.iter().enumerate() {
        bar.set_position(k as u64);
        bar.set_message(a.name.clone());
        report.serving.push(serving_cost(a)?);
    }
    report
        .timings
        .push(("serving cost".to_string(), t.elapsed().as_secs_f64()));
    report
        .timings
        .push(("total".to_string(), started.elapsed().as_secs_f64()));
    bar.finish_and_clear();

    let dir = data_dir.join("reports");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let json = dir.join("evaluation.json");
    let page = dir.join("evaluation.html");
    std::fs::write(&json, report.to_json())?;
    std::fs::write(&page, html::render(&report))?;

    if let Some(t) = report.headline() {
        print_table(t, &report.champion);
    }
    if let Some(t) = &report.market_variant {
        print_table(t, &report.champion);
    }
    for s in &report.serving {
        println!(
            "  serving {:<12} load {:.3} ms, 1-row inference {:.4} ms ({} bytes, native)",
            s.model, s.load_ms, s.infer_ms, s.onnx_bytes
        );
    }
    println!(
        "selection: {} — {}",
        report.champion, report.selection.reason
    );
    println!(
        "evaluate: {:.1}s → {} and {}",
        started.elapsed().as_secs_f64(),
        json.display(),
        page.display()
    );
    Ok(())
}

/// A score table with each row's RPS against the bookmaker's (± one
/// standard error of the paired gap).
fn print_table(t: &evaluate::Table, champion: &str) {
    println!("{} (n = {})", t.title, t.n);
    let bookie = t.row(evaluate::BOOKMAKER).map(|s| s.rps);
    for r in &t.rows {
        let vs = bookie.map_or(String::new(), |b| {
            format!(" ({} vs bookmaker)", r.rps_gap_text(b))
        });
        let mark = if r.model == champion {
            "  ← champion"
        } else {
            ""
        };
        println!(
            "  {:<40} RPS {:.4}  log-loss {:.4}{vs}{mark}",
            r.model, r.scores.rps, r.scores.log_loss
        );
    }
}
