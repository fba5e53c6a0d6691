//! `matchday drift | quality`: monitoring reports over the work directory
//! and the match store, written to `<data>/work/reports/` and, with
//! `--publish`, uploaded through `admin` for the `monitoring` component.
//!
//! `train` saves the drift reference (`drift_reference.json`): the training
//! distribution of the model's features, so `drift` compares against what
//! the model actually learned from, not against a later re-computation.

use super::publish::{RemoteArgs, upload_report};
use crate::workdir::{self, WorkDir};
use anyhow::{Context, Result, bail};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use matchday_core::domain::Match;
use matchday_ml::bookmaker::{ImpliedMethod, market_forecasts};
use matchday_ml::card::ModelCard;
use matchday_ml::features::CALENDAR_COLUMNS;
use matchday_ml::pipeline::PipelineOutput;
use matchday_monitor::drift::{self, DriftReference};
use matchday_monitor::html;
use matchday_monitor::quality::{self, ScoredMatch};
use matchday_observe::monitoring::records::{ReportKind, Window};
use matchday_observe::monitoring::reports::ReportUpload;
use matchday_publish::artifacts::{self, format_time};
use std::collections::HashMap;
use std::path::Path;

#[derive(clap::Args, Clone)]
pub struct DriftArgs {
    /// Length of the current window, in days, ending at `--until`.
    #[arg(long, default_value_t = 90)]
    pub days: i64,
    /// End of the current window (YYYY-MM-DD or RFC 3339). Default: the
    /// pipeline's as-of date.
    #[arg(long)]
    pub until: Option<String>,
    /// Upload the report through the running app's admin API.
    #[arg(long)]
    pub publish: bool,
    #[command(flatten)]
    pub remote: RemoteArgs,
}

#[derive(clap::Args, Clone)]
pub struct QualityArgs {
    /// Treat this date as "now": matches kicked off later are not finished.
    /// Default: the current time.
    #[arg(long)]
    pub now: Option<String>,
    #[arg(long)]
    pub publish: bool,
    #[command(flatten)]
    pub remote: RemoteArgs,
}

fn parse_date(name: &str, raw: &str) -> Result<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Ok(t.with_timezone(&Utc));
    }
    let day = NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .with_context(|| format!("--{name} must be YYYY-MM-DD or RFC 3339, got `{raw}`"))?;
    Ok(day.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc())
}

fn kickoff_window<'a>(kickoffs: impl Iterator<Item = &'a str> + Clone, n: usize) -> Window {
    Window {
        from: kickoffs.clone().min().map(str::to_string),
        to: kickoffs.max().map(str::to_string),
        n,
    }
}

/// The training distribution of the served model's input features (every
/// finished match it was fitted on), from a pipeline run (called by
/// `train`); calendar columns are left out
/// ([`CALENDAR_COLUMNS`]).
pub fn training_reference(output: &PipelineOutput, matches: &[Match]) -> Result<DriftReference> {
    let names: Vec<String> = output
        .card
        .features
        .iter()
        .map(|f| f.name.clone())
        .filter(|n| !CALENDAR_COLUMNS.contains(&n.as_str()))
        .collect();
    let columns: Vec<usize> = names
        .iter()
        .map(|n| {
            output
                .features
                .names
                .iter()
                .position(|c| c == n)
                .with_context(|| format!("model feature `{n}` is not in the feature table"))
        })
        .collect::<Result<_>>()?;
    let rows: Vec<Vec<f64>> = output
        .served_rows
        .iter()
        .map(|&i| {
            columns
                .iter()
                .map(|&c| output.features.rows[i][c])
                .collect()
        })
        .collect();
    let row_refs: Vec<&[f64]> = rows.iter().map(Vec::as_slice).collect();
    let kickoffs: Vec<String> = output
        .served_rows
        .iter()
        .map(|&i| format_time(matches[i].kickoff))
        .collect();
    let window = kickoff_window(kickoffs.iter().map(String::as_str), rows.len());
    Ok(drift::build_reference(
        &names,
        &row_refs,
        &output.card.run_id,
        window,
        &format_time(Utc::now()),
    ))
}

fn write_report(work: &WorkDir, kind: ReportKind, summary_json: &[u8], html: &str) -> Result<()> {
    let dir = work.path(workdir::REPORTS_DIR);
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let stamp = Utc::now().format("%Y%m%dT%H%M%SZ");
    let base = dir.join(format!("{}-{stamp}", kind.as_str()));
    std::fs::write(base.with_extension("json"), summary_json)?;
    std::fs::write(base.with_extension("html"), html)?;
    println!("report → {}", base.with_extension("html").display());
    Ok(())
}

fn publish(
    remote: &RemoteArgs,
    kind: ReportKind,
    summary: serde_json::Value,
    html: String,
) -> Result<()> {
    let entry = upload_report(
        remote,
        &ReportUpload {
            kind,
            summary,
            html,
        },
    )?;
    println!(
        "published {} → {}{}",
        entry["name"].as_str().unwrap_or("?"),
        remote.app.trim_end_matches('/'),
        entry["url"].as_str().unwrap_or("")
    );
    Ok(())
}

/// The drift summary and report of the current window (for `drift` and tests).
pub fn drift_report(
    data_dir: &Path,
    days: i64,
    until: Option<DateTime<Utc>>,
) -> Result<(matchday_observe::monitoring::records::DriftSummary, String)> {
    let work = WorkDir::new(data_dir)?;
    let reference: DriftReference =
        serde_json::from_slice(&work.read(workdir::DRIFT_REFERENCE, "train")?)
            .context("drift_reference.json is corrupt; run `matchday train` again")?;
    let until = match until {
        Some(t) => t,
        None => {
            let config: serde_json::Value =
                serde_json::from_slice(&work.read(workdir::PIPELINE_CONFIG, "features")?)?;
            parse_date(
                "until",
                config["as_of"]
                    .as_str()
                    .context("pipeline.json has no as_of")?,
            )?
        }
    };
    let from = until - Duration::days(days);
    let matches = artifacts::read_matches(work.read(artifacts::MATCHES, "features")?.into())?;
    let kickoff: HashMap<i64, &str> = matches
        .iter()
        .map(|m| (m.match_id, m.start_time_utc.as_str()))
        .collect();
    let table = artifacts::read_features(work.read(artifacts::FEATURES, "features")?.into())?;
    let columns: Vec<usize> = reference
        .features
        .iter()
        .map(|f| {
            table
                .names
                .iter()
                .position(|n| *n == f.name)
                .with_context(|| {
                    format!(
                        "feature `{}` of the reference is not in match_features.parquet",
                        f.name
                    )
                })
        })
        .collect::<Result<_>>()?;
    let (from_s, until_s) = (format_time(from), format_time(until));
    let mut kickoffs = Vec::new();
    let mut current = Vec::new();
    for row in &table.rows {
        let Some(&k) = kickoff.get(&row.match_id) else {
            continue;
        };
        // RFC 3339 UTC strings of one format compare in time order.
        if k > from_s.as_str() && k <= until_s.as_str() {
            kickoffs.push(k);
            current.push(
                columns
                    .iter()
                    .map(|&c| row.values[c].unwrap_or(f64::NAN))
                    .collect::<Vec<f64>>(),
            );
        }
    }
    let window = kickoff_window(kickoffs.iter().copied(), current.len());
    let summary = drift::drift_summary(
        &reference,
        &current,
        window,
        drift::default_thresholds(),
        &format_time(Utc::now()),
    );
    let html = html::drift_report(&summary, &reference, &current);
    Ok((summary, html))
}

pub fn drift(data_dir: &Path, args: &DriftArgs) -> Result<()> {
    if args.days <= 0 {
        bail!("--days must be positive");
    }
    let until = args
        .until
        .as_deref()
        .map(|u| parse_date("until", u))
        .transpose()?;
    let (summary, html) = drift_report(data_dir, args.days, until)?;
    let json = serde_json::to_vec_pretty(&summary)?;
    write_report(&WorkDir::new(data_dir)?, ReportKind::Drift, &json, &html)?;
    println!(
        "drift: score {:.3} ({} of {} features drift) over {} matches",
        summary.drift_score, summary.n_drifted, summary.n_features, summary.current_window.n
    );
    for f in summary
        .features
        .iter()
        .filter(|f| f.status != matchday_observe::monitoring::records::FeatureStatus::Ok)
    {
        println!(
            "  {:<28} {:?} psi {:.3} ks {:.3}",
            f.feature, f.status, f.psi, f.ks_statistic
        );
    }
    if args.publish {
        publish(
            &args.remote,
            ReportKind::Drift,
            serde_json::to_value(&summary)?,
            html,
        )?;
    }
    Ok(())
}

/// The quality summary and report of the champion (the work dir's model and
/// predictions) on matches finished after its training data ended.
pub fn quality_report(
    data_dir: &Path,
    now: DateTime<Utc>,
) -> Result<(
    matchday_observe::monitoring::records::QualitySummary,
    String,
)> {
    let work = WorkDir::new(data_dir)?;
    let card = ModelCard::from_json(std::str::from_utf8(
        &work.read(workdir::MODEL_CARD, "train")?,
    )?)
    .context("model_card.json is corrupt")?;
    let meta: serde_json::Value =
        serde_json::from_slice(&work.read(workdir::PREDICTIONS_META, "predict")?)?;
    let computed_at = meta["predictions_computed_at"].as_str().unwrap_or_default();
    let predictions = artifacts::read_predictions(
        work.read(artifacts::PREDICTIONS, "predict")?.into(),
        computed_at,
    )?;
    let store = matchday_data::Store::open(data_dir)
        .with_context(|| format!("opening the store in {}", data_dir.display()))?;
    let results: HashMap<i64, Match> = store.matches()?.into_iter().map(|m| (m.id, m)).collect();
    let market = market_forecasts(&store.odds()?, ImpliedMethod::default());
    let trained_as_of = card.data_window.as_of;
    let mut scored = Vec::new();
    let mut unscored = 0;
    for p in &predictions {
        let Some(m) = results.get(&p.match_id) else {
            continue;
        };
        if m.kickoff <= trained_as_of || m.kickoff > now {
            continue; // seen in training, or not played yet
        }
        let Some(score) = m.score else {
            unscored += 1; // kicked off but no result known (yet)
            continue;
        };
        let q = &p.probabilities;
        scored.push(ScoredMatch {
            match_id: p.match_id,
            kickoff: format_time(m.kickoff),
            model: [q.home_win, q.draw, q.away_win],
            outcome: score.class(),
            market: market.get(&p.match_id).map(|f| (f.proba, f.source.label())),
        });
    }
    let summary = quality::quality_summary(
        &card.run_id,
        &format_time(trained_as_of),
        &scored,
        unscored,
        &format_time(Utc::now()),
    );
    let html = html::quality_report(&summary, &scored);
    Ok((summary, html))
}

pub fn quality(data_dir: &Path, args: &QualityArgs) -> Result<()> {
    let now = match &args.now {
        Some(raw) => parse_date("now", raw)?,
        None => Utc::now(),
    };
    let (summary, html) = quality_report(data_dir, now)?;
    let json = serde_json::to_vec_pretty(&summary)?;
    write_report(&WorkDir::new(data_dir)?, ReportKind::Quality, &json, &html)?;
    match (&summary.model, &summary.market) {
        (Some(m), market) => {
            println!(
                "quality of {} on {} finished matches: log-loss {:.4} RPS {:.4} Brier {:.4} ECE {:.4} hit {:.1}%",
                summary.model_run_id,
                m.n,
                m.log_loss,
                m.rps,
                m.brier,
                m.ece,
                m.hit_rate * 100.0
            );
            if let Some(c) = market {
                println!(
                    "  with odds ({}): model log-loss {:.4}, bookmaker {:.4}",
                    c.n, c.model.log_loss, c.bookmaker.log_loss
                );
            }
        }
        (None, _) => println!("quality: no match finished since {}", summary.trained_as_of),
    }
    if args.publish {
        publish(
            &args.remote,
            ReportKind::Quality,
            serde_json::to_value(&summary)?,
            html,
        )?;
    }
    Ok(())
}
