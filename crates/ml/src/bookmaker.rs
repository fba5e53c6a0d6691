//! The market as a forecaster: margin-free implied probabilities from 1X2
//! prices, and which quote of a match to trust.
//!
//! Only basic normalisation exists today; [`ImpliedMethod`] is the place for
//! Shin's and the power method (they differ in how the margin is spread
//! over favourite and long shot).

use std::collections::{BTreeMap, HashMap};

use matchday_core::domain::{OddsKind, OddsQuote};
use serde::{Deserialize, Serialize};

/// How the bookmaker's margin is removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImpliedMethod {
    /// `p_i = (1/o_i) / Σ_j 1/o_j`: the margin is spread in proportion to
    /// each implied probability.
    #[default]
    Normalised,
}

/// Margin-free probabilities (home, draw, away) of a quote; `None` for an
/// unusable quote (see [`OddsQuote::is_valid`]).
pub fn implied_probabilities(quote: &OddsQuote, method: ImpliedMethod) -> Option<[f64; 3]> {
    if !quote.is_valid() {
        return None;
    }
    let inverse = [1.0 / quote.home, 1.0 / quote.draw, 1.0 / quote.away];
    match method {
        ImpliedMethod::Normalised => {
            let total: f64 = inverse.iter().sum();
            Some(inverse.map(|p| p / total))
        }
    }
}

/// A (bookmaker, kind) pair, e.g. Pinnacle closing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OddsSource {
    pub bookmaker: &'static str,
    pub kind: OddsKind,
}

impl OddsSource {
    /// `PS closing`.
    pub fn label(&self) -> String {
        format!("{} {}", self.bookmaker, self.kind.as_str())
    }
}

const fn source(bookmaker: &'static str, kind: OddsKind) -> OddsSource {
    OddsSource { bookmaker, kind }
}

/// Sources in order of preference: Pinnacle is the sharpest book and its
/// closing line the best-informed price; then the market average (`Avg`
/// from 2019-20, BetBrain's `BbAv` before), then Bet365 (the best covered).
pub const SOURCE_PRIORITY: [OddsSource; 8] = [
    source("PS", OddsKind::Closing),
    source("PS", OddsKind::Opening),
    source("Avg", OddsKind::Closing),
    source("Avg", OddsKind::Opening),
    source("BbAv", OddsKind::Closing),
    source("BbAv", OddsKind::Opening),
    source("B365", OddsKind::Closing),
    source("B365", OddsKind::Opening),
];

/// Prices published before the market closes (football-data collects them
/// when the fixtures file goes out, days before kick-off), in the same order
/// of preference: what a forecaster may read ahead of a match.
pub const OPENING_PRIORITY: [OddsSource; 4] = [
    source("PS", OddsKind::Opening),
    source("Avg", OddsKind::Opening),
    source("BbAv", OddsKind::Opening),
    source("B365", OddsKind::Opening),
];

/// The market's forecast for one match.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MarketForecast {
    pub proba: [f64; 3],
    pub source: OddsSource,
}

/// The best valid quote of each match, by [`SOURCE_PRIORITY`].
pub fn market_forecasts(odds: &[OddsQuote], method: ImpliedMethod) -> HashMap<i64, MarketForecast> {
    forecasts_by(odds, method, &SOURCE_PRIORITY)
}

/// The best valid quote of each match among `priority` (most preferred
/// first); other sources are ignored.
pub fn forecasts_by(
    odds: &[OddsQuote],
    method: ImpliedMethod,
    priority: &[OddsSource],
) -> HashMap<i64, MarketForecast> {
    let mut best: HashMap<i64, (usize, MarketForecast)> = HashMap::new();
    for quote in odds {
        let Some(rank) = priority
            .iter()
            .position(|s| s.bookmaker == quote.bookmaker && s.kind == quote.kind)
        else {
            continue;
        };
        let Some(proba) = implied_probabilities(quote, method) else {
            continue;
        };
        let better = best.get(&quote.match_id).is_none_or(|(r, _)| rank < *r);
        if better {
            let source = priority[rank];
            best.insert(quote.match_id, (rank, MarketForecast { proba, source }));
        }
    }
    best.into_iter().map(|(id, (_, f))| (id, f)).collect()
}

/// How many of `match_ids` used each source (label → count), in a stable order.
pub fn source_usage(
    forecasts: &HashMap<i64, MarketForecast>,
    match_ids: impl IntoIterator<Item = i64>,
) -> BTreeMap<String, usize> {
    let mut usage = BTreeMap::new();
    for id in match_ids {
        if let Some(f) = forecasts.get(&id) {
            *usage.entry(f.source.label()).or_insert(0) += 1;
        }
    }
    usage
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quote(id: i64, bookmaker: &str, kind: OddsKind, prices: [f64; 3]) -> OddsQuote {
        OddsQuote {
            match_id: id,
            bookmaker: bookmaker.into(),
            kind,
            home: prices[0],
            draw: prices[1],
            away: prices[2],
        }
    }

    #[test]
    fn normalisation_by_hand() {
        // 1/1.8 + 1/3.5 + 1/4.5 = 0.555556 + 0.285714 + 0.222222 = 1.063492;
        // home = 0.555556 / 1.063492 = 0.522388.
        let q = quote(1, "PS", OddsKind::Closing, [1.8, 3.5, 4.5]);
        let p = implied_probabilities(&q, ImpliedMethod::Normalised).unwrap();
        let total = 1.0 / 1.8 + 1.0 / 3.5 + 1.0 / 4.5;
        assert!((p[0] - (1.0 / 1.8) / total).abs() < 1e-15);
        assert!((p[0] - 0.522_388).abs() < 1e-6);
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-15);
        // 1/2 + 1/4 + 1/5 = 0.95: a negative overround, unusable.
        let stale = quote(1, "PS", OddsKind::Closing, [2.0, 4.0, 5.0]);
        assert_eq!(
            implied_probabilities(&stale, ImpliedMethod::Normalised),
            None
        );
    }

    #[test]
    fn preferred_source_wins_and_invalid_quotes_fall_back() {
        let odds = [
            quote(1, "B365", OddsKind::Opening, [2.0, 3.4, 3.6]),
            quote(1, "PS", OddsKind::Opening, [2.1, 3.4, 3.6]),
            quote(1, "PS", OddsKind::Closing, [2.2, 3.4, 3.4]),
            quote(2, "PS", OddsKind::Closing, [f64::NAN, 3.4, 3.4]),
            quote(2, "BbAv", OddsKind::Opening, [2.0, 3.3, 3.5]),
            quote(2, "Max", OddsKind::Closing, [2.5, 3.8, 4.0]),
            quote(3, "WH", OddsKind::Closing, [2.5, 3.8, 4.0]),
        ];
        let f = market_forecasts(&odds, ImpliedMethod::Normalised);
        assert_eq!(f[&1].source, source("PS", OddsKind::Closing));
        assert_eq!(f[&2].source, source("BbAv", OddsKind::Opening));
        assert!(!f.contains_key(&3), "unknown bookmakers are not used");
        let opening = forecasts_by(&odds, ImpliedMethod::Normalised, &OPENING_PRIORITY);
        assert_eq!(opening[&1].source, source("PS", OddsKind::Opening));
        assert_eq!(opening[&2].source, source("BbAv", OddsKind::Opening));
        let usage = source_usage(&f, [1, 2, 3]);
        assert_eq!(usage.get("PS closing"), Some(&1));
        assert_eq!(usage.get("BbAv opening"), Some(&1));
        assert_eq!(usage.len(), 2);
    }
}
