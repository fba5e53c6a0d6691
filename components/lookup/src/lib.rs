//! `lookup`: read-only endpoints over the published data version.
//! The logic is `matchday_core::lookup`; this file only adapts Spin to it.

use matchday_core::lookup;
use matchday_core::response::HttpResponse;
use matchday_spin::{SpinKv, metrics};
use spin_sdk::http::{IntoResponse, Request};
use spin_sdk::http_service;

#[http_service]
async fn handle(request: Request) -> impl IntoResponse {
    metrics::measured("lookup", request, serve).await
}

async fn serve(request: Request) -> HttpResponse {
    let kv = match SpinKv::open().await {
        Ok(kv) => kv,
        Err(err) => return err.into(),
    };
    let uri = request.uri();
    let response = lookup::handle(request.method().as_str(), uri.path(), uri.query(), &kv).await;
    if response.status == 200 && uri.path().starts_with("/predict/precomputed/") {
        metrics::record_prediction("precomputed");
    }
    response
}
