//! Where the model registry lives in the key-value store. The registry
//! (`matchday-serving`) writes it; serving and monitoring read it.
//!
//! - [`INDEX`]: every registered version, oldest first. It grows by one entry
//!   per registration, so a request reads it only for a version without its
//!   own entry (below).
//! - `model/v/<n>/onnx`, `model/v/<n>/card`, `model/v/<n>/entry` (and
//!   `model/v/<n>/holdout-onnx` when the upload had a holdout fit): the files
//!   of version `n` and its registry entry, written once before the index
//!   names it, never changed. A request that needs what the registry knows
//!   of one version reads its entry: one small key, whatever the index's size.
//!   A version registered before entries had their own key is read from the
//!   index, once per request, until it gets its entry: when an alias moves
//!   to it (a promotion, even an unchanged one, or a rollback), and, for the
//!   versions the aliases name, at every registration.
//! - `model/alias/<alias>`: the version an alias names, with its own undo
//!   stack, so one write moves an alias atomically.

use std::fmt::Display;

pub const INDEX: &str = "model/registry";

pub fn alias_key(alias: &str) -> String {
    format!("model/alias/{alias}")
}

pub fn onnx_key(version: impl Display) -> String {
    format!("model/v/{version}/onnx")
}

pub fn card_key(version: impl Display) -> String {
    format!("model/v/{version}/card")
}

pub fn entry_key(version: impl Display) -> String {
    format!("model/v/{version}/entry")
}

/// The version's holdout fit, when its upload had one: the same recipe
/// fitted before the card's test split, which the promotion gate can
/// re-score when the served fit has seen every finished match.
pub fn holdout_onnx_key(version: impl Display) -> String {
    format!("model/v/{version}/holdout-onnx")
}
