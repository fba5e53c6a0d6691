//! Key-value storage: the backend trait, Spin's SQLite layout, and fault
//! injection for tests.
//!
//! Spin's default store is a SQLite file with one table,
//! `spin_key_value(store TEXT, key TEXT, value BLOB, PRIMARY KEY(store, key))`,
//! shared by `spin:key-value` and `wasi:keyvalue`. This module keeps that
//! layout so a `.spin/sqlite_key_value.db` written here can be read by
//! `spin up` and the other way round. The semantics follow Spin's SQLite
//! store, including its quirks: `increment` stores an 8-byte little-endian
//! i64, `get_many` returns only the keys that exist, and a CAS whose
//! `current` was never read (or read nothing) only inserts.
//!
//! Calls are synchronous on purpose: a primary-key lookup on a warm SQLite
//! page cache takes microseconds, less than a hop to a blocking thread
//! would cost, so the host runs them inline on the request task.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use rusqlite::{Connection, OptionalExtension, params};

/// A key-value failure reported to the guest as `error::other(message)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KvError(pub String);

impl std::fmt::Display for KvError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for KvError {}

impl From<rusqlite::Error> for KvError {
    fn from(e: rusqlite::Error) -> Self {
        KvError(format!("sqlite: {e}"))
    }
}

/// Result of a key-value operation.
pub type KvResult<T> = Result<T, KvError>;

/// The storage behind `spin:key-value` and `wasi:keyvalue`. Store labels
/// are checked against the component's `key_value_stores` before a call
/// reaches the backend.
pub trait KvBackend: Send + Sync + 'static {
    /// Value of `key`, if any.
    fn get(&self, store: &str, key: &str) -> KvResult<Option<Vec<u8>>>;
    /// Insert or overwrite.
    fn set(&self, store: &str, key: &str, value: &[u8]) -> KvResult<()>;
    /// Remove (absent keys are fine).
    fn delete(&self, store: &str, key: &str) -> KvResult<()>;
    /// Whether `key` exists.
    fn exists(&self, store: &str, key: &str) -> KvResult<bool>;
    /// All keys of the store.
    fn keys(&self, store: &str) -> KvResult<Vec<String>>;
    /// Values of the keys that exist (missing keys are left out, as Spin does).
    fn get_many(&self, store: &str, keys: &[String]) -> KvResult<Vec<(String, Vec<u8>)>>;
    /// Set several keys in one transaction.
    fn set_many(&self, store: &str, entries: &[(String, Vec<u8>)]) -> KvResult<()>;
    /// Delete several keys.
    fn delete_many(&self, store: &str, keys: &[String]) -> KvResult<()>;
    /// Atomically add `delta` to the 8-byte little-endian i64 at `key`
    /// (absent = 0) and return the new value.
    fn increment(&self, store: &str, key: &str, delta: i64) -> KvResult<i64>;
    /// Write `new` if the current value is still `expected` (`None`: only if
    /// the key is absent). Returns whether the swap happened.
    fn compare_and_swap(
        &self,
        store: &str,
        key: &str,
        expected: Option<&[u8]>,
        new: &[u8],
    ) -> KvResult<bool>;
}

impl std::fmt::Debug for dyn KvBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KvBackend")
    }
}

/// The kinds of operation, for fault plans.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KvOp {
    /// `get`.
    Get,
    /// `set`.
    Set,
    /// `delete`.
    Delete,
    /// `exists`.
    Exists,
    /// `get-keys` / `list-keys`.
    Keys,
    /// `batch.get-many`.
    GetMany,
    /// `batch.set-many`.
    SetMany,
    /// `batch.delete-many`.
    DeleteMany,
    /// `atomics.increment`.
    Increment,
    /// `atomics.swap`.
    CompareAndSwap,
}

impl KvOp {
    /// Whether the operation writes.
    pub fn is_write(self) -> bool {
        matches!(
            self,
            KvOp::Set
                | KvOp::Delete
                | KvOp::SetMany
                | KvOp::DeleteMany
                | KvOp::Increment
                | KvOp::CompareAndSwap
        )
    }
}

/// A custom fault rule: return `Some(message)` to fail the operation.
pub type FaultFn = dyn Fn(KvOp, &str, &str) -> Option<String> + Send + Sync;

/// Faults to inject into key-value operations (a library option for
/// tests; there is no CLI flag, so a real run can never enable it).
#[derive(Clone, Default)]
pub enum KvFaults {
    /// Everything works.
    #[default]
    None,
    /// Every operation fails.
    FailEveryOp,
    /// Every write fails; reads work.
    FailWrites,
    /// Every read fails; writes work.
    FailReads,
    /// The first `n` writes succeed, every later write fails.
    FailAfterWrites(u64),
    /// Custom rule, called with (operation, store, first key or "").
    Custom(Arc<FaultFn>),
}

impl std::fmt::Debug for KvFaults {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KvFaults::None => f.write_str("None"),
            KvFaults::FailEveryOp => f.write_str("FailEveryOp"),
            KvFaults::FailWrites => f.write_str("FailWrites"),
            KvFaults::FailReads => f.write_str("FailReads"),
            KvFaults::FailAfterWrites(n) => write!(f, "FailAfterWrites({n})"),
            KvFaults::Custom(_) => f.write_str("Custom(..)"),
        }
    }
}

/// Wraps a backend and fails operations according to a [`KvFaults`] plan.
pub struct FaultyBackend {
    inner: Arc<dyn KvBackend>,
    faults: KvFaults,
    writes: AtomicU64,
}

impl FaultyBackend {
    /// Wraps `inner`.
    pub fn new(inner: Arc<dyn KvBackend>, faults: KvFaults) -> Self {
        Self {
            inner,
            faults,
            writes: AtomicU64::new(0),
        }
    }

    fn check(&self, op: KvOp, store: &str, key: &str) -> KvResult<()> {
        let fail = |what: &str| Err(KvError(format!("injected fault: {what} ({op:?})")));
        match &self.faults {
            KvFaults::None => Ok(()),
            KvFaults::FailEveryOp => fail("every operation fails"),
            KvFaults::FailWrites if op.is_write() => fail("writes fail"),
            KvFaults::FailReads if !op.is_write() => fail("reads fail"),
            KvFaults::FailWrites | KvFaults::FailReads => Ok(()),
            KvFaults::FailAfterWrites(n) => {
                if op.is_write() && self.writes.fetch_add(1, Ordering::SeqCst) >= *n {
                    fail(&format!("writes fail after {n}"))
                } else {
                    Ok(())
                }
            }
            KvFaults::Custom(rule) => match rule(op, store, key) {
                Some(message) => Err(KvError(message)),
                None => Ok(()),
            },
        }
    }
}

fn first(keys: &[String]) -> &str {
    keys.first().map(String::as_str).unwrap_or("")
}

impl KvBackend for FaultyBackend {
    fn get(&self, store: &str, key: &str) -> KvResult<Option<Vec<u8>>> {
        self.check(KvOp::Get, store, key)?;
        self.inner.get(store, key)
    }
    fn set(&self, store: &str, key: &str, value: &[u8]) -> KvResult<()> {
        self.check(KvOp::Set, store, key)?;
        self.inner.set(store, key, value)
    }
    fn delete(&self, store: &str, key: &str) -> KvResult<()> {
        self.check(KvOp::Delete, store, key)?;
        self.inner.delete(store, key)
    }
    fn exists(&self, store: &str, key: &str) -> KvResult<bool> {
        self.check(KvOp::Exists, store, key)?;
        self.inner.exists(store, key)
    }
    fn keys(&self, store: &str) -> KvResult<Vec<String>> {
        self.check(KvOp::Keys, store, "")?;
        self.inner.keys(store)
    }
    fn get_many(&self, store: &str, keys: &[String]) -> KvResult<Vec<(String, Vec<u8>)>> {
        self.check(KvOp::GetMany, store, first(keys))?;
        self.inner.get_many(store, keys)
    }
    fn set_many(&self, store: &str, entries: &[(String, Vec<u8>)]) -> KvResult<()> {
        let key = entries.first().map(|(k, _)| k.as_str()).unwrap_or("");
        self.check(KvOp::SetMany, store, key)?;
        self.inner.set_many(store, entries)
    }
    fn delete_many(&self, store: &str, keys: &[String]) -> KvResult<()> {
        self.check(KvOp::DeleteMany, store, first(keys))?;
        self.inner.delete_many(store, keys)
    }
    fn increment(&self, store: &str, key: &str, delta: i64) -> KvResult<i64> {
        self.check(KvOp::Increment, store, key)?;
        self.inner.increment(store, key, delta)
    }
    fn compare_and_swap(
        &self,
        store: &str,
        key: &str,
        expected: Option<&[u8]>,
        new: &[u8],
    ) -> KvResult<bool> {
        self.check(KvOp::CompareAndSwap, store, key)?;
        self.inner.compare_and_swap(store, key, expected, new)
    }
}

/// Spin's SQLite layout in WAL mode: one writer connection and a few reader
/// connections, so reads on both cores never queue behind each other or
/// behind a write.
pub struct SqliteBackend {
    writer: std::sync::Mutex<Connection>,
    readers: Vec<std::sync::Mutex<Connection>>,
    next_reader: AtomicUsize,
}

const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS spin_key_value (
    store TEXT NOT NULL,
    key   TEXT NOT NULL,
    value BLOB NOT NULL,
    PRIMARY KEY (store, key)
)";
const SELECT_VALUE: &str = "SELECT value FROM spin_key_value WHERE store = ?1 AND key = ?2";
const UPSERT: &str = "INSERT INTO spin_key_value (store, key, value) VALUES (?1, ?2, ?3)
     ON CONFLICT(store, key) DO UPDATE SET value = excluded.value";
const DELETE: &str = "DELETE FROM spin_key_value WHERE store = ?1 AND key = ?2";

impl SqliteBackend {
    /// Opens (creating if needed) the database file, with `readers` read
    /// connections (at least one).
    pub fn open(path: &Path, readers: usize) -> anyhow::Result<Self> {
        use anyhow::Context;
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("failed to create {}", parent.display()))?;
        }
        let writer = Connection::open(path)
            .with_context(|| format!("failed to open key-value database {}", path.display()))?;
        // WAL lets readers proceed during a write and makes a commit an
        // append instead of a journal rewrite plus fsync.
        writer.pragma_update(None, "journal_mode", "WAL")?;
        writer.pragma_update(None, "synchronous", "NORMAL")?;
        writer.busy_timeout(std::time::Duration::from_secs(5))?;
        writer.execute(CREATE_TABLE, [])?;
        let mut reader_conns = Vec::new();
        for _ in 0..readers.max(1) {
            let conn = Connection::open(path)?;
            conn.busy_timeout(std::time::Duration::from_secs(5))?;
            reader_conns.push(std::sync::Mutex::new(conn));
        }
        Ok(Self {
            writer: std::sync::Mutex::new(writer),
            readers: reader_conns,
            next_reader: AtomicUsize::new(0),
        })
    }

    fn with_reader<T>(&self, f: impl FnOnce(&Connection) -> KvResult<T>) -> KvResult<T> {
        // Take the first free reader starting from a rotating index; if all
        // are busy, wait on the rotating one.
        let start = self.next_reader.fetch_add(1, Ordering::Relaxed);
        let n = self.readers.len();
        for i in 0..n {
            if let Ok(conn) = self.readers[(start + i) % n].try_lock() {
                return f(&conn);
            }
        }
        let conn = self.readers[start % n]
            .lock()
            .map_err(|_| KvError("key-value reader lock poisoned".into()))?;
        f(&conn)
    }

    fn with_writer<T>(&self, f: impl FnOnce(&mut Connection) -> KvResult<T>) -> KvResult<T> {
        let mut conn = self
            .writer
            .lock()
            .map_err(|_| KvError("key-value writer lock poisoned".into()))?;
        f(&mut conn)
    }
}

fn decode_counter(bytes: &[u8]) -> KvResult<i64> {
    let array: [u8; 8] = bytes.try_into().map_err(|_| {
        KvError(format!(
            "value is not an 8-byte little-endian integer ({} bytes)",
            bytes.len()
        ))
    })?;
    Ok(i64::from_le_bytes(array))
}

impl KvBackend for SqliteBackend {
    fn get(&self, store: &str, key: &str) -> KvResult<Option<Vec<u8>>> {
        self.with_reader(|c| {
            Ok(c.prepare_cached(SELECT_VALUE)?
                .query_row(params![store, key], |r| r.get::<_, Vec<u8>>(0))
                .optional()?)
        })
    }

    fn set(&self, store: &str, key: &str, value: &[u8]) -> KvResult<()> {
        self.with_writer(|c| {
            c.prepare_cached(UPSERT)?
                .execute(params![store, key, value])?;
            Ok(())
        })
    }

    fn delete(&self, store: &str, key: &str) -> KvResult<()> {
        self.with_writer(|c| {
            c.prepare_cached(DELETE)?.execute(params![store, key])?;
            Ok(())
        })
    }

    fn exists(&self, store: &str, key: &str) -> KvResult<bool> {
        self.with_reader(|c| {
            Ok(c.prepare_cached(
                "SELECT 1 FROM spin_key_value WHERE store = ?1 AND key = ?2 LIMIT 1",
            )?
            .exists(params![store, key])?)
        })
    }

    fn keys(&self, store: &str) -> KvResult<Vec<String>> {
        self.with_reader(|c| {
            let mut stmt = c.prepare_cached("SELECT key FROM spin_key_value WHERE store = ?1")?;
            let rows = stmt.query_map(params![store], |r| r.get::<_, String>(0))?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    fn get_many(&self, store: &str, keys: &[String]) -> KvResult<Vec<(String, Vec<u8>)>> {
        self.with_reader(|c| {
            let mut stmt = c.prepare_cached(SELECT_VALUE)?;
            let mut out = Vec::with_capacity(keys.len());
            for key in keys {
                if let Some(value) = stmt
                    .query_row(params![store, key], |r| r.get::<_, Vec<u8>>(0))
                    .optional()?
                {
                    out.push((key.clone(), value));
                }
            }
            Ok(out)
        })
    }

    fn set_many(&self, store: &str, entries: &[(String, Vec<u8>)]) -> KvResult<()> {
        self.with_writer(|c| {
            let tx = c.transaction()?;
            {
                let mut stmt = tx.prepare_cached(UPSERT)?;
                for (key, value) in entries {
                    stmt.execute(params![store, key, value])?;
                }
            }
            tx.commit()?;
            Ok(())
        })
    }

    fn delete_many(&self, store: &str, keys: &[String]) -> KvResult<()> {
        self.with_writer(|c| {
            let tx = c.transaction()?;
            {
                let mut stmt = tx.prepare_cached(DELETE)?;
                for key in keys {
                    stmt.execute(params![store, key])?;
                }
            }
            tx.commit()?;
            Ok(())
        })
    }

    fn increment(&self, store: &str, key: &str, delta: i64) -> KvResult<i64> {
        self.with_writer(|c| {
            let tx = c.transaction()?;
            let current = tx
                .prepare_cached(SELECT_VALUE)?
                .query_row(params![store, key], |r| r.get::<_, Vec<u8>>(0))
                .optional()?;
            let current = match current {
                Some(bytes) => decode_counter(&bytes)?,
                None => 0,
            };
            let new = current
                .checked_add(delta)
                .ok_or_else(|| KvError("increment overflows i64".into()))?;
            tx.prepare_cached(UPSERT)?.execute(params![
                store,
                key,
                new.to_le_bytes().as_slice()
            ])?;
            tx.commit()?;
            Ok(new)
        })
    }

    fn compare_and_swap(
        &self,
        store: &str,
        key: &str,
        expected: Option<&[u8]>,
        new: &[u8],
    ) -> KvResult<bool> {
        self.with_writer(|c| {
            let changed = match expected {
                Some(old) => c
                    .prepare_cached(
                        "UPDATE spin_key_value SET value = ?4 WHERE store = ?1 AND key = ?2 AND value = ?3",
                    )?
                    .execute(params![store, key, old, new])?,
                None => c
                    .prepare_cached(
                        "INSERT INTO spin_key_value (store, key, value) VALUES (?1, ?2, ?3)
                         ON CONFLICT(store, key) DO NOTHING",
                    )?
                    .execute(params![store, key, new])?,
            };
            Ok(changed == 1)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn backend() -> (tempfile::TempDir, SqliteBackend) {
        let dir = tempfile::tempdir().unwrap();
        let b = SqliteBackend::open(&dir.path().join("kv.db"), 2).unwrap();
        (dir, b)
    }

    #[test]
    fn crud_and_store_isolation() {
        let (_d, b) = backend();
        assert_eq!(b.get("default", "k").unwrap(), None);
        b.set("default", "k", b"v1").unwrap();
        b.set("default", "k", b"v2").unwrap();
        b.set("other", "k", b"o").unwrap();
        assert_eq!(b.get("default", "k").unwrap().as_deref(), Some(&b"v2"[..]));
        assert!(b.exists("default", "k").unwrap());
        assert_eq!(b.keys("default").unwrap(), vec!["k".to_string()]);
        b.delete("default", "k").unwrap();
        b.delete("default", "k").unwrap();
        assert!(!b.exists("default", "k").unwrap());
        assert_eq!(b.get("other", "k").unwrap().as_deref(), Some(&b"o"[..]));
    }

    #[test]
    fn batch_operations() {
        let (_d, b) = backend();
        b.set_many(
            "default",
            &[("a".into(), b"1".to_vec()), ("b".into(), b"2".to_vec())],
        )
        .unwrap();
        let got = b
            .get_many("default", &["a".into(), "missing".into(), "b".into()])
            .unwrap();
        assert_eq!(
            got,
            vec![("a".into(), b"1".to_vec()), ("b".into(), b"2".to_vec())]
        );
        b.delete_many("default", &["a".into(), "zzz".into()])
            .unwrap();
        assert_eq!(b.keys("default").unwrap(), vec!["b".to_string()]);
    }

    #[test]
    fn increment_uses_little_endian_i64() {
        let (_d, b) = backend();
        assert_eq!(b.increment("default", "n", 5).unwrap(), 5);
        assert_eq!(b.increment("default", "n", -2).unwrap(), 3);
        assert_eq!(
            b.get("default", "n").unwrap().unwrap(),
            3i64.to_le_bytes().to_vec()
        );
        b.set("default", "bad", b"x").unwrap();
        assert!(b.increment("default", "bad", 1).is_err());
    }

    #[test]
    fn compare_and_swap() {
        let (_d, b) = backend();
        assert!(b.compare_and_swap("default", "k", None, b"1").unwrap());
        assert!(!b.compare_and_swap("default", "k", None, b"2").unwrap());
        assert!(
            !b.compare_and_swap("default", "k", Some(b"0"), b"2")
                .unwrap()
        );
        assert!(
            b.compare_and_swap("default", "k", Some(b"1"), b"2")
                .unwrap()
        );
        assert_eq!(b.get("default", "k").unwrap().as_deref(), Some(&b"2"[..]));
    }

    #[test]
    fn reopening_keeps_data_and_uses_spin_table() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kv.db");
        SqliteBackend::open(&path, 1)
            .unwrap()
            .set("default", "k", b"v")
            .unwrap();
        let conn = Connection::open(&path).unwrap();
        let v: Vec<u8> = conn
            .query_row(
                "SELECT value FROM spin_key_value WHERE store='default' AND key='k'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(v, b"v");
    }

    #[test]
    fn faults() {
        let (_d, b) = backend();
        let inner: Arc<dyn KvBackend> = Arc::new(b);
        let f = FaultyBackend::new(inner.clone(), KvFaults::FailAfterWrites(2));
        f.set("default", "a", b"1").unwrap();
        f.increment("default", "n", 1).unwrap();
        assert!(f.set("default", "b", b"2").is_err());
        assert!(f.get("default", "a").unwrap().is_some());

        let f = FaultyBackend::new(inner.clone(), KvFaults::FailEveryOp);
        assert!(f.get("default", "a").is_err());

        let f = FaultyBackend::new(inner.clone(), KvFaults::FailReads);
        assert!(f.exists("default", "a").is_err());
        f.set("default", "c", b"3").unwrap();

        let f = FaultyBackend::new(
            inner,
            KvFaults::Custom(Arc::new(|op, _store, key| {
                (op == KvOp::Get && key == "poison").then(|| "boom".to_string())
            })),
        );
        assert_eq!(f.get("default", "poison").unwrap_err().0, "boom");
        assert!(f.get("default", "a").is_ok());
    }
}
