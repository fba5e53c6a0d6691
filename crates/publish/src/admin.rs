//! The `admin` endpoint group: publish, rollback, list versions.
//!
//! Split in three steps so the component can refuse an unauthenticated
//! request before reading its (possibly large) body: [`route`], then
//! [`authorize`], then [`execute`].

use crate::commit::{self, PublishError};
use chrono::{DateTime, Utc};
use matchday_core::auth;
use matchday_core::error::ApiError;
use matchday_core::kv::{KvSwap, KvWrite};
use matchday_core::response::HttpResponse;

/// Largest bundle accepted: all of the real data is ~10 MB.
pub const MAX_BUNDLE_BYTES: usize = 256 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Publish,
    Rollback,
    Versions,
}

impl Action {
    pub fn needs_body(self) -> bool {
        self == Action::Publish
    }
}

pub fn route(method: &str, path: &str) -> Result<Action, ApiError> {
    let path = matchday_core::route::trimmed(path);
    let (action, allowed) = match path {
        "/admin/publish" => (Action::Publish, "POST"),
        "/admin/rollback" => (Action::Rollback, "POST"),
        "/admin/versions" => (Action::Versions, "GET"),
        _ => return Err(ApiError::not_found("no such endpoint")),
    };
    if method == allowed {
        Ok(action)
    } else {
        Err(ApiError::method_not_allowed(allowed))
    }
}

/// Checks `Authorization: Bearer <token>` against the configured tokens.
pub fn authorize(authorization: Option<&str>, tokens: &[String]) -> Result<(), ApiError> {
    let presented = authorization.and_then(auth::bearer_token).unwrap_or("");
    if auth::matches_any(presented, tokens) {
        Ok(())
    } else {
        Err(ApiError::unauthorized("Bearer"))
    }
}

fn publish_error(err: PublishError) -> ApiError {
    match err {
        PublishError::Invalid(e) => {
            let mut api = ApiError::bad_request(e.to_string());
            api.status = 422;
            api.code = "invalid_artifact";
            api
        }
        PublishError::Conflict(message) => {
            let mut api = ApiError::bad_request(message);
            api.status = 409;
            api.code = "conflict";
            api
        }
        PublishError::Store(e) => {
            eprintln!("admin: {e}");
            ApiError::unavailable("the data store failed; the live version is unchanged")
        }
    }
}

fn json(value: &impl serde::Serialize) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_default()
}

pub async fn execute(
    action: Action,
    body: &[u8],
    kv: &(impl KvWrite + KvSwap),
    now: DateTime<Utc>,
) -> HttpResponse {
    let result = match action {
        Action::Publish => commit::publish(kv, body, now).await.map(|report| {
            eprintln!(
                "admin: published {} ({} records)",
                report.version, report.records_written
            );
            for warning in &report.warnings {
                eprintln!("admin: after publishing {}: {warning}", report.version);
            }
            HttpResponse::json(json(&report)).with_status(201)
        }),
        Action::Rollback => commit::rollback(kv).await.map(|pointer| {
            eprintln!("admin: rolled back to {}", pointer.version);
            HttpResponse::json(json(&pointer))
        }),
        Action::Versions => commit::versions(kv)
            .await
            .map(|v| HttpResponse::json(json(&v)))
            .map_err(PublishError::Store),
    };
    result.unwrap_or_else(|err| publish_error(err).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_and_methods() {
        assert_eq!(route("POST", "/admin/publish"), Ok(Action::Publish));
        assert_eq!(route("POST", "/admin/rollback/"), Ok(Action::Rollback));
        assert_eq!(route("GET", "/admin/versions"), Ok(Action::Versions));
        assert_eq!(route("GET", "/admin/publish").unwrap_err().status, 405);
        assert_eq!(route("POST", "/admin/other").unwrap_err().status, 404);
    }

    #[test]
    fn authorization_requires_a_configured_bearer_token() {
        let tokens = vec!["s3cret".to_string()];
        assert!(authorize(Some("Bearer s3cret"), &tokens).is_ok());
        assert_eq!(
            authorize(Some("Bearer wrong"), &tokens).unwrap_err().status,
            401
        );
        assert_eq!(authorize(None, &tokens).unwrap_err().status, 401);
        assert_eq!(authorize(Some("s3cret"), &tokens).unwrap_err().status, 401);
        // No token configured: the admin API is closed, not open.
        assert_eq!(authorize(Some("Bearer "), &[]).unwrap_err().status, 401);
    }
}
