//! GPX 1.0 / 1.1 tracks. One activity per `<trk>`, one sample per `<trkpt>`. Heart rate,
//! cadence, power and temperature come from Garmin's TrackPointExtension (or any extension
//! element with the same local name, whatever its namespace prefix). Routes and waypoints are
//! not activities.

use crate::xml::{self, Handler, Stack, parse_f64, parse_i32, recording_time};
use crate::{Content, DecodeError, Decoded, haversine_m};
use quick_xml::events::BytesStart;
use restday_model::{Activity, SampleRow, Samples};

#[derive(Default)]
struct Gpx {
    activities: Vec<Activity>,
    track: Option<Activity>,
    point: Option<SampleRow>,
    /// The previous point with a position in the current segment, for the distance.
    last_pos: Option<(f64, f64)>,
    distance_m: f64,
    tracks_seen: usize,
    naive_times: bool,
    /// About as many track points as the file holds: each track's columns are reserved for
    /// them at once, not grown.
    points: usize,
}

impl Gpx {
    fn finish_track(&mut self) {
        if let Some(mut t) = self.track.take()
            && !t.samples.is_empty()
        {
            t.distance_m = Some(self.distance_m);
            t.start_ms = t.samples.time_span().map_or(0, |(a, _)| a);
            self.activities.push(t);
        }
    }
}

impl Handler for Gpx {
    fn start(&mut self, stack: &Stack, e: &BytesStart) {
        match stack.get(0) {
            b"trk" => {
                let (leg, samples) = (self.tracks_seen as u32, Samples::with_capacity(self.points));
                self.track = Some(Activity { leg, samples, ..Activity::default() });
                self.tracks_seen += 1;
                self.distance_m = 0.0;
            }
            b"trkseg" => self.last_pos = None,
            b"trkpt" if self.track.is_some() => {
                // Both in one pass over the attributes, the first of each name counting (as
                // `attr` finds it).
                let (mut lat, mut lon) = (None, None);
                for a in e.attributes().flatten() {
                    let slot = match a.key.local_name().as_ref() {
                        b"lat" => &mut lat,
                        b"lon" => &mut lon,
                        _ => continue,
                    };
                    if slot.is_none() {
                        *slot = Some(parse_f64(&a.value));
                    }
                }
                let lat = lat.flatten().filter(|l| l.abs() <= 90.0);
                let lon = lon.flatten().filter(|l| l.abs() <= 180.0);
                self.point =
                    Some(SampleRow { latitude: lat, longitude: lon, ..SampleRow::default() });
            }
            _ => {}
        }
    }

    fn text(&mut self, stack: &Stack, text: &[u8]) {
        if let Some(p) = self.point.as_mut() {
            match stack.get(0) {
                b"ele" => p.altitude_m = parse_f64(text),
                b"time" => {
                    if let Some((t, zoned)) = recording_time(text) {
                        p.time_ms = Some(t);
                        self.naive_times |= !zoned;
                    }
                }
                b"hr" => p.heart_rate = parse_i32(text).filter(|h| (1..=300).contains(h)),
                b"cad" | b"cadence" => p.cadence = parse_i32(text),
                b"power" | b"PowerInWatts" => p.power = parse_i32(text),
                b"atemp" | b"temp" => p.temperature_c = parse_f64(text),
                b"speed" => p.speed_m_s = parse_f64(text),
                _ => {}
            }
        } else if let Some(t) = self.track.as_mut()
            && stack.get(1) == b"trk"
        {
            let value = String::from_utf8_lossy(text).trim().to_string();
            match stack.get(0) {
                b"name" if !value.is_empty() => t.name = Some(value),
                b"type" if !value.is_empty() => t.sport = Some(value.to_ascii_lowercase()),
                _ => {}
            }
        }
    }

    fn end(&mut self, stack: &Stack) {
        match stack.get(0) {
            b"trkpt" => {
                if let (Some(p), Some(t)) = (self.point.take(), self.track.as_mut()) {
                    if let (Some(lat), Some(lon)) = (p.latitude, p.longitude) {
                        if let Some((plat, plon)) = self.last_pos {
                            self.distance_m += haversine_m(plat, plon, lat, lon);
                        }
                        self.last_pos = Some((lat, lon));
                    }
                    t.samples.push(p);
                }
            }
            b"trk" => self.finish_track(),
            _ => {}
        }
    }

    fn has_data(&self) -> bool {
        !self.activities.is_empty() || self.track.as_ref().is_some_and(|t| !t.samples.is_empty())
    }
}

/// Decodes a GPX document.
pub fn decode(bytes: &[u8]) -> Result<Decoded, DecodeError> {
    // A track point's end tag, whatever its namespace prefix (its start tag has attributes).
    let points = memchr::memmem::find_iter(bytes, b"trkpt>").count();
    let mut gpx = Gpx { points, ..Gpx::default() };
    let partial = xml::drive(bytes, "gpx", &mut gpx)?;
    // A truncated file can leave its last track open: keep what it holds.
    if partial.is_some() {
        gpx.point = None;
        gpx.finish_track();
    }
    let mut d = Decoded::new(Content::Activity);
    d.partial = partial;
    if gpx.naive_times {
        d.warnings.push(xml::NAIVE_TIME_WARNING.to_string());
    }
    let (timed, untimed): (Vec<_>, Vec<_>) =
        gpx.activities.into_iter().partition(|a| a.samples.time_span().is_some());
    d.activities = timed;
    if d.activities.is_empty() {
        d.content = Content::Unsupported(if untimed.is_empty() {
            "GPX without track points (a route or waypoints only)".to_string()
        } else {
            "GPX track without times: not a recorded activity".to_string()
        });
    } else if !untimed.is_empty() {
        d.warnings.push(format!("{} track(s) without times left out", untimed.len()));
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    const POINT: &str = r#"<trkpt lat="46.0" lon="14.5"><time>2024-05-01T06:00:00Z</time></trkpt>"#;

    fn gpx(body: &str) -> Vec<u8> {
        format!("<gpx version=\"1.1\"><trk><trkseg>{POINT}{body}</trkseg></trk></gpx>").into_bytes()
    }

    #[test]
    fn entity_declarations_are_not_expanded() {
        // A "billion laughs" document: quick-xml does not expand DTD entities, so the text stays
        // an unresolved reference and decoding is as cheap as the bytes.
        let doc = r#"<?xml version="1.0"?><!DOCTYPE gpx [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]><gpx version="1.1"><trk><name>&c;</name><trkseg><trkpt lat="1" lon="2"><time>2024-05-01T06:00:00Z</time></trkpt></trkseg></trk></gpx>"#;
        let d = decode(doc.as_bytes()).unwrap();
        assert_eq!(d.activities[0].samples.len(), 1);
        assert!(d.activities[0].name.as_deref().unwrap_or("").len() < 10);
    }

    #[test]
    fn deep_nesting_stops_at_the_limit() {
        let body = "<extensions>".repeat(10_000);
        let d = decode(&gpx(&body)).unwrap();
        assert!(
            d.partial.as_deref().unwrap().contains("nested deeper than 256"),
            "{:?}",
            d.partial
        );
        assert_eq!(d.activities[0].samples.len(), 1, "the point before the nesting is kept");
    }

    #[test]
    fn bad_values_become_nulls() {
        let body = "<trkpt lat=\"north\" lon=\"east\"><ele>high</ele><time>2024-05-01T06:00:10Z</time></trkpt>";
        let mut bytes = gpx(body);
        // Bad UTF-8 inside an element's text.
        let at = bytes.windows(4).position(|w| w == b"high").unwrap();
        bytes[at] = 0xFF;
        let d = decode(&bytes).unwrap();
        let s = &d.activities[0].samples;
        assert_eq!(s.len(), 2);
        assert_eq!(
            (s.latitude.get(1), s.longitude.get(1), s.altitude_m.get(1)),
            (None, None, None)
        );
    }

    #[test]
    fn a_gigantic_attribute_is_just_long() {
        let body = format!(
            "<trkpt lat=\"{}\" lon=\"1\"><time>2024-05-01T06:00:10Z</time></trkpt>",
            "9".repeat(1 << 20)
        );
        let d = decode(&gpx(&body)).unwrap();
        assert_eq!(d.activities[0].samples.latitude.get(1), None, "not a latitude");
    }

    #[test]
    fn times_without_a_zone_are_utc_and_said_so() {
        let doc = br#"<gpx version="1.1"><trk><trkseg><trkpt lat="1" lon="2"><time>2024-05-01T06:00:00</time></trkpt></trkseg></trk></gpx>"#;
        let d = decode(doc).unwrap();
        assert_eq!(d.activities[0].start_ms, 1_714_543_200_000);
        assert_eq!(d.warnings, ["times without a time zone were read as UTC"]);
    }

    #[test]
    fn truncated_document_is_partial() {
        let full = gpx("");
        let d = decode(&full[..full.len() - 7]).unwrap();
        assert!(d.partial.is_some());
        assert_eq!(d.activities.len(), 1);
    }

    #[test]
    fn not_gpx() {
        let err = decode(b"<kml><Document/></kml>").unwrap_err();
        assert_eq!(err.to_string(), "not a gpx document: root element <kml>");
        assert!(decode(b"").is_err());
    }
}
