//! TCX (Garmin Training Center) activities. One activity per `<Activity>`, one sample per
//! `<Trackpoint>`. Laps give the timer time, distance and heart-rate summary. Courses and
//! workouts are not activities.

use crate::xml::{self, Handler, Stack, attr, parse_f64, parse_i32, recording_time};
use crate::{Content, DecodeError, Decoded};
use quick_xml::events::BytesStart;
use restday_model::{Activity, SampleRow, Samples};

#[derive(Default)]
struct Tcx {
    activities: Vec<Activity>,
    activity: Option<Activity>,
    point: Option<SampleRow>,
    /// Sums over laps: timer seconds, metres, heart-rate x seconds.
    lap_time_s: f64,
    lap_distance_m: f64,
    lap_hr_weighted: f64,
    lap_hr_time_s: f64,
    current_lap_time_s: f64,
    current_lap_avg_hr: Option<f64>,
    naive_times: bool,
    courses: usize,
    workouts: usize,
    /// About as many trackpoints as the file holds: each activity's columns are reserved for
    /// them at once, not grown.
    points: usize,
}

impl Tcx {
    fn finish_activity(&mut self) {
        let Some(mut a) = self.activity.take() else { return };
        if self.lap_time_s > 0.0 {
            a.timer_s = Some(self.lap_time_s);
        }
        if self.lap_distance_m > 0.0 {
            a.distance_m = Some(self.lap_distance_m);
        }
        if self.lap_hr_time_s > 0.0 {
            a.avg_hr = Some((self.lap_hr_weighted / self.lap_hr_time_s).round() as i32);
        }
        if a.start_ms == 0 {
            a.start_ms = a.samples.time_span().map_or(0, |(s, _)| s);
        }
        if a.start_ms != 0 || !a.samples.is_empty() {
            a.leg = self.activities.len() as u32;
            self.activities.push(a);
        }
    }
}

impl Handler for Tcx {
    fn start(&mut self, stack: &Stack, e: &BytesStart) {
        match stack.get(0) {
            b"Activity" if stack.get(1) != b"Activity" => {
                self.finish_activity();
                let sport = attr(e, b"Sport")
                    .map(|s| String::from_utf8_lossy(&s).to_ascii_lowercase())
                    .filter(|s| !s.is_empty());
                let samples = Samples::with_capacity(self.points);
                self.activity = Some(Activity { sport, samples, ..Activity::default() });
                self.lap_time_s = 0.0;
                self.lap_distance_m = 0.0;
                self.lap_hr_weighted = 0.0;
                self.lap_hr_time_s = 0.0;
            }
            b"Lap" if self.activity.is_some() => {
                self.current_lap_time_s = 0.0;
                self.current_lap_avg_hr = None;
                if let (Some(a), Some((t, zoned))) =
                    (self.activity.as_mut(), attr(e, b"StartTime").and_then(|v| recording_time(&v)))
                {
                    if a.start_ms == 0 || t < a.start_ms {
                        a.start_ms = t;
                    }
                    self.naive_times |= !zoned;
                }
            }
            b"Trackpoint" if self.activity.is_some() => self.point = Some(SampleRow::default()),
            b"Course" => self.courses += 1,
            b"Workout" => self.workouts += 1,
            _ => {}
        }
    }

    fn text(&mut self, stack: &Stack, text: &[u8]) {
        let (here, parent) = (stack.get(0), stack.get(1));
        if let Some(p) = self.point.as_mut() {
            match (here, parent) {
                (b"Time", _) => {
                    if let Some((t, zoned)) = recording_time(text) {
                        p.time_ms = Some(t);
                        self.naive_times |= !zoned;
                    }
                }
                (b"LatitudeDegrees", _) => p.latitude = parse_f64(text).filter(|l| l.abs() <= 90.0),
                (b"LongitudeDegrees", _) => {
                    p.longitude = parse_f64(text).filter(|l| l.abs() <= 180.0)
                }
                (b"AltitudeMeters", _) => p.altitude_m = parse_f64(text),
                (b"DistanceMeters", b"Trackpoint") => p.distance_m = parse_f64(text),
                (b"Value", b"HeartRateBpm") => {
                    p.heart_rate = parse_i32(text).filter(|h| (1..=300).contains(h))
                }
                (b"Cadence", b"Trackpoint") | (b"RunCadence", _) => p.cadence = parse_i32(text),
                (b"Speed", _) => p.speed_m_s = parse_f64(text),
                (b"Watts", _) => p.power = parse_i32(text),
                _ => {}
            }
            return;
        }
        let Some(a) = self.activity.as_mut() else { return };
        match (here, parent) {
            (b"Id", b"Activity") => {
                if let Some((t, zoned)) = recording_time(text) {
                    a.start_ms = t;
                    self.naive_times |= !zoned;
                }
            }
            (b"TotalTimeSeconds", b"Lap") => {
                let t = parse_f64(text).unwrap_or(0.0).max(0.0);
                self.current_lap_time_s = t;
                self.lap_time_s += t;
            }
            (b"DistanceMeters", b"Lap") => self.lap_distance_m += parse_f64(text).unwrap_or(0.0),
            (b"Value", b"MaximumHeartRateBpm") => {
                if let Some(h) = parse_i32(text) {
                    a.max_hr = Some(a.max_hr.map_or(h, |m| m.max(h)));
                }
            }
            (b"Value", b"AverageHeartRateBpm") => self.current_lap_avg_hr = parse_f64(text),
            (b"Name", b"Creator") => {
                a.device = Some(String::from_utf8_lossy(text).trim().to_string())
            }
            _ => {}
        }
    }

    fn end(&mut self, stack: &Stack) {
        match stack.get(0) {
            b"Trackpoint" => {
                if let (Some(p), Some(a)) = (self.point.take(), self.activity.as_mut()) {
                    a.samples.push(p);
                }
            }
            b"Lap" => {
                if let Some(hr) = self.current_lap_avg_hr.take() {
                    self.lap_hr_weighted += hr * self.current_lap_time_s;
                    self.lap_hr_time_s += self.current_lap_time_s;
                }
            }
            b"Activity" if stack.get(1) != b"Activity" => self.finish_activity(),
            _ => {}
        }
    }

    fn has_data(&self) -> bool {
        !self.activities.is_empty() || self.activity.as_ref().is_some_and(|a| !a.samples.is_empty())
    }
}

/// Decodes a TCX document.
pub fn decode(bytes: &[u8]) -> Result<Decoded, DecodeError> {
    // A trackpoint's start and end tags both end so, whatever their namespace prefix.
    let points = memchr::memmem::find_iter(bytes, b"Trackpoint>").count() / 2;
    let mut tcx = Tcx { points, ..Tcx::default() };
    let partial = xml::drive(bytes, "TrainingCenterDatabase", &mut tcx)?;
    if partial.is_some() {
        tcx.point = None;
        tcx.finish_activity();
    }
    let mut d = Decoded::new(Content::Activity);
    d.partial = partial;
    if tcx.naive_times {
        d.warnings.push(xml::NAIVE_TIME_WARNING.to_string());
    }
    d.activities = tcx.activities;
    if d.activities.is_empty() {
        let what = match (tcx.courses, tcx.workouts) {
            (c, _) if c > 0 => "a TCX course",
            (_, w) if w > 0 => "a TCX workout",
            _ => "a TCX file without activities",
        };
        d.content = Content::Unsupported(format!("{what}: not a recorded activity"));
    }
    Ok(d)
}
