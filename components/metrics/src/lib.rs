//! `metrics`: `GET /metrics` for Prometheus. The logic is
//! `matchday_observe::endpoints::metrics`; this file only adapts Spin to it.

use matchday_observe::endpoints::metrics;
use matchday_spin::Incoming;
use spin_sdk::http::{IntoResponse, Request};
use spin_sdk::http_service;

#[http_service]
async fn handle(request: Request) -> impl IntoResponse {
    matchday_spin::serve("metrics", request, async |req: Incoming| {
        Ok(metrics::handle(&req.method, &req.path, req.kv()?, chrono::Utc::now()).await)
    })
    .await
}
