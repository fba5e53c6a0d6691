//! Stored HTML reports: names, the index, and storing an upload.
//!
//! `admin` stores a report in three writes, ordered so a reader never sees
//! an entry whose HTML is missing: the HTML, the kind's latest summary
//! (which names the report), then the index. Reports beyond
//! [`RETAINED_REPORTS`] are deleted after the index no longer lists them.

use super::records::{
    DriftSummary, QualitySummary, REPORT_INDEX, ReportEntry, ReportKind, report_key,
};
use chrono::{DateTime, Utc};
use matchday_core::error::ApiError;
use matchday_core::kv::{KvError, KvRead, KvWrite, read_json};
use serde::{Deserialize, Serialize};

/// Reports kept (both kinds together): a daily drift and quality run keeps a month.
pub const RETAINED_REPORTS: usize = 60;
/// Largest report accepted: a report with a plot per feature is ~100-300 KB.
pub const MAX_REPORT_BYTES: usize = 8 * 1024 * 1024;
pub const MAX_NAME_LEN: usize = 128;

/// Checks a report name from a URL: letters, digits, `.`, `_`, `-`, not
/// starting with a dot. Anything else (`/`, `\`, `..`, `%`, spaces) is a 422:
/// a name is never a path.
pub fn validate_name(name: &str) -> Result<&str, ApiError> {
    let ok = !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && !name.starts_with('.')
        && !name.contains("..")
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(name)
    } else {
        Err(ApiError::invalid_parameter(
            "name",
            format!(
                "name must be 1 to {MAX_NAME_LEN} letters, digits, '.', '_' or '-', without path characters"
            ),
        ))
    }
}

/// The name `admin` gives a report: kind and creation time, so names sort
/// by time and never collide within a millisecond.
pub fn report_name(kind: ReportKind, now: DateTime<Utc>) -> String {
    format!("{}-{}.html", kind.as_str(), now.format("%Y%m%dT%H%M%S%3fZ"))
}

pub fn report_url(name: &str) -> String {
    format!("/monitoring/reports/{name}")
}

/// The stored index, newest first (empty before the first report).
pub async fn read_index(kv: &impl KvRead) -> Result<Vec<ReportEntry>, KvError> {
    Ok(read_json(kv, REPORT_INDEX).await?.unwrap_or_default())
}

/// What the sidecar uploads to `POST /admin/monitoring/reports`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReportUpload {
    pub kind: ReportKind,
    /// A [`DriftSummary`] or [`QualitySummary`], by `kind`.
    pub summary: serde_json::Value,
    /// A self-contained HTML document.
    pub html: String,
}

fn invalid(message: impl Into<String>) -> ApiError {
    let mut err = ApiError::bad_request(message);
    err.status = 422;
    err.code = "invalid_report";
    err
}

/// Checks the summary against its kind and names the report in it.
fn summary_with_report(upload: &ReportUpload, name: &str) -> Result<Vec<u8>, ApiError> {
    let value = upload.summary.clone();
    let bad = |e: serde_json::Error| {
        invalid(format!(
            "summary is not a {} summary: {e}",
            upload.kind.as_str()
        ))
    };
    let json = match upload.kind {
        ReportKind::Drift => {
            let mut s: DriftSummary = serde_json::from_value(value).map_err(bad)?;
            s.report = Some(name.to_string());
            serde_json::to_vec(&s)
        }
        ReportKind::Quality => {
            let mut s: QualitySummary = serde_json::from_value(value).map_err(bad)?;
            s.report = Some(name.to_string());
            serde_json::to_vec(&s)
        }
    };
    json.map_err(|e| invalid(e.to_string()))
}

fn check_html(html: &str) -> Result<(), ApiError> {
    if html.len() > MAX_REPORT_BYTES {
        return Err(invalid(format!(
            "report larger than {MAX_REPORT_BYTES} bytes"
        )));
    }
    let head = html
        .trim_start()
        .get(..15)
        .unwrap_or("")
        .to_ascii_lowercase();
    if !(head.starts_with("<!doctype html") || head.starts_with("<html")) {
        return Err(invalid("html must be an HTML document"));
    }
    Ok(())
}

fn store_failed(e: KvError) -> ApiError {
    eprintln!("admin: storing a report: {e}");
    ApiError::unavailable("the data store failed; the report may be missing")
}

/// Stores an uploaded report and its summary; returns its index entry.
pub async fn store(
    kv: &impl KvWrite,
    upload: &ReportUpload,
    now: DateTime<Utc>,
) -> Result<ReportEntry, ApiError> {
    check_html(&upload.html)?;
    let name = report_name(upload.kind, now);
    let summary = summary_with_report(upload, &name)?;
    let entry = ReportEntry {
        url: report_url(&name),
        name,
        kind: upload.kind,
        created_at: now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        bytes: upload.html.len(),
    };
    kv.set(&report_key(&entry.name), upload.html.as_bytes())
        .await
        .map_err(store_failed)?;
    kv.set(upload.kind.latest_key(), &summary)
        .await
        .map_err(store_failed)?;
    let mut index = read_index(kv).await.unwrap_or_else(|e| {
        eprintln!("admin: {e}; starting a new report index");
        Vec::new()
    });
    index.retain(|e| e.name != entry.name);
    index.insert(0, entry.clone());
    let evicted = index.split_off(index.len().min(RETAINED_REPORTS));
    let index_json = serde_json::to_vec(&index).map_err(|e| invalid(e.to_string()))?;
    kv.set(REPORT_INDEX, &index_json)
        .await
        .map_err(store_failed)?;
    for old in evicted {
        if let Err(e) = kv.delete(&report_key(&old.name)).await {
            eprintln!("admin: could not delete report {}: {e}", old.name);
        }
    }
    Ok(entry)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use futures::executor::block_on;
    use matchday_core::kv::MemoryKv;

    #[test]
    fn names_with_path_characters_are_rejected() {
        for good in ["drift-20261123T101500123Z.html", "a", "a_b-c.d"] {
            assert_eq!(validate_name(good), Ok(good));
        }
        let too_long = "a".repeat(MAX_NAME_LEN + 1);
        for bad in [
            "",
            "../etc/passwd",
            "a/b",
            "a\\b",
            "..",
            ".hidden",
            "a..b",
            "a%2Fb",
            "a b",
            "é.html",
            too_long.as_str(),
        ] {
            let err = validate_name(bad).unwrap_err();
            assert_eq!(
                (err.status, err.fields.clone()),
                (422, vec!["name".into()]),
                "{bad}"
            );
        }
    }

    fn drift_summary() -> serde_json::Value {
        serde_json::json!({
            "drift_score": 0.25, "dataset_drift": false, "n_features": 4, "n_drifted": 1,
            "features": [], "reference_window": {"from": null, "to": null, "n": 10},
            "current_window": {"from": null, "to": null, "n": 5},
            "thresholds": {"psi_warn": 0.1, "psi_drift": 0.25, "ks_alpha": 0.01,
                           "ks_min_statistic": 0.1, "dataset_share": 0.5},
            "model_run_id": "run-x", "created_at": "2026-11-23T10:00:00Z"
        })
    }

    fn upload(kind: ReportKind, summary: serde_json::Value) -> ReportUpload {
        ReportUpload {
            kind,
            summary,
            html: "<!DOCTYPE html><html><body>report</body></html>".into(),
        }
    }

    #[test]
    fn storing_writes_html_summary_and_index_newest_first() {
        let kv = MemoryKv::new();
        let t0 = Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap();
        let first = block_on(store(&kv, &upload(ReportKind::Drift, drift_summary()), t0)).unwrap();
        let t1 = t0 + chrono::Duration::seconds(60);
        let second = block_on(store(&kv, &upload(ReportKind::Drift, drift_summary()), t1)).unwrap();
        assert_eq!(first.name, "drift-20261123T100000000Z.html");
        assert_eq!(second.url, format!("/monitoring/reports/{}", second.name));
        let index = block_on(read_index(&kv)).unwrap();
        assert_eq!(
            index.iter().map(|e| e.name.as_str()).collect::<Vec<_>>(),
            vec![second.name.as_str(), first.name.as_str()]
        );
        let latest: DriftSummary = serde_json::from_slice(
            &block_on(kv.get(super::super::records::DRIFT_LATEST))
                .unwrap()
                .unwrap(),
        )
        .unwrap();
        assert_eq!(latest.report.as_deref(), Some(second.name.as_str()));
        assert!(
            block_on(kv.get(&report_key(&first.name)))
                .unwrap()
                .is_some()
        );
    }

    #[test]
    fn old_reports_are_evicted_with_their_html() {
        let kv = MemoryKv::new();
        let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let mut names = Vec::new();
        for i in 0..RETAINED_REPORTS + 2 {
            let now = t0 + chrono::Duration::minutes(i as i64);
            names.push(
                block_on(store(&kv, &upload(ReportKind::Drift, drift_summary()), now))
                    .unwrap()
                    .name,
            );
        }
        assert_eq!(block_on(read_index(&kv)).unwrap().len(), RETAINED_REPORTS);
        assert!(block_on(kv.get(&report_key(&names[0]))).unwrap().is_none());
        assert!(block_on(kv.get(&report_key(&names[2]))).unwrap().is_some());
    }

    #[test]
    fn a_wrong_summary_or_non_html_is_refused_and_nothing_is_written() {
        let kv = MemoryKv::new();
        let now = Utc::now();
        let err = block_on(store(
            &kv,
            &upload(ReportKind::Quality, drift_summary()),
            now,
        ))
        .unwrap_err();
        assert_eq!(err.status, 422);
        let mut not_html = upload(ReportKind::Drift, drift_summary());
        not_html.html = "hello".into();
        assert_eq!(
            block_on(store(&kv, &not_html, now)).unwrap_err().status,
            422
        );
        assert!(kv.is_empty());
    }
}
