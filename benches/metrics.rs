//! Criterion benches of the metrics, over generated data, with throughput in rows:
//! - `activity_load`: zones and TRIMP over one year of 1 Hz samples (365 one-hour activities,
//!   1.3 M samples);
//! - `activity_figures`: the figures the import computes as it stages a batch (seconds at each
//!   heart rate, sustained heart rate), over 30 one-hour activities keyed by number (108 k
//!   samples, about one 6 MiB batch of the generated export), with heart rate throughout and
//!   with a third of them without;
//! - `daily_weekly`: daily and weekly tables over ten years of daily activities (3,650 rows).
//!
//! Run with `cargo bench --bench metrics` (or `just bench`).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use polars::prelude::*;
use restday_metrics::{
    ACTIVITY_KEY, Profile, activity_days, activity_figures, activity_load, athlete, daily, weekly,
};

const DAY_MS: i64 = 86_400_000;
const START: i64 = 1_420_070_400_000; // 2015-01-01T00:00:00Z

fn utc() -> DataType {
    DataType::Datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC))
}

/// `days` one-hour activities at 1 Hz, heart rate drifting between 110 and 170.
fn samples(days: i64) -> DataFrame {
    let n = (days * 3600) as usize;
    let mut ids = Vec::with_capacity(n);
    let mut t = Vec::with_capacity(n);
    let mut hr = Vec::with_capacity(n);
    for d in 0..days {
        let id = format!("a{d}");
        for s in 0..3600i64 {
            ids.push(id.clone());
            t.push(START + d * DAY_MS + 7 * 3_600_000 + s * 1000);
            hr.push(Some(110 + ((s / 30 + d) % 60) as i32));
        }
    }
    DataFrame::new(
        n,
        vec![
            Column::new("activity_id".into(), ids),
            Column::new("time".into(), t).cast(&utc()).unwrap(),
            Column::new("heart_rate".into(), hr),
        ],
    )
    .unwrap()
}

/// `days` daily activities with their loads, as `activity_days` expects them.
fn activities(days: i64) -> DataFrame {
    let n = days as usize;
    let mut cols = vec![
        Column::new("activity_id".into(), (0..days).map(|d| format!("a{d}")).collect::<Vec<_>>()),
        Column::new("start_time".into(), (0..days).map(|d| START + d * DAY_MS).collect::<Vec<_>>())
            .cast(&utc())
            .unwrap(),
        Column::new("utc_offset_s".into(), vec![Some(3600i32); n]),
        Column::new("tz_offset_s".into(), vec![None::<i32>; n]),
        Column::new("sport".into(), vec!["running"; n]),
        Column::new("activity_type".into(), vec![None::<&str>; n]),
        Column::new(
            "distance_m".into(),
            (0..days).map(|d| 5000.0 + (d % 7) as f64 * 2000.0).collect::<Vec<_>>(),
        ),
        Column::new("timer_s".into(), vec![3600.0; n]),
        Column::new("elapsed_s".into(), vec![3700.0; n]),
        Column::new("avg_hr".into(), vec![140i32; n]),
        Column::new(
            "trimp".into(),
            (0..days).map(|d| 40.0 + (d % 5) as f64 * 20.0).collect::<Vec<_>>(),
        ),
        Column::new("edwards_trimp".into(), vec![120.0; n]),
    ];
    for k in 1..=5 {
        cols.push(Column::new(format!("z{k}_s").into(), vec![720.0; n]));
    }
    DataFrame::new(n, cols).unwrap()
}

fn bench(c: &mut Criterion) {
    let s = samples(365);
    let a = athlete(
        &Profile { max_hr: Some(190.0), resting_hr: Some(50.0), ..Profile::default() },
        s.clone().lazy(),
        None,
    )
    .unwrap();
    let mut g = c.benchmark_group("activity_load");
    g.throughput(Throughput::Elements(s.height() as u64));
    g.sample_size(10);
    g.bench_function("1 year of 1 Hz samples", |b| {
        b.iter(|| activity_load(s.clone().lazy(), &a).unwrap().collect().unwrap())
    });
    g.finish();

    // As the staging hands them over: the activity as a number, no string per row.
    let batch = samples(30);
    let keys: Vec<u32> = (0..batch.height()).map(|i| (i / 3600) as u32).collect();
    let mut batch = batch.drop("activity_id").unwrap();
    batch.with_column(Column::new(ACTIVITY_KEY.into(), keys)).unwrap();
    let mut g = c.benchmark_group("activity_figures");
    g.throughput(Throughput::Elements(batch.height() as u64));
    g.sample_size(20);
    g.bench_function("30 one-hour activities", |b| {
        b.iter(|| activity_figures(batch.clone()).unwrap())
    });
    // As in real exports, some activities without heart rate (a GPX from a phone).
    let hr = batch.column("heart_rate").unwrap().i32().unwrap();
    let keys = batch.column(ACTIVITY_KEY).unwrap().u32().unwrap();
    let hr: Int32Chunked = hr
        .iter()
        .zip(keys.iter())
        .map(|(h, k)| if k.unwrap() % 3 == 0 { None } else { h })
        .collect();
    let mut gaps = batch.clone();
    gaps.with_column(Column::new("heart_rate".into(), hr.into_series())).unwrap();
    g.bench_function("30 one-hour activities, a third without heart rate", |b| {
        b.iter(|| activity_figures(gaps.clone()).unwrap())
    });
    g.finish();

    let acts = activities(3650);
    let mut g = c.benchmark_group("daily_weekly");
    g.throughput(Throughput::Elements(acts.height() as u64));
    g.sample_size(10);
    g.bench_function("10 years of daily activities", |b| {
        b.iter(|| {
            let d = daily(activity_days(acts.clone().lazy(), &a), None).unwrap();
            weekly(&d, a.week_start.value).unwrap()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
