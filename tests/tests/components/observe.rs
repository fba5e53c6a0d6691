//! Observability through the real manifest, components and host: metrics
//! counted across requests and instances and parsed by real parsers, the
//! open service endpoints, the API key on /monitoring/*, drift and quality
//! reports computed by the sidecar's code and published through admin.

use chrono::{TimeZone, Utc};
use matchday_host::KvFaults;
use matchday_monitor::quality::{ScoredMatch, quality_summary};
use matchday_observe::monitoring::records::ReportKind;
use matchday_observe::monitoring::reports::ReportUpload;
use matchday_publish::artifacts;
use matchday_sidecar::commands::monitor;
use matchday_tests::sample::{decode, sample};
use matchday_tests::{ADMIN_TOKEN, API_KEY, AppOptions, TestApp, http::Reply};
use serde_json::Value;
use std::path::Path;
use std::time::{Duration, Instant};

const KEY: (&str, &str) = ("x-api-key", API_KEY);

fn published_app(options: AppOptions) -> TestApp {
    let app = TestApp::start_with(options);
    let reply = app.publish(&sample().bundle);
    assert_eq!(reply.status, 201, "{}", reply.text());
    app
}

fn scrape(app: &TestApp) -> (String, prometheus_parse::Scrape) {
    let reply = app.get("/metrics");
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert!(
        reply
            .header("content-type")
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let text = reply.text();
    let parsed = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_string())))
        .expect("a real Prometheus text parser accepts /metrics");
    (text, parsed)
}

/// Sum of a counter's samples whose labels include all of `labels`.
fn counter(scrape: &prometheus_parse::Scrape, metric: &str, labels: &[(&str, &str)]) -> f64 {
    scrape
        .samples
        .iter()
        .filter(|s| s.metric == metric && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .map(|s| match s.value {
            prometheus_parse::Value::Counter(v) | prometheus_parse::Value::Gauge(v) => v,
            _ => 0.0,
        })
        .sum()
}

/// Runs `promtool check metrics` on an exposition when promtool is
/// installed (CI installs it and sets MATCHDAY_REQUIRE_PROMTOOL=1).
fn promtool_check(text: &str) {
    let path = std::env::temp_dir().join(format!("matchday-metrics-{}.prom", std::process::id()));
    std::fs::write(&path, text).unwrap();
    let status = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::fs::File::open(&path).unwrap())
        .output();
    match status {
        Ok(out) => assert!(
            out.status.success(),
            "promtool check metrics failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(_) if std::env::var_os("MATCHDAY_REQUIRE_PROMTOOL").is_none() => {
            eprintln!("promtool not installed: exposition checked by prometheus-parse only")
        }
        Err(e) => panic!("promtool is required here: {e}"),
    }
    // Kept for scripts/test.sh, which checks the last capture again.
    let _ = std::fs::copy(&path, std::env::temp_dir().join("matchday-metrics.prom"));
    let _ = std::fs::remove_file(path);
}

/// Polls /metrics until `metric{labels}` reaches `want` (flushes from idle
/// instances land ~250 ms after their last request).
fn wait_for_count(
    app: &TestApp,
    metric: &str,
    labels: &[(&str, &str)],
    want: f64,
) -> prometheus_parse::Scrape {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_, s) = scrape(app);
        let got = counter(&s, metric, labels);
        if got == want || Instant::now() > deadline {
            assert_eq!(got, want, "{metric}{labels:?}");
            return s;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn ids() -> (i64, i64) {
    let data = decode(&sample().bundle);
    let known = data.predictions[0].match_id;
    let unknown = (1..)
        .map(|i| known + i)
        .find(|id| data.predictions.iter().all(|p| p.match_id != *id))
        .unwrap();
    (known, unknown)
}

#[test]
fn metrics_count_every_request_when_each_lands_on_a_fresh_instance() {
    let app = published_app(AppOptions {
        fresh_instance: true,
        ..AppOptions::default()
    });
    let (known, unknown) = ids();
    for _ in 0..5 {
        assert_eq!(
            app.get(&format!("/predict/precomputed/{known}")).status,
            200
        );
    }
    for _ in 0..3 {
        assert_eq!(
            app.get(&format!("/predict/precomputed/{unknown}")).status,
            404
        );
    }
    assert_eq!(app.get("/predict/precomputed/abc").status, 422);
    let (text, s) = scrape(&app);
    let route = ("route", "/predict/precomputed/:match_id");
    let lookup = ("component", "lookup");
    assert_eq!(
        counter(
            &s,
            "matchday_http_requests_total",
            &[lookup, route, ("status", "200")]
        ),
        5.0
    );
    assert_eq!(
        counter(
            &s,
            "matchday_http_requests_total",
            &[lookup, route, ("status", "404")]
        ),
        3.0
    );
    assert_eq!(
        counter(
            &s,
            "matchday_http_requests_total",
            &[lookup, route, ("status", "422")]
        ),
        1.0
    );
    assert_eq!(
        counter(
            &s,
            "matchday_predictions_total",
            &[("source", "precomputed")]
        ),
        5.0
    );
    // Nine lookup requests, nine instances, each flushed its first request.
    assert_eq!(
        counter(&s, "matchday_instances_started_total", &[lookup]),
        9.0
    );
    let histogram = s
        .samples
        .iter()
        .find(|x| {
            x.metric == "matchday_http_request_duration_seconds"
                && x.labels.get("component") == Some("lookup")
        })
        .expect("latency histogram");
    let prometheus_parse::Value::Histogram(buckets) = &histogram.value else {
        panic!("not a histogram");
    };
    assert_eq!(
        buckets
            .iter()
            .find(|b| b.less_than.is_infinite())
            .unwrap()
            .count,
        9.0
    );
    assert!(text.contains("matchday_data_version_info{"));
    assert!(text.contains("matchday_data_age_seconds "));
    promtool_check(&text);
}

#[test]
fn predict_counts_its_predictions_by_source_and_its_cache_lookups() {
    let app = super::predict::app_with_model(AppOptions::default());
    let (known, _) = ids();
    let post = |target: &str, body: &str| app.post(target, body.as_bytes(), &[]);
    for _ in 0..3 {
        assert_eq!(app.get(&format!("/predict/{known}")).status, 200);
    }
    let inline = format!(r#"{{"match_id": {known}, "features": {{"diff_elo": 40}}}}"#);
    assert_eq!(post("/predict/", &inline).status, 200);
    let task = format!(r#"{{"match_id": {known}}}"#);
    assert_eq!(post("/predict/async/", &task).status, 202);
    let s = wait_for_count(
        &app,
        "matchday_predictions_total",
        &[("source", "sync")],
        4.0,
    );
    assert_eq!(
        counter(&s, "matchday_predictions_total", &[("source", "async")]),
        1.0
    );
    let cache = |name: &str, result: &str| {
        counter(
            &s,
            "matchday_cache_requests_total",
            &[
                ("component", "predict"),
                ("cache", name),
                ("result", result),
            ],
        )
    };
    // GET: a miss, then two hits; the inline request a miss; the task a hit
    // (it reads the entry the first GET wrote).
    assert_eq!(
        (cache("prediction", "miss"), cache("prediction", "hit")),
        (2.0, 3.0)
    );
    // A model was needed by the first GET and the inline request.
    assert_eq!(cache("model", "hit") + cache("model", "miss"), 2.0);
    assert!(cache("model", "miss") >= 1.0);
}

#[test]
fn metrics_count_requests_spread_over_reused_instances() {
    let app = published_app(AppOptions::default());
    let (known, _) = ids();
    let path = format!("/predict/precomputed/{known}");
    // 4 clients at once: several instances, each reused, none reaching a
    // flush by count after its first request; the idle flush saves the rest.
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                for _ in 0..30 {
                    assert_eq!(app.get(&path).status, 200);
                }
            });
        }
    });
    let s = wait_for_count(
        &app,
        "matchday_http_requests_total",
        &[("component", "lookup"), ("status", "200")],
        120.0,
    );
    assert_eq!(
        counter(
            &s,
            "matchday_predictions_total",
            &[("source", "precomputed")]
        ),
        120.0
    );
    let instances = counter(
        &s,
        "matchday_instances_started_total",
        &[("component", "lookup")],
    );
    let flushes = counter(
        &s,
        "matchday_metrics_flushes_total",
        &[("component", "lookup")],
    );
    assert!(
        (1.0..120.0).contains(&instances),
        "instances were reused: {instances}"
    );
    assert!(
        flushes < 60.0,
        "batched, not one write per request: {flushes} flushes"
    );
    promtool_check(&scrape(&app).0);
}

#[test]
fn service_endpoints_are_open_and_monitoring_needs_the_key() {
    let app = published_app(AppOptions::default());
    let root = app.get("/");
    assert_eq!(root.status, 200);
    assert_eq!(root.json()["links"]["health"], "/healthcheck/");
    let health = app.get("/healthcheck/");
    assert_eq!(health.status, 200, "{}", health.text());
    let health = health.json();
    assert_eq!(health["status"], "ok");
    assert_eq!(health["kv"]["reachable"], true);
    assert!(health["data"]["version"].is_string());
    assert!(health["data"]["age_seconds"].as_i64().unwrap() >= 0);
    assert_eq!(
        health["models"],
        Value::Array(vec![]),
        "no registry on this branch"
    );
    assert_eq!(app.get("/healthcheck").status, 200);
    assert_eq!(app.get("/metrics").status, 200);

    for path in [
        "/monitoring/drift",
        "/monitoring/quality",
        "/monitoring/reports",
        "/monitoring/reports/x.html",
        "/monitoring/components",
    ] {
        let reply = app.get_anonymous(path, &[]);
        assert_eq!(reply.status, 401, "{path}");
        assert_eq!(reply.header("www-authenticate"), Some("ApiKey"));
        assert_eq!(reply.json()["error"]["code"], "unauthorized");
        assert_eq!(
            app.get_anonymous(path, &[("x-api-key", "wrong")]).status,
            401
        );
    }
    let drift = app.get_with("/monitoring/drift", &[KEY]);
    assert_eq!(drift.status, 200);
    assert_eq!(drift.json()["drift_score"], Value::Null);
    assert!(drift.json()["message"].is_string());
}

#[test]
fn reports_unknown_names_are_404_and_path_characters_422() {
    let app = TestApp::start();
    assert_eq!(
        app.get_with("/monitoring/reports", &[KEY]).json(),
        Value::Array(vec![])
    );
    let missing = app.get_with("/monitoring/reports/drift-20260101T000000000Z.html", &[KEY]);
    assert_eq!(missing.status, 404);
    for bad in [
        "/monitoring/reports/..%2Fdata%2Fcurrent",
        "/monitoring/reports/%2e%2e",
        "/monitoring/reports/a%5Cb",
        "/monitoring/reports/a/b",
        "/monitoring/reports/.hidden",
    ] {
        let reply = app.get_with(bad, &[KEY]);
        assert_eq!(reply.status, 422, "{bad}: {}", reply.text());
        assert_eq!(reply.json()["error"]["fields"][0], "name");
    }
}

#[test]
fn healthcheck_is_503_when_the_store_cannot_be_read() {
    let app = TestApp::start_with(AppOptions {
        kv_faults: KvFaults::FailReads,
        ..AppOptions::default()
    });
    let reply = app.get("/healthcheck/");
    assert_eq!(reply.status, 503);
    assert_eq!(reply.json()["kv"]["reachable"], false);
    assert_eq!(reply.json()["status"], "unavailable");
}

fn upload(app: &TestApp, kind: ReportKind, summary: Value, html: String) -> Reply {
    let body = serde_json::to_vec(&ReportUpload {
        kind,
        summary,
        html,
    })
    .unwrap();
    let auth = format!("Bearer {ADMIN_TOKEN}");
    app.post(
        "/admin/monitoring/reports",
        &body,
        &[
            ("authorization", &auth),
            ("content-type", "application/json"),
        ],
    )
}

/// A copy of the sample's work files the drift command reads, with the
/// diff features of every match moved by `shift` standard deviations.
fn work_copy(shift: f64) -> tempfile::TempDir {
    let source = sample().data_dir.join("work");
    let copy = tempfile::tempdir().unwrap();
    let work = copy.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    for name in ["drift_reference.json", "pipeline.json", artifacts::MATCHES] {
        std::fs::copy(source.join(name), work.join(name)).unwrap();
    }
    let mut table = artifacts::read_features(
        std::fs::read(source.join(artifacts::FEATURES))
            .unwrap()
            .into(),
    )
    .unwrap();
    for (c, name) in table.names.clone().iter().enumerate() {
        if !name.starts_with("diff_") {
            continue;
        }
        let known: Vec<f64> = table.rows.iter().filter_map(|r| r.values[c]).collect();
        let mean = known.iter().sum::<f64>() / known.len() as f64;
        let sd =
            (known.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / known.len() as f64).sqrt();
        for row in &mut table.rows {
            if let Some(v) = row.values[c].as_mut() {
                *v += shift * sd;
            }
        }
    }
    std::fs::write(
        work.join(artifacts::FEATURES),
        artifacts::write_features(&table).unwrap(),
    )
    .unwrap();
    copy
}

fn drift_of(dir: &Path) -> (matchday_observe::monitoring::records::DriftSummary, String) {
    // A whole season inside the training period: the training distribution
    // itself, so nothing should drift unless we move it.
    let until = Utc.with_ymd_and_hms(2019, 7, 1, 0, 0, 0).unwrap();
    monitor::drift_report(dir, 365, Some(until)).unwrap()
}

#[test]
fn drift_is_detected_on_a_shifted_sample_and_not_on_an_unshifted_one() {
    let app = TestApp::start();
    let (calm, calm_html) = drift_of(work_copy(0.0).path());
    assert!(
        calm.current_window.n > 300,
        "a season of matches: {}",
        calm.current_window.n
    );
    assert_eq!(calm.n_drifted, 0, "{:#?}", calm.features);
    // Calendar columns move by design and are not monitored.
    let monitored: Vec<&str> = calm.features.iter().map(|f| f.feature.as_str()).collect();
    assert!(monitored.contains(&"diff_elo"));
    assert!(!monitored.contains(&"season_stage") && !monitored.contains(&"closed_doors"));
    assert!(!calm.dataset_drift);
    let r = upload(
        &app,
        ReportKind::Drift,
        serde_json::to_value(&calm).unwrap(),
        calm_html,
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let served = app.get_with("/monitoring/drift", &[KEY]).json();
    assert_eq!(served["drift_score"], 0.0);

    let (moved, moved_html) = drift_of(work_copy(1.0).path());
    let diff_features: Vec<_> = moved
        .features
        .iter()
        .filter(|f| f.feature.starts_with("diff_"))
        .collect();
    assert!(!diff_features.is_empty());
    for f in &diff_features {
        assert_eq!(
            f.status,
            matchday_observe::monitoring::records::FeatureStatus::Drift,
            "{f:?}"
        );
    }
    assert!(moved.drift_score > 0.0);
    let entry = upload(
        &app,
        ReportKind::Drift,
        serde_json::to_value(&moved).unwrap(),
        moved_html,
    );
    assert_eq!(entry.status, 201, "{}", entry.text());
    let entry = entry.json();

    let served = app.get_with("/monitoring/drift", &[KEY]).json();
    assert_eq!(served["drift_score"], moved.drift_score);
    assert_eq!(served["report"], entry["name"]);
    let elo = served["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["feature"] == "diff_elo")
        .unwrap();
    assert_eq!(elo["status"], "drift");
    assert!(elo["psi"].as_f64().unwrap() > 0.25 && elo["ks_statistic"].is_number());
    assert!(served["reference_window"]["n"].as_u64().unwrap() > 1000);

    let list = app.get_with("/monitoring/reports", &[KEY]).json();
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert_eq!(list[0]["name"], entry["name"], "newest first");
    assert_eq!(list[0]["kind"], "drift");
    let html = app.get_with(list[0]["url"].as_str().unwrap(), &[KEY]);
    assert_eq!(html.status, 200);
    assert_eq!(
        html.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let html = html.text();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert_eq!(
        html.matches("<svg").count(),
        moved.n_drifted,
        "a plot per drifting feature"
    );

    let (text, _) = scrape(&app);
    assert!(
        text.contains(&format!("matchday_drift_score {}\n", moved.drift_score)),
        "{text}"
    );
    promtool_check(&text);
}

#[test]
fn quality_of_a_hand_checkable_fixture_is_served_as_computed() {
    let app = TestApp::start();
    let m = |id: i64, model: [f64; 3], outcome: usize, market: Option<[f64; 3]>| ScoredMatch {
        match_id: id,
        kickoff: format!("2023-04-0{id}T15:00:00Z"),
        model,
        outcome,
        market: market.map(|p| (p, "PS closing".to_string())),
    };
    let fixture = vec![
        m(1, [0.5, 0.3, 0.2], 0, Some([0.6, 0.25, 0.15])),
        m(2, [0.2, 0.3, 0.5], 1, Some([0.25, 0.5, 0.25])),
        m(3, [0.6, 0.3, 0.1], 2, None),
    ];
    let summary = quality_summary(
        "run-fixture",
        "2023-04-01T00:00:00Z",
        &fixture,
        0,
        "2026-11-23T00:00:00Z",
    );
    let html = matchday_monitor::html::quality_report(&summary, &fixture);
    let r = upload(
        &app,
        ReportKind::Quality,
        serde_json::to_value(&summary).unwrap(),
        html,
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let q = app.get_with("/monitoring/quality", &[KEY]).json();
    let close =
        |v: &Value, want: f64| assert!((v.as_f64().unwrap() - want).abs() < 1e-12, "{v} vs {want}");
    // By hand: log-loss −(ln .5 + ln .3 + ln .1)/3, RPS (.145+.145+.585)/3,
    // Brier (.38+.78+1.26)/3, one hit in three, ECE .2.
    close(
        &q["model"]["log_loss"],
        -(0.5f64.ln() + 0.3f64.ln() + 0.1f64.ln()) / 3.0,
    );
    close(&q["model"]["rps"], (0.145 + 0.145 + 0.585) / 3.0);
    close(&q["model"]["brier"], (0.38 + 0.78 + 1.26) / 3.0);
    close(&q["model"]["hit_rate"], 1.0 / 3.0);
    close(&q["model"]["ece"], 0.2);
    assert_eq!(q["model"]["n"], 3);
    // The two priced matches, model next to the bookmaker.
    assert_eq!(q["market"]["n"], 2);
    close(
        &q["market"]["bookmaker"]["log_loss"],
        -(0.6f64.ln() + 0.5f64.ln()) / 2.0,
    );
    close(&q["market"]["bookmaker"]["hit_rate"], 1.0);
    close(&q["market"]["model"]["hit_rate"], 0.5);
    let name = q["report"].as_str().unwrap();
    let html = app
        .get_with(&format!("/monitoring/reports/{name}"), &[KEY])
        .text();
    assert!(html.contains("Reliability"));
    let (text, _) = scrape(&app);
    assert!(
        text.contains("matchday_quality_log_loss{forecaster=\"bookmaker\",matches=\"with_odds\"}")
    );
    promtool_check(&text);
}

#[test]
fn quality_of_the_sample_champion_on_matches_finished_after_training() {
    // The sample trains as of 2023-04-01; the store knows the rest of the
    // 2022-23 season, which is what "finished since" means here.
    let (summary, html) = monitor::quality_report(&sample().data_dir, Utc::now()).unwrap();
    let model = summary.model.expect("matches finished after 2023-04-01");
    assert!(model.n > 50, "{}", model.n);
    assert!(summary.window.from.as_deref().unwrap() > "2023-04-01");
    assert!((0.7..1.3).contains(&model.log_loss), "{}", model.log_loss);
    let market = summary.market.expect("odds for those matches");
    assert!(market.n > 0 && market.n <= model.n);
    assert!(market.bookmaker.log_loss < 1.2);
    assert!(html.contains("<svg"));
}

#[test]
fn components_list_routes_and_the_builds_they_reported() {
    let app = published_app(AppOptions::default());
    assert_eq!(app.get("/predict/matches/").status, 200); // lookup's first request flushes
    let reply = app.get_with("/monitoring/components", &[KEY]);
    assert_eq!(reply.status, 200, "{}", reply.text());
    let body = reply.json();
    let list = body["components"].as_array().unwrap();
    let find = |id: &str| {
        list.iter()
            .find(|c| c["id"] == id)
            .unwrap_or_else(|| panic!("{id} missing"))
    };
    let lookup = find("lookup");
    assert!(
        lookup["routes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r == "/livescores/...")
    );
    assert_eq!(lookup["build"]["version"], env!("CARGO_PKG_VERSION"));
    assert!(!lookup["build"]["commit"].as_str().unwrap().is_empty());
    assert!(lookup["instances_started"].as_u64().unwrap() >= 1);
    let monitoring = find("monitoring")["routes"].as_array().unwrap().clone();
    for route in [
        "/",
        "/monitoring/drift",
        "/monitoring/reports/...",
        "/monitoring/components",
    ] {
        assert!(
            monitoring.iter().any(|r| r == route),
            "{route} in {monitoring:?}"
        );
    }
    // Specific routes only: other /monitoring/* paths (predict's
    // task_status) are not this component's to answer.
    assert!(monitoring.iter().all(|r| r != "/monitoring/..."));
    assert_eq!(
        app.get_with("/monitoring/task_status/abc", &[KEY]).status,
        404
    );
    assert!(find("metrics")["build"].is_object() || find("metrics")["build"].is_null());
    assert!(body["note"].as_str().unwrap().contains("git commit"));
}
