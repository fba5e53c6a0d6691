//! The part of a model card that serving needs.
//!
//! The card is JSON written next to the ONNX file by the sidecar's `train`
//! (`matchday-ml`'s `ModelCard`) or by whoever exported a model of their own.
//! Only the fields below are read; everything else (bookmaker comparisons,
//! fit diagnostics, fields added later) is ignored, so the trainer's card can
//! grow without breaking serving.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};

/// Output columns, in the order every Matchday model must use.
pub const CLASS_LABELS: [&str; 3] = ["home_win", "draw", "away_win"];
/// More inputs than any 1X2 model needs; a bigger card is a mistake or abuse.
pub const MAX_FEATURES: usize = 1024;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServingCard {
    pub name: String,
    /// Version of the model *definition* (features, graph, card layout); not
    /// the registry version, which admin assigns at publish.
    pub version: String,
    pub run_id: String,
    /// RFC 3339, as the trainer wrote it.
    pub created_at: String,
    /// Input columns, in input order.
    pub features: Vec<CardFeature>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_type: Option<String>,
    /// `filled_in_graph` or `fill_before_inference`; serving fills either way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missing_values: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class_labels: Option<Vec<String>>,
    /// Scores on the trainer's holdout (test) split.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_metrics: Option<Metrics>,
    #[serde(default)]
    pub params: serde_json::Value,
    #[serde(default)]
    pub data_window: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CardFeature {
    pub name: String,
    #[serde(default = "default_dtype")]
    pub dtype: String,
    /// What a missing value is replaced by (the training mean). Optional in
    /// the JSON only so that a card without it gets a clear refusal.
    #[serde(default)]
    pub fill_value: Option<f64>,
}

fn default_dtype() -> String {
    "float32".into()
}

/// Holdout scores. Every field is optional: a model of one's own may report
/// only some of them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_loss: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rps: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brier: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accuracy: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ece: Option<f64>,
}

impl ServingCard {
    /// Parses and checks a card. Errors are sentences for the publisher.
    pub fn parse(json: &[u8]) -> Result<ServingCard, String> {
        let card: ServingCard =
            serde_json::from_slice(json).map_err(|e| format!("the model card is invalid: {e}"))?;
        card.check()?;
        Ok(card)
    }

    fn check(&self) -> Result<(), String> {
        if self.name.trim().is_empty() || self.run_id.trim().is_empty() {
            return Err("the model card needs a name and a run_id".into());
        }
        if self.features.is_empty() || self.features.len() > MAX_FEATURES {
            return Err(format!(
                "the model card must list between 1 and {MAX_FEATURES} features"
            ));
        }
        let mut seen = HashSet::new();
        for feature in &self.features {
            if feature.name.is_empty() || !seen.insert(feature.name.as_str()) {
                return Err(format!(
                    "feature names must be unique and non-empty (`{}`)",
                    feature.name
                ));
            }
            match feature.fill_value {
                Some(v) if v.is_finite() => {}
                _ => {
                    return Err(format!(
                        "feature `{}` has no finite fill_value (the value a missing input is replaced by)",
                        feature.name
                    ));
                }
            }
        }
        if let Some(labels) = &self.class_labels
            && labels.iter().map(String::as_str).ne(CLASS_LABELS)
        {
            return Err(format!(
                "class_labels must be {CLASS_LABELS:?} in that order, got {labels:?}"
            ));
        }
        Ok(())
    }

    pub fn feature_names(&self) -> Vec<String> {
        self.features.iter().map(|f| f.name.clone()).collect()
    }

    /// Fill values in input order (checked finite by [`ServingCard::parse`]).
    pub fn fill_values(&self) -> Vec<f32> {
        self.features
            .iter()
            .map(|f| f.fill_value.unwrap_or(0.0) as f32)
            .collect()
    }

    pub fn holdout_log_loss(&self) -> Option<f64> {
        self.test_metrics
            .as_ref()
            .and_then(|m| m.log_loss)
            .filter(|v| v.is_finite())
    }

    /// The holdout the test metrics are on, as `2021-08-06 … 2023-03-31,
    /// n = 6150`, when the card says (`data_window.test_from` / `test_to`,
    /// `test_metrics.n`): the promotion gate shows it, so a comparison of
    /// two versions says whether it is on the same matches.
    pub fn holdout_window(&self) -> Option<String> {
        let day = |key: &str| self.window_stamp(key).map(day_of);
        let n = self.test_metrics.as_ref()?.n?;
        Some(format!(
            "{} … {}, n = {n}",
            day("test_from")?,
            day("test_to")?
        ))
    }

    /// The kick-off of the last match the model was trained on
    /// (`data_window.train_to`), when the card says: the promotion gate
    /// re-scores two versions only on matches after both.
    pub fn trained_to(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.window_time("train_to")
    }

    /// The last kick-off the holdout fit was trained on
    /// (`data_window.holdout_train_to`), when the card has one.
    pub fn holdout_trained_to(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.window_time("holdout_train_to")
    }

    fn window_time(&self, key: &str) -> Option<chrono::DateTime<chrono::Utc>> {
        matchday_core::window::parse_time(self.window_stamp(key)?)
    }

    /// A time stamp of `data_window` (`train_to`, `test_from`, ...).
    fn window_stamp(&self, key: &str) -> Option<&str> {
        self.data_window.get(key)?.as_str()
    }

    /// `params` flattened to `dotted.key → text`, the shape of MLflow's
    /// params (`{"windows": [5], "elo": {"k": 15}}` → `windows = [5]`,
    /// `elo.k = 15`).
    pub fn flat_params(&self) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        flatten("", &self.params, &mut out);
        out
    }
}

/// The date of an RFC 3339 stamp (`2023-03-31T19:00:00Z` → `2023-03-31`),
/// as the gate's messages show windows.
pub(crate) fn day_of(stamp: &str) -> &str {
    stamp.get(..10).unwrap_or(stamp)
}

fn flatten(prefix: &str, value: &serde_json::Value, out: &mut BTreeMap<String, String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out);
            }
        }
        serde_json::Value::Null if prefix.is_empty() => {}
        serde_json::Value::String(s) => {
            out.insert(prefix.to_string(), s.clone());
        }
        other => {
            out.insert(prefix.to_string(), other.to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn card_json(names: &[&str]) -> String {
        let features: Vec<String> = names
            .iter()
            .map(|n| format!(r#"{{"name":"{n}","dtype":"float32","fill_value":0.5}}"#))
            .collect();
        format!(
            r#"{{"name":"m","version":"1","run_id":"run-1","created_at":"2026-11-23T10:00:00Z",
               "features":[{}],"test_metrics":{{"n":10,"log_loss":1.0,"rps":0.2,"brier":0.6,"accuracy":0.5,"ece":0.01}},
               "params":{{"windows":[5],"elo":{{"k":15.0}},"l2":null}},
               "bookmaker_comparison":{{"anything":"goes"}}}}"#,
            features.join(",")
        )
    }

    #[test]
    fn reads_the_fields_it_needs_and_ignores_the_rest() {
        let card = ServingCard::parse(card_json(&["a", "b"]).as_bytes()).unwrap();
        assert_eq!(card.feature_names(), vec!["a", "b"]);
        assert_eq!(card.fill_values(), vec![0.5, 0.5]);
        assert_eq!(card.holdout_log_loss(), Some(1.0));
        assert_eq!(card.holdout_window(), None, "no data_window in this card");
        assert_eq!(card.trained_to(), None);
        let params = card.flat_params();
        assert_eq!(params["windows"], "[5]");
        assert_eq!(params["elo.k"], "15.0");
        assert_eq!(params["l2"], "null");
    }

    #[test]
    fn reads_the_trainers_own_card() {
        // The shape matchday-ml writes (fields it may add later are ignored).
        let json = include_str!("../../../tests/fixtures/byo_model/model_card.json");
        let card = ServingCard::parse(json.as_bytes()).unwrap();
        assert_eq!(card.features.len(), 6);
        assert!(card.test_metrics.unwrap().rps.is_some());
    }

    #[test]
    fn the_training_window_ends_at_train_to() {
        let mut card: serde_json::Value = serde_json::from_str(&card_json(&["a"])).unwrap();
        card["data_window"] = serde_json::json!({"train_to": "2021-05-23T19:00:00Z"});
        let card = ServingCard::parse(&serde_json::to_vec(&card).unwrap()).unwrap();
        assert_eq!(
            card.trained_to().map(|t| t.to_rfc3339()),
            Some("2021-05-23T19:00:00+00:00".to_string())
        );
    }

    #[test]
    fn refuses_cards_serving_cannot_honour() {
        let no_fill = card_json(&["a"]).replace(r#""fill_value":0.5"#, r#""fill_value":null"#);
        assert!(
            ServingCard::parse(no_fill.as_bytes())
                .unwrap_err()
                .contains("fill_value")
        );
        assert!(
            ServingCard::parse(card_json(&["a", "a"]).as_bytes())
                .unwrap_err()
                .contains("unique")
        );
        assert!(ServingCard::parse(card_json(&[]).as_bytes()).is_err());
        let relabelled = card_json(&["a"]).replace(
            r#""params""#,
            r#""class_labels":["away_win","draw","home_win"],"params""#,
        );
        assert!(
            ServingCard::parse(relabelled.as_bytes())
                .unwrap_err()
                .contains("class_labels")
        );
        assert!(ServingCard::parse(b"{}").is_err());
    }
}
