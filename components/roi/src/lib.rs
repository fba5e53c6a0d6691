//! `roi`: `GET /predict/region-roi/`, the flat-stake ROI per region of the
//! published simulation. The logic is `matchday_core::market::roi`; this
//! file only adapts Spin to it.

use matchday_core::market::roi;
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
    send(roi::handle(request.method().as_str(), uri.path(), uri.query(), &kv).await)
}
