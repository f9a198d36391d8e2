//! The nightly report: the day's call with its reasons, the last 7 days and the last 12 weeks,
//! gathered from the derived tables into one [`Report`] and rendered as text (80 columns),
//! Markdown or JSON (schema in `docs/report.md`, versioned by [`SCHEMA_VERSION`]).
//!
//! The report reads `recovery.parquet`, `daily.parquet` and `weekly.parquet` as data frames and
//! returns strings; it prints nothing and touches no file.

mod html;
pub mod svg;

pub use html::html;

use polars::prelude::{DataFrame, DataType, PolarsResult};
use serde::Serialize;

/// Bumped whenever a JSON field is renamed or removed (adding one is not a change).
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    pub schema_version: u32,
    /// The day the call is for, YYYY-MM-DD.
    pub date: String,
    pub call: Call,
    pub last_7_days: Vec<DayRow>,
    pub last_12_weeks: Vec<WeekRow>,
    /// Fitness (CTL), fatigue (ATL) and form (TSB) over the 120 days before `date`.
    pub fitness_120_days: Vec<FitnessPoint>,
    /// Resting HR and ln rMSSD against their 28-day baselines over the same days; empty when the
    /// data has none.
    pub wellness_120_days: Vec<WellnessPoint>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FitnessPoint {
    pub date: String,
    pub ctl: f64,
    pub atl: f64,
    pub tsb: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WellnessPoint {
    pub date: String,
    pub resting_hr: Option<f64>,
    pub resting_hr_baseline: Option<f64>,
    pub ln_rmssd: Option<f64>,
    pub ln_rmssd_baseline: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Call {
    /// `train`, `active_recovery` or `passive_recovery`.
    pub call: String,
    pub explanation: String,
    pub signs: Vec<String>,
    pub evidence: Vec<String>,
    /// For an active-recovery day: stay under this heart rate, bpm.
    pub hr_ceiling_bpm: Option<f64>,
    pub not_checked: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DayRow {
    pub date: String,
    pub sessions: i64,
    pub distance_km: f64,
    pub duration_min: f64,
    pub load: f64,
    /// Minutes in heart-rate zones 1 to 5.
    pub zone_min: [f64; 5],
    pub call: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WeekRow {
    /// ISO week label, `2025-W43`.
    pub week: String,
    pub week_start: String,
    pub sessions: i64,
    pub distance_km: f64,
    pub duration_h: f64,
    pub load: f64,
    pub distance_change_pct: Option<f64>,
    pub load_change_pct: Option<f64>,
    /// Hours in heart-rate zones 1 to 5.
    pub zone_h: [f64; 5],
    /// How many of the week's 7 days the data holds: fewer for the week in progress (and the
    /// first week of the data), whose changes are not computed.
    pub days: i64,
}

/// `YYYY-MM-DD` of a day counted from 1970-01-01.
pub fn day_label(days: i32) -> String {
    (chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default()
        + chrono::Duration::days(days.into()))
    .to_string()
}

/// The ISO week label (`2025-W43`) of the week that starts on `start` (days since 1970-01-01):
/// a Monday's own ISO week, and for a week starting on Sunday (profile `week_start`) the ISO
/// week of its Monday, which holds six of its seven days (the Sunday itself ends the ISO week
/// before).
pub fn week_label(start: i32) -> String {
    use chrono::Datelike;
    let mut d = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default()
        + chrono::Duration::days(start.into());
    if d.weekday() == chrono::Weekday::Sun {
        d += chrono::Duration::days(1);
    }
    let w = d.iso_week();
    format!("{}-W{:02}", w.year(), w.week())
}

fn days_of(df: &DataFrame, col: &str) -> PolarsResult<Vec<Option<i32>>> {
    Ok(df.column(col)?.cast(&DataType::Int32)?.i32()?.iter().collect())
}

fn f64_of(df: &DataFrame, col: &str) -> PolarsResult<Vec<Option<f64>>> {
    Ok(df.column(col)?.cast(&DataType::Float64)?.f64()?.iter().collect())
}

fn str_of(df: &DataFrame, col: &str) -> PolarsResult<Vec<String>> {
    Ok(df.column(col)?.str()?.iter().map(|s| s.unwrap_or_default().to_string()).collect())
}

fn split(s: &str, sep: &str) -> Vec<String> {
    if s.is_empty() { Vec::new() } else { s.split(sep).map(str::to_string).collect() }
}

/// Rounds for display and for stable JSON.
fn r1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Builds the report for `day` (days since 1970-01-01), or for the last day of `recovery`
/// (the day after the latest data) when `day` is `None`. `None` when there is no such day.
pub fn build(
    recovery: &DataFrame,
    daily: &DataFrame,
    weekly: &DataFrame,
    day: Option<i32>,
) -> PolarsResult<Option<Report>> {
    let rdays = days_of(recovery, "date")?;
    let Some(i) = (match day {
        Some(d) => rdays.iter().position(|&x| x == Some(d)),
        None => rdays.len().checked_sub(1),
    }) else {
        return Ok(None);
    };
    let the_day = rdays[i].unwrap_or(0);
    let calls = str_of(recovery, "call")?;
    let call = Call {
        call: calls[i].clone(),
        explanation: str_of(recovery, "explanation")?[i].clone(),
        signs: split(&str_of(recovery, "signs")?[i], ","),
        evidence: split(&str_of(recovery, "evidence")?[i], "; "),
        hr_ceiling_bpm: (calls[i] == "active_recovery")
            .then(|| f64_of(recovery, "hr_ceiling").ok().and_then(|v| v[i]))
            .flatten(),
        not_checked: split(&str_of(recovery, "not_checked")?[i], "; "),
    };

    // The 7 days before the day of the call, each with the call it had.
    let ddays = days_of(daily, "date")?;
    let (sessions, dist, dur, load) = (
        f64_of(daily, "sessions")?,
        f64_of(daily, "distance_m")?,
        f64_of(daily, "duration_s")?,
        f64_of(daily, "load")?,
    );
    let zones: Vec<Vec<Option<f64>>> =
        (1..=5).map(|k| f64_of(daily, &format!("z{k}_s"))).collect::<PolarsResult<_>>()?;
    let mut last_7_days = Vec::new();
    for d in the_day - 7..the_day {
        let Some(j) = ddays.iter().position(|&x| x == Some(d)) else { continue };
        let call_of_d = rdays.iter().position(|&x| x == Some(d)).map(|k| calls[k].clone());
        let mut zone_min = [0.0; 5];
        for (k, z) in zones.iter().enumerate() {
            zone_min[k] = r1(z[j].unwrap_or(0.0) / 60.0);
        }
        last_7_days.push(DayRow {
            date: day_label(d),
            sessions: sessions[j].unwrap_or(0.0) as i64,
            distance_km: r1(dist[j].unwrap_or(0.0) / 1000.0),
            duration_min: r1(dur[j].unwrap_or(0.0) / 60.0),
            load: r1(load[j].unwrap_or(0.0)),
            zone_min,
            call: call_of_d.unwrap_or_default(),
        });
    }

    // The 12 weeks that end with the one holding the day before the call.
    let wdays = days_of(weekly, "week_start")?;
    let (ws, wd, wdur, wl, wdc, wlc) = (
        f64_of(weekly, "sessions")?,
        f64_of(weekly, "distance_m")?,
        f64_of(weekly, "duration_s")?,
        f64_of(weekly, "load")?,
        f64_of(weekly, "distance_m_change_pct")?,
        f64_of(weekly, "load_change_pct")?,
    );
    let wzones: Vec<Vec<Option<f64>>> =
        (1..=5).map(|k| f64_of(weekly, &format!("z{k}_s"))).collect::<PolarsResult<_>>()?;
    // A weekly table written before it counted its days has whole weeks only, as far as it says.
    let wheld = match weekly.column("days") {
        Ok(_) => days_of(weekly, "days")?,
        Err(_) => vec![Some(7); weekly.height()],
    };
    let upto = wdays.iter().rposition(|&x| x.is_some_and(|w| w < the_day)).map_or(0, |p| p + 1);
    let last_12_weeks = (upto.saturating_sub(12)..upto)
        .map(|j| {
            let start = wdays[j].unwrap_or(0);
            WeekRow {
                week: week_label(start),
                week_start: day_label(start),
                sessions: ws[j].unwrap_or(0.0) as i64,
                distance_km: r1(wd[j].unwrap_or(0.0) / 1000.0),
                duration_h: r1(wdur[j].unwrap_or(0.0) / 3600.0),
                load: r1(wl[j].unwrap_or(0.0)),
                distance_change_pct: wdc[j].map(r1),
                load_change_pct: wlc[j].map(r1),
                zone_h: std::array::from_fn(|k| r1(wzones[k][j].unwrap_or(0.0) / 3600.0)),
                days: i64::from(wheld[j].unwrap_or(7)),
            }
        })
        .collect();
    let (ctl, atl, tsb) = (f64_of(daily, "ctl")?, f64_of(daily, "atl")?, f64_of(daily, "tsb")?);
    let window = |days: &[Option<i32>]| -> Vec<(i32, usize)> {
        (the_day - 120..the_day)
            .filter_map(|d| days.iter().position(|&x| x == Some(d)).map(|j| (d, j)))
            .collect()
    };
    let fitness_120_days = window(&ddays)
        .into_iter()
        .map(|(d, j)| FitnessPoint {
            date: day_label(d),
            ctl: r1(ctl[j].unwrap_or(0.0)),
            atl: r1(atl[j].unwrap_or(0.0)),
            tsb: tsb[j].map(r1),
        })
        .collect();
    let (rhr, rhr_base, ln, ln_base) = (
        f64_of(recovery, "resting_hr")?,
        f64_of(recovery, "resting_hr_baseline")?,
        f64_of(recovery, "ln_rmssd")?,
        f64_of(recovery, "ln_rmssd_baseline")?,
    );
    let r2 = |x: f64| (x * 100.0).round() / 100.0;
    let wellness_120_days: Vec<WellnessPoint> = window(&rdays)
        .into_iter()
        .map(|(d, j)| WellnessPoint {
            date: day_label(d),
            resting_hr: rhr[j].map(r1),
            resting_hr_baseline: rhr_base[j].map(r1),
            ln_rmssd: ln[j].map(r2),
            ln_rmssd_baseline: ln_base[j].map(r2),
        })
        .collect();
    let any_wellness =
        wellness_120_days.iter().any(|w| w.resting_hr.is_some() || w.ln_rmssd.is_some());
    Ok(Some(Report {
        schema_version: SCHEMA_VERSION,
        date: day_label(the_day),
        call,
        last_7_days,
        last_12_weeks,
        fitness_120_days,
        wellness_120_days: if any_wellness { wellness_120_days } else { Vec::new() },
    }))
}

fn headline(call: &str) -> &'static str {
    match call {
        "passive_recovery" => "PASSIVE RECOVERY (rest day)",
        "active_recovery" => "ACTIVE RECOVERY (easy movement)",
        _ => "TRAIN",
    }
}

/// A line for each week of the table the data holds only part of, or none.
fn part_weeks(weeks: &[WeekRow]) -> Vec<String> {
    weeks
        .iter()
        .filter(|w| w.days < 7)
        .map(|w| {
            format!(
                "{}: {} of its 7 days in the data, so no change against other weeks",
                w.week, w.days
            )
        })
        .collect()
}

fn pct(x: Option<f64>) -> String {
    x.map_or("-".into(), |p| format!("{p:+.0}%"))
}

fn short_call(call: &str) -> &'static str {
    match call {
        "passive_recovery" => "rest",
        "active_recovery" => "easy",
        "train" => "train",
        _ => "-",
    }
}

/// `text` word-wrapped to 80 columns: the first line after `first`, the others after `rest`.
fn wrap(first: &str, rest: &str, text: &str) -> String {
    let mut out = String::new();
    let mut line = first.to_string();
    let mut empty = true;
    for word in text.split(' ') {
        if !empty && line.chars().count() + 1 + word.chars().count() > 80 {
            out += &line;
            out.push('\n');
            line = rest.to_string();
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line += word;
        empty = false;
    }
    out + &line + "\n"
}

/// The day's call alone, as `restday today` prints it: date and call, the explanation, the
/// ceiling of an active day, the evidence and what could not be checked. Fits 80 columns.
pub fn call_text(r: &Report, color: bool) -> String {
    let head = headline(&r.call.call);
    let mut out = if color {
        let c = match r.call.call.as_str() {
            "passive_recovery" => "\x1b[1;31m",
            "active_recovery" => "\x1b[1;33m",
            _ => "\x1b[1;32m",
        };
        format!("{}  {c}{head}\x1b[0m\n", r.date)
    } else {
        format!("{}  {head}\n", r.date)
    };
    out += &wrap("", "", &r.call.explanation);
    if let Some(c) = r.call.hr_ceiling_bpm {
        out += &format!("Heart-rate ceiling: {c:.0} bpm\n");
    }
    if !r.call.evidence.is_empty() {
        out += "\nWhy:\n";
        for e in &r.call.evidence {
            out += &wrap("  - ", "    ", e);
        }
    }
    if !r.call.not_checked.is_empty() {
        out += "\nNot checked:\n";
        for e in &r.call.not_checked {
            out += &wrap("  - ", "    ", e);
        }
    }
    out
}

/// Plain text that fits 80 columns; `color` adds ANSI colour to the headline.
pub fn text(r: &Report, color: bool) -> String {
    let mut out = format!("restday {}", call_text(r, color));
    out += "\nLast 7 days\n";
    out += &format!(
        "{:<10} {:>4} {:>7} {:>6} {:>5}  {:<24} {:>5}\n",
        "date", "sess", "km", "min", "load", "zones 1-5 (min)", "call"
    );
    for d in &r.last_7_days {
        let z = d.zone_min.iter().map(|m| format!("{m:.0}")).collect::<Vec<_>>().join("/");
        out += &format!(
            "{:<10} {:>4} {:>7.1} {:>6.0} {:>5.0}  {:<24} {:>5}\n",
            d.date,
            d.sessions,
            d.distance_km,
            d.duration_min,
            d.load,
            z,
            short_call(&d.call)
        );
    }
    out += "\nLast 12 weeks\n";
    out += &format!(
        "{:<8} {:<10} {:>4} {:>7} {:>6} {:>6} {:>8} {:>8}\n",
        "week", "starts", "sess", "km", "hours", "load", "km chg", "load chg"
    );
    for w in &r.last_12_weeks {
        out += &format!(
            "{:<8} {:<10} {:>4} {:>7.1} {:>6.1} {:>6.0} {:>8} {:>8}\n",
            w.week,
            w.week_start,
            w.sessions,
            w.distance_km,
            w.duration_h,
            w.load,
            pct(w.distance_change_pct),
            pct(w.load_change_pct)
        );
    }
    for line in part_weeks(&r.last_12_weeks) {
        out += &format!("({line})\n");
    }
    out
}

/// GitHub-flavoured Markdown.
pub fn markdown(r: &Report) -> String {
    let mut out =
        format!("# restday {}: {}\n\n{}\n", r.date, headline(&r.call.call), r.call.explanation);
    if let Some(c) = r.call.hr_ceiling_bpm {
        out += &format!("\nHeart-rate ceiling: **{c:.0} bpm**\n");
    }
    if !r.call.evidence.is_empty() {
        out += "\n## Why\n\n";
        for e in &r.call.evidence {
            out += &format!("- {e}\n");
        }
    }
    if !r.call.not_checked.is_empty() {
        out += "\n## Not checked\n\n";
        for e in &r.call.not_checked {
            out += &format!("- {e}\n");
        }
    }
    out += "\n## Last 7 days\n\n| date | sessions | km | min | load | zones 1-5 (min) | call |\n|---|---:|---:|---:|---:|---|---|\n";
    for d in &r.last_7_days {
        let z = d.zone_min.iter().map(|m| format!("{m:.0}")).collect::<Vec<_>>().join(" / ");
        out += &format!(
            "| {} | {} | {:.1} | {:.0} | {:.0} | {z} | {} |\n",
            d.date, d.sessions, d.distance_km, d.duration_min, d.load, d.call
        );
    }
    out += "\n## Last 12 weeks\n\n| week | starts | sessions | km | hours | load | km change | load change |\n|---|---|---:|---:|---:|---:|---:|---:|\n";
    for w in &r.last_12_weeks {
        out += &format!(
            "| {} | {} | {} | {:.1} | {:.1} | {:.0} | {} | {} |\n",
            w.week,
            w.week_start,
            w.sessions,
            w.distance_km,
            w.duration_h,
            w.load,
            pct(w.distance_change_pct),
            pct(w.load_change_pct)
        );
    }
    for line in part_weeks(&r.last_12_weeks) {
        out += &format!("\n_{line}._\n");
    }
    out
}

/// Pretty-printed JSON, schema in `docs/report.md`.
pub fn json(r: &Report) -> String {
    serde_json::to_string_pretty(r).unwrap_or_default() + "\n"
}

#[cfg(test)]
mod tests {
    use super::{week_label, wrap};

    #[test]
    fn week_labels_of_monday_and_sunday_weeks() {
        // Days since 1970-01-01 (2024-12-29T00:00:00Z is 1,735,430,400 s, day 20,086): Sunday
        // 2024-12-22, Monday 12-23, Sunday 12-29, Monday 12-30. ISO 2025-W01 runs from Monday
        // 2024-12-30; 2024-W52 from Monday 12-23.
        assert_eq!(week_label(20_080), "2024-W52");
        assert_eq!(week_label(20_087), "2025-W01");
        // Sunday-start weeks: 12-29 to 2025-01-04 is six days of 2025-W01; 12-22 to 12-28 six
        // of 2024-W52.
        assert_eq!(week_label(20_086), "2025-W01");
        assert_eq!(week_label(20_079), "2024-W52");
    }

    #[test]
    fn html_draws_the_wellness_charts_when_there_is_wellness() {
        use crate::*;
        let point = |d: &str, rhr: f64| WellnessPoint {
            date: d.into(),
            resting_hr: Some(rhr),
            resting_hr_baseline: Some(50.0),
            ln_rmssd: Some(4.1),
            ln_rmssd_baseline: Some(4.0),
        };
        let r = Report {
            schema_version: SCHEMA_VERSION,
            date: "2024-05-03".into(),
            call: Call {
                call: "active_recovery".into(),
                explanation: "Easy movement only <today>.".into(),
                signs: vec!["hard_session".into()],
                evidence: vec![],
                hr_ceiling_bpm: Some(134.0),
                not_checked: vec![],
            },
            last_7_days: vec![],
            last_12_weeks: vec![],
            fitness_120_days: vec![],
            wellness_120_days: vec![point("2024-05-01", 50.0), point("2024-05-02", 56.0)],
        };
        let page = html(&r);
        assert_eq!(page.matches("<svg").count(), 5);
        assert!(page.contains("Heart-rate ceiling: <strong>134 bpm</strong>"));
        assert!(page.contains("Easy movement only &lt;today&gt;."), "text is escaped");
    }

    #[test]
    fn wraps_at_80_columns_with_an_indent() {
        let text = "word ".repeat(30);
        let out = wrap("  - ", "    ", text.trim());
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 2);
        assert!(lines.iter().all(|l| l.len() <= 80));
        assert!(lines[0].starts_with("  - word") && lines[1].starts_with("    word"));
        assert_eq!(out.split_whitespace().filter(|w| *w == "word").count(), 30);
    }
}
