//! Where published data lives in the key-value store, and the live pointer.
//!
//! Every record of a data version sits under `data/v/<version>/`; the single
//! key [`CURRENT`] names the live version. A request reads the pointer once
//! and then only keys of that version, so it sees one version or the other,
//! never a mix, whatever a concurrent publish does.

use serde::{Deserialize, Serialize};

/// The live data pointer (JSON [`DataPointer`]).
pub const CURRENT: &str = "data/current";
/// Committed versions, newest first (JSON `Vec<String>`).
pub const HISTORY: &str = "data/history";
/// Versions kept for rollback, including the live one.
pub const RETAINED_VERSIONS: usize = 3;

/// Rows per listing chunk: a 100-row page touches at most 2 chunks.
pub const CHUNK_ROWS: usize = 256;

/// The live pointer: what a request needs to find every record of a version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataPointer {
    pub version: String,
    /// Number of match-record buckets (`id mod buckets`).
    pub buckets: u32,
    /// Rows per listing chunk.
    pub chunk_rows: u32,
    pub published_at: String,
    /// The date the pipeline treated as "now" (matches after it are upcoming).
    pub as_of: String,
    pub predictions_computed_at: String,
    /// The run that made the batch predictions; its served fit is the one
    /// the feature records' `learned` speaks of (`crate::feature_record`).
    pub model_run_id: String,
    pub counts: Counts,
    /// What the market groups (odds, cards, ROI) published in this version;
    /// absent in versions published before they existed, which then serve
    /// empty lists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub market: Option<crate::market::layout::MarketPointer>,
    /// The version's recent results ([`crate::recent`]); absent in versions
    /// published before they existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recent_results: Option<crate::recent::RecentResults>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Counts {
    pub matches: u32,
    pub predictions: u32,
    pub upcoming: u32,
}

/// Which listing a chunk belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listing {
    /// `/predict/predictions/`, all rows.
    Predictions,
    /// `/predict/predictions/?future_only=true`.
    FuturePredictions,
    /// `/livescores/?year=Y`.
    LiveYear(i32),
    /// `/livescores/?year=Y&month=M`.
    LiveMonth(i32, u32),
    /// The recent results the promotion gate re-scores ([`crate::recent`]).
    RecentResults,
}

impl Listing {
    fn path(&self) -> String {
        match self {
            Listing::Predictions => "predictions/all".into(),
            Listing::FuturePredictions => "predictions/future".into(),
            Listing::LiveYear(y) => format!("live/{y:04}"),
            Listing::LiveMonth(y, m) => format!("live/{y:04}-{m:02}"),
            Listing::RecentResults => "recent".into(),
        }
    }
}

/// Prefix of every record of `version`.
pub fn version_prefix(version: &str) -> String {
    format!("data/v/{version}/")
}

/// Bucket holding the precomputed record of a match.
pub fn prediction_bucket_key(version: &str, bucket: u32) -> String {
    format!("data/v/{version}/pred/{bucket}")
}

pub fn bucket_of(match_id: i64, buckets: u32) -> u32 {
    (match_id.rem_euclid(i64::from(buckets.max(1)))) as u32
}

/// Bucket holding the published feature vectors of matches.
pub fn feature_bucket_key(version: &str, bucket: u32) -> String {
    format!("data/v/{version}/feat/{bucket}")
}

/// Bucket holding the full summaries of matches (played or upcoming), for
/// `matchday:api/lookup#summary`.
pub fn match_bucket_key(version: &str, bucket: u32) -> String {
    format!("data/v/{version}/match/{bucket}")
}

/// The full summaries of the upcoming matches, in kick-off order (JSON
/// array), for `matchday:api/lookup#upcoming`.
pub fn upcoming_summaries_key(version: &str) -> String {
    format!("data/v/{version}/match/upcoming")
}

/// The ready-to-send body of `/predict/matches/`.
pub fn upcoming_key(version: &str) -> String {
    format!("data/v/{version}/upcoming")
}

pub fn chunk_key(version: &str, listing: &Listing, chunk: usize) -> String {
    format!("data/v/{version}/{}/{chunk}", listing.path())
}

/// The pointer of a version, kept beside its records so a rollback can make
/// it live again exactly as it was published.
pub fn pointer_key(version: &str) -> String {
    format!("data/v/{version}/pointer")
}

/// The version a key belongs to, if it is a versioned record.
pub fn version_of_key(key: &str) -> Option<&str> {
    key.strip_prefix("data/v/")?
        .split('/')
        .next()
        .filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_scoped_by_version() {
        let v = "v1";
        for key in [
            prediction_bucket_key(v, 3),
            upcoming_key(v),
            chunk_key(v, &Listing::LiveMonth(2023, 4), 0),
            pointer_key(v),
            feature_bucket_key(v, 0),
            match_bucket_key(v, 1),
            upcoming_summaries_key(v),
            chunk_key(v, &Listing::RecentResults, 2),
        ] {
            assert_eq!(version_of_key(&key), Some(v));
            assert!(key.starts_with(&version_prefix(v)), "{key}");
        }
        assert_eq!(
            chunk_key(v, &Listing::LiveMonth(2023, 4), 2),
            "data/v/v1/live/2023-04/2"
        );
    }

    #[test]
    fn buckets_cover_negative_ids() {
        assert_eq!(bucket_of(-1, 10), 9);
        assert_eq!(bucket_of(25, 10), 5);
        assert_eq!(bucket_of(25, 0), 0);
    }
}
