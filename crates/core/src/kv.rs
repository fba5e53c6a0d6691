//! The key-value operations Matchday's logic needs, as a trait.
//!
//! Components implement it over Spin's key-value store; native tests use
//! [`MemoryKv`]. Keeping the logic generic is what lets the request path and
//! the publish protocol be tested with `cargo test`.

use std::cell::RefCell;
use std::collections::BTreeMap;
use thiserror::Error;

/// A store failure. The message is for logs, never for response bodies.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error("key-value store error: {0}")]
pub struct KvError(pub String);

// Components are single-threaded Wasm instances, so the futures need not be
// `Send`; the lint that asks for it does not apply.
#[allow(async_fn_in_trait)]
pub trait KvRead {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError>;
}

#[allow(async_fn_in_trait)]
pub trait KvWrite: KvRead {
    async fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError>;
    async fn delete(&self, key: &str) -> Result<(), KvError>;
    /// Every key starting with `prefix` (used by garbage collection only).
    async fn keys_with_prefix(&self, prefix: &str) -> Result<Vec<String>, KvError>;
}

/// Decodes the JSON record stored at `key`; an unreadable one is an error
/// naming the key.
pub fn parse_json<T: serde::de::DeserializeOwned>(key: &str, raw: &[u8]) -> Result<T, KvError> {
    serde_json::from_slice(raw).map_err(|e| KvError(format!("{key} is corrupt: {e}")))
}

/// The JSON record at `key`, `None` when absent ([`parse_json`]).
pub async fn read_json<T: serde::de::DeserializeOwned>(
    kv: &impl KvRead,
    key: &str,
) -> Result<Option<T>, KvError> {
    kv.get(key)
        .await?
        .map(|raw| parse_json(key, &raw))
        .transpose()
}

/// Atomic counters (`wasi:keyvalue/atomics.increment`), for state that many
/// instances update at once without read-modify-write races: rate-limit
/// windows today, request metrics later.
#[allow(async_fn_in_trait)]
pub trait KvCounter: KvRead {
    /// Adds `delta` to the counter at `key` (absent = 0) and returns the new
    /// value, atomically across every instance sharing the store.
    async fn increment(&self, key: &str, delta: i64) -> Result<i64, KvError>;
}

/// Compare-and-swap (`wasi:keyvalue/atomics` `cas`), for the one write that
/// must not overwrite a change it has not seen: the live data pointer.
#[allow(async_fn_in_trait)]
pub trait KvSwap: KvRead {
    /// Writes `value` at `key` only if the key still holds `expected`
    /// (`None`: absent), atomically across every instance sharing the store.
    /// `Ok(false)`: it held something else, and nothing was written.
    async fn swap_if(
        &self,
        key: &str,
        expected: Option<&[u8]>,
        value: &[u8],
    ) -> Result<bool, KvError>;
}

/// Decodes a counter written by [`KvCounter::increment`].
///
/// Spin's SQLite store keeps an 8-byte little-endian `i64`; its Redis store
/// keeps the decimal text Redis's `INCRBY` writes. The two cannot be confused
/// for counts below 2^56: their 8-byte form always ends in a zero byte, which
/// decimal text never contains.
pub fn decode_counter(bytes: &[u8]) -> Option<i64> {
    if let Ok(le) = <[u8; 8]>::try_from(bytes)
        && le[7] == 0
    {
        return Some(i64::from_le_bytes(le));
    }
    std::str::from_utf8(bytes).ok()?.trim().parse().ok()
}

/// An in-memory store for tests, with optional failure switches.
#[derive(Debug, Default)]
pub struct MemoryKv {
    entries: RefCell<BTreeMap<String, Vec<u8>>>,
    /// When set, writes fail after this many more succeed.
    writes_left: RefCell<Option<usize>>,
    /// When set, reads of keys containing this fail (`""`: every read, the
    /// store is down for reads).
    fail_reads: RefCell<Option<String>>,
    writes: std::cell::Cell<usize>,
}

impl MemoryKv {
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes every write after the next `n` fail, to test interrupted publishes.
    pub fn fail_writes_after(&self, n: usize) {
        *self.writes_left.borrow_mut() = Some(n);
    }

    /// Makes every read fail (`true`) or work again (`false`).
    pub fn fail_reads(&self, fail: bool) {
        *self.fail_reads.borrow_mut() = fail.then(String::new);
    }

    /// Makes the reads of keys containing `part` fail (one record of many
    /// lost or unreadable); `fail_reads(false)` heals it.
    pub fn fail_reads_of(&self, part: &str) {
        *self.fail_reads.borrow_mut() = Some(part.to_string());
    }

    /// Makes writes work again after [`MemoryKv::fail_writes_after`].
    pub fn heal_writes(&self) {
        *self.writes_left.borrow_mut() = None;
    }

    /// Writes that succeeded so far (sets, deletes, increments).
    pub fn writes(&self) -> usize {
        self.writes.get()
    }

    pub fn len(&self) -> usize {
        self.entries.borrow().len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.borrow().is_empty()
    }

    pub fn keys(&self) -> Vec<String> {
        self.entries.borrow().keys().cloned().collect()
    }

    fn take_write(&self) -> Result<(), KvError> {
        let mut left = self.writes_left.borrow_mut();
        match left.as_mut() {
            Some(0) => return Err(KvError("injected write failure".into())),
            Some(n) => *n -= 1,
            None => {}
        }
        self.writes.set(self.writes.get() + 1);
        Ok(())
    }

    fn take_read(&self, key: &str) -> Result<(), KvError> {
        if self
            .fail_reads
            .borrow()
            .as_deref()
            .is_some_and(|part| key.contains(part))
        {
            Err(KvError("injected read failure".into()))
        } else {
            Ok(())
        }
    }
}

impl KvRead for MemoryKv {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        self.take_read(key)?;
        Ok(self.entries.borrow().get(key).cloned())
    }
}

impl KvSwap for MemoryKv {
    async fn swap_if(
        &self,
        key: &str,
        expected: Option<&[u8]>,
        value: &[u8],
    ) -> Result<bool, KvError> {
        self.take_read(key)?;
        if self.entries.borrow().get(key).map(Vec::as_slice) != expected {
            return Ok(false);
        }
        self.take_write()?;
        self.entries
            .borrow_mut()
            .insert(key.to_string(), value.to_vec());
        Ok(true)
    }
}

impl KvCounter for MemoryKv {
    /// Same encoding as Spin's SQLite store: an 8-byte little-endian `i64`.
    async fn increment(&self, key: &str, delta: i64) -> Result<i64, KvError> {
        self.take_write()?;
        let mut entries = self.entries.borrow_mut();
        let current = match entries.get(key) {
            Some(bytes) => {
                decode_counter(bytes).ok_or_else(|| KvError(format!("{key} is not a counter")))?
            }
            None => 0,
        };
        let new = current
            .checked_add(delta)
            .ok_or_else(|| KvError(format!("{key} overflows")))?;
        entries.insert(key.to_string(), new.to_le_bytes().to_vec());
        Ok(new)
    }
}

impl KvWrite for MemoryKv {
    async fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError> {
        self.take_write()?;
        self.entries
            .borrow_mut()
            .insert(key.to_string(), value.to_vec());
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<(), KvError> {
        self.take_write()?;
        self.entries.borrow_mut().remove(key);
        Ok(())
    }

    async fn keys_with_prefix(&self, prefix: &str) -> Result<Vec<String>, KvError> {
        self.take_read(prefix)?;
        Ok(self
            .entries
            .borrow()
            .keys()
            .filter(|k| k.starts_with(prefix))
            .cloned()
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::executor::block_on;

    #[test]
    fn memory_swap_writes_only_over_the_expected_value() {
        let kv = MemoryKv::new();
        assert!(
            block_on(kv.swap_if("k", None, b"a")).unwrap(),
            "absent as expected"
        );
        assert!(!block_on(kv.swap_if("k", None, b"b")).unwrap());
        assert!(!block_on(kv.swap_if("k", Some(b"x"), b"b")).unwrap());
        assert_eq!(block_on(kv.get("k")).unwrap().as_deref(), Some(&b"a"[..]));
        assert!(block_on(kv.swap_if("k", Some(b"a"), b"b")).unwrap());
        assert_eq!(block_on(kv.get("k")).unwrap().as_deref(), Some(&b"b"[..]));
        assert_eq!(kv.writes(), 2, "a refused swap writes nothing");
    }

    #[test]
    fn counters_use_spins_encodings() {
        assert_eq!(decode_counter(&42i64.to_le_bytes()), Some(42));
        assert_eq!(decode_counter(b"42"), Some(42));
        assert_eq!(
            decode_counter(b"12345678"),
            Some(12_345_678),
            "8 digits of Redis text"
        );
        assert_eq!(decode_counter(b"x"), None);
        assert_eq!(decode_counter(b""), None);
    }

    #[test]
    fn memory_increment_counts_and_fails_like_a_store() {
        let kv = MemoryKv::new();
        assert_eq!(block_on(kv.increment("n", 5)), Ok(5));
        assert_eq!(block_on(kv.increment("n", -2)), Ok(3));
        assert_eq!(
            block_on(kv.get("n")).unwrap(),
            Some(3i64.to_le_bytes().to_vec())
        );
        kv.fail_writes_after(0);
        assert!(block_on(kv.increment("n", 1)).is_err());
        kv.heal_writes();
        kv.fail_reads(true);
        assert!(block_on(kv.get("n")).is_err());
        assert_eq!(kv.writes(), 2);
    }
}
