//! Where the model registry lives in the key-value store. The registry
//! (`matchday-serving`) writes it; serving and monitoring read it.
//!
//! - [`INDEX`]: every registered version, oldest first. It grows by one entry
//!   per registration, so nothing on a request path reads it.
//! - `model/v/<n>/onnx`, `model/v/<n>/card`, `model/v/<n>/entry`: the files
//!   of version `n` and its registry entry, written once before the index
//!   names it, never changed. A request that needs what the registry knows
//!   of one version reads its entry: one small key, whatever the index's size.
//!   A version registered before entries had their own key is read from the
//!   index, once per request, until an alias moves to it (a promotion or a
//!   rollback writes its entry).
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
