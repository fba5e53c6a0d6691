//! Which results a fit learned from, so a forecast can say whether it is a
//! test of the model (`out_of_sample`).
//!
//! The trainer (`matchday-ml`) and the `predict` component both read these
//! rules: the trainer to flag its batch forecasts, the component to flag
//! `GET /predict/{id}` from the serving model's card.

use crate::feature_record::MatchFacts;
use chrono::{DateTime, TimeDelta, Utc};

/// How long after its kick-off a result may first be known: two halves,
/// half-time and stoppage time take about 1 h 55 min. A match kicking off
/// sooner after another (a 19:30 and a 20:00 kick-off) has not seen its
/// score, so no feature of it may read that score.
pub const RESULT_KNOWN_AFTER: TimeDelta = TimeDelta::minutes(150);

/// When the result of a match kicking off at `kickoff` is known.
pub fn result_known_at(kickoff: DateTime<Utc>) -> DateTime<Utc> {
    kickoff + RESULT_KNOWN_AFTER
}

/// The matches a fit was trained on, by kick-off: every finished match from
/// the first kick-off after the burn-in (`train_from`) whose result was
/// known at the fit's `as_of` date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FitWindow {
    pub train_from: DateTime<Utc>,
    pub as_of: DateTime<Utc>,
}

impl FitWindow {
    /// Whether a finished match kicked off at `kickoff` is one of the fit's
    /// training matches. Only kick-offs are compared: the caller knows the
    /// match has a result.
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

/// Whether a forecast of a match by a fit with `window` is out of sample:
/// `Some(false)` when the fit learned the match's result, `Some(true)` when
/// it cannot have, `None` when the facts at hand cannot tell.
///
/// A result not known yet at `now`, or a kick-off outside the window, is in
/// no training set of that fit, whatever store it was trained on. The
/// window compares kick-offs only, so the claim that the fit learned a
/// result needs more: the match is finished in the published data, and
/// that data is the store the fit was trained on, with its training count
/// checked (`same_store`: the data pointer's `run_store_checked` for the
/// model's own run). Otherwise a match the window covers is `None`: a
/// postponed one, a league imported after training, another run's model.
pub fn out_of_sample(
    window: Option<FitWindow>,
    facts: MatchFacts,
    same_store: bool,
    now: DateTime<Utc>,
) -> Option<bool> {
    if result_known_at(facts.kickoff) > now {
        return Some(true);
    }
    if !window?.covers(facts.kickoff) {
        return Some(true);
    }
    (facts.finished && same_store).then_some(false)
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
    fn out_of_sample_follows_the_window_the_data_the_store_and_the_clock() {
        let now = t("2026-12-07T12:00:00Z");
        let w = Some(window());
        let flag = |window, kickoff: &str, finished, same_store| {
            let facts = MatchFacts {
                kickoff: t(kickoff),
                finished,
            };
            out_of_sample(window, facts, same_store, now)
        };
        let trained = "2020-01-01T15:00:00Z";
        let after = "2023-05-01T15:00:00Z";
        let burn_in = "2005-08-01T15:00:00Z";
        let fixture = "2026-12-08T15:00:00Z";
        assert_eq!(flag(w, trained, true, true), Some(false));
        assert_eq!(flag(w, after, true, true), Some(true));
        assert_eq!(flag(w, burn_in, true, true), Some(true));
        assert_eq!(flag(w, fixture, false, true), Some(true));
        // Kick-offs after as_of are fixtures to this model, with or
        // without a result in newer data.
        assert_eq!(flag(w, after, false, true), Some(true));
        // In the window but without a result: the model's store may have
        // had one (older data than model), so no claim.
        assert_eq!(flag(w, trained, false, true), None);
        // Data that is not the fit's checked store: no claim that it learned
        // a result, while what lies outside the window stays out of sample.
        assert_eq!(flag(w, trained, true, false), None);
        assert_eq!(flag(w, burn_in, true, false), Some(true));
        assert_eq!(flag(w, after, true, false), Some(true));
        // A model without a window: only the clock can tell.
        assert_eq!(flag(None, trained, true, true), None);
        assert_eq!(flag(None, fixture, false, false), Some(true));
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
