//! Market data for Matchday, on the native side.
//!
//! - [`feed`]: a bookmaker's JSON event feed (the seed's shape: `sports`,
//!   `events`, `customFactors`), its HTTP client (timeouts, retries with
//!   backoff, a rate limit) and the events it carries.
//! - [`linking`]: feed events → matches of the store, in three layers
//!   (normalised exact names, an alias table, string similarity), each
//!   within a kick-off window.
//! - [`roi`]: flat-stake betting over finished matches, per region, league
//!   and overall, with bootstrap confidence intervals.
//!
//! Margin removal, the value-bet rule and the choice of prices are shared
//! with the publish-time builders and live in `matchday-core`
//! (`margin`, `market::value`).

pub mod feed;
pub mod linking;
pub mod roi;
