//! Spin adapters shared by Matchday's components.
//!
//! A component's handler reads as: parse the request, call a function of
//! `matchday-core`, send its `HttpResponse`. This crate is the glue for the
//! first and last steps and for the key-value store; it holds no logic.
//!
//! Every component enters through [`serve`] (see [`gate`] for the one-line
//! recipe): the gateway's checks run before the handler and its response
//! touches after it, so no component can forget them.

pub mod gate;

pub use gate::{Incoming, Service, serve};

pub mod metrics;

use futures::StreamExt;
use matchday_core::error::ApiError;
use matchday_core::kv::{KvCounter, KvError, KvRead, KvSwap, KvWrite};
use matchday_core::response::HttpResponse;
use matchday_observe::metrics::slots::CasStore;
use spin_sdk::experimental::wasi::keyvalue::{atomics, store as wasi_store};
use spin_sdk::http::body::IncomingBodyExt;
use spin_sdk::http::{FullBody, Request};
use spin_sdk::key_value::Store;
use std::cell::OnceCell;

/// Spin's key-value store behind core's traits.
pub struct SpinKv(Store, OnceCell<wasi_store::Bucket>);

impl SpinKv {
    /// Opens the `default` store (the only one Matchday uses).
    pub async fn open() -> Result<Self, ApiError> {
        Store::open_default()
            .await
            .map(|store| SpinKv(store, OnceCell::new()))
            .map_err(|e| {
                eprintln!("key-value store unavailable: {e}");
                ApiError::unavailable("the data store is unavailable; retry shortly")
            })
    }
}

fn kv_error(e: impl std::fmt::Display) -> KvError {
    KvError(e.to_string())
}

impl KvRead for SpinKv {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        self.0.get(key).await.map_err(kv_error)
    }
}

impl KvWrite for SpinKv {
    async fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError> {
        self.0.set(key, value).await.map_err(kv_error)
    }

    async fn delete(&self, key: &str) -> Result<(), KvError> {
        self.0.delete(key).await.map_err(kv_error)
    }

    async fn keys_with_prefix(&self, prefix: &str) -> Result<Vec<String>, KvError> {
        let keys = self.0.get_keys().await.collect().await.map_err(kv_error)?;
        Ok(keys.into_iter().filter(|k| k.starts_with(prefix)).collect())
    }
}

impl KvCounter for SpinKv {
    /// `wasi:keyvalue/atomics.increment` on the same `default` store (Spin
    /// backs both interfaces with one store); the bucket is opened on first use.
    async fn increment(&self, key: &str, delta: i64) -> Result<i64, KvError> {
        atomics::increment(self.bucket()?, key, delta).map_err(|e| kv_error(format!("{e:?}")))
    }
}

impl KvSwap for SpinKv {
    /// `wasi:keyvalue/atomics` compare-and-swap on the same `default` store:
    /// the handle reads the current value, and the swap fails if the key
    /// changed after that read.
    async fn swap_if(
        &self,
        key: &str,
        expected: Option<&[u8]>,
        value: &[u8],
    ) -> Result<bool, KvError> {
        let cas = WasiCas(self.bucket()?);
        let (handle, current) = cas.begin(key)?;
        if current.as_deref() != expected {
            return Ok(false);
        }
        cas.swap(handle, value)
    }
}

impl SpinKv {
    /// The `wasi:keyvalue` handle of the `default` store, opened on first use.
    fn bucket(&self) -> Result<&wasi_store::Bucket, KvError> {
        if let Some(bucket) = self.1.get() {
            return Ok(bucket);
        }
        let bucket = open_bucket()?;
        Ok(self.1.get_or_init(|| bucket))
    }
}

/// The `wasi:keyvalue` handle of the `default` store (Spin backs it and the
/// SDK's key-value API with one store): counters, compare-and-swap.
fn open_bucket() -> Result<wasi_store::Bucket, KvError> {
    wasi_store::open("default").map_err(|e| kv_error(format!("{e:?}")))
}

/// `wasi:keyvalue/atomics` compare-and-swap behind observe's trait: the
/// metrics slots' merge loop and [`SpinKv`]'s [`KvSwap`].
struct WasiCas<'a>(&'a wasi_store::Bucket);

impl CasStore for WasiCas<'_> {
    type Handle = atomics::Cas;

    fn begin(&self, key: &str) -> Result<(atomics::Cas, Option<Vec<u8>>), KvError> {
        let cas = atomics::Cas::new(self.0, key).map_err(|e| kv_error(format!("{e:?}")))?;
        let current = cas.current().map_err(|e| kv_error(format!("{e:?}")))?;
        Ok((cas, current))
    }

    fn swap(&self, cas: atomics::Cas, value: &[u8]) -> Result<bool, KvError> {
        match atomics::swap(cas, value) {
            Ok(()) => Ok(true),
            Err(atomics::CasError::CasFailed(_)) => Ok(false),
            Err(atomics::CasError::StoreError(e)) => Err(kv_error(format!("{e:?}"))),
        }
    }
}

/// Converts core's response into the SDK's.
pub fn send(response: HttpResponse) -> http::Response<FullBody<bytes::Bytes>> {
    let mut builder = http::Response::builder().status(response.status);
    for (name, value) in &response.headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    builder
        .body(FullBody::new(bytes::Bytes::from(response.body)))
        .unwrap_or_else(|_| {
            // Only a malformed header name/value can fail here: a programming error.
            let mut fallback = http::Response::new(FullBody::new(bytes::Bytes::from_static(
                br#"{"error":{"code":"internal","message":"internal error"}}"#,
            )));
            *fallback.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
            fallback
        })
}

/// The request body, refusing more than `limit` bytes (413) without reading
/// the rest into memory.
pub async fn read_body(request: Request, limit: usize) -> Result<Vec<u8>, ApiError> {
    let mut stream = request.into_body().stream();
    let mut body = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk =
            chunk.map_err(|_| ApiError::bad_request("the request body could not be read"))?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::payload_too_large(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// A Spin variable; a missing or unreadable one is a configuration fault.
pub async fn variable(name: &str) -> Result<String, ApiError> {
    spin_sdk::variables::get(name).await.map_err(|e| {
        eprintln!("variable `{name}` unavailable: {e}");
        ApiError::unavailable("the service is not configured; retry later")
    })
}
