//! `lookup`: read-only endpoints over the published data version.
//! The logic is `matchday_core::lookup`; this file only adapts Spin to it,
//! behind the gateway (API key, rate limit, caps, CORS) that
//! `matchday_spin::serve` runs.

use matchday_core::lookup;
use matchday_spin::Incoming;
use spin_sdk::http::{IntoResponse, Request};
use spin_sdk::http_service;

#[http_service]
async fn handle(request: Request) -> impl IntoResponse {
    matchday_spin::serve("lookup", request, async |req: Incoming| {
        Ok(lookup::handle(&req.method, &req.path, req.raw_query.as_deref(), req.kv()?).await)
    })
    .await
}
