//! Spin adapters shared by Matchday's components.
//!
//! A component's handler reads as: parse the request, call a function of
//! `matchday-core`, send its `HttpResponse`. This crate is the glue for the
//! first and last steps and for the key-value store; it holds no logic.

pub mod metrics;

use futures::StreamExt;
use matchday_core::error::ApiError;
use matchday_core::kv::{KvError, KvRead, KvWrite};
use matchday_core::response::HttpResponse;
use spin_sdk::http::body::IncomingBodyExt;
use spin_sdk::http::{FullBody, Request};
use spin_sdk::key_value::Store;

/// Spin's key-value store behind core's traits.
pub struct SpinKv(Store);

impl SpinKv {
    /// Opens the `default` store (the only one Matchday uses).
    pub async fn open() -> Result<Self, ApiError> {
        Store::open_default().await.map(SpinKv).map_err(|e| {
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
