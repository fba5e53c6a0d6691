//! The model registry as monitoring reads it (written by the `predict`
//! branch's registry; this module only reads, tolerantly).
//!
//! Contract (keys in the `default` store):
//! - `model/alias/<alias>` for `champion`, `challenger`, `candidate`: JSON
//!   object with `version` (integer or string) and optionally `set_at`
//!   (RFC 3339). Absent key = no version holds the alias.
//! - `model/registry`: JSON `{"versions": [{"version", "run_id",
//!   "created_at", "name", ...}]}`; used to add the run id and the training
//!   time (`created_at`, the model card's) to an alias. Optional.
//!
//! Unknown fields are ignored and a missing registry only leaves `run_id`
//! and `created_at` empty, so either side can grow its records freely. A
//! corrupt record is logged and skipped: monitoring never fails because the
//! registry is odd.

use matchday_core::kv::{KvError, KvRead};
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub const ALIASES: [&str; 3] = ["champion", "challenger", "candidate"];
pub const REGISTRY: &str = "model/registry";

pub fn alias_key(alias: &str) -> String {
    format!("model/alias/{alias}")
}

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
    let registry = match kv.get(REGISTRY).await? {
        Some(raw) => parse(REGISTRY, &raw),
        None => None,
    };
    let entries: &[Value] = registry
        .as_ref()
        .and_then(|r| r.get("versions"))
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice);
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
        let entry = entries
            .iter()
            .find(|e| e.get("version").and_then(text).as_deref() == Some(version.as_str()));
        let field = |name: &str| entry.and_then(|e| e.get(name)).and_then(text);
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
                REGISTRY,
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
}
