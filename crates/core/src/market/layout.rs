//! Where the market groups' records live in a data version.
//!
//! - `odds/list/<chunk>`: row chunks of `GET /predict/odds/` (kick-off
//!   order, best source first within a match).
//! - `odds/bucket/<b>`: record buckets, match id → JSON array of that
//!   match's quotes (best source first), for `?match_id=` and the `odds`
//!   WIT interface.
//! - `cards/<scope>/<all|value>/index` + `/<chunk>`: one listing per filter
//!   family (scope × value-only), rows ordered finished-then-upcoming and by
//!   kick-off within each, with a [`crate::market::day_index::DayIndex`] that
//!   maps `status`, `from` and `to` to a row range.
//! - `roi/<picks|value>/<region|league>`: the ready rows of
//!   `GET /predict/region-roi/` (JSON, a few dozen rows at most).

use serde::{Deserialize, Serialize};

/// What the market groups published in a version (inside `DataPointer`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MarketPointer {
    /// Buckets of the per-match odds records (`id mod odds_buckets`).
    pub odds_buckets: u32,
    /// Rows of `GET /predict/odds/`.
    pub odds_rows: u32,
    /// Matches with at least one quote.
    pub odds_matches: u32,
    /// Cards published (the card window, see `cards_from_season`).
    pub cards: u32,
    /// Cards flagged as value bets.
    pub value_bets: u32,
    /// First season with cards (cards cover this season onwards, plus every
    /// upcoming match); empty when there are none.
    pub cards_from_season: String,
    /// Feed events linked to matches.
    pub links: u32,
    /// Rows of the ROI table (0 before the first simulation is published).
    pub roi_rows: u32,
}

/// Which cards a listing holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CardScope {
    All,
    League(String),
    Region(String),
}

impl CardScope {
    /// The key segment, or `None` for a name that cannot be a key segment
    /// (only ASCII letters, digits, `-` and `_` are used in keys).
    pub fn path(&self) -> Option<String> {
        let safe = |s: &str| {
            !s.is_empty()
                && s.len() <= 64
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        };
        match self {
            CardScope::All => Some("all".into()),
            CardScope::League(code) => safe(code).then(|| format!("league/{code}")),
            CardScope::Region(name) => {
                let slug = name.to_ascii_lowercase().replace(' ', "-");
                safe(&slug).then(|| format!("region/{slug}"))
            }
        }
    }
}

fn variant(value_only: bool) -> &'static str {
    if value_only { "value" } else { "all" }
}

pub fn odds_chunk_key(version: &str, chunk: usize) -> String {
    format!("data/v/{version}/odds/list/{chunk}")
}

pub fn odds_bucket_key(version: &str, bucket: u32) -> String {
    format!("data/v/{version}/odds/bucket/{bucket}")
}

/// `scope_path` is [`CardScope::path`].
pub fn card_index_key(version: &str, scope_path: &str, value_only: bool) -> String {
    format!(
        "data/v/{version}/cards/{scope_path}/{}/index",
        variant(value_only)
    )
}

pub fn card_chunk_key(version: &str, scope_path: &str, value_only: bool, chunk: usize) -> String {
    format!(
        "data/v/{version}/cards/{scope_path}/{}/{chunk}",
        variant(value_only)
    )
}

/// Which bets a ROI row simulates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// A flat stake on every predicted pick.
    AllPicks,
    /// A flat stake on every value bet (edge above the threshold).
    ValueBets,
}

impl Strategy {
    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::AllPicks => "all_picks",
            Strategy::ValueBets => "value_bets",
        }
    }

    pub fn parse(s: &str) -> Option<Strategy> {
        match s {
            "all_picks" => Some(Strategy::AllPicks),
            "value_bets" => Some(Strategy::ValueBets),
            _ => None,
        }
    }
}

/// How ROI rows are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Grouping {
    Region,
    League,
}

impl Grouping {
    pub fn as_str(self) -> &'static str {
        match self {
            Grouping::Region => "region",
            Grouping::League => "league",
        }
    }

    pub fn parse(s: &str) -> Option<Grouping> {
        match s {
            "region" => Some(Grouping::Region),
            "league" => Some(Grouping::League),
            _ => None,
        }
    }
}

pub fn roi_key(version: &str, strategy: Strategy, grouping: Grouping) -> String {
    format!(
        "data/v/{version}/roi/{}/{}",
        strategy.as_str(),
        grouping.as_str()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::version_of_key;

    #[test]
    fn keys_are_scoped_by_version() {
        let v = "v9";
        for key in [
            odds_chunk_key(v, 0),
            odds_bucket_key(v, 3),
            card_index_key(v, "all", true),
            card_chunk_key(v, "league/E0", false, 2),
            roi_key(v, Strategy::ValueBets, Grouping::League),
        ] {
            assert_eq!(version_of_key(&key), Some(v), "{key}");
        }
        assert_eq!(
            card_chunk_key(v, "region/england", true, 1),
            "data/v/v9/cards/region/england/value/1"
        );
    }

    #[test]
    fn scope_paths_are_key_safe() {
        assert_eq!(CardScope::All.path().as_deref(), Some("all"));
        assert_eq!(
            CardScope::League("SP1".into()).path().as_deref(),
            Some("league/SP1")
        );
        assert_eq!(
            CardScope::Region("England".into()).path().as_deref(),
            Some("region/england")
        );
        assert_eq!(CardScope::League("../x".into()).path(), None);
        assert_eq!(CardScope::Region("".into()).path(), None);
    }
}
