//! The deploy assets agree with what `/metrics` exports: the Grafana
//! dashboard is valid JSON whose queries, and the alert rules, only name
//! metrics the exposition has (a renamed metric would otherwise leave a
//! silent, empty panel or an alert that can never fire).

use matchday_observe::metrics::exposition::{ServiceState, render};
use matchday_observe::metrics::snapshot::{BuildSeen, Snapshot};
use matchday_observe::monitoring::models::ModelVersion;
use matchday_observe::monitoring::records::{
    DriftSummary, FeatureDrift, FeatureStatus, QualitySummary, Scores, Window,
};
use matchday_tests::workspace_root;
use std::collections::BTreeSet;
use std::time::Duration;

/// Every family name of an exposition with every kind of series present.
fn exported_names() -> BTreeSet<String> {
    let mut total = Snapshot::default();
    total
        .requests
        .insert(("lookup".into(), "/x/...".into(), 200), 1);
    total
        .latency
        .entry(("lookup".into(), "/x/...".into()))
        .or_default()
        .observe(Duration::from_millis(1));
    total
        .cache
        .insert(("predict".into(), "model".into(), "hit".into()), 1);
    total.instances.insert("lookup".into(), 1);
    total.flushes.insert("lookup".into(), 1);
    total.builds.insert(
        "lookup".into(),
        BuildSeen {
            version: "0".into(),
            commit: "c".into(),
            seen_at: 0,
        },
    );
    let pointer = serde_json::from_value(serde_json::json!({
        "version": "v", "buckets": 1, "chunk_rows": 1, "published_at": "2026-01-01T00:00:00Z",
        "as_of": "2026-01-01T00:00:00Z", "predictions_computed_at": "2026-01-01T00:00:00Z",
        "model_run_id": "r", "counts": {"matches": 0, "predictions": 0, "upcoming": 0}
    }))
    .unwrap();
    let models = vec![ModelVersion {
        alias: "champion".into(),
        version: "1".into(),
        run_id: None,
        created_at: Some("2026-01-01T00:00:00Z".into()),
        set_at: None,
    }];
    let scores = Scores {
        n: 1,
        log_loss: 1.0,
        rps: 0.2,
        brier: 0.6,
        ece: 0.1,
        hit_rate: 0.5,
    };
    let drift = DriftSummary {
        drift_score: 0.0,
        dataset_drift: false,
        n_features: 1,
        n_drifted: 0,
        features: vec![FeatureDrift {
            feature: "f".into(),
            psi: 0.0,
            ks_statistic: 0.0,
            ks_p_value: 1.0,
            status: FeatureStatus::Ok,
            reference_mean: None,
            current_mean: None,
            reference_missing_share: 0.0,
            current_missing_share: 0.0,
        }],
        reference_window: Window::default(),
        current_window: Window::default(),
        thresholds: matchday_monitor::drift::default_thresholds(),
        model_run_id: None,
        created_at: "2026-01-01T00:00:00Z".into(),
        report: None,
    };
    let quality = QualitySummary {
        model_run_id: "r".into(),
        trained_as_of: "t".into(),
        window: Window::default(),
        n_unscored: 0,
        model: Some(scores),
        market: Some(matchday_observe::monitoring::records::MarketComparison {
            n: 1,
            model: scores,
            bookmaker: scores,
            sources: Default::default(),
        }),
        created_at: "2026-01-01T00:00:00Z".into(),
        report: None,
    };
    let state = ServiceState {
        data: Some(&pointer),
        models: &models,
        drift: Some(&drift),
        quality: Some(&quality),
    };
    render(&total, &state, chrono::Utc::now())
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

/// `matchday_*` names in a text, histogram suffixes mapped to the family.
fn names_in(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut rest = text;
    while let Some(i) = rest.find("matchday_") {
        let tail = &rest[i..];
        let end = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(tail.len());
        let name = &tail[..end];
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|s| name.strip_suffix(s).filter(|f| f.ends_with("_seconds")))
            .unwrap_or(name);
        names.insert(family.to_string());
        rest = &tail[end..];
    }
    names
}

#[test]
fn the_dashboard_is_valid_json_and_queries_only_exported_metrics() {
    let text =
        std::fs::read_to_string(workspace_root().join("deploy/grafana/matchday.json")).unwrap();
    let dashboard: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    let panels = dashboard["panels"].as_array().unwrap();
    let charts: Vec<_> = panels.iter().filter(|p| p["type"] != "row").collect();
    assert!(charts.len() >= 15, "{} panels", charts.len());
    let exported = exported_names();
    let mut queries = String::new();
    for p in &charts {
        let targets = p["targets"]
            .as_array()
            .unwrap_or_else(|| panic!("{} has no query", p["title"]));
        assert!(!targets.is_empty());
        for t in targets {
            queries.push_str(t["expr"].as_str().unwrap());
            queries.push('\n');
        }
    }
    let unknown: Vec<_> = names_in(&queries).difference(&exported).cloned().collect();
    assert!(
        unknown.is_empty(),
        "dashboard queries metrics /metrics does not export: {unknown:?}"
    );
}

#[test]
fn alert_rules_only_name_exported_metrics() {
    let dir = workspace_root().join("deploy/prometheus");
    let mut text = String::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        text.push_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap());
    }
    for alert in ["errorrate", "p99", "stale", "drift"] {
        assert!(
            text.to_lowercase().contains(&alert.to_lowercase()),
            "no {alert} alert"
        );
    }
    let exported = exported_names();
    let unknown: Vec<_> = names_in(&text).difference(&exported).cloned().collect();
    assert!(
        unknown.is_empty(),
        "alert rules name metrics /metrics does not export: {unknown:?}"
    );
}

/// Runs promtool (Debian package `prometheus`) when it is installed; CI
/// installs it and sets MATCHDAY_REQUIRE_PROMTOOL=1, elsewhere a missing
/// promtool skips the check with a message.
fn promtool(args: &[&str]) {
    let dir = workspace_root().join("deploy/prometheus");
    match std::process::Command::new("promtool")
        .args(args)
        .current_dir(&dir)
        .output()
    {
        Ok(out) => assert!(
            out.status.success(),
            "promtool {args:?} failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(_) if std::env::var_os("MATCHDAY_REQUIRE_PROMTOOL").is_none() => {
            eprintln!(
                "SKIPPED promtool {args:?}: promtool not installed (apt-get install prometheus)"
            )
        }
        Err(e) => panic!("promtool is required here (MATCHDAY_REQUIRE_PROMTOOL): {e}"),
    }
}

#[test]
fn alert_rules_scrape_config_and_rule_tests_pass_promtool() {
    promtool(&["check", "rules", "matchday-alerts.yml"]);
    promtool(&["test", "rules", "matchday-alerts.test.yml"]);
    promtool(&["check", "config", "prometheus.yml"]);
}
