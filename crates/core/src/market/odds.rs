//! The `odds` endpoint group: `GET /predict/odds/` — every published quote,
//! in kick-off order and best source first within a match, paginated with
//! `limit` and `offset`; `match_id` narrows it to one match (one bucket read).

use crate::codec::RecordBucket;
use crate::error::ApiError;
use crate::ids::MAX_ID;
use crate::json;
use crate::kv::KvRead;
use crate::layout::{self, DataPointer};
use crate::lookup::{live_pointer, store_unavailable, versioned};
use crate::market::layout as market_layout;
use crate::market::pages;
use crate::query::Query;
use crate::response::HttpResponse;
use crate::route;

pub const MAX_ODDS_LIMIT: i64 = 1000;
pub const DEFAULT_ODDS_LIMIT: i64 = 100;

fn is_route(path: &str) -> bool {
    route::trimmed(path) == "/predict/odds"
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
    let limit = query
        .int("limit", 1..=MAX_ODDS_LIMIT)?
        .unwrap_or(DEFAULT_ODDS_LIMIT);
    let offset = query.int("offset", 0..=i64::MAX)?.unwrap_or(0);
    let match_id = query.int("match_id", 1..=MAX_ID)?;
    let pointer = live_pointer(kv).await?;
    let Some(p) = pointer.as_ref() else {
        return Ok(versioned(b"[]".to_vec(), None));
    };
    let body = match match_id {
        Some(id) => one_match(kv, p, id, offset, limit).await?,
        None => listing(kv, p, offset, limit).await?,
    };
    Ok(versioned(body, pointer.as_ref()))
}

async fn listing(
    kv: &impl KvRead,
    p: &DataPointer,
    offset: i64,
    limit: i64,
) -> Result<Vec<u8>, ApiError> {
    let Some(market) = p.market.as_ref() else {
        return Ok(b"[]".to_vec());
    };
    let start = u32::try_from(offset)
        .unwrap_or(u32::MAX)
        .min(market.odds_rows);
    let end = start.saturating_add(limit as u32).min(market.odds_rows);
    let range = start..end;
    let rows = pages::rows(
        kv,
        |chunk| market_layout::odds_chunk_key(&p.version, chunk),
        p.chunk_rows,
        std::slice::from_ref(&range),
    )
    .await?;
    Ok(json::array(rows.iter().map(Vec::as_slice)))
}

async fn one_match(
    kv: &impl KvRead,
    p: &DataPointer,
    id: i64,
    offset: i64,
    limit: i64,
) -> Result<Vec<u8>, ApiError> {
    let Some(market) = p.market.as_ref().filter(|m| m.odds_buckets > 0) else {
        return Ok(b"[]".to_vec());
    };
    let key =
        market_layout::odds_bucket_key(&p.version, layout::bucket_of(id, market.odds_buckets));
    let Some(raw) = kv.get(&key).await.map_err(store_unavailable)? else {
        return Ok(b"[]".to_vec());
    };
    let bucket =
        RecordBucket::decode(&raw).map_err(|e| store_unavailable(format!("{key}: {e}")))?;
    let Some(record) = bucket.find(id) else {
        return Ok(b"[]".to_vec());
    };
    if offset == 0 && limit >= DEFAULT_ODDS_LIMIT {
        return Ok(record.to_vec()); // a match has a handful of quotes
    }
    let rows: Vec<serde_json::Value> =
        serde_json::from_slice(record).map_err(|e| store_unavailable(format!("{key}: {e}")))?;
    let page: Vec<&serde_json::Value> = rows
        .iter()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
        .collect();
    Ok(serde_json::to_vec(&page).unwrap_or_else(|_| b"[]".to_vec()))
}
