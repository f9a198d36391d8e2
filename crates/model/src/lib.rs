//! The domain model of restday: activities, their samples, wellness readings and the import
//! ledger, as plain Rust values.
//!
//! This crate owns no behaviour beyond small helpers. It knows nothing of files, FIT, XML or
//! Polars: decoders produce these values, the store persists them, later stages read them back.
//!
//! Times are UTC milliseconds since the Unix epoch (`i64`) everywhere, so that every stage agrees
//! on one representation and no stage needs a date library to pass a time along.
//!
//! ```
//! use restday_model::{Samples, SampleRow};
//! let mut s = Samples::default();
//! s.push(SampleRow { time_ms: Some(1_000), heart_rate: Some(140), ..SampleRow::default() });
//! assert_eq!(s.len(), 1);
//! assert_eq!(s.heart_rate.get(0), Some(140));
//! ```

use std::fmt;

/// The file formats restday decodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Format {
    Fit,
    Gpx,
    Tcx,
    /// Garmin's daily wellness JSON (sleep, UDS, health status) from "Export Your Data".
    GarminJson,
}

impl Format {
    /// The lower-case name used in tables and messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Fit => "fit",
            Format::Gpx => "gpx",
            Format::Tcx => "tcx",
            Format::GarminJson => "json",
        }
    }

    /// How much a format usually carries; used to keep the richer copy of a duplicated activity.
    /// FIT carries sessions, laps and every sensor; TCX carries laps and heart rate; GPX carries
    /// points only.
    pub fn richness(self) -> u8 {
        match self {
            Format::Fit => 3,
            Format::Tcx => 2,
            Format::Gpx => 1,
            Format::GarminJson => 0,
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One row of samples, used to build [`Samples`] a row at a time.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SampleRow {
    pub time_ms: Option<i64>,
    pub heart_rate: Option<i32>,
    pub distance_m: Option<f64>,
    pub speed_m_s: Option<f64>,
    pub altitude_m: Option<f64>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub cadence: Option<i32>,
    pub power: Option<i32>,
    pub temperature_c: Option<f64>,
}

/// One column of samples in Arrow's layout: a value per row (the type's default where the row
/// has none) and a validity bit per row, least significant bit first. Half the memory of a
/// `Vec<Option<f64>>`, and the store turns it into an Arrow array by copying its two buffers,
/// no step per value.
///
/// A column whose every row is a gap may hold no buffers at all ([`SampleColumn::fill_gaps_to`]:
/// a field a FIT file never records, most files' power or temperature): `values()` and
/// `validity()` are then empty while `len()` counts its rows. Writing to it first gives it its
/// buffers.
#[derive(Clone, Debug, Default)]
pub struct SampleColumn<T> {
    values: Vec<T>,
    /// Bit `i % 8` of byte `i / 8` is set when row `i` has a value.
    validity: Vec<u8>,
    /// Rows without a value; more than `values` holds for a column held without buffers.
    nulls: usize,
}

impl<T: Copy + Default + PartialEq> PartialEq for SampleColumn<T> {
    /// Row by row: a column of gaps held without buffers equals one that holds them.
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.nulls == other.nulls && self.iter().eq(other.iter())
    }
}

impl<T: Copy + Default> SampleColumn<T> {
    /// An empty column with room for `n` rows.
    pub fn with_capacity(n: usize) -> Self {
        SampleColumn {
            values: Vec::with_capacity(n),
            validity: Vec::with_capacity(n.div_ceil(8)),
            nulls: 0,
        }
    }

    /// Lets go of the room beyond the rows, when it is more than an eighth of them: shrinking
    /// copies the column, which costs more than the little room it would give back.
    pub fn shrink_to_fit(&mut self) {
        let spare = |capacity: usize, len: usize| capacity - len > len / 8;
        if spare(self.values.capacity(), self.values.len()) {
            self.values.shrink_to_fit();
        }
        if spare(self.validity.capacity(), self.validity.len()) {
            self.validity.shrink_to_fit();
        }
    }

    #[inline(always)]
    pub fn push(&mut self, value: Option<T>) {
        if self.bare() {
            self.clothe();
        }
        // Branch-free but for a new validity byte every eighth row.
        let i = self.values.len();
        let bit = u8::from(value.is_some()) << (i % 8);
        self.nulls += usize::from(value.is_none());
        self.values.push(value.unwrap_or_default());
        match self.validity.last_mut() {
            Some(byte) if !i.is_multiple_of(8) => *byte |= bit,
            _ => self.validity.push(bit),
        }
    }

    /// Sets row `row`, the next after gaps for the rows the column was left short of: the FIT
    /// decoder's innermost step, for each field a record's definition has (a column the
    /// definition lacks is left short, or without buffers).
    #[inline(always)]
    pub fn put(&mut self, row: usize, value: Option<T>) {
        // A column without buffers has none in `values`: padding gives it them.
        self.pad_to(row);
        match value {
            Some(v) => self.push_value(v),
            None => self.push_null(),
        }
    }

    /// Appends a row with a value (the column holds its buffers: see [`SampleColumn::put`]).
    #[inline(always)]
    fn push_value(&mut self, value: T) {
        let i = self.values.len();
        self.values.push(value);
        if i.is_multiple_of(8) {
            self.validity.push(1);
        } else if let Some(byte) = self.validity.last_mut() {
            *byte |= 1 << (i % 8);
        }
    }

    /// Appends a row without a value (the column holds its buffers: see [`SampleColumn::put`]).
    #[inline(always)]
    fn push_null(&mut self) {
        let i = self.values.len();
        self.nulls += 1;
        self.values.push(T::default());
        if i.is_multiple_of(8) {
            self.validity.push(0);
        }
    }

    /// Appends rows without a value until the column has `len` rows.
    #[inline(always)]
    pub fn pad_to(&mut self, len: usize) {
        if len > self.values.len() {
            self.pad(len);
        }
    }

    #[cold]
    fn pad(&mut self, len: usize) {
        if self.bare() {
            self.clothe();
        }
        if len > self.values.len() {
            // The bits past the last row are always clear: only the two lengths change.
            self.nulls += len - self.values.len();
            self.values.resize(len, T::default());
            self.validity.resize(len.div_ceil(8), 0);
        }
    }

    /// [`SampleColumn::pad_to`], except that a column with no value yet stays without
    /// buffers: no memory written for the rows of a field the file never recorded.
    pub fn fill_gaps_to(&mut self, len: usize) {
        if self.values.is_empty() {
            self.nulls = self.nulls.max(len);
        } else {
            self.pad_to(len);
        }
    }

    /// Whether the column has rows but no buffers (only gaps: see the type's docs), so that
    /// `values()` and `validity()` are empty.
    #[inline(always)]
    pub fn bare(&self) -> bool {
        self.nulls > self.values.len()
    }

    /// Gives a column held without buffers its buffers: a default value and a clear bit per
    /// row.
    #[cold]
    fn clothe(&mut self) {
        let n = self.nulls;
        self.values.resize(n, T::default());
        self.validity.resize(n.div_ceil(8), 0);
    }

    /// Appends rows `range` of `other`: the values as one slice, the bits a byte at a time.
    pub fn extend_from(&mut self, other: &SampleColumn<T>, range: std::ops::Range<usize>) {
        if self.bare() {
            self.clothe();
        }
        let start = self.values.len();
        if other.nulls == other.len() {
            // A column without values (a field the file never records): only gaps.
            self.pad_to(start + range.len());
            return;
        }
        self.values.extend_from_slice(&other.values[range.clone()]);
        self.validity.resize(self.values.len().div_ceil(8), 0);
        // Eight source bits from bit `at` on (bits past the source's end read as clear).
        let src = &other.validity;
        let byte_from = |at: usize| -> u8 {
            let (q, r) = (at / 8, at % 8);
            let lo = src.get(q).copied().unwrap_or(0) >> r;
            let hi = if r == 0 { 0 } else { src.get(q + 1).copied().unwrap_or(0) << (8 - r) };
            lo | hi
        };
        let (mut at, mut from, end) = (start, range.start, range.end);
        let mut set = 0;
        // Bit by bit up to the destination's next byte boundary, then whole bytes, then the
        // last few bits.
        while at % 8 != 0 && from < end {
            let bit = src[from / 8] >> (from % 8) & 1;
            self.validity[at / 8] |= bit << (at % 8);
            set += usize::from(bit);
            (at, from) = (at + 1, from + 1);
        }
        while from + 8 <= end {
            let byte = byte_from(from);
            self.validity[at / 8] = byte;
            set += byte.count_ones() as usize;
            (at, from) = (at + 8, from + 8);
        }
        if from < end {
            let byte = byte_from(from) & ((1u8 << (end - from)) - 1);
            self.validity[at / 8] = byte;
            set += byte.count_ones() as usize;
        }
        self.nulls += range.len() - set;
    }

    /// The value at row `i`; `None` when the row has none or is past the end.
    #[inline]
    pub fn get(&self, i: usize) -> Option<T> {
        let v = *self.values.get(i)?;
        (self.validity[i / 8] >> (i % 8) & 1 == 1).then_some(v)
    }

    /// Every row, in order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = Option<T>> + '_ {
        // A column without gaps (most) is read without looking at its bits.
        let whole = self.nulls == 0;
        // Past `values` (a column held without buffers) every row is a gap.
        (0..self.len()).map(move |i| {
            let v = *self.values.get(i)?;
            (whole || self.validity[i / 8] >> (i % 8) & 1 == 1).then_some(v)
        })
    }

    pub fn len(&self) -> usize {
        self.values.len().max(self.nulls)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// One value per row; rows without one hold the type's default. Empty for a column held
    /// without buffers (see the type's docs).
    pub fn values(&self) -> &[T] {
        &self.values
    }

    /// The validity bits (see the type's docs): `len()` bits, the last byte padded with zeros.
    /// Empty for a column held without buffers.
    pub fn validity(&self) -> &[u8] {
        &self.validity
    }

    /// Rows without a value.
    pub fn null_count(&self) -> usize {
        self.nulls
    }

    /// Whether any row has a value.
    pub fn has_values(&self) -> bool {
        self.nulls < self.values.len()
    }
}

impl<T: Copy + Default> FromIterator<Option<T>> for SampleColumn<T> {
    fn from_iter<I: IntoIterator<Item = Option<T>>>(iter: I) -> Self {
        let iter = iter.into_iter();
        let mut c = SampleColumn::with_capacity(iter.size_hint().0);
        for v in iter {
            c.push(v);
        }
        c
    }
}

impl<T> SampleColumn<T> {
    /// An empty column.
    pub const fn new() -> Self {
        SampleColumn { values: Vec::new(), validity: Vec::new(), nulls: 0 }
    }
}

/// The samples of one activity, column by column: one entry per FIT `record` message or per
/// GPX / TCX track point, in file order, none dropped or merged. A value the device marked
/// invalid, or did not record, is `None`.
///
/// The columns ([`Columns`], read through `Deref`: `samples.heart_rate`) live on the heap and
/// only once a row is pushed: every stored activity carries an empty `Samples`, which is one
/// pointer instead of ten empty columns inline (560 bytes; 24 MB over a 2 GB export's
/// activities).
#[derive(Clone, Debug, Default)]
pub struct Samples {
    columns: Option<Box<Columns>>,
}

impl PartialEq for Samples {
    fn eq(&self, other: &Samples) -> bool {
        **self == **other
    }
}

impl std::ops::Deref for Samples {
    type Target = Columns;
    fn deref(&self) -> &Columns {
        self.columns.as_deref().unwrap_or(&NO_COLUMNS)
    }
}

static NO_COLUMNS: Columns = Columns {
    time_ms: SampleColumn::new(),
    heart_rate: SampleColumn::new(),
    distance_m: SampleColumn::new(),
    speed_m_s: SampleColumn::new(),
    altitude_m: SampleColumn::new(),
    latitude: SampleColumn::new(),
    longitude: SampleColumn::new(),
    cadence: SampleColumn::new(),
    power: SampleColumn::new(),
    temperature_c: SampleColumn::new(),
};

/// The columns of [`Samples`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Columns {
    pub time_ms: SampleColumn<i64>,
    pub heart_rate: SampleColumn<i32>,
    pub distance_m: SampleColumn<f64>,
    pub speed_m_s: SampleColumn<f64>,
    pub altitude_m: SampleColumn<f64>,
    pub latitude: SampleColumn<f64>,
    pub longitude: SampleColumn<f64>,
    pub cadence: SampleColumn<i32>,
    pub power: SampleColumn<i32>,
    pub temperature_c: SampleColumn<f64>,
}

impl Samples {
    /// Empty columns with room for `n` rows.
    pub fn with_capacity(n: usize) -> Self {
        Samples { columns: Some(Box::new(Columns::with_capacity(n))) }
    }

    pub fn len(&self) -> usize {
        self.time_ms.len()
    }

    pub fn is_empty(&self) -> bool {
        self.time_ms.is_empty()
    }

    #[inline]
    pub fn push(&mut self, r: SampleRow) {
        self.columns_mut().push(r);
    }

    /// The columns, to append to one by one. Every column must end up as long as `time_ms`
    /// (see [`Samples::pad_columns`]).
    #[inline]
    pub fn columns_mut(&mut self) -> &mut Columns {
        self.columns.get_or_insert_with(Box::default)
    }

    /// Lets go of the room the columns have beyond their rows, where it is worth a copy (see
    /// [`SampleColumn::shrink_to_fit`]; the FIT decoder reserves for the most records a file
    /// could hold, the XML readers grow by doubling): for samples kept in memory a while.
    pub fn shrink_to_fit(&mut self) {
        let Some(c) = self.columns.as_deref_mut() else { return };
        c.time_ms.shrink_to_fit();
        c.heart_rate.shrink_to_fit();
        c.distance_m.shrink_to_fit();
        c.speed_m_s.shrink_to_fit();
        c.altitude_m.shrink_to_fit();
        c.latitude.shrink_to_fit();
        c.longitude.shrink_to_fit();
        c.cadence.shrink_to_fit();
        c.power.shrink_to_fit();
        c.temperature_c.shrink_to_fit();
    }

    /// Brings every column to the length of `time_ms` with rows without a value: for a
    /// writer that appends to [`Samples::columns_mut`] only the columns it has values for. A
    /// column it never wrote to stays without buffers ([`SampleColumn::fill_gaps_to`]).
    pub fn pad_columns(&mut self) {
        let Some(c) = self.columns.as_deref_mut() else { return };
        let n = c.time_ms.len();
        c.heart_rate.fill_gaps_to(n);
        c.distance_m.fill_gaps_to(n);
        c.speed_m_s.fill_gaps_to(n);
        c.altitude_m.fill_gaps_to(n);
        c.latitude.fill_gaps_to(n);
        c.longitude.fill_gaps_to(n);
        c.cadence.fill_gaps_to(n);
        c.power.fill_gaps_to(n);
        c.temperature_c.fill_gaps_to(n);
    }

    /// Appends rows `range` of `other`, column by column.
    pub fn extend_from(&mut self, other: &Samples, range: std::ops::Range<usize>) {
        let c = self.columns_mut();
        c.time_ms.extend_from(&other.time_ms, range.clone());
        c.heart_rate.extend_from(&other.heart_rate, range.clone());
        c.distance_m.extend_from(&other.distance_m, range.clone());
        c.speed_m_s.extend_from(&other.speed_m_s, range.clone());
        c.altitude_m.extend_from(&other.altitude_m, range.clone());
        c.latitude.extend_from(&other.latitude, range.clone());
        c.longitude.extend_from(&other.longitude, range.clone());
        c.cadence.extend_from(&other.cadence, range.clone());
        c.power.extend_from(&other.power, range.clone());
        c.temperature_c.extend_from(&other.temperature_c, range);
    }
}

impl Columns {
    /// Empty columns with room for `n` rows.
    fn with_capacity(n: usize) -> Self {
        Columns {
            time_ms: SampleColumn::with_capacity(n),
            heart_rate: SampleColumn::with_capacity(n),
            distance_m: SampleColumn::with_capacity(n),
            speed_m_s: SampleColumn::with_capacity(n),
            altitude_m: SampleColumn::with_capacity(n),
            latitude: SampleColumn::with_capacity(n),
            longitude: SampleColumn::with_capacity(n),
            cadence: SampleColumn::with_capacity(n),
            power: SampleColumn::with_capacity(n),
            temperature_c: SampleColumn::with_capacity(n),
        }
    }

    #[inline(always)]
    fn push(&mut self, r: SampleRow) {
        self.time_ms.push(r.time_ms);
        self.heart_rate.push(r.heart_rate);
        self.distance_m.push(r.distance_m);
        self.speed_m_s.push(r.speed_m_s);
        self.altitude_m.push(r.altitude_m);
        self.latitude.push(r.latitude);
        self.longitude.push(r.longitude);
        self.cadence.push(r.cadence);
        self.power.push(r.power);
        self.temperature_c.push(r.temperature_c);
    }
}

impl Samples {
    /// The row at `i` (every value `None` past the end).
    pub fn row(&self, i: usize) -> SampleRow {
        SampleRow {
            time_ms: self.time_ms.get(i),
            heart_rate: self.heart_rate.get(i),
            distance_m: self.distance_m.get(i),
            speed_m_s: self.speed_m_s.get(i),
            altitude_m: self.altitude_m.get(i),
            latitude: self.latitude.get(i),
            longitude: self.longitude.get(i),
            cadence: self.cadence.get(i),
            power: self.power.get(i),
            temperature_c: self.temperature_c.get(i),
        }
    }

    /// The first and last sample time, ignoring samples without one.
    pub fn time_span(&self) -> Option<(i64, i64)> {
        if self.time_ms.null_count() == 0 {
            // Every row timed (nearly always): straight over the values.
            let (&first, rest) = self.time_ms.values().split_first()?;
            return Some(rest.iter().fold((first, first), |(lo, hi), &t| (lo.min(t), hi.max(t))));
        }
        let mut it = self.time_ms.iter().flatten();
        let first = it.next()?;
        let (lo, hi) = it.fold((first, first), |(lo, hi), t| (lo.min(t), hi.max(t)));
        Some((lo, hi))
    }

    /// How many sensor columns carry at least one value; a measure of how rich a recording is.
    pub fn channels(&self) -> usize {
        fn any<T: Copy + Default>(v: &SampleColumn<T>) -> usize {
            usize::from(v.has_values())
        }
        any(&self.heart_rate)
            + any(&self.distance_m)
            + any(&self.speed_m_s)
            + any(&self.altitude_m)
            + any(&self.latitude)
            + any(&self.cadence)
            + any(&self.power)
            + any(&self.temperature_c)
    }

    pub fn heart_rate_count(&self) -> usize {
        self.heart_rate.len() - self.heart_rate.null_count()
    }
}

/// One activity: one FIT session (a multisport file gives one per leg), or one GPX track /
/// TCX activity.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Activity {
    /// Position of this activity within its file (the FIT session index, the GPX track index).
    pub leg: u32,
    pub sport: Option<String>,
    pub sub_sport: Option<String>,
    pub device: Option<String>,
    pub start_ms: i64,
    /// Seconds to add to UTC to get the athlete's local time, when the file says.
    pub utc_offset_s: Option<i32>,
    pub elapsed_s: Option<f64>,
    pub timer_s: Option<f64>,
    pub distance_m: Option<f64>,
    pub ascent_m: Option<f64>,
    pub avg_hr: Option<i32>,
    pub max_hr: Option<i32>,
    /// Where the activity starts (the first sample with a position), in degrees.
    pub start_latitude: Option<f64>,
    pub start_longitude: Option<f64>,
    /// A title the file or the export gives (GPX `<name>`, Strava's `activities.csv`).
    pub name: Option<String>,
    /// The activity type the exporting service gives (Strava's `Activity Type`).
    pub activity_type: Option<String>,
    pub samples: Samples,
}

impl Activity {
    /// The duration used to compare two copies of one activity: elapsed time when known, else
    /// the span of the samples.
    pub fn duration_s(&self) -> f64 {
        if let Some(e) = self.elapsed_s {
            return e;
        }
        self.samples.time_span().map(|(a, b)| (b - a) as f64 / 1000.0).unwrap_or(0.0)
    }
}

/// A wellness measurement: resting heart rate, an R-R interval, a sleep stage and so on.
///
/// A reading has a time (FIT files), or the calendar date it summarises (Garmin's daily JSON
/// files): `day` is then set, in days since 1970-01-01, and `time_ms` is that day's midnight UTC.
#[derive(Clone, Debug, PartialEq)]
pub struct WellnessRow {
    pub time_ms: i64,
    /// For periods (a sleep stage), when the period ends.
    pub end_ms: Option<i64>,
    pub metric: WellnessMetric,
    pub value: f64,
    /// The athlete-local calendar date a daily value belongs to.
    pub day: Option<i32>,
}

impl WellnessRow {
    /// A reading at a time.
    pub fn at(time_ms: i64, metric: WellnessMetric, value: f64) -> Self {
        WellnessRow { time_ms, end_ms: None, metric, value, day: None }
    }

    /// A value for a whole calendar day.
    pub fn on(day: i32, metric: WellnessMetric, value: f64) -> Self {
        WellnessRow {
            time_ms: i64::from(day) * 86_400_000,
            end_ms: None,
            metric,
            value,
            day: Some(day),
        }
    }
}

/// What a [`WellnessRow`] measures. The names are the `metric` column's values; `docs/tables.md`
/// lists them with their units.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WellnessMetric {
    /// Heart rate from an all-day monitoring file, beats per minute.
    HeartRate,
    /// The day's resting heart rate the device computed, beats per minute.
    RestingHeartRate,
    /// The device's 7-day resting heart rate, beats per minute.
    RestingHeartRate7d,
    /// One R-R interval, milliseconds.
    RrInterval,
    /// A sleep stage: 0 unmeasurable, 1 awake, 2 light, 3 deep, 4 REM.
    SleepLevel,
    /// The device's overall sleep score, 0-100.
    SleepScore,
    /// Sub-scores of a night, 0-100.
    SleepQualityScore,
    SleepDurationScore,
    SleepRecoveryScore,
    /// A night as a daily summary gives it: start and end (UTC ms), seconds per stage.
    SleepStart,
    SleepEnd,
    DeepSleep,
    LightSleep,
    RemSleep,
    AwakeSleep,
    UnmeasurableSleep,
    /// Times awake in the night.
    AwakeCount,
    /// Breaths per minute over the night.
    Respiration,
    /// Average stress during sleep, 0-100.
    SleepStress,
    /// An overnight HRV (rMSSD) average, milliseconds.
    HrvRmssd,
    /// A 5-minute rMSSD, milliseconds.
    Hrv5Min,
    /// The 7-day HRV average, milliseconds.
    HrvWeekly,
    /// The personal HRV baseline band, milliseconds.
    HrvBaselineLow,
    HrvBaselineHigh,
    /// HRV status: 0 none, 1 poor, 2 low, 3 unbalanced, 4 balanced.
    HrvStatus,
    /// Stress level, 0-100.
    Stress,
    /// The day's average stress: all day, awake, asleep; 0-100.
    StressAverage,
    StressAwake,
    StressAsleep,
    /// Body battery, 0-100, and a day's highest and lowest.
    BodyBattery,
    BodyBatteryHigh,
    BodyBatteryLow,
    /// The day's UTC offset in seconds (local minus UTC), from a daily summary.
    UtcOffset,
    /// Mark that a daily file had an entry for a date, even one without values (a day the
    /// watch was not worn), so that it still replaces an older file's entry: one per kind of
    /// daily file (sleep, UDS, health status).
    SleepDay,
    UdsDay,
    HealthStatusDay,
}

impl WellnessMetric {
    pub fn as_str(self) -> &'static str {
        use WellnessMetric::*;
        match self {
            HeartRate => "heart_rate",
            RestingHeartRate => "resting_heart_rate",
            RestingHeartRate7d => "resting_heart_rate_7d",
            RrInterval => "rr_interval_ms",
            SleepLevel => "sleep_level",
            SleepScore => "sleep_score",
            SleepQualityScore => "sleep_quality_score",
            SleepDurationScore => "sleep_duration_score",
            SleepRecoveryScore => "sleep_recovery_score",
            SleepStart => "sleep_start_ms",
            SleepEnd => "sleep_end_ms",
            DeepSleep => "deep_sleep_s",
            LightSleep => "light_sleep_s",
            RemSleep => "rem_sleep_s",
            AwakeSleep => "awake_sleep_s",
            UnmeasurableSleep => "unmeasurable_sleep_s",
            AwakeCount => "awake_count",
            Respiration => "respiration_brpm",
            SleepStress => "sleep_stress",
            HrvRmssd => "hrv_rmssd_ms",
            Hrv5Min => "hrv_5min_ms",
            HrvWeekly => "hrv_weekly_ms",
            HrvBaselineLow => "hrv_baseline_low_ms",
            HrvBaselineHigh => "hrv_baseline_high_ms",
            HrvStatus => "hrv_status",
            Stress => "stress",
            StressAverage => "stress_avg",
            StressAwake => "stress_awake",
            StressAsleep => "stress_asleep",
            BodyBattery => "body_battery",
            BodyBatteryHigh => "body_battery_high",
            BodyBatteryLow => "body_battery_low",
            UtcOffset => "utc_offset_s",
            SleepDay => "sleep_day",
            UdsDay => "uds_day",
            HealthStatusDay => "health_status_day",
        }
    }

    /// Which of Garmin's daily files carries this value: `sleep`, `uds` or `health_status`.
    /// For a date two files of the same kind both cover, the later file's values win.
    pub fn daily_record(self) -> &'static str {
        use WellnessMetric::*;
        match self {
            SleepLevel | SleepScore | SleepQualityScore | SleepDurationScore
            | SleepRecoveryScore | SleepStart | SleepEnd | DeepSleep | LightSleep | RemSleep
            | AwakeSleep | UnmeasurableSleep | AwakeCount | Respiration | SleepStress
            | SleepDay => "sleep",
            HrvRmssd | Hrv5Min | HrvWeekly | HrvBaselineLow | HrvBaselineHigh | HrvStatus
            | HealthStatusDay => "health_status",
            _ => "uds",
        }
    }
}

/// What happened to one file the import saw.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Decoded and stored (possibly partly: see [`LedgerRow::partial`]).
    Imported,
    /// The same content, or the same activity from a richer file, is already stored.
    Duplicate,
    /// Not a file restday reads (a PDF, a settings FIT file...): skipped and counted.
    Unsupported,
    /// Could not be read at all; the reason is in [`LedgerRow::error`].
    Failed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Imported => "imported",
            Outcome::Duplicate => "duplicate",
            Outcome::Unsupported => "unsupported",
            Outcome::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Outcome> {
        Some(match s {
            "imported" => Outcome::Imported,
            "duplicate" => Outcome::Duplicate,
            "unsupported" => Outcome::Unsupported,
            "failed" => Outcome::Failed,
            _ => return None,
        })
    }
}

/// One row of the import ledger: one file seen, inside an archive or not.
#[derive(Clone, Debug, PartialEq)]
pub struct LedgerRow {
    /// The path as seen, archive members as `export.zip!dir/file.fit`.
    pub path: String,
    /// Size in bytes after decompression.
    pub size: u64,
    /// Hex content hash of the decompressed bytes.
    pub hash: String,
    /// Identifies this version of the file without reading it (size and modification time on
    /// disk, size and CRC-32 in an archive); a later import skips a file whose path and
    /// fingerprint it finds here.
    pub fingerprint: Option<String>,
    /// `fit`, `gpx`, `tcx`, or the file's extension for unsupported files.
    pub format: String,
    pub outcome: Outcome,
    /// True when only part of the file could be decoded.
    pub partial: bool,
    /// Why the file failed, was partial, or is a duplicate / unsupported.
    pub error: Option<String>,
    /// The activities this file gave, comma-separated; for a duplicate, the activity kept.
    pub activity_ids: Option<String>,
    /// The commit that recorded this row.
    pub commit_id: i64,
    /// When this row was recorded, UTC ms.
    pub seen_ms: i64,
}

/// One day of the athlete's journal: what no watch measures. Scales run 0 to 10.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct JournalRow {
    /// Days since 1970-01-01, in the athlete's local calendar.
    pub day: i32,
    pub soreness: Option<f64>,
    pub irritability: Option<f64>,
    pub motivation: Option<f64>,
    pub sleep_quality: Option<f64>,
    pub sleep_hours: Option<f64>,
    pub illness: Option<bool>,
    pub life_stress: Option<f64>,
    pub planned_easy: Option<bool>,
    pub note: Option<String>,
}

/// Records in a file's ledger row that its activity `old` was replaced by the richer copy
/// `new`: the id leaves the row's list, and a row left with none becomes a duplicate of `new`.
/// Returns whether the row became a duplicate.
pub fn replace_in_ledger_row(row: &mut LedgerRow, old: &str, new: &str) -> bool {
    let ids = row.activity_ids.as_deref().unwrap_or_default();
    if !ids.split(',').any(|i| i == old) {
        return false;
    }
    let rest: Vec<&str> = ids.split(',').filter(|i| !i.is_empty() && *i != old).collect();
    if rest.is_empty() {
        row.outcome = Outcome::Duplicate;
        row.error = Some(format!("replaced by the richer copy {new}"));
        row.activity_ids = Some(new.to_string());
        true
    } else {
        row.activity_ids = Some(rest.join(","));
        false
    }
}

/// Builds the id of an activity: the first 16 hex digits of its file's content hash, then the
/// leg. Stable across runs, so re-importing gives the same ids.
pub fn activity_id(hash: &str, leg: u32) -> String {
    let short = hash.get(..16).unwrap_or(hash);
    format!("{short}-{leg}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_column_gives_back_room_only_past_an_eighth_of_its_rows() {
        let column = |reserved: usize, rows: usize| {
            let mut c = SampleColumn::<f64>::with_capacity(reserved);
            for i in 0..rows {
                c.push(Some(i as f64));
            }
            c.shrink_to_fit();
            (c.values.capacity(), c.validity.capacity(), c.len())
        };
        // 800 rows in room for 3,200 (100 validity bytes in 400): both shrunk.
        assert_eq!(column(3200, 800), (800, 100, 800));
        // 800 rows in room for 900 (an eighth is 100): kept; in 901, shrunk. Their validity
        // bytes, apart by the same rule: 100 in 113 (13 spare, an eighth is 12) shrunk ...
        assert_eq!(column(900, 800), (900, 100, 800));
        assert_eq!(column(901, 800), (800, 100, 800));
        // ... 100 in 112 kept, with the 800 values in 896.
        assert_eq!(column(896, 800), (896, 112, 800));
    }

    #[test]
    fn a_sample_column_keeps_values_and_gaps_in_arrow_layout() {
        // Rows 0..10: a value at 0, 2, 3, 8 and 9; the rest missing.
        let rows = [Some(5), None, Some(7), Some(-1), None, None, None, None, Some(0), Some(9)];
        let c: SampleColumn<i32> = rows.into_iter().collect();
        assert_eq!(c.len(), 10);
        assert_eq!(c.null_count(), 5);
        assert!(c.has_values());
        assert_eq!(c.iter().collect::<Vec<_>>(), rows.to_vec());
        assert_eq!((c.get(3), c.get(4), c.get(10)), (Some(-1), None, None));
        // Missing rows hold the default; the bits, least significant first:
        // byte 0 = rows 0..8 = 0b0000_1101, byte 1 = rows 8, 9 = 0b11.
        assert_eq!(c.values(), [5, 0, 7, -1, 0, 0, 0, 0, 0, 9]);
        assert_eq!(c.validity(), [0b0000_1101, 0b11]);
        let empty: SampleColumn<f64> = [None, None].into_iter().collect();
        assert!(!empty.has_values());
    }

    #[test]
    fn extending_a_column_by_a_range_copies_values_and_gaps() {
        // Source rows 0..12: a value where the row number is even or 9.
        let source: SampleColumn<i64> =
            (0..12).map(|i| (i % 2 == 0 || i == 9).then_some(i * 10)).collect();
        // Four rows already (value, gap, value, gap), then source rows 5..12 after them: rows
        // 4..11 of the result are the source's 5..12, across the byte boundary at row 8.
        let mut c: SampleColumn<i64> = [Some(1), None, Some(3)].into_iter().collect();
        c.push_null();
        c.extend_from(&source, 5..12);
        let want = [Some(1), None, Some(3), None, None, Some(60), None, Some(80), Some(90)];
        let mut want = want.to_vec();
        want.extend([Some(100), None]);
        assert_eq!(c.iter().collect::<Vec<_>>(), want);
        assert_eq!(c.len(), 11);
        assert_eq!(c.null_count(), 5);
        // Bits: rows 0..8 = 0b1010_0101 (rows 0, 2, 5, 7), rows 8..11 = 0b011 (rows 8, 9).
        assert_eq!(c.validity(), [0b1010_0101, 0b011]);
        // From a column without any value: gaps only, across the next byte boundary.
        let none: SampleColumn<i64> = (0..10).map(|_| None).collect();
        c.extend_from(&none, 2..8);
        assert_eq!((c.len(), c.null_count()), (17, 11));
        assert_eq!(c.validity(), [0b1010_0101, 0b011, 0]);
        assert_eq!(c.values()[5], 60);
    }

    #[test]
    fn extending_by_bytes_matches_appending_row_by_row() {
        // 40 source rows with a pattern of gaps; every destination offset 0..9 and range
        // (whole bytes, head and tail bits, empty): the same rows, bits and gap count as
        // pushing the rows one at a time (the hand-checked `push`).
        let source: SampleColumn<i32> =
            (0..40).map(|i| (i % 3 != 0 || i % 7 == 0).then_some(i)).collect();
        for offset in 0..9 {
            for (from, to) in [(0, 40), (3, 29), (8, 24), (5, 6), (17, 17), (1, 40)] {
                let mut fast: SampleColumn<i32> =
                    (0..offset).map(|i| (i % 2 == 0).then_some(i)).collect();
                let mut slow = fast.clone();
                fast.extend_from(&source, from..to);
                for i in from..to {
                    slow.push(source.get(i));
                }
                assert_eq!(fast, slow, "offset {offset}, rows {from}..{to}");
            }
        }
    }

    #[test]
    fn columns_left_short_are_padded_with_gaps() {
        // Ten rows of time; heart rate only from row 9 on (rows 0..9 padded first); power
        // never: both end as long as time, the gaps counted and their bits clear. Power, never
        // written, is held without buffers.
        let mut s = Samples::default();
        let c = s.columns_mut();
        for t in 0..10 {
            c.time_ms.push(Some(t * 1000));
        }
        c.heart_rate.put(9, Some(150));
        s.pad_columns();
        assert_eq!(s.len(), 10);
        assert_eq!((s.heart_rate.len(), s.power.len()), (10, 10));
        assert_eq!((s.heart_rate.null_count(), s.power.null_count()), (9, 10));
        assert_eq!(s.heart_rate.validity(), [0, 0b10]);
        assert_eq!(s.heart_rate.get(9), Some(150));
        assert_eq!((s.power.values(), s.power.validity()), (&[][..], &[][..]));
        assert!(!s.power.has_values());
        assert_eq!(s.power.get(3), None);
        assert_eq!(s.power.iter().collect::<Vec<_>>(), vec![None; 10]);
        assert_eq!(s.power.iter().rev().count(), 10);
        // The same rows as a column that holds its buffers.
        assert_eq!(s.power, (0..10).map(|_| None).collect::<SampleColumn<i32>>());
        assert_ne!(s.power, (0..9).map(|_| None).collect::<SampleColumn<i32>>());
    }

    #[test]
    fn a_column_of_gaps_gets_its_buffers_when_written() {
        let gaps = || {
            let mut c = SampleColumn::<i32>::new();
            c.fill_gaps_to(5);
            c
        };
        let expected = |tail: &[Option<i32>]| {
            let mut rows = vec![None; 5];
            rows.extend_from_slice(tail);
            rows
        };
        assert!(gaps().bare() && !SampleColumn::<i32>::new().bare());
        // `put` at the next row, and past it (gaps first).
        let mut c = gaps();
        c.put(5, Some(7));
        assert!(!c.bare());
        assert_eq!(c.iter().collect::<Vec<_>>(), expected(&[Some(7)]));
        assert_eq!((c.values().len(), c.validity(), c.null_count()), (6, &[0b10_0000][..], 5));
        let mut c = gaps();
        c.put(7, Some(7));
        assert_eq!(c.iter().collect::<Vec<_>>(), expected(&[None, None, Some(7)]));
        // `push`.
        let mut c = gaps();
        c.push(Some(1));
        c.push(None);
        assert_eq!(c.iter().collect::<Vec<_>>(), expected(&[Some(1), None]));
        assert_eq!(c.null_count(), 6);
        // Rows appended from another column, and from one of gaps.
        let source: SampleColumn<i32> = [Some(1), None, Some(3)].into_iter().collect();
        let mut c = gaps();
        c.extend_from(&source, 0..3);
        assert_eq!(c.iter().collect::<Vec<_>>(), expected(&[Some(1), None, Some(3)]));
        let mut c: SampleColumn<i32> = [Some(1)].into_iter().collect();
        c.extend_from(&gaps(), 1..4);
        assert_eq!(c.iter().collect::<Vec<_>>(), vec![Some(1), None, None, None]);
        // Filling further keeps it without buffers; a column with values is padded.
        let mut c = gaps();
        c.fill_gaps_to(8);
        assert_eq!((c.len(), c.values().len()), (8, 0));
        let mut c: SampleColumn<i32> = [Some(1)].into_iter().collect();
        c.fill_gaps_to(3);
        assert_eq!((c.values(), c.validity(), c.null_count()), (&[1, 0, 0][..], &[1][..], 2));
    }

    #[test]
    fn time_span_ignores_missing_times() {
        let mut s = Samples::default();
        for t in [None, Some(5_000), Some(2_000), None, Some(9_000)] {
            s.push(SampleRow { time_ms: t, ..SampleRow::default() });
        }
        assert_eq!(s.time_span(), Some((2_000, 9_000)));
        // Every row timed, out of order.
        let mut s = Samples::default();
        for t in [5_000, 9_000, 2_000, 7_000] {
            s.push(SampleRow { time_ms: Some(t), ..SampleRow::default() });
        }
        assert_eq!(s.time_span(), Some((2_000, 9_000)));
        assert_eq!(Samples::default().time_span(), None);
    }

    #[test]
    fn replacing_one_leg_keeps_the_file_imported() {
        let mut row = LedgerRow {
            path: "tri.fit".into(),
            size: 1,
            hash: "h".into(),
            fingerprint: None,
            format: "fit".into(),
            outcome: Outcome::Imported,
            partial: false,
            error: None,
            activity_ids: Some("a-0,a-1".into()),
            commit_id: 1,
            seen_ms: 1,
        };
        assert!(!replace_in_ledger_row(&mut row, "a-1", "b-0"));
        assert_eq!((row.outcome, row.activity_ids.as_deref()), (Outcome::Imported, Some("a-0")));
        assert!(!replace_in_ledger_row(&mut row, "zz-9", "b-0"), "not this row's activity");
        assert!(replace_in_ledger_row(&mut row, "a-0", "c-0"));
        assert_eq!((row.outcome, row.activity_ids.as_deref()), (Outcome::Duplicate, Some("c-0")));
        assert_eq!(row.error.as_deref(), Some("replaced by the richer copy c-0"));
    }

    #[test]
    fn activity_id_is_hash_prefix_and_leg() {
        assert_eq!(activity_id("0123456789abcdef0123", 2), "0123456789abcdef-2");
    }

    #[test]
    fn channels_counts_columns_with_values() {
        let mut s = Samples::default();
        s.push(SampleRow { heart_rate: Some(120), ..SampleRow::default() });
        s.push(SampleRow { power: Some(200), cadence: Some(80), ..SampleRow::default() });
        assert_eq!(s.channels(), 3);
    }
}
