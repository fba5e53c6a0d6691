//! `metrics`: `GET /metrics` for Prometheus. The logic is
//! `matchday_observe::endpoints::metrics`; this file only adapts Spin to it.

use matchday_core::response::HttpResponse;
use matchday_observe::endpoints::metrics;
use matchday_spin::{SpinKv, metrics as recording};
use spin_sdk::http::{IntoResponse, Request};
use spin_sdk::http_service;

#[http_service]
async fn handle(request: Request) -> impl IntoResponse {
    recording::measured("metrics", request, serve).await
}

async fn serve(request: Request) -> HttpResponse {
    let kv = match SpinKv::open().await {
        Ok(kv) => kv,
        Err(err) => return err.into(),
    };
    let (method, path) = (request.method().as_str(), request.uri().path());
    metrics::handle(method, path, &kv, chrono::Utc::now()).await
}
