//! The FIT hot path: a zero-copy decoder that walks definition and data messages straight from
//! the byte slice. `record` messages, nearly all of an activity file, are written straight into
//! [`Samples`] columns with no value allocated per field. The few other messages restday reads
//! (file_id, session, activity, hrv, monitoring, sleep, HRV status...) are handed, as raw
//! values, to fitparser's profile (`MesgNum::decode_message`) for their names, scales and enum
//! names, and then to the same collector the fitparser path uses. Messages restday does not read
//! are skipped after their timestamp is noted.
//!
//! Handles both byte orders, compressed-timestamp headers, developer fields (skipped by size),
//! chained files, invalid-value sentinels, scale and offset, and `compressed_speed_distance`
//! (speed and an accumulated distance packed in three bytes). Stops at the first unrecoverable
//! error and keeps every message before it.
//!
//! [`crate::fit::decode_with_fitparser`] is the oracle: `tests/decode_values.rs` decodes every
//! FIT file in `data/` both ways and requires the same activities, samples and wellness.

use crate::fit::{Collected, read_header};
use crate::{Content, DecodeError, Decoded};
use fitparser::profile::MesgNum;
use fitparser::{FitDataField, FitDataRecord, Value};
use restday_model::{Columns, Samples};
use std::collections::{HashMap, HashSet};

const FIT_EPOCH_S: i64 = 631_065_600;
const RECORD: u16 = 20;

#[derive(Clone, Copy, Default)]
struct Field {
    offset: usize,
    size: usize,
    base: u8,
    /// How [`value`] reads it, decided once per definition.
    read: Read,
}

/// The little-endian scalar reads [`value`] does directly; the rest (big-endian fields, other
/// types, fields shorter than their type) go through [`value_generic`].
#[derive(Clone, Copy, Default)]
enum Read {
    /// uint8, enum, byte: invalid 0xFF.
    U8,
    /// sint8: invalid 0x7F.
    S8,
    /// uint16: invalid 0xFFFF.
    U16,
    /// sint16: invalid 0x7FFF.
    S16,
    /// uint16z: invalid 0.
    U16z,
    /// uint32: invalid 0xFFFFFFFF.
    U32,
    /// sint32: invalid 0x7FFFFFFF.
    S32,
    /// uint32z: invalid 0.
    U32z,
    #[default]
    Generic,
}

impl Field {
    fn new(offset: usize, size: usize, base: u8, big: bool) -> Field {
        let read = match (base, size, big) {
            (0x00 | 0x02 | 0x0D, 1.., _) => Read::U8,
            (0x01, 1.., _) => Read::S8,
            (_, _, true) => Read::Generic,
            (0x84, 2.., _) => Read::U16,
            (0x83, 2.., _) => Read::S16,
            (0x8B, 2.., _) => Read::U16z,
            (0x86, 4.., _) => Read::U32,
            (0x85, 4.., _) => Read::S32,
            (0x8C, 4.., _) => Read::U32z,
            _ => Read::Generic,
        };
        Field { offset, size, base, read }
    }
}

#[derive(Clone, Default)]
struct Def {
    global: u16,
    big_endian: bool,
    size: usize,
    /// Every field by number, for messages other than `record`.
    all: Vec<(u8, Field)>,
    timestamp: Option<Field>,
    /// Record fields by number, for the ones restday keeps.
    fields: [Option<Field>; 9],
    enhanced_speed: Option<Field>,
    enhanced_altitude: Option<Field>,
    /// Where a record's speed is read first and where next (when the first is invalid):
    /// `enhanced_speed`, then `speed`; `speed` alone when there is no enhanced one.
    speed: (Option<Field>, Option<Field>),
    /// The same for altitude.
    altitude: (Option<Field>, Option<Field>),
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

#[inline]
fn uint(b: &[u8], big: bool) -> u64 {
    match (b.len(), big) {
        (1, _) => u64::from(b[0]),
        (2, false) => u64::from(u16::from_le_bytes([b[0], b[1]])),
        (2, true) => u64::from(u16::from_be_bytes([b[0], b[1]])),
        (4, false) => u64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]])),
        (4, true) => u64::from(u32::from_be_bytes([b[0], b[1], b[2], b[3]])),
        _ => {
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
    }
}

/// The field's value as a number, or `None` for the base type's invalid value. The common
/// scalar types are read directly; the rest (and fields shorter than their type) go through
/// [`value_generic`].
#[inline(always)]
fn value(msg: &[u8], f: Field, big: bool) -> Option<f64> {
    let o = f.offset;
    let two = |m: &[u8]| m.get(o..o + 2).map(|b| u16::from_le_bytes([b[0], b[1]]));
    let four = |m: &[u8]| m.get(o..o + 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
    match f.read {
        Read::U8 => msg.get(o).filter(|&&v| v != 0xFF).map(|&v| f64::from(v)),
        Read::S8 => msg.get(o).filter(|&&v| v != 0x7F).map(|&v| f64::from(v as i8)),
        Read::U16 => two(msg).filter(|&u| u != 0xFFFF).map(f64::from),
        Read::S16 => two(msg).filter(|&u| u != 0x7FFF).map(|u| f64::from(u as i16)),
        Read::U16z => two(msg).filter(|&u| u != 0).map(f64::from),
        Read::U32 => four(msg).filter(|&u| u != 0xFFFF_FFFF).map(f64::from),
        Read::S32 => four(msg).filter(|&u| u != 0x7FFF_FFFF).map(|u| f64::from(u as i32)),
        Read::U32z => four(msg).filter(|&u| u != 0).map(f64::from),
        Read::Generic => value_generic(msg, f, big),
    }
}

#[inline(always)]
fn int_u32(msg: &[u8], o: usize) -> Option<u32> {
    msg.get(o..o + 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// [`value`] for the integer columns (heart rate, cadence, power), without the round trip
/// through `f64`: the same value, saturated to `i32` as `f64 as i32` would. (Its twin of
/// `value` on purpose: one reader generic over the output type cost 6 % more instructions.)
#[inline(always)]
fn int(msg: &[u8], f: Field, big: bool) -> Option<i32> {
    let o = f.offset;
    let two = |m: &[u8]| m.get(o..o + 2).map(|b| u16::from_le_bytes([b[0], b[1]]));
    let four = |m: &[u8]| m.get(o..o + 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
    let saturated = |v: i64| v.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32;
    match f.read {
        Read::U8 => msg.get(o).filter(|&&v| v != 0xFF).map(|&v| i32::from(v)),
        Read::S8 => msg.get(o).filter(|&&v| v != 0x7F).map(|&v| i32::from(v as i8)),
        Read::U16 => two(msg).filter(|&u| u != 0xFFFF).map(i32::from),
        Read::S16 => two(msg).filter(|&u| u != 0x7FFF).map(|u| i32::from(u as i16)),
        Read::U16z => two(msg).filter(|&u| u != 0).map(i32::from),
        Read::U32 => four(msg).filter(|&u| u != 0xFFFF_FFFF).map(|u| saturated(i64::from(u))),
        Read::S32 => four(msg).filter(|&u| u != 0x7FFF_FFFF).map(|u| u as i32),
        Read::U32z => four(msg).filter(|&u| u != 0).map(|u| saturated(i64::from(u))),
        Read::Generic => value_generic(msg, f, big).map(|v| v as i32),
    }
}

fn value_generic(msg: &[u8], f: Field, big: bool) -> Option<f64> {
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

/// One data message as the walk sees it.
struct Message<'a> {
    def: &'a Def,
    bytes: &'a [u8],
    /// The message's time (FIT seconds): its own timestamp, or the one its compressed header
    /// gives; `None` when it has neither.
    time: Option<i64>,
    /// Set when the time came from a compressed-timestamp header.
    compressed_time: bool,
}

/// Scans a FIT file's `record` messages. Returns the samples and, when the scan stopped
/// early, why.
pub fn scan_records(bytes: &[u8]) -> Result<(Samples, Option<String>), String> {
    let mut out = Samples::default();
    let mut acc_distance = None;
    let mut stopped = None;
    walk(bytes, &mut |event| match event {
        Event::Segment => acc_distance = None,
        Event::Message(m) => {
            if m.def.global == RECORD {
                push_record(out.columns_mut(), &m, &mut acc_distance);
            }
        }
        Event::Stopped(why) => stopped = Some(why),
    })?;
    out.pad_columns();
    Ok((out, stopped))
}

enum Event<'a> {
    /// A new segment (chained FIT file) starts.
    Segment,
    Message(Message<'a>),
    /// The walk stopped early, and why; everything before was delivered.
    Stopped(String),
}

/// Walks every segment of a FIT file and every data message in it. Errors only when the first
/// header is not a FIT header.
fn walk(bytes: &[u8], visit: &mut impl FnMut(Event)) -> Result<(), String> {
    let mut pos = 0;
    let mut first = true;
    while pos < bytes.len() {
        let header = match read_header(&bytes[pos..]) {
            Ok(h) => h,
            Err(e) if first => return Err(e),
            Err(_) => break,
        };
        first = false;
        visit(Event::Segment);
        let data_end = (pos + header.header_size + header.data_size).min(bytes.len());
        let truncated = pos + header.header_size + header.data_size > bytes.len();
        if let Some(why) = walk_segment(&bytes[..data_end], pos + header.header_size, visit) {
            visit(Event::Stopped(why));
            return Ok(());
        }
        if truncated {
            visit(Event::Stopped(format!("file ends inside the data section at byte {data_end}")));
            return Ok(());
        }
        pos = data_end + 2;
    }
    Ok(())
}

/// Walks one segment's messages from `p` to the end of `bytes`; returns why it stopped early.
fn walk_segment(bytes: &[u8], mut p: usize, visit: &mut impl FnMut(Event)) -> Option<String> {
    let mut defs: Vec<Option<Def>> = vec![None; 16];
    let mut last_ts: Option<i64> = None;
    while p < bytes.len() {
        let h = bytes[p];
        p += 1;
        if h & 0x80 == 0 && h & 0x40 != 0 {
            // Definition message.
            let local = usize::from(h & 0x0F);
            let Some(fixed) = bytes.get(p..p + 5) else {
                return Some(format!("truncated definition at byte {}", p - 1));
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
                return Some(format!("truncated definition at byte {p}"));
            };
            p += 3 * n;
            let mut def = Def { global, big_endian: big, ..Def::default() };
            if global != RECORD {
                def.all.reserve_exact(n);
            }
            let mut offset = 0;
            for f in list.chunks_exact(3) {
                let field = Field::new(offset, usize::from(f[1]), f[2], big);
                match (global, f[0]) {
                    (_, 253) => def.timestamp = Some(field),
                    (RECORD, num @ 0..=8) => def.fields[usize::from(num)] = Some(field),
                    (RECORD, 13) => def.temperature = Some(field),
                    (RECORD, 73) => def.enhanced_speed = Some(field),
                    (RECORD, 78) => def.enhanced_altitude = Some(field),
                    _ => {}
                }
                if global != RECORD {
                    def.all.push((f[0], field));
                }
                offset += field.size;
            }
            if h & 0x20 != 0 {
                let Some(&nd) = bytes.get(p) else {
                    return Some(format!("truncated definition at byte {p}"));
                };
                p += 1;
                let Some(dev) = bytes.get(p..p + 3 * usize::from(nd)) else {
                    return Some(format!("truncated definition at byte {p}"));
                };
                p += dev.len();
                offset += dev.chunks_exact(3).map(|d| usize::from(d[1])).sum::<usize>();
            }
            def.size = offset;
            let first_then = |enhanced: Option<Field>, plain: Option<Field>| match enhanced {
                Some(_) => (enhanced, plain),
                None => (plain, None),
            };
            def.speed = first_then(def.enhanced_speed, def.fields[SPEED]);
            def.altitude = first_then(def.enhanced_altitude, def.fields[ALTITUDE]);
            defs[local] = Some(def);
            continue;
        }
        let (local, time_offset) = if h & 0x80 != 0 {
            (usize::from((h >> 5) & 0x03), Some(i64::from(h & 0x1F)))
        } else {
            (usize::from(h & 0x0F), None)
        };
        let Some(def) = defs[local].as_ref() else {
            return Some(format!(
                "stopped at byte {}: local message {local} used before its definition",
                p - 1
            ));
        };
        let Some(msg) = bytes.get(p..p + def.size) else {
            return Some(format!(
                "stopped at byte {}: a message runs past the end of the data section",
                p - 1
            ));
        };
        p += def.size;
        let big = def.big_endian;
        // A FIT timestamp is a uint32; a field 253 of a wider type (a damaged or hostile file)
        // is no time.
        let own = def.timestamp.and_then(|f| match f.read {
            // The usual uint32, read as an integer.
            Read::U32 => int_u32(msg, f.offset).filter(|&u| u != u32::MAX).map(i64::from),
            _ => value(msg, f, big)
                .filter(|t| (0.0..=f64::from(u32::MAX)).contains(t))
                .map(|t| t as i64),
        });
        if own.is_some() {
            last_ts = own;
        }
        if let Some(offset) = time_offset {
            let base = last_ts.unwrap_or(0);
            let mut t = offset + (base & !0x1F);
            if offset < (base & 0x1F) {
                t += 32;
            }
            last_ts = Some(t);
        }
        let time = if time_offset.is_some() { last_ts } else { own };
        visit(Event::Message(Message {
            def,
            bytes: msg,
            time,
            compressed_time: time_offset.is_some(),
        }));
    }
    None
}

/// Appends a `record` message to the sample columns: a row of `time_ms`, and a value or a
/// gap in each column the message's definition has a field for. The others are left short,
/// for [`Samples::pad_columns`] to fill with gaps at the end (most files never record some of
/// them).
#[inline(always)]
fn push_record(c: &mut Columns, m: &Message, acc_distance: &mut Option<(u32, u64)>) {
    let (def, msg, big) = (m.def, m.bytes, m.def.big_endian);
    let row = c.time_ms.len();
    c.time_ms.push(m.time.map(|t| (t + FIT_EPOCH_S) * 1000));
    if let Some(f) = def.fields[COMPRESSED_SPEED_DISTANCE] {
        let mut speed = scaled(either(msg, def.speed, big), |v| v / 1000.0);
        let mut distance = scaled(optional(msg, def.fields[DISTANCE], big), |v| v / 100.0);
        if let Some(b) = msg.get(f.offset..f.offset + 3) {
            let raw = u32::from(b[0]) | u32::from(b[1]) << 8 | u32::from(b[2]) << 16;
            let (s, d) = crate::fit::expand_compressed_speed_distance(raw, acc_distance);
            speed = speed.or(Some(s));
            distance = distance.or(Some(d));
        }
        c.speed_m_s.put(row, speed);
        c.distance_m.put(row, distance);
    } else {
        if def.speed.0.is_some() {
            c.speed_m_s.put(row, scaled(either(msg, def.speed, big), |v| v / 1000.0));
        }
        if let Some(f) = def.fields[DISTANCE] {
            c.distance_m.put(row, scaled(value(msg, f, big), |v| v / 100.0));
        }
    }
    if let Some(f) = def.fields[HEART_RATE] {
        c.heart_rate.put(row, int(msg, f, big));
    }
    if def.altitude.0.is_some() {
        c.altitude_m.put(row, scaled(either(msg, def.altitude, big), |v| v / 5.0 - 500.0));
    }
    const DEGREES: f64 = 180.0 / 2_147_483_648.0;
    if let Some(f) = def.fields[LAT] {
        c.latitude.put(row, scaled(value(msg, f, big), |v| v * DEGREES));
    }
    if let Some(f) = def.fields[LON] {
        c.longitude.put(row, scaled(value(msg, f, big), |v| v * DEGREES));
    }
    if let Some(f) = def.fields[CADENCE] {
        c.cadence.put(row, int(msg, f, big));
    }
    if let Some(f) = def.fields[POWER] {
        c.power.put(row, int(msg, f, big));
    }
    if let Some(f) = def.temperature {
        c.temperature_c.put(row, value(msg, f, big));
    }
}

/// [`value`] of a field the definition may not have.
#[inline(always)]
fn optional(msg: &[u8], f: Option<Field>, big: bool) -> Option<f64> {
    f.and_then(|f| value(msg, f, big))
}

/// [`value`] of the first field, else of the second (see `Def::speed`). The fallback is there
/// only when both fields are: mostly none.
#[inline(always)]
fn either(msg: &[u8], (first, then): (Option<Field>, Option<Field>), big: bool) -> Option<f64> {
    match then {
        None => optional(msg, first, big),
        Some(_) => optional(msg, first, big).or_else(|| optional(msg, then, big)),
    }
}

/// `f` of a value, computed on 0 for a missing one. `Option::map` compiles to arithmetic on
/// the missing value's leftover bits (then a select), which as a float are often subnormal,
/// and arithmetic on a subnormal takes the processor a slow microcode path: 60 % of the time
/// to decode a file of compressed speed and distance, whose records carry neither field
/// (`examples/decode_loop`: 0.227 -> 0.136 s for 2,000 passes). `black_box` keeps the
/// compiler from folding the `unwrap_or` back into a select after the arithmetic.
#[inline(always)]
fn scaled(v: Option<f64>, f: impl Fn(f64) -> f64) -> Option<f64> {
    let x = f(std::hint::black_box(v.unwrap_or(0.0)));
    v.is_some().then_some(x)
}

/// The messages other than `record`, `hrv` and `monitoring` that restday reads through the
/// profile (global numbers): file_id, session, activity, monitoring_info, monitoring_hr_data, stress_level, sleep_level,
/// sleep_assessment, hrv_status_summary, hrv_value.
const READ: [u16; 10] = [0, 18, 34, 103, 211, 227, 275, 346, 370, 371];
const HRV: u16 = 78;
const MONITORING: u16 = 55;

/// Decodes a FIT file (see the module docs); the same result as
/// [`crate::fit::decode_with_fitparser`].
pub fn decode(bytes: &[u8]) -> Result<Decoded, DecodeError> {
    let (usable, warnings) = crate::fit::check_segments(bytes)?;
    let mut decoded = Decoded::new(Content::Activity);
    decoded.warnings = warnings;
    let mut options = HashSet::new();
    options.insert(fitparser::de::DecodeOption::KeepCompositeFields);
    let mut d = Decoder {
        c: Collected::default(),
        usable,
        reserved: false,
        accumulators: HashMap::new(),
        options,
        failed: None,
        stopped: None,
    };
    walk(&bytes[..usable], &mut |event| match event {
        // Nearly every message, on a path of its own: everything else goes out of line
        // (`Decoder::other`), which left the record path 4 % fewer instructions.
        Event::Message(m) if m.def.global == RECORD && d.failed.is_none() => d.record(&m),
        other => d.other(other),
    })
    .map_err(DecodeError::NotFit)?;
    decoded.partial = d.failed.or(d.stopped);
    let mut c = d.c;
    c.messages += c.samples.len();
    c.samples.pad_columns();
    c.conclude(decoded)
}

/// What [`decode`] keeps while the walk hands it messages.
struct Decoder {
    c: Collected,
    /// The usable bytes of the file, to reserve the record columns from.
    usable: usize,
    /// Room for the records is reserved at the first: as many as the file could hold of
    /// messages that size (with their header byte), a tenth or so more than it does, where
    /// reserving for the smallest possible record (12 bytes) made four times the room, which
    /// cost its allocation and the copy that let go of it. A smaller record later grows the
    /// columns.
    reserved: bool,
    accumulators: HashMap<u32, Value>,
    options: HashSet<fitparser::de::DecodeOption>,
    /// Why fitparser's profile refused a message: nothing after it is read.
    failed: Option<String>,
    /// Why the walk stopped early.
    stopped: Option<String>,
}

impl Decoder {
    /// A `record` message: its time and its row of samples. Records are not counted here:
    /// [`decode`] adds them to the messages at the end, a sample each.
    #[inline(always)]
    fn record(&mut self, m: &Message) {
        let c = &mut self.c;
        if !self.reserved {
            self.reserved = true;
            c.samples = Samples::with_capacity(self.usable / (m.bytes.len() + 1));
        }
        if let Some(t) = m.time {
            c.last_time_ms = Some((t + FIT_EPOCH_S) * 1000);
        }
        push_record(c.samples.columns_mut(), m, &mut c.compressed_distance);
    }

    /// Every event but a record.
    #[inline(never)]
    fn other(&mut self, event: Event) {
        let c = &mut self.c;
        let m = match event {
            Event::Segment => {
                // Accumulated fields start again in each chained segment, as in fitparser.
                c.compressed_distance = None;
                self.accumulators.clear();
                return;
            }
            Event::Stopped(why) => {
                self.stopped = Some(why);
                return;
            }
            Event::Message(_) if self.failed.is_some() => return,
            Event::Message(m) => m,
        };
        let time_ms = m.time.map(|t| (t + FIT_EPOCH_S) * 1000);
        if m.def.global == HRV {
            // As many as the records in files that carry them: read here, as the
            // collector reads fitparser's (field 0, u16 in 1/1000 s).
            c.messages += 1;
            if time_ms.is_some() {
                c.last_time_ms = time_ms;
            }
            let t = c.last_time_ms;
            for &(num, f) in &m.def.all {
                if num != 0 || f.base & 0x1F != 0x04 {
                    continue;
                }
                let Some(b) = m.bytes.get(f.offset..f.offset + f.size) else { continue };
                for x in b.chunks_exact(2) {
                    let raw = uint(x, m.def.big_endian);
                    if raw != 0xFFFF {
                        // fitparser's scale (value / 1000 - 0), then the collector's ms.
                        c.push_rr(t, (raw as f64 / 1000.0 - 0.0) * 1000.0);
                    }
                }
            }
        } else if m.def.global == MONITORING {
            // All of a monitoring file: read here, as the collector reads fitparser's
            // (timestamp, else timestamp_16 (26) against the last full one; heart_rate 27).
            c.messages += 1;
            if time_ms.is_some() {
                c.last_time_ms = time_ms;
            }
            let field = |n: u8| m.def.all.iter().find(|(num, _)| *num == n).map(|&(_, f)| f);
            let t = time_ms.or_else(|| {
                // Only the low 16 bits count, whatever type the file declared.
                let t16 = value(m.bytes, field(26)?, m.def.big_endian)? as i64 & 0xFFFF;
                let last = (c.last_time_ms? / 1000) - FIT_EPOCH_S;
                Some((last + ((t16 - (last & 0xFFFF)) & 0xFFFF) + FIT_EPOCH_S) * 1000)
            });
            let hr = field(27).and_then(|f| value(m.bytes, f, m.def.big_endian));
            if let (Some(t), Some(hr)) = (t, hr.filter(|&h| h > 0.0)) {
                c.push_monitoring_hr(t, hr);
            }
        } else if READ.contains(&m.def.global) {
            match profile_record(&m, &mut self.accumulators, &self.options) {
                Ok(rec) => c.take(&rec),
                Err(e) => self.failed = Some(e),
            }
        } else {
            c.messages += 1;
            // A message the profile does not name keeps its field 253 as an unnamed
            // field in fitparser, which is no timestamp to the collector.
            let named = fitparser::profile::MesgNum::is_named_variant(i64::from(m.def.global));
            if time_ms.is_some() && (named || m.compressed_time) {
                c.last_time_ms = time_ms;
            }
        }
    }
}

/// The fields the collector reads of a `file_id`, `session` or `activity` message (see
/// `Collected::take`, `fit::session`, `fit::utc_offset`), or `None` to keep every field:
/// fitparser names, scales and allocates every field it is given, and a session carries dozens
/// (a third of the time to decode a 5 KB file went to its profile). None of these is a
/// component of another field; the subfields of `file_id.product` read `manufacturer`, which
/// is kept with it.
fn used_fields(global: u16) -> Option<&'static [u8]> {
    match global {
        // type, manufacturer, product (and the subfields it takes from the manufacturer),
        // product_name: not the serial number or time_created (a local time through chrono).
        0 => Some(&[0, 1, 2, 8]),
        // timestamp, start_time, sport, sub_sport, total_elapsed_time, total_timer_time,
        // total_distance, avg_heart_rate, max_heart_rate, total_ascent.
        18 => Some(&[253, 2, 5, 6, 7, 8, 9, 16, 17, 22]),
        // timestamp, local_timestamp.
        34 => Some(&[253, 5]),
        _ => None,
    }
}

/// A message's raw values through fitparser's profile: named, scaled fields as fitparser's own
/// decoder gives them.
fn profile_record(
    m: &Message,
    accumulators: &mut HashMap<u32, Value>,
    options: &HashSet<fitparser::de::DecodeOption>,
) -> Result<FitDataRecord, String> {
    let mut raw: HashMap<u8, Value> = HashMap::with_capacity(m.def.all.len());
    let used = used_fields(m.def.global);
    for &(num, f) in &m.def.all {
        if let Some(used) = used
            && !used.contains(&num)
        {
            continue;
        }
        if let Some(bytes) = m.bytes.get(f.offset..f.offset + f.size)
            && let Some(v) = raw_value(bytes, f.base, m.def.big_endian)
        {
            raw.insert(num, v);
        }
    }
    let kind = MesgNum::from(m.def.global);
    let fields = kind.decode_message(&mut raw, accumulators, options).map_err(|e| e.to_string())?;
    let mut rec = FitDataRecord::new(kind);
    let mut fields = fields;
    fields.sort_by_key(|f| f.number());
    for f in fields {
        rec.push(f);
    }
    if m.compressed_time
        && let Some(t) = m.time
    {
        let secs = t + FIT_EPOCH_S;
        if let chrono::LocalResult::Single(dt) =
            chrono::TimeZone::timestamp_opt(&chrono::Local, secs, 0)
        {
            rec.push(FitDataField::new(
                "timestamp".into(),
                253,
                None,
                Value::Timestamp(dt),
                String::new(),
            ));
        }
    }
    Ok(rec)
}

/// One field's raw value as fitparser's parser makes it: an array when the field holds
/// several, invalid sentinels dropped (an array of only invalid values is no value), strings
/// up to their first NUL.
fn raw_value(bytes: &[u8], base: u8, big: bool) -> Option<Value> {
    let base = base & 0x9F;
    let width = match base {
        0x00 | 0x01 | 0x02 | 0x07 | 0x0A | 0x0D => 1,
        0x83 | 0x84 | 0x8B => 2,
        0x85 | 0x86 | 0x88 | 0x8C => 4,
        0x89 | 0x8E | 0x8F | 0x90 => 8,
        _ => 1,
    };
    if base == 0x07 {
        let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
        return String::from_utf8(bytes[..end].to_vec()).ok().map(Value::String);
    }
    // A size that is not a multiple of the type's is read as bytes, as fitparser does.
    let (base, width) = if !bytes.len().is_multiple_of(width) { (0x0D, 1) } else { (base, width) };
    let one = |b: &[u8]| -> Value {
        let u = uint(b, big);
        let v = match base {
            0x00 => Value::Enum(u as u8),
            0x01 => Value::SInt8(u as u8 as i8),
            0x02 => Value::UInt8(u as u8),
            0x83 => Value::SInt16(u as u16 as i16),
            0x84 => Value::UInt16(u as u16),
            0x85 => Value::SInt32(u as u32 as i32),
            0x86 => Value::UInt32(u as u32),
            0x88 => Value::Float32(f32::from_bits(u as u32)),
            0x89 => Value::Float64(f64::from_bits(u)),
            0x0A => Value::UInt8z(u as u8),
            0x8B => Value::UInt16z(u as u16),
            0x8C => Value::UInt32z(u as u32),
            0x0D => Value::Byte(u as u8),
            0x8E => Value::SInt64(u as i64),
            0x8F => Value::UInt64(u),
            0x90 => Value::UInt64z(u),
            _ => Value::UInt8(u as u8),
        };
        if base == 0x0D || valid(&v) { v } else { Value::Invalid }
    };
    let mut values: Vec<Value> = bytes.chunks_exact(width).map(one).collect();
    let v = if values.len() == 1 { values.swap_remove(0) } else { Value::Array(values) };
    valid(&v).then_some(v)
}

/// fitparser's validity rule for raw values.
fn valid(v: &Value) -> bool {
    match v {
        Value::Enum(x) | Value::UInt8(x) | Value::Byte(x) => *x != 0xFF,
        Value::SInt8(x) => *x != 0x7F,
        Value::SInt16(x) => *x != 0x7FFF,
        Value::UInt16(x) => *x != 0xFFFF,
        Value::SInt32(x) => *x != 0x7FFF_FFFF,
        Value::UInt32(x) => *x != 0xFFFF_FFFF,
        Value::String(s) => !s.contains('\0'),
        Value::Timestamp(_) => true,
        Value::Float32(x) => x.is_finite(),
        Value::Float64(x) => x.is_finite(),
        Value::UInt8z(x) => *x != 0,
        Value::UInt16z(x) => *x != 0,
        Value::UInt32z(x) => *x != 0,
        Value::SInt64(x) => *x != 0x7FFF_FFFF_FFFF_FFFF,
        Value::UInt64(x) => *x != u64::MAX,
        Value::UInt64z(x) => *x != 0,
        Value::Array(vs) => !vs.is_empty() && vs.iter().any(valid),
        Value::Invalid => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_reads_give_what_the_float_reads_give() {
        // One message, little-endian: uint8 150, sint8 -5, uint16 0xFFFF (invalid), sint16
        // -300, uint32 3,000,000,000 (past i32: saturates, as `3e9 as i32` does), sint32 -7,
        // uint32z 0 (invalid), and a big-endian uint16 258 (through the generic read).
        let mut msg = vec![150u8, 0xFB, 0xFF, 0xFF];
        msg.extend((-300i16).to_le_bytes());
        msg.extend(3_000_000_000u32.to_le_bytes());
        msg.extend((-7i32).to_le_bytes());
        msg.extend(0u32.to_le_bytes());
        msg.extend([1, 2]);
        let fields = [
            (Field::new(0, 1, 0x02, false), Some(150)),
            (Field::new(1, 1, 0x01, false), Some(-5)),
            (Field::new(2, 2, 0x84, false), None),
            (Field::new(4, 2, 0x83, false), Some(-300)),
            (Field::new(6, 4, 0x86, false), Some(i32::MAX)),
            (Field::new(10, 4, 0x85, false), Some(-7)),
            (Field::new(14, 4, 0x8C, false), None),
            (Field::new(18, 2, 0x84, true), Some(258)),
        ];
        for (f, want) in fields {
            let big = matches!(f.read, Read::Generic);
            assert_eq!(int(&msg, f, big), want, "offset {}", f.offset);
            assert_eq!(value(&msg, f, big).map(|v| v as i32), want, "offset {}", f.offset);
        }
    }
}
