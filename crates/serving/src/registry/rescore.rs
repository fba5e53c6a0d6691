//! The promotion gate's like-for-like evidence.
//!
//! Each card reports a log-loss on its own test split, and two versions
//! with different split dates were tested on different matches. So before
//! judging, the gate scores both models on the same matches: the finished
//! matches of the live data version that kicked off after both training
//! windows ended (neither model has seen them), with the feature records
//! the app serves (a model is judged as it would be served). They come from
//! the version's recent results ([`matchday_core::recent`]), read newest
//! chunk first and only as far back as the later training window.
//!
//! The sidecar's served fit has seen every finished match up to its as-of
//! date, so a model fresh from training has no such match yet. When both
//! versions were uploaded with their holdout fits (the same recipes fitted
//! before their test splits), the gate then scores those instead, on the
//! matches after both holdout windows: the recipes compared on matches
//! neither fit has seen, as the cards' test metrics are, but the same
//! matches for both.

use super::keys;
use crate::card::{ServingCard, day_of};
use crate::features::align_record;
use crate::model::LoadedModel;
use chrono::{DateTime, Utc};
use matchday_core::kv::{KvError, KvRead, read_json};
use matchday_core::layout::{self, DataPointer, Listing};
use matchday_core::recent::{self, RecentResult, RecentResults};
use matchday_core::stats::paired_standard_error;
use serde::Serialize;

/// Fewer common matches than this and the cards' own figures are used.
/// Measured on the real data (2026-12-07, 6,150 common matches), the paired
/// standard error of a log-loss difference was 0.00029 between the logit and
/// the blend and 0.00059 between the trees and the logit: 0.0013 and 0.0027
/// at 300 matches, so the default tolerance (0.01) is 3.7 standard errors
/// or more there, and would be under 2.2 at 100 for the trees. Each
/// re-score reports its own ([`Rescored::difference_standard_error`]).
pub const MIN_MATCHES: usize = 300;

/// Probabilities are clipped here so one confident miss stays finite (the
/// value `matchday-ml`'s metrics use; that crate is native-only).
const LOG_LOSS_EPS: f64 = 1e-15;

/// Which of a version's two fits a re-score runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Fits {
    /// `model.onnx`, what requests are served by, after `train_to`.
    Served,
    /// `holdout_model.onnx`, after `holdout_train_to`.
    Holdout,
}

impl Fits {
    fn trained_to(self, card: &ServingCard) -> Option<DateTime<Utc>> {
        match self {
            Fits::Served => card.trained_to(),
            Fits::Holdout => card.holdout_trained_to(),
        }
    }

    fn window(self) -> &'static str {
        match self {
            Fits::Served => "data_window.train_to",
            Fits::Holdout => "data_window.holdout_train_to",
        }
    }

    /// How messages name the two windows.
    pub fn windows(self) -> &'static str {
        match self {
            Fits::Served => "training windows",
            Fits::Holdout => "holdout fits' training windows",
        }
    }

    fn file(self) -> &'static str {
        match self {
            Fits::Served => "ONNX file",
            Fits::Holdout => "holdout fit (holdout_model.onnx)",
        }
    }

    fn onnx_key(self, version: u64) -> String {
        match self {
            Fits::Served => keys::onnx_key(version),
            Fits::Holdout => keys::holdout_onnx_key(version),
        }
    }
}

/// Both models' log-loss on the same finished matches.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rescored {
    /// The served models, or (when those have no common unseen matches)
    /// their holdout fits.
    pub fits: Fits,
    pub candidate_log_loss: f64,
    pub champion_log_loss: f64,
    /// Standard error of the candidate's log-loss minus the champion's,
    /// paired per match: how much of the gap chance could explain.
    pub difference_standard_error: f64,
    pub matches: usize,
    pub first_kickoff: String,
    pub last_kickoff: String,
    pub data_version: String,
}

/// Scores `candidate` and `champion` on their common unseen matches: the
/// served models, else their holdout fits. The inner `Err` says why neither
/// is possible (the gate then falls back on the cards and shows the
/// reason). Only a store failure is an error.
pub async fn rescore(
    kv: &impl KvRead,
    candidate: u64,
    champion: u64,
) -> Result<Result<Rescored, String>, KvError> {
    // Only too few common matches sends the gate to the holdout fits: a
    // served model that fails, or data that cannot be read, is reported.
    let too_few = match rescore_fits(kv, candidate, champion, Fits::Served).await? {
        Ok(rescored) => return Ok(Ok(rescored)),
        Err(Unscored::TooFew(why)) => why,
        Err(Unscored::Other(why)) => return Ok(Err(why)),
    };
    Ok(rescore_fits(kv, candidate, champion, Fits::Holdout)
        .await?
        .map_err(|why| format!("{too_few}; nor their holdout fits: {}", why.text())))
}

/// Why two fits could not be re-scored.
enum Unscored {
    /// Fewer than [`MIN_MATCHES`] finished matches after both windows.
    TooFew(String),
    /// Anything else: a missing file or window, unreadable data, a model
    /// that fails on a match.
    Other(String),
}

impl Unscored {
    fn text(self) -> String {
        match self {
            Unscored::TooFew(why) | Unscored::Other(why) => why,
        }
    }
}

async fn rescore_fits(
    kv: &impl KvRead,
    candidate: u64,
    champion: u64,
    fits: Fits,
) -> Result<Result<Rescored, Unscored>, KvError> {
    let other = |why: String| Ok(Err(Unscored::Other(why)));
    let mut cards = Vec::with_capacity(2);
    for version in [candidate, champion] {
        let Some(bytes) = kv.get(&keys::card_key(version)).await? else {
            return other(format!("the card of version {version} is missing"));
        };
        let trained_to = ServingCard::parse(&bytes)
            .ok()
            .and_then(|c| fits.trained_to(&c));
        let Some(trained_to) = trained_to else {
            return other(format!(
                "the card of version {version} does not say when its training data ends ({})",
                fits.window()
            ));
        };
        cards.push((version, bytes, trained_to));
    }
    let after = cards.iter().map(|c| c.2).max().unwrap_or_default();

    let Some(pointer) = read_json::<DataPointer>(kv, layout::CURRENT).await? else {
        return other("no data version is live".into());
    };
    let Some(recent) = &pointer.recent_results else {
        return other(format!(
            "data version {} was published without recent results (publish the data again)",
            pointer.version
        ));
    };
    let results = match results_after(kv, &pointer.version, recent, after).await? {
        Ok(results) => results,
        Err(why) => return other(why),
    };
    if results.len() < MIN_MATCHES {
        return Ok(Err(Unscored::TooFew(format!(
            "data version {} has {} finished matches after both {} (after {}), fewer than the {MIN_MATCHES} a re-score needs",
            pointer.version,
            results.len(),
            fits.windows(),
            after.format("%Y-%m-%d")
        ))));
    }

    let mut losses = Vec::with_capacity(2);
    for (version, card, _) in &cards {
        let Some(onnx) = kv.get(&fits.onnx_key(*version)).await? else {
            return other(format!(
                "the {} of version {version} is missing",
                fits.file()
            ));
        };
        // A holdout fit is fed as its served model is, a missing input
        // filled with the card's value (the served fit's training mean of
        // that input; the holdout's own is on no card): a constant from
        // features known before kick-off, no result, and the same
        // treatment for both versions.
        let scored = LoadedModel::load(*version, &onnx, card)
            .and_then(|model| match_log_losses(&model, &results));
        match scored {
            Ok(value) => losses.push(value),
            Err(why) => return other(why),
        }
    }
    let mean = |l: &[f64]| l.iter().sum::<f64>() / l.len().max(1) as f64;
    let day = |r: &RecentResult| day_of(&r.kickoff).to_string();
    Ok(Ok(Rescored {
        fits,
        candidate_log_loss: mean(&losses[0]),
        champion_log_loss: mean(&losses[1]),
        difference_standard_error: paired_standard_error(&losses[0], &losses[1]),
        matches: results.len(),
        first_kickoff: results.first().map(day).unwrap_or_default(),
        last_kickoff: results.last().map(day).unwrap_or_default(),
        data_version: pointer.version,
    }))
}

/// The recent results that kicked off after `after`, oldest first. Chunks
/// are in kick-off order, so reading stops at the first chunk that starts
/// at or before `after`.
async fn results_after(
    kv: &impl KvRead,
    version: &str,
    recent: &RecentResults,
    after: DateTime<Utc>,
) -> Result<Result<Vec<RecentResult>, String>, KvError> {
    let is_after = |r: &RecentResult| {
        DateTime::parse_from_rfc3339(&r.kickoff).is_ok_and(|t| t.to_utc() > after)
    };
    let mut newest_first: Vec<Vec<RecentResult>> = Vec::new();
    for chunk in (0..recent.chunks()).rev() {
        let key = layout::chunk_key(version, &Listing::RecentResults, chunk);
        let Some(bytes) = kv.get(&key).await? else {
            return Ok(Err(format!("{key} is missing")));
        };
        let decoded = match recent::decode_chunk(chunk, &bytes) {
            Ok(decoded) => decoded,
            Err(why) => return Ok(Err(why)),
        };
        let reached_the_window = decoded.first().is_none_or(|r| !is_after(r));
        newest_first.push(decoded.into_iter().filter(is_after).collect());
        if reached_the_window {
            break;
        }
    }
    Ok(Ok(newest_first.into_iter().rev().flatten().collect()))
}

/// Each result's negative log-probability, the model fed as `/predict/{id}`
/// feeds it.
fn match_log_losses(model: &LoadedModel, results: &[RecentResult]) -> Result<Vec<f64>, String> {
    let mut losses = Vec::with_capacity(results.len());
    for result in results {
        let row = align_record(result.features.get().as_bytes(), model)?;
        let p = model.predict(row).map_err(|e| {
            format!(
                "version {} failed on match {}: {e}",
                model.version, result.match_id
            )
        })?;
        losses.push(-p[usize::from(result.outcome)].max(LOG_LOSS_EPS).ln());
    }
    Ok(losses)
}
