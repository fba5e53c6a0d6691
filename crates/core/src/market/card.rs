//! A match card: one match's prediction joined with the price it would be
//! bet at, the margin-free probabilities, the edges and the value bet.
//!
//! The same function builds the cards of a listing at publish time and a
//! single card at request time (from the `lookup` and `odds` interfaces), so
//! both are byte for byte the same JSON.

use crate::market::value::{self, VALUE_THRESHOLD};
use crate::market::wire::Triple;
use crate::types::{MatchStatus, MatchSummary, OddsQuote, Outcome, PrecomputedPrediction};
use serde::Serialize;

/// A built card: its JSON and what listings need to know about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Card {
    pub json: Vec<u8>,
    pub value_bet: bool,
}

#[derive(Serialize)]
struct CardJson<'a> {
    match_id: i64,
    start_time_utc: &'a str,
    home_team_name: &'a str,
    away_team_name: &'a str,
    league: &'a str,
    tournament: &'a str,
    region: &'a str,
    season: &'a str,
    status: &'a str,
    home_score: Option<u8>,
    away_score: Option<u8>,
    /// The actual result of a finished match.
    result_label: Option<&'static str>,
    proba_home: f64,
    proba_draw: f64,
    proba_away: f64,
    predicted_class: u8,
    predicted_label: &'static str,
    bookmaker: Option<&'a str>,
    odds_kind: Option<&'static str>,
    odd_home: Option<f64>,
    odd_draw: Option<f64>,
    odd_away: Option<f64>,
    odds_captured_at: Option<&'a str>,
    implied: Option<Triple>,
    edge: Option<Triple>,
    value_bet: bool,
    value_outcome: Option<&'static str>,
    value_edge: Option<f64>,
    bookmaker_url: Option<&'a str>,
    /// Finished matches: whether the predicted class was the result.
    pick_correct: Option<bool>,
    /// Finished matches with a value bet: whether that bet won.
    value_bet_won: Option<bool>,
    model_run_id: &'a str,
    /// The prediction's flag: a finished card with `false` was forecast by
    /// a fit trained on its result, so its hit and bet say nothing of the
    /// model.
    out_of_sample: Option<bool>,
}

/// The 1X2 result of a played match.
pub fn result(summary: &MatchSummary) -> Option<Outcome> {
    if summary.status != MatchStatus::Finished {
        return None;
    }
    let (home, away) = (summary.home_score?, summary.away_score?);
    Some(match home.cmp(&away) {
        std::cmp::Ordering::Greater => Outcome::HomeWin,
        std::cmp::Ordering::Equal => Outcome::Draw,
        std::cmp::Ordering::Less => Outcome::AwayWin,
    })
}

fn outcome(index: usize) -> Outcome {
    match index {
        0 => Outcome::HomeWin,
        1 => Outcome::Draw,
        _ => Outcome::AwayWin,
    }
}

/// The quote a card prices with: the best-ranked priced source among a
/// match's quotes (see [`value::price_rank`]).
pub fn card_quote(quotes: &[OddsQuote]) -> Option<&OddsQuote> {
    quotes
        .iter()
        .filter_map(|q| value::price_rank(&q.bookmaker, q.kind).map(|rank| (rank, q)))
        .min_by_key(|(rank, _)| *rank)
        .map(|(_, q)| q)
}

/// The bookmaker page a card links to: the priced quote's, else the first
/// quote that has one (links come with feed quotes).
fn card_link(quotes: &[OddsQuote], priced: Option<&OddsQuote>) -> Option<String> {
    priced
        .and_then(|q| q.link.clone())
        .or_else(|| quotes.iter().find_map(|q| q.link.clone()))
}

/// Joins a match, its prediction and its quotes (any order).
pub fn build(
    summary: &MatchSummary,
    prediction: &PrecomputedPrediction,
    quotes: &[OddsQuote],
) -> Card {
    let quote = card_quote(quotes);
    let link = card_link(quotes, quote);
    let model = [
        prediction.probabilities.home_win,
        prediction.probabilities.draw,
        prediction.probabilities.away_win,
    ];
    let implied = quote.map(|q| Triple::from(&q.implied).values());
    let edge = implied.map(|p| value::edges(model, p));
    let value = implied.and_then(|p| value::value_bet(model, p, VALUE_THRESHOLD));
    let actual = result(summary);
    let json = CardJson {
        match_id: summary.match_id,
        start_time_utc: &summary.start_time_utc,
        home_team_name: &summary.home_team_name,
        away_team_name: &summary.away_team_name,
        league: &summary.league,
        tournament: &summary.tournament,
        region: &summary.region,
        season: &summary.season,
        status: summary.status.label(),
        home_score: summary.home_score,
        away_score: summary.away_score,
        result_label: actual.map(Outcome::label),
        proba_home: model[0],
        proba_draw: model[1],
        proba_away: model[2],
        predicted_class: prediction.predicted_class.class_index(),
        predicted_label: prediction.predicted_class.label(),
        bookmaker: quote.map(|q| q.bookmaker.as_str()),
        odds_kind: quote.map(|q| q.kind.as_str()),
        odd_home: quote.map(|q| q.home),
        odd_draw: quote.map(|q| q.draw),
        odd_away: quote.map(|q| q.away),
        odds_captured_at: quote.and_then(|q| q.captured_at.as_deref()),
        implied: implied.map(Triple::of),
        edge: edge.map(Triple::of),
        value_bet: value.is_some(),
        value_outcome: value.map(|(i, _)| outcome(i).label()),
        value_edge: value.map(|(_, e)| e),
        bookmaker_url: link.as_deref(),
        pick_correct: actual.map(|a| a == prediction.predicted_class),
        value_bet_won: actual.zip(value).map(|(a, (i, _))| a == outcome(i)),
        model_run_id: &prediction.model_run_id,
        out_of_sample: prediction.out_of_sample,
    };
    Card {
        json: serde_json::to_vec(&json).unwrap_or_default(),
        value_bet: value.is_some(),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::types::{OddsKind, Probabilities};

    pub fn summary(id: i64, finished: bool) -> MatchSummary {
        MatchSummary {
            match_id: id,
            start_time_utc: "2023-03-04T15:00:00Z".into(),
            home_team_id: 1,
            home_team_name: "Man United".into(),
            away_team_id: 2,
            away_team_name: "Fulham".into(),
            league: "E0".into(),
            tournament: "Premier League".into(),
            region: "England".into(),
            season: "2022-2023".into(),
            status: if finished {
                MatchStatus::Finished
            } else {
                MatchStatus::Upcoming
            },
            home_score: finished.then_some(1),
            away_score: finished.then_some(1),
        }
    }

    pub fn prediction(id: i64, p: [f64; 3], finished: bool) -> PrecomputedPrediction {
        let best = (0..3).fold(0, |b, i| if p[i] > p[b] { i } else { b });
        PrecomputedPrediction {
            match_id: id,
            probabilities: Probabilities {
                home_win: p[0],
                draw: p[1],
                away_win: p[2],
            },
            predicted_class: outcome(best),
            is_future: !finished,
            start_time_utc: "2023-03-04T15:00:00Z".into(),
            home_team_name: "Man United".into(),
            away_team_name: "Fulham".into(),
            model_run_id: "run".into(),
            model_stage: "champion".into(),
            predictions_computed_at: "2026-01-01T00:00:00Z".into(),
            out_of_sample: Some(true),
        }
    }

    pub fn quote(id: i64, bookmaker: &str, kind: OddsKind, implied: [f64; 3]) -> OddsQuote {
        OddsQuote {
            match_id: id,
            bookmaker: bookmaker.into(),
            kind,
            home: 1.0 / implied[0] * 0.95,
            draw: 1.0 / implied[1] * 0.95,
            away: 1.0 / implied[2] * 0.95,
            implied: Probabilities {
                home_win: implied[0],
                draw: implied[1],
                away_win: implied[2],
            },
            captured_at: None,
            link: None,
        }
    }

    #[test]
    fn a_finished_value_bet_card() {
        // Model: draw 0.34 vs implied 0.25 → +9 pp on the draw (a value bet),
        // while the predicted class is the home win. The match ended 1-1.
        let mut priced = quote(5, "PS", OddsKind::Opening, [0.50, 0.25, 0.25]);
        priced.link = Some("https://book.example/e/5".into());
        let closing = quote(5, "PS", OddsKind::Closing, [0.30, 0.30, 0.40]);
        let b365 = quote(5, "B365", OddsKind::Opening, [0.40, 0.30, 0.30]);
        let card = build(
            &summary(5, true),
            &prediction(5, [0.44, 0.34, 0.22], true),
            &[closing, b365, priced],
        );
        assert!(card.value_bet);
        let v: serde_json::Value = serde_json::from_slice(&card.json).unwrap();
        assert_eq!(v["status"], "finished");
        assert_eq!(v["result_label"], "draw");
        assert_eq!(v["predicted_label"], "home_win");
        assert_eq!(v["pick_correct"], false);
        assert_eq!(v["value_outcome"], "draw");
        assert_eq!(v["value_bet_won"], true);
        assert!((v["value_edge"].as_f64().unwrap() - 0.09).abs() < 1e-12);
        assert!((v["edge"]["home"].as_f64().unwrap() + 0.06).abs() < 1e-12);
        assert_eq!(v["bookmaker"], "PS");
        assert_eq!(v["odds_kind"], "opening");
        assert_eq!(v["bookmaker_url"], "https://book.example/e/5");
        assert_eq!(v["home_score"], 1);
        assert_eq!(v["out_of_sample"], true);
        let in_sample = PrecomputedPrediction {
            out_of_sample: Some(false),
            ..prediction(5, [0.44, 0.34, 0.22], true)
        };
        let card = build(&summary(5, true), &in_sample, &[]);
        let v: serde_json::Value = serde_json::from_slice(&card.json).unwrap();
        assert_eq!(v["out_of_sample"], false, "the card carries the flag");
    }

    #[test]
    fn an_upcoming_card_without_a_priced_quote() {
        // Closing prices are never used to price a card.
        let card = build(
            &summary(6, false),
            &prediction(6, [0.5, 0.3, 0.2], false),
            &[quote(6, "PS", OddsKind::Closing, [0.3, 0.3, 0.4])],
        );
        assert!(!card.value_bet);
        let v: serde_json::Value = serde_json::from_slice(&card.json).unwrap();
        assert_eq!(v["status"], "upcoming");
        assert!(v["odd_home"].is_null() && v["implied"].is_null() && v["edge"].is_null());
        assert!(v["pick_correct"].is_null() && v["result_label"].is_null());
        assert_eq!(v["value_bet"], false);
        assert!(v["value_outcome"].is_null());
    }
}
