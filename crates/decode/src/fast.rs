//! A zero-copy FIT record scanner: walks definition and data messages straight from the byte
//! slice and writes the `record` fields restday keeps into [`Samples`] columns, with no value
//! allocated per field. It is the start of issue 8's hot path: the import still decodes through
//! [`crate::fit`] (fitparser), which is the oracle this scanner is tested against
//! (`tests/decode_values.rs::fast_scanner_matches_fitparser`).
//!
//! Handles both byte orders, compressed-timestamp headers, developer fields (skipped by size),
//! chained files, invalid-value sentinels, scale and offset, and `compressed_speed_distance`
//! (speed and an accumulated distance packed in three bytes). Stops at the first unrecoverable
//! error and keeps every record before it.

use crate::fit::read_header;
use restday_model::{SampleRow, Samples};

const FIT_EPOCH_S: i64 = 631_065_600;
const RECORD: u16 = 20;

#[derive(Clone, Copy, Default)]
struct Field {
    offset: usize,
    size: usize,
    base: u8,
}

#[derive(Clone, Default)]
struct Def {
    global: u16,
    big_endian: bool,
    size: usize,
    timestamp: Option<Field>,
    /// Record fields by number, for the ones restday keeps.
    fields: [Option<Field>; 9],
    enhanced_speed: Option<Field>,
    enhanced_altitude: Option<Field>,
    temperature: Option<Field>,
}

/// Indexes into `Def::fields` for record fields 0..=8.
const LAT: usize = 0;
const LON: usize = 1;
const ALTITUDE: usize = 2;
const HEART_RATE: usize = 3;
const CADENCE: usize = 4;
const DISTANCE: usize = 5;
const SPEED: usize = 6;
const POWER: usize = 7;
const COMPRESSED_SPEED_DISTANCE: usize = 8;

fn uint(b: &[u8], big: bool) -> u64 {
    let mut v = 0u64;
    if big {
        for &x in b {
            v = (v << 8) | u64::from(x);
        }
    } else {
        for &x in b.iter().rev() {
            v = (v << 8) | u64::from(x);
        }
    }
    v
}

/// The field's value as a number, or `None` for the base type's invalid value.
fn value(msg: &[u8], f: Field, big: bool) -> Option<f64> {
    let bytes = msg.get(f.offset..f.offset + f.size)?;
    let width = match f.base & 0x1F {
        0x00..=0x02 | 0x07 | 0x0A | 0x0D => 1,
        0x03 | 0x04 | 0x0B => 2,
        0x05 | 0x06 | 0x08 | 0x0C => 4,
        _ => 8,
    };
    // An array field: its first element, as fitparser's first valid value would be for the
    // scalar fields a record carries.
    let raw = uint(bytes.get(..width.min(bytes.len()))?, big);
    match f.base {
        0x00 | 0x02 | 0x0D => (raw != 0xFF).then_some(raw as f64),
        0x01 => (raw != 0x7F).then_some(raw as u8 as i8 as f64),
        0x83 => (raw != 0x7FFF).then_some(raw as u16 as i16 as f64),
        0x84 => (raw != 0xFFFF).then_some(raw as f64),
        0x85 => (raw != 0x7FFF_FFFF).then_some(raw as u32 as i32 as f64),
        0x86 => (raw != 0xFFFF_FFFF).then_some(raw as f64),
        0x0A | 0x8B | 0x8C => (raw != 0).then_some(raw as f64),
        _ => Some(raw as f64),
    }
}

/// Scans a FIT file's `record` messages. Returns the samples and, when the scan stopped
/// early, why.
pub fn scan_records(bytes: &[u8]) -> Result<(Samples, Option<String>), String> {
    let mut out = Samples::default();
    let mut pos = 0;
    let mut first = true;
    while pos < bytes.len() {
        let header = match read_header(&bytes[pos..]) {
            Ok(h) => h,
            Err(e) if first => return Err(e),
            Err(_) => break,
        };
        first = false;
        let data_end = (pos + header.header_size + header.data_size).min(bytes.len());
        let truncated = pos + header.header_size + header.data_size > bytes.len();
        if let Some(why) = scan_segment(&bytes[..data_end], pos + header.header_size, &mut out) {
            return Ok((out, Some(why)));
        }
        if truncated {
            return Ok((out, Some("file ends inside the data section".into())));
        }
        pos = data_end + 2;
    }
    Ok((out, None))
}

/// Scans one segment's messages from `p` to the end of `bytes`; returns why it stopped early.
fn scan_segment(bytes: &[u8], mut p: usize, out: &mut Samples) -> Option<String> {
    let mut defs: Vec<Option<Def>> = vec![None; 16];
    let mut last_ts: i64 = 0;
    let mut acc_distance: Option<(u32, u64)> = None;
    while p < bytes.len() {
        let h = bytes[p];
        p += 1;
        if h & 0x80 == 0 && h & 0x40 != 0 {
            // Definition message.
            let local = usize::from(h & 0x0F);
            let Some(fixed) = bytes.get(p..p + 5) else {
                return Some(format!("truncated definition at {p}"));
            };
            let big = fixed[1] == 1;
            let global = if big {
                u16::from_be_bytes([fixed[2], fixed[3]])
            } else {
                u16::from_le_bytes([fixed[2], fixed[3]])
            };
            let n = usize::from(fixed[4]);
            p += 5;
            let Some(list) = bytes.get(p..p + 3 * n) else {
                return Some(format!("truncated definition at {p}"));
            };
            p += 3 * n;
            let mut def = Def { global, big_endian: big, ..Def::default() };
            let mut offset = 0;
            for f in list.chunks_exact(3) {
                let field = Field { offset, size: usize::from(f[1]), base: f[2] };
                match (global, f[0]) {
                    (_, 253) => def.timestamp = Some(field),
                    (RECORD, num @ 0..=8) => def.fields[usize::from(num)] = Some(field),
                    (RECORD, 13) => def.temperature = Some(field),
                    (RECORD, 73) => def.enhanced_speed = Some(field),
                    (RECORD, 78) => def.enhanced_altitude = Some(field),
                    _ => {}
                }
                offset += field.size;
            }
            if h & 0x20 != 0 {
                let Some(&nd) = bytes.get(p) else {
                    return Some(format!("truncated definition at {p}"));
                };
                p += 1;
                let Some(dev) = bytes.get(p..p + 3 * usize::from(nd)) else {
                    return Some(format!("truncated definition at {p}"));
                };
                p += dev.len();
                offset += dev.chunks_exact(3).map(|d| usize::from(d[1])).sum::<usize>();
            }
            def.size = offset;
            defs[local] = Some(def);
            continue;
        }
        let (local, time_offset) = if h & 0x80 != 0 {
            (usize::from((h >> 5) & 0x03), Some(i64::from(h & 0x1F)))
        } else {
            (usize::from(h & 0x0F), None)
        };
        let Some(def) = defs[local].as_ref() else {
            return Some(format!("local message {local} used before its definition at {}", p - 1));
        };
        let Some(msg) = bytes.get(p..p + def.size) else {
            return Some(format!("a message at {} runs past the end of the data", p - 1));
        };
        p += def.size;
        let big = def.big_endian;
        if let Some(ts) = def.timestamp.and_then(|f| value(msg, f, big)) {
            last_ts = ts as i64;
        }
        if let Some(offset) = time_offset {
            let mut t = offset + (last_ts & !0x1F);
            if offset < (last_ts & 0x1F) {
                t += 32;
            }
            last_ts = t;
        }
        if def.global != RECORD {
            continue;
        }
        let get = |i: usize| def.fields[i].and_then(|f| value(msg, f, big));
        let has_time =
            def.timestamp.is_some_and(|f| value(msg, f, big).is_some()) || time_offset.is_some();
        let mut row = SampleRow {
            time_ms: has_time.then_some((last_ts + FIT_EPOCH_S) * 1000),
            heart_rate: get(HEART_RATE).map(|v| v as i32),
            distance_m: get(DISTANCE).map(|v| v / 100.0),
            speed_m_s: def
                .enhanced_speed
                .and_then(|f| value(msg, f, big))
                .or_else(|| get(SPEED))
                .map(|v| v / 1000.0),
            altitude_m: def
                .enhanced_altitude
                .and_then(|f| value(msg, f, big))
                .or_else(|| get(ALTITUDE))
                .map(|v| v / 5.0 - 500.0),
            latitude: get(LAT).map(|v| v * (180.0 / 2_147_483_648.0)),
            longitude: get(LON).map(|v| v * (180.0 / 2_147_483_648.0)),
            cadence: get(CADENCE).map(|v| v as i32),
            power: get(POWER).map(|v| v as i32),
            temperature_c: def.temperature.and_then(|f| value(msg, f, big)),
        };
        if let Some(f) = def.fields[COMPRESSED_SPEED_DISTANCE]
            && let Some(b) = msg.get(f.offset..f.offset + 3)
        {
            let raw = u32::from(b[0]) | u32::from(b[1]) << 8 | u32::from(b[2]) << 16;
            let (speed, distance) =
                crate::fit::expand_compressed_speed_distance(raw, &mut acc_distance);
            row.speed_m_s = row.speed_m_s.or(Some(speed));
            row.distance_m = row.distance_m.or(Some(distance));
        }
        out.push(row);
    }
    None
}
