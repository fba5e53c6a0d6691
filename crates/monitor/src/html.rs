//! The HTML reports: one self-contained document each (inline CSS and SVG,
//! no script, nothing fetched), so `monitoring` can serve them under a
//! `default-src 'none'` content security policy.

use crate::drift::{Bins, DriftReference};
use crate::quality::{ScoredMatch, reliability};
use crate::svg::{self, escape};
use matchday_observe::monitoring::records::{
    DriftSummary, FeatureStatus, QualitySummary, Scores, Window,
};
use std::fmt::Write;

const STYLE: &str = "body{font-family:sans-serif;margin:2em;max-width:60em;color:#222}\
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:right}\
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}.drift{color:#b00;font-weight:bold}\
.warn{color:#a60}.ok{color:#080}figure{margin:1.5em 0}";

fn document(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title><style>{STYLE}</style></head>\n<body><h1>{t}</h1>\n{body}\n</body></html>\n",
        t = escape(title)
    )
}

fn window(w: &Window) -> String {
    format!(
        "{} → {} ({} matches)",
        escape(w.from.as_deref().unwrap_or("?")),
        escape(w.to.as_deref().unwrap_or("?")),
        w.n
    )
}

fn opt(x: Option<f64>) -> String {
    x.map_or("–".into(), |v| format!("{v:.3}"))
}

fn status(s: FeatureStatus) -> &'static str {
    match s {
        FeatureStatus::Ok => "ok",
        FeatureStatus::Warn => "warn",
        FeatureStatus::Drift => "drift",
    }
}

fn bin_labels(bins: &Bins) -> Vec<String> {
    match bins {
        Bins::Quantiles { edges } => {
            let mut labels: Vec<String> = edges.iter().map(|e| format!("≤{e:.2}")).collect();
            labels.push(format!(">{:.2}", edges.last().copied().unwrap_or(0.0)));
            labels
        }
        Bins::Categories { values } => {
            let mut labels: Vec<String> = values.iter().map(|v| format!("{v}")).collect();
            labels.push("other".into());
            labels
        }
    }
}

/// The drift report: the summary table, then a plot per drifting feature
/// (reference vs current shares over the reference's bins). `current` are
/// the rows the summary was computed from.
pub fn drift_report(
    summary: &DriftSummary,
    reference: &DriftReference,
    current: &[Vec<f64>],
) -> String {
    let mut body = String::new();
    let _ = write!(
        body,
        "<p>Drift score <b>{:.3}</b> ({} of {} features drift; data set drift: <b>{}</b>). \
         Model <code>{}</code>.</p><p>Reference (training): {}<br>Current: {}<br>Computed {}.</p>\
         <p>Thresholds: PSI warn ≥ {}, drift ≥ {}; KS drift when p &lt; {} and D ≥ {}.</p>",
        summary.drift_score,
        summary.n_drifted,
        summary.n_features,
        summary.dataset_drift,
        escape(summary.model_run_id.as_deref().unwrap_or("?")),
        window(&summary.reference_window),
        window(&summary.current_window),
        escape(&summary.created_at),
        summary.thresholds.psi_warn,
        summary.thresholds.psi_drift,
        summary.thresholds.ks_alpha,
        summary.thresholds.ks_min_statistic,
    );
    body.push_str(
        "<table><tr><th>feature</th><th>status</th><th>PSI</th><th>KS D</th><th>KS p</th>\
         <th>mean (ref)</th><th>mean (cur)</th><th>missing (ref)</th><th>missing (cur)</th></tr>",
    );
    for f in &summary.features {
        let _ = write!(
            body,
            "<tr><td>{}</td><td class=\"{s}\">{s}</td><td>{:.4}</td><td>{:.4}</td><td>{:.2e}</td>\
             <td>{}</td><td>{}</td><td>{:.1}%</td><td>{:.1}%</td></tr>",
            escape(&f.feature),
            f.psi,
            f.ks_statistic,
            f.ks_p_value,
            opt(f.reference_mean),
            opt(f.current_mean),
            f.reference_missing_share * 100.0,
            f.current_missing_share * 100.0,
            s = status(f.status),
        );
    }
    body.push_str("</table>");
    for (i, f) in summary.features.iter().enumerate() {
        if f.status != FeatureStatus::Drift {
            continue;
        }
        let Some(reference_feature) = reference.features.get(i) else {
            continue;
        };
        let column: Vec<f64> = current
            .iter()
            .map(|r| r[i])
            .filter(|v| v.is_finite())
            .collect();
        let current_shares = reference_feature.bins.shares(&column);
        let chart = svg::grouped_bars(
            &format!(
                "{} (PSI {:.3}, KS D {:.3})",
                f.feature, f.psi, f.ks_statistic
            ),
            &bin_labels(&reference_feature.bins),
            &[
                ("reference (training)", &reference_feature.shares),
                ("current", &current_shares),
            ],
            "share of matches",
        );
        let _ = write!(body, "<figure>{chart}</figure>");
    }
    if summary.n_drifted == 0 {
        body.push_str("<p>No feature drifts: no plot.</p>");
    }
    document("Matchday feature drift", &body)
}

fn scores_row(name: &str, s: &Scores) -> String {
    format!(
        "<tr><td>{}</td><td>{}</td><td>{:.4}</td><td>{:.4}</td><td>{:.4}</td><td>{:.4}</td><td>{:.1}%</td></tr>",
        escape(name),
        s.n,
        s.log_loss,
        s.rps,
        s.brier,
        s.ece,
        s.hit_rate * 100.0
    )
}

/// Points of a reliability curve (mean confidence, hit rate) of `probs`.
fn curve(probs: &[[f64; 3]], labels: &[usize]) -> Vec<(f64, f64)> {
    reliability(probs, labels)
        .into_iter()
        .flatten()
        .map(|b| (b.mean_confidence, b.hit_rate))
        .collect()
}

/// The quality report: the scores table and a reliability diagram of the
/// model (all matches) and of the bookmaker (matches with odds).
pub fn quality_report(summary: &QualitySummary, matches: &[ScoredMatch]) -> String {
    let mut body = String::new();
    let _ = write!(
        body,
        "<p>Model <code>{}</code>, trained on data up to {}. Matches finished since: {}. \
         Not scored: {}. Computed {}.</p>",
        escape(&summary.model_run_id),
        escape(&summary.trained_as_of),
        window(&summary.window),
        summary.n_unscored,
        escape(&summary.created_at)
    );
    body.push_str(
        "<table><tr><th>forecaster</th><th>matches</th><th>log-loss</th><th>RPS</th><th>Brier</th><th>ECE</th><th>hit rate</th></tr>",
    );
    if let Some(s) = &summary.model {
        body.push_str(&scores_row("model, all finished", s));
    }
    if let Some(m) = &summary.market {
        body.push_str(&scores_row("model, matches with odds", &m.model));
        body.push_str(&scores_row("bookmaker, same matches", &m.bookmaker));
    }
    body.push_str("</table>");
    if let Some(m) = &summary.market {
        let sources: Vec<String> = m
            .sources
            .iter()
            .map(|(s, n)| format!("{} ({n})", escape(s)))
            .collect();
        let _ = write!(body, "<p>Odds sources: {}.</p>", sources.join(", "));
    }
    if matches.is_empty() {
        body.push_str("<p>No finished match to score yet.</p>");
    } else {
        let probs: Vec<[f64; 3]> = matches.iter().map(|m| m.model).collect();
        let labels: Vec<usize> = matches.iter().map(|m| m.outcome).collect();
        let priced: Vec<&ScoredMatch> = matches.iter().filter(|m| m.market.is_some()).collect();
        let book: Vec<[f64; 3]> = priced
            .iter()
            .filter_map(|m| m.market.as_ref().map(|(p, _)| *p))
            .collect();
        let book_labels: Vec<usize> = priced.iter().map(|m| m.outcome).collect();
        let chart = svg::reliability_diagram(
            "Reliability (calibration): top-class confidence vs hit rate",
            &[
                ("model", curve(&probs, &labels)),
                ("bookmaker", curve(&book, &book_labels)),
            ],
        );
        let _ = write!(body, "<figure>{chart}</figure>");
    }
    document("Matchday model quality", &body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drift::{build_reference, default_thresholds, drift_summary};

    #[test]
    fn a_drift_report_plots_each_drifting_feature_only() {
        let names = vec!["a".to_string(), "b".to_string()];
        let train: Vec<Vec<f64>> = (0..400)
            .map(|i| vec![f64::from(i % 40), f64::from(i % 7)])
            .collect();
        let rows: Vec<&[f64]> = train.iter().map(Vec::as_slice).collect();
        let reference = build_reference(&names, &rows, "run-x", Window::default(), "t0");
        let current: Vec<Vec<f64>> = (0..200)
            .map(|i| vec![f64::from(i % 40) + 30.0, f64::from(i % 7)])
            .collect();
        let summary = drift_summary(
            &reference,
            &current,
            Window::default(),
            default_thresholds(),
            "t1",
        );
        assert_eq!(summary.n_drifted, 1);
        let html = drift_report(&summary, &reference, &current);
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert_eq!(html.matches("<svg").count(), 1, "one plot: feature a");
        assert!(!html.contains("<script"));
    }

    #[test]
    fn a_quality_report_has_the_table_and_a_reliability_diagram() {
        let matches = vec![ScoredMatch {
            match_id: 1,
            kickoff: "2023-04-02T15:00:00Z".into(),
            model: [0.5, 0.3, 0.2],
            outcome: 0,
            market: Some(([0.6, 0.25, 0.15], "PS closing".into())),
        }];
        let summary = crate::quality::quality_summary("run-a", "2023-04-01", &matches, 0, "t");
        let html = quality_report(&summary, &matches);
        assert!(html.contains("bookmaker, same matches"));
        assert!(html.contains("Reliability"));
        assert_eq!(html.matches("<svg").count(), 1);
    }
}
