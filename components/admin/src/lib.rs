//! `admin`: authenticated publish, rollback and version listing, and the
//! upload of monitoring reports. The logic is `matchday_publish::admin` and
//! `matchday_observe::endpoints::admin`; this file only adapts Spin to it.

use matchday_core::auth;
use matchday_core::error::ApiError;
use matchday_core::response::HttpResponse;
use matchday_observe::endpoints::admin as reports;
use matchday_publish::admin::{self, MAX_BUNDLE_BYTES};
use matchday_spin::{SpinKv, metrics, read_body, variable};
use spin_sdk::http::{IntoResponse, Request};
use spin_sdk::http_service;

#[http_service]
async fn handle(request: Request) -> impl IntoResponse {
    metrics::measured("admin", request, |request| async {
        serve(request).await.unwrap_or_else(HttpResponse::from)
    })
    .await
}

/// What the request asks for, decided before the token is checked.
enum Action {
    Data(admin::Action),
    StoreReport,
}

async fn serve(request: Request) -> Result<HttpResponse, ApiError> {
    let (method, path) = (request.method().as_str(), request.uri().path());
    let action = match reports::route(method, path) {
        Some(routed) => routed.map(|()| Action::StoreReport)?,
        None => Action::Data(admin::route(method, path)?),
    };
    let tokens = auth::parse_secrets(&variable("admin_token").await?);
    let authorization = request
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok());
    admin::authorize(authorization, &tokens)?;
    let now = chrono::Utc::now();
    match action {
        Action::Data(action) => {
            let body = if action.needs_body() {
                read_body(request, MAX_BUNDLE_BYTES).await?
            } else {
                Vec::new()
            };
            let kv = SpinKv::open().await?;
            Ok(admin::execute(action, &body, &kv, now).await)
        }
        Action::StoreReport => {
            let body = read_body(request, reports::MAX_UPLOAD_BYTES).await?;
            let kv = SpinKv::open().await?;
            Ok(reports::execute(&body, &kv, now).await)
        }
    }
}
