//! Small SVG charts for the HTML report: lines over days and (stacked) bars over weeks.
//!
//! Written here rather than with plotters: plotters lays out text with system fonts (font-kit)
//! or a bundled TTF, and a report that must render the same on a server without fonts, in a
//! browser offline, and in a snapshot test is simpler as plain SVG with `<text>` elements that
//! the browser sets.

use std::fmt::Write;

const W: f64 = 720.0;
const H: f64 = 240.0;
const LEFT: f64 = 48.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 28.0;
const BOTTOM: f64 = 36.0;

/// Escapes text for XML.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn range(values: impl Iterator<Item = f64>, include_zero: bool) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    if include_zero {
        lo = lo.min(0.0);
        hi = hi.max(0.0);
    }
    if hi - lo < 1e-9 {
        hi = lo + 1.0;
    }
    let pad = (hi - lo) * 0.05;
    // Data that never goes below zero keeps zero as the floor, so bars start on the axis.
    (if lo >= 0.0 { lo } else { lo - pad }, hi + pad)
}

fn frame(out: &mut String, title: &str, lo: f64, hi: f64) {
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="{W}" height="{H}" role="img" aria-label="{t}"><text x="{LEFT}" y="16" class="title">{t}</text>"#,
        t = esc(title)
    );
    for k in 0..=4 {
        let v = lo + (hi - lo) * f64::from(k) / 4.0;
        let y = TOP + (H - TOP - BOTTOM) * (1.0 - f64::from(k) / 4.0);
        let _ = write!(
            out,
            r#"<line x1="{LEFT}" y1="{y:.1}" x2="{x2}" y2="{y:.1}" class="grid"/><text x="{tx}" y="{ty:.1}" class="tick" text-anchor="end">{v:.digits$}</text>"#,
            digits = if hi - lo < 10.0 { 1 } else { 0 },
            x2 = W - RIGHT,
            tx = LEFT - 4.0,
            ty = y + 4.0
        );
    }
}

fn legend(out: &mut String, names: &[(&str, &str)]) {
    let mut x = W - RIGHT;
    for (name, color) in names.iter().rev() {
        x -= 8.0 + 7.0 * name.len() as f64;
        let _ = write!(
            out,
            r#"<rect x="{x:.1}" y="8" width="10" height="10" fill="{color}"/><text x="{tx:.1}" y="17" class="tick">{n}</text>"#,
            tx = x + 13.0,
            n = esc(name)
        );
        x -= 14.0;
    }
}

fn x_labels(out: &mut String, labels: &[String], xs: impl Fn(usize) -> f64) {
    if labels.is_empty() {
        return;
    }
    let picks = [0, labels.len() / 2, labels.len() - 1];
    for (n, &i) in picks.iter().enumerate() {
        if n > 0 && i == picks[n - 1] {
            continue;
        }
        let anchor = match n {
            0 => "start",
            2 => "end",
            _ => "middle",
        };
        let _ = write!(
            out,
            r#"<text x="{x:.1}" y="{y}" class="tick" text-anchor="{anchor}">{l}</text>"#,
            x = xs(i),
            y = H - 12.0,
            l = esc(&labels[i])
        );
    }
}

/// A line chart over `labels` (one per point); a missing value breaks its line. Each series is
/// drawn a little thinner than the one before it, so a line that runs under a later one (CTL
/// and ATL of a steady load are the same line) still shows along its edges.
pub fn lines(title: &str, labels: &[String], series: &[(&str, &str, Vec<Option<f64>>)]) -> String {
    let (lo, hi) = range(series.iter().flat_map(|s| s.2.iter().flatten().copied()), true);
    let n = labels.len().max(2);
    let xs = |i: usize| LEFT + (W - LEFT - RIGHT) * i as f64 / (n - 1) as f64;
    let ys = |v: f64| TOP + (H - TOP - BOTTOM) * (1.0 - (v - lo) / (hi - lo));
    let mut out = String::new();
    frame(&mut out, title, lo, hi);
    for (k, (name, color, values)) in series.iter().enumerate() {
        let width = (3.5 - k as f64).max(1.5);
        let mut path = String::new();
        let mut pen_down = false;
        for (i, v) in values.iter().enumerate() {
            match v {
                Some(v) if v.is_finite() => {
                    let _ = write!(
                        path,
                        "{}{:.1},{:.1} ",
                        if pen_down { "L" } else { "M" },
                        xs(i),
                        ys(*v)
                    );
                    pen_down = true;
                }
                _ => pen_down = false,
            }
        }
        let _ = write!(
            out,
            r#"<path d="{p}" fill="none" stroke="{color}" stroke-width="{width}" class="series"><title>{t}</title></path>"#,
            p = path.trim_end(),
            t = esc(name)
        );
    }
    x_labels(&mut out, labels, xs);
    let names: Vec<(&str, &str)> = series.iter().map(|s| (s.0, s.1)).collect();
    legend(&mut out, &names);
    out + "</svg>"
}

/// Stacked bars, one per label; each series adds a layer.
pub fn bars(title: &str, labels: &[String], series: &[(&str, &str, Vec<f64>)]) -> String {
    let totals: Vec<f64> = (0..labels.len())
        .map(|i| series.iter().map(|s| s.2.get(i).copied().unwrap_or(0.0)).sum())
        .collect();
    let (lo, hi) = range(totals.iter().copied(), true);
    let n = labels.len().max(1);
    let slot = (W - LEFT - RIGHT) / n as f64;
    let xs = |i: usize| LEFT + slot * (i as f64 + 0.5);
    let ys = |v: f64| TOP + (H - TOP - BOTTOM) * (1.0 - (v - lo) / (hi - lo));
    let mut out = String::new();
    frame(&mut out, title, lo, hi);
    for i in 0..labels.len() {
        let mut base = 0.0;
        for (name, color, values) in series {
            let v = values.get(i).copied().unwrap_or(0.0);
            if v <= 0.0 {
                continue;
            }
            let (y0, y1) = (ys(base), ys(base + v));
            let _ = write!(
                out,
                r#"<rect x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{h:.1}" fill="{color}" class="bar"><title>{t}: {v:.1}</title></rect>"#,
                x = xs(i) - slot * 0.35,
                y = y1,
                w = slot * 0.7,
                h = (y0 - y1).max(0.0),
                t = esc(name)
            );
            base += v;
        }
    }
    x_labels(&mut out, labels, xs);
    let names: Vec<(&str, &str)> = series.iter().map(|s| (s.0, s.1)).collect();
    if names.len() > 1 {
        legend(&mut out, &names);
    }
    out + "</svg>"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_breaks_at_missing_values_and_spans_the_width() {
        let labels: Vec<String> = (0..4).map(|i| format!("d{i}")).collect();
        let svg =
            lines("t", &labels, &[("a", "red", vec![Some(0.0), Some(10.0), None, Some(10.0)])]);
        // Two pieces: M at the first point, L to the second, a new M after the gap.
        let d = svg.split("d=\"").nth(1).unwrap().split('"').next().unwrap();
        assert_eq!(d.matches('M').count(), 2);
        assert_eq!(d.matches('L').count(), 1);
        assert!(
            d.starts_with("M48.0,")
                && d.ends_with(&format!("{:.1},{}", W - RIGHT, d.rsplit(',').next().unwrap()))
        );
    }

    #[test]
    fn a_line_under_a_later_one_still_shows() {
        // Two equal series: the first (under) is drawn wider than the second (over).
        let labels: Vec<String> = (0..3).map(|i| format!("d{i}")).collect();
        let same = vec![Some(5.0); 3];
        let svg = lines("t", &labels, &[("ctl", "blue", same.clone()), ("atl", "red", same)]);
        let widths: Vec<&str> =
            svg.split("stroke-width=\"").skip(1).map(|w| w.split('"').next().unwrap()).collect();
        assert_eq!(widths, ["3.5", "2.5"]);
    }

    #[test]
    fn stacked_bars_have_one_rect_per_positive_value() {
        let labels: Vec<String> = vec!["w1".into(), "w2".into()];
        let svg =
            bars("t", &labels, &[("z1", "#aaa", vec![1.0, 0.0]), ("z2", "#bbb", vec![2.0, 3.0])]);
        assert_eq!(svg.matches("class=\"bar\"").count(), 3);
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(esc("a<b & \"c\">"), "a&lt;b &amp; &quot;c&quot;&gt;");
    }
}
