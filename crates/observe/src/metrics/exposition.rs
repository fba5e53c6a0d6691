//! Prometheus text exposition (format 0.0.4) of the summed slots and of the
//! service's state (published versions, ages, drift, quality).
//!
//! Every family has `# HELP` and `# TYPE`; counters end in `_total`, units
//! are seconds, info metrics end in `_info` with value 1 — what
//! `promtool check metrics` asks for.

use super::PREDICTION_SOURCES;
use super::snapshot::{LATENCY_BOUNDS, Snapshot};
use crate::monitoring::models::ModelVersion;
use crate::monitoring::records::{DriftSummary, QualitySummary, Scores};
use chrono::{DateTime, Utc};
use matchday_core::layout::DataPointer;
use std::fmt::Write;

pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// What `/metrics` shows besides the counters, read from the store at scrape time.
#[derive(Debug, Clone, Default)]
pub struct ServiceState<'a> {
    pub data: Option<&'a DataPointer>,
    pub models: &'a [ModelVersion],
    pub drift: Option<&'a DriftSummary>,
    pub quality: Option<&'a QualitySummary>,
}

/// Seconds since the Unix epoch of an RFC 3339 time.
pub fn epoch_seconds(rfc3339: &str) -> Option<f64> {
    DateTime::parse_from_rfc3339(rfc3339)
        .ok()
        .map(|t| t.timestamp_millis() as f64 / 1000.0)
}

fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

fn number(value: f64) -> String {
    if value.is_nan() {
        "NaN".into()
    } else if value == f64::INFINITY {
        "+Inf".into()
    } else if value == f64::NEG_INFINITY {
        "-Inf".into()
    } else {
        value.to_string()
    }
}

/// A text exposition being written.
#[derive(Default)]
struct Text(String);

impl Text {
    fn family(&mut self, name: &str, kind: &str, help: &str) {
        let _ = writeln!(self.0, "# HELP {name} {help}");
        let _ = writeln!(self.0, "# TYPE {name} {kind}");
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: impl Into<Value>) {
        self.0.push_str(name);
        if !labels.is_empty() {
            self.0.push('{');
            for (i, (k, v)) in labels.iter().enumerate() {
                if i > 0 {
                    self.0.push(',');
                }
                let _ = write!(self.0, "{k}=\"{}\"", escape(v));
            }
            self.0.push('}');
        }
        let value = match value.into() {
            Value::Count(n) => n.to_string(),
            Value::Float(x) => number(x),
        };
        let _ = writeln!(self.0, " {value}");
    }
}

enum Value {
    Count(u64),
    Float(f64),
}

impl From<u64> for Value {
    fn from(n: u64) -> Self {
        Value::Count(n)
    }
}

impl From<f64> for Value {
    fn from(x: f64) -> Self {
        Value::Float(x)
    }
}

fn requests(out: &mut Text, total: &Snapshot) {
    out.family(
        "matchday_http_requests_total",
        "counter",
        "HTTP requests handled, by component, route template and status.",
    );
    for ((component, route, status), n) in &total.requests {
        let status = status.to_string();
        out.sample(
            "matchday_http_requests_total",
            &[
                ("component", component),
                ("route", route),
                ("status", &status),
            ],
            *n,
        );
    }

    let name = "matchday_http_request_duration_seconds";
    out.family(
        name,
        "histogram",
        "Time from the handler's start to its response, by component and route template.",
    );
    for ((component, route), h) in &total.latency {
        let mut cumulative = 0;
        for (i, bound) in LATENCY_BOUNDS.iter().enumerate() {
            cumulative += h.buckets[i];
            let le = number(*bound);
            out.sample(
                &format!("{name}_bucket"),
                &[("component", component), ("route", route), ("le", &le)],
                cumulative,
            );
        }
        out.sample(
            &format!("{name}_bucket"),
            &[("component", component), ("route", route), ("le", "+Inf")],
            h.count,
        );
        let labels = [("component", component.as_str()), ("route", route.as_str())];
        out.sample(&format!("{name}_sum"), &labels, h.sum_micros as f64 / 1e6);
        out.sample(&format!("{name}_count"), &labels, h.count);
    }
}

fn counters(out: &mut Text, total: &Snapshot) {
    out.family(
        "matchday_predictions_total",
        "counter",
        "Predictions served, by source: sync (on-demand inference), async (task), precomputed (batch).",
    );
    let mut sources: Vec<&str> = PREDICTION_SOURCES.to_vec();
    sources.extend(
        total
            .predictions
            .keys()
            .map(String::as_str)
            .filter(|s| !PREDICTION_SOURCES.contains(s)),
    );
    for source in sources {
        let n = total.predictions.get(source).copied().unwrap_or(0);
        out.sample("matchday_predictions_total", &[("source", source)], n);
    }

    out.family(
        "matchday_cache_requests_total",
        "counter",
        "Lookups of in-instance caches, by component, cache and result (hit or miss).",
    );
    for ((component, cache, result), n) in &total.cache {
        out.sample(
            "matchday_cache_requests_total",
            &[
                ("component", component),
                ("cache", cache),
                ("result", result),
            ],
            *n,
        );
    }

    out.family(
        "matchday_instances_started_total",
        "counter",
        "Component instances that served at least one request.",
    );
    for (component, n) in &total.instances {
        out.sample(
            "matchday_instances_started_total",
            &[("component", component)],
            *n,
        );
    }

    out.family(
        "matchday_metrics_flushes_total",
        "counter",
        "Batched merges of per-instance metrics into the key-value store.",
    );
    for (component, n) in &total.flushes {
        out.sample(
            "matchday_metrics_flushes_total",
            &[("component", component)],
            *n,
        );
    }

    out.family(
        "matchday_build_info",
        "gauge",
        "Build each component last reported (crate version and git commit baked in at build time).",
    );
    for (component, build) in &total.builds {
        out.sample(
            "matchday_build_info",
            &[
                ("component", component),
                ("version", &build.version),
                ("commit", &build.commit),
            ],
            1u64,
        );
    }
}

fn versions(out: &mut Text, state: &ServiceState<'_>, now: DateTime<Utc>) {
    let now_s = now.timestamp_millis() as f64 / 1000.0;
    if let Some(p) = state.data {
        out.family(
            "matchday_data_version_info",
            "gauge",
            "The live published data version.",
        );
        out.sample(
            "matchday_data_version_info",
            &[
                ("version", &p.version),
                ("model_run_id", &p.model_run_id),
                ("as_of", &p.as_of),
            ],
            1u64,
        );
        if let Some(published) = epoch_seconds(&p.published_at) {
            out.family(
                "matchday_data_published_timestamp_seconds",
                "gauge",
                "When the live data version was published.",
            );
            out.sample("matchday_data_published_timestamp_seconds", &[], published);
            out.family(
                "matchday_data_age_seconds",
                "gauge",
                "Seconds since the live data version was published.",
            );
            out.sample("matchday_data_age_seconds", &[], now_s - published);
        }
    }
    if !state.models.is_empty() {
        out.family(
            "matchday_model_version_info",
            "gauge",
            "Model versions the registry aliases name.",
        );
        for m in state.models {
            out.sample(
                "matchday_model_version_info",
                &[
                    ("alias", &m.alias),
                    ("version", &m.version),
                    ("run_id", m.run_id.as_deref().unwrap_or("")),
                ],
                1u64,
            );
        }
        let aged: Vec<(&ModelVersion, f64)> = state
            .models
            .iter()
            .filter_map(|m| Some((m, epoch_seconds(m.created_at.as_deref()?)?)))
            .collect();
        if !aged.is_empty() {
            out.family(
                "matchday_model_age_seconds",
                "gauge",
                "Seconds since the model an alias names was trained.",
            );
            for (m, created) in aged {
                out.sample(
                    "matchday_model_age_seconds",
                    &[("alias", &m.alias), ("version", &m.version)],
                    now_s - created,
                );
            }
        }
    }
}

fn drift(out: &mut Text, drift: &DriftSummary) {
    out.family(
        "matchday_drift_score",
        "gauge",
        "Share of the model's features drifting between the training reference and recent matches (latest report).",
    );
    out.sample("matchday_drift_score", &[], drift.drift_score);
    out.family(
        "matchday_drift_feature_psi",
        "gauge",
        "Population stability index of each feature (latest drift report).",
    );
    for f in &drift.features {
        out.sample(
            "matchday_drift_feature_psi",
            &[("feature", &f.feature)],
            f.psi,
        );
    }
    out.family(
        "matchday_drift_feature_ks_statistic",
        "gauge",
        "Two-sample Kolmogorov-Smirnov statistic of each feature (latest drift report).",
    );
    for f in &drift.features {
        out.sample(
            "matchday_drift_feature_ks_statistic",
            &[("feature", &f.feature)],
            f.ks_statistic,
        );
    }
    if let Some(t) = epoch_seconds(&drift.created_at) {
        out.family(
            "matchday_drift_report_timestamp_seconds",
            "gauge",
            "When the latest drift report was computed.",
        );
        out.sample("matchday_drift_report_timestamp_seconds", &[], t);
    }
}

fn quality(out: &mut Text, quality: &QualitySummary) {
    let mut rows: Vec<(&str, &str, Scores)> = Vec::new();
    if let Some(s) = quality.model {
        rows.push(("model", "finished", s));
    }
    if let Some(m) = &quality.market {
        rows.push(("model", "with_odds", m.model));
        rows.push(("bookmaker", "with_odds", m.bookmaker));
    }
    type Metric = fn(&Scores) -> f64;
    let metrics: [(&str, &str, Metric); 5] = [
        ("log_loss", "Log-loss", |s| s.log_loss),
        ("rps", "Ranked probability score", |s| s.rps),
        ("brier", "Multi-class Brier score", |s| s.brier),
        ("ece", "Expected calibration error", |s| s.ece),
        (
            "hit_rate",
            "Share of most-probable outcomes that happened",
            |s| s.hit_rate,
        ),
    ];
    for (suffix, what, metric) in metrics {
        let name = format!("matchday_quality_{suffix}");
        out.family(
            &name,
            "gauge",
            &format!(
                "{what} on matches finished since the champion was trained (latest quality report)."
            ),
        );
        for (forecaster, matches, scores) in &rows {
            out.sample(
                &name,
                &[("forecaster", forecaster), ("matches", matches)],
                metric(scores),
            );
        }
    }
    out.family(
        "matchday_quality_matches",
        "gauge",
        "Finished matches the latest quality report scored.",
    );
    for (forecaster, matches, scores) in &rows {
        out.sample(
            "matchday_quality_matches",
            &[("forecaster", forecaster), ("matches", matches)],
            scores.n as u64,
        );
    }
    if let Some(t) = epoch_seconds(&quality.created_at) {
        out.family(
            "matchday_quality_report_timestamp_seconds",
            "gauge",
            "When the latest quality report was computed.",
        );
        out.sample("matchday_quality_report_timestamp_seconds", &[], t);
    }
}

/// The whole exposition.
pub fn render(total: &Snapshot, state: &ServiceState<'_>, now: DateTime<Utc>) -> String {
    let mut out = Text::default();
    requests(&mut out, total);
    counters(&mut out, total);
    versions(&mut out, state, now);
    if let Some(d) = state.drift {
        drift(&mut out, d);
    }
    if let Some(q) = state.quality {
        quality(&mut out, q);
    }
    out.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::snapshot::BuildSeen;
    use chrono::TimeZone;
    use std::time::Duration;

    fn sample_total() -> Snapshot {
        let mut s = Snapshot::default();
        s.requests
            .insert(("lookup".into(), "/predict/precomputed/...".into(), 200), 3);
        s.requests
            .insert(("lookup".into(), "/predict/precomputed/...".into(), 404), 1);
        let h = s
            .latency
            .entry(("lookup".into(), "/predict/precomputed/...".into()))
            .or_default();
        h.observe(Duration::from_micros(300));
        h.observe(Duration::from_micros(700));
        h.observe(Duration::from_millis(3));
        h.observe(Duration::from_secs(5));
        s.predictions.insert("precomputed".into(), 3);
        s.builds.insert(
            "lookup".into(),
            BuildSeen {
                version: "0.1.0".into(),
                commit: "a\"b".into(),
                seen_at: 0,
            },
        );
        s
    }

    fn parse(text: &str) -> prometheus_parse::Scrape {
        prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_string())))
            .expect("a real parser accepts the exposition")
    }

    #[test]
    fn counters_and_histograms_parse_with_a_real_parser() {
        let text = render(&sample_total(), &ServiceState::default(), Utc::now());
        let scrape = parse(&text);
        let ok = scrape
            .samples
            .iter()
            .find(|s| {
                s.metric == "matchday_http_requests_total" && s.labels.get("status") == Some("200")
            })
            .unwrap();
        assert!(matches!(ok.value, prometheus_parse::Value::Counter(v) if v == 3.0));
        let hist = scrape
            .samples
            .iter()
            .find(|s| s.metric == "matchday_http_request_duration_seconds")
            .unwrap();
        let prometheus_parse::Value::Histogram(buckets) = &hist.value else {
            panic!("not a histogram: {:?}", hist.value);
        };
        let count_at = |le: f64| buckets.iter().find(|b| b.less_than == le).unwrap().count;
        assert_eq!(count_at(0.0005), 1.0);
        assert_eq!(count_at(0.001), 2.0);
        assert_eq!(count_at(0.005), 3.0);
        assert_eq!(count_at(2.5), 3.0);
        assert_eq!(count_at(f64::INFINITY), 4.0);
        // Every source is present, zero or not.
        let sources: Vec<_> = scrape
            .samples
            .iter()
            .filter(|s| s.metric == "matchday_predictions_total")
            .map(|s| s.labels.get("source").unwrap().to_string())
            .collect();
        assert_eq!(sources, vec!["sync", "async", "precomputed"]);
        assert!(
            text.contains(r#"commit="a\"b""#),
            "label values are escaped"
        );
    }

    #[test]
    fn ages_are_seconds_since_publish_and_training() {
        let pointer: DataPointer = serde_json::from_value(serde_json::json!({
            "version": "v1", "buckets": 1, "chunk_rows": 256,
            "published_at": "2026-11-23T10:00:00Z", "as_of": "2023-04-01T00:00:00Z",
            "predictions_computed_at": "2026-11-23T09:59:00Z", "model_run_id": "run-a",
            "counts": {"matches": 1, "predictions": 1, "upcoming": 0}
        }))
        .unwrap();
        let models = vec![ModelVersion {
            alias: "champion".into(),
            version: "3".into(),
            run_id: Some("run-a".into()),
            created_at: Some("2026-11-22T10:00:00Z".into()),
            set_at: None,
        }];
        let state = ServiceState {
            data: Some(&pointer),
            models: &models,
            drift: None,
            quality: None,
        };
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 11, 0, 0).unwrap();
        let text = render(&Snapshot::default(), &state, now);
        parse(&text);
        assert!(text.contains("matchday_data_age_seconds 3600\n"), "{text}");
        assert!(
            text.contains("matchday_model_age_seconds{alias=\"champion\",version=\"3\"} 90000\n")
        );
        assert!(text.contains("matchday_data_version_info{version=\"v1\",model_run_id=\"run-a\",as_of=\"2023-04-01T00:00:00Z\"} 1\n"));
    }

    #[test]
    fn special_floats_use_prometheus_spellings() {
        assert_eq!(number(f64::NAN), "NaN");
        assert_eq!(number(f64::INFINITY), "+Inf");
        assert_eq!(number(0.0005), "0.0005");
        assert_eq!(number(1e-7), "0.0000001");
        assert_eq!(number(2.0), "2");
    }
}
