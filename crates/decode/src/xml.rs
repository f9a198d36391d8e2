//! The streaming XML driver shared by the GPX and TCX readers: quick-xml borrowed events, a
//! stack of element local names (namespace prefixes dropped, so `gpxtpx:hr` and `ns3:hr` are
//! both `hr`), and the truncation check quick-xml does not do.

use crate::DecodeError;
use chrono::{DateTime, NaiveDateTime};
use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;

/// Deeper nesting than this is not a real GPX or TCX file.
const MAX_DEPTH: usize = 256;

/// The open elements, innermost last, as local names in one buffer (no allocation per element).
#[derive(Default)]
pub(crate) struct Stack {
    names: Vec<u8>,
    ends: Vec<usize>,
}

impl Stack {
    fn push(&mut self, name: &[u8]) {
        self.names.extend_from_slice(name);
        self.ends.push(self.names.len());
    }
    fn pop(&mut self) {
        self.ends.pop();
        self.names.truncate(self.ends.last().copied().unwrap_or(0));
    }
    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }
    /// The name `up` levels above the innermost element (0 is the innermost).
    #[inline(always)]
    pub(crate) fn get(&self, up: usize) -> &[u8] {
        let n = self.ends.len();
        if up >= n {
            return b"";
        }
        let end = self.ends[n - 1 - up];
        let start = if n - 1 - up == 0 { 0 } else { self.ends[n - 2 - up] };
        &self.names[start..end]
    }
    #[cfg(test)]
    fn contains(&self, name: &[u8]) -> bool {
        (0..self.len()).any(|i| self.get(i) == name)
    }
}

/// Callbacks for [`drive`]. The element is already on the stack in `start` and `text`, and still
/// on it in `end`.
pub(crate) trait Handler {
    fn start(&mut self, stack: &Stack, element: &BytesStart);
    fn text(&mut self, stack: &Stack, text: &[u8]);
    fn end(&mut self, stack: &Stack);
    /// Whether anything worth keeping was read, so an error after it makes a partial file.
    fn has_data(&self) -> bool;
}

/// Reads `bytes` as an XML document whose root element's local name must be `root`. Returns
/// `Ok(Some(reason))` when the document broke or ended early after some data was read.
pub(crate) fn drive(
    bytes: &[u8],
    root: &'static str,
    handler: &mut impl Handler,
) -> Result<Option<String>, DecodeError> {
    // Strava writes TCX with white space before the XML declaration; some tools write a BOM.
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(bytes.len());
    let mut reader = Reader::from_reader(&bytes[start..]);
    reader.config_mut().trim_text(true);
    let mut stack = Stack::default();
    let mut closed = false;
    let mut seen_root = false;
    loop {
        let event = match reader.read_event() {
            Ok(e) => e,
            Err(e) => {
                let offset = start as u64 + reader.error_position();
                let message = e.to_string();
                if handler.has_data() {
                    return Ok(Some(format!("XML error at byte {offset}: {message}")));
                }
                return Err(DecodeError::Xml { offset, message });
            }
        };
        match event {
            Event::Start(e) | Event::Empty(e) if !seen_root => {
                let name = e.local_name();
                if name.as_ref() != root.as_bytes() {
                    return Err(DecodeError::WrongDocument {
                        expected: root,
                        found: format!("root element <{}>", String::from_utf8_lossy(name.as_ref())),
                    });
                }
                seen_root = true;
                stack.push(name.as_ref());
                handler.start(&stack, &e);
            }
            Event::Start(e) => {
                if stack.len() >= MAX_DEPTH {
                    let reason = format!("elements nested deeper than {MAX_DEPTH}");
                    if handler.has_data() {
                        return Ok(Some(reason));
                    }
                    return Err(DecodeError::Xml {
                        offset: reader.buffer_position(),
                        message: reason,
                    });
                }
                stack.push(e.local_name().as_ref());
                handler.start(&stack, &e);
            }
            Event::Empty(e) => {
                stack.push(e.local_name().as_ref());
                handler.start(&stack, &e);
                handler.end(&stack);
                stack.pop();
            }
            Event::Text(t) => handler.text(&stack, t.as_ref()),
            Event::CData(t) => handler.text(&stack, t.as_ref()),
            Event::End(_) => {
                handler.end(&stack);
                stack.pop();
                if seen_root && stack.len() == 0 {
                    closed = true;
                }
            }
            Event::Eof => break,
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::DocType(_) => {}
        }
    }
    if !seen_root {
        return Err(DecodeError::WrongDocument { expected: root, found: "no root element".into() });
    }
    if !closed {
        let reason = format!("document ends before </{root}> (truncated?)");
        if handler.has_data() {
            return Ok(Some(reason));
        }
        return Err(DecodeError::Xml { offset: bytes.len() as u64, message: reason });
    }
    Ok(None)
}

/// The value of the attribute with this local name, as text.
pub(crate) fn attr<'a>(e: &'a BytesStart, name: &[u8]) -> Option<std::borrow::Cow<'a, [u8]>> {
    e.attributes().flatten().find(|a| a.key.local_name().as_ref() == name).map(|a| a.value)
}

/// A decimal number, read from the bytes as they are by `fast-float2` (no UTF-8 check first,
/// which was a third of `str::parse`'s time on GPX / TCX points), the same correctly rounded
/// value; text it does not take (white space other than ASCII's, say) goes to `str::parse`.
pub(crate) fn parse_f64(text: &[u8]) -> Option<f64> {
    fast_float2::parse::<f64, _>(text.trim_ascii())
        .ok()
        .or_else(|| std::str::from_utf8(text).ok()?.trim().parse::<f64>().ok())
        .filter(|x| x.is_finite())
}

/// An integer, accepting a decimal form ("150.0") as some writers use.
pub(crate) fn parse_i32(text: &[u8]) -> Option<i32> {
    let x = parse_f64(text)?;
    (x.abs() < 1e9).then(|| x.round() as i32)
}

/// Parses an ISO 8601 / RFC 3339 time. Returns UTC milliseconds and whether the text had a zone.
/// A time without a zone is read as UTC, as the GPX and TCX schemas define their times in UTC.
pub(crate) fn parse_time(text: &[u8]) -> Option<(i64, bool)> {
    if let Some(t) = utc_seconds_form(text.trim_ascii()) {
        return Some((t, true));
    }
    let s = std::str::from_utf8(text).ok()?.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some((t.timestamp_millis(), true));
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some((t.and_utc().timestamp_millis(), false));
        }
    }
    None
}

/// [`parse_time`] of a recorded point or lap: a time before [`crate::EARLIEST_RECORDING_MS`]
/// is none (GPSBabel's 1901-12-13T20:45:52Z for a point without a time, say).
pub(crate) fn recording_time(text: &[u8]) -> Option<(i64, bool)> {
    parse_time(text).filter(|&(t, _)| t >= crate::EARLIEST_RECORDING_MS)
}

/// The form nearly every GPX and TCX time takes, `YYYY-MM-DDTHH:MM:SS[.f…]Z`, read digit by
/// digit, the calendar left to chrono (`NaiveDate::from_ymd_opt` checks the month's days):
/// UTC milliseconds, the fraction cut to them as chrono cuts it. Anything else (another
/// offset, a leap second, more than nine fraction digits) is `None`, for chrono's RFC 3339
/// parser, which took a tenth of the time to read a TCX file.
fn utc_seconds_form(t: &[u8]) -> Option<i64> {
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        t.get(range)?
            .iter()
            .try_fold(0u32, |n, &b| b.is_ascii_digit().then(|| n * 10 + u32::from(b - b'0')))
    };
    let punctuation = [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':')];
    if t.len() < 20 || punctuation.iter().any(|&(i, c)| t[i] != c) || t.last() != Some(&b'Z') {
        return None;
    }
    let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    let (hour, minute, second) = (digits(11..13)?, digits(14..16)?, digits(17..19)?);
    let millis = match &t[19..t.len() - 1] {
        [] => 0,
        [b'.', fraction @ ..] if (1..=9).contains(&fraction.len()) => {
            let ms = digits(20..20 + fraction.len().min(3))?;
            digits(20..20 + fraction.len())?;
            ms * 10u32.pow(3 - fraction.len().min(3) as u32)
        }
        _ => return None,
    };
    if second > 59 {
        return None;
    }
    let date = chrono::NaiveDate::from_ymd_opt(year as i32, month, day)?;
    let time = date.and_hms_milli_opt(hour, minute, second, millis)?;
    Some(time.and_utc().timestamp_millis())
}

pub(crate) const NAIVE_TIME_WARNING: &str = "times without a time zone were read as UTC";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        let cases: [(&str, Option<(i64, bool)>); 5] = [
            ("2012-10-24T23:29:40.000Z", Some((1_351_121_380_000, true))),
            ("2012-10-24T23:29:40Z", Some((1_351_121_380_000, true))),
            // 01:29:40 at +02:00 is 23:29:40 UTC the day before.
            ("2012-10-25T01:29:40+02:00", Some((1_351_121_380_000, true))),
            ("2012-10-24T23:29:40", Some((1_351_121_380_000, false))),
            ("yesterday", None),
        ];
        for (text, want) in cases {
            assert_eq!(parse_time(text.as_bytes()), want, "{text}");
        }
    }

    #[test]
    fn utc_times_read_by_hand_as_chrono_reads_them() {
        // chrono's RFC 3339 parser as the oracle: the hand-read form must give its value, and
        // anything it does not take must go to chrono (None here).
        let mut cases: Vec<String> = [
            "2012-10-24T23:29:40Z",
            "2012-10-24T23:29:40.5Z",
            "2012-10-24T23:29:40.05Z",
            "2012-10-24T23:29:40.999Z",
            "2012-10-24T23:29:40.123456789Z",
            "1969-12-31T23:59:59.999Z",
            "0001-01-01T00:00:00Z",
            "9999-12-31T23:59:59Z",
            "2000-02-29T12:00:00Z",
            "2100-02-28T12:00:00Z",
            // Not the form, or not a time: chrono decides.
            "2100-02-29T12:00:00Z",
            "2012-13-24T23:29:40Z",
            "2012-10-32T23:29:40Z",
            "2012-10-24T24:00:00Z",
            "2012-10-24T23:60:40Z",
            "2016-12-31T23:59:60Z",
            "2012-10-24T23:29:40.Z",
            "2012-10-24T23:29:40.1234567890Z",
            "2012-10-24t23:29:40z",
            "2012-10-24 23:29:40Z",
            "2012-10-24T23:29:40+02:00",
            "2012-10-24T23:29:40",
            "2012-1O-24T23:29:40Z",
            "+2012-10-24T23:29:40Z",
            "2012-10-24T23:29:4Z",
        ]
        .map(String::from)
        .to_vec();
        // And a time every 7,777,777 seconds (about 90 days) from 1900 to 2100, at each
        // fraction length.
        let mut t = chrono::DateTime::parse_from_rfc3339("1900-01-01T00:00:00Z").unwrap();
        while t.timestamp() < 4_102_444_800 {
            let base = t.format("%Y-%m-%dT%H:%M:%S").to_string();
            let nanos = (t.timestamp() % 1_000_000_007).unsigned_abs() as u32 % 1_000_000_000;
            cases.push(format!("{base}Z"));
            for digits in 1..=9 {
                let fraction = format!("{nanos:09}");
                cases.push(format!("{base}.{}Z", &fraction[..digits]));
            }
            t += chrono::Duration::seconds(7_777_777);
        }
        for text in &cases {
            let chrono = DateTime::parse_from_rfc3339(text).ok().map(|t| t.timestamp_millis());
            match utc_seconds_form(text.as_bytes()) {
                Some(ms) => assert_eq!(Some(ms), chrono, "{text}"),
                None => assert!(
                    chrono.is_none()
                        || !text.ends_with('Z')
                        || text.contains(' ')
                        || text.contains(":60")
                        || text.len() > 30,
                    "{text} is the common form, left to chrono"
                ),
            }
            assert_eq!(
                parse_time(text.as_bytes()).filter(|(_, zoned)| *zoned).map(|(ms, _)| ms),
                chrono,
                "{text}"
            );
        }
        assert!(cases.len() > 8_000);
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_i32(b" 150 "), Some(150));
        assert_eq!(parse_i32(b"150.4"), Some(150));
        assert_eq!(parse_f64(b"NaN"), None);
        assert_eq!(parse_f64(b"abc"), None);
    }

    #[test]
    fn numbers_read_as_the_standard_library_reads_them() {
        // The standard library's parser as the oracle, on the forms GPX / TCX writers use
        // and some they should not.
        let cases = [
            "45.2543983720",
            "-13.6254727840",
            "272.4",
            " 150 ",
            "\t0.000\n",
            "1.",
            ".5",
            "+3",
            "-0.0",
            "1e3",
            "2.5E-3",
            "123456789012345678901234567890",
            "0.1000000000000000055511151231257827",
            "\u{a0}42\u{a0}",
            "1e400",
            "NaN",
            "inf",
            "abc",
            "",
            "1.2.3",
            "4 5",
        ];
        for text in cases {
            let want = text.trim().parse::<f64>().ok().filter(|x| x.is_finite());
            let got = parse_f64(text.as_bytes());
            assert_eq!(got.map(f64::to_bits), want.map(f64::to_bits), "{text:?}");
        }
    }

    #[test]
    fn stack_get() {
        let mut s = Stack::default();
        s.push(b"gpx");
        s.push(b"trk");
        s.push(b"name");
        assert_eq!(s.get(0), b"name");
        assert_eq!(s.get(1), b"trk");
        assert_eq!(s.get(2), b"gpx");
        assert_eq!(s.get(3), b"");
        s.pop();
        assert_eq!(s.get(0), b"trk");
        assert!(s.contains(b"gpx"));
    }
}
