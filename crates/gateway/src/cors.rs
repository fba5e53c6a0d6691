//! Cross-origin access for browsers (CORS), from the `cors_allowed_origins`
//! variable.
//!
//! - empty (the default): no cross-origin access; a preflight is refused
//!   with 403 and no response carries `Access-Control-*` headers;
//! - `*`: any origin may read the open and API-key routes (the API key, not
//!   the origin, is the access control; no cookies are ever used);
//! - `https://a.example,https://b.example`: only these origins, exactly
//!   (scheme, host and port; case-insensitive).
//!
//! The admin routes never allow cross-origin calls: operators use the CLI.
//! CORS is not access control: a request from a disallowed origin is still
//! served (authenticated as any other); the browser just does not let the
//! page read the answer. A preflight is answered before authentication,
//! because browsers never send credentials on it.

use crate::policy::Access;
use matchday_core::error::ApiError;
use matchday_core::response::HttpResponse;

/// Methods a cross-origin page may use.
pub const ALLOWED_METHODS: &[&str] = &["GET", "HEAD", "POST"];
/// Request headers a cross-origin page may send (besides the CORS-safelisted ones).
pub const ALLOWED_HEADERS: &[&str] = &["x-api-key", "content-type"];
/// Response headers a cross-origin page may read (besides the safelisted ones).
pub const EXPOSED_HEADERS: &str = "x-matchday-data-version, retry-after";
/// How long a browser may cache a preflight answer.
pub const MAX_AGE_SECONDS: u32 = 600;

/// Request headers browsers may send without asking.
const SAFELISTED_HEADERS: &[&str] = &["accept", "accept-language", "content-language"];

/// The configured policy.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum CorsPolicy {
    #[default]
    Disabled,
    AnyOrigin,
    /// Normalised origins: lowercase, no trailing slash.
    AllowList(Vec<String>),
}

impl CorsPolicy {
    /// Parses the variable; entries that are not an origin
    /// (`scheme://host[:port]`) are skipped and returned, for the log.
    pub fn parse(raw: &str) -> (CorsPolicy, Vec<String>) {
        let mut origins = Vec::new();
        let mut rejected = Vec::new();
        for entry in raw.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            if entry == "*" {
                return (CorsPolicy::AnyOrigin, rejected);
            }
            let origin = entry.trim_end_matches('/').to_ascii_lowercase();
            let valid = ["http://", "https://"].iter().any(|scheme| {
                origin
                    .strip_prefix(scheme)
                    .is_some_and(|host| !host.is_empty() && !host.contains(['/', '?', '#', ' ']))
            });
            if valid {
                origins.push(origin);
            } else {
                rejected.push(entry.to_string());
            }
        }
        let policy = if origins.is_empty() {
            CorsPolicy::Disabled
        } else {
            CorsPolicy::AllowList(origins)
        };
        (policy, rejected)
    }

    fn allows(&self, origin: &str) -> bool {
        match self {
            CorsPolicy::Disabled => false,
            CorsPolicy::AnyOrigin => true,
            CorsPolicy::AllowList(list) => list.iter().any(|o| o.eq_ignore_ascii_case(origin)),
        }
    }

    /// The `Access-Control-Allow-Origin` value for `origin`, if allowed.
    fn allow_origin(&self, origin: &str) -> Option<String> {
        match self {
            CorsPolicy::AnyOrigin => Some("*".to_string()),
            _ if self.allows(origin) => Some(origin.to_string()),
            _ => None,
        }
    }
}

/// The single `Origin` of a request; two of them are treated as none allowed.
fn origin(headers: &http::HeaderMap) -> Option<&str> {
    let mut values = headers.get_all(http::header::ORIGIN).iter();
    let first = values.next()?.to_str().ok()?;
    values.next().is_none().then_some(first)
}

/// A browser's preflight: `OPTIONS` with `Origin` and `Access-Control-Request-Method`.
pub fn is_preflight(method: &str, headers: &http::HeaderMap) -> bool {
    method == "OPTIONS"
        && headers.contains_key(http::header::ORIGIN)
        && headers.contains_key(http::header::ACCESS_CONTROL_REQUEST_METHOD)
}

fn refuse(message: &str) -> HttpResponse {
    HttpResponse::from(ApiError::forbidden("cors_forbidden", message)).with_header("vary", "Origin")
}

/// The answer to a preflight: 204 with the grant, or 403 saying what is not
/// allowed.
pub fn preflight(policy: &CorsPolicy, access: Access, headers: &http::HeaderMap) -> HttpResponse {
    let Some(origin) = origin(headers) else {
        return refuse("cross-origin requests are not allowed from this origin");
    };
    let allow_origin = match access {
        Access::AdminBearer => None,
        _ => policy.allow_origin(origin),
    };
    let Some(allow_origin) = allow_origin else {
        return refuse("cross-origin requests are not allowed from this origin");
    };
    let method = headers
        .get(http::header::ACCESS_CONTROL_REQUEST_METHOD)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !ALLOWED_METHODS.contains(&method) {
        return refuse("this method is not allowed cross-origin; use GET, HEAD or POST");
    }
    for value in headers.get_all(http::header::ACCESS_CONTROL_REQUEST_HEADERS) {
        let Ok(value) = value.to_str() else {
            return refuse("unreadable Access-Control-Request-Headers");
        };
        for name in value.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let name = name.to_ascii_lowercase();
            if !ALLOWED_HEADERS.contains(&name.as_str())
                && !SAFELISTED_HEADERS.contains(&name.as_str())
            {
                return refuse("a requested header is not allowed cross-origin");
            }
        }
    }
    HttpResponse {
        status: 204,
        headers: Vec::new(),
        body: Vec::new(),
    }
    .with_header("access-control-allow-origin", allow_origin)
    .with_header("access-control-allow-methods", ALLOWED_METHODS.join(", "))
    .with_header("access-control-allow-headers", ALLOWED_HEADERS.join(", "))
    .with_header("access-control-max-age", MAX_AGE_SECONDS.to_string())
    .with_header(
        "vary",
        "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
    )
}

/// Headers to add to every non-preflight response (errors included, so a
/// page can read a 401 or a 429 and its `Retry-After`).
pub fn response_headers(
    policy: &CorsPolicy,
    access: Access,
    headers: &http::HeaderMap,
) -> Vec<(&'static str, String)> {
    if access == Access::AdminBearer {
        return Vec::new();
    }
    let mut out = Vec::new();
    // With an allow-list the answer depends on Origin: shared caches must
    // key on it, whether or not this request sent one.
    if matches!(policy, CorsPolicy::AllowList(_)) {
        out.push(("vary", "Origin".to_string()));
    }
    if let Some(allow) = origin(headers).and_then(|o| policy.allow_origin(o)) {
        out.push(("access-control-allow-origin", allow));
        out.push(("access-control-expose-headers", EXPOSED_HEADERS.to_string()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> http::HeaderMap {
        let mut map = http::HeaderMap::new();
        for (n, v) in pairs {
            map.append(*n, v.parse().unwrap());
        }
        map
    }

    fn allow_list() -> CorsPolicy {
        CorsPolicy::parse("https://app.example, http://localhost:5173/ ,nonsense").0
    }

    #[test]
    fn parsing_normalises_and_reports_bad_entries() {
        let (policy, rejected) =
            CorsPolicy::parse("https://App.Example/, http://localhost:5173,ftp://x,https://a/b");
        assert_eq!(
            policy,
            CorsPolicy::AllowList(vec![
                "https://app.example".into(),
                "http://localhost:5173".into()
            ])
        );
        assert_eq!(rejected, vec!["ftp://x", "https://a/b"]);
        assert_eq!(CorsPolicy::parse("").0, CorsPolicy::Disabled);
        assert_eq!(CorsPolicy::parse(" , ").0, CorsPolicy::Disabled);
        assert_eq!(
            CorsPolicy::parse("https://a.example,*").0,
            CorsPolicy::AnyOrigin
        );
    }

    #[test]
    fn preflight_grants_allowed_origins_methods_and_headers() {
        let h = headers(&[
            ("origin", "https://app.example"),
            ("access-control-request-method", "GET"),
            ("access-control-request-headers", "X-API-Key, content-type"),
        ]);
        assert!(is_preflight("OPTIONS", &h));
        let r = preflight(&allow_list(), Access::ApiKey, &h);
        assert_eq!(r.status, 204);
        assert_eq!(
            r.header("access-control-allow-origin"),
            Some("https://app.example")
        );
        assert_eq!(
            r.header("access-control-allow-headers"),
            Some("x-api-key, content-type")
        );
        assert!(r.header("vary").unwrap().contains("Origin"));
        assert!(r.body.is_empty());
    }

    #[test]
    fn preflight_refusals_are_403_json() {
        let base = [("access-control-request-method", "GET")];
        type Case<'a> = (CorsPolicy, Access, Vec<(&'static str, &'a str)>);
        let cases: Vec<Case> = vec![
            (
                CorsPolicy::Disabled,
                Access::ApiKey,
                vec![("origin", "https://app.example")],
            ),
            (
                allow_list(),
                Access::ApiKey,
                vec![("origin", "https://evil.example")],
            ),
            (allow_list(), Access::ApiKey, vec![("origin", "null")]),
            (
                allow_list(),
                Access::AdminBearer,
                vec![("origin", "https://app.example")],
            ),
            (
                CorsPolicy::AnyOrigin,
                Access::AdminBearer,
                vec![("origin", "https://x")],
            ),
            (
                allow_list(),
                Access::ApiKey,
                vec![
                    ("origin", "https://app.example"),
                    ("origin", "https://app.example"),
                ],
            ),
        ];
        for (policy, access, mut pairs) in cases {
            pairs.extend(base);
            let r = preflight(&policy, access, &headers(&pairs));
            assert_eq!(r.status, 403, "{policy:?} {access:?} {pairs:?}");
            assert!(r.header("access-control-allow-origin").is_none());
            let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
            assert_eq!(body["error"]["code"], "cors_forbidden");
        }
        for (method, extra) in [("DELETE", ""), ("GET", "authorization"), ("GET", "x-other")] {
            let h = headers(&[
                ("origin", "https://app.example"),
                ("access-control-request-method", method),
                ("access-control-request-headers", extra),
            ]);
            assert_eq!(
                preflight(&allow_list(), Access::ApiKey, &h).status,
                403,
                "{method} {extra}"
            );
        }
    }

    #[test]
    fn responses_carry_the_grant_and_vary() {
        let from = |o: &str| headers(&[("origin", o)]);
        let got = response_headers(&allow_list(), Access::ApiKey, &from("https://APP.example"));
        assert!(got.contains(&("vary", "Origin".into())));
        assert!(got.contains(&("access-control-allow-origin", "https://APP.example".into())));
        let got = response_headers(&allow_list(), Access::Open, &from("https://evil.example"));
        assert_eq!(got, vec![("vary", "Origin".to_string())]);
        let got = response_headers(&allow_list(), Access::ApiKey, &http::HeaderMap::new());
        assert_eq!(got, vec![("vary", "Origin".to_string())]);
        let got = response_headers(&CorsPolicy::AnyOrigin, Access::ApiKey, &from("https://x"));
        assert!(got.contains(&("access-control-allow-origin", "*".into())));
        assert!(
            response_headers(&CorsPolicy::Disabled, Access::ApiKey, &from("https://x")).is_empty()
        );
        assert!(
            response_headers(
                &CorsPolicy::AnyOrigin,
                Access::AdminBearer,
                &from("https://x")
            )
            .is_empty()
        );
        assert!(
            !is_preflight("OPTIONS", &from("https://x")),
            "no request method: not a preflight"
        );
    }
}
