//! `admin`: authenticated publish, rollback and version listing of data
//! versions, the model registry (`/admin/models...`) and the upload of
//! monitoring reports. The logic is `matchday_publish::admin`,
//! `matchday_serving::admin` and `matchday_observe::endpoints::admin`; this
//! file only adapts Spin to them. The bearer token is checked by the gateway
//! (`matchday_spin::Service`), before any body is read.

use matchday_core::error::ApiError;
use matchday_core::response::HttpResponse;
use matchday_observe::endpoints::admin as reports;
use matchday_publish::admin::{self, MAX_BUNDLE_BYTES};
use matchday_serving::admin as models;
use matchday_serving::predict::Now;
use matchday_serving::upload::MAX_UPLOAD_BYTES;
use matchday_spin::{Incoming, Service, variable};
use spin_sdk::http::{IntoResponse, Request};
use spin_sdk::http_service;

#[http_service]
async fn handle(request: Request) -> impl IntoResponse {
    Service::new("admin")
        .max_body_bytes(MAX_BUNDLE_BYTES.max(MAX_UPLOAD_BYTES))
        .serve(request, async |req: Incoming| {
            if models::is_model_path(&req.path) {
                serve_models(req).await
            } else if let Some(routed) = reports::route(&req.method, &req.path) {
                routed?;
                serve_report(req).await
            } else {
                serve_data(req).await
            }
        })
        .await
}

/// The body, refused above `limit` (the service's cap is the largest one).
async fn body_at_most(req: &mut Incoming, limit: usize) -> Result<Vec<u8>, ApiError> {
    let body = req.body().await?;
    if body.len() > limit {
        return Err(ApiError::payload_too_large(limit));
    }
    Ok(body)
}

async fn serve_data(mut req: Incoming) -> Result<HttpResponse, ApiError> {
    let action = admin::route(&req.method, &req.path)?;
    let body = if action.needs_body() {
        body_at_most(&mut req, MAX_BUNDLE_BYTES).await?
    } else {
        Vec::new()
    };
    Ok(admin::execute(action, &body, req.kv()?, chrono::Utc::now()).await)
}

async fn serve_report(mut req: Incoming) -> Result<HttpResponse, ApiError> {
    let body = body_at_most(&mut req, reports::MAX_UPLOAD_BYTES).await?;
    Ok(reports::execute(&body, req.kv()?, chrono::Utc::now()).await)
}

async fn serve_models(mut req: Incoming) -> Result<HttpResponse, ApiError> {
    let action = models::route(&req.method, &req.path, req.raw_query.as_deref())?;
    let tolerance = if action.may_promote() {
        models::parse_tolerance(&variable("promotion_logloss_tolerance").await?).map_err(|e| {
            eprintln!("admin: {e}");
            ApiError::unavailable("the service is not configured; retry later")
        })?
    } else {
        models::DEFAULT_TOLERANCE
    };
    let body = if action.needs_body() {
        body_at_most(&mut req, MAX_UPLOAD_BYTES).await?
    } else {
        Vec::new()
    };
    let now = Now::from(chrono::Utc::now());
    Ok(models::execute(action, &body, req.kv()?, tolerance, &now.rfc3339).await)
}
