//! `matchday features | train | predict | pipeline`.
//!
//! `features` fixes the run's settings (as-of date, split) in the work dir;
//! `train` and `predict` read them back, so the three steps always agree.

use crate::progress;
use crate::workdir::{self, WorkDir};
use anyhow::{Context, Result, bail};
use chrono::{DateTime, NaiveDate, Utc};
use matchday_core::domain::Match;
use matchday_core::leagues;
use matchday_core::types::{
    MatchStatus, MatchSummary, Outcome, PrecomputedPrediction, Probabilities,
};
use matchday_core::window::TrainedMatches;
use matchday_data::Store;
use matchday_ml::card::ModelCard;
use matchday_ml::pipeline::{self, PipelineConfig};
use matchday_ml::split::{default_split, is_future};
use matchday_publish::artifacts::{self, FeatureRow, FeatureTable, format_time};
use std::collections::HashMap;
use std::path::Path;

#[derive(clap::Args, Clone, Default)]
pub struct PipelineArgs {
    /// Treat this date (YYYY-MM-DD, or RFC 3339) as "now": later matches are
    /// upcoming and their results are not used. Default: 2023-04-01.
    #[arg(long)]
    pub as_of: Option<String>,
    /// First kick-off of the test split (YYYY-MM-DD). Default: 1 July of the
    /// season before the as-of date's, so the test split is the last two
    /// seasons (2021-07-01 for the default as-of date).
    #[arg(long)]
    pub split: Option<String>,
}

#[derive(clap::Args, Clone, Default)]
pub struct TrainArgs {
    /// Train only this candidate of the pipeline's list (e.g. `gbdt`), with
    /// no selection: to measure or serve a model the selection would not
    /// choose.
    #[arg(long)]
    pub candidate: Option<String>,
    /// Write model.onnx, holdout_model.onnx, model_card.json and
    /// trained_matches.json here instead of the work directory (whose model
    /// and drift reference then stay as they are). A model copied into the
    /// work directory needs its trained_matches.json too, or `predict`
    /// flags nothing.
    #[arg(long)]
    pub out: Option<std::path::PathBuf>,
}

fn parse_date(name: &str, raw: &str) -> Result<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Ok(t.with_timezone(&Utc));
    }
    let day = NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .with_context(|| format!("--{name} must be YYYY-MM-DD or RFC 3339, got `{raw}`"))?;
    Ok(day.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc())
}

impl PipelineArgs {
    fn config(&self) -> Result<PipelineConfig> {
        let mut config = PipelineConfig::default();
        if let Some(raw) = &self.as_of {
            config.as_of = parse_date("as-of", raw)?;
        }
        config.split_date = match &self.split {
            Some(raw) => parse_date("split", raw)?,
            None => default_split(config.as_of),
        };
        if config.split_date >= config.as_of {
            bail!(
                "the split date ({}) must be before the as-of date ({})",
                config.split_date.date_naive(),
                config.as_of.date_naive()
            );
        }
        Ok(config)
    }
}

fn open_store(data_dir: &Path) -> Result<Store> {
    let store = Store::open(data_dir)
        .with_context(|| format!("opening the store in {}", data_dir.display()))?;
    if store.counts()?.matches == 0 {
        bail!(
            "the store in {} is empty: run `matchday ingest football-data <dir>` first",
            data_dir.display()
        );
    }
    Ok(store)
}

fn load_config(work: &WorkDir) -> Result<PipelineConfig> {
    let raw = work.read(workdir::PIPELINE_CONFIG, "features")?;
    serde_json::from_slice(&raw).context("pipeline.json is corrupt; run `matchday features` again")
}

/// The published view of a match as of `as_of`: later matches are upcoming
/// and show no score even if the store knows it.
fn summary(m: &Match, as_of: DateTime<Utc>) -> Option<MatchSummary> {
    let league = leagues::league(&m.league);
    let future = is_future(m, as_of);
    let score = if future { None } else { Some(m.score?) }; // a past match without a result is not published
    Some(MatchSummary {
        match_id: m.id,
        start_time_utc: format_time(m.kickoff),
        home_team_id: matchday_core::ids::team_id(&m.home_team),
        home_team_name: m.home_team.clone(),
        away_team_id: matchday_core::ids::team_id(&m.away_team),
        away_team_name: m.away_team.clone(),
        league: m.league.clone(),
        tournament: league.map_or(m.league.as_str(), |l| l.name).to_string(),
        region: league.map_or("Other", |l| l.region).to_string(),
        season: m.season.clone(),
        status: if future {
            MatchStatus::Upcoming
        } else {
            MatchStatus::Finished
        },
        home_score: score.map(|s| s.home),
        away_score: score.map(|s| s.away),
    })
}

pub fn features(data_dir: &Path, args: &PipelineArgs) -> Result<()> {
    let config = args.config()?;
    let work = WorkDir::new(data_dir)?;
    let store = open_store(data_dir)?;
    let (matches, stats) = (store.matches()?, store.match_stats()?);
    let spinner = progress::spinner("features");
    let table =
        matchday_ml::features::build_features(&matches, &stats, config.as_of, &config.features)?;
    let summaries: Vec<MatchSummary> = matches
        .iter()
        .filter_map(|m| summary(m, config.as_of))
        .collect();
    let published: std::collections::HashSet<i64> = summaries.iter().map(|m| m.match_id).collect();
    let features = FeatureTable {
        names: table.names.clone(),
        rows: table
            .match_ids
            .iter()
            .zip(&table.rows)
            .filter(|(id, _)| published.contains(id))
            .map(|(id, row)| FeatureRow {
                match_id: *id,
                values: row.iter().map(|v| v.is_finite().then_some(*v)).collect(),
            })
            .collect(),
    };
    work.write(artifacts::MATCHES, &artifacts::write_matches(&summaries)?)?;
    work.write(artifacts::FEATURES, &artifacts::write_features(&features)?)?;
    work.write(
        workdir::PIPELINE_CONFIG,
        serde_json::to_string_pretty(&config)?.as_bytes(),
    )?;
    spinner.finish_and_clear();
    let upcoming = summaries
        .iter()
        .filter(|m| m.status == MatchStatus::Upcoming)
        .count();
    println!(
        "features: {} matches ({} upcoming as of {}) × {} features [{}] → {}",
        summaries.len(),
        upcoming,
        config.as_of.date_naive(),
        table.names.len(),
        table.names.join(", "),
        work.path(artifacts::FEATURES).display()
    );
    if summaries.len() < matches.len() {
        eprintln!(
            "note: {} past matches without a result are not published",
            matches.len() - summaries.len()
        );
    }
    Ok(())
}

pub fn train(data_dir: &Path, args: &TrainArgs) -> Result<()> {
    let work = WorkDir::new(data_dir)?;
    let mut config = load_config(&work)?;
    if let Some(name) = &args.candidate {
        let names: Vec<&str> = config.candidates.iter().map(|c| c.name.as_str()).collect();
        if !names.contains(&name.as_str()) {
            bail!("no candidate `{name}`; the pipeline's candidates are {names:?}");
        }
        config.candidates.retain(|c| c.name == *name);
    }
    let store = open_store(data_dir)?;
    let (matches, odds, stats) = (store.matches()?, store.odds()?, store.match_stats()?);
    let spinner = progress::spinner("train");
    let output = pipeline::run(&matches, &odds, &stats, &config, &mut |event| {
        spinner.println(format!(
            "  {:<9} {:>7.3}s  {}",
            event.stage.as_str(),
            event.elapsed.as_secs_f64(),
            event.detail
        ));
    })?;
    spinner.finish_and_clear();
    let target = match &args.out {
        Some(dir) => WorkDir::at(dir)?,
        None => {
            let reference = super::monitor::training_reference(&output, &matches)?;
            work.write(workdir::DRIFT_REFERENCE, &serde_json::to_vec(&reference)?)?;
            work
        }
    };
    let model = target.write(workdir::MODEL, &output.onnx_bytes)?;
    target.write(workdir::HOLDOUT_MODEL, &output.holdout_onnx_bytes)?;
    target.write(artifacts::TRAINED_MATCHES, &output.trained.to_json())?;
    let card = target.write(workdir::MODEL_CARD, output.card.to_json().as_bytes())?;
    println!("{}", output.report);
    println!("model → {} (card {})", model.display(), card.display());
    Ok(())
}

/// Renormalised f64 probabilities and their argmax.
fn outcome(p: [f32; 3]) -> ([f64; 3], Outcome) {
    let sum: f64 = p.iter().map(|x| f64::from(*x)).sum();
    let p = p.map(|x| f64::from(x) / sum);
    let best = (0..3).fold(0, |best, i| if p[i] > p[best] { i } else { best });
    (p, Outcome::from_class_index(best as i64).expect("0..3"))
}

/// For each batch row, whether the fit forecasting it (the served one for
/// upcoming rows, the holdout one for the rest) was trained on its result,
/// by the run's lists.
///
/// Read by match id, not from the features' as-of date, since `features`
/// may have been re-run without retraining (another league imported, an
/// earlier as-of date): an id names the same match in any store.
fn trained_on(trained: &TrainedMatches, ids: &[i64], upcoming: &[bool]) -> Vec<bool> {
    ids.iter()
        .zip(upcoming)
        .map(|(&id, &is_upcoming)| {
            if is_upcoming {
                trained.served_learned(id)
            } else {
                trained.holdout_learned(id)
            }
        })
        .collect()
}

/// The lists of training matches `train` wrote in the work directory, with
/// their bytes: `None` when there are none (a work directory trained before
/// they existed, a model copied in without them), an error when the file
/// does not parse. Callers compare its run with the one they serve.
pub(crate) fn training_lists(work: &WorkDir) -> Result<Option<(Vec<u8>, TrainedMatches)>> {
    if !work.path(artifacts::TRAINED_MATCHES).exists() {
        return Ok(None);
    }
    let bytes = work.read(artifacts::TRAINED_MATCHES, "train")?;
    let lists = TrainedMatches::from_json(&bytes).map_err(|e| {
        anyhow::anyhow!(
            "{}: {e} (run `matchday train` again)",
            work.path(artifacts::TRAINED_MATCHES).display()
        )
    })?;
    Ok(Some((bytes, lists)))
}

/// The lists of the model of run `run_id`, or why there are none to use.
fn lists_of(work: &WorkDir, run_id: &str) -> std::result::Result<TrainedMatches, String> {
    match training_lists(work) {
        Ok(Some((_, lists))) if lists.run_id == run_id => Ok(lists),
        Ok(Some((_, lists))) => Err(format!(
            "{} is of run `{}`, not the model's `{run_id}`",
            artifacts::TRAINED_MATCHES,
            lists.run_id
        )),
        Ok(None) => Err(format!(
            "no {} beside the model",
            artifacts::TRAINED_MATCHES
        )),
        Err(e) => Err(format!("{e:#}")),
    }
}

pub fn predict(data_dir: &Path) -> Result<()> {
    let work = WorkDir::new(data_dir)?;
    let card = ModelCard::from_json(std::str::from_utf8(
        &work.read(workdir::MODEL_CARD, "train")?,
    )?)
    .context("model_card.json is corrupt")?;
    let matches = artifacts::read_matches(work.read(artifacts::MATCHES, "features")?.into())?;
    let features = artifacts::read_features(work.read(artifacts::FEATURES, "features")?.into())?;

    // Align the published feature columns to the card's input order; a missing
    // value is filled with the card's training mean, as serving does.
    let names: Vec<String> = card.features.iter().map(|f| f.name.clone()).collect();
    let columns: Vec<usize> = names
        .iter()
        .map(|n| {
            features.names.iter().position(|c| c == n).with_context(|| {
                format!("feature `{n}` of the model is not in match_features.parquet")
            })
        })
        .collect::<Result<_>>()?;
    if features.rows.is_empty() {
        bail!("match_features.parquet has no rows");
    }
    let row = |i: usize, fill: &[f64]| -> Vec<f32> {
        let values = &features.rows[i].values;
        columns
            .iter()
            .zip(fill)
            .map(|(&c, &f)| values[c].unwrap_or(f) as f32)
            .collect()
    };

    let by_id: HashMap<i64, &MatchSummary> = matches.iter().map(|m| (m.match_id, m)).collect();
    let summaries: Vec<&MatchSummary> = features
        .rows
        .iter()
        .map(|row| {
            by_id.get(&row.match_id).copied().with_context(|| {
                format!(
                    "match {} has features but is not in matches.parquet",
                    row.match_id
                )
            })
        })
        .collect::<Result<_>>()?;
    // A finished match is forecast by the holdout fit, as it was before its
    // kick-off for the test split (which the ROI reads); an
    // upcoming one by the served fit, as `GET /predict/{id}` forecasts it.
    let upcoming: Vec<bool> = summaries
        .iter()
        .map(|m| m.status == MatchStatus::Upcoming)
        .collect();
    // The served fit's missing values get the card's fill, as serving does;
    // the holdout fit's stay NaN for its graph to fill with its own
    // training means (the pipeline exports it so).
    let served_fill = card.fill_values();
    let holdout_fill = vec![f64::NAN; names.len()];
    let spinner = progress::spinner("predict");
    let mut probabilities = vec![[0.0f32; 3]; upcoming.len()];
    for (file, fill, for_upcoming) in [
        (workdir::MODEL, &served_fill, true),
        (workdir::HOLDOUT_MODEL, &holdout_fill, false),
    ] {
        let picked: Vec<usize> = (0..upcoming.len())
            .filter(|&i| upcoming[i] == for_upcoming)
            .collect();
        if picked.is_empty() {
            continue;
        }
        let onnx = work.read(file, "train")?;
        let batch: Vec<Vec<f32>> = picked.iter().map(|&i| row(i, fill)).collect();
        let classifier = matchday_inference::load(&onnx, &names, batch.len())?;
        for (&i, p) in picked.iter().zip(classifier.predict(&batch)?) {
            probabilities[i] = p;
        }
    }
    spinner.finish_and_clear();

    let computed_at = format_time(Utc::now());
    let ids: Vec<i64> = summaries.iter().map(|m| m.match_id).collect();
    let trained_on: Vec<Option<bool>> = match lists_of(&work, &card.run_id) {
        Ok(lists) => trained_on(&lists, &ids, &upcoming)
            .into_iter()
            .map(Some)
            .collect(),
        Err(why) => {
            eprintln!(
                "warning: {why}: no forecast is marked in or out of sample; run `matchday train` again"
            );
            vec![None; ids.len()]
        }
    };
    let mut predictions = Vec::with_capacity(upcoming.len());
    for (((m, p), &is_upcoming), trained) in summaries
        .into_iter()
        .zip(probabilities)
        .zip(&upcoming)
        .zip(&trained_on)
    {
        let (p, predicted) = outcome(p);
        predictions.push(PrecomputedPrediction {
            match_id: m.match_id,
            probabilities: Probabilities {
                home_win: p[0],
                draw: p[1],
                away_win: p[2],
            },
            predicted_class: predicted,
            is_future: is_upcoming,
            start_time_utc: m.start_time_utc.clone(),
            home_team_name: m.home_team_name.clone(),
            away_team_name: m.away_team_name.clone(),
            model_run_id: card.run_id.clone(),
            model_stage: "champion".to_string(),
            predictions_computed_at: computed_at.clone(),
            out_of_sample: trained.map(|t| !t),
        });
    }
    work.write(
        artifacts::PREDICTIONS,
        &artifacts::write_predictions(&predictions)?,
    )?;
    let meta = serde_json::json!({ "predictions_computed_at": computed_at, "model_run_id": card.run_id, "rows": predictions.len() });
    work.write(
        workdir::PREDICTIONS_META,
        serde_json::to_string_pretty(&meta)?.as_bytes(),
    )?;
    let future = predictions.iter().filter(|p| p.is_future).count();
    let in_sample = predictions
        .iter()
        .filter(|p| p.out_of_sample == Some(false))
        .count();
    println!(
        "predict: {} predictions ({future} upcoming; {in_sample} in sample: forecast by a fit trained on their results) with {} → {}",
        predictions.len(),
        card.run_id,
        work.path(artifacts::PREDICTIONS).display()
    );
    Ok(())
}

pub fn all(data_dir: &Path, args: &PipelineArgs) -> Result<()> {
    let started = std::time::Instant::now();
    features(data_dir, args)?;
    train(data_dir, &TrainArgs::default())?;
    predict(data_dir)?;
    // The market artifacts of the same run: prices of the card window and
    // the ROI of the predictions just made.
    crate::commands::market::odds(data_dir, &Default::default())?;
    crate::commands::market::roi(data_dir, &Default::default())?;
    println!("pipeline: {:.1}s", started.elapsed().as_secs_f64());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(as_of: Option<&str>, split: Option<&str>) -> Result<PipelineConfig> {
        PipelineArgs {
            as_of: as_of.map(str::to_string),
            split: split.map(str::to_string),
        }
        .config()
    }

    #[test]
    fn the_split_follows_the_as_of_date_unless_given() {
        let day = |raw| parse_date("test", raw).unwrap();
        assert_eq!(config(None, None).unwrap(), PipelineConfig::default());
        assert_eq!(config(None, None).unwrap().split_date, day("2021-07-01"));
        assert_eq!(
            config(Some("2026-04-01"), None).unwrap().split_date,
            day("2024-07-01")
        );
        let given = config(Some("2023-04-01"), Some("2022-07-01")).unwrap();
        assert_eq!(given.split_date, day("2022-07-01"));
        assert!(config(Some("2023-04-01"), Some("2023-05-01")).is_err());
    }

    #[test]
    fn rows_are_marked_by_the_fit_that_forecast_them_from_the_runs_lists() {
        let lists = TrainedMatches::new("run-a".into(), vec![2, 3, 4, 7], vec![2]);
        // 1: the burn-in, no fit's; 2: the holdout fit's (and the served
        // one's); 3, 4: the served fit's only; 5: not in the store `train`
        // read (a league imported since); 6: upcoming.
        let upcoming = [false, false, false, false, false, true];
        let marked = trained_on(&lists, &[1, 2, 3, 4, 5, 6], &upcoming);
        assert_eq!(marked, [false, true, false, false, false, false]);
        // Features built for an as-of date before the card's: an "upcoming"
        // row the served fit trained on is in sample.
        assert!(trained_on(&lists, &[1, 2, 3, 4, 5, 7], &upcoming)[5]);
    }

    #[test]
    fn lists_missing_corrupt_or_of_another_run_are_a_reason_not_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let work = WorkDir::new(dir.path()).unwrap();
        let why = lists_of(&work, "run-a").unwrap_err();
        assert_eq!(why, "no trained_matches.json beside the model");
        let lists = TrainedMatches::new("run-a".into(), vec![2], vec![2]);
        work.write(artifacts::TRAINED_MATCHES, &lists.to_json())
            .unwrap();
        assert_eq!(lists_of(&work, "run-a"), Ok(lists));
        let why = lists_of(&work, "run-b").unwrap_err();
        assert_eq!(
            why,
            "trained_matches.json is of run `run-a`, not the model's `run-b`"
        );
        work.write(artifacts::TRAINED_MATCHES, b"{").unwrap();
        let why = lists_of(&work, "run-a").unwrap_err();
        assert!(why.contains("trained matches are corrupt"), "{why}");
    }
}
