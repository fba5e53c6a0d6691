//! The `roi` endpoint group: `GET /predict/region-roi/` — the flat-stake
//! ROI of the published simulation, one row per region (or league with
//! `group=league`) plus an `overall` row, first.
//!
//! Parameters: `min_roi` (a fraction, `0.05` = 5 %) and `min_bets` filter
//! the region rows (the overall row always stays: it describes every bet);
//! `strategy` is `all_picks` (default) or `value_bets`. Before the first
//! simulation is published the answer is an empty list, not an error.

use crate::error::ApiError;
use crate::kv::KvRead;
use crate::lookup::{live_pointer, store_unavailable, versioned};
use crate::market::layout::{self as market_layout, Grouping, Strategy};
use crate::market::wire::{OVERALL, RoiRow};
use crate::query::Query;
use crate::response::HttpResponse;
use crate::route;

fn is_route(path: &str) -> bool {
    route::trimmed(path) == "/predict/region-roi"
}

pub async fn handle(
    method: &str,
    path: &str,
    query: Option<&str>,
    kv: &impl KvRead,
) -> HttpResponse {
    serve(method, path, query, kv)
        .await
        .unwrap_or_else(HttpResponse::from)
}

async fn serve(
    method: &str,
    path: &str,
    query: Option<&str>,
    kv: &impl KvRead,
) -> Result<HttpResponse, ApiError> {
    if !is_route(path) {
        return Err(ApiError::not_found("no such endpoint"));
    }
    route::require_read(method)?;
    let query = Query::parse(query)?;
    let min_roi = query.float("min_roi", -1.0..=1000.0)?;
    let min_bets = query.int("min_bets", 0..=i64::from(u32::MAX))?;
    let strategy = query
        .one_of("strategy", &["all_picks", "value_bets"])?
        .and_then(Strategy::parse)
        .unwrap_or(Strategy::AllPicks);
    let grouping = query
        .one_of("group", &["region", "league"])?
        .and_then(Grouping::parse)
        .unwrap_or(Grouping::Region);
    let pointer = live_pointer(kv).await?;
    let Some(p) = pointer
        .as_ref()
        .filter(|p| p.market.as_ref().is_some_and(|m| m.roi_rows > 0))
    else {
        return Ok(versioned(b"[]".to_vec(), pointer.as_ref()));
    };
    let key = market_layout::roi_key(&p.version, strategy, grouping);
    let Some(raw) = kv.get(&key).await.map_err(store_unavailable)? else {
        return Ok(versioned(b"[]".to_vec(), pointer.as_ref()));
    };
    // A few dozen rows at most: parsing them is cheaper than one more read.
    let rows: Vec<RoiRow> =
        serde_json::from_slice(&raw).map_err(|e| store_unavailable(format!("{key}: {e}")))?;
    let kept: Vec<&RoiRow> = rows
        .iter()
        .filter(|r| {
            r.region == OVERALL
                || (min_roi.is_none_or(|m| r.roi >= m)
                    && min_bets.is_none_or(|m| i64::from(r.bets) >= m))
        })
        .collect();
    let body = serde_json::to_vec(&kept).unwrap_or_else(|_| b"[]".to_vec());
    Ok(versioned(body, pointer.as_ref()))
}
