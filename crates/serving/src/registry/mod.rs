//! The model registry in the key-value store (replaces MLflow's).
//!
//! A version is an integer admin assigns at publish; its ONNX file and card
//! never change afterwards. Aliases (`champion`, `challenger`, `candidate`)
//! point at versions. Moving an alias is a single write of its pointer, which
//! also carries the versions it named before (for rollback): serving, which
//! reads the pointer on every request, sees the old version or the new one,
//! and sees the new one from the next request on (hot reload).

pub mod keys;
mod ops;
mod rescore;

pub use keys::Alias;
pub use ops::{
    AliasMove, GateOutcome, PromoteRequest, PublishOutcome, RegistryError, RegistryList, promote,
    publish, registry_list, rollback,
};
pub use rescore::{Fits, MIN_MATCHES, Rescored};

use matchday_core::kv::{KvError, KvRead, read_json};
use serde::{Deserialize, Serialize};

/// How many earlier versions an alias remembers for rollback.
pub const ALIAS_HISTORY: usize = 10;

/// Every registered version, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RegistryIndex {
    pub versions: Vec<VersionEntry>,
}

impl RegistryIndex {
    pub fn get(&self, version: u64) -> Option<&VersionEntry> {
        self.versions.iter().find(|v| v.version == version)
    }

    pub fn next_version(&self) -> u64 {
        self.versions.iter().map(|v| v.version).max().unwrap_or(0) + 1
    }
}

/// What the registry knows about a version without opening its files.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionEntry {
    pub version: u64,
    pub name: String,
    /// The card's own `version` (the model definition).
    pub card_version: String,
    pub run_id: String,
    pub created_at: String,
    pub registered_at: String,
    /// SHA-256 of the ONNX file and of the card, hex: a re-upload of the same
    /// pair is recognised and not registered twice.
    pub onnx_sha256: String,
    pub card_sha256: String,
    pub onnx_bytes: u64,
    pub n_features: u64,
    pub holdout_log_loss: Option<f64>,
    /// Where that log-loss was measured ([`ServingCard::holdout_window`]);
    /// absent from versions registered before it was recorded.
    ///
    /// [`ServingCard::holdout_window`]: crate::card::ServingCard::holdout_window
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holdout_window: Option<String>,
}

/// The value of `model/alias/<alias>`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AliasPointer {
    pub version: u64,
    pub set_at: String,
    /// `publish`, `promote` or `rollback`.
    pub action: String,
    /// True when a promotion gate was overridden.
    #[serde(default)]
    pub forced: bool,
    /// Versions this alias named before, most recent first.
    #[serde(default)]
    pub previous: Vec<u64>,
}

pub async fn read_index(kv: &impl KvRead) -> Result<RegistryIndex, KvError> {
    Ok(read_json(kv, keys::INDEX).await?.unwrap_or_default())
}

/// What the registry knows of `version`, from its own entry key: what a
/// request reads instead of the whole index. Versions registered before
/// entries had their own key are found in the index.
pub async fn read_entry(kv: &impl KvRead, version: u64) -> Result<Option<VersionEntry>, KvError> {
    match read_json(kv, &keys::entry_key(version)).await? {
        Some(entry) => Ok(Some(entry)),
        None => Ok(read_index(kv).await?.get(version).cloned()),
    }
}

/// The pointer of `alias`, or `None` when no version holds it.
pub async fn read_alias(kv: &impl KvRead, alias: Alias) -> Result<Option<AliasPointer>, KvError> {
    read_json(kv, &keys::alias_key(alias)).await
}

/// Hex SHA-256, for content identity of uploaded files.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}
