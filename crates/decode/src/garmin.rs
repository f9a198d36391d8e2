//! Garmin "Export Your Data" daily wellness JSON: `*_sleepData.json`,
//! `UDSFile_*.json` and `*_healthStatusData.json` (all under `DI_CONNECT/`).
//!
//! Each file is a JSON array of per-day objects keyed by `calendarDate` (`YYYY-MM-DD`, the
//! athlete-local date; for sleep, the wake-up date). Every value becomes a [`WellnessRow`] for
//! that date. Times in these files are zone-less ISO strings in GMT (`2024-05-14T15:41:04.0`).
//!
//! What counts as no data: a resting heart rate of 0 (not worn), a negative stress or body
//! battery value, an HRV value of 0 or status `UNKNOWN`. Objects without `calendarDate` are
//! stubs and are skipped.

use crate::{Content, DecodeError, Decoded};
use chrono::{NaiveDate, NaiveDateTime};
use restday_model::{WellnessMetric as M, WellnessRow};
use serde_json::Value;

/// Decodes one daily wellness JSON file.
pub fn decode(bytes: &[u8]) -> Result<Decoded, DecodeError> {
    let root: Value = serde_json::from_slice(bytes)
        .map_err(|e| DecodeError::Json(format!("not valid JSON: {e}")))?;
    let days = match root {
        Value::Array(days) => days,
        // A single day object, as some tools write it.
        obj @ Value::Object(_) => vec![obj],
        _ => return Err(DecodeError::Json("a JSON array of daily entries expected".into())),
    };
    let mut d = Decoded::new(Content::Wellness);
    let mut stubs = 0;
    for day in &days {
        let Some(date) = day.get("calendarDate").and_then(Value::as_str) else {
            stubs += 1;
            continue;
        };
        let Some(n) = parse_date(date) else {
            return Err(DecodeError::Json(format!("calendarDate {date:?} is not YYYY-MM-DD")));
        };
        read_day(day, n, &mut d.wellness);
    }
    if stubs > 0 {
        d.warnings.push(format!("{stubs} entries without calendarDate skipped"));
    }
    if d.wellness.is_empty() {
        d.content = Content::Unsupported("JSON without daily wellness entries".into());
    }
    Ok(d)
}

/// Days since 1970-01-01.
fn parse_date(s: &str) -> Option<i32> {
    let date = NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1)?;
    i32::try_from((date - epoch).num_days()).ok()
}

/// A zone-less GMT time (`2024-05-14T15:41:04.0`), or epoch milliseconds, as UTC ms.
fn gmt_ms(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => {
            let s = s.trim_end_matches('Z');
            let t = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
                .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S"))
                .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S"))
                .ok()?;
            Some(t.and_utc().timestamp_millis())
        }
        _ => None,
    }
}

fn number(v: Option<&Value>) -> Option<f64> {
    match v? {
        Value::Number(n) => n.as_f64(),
        // Some sub-scores are objects: {"value": 80, "qualifierKey": "GOOD"}.
        Value::Object(o) => o.get("value").and_then(Value::as_f64),
        _ => None,
    }
}

fn read_day(day: &Value, n: i32, out: &mut Vec<WellnessRow>) {
    let mut push = |metric, v: Option<f64>| {
        if let Some(v) = v.filter(|v| v.is_finite()) {
            out.push(WellnessRow::on(n, metric, v));
        }
    };
    let get = |k: &str| day.get(k);
    let is_sleep = ["sleepStartTimestampGMT", "sleepEndTimestampGMT", "deepSleepSeconds"]
        .iter()
        .any(|k| day.get(k).is_some());
    if is_sleep {
        push(M::SleepDay, Some(1.0));
        let start = gmt_ms(get("sleepStartTimestampGMT"));
        let end = gmt_ms(get("sleepEndTimestampGMT"));
        push(M::SleepStart, start.map(|t| t as f64));
        push(M::SleepEnd, end.map(|t| t as f64));
        push(M::DeepSleep, number(get("deepSleepSeconds")));
        push(M::LightSleep, number(get("lightSleepSeconds")));
        push(M::RemSleep, number(get("remSleepSeconds")));
        push(M::AwakeSleep, number(get("awakeSleepSeconds")));
        push(M::UnmeasurableSleep, number(get("unmeasurableSeconds")));
        push(M::AwakeCount, number(get("awakeCount")));
        push(M::Respiration, number(get("averageRespiration")).filter(|&r| r > 0.0));
        push(M::SleepStress, number(get("avgSleepStress")).filter(|&s| s >= 0.0));
        if let Some(scores) = get("sleepScores") {
            let score = |keys: &[&str]| keys.iter().find_map(|k| number(scores.get(*k)));
            push(M::SleepScore, score(&["overallScore", "overall"]));
            push(M::SleepQualityScore, score(&["qualityScore", "quality"]));
            push(M::SleepDurationScore, score(&["durationScore", "duration"]));
            push(M::SleepRecoveryScore, score(&["recoveryScore", "recovery"]));
        }
        return;
    }
    if let Some(Value::Array(metrics)) = get("metrics") {
        push(M::HealthStatusDay, Some(1.0));
        for m in metrics {
            if m.get("type").and_then(Value::as_str) != Some("HRV") {
                continue;
            }
            let status = m.get("status").and_then(Value::as_str).unwrap_or("");
            let value = number(m.get("value")).filter(|&v| v > 0.0);
            if status.eq_ignore_ascii_case("UNKNOWN") && value.is_none() {
                continue;
            }
            push(M::HrvRmssd, value);
            push(M::HrvBaselineLow, number(m.get("baselineLowerLimit")).filter(|&v| v > 0.0));
            push(M::HrvBaselineHigh, number(m.get("baselineUpperLimit")).filter(|&v| v > 0.0));
            push(M::HrvStatus, hrv_status_code(status));
        }
        return;
    }
    // A UDS (user daily summary) entry.
    push(M::UdsDay, Some(1.0));
    push(M::RestingHeartRate, number(get("currentDayRestingHeartRate")).filter(|&h| h > 0.0));
    push(M::RestingHeartRate7d, number(get("restingHeartRate")).filter(|&h| h > 0.0));
    if let (Some(utc), Some(local)) =
        (gmt_ms(get("wellnessStartTimeGmt")), gmt_ms(get("wellnessStartTimeLocal")))
    {
        let offset_s = (local - utc) / 1000;
        if offset_s.abs() <= 14 * 3600 {
            push(M::UtcOffset, Some(offset_s as f64));
        }
    }
    let list = |outer: &str, inner: &str| -> Vec<Value> {
        match get(outer).and_then(|o| o.get(inner)) {
            Some(Value::Array(items)) => items.clone(),
            _ => Vec::new(),
        }
    };
    for a in list("allDayStress", "aggregatorList") {
        let metric = match a.get("type").and_then(Value::as_str) {
            Some("TOTAL") => M::StressAverage,
            Some("AWAKE") => M::StressAwake,
            Some("ASLEEP") => M::StressAsleep,
            _ => continue,
        };
        push(metric, number(a.get("averageStressLevel")).filter(|&s| s >= 0.0));
    }
    for b in list("bodyBattery", "bodyBatteryStatList") {
        let metric = match b.get("bodyBatteryStatType").and_then(Value::as_str) {
            Some("HIGHEST") => M::BodyBatteryHigh,
            Some("LOWEST") => M::BodyBatteryLow,
            _ => continue,
        };
        push(metric, number(b.get("statsValue")).filter(|&v| v >= 0.0));
    }
}

/// Garmin's HRV status words as the FIT profile's `hrv_status` numbers.
pub fn hrv_status_code(status: &str) -> Option<f64> {
    Some(match status.to_ascii_uppercase().as_str() {
        "NONE" => 0.0,
        "POOR" => 1.0,
        "LOW" => 2.0,
        "UNBALANCED" => 3.0,
        "BALANCED" => 4.0,
        _ => return None,
    })
}
