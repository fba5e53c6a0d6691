//! The market groups' records of a data version: odds listing and buckets,
//! card listings with their day indexes, ROI tables.
//!
//! Joins happen here, once per publish: every quote gets its margin-free
//! probabilities (Shin) and its bookmaker link, every card its price, edges
//! and value bet. Requests only copy the results.

use crate::error::ArtifactError;
use crate::links::LinkRecord;
use crate::odds::OddsRecord;
use crate::records::Records;
use crate::roi::{GroupBy, RoiRecord};
use matchday_core::codec::{RecordBucket, RowChunk};
use matchday_core::json;
use matchday_core::layout;
use matchday_core::margin;
use matchday_core::market::card;
use matchday_core::market::cards::{CARD_CHUNK_ROWS, region_has_listing};
use matchday_core::market::day_index::{self, DayIndex};
use matchday_core::market::layout::{
    self as market_layout, CardScope, Grouping, MarketPointer, Strategy,
};
use matchday_core::market::value;
use matchday_core::market::wire::{OddsRow, RoiRow};
use matchday_core::types::{
    MatchStatus, MatchSummary, OddsQuote, PrecomputedPrediction, Probabilities,
};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Cards cover the most recent seasons of the published matches (plus every
/// upcoming match): three seasons of the eight leagues are ~10,500 cards,
/// ~25 MB of listings. All 62k matches would be ~150 MB per version.
pub const CARD_SEASONS: usize = 3;

/// Matches per odds bucket: a match has a handful of quotes (~1.5 KB), so a
/// `?match_id=` lookup reads ~12 KB.
pub const ODDS_MATCHES_PER_BUCKET: usize = 8;

/// The optional artifacts of a bundle, restricted to known matches.
#[derive(Debug, Clone, Default)]
pub struct MarketData {
    pub odds: Vec<OddsRecord>,
    pub links: Vec<LinkRecord>,
    pub roi: Vec<RoiRecord>,
    pub skipped: Skipped,
}

/// Rows left out because `matches.parquet` does not have their match.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Skipped {
    pub odds_rows: usize,
    pub links: usize,
    /// The unknown match ids (sorted, at most [`Skipped::MAX_IDS`]).
    pub unknown_match_ids: Vec<i64>,
    /// How many distinct unknown ids there were.
    pub unknown_matches: usize,
}

impl Skipped {
    pub const MAX_IDS: usize = 50;
}

impl MarketData {
    /// Keeps the rows of known matches and records the others.
    pub fn restrict_to(
        odds: Vec<OddsRecord>,
        links: Vec<LinkRecord>,
        roi: Vec<RoiRecord>,
        known: &BTreeSet<i64>,
    ) -> MarketData {
        let mut unknown = BTreeSet::new();
        let (odds, dropped_odds): (Vec<_>, Vec<_>) =
            odds.into_iter().partition(|o| known.contains(&o.match_id));
        let (links, dropped_links): (Vec<_>, Vec<_>) =
            links.into_iter().partition(|l| known.contains(&l.match_id));
        unknown.extend(dropped_odds.iter().map(|o| o.match_id));
        unknown.extend(dropped_links.iter().map(|l| l.match_id));
        MarketData {
            odds,
            links,
            roi,
            skipped: Skipped {
                odds_rows: dropped_odds.len(),
                links: dropped_links.len(),
                unknown_matches: unknown.len(),
                unknown_match_ids: unknown.into_iter().take(Skipped::MAX_IDS).collect(),
            },
        }
    }
}

/// Every quote as published, grouped by match in publish order.
fn quotes_by_match(market: &MarketData) -> HashMap<i64, Vec<OddsQuote>> {
    let links: HashMap<(&str, i64), &LinkRecord> = market
        .links
        .iter()
        .map(|l| ((l.bookmaker.as_str(), l.match_id), l))
        .collect();
    let mut by_match: HashMap<i64, Vec<OddsQuote>> = HashMap::new();
    for o in &market.odds {
        // Prices were validated when the file was read.
        let Ok(p) = margin::implied(o.prices(), margin::CARD_METHOD) else {
            continue;
        };
        let link = links
            .get(&(o.bookmaker.as_str(), o.match_id))
            .and_then(|l| l.event_url.clone());
        by_match.entry(o.match_id).or_default().push(OddsQuote {
            match_id: o.match_id,
            bookmaker: o.bookmaker.clone(),
            kind: o.kind,
            home: o.home,
            draw: o.draw,
            away: o.away,
            implied: Probabilities {
                home_win: p[0],
                draw: p[1],
                away_win: p[2],
            },
            captured_at: o.captured_at.clone(),
            link,
        });
    }
    for quotes in by_match.values_mut() {
        quotes.sort_by_cached_key(|q| value::quote_order(&q.bookmaker, q.kind));
    }
    by_match
}

/// The seasons that get cards: the most recent [`CARD_SEASONS`].
fn card_seasons(matches: &[MatchSummary]) -> BTreeSet<&str> {
    let seasons: BTreeSet<&str> = matches.iter().map(|m| m.season.as_str()).collect();
    seasons.into_iter().rev().take(CARD_SEASONS).collect()
}

/// `rows` as [`RowChunk`]s of `chunk_rows`, chunk `i` at `key(i)`.
pub(crate) fn chunked(
    rows: &[Vec<u8>],
    chunk_rows: usize,
    key: impl Fn(usize) -> String,
    out: &mut Records,
) {
    for (i, chunk) in rows.chunks(chunk_rows).enumerate() {
        out.push((key(i), RowChunk::encode(chunk)));
    }
}

/// A card with what its listings are sorted and filtered by.
struct BuiltCard<'a> {
    summary: &'a MatchSummary,
    upcoming: bool,
    day: i32,
    json: Vec<u8>,
    value_bet: bool,
}

fn card_listings(
    version: &str,
    cards: &[BuiltCard<'_>],
    out: &mut Records,
) -> Result<(), ArtifactError> {
    let mut scopes: BTreeMap<String, Vec<&BuiltCard<'_>>> = BTreeMap::new();
    for card in cards {
        let mut of_card = vec![
            CardScope::All,
            CardScope::League(card.summary.league.clone()),
        ];
        if region_has_listing(&card.summary.region) {
            of_card.push(CardScope::Region(card.summary.region.clone()));
        }
        for scope in of_card {
            if let Some(path) = scope.path() {
                scopes.entry(path).or_default().push(card);
            }
        }
    }
    for (path, rows) in &scopes {
        for value_only in [false, true] {
            let rows: Vec<&BuiltCard<'_>> = rows
                .iter()
                .copied()
                .filter(|c| !value_only || c.value_bet)
                .collect();
            if rows.is_empty() {
                continue;
            }
            let index = DayIndex::build(rows.iter().map(|c| (c.upcoming, c.day)), CARD_CHUNK_ROWS);
            out.push((
                market_layout::card_index_key(version, path, value_only),
                index.encode(),
            ));
            let json: Vec<&[u8]> = rows.iter().map(|c| c.json.as_slice()).collect();
            for (i, chunk) in json.chunks(CARD_CHUNK_ROWS as usize).enumerate() {
                out.push((
                    market_layout::card_chunk_key(version, path, value_only, i),
                    RowChunk::encode(chunk),
                ));
            }
        }
    }
    Ok(())
}

fn roi_tables(version: &str, roi: &[RoiRecord], out: &mut Records) {
    let as_row = |r: &RoiRecord| RoiRow {
        region: r.region.clone(),
        league: r.league.clone(),
        strategy: r.strategy.as_str().to_string(),
        bets: r.bets,
        hits: r.hits,
        hit_rate: r.hit_rate,
        profit: r.profit,
        roi: r.roi,
        roi_ci_low: r.roi_ci_low,
        roi_ci_high: r.roi_ci_high,
    };
    for strategy in [Strategy::AllPicks, Strategy::ValueBets] {
        for grouping in [Grouping::Region, Grouping::League] {
            let of_strategy = || roi.iter().filter(|r| r.strategy == strategy);
            let mut rows: Vec<RoiRow> = of_strategy()
                .filter(|r| r.group_by == GroupBy::Overall)
                .map(as_row)
                .collect();
            let mut groups: Vec<&RoiRecord> = of_strategy()
                .filter(|r| r.group_by == GroupBy::Group(grouping))
                .collect();
            groups.sort_by(|a, b| (&a.region, &a.league).cmp(&(&b.region, &b.league)));
            rows.extend(groups.into_iter().map(as_row));
            if rows.is_empty() {
                continue;
            }
            out.push((
                market_layout::roi_key(version, strategy, grouping),
                serde_json::to_vec(&rows).unwrap_or_default(),
            ));
        }
    }
}

/// The market records of `version` and what the pointer says about them.
pub fn build(
    version: &str,
    matches: &[MatchSummary],
    predictions: &[PrecomputedPrediction],
    market: &MarketData,
    chunk_rows: usize,
) -> Result<(MarketPointer, Records), ArtifactError> {
    let mut out = Vec::new();
    let by_id: HashMap<i64, &MatchSummary> = matches.iter().map(|m| (m.match_id, m)).collect();
    let quotes = quotes_by_match(market);

    // Odds: listing in kick-off order, buckets by match id.
    let mut odds_matches: Vec<&MatchSummary> = quotes
        .keys()
        .filter_map(|id| by_id.get(id).copied())
        .collect();
    odds_matches
        .sort_by(|a, b| (&a.start_time_utc, a.match_id).cmp(&(&b.start_time_utc, b.match_id)));
    let mut listing = Vec::new();
    let n_buckets =
        u32::try_from(odds_matches.len().div_ceil(ODDS_MATCHES_PER_BUCKET)).unwrap_or(u32::MAX);
    let mut buckets: BTreeMap<u32, Vec<(i64, Vec<u8>)>> = BTreeMap::new();
    for m in &odds_matches {
        let rows: Vec<Vec<u8>> = quotes[&m.match_id]
            .iter()
            .map(|q| OddsRow::from(q).to_json())
            .collect();
        buckets
            .entry(layout::bucket_of(m.match_id, n_buckets))
            .or_default()
            .push((m.match_id, json::array(rows.iter().map(Vec::as_slice))));
        listing.extend(rows);
    }
    chunked(
        &listing,
        chunk_rows,
        |i| market_layout::odds_chunk_key(version, i),
        &mut out,
    );
    for (bucket, mut records) in buckets {
        let value =
            RecordBucket::encode(&mut records).map_err(|e| ArtifactError::Bundle(e.to_string()))?;
        out.push((market_layout::odds_bucket_key(version, bucket), value));
    }

    // Cards: the window's predictions, finished first, then by kick-off.
    let seasons = card_seasons(matches);
    let no_quotes = Vec::new();
    let mut cards: Vec<BuiltCard<'_>> = Vec::new();
    for p in predictions {
        let Some(m) = by_id.get(&p.match_id).copied() else {
            continue; // checked by DataSet::check_consistency
        };
        let upcoming = m.status == MatchStatus::Upcoming;
        if !upcoming && !seasons.contains(m.season.as_str()) {
            continue;
        }
        let day = day_index::day_of(&m.start_time_utc).ok_or_else(|| {
            ArtifactError::Bundle(format!("match {} has a malformed start time", m.match_id))
        })?;
        let built = card::build(m, p, quotes.get(&m.match_id).unwrap_or(&no_quotes));
        cards.push(BuiltCard {
            summary: m,
            upcoming,
            day,
            json: built.json,
            value_bet: built.value_bet,
        });
    }
    cards.sort_by(|a, b| {
        (a.upcoming, &a.summary.start_time_utc, a.summary.match_id).cmp(&(
            b.upcoming,
            &b.summary.start_time_utc,
            b.summary.match_id,
        ))
    });
    card_listings(version, &cards, &mut out)?;
    roi_tables(version, &market.roi, &mut out);

    let pointer = MarketPointer {
        odds_buckets: n_buckets,
        odds_rows: listing.len() as u32,
        odds_matches: odds_matches.len() as u32,
        cards: cards.len() as u32,
        value_bets: cards.iter().filter(|c| c.value_bet).count() as u32,
        cards_from_season: seasons.first().map(|s| s.to_string()).unwrap_or_default(),
        links: market.links.len() as u32,
        roi_rows: market.roi.len() as u32,
    };
    Ok((pointer, out))
}
