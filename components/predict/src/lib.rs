//! `predict`: online predictions, model info and async tasks.
//! The logic is `matchday_serving::predict`; this file only adapts Spin to it.

use matchday_core::error::ApiError;
use matchday_core::response::HttpResponse;
use matchday_serving::model::ModelCache;
use matchday_serving::predict::{self, MAX_BODY_BYTES, Now, Settings};
use matchday_spin::{Incoming, Service, metrics, variable};
use spin_sdk::http::{IntoResponse, Request};
use spin_sdk::http_service;
use std::cell::Cell;

thread_local! {
    // Models this instance has loaded, by registry version. Spin 4 reuses a
    // wasi:http 0.3 instance for many requests; every request still reads
    // the alias, so the cache never delays an alias move.
    static MODELS: &'static ModelCache = Box::leak(Box::default());
    // Variables are fixed for the life of the app (environment or default
    // providers), so an instance reads them once.
    static SETTINGS: Cell<Option<Settings>> = const { Cell::new(None) };
}

#[http_service]
async fn handle(request: Request) -> impl IntoResponse {
    Service::new("predict")
        .max_body_bytes(MAX_BODY_BYTES)
        .serve(request, serve)
        .await
}

async fn settings() -> Result<Settings, ApiError> {
    if let Some(settings) = SETTINGS.get() {
        return Ok(settings);
    }
    let cache_ttl = variable("prediction_cache_ttl_seconds").await?;
    let task_ttl = variable("task_ttl_seconds").await?;
    let settings = Settings::parse(&cache_ttl, &task_ttl).map_err(|e| {
        eprintln!("predict: {e}");
        ApiError::unavailable("the service is not configured; retry later")
    })?;
    SETTINGS.set(Some(settings));
    Ok(settings)
}

async fn serve(mut req: Incoming) -> Result<HttpResponse, ApiError> {
    let settings = settings().await?;
    let body = if req.method == "POST" {
        req.body().await?
    } else {
        Vec::new()
    };
    let request = predict::Request {
        method: &req.method,
        path: &req.path,
        query: req.raw_query.as_deref(),
        body: &body,
    };
    let now = Now::from(chrono::Utc::now());
    let models = MODELS.with(|m| *m);
    let handled = predict::handle(&request, req.kv()?, models, &settings, &now).await;
    let served = handled.served;
    if let Some(source) = served.prediction {
        metrics::record_prediction(source);
    }
    if let Some(hit) = served.prediction_cache_hit {
        metrics::record_cache("predict", "prediction", hit);
    }
    if let Some(hit) = served.model_cache_hit {
        metrics::record_cache("predict", "model", hit);
    }
    Ok(handled.response)
}
