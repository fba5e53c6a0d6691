//! Reading rows of a chunked listing by position.

use crate::codec::RowChunk;
use crate::error::ApiError;
use crate::kv::KvRead;
use crate::lookup::store_unavailable;
use std::ops::Range;

/// The rows at `ranges` (positions in the listing, increasing) of a listing
/// whose chunk `i` is stored at `key(i)`, `chunk_rows` rows per chunk. Each
/// chunk is read and decoded once; a missing chunk or row ends the listing.
pub async fn rows(
    kv: &impl KvRead,
    key: impl Fn(usize) -> String,
    chunk_rows: u32,
    ranges: &[Range<u32>],
) -> Result<Vec<Vec<u8>>, ApiError> {
    let chunk_rows = chunk_rows.max(1);
    let mut wanted: Vec<u32> = ranges.iter().flat_map(|r| r.clone()).collect();
    wanted.dedup();
    let mut out = Vec::with_capacity(wanted.len());
    let mut i = 0;
    while i < wanted.len() {
        let chunk = wanted[i] / chunk_rows;
        let k = key(chunk as usize);
        let Some(raw) = kv.get(&k).await.map_err(store_unavailable)? else {
            break;
        };
        let decoded = RowChunk::decode(&raw).map_err(|e| store_unavailable(format!("{k}: {e}")))?;
        while i < wanted.len() && wanted[i] / chunk_rows == chunk {
            match decoded.get((wanted[i] % chunk_rows) as usize) {
                Some(bytes) => out.push(bytes.to_vec()),
                None => return Ok(out),
            }
            i += 1;
        }
    }
    Ok(out)
}
