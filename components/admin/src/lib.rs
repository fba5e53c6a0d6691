//! `admin`: authenticated publish, rollback and version listing.
//! The logic is `matchday_publish::admin`; this file only adapts Spin to it.
//! The bearer token is checked by the gateway (`matchday_spin::Service`),
//! before the bundle is read.

use matchday_publish::admin::{self, MAX_BUNDLE_BYTES};
use matchday_spin::{Incoming, Service};
use spin_sdk::http::{IntoResponse, Request};
use spin_sdk::http_service;

#[http_service]
async fn handle(request: Request) -> impl IntoResponse {
    Service::new("admin")
        .max_body_bytes(MAX_BUNDLE_BYTES)
        .serve(request, async |mut req: Incoming| {
            let action = admin::route(&req.method, &req.path)?;
            let body = if action.needs_body() {
                req.body().await?
            } else {
                Vec::new()
            };
            Ok(admin::execute(action, &body, req.kv()?, chrono::Utc::now()).await)
        })
        .await
}
