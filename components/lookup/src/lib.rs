//! `lookup`: read-only endpoints over the published data version.
//! The logic is `matchday_core::lookup`; this file only adapts Spin to it.

use matchday_core::lookup;
use matchday_spin::{Incoming, metrics};
use spin_sdk::http::{IntoResponse, Request};
use spin_sdk::http_service;

#[http_service]
async fn handle(request: Request) -> impl IntoResponse {
    matchday_spin::serve("lookup", request, async |req: Incoming| {
        let response =
            lookup::handle(&req.method, &req.path, req.raw_query.as_deref(), req.kv()?).await;
        if response.status == 200 && req.path.starts_with("/predict/precomputed/") {
            metrics::record_prediction("precomputed");
        }
        Ok(response)
    })
    .await
}
