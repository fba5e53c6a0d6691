//! `GET /` (what this service is, where to look next) and
//! `GET /healthcheck/` (is it usable: the store, the live data version and
//! the model versions, with their ages). Both are open: probes and people
//! reach them without a key.

use super::{BuildInfo, SERVICE, age_seconds, json};
use crate::monitoring::components::ComponentRoutes;
use crate::monitoring::models::{self, ModelVersion};
use chrono::{DateTime, Utc};
use matchday_core::kv::KvRead;
use matchday_core::lookup::live_pointer;
use matchday_core::response::HttpResponse;
use serde::Serialize;

#[derive(Serialize)]
struct Endpoint<'a> {
    route: &'a str,
    component: &'a str,
    /// Which credential the route needs (`none`, `api_key`, `admin_token`).
    auth: &'static str,
}

/// Which credential a route needs, as the security design has it.
pub fn route_auth(route: &str) -> &'static str {
    if route.starts_with("/admin") {
        "admin_token"
    } else if route.starts_with("/predict")
        || route.starts_with("/livescores")
        || route.starts_with("/monitoring")
    {
        "api_key"
    } else {
        "none"
    }
}

/// `GET /`.
pub fn root(build: &BuildInfo, routes: &[ComponentRoutes]) -> HttpResponse {
    let endpoints: Vec<Endpoint<'_>> = routes
        .iter()
        .flat_map(|c| {
            c.routes.iter().map(|r| Endpoint {
                route: r,
                component: &c.id,
                auth: route_auth(r),
            })
        })
        .collect();
    json(&serde_json::json!({
        "service": SERVICE,
        "description": "Soccer 1X2 match-outcome predictions served by Wasm components.",
        "version": build.version,
        "commit": build.commit,
        "links": {
            // No docs are served: the API reference is the repository README.
            "docs": "README.md#api",
            "health": "/healthcheck/",
            "metrics": "/metrics",
            "components": "/monitoring/components",
        },
        "endpoints": endpoints,
    }))
}

#[derive(Serialize)]
struct DataHealth {
    version: String,
    published_at: String,
    age_seconds: Option<i64>,
    as_of: String,
    predictions_computed_at: String,
    model_run_id: String,
}

#[derive(Serialize)]
struct ModelHealth {
    #[serde(flatten)]
    model: ModelVersion,
    /// Seconds since the model was trained.
    age_seconds: Option<i64>,
}

#[derive(Serialize)]
struct Health<'a> {
    /// `ok`; `degraded` when no data is published yet; `unavailable` when
    /// the store cannot be read (503).
    status: &'static str,
    service: &'static str,
    version: &'a str,
    commit: &'a str,
    checked_at: String,
    kv: KvHealth,
    data: Option<DataHealth>,
    models: Vec<ModelHealth>,
    /// Set on the 503: the API's error shape, so the document is both a
    /// probe's detail and an error every client already understands.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<HealthError>,
}

#[derive(Serialize)]
struct HealthError {
    code: &'static str,
    message: &'static str,
}

#[derive(Serialize)]
struct KvHealth {
    reachable: bool,
}

/// `GET /healthcheck/`. `kv` is `None` when the store could not even be
/// opened; any read failure also answers 503.
pub async fn healthcheck(
    kv: Option<&impl KvRead>,
    build: &BuildInfo,
    now: DateTime<Utc>,
) -> HttpResponse {
    let mut health = Health {
        status: "unavailable",
        service: SERVICE,
        version: &build.version,
        commit: &build.commit,
        checked_at: now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        kv: KvHealth { reachable: false },
        data: None,
        models: Vec::new(),
        error: None,
    };
    let read = match kv {
        Some(kv) => match (live_pointer(kv).await, models::read_models(kv).await) {
            (Ok(pointer), Ok(models)) => Some((pointer, models)),
            (Err(e), _) => {
                eprintln!("healthcheck: {}", e.message);
                None
            }
            (_, Err(e)) => {
                eprintln!("healthcheck: {e}");
                None
            }
        },
        None => None,
    };
    let Some((pointer, models)) = read else {
        health.error = Some(HealthError {
            code: "unavailable",
            message: "the data store is unavailable; retry shortly",
        });
        return json(&health)
            .with_status(503)
            .with_header("retry-after", "5");
    };
    health.kv.reachable = true;
    health.status = if pointer.is_some() { "ok" } else { "degraded" };
    health.data = pointer.map(|p| DataHealth {
        age_seconds: age_seconds(Some(&p.published_at), now),
        version: p.version,
        published_at: p.published_at,
        as_of: p.as_of,
        predictions_computed_at: p.predictions_computed_at,
        model_run_id: p.model_run_id,
    });
    health.models = models
        .into_iter()
        .map(|m| ModelHealth {
            age_seconds: age_seconds(m.created_at.as_deref(), now),
            model: m,
        })
        .collect();
    json(&health)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use futures::executor::block_on;
    use matchday_core::kv::{KvWrite, MemoryKv};
    use serde_json::Value;

    fn build() -> BuildInfo {
        BuildInfo {
            component: "monitoring".into(),
            version: "0.1.0".into(),
            commit: "abc1234".into(),
        }
    }

    fn body(r: &HttpResponse) -> Value {
        serde_json::from_slice(&r.body).unwrap()
    }

    #[test]
    fn health_reports_versions_and_ages() {
        let kv = MemoryKv::new();
        block_on(async {
            kv.set(
                matchday_core::layout::CURRENT,
                br#"{"version":"v9","buckets":1,"chunk_rows":256,"published_at":"2026-11-23T10:00:00Z",
                     "as_of":"2023-04-01T00:00:00Z","predictions_computed_at":"2026-11-23T09:00:00Z",
                     "model_run_id":"run-a","counts":{"matches":1,"predictions":1,"upcoming":0}}"#,
            )
            .await
            .unwrap();
            kv.set("model/alias/champion", br#"{"version":2}"#)
                .await
                .unwrap();
            kv.set(
                "model/registry",
                br#"{"versions":[{"version":2,"run_id":"run-a","created_at":"2026-11-20T10:00:00Z"}]}"#,
            )
            .await
            .unwrap();
        });
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 10, 1, 0).unwrap();
        let r = block_on(healthcheck(Some(&kv), &build(), now));
        assert_eq!(r.status, 200);
        let b = body(&r);
        assert_eq!(b["status"], "ok");
        assert_eq!(b["kv"]["reachable"], true);
        assert_eq!(b["data"]["version"], "v9");
        assert_eq!(b["data"]["age_seconds"], 60);
        assert_eq!(b["models"][0]["alias"], "champion");
        assert_eq!(b["models"][0]["version"], "2");
        assert_eq!(b["models"][0]["age_seconds"], 3 * 86400 + 60);
        assert_eq!(b["version"], "0.1.0");
    }

    #[test]
    fn nothing_published_is_degraded_but_up() {
        let r = block_on(healthcheck(Some(&MemoryKv::new()), &build(), Utc::now()));
        assert_eq!(r.status, 200);
        assert_eq!(body(&r)["status"], "degraded");
        assert_eq!(body(&r)["data"], Value::Null);
    }

    #[test]
    fn an_unreachable_store_is_503() {
        let r = block_on(healthcheck(None::<&MemoryKv>, &build(), Utc::now()));
        assert_eq!(r.status, 503);
        assert_eq!(body(&r)["kv"]["reachable"], false);
        assert_eq!(body(&r)["status"], "unavailable");
    }

    #[test]
    fn root_lists_links_and_endpoints_with_their_credentials() {
        let routes = crate::monitoring::components::parse_manifest(
            "[[trigger.http]]\nroute = \"/livescores/...\"\ncomponent = \"lookup\"\n",
        );
        let b = body(&root(&build(), &routes));
        assert_eq!(b["service"], "matchday");
        assert_eq!(b["links"]["health"], "/healthcheck/");
        assert_eq!(b["links"]["metrics"], "/metrics");
        assert_eq!(b["endpoints"][0]["auth"], "api_key");
    }
}
