//! The registry's aliases, and its keys ([`matchday_core::registry_layout`],
//! shared with monitoring, which reads them).
//!
//! Serving reads one alias pointer per request and the two version files only
//! when a version is not already loaded in the instance.

pub use matchday_core::registry_layout::{INDEX, card_key, entry_key, holdout_onnx_key, onnx_key};

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

pub fn alias_key(alias: Alias) -> String {
    matchday_core::registry_layout::alias_key(alias.as_str())
}
