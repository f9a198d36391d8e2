//! The HTML report: one self-contained page (inline CSS, inline SVG charts, no script, nothing
//! fetched) that opens offline in any browser.

use crate::svg::{bars, esc, lines};
use crate::{Report, headline};
use std::fmt::Write;

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:760px;margin:24px auto;padding:0 12px;color:#222}\
h1{font-size:1.4em}h1 .call{padding:2px 8px;border-radius:4px;color:#fff}\
.passive_recovery{background:#c0392b}.active_recovery{background:#d68910}.train{background:#1e8449}\
table{border-collapse:collapse;font-size:.9em;margin:8px 0}td,th{padding:2px 8px;border-bottom:1px solid #ddd;text-align:right}\
td:first-child,th:first-child{text-align:left}svg{display:block;margin:12px 0;max-width:100%;height:auto}\
svg .title{font-weight:600;font-size:13px}svg .tick{font-size:11px;fill:#555}svg .grid{stroke:#eee}";

const ZONE_COLORS: [&str; 5] = ["#aed6f1", "#5dade2", "#f4d03f", "#eb984e", "#cb4335"];

/// The report as one HTML page with its charts.
pub fn html(r: &Report) -> String {
    let mut out = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>restday {d}</title><style>{STYLE}</style></head><body>\n\
         <h1>restday {d} <span class=\"call {c}\">{h}</span></h1>\n<p>{e}</p>\n",
        d = esc(&r.date),
        c = esc(&r.call.call),
        h = headline(&r.call.call),
        e = esc(&r.call.explanation)
    );
    if let Some(c) = r.call.hr_ceiling_bpm {
        let _ = writeln!(out, "<p>Heart-rate ceiling: <strong>{c:.0} bpm</strong></p>");
    }
    for (title, items) in [("Why", &r.call.evidence), ("Not checked", &r.call.not_checked)] {
        if !items.is_empty() {
            let _ = write!(out, "<h2>{title}</h2><ul>");
            for i in items {
                let _ = write!(out, "<li>{}</li>", esc(i));
            }
            out += "</ul>\n";
        }
    }

    out += "<h2>Charts</h2>\n";
    let days: Vec<String> = r.fitness_120_days.iter().map(|p| p.date.clone()).collect();
    out += &lines(
        "Fitness, fatigue and form, last 120 days",
        &days,
        &[
            ("fitness (CTL)", "#2471a3", r.fitness_120_days.iter().map(|p| Some(p.ctl)).collect()),
            ("fatigue (ATL)", "#cb4335", r.fitness_120_days.iter().map(|p| Some(p.atl)).collect()),
            ("form (TSB)", "#1e8449", r.fitness_120_days.iter().map(|p| p.tsb).collect()),
        ],
    );
    out += "\n";
    let weeks: Vec<String> = r.last_12_weeks.iter().map(|w| w.week.clone()).collect();
    out += &bars(
        "Weekly distance (km), last 12 weeks",
        &weeks,
        &[("km", "#2471a3", r.last_12_weeks.iter().map(|w| w.distance_km).collect())],
    );
    out += "\n";
    let zone_series: Vec<(&str, &str, Vec<f64>)> = (0..5)
        .map(|k| {
            let name = ["zone 1", "zone 2", "zone 3", "zone 4", "zone 5"][k];
            (name, ZONE_COLORS[k], r.last_12_weeks.iter().map(|w| w.zone_h[k]).collect())
        })
        .collect();
    out += &bars("Hours in heart-rate zones per week", &weeks, &zone_series);
    out += "\n";
    if r.wellness_120_days.is_empty() {
        out +=
            "<p>No resting heart rate or HRV in the data: add wellness files or a journal.</p>\n";
    } else {
        let wdays: Vec<String> = r.wellness_120_days.iter().map(|p| p.date.clone()).collect();
        let w = &r.wellness_120_days;
        out += &lines(
            "Resting heart rate (bpm) against its 28-day baseline",
            &wdays,
            &[
                ("resting HR", "#cb4335", w.iter().map(|p| p.resting_hr).collect()),
                ("baseline", "#999999", w.iter().map(|p| p.resting_hr_baseline).collect()),
            ],
        );
        out += &lines(
            "HRV (ln rMSSD) against its 28-day baseline",
            &wdays,
            &[
                ("ln rMSSD", "#2471a3", w.iter().map(|p| p.ln_rmssd).collect()),
                ("baseline", "#999999", w.iter().map(|p| p.ln_rmssd_baseline).collect()),
            ],
        );
        out += "\n";
    }

    out += "<h2>Last 7 days</h2><table><tr><th>date</th><th>sessions</th><th>km</th><th>min</th><th>load</th><th>zones 1-5 (min)</th><th>call</th></tr>";
    for d in &r.last_7_days {
        let z = d.zone_min.iter().map(|m| format!("{m:.0}")).collect::<Vec<_>>().join(" / ");
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{:.1}</td><td>{:.0}</td><td>{:.0}</td><td>{z}</td><td>{}</td></tr>",
            esc(&d.date),
            d.sessions,
            d.distance_km,
            d.duration_min,
            d.load,
            esc(&d.call)
        );
    }
    out += "</table>\n<h2>Last 12 weeks</h2><table><tr><th>week</th><th>starts</th><th>sessions</th><th>km</th><th>hours</th><th>load</th><th>km change</th></tr>";
    for w in &r.last_12_weeks {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{:.1}</td><td>{:.1}</td><td>{:.0}</td><td>{}</td></tr>",
            esc(&w.week),
            esc(&w.week_start),
            w.sessions,
            w.distance_km,
            w.duration_h,
            w.load,
            crate::pct(w.distance_change_pct)
        );
    }
    out += "</table>\n";
    for line in crate::part_weeks(&r.last_12_weeks) {
        let _ = writeln!(out, "<p>{}.</p>", esc(&line));
    }
    out += "</body></html>\n";
    out
}
