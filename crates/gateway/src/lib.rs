//! matchday-gateway: the policy every Matchday request passes through.
//!
//! - [`policy`]: route → access class (open / API key / admin bearer) and
//!   route template (for metrics), deny-by-default;
//! - [`admission`]: the gate — request caps, CORS preflight, credentials,
//!   rate limit — and the response touches (one error shape, CORS headers);
//! - [`ratelimit`]: per-instance counting synced through the KV store's
//!   atomic counters, with the accuracy it gives stated and simulated;
//! - [`cors`], [`client`], [`config`]: their parts;
//! - [`observe`]: the request-metrics hook.
//!
//! Plain code over `http::HeaderMap` and core's KV traits, tested natively
//! with `MemoryKv`; `matchday-spin` runs it inside each Spin component.

pub mod admission;
pub mod client;
pub mod config;
pub mod cors;
pub mod observe;
pub mod policy;
pub mod ratelimit;

pub use admission::{Admission, Admitted, Caller, Gate, RequestHead, Stage};
pub use config::GatewayConfig;
pub use observe::{NoObserver, Observer, RequestRecord};
pub use policy::{Access, RouteRule};
pub use ratelimit::{Limit, RateLimiter, SyncPolicy, Verdict};
