//! FIT decoding through `fitparser`'s streaming processor.
//!
//! `fitparser::from_bytes` is all-or-nothing, so this module drives [`FitStreamProcessor`] itself:
//! it keeps every message decoded before an error and reports the error as a partial decode.
//! Before handing bytes to fitparser it checks each header (fitparser panics on a header that
//! declares more bytes than the file has), and it checks CRCs itself, as warnings: a bad CRC
//! loses nothing.
//!
//! fitparser returns times as `DateTime<Local>` in the zone of the machine that parses. Every
//! time here is taken as a UTC instant (`timestamp_millis`), and the activity's own UTC offset
//! comes from the FIT `activity` message's `local_timestamp`, never from the machine.

use crate::{Content, DecodeError, Decoded};
use chrono::{DateTime, Local, NaiveDate, Offset, TimeZone};
use fitparser::de::{DecodeOption, FitObject, FitStreamProcessor};
use fitparser::profile::MesgNum;
use fitparser::{FitDataRecord, Value};
use restday_model::{Activity, SampleRow, Samples, WellnessMetric, WellnessRow};

/// Seconds from the Unix epoch to the FIT epoch, 1989-12-31T00:00:00Z.
const FIT_EPOCH_S: i64 = 631_065_600;

/// One FIT segment's header, as read from the bytes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Header {
    pub header_size: usize,
    pub data_size: usize,
}

/// Reads and checks a FIT file header at the start of `bytes`.
pub fn read_header(bytes: &[u8]) -> Result<Header, String> {
    if bytes.len() < 12 {
        return Err(format!("{} bytes is too short for a FIT header", bytes.len()));
    }
    let header_size = usize::from(bytes[0]);
    if header_size != 12 && header_size != 14 {
        return Err(format!("header size {header_size} (a FIT header is 12 or 14 bytes)"));
    }
    if &bytes[8..12] != b".FIT" {
        return Err("no \".FIT\" signature in the header".to_string());
    }
    if bytes.len() < header_size {
        return Err("file ends inside the header".to_string());
    }
    let data_size = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]) as usize;
    Ok(Header { header_size, data_size })
}

/// The FIT CRC-16 (the profile's nibble-table algorithm).
pub fn crc16(bytes: &[u8]) -> u16 {
    // The FIT SDK's CRC is CRC-16/ARC. `crc-fast` folds it with carry-less multiplication
    // where the CPU has it (a table otherwise): the SDK's nibble loop was half of the decode
    // time, and a slice-by-16 table still a tenth.
    crc_fast::checksum(crc_fast::CrcAlgorithm::Crc16Arc, bytes) as u16
}

/// Walks the chained segments of a file: returns how many bytes fitparser may safely be given
/// (whole segments, plus a truncated last one) and warnings about CRCs and trailing bytes.
pub(crate) fn check_segments(bytes: &[u8]) -> Result<(usize, Vec<String>), DecodeError> {
    let mut warnings = Vec::new();
    let mut pos = 0;
    let mut segment = 0;
    while pos < bytes.len() {
        let rest = &bytes[pos..];
        let header = match read_header(rest) {
            Ok(h) => h,
            Err(reason) if segment == 0 => return Err(DecodeError::NotFit(reason)),
            Err(_) if rest.iter().all(|&b| b == 0) => {
                warnings.push(format!("{} bytes of zero padding after the data", rest.len()));
                return Ok((pos, warnings));
            }
            Err(reason) => {
                warnings.push(format!(
                    "ignored {} trailing bytes at {pos} that are not a FIT segment ({reason})",
                    rest.len()
                ));
                return Ok((pos, warnings));
            }
        };
        if header.header_size == 14 {
            let stored = u16::from_le_bytes([rest[12], rest[13]]);
            if stored != 0 && stored != crc16(&rest[..12]) {
                warnings.push(format!("segment {segment}: header CRC mismatch"));
            }
        }
        let end = header.header_size + header.data_size;
        if rest.len() < end + 2 {
            // Truncated: fitparser gets it all and the decode loop reports where it stopped.
            return Ok((bytes.len(), warnings));
        }
        let stored = u16::from_le_bytes([rest[end], rest[end + 1]]);
        let computed = crc16(&rest[..end]);
        if stored != computed {
            warnings.push(format!(
                "segment {segment}: file CRC mismatch (stored {stored:#06x}, computed {computed:#06x}); decoded anyway"
            ));
        }
        pos += end + 2;
        segment += 1;
    }
    Ok((pos, warnings))
}

/// Expands a record's `compressed_speed_distance` (three bytes, little-endian): speed in bits
/// 0-11 (1/100 m/s), and a 12-bit distance counter in bits 12-23 (1/16 m) that rolls over, so
/// the distance accumulates the counter's differences in `state` (last counter, total).
/// Returns (speed m/s, distance m).
pub(crate) fn expand_compressed_speed_distance(
    raw: u32,
    state: &mut Option<(u32, u64)>,
) -> (f64, f64) {
    let counter = (raw >> 12) & 0xFFF;
    let total = match *state {
        None => u64::from(counter),
        Some((last, total)) => total + u64::from(counter.wrapping_sub(last) & 0xFFF),
    };
    *state = Some((counter, total));
    (f64::from(raw & 0xFFF) / 100.0, total as f64 / 16.0)
}

/// FIT `file_id.type` numbers restday uses.
mod file_type {
    pub const ACTIVITY: i64 = 4;
    pub const MONITORING_A: i64 = 15;
    pub const MONITORING_DAILY: i64 = 28;
    pub const MONITORING_B: i64 = 32;
    pub const SLEEP: i64 = 49;
    pub const HRV_STATUS: i64 = 68;
}

fn file_type_number(v: &Value) -> Option<i64> {
    match v {
        Value::String(s) => Some(match s.as_str() {
            "device" => 1,
            "settings" => 2,
            "sport" => 3,
            "activity" => 4,
            "workout" => 5,
            "course" => 6,
            "schedules" => 7,
            "weight" => 9,
            "totals" => 10,
            "goals" => 11,
            "blood_pressure" => 14,
            "monitoring_a" => 15,
            "activity_summary" => 20,
            "monitoring_daily" => 28,
            "monitoring_b" => 32,
            "segment" => 34,
            "segment_list" => 35,
            other => other.strip_prefix("unknown_variant_")?.parse().ok()?,
        }),
        other => num(other).map(|n| n as i64),
    }
}

/// A number from any numeric value; the first valid element of an array.
fn num(v: &Value) -> Option<f64> {
    Some(match v {
        Value::Byte(x) | Value::Enum(x) | Value::UInt8(x) | Value::UInt8z(x) => f64::from(*x),
        Value::SInt8(x) => f64::from(*x),
        Value::SInt16(x) => f64::from(*x),
        Value::UInt16(x) | Value::UInt16z(x) => f64::from(*x),
        Value::SInt32(x) => f64::from(*x),
        Value::UInt32(x) | Value::UInt32z(x) => f64::from(*x),
        Value::SInt64(x) => *x as f64,
        Value::UInt64(x) | Value::UInt64z(x) => *x as f64,
        Value::Float32(x) => f64::from(*x),
        Value::Float64(x) => *x,
        Value::Array(items) => return items.iter().find_map(num),
        Value::Timestamp(_) | Value::String(_) | Value::Invalid => return None,
    })
    .filter(|x| x.is_finite())
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim_end_matches('\0').to_string()).filter(|s| !s.is_empty()),
        Value::Timestamp(_) | Value::Invalid | Value::Array(_) => None,
        other => num(other).map(|n| format!("{n}")),
    }
}

fn time_ms(v: &Value) -> Option<i64> {
    match v {
        Value::Timestamp(t) => Some(t.timestamp_millis()),
        _ => None,
    }
}

/// The raw seconds-since-FIT-epoch of a `local_date_time` value, undoing fitparser's
/// interpretation of it in the parsing machine's zone.
fn local_fit_seconds(t: &DateTime<Local>) -> Option<i64> {
    let epoch = NaiveDate::from_ymd_opt(1989, 12, 31)?.and_hms_opt(0, 0, 0)?;
    let machine_offset = Local.offset_from_local_datetime(&epoch).single()?.fix();
    Some(t.timestamp() - FIT_EPOCH_S + i64::from(machine_offset.local_minus_utc()))
}

/// The UTC offset a message's `local_timestamp` and `timestamp` give, in seconds.
fn utc_offset(f: &Fields) -> Option<i32> {
    let utc = f.get("timestamp").and_then(|v| match v {
        Value::Timestamp(t) => Some(t.timestamp() - FIT_EPOCH_S),
        _ => None,
    })?;
    let local = f.get("local_timestamp").and_then(|v| match v {
        Value::Timestamp(t) => local_fit_seconds(t),
        _ => None,
    })?;
    let offset = local - utc;
    // Real offsets lie within +-14 h; anything else is a device without a clock.
    (offset.abs() <= 14 * 3600).then_some(offset as i32)
}

/// Field access by profile name.
struct Fields<'a>(&'a FitDataRecord);

impl<'a> Fields<'a> {
    fn get(&self, name: &str) -> Option<&'a Value> {
        self.0.fields().iter().find(|f| f.name() == name).map(|f| f.value())
    }
    fn num(&self, name: &str) -> Option<f64> {
        self.get(name).and_then(num)
    }
    fn int(&self, name: &str) -> Option<i32> {
        self.num(name).map(|x| x.round() as i32)
    }
    fn text(&self, name: &str) -> Option<String> {
        self.get(name).and_then(text)
    }
    fn time(&self, name: &str) -> Option<i64> {
        self.get(name).and_then(time_ms)
    }
}

const SEMICIRCLE_TO_DEG: f64 = 180.0 / 2_147_483_648.0;

fn record_row(f: &Fields) -> SampleRow {
    let deg = |name| f.num(name).map(|s| s * SEMICIRCLE_TO_DEG).filter(|d| d.abs() <= 180.0);
    SampleRow {
        time_ms: f.time("timestamp"),
        heart_rate: f.int("heart_rate"),
        distance_m: f.num("distance"),
        speed_m_s: f.num("enhanced_speed").or_else(|| f.num("speed")),
        altitude_m: f.num("enhanced_altitude").or_else(|| f.num("altitude")),
        latitude: deg("position_lat"),
        longitude: deg("position_long"),
        cadence: f.int("cadence"),
        power: f.int("power"),
        temperature_c: f.num("temperature"),
    }
}

/// One `session` message's summary.
#[derive(Debug, Default)]
struct Session {
    activity: Activity,
    start_ms: Option<i64>,
}

fn session(f: &Fields) -> Session {
    Session {
        start_ms: f.time("start_time"),
        activity: Activity {
            sport: f.text("sport"),
            sub_sport: f.text("sub_sport"),
            elapsed_s: f.num("total_elapsed_time"),
            timer_s: f.num("total_timer_time"),
            distance_m: f.num("total_distance"),
            ascent_m: f.num("total_ascent"),
            avg_hr: f.int("avg_heart_rate"),
            max_hr: f.int("max_heart_rate"),
            ..Activity::default()
        },
    }
}

/// Everything collected while streaming a file, before it is split into activities.
#[derive(Default)]
pub(crate) struct Collected {
    file_type: Option<i64>,
    device: Option<String>,
    pub(crate) samples: Samples,
    sessions: Vec<Session>,
    utc_offset_s: Option<i32>,
    wellness: Vec<WellnessRow>,
    /// The last full timestamp seen, in ms, for messages that carry none or a 16-bit one.
    pub(crate) last_time_ms: Option<i64>,
    /// Open sleep stage: its start and level, closed by the next one.
    sleep_open: Option<(i64, f64)>,
    pub(crate) messages: usize,
    /// The 12-bit distance counter of `compressed_speed_distance`: its last value and the
    /// running total in 1/16 m.
    pub(crate) compressed_distance: Option<(u32, u64)>,
}

impl Collected {
    pub(crate) fn take(&mut self, rec: &FitDataRecord) {
        self.messages += 1;
        let f = Fields(rec);
        if let Some(t) = f.time("timestamp") {
            self.last_time_ms = Some(t);
        }
        let push = |rows: &mut Vec<WellnessRow>, t: Option<i64>, metric, value: Option<f64>| {
            if let (Some(t), Some(v)) = (t, value) {
                rows.push(WellnessRow::at(t, metric, v));
            }
        };
        match rec.kind() {
            // A chained file repeats file_id; the first one names the file.
            MesgNum::FileId if self.file_type.is_none() => {
                self.file_type = f.get("type").and_then(file_type_number);
                let maker = f.text("manufacturer");
                let product = f
                    .text("garmin_product")
                    .or_else(|| f.text("product_name"))
                    .or_else(|| f.text("product"));
                self.device = match (maker, product) {
                    (Some(m), Some(p)) => Some(format!("{m} {p}")),
                    (m, p) => m.or(p),
                };
            }
            MesgNum::Record => {
                let mut row = record_row(&f);
                if let Some(Value::Array(parts)) = f.get("compressed_speed_distance") {
                    // fitparser expands this field by adding up the raw 12-bit counters, which
                    // overshoots (93.7 km for a 10.2 km run); the FIT profile accumulates the
                    // counter's differences, rolling over at 4096.
                    let b: Vec<u32> = parts.iter().filter_map(num).map(|x| x as u32).collect();
                    if b.len() == 3 {
                        let raw = b[0] | b[1] << 8 | b[2] << 16;
                        let (speed, distance) =
                            expand_compressed_speed_distance(raw, &mut self.compressed_distance);
                        row.speed_m_s = Some(speed);
                        row.distance_m = Some(distance);
                    }
                }
                self.samples.push(row);
            }
            MesgNum::Session => self.sessions.push(session(&f)),
            MesgNum::Activity => {
                if let Some(offset) = utc_offset(&f) {
                    self.utc_offset_s = Some(offset);
                }
            }
            // A monitoring file's local time: its UTC offset, for the days its readings fall on.
            MesgNum::MonitoringInfo => {
                let offset = utc_offset(&f).map(f64::from);
                push(&mut self.wellness, f.time("timestamp"), WellnessMetric::UtcOffset, offset);
            }
            MesgNum::Hrv => {
                let t = self.last_time_ms;
                if let Some(Value::Array(items)) = f.get("time") {
                    for v in items.iter().filter_map(num) {
                        push(&mut self.wellness, t, WellnessMetric::RrInterval, Some(v * 1000.0));
                    }
                } else {
                    let v = f.num("time").map(|s| s * 1000.0);
                    push(&mut self.wellness, t, WellnessMetric::RrInterval, v);
                }
            }
            MesgNum::Monitoring => {
                let t = f.time("timestamp").or_else(|| {
                    // timestamp_16 holds the low 16 bits of the FIT time; expand it against
                    // the last full timestamp.
                    let t16 = f.num("timestamp_16")? as i64;
                    let last = (self.last_time_ms? / 1000) - FIT_EPOCH_S;
                    let ts = last + ((t16 - (last & 0xFFFF)) & 0xFFFF);
                    Some((ts + FIT_EPOCH_S) * 1000)
                });
                let hr = f.num("heart_rate").filter(|&h| h > 0.0);
                push(&mut self.wellness, t, WellnessMetric::HeartRate, hr);
            }
            MesgNum::MonitoringHrData => {
                // Field 1 is the day's own resting heart rate, field 0 a 7-day value.
                let t = f.time("timestamp");
                let day = f.num("current_day_resting_heart_rate").filter(|&h| h > 0.0);
                let week = f.num("resting_heart_rate").filter(|&h| h > 0.0);
                push(&mut self.wellness, t, WellnessMetric::RestingHeartRate, day);
                push(&mut self.wellness, t, WellnessMetric::RestingHeartRate7d, week);
            }
            MesgNum::StressLevel => {
                // Negative stress values mean no reading (off wrist, moving). Field 3 is not in
                // the profile; in practice it is body battery.
                let t = f.time("stress_level_time").or(self.last_time_ms);
                let percent = |v: Option<f64>| v.filter(|s| (0.0..=100.0).contains(s));
                let v = percent(f.num("stress_level_value"));
                push(&mut self.wellness, t, WellnessMetric::Stress, v);
                let battery = percent(f.num("unknown_field_3"));
                push(&mut self.wellness, t, WellnessMetric::BodyBattery, battery);
            }
            MesgNum::SleepAssessment => {
                let t = f.time("timestamp").or(self.last_time_ms);
                let score = f.num("overall_sleep_score").filter(|s| (0.0..=100.0).contains(s));
                push(&mut self.wellness, t, WellnessMetric::SleepScore, score);
            }
            MesgNum::HrvValue => {
                let t = f.time("timestamp").or(self.last_time_ms);
                push(&mut self.wellness, t, WellnessMetric::Hrv5Min, f.num("value"));
            }
            MesgNum::SleepLevel => {
                let level = f.get("sleep_level").and_then(|v| match v {
                    Value::String(s) => match s.as_str() {
                        "unmeasurable" => Some(0.0),
                        "awake" => Some(1.0),
                        "light" => Some(2.0),
                        "deep" => Some(3.0),
                        "rem" => Some(4.0),
                        _ => None,
                    },
                    other => num(other),
                });
                if let (Some(t), Some(level)) = (f.time("timestamp"), level) {
                    self.close_sleep(t);
                    self.sleep_open = Some((t, level));
                }
            }
            MesgNum::HrvStatusSummary => {
                // Fields 0-5 are u16 in 1/128 ms; the profile's scale gives milliseconds.
                use WellnessMetric as M;
                let t = f.time("timestamp").or(self.last_time_ms);
                let ms = |name| f.num(name).filter(|&v| v > 0.0);
                push(&mut self.wellness, t, M::HrvRmssd, ms("last_night_average"));
                push(&mut self.wellness, t, M::HrvWeekly, ms("weekly_average"));
                push(&mut self.wellness, t, M::HrvBaselineLow, ms("baseline_balanced_lower"));
                push(&mut self.wellness, t, M::HrvBaselineHigh, ms("baseline_balanced_upper"));
                let status = match f.get("status") {
                    Some(Value::String(s)) => crate::garmin::hrv_status_code(s),
                    Some(other) => num(other),
                    None => None,
                };
                push(&mut self.wellness, t, M::HrvStatus, status);
            }
            _ => {}
        }
    }

    /// One R-R interval, in ms, at the last timestamp seen.
    pub(crate) fn push_rr(&mut self, t: Option<i64>, ms: f64) {
        if let Some(t) = t {
            self.wellness.push(WellnessRow::at(t, WellnessMetric::RrInterval, ms));
        }
    }

    /// A monitoring heart rate at `t`.
    pub(crate) fn push_monitoring_hr(&mut self, t: i64, bpm: f64) {
        self.wellness.push(WellnessRow::at(t, WellnessMetric::HeartRate, bpm));
    }

    fn close_sleep(&mut self, end_ms: i64) {
        if let Some((start, level)) = self.sleep_open.take() {
            self.wellness.push(WellnessRow {
                end_ms: Some(end_ms),
                ..WellnessRow::at(start, WellnessMetric::SleepLevel, level)
            });
        }
    }

    /// The decode's result: an error when not one data message was read, else `decoded` with
    /// what was collected.
    pub(crate) fn conclude(self, mut decoded: Decoded) -> Result<Decoded, DecodeError> {
        if self.messages == 0 {
            return Err(DecodeError::Fit {
                offset: 0,
                message: decoded.partial.unwrap_or_else(|| "no data messages".to_string()),
            });
        }
        self.finish(&mut decoded);
        Ok(decoded)
    }

    fn finish(mut self, decoded: &mut Decoded) {
        if let Some(end) = self.last_time_ms {
            self.close_sleep(end);
        }
        let file_type = self.file_type;
        decoded.content = match file_type {
            Some(file_type::ACTIVITY) => Content::Activity,
            Some(
                file_type::MONITORING_A
                | file_type::MONITORING_DAILY
                | file_type::MONITORING_B
                | file_type::SLEEP
                | file_type::HRV_STATUS,
            ) => Content::Wellness,
            // A file without file_id that still has records is treated as an activity.
            None if !self.samples.is_empty() => Content::Activity,
            Some(n) => Content::Unsupported(format!(
                "FIT file type {n} carries no activity or wellness data"
            )),
            None => Content::Unsupported("FIT file without file_id or records".to_string()),
        };
        // FIT times below 0x10000000 are seconds since the device powered on, not dates.
        let first = self.samples.time_ms.iter().flatten().next();
        if first.is_some_and(|t| t < (FIT_EPOCH_S + 0x1000_0000) * 1000) {
            decoded.warnings.push(
                "timestamps are relative to device power-on (no real date); stored as given"
                    .to_string(),
            );
        }
        decoded.wellness = std::mem::take(&mut self.wellness);
        if decoded.content == Content::Activity {
            decoded.activities = self.split_sessions();
            if decoded.activities.is_empty() {
                decoded.content = Content::Unsupported(
                    "FIT activity file without records or sessions".to_string(),
                );
            }
        }
    }

    /// One activity per session (one per leg of a multisport file). Records go to the session
    /// whose time window holds them: windows run from one session's start to the next's, the
    /// first open to the left, the last to the right, so no record is dropped. A record without
    /// a timestamp goes with the last timestamp before it.
    fn split_sessions(self) -> Vec<Activity> {
        let Collected { samples, mut sessions, device, utc_offset_s, .. } = self;
        if sessions.is_empty() {
            if samples.is_empty() {
                return Vec::new();
            }
            sessions.push(Session::default());
        }
        sessions.sort_by_key(|s| s.start_ms.unwrap_or(i64::MIN));
        if let [only] = &mut sessions[..] {
            // One session (most files): every record is its own, in order; no copy.
            let s = std::mem::take(only);
            return vec![Activity {
                leg: 0,
                device,
                start_ms: s.start_ms.unwrap_or(0),
                utc_offset_s,
                samples,
                ..s.activity
            }];
        }
        let starts: Vec<i64> = sessions.iter().map(|s| s.start_ms.unwrap_or(i64::MIN)).collect();
        let mut parts: Vec<Samples> = vec![Samples::default(); sessions.len()];
        let mut last_t = i64::MIN;
        // Records come in runs of one session (in time order, all of them): each run is
        // copied as slices of the columns.
        let mut run: Option<(usize, usize)> = None;
        for i in 0..samples.len() {
            if let Some(t) = samples.time_ms.get(i) {
                last_t = t;
            }
            let idx = starts.partition_point(|&s| s <= last_t).saturating_sub(1);
            match run {
                Some((from, of)) if of != idx => {
                    parts[of].extend_from(&samples, from..i);
                    run = Some((i, idx));
                }
                None => run = Some((i, idx)),
                Some(_) => {}
            }
        }
        if let Some((from, of)) = run {
            parts[of].extend_from(&samples, from..samples.len());
        }
        sessions
            .into_iter()
            .zip(parts)
            .enumerate()
            .map(|(leg, (s, part))| Activity {
                leg: leg as u32,
                device: device.clone(),
                start_ms: s.start_ms.unwrap_or(0),
                utc_offset_s,
                samples: part,
                ..s.activity
            })
            .collect()
    }
}

/// Every message of a FIT file in words, one line each: its profile name, then each field as
/// `name=value units`, as fitparser reads them (for `restday inspect`, to look at an odd
/// device's file). Stops where decoding stops and says so on the last line.
pub fn inspect(bytes: &[u8]) -> Result<Vec<String>, DecodeError> {
    let (usable, warnings) = check_segments(bytes)?;
    let mut lines: Vec<String> = warnings.into_iter().map(|w| format!("# {w}")).collect();
    let mut processor = FitStreamProcessor::new();
    processor.add_option(DecodeOption::SkipHeaderCrcValidation);
    processor.add_option(DecodeOption::SkipDataCrcValidation);
    let mut input = &bytes[..usable];
    while !input.is_empty() {
        let offset = usable - input.len();
        // fitparser panics on some malformed input (see `decode`); here it ends the listing.
        let step = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            processor.deserialize_next(input)
        }));
        let (rest, obj) = match step {
            Ok(Ok(x)) => x,
            Ok(Err(e)) => {
                lines.push(format!("# stopped at byte {offset}: {e}"));
                break;
            }
            Err(_) => {
                lines.push(format!("# stopped at byte {offset}: the decoder failed here"));
                break;
            }
        };
        if rest.len() >= input.len() {
            break;
        }
        input = rest;
        match obj {
            FitObject::Header(h) => lines.push(format!("# header at byte {offset}: {h:?}")),
            FitObject::Crc(c) => {
                processor.reset();
                lines.push(format!("# crc {c:#06x}"));
            }
            FitObject::DefinitionMessage(_) => {}
            FitObject::DataMessage(msg) => match processor.decode_message(msg) {
                Ok(rec) => {
                    let mut line = rec.kind().to_string();
                    for f in rec.fields() {
                        line += &format!(" {}={}", f.name(), f.value());
                        if !f.units().is_empty() {
                            line += &format!(" {}", f.units());
                        }
                    }
                    lines.push(line);
                }
                Err(e) => {
                    lines.push(format!("# stopped at byte {offset}: {e}"));
                    break;
                }
            },
        }
    }
    Ok(lines)
}

/// Decodes a FIT file: activity files give activities with samples, monitoring / sleep / HRV
/// files give wellness rows, other file types are reported as unsupported.
///
/// The import's decoder: [`crate::fast::decode`], which reads `record` messages straight into
/// columns and hands only the other messages to fitparser's profile.
pub fn decode(bytes: &[u8]) -> Result<Decoded, DecodeError> {
    crate::fast::decode(bytes)
}

/// [`decode`] entirely through fitparser's `FitStreamProcessor`: slower, and the oracle the
/// fast decoder is tested against (`tests/decode_values.rs`).
pub fn decode_with_fitparser(bytes: &[u8]) -> Result<Decoded, DecodeError> {
    let (usable, warnings) = check_segments(bytes)?;
    let mut decoded = Decoded::new(Content::Activity);
    decoded.warnings = warnings;
    let mut processor = FitStreamProcessor::new();
    processor.add_option(DecodeOption::SkipHeaderCrcValidation);
    processor.add_option(DecodeOption::SkipDataCrcValidation);
    // Keep composite fields as they are in the file, so compressed_speed_distance can be
    // expanded correctly here (see the record handling).
    processor.add_option(DecodeOption::KeepCompositeFields);
    let mut collected = Collected::default();
    let mut input = &bytes[..usable];
    // Where the current segment's data ends. fitparser reads a header wherever it finds itself
    // past that point and panics on a short one (found by the fuzzer), so every place it will
    // read a header is checked first: after a CRC, and after a message that ran past the end.
    let mut segment_end = read_header(bytes).map_or(0, |h| h.header_size + h.data_size);
    let mut expect_header = false;
    // Local message numbers whose definition carries developer fields: fitparser fails on such
    // a message with a bare "Fail" when no field_description came first, so say what it means.
    let mut developer_locals = std::collections::HashSet::new();
    while !input.is_empty() {
        let offset = usable - input.len();
        if expect_header || offset > segment_end {
            match read_header(input) {
                Ok(h) => segment_end = offset + h.header_size + h.data_size,
                Err(_) if expect_header => {
                    if input.iter().any(|&b| b != 0) {
                        decoded.warnings.push(format!(
                            "ignored {} bytes at {offset} after the last segment: not a FIT header",
                            input.len()
                        ));
                    }
                    break;
                }
                Err(_) => {
                    decoded.partial = Some(format!(
                        "stopped at byte {offset}: a message runs past the end of the data section"
                    ));
                    break;
                }
            }
            expect_header = false;
        }
        let (rest, obj) = match processor.deserialize_next(input) {
            Ok(x) => x,
            Err(e) => {
                let header = input[0];
                let local = if header & 0x80 != 0 { (header >> 5) & 0x03 } else { header & 0x0F };
                let data = header & 0x80 != 0 || header & 0x40 == 0;
                let why = if data
                    && developer_locals.contains(&local)
                    && e.to_string().contains("Fail")
                {
                    "a message uses a developer field whose field_description never came (a fault \
                     of the app that wrote the file)"
                        .to_string()
                } else {
                    e.to_string()
                };
                decoded.partial = Some(format!("stopped at byte {offset}: {why}"));
                break;
            }
        };
        if rest.len() >= input.len() {
            decoded.partial = Some(format!("decoder made no progress at byte {offset}"));
            break;
        }
        input = rest;
        match obj {
            FitObject::Crc(_) => {
                processor.reset();
                // Accumulated fields start again in each chained segment, as in fitparser.
                collected.compressed_distance = None;
                expect_header = true;
            }
            FitObject::DataMessage(msg) => match processor.decode_message(msg) {
                Ok(rec) => collected.take(&rec),
                Err(e) => {
                    decoded.partial = Some(format!("stopped at byte {offset}: {e}"));
                    break;
                }
            },
            FitObject::DefinitionMessage(def) => {
                if def.developer_field_definitions().is_empty() {
                    developer_locals.remove(&def.local_message_number());
                } else {
                    developer_locals.insert(def.local_message_number());
                }
            }
            FitObject::Header(_) => {}
        }
    }
    collected.conclude(decoded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_go_to_the_session_whose_window_holds_them() {
        // Sessions start at 10 s and 20 s. Records at 5, 12, (none), 25, 18, 30 s: windows are
        // [-inf, 20) and [20, inf); the timeless record goes with the time before it (12 s),
        // and the late 18 s record back to the first session.
        let mut c = Collected::default();
        for t in [Some(5), Some(12), None, Some(25), Some(18), Some(30)] {
            c.samples.push(SampleRow { time_ms: t.map(|s| s * 1000), ..SampleRow::default() });
        }
        for start in [20_000, 10_000] {
            c.sessions.push(Session { activity: Activity::default(), start_ms: Some(start) });
        }
        let legs = c.split_sessions();
        let times = |i: usize| legs[i].samples.time_ms.iter().collect::<Vec<_>>();
        assert_eq!(times(0), [Some(5_000), Some(12_000), None, Some(18_000)]);
        assert_eq!(times(1), [Some(25_000), Some(30_000)]);
        assert_eq!((legs[0].start_ms, legs[1].start_ms), (10_000, 20_000));
    }

    #[test]
    fn crc_of_known_bytes() {
        // The FIT SDK's CRC is CRC-16/ARC; its standard check value for "123456789" is 0xBB3D.
        assert_eq!(crc16(b"123456789"), 0xBB3D);
    }

    #[test]
    fn header_checks() {
        let mut h = vec![14u8, 0x10, 0, 0, 100, 0, 0, 0, b'.', b'F', b'I', b'T', 0, 0];
        assert_eq!(read_header(&h).unwrap(), Header { header_size: 14, data_size: 100 });
        h[0] = 200;
        assert!(read_header(&h).unwrap_err().contains("header size 200"));
        h[0] = 14;
        h[9] = b'X';
        assert!(read_header(&h).unwrap_err().contains("signature"));
        assert!(read_header(&h[..5]).unwrap_err().contains("too short"));
    }

    #[test]
    fn garbage_is_not_fit() {
        let err = decode(b"this is not a fit file at all").unwrap_err();
        assert!(matches!(err, DecodeError::NotFit(_)), "{err}");
    }
}
