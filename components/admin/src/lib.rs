//! `admin`: authenticated publish, rollback and version listing of data
//! versions, and the model registry (`/admin/models...`).
//! The logic is `matchday_publish::admin` and `matchday_serving::admin`; this
//! file only adapts Spin to them.

use matchday_core::auth;
use matchday_core::error::ApiError;
use matchday_core::response::HttpResponse;
use matchday_publish::admin::{self, MAX_BUNDLE_BYTES};
use matchday_serving::admin as models;
use matchday_serving::predict::Now;
use matchday_serving::upload::MAX_UPLOAD_BYTES;
use matchday_spin::{SpinKv, read_body, send, variable};
use spin_sdk::http::{IntoResponse, Request};
use spin_sdk::http_service;

#[http_service]
async fn handle(request: Request) -> impl IntoResponse {
    send(serve(request).await.unwrap_or_else(HttpResponse::from))
}

/// Checks the bearer token before anything reads the (possibly large) body.
async fn authorize(request: &Request) -> Result<(), ApiError> {
    let tokens = auth::parse_secrets(&variable("admin_token").await?);
    let authorization = request
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok());
    admin::authorize(authorization, &tokens)
}

async fn serve(request: Request) -> Result<HttpResponse, ApiError> {
    if models::is_model_path(request.uri().path()) {
        return serve_models(request).await;
    }
    let action = admin::route(request.method().as_str(), request.uri().path())?;
    authorize(&request).await?;
    let body = if action.needs_body() {
        read_body(request, MAX_BUNDLE_BYTES).await?
    } else {
        Vec::new()
    };
    let kv = SpinKv::open().await?;
    Ok(admin::execute(action, &body, &kv, chrono::Utc::now()).await)
}

async fn serve_models(request: Request) -> Result<HttpResponse, ApiError> {
    let uri = request.uri().clone();
    let action = models::route(request.method().as_str(), uri.path(), uri.query())?;
    authorize(&request).await?;
    let tolerance = if action.may_promote() {
        models::parse_tolerance(&variable("promotion_logloss_tolerance").await?).map_err(|e| {
            eprintln!("admin: {e}");
            ApiError::unavailable("the service is not configured; retry later")
        })?
    } else {
        models::DEFAULT_TOLERANCE
    };
    let body = if action.needs_body() {
        read_body(request, MAX_UPLOAD_BYTES).await?
    } else {
        Vec::new()
    };
    let kv = SpinKv::open().await?;
    let now = Now::from(chrono::Utc::now());
    Ok(models::execute(action, &body, &kv, tolerance, &now.rfc3339).await)
}
