//! Two small chart kinds as inline SVG: grouped bars (reference vs current
//! shares per bin) and a reliability diagram (points on a diagonal). Hand
//! written rather than drawn with a plotting crate: the charts are simple,
//! the output is deterministic text (testable, diffable), and nothing needs
//! fonts at build or run time.

use std::fmt::Write;

const W: f64 = 560.0;
const H: f64 = 300.0;
const LEFT: f64 = 50.0;
const RIGHT: f64 = 15.0;
const TOP: f64 = 30.0;
const BOTTOM: f64 = 45.0;

/// Colours of the series, in order (reference/model first).
pub const COLOURS: [&str; 3] = ["#4c72b0", "#dd8452", "#55a868"];

/// Escapes text for XML/HTML.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn open(out: &mut String, title: &str) {
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="{W}" height="{H}" role="img" aria-label="{t}" font-family="sans-serif" font-size="11"><title>{t}</title><text x="{x}" y="18" text-anchor="middle" font-size="13">{t}</text>"#,
        t = escape(title),
        x = W / 2.0
    );
}

fn axes(out: &mut String, y_max: f64, y_label: &str) {
    let (x0, y0, x1, y1) = (LEFT, H - BOTTOM, W - RIGHT, TOP);
    let _ = write!(
        out,
        r##"<line x1="{x0}" y1="{y0}" x2="{x1}" y2="{y0}" stroke="#333"/><line x1="{x0}" y1="{y0}" x2="{x0}" y2="{y1}" stroke="#333"/>"##
    );
    for i in 0..=4 {
        let v = y_max * f64::from(i) / 4.0;
        let y = y0 - (y0 - y1) * f64::from(i) / 4.0;
        let _ = write!(
            out,
            r##"<line x1="{a}" y1="{y:.1}" x2="{x0}" y2="{y:.1}" stroke="#333"/><text x="{b}" y="{ty:.1}" text-anchor="end">{v:.2}</text>"##,
            a = x0 - 4.0,
            b = x0 - 6.0,
            ty = y + 4.0
        );
    }
    let _ = write!(
        out,
        r#"<text x="12" y="{y}" transform="rotate(-90 12 {y})" text-anchor="middle">{l}</text>"#,
        y = (y0 + y1) / 2.0,
        l = escape(y_label)
    );
}

fn legend(out: &mut String, names: &[&str]) {
    for (i, name) in names.iter().enumerate() {
        let x = LEFT + 10.0 + 140.0 * i as f64;
        let _ = write!(
            out,
            r#"<rect x="{x}" y="{y}" width="10" height="10" fill="{c}"/><text x="{tx}" y="{ty}">{n}</text>"#,
            y = H - 14.0,
            c = COLOURS[i % COLOURS.len()],
            tx = x + 14.0,
            ty = H - 5.0,
            n = escape(name)
        );
    }
}

/// Grouped bars: one group per category, one bar per series.
pub fn grouped_bars(
    title: &str,
    categories: &[String],
    series: &[(&str, &[f64])],
    y_label: &str,
) -> String {
    let mut out = String::new();
    open(&mut out, title);
    let y_max = series
        .iter()
        .flat_map(|(_, v)| v.iter().copied())
        .fold(0.0_f64, f64::max)
        .max(1e-9)
        * 1.1;
    axes(&mut out, y_max, y_label);
    let plot_w = W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    let group_w = plot_w / categories.len().max(1) as f64;
    let bar_w = group_w * 0.8 / series.len().max(1) as f64;
    for (g, category) in categories.iter().enumerate() {
        let gx = LEFT + group_w * g as f64 + group_w * 0.1;
        for (s, (_, values)) in series.iter().enumerate() {
            let v = values.get(g).copied().unwrap_or(0.0);
            let h = plot_h * v / y_max;
            let _ = write!(
                out,
                r#"<rect x="{x:.1}" y="{y:.1}" width="{bar_w:.1}" height="{h:.1}" fill="{c}"><title>{t}: {v:.4}</title></rect>"#,
                x = gx + bar_w * s as f64,
                y = H - BOTTOM - h,
                c = COLOURS[s % COLOURS.len()],
                t = escape(category)
            );
        }
        let _ = write!(
            out,
            r#"<text x="{x:.1}" y="{y}" text-anchor="middle" font-size="9">{t}</text>"#,
            x = gx + group_w * 0.4,
            y = H - BOTTOM + 12.0,
            t = escape(category)
        );
    }
    let names: Vec<&str> = series.iter().map(|(n, _)| *n).collect();
    legend(&mut out, &names);
    out.push_str("</svg>");
    out
}

/// A reliability diagram on [0, 1]²: the diagonal, and per series its
/// points (mean confidence, hit rate) joined by a line.
pub fn reliability_diagram(title: &str, series: &[(&str, Vec<(f64, f64)>)]) -> String {
    let mut out = String::new();
    open(&mut out, title);
    axes(&mut out, 1.0, "observed hit rate");
    let px = |x: f64| LEFT + (W - LEFT - RIGHT) * x;
    let py = |y: f64| H - BOTTOM - (H - TOP - BOTTOM) * y;
    let _ = write!(
        out,
        r##"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#999" stroke-dasharray="4 3"/>"##,
        px(0.0),
        py(0.0),
        px(1.0),
        py(1.0)
    );
    for i in 0..=4 {
        let x = f64::from(i) / 4.0;
        let _ = write!(
            out,
            r#"<text x="{:.1}" y="{}" text-anchor="middle">{x:.2}</text>"#,
            px(x),
            H - BOTTOM + 14.0
        );
    }
    let _ = write!(
        out,
        r#"<text x="{}" y="{}" text-anchor="middle">top-class confidence</text>"#,
        px(0.5),
        H - BOTTOM + 28.0
    );
    for (s, (_, points)) in series.iter().enumerate() {
        let colour = COLOURS[s % COLOURS.len()];
        let path: Vec<String> = points
            .iter()
            .map(|(x, y)| format!("{:.1},{:.1}", px(*x), py(*y)))
            .collect();
        let _ = write!(
            out,
            r#"<polyline points="{}" fill="none" stroke="{colour}" stroke-width="2"/>"#,
            path.join(" ")
        );
        for (x, y) in points {
            let _ = write!(
                out,
                r#"<circle cx="{:.1}" cy="{:.1}" r="3.5" fill="{colour}"><title>{x:.3} → {y:.3}</title></circle>"#,
                px(*x),
                py(*y)
            );
        }
    }
    let names: Vec<&str> = series.iter().map(|(n, _)| *n).collect();
    legend(&mut out, &names);
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_are_well_formed_svg_with_escaped_text() {
        let bars = grouped_bars(
            "a <b> & c",
            &["≤ 1".to_string(), "> 1".to_string()],
            &[("reference", &[0.5, 0.5]), ("current", &[0.2, 0.8])],
            "share",
        );
        assert!(bars.starts_with("<svg") && bars.ends_with("</svg>"));
        assert!(bars.contains("a &lt;b&gt; &amp; c"));
        assert_eq!(
            bars.matches("<rect").count(),
            4 + 2,
            "4 bars, 2 legend keys"
        );
        let diagram = reliability_diagram("r", &[("model", vec![(0.45, 0.5), (0.65, 0.6)])]);
        assert_eq!(diagram.matches("<circle").count(), 2);
        assert!(diagram.contains("stroke-dasharray"), "the diagonal");
    }
}
