//! `monitoring`: the service's own pages. `/` and `/healthcheck/` are open
//! (probes); `/monitoring/*` needs an `X-API-Key`, which the gateway checks
//! before `serve` runs. The logic is `matchday_observe::endpoints`; this
//! file only adapts Spin to it.

use matchday_core::error::ApiError;
use matchday_core::response::HttpResponse;
use matchday_observe::endpoints::{monitoring, service};
use matchday_observe::monitoring::components::{ComponentRoutes, parse_manifest};
use matchday_spin::{Incoming, metrics};
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
    matchday_spin::serve(COMPONENT, request, serve).await
}

async fn serve(req: Incoming) -> Result<HttpResponse, ApiError> {
    let build = metrics::build_info(COMPONENT);
    let routes = ROUTES.with(Clone::clone);
    let now = chrono::Utc::now();
    let read_only = req.method == "GET" || req.method == "HEAD";
    let path = req.path.as_str();
    if path == "/" {
        return if read_only {
            Ok(service::root(&build, &routes))
        } else {
            Err(ApiError::method_not_allowed("GET"))
        };
    }
    if path.trim_end_matches('/') == "/healthcheck" {
        if !read_only {
            return Err(ApiError::method_not_allowed("GET"));
        }
        return Ok(service::healthcheck(req.kv().ok(), &build, now).await);
    }
    if !path.starts_with("/monitoring/") {
        return Err(ApiError::not_found("no such endpoint"));
    }
    let ctx = monitoring::Context {
        method: &req.method,
        build: &build,
        routes: &routes,
    };
    Ok(monitoring::handle(path, &ctx, req.kv()?).await)
}
