//! Binary containers for published records.
//!
//! A request must not parse a large document to answer, so the admin component
//! stores ready-to-send JSON fragments in two small containers that a reader
//! can index without decoding: [`RowChunk`] (rows by position, for pages) and
//! [`RecordBucket`] (records by match id, for single-match lookups).
//! Both are little-endian: a 4-byte magic, a `u32` count, a table, then the
//! payload. Decoding validates the whole table, so a corrupt value is an
//! error, never a panic or an out-of-bounds slice.

use thiserror::Error;

const ROWS_MAGIC: &[u8; 4] = b"MDR1";
const BUCKET_MAGIC: &[u8; 4] = b"MDB1";

#[derive(Debug, Error, PartialEq, Eq)]
pub enum CodecError {
    #[error("record has the wrong magic bytes")]
    BadMagic,
    #[error("record is truncated")]
    Truncated,
    #[error("record table is inconsistent")]
    BadTable,
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], CodecError> {
        let end = self.pos.checked_add(n).ok_or(CodecError::Truncated)?;
        let slice = self.buf.get(self.pos..end).ok_or(CodecError::Truncated)?;
        self.pos = end;
        Ok(slice)
    }

    fn u32(&mut self) -> Result<u32, CodecError> {
        Ok(u32::from_le_bytes(
            self.take(4)?
                .try_into()
                .map_err(|_| CodecError::Truncated)?,
        ))
    }
}

/// Reads the offsets table (`count + 1` entries) and checks it describes the
/// payload exactly: starts at 0, never decreases, ends at the payload length.
fn read_offsets<'a>(
    reader: &mut Reader<'a>,
    count: usize,
) -> Result<(&'a [u8], &'a [u8]), CodecError> {
    let table_len = count
        .checked_add(1)
        .and_then(|n| n.checked_mul(4))
        .ok_or(CodecError::Truncated)?;
    let table = reader.take(table_len)?;
    let payload = &reader.buf[reader.pos..];
    let offsets = table
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]) as usize);
    let mut previous = 0;
    for (i, offset) in offsets.enumerate() {
        if (i == 0 && offset != 0) || offset < previous {
            return Err(CodecError::BadTable);
        }
        previous = offset;
    }
    if previous != payload.len() {
        return Err(CodecError::BadTable);
    }
    Ok((table, payload))
}

fn offset_at(table: &[u8], i: usize) -> usize {
    let c = &table[i * 4..i * 4 + 4];
    u32::from_le_bytes([c[0], c[1], c[2], c[3]]) as usize
}

fn write_rows<'a>(out: &mut Vec<u8>, rows: impl Iterator<Item = &'a [u8]> + Clone) {
    let mut offset = 0u32;
    out.extend_from_slice(&offset.to_le_bytes());
    for row in rows.clone() {
        offset += u32::try_from(row.len()).expect("row larger than 4 GiB");
        out.extend_from_slice(&offset.to_le_bytes());
    }
    for row in rows {
        out.extend_from_slice(row);
    }
}

/// An ordered run of rows (e.g. 256 JSON objects of a listing).
#[derive(Debug, Clone, Copy)]
pub struct RowChunk<'a> {
    table: &'a [u8],
    payload: &'a [u8],
    count: usize,
}

impl<'a> RowChunk<'a> {
    pub fn encode<R: AsRef<[u8]>>(rows: &[R]) -> Vec<u8> {
        let mut out = Vec::with_capacity(
            8 + rows.len() * 4 + rows.iter().map(|r| r.as_ref().len()).sum::<usize>(),
        );
        out.extend_from_slice(ROWS_MAGIC);
        out.extend_from_slice(
            &u32::try_from(rows.len())
                .expect("too many rows")
                .to_le_bytes(),
        );
        write_rows(&mut out, rows.iter().map(|r| r.as_ref()));
        out
    }

    pub fn decode(buf: &'a [u8]) -> Result<Self, CodecError> {
        let mut reader = Reader { buf, pos: 0 };
        if reader.take(4)? != ROWS_MAGIC {
            return Err(CodecError::BadMagic);
        }
        let count = reader.u32()? as usize;
        let (table, payload) = read_offsets(&mut reader, count)?;
        Ok(RowChunk {
            table,
            payload,
            count,
        })
    }

    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    pub fn get(&self, i: usize) -> Option<&'a [u8]> {
        (i < self.count)
            .then(|| &self.payload[offset_at(self.table, i)..offset_at(self.table, i + 1)])
    }

    pub fn iter(&self) -> impl Iterator<Item = &'a [u8]> + '_ {
        (0..self.count).filter_map(|i| self.get(i))
    }
}

/// Records keyed by match id, sorted so a lookup is a binary search.
#[derive(Debug, Clone, Copy)]
pub struct RecordBucket<'a> {
    ids: &'a [u8],
    table: &'a [u8],
    payload: &'a [u8],
    count: usize,
}

impl<'a> RecordBucket<'a> {
    /// Encodes `(id, record)` pairs; they are sorted here, and a repeated id
    /// is a caller bug reported as an error.
    pub fn encode<R: AsRef<[u8]>>(records: &mut [(i64, R)]) -> Result<Vec<u8>, CodecError> {
        records.sort_by_key(|(id, _)| *id);
        if records.windows(2).any(|w| w[0].0 == w[1].0) {
            return Err(CodecError::BadTable);
        }
        let mut out = Vec::new();
        out.extend_from_slice(BUCKET_MAGIC);
        out.extend_from_slice(
            &u32::try_from(records.len())
                .expect("too many records")
                .to_le_bytes(),
        );
        for (id, _) in records.iter() {
            out.extend_from_slice(&id.to_le_bytes());
        }
        write_rows(&mut out, records.iter().map(|(_, r)| r.as_ref()));
        Ok(out)
    }

    pub fn decode(buf: &'a [u8]) -> Result<Self, CodecError> {
        let mut reader = Reader { buf, pos: 0 };
        if reader.take(4)? != BUCKET_MAGIC {
            return Err(CodecError::BadMagic);
        }
        let count = reader.u32()? as usize;
        let ids = reader.take(count.checked_mul(8).ok_or(CodecError::Truncated)?)?;
        let (table, payload) = read_offsets(&mut reader, count)?;
        let bucket = RecordBucket {
            ids,
            table,
            payload,
            count,
        };
        if (1..count).any(|i| bucket.id_at(i - 1) >= bucket.id_at(i)) {
            return Err(CodecError::BadTable);
        }
        Ok(bucket)
    }

    fn id_at(&self, i: usize) -> i64 {
        let c = &self.ids[i * 8..i * 8 + 8];
        i64::from_le_bytes(c.try_into().expect("8 bytes"))
    }

    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The record of `id`, if this bucket holds it.
    pub fn find(&self, id: i64) -> Option<&'a [u8]> {
        let (mut lo, mut hi) = (0, self.count);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.id_at(mid).cmp(&id) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => {
                    return Some(
                        &self.payload[offset_at(self.table, mid)..offset_at(self.table, mid + 1)],
                    );
                }
            }
        }
        None
    }

    pub fn iter(&self) -> impl Iterator<Item = (i64, &'a [u8])> + '_ {
        (0..self.count).map(|i| {
            (
                self.id_at(i),
                &self.payload[offset_at(self.table, i)..offset_at(self.table, i + 1)],
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rows_round_trip() {
        let rows = vec![b"{\"a\":1}".to_vec(), Vec::new(), b"xyz".to_vec()];
        let encoded = RowChunk::encode(&rows);
        let chunk = RowChunk::decode(&encoded).unwrap();
        assert_eq!(chunk.len(), 3);
        assert_eq!(chunk.get(0), Some(&b"{\"a\":1}"[..]));
        assert_eq!(chunk.get(1), Some(&b""[..]));
        assert_eq!(chunk.get(2), Some(&b"xyz"[..]));
        assert_eq!(chunk.get(3), None);
    }

    #[test]
    fn bucket_finds_by_id_and_rejects_duplicates() {
        let mut records = vec![
            (42i64, b"forty-two".to_vec()),
            (-1, b"minus".to_vec()),
            (7, b"seven".to_vec()),
        ];
        let encoded = RecordBucket::encode(&mut records).unwrap();
        let bucket = RecordBucket::decode(&encoded).unwrap();
        assert_eq!(bucket.find(7), Some(&b"seven"[..]));
        assert_eq!(bucket.find(42), Some(&b"forty-two"[..]));
        assert_eq!(bucket.find(-1), Some(&b"minus"[..]));
        assert_eq!(bucket.find(8), None);
        let mut dup = vec![(1i64, b"a".to_vec()), (1, b"b".to_vec())];
        assert_eq!(RecordBucket::encode(&mut dup), Err(CodecError::BadTable));
    }

    #[test]
    fn corrupt_input_is_an_error() {
        let encoded = RowChunk::encode(&[b"abc".to_vec(), b"de".to_vec()]);
        assert_eq!(
            RowChunk::decode(&encoded[..encoded.len() - 1]).unwrap_err(),
            CodecError::BadTable
        );
        assert_eq!(
            RowChunk::decode(b"MDR1").unwrap_err(),
            CodecError::Truncated
        );
        assert_eq!(
            RowChunk::decode(b"XXXX\0\0\0\0").unwrap_err(),
            CodecError::BadMagic
        );
        let mut bad = encoded.clone();
        bad[4] = 0xff; // count far beyond the buffer
        assert!(RowChunk::decode(&bad).is_err());
    }

    proptest! {
        #[test]
        fn decoding_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
            if let Ok(chunk) = RowChunk::decode(&bytes) {
                for row in chunk.iter() { prop_assert!(row.len() <= bytes.len()); }
            }
            if let Ok(bucket) = RecordBucket::decode(&bytes) {
                for (id, _) in bucket.iter() { prop_assert!(bucket.find(id).is_some()); }
            }
            let mut prefixed = b"MDR1".to_vec();
            prefixed.extend_from_slice(&bytes);
            let _ = RowChunk::decode(&prefixed);
            let mut prefixed = b"MDB1".to_vec();
            prefixed.extend_from_slice(&bytes);
            let _ = RecordBucket::decode(&prefixed);
        }

        #[test]
        fn bucket_round_trips(mut records in proptest::collection::btree_map(any::<i64>(), proptest::collection::vec(any::<u8>(), 0..20), 0..50)
            .prop_map(|m| m.into_iter().collect::<Vec<_>>())) {
            let expected = records.clone();
            let encoded = RecordBucket::encode(&mut records).unwrap();
            let bucket = RecordBucket::decode(&encoded).unwrap();
            for (id, record) in &expected {
                prop_assert_eq!(bucket.find(*id), Some(record.as_slice()));
            }
        }
    }
}
