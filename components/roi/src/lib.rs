//! `roi`: `GET /predict/region-roi/`, the flat-stake ROI per region of the
//! published simulation. The logic is `matchday_core::market::roi`; this
//! file only adapts Spin to it.

use matchday_core::market::roi;
use matchday_spin::Incoming;
use spin_sdk::http::{IntoResponse, Request};
use spin_sdk::http_service;

#[http_service]
async fn handle(request: Request) -> impl IntoResponse {
    matchday_spin::serve("roi", request, async |req: Incoming| {
        Ok(roi::handle(&req.method, &req.path, req.raw_query.as_deref(), req.kv()?).await)
    })
    .await
}
