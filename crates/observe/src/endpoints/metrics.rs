//! `GET /metrics`: the summed metric slots and the service's state in
//! Prometheus' text format. Open (Prometheus scrapes without a key), and
//! read-only: ~20 key reads per scrape, whatever the traffic was.

use super::store_unavailable;
use crate::metrics::exposition::{self, CONTENT_TYPE, ServiceState};
use crate::metrics::slots;
use crate::monitoring::models;
use crate::monitoring::records::{DRIFT_LATEST, DriftSummary, QUALITY_LATEST, QualitySummary};
use chrono::{DateTime, Utc};
use matchday_core::error::ApiError;
use matchday_core::kv::{KvError, KvRead};
use matchday_core::lookup::live_pointer;
use matchday_core::response::HttpResponse;
use matchday_core::route;

async fn summary<T: serde::de::DeserializeOwned>(
    kv: &impl KvRead,
    key: &str,
) -> Result<Option<T>, KvError> {
    Ok(kv.get(key).await?.and_then(|raw| {
        serde_json::from_slice(&raw)
            .inspect_err(|e| eprintln!("metrics: {key} is unreadable ({e}); not exported"))
            .ok()
    }))
}

pub async fn handle(
    method: &str,
    path: &str,
    kv: &impl KvRead,
    now: DateTime<Utc>,
) -> HttpResponse {
    serve(method, path, kv, now)
        .await
        .unwrap_or_else(HttpResponse::from)
}

async fn serve(
    method: &str,
    path: &str,
    kv: &impl KvRead,
    now: DateTime<Utc>,
) -> Result<HttpResponse, ApiError> {
    if route::trimmed(path) != "/metrics" {
        return Err(ApiError::not_found("no such endpoint"));
    }
    route::require_read(method)?;
    let total = slots::read_total(kv).await.map_err(store_unavailable)?;
    let pointer = live_pointer(kv).await?;
    let models = models::read_models(kv).await.map_err(store_unavailable)?;
    let drift: Option<DriftSummary> = summary(kv, DRIFT_LATEST).await.map_err(store_unavailable)?;
    let quality: Option<QualitySummary> = summary(kv, QUALITY_LATEST)
        .await
        .map_err(store_unavailable)?;
    let state = ServiceState {
        data: pointer.as_ref(),
        models: &models,
        drift: drift.as_ref(),
        quality: quality.as_ref(),
    };
    Ok(HttpResponse {
        status: 200,
        headers: vec![("content-type".into(), CONTENT_TYPE.into())],
        body: exposition::render(&total, &state, now).into_bytes(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::accumulator::{Accumulator, FlushPolicy};
    use crate::metrics::slots::memory::MemoryCas;
    use crate::metrics::snapshot::BuildSeen;
    use futures::executor::block_on;
    use std::time::Duration;

    #[test]
    fn counts_from_several_instances_are_summed_in_the_exposition() {
        let store = MemoryCas::default();
        let build = BuildSeen {
            version: "0.1.0".into(),
            commit: "abc".into(),
            seen_at: 0,
        };
        // Three instances, 5 requests each, each flushing whatever it has.
        for instance in 0..3 {
            let mut acc = Accumulator::new(FlushPolicy::default());
            for i in 0..5 {
                acc.record_request(
                    "lookup",
                    &build,
                    "/livescores/...",
                    200,
                    Duration::from_millis(1),
                    i,
                );
            }
            acc.record_prediction("precomputed", 5);
            slots::flush(&store, &acc.take(), instance).unwrap();
        }
        let r = block_on(handle("GET", "/metrics", &store, Utc::now()));
        assert_eq!(r.status, 200);
        assert_eq!(r.header("content-type"), Some(CONTENT_TYPE));
        let text = String::from_utf8(r.body).unwrap();
        let scrape =
            prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_string()))).unwrap();
        let value = |metric: &str, label: (&str, &str)| {
            scrape
                .samples
                .iter()
                .find(|s| s.metric == metric && s.labels.get(label.0) == Some(label.1))
                .map(|s| match s.value {
                    prometheus_parse::Value::Counter(v) | prometheus_parse::Value::Gauge(v) => v,
                    _ => f64::NAN,
                })
        };
        assert_eq!(
            value("matchday_http_requests_total", ("status", "200")),
            Some(15.0)
        );
        assert_eq!(
            value("matchday_predictions_total", ("source", "precomputed")),
            Some(3.0)
        );
        assert_eq!(
            value("matchday_instances_started_total", ("component", "lookup")),
            Some(3.0)
        );
        assert_eq!(
            value("matchday_metrics_flushes_total", ("component", "lookup")),
            Some(3.0)
        );
    }

    #[test]
    fn only_get_on_metrics() {
        let store = MemoryCas::default();
        assert_eq!(
            block_on(handle("POST", "/metrics", &store, Utc::now())).status,
            405
        );
        assert_eq!(
            block_on(handle("GET", "/metricsx", &store, Utc::now())).status,
            404
        );
    }
}
