//! `odds`: `GET /predict/odds/`, every published 1X2 quote with its
//! margin-free probabilities. The logic is `matchday_core::market::odds`;
//! this file only adapts Spin to it.

use matchday_core::market::odds;
use matchday_spin::{SpinKv, send};
use spin_sdk::http::{IntoResponse, Request};
use spin_sdk::http_service;

#[http_service]
async fn handle(request: Request) -> impl IntoResponse {
    let kv = match SpinKv::open().await {
        Ok(kv) => kv,
        Err(err) => return send(err.into()),
    };
    let uri = request.uri();
    send(odds::handle(request.method().as_str(), uri.path(), uri.query(), &kv).await)
}
