//! The request logic of the `metrics` and `monitoring` components and of
//! `admin`'s report upload: pure functions from request parts and a store
//! to an [`HttpResponse`], tested natively like `matchday_core::lookup`.

pub mod admin;
pub mod metrics;
pub mod monitoring;
pub mod service;

use matchday_core::auth;
use matchday_core::error::ApiError;
use matchday_core::response::HttpResponse;
use serde::Serialize;

/// Service name in `/` and `/healthcheck/`.
pub const SERVICE: &str = "matchday";
/// Header carrying an API key (`/monitoring/*`, and what the security
/// middleware checks on `/predict` and `/livescores`).
pub const API_KEY_HEADER: &str = "x-api-key";

/// What a component was built from: the crate version and the git commit
/// baked in at compile time (`-dirty` when the tree had local changes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BuildInfo {
    pub component: String,
    pub version: String,
    pub commit: String,
}

/// `X-API-Key` against the configured keys; 401 with `WWW-Authenticate:
/// ApiKey` otherwise. No key configured means closed, never open.
pub fn authorize_api_key(presented: Option<&str>, keys: &[String]) -> Result<(), ApiError> {
    if auth::matches_any(presented.unwrap_or("").trim(), keys) {
        Ok(())
    } else {
        Err(ApiError::unauthorized("ApiKey"))
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_keys_are_checked_and_an_empty_configuration_is_closed() {
        let keys = vec!["k1".to_string(), "k2".to_string()];
        assert!(authorize_api_key(Some("k2"), &keys).is_ok());
        let err = authorize_api_key(Some("nope"), &keys).unwrap_err();
        assert_eq!((err.status, err.challenge), (401, Some("ApiKey")));
        assert_eq!(authorize_api_key(None, &keys).unwrap_err().status, 401);
        assert_eq!(authorize_api_key(Some(""), &[]).unwrap_err().status, 401);
    }
}
