//! The reads behind the WIT interfaces `matchday:api/lookup` and
//! `matchday:api/odds`, which the library components (`lookup-lib`,
//! `odds-lib`) export and `cards` imports.
//!
//! Every read but [`data_version`] names the version it reads, so a caller
//! that makes several calls sees one version even if a publish flips the
//! live pointer in between. A version's pointer copy
//! (`data/v/<version>/pointer`) tells the bucket counts of that version.
//! Errors carry no internals: store failures are logged here and reported as
//! `unavailable`.

use crate::codec::RecordBucket;
use crate::kv::KvRead;
use crate::layout::{self, DataPointer};
use crate::market::layout as market_layout;
use crate::market::wire::{self, OddsRow, SummaryRecord};
use crate::types::{LookupError, MatchSummary, OddsQuote, PrecomputedPrediction};

fn unavailable(err: impl std::fmt::Display) -> LookupError {
    eprintln!("library: {err}");
    LookupError::Unavailable("the data store is unavailable; retry shortly".into())
}

async fn read(kv: &impl KvRead, key: &str) -> Result<Option<Vec<u8>>, LookupError> {
    kv.get(key).await.map_err(unavailable)
}

async fn json<T: serde::de::DeserializeOwned>(
    kv: &impl KvRead,
    key: &str,
) -> Result<Option<T>, LookupError> {
    match read(kv, key).await? {
        Some(raw) => serde_json::from_slice(&raw)
            .map(Some)
            .map_err(|e| unavailable(format!("{key} is corrupt: {e}"))),
        None => Ok(None),
    }
}

/// The live data version; `no-data` before the first publish.
pub async fn data_version(kv: &impl KvRead) -> Result<String, LookupError> {
    json::<DataPointer>(kv, layout::CURRENT)
        .await?
        .map(|p| p.version)
        .ok_or(LookupError::NoData)
}

/// The pointer of a committed version; `no-data` when it is not stored
/// (never published, or removed by garbage collection).
pub async fn version_pointer(kv: &impl KvRead, version: &str) -> Result<DataPointer, LookupError> {
    // Only a well-formed version id can name a key of its own.
    if version.is_empty() || version.contains('/') || version.len() > 64 {
        return Err(LookupError::NoData);
    }
    json(kv, &layout::pointer_key(version))
        .await?
        .ok_or(LookupError::NoData)
}

/// The record of `id` in the bucket stored at `key`.
async fn bucket_record(
    kv: &impl KvRead,
    key: &str,
    id: i64,
) -> Result<Option<Vec<u8>>, LookupError> {
    let Some(raw) = read(kv, key).await? else {
        return Ok(None);
    };
    let bucket = RecordBucket::decode(&raw).map_err(|e| unavailable(format!("{key}: {e}")))?;
    Ok(bucket.find(id).map(<[u8]>::to_vec))
}

/// The batch prediction of one match in `version`.
pub async fn precomputed(
    kv: &impl KvRead,
    version: &str,
    id: i64,
) -> Result<Option<PrecomputedPrediction>, LookupError> {
    let pointer = version_pointer(kv, version).await?;
    let key = layout::prediction_bucket_key(version, layout::bucket_of(id, pointer.buckets));
    match bucket_record(kv, &key, id).await? {
        Some(record) => wire::parse_precomputed(&record)
            .map(Some)
            .ok_or_else(|| unavailable(format!("{key}: corrupt record {id}"))),
        None => Ok(None),
    }
}

/// One match of `version`, played or upcoming.
pub async fn summary(
    kv: &impl KvRead,
    version: &str,
    id: i64,
) -> Result<Option<MatchSummary>, LookupError> {
    let pointer = version_pointer(kv, version).await?;
    let key = layout::match_bucket_key(version, layout::bucket_of(id, pointer.buckets));
    match bucket_record(kv, &key, id).await? {
        Some(record) => serde_json::from_slice::<SummaryRecord>(&record)
            .ok()
            .and_then(SummaryRecord::into_summary)
            .map(Some)
            .ok_or_else(|| unavailable(format!("{key}: corrupt record {id}"))),
        None => Ok(None),
    }
}

/// The upcoming matches of `version`, in kick-off order.
pub async fn upcoming(kv: &impl KvRead, version: &str) -> Result<Vec<MatchSummary>, LookupError> {
    version_pointer(kv, version).await?;
    let key = layout::upcoming_summaries_key(version);
    let records: Vec<SummaryRecord> = json(kv, &key).await?.unwrap_or_default();
    records
        .into_iter()
        .map(|r| {
            r.into_summary()
                .ok_or_else(|| unavailable(format!("{key}: corrupt record")))
        })
        .collect()
}

/// Every quote of one match in `version`, best source first.
pub async fn quotes(
    kv: &impl KvRead,
    version: &str,
    id: i64,
) -> Result<Vec<OddsQuote>, LookupError> {
    let pointer = version_pointer(kv, version).await?;
    let Some(market) = pointer.market.filter(|m| m.odds_buckets > 0) else {
        return Ok(Vec::new());
    };
    let key = market_layout::odds_bucket_key(version, layout::bucket_of(id, market.odds_buckets));
    let Some(record) = bucket_record(kv, &key, id).await? else {
        return Ok(Vec::new());
    };
    let rows: Vec<OddsRow> = serde_json::from_slice(&record)
        .map_err(|e| unavailable(format!("{key}: corrupt record {id}: {e}")))?;
    rows.into_iter()
        .map(|r| {
            r.into_quote()
                .ok_or_else(|| unavailable(format!("{key}: bad odds kind for {id}")))
        })
        .collect()
}
