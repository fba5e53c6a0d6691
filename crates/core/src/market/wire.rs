//! JSON of the market records: written at publish time, copied verbatim by
//! requests, and read back into WIT records by the library components.
//!
//! Field names follow the issue's and the seed's API (snake_case, prices as
//! `odd_home`/`odd_draw`/`odd_away`, implied probabilities nested).

use crate::types::{
    MatchStatus, MatchSummary, OddsKind, OddsQuote, Outcome, PrecomputedPrediction, Probabilities,
};
use serde::{Deserialize, Serialize};

impl OddsKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OddsKind::Opening => "opening",
            OddsKind::Closing => "closing",
            OddsKind::Current => "current",
        }
    }

    pub fn parse(s: &str) -> Option<OddsKind> {
        match s {
            "opening" => Some(OddsKind::Opening),
            "closing" => Some(OddsKind::Closing),
            "current" => Some(OddsKind::Current),
            _ => None,
        }
    }
}

/// Home/draw/away numbers.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Triple {
    pub home: f64,
    pub draw: f64,
    pub away: f64,
}

impl Triple {
    pub fn of(values: [f64; 3]) -> Self {
        Triple {
            home: values[0],
            draw: values[1],
            away: values[2],
        }
    }

    pub fn values(&self) -> [f64; 3] {
        [self.home, self.draw, self.away]
    }
}

impl From<&Probabilities> for Triple {
    fn from(p: &Probabilities) -> Self {
        Triple::of([p.home_win, p.draw, p.away_win])
    }
}

impl From<Triple> for Probabilities {
    fn from(t: Triple) -> Self {
        Probabilities {
            home_win: t.home,
            draw: t.draw,
            away_win: t.away,
        }
    }
}

/// A row of `GET /predict/odds/` (and an element of an odds bucket).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OddsRow {
    pub match_id: i64,
    pub bookmaker: String,
    /// `opening`, `closing` or `current`.
    pub kind: String,
    pub odd_home: f64,
    pub odd_draw: f64,
    pub odd_away: f64,
    pub implied: Triple,
    pub captured_at: Option<String>,
    /// The bookmaker's event page, when a feed linked the match.
    pub bookmaker_url: Option<String>,
}

impl From<&OddsQuote> for OddsRow {
    fn from(q: &OddsQuote) -> Self {
        OddsRow {
            match_id: q.match_id,
            bookmaker: q.bookmaker.clone(),
            kind: q.kind.as_str().to_string(),
            odd_home: q.home,
            odd_draw: q.draw,
            odd_away: q.away,
            implied: Triple::from(&q.implied),
            captured_at: q.captured_at.clone(),
            bookmaker_url: q.link.clone(),
        }
    }
}

impl OddsRow {
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    pub fn into_quote(self) -> Option<OddsQuote> {
        Some(OddsQuote {
            match_id: self.match_id,
            bookmaker: self.bookmaker,
            kind: OddsKind::parse(&self.kind)?,
            home: self.odd_home,
            draw: self.odd_draw,
            away: self.odd_away,
            implied: self.implied.into(),
            captured_at: self.captured_at,
            link: self.bookmaker_url,
        })
    }
}

/// Stored form of a match summary (match buckets), lossless.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SummaryRecord {
    pub match_id: i64,
    pub start_time_utc: String,
    pub home_team_id: i64,
    pub home_team_name: String,
    pub away_team_id: i64,
    pub away_team_name: String,
    pub league: String,
    pub tournament: String,
    pub region: String,
    pub season: String,
    pub status: String,
    pub home_score: Option<u8>,
    pub away_score: Option<u8>,
}

impl From<&MatchSummary> for SummaryRecord {
    fn from(m: &MatchSummary) -> Self {
        SummaryRecord {
            match_id: m.match_id,
            start_time_utc: m.start_time_utc.clone(),
            home_team_id: m.home_team_id,
            home_team_name: m.home_team_name.clone(),
            away_team_id: m.away_team_id,
            away_team_name: m.away_team_name.clone(),
            league: m.league.clone(),
            tournament: m.tournament.clone(),
            region: m.region.clone(),
            season: m.season.clone(),
            status: m.status.label().to_string(),
            home_score: m.home_score,
            away_score: m.away_score,
        }
    }
}

impl SummaryRecord {
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    pub fn into_summary(self) -> Option<MatchSummary> {
        let status = match self.status.as_str() {
            "upcoming" => MatchStatus::Upcoming,
            "finished" => MatchStatus::Finished,
            _ => return None,
        };
        Some(MatchSummary {
            match_id: self.match_id,
            start_time_utc: self.start_time_utc,
            home_team_id: self.home_team_id,
            home_team_name: self.home_team_name,
            away_team_id: self.away_team_id,
            away_team_name: self.away_team_name,
            league: self.league,
            tournament: self.tournament,
            region: self.region,
            season: self.season,
            status,
            home_score: self.home_score,
            away_score: self.away_score,
        })
    }
}

/// Reads back the body of `GET /predict/precomputed/{id}`
/// ([`crate::json::precomputed`]).
pub fn parse_precomputed(json: &[u8]) -> Option<PrecomputedPrediction> {
    #[derive(Deserialize)]
    struct Body {
        match_id: i64,
        proba_home: f64,
        proba_draw: f64,
        proba_away: f64,
        predicted_class: i64,
        is_future: bool,
        start_time_utc: String,
        home_team_name: String,
        away_team_name: String,
        model_run_id: String,
        model_stage: String,
        predictions_computed_at: String,
        /// Absent from records published before the flag existed.
        #[serde(default)]
        out_of_sample: Option<bool>,
    }
    let b: Body = serde_json::from_slice(json).ok()?;
    Some(PrecomputedPrediction {
        match_id: b.match_id,
        probabilities: Probabilities {
            home_win: b.proba_home,
            draw: b.proba_draw,
            away_win: b.proba_away,
        },
        predicted_class: Outcome::from_class_index(b.predicted_class)?,
        is_future: b.is_future,
        start_time_utc: b.start_time_utc,
        home_team_name: b.home_team_name,
        away_team_name: b.away_team_name,
        model_run_id: b.model_run_id,
        model_stage: b.model_stage,
        predictions_computed_at: b.predictions_computed_at,
        out_of_sample: b.out_of_sample,
    })
}

/// A row of `GET /predict/region-roi/`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoiRow {
    /// The region, or `overall` for the row over every bet.
    pub region: String,
    /// The league code, on rows grouped by league.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub league: Option<String>,
    pub strategy: String,
    pub bets: u32,
    pub hits: u32,
    pub hit_rate: f64,
    pub profit: f64,
    pub roi: f64,
    pub roi_ci_low: f64,
    pub roi_ci_high: f64,
}

/// The `region` of the row over every bet.
pub const OVERALL: &str = "overall";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odds_rows_round_trip_into_quotes() {
        let quote = OddsQuote {
            match_id: 7,
            bookmaker: "PS".into(),
            kind: OddsKind::Opening,
            home: 2.0,
            draw: 3.5,
            away: 4.0,
            implied: Probabilities {
                home_win: 0.49,
                draw: 0.27,
                away_win: 0.24,
            },
            captured_at: None,
            link: Some("https://book.example/e/1".into()),
        };
        let row = OddsRow::from(&quote);
        let v: serde_json::Value = serde_json::from_slice(&row.to_json()).unwrap();
        assert_eq!(v["odd_home"], 2.0);
        assert_eq!(v["implied"]["draw"], 0.27);
        assert_eq!(v["kind"], "opening");
        assert!(v["captured_at"].is_null());
        let back: OddsRow = serde_json::from_slice(&row.to_json()).unwrap();
        assert_eq!(back.into_quote().unwrap(), quote);
    }

    #[test]
    fn precomputed_bodies_parse_back() {
        let p = PrecomputedPrediction {
            match_id: 12,
            probabilities: Probabilities {
                home_win: 0.5,
                draw: 0.3,
                away_win: 0.2,
            },
            predicted_class: Outcome::HomeWin,
            is_future: true,
            start_time_utc: "2023-05-28T15:30:00Z".into(),
            home_team_name: "A".into(),
            away_team_name: "B".into(),
            model_run_id: "r".into(),
            model_stage: "champion".into(),
            predictions_computed_at: "2026-01-01T00:00:00Z".into(),
            out_of_sample: Some(false),
        };
        assert_eq!(
            parse_precomputed(&crate::json::precomputed(&p)),
            Some(p.clone())
        );
        // A record an older admin published has no flag: unknown, not false.
        let mut old: serde_json::Value =
            serde_json::from_slice(&crate::json::precomputed(&p)).unwrap();
        old.as_object_mut().unwrap().remove("out_of_sample");
        let read = parse_precomputed(&serde_json::to_vec(&old).unwrap()).unwrap();
        assert_eq!(read.out_of_sample, None);
        assert_eq!(parse_precomputed(b"{}"), None);
    }
}
