//! The request logic of the `metrics` and `monitoring` components and of
//! `admin`'s report upload: pure functions from request parts and a store
//! to an [`HttpResponse`], tested natively like `matchday_core::lookup`.

pub mod admin;
pub mod metrics;
pub mod monitoring;
pub mod service;

use matchday_core::error::ApiError;
use matchday_core::response::HttpResponse;
use serde::Serialize;

/// Service name in `/` and `/healthcheck/`.
pub const SERVICE: &str = "matchday";

/// What a component was built from: the crate version and the git commit
/// baked in at compile time (`-dirty` when the tree had local changes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BuildInfo {
    pub component: String,
    pub version: String,
    pub commit: String,
}

pub(crate) fn json(value: &impl Serialize) -> HttpResponse {
    HttpResponse::json(serde_json::to_vec(value).unwrap_or_default())
}

pub(crate) fn store_unavailable(err: impl std::fmt::Display) -> ApiError {
    eprintln!("monitoring: {err}");
    ApiError::unavailable("the data store is unavailable; retry shortly")
}

/// Seconds from an RFC 3339 time to `now` (negative if it is in the future).
pub(crate) fn age_seconds(
    rfc3339: Option<&str>,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<i64> {
    let t = chrono::DateTime::parse_from_rfc3339(rfc3339?).ok()?;
    Some(now.timestamp() - t.timestamp())
}
