//! Linking feed events to matches of the store, in three layers, each
//! restricted to matches whose kick-off is within a window of the event's:
//!
//! 1. **exact**: both team names equal after [`normalize`] (accents, case,
//!    punctuation, club-form words like FC/CF/AC, common abbreviations);
//! 2. **alias**: a name resolves through the committed alias table
//!    ([`aliases`], `config/team-aliases.toml`) to the source's name;
//! 3. **similarity**: token-aligned Jaro-Winkler ([`similarity`]) of both
//!    names above a threshold, with the best candidate clearly ahead of the
//!    next.
//!
//! Reserve and youth teams (`II`, `B`, `U21`, `Castilla`, ...) never link:
//! the source has senior teams only. A match links to at most one event
//! per bookmaker.

pub mod aliases;
pub mod linker;
pub mod normalize;
pub mod similarity;

pub use aliases::Aliases;
pub use linker::{Candidate, Layer, Link, LinkOutcome, Linker, LinkerConfig, Unlinked};
pub use normalize::{Normalized, normalize};
