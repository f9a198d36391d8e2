//! Decodes one watch file (FIT, GPX, TCX, or Garmin's daily wellness JSON) into restday's model:
//! activities with their samples, and wellness rows.
//!
//! The one entry point is [`decode`]. It never panics: a panic inside a decoder is caught and
//! returned as [`DecodeError::Panic`]. A file that breaks part-way keeps what was decoded before
//! the break and says why in [`Decoded::partial`].
//!
//! FIT goes through the `fitparser` crate's streaming processor (see [`fit`]); GPX and TCX are
//! read with quick-xml's borrowed events, without building a document tree.
//!
//! ```
//! use restday_decode::{decode, Content};
//! use restday_model::Format;
//! let gpx = br#"<gpx version="1.1"><trk><trkseg>
//!   <trkpt lat="46.0" lon="14.5"><time>2024-05-01T06:00:00Z</time></trkpt>
//!   <trkpt lat="46.001" lon="14.5"><time>2024-05-01T06:00:10Z</time></trkpt>
//! </trkseg></trk></gpx>"#;
//! let d = decode(Format::Gpx, gpx).unwrap();
//! assert_eq!(d.content, Content::Activity);
//! assert_eq!(d.activities[0].samples.len(), 2);
//! ```

mod error;
pub mod fast;
pub mod fit;
pub mod garmin;
pub mod gpx;
pub mod tcx;
mod xml;

pub use error::DecodeError;

use restday_model::{Activity, Format, WellnessRow};
use std::panic::{AssertUnwindSafe, catch_unwind};

/// What a file holds.
#[derive(Clone, Debug, PartialEq)]
pub enum Content {
    /// One or more activities.
    Activity,
    /// Wellness data (monitoring, sleep, HRV status).
    Wellness,
    /// Something restday does not use (settings, a workout, a course, a route...), with a
    /// description for the ledger.
    Unsupported(String),
}

/// The result of decoding one file.
#[derive(Clone, Debug)]
pub struct Decoded {
    pub content: Content,
    pub activities: Vec<Activity>,
    pub wellness: Vec<WellnessRow>,
    /// Set when decoding stopped early: why, and where. What came before is kept.
    pub partial: Option<String>,
    /// Things worth knowing that lost no data (a CRC mismatch, times read as UTC...).
    pub warnings: Vec<String>,
}

impl Decoded {
    pub(crate) fn new(content: Content) -> Self {
        Decoded {
            content,
            activities: Vec::new(),
            wellness: Vec::new(),
            partial: None,
            warnings: Vec::new(),
        }
    }
}

/// Decodes one file's bytes. Never panics.
pub fn decode(format: Format, bytes: &[u8]) -> Result<Decoded, DecodeError> {
    let run = || match format {
        Format::Fit => fit::decode(bytes),
        Format::Gpx => gpx::decode(bytes),
        Format::Tcx => tcx::decode(bytes),
        Format::GarminJson => garmin::decode(bytes),
    };
    match catch_unwind(AssertUnwindSafe(run)) {
        Ok(result) => result.map(|mut d| {
            d.activities.iter_mut().for_each(fill_from_samples);
            leave_out_untimed(&mut d);
            d
        }),
        Err(payload) => {
            let msg = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            Err(DecodeError::Panic(msg))
        }
    }
}

/// [`decode`] with a time budget: the decode runs on a helper thread (named `decode`), and if
/// it has not finished after `budget` the file is given up as [`DecodeError::Timeout`].
///
/// Each calling thread keeps one helper for all its files (a thread per file made the
/// allocator keep a heap per short-lived thread: a 1 GB import held twice the memory it used).
/// A helper that overruns is left to finish on its own and replaced; a decoder that never
/// returns costs one thread, not the import.
pub fn decode_within(
    format: Format,
    bytes: Vec<u8>,
    budget: std::time::Duration,
) -> Result<Decoded, DecodeError> {
    use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
    type Job = (Format, Vec<u8>);
    struct Helper {
        jobs: Sender<Job>,
        results: Receiver<Result<Decoded, DecodeError>>,
    }
    thread_local! {
        static HELPER: std::cell::RefCell<Option<Helper>> = const { std::cell::RefCell::new(None) };
    }
    let start = || -> Result<Helper, DecodeError> {
        let (jobs, job_rx) = channel::<Job>();
        let (result_tx, results) = channel();
        std::thread::Builder::new()
            .name("decode".into())
            .spawn(move || {
                for (format, bytes) in job_rx {
                    if result_tx.send(decode(format, &bytes)).is_err() {
                        break;
                    }
                }
            })
            .map_err(|e| DecodeError::Panic(format!("could not start a decoder thread: {e}")))?;
        Ok(Helper { jobs, results })
    };
    HELPER.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            *slot = Some(start()?);
        }
        let helper = slot.as_ref().expect("started above");
        if helper.jobs.send((format, bytes)).is_err() {
            *slot = None;
            return Err(DecodeError::Panic("the decoder thread stopped".into()));
        }
        match helper.results.recv_timeout(budget) {
            Ok(result) => result,
            Err(RecvTimeoutError::Timeout) => {
                // Dropping the channels lets the helper end once it finishes, if ever.
                *slot = None;
                Err(DecodeError::Timeout(budget.as_secs()))
            }
            Err(RecvTimeoutError::Disconnected) => {
                *slot = None;
                Err(DecodeError::Panic("the decoder thread stopped".into()))
            }
        }
    })
}

/// The earliest time a recording can carry: GPS time began on 1980-01-06 (Unix ms). Earlier
/// times are no recording's: GPSBabel writes 1901-12-13T20:45:52Z (the 32-bit epoch minimum)
/// for a point without a time, and a FIT file without any timestamp leaves its activity at 0.
/// (A FIT time relative to the device's power-on lands in 1990, after this: it is kept, with a
/// warning.)
pub const EARLIEST_RECORDING_MS: i64 = 315_964_800_000;

/// Leaves out the activities that start before [`EARLIEST_RECORDING_MS`] (no real time:
/// stored, they would be days of 1970 or 1901 in every daily table); a file left with none is
/// unsupported, as a GPX track without times is.
fn leave_out_untimed(d: &mut Decoded) {
    let before = d.activities.len();
    d.activities.retain(|a| a.start_ms >= EARLIEST_RECORDING_MS);
    let left_out = before - d.activities.len();
    if left_out == 0 {
        return;
    }
    if d.activities.is_empty() && d.content == Content::Activity {
        d.content = Content::Unsupported(
            "activity without a real time (none, or before 1980): not a recorded activity".into(),
        );
    } else {
        d.warnings.push(format!(
            "{left_out} activit{} without a real time (none, or before 1980) left out",
            if left_out == 1 { "y" } else { "ies" }
        ));
    }
}

/// Fills summary fields the file did not give from the samples: start time and position,
/// elapsed time, distance, average and maximum heart rate.
fn fill_from_samples(a: &mut Activity) {
    let span = a.samples.time_span();
    if let Some((first, last)) = span {
        if a.start_ms == 0 {
            a.start_ms = first;
        }
        if a.elapsed_s.is_none() {
            a.elapsed_s = Some((last - a.start_ms.min(first)) as f64 / 1000.0);
        }
    }
    if a.start_latitude.is_none() {
        let s = &a.samples;
        if let Some(i) =
            (0..s.len()).find(|&i| s.latitude.get(i).is_some() && s.longitude.get(i).is_some())
        {
            a.start_latitude = s.latitude.get(i);
            a.start_longitude = s.longitude.get(i);
        }
    }
    if a.distance_m.is_none() {
        a.distance_m = a.samples.distance_m.iter().flatten().reduce(f64::max);
    }
    if a.max_hr.is_none() || a.avg_hr.is_none() {
        let (mut n, mut sum, mut max) = (0i64, 0i64, None::<i32>);
        for h in a.samples.heart_rate.iter().flatten() {
            n += 1;
            sum += i64::from(h);
            max = Some(max.map_or(h, |m| m.max(h)));
        }
        if n > 0 {
            a.max_hr = a.max_hr.or(max);
            a.avg_hr = a.avg_hr.or(Some((sum as f64 / n as f64).round() as i32));
        }
    }
}

/// Great-circle distance in metres between two points given in degrees (haversine, mean Earth
/// radius 6,371,008.8 m).
pub fn haversine_m(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    const R: f64 = 6_371_008.8;
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * R * h.sqrt().min(1.0).asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_decode_over_budget_times_out_and_the_next_one_runs() {
        let mut gpx = String::from(r#"<gpx version="1.1"><trk><trkseg>"#);
        for i in 0..200_000 {
            let t = format!(
                "2024-05-{:02}T{:02}:{:02}:{:02}Z",
                1 + i / 86_400,
                (i / 3600) % 24,
                (i / 60) % 60,
                i % 60
            );
            gpx += &format!(r#"<trkpt lat="46.{i:06}" lon="14.5"><time>{t}</time></trkpt>"#);
        }
        gpx += "</trkseg></trk></gpx>";
        let none = std::time::Duration::ZERO;
        let r = decode_within(Format::Gpx, gpx.clone().into_bytes(), none);
        assert!(matches!(r, Err(DecodeError::Timeout(0))), "{:?}", r.map(|d| d.content));
        // The abandoned helper is replaced: the same thread decodes the next file.
        let d = decode_within(Format::Gpx, gpx.into_bytes(), std::time::Duration::from_secs(60));
        assert_eq!(d.unwrap().activities[0].samples.len(), 200_000);
    }

    #[test]
    fn haversine_one_degree_of_latitude() {
        // One degree of arc on a sphere of radius R is R * pi / 180 = 111,195.08 m.
        let d = haversine_m(0.0, 0.0, 1.0, 0.0);
        assert!((d - 111_195.08).abs() < 0.01, "{d}");
    }
}
