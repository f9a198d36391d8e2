//! Training metrics from the imported tables, as Polars expressions: heart-rate zones and
//! training load per activity, then daily and weekly volume, fitness / fatigue / form, the
//! acute:chronic workload ratio, monotony, strain and long-run spikes.
//!
//! Everything here is a pure function of data frames and an [`Athlete`]; reading and writing the
//! data folder is the store's job.
//!
//! ## Decisions (documented for users in `docs/tables.md`)
//! - A sample stands for the time until the next sample of its activity, at most [`GAP_CAP_S`]
//!   seconds: a pause or a sensor dropout adds at most that much time (and load), a gap never
//!   stretches the heart rate before it over the whole gap.
//! - Banister TRIMP = sum of minutes x HRr x a x e^(b x HRr), HRr = (HR - rest) / (max - rest)
//!   clamped to [0, 1]; a = 0.64, b = 1.92 for men, a = 0.86, b = 1.67 for women. Tools differ
//!   on these constants and on whether HRr is clamped.
//! - Edwards TRIMP = minutes in 50-60, 60-70, 70-80, 80-90, 90-100+ % of max HR weighted 1 to 5.
//! - CTL and ATL are exponentially weighted daily loads with decay k = 1 - e^(-1/N), N = 42 and 7
//!   (the Banister / Coggan form); TSB for day D is CTL - ATL of day D-1. The acute:chronic ratio
//!   uses EWMAs with lambda = 2 / (N + 1), N = 7 and 28 (Williams et al. 2017).

pub mod profile;
pub mod wellness;

pub use profile::{Athlete, Experience, Profile, Sex, Source, Valued, WeekStart, ZoneModel};

use polars::prelude::*;

/// The longest time one sample stands for, in seconds.
pub const GAP_CAP_S: f64 = 20.0;
/// Days in the fitness (CTL) and fatigue (ATL) averages.
pub const CTL_DAYS: f64 = 42.0;
pub const ATL_DAYS: f64 = 7.0;
/// Days in the acute and chronic EWMAs of the workload ratio.
pub const ACUTE_DAYS: f64 = 7.0;
pub const CHRONIC_DAYS: f64 = 28.0;

const MS_PER_DAY: i64 = 86_400_000;

/// Banister's constants (a, b) for a sex.
pub fn banister_constants(sex: Sex) -> (f64, f64) {
    match sex {
        Sex::Male => (0.64, 1.92),
        Sex::Female => (0.86, 1.67),
    }
}

/// Decay per day of a Banister / Coggan exponentially weighted average over `n` days.
pub fn banister_decay(n: f64) -> f64 {
    1.0 - (-1.0 / n).exp()
}

/// The (low, high) heart-rate bounds of zones 1 to 5 under the athlete's model, in bpm. Zone 1
/// starts at `low` of the first pair; zone 5 ends at max HR.
pub fn zone_bounds(a: &Athlete) -> [(f64, f64); 5] {
    let (max, rest) = (a.max_hr.value, a.resting_hr.value);
    let fractions = zone_fractions(a.zone_model.value);
    let bpm = |f: f64| match a.zone_model.value {
        ZoneModel::Max => f * max,
        ZoneModel::Hrr => rest + f * (max - rest),
        ZoneModel::Lthr => f * a.lthr.value.unwrap_or(max * 0.9),
    };
    let mut out = [(0.0, 0.0); 5];
    for k in 0..5 {
        let hi = if k == 4 { max } else { bpm(fractions[k + 1]) };
        out[k] = (bpm(fractions[k]), hi);
    }
    out
}

/// The lower bound of zones 1 to 5 as a fraction of the model's reference.
fn zone_fractions(model: ZoneModel) -> [f64; 5] {
    match model {
        ZoneModel::Max | ZoneModel::Hrr => [0.5, 0.6, 0.7, 0.8, 0.9],
        // Friel: zone 1 is everything below 85 % of LTHR.
        ZoneModel::Lthr => [0.0, 0.85, 0.90, 0.95, 1.0],
    }
}

/// The zone (1 to 5, 0 below zone 1) of `x`, a fraction of the model's reference.
fn zone_of(x: Expr, model: ZoneModel) -> Expr {
    let f = zone_fractions(model);
    when(x.clone().gt_eq(lit(f[4])))
        .then(lit(5))
        .when(x.clone().gt_eq(lit(f[3])))
        .then(lit(4))
        .when(x.clone().gt_eq(lit(f[2])))
        .then(lit(3))
        .when(x.clone().gt_eq(lit(f[1])))
        .then(lit(2))
        .when(x.gt_eq(lit(f[0])))
        .then(lit(1))
        .otherwise(lit(0))
}

/// Per-activity figures from the samples (`activity_id`, `time`, `heart_rate`): seconds with
/// heart rate (`hr_s`), seconds in zones 1 to 5 (`z1_s`..`z5_s`), Banister TRIMP (`trimp`) and
/// Edwards TRIMP (`edwards_trimp`). Activities without heart rate get null loads.
///
/// Every figure is a sum over samples of the time a sample stands for times a function of its
/// heart rate, so it is computed from [`hr_seconds`] (see [`load_from_hr_seconds`]).
pub fn activity_load(samples: LazyFrame, a: &Athlete) -> PolarsResult<LazyFrame> {
    load_from_hr_seconds(hr_seconds(samples)?, a)
}

/// Per activity and heart rate, the seconds spent at that heart rate: `activity_id`,
/// `heart_rate` (null for the time of samples without one, so every activity with samples has
/// a row), `seconds` (each sample standing for the time to the next, at most [`GAP_CAP_S`]).
/// It does not depend on the athlete, so the import computes it once per activity and the
/// loads come from it under any max / resting HR or zone model, without reading samples again.
pub fn hr_seconds(samples: LazyFrame) -> PolarsResult<LazyFrame> {
    let mut samples = samples;
    let schema = samples.collect_schema()?;
    let key = by_activity(&schema);
    Ok(seconds_at_hr(sorted_samples(samples, &schema), key, "activity_id"))
}

/// The columns the per-activity figures read, sorted by activity and time.
fn sorted_samples(samples: LazyFrame, schema: &Schema) -> LazyFrame {
    let mut keep = vec![col("activity_id"), col("time"), col("heart_rate")];
    if schema.contains(ACTIVITY_KEY) {
        keep.push(col(ACTIVITY_KEY));
    }
    samples.select(keep).sort([by_activity(schema), "time"], SortMultipleOptions::default())
}

/// [`hr_seconds`] of samples already sorted by `key` and time, with the activity named by the
/// column `id`.
fn seconds_at_hr(sorted: LazyFrame, key: &str, id: &str) -> LazyFrame {
    // The next sample is the next row when it belongs to the same activity (the rows are
    // sorted): one shift down the column, no window per activity. Whole milliseconds, summed
    // exactly, made seconds once per group.
    let t = col("time").cast(DataType::Int64);
    let same = col(key).shift(lit(-1)).eq(col(key));
    let gap = t.clone().shift(lit(-1)) - t;
    let cap = lit((GAP_CAP_S * 1000.0) as i64);
    // Sorted by time, a gap is never negative; the last sample of an activity stands for none.
    let ms = when(same).then(gap).otherwise(lit(0i64));
    let ms = when(ms.clone().gt(cap.clone())).then(cap).otherwise(ms);
    let hr = col("heart_rate").cast(DataType::Int32);
    let sorted = sorted.with_columns([ms.alias("ms"), hr.clone().alias("heart_rate")]);
    let seconds = (col("ms").sum().cast(DataType::Float64) / lit(1000.0)).alias("seconds");
    let per_hr = if key == ACTIVITY_KEY {
        // One integer per (activity, heart rate) to group by: Polars groups one integer
        // column by hashing it, two by encoding each row first (the `activity_figures` bench
        // 7.4-8.6 -> 6.0-6.1 ms). The heart rate, moved into 0..2^32 (a bogus negative one
        // too), takes the low 32 bits, a missing one is 2^32, the activity's number (a
        // batch's: far below 2^30) the bits above.
        let group = (col(key).cast(DataType::Int64) * lit(1i64 << 33))
            + when(hr.clone().is_null())
                .then(lit(1i64 << 32))
                .otherwise(hr.cast(DataType::Int64) + lit(1i64 << 31));
        let aggs = [seconds, col("heart_rate").first(), col(id).first()];
        sorted.with_column(group.alias("group")).group_by([col("group")]).agg(aggs)
    } else {
        // Keyed by the id itself (samples without activity numbers).
        sorted.group_by([col(key), col("heart_rate")]).agg([seconds])
    };
    per_hr.select([col(id), col("heart_rate"), col("seconds")])
}

/// The loads of [`activity_load`] from the seconds at each heart rate ([`hr_seconds`]).
pub fn load_from_hr_seconds(hr_seconds: LazyFrame, a: &Athlete) -> PolarsResult<LazyFrame> {
    let (ka, kb) = banister_constants(a.sex.value);
    let (max, rest) = (a.max_hr.value, a.resting_hr.value);
    let reference = match a.zone_model.value {
        ZoneModel::Max => col("hr") / lit(max),
        ZoneModel::Hrr => col("hrr"),
        ZoneModel::Lthr => col("hr") / lit(a.lthr.value.unwrap_or(max * 0.9)),
    };
    let mut aggs = vec![
        col("banister").sum().alias("trimp"),
        (col("dt") / lit(60.0) * col("edwards_zone").cast(DataType::Float64))
            .sum()
            .alias("edwards_trimp"),
        col("dt").filter(col("hr").is_not_null()).sum().alias("hr_s"),
    ];
    for k in 1..=5 {
        aggs.push(col("dt").filter(col("zone").eq(lit(k))).sum().alias(format!("z{k}_s")));
    }
    let no_hr = col("hr_s").eq(lit(0.0));
    Ok(hr_seconds
        .select([
            col("activity_id"),
            col("seconds").alias("dt"),
            col("heart_rate").cast(DataType::Float64).alias("hr"),
        ])
        .with_column(clamp((col("hr") - lit(rest)) / lit(max - rest), 0.0, 1.0).alias("hrr"))
        .with_columns([
            (col("dt") / lit(60.0) * col("hrr") * lit(ka) * (lit(kb) * col("hrr")).exp())
                .alias("banister"),
            zone_of(col("hr") / lit(max), ZoneModel::Max).alias("edwards_zone"),
            zone_of(reference, a.zone_model.value).alias("zone"),
        ])
        .group_by([col("activity_id")])
        .agg(aggs)
        .with_columns([
            when(no_hr.clone()).then(lit(NULL)).otherwise(col("trimp")).alias("trimp"),
            when(no_hr).then(lit(NULL)).otherwise(col("edwards_trimp")).alias("edwards_trimp"),
        ]))
}

/// `x` limited to `[lo, hi]`; null stays null.
fn clamp(x: Expr, lo: f64, hi: f64) -> Expr {
    when(x.clone().lt(lit(lo))).then(lit(lo)).when(x.clone().gt(lit(hi))).then(lit(hi)).otherwise(x)
}

/// The sport group used for per-sport volume: `run`, `bike`, `swim` or `other`, from the FIT /
/// TCX / GPX sport, else the export's activity type (Strava's `Run`, `Ride`...).
fn sport_group() -> Expr {
    let s = col("sport").fill_null(col("activity_type"));
    let any = |names: &[&str]| {
        names.iter().map(|n| s.clone().eq(lit(*n))).reduce(|a, b| a.or(b)).unwrap_or(lit(false))
    };
    when(any(&["running", "run", "trail_running", "Run", "Trail Run", "Virtual Run", "9"]))
        .then(lit("run"))
        .when(any(&[
            "cycling",
            "biking",
            "ride",
            "e_biking",
            "Ride",
            "Virtual Ride",
            "E-Bike Ride",
            "1",
        ]))
        .then(lit("bike"))
        .when(any(&["swimming", "swim", "lap_swimming", "open_water", "Swim", "5"]))
        .then(lit("swim"))
        .otherwise(lit("other"))
}

pub const SPORTS: [&str; 4] = ["run", "bike", "swim", "other"];

/// Adds to the activities (with their [`activity_load`] joined and [`time_zones`] applied) the
/// athlete-local date (`local_date`, and `offset_source`: `file` when the activity carries its
/// UTC offset, `position` when it comes from the time zone at the start, else `profile`), the sport group, the duration used for volume, and the efficiency factor `ef`
/// (metres per minute per beat per minute) for steady easy runs: runs whose average heart rate
/// lies at or below the top of zone 2.
pub fn activity_days(activities: LazyFrame, a: &Athlete) -> LazyFrame {
    let offset = col("utc_offset_s")
        .fill_null(col("tz_offset_s"))
        .cast(DataType::Int64)
        .fill_null(lit(a.utc_offset_s.value as i64));
    let day = local_day(col("start_time"), offset * lit(1000i64));
    let easy_ceiling = zone_bounds(a)[1].1;
    let duration = col("timer_s").fill_null(col("elapsed_s")).fill_null(lit(0.0));
    activities
        .with_columns([
            day.cast(DataType::Date).alias("local_date"),
            when(col("utc_offset_s").is_not_null())
                .then(lit("file"))
                .when(col("tz_offset_s").is_not_null())
                .then(lit("position"))
                .otherwise(lit("profile"))
                .alias("offset_source"),
            sport_group().alias("sport_group"),
            duration.alias("duration_s"),
        ])
        .with_column(
            when(
                col("sport_group")
                    .eq(lit("run"))
                    .and(col("avg_hr").cast(DataType::Float64).lt_eq(lit(easy_ceiling)))
                    .and(col("duration_s").gt(lit(0.0)))
                    .and(col("distance_m").gt(lit(0.0))),
            )
            .then(
                col("distance_m")
                    / (col("duration_s") / lit(60.0))
                    / col("avg_hr").cast(DataType::Float64),
            )
            .otherwise(lit(NULL))
            .alias("ef"),
        )
}

/// Adds `time_zone` and `tz_offset_s`: for each activity without its own UTC offset (GPX, TCX)
/// but with a start position, the IANA time zone there (offline lookup, `tzf-rs`) and its UTC
/// offset at the start time (`chrono-tz`). Per activity, not per sample, so plain Rust.
///
/// The lookup queries `tzf-rs`' bundled data in place (`EmbeddedFinder`: the same answers as
/// its `DefaultFinder`, slower per query) instead of expanding every polygon first, which
/// took about 80 ms: more than the few thousand lookups an import needs.
pub fn time_zones(mut activities: DataFrame) -> PolarsResult<DataFrame> {
    use chrono::{Offset, TimeZone};
    let n = activities.height();
    let own = activities.column("utc_offset_s")?.cast(&DataType::Int32)?;
    let start = activities.column("start_time")?.cast(&DataType::Int64)?;
    let lat = activities.column("start_latitude")?.cast(&DataType::Float64)?;
    let lon = activities.column("start_longitude")?.cast(&DataType::Float64)?;
    let (own, start, lat, lon) = (own.i32()?, start.i64()?, lat.f64()?, lon.f64()?);
    let mut finder = None;
    let mut names: Vec<Option<String>> = vec![None; n];
    let mut offsets: Vec<Option<i32>> = vec![None; n];
    for i in 0..n {
        let (Some(t), Some(la), Some(lo), None) =
            (start.get(i), lat.get(i), lon.get(i), own.get(i))
        else {
            continue;
        };
        let finder = finder.get_or_insert_with(tzf_rs::EmbeddedFinder::new);
        let name = finder.get_tz_name(lo, la);
        let Ok(tz) = name.parse::<chrono_tz::Tz>() else { continue };
        let Some(utc) = chrono::DateTime::from_timestamp_millis(t) else { continue };
        offsets[i] = Some(tz.offset_from_utc_datetime(&utc.naive_utc()).fix().local_minus_utc());
        names[i] = Some(name.to_string());
    }
    activities.with_column(Column::new("time_zone".into(), names))?;
    activities.with_column(Column::new("tz_offset_s".into(), offsets))?;
    Ok(activities)
}

/// Whole days since 1970-01-01 (Int32) of a UTC time column shifted by `offset_ms`, floored
/// (Polars' `%` takes the sign of the divisor).
pub fn local_day(utc: Expr, offset_ms: Expr) -> Expr {
    let local = utc.cast(DataType::Int64) + offset_ms;
    ((local.clone() - local % lit(MS_PER_DAY)) / lit(MS_PER_DAY)).cast(DataType::Int32)
}

/// A fixed rolling window of `window` rows that needs `min_periods` values.
pub fn rolling(window: usize, min_periods: usize) -> RollingOptionsFixedWindow {
    RollingOptionsFixedWindow { window_size: window, min_periods, ..Default::default() }
}

fn ewm(alpha: f64) -> EWMOptions {
    EWMOptions { alpha, adjust: false, bias: false, min_periods: 1, ignore_nulls: false }
}

/// One row per athlete-local day, from the day before the first activity to the day after the
/// latest data: the last activity, or `until` (days since 1970-01-01, e.g. the latest wellness
/// or journal day) when that is later. Rest days are present with zero load so the averages
/// decay. `activities` is the output of
/// [`activity_days`].
pub fn daily(activities: LazyFrame, until: Option<i32>) -> PolarsResult<DataFrame> {
    let f = || lit(0.0);
    let mut aggs = vec![
        col("activity_id").count().alias("sessions"),
        col("duration_s").sum().alias("duration_s"),
        col("distance_m").fill_null(f()).sum().alias("distance_m"),
        col("trimp").fill_null(f()).sum().alias("load"),
        col("edwards_trimp").fill_null(f()).sum().alias("edwards_load"),
        col("distance_m")
            .filter(col("sport_group").eq(lit("run")))
            .max()
            .fill_null(f())
            .alias("longest_run_m"),
        col("ef").sum().alias("ef_sum"),
        col("ef").is_not_null().sum().cast(DataType::Float64).alias("ef_runs"),
        col("avg_hr").cast(DataType::Float64).max().fill_null(f()).alias("max_avg_hr"),
    ];
    for k in 1..=5 {
        aggs.push(col(format!("z{k}_s")).fill_null(f()).sum().alias(format!("z{k}_s")));
    }
    for s in SPORTS {
        let of = |c: &str| col(c).fill_null(f()).filter(col("sport_group").eq(lit(s))).sum();
        aggs.push(of("duration_s").alias(format!("{s}_duration_s")));
        aggs.push(of("distance_m").alias(format!("{s}_distance_m")));
        aggs.push(of("trimp").alias(format!("{s}_load")));
        aggs.push(
            col("activity_id")
                .filter(col("sport_group").eq(lit(s)))
                .count()
                .alias(format!("{s}_sessions")),
        );
        for k in 1..=5 {
            aggs.push(of(&format!("z{k}_s")).alias(format!("{s}_z{k}_s")));
        }
    }
    let per_day = activities
        .with_column(col("local_date").cast(DataType::Int32).alias("day"))
        .group_by([col("day")])
        .agg(aggs)
        .collect()?;
    if per_day.height() == 0 {
        return Ok(per_day);
    }
    let days = per_day.column("day")?.i32()?;
    let (first, last) = (days.min().unwrap_or(0), days.max().unwrap_or(0));
    let end = until.unwrap_or(last).max(last) + 1;
    let calendar = DataFrame::new(
        (end - first + 2) as usize,
        vec![Column::new("day".into(), (first - 1..=end).collect::<Vec<i32>>())],
    )?;
    let value_cols: Vec<String> = per_day
        .get_column_names()
        .iter()
        .filter(|n| n.as_str() != "day")
        .map(|n| n.to_string())
        .collect();
    let fill: Vec<Expr> = value_cols.iter().map(|c| col(c.as_str()).fill_null(lit(0))).collect();
    let (ctl_a, atl_a) = (banister_decay(CTL_DAYS), banister_decay(ATL_DAYS));
    let (acute_a, chronic_a) = (2.0 / (ACUTE_DAYS + 1.0), 2.0 / (CHRONIC_DAYS + 1.0));
    let load = || col("load");
    calendar
        .lazy()
        .join(per_day.lazy(), [col("day")], [col("day")], JoinArgs::new(JoinType::Left))
        .sort(["day"], SortMultipleOptions::default())
        .with_columns(fill)
        .with_columns([
            col("day").cast(DataType::Date).alias("date"),
            load().ewm_mean(ewm(ctl_a)).alias("ctl"),
            load().ewm_mean(ewm(atl_a)).alias("atl"),
            load().ewm_mean(ewm(acute_a)).alias("acute_ewma"),
            load().ewm_mean(ewm(chronic_a)).alias("chronic_ewma"),
            load().rolling_mean(rolling(7, 7)).alias("load_mean_7d"),
            load().rolling_std(rolling(7, 7)).alias("load_sd_7d"),
            load().rolling_sum(rolling(7, 7)).alias("load_7d"),
            col("longest_run_m")
                .rolling_max(rolling(30, 1))
                .shift(lit(1))
                .fill_null(lit(0.0))
                .alias("longest_run_prev30_m"),
        ])
        .with_columns([
            (col("ctl") - col("atl")).shift(lit(1)).alias("tsb"),
            when(col("chronic_ewma").gt(lit(0.0)))
                .then(col("acute_ewma") / col("chronic_ewma"))
                .otherwise(lit(NULL))
                .alias("acwr"),
            when(col("load_sd_7d").gt(lit(0.0)))
                .then(col("load_mean_7d") / col("load_sd_7d"))
                .otherwise(lit(NULL))
                .alias("monotony"),
            when(col("longest_run_m").gt(lit(0.0)).and(col("longest_run_prev30_m").gt(lit(0.0))))
                .then((col("longest_run_m") / col("longest_run_prev30_m") - lit(1.0)) * lit(100.0))
                .otherwise(lit(NULL))
                .alias("longest_run_increase_pct"),
        ])
        .with_columns([
            (col("load_7d") * col("monotony")).alias("strain"),
            when(col("longest_run_increase_pct").gt(lit(100.0)))
                .then(lit(100))
                .when(col("longest_run_increase_pct").gt(lit(30.0)))
                .then(lit(30))
                .when(col("longest_run_increase_pct").gt(lit(10.0)))
                .then(lit(10))
                .otherwise(lit(NULL))
                .alias("longest_run_spike_pct"),
        ])
        .drop(cols(["day", "load_mean_7d", "load_sd_7d"]))
        .collect()
        .map(|df| move_first(df, "date"))
}

fn move_first(df: DataFrame, name: &str) -> DataFrame {
    let mut names: Vec<PlSmallStr> = vec![name.into()];
    names.extend(df.get_column_names().into_iter().filter(|n| n.as_str() != name).cloned());
    df.select(names).unwrap_or(df)
}

/// One row per week (Monday or Sunday start), from the daily table: volume, load, sessions and
/// time in zones, per sport and in total, how many of its days the daily table holds (`days`:
/// fewer than 7 for the week in progress and the first week of the data), and the change
/// against the previous week and against the mean of the previous four, between whole weeks
/// only (a week in progress against a whole one is no change, only a week not finished).
pub fn weekly(daily: &DataFrame, start: WeekStart) -> PolarsResult<DataFrame> {
    // 1970-01-05 (day 4) was a Monday, 1970-01-04 (day 3) a Sunday.
    let anchor = match start {
        WeekStart::Monday => 4,
        WeekStart::Sunday => 3,
    };
    let day = col("date").cast(DataType::Int32);
    let week = day.clone() - (day - lit(anchor)) % lit(7);
    let mut sums: Vec<Expr> = vec!["sessions", "duration_s", "distance_m", "load"]
        .into_iter()
        .map(|c| col(c).sum())
        .collect();
    sums.push(len().cast(DataType::Int32).alias("days"));
    for k in 1..=5 {
        sums.push(col(format!("z{k}_s")).sum());
    }
    for s in SPORTS {
        for m in
            ["duration_s", "distance_m", "load", "sessions", "z1_s", "z2_s", "z3_s", "z4_s", "z5_s"]
        {
            sums.push(col(format!("{s}_{m}")).sum());
        }
    }
    // Whole weeks: this one and the `back` before it.
    let whole = |back: i64| {
        (0..=back).map(|k| col("days").shift(lit(k)).eq(lit(7))).reduce(Expr::and).unwrap()
    };
    let mut changes = Vec::new();
    for c in ["distance_m", "duration_s", "load"] {
        let prev = col(c).shift(lit(1));
        let mean4 = (col(c).shift(lit(1))
            + col(c).shift(lit(2))
            + col(c).shift(lit(3))
            + col(c).shift(lit(4)))
            / lit(4.0);
        changes.push(
            when(whole(1).and(prev.clone().gt(lit(0.0))))
                .then((col(c) / prev - lit(1.0)) * lit(100.0))
                .otherwise(lit(NULL))
                .alias(format!("{c}_change_pct")),
        );
        changes.push(
            when(whole(4).and(mean4.clone().gt(lit(0.0))))
                .then((col(c) / mean4 - lit(1.0)) * lit(100.0))
                .otherwise(lit(NULL))
                .alias(format!("{c}_vs_4wk_pct")),
        );
    }
    let df = daily
        .clone()
        .lazy()
        .with_column(week.alias("week"))
        .group_by([col("week")])
        .agg(sums)
        .sort(["week"], SortMultipleOptions::default())
        .with_columns(changes)
        .with_column(col("week").cast(DataType::Date).alias("week_start"))
        .drop(cols(["week"]))
        .collect()?;
    Ok(move_first(df, "week_start"))
}

/// Samples in the window over which a heart rate must hold to count as sustained.
pub const SUSTAINED_SAMPLES: usize = 15;

/// The profile in force: the user's values, and estimates from the data for the missing ones.
///
/// - max HR: the highest heart rate held for [`SUSTAINED_SAMPLES`] consecutive samples of one
///   activity (the highest rolling minimum), so a one-sample spike does not count;
/// - resting HR: the median of the device's daily resting heart rates in `wellness` (the daily
///   wellness table);
/// - LTHR, when the zone model needs it and none is given: 90 % of max HR.
pub fn athlete(
    profile: &Profile,
    samples: LazyFrame,
    wellness: Option<LazyFrame>,
) -> PolarsResult<Athlete> {
    let sustained = if profile.max_hr.is_some() {
        None
    } else {
        let per_activity = sustained_hr(samples)?.collect()?;
        per_activity.column("sustained_hr")?.f64()?.max()
    };
    athlete_with(profile, sustained, wellness)
}

/// Per activity, the highest heart rate held for [`SUSTAINED_SAMPLES`] consecutive samples
/// (the highest rolling minimum): `activity_id`, `sustained_hr` (null without heart rate).
/// The max HR estimate is the highest of these, so it can be kept per activity and not
/// computed again from every sample.
pub fn sustained_hr(samples: LazyFrame) -> PolarsResult<LazyFrame> {
    let mut samples = samples;
    let schema = samples.collect_schema()?;
    sustained_of(sorted_samples(samples, &schema), by_activity(&schema), "activity_id")
}

/// [`sustained_hr`] of samples already sorted by `key` and time.
fn sustained_of(sorted: LazyFrame, key: &str, id: &str) -> PolarsResult<LazyFrame> {
    // The minimum over the last SUSTAINED_SAMPLES rows by doubling (the minimum of 2 rows,
    // then of 4 from two of those, of 8, and of 15 from two 8s overlapping): a few vectorised
    // passes over integers instead of a rolling window (Polars' arg-min window was a fifth of
    // the figures' instructions). A missing heart rate is i32::MIN, lower than any reading,
    // so a window with one holds nothing (a reading of i32::MIN itself, which no device
    // sends, counts as missing). The rows are grouped by activity in order, so an
    // activity's first SUSTAINED_SAMPLES - 1 rows, whose windows start in the activity
    // before, are sliced off before its maximum (no shifted key to compare).
    const NONE: i32 = i32::MIN;
    let mut sorted = sorted
        .with_column(col("heart_rate").cast(DataType::Int32).fill_null(lit(NONE)).alias("held"));
    let mut width = 1;
    while width < SUSTAINED_SAMPLES {
        let step = width.min(SUSTAINED_SAMPLES - width);
        let earlier = col("held").shift_and_fill(lit(step as i64), lit(NONE));
        sorted = sorted
            .with_column(polars::lazy::dsl::min_horizontal([col("held"), earlier])?.alias("held"));
        width += step;
    }
    let highest =
        col("held").slice(lit((SUSTAINED_SAMPLES - 1) as i64), lit(u32::MAX as i64)).max();
    let mut aggs = vec![
        when(highest.clone().gt(lit(NONE)))
            .then(highest.cast(DataType::Float64))
            .otherwise(lit(NULL))
            .alias("sustained_hr"),
    ];
    if key != id {
        aggs.push(col(id).first());
    }
    Ok(sorted.group_by([col(key)]).agg(aggs).select([col(id), col("sustained_hr")]))
}

/// Everything the metrics need from an activity's samples, computed once, at import:
/// [`hr_seconds`] with each activity's [`sustained_hr`] on every one of its rows
/// (`activity_id`, `heart_rate`, `seconds`, `sustained_hr`). The samples are sorted once.
///
/// Samples that carry only [`ACTIVITY_KEY`] (no `activity_id`: the import's staging, which
/// holds one id per activity and no string per row) give figures keyed by it instead.
pub fn activity_figures(samples: DataFrame) -> PolarsResult<DataFrame> {
    let (samples, id) = if samples.schema().contains("activity_id") {
        (with_activity_key(samples.select(["activity_id", "time", "heart_rate"])?)?, "activity_id")
    } else {
        (samples.select([ACTIVITY_KEY, "time", "heart_rate"])?, ACTIVITY_KEY)
    };
    let mut sorted = if in_order(&samples)? {
        samples
    } else {
        samples.sort([ACTIVITY_KEY, "time"], SortMultipleOptions::default())?
    };
    // Sorted by activity either way: flagged so, the group-bys by activity take Polars'
    // sorted path (runs of rows) instead of hashing every row.
    sorted.apply(ACTIVITY_KEY, |key| {
        let mut key = key.clone();
        key.set_sorted_flag(polars::series::IsSorted::Ascending);
        key
    })?;
    let seconds = seconds_at_hr(sorted.clone().lazy(), ACTIVITY_KEY, id);
    let sustained = sustained_of(sorted.lazy(), ACTIVITY_KEY, id)?;
    seconds
        .join(sustained, [col(id)], [col(id)], JoinArgs::new(JoinType::Left))
        .sort([id, "heart_rate"], SortMultipleOptions::default())
        .collect()
}

/// Whether the rows already run by [`ACTIVITY_KEY`] and then time, none missing, as the
/// import's staging hands them over (nearly always): one pass over the two columns to choose
/// the plan, so that such rows skip the sort, whose row-by-row comparisons of two columns were
/// a fifth of the figures' instructions even on rows in order. (A Polars expression for the
/// check cost more than the sort: it builds several columns.)
fn in_order(samples: &DataFrame) -> PolarsResult<bool> {
    let key = samples.column(ACTIVITY_KEY)?.u32()?;
    let time = samples.column("time")?.datetime()?.physical();
    // Each as one slice without nulls (anything else is sorted, as it comes).
    let (Ok(key), Ok(time)) = (key.cont_slice(), time.cont_slice()) else { return Ok(false) };
    let ordered = |(k, t): (&[u32], &[i64])| k[0] < k[1] || (k[0] == k[1] && t[0] <= t[1]);
    Ok(key.windows(2).zip(time.windows(2)).all(|(k, t)| ordered((k, t))))
}

/// An optional integer column of the samples that orders activities like `activity_id` does
/// for grouping (see [`with_activity_key`]): sorting by it instead of the id string makes the
/// sort several times faster.
pub const ACTIVITY_KEY: &str = "activity_key";

/// `df` with [`ACTIVITY_KEY`]: each activity's number in order of first appearance.
pub fn with_activity_key(mut df: DataFrame) -> PolarsResult<DataFrame> {
    // Samples come in runs of one activity: the map is asked once per run, not per row.
    let mut seen: std::collections::HashMap<&str, u32> = std::collections::HashMap::new();
    let mut last: Option<(&str, u32)> = None;
    let ids = df.column("activity_id")?.str()?.clone();
    let keys: Vec<Option<u32>> = ids
        .iter()
        .map(|id| {
            let id = id?;
            if let Some((l, k)) = last
                && l == id
            {
                return Some(k);
            }
            let next = seen.len() as u32;
            let k = *seen.entry(id).or_insert(next);
            last = Some((id, k));
            Some(k)
        })
        .collect();
    df.with_column(Column::new(ACTIVITY_KEY.into(), keys))?;
    Ok(df)
}

fn by_activity(schema: &Schema) -> &'static str {
    if schema.contains(ACTIVITY_KEY) { ACTIVITY_KEY } else { "activity_id" }
}

/// [`athlete`] from the highest sustained heart rate of the data (see [`sustained_hr`]).
pub fn athlete_with(
    profile: &Profile,
    sustained: Option<f64>,
    wellness: Option<LazyFrame>,
) -> PolarsResult<Athlete> {
    let given = |v: Option<f64>| v.map(|v| Valued::new(v, Source::Profile));
    let max_hr = match given(profile.max_hr) {
        Some(v) => v,
        None => match sustained {
            Some(v) => Valued::new(
                v,
                Source::Estimated(format!(
                    "highest heart rate held for {SUSTAINED_SAMPLES} samples"
                )),
            ),
            None => Valued::new(190.0, Source::Default),
        },
    };
    let resting_hr = match given(profile.resting_hr) {
        Some(v) => v,
        None => {
            let median = match wellness {
                Some(w) => w
                    .select([col("resting_hr").cast(DataType::Float64).median()])
                    .collect()?
                    .column("resting_hr")?
                    .f64()?
                    .get(0),
                None => None,
            };
            match median {
                Some(v) => Valued::new(
                    v,
                    Source::Estimated("median of the device's resting heart rates".into()),
                ),
                None => Valued::new(60.0, Source::Default),
            }
        }
    };
    let zone_model =
        profile.zone_model.map_or(Valued::new(ZoneModel::default(), Source::Default), |z| {
            Valued::new(z, Source::Profile)
        });
    let lthr = match profile.lthr {
        Some(v) => Valued::new(Some(v), Source::Profile),
        None if zone_model.value == ZoneModel::Lthr => {
            Valued::new(Some(0.9 * max_hr.value), Source::Estimated("90 % of max HR".into()))
        }
        None => Valued::new(None, Source::Default),
    };
    fn or_default<T: Default>(v: Option<T>) -> Valued<T> {
        match v {
            Some(v) => Valued::new(v, Source::Profile),
            None => Valued::new(T::default(), Source::Default),
        }
    }
    let utc_offset_s = match profile.utc_offset.as_deref() {
        Some(s) => match profile::parse_offset(s) {
            Some(o) => Valued::new(o, Source::Profile),
            None => {
                return Err(PolarsError::ComputeError(
                    format!("utc_offset {s:?} is not an offset like +02:00").into(),
                ));
            }
        },
        None => Valued::new(0, Source::Default),
    };
    Ok(Athlete {
        max_hr,
        resting_hr,
        lthr,
        sex: or_default(profile.sex),
        experience: or_default(profile.experience),
        zone_model,
        week_start: or_default(profile.week_start),
        utc_offset_s,
    })
}

#[cfg(test)]
mod tests;
