//! Which results a fit learned from, so a forecast can say whether it is a
//! test of the model (`out_of_sample`).
//!
//! The trainer (`matchday-ml`) writes each fit's training matches
//! ([`TrainedMatches`]) and its window on the card ([`FitWindow`]);
//! `matchday predict` flags its batch forecasts from the lists, publish
//! writes the served fit's answer into each feature record, and the
//! `predict` component flags `GET /predict/{id}` with [`out_of_sample`].

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

/// How long after its kick-off a result may first be known: two halves,
/// half-time and stoppage time take about 1 h 55 min. A match kicking off
/// sooner after another (a 19:30 and a 20:00 kick-off) has not seen its
/// score, so no feature of it may read that score.
pub const RESULT_KNOWN_AFTER: TimeDelta = TimeDelta::minutes(150);

/// When the result of a match kicking off at `kickoff` is known.
pub fn result_known_at(kickoff: DateTime<Utc>) -> DateTime<Utc> {
    kickoff + RESULT_KNOWN_AFTER
}

/// The span of kick-offs a fit was trained on, as its card says: from the
/// first kick-off after the burn-in (`train_from`) to the last whose result
/// was known at the fit's `as_of` date. Which finished matches of that span
/// the fit's store held only its [`TrainedMatches`] say; what lies outside
/// it, the fit cannot have learned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FitWindow {
    pub train_from: DateTime<Utc>,
    pub as_of: DateTime<Utc>,
}

impl FitWindow {
    /// Whether a finished match kicked off at `kickoff` falls in the span:
    /// if not, it is none of the fit's training matches.
    pub fn covers(&self, kickoff: DateTime<Utc>) -> bool {
        self.train_from <= kickoff && result_known_at(kickoff) <= self.as_of
    }

    /// The window of a model card's `data_window`: `None` when it does not
    /// name both `train_from` and `as_of` (cards of models trained
    /// elsewhere may not), an error for a publisher when it names them
    /// wrongly.
    pub fn from_card(data_window: &serde_json::Value) -> Result<Option<FitWindow>, String> {
        let time = |field: &str| match data_window.get(field) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(value) => value
                .as_str()
                .and_then(parse_time)
                .map(Some)
                .ok_or_else(|| {
                    format!("data_window.{field} must be an RFC 3339 time, got {value}")
                }),
        };
        let (Some(train_from), Some(as_of)) = (time("train_from")?, time("as_of")?) else {
            return Ok(None);
        };
        if train_from > as_of {
            return Err(format!(
                "data_window.train_from ({train_from}) is after data_window.as_of ({as_of})"
            ));
        }
        Ok(Some(FitWindow { train_from, as_of }))
    }
}

/// An RFC 3339 time (any offset) in UTC: how cards and records write times.
pub fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text).ok().map(|t| t.to_utc())
}

/// The matches each fit of a training run learned from, by id: what
/// `matchday train` writes beside its model (`trained_matches.json`), so
/// a forecast's `out_of_sample` is read from the fit's own training rows
/// rather than inferred from kick-off times and counts. Match ids are
/// hashes of the natural key (`crate::ids`), so they name the same match in
/// any store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrainedMatches {
    /// The run whose card these fits belong to (`model_card.json`'s `run_id`).
    pub run_id: String,
    /// The served fit's training matches (`model.onnx`), ascending.
    pub served: Vec<i64>,
    /// The holdout fit's (`holdout_model.onnx`), ascending.
    pub holdout: Vec<i64>,
}

impl TrainedMatches {
    /// The lists of a run, sorted so a lookup is a binary search.
    pub fn new(run_id: String, mut served: Vec<i64>, mut holdout: Vec<i64>) -> TrainedMatches {
        served.sort_unstable();
        served.dedup();
        holdout.sort_unstable();
        holdout.dedup();
        TrainedMatches {
            run_id,
            served,
            holdout,
        }
    }

    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Reads the file, sorting the lists again: one edited by hand stays
    /// exact, merely slower to write.
    pub fn from_json(bytes: &[u8]) -> Result<TrainedMatches, String> {
        let file: TrainedMatches = serde_json::from_slice(bytes)
            .map_err(|e| format!("trained matches are corrupt: {e}"))?;
        Ok(TrainedMatches::new(file.run_id, file.served, file.holdout))
    }

    /// Whether the served fit learned the result of match `id`.
    pub fn served_learned(&self, id: i64) -> bool {
        self.served.binary_search(&id).is_ok()
    }

    /// Whether the holdout fit learned the result of match `id`.
    pub fn holdout_learned(&self, id: i64) -> bool {
        self.holdout.binary_search(&id).is_ok()
    }
}

/// Whether a forecast of a match kicked off at `kickoff` by a fit with
/// `window` is out of sample:
/// `Some(false)` when the fit learned the match's result, `Some(true)` when
/// it cannot have, `None` when the facts at hand cannot tell.
///
/// A result not known yet at `now` is in no training set. Beyond that,
/// `learned` decides when it is known: whether this fit's own list of
/// training matches has the match (the data version's `learned`, for the
/// model of the version's run). Without it, only the window can speak, and
/// only to say no: a kick-off outside it is in no training set of the fit,
/// whatever store it read, while one inside may or may not be (a league
/// imported after training, another run's model, a card from elsewhere).
pub fn out_of_sample(
    window: Option<FitWindow>,
    kickoff: DateTime<Utc>,
    learned: Option<bool>,
    now: DateTime<Utc>,
) -> Option<bool> {
    if result_known_at(kickoff) > now {
        return Some(true);
    }
    if let Some(learned) = learned {
        return Some(!learned);
    }
    (!window?.covers(kickoff)).then_some(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn window() -> FitWindow {
        FitWindow {
            train_from: t("2006-07-01T00:00:00Z"),
            as_of: t("2023-04-01T00:00:00Z"),
        }
    }

    #[test]
    fn a_result_is_known_two_and_a_half_hours_after_kick_off() {
        let kickoff = t("2023-03-31T19:30:00Z");
        assert_eq!(result_known_at(kickoff), t("2023-03-31T22:00:00Z"));
    }

    #[test]
    fn the_window_covers_finished_matches_from_the_burn_in_to_as_of() {
        let w = window();
        assert!(!w.covers(t("2006-06-30T15:00:00Z")), "burn-in");
        assert!(w.covers(t("2006-07-01T00:00:00Z")), "first kick-off");
        assert!(
            w.covers(t("2023-03-31T21:30:00Z")),
            "known exactly at as_of"
        );
        assert!(!w.covers(t("2023-03-31T21:31:00Z")), "still being played");
    }

    #[test]
    fn out_of_sample_follows_the_fit_s_own_list_else_the_window_and_the_clock() {
        let now = t("2026-12-07T12:00:00Z");
        let w = Some(window());
        let flag = |window, kickoff: &str, learned| out_of_sample(window, t(kickoff), learned, now);
        let trained = "2020-01-01T15:00:00Z";
        let after = "2023-05-01T15:00:00Z";
        let burn_in = "2005-08-01T15:00:00Z";
        let fixture = "2026-12-08T15:00:00Z";
        // The list decides whenever the result may be known.
        assert_eq!(flag(w, trained, Some(true)), Some(false));
        assert_eq!(flag(w, trained, Some(false)), Some(true));
        assert_eq!(flag(None, trained, Some(true)), Some(false));
        // A result not known yet was learned by no fit, whatever a list says.
        assert_eq!(flag(w, fixture, Some(true)), Some(true));
        assert_eq!(flag(None, fixture, None), Some(true));
        // Without a list the window only says no.
        assert_eq!(flag(w, trained, None), None);
        assert_eq!(flag(w, after, None), Some(true));
        assert_eq!(flag(w, burn_in, None), Some(true));
        assert_eq!(flag(None, trained, None), None);
    }

    #[test]
    fn trained_matches_are_looked_up_by_id_in_either_fit() {
        let lists = TrainedMatches::new("run-1".into(), vec![9, 3, 5, 3], vec![5, 3]);
        assert_eq!(lists.served, vec![3, 5, 9]);
        assert!(lists.served_learned(9) && !lists.holdout_learned(9));
        assert!(lists.holdout_learned(3) && !lists.served_learned(4));
        let unsorted = br#"{"run_id": "run-1", "served": [9, 5, 3], "holdout": [5, 3]}"#;
        assert_eq!(TrainedMatches::from_json(unsorted), Ok(lists.clone()));
        assert_eq!(TrainedMatches::from_json(&lists.to_json()), Ok(lists));
        let err = TrainedMatches::from_json(br#"{"run_id": "run-1", "served": [1.5]}"#);
        assert!(err.unwrap_err().starts_with("trained matches are corrupt"));
    }

    #[test]
    fn the_window_is_read_from_a_card_or_refused_with_a_reason() {
        let card = serde_json::json!({
            "as_of": "2023-04-01T00:00:00Z",
            "train_from": "2006-07-01T02:00:00+02:00",
            "split_date": "2021-07-01T00:00:00Z",
        });
        assert_eq!(FitWindow::from_card(&card), Ok(Some(window())));
        for missing in ["as_of", "train_from"] {
            let mut partial = card.clone();
            partial.as_object_mut().unwrap().remove(missing);
            assert_eq!(FitWindow::from_card(&partial), Ok(None), "{missing}");
            partial[missing] = serde_json::Value::Null;
            assert_eq!(FitWindow::from_card(&partial), Ok(None), "{missing}");
        }
        assert_eq!(FitWindow::from_card(&serde_json::Value::Null), Ok(None));
        let date_only =
            serde_json::json!({"as_of": "2023-04-01", "train_from": "2006-07-01T00:00:00Z"});
        let err = FitWindow::from_card(&date_only).unwrap_err();
        assert!(
            err.contains("data_window.as_of must be an RFC 3339 time"),
            "{err}"
        );
        let number = serde_json::json!({"as_of": "2023-04-01T00:00:00Z", "train_from": 7});
        assert!(
            FitWindow::from_card(&number)
                .unwrap_err()
                .contains("train_from")
        );
        let reversed = serde_json::json!({"as_of": "2006-07-01T00:00:00Z", "train_from": "2023-04-01T00:00:00Z"});
        let err = FitWindow::from_card(&reversed).unwrap_err();
        assert!(err.contains("is after data_window.as_of"), "{err}");
    }
}
