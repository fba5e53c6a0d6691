//! The checks every request passes before its handler, and the touches
//! every response gets after it. Pure apart from the limiter's store calls,
//! so the whole gate is tested natively.
//!
//! Order, cheapest and least revealing first:
//! 1. path longer than [`MAX_PATH_BYTES`] → 414;
//! 2. a CORS preflight → 204 or 403 (browsers send no credentials on it);
//! 3. credentials for the route's [`Access`] class → 401 (or 503 when the
//!    component has no keys configured at all);
//! 4. the caller's rate limit → 429 with `Retry-After`;
//! 5. query string caps and decoding → 400/422;
//! 6. a declared `Content-Length` over the route's body cap → 413 (the
//!    adapter enforces the cap again while reading a body without one).
//!
//! An unauthenticated caller learns nothing but 401 (and 414 for absurd
//! paths); a 401 costs no store access at all.

use crate::client::client_identity;
use crate::config::GatewayConfig;
use crate::cors;
use crate::policy::{self, Access, RouteRule};
use crate::ratelimit::{RateLimiter, Verdict};
use matchday_core::auth;
use matchday_core::error::ApiError;
use matchday_core::kv::{KvCounter, KvWrite};
use matchday_core::query::Query;
use matchday_core::response::HttpResponse;

/// Longest path accepted; every route of the app is far shorter.
pub const MAX_PATH_BYTES: usize = 1024;
/// Longest `X-API-Key` compared; longer ones are refused unread.
pub const MAX_KEY_BYTES: usize = 256;
/// The header carrying the API key.
pub const API_KEY_HEADER: &str = "x-api-key";

/// What the gate sees of a request.
#[derive(Debug, Clone, Copy)]
pub struct RequestHead<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub headers: &'a http::HeaderMap,
}

/// Who made an admitted request: never the key or token itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// An open route; the rate-limit identity of the client address.
    Anonymous {
        client: String,
    },
    /// The position of the matching key in `api_keys`.
    ApiKey {
        index: usize,
    },
    Admin,
}

impl Caller {
    /// The rate-limit identity (also safe for logs: no secret, no raw key).
    pub fn identity(&self) -> String {
        match self {
            Caller::Anonymous { client } => client.clone(),
            Caller::ApiKey { index } => format!("key{index}"),
            Caller::Admin => "admin".to_string(),
        }
    }
}

/// Which step answered a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Handler,
    RequestLimits,
    Preflight,
    Auth,
    RateLimit,
}

impl Stage {
    pub fn label(self) -> &'static str {
        match self {
            Stage::Handler => "handler",
            Stage::RequestLimits => "request_limits",
            Stage::Preflight => "cors_preflight",
            Stage::Auth => "auth",
            Stage::RateLimit => "rate_limit",
        }
    }
}

/// A request the handler may serve.
#[derive(Debug, Clone)]
pub struct Admitted {
    pub caller: Caller,
    pub query: Query,
}

/// The gate's decision, with what is known of the route either way.
#[derive(Debug)]
pub struct Admission {
    pub route: RouteRule,
    pub access: Access,
    pub outcome: Result<Admitted, (Stage, HttpResponse)>,
}

/// The gate of one component: its configuration and its instance's limiter.
#[derive(Debug, Clone, Copy)]
pub struct Gate<'a> {
    pub config: &'a GatewayConfig,
    pub limiter: &'a RateLimiter,
}

impl Gate<'_> {
    /// Runs checks 1–6. `body_limit` is the component's cap for request
    /// bodies; `kv` is the store (for the limiter), `None` if it could not
    /// be opened; `now_ms` is the wall clock in milliseconds (rate windows
    /// must line up across instances).
    pub async fn admit<K: KvCounter + KvWrite>(
        &self,
        head: &RequestHead<'_>,
        kv: Option<&K>,
        now_ms: u64,
        body_limit: usize,
    ) -> Admission {
        let route = policy::route_rule(head.path);
        let access = policy::access(head.path);
        let outcome = self
            .check(head, access, route, kv, now_ms, body_limit)
            .await;
        Admission {
            route,
            access,
            outcome,
        }
    }

    async fn check<K: KvCounter + KvWrite>(
        &self,
        head: &RequestHead<'_>,
        access: Access,
        route: RouteRule,
        kv: Option<&K>,
        now_ms: u64,
        body_limit: usize,
    ) -> Result<Admitted, (Stage, HttpResponse)> {
        let at = |stage: Stage| move |err: ApiError| (stage, HttpResponse::from(err));
        if head.path.len() > MAX_PATH_BYTES {
            return Err(at(Stage::RequestLimits)(ApiError::uri_too_long(
                MAX_PATH_BYTES,
            )));
        }
        if cors::is_preflight(head.method, head.headers) {
            return Err((
                Stage::Preflight,
                cors::preflight(&self.config.cors, access, head.headers),
            ));
        }
        let caller = self
            .authenticate(access, head.headers)
            .map_err(at(Stage::Auth))?;
        let limit = match access {
            Access::ApiKey => Some(self.config.key_limit),
            Access::Open => Some(self.config.open_limit),
            Access::AdminBearer => None,
        };
        if let Some(limit) = limit {
            let verdict = self
                .limiter
                .check(kv, &caller.identity(), limit, u64::from(route.cost), now_ms)
                .await;
            if let Verdict::Limited { retry_after_s } = verdict {
                return Err(at(Stage::RateLimit)(ApiError::rate_limited(retry_after_s)));
            }
        }
        let query = Query::parse(head.query).map_err(at(Stage::RequestLimits))?;
        check_content_length(head.headers, body_limit).map_err(at(Stage::RequestLimits))?;
        Ok(Admitted { caller, query })
    }

    fn authenticate(&self, access: Access, headers: &http::HeaderMap) -> Result<Caller, ApiError> {
        match access {
            Access::Open => Ok(Caller::Anonymous {
                client: client_identity(headers),
            }),
            Access::ApiKey => {
                let keys = self.config.api_keys.as_ref().ok_or_else(not_configured)?;
                let presented = single_header(headers, API_KEY_HEADER)
                    .filter(|k| k.len() <= MAX_KEY_BYTES)
                    .unwrap_or("");
                auth::match_index(presented, keys.as_slice())
                    .map(|index| Caller::ApiKey { index })
                    .ok_or_else(|| ApiError::unauthorized("ApiKey"))
            }
            Access::AdminBearer => {
                let tokens = self
                    .config
                    .admin_tokens
                    .as_ref()
                    .ok_or_else(not_configured)?;
                let presented = single_header(headers, "authorization")
                    .and_then(auth::bearer_token)
                    .filter(|t| t.len() <= MAX_KEY_BYTES)
                    .unwrap_or("");
                if auth::matches_any(presented, tokens.as_slice()) {
                    Ok(Caller::Admin)
                } else {
                    Err(ApiError::unauthorized("Bearer"))
                }
            }
        }
    }

    /// Response touches: the one error shape for every 4xx/5xx, CORS
    /// headers, `nosniff`.
    pub fn finish(
        &self,
        head: &RequestHead<'_>,
        access: Access,
        response: HttpResponse,
    ) -> HttpResponse {
        let mut response = normalize_error(response);
        for (name, value) in cors::response_headers(&self.config.cors, access, head.headers) {
            response = response.with_header(name, value);
        }
        response.with_header("x-content-type-options", "nosniff")
    }
}

fn not_configured() -> ApiError {
    eprintln!(
        "gateway: credentials for this route are not configured (see the component's variables)"
    );
    ApiError::unavailable("the service is not configured; retry later")
}

/// The value of a header sent exactly once, as text.
fn single_header<'h>(headers: &'h http::HeaderMap, name: &str) -> Option<&'h str> {
    let mut values = headers.get_all(name).iter();
    let first = values.next()?;
    if values.next().is_some() {
        return None; // two keys: ambiguous, refused
    }
    first.to_str().ok()
}

fn check_content_length(headers: &http::HeaderMap, limit: usize) -> Result<(), ApiError> {
    let Some(value) = headers.get(http::header::CONTENT_LENGTH) else {
        return Ok(());
    };
    let length: u64 = value
        .to_str()
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| ApiError::bad_request("Content-Length is not a number"))?;
    if length > limit as u64 {
        return Err(ApiError::payload_too_large(limit));
    }
    Ok(())
}

/// Makes any error response the documented shape: a handler that returns a
/// bare status or text still sends `{"error": {"code", "message"}}`, and a
/// 503 always says when to retry.
pub fn normalize_error(response: HttpResponse) -> HttpResponse {
    if response.status < 400 {
        return response;
    }
    let status = response.status;
    let shaped = response
        .header("content-type")
        .is_some_and(|t| t.starts_with("application/json"))
        && is_error_shape(&response.body);
    let mut response = if shaped {
        response
    } else {
        if status >= 500 && status != 503 {
            eprintln!("gateway: a handler answered {status} without the error shape; replaced");
        }
        let mut replaced = HttpResponse::from(ApiError::for_status(status));
        // Keep what the client needs: when to retry, how to authenticate.
        for (name, value) in response.headers {
            let lower = name.to_ascii_lowercase();
            if (lower == "retry-after" || lower == "www-authenticate")
                && replaced.header(&lower).is_none()
            {
                replaced = replaced.with_header(&lower, value);
            }
        }
        replaced
    };
    if status == 503 && response.header("retry-after").is_none() {
        response = response.with_header("retry-after", "5");
    }
    response
}

fn is_error_shape(body: &[u8]) -> bool {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) else {
        return false;
    };
    value["error"]["code"].is_string() && value["error"]["message"].is_string()
}

#[cfg(test)]
mod tests;
