//! The recent results of a data version: its most recent finished matches,
//! each with its result and its published features, in kick-off order.
//!
//! They exist for the promotion gate. Two model versions' cards report
//! log-losses on their own test splits, which are different matches when
//! their split dates differ; with these rows the gate scores both models on
//! the same finished matches, after both training windows, with the features
//! the app serves. Built once at publish time (a few chunks), so a
//! promotion reads them instead of every feature bucket.

use crate::codec::RowChunk;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// At most this many rows (about two and a half seasons of eight leagues):
/// the gate only needs matches after the newer training window.
pub const MAX_ROWS: usize = 8192;

/// Rows per chunk: ~100 KB at 50 features, well under the item limits of
/// the stores Spin can back key-value with.
pub const CHUNK_ROWS: usize = 64;

/// Where a data version's recent results are (in its [`DataPointer`]).
///
/// [`DataPointer`]: crate::layout::DataPointer
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecentResults {
    pub rows: u32,
    pub chunk_rows: u32,
}

impl RecentResults {
    /// Number of chunks.
    pub fn chunks(&self) -> usize {
        self.rows.div_ceil(self.chunk_rows.max(1)) as usize
    }
}

/// One finished match: a row of the [`RowChunk`]s at
/// `layout::chunk_key(version, &Listing::RecentResults, i)`.
#[derive(Debug, Serialize, Deserialize)]
pub struct RecentResult {
    pub match_id: i64,
    /// Kick-off, RFC 3339 UTC, as in the match summaries.
    pub kickoff: String,
    /// 0 home win, 1 draw, 2 away win (the cards' class order).
    pub outcome: u8,
    /// The published feature values of the match (name → number, unknown
    /// values left out), those of its feature record
    /// ([`crate::feature_record`]) without the envelope.
    pub features: Box<RawValue>,
}

impl RecentResult {
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }
}

/// Decodes one chunk; a corrupt chunk or row is an error naming the chunk.
pub fn decode_chunk(chunk: usize, bytes: &[u8]) -> Result<Vec<RecentResult>, String> {
    let rows = RowChunk::decode(bytes).map_err(|e| format!("recent results chunk {chunk}: {e}"))?;
    rows.iter()
        .map(|row| {
            serde_json::from_slice::<RecentResult>(row)
                .map_err(|e| format!("recent results chunk {chunk}: {e}"))
                .and_then(|r| {
                    if r.outcome <= 2 {
                        Ok(r)
                    } else {
                        Err(format!(
                            "recent results chunk {chunk}: outcome {} of match {}",
                            r.outcome, r.match_id
                        ))
                    }
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: i64, outcome: u8) -> Vec<u8> {
        RecentResult {
            match_id: id,
            kickoff: "2023-03-31T19:00:00Z".into(),
            outcome,
            features: RawValue::from_string(r#"{"diff_elo":12.5}"#.into()).unwrap(),
        }
        .to_json()
    }

    #[test]
    fn a_chunk_round_trips_and_keeps_the_feature_record_verbatim() {
        let chunk = RowChunk::encode(&[row(1, 0), row(2, 2)]);
        let rows = decode_chunk(0, &chunk).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[1].match_id, rows[1].outcome), (2, 2));
        assert_eq!(rows[0].features.get(), r#"{"diff_elo":12.5}"#);
    }

    #[test]
    fn corrupt_chunks_and_rows_are_errors_not_panics() {
        assert!(
            decode_chunk(3, b"nonsense")
                .unwrap_err()
                .contains("chunk 3")
        );
        let bad = RowChunk::encode(&[row(1, 0), b"{\"match_id\":2}".to_vec()]);
        assert!(decode_chunk(0, &bad).is_err());
        let bad = RowChunk::encode(&[row(7, 3)]);
        assert!(
            decode_chunk(0, &bad)
                .unwrap_err()
                .contains("outcome 3 of match 7")
        );
    }

    #[test]
    fn chunks_round_up() {
        let chunks = |rows, chunk_rows| RecentResults { rows, chunk_rows }.chunks();
        assert_eq!(chunks(0, 64), 0);
        assert_eq!(chunks(64, 64), 1);
        assert_eq!(chunks(65, 64), 2);
        assert_eq!(chunks(10, 0), 10);
    }
}
