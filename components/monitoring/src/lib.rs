//! `monitoring`: the service's own pages. `/` and `/healthcheck/` are open
//! (probes); `/monitoring/*` needs an `X-API-Key` from the `api_keys`
//! variable. The logic is `matchday_observe::endpoints`; this file only
//! adapts Spin to it.

use matchday_core::auth;
use matchday_core::error::ApiError;
use matchday_core::response::HttpResponse;
use matchday_observe::endpoints::{API_KEY_HEADER, authorize_api_key, monitoring, service};
use matchday_observe::monitoring::components::{ComponentRoutes, parse_manifest};
use matchday_spin::{SpinKv, metrics, variable};
use spin_sdk::http::{IntoResponse, Request};
use spin_sdk::http_service;

const COMPONENT: &str = "monitoring";
/// The manifest this app was built with: the component table's routes.
const MANIFEST: &str = include_str!("../../../spin.toml");

thread_local! {
    static ROUTES: Vec<ComponentRoutes> = parse_manifest(MANIFEST);
}

#[http_service]
async fn handle(request: Request) -> impl IntoResponse {
    metrics::measured(COMPONENT, request, serve).await
}

async fn serve(request: Request) -> HttpResponse {
    let build = metrics::build_info(COMPONENT);
    let routes = ROUTES.with(Clone::clone);
    let method = request.method().as_str().to_string();
    let path = request.uri().path().to_string();
    let now = chrono::Utc::now();
    let read_only = method == "GET" || method == "HEAD";
    if path == "/" {
        return if read_only {
            service::root(&build, &routes)
        } else {
            ApiError::method_not_allowed("GET").into()
        };
    }
    if path.trim_end_matches('/') == "/healthcheck" {
        if !read_only {
            return ApiError::method_not_allowed("GET").into();
        }
        let kv = SpinKv::open().await.ok();
        return service::healthcheck(kv.as_ref(), &build, now).await;
    }
    if !path.starts_with("/monitoring/") {
        return ApiError::not_found("no such endpoint").into();
    }
    let api_keys = match variable("api_keys").await {
        Ok(raw) => auth::parse_secrets(&raw),
        Err(err) => return err.into(),
    };
    let api_key = request
        .headers()
        .get(API_KEY_HEADER)
        .and_then(|v| v.to_str().ok());
    // Refuse a missing key before touching the store.
    if let Err(err) = authorize_api_key(api_key, &api_keys) {
        return err.into();
    }
    let ctx = monitoring::Context {
        method: &method,
        api_key,
        api_keys: &api_keys,
        build: &build,
        routes: &routes,
    };
    match SpinKv::open().await {
        Ok(kv) => monitoring::handle(&path, &ctx, &kv).await,
        Err(err) => err.into(),
    }
}
