//! `admin`: authenticated publish, rollback and version listing.
//! The logic is `matchday_publish::admin`; this file only adapts Spin to it.

use matchday_core::auth;
use matchday_core::error::ApiError;
use matchday_core::response::HttpResponse;
use matchday_publish::admin::{self, MAX_BUNDLE_BYTES};
use matchday_spin::{SpinKv, read_body, send, variable};
use spin_sdk::http::{IntoResponse, Request};
use spin_sdk::http_service;

#[http_service]
async fn handle(request: Request) -> impl IntoResponse {
    send(serve(request).await.unwrap_or_else(HttpResponse::from))
}

async fn serve(request: Request) -> Result<HttpResponse, ApiError> {
    let action = admin::route(request.method().as_str(), request.uri().path())?;
    let tokens = auth::parse_secrets(&variable("admin_token").await?);
    let authorization = request
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok());
    admin::authorize(authorization, &tokens)?;
    let body = if action.needs_body() {
        read_body(request, MAX_BUNDLE_BYTES).await?
    } else {
        Vec::new()
    };
    let kv = SpinKv::open().await?;
    Ok(admin::execute(action, &body, &kv, chrono::Utc::now()).await)
}
