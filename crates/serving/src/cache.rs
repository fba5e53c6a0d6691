//! The prediction cache (the seed's Redis cache, now in the key-value store).
//!
//! Keys are scoped to the model's registry version, so moving an alias makes
//! every old entry unreachable at once (no invalidation step):
//! - `predcache/<model version>/<data version>/<match id>` for
//!   `GET /predict/{id}`: the data version is in the key too, because a new
//!   data publish may change a match's features;
//! - `predcache/<model version>/inline/<match id>` for `POST /predict/` with
//!   a match id: one entry per (match, model), as the issue scopes it, so a
//!   client varying its features cannot grow the store without bound. The
//!   entry keeps the hash of the aligned input row it answered, and only
//!   that row hits: a different set of features is a miss, and its answer
//!   replaces the entry. Inline requests without a match id are never
//!   cached.
//!
//! Spin's key-value store has no expiry, so an entry carries its own
//! `expires_at` and a reader ignores it once past. An entry is written only
//! after a miss (a write costs far more than a read on Spin's SQLite store),
//! and a failed write only costs the next request a miss.

use crate::api::Probabilities;
use serde::{Deserialize, Serialize};

pub const PREFIX: &str = "predcache/";

pub fn match_key(model_version: u64, data_version: &str, match_id: i64) -> String {
    format!("{PREFIX}{model_version}/{data_version}/{match_id}")
}

pub fn inline_key(model_version: u64, match_id: i64) -> String {
    format!("{PREFIX}{model_version}/inline/{match_id}")
}

/// The model version of a cache key (for sweeping entries of versions no
/// alias names any more).
pub fn model_version_of_key(key: &str) -> Option<u64> {
    key.strip_prefix(PREFIX)?.split('/').next()?.parse().ok()
}

/// What an entry's fields mean; an entry of another schema is a miss, so a
/// component upgrade never serves an answer computed by the rules it
/// replaced. 0 (no field): `out_of_sample` absent, or from stop 35's
/// window and training counts; 1: from the run's lists of training matches.
pub const SCHEMA: u32 = 1;

/// A cached prediction; the stage label is the request's, not stored (one
/// version can be champion and challenger at once).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// [`SCHEMA`] when written.
    #[serde(default)]
    pub schema: u32,
    /// Unix seconds after which the entry is ignored.
    pub expires_at: i64,
    pub probabilities: Probabilities,
    pub model_run_id: String,
    pub features_computed_at: Option<String>,
    /// The answer's `out_of_sample`; entries written before it have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_of_sample: Option<bool>,
    /// For an inline entry, the hash of the input row it answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub row_hash: Option<u64>,
}

impl Entry {
    /// The entry, if `raw` is one of this [`SCHEMA`] and it is still fresh
    /// at `now`. A corrupt entry is a miss, never an error: the cache is
    /// only an optimisation.
    pub fn fresh(raw: &[u8], now: i64) -> Option<Entry> {
        serde_json::from_slice::<Entry>(raw)
            .ok()
            .filter(|e| e.schema == SCHEMA && now < e.expires_at)
    }

    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_carry_the_model_version() {
        assert_eq!(match_key(3, "d1", 42), "predcache/3/d1/42");
        assert_eq!(model_version_of_key(&match_key(3, "d1", 42)), Some(3));
        assert_eq!(model_version_of_key(&inline_key(12, -5)), Some(12));
        assert_eq!(inline_key(1, 5), "predcache/1/inline/5");
        assert_eq!(model_version_of_key("data/current"), None);
    }

    /// An entry of this schema, fresh before `expires_at`.
    fn entry_until(expires_at: i64) -> Entry {
        Entry {
            schema: SCHEMA,
            expires_at,
            probabilities: Probabilities::from_array([0.5, 0.3, 0.2]),
            model_run_id: "r".into(),
            features_computed_at: None,
            out_of_sample: Some(false),
            row_hash: None,
        }
    }

    #[test]
    fn expired_or_corrupt_entries_are_misses() {
        let entry = entry_until(100);
        assert_eq!(Entry::fresh(&entry.to_json(), 99), Some(entry.clone()));
        assert_eq!(Entry::fresh(&entry.to_json(), 100), None);
        assert_eq!(Entry::fresh(b"garbage", 0), None);
    }

    #[test]
    fn an_entry_of_another_schema_is_a_miss() {
        let entry = entry_until(100);
        let mut stop_35: serde_json::Value = serde_json::from_slice(&entry.to_json()).unwrap();
        stop_35.as_object_mut().unwrap().remove("schema");
        assert_eq!(
            Entry::fresh(&serde_json::to_vec(&stop_35).unwrap(), 0),
            None
        );
        stop_35["schema"] = (SCHEMA + 1).into();
        assert_eq!(
            Entry::fresh(&serde_json::to_vec(&stop_35).unwrap(), 0),
            None
        );
        assert!(Entry::fresh(&entry.to_json(), 0).is_some());
    }

    #[test]
    fn a_cached_answer_is_bit_identical_to_the_computed_one() {
        // Values whose shortest decimal form serde_json's default (fast)
        // parser reads back one ulp off; a hit must not differ from the miss.
        for p in [
            [0.21291890726713458, 0.9856906946328695, 0.9259338926496359],
            [0.5244121395226675, 0.26156019384979623, 0.21402766662753625],
        ] {
            let entry = Entry {
                schema: SCHEMA,
                expires_at: 1,
                probabilities: Probabilities::from_array(p),
                model_run_id: "r".into(),
                features_computed_at: None,
                out_of_sample: None,
                row_hash: Some(u64::MAX),
            };
            let back = Entry::fresh(&entry.to_json(), 0).unwrap();
            assert_eq!(back, entry);
        }
    }
}
