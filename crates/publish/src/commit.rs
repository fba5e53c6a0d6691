//! Publishing a data version atomically, and rolling back.
//!
//! Order of writes: every record of the new version, its pointer copy, then
//! the live pointer (the single flip), then the history. A failure before the
//! flip leaves the old version live and the new one unreferenced; garbage
//! collection of a later publish removes it. Readers never need a lock. If
//! another version went live while this one was written, this one is refused
//! (409) at its flip, which is a compare-and-swap over the live pointer it
//! started from: that publish's garbage collection may have taken its keys.
//! A rollback writes the history before it flips, so a failed flip retried
//! steps back once, not twice; its flip is a compare-and-swap too, so it
//! never undoes a publish it did not see. The history is written by
//! compare-and-swap too, by a publish only while its version is still live
//! (a newer publish or a rollback owns it otherwise), and a publish keeps the
//! version it replaced in it, so an overtaken rollback cannot leave the
//! version live before the publish unretained (and garbage-collected).

use crate::artifacts::{self, format_time};
use crate::bundle::Bundle;
use crate::error::ArtifactError;
use crate::market_records::{MarketData, Skipped};
use crate::records::{self, DataSet};
use crate::{links, odds, roi};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use matchday_core::kv::{KvError, KvRead, KvSwap, KvWrite, parse_json, read_json};
use matchday_core::layout::{self, DataPointer};
use std::collections::BTreeSet;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum PublishError {
    /// The upload is wrong; nothing was changed.
    #[error("{0}")]
    Invalid(#[from] ArtifactError),
    /// There is nothing to roll back to.
    #[error("{0}")]
    Conflict(String),
    /// The store failed; the live version is unchanged unless the flip itself
    /// succeeded (then the new version is live and complete).
    #[error(transparent)]
    Store(#[from] KvError),
}

/// What a successful publish did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PublishReport {
    pub version: String,
    pub pointer: DataPointer,
    pub records_written: usize,
    pub versions_removed: Vec<String>,
    /// Housekeeping after the flip that failed (history, garbage
    /// collection). The new version is live and complete regardless; a
    /// failed step is retried by the next publish.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// Odds and links whose match is not in `matches.parquet`: skipped, the
    /// rest is published.
    pub skipped: Skipped,
}

/// Unpacks and validates a bundle: every artifact, and their consistency.
pub fn decode(bundle_bytes: &[u8]) -> Result<DataSet, ArtifactError> {
    let bundle = Bundle::unpack(bundle_bytes)?;
    let computed_at = bundle.manifest.predictions_computed_at.clone();
    let matches =
        artifacts::read_matches(Bytes::copy_from_slice(bundle.file(artifacts::MATCHES)?))?;
    let predictions = artifacts::read_predictions(
        Bytes::copy_from_slice(bundle.file(artifacts::PREDICTIONS)?),
        &computed_at,
    )?;
    let features =
        artifacts::read_features(Bytes::copy_from_slice(bundle.file(artifacts::FEATURES)?))?;
    let optional = |name: &str| bundle.files.get(name).map(|b| Bytes::copy_from_slice(b));
    let odds = optional(odds::ODDS).map(odds::read).transpose()?;
    let links = optional(links::LINKS).map(links::read).transpose()?;
    let roi = optional(roi::ROI).map(roi::read).transpose()?;
    let trained = bundle
        .files
        .get(artifacts::TRAINED_MATCHES)
        .map(|bytes| artifacts::read_trained(bytes, &bundle.manifest.model_run_id))
        .transpose()?;
    let known: BTreeSet<i64> = matches.iter().map(|m| m.match_id).collect();
    let market = MarketData::restrict_to(
        odds.unwrap_or_default(),
        links.unwrap_or_default(),
        roi.unwrap_or_default(),
        &known,
    );
    let data = DataSet {
        manifest: bundle.manifest,
        matches,
        predictions,
        features,
        market,
        trained,
    };
    data.check_consistency()?;
    Ok(data)
}

/// A version id that sorts by publish time: `20261123T113000123-1a2b3c4d`.
pub fn version_id(now: DateTime<Utc>, bundle_bytes: &[u8]) -> String {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in bundle_bytes {
        hash = (hash ^ u32::from(*byte)).wrapping_mul(0x0100_0193);
    }
    format!("{}-{hash:08x}", now.format("%Y%m%dT%H%M%S%3f"))
}

/// The retained history as stored (what a compare-and-swap of it compares
/// against) and decoded.
async fn read_history(kv: &impl KvRead) -> Result<(Option<Vec<u8>>, Vec<String>), KvError> {
    let raw = kv.get(layout::HISTORY).await?;
    let history = match &raw {
        Some(raw) => parse_json(layout::HISTORY, raw)?,
        None => Vec::new(),
    };
    Ok((raw, history))
}

fn to_json<T: serde::Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_default()
}

/// Validates `bundle_bytes`, writes them as a new version and makes it live.
pub async fn publish(
    kv: &(impl KvWrite + KvSwap),
    bundle_bytes: &[u8],
    now: DateTime<Utc>,
) -> Result<PublishReport, PublishError> {
    let data = decode(bundle_bytes)?;
    let version = version_id(now, bundle_bytes);
    let built = records::build(&version, &data, &format_time(now))?;
    // What is live as this publish starts. Another publish that goes live
    // while this one writes (a retry after a client timeout, two operators)
    // may also have collected this one's half-written keys as garbage: this
    // one must then not flip to them.
    let live_at_start = kv.get(layout::CURRENT).await?;
    for (key, value) in &built.records {
        kv.set(key, value).await?;
    }
    let pointer_json = to_json(&built.pointer);
    kv.set(&layout::pointer_key(&version), &pointer_json)
        .await?;
    // The flip, only over the pointer this publish started from.
    if !kv
        .swap_if(layout::CURRENT, live_at_start.as_deref(), &pointer_json)
        .await?
    {
        return Err(PublishError::Conflict(
            "another version went live while this one was being written; nothing changed \
             (the live version keeps serving): publish again"
                .into(),
        ));
    }

    // From here on the new version is live: a failure below must not be
    // reported as a failed publish.
    let mut warnings = Vec::new();
    let replaced = live_at_start
        .as_deref()
        .and_then(|raw| serde_json::from_slice::<DataPointer>(raw).ok())
        .map(|p| p.version);
    let history = match record_history(kv, &version, &pointer_json, replaced.as_deref()).await {
        Ok(Some(history)) => Some(history),
        Ok(None) => {
            warnings.push(
                "another version went live right after this one and keeps the history; \
                 this publish changed neither the history nor the retained versions"
                    .into(),
            );
            None
        }
        Err(err) => {
            warnings.push(format!(
                "history not updated ({err}); rollback still finds the previous version"
            ));
            None
        }
    };
    let mut versions_removed = Vec::new();
    if let Some(history) = history {
        match collect_garbage(kv, &history, &version).await {
            Ok(removed) => versions_removed = removed,
            Err(err) => warnings.push(format!(
                "old versions not removed ({err}); the next publish retries"
            )),
        }
    }
    Ok(PublishReport {
        version,
        pointer: built.pointer,
        records_written: built.records.len() + 3,
        versions_removed,
        warnings,
        skipped: data.market.skipped.clone(),
    })
}

/// Attempts at the history's compare-and-swap before giving up (the
/// publish still succeeded; the next one records its history).
const HISTORY_ATTEMPTS: usize = 4;

/// Puts `version` first in the retained history, and the version it
/// replaced right after it if the history lacks it (a rollback overtaken by
/// this publish may just have taken it out, and the version live before a
/// publish is the one its rollback returns to). Only while `version` is
/// still live (`None` otherwise: the publish or rollback that moved the
/// pointer on owns the history), and as a compare-and-swap, so a history
/// written meanwhile by another writer is read again, never overwritten.
async fn record_history(
    kv: &(impl KvWrite + KvSwap),
    version: &str,
    pointer_json: &[u8],
    replaced: Option<&str>,
) -> Result<Option<Vec<String>>, PublishError> {
    for _ in 0..HISTORY_ATTEMPTS {
        if kv.get(layout::CURRENT).await?.as_deref() != Some(pointer_json) {
            return Ok(None);
        }
        let (raw, mut history) = read_history(kv).await?;
        history.retain(|v| v != version);
        if let Some(replaced) = replaced
            && !history.iter().any(|v| v == replaced)
            && kv.get(&layout::pointer_key(replaced)).await?.is_some()
        {
            history.insert(0, replaced.to_string());
        }
        history.insert(0, version.to_string());
        history.truncate(layout::RETAINED_VERSIONS);
        if kv
            .swap_if(layout::HISTORY, raw.as_deref(), &to_json(&history))
            .await?
        {
            return Ok(Some(history));
        }
    }
    Err(PublishError::Conflict(format!(
        "the history changed under {HISTORY_ATTEMPTS} attempts to record it"
    )))
}

/// Deletes every version older than `newest` that is not retained: old
/// versions beyond the history and versions whose publish never committed.
/// Newer ones are left alone: they may be a publish still in flight.
async fn collect_garbage(
    kv: &impl KvWrite,
    retained: &[String],
    newest: &str,
) -> Result<Vec<String>, KvError> {
    let live = kv
        .get(layout::CURRENT)
        .await?
        .and_then(|raw| serde_json::from_slice::<DataPointer>(&raw).ok())
        .map(|p| p.version);
    let keys = kv.keys_with_prefix("data/v/").await?;
    let mut removed = BTreeSet::new();
    for key in &keys {
        let Some(version) = layout::version_of_key(key) else {
            continue;
        };
        let keep = retained.iter().any(|r| r == version)
            || live.as_deref() == Some(version)
            || version >= newest;
        if !keep {
            kv.delete(key).await?;
            removed.insert(version.to_string());
        }
    }
    Ok(removed.into_iter().collect())
}

/// Makes the version published before the live one live again.
///
/// The flip is a compare-and-swap over the live pointer the rollback read, as
/// a publish's is: a publish that goes live meanwhile is not silently undone.
pub async fn rollback(kv: &(impl KvWrite + KvSwap)) -> Result<DataPointer, PublishError> {
    let current_raw = kv
        .get(layout::CURRENT)
        .await?
        .ok_or_else(|| PublishError::Conflict("nothing is published".into()))?;
    let current: DataPointer = parse_json(layout::CURRENT, &current_raw)?;
    let (history_raw, mut history) = read_history(kv).await?;
    let position = history.iter().position(|v| v == &current.version);
    let target = match position {
        Some(i) => history.get(i + 1),
        None => history.first(),
    }
    .cloned()
    .ok_or_else(|| PublishError::Conflict("no earlier version is retained".into()))?;
    let pointer: DataPointer = read_json(kv, &layout::pointer_key(&target))
        .await?
        .ok_or_else(|| PublishError::Conflict(format!("version {target} is no longer stored")))?;
    // The history first: if the flip then fails, the rolled-back version is
    // still live and no longer in the history, so a retry picks the same
    // target (the first retained version) instead of stepping back twice.
    history.retain(|v| v != &current.version);
    let history_json = to_json(&history);
    if !kv
        .swap_if(layout::HISTORY, history_raw.as_deref(), &history_json)
        .await?
    {
        return Err(PublishError::Conflict(
            "the history changed while rolling back (a publish or another rollback); \
             nothing was rolled back: try again"
                .into(),
        ));
    }
    if !kv
        .swap_if(layout::CURRENT, Some(&current_raw), &to_json(&pointer))
        .await?
    {
        // Another version went live: it keeps serving, and the version this
        // rollback took out of the history goes back in (unless the history
        // changed again meanwhile, in which case it is the newer writer's).
        if let Some(original) = &history_raw {
            kv.swap_if(layout::HISTORY, Some(&history_json), original)
                .await?;
        }
        return Err(PublishError::Conflict(
            "another version went live while rolling back; nothing was rolled back \
             (the new version keeps serving)"
                .into(),
        ));
    }
    Ok(pointer)
}

/// The live version and the retained ones, newest first.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Versions {
    pub current: Option<DataPointer>,
    pub retained: Vec<DataPointer>,
}

pub async fn versions(kv: &impl KvWrite) -> Result<Versions, KvError> {
    let current = read_json(kv, layout::CURRENT).await?;
    let history: Vec<String> = read_json(kv, layout::HISTORY).await?.unwrap_or_default();
    let mut retained = Vec::new();
    for version in history {
        if let Some(p) = read_json(kv, &layout::pointer_key(&version)).await? {
            retained.push(p);
        }
    }
    Ok(Versions { current, retained })
}
