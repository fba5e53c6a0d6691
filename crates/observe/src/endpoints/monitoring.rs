//! `GET /monitoring/*`: drift, quality, reports and the component table.
//! The API key these routes need is checked before this code runs, by the
//! gateway every component enters through (`matchday_gateway::policy`). Every answer is a read of records the sidecar
//! published through `admin`; nothing is computed at request time.

use super::{BuildInfo, json, store_unavailable};
use crate::metrics::slots;
use crate::monitoring::components::ComponentRoutes;
use crate::monitoring::models::{self, ModelVersion};
use crate::monitoring::records::{DRIFT_LATEST, QUALITY_LATEST, report_key};
use crate::monitoring::reports::{self, validate_name};
use matchday_core::error::ApiError;
use matchday_core::kv::KvRead;
use matchday_core::response::HttpResponse;
use matchday_core::route;
use serde::Serialize;

/// What reaching a monitoring endpoint takes besides the path.
pub struct Context<'a> {
    pub method: &'a str,
    pub build: &'a BuildInfo,
    pub routes: &'a [ComponentRoutes],
}

#[derive(Debug, PartialEq, Eq)]
enum Route<'a> {
    Drift,
    Quality,
    Reports,
    Report(&'a str),
    Components,
}

fn route(path: &str) -> Option<Route<'_>> {
    let rest = path.strip_prefix("/monitoring/")?;
    let trimmed = route::trimmed(rest);
    match trimmed {
        "drift" => Some(Route::Drift),
        "quality" => Some(Route::Quality),
        "reports" => Some(Route::Reports),
        "components" => Some(Route::Components),
        // Everything after `reports/` is the name, slashes included, so that
        // a name with path characters is a 422, not a 404.
        _ => rest
            .strip_prefix("reports/")
            .filter(|name| !name.is_empty())
            .map(Route::Report),
    }
}

/// Serves one `/monitoring/*` request.
pub async fn handle(path: &str, ctx: &Context<'_>, kv: &impl KvRead) -> HttpResponse {
    serve(path, ctx, kv)
        .await
        .unwrap_or_else(HttpResponse::from)
}

async fn serve(path: &str, ctx: &Context<'_>, kv: &impl KvRead) -> Result<HttpResponse, ApiError> {
    let route = route(path).ok_or_else(|| ApiError::not_found("no such endpoint"))?;
    route::require_read(ctx.method)?;
    match route {
        Route::Drift => {
            latest(
                kv,
                DRIFT_LATEST,
                serde_json::json!({
                    "drift_score": null,
                    "message": "no drift report yet: run `matchday drift --publish`",
                }),
            )
            .await
        }
        Route::Quality => {
            latest(
                kv,
                QUALITY_LATEST,
                serde_json::json!({
                    "model": null,
                    "message": "no quality report yet: run `matchday quality --publish`",
                }),
            )
            .await
        }
        Route::Reports => Ok(json(
            &reports::read_index(kv).await.map_err(store_unavailable)?,
        )),
        Route::Report(raw) => report(kv, raw).await,
        Route::Components => components(kv, ctx).await,
    }
}

/// A stored summary as it was published, or `empty` before the first one.
async fn latest(
    kv: &impl KvRead,
    key: &str,
    empty: serde_json::Value,
) -> Result<HttpResponse, ApiError> {
    Ok(match kv.get(key).await.map_err(store_unavailable)? {
        Some(raw) => HttpResponse::json(raw),
        None => json(&empty),
    })
}

/// Decodes `%XX` in a path segment; `None` on a malformed escape.
fn percent_decode(raw: &str) -> Option<String> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

async fn report(kv: &impl KvRead, raw: &str) -> Result<HttpResponse, ApiError> {
    // Decoded first, so `..%2F` is judged as what it means.
    let decoded = percent_decode(raw).unwrap_or_else(|| raw.to_string());
    let name = validate_name(&decoded)?;
    let html = kv
        .get(&report_key(name))
        .await
        .map_err(store_unavailable)?
        .ok_or_else(|| ApiError::not_found(format!("no report named {name}")))?;
    Ok(HttpResponse {
        status: 200,
        headers: vec![("content-type".into(), "text/html; charset=utf-8".into())],
        body: html,
    }
    .with_header(
        // Reports are self-contained: no script, no fetch, inline style
        // and SVG only, so a stored report can do nothing in a browser.
        "content-security-policy",
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
    )
    .with_header("x-content-type-options", "nosniff"))
}

#[derive(Serialize)]
struct ReportedBuild {
    version: String,
    commit: String,
    /// When the instance that reported it started (RFC 3339).
    reported_at: Option<String>,
}

#[derive(Serialize)]
struct ComponentView<'a> {
    id: &'a str,
    routes: &'a [String],
    /// `null` until the component has served a request and flushed metrics.
    build: Option<ReportedBuild>,
    instances_started: u64,
    /// The model versions the registry aliases name (predict only).
    #[serde(skip_serializing_if = "Option::is_none")]
    models: Option<Vec<ModelVersion>>,
}

/// What "build" means here, said in the answer itself.
pub const BUILD_NOTE: &str = "build = the crate version and git commit compiled into the component, \
as the component itself last reported it with its metrics; routes = spin.toml as compiled into the \
monitoring component";

async fn components(kv: &impl KvRead, ctx: &Context<'_>) -> Result<HttpResponse, ApiError> {
    let total = slots::read_total(kv).await.map_err(store_unavailable)?;
    let models = models::read_models(kv).await.map_err(store_unavailable)?;
    let list: Vec<ComponentView<'_>> = ctx
        .routes
        .iter()
        .map(|c| {
            let reported = total.builds.get(&c.id).map(|b| ReportedBuild {
                version: b.version.clone(),
                commit: b.commit.clone(),
                reported_at: chrono::DateTime::from_timestamp(b.seen_at, 0)
                    .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
            });
            // This component knows its own build without asking the store.
            let build = reported.or_else(|| {
                (c.id == ctx.build.component).then(|| ReportedBuild {
                    version: ctx.build.version.clone(),
                    commit: ctx.build.commit.clone(),
                    reported_at: None,
                })
            });
            ComponentView {
                id: &c.id,
                routes: &c.routes,
                build,
                instances_started: total.instances.get(&c.id).copied().unwrap_or(0),
                models: (c.id == "predict").then(|| models.clone()),
            }
        })
        .collect();
    Ok(json(&serde_json::json!({
        "components": list,
        "note": BUILD_NOTE,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::snapshot::{BuildSeen, Snapshot};
    use crate::monitoring::components::parse_manifest;
    use futures::executor::block_on;
    use matchday_core::kv::{KvWrite, MemoryKv};
    use serde_json::Value;

    fn build() -> BuildInfo {
        BuildInfo {
            component: "monitoring".into(),
            version: "0.1.0".into(),
            commit: "abc".into(),
        }
    }

    fn get(kv: &MemoryKv, path: &str) -> HttpResponse {
        let build = build();
        let routes = parse_manifest(
            "[[trigger.http]]\nroute = \"/x/...\"\ncomponent = \"lookup\"\n\
             [[trigger.http]]\nroute = \"/predict/run/...\"\ncomponent = \"predict\"\n\
             [[trigger.http]]\nroute = \"/monitoring/...\"\ncomponent = \"monitoring\"\n",
        );
        let ctx = Context {
            method: "GET",
            build: &build,
            routes: &routes,
        };
        block_on(handle(path, &ctx, kv))
    }

    fn body(r: &HttpResponse) -> Value {
        serde_json::from_slice(&r.body).unwrap()
    }

    #[test]
    fn drift_and_quality_before_any_report() {
        let kv = MemoryKv::new();
        let drift = get(&kv, "/monitoring/drift");
        assert_eq!(drift.status, 200);
        assert_eq!(body(&drift)["drift_score"], Value::Null);
        assert!(body(&drift)["message"].is_string());
        let quality = get(&kv, "/monitoring/quality/");
        assert_eq!(body(&quality)["model"], Value::Null);
        assert_eq!(body(&get(&kv, "/monitoring/reports")), Value::Array(vec![]));
    }

    #[test]
    fn reports_unknown_is_404_and_path_characters_422() {
        let kv = MemoryKv::new();
        block_on(kv.set(&report_key("drift-1.html"), b"<!DOCTYPE html><p>hi</p>")).unwrap();
        let ok = get(&kv, "/monitoring/reports/drift-1.html");
        assert_eq!(ok.status, 200);
        assert_eq!(ok.header("content-type"), Some("text/html; charset=utf-8"));
        assert!(ok.header("content-security-policy").is_some());
        assert_eq!(get(&kv, "/monitoring/reports/drift-2.html").status, 404);
        for bad in [
            "/monitoring/reports/../secret",
            "/monitoring/reports/a/b",
            "/monitoring/reports/..%2Fdata%2Fcurrent",
            "/monitoring/reports/%2e%2e",
        ] {
            let r = get(&kv, bad);
            assert_eq!(r.status, 422, "{bad}");
            assert_eq!(body(&r)["error"]["fields"][0], "name");
        }
    }

    #[test]
    fn components_show_routes_reported_builds_and_predict_models() {
        let kv = MemoryKv::new();
        let mut total = Snapshot::default();
        total.builds.insert(
            "lookup".into(),
            BuildSeen {
                version: "0.1.0".into(),
                commit: "fedcba9".into(),
                seen_at: 1_700_000_000,
            },
        );
        total.instances.insert("lookup".into(), 3);
        block_on(async {
            kv.set(&slots::slot_key(3), &total.encode()).await.unwrap();
            kv.set("model/alias/champion", br#"{"version":5}"#)
                .await
                .unwrap();
        });
        let b = body(&get(&kv, "/monitoring/components"));
        let list = b["components"].as_array().unwrap();
        assert_eq!(list[0]["id"], "lookup");
        assert_eq!(list[0]["routes"][0], "/x/...");
        assert_eq!(list[0]["build"]["commit"], "fedcba9");
        assert_eq!(list[0]["instances_started"], 3);
        assert!(list[0].get("models").is_none());
        assert_eq!(list[1]["id"], "predict");
        assert_eq!(list[1]["build"], Value::Null, "never reported");
        assert_eq!(list[1]["models"][0]["version"], "5");
        assert_eq!(
            list[2]["build"]["commit"], "abc",
            "itself, from its own build"
        );
        assert!(b["note"].as_str().unwrap().contains("git commit"));
    }
}
