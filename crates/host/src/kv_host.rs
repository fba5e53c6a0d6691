//! Guest-facing key-value interfaces: `spin:key-value/key-value@3.0.0`
//! and `wasi:keyvalue/{store,atomics,batch}@0.2.0-draft2`, both over the
//! same [`KvBackend`] with the same access rule as Spin: a component may
//! open only the stores listed in its `key_value_stores`; anything else is
//! `access-denied` (whether or not the store exists).

use std::sync::Arc;

use wasmtime::component::{Accessor, FutureReader, HasData, Resource, ResourceTable, StreamReader};

use crate::bindings::{spin_kv, wasi_kv};
use crate::kv::{KvBackend, KvError};
use crate::manifest::DEFAULT_KV_STORE;

/// An open `spin:key-value` store (resource representation).
pub struct SpinStore {
    label: Arc<str>,
}

/// An open `wasi:keyvalue` bucket (resource representation).
pub struct Bucket {
    label: Arc<str>,
}

/// A `wasi:keyvalue/atomics.cas` handle: the value read by `current`
/// is what `swap` compares against, as in Spin.
pub struct Cas {
    label: Arc<str>,
    key: String,
    current: Option<Vec<u8>>,
}

/// Per-instance key-value context.
#[derive(Clone)]
pub struct KvCtx {
    backend: Arc<dyn KvBackend>,
    allowed: Arc<[String]>,
}

impl KvCtx {
    /// A context allowing the given store labels.
    pub fn new(backend: Arc<dyn KvBackend>, allowed: Arc<[String]>) -> Self {
        Self { backend, allowed }
    }

    fn check_open(&self, label: &str) -> Result<(), OpenError> {
        if !self.allowed.iter().any(|s| s == label) {
            Err(OpenError::AccessDenied)
        } else if label != DEFAULT_KV_STORE {
            // Unreachable after manifest validation (only `default` is
            // defined), kept so the mapping stays right if that changes.
            Err(OpenError::NoSuchStore)
        } else {
            Ok(())
        }
    }
}

enum OpenError {
    AccessDenied,
    NoSuchStore,
}

/// `HasData` marker for the key-value interfaces.
pub struct KvHost;

/// What the key-value host functions see of the store data.
pub struct KvView<'a> {
    /// The instance's resource table (shared with WASI).
    pub table: &'a mut ResourceTable,
    /// The instance's key-value context.
    pub ctx: &'a KvCtx,
}

impl HasData for KvHost {
    type Data<'a> = KvView<'a>;
}

fn spin_other(e: KvError) -> spin_kv::Error {
    spin_kv::Error::Other(e.0)
}

fn wasi_other(e: KvError) -> wasi_kv::store::Error {
    wasi_kv::store::Error::Other(e.0)
}

/// Looks up the backend and label for a resource without holding the store
/// across the (synchronous) backend call.
fn spin_target<T>(
    accessor: &Accessor<T, KvHost>,
    store: &Resource<SpinStore>,
) -> wasmtime::Result<(Arc<dyn KvBackend>, Arc<str>)> {
    accessor.with(|mut access| {
        let view = access.get();
        let label = view.table.get(store)?.label.clone();
        Ok((view.ctx.backend.clone(), label))
    })
}

impl spin_kv::Host for KvView<'_> {}

impl spin_kv::HostStore for KvView<'_> {
    fn drop(&mut self, rep: Resource<SpinStore>) -> wasmtime::Result<()> {
        self.table.delete(rep)?;
        Ok(())
    }
}

impl spin_kv::HostStoreWithStore for KvHost {
    async fn open<T>(
        accessor: &Accessor<T, Self>,
        label: String,
    ) -> wasmtime::Result<Result<Resource<SpinStore>, spin_kv::Error>> {
        accessor.with(|mut access| {
            let view = access.get();
            match view.ctx.check_open(&label) {
                Err(OpenError::AccessDenied) => Ok(Err(spin_kv::Error::AccessDenied)),
                Err(OpenError::NoSuchStore) => Ok(Err(spin_kv::Error::NoSuchStore)),
                Ok(()) => Ok(Ok(view.table.push(SpinStore {
                    label: label.into(),
                })?)),
            }
        })
    }

    async fn get<T>(
        accessor: &Accessor<T, Self>,
        store: Resource<SpinStore>,
        key: String,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, spin_kv::Error>> {
        let (backend, label) = spin_target(accessor, &store)?;
        Ok(backend.get(&label, &key).map_err(spin_other))
    }

    async fn set<T>(
        accessor: &Accessor<T, Self>,
        store: Resource<SpinStore>,
        key: String,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), spin_kv::Error>> {
        let (backend, label) = spin_target(accessor, &store)?;
        Ok(backend.set(&label, &key, &value).map_err(spin_other))
    }

    async fn delete<T>(
        accessor: &Accessor<T, Self>,
        store: Resource<SpinStore>,
        key: String,
    ) -> wasmtime::Result<Result<(), spin_kv::Error>> {
        let (backend, label) = spin_target(accessor, &store)?;
        Ok(backend.delete(&label, &key).map_err(spin_other))
    }

    async fn exists<T>(
        accessor: &Accessor<T, Self>,
        store: Resource<SpinStore>,
        key: String,
    ) -> wasmtime::Result<Result<bool, spin_kv::Error>> {
        let (backend, label) = spin_target(accessor, &store)?;
        Ok(backend.exists(&label, &key).map_err(spin_other))
    }

    async fn get_keys<T>(
        accessor: &Accessor<T, Self>,
        store: Resource<SpinStore>,
    ) -> wasmtime::Result<(
        StreamReader<String>,
        FutureReader<Result<(), spin_kv::Error>>,
    )> {
        let (backend, label) = spin_target(accessor, &store)?;
        // The keys are read up front (as Spin's SQLite store does) and then
        // streamed; an error ends the stream early and lands in the future.
        let (keys, result) = match backend.keys(&label) {
            Ok(keys) => (keys, Ok(())),
            Err(e) => (Vec::new(), Err(spin_other(e))),
        };
        accessor.with(|mut access| {
            let stream = StreamReader::new(&mut access, keys)?;
            let future =
                FutureReader::new(&mut access, async move { wasmtime::error::Ok(result) })?;
            Ok((stream, future))
        })
    }
}

impl KvView<'_> {
    fn bucket(&self, bucket: &Resource<Bucket>) -> wasmtime::Result<Arc<str>> {
        Ok(self.table.get(bucket)?.label.clone())
    }
}

impl wasi_kv::store::Host for KvView<'_> {
    fn open(
        &mut self,
        identifier: String,
    ) -> wasmtime::Result<Result<Resource<Bucket>, wasi_kv::store::Error>> {
        match self.ctx.check_open(&identifier) {
            Err(OpenError::AccessDenied) => Ok(Err(wasi_kv::store::Error::AccessDenied)),
            Err(OpenError::NoSuchStore) => Ok(Err(wasi_kv::store::Error::NoSuchStore)),
            Ok(()) => Ok(Ok(self.table.push(Bucket {
                label: identifier.into(),
            })?)),
        }
    }
}

impl wasi_kv::store::HostBucket for KvView<'_> {
    fn get(
        &mut self,
        bucket: Resource<Bucket>,
        key: String,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, wasi_kv::store::Error>> {
        let label = self.bucket(&bucket)?;
        Ok(self.ctx.backend.get(&label, &key).map_err(wasi_other))
    }

    fn set(
        &mut self,
        bucket: Resource<Bucket>,
        key: String,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), wasi_kv::store::Error>> {
        let label = self.bucket(&bucket)?;
        Ok(self
            .ctx
            .backend
            .set(&label, &key, &value)
            .map_err(wasi_other))
    }

    fn delete(
        &mut self,
        bucket: Resource<Bucket>,
        key: String,
    ) -> wasmtime::Result<Result<(), wasi_kv::store::Error>> {
        let label = self.bucket(&bucket)?;
        Ok(self.ctx.backend.delete(&label, &key).map_err(wasi_other))
    }

    fn exists(
        &mut self,
        bucket: Resource<Bucket>,
        key: String,
    ) -> wasmtime::Result<Result<bool, wasi_kv::store::Error>> {
        let label = self.bucket(&bucket)?;
        Ok(self.ctx.backend.exists(&label, &key).map_err(wasi_other))
    }

    fn list_keys(
        &mut self,
        bucket: Resource<Bucket>,
        cursor: Option<String>,
    ) -> wasmtime::Result<Result<wasi_kv::store::KeyResponse, wasi_kv::store::Error>> {
        let label = self.bucket(&bucket)?;
        if cursor.is_some() {
            // Spin returns every key in one response and rejects cursors.
            return Ok(Err(wasi_kv::store::Error::Other(
                "list_keys: cursor not supported".into(),
            )));
        }
        Ok(self
            .ctx
            .backend
            .keys(&label)
            .map(|keys| wasi_kv::store::KeyResponse { keys, cursor: None })
            .map_err(wasi_other))
    }

    fn drop(&mut self, rep: Resource<Bucket>) -> wasmtime::Result<()> {
        self.table.delete(rep)?;
        Ok(())
    }
}

impl wasi_kv::batch::Host for KvView<'_> {
    fn get_many(
        &mut self,
        bucket: Resource<Bucket>,
        keys: Vec<String>,
    ) -> wasmtime::Result<Result<Vec<(String, Option<Vec<u8>>)>, wasi_kv::store::Error>> {
        let label = self.bucket(&bucket)?;
        if keys.is_empty() {
            return Ok(Ok(Vec::new()));
        }
        // Like Spin's SQLite store: keys that do not exist are left out
        // rather than returned with `none`.
        Ok(self
            .ctx
            .backend
            .get_many(&label, &keys)
            .map(|found| found.into_iter().map(|(k, v)| (k, Some(v))).collect())
            .map_err(wasi_other))
    }

    fn set_many(
        &mut self,
        bucket: Resource<Bucket>,
        key_values: Vec<(String, Vec<u8>)>,
    ) -> wasmtime::Result<Result<(), wasi_kv::store::Error>> {
        let label = self.bucket(&bucket)?;
        if key_values.is_empty() {
            return Ok(Ok(()));
        }
        Ok(self
            .ctx
            .backend
            .set_many(&label, &key_values)
            .map_err(wasi_other))
    }

    fn delete_many(
        &mut self,
        bucket: Resource<Bucket>,
        keys: Vec<String>,
    ) -> wasmtime::Result<Result<(), wasi_kv::store::Error>> {
        let label = self.bucket(&bucket)?;
        if keys.is_empty() {
            return Ok(Ok(()));
        }
        Ok(self
            .ctx
            .backend
            .delete_many(&label, &keys)
            .map_err(wasi_other))
    }
}

impl wasi_kv::atomics::Host for KvView<'_> {
    fn increment(
        &mut self,
        bucket: Resource<Bucket>,
        key: String,
        delta: i64,
    ) -> wasmtime::Result<Result<i64, wasi_kv::store::Error>> {
        let label = self.bucket(&bucket)?;
        Ok(self
            .ctx
            .backend
            .increment(&label, &key, delta)
            .map_err(wasi_other))
    }

    fn swap(
        &mut self,
        cas: Resource<Cas>,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), wasi_kv::atomics::CasError>> {
        // `swap` consumes the handle.
        let Cas {
            label,
            key,
            current,
        } = self.table.delete(cas)?;
        match self
            .ctx
            .backend
            .compare_and_swap(&label, &key, current.as_deref(), &value)
        {
            Ok(true) => Ok(Ok(())),
            Ok(false) => {
                // As in Spin: hand back a fresh handle that has already read
                // the latest value, ready for a retry.
                let latest = match self.ctx.backend.get(&label, &key) {
                    Ok(v) => v,
                    Err(e) => {
                        return Ok(Err(wasi_kv::atomics::CasError::StoreError(wasi_other(e))));
                    }
                };
                let retry = self.table.push(Cas {
                    label,
                    key,
                    current: latest,
                })?;
                Ok(Err(wasi_kv::atomics::CasError::CasFailed(retry)))
            }
            Err(e) => Ok(Err(wasi_kv::atomics::CasError::StoreError(wasi_other(e)))),
        }
    }
}

impl wasi_kv::atomics::HostCas for KvView<'_> {
    fn new(
        &mut self,
        bucket: Resource<Bucket>,
        key: String,
    ) -> wasmtime::Result<Result<Resource<Cas>, wasi_kv::store::Error>> {
        let label = self.bucket(&bucket)?;
        Ok(Ok(self.table.push(Cas {
            label,
            key,
            current: None,
        })?))
    }

    fn current(
        &mut self,
        cas: Resource<Cas>,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, wasi_kv::store::Error>> {
        let (label, key) = {
            let handle = self.table.get(&cas)?;
            (handle.label.clone(), handle.key.clone())
        };
        match self.ctx.backend.get(&label, &key) {
            Ok(value) => {
                self.table.get_mut(&cas)?.current.clone_from(&value);
                Ok(Ok(value))
            }
            Err(e) => Ok(Err(wasi_other(e))),
        }
    }

    fn drop(&mut self, rep: Resource<Cas>) -> wasmtime::Result<()> {
        self.table.delete(rep)?;
        Ok(())
    }
}
