//! Which price a card (and the ROI simulation) bets at, and when a
//! prediction is a value bet.
//!
//! **Prices.** Cards and the ROI simulation use one quote per match, the
//! first available of [`PRICE_PRIORITY`]: a live feed price (only upcoming
//! matches have one), then Pinnacle's and Bet365's *opening* prices. Opening
//! (football-data's "pre-closing", taken on the Friday or Tuesday afternoon
//! before the match) because those are prices a bettor acting on a batch
//! prediction could actually take; the closing line is the last price
//! before kick-off, available only at the very last moment. Only real
//! bookmakers are listed: market averages and maxima cannot be bet at.
//!
//! **Value bets.** The edge of an outcome is the model's probability minus
//! the bookmaker's margin-free probability ([`crate::margin::CARD_METHOD`]).
//! A prediction is a value bet when its largest edge is *more than*
//! [`VALUE_THRESHOLD`] (5 percentage points, the seed's rule); the bet is on
//! that outcome, which need not be the predicted class.

use crate::types::OddsKind;

/// Edge above which a prediction is a value bet (0.05 = 5 pp).
pub const VALUE_THRESHOLD: f64 = 0.05;

/// One acceptable source of a card's price.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PriceSource {
    /// `None`: any bookmaker (a feed's).
    pub bookmaker: Option<&'static str>,
    pub kind: OddsKind,
}

/// Price sources in order of preference.
pub const PRICE_PRIORITY: [PriceSource; 3] = [
    PriceSource {
        bookmaker: None,
        kind: OddsKind::Current,
    },
    PriceSource {
        bookmaker: Some("PS"),
        kind: OddsKind::Opening,
    },
    PriceSource {
        bookmaker: Some("B365"),
        kind: OddsKind::Opening,
    },
];

/// Rank of a quote's source in [`PRICE_PRIORITY`] (0 = best); `None` for a
/// source cards never price with.
pub fn price_rank(bookmaker: &str, kind: OddsKind) -> Option<usize> {
    PRICE_PRIORITY
        .iter()
        .position(|s| s.kind == kind && s.bookmaker.is_none_or(|b| b == bookmaker))
}

/// Sort key that puts the quotes of one match in publish order: priced
/// sources first (by rank), then the others by bookmaker and kind.
pub fn quote_order(bookmaker: &str, kind: OddsKind) -> (usize, String, u8) {
    let kind_order = match kind {
        OddsKind::Current => 0,
        OddsKind::Opening => 1,
        OddsKind::Closing => 2,
    };
    (
        price_rank(bookmaker, kind).unwrap_or(PRICE_PRIORITY.len()),
        bookmaker.to_string(),
        kind_order,
    )
}

/// Model probability minus implied probability, per outcome.
pub fn edges(model: [f64; 3], implied: [f64; 3]) -> [f64; 3] {
    [
        model[0] - implied[0],
        model[1] - implied[1],
        model[2] - implied[2],
    ]
}

/// The value bet of a prediction: the outcome (class index) with the
/// largest edge, when that edge is more than `threshold`.
pub fn value_bet(model: [f64; 3], implied: [f64; 3], threshold: f64) -> Option<(usize, f64)> {
    let edge = edges(model, implied);
    let best = (0..3).fold(0, |best, i| if edge[i] > edge[best] { i } else { best });
    (edge[best].is_finite() && edge[best] > threshold).then_some((best, edge[best]))
}

/// Profit of a one-unit stake at `odds` on an outcome that won or lost.
pub fn flat_stake_profit(odds: f64, won: bool) -> f64 {
    if won { odds - 1.0 } else { -1.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feed_prices_come_first_then_pinnacle_then_bet365_opening() {
        assert_eq!(price_rank("Fonbet", OddsKind::Current), Some(0));
        assert_eq!(price_rank("PS", OddsKind::Opening), Some(1));
        assert_eq!(price_rank("B365", OddsKind::Opening), Some(2));
        assert_eq!(price_rank("PS", OddsKind::Closing), None);
        assert_eq!(price_rank("Avg", OddsKind::Opening), None);
        assert!(quote_order("PS", OddsKind::Opening) < quote_order("B365", OddsKind::Opening));
        assert!(quote_order("B365", OddsKind::Opening) < quote_order("Avg", OddsKind::Opening));
        assert!(quote_order("Avg", OddsKind::Opening) < quote_order("Avg", OddsKind::Closing));
    }

    #[test]
    fn value_bets_need_more_than_the_threshold() {
        let implied = [0.45, 0.30, 0.25];
        // Edges: +0.05 exactly, -0.02, -0.03: not *more* than 5 pp.
        assert_eq!(value_bet([0.50, 0.28, 0.22], implied, 0.05), None);
        // Edges: -0.05, -0.02, +0.07: a value bet on the away win.
        let (outcome, edge) = value_bet([0.40, 0.28, 0.32], implied, 0.05).unwrap();
        assert_eq!(outcome, 2);
        assert!((edge - 0.07).abs() < 1e-12);
        assert_eq!(value_bet([f64::NAN, 0.3, 0.3], implied, 0.05), None);
    }

    #[test]
    fn flat_stakes() {
        assert_eq!(flat_stake_profit(2.5, true), 1.5);
        assert_eq!(flat_stake_profit(2.5, false), -1.0);
    }
}
