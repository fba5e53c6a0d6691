//! The hook request metrics go through.
//!
//! The middleware calls [`Observer::record`] once per request, after the
//! response is final, with a [`RequestRecord`] whose labels are bounded and
//! safe: the component, the route *template* (never the raw path, which
//! carries ids), a normalised method, the status, which step answered, the
//! access class and the latency. It never carries the API key, the client
//! address or the query string. Then it awaits [`Observer::flush`] with the
//! store, where an implementation may push batched counters (as the rate
//! limiter does: never one write per request).
//!
//! The default is [`NoObserver`]. The observability component provides its
//! implementation and makes it the default in `matchday_spin::Service`, so
//! every component records without changing its code.

use crate::admission::Stage;
use crate::policy::Access;
use matchday_core::kv::{KvCounter, KvWrite};
use std::time::Duration;

/// One finished request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord<'a> {
    /// The Spin component id, e.g. `lookup`.
    pub component: &'a str,
    /// `GET`, `HEAD`, `POST`, `PUT`, `PATCH`, `DELETE`, `OPTIONS`, else `OTHER`.
    pub method: &'static str,
    /// The route template, e.g. `/predict/precomputed/{match_id}`, or `unmatched`.
    pub route: &'static str,
    pub access: Access,
    pub status: u16,
    /// Which step answered: the handler, or the gate refusing early.
    pub stage: Stage,
    /// From the request's arrival at the component to its response.
    pub latency: Duration,
}

/// Bounded method labels: a client can send any token as a method.
pub fn method_label(method: &str) -> &'static str {
    match method {
        "GET" => "GET",
        "HEAD" => "HEAD",
        "POST" => "POST",
        "PUT" => "PUT",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        "OPTIONS" => "OPTIONS",
        _ => "OTHER",
    }
}

/// Receives every request's record.
#[allow(async_fn_in_trait)]
pub trait Observer {
    /// Called once per request, synchronously: keep it to in-memory work.
    fn record(&self, record: &RequestRecord<'_>);

    /// Called after `record` with the store, when it could be opened; the
    /// place to push batched counts. The default does nothing.
    async fn flush<K: KvCounter + KvWrite>(&self, kv: &K) {
        let _ = kv;
    }
}

/// Records nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoObserver;

impl Observer for NoObserver {
    fn record(&self, _record: &RequestRecord<'_>) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn method_labels_are_bounded() {
        assert_eq!(method_label("GET"), "GET");
        assert_eq!(method_label("get"), "OTHER");
        assert_eq!(method_label("X-SECRET-KEY-AS-METHOD"), "OTHER");
    }
}
