//! The evaluation report as one self-contained HTML page: tables, the
//! selection record, serving costs, and a reliability diagram in inline SVG
//! (hand-written: a few lines and circles need no plotting crate).

use std::fmt::Write;

use super::{BOOKMAKER, EvaluationReport, Reliability, Table};

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const COLOURS: [&str; 6] = [
    "#1f77b4", "#d62728", "#2ca02c", "#111111", "#9467bd", "#ff7f0e",
];

fn table_html(out: &mut String, t: &Table, champion: &str) {
    let bookie = t.row(BOOKMAKER).map(|s| s.rps);
    let _ = writeln!(
        out,
        "<h3>{} <small>(n = {})</small></h3>",
        esc(&t.title),
        t.n
    );
    out.push_str("<table><tr><th>model</th><th>RPS</th><th>log-loss</th><th>Brier</th><th>accuracy</th><th>ECE</th>");
    if bookie.is_some() {
        out.push_str("<th>RPS vs bookmaker (± 1 s.e.)</th>");
    }
    out.push_str("</tr>\n");
    for r in &t.rows {
        let s = &r.scores;
        let class = if r.model == champion {
            " class=\"champion\""
        } else if r.model == BOOKMAKER {
            " class=\"bookmaker\""
        } else {
            ""
        };
        let _ = write!(
            out,
            "<tr{class}><td>{}{}</td><td>{:.4}</td><td>{:.4}</td><td>{:.4}</td><td>{:.1}%</td><td>{:.4}</td>",
            esc(&r.model),
            if r.model == champion { " ★" } else { "" },
            s.rps,
            s.log_loss,
            s.brier,
            100.0 * s.accuracy,
            s.ece
        );
        if let Some(b) = bookie {
            let _ = write!(out, "<td>{}</td>", r.rps_gap_text(b));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n");
}

/// Reliability diagram: forecast (x) vs observed frequency (y), one line
/// per model, circles sized by the bin's count.
pub fn reliability_svg(curves: &[Reliability]) -> String {
    let (w, h, m) = (460.0, 460.0, 50.0);
    let x = |v: f64| m + v * (w - 2.0 * m);
    let y = |v: f64| h - m - v * (h - 2.0 * m);
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" font-family=\"sans-serif\" font-size=\"11\">"
    );
    let _ = write!(
        s,
        "<rect x=\"{m}\" y=\"{m}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#999\"/>",
        w - 2.0 * m,
        h - 2.0 * m
    );
    for k in 0..=10 {
        let v = f64::from(k) / 10.0;
        let _ = write!(
            s,
            "<line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#eee\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{v:.1}</text><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{v:.1}</text>",
            x(v),
            y(0.0),
            x(v),
            y(1.0),
            x(v),
            h - m + 15.0,
            m - 5.0,
            y(v) + 4.0
        );
    }
    let _ = write!(
        s,
        "<line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#888\" stroke-dasharray=\"4 3\"/>",
        x(0.0),
        y(0.0),
        x(1.0),
        y(1.0)
    );
    let _ = write!(
        s,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">forecast probability (home, draw and away pooled)</text>",
        w / 2.0,
        h - 12.0
    );
    let _ = write!(
        s,
        "<text transform=\"translate(14,{:.1}) rotate(-90)\" text-anchor=\"middle\">observed frequency</text>",
        h / 2.0
    );
    let max_n = curves
        .iter()
        .flat_map(|c| c.bins.iter().map(|b| b.n))
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    for (k, c) in curves.iter().enumerate() {
        let colour = COLOURS[k % COLOURS.len()];
        let pts: Vec<String> = c
            .bins
            .iter()
            .filter(|b| b.n >= 20)
            .map(|b| format!("{:.1},{:.1}", x(b.mean_forecast), y(b.observed)))
            .collect();
        let _ = write!(
            s,
            "<polyline points=\"{}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.5\"/>",
            pts.join(" ")
        );
        for b in c.bins.iter().filter(|b| b.n >= 20) {
            let r = 2.0 + 5.0 * (b.n as f64 / max_n).sqrt();
            let _ = write!(
                s,
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"{r:.1}\" fill=\"{colour}\" fill-opacity=\"0.5\"><title>{}: forecast {:.3}, observed {:.3}, n {}</title></circle>",
                x(b.mean_forecast),
                y(b.observed),
                esc(&c.model),
                b.mean_forecast,
                b.observed,
                b.n
            );
        }
        let _ = write!(
            s,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"10\" height=\"10\" fill=\"{colour}\"/><text x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            m + 10.0,
            m + 10.0 + 16.0 * k as f64,
            m + 25.0,
            m + 19.0 + 16.0 * k as f64,
            esc(&c.model)
        );
    }
    s.push_str("</svg>");
    s
}

/// The whole page.
pub fn render(r: &EvaluationReport) -> String {
    let mut out = String::new();
    out.push_str("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Matchday evaluation</title><style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}td:first-child,th:first-child{text-align:left}tr.champion{background:#eef6ff;font-weight:bold}tr.bookmaker{background:#f4f4f4}small{color:#666}</style></head><body>\n");
    let _ = writeln!(
        out,
        "<h1>Matchday 1X2 evaluation</h1><p>Walk-forward over {} (features and ratings strictly pre-kick-off; models refitted before each season). Champion: <b>{}</b>. Generated {}.</p>",
        esc(&r.test_seasons.join(", ")),
        esc(&r.champion),
        r.generated_at.format("%Y-%m-%d %H:%M UTC")
    );
    out.push_str("<ul>");
    for n in &r.notes {
        let _ = write!(out, "<li>{}</li>", esc(n));
    }
    out.push_str("</ul>\n<h2>Scores</h2>\n");
    for t in &r.tables {
        table_html(&mut out, t, &r.champion);
    }
    if let Some(t) = &r.market_variant {
        out.push_str("<h2>Market variant (reported apart)</h2><p>The same features plus the pre-closing prices (collected the Friday or Tuesday before a match), as log-odds, in one logit. Not a no-odds model: it shows what our features add to the market's early view, next to the closing line.</p>\n");
        table_html(&mut out, t, &r.champion);
    }
    out.push_str("<h2>Reliability (leagues with odds)</h2>\n");
    out.push_str(&reliability_svg(&r.reliability));
    let _ = writeln!(
        out,
        "<h2>Model selection (CV on {})</h2><p>{}</p><table><tr><th>candidate</th><th>what</th><th>CV log-loss</th><th>CV RPS</th><th>compared log-loss</th><th>temperature</th></tr>",
        esc(&r.cv_seasons.join(", ")),
        esc(&r.selection.reason)
    );
    for c in &r.selection.candidates {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{:.5}</td><td>{:.5}</td><td>{:.5}</td><td>{:.3}</td></tr>",
            esc(&c.name),
            esc(&c.description),
            c.cv_log_loss,
            c.cv_rps,
            c.selection_log_loss,
            c.temperature
        );
    }
    out.push_str("</table>\n");
    if !r.serving.is_empty() {
        out.push_str("<h2>Serving cost</h2><table><tr><th>model</th><th>ONNX bytes</th><th>load (ms)</th><th>1-row inference (ms)</th><th>measured</th></tr>\n");
        for s in &r.serving {
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{:.3}</td><td>{:.4}</td><td>{}</td></tr>",
                esc(&s.model),
                s.onnx_bytes,
                s.load_ms,
                s.infer_ms,
                esc(&s.measured)
            );
        }
        out.push_str("</table><p><small>In the predict component (wasm32-wasip2, docs/benchmarks.md): per row, the logit 0.03 ms, our 549 trees 0.12 ms, the blend 0.13 ms; a fresh instance also loads the model (0.9 ms for the logit, 2.4 ms for the trees, 3.1–3.4 ms for the blend). Budget: p99 &lt; 5 ms per request.</small></p>\n");
    }
    out.push_str("<h2>Wall time</h2><table><tr><th>stage</th><th>seconds</th></tr>");
    for (stage, secs) in &r.timings {
        let _ = write!(out, "<tr><td>{}</td><td>{secs:.2}</td></tr>", esc(stage));
    }
    out.push_str("</table>\n<p><small>Data: football-data.co.uk.</small></p></body></html>\n");
    out
}
