//! The `lookup` endpoint group: matches, precomputed predictions, listings.
//!
//! Each request reads the live pointer and then one bucket or a few chunks of
//! that version; it never writes and never decodes more than it returns.

use crate::codec::{RecordBucket, RowChunk};
use crate::error::ApiError;
use crate::json;
use crate::kv::KvRead;
use crate::layout::{self, DataPointer, Listing};
use crate::query::Query;
use crate::response::{DATA_VERSION_HEADER, HttpResponse};
use crate::route;

pub const MAX_PREDICTIONS_LIMIT: i64 = 5000;
pub const DEFAULT_PREDICTIONS_LIMIT: i64 = 100;
pub const MAX_LIVESCORES_LIMIT: i64 = 10_000;

/// The routes this group serves (paths as the client sent them).
#[derive(Debug, PartialEq, Eq)]
enum Route<'a> {
    Upcoming,
    Precomputed(&'a str),
    Predictions,
    Livescores,
}

fn route(path: &str) -> Option<Route<'_>> {
    let path = route::trimmed(path);
    match path {
        "/predict/matches" => Some(Route::Upcoming),
        "/predict/predictions" => Some(Route::Predictions),
        "/livescores" => Some(Route::Livescores),
        _ => path
            .strip_prefix("/predict/precomputed/")
            .filter(|id| !id.contains('/'))
            .map(Route::Precomputed),
    }
}

/// Serves one request of the lookup group.
pub async fn handle(
    method: &str,
    path: &str,
    query: Option<&str>,
    kv: &impl KvRead,
) -> HttpResponse {
    match serve(method, path, query, kv).await {
        Ok(response) => response,
        Err(err) => err.into(),
    }
}

async fn serve(
    method: &str,
    path: &str,
    query: Option<&str>,
    kv: &impl KvRead,
) -> Result<HttpResponse, ApiError> {
    let route = route(path).ok_or_else(|| ApiError::not_found("no such endpoint"))?;
    route::require_read(method)?;
    let query = Query::parse(query)?;
    // Validate parameters before touching the store: a bad request is a 422
    // whether or not data is published.
    match route {
        Route::Precomputed(raw_id) => {
            let id = parse_match_id(raw_id)?;
            let pointer = live_pointer(kv).await?;
            precomputed(kv, pointer.as_ref(), id).await
        }
        Route::Upcoming => {
            let pointer = live_pointer(kv).await?;
            upcoming(kv, pointer.as_ref()).await
        }
        Route::Predictions => {
            let future_only = query.bool("future_only")?.unwrap_or(false);
            let limit = query
                .int("limit", 1..=MAX_PREDICTIONS_LIMIT)?
                .unwrap_or(DEFAULT_PREDICTIONS_LIMIT);
            let offset = query.int("offset", 0..=i64::MAX)?.unwrap_or(0);
            let listing = if future_only {
                Listing::FuturePredictions
            } else {
                Listing::Predictions
            };
            let pointer = live_pointer(kv).await?;
            page(kv, pointer.as_ref(), &listing, offset, limit).await
        }
        Route::Livescores => {
            let year = query.int("year", 1998..=2100)?;
            let month = query.int("month", 1..=12)?;
            let limit = query
                .int("limit", 1..=MAX_LIVESCORES_LIMIT)?
                .unwrap_or(MAX_LIVESCORES_LIMIT);
            let offset = query.int("offset", 0..=i64::MAX)?.unwrap_or(0);
            let pointer = live_pointer(kv).await?;
            // "Current year" means the data's own present: its as-of date.
            let year = match (year, &pointer) {
                (Some(year), _) => year as i32,
                (None, Some(p)) => p
                    .as_of
                    .get(..4)
                    .and_then(|y| y.parse().ok())
                    .unwrap_or(1998),
                (None, None) => 1998,
            };
            let listing = match month {
                Some(month) => Listing::LiveMonth(year, month as u32),
                None => Listing::LiveYear(year),
            };
            page(kv, pointer.as_ref(), &listing, offset, limit).await
        }
    }
}

fn parse_match_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>()
        .map_err(|_| ApiError::invalid_parameter("match_id", "match_id must be an integer"))
}

pub(crate) fn store_unavailable(err: impl std::fmt::Display) -> ApiError {
    eprintln!("lookup: {err}");
    ApiError::unavailable("the data store is unavailable; retry shortly")
}

/// The live data pointer, or `None` before the first publish.
pub async fn live_pointer(kv: &impl KvRead) -> Result<Option<DataPointer>, ApiError> {
    let Some(raw) = kv.get(layout::CURRENT).await.map_err(store_unavailable)? else {
        return Ok(None);
    };
    serde_json::from_slice(&raw)
        .map(Some)
        .map_err(|e| store_unavailable(format!("corrupt data pointer: {e}")))
}

pub(crate) fn versioned(body: Vec<u8>, pointer: Option<&DataPointer>) -> HttpResponse {
    HttpResponse::json(body).with_header(
        DATA_VERSION_HEADER,
        pointer.map_or("none", |p| p.version.as_str()),
    )
}

async fn precomputed(
    kv: &impl KvRead,
    pointer: Option<&DataPointer>,
    id: i64,
) -> Result<HttpResponse, ApiError> {
    let not_found = || ApiError::not_found(format!("no precomputed prediction for match {id}"));
    let pointer = pointer.ok_or_else(not_found)?;
    let key =
        layout::prediction_bucket_key(&pointer.version, layout::bucket_of(id, pointer.buckets));
    let Some(raw) = kv.get(&key).await.map_err(store_unavailable)? else {
        return Err(not_found());
    };
    let bucket =
        RecordBucket::decode(&raw).map_err(|e| store_unavailable(format!("{key}: {e}")))?;
    let record = bucket.find(id).ok_or_else(not_found)?;
    Ok(versioned(record.to_vec(), Some(pointer)))
}

async fn upcoming(
    kv: &impl KvRead,
    pointer: Option<&DataPointer>,
) -> Result<HttpResponse, ApiError> {
    let Some(p) = pointer else {
        return Ok(versioned(b"[]".to_vec(), None));
    };
    let body = kv
        .get(&layout::upcoming_key(&p.version))
        .await
        .map_err(store_unavailable)?;
    Ok(versioned(body.unwrap_or_else(|| b"[]".to_vec()), pointer))
}

/// Rows `offset .. offset + limit` of a listing, reading only the chunks that
/// hold them; a chunk that does not exist is past the end of the listing.
async fn page(
    kv: &impl KvRead,
    pointer: Option<&DataPointer>,
    listing: &Listing,
    offset: i64,
    limit: i64,
) -> Result<HttpResponse, ApiError> {
    let Some(p) = pointer else {
        return Ok(versioned(b"[]".to_vec(), None));
    };
    let chunk_rows = p.chunk_rows.max(1) as u64;
    let (offset, limit) = (offset as u64, limit as u64);
    let mut rows: Vec<Vec<u8>> = Vec::new();
    let mut chunk = offset / chunk_rows;
    let mut skip = offset % chunk_rows;
    while (rows.len() as u64) < limit {
        // On wasm32 a usize is 32 bits: an offset past 2^32 chunks is past
        // the end of any listing, not a wrapped-around chunk number.
        let Ok(index) = usize::try_from(chunk) else {
            break;
        };
        let key = layout::chunk_key(&p.version, listing, index);
        let Some(raw) = kv.get(&key).await.map_err(store_unavailable)? else {
            break;
        };
        let decoded =
            RowChunk::decode(&raw).map_err(|e| store_unavailable(format!("{key}: {e}")))?;
        let wanted = (limit - rows.len() as u64) as usize;
        rows.extend(
            decoded
                .iter()
                .skip(skip as usize)
                .take(wanted)
                .map(<[u8]>::to_vec),
        );
        if (decoded.len() as u64) < chunk_rows {
            break; // a short chunk is the last one
        }
        chunk += 1;
        skip = 0;
    }
    Ok(versioned(
        json::array(rows.iter().map(Vec::as_slice)),
        pointer,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_accept_trailing_slashes() {
        assert_eq!(route("/predict/matches/"), Some(Route::Upcoming));
        assert_eq!(route("/predict/matches"), Some(Route::Upcoming));
        assert_eq!(
            route("/predict/precomputed/12"),
            Some(Route::Precomputed("12"))
        );
        assert_eq!(
            route("/predict/precomputed/12/"),
            Some(Route::Precomputed("12"))
        );
        assert_eq!(route("/predict/precomputed/12/x"), None);
        assert_eq!(route("/livescores/"), Some(Route::Livescores));
        assert_eq!(route("/predict/other"), None);
    }
}
