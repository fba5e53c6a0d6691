//! `odds`: `GET /predict/odds/`, every published 1X2 quote with its
//! margin-free probabilities. The logic is `matchday_core::market::odds`;
//! this file only adapts Spin to it.

use matchday_core::market::odds;
use matchday_spin::Incoming;
use spin_sdk::http::{IntoResponse, Request};
use spin_sdk::http_service;

#[http_service]
async fn handle(request: Request) -> impl IntoResponse {
    matchday_spin::serve("odds", request, async |req: Incoming| {
        Ok(odds::handle(&req.method, &req.path, req.raw_query.as_deref(), req.kv()?).await)
    })
    .await
}
