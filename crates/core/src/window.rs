//! Which results a fit learned from, so a forecast can say whether it is a
//! test of the model (`out_of_sample`).
//!
//! The trainer (`matchday-ml`) and the `predict` component both read these
//! rules: the trainer to flag its batch forecasts, the component to flag
//! `GET /predict/{id}` from the serving model's card.

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

    /// The window of a model card's `data_window` (`train_from` and `as_of`,
    /// RFC 3339), if it has both. Cards of models trained elsewhere may not.
    pub fn from_card(data_window: &serde_json::Value) -> Option<FitWindow> {
        let time = |field: &str| {
            data_window
                .get(field)?
                .as_str()
                .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                .map(|t| t.with_timezone(&Utc))
        };
        Some(FitWindow {
            train_from: time("train_from")?,
            as_of: time("as_of")?,
        })
    }
}

/// Whether a forecast of a match by a fit with `window` is out of sample:
/// `Some(false)` when the fit learned the match's result, `Some(true)` when
/// it cannot have, `None` when the facts at hand cannot tell.
///
/// `finished` is whether the published data has the match's result. A
/// result not known yet at `now` is in no fit, whatever its card says; a
/// match the window covers but the data has no result for (postponed, or a
/// data version older than the model) is left `None`.
pub fn out_of_sample(
    window: Option<FitWindow>,
    kickoff: DateTime<Utc>,
    finished: bool,
    now: DateTime<Utc>,
) -> Option<bool> {
    if result_known_at(kickoff) > now {
        return Some(true);
    }
    let window = window?;
    match (window.covers(kickoff), finished) {
        (false, _) => Some(true),
        (true, true) => Some(false),
        (true, false) => None,
    }
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
    fn out_of_sample_follows_the_window_the_data_and_the_clock() {
        let now = t("2026-12-07T12:00:00Z");
        let w = Some(window());
        let trained = t("2020-01-01T15:00:00Z");
        let after = t("2023-05-01T15:00:00Z");
        let burn_in = t("2005-08-01T15:00:00Z");
        let fixture = t("2026-12-08T15:00:00Z");
        assert_eq!(out_of_sample(w, trained, true, now), Some(false));
        assert_eq!(out_of_sample(w, after, true, now), Some(true));
        assert_eq!(out_of_sample(w, burn_in, true, now), Some(true));
        assert_eq!(out_of_sample(w, fixture, false, now), Some(true));
        // Kick-offs after as_of are fixtures to this model, with or
        // without a result in newer data.
        assert_eq!(out_of_sample(w, after, false, now), Some(true));
        // In the window but without a result: the model's store may have
        // had one (older data than model), so no claim.
        assert_eq!(out_of_sample(w, trained, false, now), None);
        // A model without a window: only the clock can tell.
        assert_eq!(out_of_sample(None, trained, true, now), None);
        assert_eq!(out_of_sample(None, fixture, false, now), Some(true));
    }

    #[test]
    fn the_window_is_read_from_a_card_or_not_at_all() {
        let card = serde_json::json!({
            "as_of": "2023-04-01T00:00:00Z",
            "train_from": "2006-07-01T00:00:00+00:00",
            "split_date": "2021-07-01T00:00:00Z",
        });
        assert_eq!(FitWindow::from_card(&card), Some(window()));
        for missing in ["as_of", "train_from"] {
            let mut partial = card.clone();
            partial.as_object_mut().unwrap().remove(missing);
            assert_eq!(FitWindow::from_card(&partial), None, "{missing}");
        }
        let garbled = serde_json::json!({"as_of": "yesterday", "train_from": 7});
        assert_eq!(FitWindow::from_card(&garbled), None);
        assert_eq!(FitWindow::from_card(&serde_json::Value::Null), None);
    }
}
