//! Registry operations: publish a version, move an alias (with the promotion
//! gate), roll an alias back, list.
//!
//! Write order makes every failure harmless: a version's files, then the
//! index that registers it, then (separately) any alias pointer. A publish
//! cut short leaves at most unreferenced files of an unregistered version;
//! a failed alias write leaves the alias where it was.
//!
//! Registry writes assume one operator at a time (the sidecar), like data
//! publishes: two publishes racing could pick the same version number. The
//! version's files are checked to be absent before they are written, which
//! narrows that window to the two writes themselves.

use super::keys::{self, Alias};
use super::rescore::{self, Fits, Rescored};
use super::{
    ALIAS_HISTORY, AliasPointer, RegistryIndex, VersionEntry, read_alias, read_index, sha256_hex,
};
use crate::card::ServingCard;
use crate::upload::ModelUpload;
use crate::validate;
use matchday_core::kv::{KvError, KvRead, KvWrite};
use serde::Serialize;
use std::collections::BTreeMap;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum RegistryError {
    /// The upload or request is wrong; nothing was changed.
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    NotFound(String),
    /// The operation makes no sense in the current state (nothing to roll back).
    #[error("{0}")]
    Conflict(String),
    /// The promotion gate said no; nothing was changed.
    #[error("{}", .0.message)]
    Refused(Box<GateOutcome>),
    #[error(transparent)]
    Store(#[from] KvError),
}

/// How a promotion to `champion` was judged.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GateOutcome {
    pub candidate_version: u64,
    pub champion_version: Option<u64>,
    /// The log-losses judged: re-scored on common matches when possible,
    /// else each card's own holdout figure.
    pub candidate_log_loss: Option<f64>,
    pub champion_log_loss: Option<f64>,
    /// The common matches both were scored on; absent when the gate fell
    /// back on the cards (the message says why).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rescored: Option<Rescored>,
    /// Largest holdout log-loss increase over the champion that passes.
    pub tolerance: f64,
    pub passed: bool,
    /// True when the gate said no and `force` overrode it.
    pub forced: bool,
    pub message: String,
}

/// The result of moving (or not moving) an alias.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AliasMove {
    pub alias: String,
    pub version: u64,
    pub previous_version: Option<u64>,
    pub action: String,
    pub forced: bool,
    /// The alias already named this version: nothing was written.
    pub unchanged: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gate: Option<GateOutcome>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PublishOutcome {
    pub version: u64,
    /// The same ONNX file and card were already registered as `version`.
    pub already_registered: bool,
    pub entry: VersionEntry,
    pub aliases: Vec<AliasMove>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RegistryList {
    pub aliases: BTreeMap<String, AliasPointer>,
    pub versions: Vec<VersionEntry>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PromoteRequest {
    pub alias: Alias,
    pub version: u64,
    pub force: bool,
}

fn to_json<T: Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_default()
}

/// Validates an upload and registers it as a new version (or recognises it
/// as an existing one), then points `alias` at it — through the promotion
/// gate when `alias` is `champion`. When no champion exists yet, the version
/// also becomes champion, so a fresh deployment serves its first model.
pub async fn publish(
    kv: &impl KvWrite,
    upload: &ModelUpload,
    alias: Option<Alias>,
    force: bool,
    tolerance: f64,
    now: &str,
) -> Result<PublishOutcome, RegistryError> {
    let card = ServingCard::parse(&upload.card).map_err(RegistryError::Invalid)?;
    validate::check_model(&upload.onnx, &card).map_err(RegistryError::Invalid)?;
    if let Some(holdout) = &upload.holdout {
        validate::check_holdout_model(holdout, &card).map_err(RegistryError::Invalid)?;
    }

    let mut index = read_index(kv).await?;
    let onnx_sha256 = sha256_hex(&upload.onnx);
    let card_sha256 = sha256_hex(&upload.card);
    let existing = index
        .versions
        .iter()
        .find(|v| v.onnx_sha256 == onnx_sha256 && v.card_sha256 == card_sha256)
        .cloned();
    let already_registered = existing.is_some();
    let entry = match existing {
        Some(entry) => {
            // The same model and card again, now with the holdout fit it
            // was registered without: the holdout joins it (write-once).
            if let Some(holdout) = &upload.holdout {
                let key = keys::holdout_onnx_key(entry.version);
                if kv.get(&key).await?.is_none() {
                    kv.set(&key, holdout).await?;
                    eprintln!(
                        "registry: version {} now has its holdout fit",
                        entry.version
                    );
                }
            }
            entry
        }
        None => {
            let entry =
                register(kv, &mut index, upload, &card, onnx_sha256, card_sha256, now).await?;
            eprintln!(
                "registry: registered version {} ({} {}, run {})",
                entry.version, entry.name, entry.card_version, entry.run_id
            );
            entry
        }
    };

    // Any registration also gives the versions the aliases name their
    // entries, if they were registered before entries had their own key.
    // Only a speed-up for their requests: a store failure here is logged,
    // not a failed publish.
    if let Err(e) = backfill_aliased_entries(kv, &index).await {
        eprintln!(
            "registry: aliased versions' entries not written ({e}); the next registration retries"
        );
    }

    let mut aliases = Vec::new();
    if let Some(alias) = alias {
        let request = PromoteRequest {
            alias,
            version: entry.version,
            force,
        };
        aliases.push(promote_in(kv, &index, &request, tolerance, now, "publish").await?);
    }
    if read_alias(kv, Alias::Champion).await?.is_none() {
        let request = PromoteRequest {
            alias: Alias::Champion,
            version: entry.version,
            force: false,
        };
        aliases.push(promote_in(kv, &index, &request, tolerance, now, "publish").await?);
    }
    Ok(PublishOutcome {
        version: entry.version,
        already_registered,
        entry,
        aliases,
    })
}

/// Writes a new version's files and entry, then the index that registers it.
async fn register(
    kv: &impl KvWrite,
    index: &mut RegistryIndex,
    upload: &ModelUpload,
    card: &ServingCard,
    onnx_sha256: String,
    card_sha256: String,
    now: &str,
) -> Result<VersionEntry, RegistryError> {
    let mut version = index.next_version();
    // Files of an unregistered version (a publish cut short, or one racing
    // with this one) are never overwritten or inherited: skip past them.
    while has_files(kv, version).await? {
        version += 1;
    }
    kv.set(&keys::onnx_key(version), &upload.onnx).await?;
    if let Some(holdout) = &upload.holdout {
        kv.set(&keys::holdout_onnx_key(version), holdout).await?;
    }
    kv.set(&keys::card_key(version), &upload.card).await?;
    let entry = VersionEntry {
        version,
        name: card.name.clone(),
        card_version: card.version.clone(),
        run_id: card.run_id.clone(),
        created_at: card.created_at.clone(),
        registered_at: now.to_string(),
        onnx_sha256,
        card_sha256,
        onnx_bytes: upload.onnx.len() as u64,
        n_features: card.features.len() as u64,
        holdout_log_loss: card.holdout_log_loss(),
        holdout_window: card.holdout_window(),
    };
    // The entry on its own key first: requests read it there (one small
    // key), never the index, which grows with every registration.
    kv.set(&keys::entry_key(version), &to_json(&entry)).await?;
    index.versions.push(entry.clone());
    kv.set(keys::INDEX, &to_json(index)).await?;
    Ok(entry)
}

async fn has_files(kv: &impl KvRead, version: u64) -> Result<bool, KvError> {
    for key in [
        keys::card_key(version),
        keys::onnx_key(version),
        keys::holdout_onnx_key(version),
    ] {
        if kv.get(&key).await?.is_some() {
            return Ok(true);
        }
    }
    Ok(false)
}

async fn backfill_aliased_entries(kv: &impl KvWrite, index: &RegistryIndex) -> Result<(), KvError> {
    for alias in Alias::ALL {
        if let Some(pointer) = read_alias(kv, alias).await?
            && let Some(entry) = index.get(pointer.version)
        {
            write_entry_if_missing(kv, entry).await?;
        }
    }
    Ok(())
}

/// Gives a version registered before entries had their own key that key
/// (when an alias moves to it, and for the aliased versions at every
/// registration), so that requests stop needing the index for it.
async fn write_entry_if_missing(kv: &impl KvWrite, entry: &VersionEntry) -> Result<(), KvError> {
    let key = keys::entry_key(entry.version);
    if kv.get(&key).await?.is_none() {
        kv.set(&key, &to_json(entry)).await?;
    }
    Ok(())
}

/// Points `request.alias` at `request.version`; a move to `champion` passes
/// the promotion gate first (or is forced past it, which is logged).
pub async fn promote(
    kv: &impl KvWrite,
    request: &PromoteRequest,
    tolerance: f64,
    now: &str,
) -> Result<AliasMove, RegistryError> {
    let index = read_index(kv).await?;
    promote_in(kv, &index, request, tolerance, now, "promote").await
}

async fn promote_in(
    kv: &impl KvWrite,
    index: &RegistryIndex,
    request: &PromoteRequest,
    tolerance: f64,
    now: &str,
    action: &str,
) -> Result<AliasMove, RegistryError> {
    let entry = index.get(request.version).ok_or_else(|| {
        RegistryError::NotFound(format!(
            "model version {} is not registered",
            request.version
        ))
    })?;
    // Before the early return too: re-promoting the version an alias
    // already names is how an operator gives it its entry.
    write_entry_if_missing(kv, entry).await?;
    let current = read_alias(kv, request.alias).await?;
    let previous_version = current.as_ref().map(|p| p.version);
    if previous_version == Some(request.version) {
        return Ok(AliasMove {
            alias: request.alias.to_string(),
            version: request.version,
            previous_version,
            action: action.to_string(),
            forced: false,
            unchanged: true,
            gate: None,
        });
    }
    let gate = match (request.alias, &current) {
        (Alias::Champion, Some(champion)) => {
            let evidence = rescore::rescore(kv, request.version, champion.version).await?;
            let gate = judge(
                entry,
                index.get(champion.version),
                evidence,
                tolerance,
                request.force,
            );
            if !gate.passed && !gate.forced {
                return Err(RegistryError::Refused(Box::new(gate)));
            }
            Some(gate)
        }
        _ => None,
    };
    let forced = gate.as_ref().is_some_and(|g| g.forced);
    let mut previous: Vec<u64> = current
        .map(|p| std::iter::once(p.version).chain(p.previous).collect())
        .unwrap_or_default();
    previous.truncate(ALIAS_HISTORY);
    let pointer = AliasPointer {
        version: request.version,
        set_at: now.to_string(),
        action: action.to_string(),
        forced,
        previous,
    };
    kv.set(&keys::alias_key(request.alias), &to_json(&pointer))
        .await?;
    if forced {
        eprintln!(
            "registry: FORCED {} of version {} to {} past the gate: {}",
            action,
            request.version,
            request.alias,
            gate.as_ref().map_or("", |g| g.message.as_str())
        );
    } else {
        eprintln!(
            "registry: {} now names version {} (was {:?}, {action})",
            request.alias, request.version, previous_version
        );
    }
    Ok(AliasMove {
        alias: request.alias.to_string(),
        version: request.version,
        previous_version,
        action: action.to_string(),
        forced,
        unchanged: false,
        gate,
    })
}

/// The promotion gate: the candidate's log-loss may exceed the champion's
/// by at most `tolerance`, on the common matches both were re-scored on
/// ([`rescore`]) or, when that is not possible, on their cards' holdouts.
fn judge(
    candidate: &VersionEntry,
    champion: Option<&VersionEntry>,
    evidence: Result<Rescored, String>,
    tolerance: f64,
    force: bool,
) -> GateOutcome {
    let verdict = |passed: bool| if passed { "within" } else { "beyond" };
    let (candidate_log_loss, champion_log_loss, passed, message, rescored) = match evidence {
        Ok(r) => {
            let passed = r.candidate_log_loss <= r.champion_log_loss + tolerance;
            let (what, note) = match r.fits {
                Fits::Served => ("log-loss", String::new()),
                Fits::Holdout => (
                    "holdout fit's log-loss",
                    format!(
                        "; the served fits have fewer than {} common unseen matches",
                        super::MIN_MATCHES
                    ),
                ),
            };
            let windows = r.fits.windows();
            let message = format!(
                "{what} {:.5} vs the champion's {:.5} (difference {:+.5} ± {:.5}, one paired standard error) on the same {} finished matches after both {windows} ({} … {}, data version {}{note}): {} the tolerance of {tolerance}",
                r.candidate_log_loss,
                r.champion_log_loss,
                r.candidate_log_loss - r.champion_log_loss,
                r.difference_standard_error,
                r.matches,
                r.first_kickoff,
                r.last_kickoff,
                r.data_version,
                verdict(passed)
            );
            (
                Some(r.candidate_log_loss),
                Some(r.champion_log_loss),
                passed,
                message,
                Some(r),
            )
        }
        Err(why) => {
            let new = candidate.holdout_log_loss;
            let old = champion.and_then(|c| c.holdout_log_loss);
            let (passed, message) = match (new, old) {
                (None, _) => (
                    false,
                    format!(
                        "version {} has no holdout log-loss in its card, so the gate cannot judge it",
                        candidate.version
                    ),
                ),
                (Some(_), None) => (
                    true,
                    "the current champion has no holdout log-loss: nothing to compare against"
                        .to_string(),
                ),
                (Some(new), Some(old)) => {
                    let passed = new <= old + tolerance;
                    let holdouts = compared_on(candidate, champion);
                    (
                        passed,
                        format!(
                            "holdout log-loss {new:.5} vs the champion's {old:.5}{holdouts}: {} the tolerance of {tolerance}",
                            verdict(passed)
                        ),
                    )
                }
            };
            let message = format!("{message} (by the cards; not re-scored: {why})");
            (new, old, passed, message, None)
        }
    };
    GateOutcome {
        candidate_version: candidate.version,
        champion_version: champion.map(|c| c.version),
        candidate_log_loss,
        champion_log_loss,
        rescored,
        tolerance,
        passed,
        forced: !passed && force,
        message,
    }
}

/// Each card's log-loss is on its own holdout: say whether the two are the
/// same matches, when both cards tell.
fn compared_on(candidate: &VersionEntry, champion: Option<&VersionEntry>) -> String {
    let theirs = champion.and_then(|c| c.holdout_window.as_deref());
    match (candidate.holdout_window.as_deref(), theirs) {
        (Some(a), Some(b)) if a == b => format!(" on the same holdout ({a})"),
        (Some(a), Some(b)) => format!(" on different matches ({a}, against {b})"),
        _ => String::new(),
    }
}

/// Points `alias` back at the version it named before its last move.
pub async fn rollback(
    kv: &impl KvWrite,
    alias: Alias,
    now: &str,
) -> Result<AliasMove, RegistryError> {
    let current = read_alias(kv, alias)
        .await?
        .ok_or_else(|| RegistryError::Conflict(format!("{alias} names no model version")))?;
    let Some((&target, rest)) = current.previous.split_first() else {
        return Err(RegistryError::Conflict(format!(
            "{alias} has no earlier version to roll back to"
        )));
    };
    if let Some(entry) = read_index(kv).await?.get(target) {
        write_entry_if_missing(kv, entry).await?;
    }
    let pointer = AliasPointer {
        version: target,
        set_at: now.to_string(),
        action: "rollback".to_string(),
        forced: false,
        previous: rest.to_vec(),
    };
    kv.set(&keys::alias_key(alias), &to_json(&pointer)).await?;
    eprintln!(
        "registry: {alias} rolled back from version {} to {target}",
        current.version
    );
    Ok(AliasMove {
        alias: alias.to_string(),
        version: target,
        previous_version: Some(current.version),
        action: "rollback".to_string(),
        forced: false,
        unchanged: false,
        gate: None,
    })
}

pub async fn registry_list(kv: &impl KvWrite) -> Result<RegistryList, KvError> {
    let index = read_index(kv).await?;
    let mut aliases = BTreeMap::new();
    for alias in Alias::ALL {
        if let Some(pointer) = read_alias(kv, alias).await? {
            aliases.insert(alias.to_string(), pointer);
        }
    }
    Ok(RegistryList {
        aliases,
        versions: index.versions,
    })
}
