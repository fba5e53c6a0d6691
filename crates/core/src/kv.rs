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

/// An in-memory store for tests, with an optional failure switch.
#[derive(Debug, Default)]
pub struct MemoryKv {
    entries: RefCell<BTreeMap<String, Vec<u8>>>,
    /// When set, writes fail after this many more succeed.
    writes_left: RefCell<Option<usize>>,
}

impl MemoryKv {
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes every write after the next `n` fail, to test interrupted publishes.
    pub fn fail_writes_after(&self, n: usize) {
        *self.writes_left.borrow_mut() = Some(n);
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
            Some(0) => Err(KvError("injected write failure".into())),
            Some(n) => {
                *n -= 1;
                Ok(())
            }
            None => Ok(()),
        }
    }
}

impl KvRead for MemoryKv {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        Ok(self.entries.borrow().get(key).cloned())
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
        Ok(self
            .entries
            .borrow()
            .keys()
            .filter(|k| k.starts_with(prefix))
            .cloned()
            .collect())
    }
}
