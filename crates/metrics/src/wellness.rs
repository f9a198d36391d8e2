//! One row of wellness per athlete-local date (`wellness.parquet`), from the stored readings
//! (`wellness_readings/part-<commit>.parquet`): Garmin's daily JSON summaries and the readings of FIT
//! monitoring, sleep and HRV files.
//!
//! - **Garmin JSON** rows already carry their calendar date. When two files of one kind (two
//!   sleep chunks, say) both cover a date, the later file wins for that kind: the one whose first
//!   date is later, then the one imported later.
//! - **FIT** readings carry times. A reading's date is its local date, under the UTC offset of
//!   its own file (a monitoring file's `monitoring_info`), else the athlete's usual offset
//!   (`home_offset_s`). A sleep stage or sleep score counts to the local date of its end plus
//!   12 hours, so a night is keyed to its wake-up date.
//! - For each group of values (sleep, resting HR, HRV, stress, body battery) the JSON summary
//!   wins when it has the group for that date; the FIT readings fill the rest. Each group has a
//!   `*_source` column naming the file its values came from.
//!
//! Sleep time is deep + light + REM; awake and unmeasurable time are not sleep.

use crate::local_day;
use polars::prelude::*;

/// The columns of one group, and the metric that says the group is present.
struct Group {
    name: &'static str,
    columns: &'static [&'static str],
}

const GROUPS: [Group; 5] = [
    Group {
        name: "sleep",
        columns: &[
            "sleep_start",
            "sleep_end",
            "sleep_h",
            "deep_sleep_h",
            "light_sleep_h",
            "rem_sleep_h",
            "awake_h",
            "awake_count",
            "respiration_brpm",
            "sleep_stress",
            "sleep_score",
            "sleep_quality_score",
            "sleep_duration_score",
            "sleep_recovery_score",
        ],
    },
    Group { name: "resting_hr", columns: &["resting_hr", "resting_hr_7d"] },
    Group {
        name: "hrv",
        columns: &[
            "hrv_ms",
            "hrv_weekly_ms",
            "hrv_baseline_low_ms",
            "hrv_baseline_high_ms",
            "hrv_status",
        ],
    },
    Group { name: "stress", columns: &["stress_avg", "stress_awake", "stress_asleep"] },
    Group { name: "body_battery", columns: &["body_battery_high", "body_battery_low"] },
];

fn is(metric: &str) -> Expr {
    col("metric").eq(lit(metric))
}

/// The value of `metric` in a group (the first, or the mean/max/min where asked).
fn pick(metric: &str) -> Expr {
    col("value").filter(is(metric)).first()
}

fn hours(seconds: Expr) -> Expr {
    seconds / lit(3600.0)
}

fn utc_time(ms: Expr) -> Expr {
    ms.cast(DataType::Int64).cast(DataType::Datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC)))
}

/// The JSON side: one row per date, columns named as in the output.
fn from_json(readings: LazyFrame) -> PolarsResult<LazyFrame> {
    let json = readings.filter(col("date").is_not_null()).with_columns([
        col("date").cast(DataType::Int32).alias("day"),
        // A file's place in time: its first date.
        col("date").cast(DataType::Int32).min().over([col("file_hash")])?.alias("chunk"),
    ]);
    let latest = SortMultipleOptions::default().with_order_descending(true);
    let winners = json.clone().group_by([col("day"), col("record")]).agg([col("file_hash")
        .sort_by([col("chunk"), col("commit_id"), col("source_path")], latest)
        .first()]);
    let on = [col("day"), col("record"), col("file_hash")];
    let json = json.join(winners, on.clone(), on, JoinArgs::new(JoinType::Inner));
    let secs = |m: &str| pick(m);
    let source = |record: &str, present: Expr| {
        when(present)
            .then(col("source_path").filter(col("record").eq(lit(record))).first())
            .otherwise(lit(NULL).cast(DataType::String))
    };
    Ok(json.group_by([col("day")]).agg([
        pick("utc_offset_s").cast(DataType::Int32).alias("utc_offset_s"),
        utc_time(pick("sleep_start_ms")).alias("sleep_start"),
        utc_time(pick("sleep_end_ms")).alias("sleep_end"),
        hours(secs("deep_sleep_s") + secs("light_sleep_s") + secs("rem_sleep_s")).alias("sleep_h"),
        hours(secs("deep_sleep_s")).alias("deep_sleep_h"),
        hours(secs("light_sleep_s")).alias("light_sleep_h"),
        hours(secs("rem_sleep_s")).alias("rem_sleep_h"),
        hours(secs("awake_sleep_s")).alias("awake_h"),
        pick("awake_count").alias("awake_count"),
        pick("respiration_brpm").alias("respiration_brpm"),
        pick("sleep_stress").alias("sleep_stress"),
        pick("sleep_score").alias("sleep_score"),
        pick("sleep_quality_score").alias("sleep_quality_score"),
        pick("sleep_duration_score").alias("sleep_duration_score"),
        pick("sleep_recovery_score").alias("sleep_recovery_score"),
        pick("resting_heart_rate").alias("resting_hr"),
        pick("resting_heart_rate_7d").alias("resting_hr_7d"),
        pick("hrv_rmssd_ms").alias("hrv_ms"),
        pick("hrv_weekly_ms").alias("hrv_weekly_ms"),
        pick("hrv_baseline_low_ms").alias("hrv_baseline_low_ms"),
        pick("hrv_baseline_high_ms").alias("hrv_baseline_high_ms"),
        pick("hrv_status").alias("hrv_status"),
        pick("stress_avg").alias("stress_avg"),
        pick("stress_awake").alias("stress_awake"),
        pick("stress_asleep").alias("stress_asleep"),
        pick("body_battery_high").alias("body_battery_high"),
        pick("body_battery_low").alias("body_battery_low"),
        col("commit_id").max().alias("commit_id"),
        // Where each group came from, when the file had values for it.
        source(
            "sleep",
            pick("sleep_start_ms")
                .is_not_null()
                .or(pick("deep_sleep_s").is_not_null())
                .or(pick("sleep_score").is_not_null()),
        )
        .alias("sleep_source"),
        source(
            "uds",
            pick("resting_heart_rate")
                .is_not_null()
                .or(pick("resting_heart_rate_7d").is_not_null()),
        )
        .alias("resting_hr_source"),
        source("health_status", pick("hrv_rmssd_ms").is_not_null()).alias("hrv_source"),
        source("uds", pick("stress_avg").is_not_null()).alias("stress_source"),
        source(
            "uds",
            pick("body_battery_high").is_not_null().or(pick("body_battery_low").is_not_null()),
        )
        .alias("body_battery_source"),
    ]))
}

/// The FIT side: one row per date from the readings of wellness FIT files.
fn from_fit(readings: LazyFrame, home_offset_s: i32) -> PolarsResult<LazyFrame> {
    let home_ms = i64::from(home_offset_s) * 1000;
    let fit = readings.filter(col("date").is_null()).with_column(
        (col("value").filter(is("utc_offset_s")).first().over([col("file_hash")])? * lit(1000.0))
            .cast(DataType::Int64)
            .fill_null(lit(home_ms))
            .alias("offset_ms"),
    );
    let sleep_metric = is("sleep_level").or(is("sleep_score"));
    // Sleep: keyed to the wake-up date.
    let end = col("end_time").cast(DataType::Int64).fill_null(col("time").cast(DataType::Int64));
    let stage_s = |level: f64| {
        ((col("end_time").cast(DataType::Int64) - col("time").cast(DataType::Int64))
            .cast(DataType::Float64)
            / lit(1000.0))
        .filter(is("sleep_level").and(col("value").eq(lit(level))))
        .sum()
    };
    let stages = is("sleep_level");
    let sleep = fit
        .clone()
        .filter(sleep_metric.clone())
        .with_column(local_day(end + lit(12 * 3_600_000i64), col("offset_ms")).alias("day"))
        .group_by([col("day")])
        .agg([
            utc_time(col("time").cast(DataType::Int64).filter(stages.clone()).min())
                .alias("sleep_start"),
            utc_time(col("end_time").cast(DataType::Int64).filter(stages.clone()).max())
                .alias("sleep_end"),
            hours(stage_s(2.0) + stage_s(3.0) + stage_s(4.0)).alias("sleep_h"),
            hours(stage_s(3.0)).alias("deep_sleep_h"),
            hours(stage_s(2.0)).alias("light_sleep_h"),
            hours(stage_s(4.0)).alias("rem_sleep_h"),
            hours(stage_s(1.0)).alias("awake_h"),
            col("value").filter(is("sleep_score")).last().alias("sleep_score"),
            col("source_path").first().alias("sleep_source"),
            col("commit_id").max().alias("commit_id_sleep"),
        ])
        // A night without stages is no night (a score alone still counts).
        .with_columns([when(col("sleep_start").is_null())
            .then(lit(NULL).cast(DataType::Float64))
            .otherwise(col("sleep_h"))
            .alias("sleep_h")]);
    let last = |m: &str| col("value").filter(is(m)).last();
    let source_of = |cond: Expr| col("source_path").filter(cond).first();
    let day = fit
        .filter(sleep_metric.not())
        .with_column(local_day(col("time"), col("offset_ms")).alias("day"))
        .sort(["time"], SortMultipleOptions::default())
        .group_by([col("day")])
        .agg([
            (col("offset_ms") / lit(1000i64)).first().cast(DataType::Int32).alias("utc_offset_s"),
            col("value").filter(is("resting_heart_rate")).mean().alias("resting_hr"),
            col("value").filter(is("resting_heart_rate_7d")).mean().alias("resting_hr_7d"),
            source_of(is("resting_heart_rate").or(is("resting_heart_rate_7d")))
                .alias("resting_hr_source"),
            last("hrv_rmssd_ms").alias("hrv_ms"),
            last("hrv_weekly_ms").alias("hrv_weekly_ms"),
            last("hrv_baseline_low_ms").alias("hrv_baseline_low_ms"),
            last("hrv_baseline_high_ms").alias("hrv_baseline_high_ms"),
            last("hrv_status").alias("hrv_status"),
            source_of(is("hrv_rmssd_ms")).alias("hrv_source"),
            col("value").filter(is("stress")).mean().alias("stress_avg"),
            source_of(is("stress")).alias("stress_source"),
            col("value").filter(is("body_battery")).max().alias("body_battery_high"),
            col("value").filter(is("body_battery")).min().alias("body_battery_low"),
            source_of(is("body_battery")).alias("body_battery_source"),
            col("commit_id").max().alias("commit_id"),
        ]);
    Ok(day
        .join(
            sleep,
            [col("day")],
            [col("day")],
            JoinArgs::new(JoinType::Full).with_coalesce(JoinCoalesce::CoalesceColumns),
        )
        .with_column(
            when(col("commit_id").is_null().or(col("commit_id_sleep").gt(col("commit_id"))))
                .then(col("commit_id_sleep"))
                .otherwise(col("commit_id"))
                .alias("commit_id"),
        ))
}

/// Whether the daily table reads readings of this metric: not the R-R intervals, monitoring
/// heart rates and 5-minute HRV values, which are most of the rows.
pub fn used_by_daily(metric: &str) -> bool {
    !matches!(metric, "rr_interval_ms" | "heart_rate" | "hrv_5min_ms")
}

/// The daily wellness table from the readings (as stored in `wellness_readings/part-<commit>.parquet`).
/// `home_offset_s` is the UTC offset for FIT files that carry none.
pub fn wellness_days(readings: LazyFrame, home_offset_s: i32) -> PolarsResult<DataFrame> {
    let json = from_json(readings.clone())?;
    let fit = from_fit(readings, home_offset_s)?;
    // Every output column on both sides, the FIT side's with a `_fit` suffix.
    let mut all: Vec<&str> = vec!["utc_offset_s", "commit_id"];
    for g in &GROUPS {
        all.extend(g.columns.iter().copied());
    }
    let sources: Vec<String> = GROUPS.iter().map(|g| format!("{}_source", g.name)).collect();
    all.extend(sources.iter().map(String::as_str));
    let fit_schema = fit.clone().collect_schema()?;
    let fit_cols: Vec<Expr> = std::iter::once(col("day"))
        .chain(all.iter().map(|c| {
            if fit_schema.contains(c) {
                col(*c).alias(format!("{c}_fit"))
            } else {
                lit(NULL).alias(format!("{c}_fit"))
            }
        }))
        .collect();
    let fit = fit.select(fit_cols);
    let joined = json.join(
        fit,
        [col("day")],
        [col("day")],
        JoinArgs::new(JoinType::Full).with_coalesce(JoinCoalesce::CoalesceColumns),
    );
    let either = |c: &str, from_json: Expr| {
        when(from_json).then(col(c)).otherwise(col(format!("{c}_fit"))).alias(c)
    };
    let mut out: Vec<Expr> = vec![
        col("day").cast(DataType::Date).alias("date"),
        col("utc_offset_s").fill_null(col("utc_offset_s_fit")).alias("utc_offset_s"),
    ];
    for g in &GROUPS {
        let source = format!("{}_source", g.name);
        let from_json = col(source.as_str()).is_not_null();
        for c in g.columns {
            if *c == "hrv_status" {
                out.push(status_name(either(c, from_json.clone())).alias(*c));
            } else {
                out.push(either(c, from_json.clone()));
            }
        }
        out.push(either(&source, from_json));
    }
    out.push(
        when(col("commit_id").is_null().or(col("commit_id_fit").gt(col("commit_id"))))
            .then(col("commit_id_fit"))
            .otherwise(col("commit_id"))
            .alias("commit_id"),
    );
    // A date with readings but none of these values (R-R intervals only) is no row.
    let any = GROUPS
        .iter()
        .map(|g| col(format!("{}_source", g.name)).is_not_null())
        .reduce(|a, b| a.or(b))
        .expect("groups");
    joined.select(out).filter(any).sort(["date"], SortMultipleOptions::default()).collect()
}

/// The FIT profile's `hrv_status` number as its name.
fn status_name(code: Expr) -> Expr {
    let code = code.cast(DataType::Float64);
    let is = |n: f64| code.clone().eq(lit(n));
    when(is(0.0))
        .then(lit("none"))
        .when(is(1.0))
        .then(lit("poor"))
        .when(is(2.0))
        .then(lit("low"))
        .when(is(3.0))
        .then(lit("unbalanced"))
        .when(is(4.0))
        .then(lit("balanced"))
        .otherwise(lit(NULL).cast(DataType::String))
}
