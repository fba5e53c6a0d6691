//! The KV value codecs: decoding any bytes is safe and self-consistent.
#![no_main]
use libfuzzer_sys::fuzz_target;
use matchday_core::codec::{RecordBucket, RowChunk};
use matchday_core::kv::decode_counter;

fuzz_target!(|data: &[u8]| {
    if let Ok(chunk) = RowChunk::decode(data) {
        assert_eq!(chunk.iter().count(), chunk.len());
    }
    if let Ok(bucket) = RecordBucket::decode(data) {
        for (id, _) in bucket.iter() {
            assert!(bucket.find(id).is_some());
        }
    }
    let _ = decode_counter(data);
});
