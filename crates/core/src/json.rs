//! The wire formats of the lookup endpoints, written from the WIT records.
//!
//! Field names follow the seed's API (snake_case response models, camelCase
//! columns it copied from its parquet files), so existing clients keep working.
//! These encoders run at publish time; a request only copies their output.

use crate::types::{MatchStatus, MatchSummary, Outcome, PrecomputedPrediction};
use serde::Serialize;

impl Outcome {
    /// Class index used in training, ONNX outputs and parquet files.
    pub fn class_index(self) -> u8 {
        match self {
            Outcome::HomeWin => 0,
            Outcome::Draw => 1,
            Outcome::AwayWin => 2,
        }
    }

    pub fn from_class_index(index: i64) -> Option<Outcome> {
        match index {
            0 => Some(Outcome::HomeWin),
            1 => Some(Outcome::Draw),
            2 => Some(Outcome::AwayWin),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Outcome::HomeWin => "home_win",
            Outcome::Draw => "draw",
            Outcome::AwayWin => "away_win",
        }
    }
}

impl MatchStatus {
    pub fn label(self) -> &'static str {
        match self {
            MatchStatus::Upcoming => "upcoming",
            MatchStatus::Finished => "finished",
        }
    }
}

fn to_vec<T: Serialize>(value: &T) -> Vec<u8> {
    // Serialising plain structs of strings and numbers cannot fail; non-finite
    // floats become null rather than an error.
    serde_json::to_vec(value).unwrap_or_default()
}

/// `GET /predict/precomputed/{id}` (the seed's PrecomputedPredictResponse).
pub fn precomputed(p: &PrecomputedPrediction) -> Vec<u8> {
    #[derive(Serialize)]
    struct Body<'a> {
        match_id: i64,
        proba_home: f64,
        proba_draw: f64,
        proba_away: f64,
        predicted_class: u8,
        predicted_label: &'a str,
        is_future: bool,
        start_time_utc: &'a str,
        home_team_name: &'a str,
        away_team_name: &'a str,
        model_run_id: &'a str,
        model_stage: &'a str,
        predictions_computed_at: &'a str,
        out_of_sample: Option<bool>,
    }
    to_vec(&Body {
        match_id: p.match_id,
        proba_home: p.probabilities.home_win,
        proba_draw: p.probabilities.draw,
        proba_away: p.probabilities.away_win,
        predicted_class: p.predicted_class.class_index(),
        predicted_label: p.predicted_class.label(),
        is_future: p.is_future,
        start_time_utc: &p.start_time_utc,
        home_team_name: &p.home_team_name,
        away_team_name: &p.away_team_name,
        model_run_id: &p.model_run_id,
        model_stage: &p.model_stage,
        predictions_computed_at: &p.predictions_computed_at,
        out_of_sample: p.out_of_sample,
    })
}

/// A row of `GET /predict/predictions/`: display columns only, no features.
pub fn prediction_row(p: &PrecomputedPrediction) -> Vec<u8> {
    #[derive(Serialize)]
    #[allow(non_snake_case)]
    struct Row<'a> {
        match_id: i64,
        startTimeUtc: &'a str,
        homeTeamName: &'a str,
        awayTeamName: &'a str,
        proba_home: f64,
        proba_draw: f64,
        proba_away: f64,
        predicted_class: u8,
        predicted_label: &'a str,
        is_future: bool,
        model_run_id: &'a str,
        model_stage: &'a str,
        out_of_sample: Option<bool>,
    }
    to_vec(&Row {
        match_id: p.match_id,
        startTimeUtc: &p.start_time_utc,
        homeTeamName: &p.home_team_name,
        awayTeamName: &p.away_team_name,
        proba_home: p.probabilities.home_win,
        proba_draw: p.probabilities.draw,
        proba_away: p.probabilities.away_win,
        predicted_class: p.predicted_class.class_index(),
        predicted_label: p.predicted_class.label(),
        is_future: p.is_future,
        model_run_id: &p.model_run_id,
        model_stage: &p.model_stage,
        out_of_sample: p.out_of_sample,
    })
}

/// A row of `GET /predict/matches/` (upcoming fixtures).
pub fn upcoming_row(m: &MatchSummary) -> Vec<u8> {
    #[derive(Serialize)]
    #[allow(non_snake_case)]
    struct Row<'a> {
        match_id: i64,
        startTimeUtc: &'a str,
        homeTeamName: &'a str,
        awayTeamName: &'a str,
        homeTeamId: i64,
        awayTeamId: i64,
        league: &'a str,
        tournamentName: &'a str,
        regionName: &'a str,
    }
    to_vec(&Row {
        match_id: m.match_id,
        startTimeUtc: &m.start_time_utc,
        homeTeamName: &m.home_team_name,
        awayTeamName: &m.away_team_name,
        homeTeamId: m.home_team_id,
        awayTeamId: m.away_team_id,
        league: &m.league,
        tournamentName: &m.tournament,
        regionName: &m.region,
    })
}

/// A row of `GET /livescores/` (the seed's MatchRawLive, status as text).
pub fn livescore_row(m: &MatchSummary) -> Vec<u8> {
    #[derive(Serialize)]
    #[allow(non_snake_case)]
    struct Row<'a> {
        id: i64,
        status: &'a str,
        startTimeUtc: &'a str,
        homeTeamName: &'a str,
        homeScore: Option<u8>,
        awayScore: Option<u8>,
        awayTeamName: &'a str,
        tournamentName: &'a str,
        league: &'a str,
        season: &'a str,
        regionName: &'a str,
    }
    to_vec(&Row {
        id: m.match_id,
        status: m.status.label(),
        startTimeUtc: &m.start_time_utc,
        homeTeamName: &m.home_team_name,
        homeScore: m.home_score,
        awayScore: m.away_score,
        awayTeamName: &m.away_team_name,
        tournamentName: &m.tournament,
        league: &m.league,
        season: &m.season,
        regionName: &m.region,
    })
}

/// Joins ready JSON rows into an array without re-parsing them.
pub fn array<'a>(rows: impl IntoIterator<Item = &'a [u8]>) -> Vec<u8> {
    let mut out = vec![b'['];
    for (i, row) in rows.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(row);
    }
    out.push(b']');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Probabilities;

    pub(crate) fn sample_prediction() -> PrecomputedPrediction {
        PrecomputedPrediction {
            match_id: 12,
            probabilities: Probabilities {
                home_win: 0.5,
                draw: 0.3,
                away_win: 0.2,
            },
            predicted_class: Outcome::HomeWin,
            is_future: true,
            start_time_utc: "2023-05-28T15:30:00Z".into(),
            home_team_name: "Man United".into(),
            away_team_name: "Fulham".into(),
            model_run_id: "run-1".into(),
            model_stage: "champion".into(),
            predictions_computed_at: "2026-11-23T10:00:00Z".into(),
            out_of_sample: Some(true),
        }
    }

    #[test]
    fn precomputed_uses_the_seed_field_names() {
        let v: serde_json::Value =
            serde_json::from_slice(&precomputed(&sample_prediction())).unwrap();
        assert_eq!(v["match_id"], 12);
        assert_eq!(v["proba_home"], 0.5);
        assert_eq!(v["predicted_class"], 0);
        assert_eq!(v["predicted_label"], "home_win");
        assert_eq!(v["start_time_utc"], "2023-05-28T15:30:00Z");
        assert_eq!(v["home_team_name"], "Man United");
        assert_eq!(v["predictions_computed_at"], "2026-11-23T10:00:00Z");
        assert_eq!(v["out_of_sample"], true);
    }

    #[test]
    fn an_unrecorded_sample_flag_is_null_not_a_guess() {
        let p = PrecomputedPrediction {
            out_of_sample: None,
            ..sample_prediction()
        };
        for body in [precomputed(&p), prediction_row(&p)] {
            let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
            assert!(v["out_of_sample"].is_null(), "{v}");
            assert!(v.as_object().unwrap().contains_key("out_of_sample"));
        }
    }

    #[test]
    fn prediction_rows_use_camel_case_columns() {
        let v: serde_json::Value =
            serde_json::from_slice(&prediction_row(&sample_prediction())).unwrap();
        assert_eq!(v["startTimeUtc"], "2023-05-28T15:30:00Z");
        assert_eq!(v["homeTeamName"], "Man United");
        assert_eq!(v["is_future"], true);
        assert_eq!(v["out_of_sample"], true);
    }

    #[test]
    fn array_joins_rows() {
        assert_eq!(array([&b"1"[..], b"{}", b"[2]"]), b"[1,{},[2]]");
        assert_eq!(array(std::iter::empty()), b"[]");
    }
}
