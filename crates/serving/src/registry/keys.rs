//! Where the model registry lives in the key-value store.
//!
//! - `model/registry` → [`super::RegistryIndex`]: every registered version.
//! - `model/v/<n>/onnx`, `model/v/<n>/card` → the files of version `n`,
//!   written once, never changed.
//! - `model/alias/<alias>` → [`super::AliasPointer`]: the version an alias
//!   names plus its own undo stack, so one write moves an alias atomically.
//!
//! Serving reads one alias pointer per request and the two version files only
//! when a version is not already loaded in the instance.

/// The aliases a version can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Alias {
    Champion,
    Challenger,
    Candidate,
}

impl Alias {
    pub const ALL: [Alias; 3] = [Alias::Champion, Alias::Challenger, Alias::Candidate];
    /// The aliases `?stage=` may name (a candidate is not served).
    pub const SERVED: [&'static str; 2] = ["champion", "challenger"];

    pub fn as_str(self) -> &'static str {
        match self {
            Alias::Champion => "champion",
            Alias::Challenger => "challenger",
            Alias::Candidate => "candidate",
        }
    }

    pub fn parse(raw: &str) -> Option<Alias> {
        Alias::ALL.into_iter().find(|a| a.as_str() == raw)
    }
}

impl std::fmt::Display for Alias {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

pub const INDEX: &str = "model/registry";

pub fn onnx_key(version: u64) -> String {
    format!("model/v/{version}/onnx")
}

pub fn card_key(version: u64) -> String {
    format!("model/v/{version}/card")
}

pub fn alias_key(alias: Alias) -> String {
    format!("model/alias/{}", alias.as_str())
}
