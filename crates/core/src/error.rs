//! The one error shape every Matchday endpoint returns.
//!
//! Bodies are `{"error": {"code": "...", "message": "..."}}`, with an optional
//! `fields` list naming offending inputs. Messages are written for the caller:
//! they never carry internal details (store errors, paths, stack traces); those
//! go to the component's log instead.

use serde::Serialize;

/// An error a handler turns into an HTTP response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: u16,
    /// Stable machine-readable code, e.g. `invalid_parameter`.
    pub code: &'static str,
    pub message: String,
    /// Names of the offending parameters or fields, when there are some.
    pub fields: Vec<String>,
    /// Seconds a client should wait before retrying (503, 429).
    pub retry_after: Option<u32>,
    /// Scheme to announce in `WWW-Authenticate` (401).
    pub challenge: Option<&'static str>,
}

#[derive(Serialize)]
struct Body<'a> {
    error: Inner<'a>,
}

#[derive(Serialize)]
struct Inner<'a> {
    code: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    fields: &'a [String],
}

impl ApiError {
    fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            fields: Vec::new(),
            challenge: None,
            retry_after: None,
        }
    }

    /// 400: the request as a whole is malformed (bad JSON, wrong content type).
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, "bad_request", message)
    }

    /// 422: a named parameter or field is out of range or of the wrong type.
    pub fn invalid_parameter(name: &str, message: impl Into<String>) -> Self {
        let mut err = Self::new(422, "invalid_parameter", message);
        err.fields.push(name.to_string());
        err
    }

    /// 422 naming several offending fields at once.
    pub fn invalid_fields(fields: Vec<String>, message: impl Into<String>) -> Self {
        let mut err = Self::new(422, "invalid_fields", message);
        err.fields = fields;
        err
    }

    /// 401; `scheme` is announced in `WWW-Authenticate` (`ApiKey`, `Bearer`).
    pub fn unauthorized(scheme: &'static str) -> Self {
        let mut err = Self::new(401, "unauthorized", "missing or invalid credentials");
        err.challenge = Some(scheme);
        err
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(404, "not_found", message)
    }

    pub fn method_not_allowed(allowed: &str) -> Self {
        Self::new(
            405,
            "method_not_allowed",
            format!("method not allowed; use {allowed}"),
        )
    }

    pub fn payload_too_large(limit: usize) -> Self {
        Self::new(
            413,
            "payload_too_large",
            format!("request body larger than {limit} bytes"),
        )
    }

    /// 403: the request is understood and refused (e.g. a cross-origin
    /// preflight from an origin that is not allowed).
    pub fn forbidden(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(403, code, message)
    }

    /// 414: the path is longer than any route of the app.
    pub fn uri_too_long(limit: usize) -> Self {
        Self::new(
            414,
            "uri_too_long",
            format!("request path longer than {limit} bytes"),
        )
    }

    /// 415: the body is not in the format the endpoint reads.
    pub fn unsupported_media_type(expected: &str) -> Self {
        Self::new(
            415,
            "unsupported_media_type",
            format!("the request body must be {expected}"),
        )
    }

    /// 429 with `Retry-After`: the caller's rate limit is used up.
    pub fn rate_limited(retry_after: u32) -> Self {
        let retry_after = retry_after.max(1);
        let mut err = Self::new(
            429,
            "rate_limited",
            format!("rate limit exceeded; retry in {retry_after} s"),
        );
        err.retry_after = Some(retry_after);
        err
    }

    /// 500 without details: a bug on our side. The details go to the log.
    pub fn internal() -> Self {
        Self::new(500, "internal", "internal error")
    }

    /// The generic error for a status, when a response carries no error body
    /// of its own (e.g. a handler returned a bare status).
    pub fn for_status(status: u16) -> Self {
        let (code, message) = match status {
            401 => ("unauthorized", "missing or invalid credentials"),
            403 => ("forbidden", "forbidden"),
            404 => ("not_found", "not found"),
            405 => ("method_not_allowed", "method not allowed"),
            409 => ("conflict", "conflict"),
            413 => ("payload_too_large", "request body too large"),
            415 => ("unsupported_media_type", "unsupported media type"),
            422 => ("invalid_parameter", "invalid request"),
            429 => ("rate_limited", "rate limit exceeded"),
            503 => ("unavailable", "service unavailable; retry shortly"),
            400..=499 => ("bad_request", "bad request"),
            _ => ("internal", "internal error"),
        };
        let mut err = Self::new(status, code, message);
        if status == 503 {
            err.retry_after = Some(5);
        }
        err
    }

    /// 503: a dependency (the key-value store, a model) is unavailable.
    pub fn unavailable(message: impl Into<String>) -> Self {
        let mut err = Self::new(503, "unavailable", message);
        err.retry_after = Some(5);
        err
    }

    /// The JSON body of this error.
    pub fn body(&self) -> Vec<u8> {
        let body = Body {
            error: Inner {
                code: self.code,
                message: &self.message,
                fields: &self.fields,
            },
        };
        serde_json::to_vec(&body).unwrap_or_else(|_| {
            br#"{"error":{"code":"internal","message":"internal error"}}"#.to_vec()
        })
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status, self.code, self.message)
    }
}

impl std::error::Error for ApiError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_has_the_documented_shape() {
        let err = ApiError::invalid_parameter("limit", "limit must be between 1 and 5000");
        let v: serde_json::Value = serde_json::from_slice(&err.body()).unwrap();
        assert_eq!(v["error"]["code"], "invalid_parameter");
        assert_eq!(v["error"]["message"], "limit must be between 1 and 5000");
        assert_eq!(v["error"]["fields"][0], "limit");
        assert_eq!(err.status, 422);
    }

    #[test]
    fn fields_are_omitted_when_empty() {
        let v: serde_json::Value =
            serde_json::from_slice(&ApiError::not_found("no such match").body()).unwrap();
        assert!(v["error"].get("fields").is_none());
    }
}
