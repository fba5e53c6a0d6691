//! The published feature record of one match, as the feature buckets hold
//! it and `GET /predict/{id}` reads it.
//!
//! `{"kickoff": "2023-05-28T15:30:00Z", "finished": true, "learned": true,
//! "features": {"diff_elo": 41.5, ...}}`: the feature values (name →
//! number, unknown values left out, as the seed's lookup dropped NaN), with
//! the facts the component needs to say whether the serving model learned
//! from the match's result ([`crate::window::out_of_sample`]). `learned` is
//! there when the publish had its run's list of training matches.
//! `finished` is written for the readers of stop 35, which refuse an
//! envelope without it (so a component rolled back still serves a newer
//! version); this reader does not need it. Versions published before the
//! kick-off was kept hold the bare feature map; they still read, without
//! the facts.

use crate::window::parse_time;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

/// Feature name → value; values that are not numbers are ignored by readers.
pub type FeatureValues = Map<String, Value>;

/// What the data version says about the match itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MatchFacts {
    pub kickoff: DateTime<Utc>,
    /// Whether the served fit of the data version's run
    /// (`DataPointer::model_run_id`) learned the match's result, from that
    /// run's `trained_matches.json`; `None` when the publish had no list.
    pub learned: Option<bool>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FeatureRecord {
    /// `None` for a record published before the envelope.
    pub facts: Option<MatchFacts>,
    pub values: FeatureValues,
}

impl FeatureRecord {
    /// The record's bytes; `kickoff` is the match summary's RFC 3339 time,
    /// `finished` whether the version has its result.
    pub fn encode(
        kickoff: &str,
        finished: bool,
        learned: Option<bool>,
        values: FeatureValues,
    ) -> Vec<u8> {
        let mut record = Map::new();
        record.insert("kickoff".into(), Value::String(kickoff.into()));
        record.insert("finished".into(), Value::Bool(finished));
        if let Some(learned) = learned {
            record.insert("learned".into(), Value::Bool(learned));
        }
        record.insert("features".into(), Value::Object(values));
        serde_json::to_vec(&record).unwrap_or_default()
    }

    /// Reads a record of either layout. Feature values are numbers, so an
    /// object under `features` marks the envelope; an envelope whose facts
    /// do not parse is corrupt rather than read as a bare map, which would
    /// silently serve a row of fill values.
    pub fn decode(bytes: &[u8]) -> Result<FeatureRecord, String> {
        let mut map: Map<String, Value> =
            serde_json::from_slice(bytes).map_err(|e| format!("feature record is corrupt: {e}"))?;
        let values = match map.remove("features") {
            Some(Value::Object(values)) => values,
            bare => {
                // A bare map, maybe with a number-valued `features` column.
                if let Some(value) = bare {
                    map.insert("features".into(), value);
                }
                return Ok(FeatureRecord {
                    facts: None,
                    values: map,
                });
            }
        };
        let kickoff = map
            .get("kickoff")
            .and_then(Value::as_str)
            .and_then(parse_time)
            .ok_or("feature record is corrupt: no RFC 3339 `kickoff`")?;
        let learned = match map.get("learned") {
            None => None,
            Some(value) => Some(
                value
                    .as_bool()
                    .ok_or("feature record is corrupt: `learned` is not a boolean")?,
            ),
        };
        Ok(FeatureRecord {
            facts: Some(MatchFacts { kickoff, learned }),
            values,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn values() -> FeatureValues {
        json!({"diff_elo": 41.5, "rest_days_home": 7})
            .as_object()
            .unwrap()
            .clone()
    }

    #[test]
    fn a_record_round_trips_with_its_facts() {
        for learned in [Some(true), Some(false), None] {
            let bytes = FeatureRecord::encode("2023-05-28T15:30:00Z", true, learned, values());
            // What a component of stop 35 requires to read it.
            let raw: Value = serde_json::from_slice(&bytes).unwrap();
            assert_eq!(raw["finished"], true);
            let read = FeatureRecord::decode(&bytes).unwrap();
            assert_eq!(read.values, values());
            let facts = read.facts.unwrap();
            assert_eq!(facts.learned, learned);
            assert_eq!(facts.kickoff.to_rfc3339(), "2023-05-28T15:30:00+00:00");
        }
    }

    #[test]
    fn an_envelope_of_stop_35_without_learned_reads_without_a_list() {
        let old =
            json!({"kickoff": "2023-05-28T15:30:00Z", "finished": true, "features": values()});
        let read = FeatureRecord::decode(&serde_json::to_vec(&old).unwrap()).unwrap();
        assert_eq!(read.facts.unwrap().learned, None);
        assert_eq!(read.values, values());
    }

    #[test]
    fn a_bare_map_from_an_older_publish_reads_without_facts() {
        let mut old = values();
        // Even with a feature that happens to be called `features`.
        old.insert("features".into(), json!(3.5));
        let bytes = serde_json::to_vec(&old).unwrap();
        let read = FeatureRecord::decode(&bytes).unwrap();
        assert_eq!(read.facts, None);
        assert_eq!(read.values, old);
    }

    #[test]
    fn a_damaged_envelope_is_an_error_not_a_row_of_fill_values() {
        for bad in [
            json!({"kickoff": "soon", "learned": true, "features": {}}),
            json!({"learned": true, "features": {"diff_elo": 1.0}}),
            json!({"kickoff": "2023-05-28T15:30:00Z", "learned": "yes", "features": {}}),
        ] {
            let err = FeatureRecord::decode(&serde_json::to_vec(&bad).unwrap()).unwrap_err();
            assert!(err.starts_with("feature record is corrupt"), "{err}");
        }
        assert!(FeatureRecord::decode(b"[1, 2]").is_err());
        assert!(FeatureRecord::decode(b"{").is_err());
    }
}
