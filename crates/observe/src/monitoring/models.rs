//! The model registry as monitoring reads it (written by the `predict`
//! branch's registry; this module only reads, tolerantly).
//!
//! Contract (keys in the `default` store, [`matchday_core::registry_layout`]):
//! - `model/alias/<alias>` for `champion`, `challenger`, `candidate`: JSON
//!   object with `version` (integer or string) and optionally `set_at`
//!   (RFC 3339). Absent key = no version holds the alias.
//! - `model/v/<n>/entry`: JSON object with `run_id` and `created_at` (the
//!   model card's training time), among others; used to add both to an
//!   alias. For versions registered before entries had their own key, the
//!   same object is looked up in `model/registry`'s `versions`. Optional.
//!
//! Unknown fields are ignored and a missing entry only leaves `run_id` and
//! `created_at` empty, so either side can grow its records freely. A
//! corrupt record is logged and skipped: monitoring never fails because the
//! registry is odd. A probe reads a few small keys: the index, which grows
//! with every registration, only for versions without an entry.

use matchday_core::kv::{KvError, KvRead};
use matchday_core::registry_layout::{INDEX, alias_key, entry_key};
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub const ALIASES: [&str; 3] = ["champion", "challenger", "candidate"];
/// A version an alias names, as far as the registry tells.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelVersion {
    pub alias: String,
    pub version: String,
    pub run_id: Option<String>,
    /// When the model was trained (its card's `created_at`).
    pub created_at: Option<String>,
    /// When the alias was last moved.
    pub set_at: Option<String>,
}

fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn parse(key: &str, raw: &[u8]) -> Option<Value> {
    serde_json::from_slice(raw)
        .inspect_err(|e| eprintln!("monitoring: {key} is not JSON ({e}); ignored"))
        .ok()
}

/// Every alias that names a version, in [`ALIASES`] order.
pub async fn read_models(kv: &impl KvRead) -> Result<Vec<ModelVersion>, KvError> {
    let mut index = LegacyIndex::default();
    // Aliases often name one version (a first model is champion and
    // candidate): its entry is read once.
    let mut entries: Vec<(String, Option<Value>)> = Vec::new();
    let mut models = Vec::new();
    for alias in ALIASES {
        let key = alias_key(alias);
        let Some(raw) = kv.get(&key).await? else {
            continue;
        };
        let Some(pointer) = parse(&key, &raw) else {
            continue;
        };
        let Some(version) = pointer.get("version").and_then(text) else {
            eprintln!("monitoring: {key} has no version; ignored");
            continue;
        };
        let entry = match entries.iter().find(|(v, _)| *v == version) {
            Some((_, entry)) => entry.clone(),
            None => {
                let entry = read_entry(kv, &version, &mut index).await?;
                entries.push((version.clone(), entry.clone()));
                entry
            }
        };
        let field = |name: &str| entry.as_ref().and_then(|e| e.get(name)).and_then(text);
        models.push(ModelVersion {
            alias: alias.to_string(),
            run_id: field("run_id"),
            created_at: field("created_at"),
            set_at: pointer.get("set_at").and_then(text),
            version,
        });
    }
    Ok(models)
}

/// The index, read at most once per call and only for a version without
/// its own entry.
#[derive(Default)]
struct LegacyIndex(Option<Option<Value>>);

/// The registry's entry of `version`: its own key, else the index's.
async fn read_entry(
    kv: &impl KvRead,
    version: &str,
    index: &mut LegacyIndex,
) -> Result<Option<Value>, KvError> {
    let key = entry_key(version);
    if let Some(raw) = kv.get(&key).await? {
        return Ok(parse(&key, &raw));
    }
    if index.0.is_none() {
        let raw = kv.get(INDEX).await?;
        index.0 = Some(raw.and_then(|raw| parse(INDEX, &raw)));
    }
    let entries = index
        .0
        .as_ref()
        .and_then(Option::as_ref)
        .and_then(|r| r.get("versions"))
        .and_then(Value::as_array);
    Ok(entries.into_iter().flatten().find_map(|e| {
        (e.get("version").and_then(text).as_deref() == Some(version)).then(|| e.clone())
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::executor::block_on;
    use matchday_core::kv::{KvWrite, MemoryKv};

    #[test]
    fn absent_registry_means_no_models() {
        assert_eq!(block_on(read_models(&MemoryKv::new())).unwrap(), vec![]);
    }

    #[test]
    fn aliases_are_joined_with_the_registry_and_oddities_skipped() {
        let kv = MemoryKv::new();
        block_on(async {
            kv.set(
                "model/alias/champion",
                br#"{"version":3,"set_at":"2026-11-01T00:00:00Z","previous":[2]}"#,
            )
            .await
            .unwrap();
            kv.set("model/alias/challenger", br#"{"version":"4"}"#)
                .await
                .unwrap();
            kv.set("model/alias/candidate", b"{corrupt").await.unwrap();
            kv.set(
                INDEX,
                br#"{"versions":[{"version":3,"run_id":"run-a","created_at":"2026-10-30T12:00:00Z","extra":1}]}"#,
            )
            .await
            .unwrap();
        });
        let models = block_on(read_models(&kv)).unwrap();
        assert_eq!(models.len(), 2);
        assert_eq!(models[0].alias, "champion");
        assert_eq!(models[0].version, "3");
        assert_eq!(models[0].run_id.as_deref(), Some("run-a"));
        assert_eq!(
            models[0].created_at.as_deref(),
            Some("2026-10-30T12:00:00Z")
        );
        assert_eq!(models[0].set_at.as_deref(), Some("2026-11-01T00:00:00Z"));
        assert_eq!(models[1].alias, "challenger");
        assert_eq!(models[1].version, "4");
        assert_eq!(models[1].run_id, None, "not in the registry");
    }

    #[test]
    fn a_version_with_its_own_entry_is_read_without_the_index() {
        let kv = MemoryKv::new();
        block_on(async {
            kv.set("model/alias/champion", br#"{"version":7}"#)
                .await
                .unwrap();
            kv.set(
                "model/v/7/entry",
                br#"{"version":7,"run_id":"run-7","created_at":"2026-11-30T08:00:00Z"}"#,
            )
            .await
            .unwrap();
            kv.set(INDEX, br#"{"versions":[]}"#).await.unwrap();
        });
        // The index grows with every registration: a probe must not need it.
        kv.fail_reads_of(INDEX);
        let models = block_on(read_models(&kv)).unwrap();
        assert_eq!(models[0].run_id.as_deref(), Some("run-7"));
        assert_eq!(
            models[0].created_at.as_deref(),
            Some("2026-11-30T08:00:00Z")
        );
    }
}
