//! Where flushed metrics live: [`SLOTS`] records `metrics/slot/<n>`, each a
//! merged [`Snapshot`]. The cluster-wide value of a counter is the sum over
//! the slots.
//!
//! A flush merges an instance's delta into one slot with a compare-and-swap
//! (`wasi:keyvalue/atomics`): read the slot, add the delta, write it back
//! only if nobody changed it meanwhile, else try the next slot. So two
//! instances flushing at once never overwrite each other's counts, and a
//! flush costs one read and one write however many series changed (an
//! atomic `increment` per series would cost a write each). Several slots
//! keep concurrent flushes from queueing on one key.

use super::snapshot::Snapshot;
use matchday_core::kv::{KvError, KvRead};

/// Number of slot records. A scrape reads all of them.
pub const SLOTS: usize = 16;
/// Slots a flush tries before giving up (its delta is kept for the next one).
pub const ATTEMPTS: usize = 4;
pub const SLOT_PREFIX: &str = "metrics/slot/";

pub fn slot_key(slot: usize) -> String {
    format!("{SLOT_PREFIX}{:02}", slot % SLOTS)
}

/// A compare-and-swap capable store (`wasi:keyvalue/atomics`). The calls are
/// synchronous, as the WIT functions are.
pub trait CasStore {
    type Handle;
    /// Starts a CAS on `key`: the handle and the value it will compare against.
    fn begin(&self, key: &str) -> Result<(Self::Handle, Option<Vec<u8>>), KvError>;
    /// Writes `value` if the key still holds what `begin` read; `Ok(false)`
    /// when someone else wrote it in between.
    fn swap(&self, handle: Self::Handle, value: &[u8]) -> Result<bool, KvError>;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlushError {
    /// Every attempted slot changed under us; the delta is still to flush.
    Contended,
    Store(KvError),
}

impl std::fmt::Display for FlushError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FlushError::Contended => write!(f, "every metrics slot tried was contended"),
            FlushError::Store(e) => write!(f, "{e}"),
        }
    }
}

/// What a successful flush did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flushed {
    pub slot: usize,
    /// 1 when the first slot tried took it.
    pub attempts: usize,
    /// The slot held an unreadable record, which was replaced (its counts
    /// are lost; see the README's "what can be lost").
    pub replaced_corrupt: bool,
}

/// Merges `delta` into one slot, starting with `first_slot`.
pub fn flush(
    store: &impl CasStore,
    delta: &Snapshot,
    first_slot: usize,
) -> Result<Flushed, FlushError> {
    for attempt in 0..ATTEMPTS {
        let slot = (first_slot + attempt) % SLOTS;
        let (handle, current) = store.begin(&slot_key(slot)).map_err(FlushError::Store)?;
        let (mut total, replaced_corrupt) = match current.as_deref().map(Snapshot::decode) {
            None => (Snapshot::default(), false),
            Some(Some(total)) => (total, false),
            Some(None) => (Snapshot::default(), true),
        };
        total.merge(delta);
        if store
            .swap(handle, &total.encode())
            .map_err(FlushError::Store)?
        {
            return Ok(Flushed {
                slot,
                attempts: attempt + 1,
                replaced_corrupt,
            });
        }
    }
    Err(FlushError::Contended)
}

/// The sum of every slot: the cluster-wide counters.
pub async fn read_total(kv: &impl KvRead) -> Result<Snapshot, KvError> {
    let mut total = Snapshot::default();
    for slot in 0..SLOTS {
        if let Some(raw) = kv.get(&slot_key(slot)).await?
            && let Some(snapshot) = Snapshot::decode(&raw)
        {
            total.merge(&snapshot);
        }
    }
    Ok(total)
}

/// An in-memory CAS store for tests, which can simulate a concurrent writer.
pub mod memory {
    use super::*;
    use std::cell::RefCell;
    use std::collections::BTreeMap;

    #[derive(Default)]
    pub struct MemoryCas {
        pub entries: RefCell<BTreeMap<String, Vec<u8>>>,
        /// Keys whose next swap fails as if another instance wrote first.
        pub contend: RefCell<Vec<String>>,
        pub fail: RefCell<bool>,
    }

    pub struct Handle {
        key: String,
        seen: Option<Vec<u8>>,
    }

    impl CasStore for MemoryCas {
        type Handle = Handle;

        fn begin(&self, key: &str) -> Result<(Handle, Option<Vec<u8>>), KvError> {
            if *self.fail.borrow() {
                return Err(KvError("injected failure".into()));
            }
            let seen = self.entries.borrow().get(key).cloned();
            Ok((
                Handle {
                    key: key.to_string(),
                    seen: seen.clone(),
                },
                seen,
            ))
        }

        fn swap(&self, handle: Handle, value: &[u8]) -> Result<bool, KvError> {
            let mut contend = self.contend.borrow_mut();
            if let Some(i) = contend.iter().position(|k| *k == handle.key) {
                contend.remove(i);
                return Ok(false);
            }
            let mut entries = self.entries.borrow_mut();
            if entries.get(&handle.key) != handle.seen.as_ref() {
                return Ok(false);
            }
            entries.insert(handle.key, value.to_vec());
            Ok(true)
        }
    }

    impl KvRead for MemoryCas {
        async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError> {
            Ok(self.entries.borrow().get(key).cloned())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::memory::MemoryCas;
    use super::*;
    use futures::executor::block_on;

    fn delta(route: &str, n: u64) -> Snapshot {
        let mut s = Snapshot::default();
        s.requests.insert(("lookup".into(), route.into(), 200), n);
        s
    }

    #[test]
    fn flushes_from_many_instances_sum_up() {
        let store = MemoryCas::default();
        for instance in 0..40 {
            flush(&store, &delta("/a", 3), instance * 7).unwrap();
        }
        let total = block_on(read_total(&store)).unwrap();
        assert_eq!(total.requests[&("lookup".into(), "/a".into(), 200)], 120);
        assert!(store.entries.borrow().len() <= SLOTS);
    }

    #[test]
    fn a_contended_slot_moves_the_flush_to_the_next_one() {
        let store = MemoryCas::default();
        store.contend.borrow_mut().push(slot_key(5));
        let flushed = flush(&store, &delta("/a", 1), 5).unwrap();
        assert_eq!((flushed.slot, flushed.attempts), (6, 2));
        // Every slot contended: the caller keeps its delta.
        for slot in 0..ATTEMPTS {
            store.contend.borrow_mut().push(slot_key(slot));
        }
        assert_eq!(
            flush(&store, &delta("/a", 1), 0),
            Err(FlushError::Contended)
        );
        let total = block_on(read_total(&store)).unwrap();
        assert_eq!(total.requests[&("lookup".into(), "/a".into(), 200)], 1);
    }

    #[test]
    fn a_corrupt_slot_is_replaced_and_said_so() {
        let store = MemoryCas::default();
        store
            .entries
            .borrow_mut()
            .insert(slot_key(0), b"garbage".to_vec());
        let flushed = flush(&store, &delta("/a", 2), 0).unwrap();
        assert!(flushed.replaced_corrupt);
        let total = block_on(read_total(&store)).unwrap();
        assert_eq!(total.requests[&("lookup".into(), "/a".into(), 200)], 2);
    }

    #[test]
    fn store_failures_surface() {
        let store = MemoryCas::default();
        *store.fail.borrow_mut() = true;
        assert!(matches!(
            flush(&store, &delta("/a", 1), 0),
            Err(FlushError::Store(_))
        ));
    }
}
