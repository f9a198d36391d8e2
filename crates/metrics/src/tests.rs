//! Hand-worked numbers. Every expected value is computed in the comment beside it.

use super::*;

fn athlete(max: f64, rest: f64, sex: Sex, model: ZoneModel) -> Athlete {
    Athlete {
        max_hr: Valued::new(max, Source::Profile),
        resting_hr: Valued::new(rest, Source::Profile),
        lthr: Valued::new(Some(170.0), Source::Profile),
        sex: Valued::new(sex, Source::Profile),
        experience: Valued::new(Experience::Intermediate, Source::Default),
        zone_model: Valued::new(model, Source::Profile),
        week_start: Valued::new(WeekStart::Monday, Source::Default),
        utc_offset_s: Valued::new(0, Source::Default),
    }
}

/// Samples of one activity: (seconds from start, heart rate).
fn samples(id: &str, points: &[(i64, Option<i32>)]) -> LazyFrame {
    let t0 = 1_714_550_400_000i64; // 2024-05-01T08:00:00Z
    let ids = vec![id; points.len()];
    let times: Vec<i64> = points.iter().map(|(s, _)| t0 + s * 1000).collect();
    let hr: Vec<Option<i32>> = points.iter().map(|(_, h)| *h).collect();
    DataFrame::new(
        points.len(),
        vec![
            Column::new("activity_id".into(), ids),
            Column::new("time".into(), times)
                .cast(&DataType::Datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC)))
                .unwrap(),
            Column::new("heart_rate".into(), hr),
        ],
    )
    .unwrap()
    .lazy()
}

/// One sample a second for `minutes` at a constant heart rate, plus a closing sample.
fn constant(minutes: i64, hr: i32) -> Vec<(i64, Option<i32>)> {
    (0..=minutes * 60).map(|s| (s, Some(hr))).collect()
}

fn activity_load_ok(s: LazyFrame, a: &Athlete) -> LazyFrame {
    activity_load(s, a).unwrap()
}

fn ints(df: &DataFrame, c: &str) -> Vec<Option<i32>> {
    df.column(c).unwrap().i32().unwrap().iter().collect()
}

fn f64_of(df: &DataFrame, c: &str) -> Vec<Option<f64>> {
    df.column(c).unwrap().cast(&DataType::Float64).unwrap().f64().unwrap().iter().collect()
}

/// `activity_figures`' output has these rows of (activity, heart rate, seconds), in order.
fn assert_seconds(figures: &DataFrame, want: &[(&str, Option<i32>, Option<f64>)]) {
    let hr = figures.column("heart_rate").unwrap().i32().unwrap().iter();
    let ids = strings(figures, "activity_id");
    let rows = ids.iter().map(String::as_str).zip(hr).zip(f64_of(figures, "seconds"));
    let got: Vec<_> = rows.map(|((id, hr), s)| (id, hr, s)).collect();
    assert_eq!(got, want);
}

fn close(got: f64, want: f64, tol: f64, what: &str) {
    assert!((got - want).abs() <= tol, "{what}: got {got}, want {want}");
}

#[test]
fn banister_trimp_of_a_constant_session_for_both_sexes() {
    // 60 min at 120 bpm, rest 60, max 180: HRr = (120 - 60) / (180 - 60) = 0.5.
    // Men:   60 x 0.5 x 0.64 x e^(1.92 x 0.5) = 19.2 x e^0.96  = 19.2 x 2.611696 = 50.1446
    // Women: 60 x 0.5 x 0.86 x e^(1.67 x 0.5) = 25.8 x e^0.835 = 25.8 x 2.304814 = 59.4642
    for (sex, want) in [(Sex::Male, 50.14457), (Sex::Female, 59.46420)] {
        let a = athlete(180.0, 60.0, sex, ZoneModel::Hrr);
        let df = activity_load_ok(samples("x", &constant(60, 120)), &a).collect().unwrap();
        close(f64_of(&df, "trimp")[0].unwrap(), want, 1e-4, &format!("{sex:?}"));
        close(f64_of(&df, "hr_s")[0].unwrap(), 3600.0, 0.0, "seconds with HR");
    }
}

#[test]
fn edwards_points() {
    // Max 200. 10 min at 110 (55 %, zone 1), 20 min at 150 (75 %, zone 3), 5 min at 190 (95 %,
    // zone 5), 5 min at 90 (45 %, below zone 1): 10 x 1 + 20 x 3 + 5 x 5 + 5 x 0 = 95.
    let mut pts = Vec::new();
    let mut t = 0;
    for (minutes, hr) in [(10, 110), (20, 150), (5, 190), (5, 90)] {
        for _ in 0..minutes * 60 {
            pts.push((t, Some(hr)));
            t += 1;
        }
    }
    pts.push((t, Some(90)));
    let a = athlete(200.0, 50.0, Sex::Male, ZoneModel::Max);
    let df = activity_load_ok(samples("x", &pts), &a).collect().unwrap();
    close(f64_of(&df, "edwards_trimp")[0].unwrap(), 95.0, 1e-9, "Edwards");
    // The same bands under the %max model give the time in zones.
    assert_eq!(f64_of(&df, "z1_s")[0], Some(600.0));
    assert_eq!(f64_of(&df, "z3_s")[0], Some(1200.0));
    assert_eq!(f64_of(&df, "z5_s")[0], Some(300.0));
    assert_eq!(f64_of(&df, "z2_s")[0], Some(0.0));
}

#[test]
fn zone_bounds_for_each_model() {
    // Max 200, rest 50, LTHR 170.
    // %max:  50-60-70-80-90-100 % of 200 = 100, 120, 140, 160, 180, 200.
    // HRR:   50 + {0.5..0.9} x 150 = 125, 140, 155, 170, 185; top 200.
    // LTHR:  0, 85, 90, 95, 100 % of 170 = 0, 144.5, 153, 161.5, 170; top is max HR 200.
    let cases = [
        (
            ZoneModel::Max,
            [(100.0, 120.0), (120.0, 140.0), (140.0, 160.0), (160.0, 180.0), (180.0, 200.0)],
        ),
        (
            ZoneModel::Hrr,
            [(125.0, 140.0), (140.0, 155.0), (155.0, 170.0), (170.0, 185.0), (185.0, 200.0)],
        ),
        (
            ZoneModel::Lthr,
            [(0.0, 144.5), (144.5, 153.0), (153.0, 161.5), (161.5, 170.0), (170.0, 200.0)],
        ),
    ];
    for (model, want) in cases {
        let got = zone_bounds(&athlete(200.0, 50.0, Sex::Male, model));
        for (g, w) in got.iter().zip(want) {
            close(g.0, w.0, 1e-9, &format!("{model:?} low"));
            close(g.1, w.1, 1e-9, &format!("{model:?} high"));
        }
    }
}

#[test]
fn samples_are_put_in_the_model_zone() {
    // HRR model, rest 50, max 200: 150 bpm is HRr 0.667 (zone 2, 140-155), 186 is 0.907 (zone 5).
    let a = athlete(200.0, 50.0, Sex::Male, ZoneModel::Hrr);
    let pts = [(0, Some(150)), (10, Some(186)), (15, Some(186))];
    let df = activity_load_ok(samples("x", &pts), &a).collect().unwrap();
    assert_eq!(f64_of(&df, "z2_s")[0], Some(10.0));
    assert_eq!(f64_of(&df, "z5_s")[0], Some(5.0));
}

#[test]
fn a_gap_in_samples_counts_at_most_the_cap() {
    // 60 s at 1 Hz (0..=59), a 600 s gap, then 60 s more (659..=718). Each sample stands for the
    // time to the next, capped at 20 s: 59 x 1 + 20 (the gap) + 59 x 1 + 0 (the last) = 138 s.
    let mut pts: Vec<(i64, Option<i32>)> = (0..60).map(|s| (s, Some(150))).collect();
    pts.extend((659..719).map(|s| (s, Some(150))));
    let a = athlete(200.0, 50.0, Sex::Male, ZoneModel::Hrr);
    let df = activity_load_ok(samples("x", &pts), &a).collect().unwrap();
    assert_eq!(f64_of(&df, "hr_s")[0], Some(138.0));
    // Load scales with the counted time: 138 s at HRr 2/3 is 2.3 min x 0.6667 x 0.64 x e^1.28.
    let want = 2.3 * (2.0 / 3.0) * 0.64 * (1.92f64 * 2.0 / 3.0).exp();
    close(f64_of(&df, "trimp")[0].unwrap(), want, 1e-9, "load over the gap");
}

#[test]
fn a_dropout_is_no_load_and_no_heart_rate_means_null_load() {
    // HR missing on the middle 30 of 61 samples: 30 s with HR (samples 0..=29 stand for 1 s each,
    // sample 60 is last and stands for 0), the rest counts as time without HR.
    let pts: Vec<(i64, Option<i32>)> =
        (0..=60).map(|s| (s, if (30..60).contains(&s) { None } else { Some(150) })).collect();
    let a = athlete(200.0, 50.0, Sex::Male, ZoneModel::Hrr);
    let df = activity_load_ok(samples("x", &pts), &a).collect().unwrap();
    assert_eq!(f64_of(&df, "hr_s")[0], Some(30.0));
    let none: Vec<(i64, Option<i32>)> = (0..=60).map(|s| (s, None)).collect();
    let df = activity_load_ok(samples("y", &none), &a).collect().unwrap();
    assert_eq!(f64_of(&df, "trimp")[0], None);
    assert_eq!(f64_of(&df, "edwards_trimp")[0], None);
}

/// Activities as the store writes them: (id, start UTC ms, utc offset, sport, distance, timer s,
/// Banister load).
type ActivityRow<'a> = (&'a str, i64, Option<i32>, &'a str, f64, f64, f64);

fn activities(rows: &[ActivityRow]) -> LazyFrame {
    let n = rows.len();
    let utc = DataType::Datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC));
    let mut cols = vec![
        Column::new("activity_id".into(), rows.iter().map(|r| r.0).collect::<Vec<_>>()),
        Column::new("start_time".into(), rows.iter().map(|r| r.1).collect::<Vec<_>>())
            .cast(&utc)
            .unwrap(),
        Column::new("utc_offset_s".into(), rows.iter().map(|r| r.2).collect::<Vec<_>>()),
        Column::new("sport".into(), rows.iter().map(|r| Some(r.3)).collect::<Vec<_>>()),
        Column::new("activity_type".into(), vec![None::<&str>; n]),
        Column::new("distance_m".into(), rows.iter().map(|r| r.4).collect::<Vec<_>>()),
        Column::new("timer_s".into(), rows.iter().map(|r| r.5).collect::<Vec<_>>()),
        Column::new("elapsed_s".into(), rows.iter().map(|r| r.5).collect::<Vec<_>>()),
        Column::new("avg_hr".into(), vec![140i32; n]),
        Column::new("trimp".into(), rows.iter().map(|r| r.6).collect::<Vec<_>>()),
        Column::new("edwards_trimp".into(), rows.iter().map(|r| r.6).collect::<Vec<_>>()),
    ];
    for k in 1..=5 {
        cols.push(Column::new(format!("z{k}_s").into(), vec![0.0; n]));
    }
    cols.push(Column::new("tz_offset_s".into(), vec![None::<i32>; n]));
    DataFrame::new(n, cols).unwrap().lazy()
}

/// A column as text (dates as `YYYY-MM-DD`).
fn strings(df: &DataFrame, c: &str) -> Vec<String> {
    let col = df.column(c).unwrap().cast(&DataType::String).unwrap();
    col.str().unwrap().iter().map(|s| s.unwrap().to_string()).collect()
}

fn dates(df: &DataFrame) -> Vec<String> {
    strings(df, "date")
}

const DAY: i64 = 86_400_000;
/// 2024-05-01T00:00:00Z
const MAY1: i64 = 1_714_521_600_000;

#[test]
fn fitness_fatigue_form_worked_by_hand() {
    // One load of 100 on 2024-05-02, nothing else. The calendar runs from the day before the
    // first activity to the day after the last: 05-01, 05-02, 05-03.
    // ATL (N = 7): k = 1 - e^(-1/7) = 0.1331221; 0, then 0 + k x 100 = 13.31221, then
    // 13.31221 x (1 - k) = 11.54006. CTL (N = 42): k = 1 - e^(-1/42) = 0.0235283; 0, 2.35283,
    // 2.29747. TSB of a day is CTL - ATL of the day before: null, 0, 2.35283 - 13.31221 = -10.95938.
    let a = athlete(200.0, 50.0, Sex::Male, ZoneModel::Hrr);
    let acts = activity_days(
        activities(&[(
            "r",
            MAY1 + DAY + 8 * 3_600_000,
            Some(0),
            "running",
            10_000.0,
            3600.0,
            100.0,
        )]),
        &a,
    );
    let d = daily(acts, None).unwrap();
    assert_eq!(dates(&d), ["2024-05-01", "2024-05-02", "2024-05-03"]);
    let atl = f64_of(&d, "atl");
    let ctl = f64_of(&d, "ctl");
    let tsb = f64_of(&d, "tsb");
    for (got, want) in atl.iter().zip([0.0, 13.312210, 11.540061]) {
        close(got.unwrap(), want, 1e-5, "ATL");
    }
    for (got, want) in ctl.iter().zip([0.0, 2.352831, 2.297474]) {
        close(got.unwrap(), want, 1e-5, "CTL");
    }
    assert_eq!(tsb[0], None);
    close(tsb[1].unwrap(), 0.0, 1e-9, "TSB day 2");
    close(tsb[2].unwrap(), 2.352831 - 13.312210, 1e-5, "TSB day 3");
    // ACWR: acute lambda 2/8 = 0.25, chronic 2/29 = 0.0689655. Day 2: 25 / 6.89655 = 3.625.
    close(f64_of(&d, "acwr")[1].unwrap(), 25.0 / (200.0 / 29.0), 1e-9, "ACWR");
}

#[test]
fn monotony_and_strain_of_a_known_week() {
    // Loads Mon..Sun 100, 50, 100, 50, 100, 50, 0: mean 450 / 7 = 64.2857, sample SD 37.7964,
    // monotony 1.700840, strain = 450 x 1.700840 = 765.378.
    let a = athlete(200.0, 50.0, Sex::Male, ZoneModel::Hrr);
    // 2024-04-29 was a Monday; the calendar adds 04-28 before it, and the Sunday has no activity.
    let monday = MAY1 - 2 * DAY;
    let rows: Vec<_> = [100.0, 50.0, 100.0, 50.0, 100.0, 50.0]
        .iter()
        .enumerate()
        .map(|(i, l)| {
            ("r", monday + i as i64 * DAY + 7 * 3_600_000, Some(0), "running", 5000.0, 1800.0, *l)
        })
        .collect();
    let ids: Vec<String> = (0..rows.len()).map(|i| format!("r{i}")).collect();
    let rows: Vec<_> =
        rows.iter().zip(&ids).map(|(r, id)| (id.as_str(), r.1, r.2, r.3, r.4, r.5, r.6)).collect();
    let d = daily(activity_days(activities(&rows), &a), None).unwrap();
    let sunday = dates(&d).iter().position(|x| x == "2024-05-05").unwrap();
    close(f64_of(&d, "monotony")[sunday].unwrap(), 1.700840, 1e-6, "monotony");
    close(f64_of(&d, "strain")[sunday].unwrap(), 765.378058, 1e-5, "strain");
    // Before seven days exist there is no monotony.
    assert_eq!(f64_of(&d, "monotony")[0], None);
}

#[test]
fn local_dates_midnight_and_time_zones() {
    let a = athlete(200.0, 50.0, Sex::Male, ZoneModel::Hrr);
    let acts = activity_days(
        activities(&[
            // 2024-05-01 21:30Z at +02:00 is 23:30 local: the run crosses local midnight and
            // counts on the day it starts, 05-01.
            (
                "late",
                MAY1 + 21 * 3_600_000 + 1_800_000,
                Some(7200),
                "running",
                10_000.0,
                3600.0,
                50.0,
            ),
            // 2024-05-03 20:00Z in Tokyo (+09:00) is 05:00 on 05-04.
            (
                "tokyo",
                MAY1 + 2 * DAY + 20 * 3_600_000,
                Some(9 * 3600),
                "running",
                5_000.0,
                1800.0,
                30.0,
            ),
            // No offset in the file (a GPX): the profile's offset (UTC here) is used.
            ("gpx", MAY1 + 5 * DAY + 23 * 3_600_000, None, "running", 3_000.0, 900.0, 10.0),
        ]),
        &a,
    )
    .collect()
    .unwrap();
    let local = strings(&acts, "local_date");
    assert_eq!(local, ["2024-05-01", "2024-05-04", "2024-05-06"]);
    let src = strings(&acts, "offset_source");
    assert_eq!(src, ["file", "file", "profile"]);
}

/// The daily table of runs at 09:00 UTC, each (id, days after Sunday 2024-12-29, metres,
/// seconds, load).
fn daily_of_runs(runs: &[(&str, i64, f64, f64, f64)]) -> DataFrame {
    let a = athlete(200.0, 50.0, Sex::Male, ZoneModel::Hrr);
    let sun = 1_735_430_400_000i64; // 2024-12-29T00:00:00Z
    let rows: Vec<ActivityRow> = runs
        .iter()
        .map(|&(id, day, m, s, load)| {
            (id, sun + day * DAY + 9 * 3_600_000, Some(0), "running", m, s, load)
        })
        .collect();
    daily(activity_days(activities(&rows), &a), None).unwrap()
}

#[test]
fn iso_week_boundaries_and_changes() {
    // Sunday 2024-12-29 and Monday 2024-12-30 fall in different ISO weeks (2024-W52 and
    // 2025-W01, which starts on Monday 2024-12-30).
    let d =
        daily_of_runs(&[("sun", 0, 10_000.0, 3600.0, 40.0), ("mon", 1, 15_000.0, 5400.0, 60.0)]);
    let w = weekly(&d, WeekStart::Monday).unwrap();
    let starts = strings(&w, "week_start");
    assert_eq!(starts, ["2024-12-23", "2024-12-30"]);
    assert_eq!(f64_of(&w, "distance_m"), [Some(10_000.0), Some(15_000.0)]);
    // The calendar runs from the day before the first activity to the day after the last,
    // Saturday 12-28 to Tuesday 12-31: two days of each week, neither whole, so no change
    // between them.
    assert_eq!(ints(&w, "days"), [Some(2), Some(2)]);
    assert_eq!(f64_of(&w, "distance_m_change_pct"), [None, None]);
    // Weeks starting on Sunday put both days in one week, starting 2024-12-29; the calendar's
    // leading rest day, Saturday 12-28, falls in the week of 12-22.
    let w = weekly(&d, WeekStart::Sunday).unwrap();
    let starts = strings(&w, "week_start");
    assert_eq!(starts, ["2024-12-22", "2024-12-29"]);
    assert_eq!(f64_of(&w, "distance_m"), [Some(0.0), Some(25_000.0)]);
}

#[test]
fn week_changes_only_between_whole_weeks() {
    // 10 km on Tuesday 2024-12-24, 15 km on Tuesday 12-31, 4 km on Monday 2025-01-06; the
    // calendar runs from the day before the first (Monday 12-23) to the day after the last
    // (Tuesday 01-07): two whole weeks, then two days of the next. The second whole week is
    // +50 % on the first; the week in progress gets no change (4 km against 15 would read
    // -73 %), nor does the first (nothing before it).
    let d = daily_of_runs(&[
        ("tue1", -5, 10_000.0, 3600.0, 40.0),
        ("tue2", 2, 15_000.0, 5400.0, 60.0),
        ("mon3", 8, 4_000.0, 1500.0, 16.0),
    ]);
    let w = weekly(&d, WeekStart::Monday).unwrap();
    assert_eq!(strings(&w, "week_start"), ["2024-12-23", "2024-12-30", "2025-01-06"]);
    assert_eq!(ints(&w, "days"), [Some(7), Some(7), Some(2)]);
    assert_eq!(f64_of(&w, "distance_m"), [Some(10_000.0), Some(15_000.0), Some(4_000.0)]);
    assert_eq!(f64_of(&w, "distance_m_change_pct"), [None, Some(50.0), None]);
    // 5400 s against 3600 s, and load 60 against 40: +50 % too.
    assert_eq!(f64_of(&w, "duration_s_change_pct"), [None, Some(50.0), None]);
    assert_eq!(f64_of(&w, "load_change_pct")[1].map(|x| (x * 1e9).round() / 1e9), Some(50.0));
    // Against the four weeks before: never four whole weeks before here.
    assert_eq!(f64_of(&w, "distance_m_vs_4wk_pct"), [None, None, None]);
}

#[test]
fn longest_run_spike_against_the_previous_30_days() {
    // 10 km on 05-01, 12 km on 05-10 (+20 %: over 10), 25 km on 05-20 (+108 %: over 100).
    let a = athlete(200.0, 50.0, Sex::Male, ZoneModel::Hrr);
    let acts = activity_days(
        activities(&[
            ("a", MAY1 + 8 * 3_600_000, Some(0), "running", 10_000.0, 3000.0, 50.0),
            ("b", MAY1 + 9 * DAY + 8 * 3_600_000, Some(0), "running", 12_000.0, 3600.0, 60.0),
            ("c", MAY1 + 19 * DAY + 8 * 3_600_000, Some(0), "running", 25_000.0, 8000.0, 150.0),
        ]),
        &a,
    );
    let d = daily(acts, None).unwrap();
    let ds = dates(&d);
    let at = |day: &str| ds.iter().position(|x| x == day).unwrap();
    let pct = f64_of(&d, "longest_run_increase_pct");
    close(pct[at("2024-05-10")].unwrap(), 20.0, 1e-9, "05-10");
    close(pct[at("2024-05-20")].unwrap(), 25.0 / 12.0 * 100.0 - 100.0, 1e-9, "05-20");
    let spike = f64_of(&d, "longest_run_spike_pct");
    assert_eq!((spike[at("2024-05-10")], spike[at("2024-05-20")]), (Some(10.0), Some(100.0)));
    assert_eq!(spike[at("2024-05-01")], None, "no earlier run to compare with");
}

#[test]
fn max_hr_estimate_ignores_a_spike() {
    // 20 samples at 170 with one at 230: the highest 15-sample rolling minimum is 170.
    let pts: Vec<(i64, Option<i32>)> =
        (0..20).map(|s| (s, Some(if s == 10 { 230 } else { 170 }))).collect();
    let a = super::athlete(&Profile::default(), samples("x", &pts), None).unwrap();
    assert_eq!(a.max_hr.value, 170.0);
    assert!(matches!(a.max_hr.source, Source::Estimated(_)));
    assert_eq!(a.resting_hr, Valued::new(60.0, Source::Default));
}

#[test]
fn time_zone_at_the_start_position() {
    // A GPX run starting in Ljubljana (46.05 N, 14.51 E) at 2024-07-01T05:30Z: Europe/Ljubljana,
    // summer time, UTC+2. One in Tokyo in winter: UTC+9. A FIT run keeps its own offset and gets
    // no lookup; an activity without a position gets none.
    let utc = DataType::Datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC));
    let df = DataFrame::new(
        4,
        vec![
            Column::new("utc_offset_s".into(), [None, None, Some(3600), None]),
            Column::new(
                "start_time".into(),
                [1_719_811_800_000i64, 1_704_067_200_000, 1_719_811_800_000, 1_719_811_800_000],
            )
            .cast(&utc)
            .unwrap(),
            Column::new("start_latitude".into(), [Some(46.05), Some(35.68), Some(46.05), None]),
            Column::new("start_longitude".into(), [Some(14.51), Some(139.69), Some(14.51), None]),
        ],
    )
    .unwrap();
    let out = time_zones(df).unwrap();
    let names: Vec<Option<&str>> = out.column("time_zone").unwrap().str().unwrap().iter().collect();
    assert_eq!(names, [Some("Europe/Ljubljana"), Some("Asia/Tokyo"), None, None]);
    let offs: Vec<Option<i32>> = out.column("tz_offset_s").unwrap().i32().unwrap().iter().collect();
    assert_eq!(offs, [Some(7200), Some(9 * 3600), None, None]);
}

#[test]
fn seconds_at_each_heart_rate_and_sustained_hr_in_one_pass() {
    // Activity "a", samples out of order in the frame (the figures sort by time):
    //   t = 0 s 100 bpm, 1 s 100, 2 s none, 5 s 120, 40 s 130 (last).
    // Each sample stands for the time to the next, capped at 20 s:
    //   100 bpm: 1 + 1 = 2 s; none: 3 s; 120 bpm: min(35, 20) = 20 s; 130 bpm: 0 s (last).
    // Activity "b": 16 samples a second apart, 150 bpm except 170 at t = 0 s.
    //   150 bpm: 14 s (t = 1..14, to the next), 170: 1 s, the last (t = 15 s): 0 s, so
    //   150 bpm adds up to 14 s. Sustained: the highest minimum over 15 samples in a row:
    //   t = 0..14 -> 150, t = 1..15 -> 150, so 150; "a" has 4 heart rates, too few: null.
    // Activity "c", right after "b": 10 samples at 200 bpm, 9 s at 200; too few samples to
    // hold anything (a window reaching back into "b" does not count): null.
    let a =
        samples("a", &[(5, Some(120)), (0, Some(100)), (1, Some(100)), (2, None), (40, Some(130))]);
    let mut b_points = vec![(0, Some(170))];
    b_points.extend((1..16).map(|s| (s, Some(150))));
    let b = samples("b", &b_points);
    let c = samples("c", &(0..10).map(|s| (s, Some(200))).collect::<Vec<_>>());
    let both = concat([a, b, c], UnionArgs::default()).unwrap().collect().unwrap();
    let got = activity_figures(both.clone()).unwrap();
    assert_seconds(
        &got,
        &[
            ("a", None, Some(3.0)),
            ("a", Some(100), Some(2.0)),
            ("a", Some(120), Some(20.0)),
            ("a", Some(130), Some(0.0)),
            ("b", Some(150), Some(14.0)),
            ("b", Some(170), Some(1.0)),
            ("c", Some(200), Some(9.0)),
        ],
    );
    assert_eq!(
        f64_of(&got, "sustained_hr"),
        vec![None, None, None, None, Some(150.0), Some(150.0), None]
    );

    // The import's way: activities by number (a = 0, b = 1, c = 2), no id per row. The same
    // figures, keyed by number.
    let keys: Vec<u32> = strings(&both, "activity_id")
        .iter()
        .map(|id| match id.as_str() {
            "a" => 0,
            "b" => 1,
            _ => 2,
        })
        .collect();
    let mut keyed = both.drop("activity_id").unwrap();
    keyed.with_column(Column::new(ACTIVITY_KEY.into(), keys)).unwrap();
    let by_key = activity_figures(keyed).unwrap();
    let key_of: Vec<Option<u32>> =
        by_key.column(ACTIVITY_KEY).unwrap().u32().unwrap().iter().collect();
    assert_eq!(key_of, [0, 0, 0, 0, 1, 1, 2].map(Some).to_vec());
    assert!(!by_key.schema().contains("activity_id"));
    for column in ["heart_rate", "seconds", "sustained_hr"] {
        assert_eq!(by_key.column(column).unwrap(), got.column(column).unwrap(), "{column}");
    }
}

#[test]
fn figures_keep_activities_apart_whatever_their_heart_rates() {
    // Two activities with the same bogus heart rates (negative, the extremes of i32) and
    // gaps: each its own rows. "x": 0 s -1 bpm, 2 s i32::MIN, 3 s none, 4 s (last) -1:
    // -1 for 2 s, MIN 1 s, none 1 s. "y": 0 s -1, 5 s i32::MAX, 6 s (last) none: -1 for 5 s,
    // MAX 1 s, none 0 s.
    let x = samples("x", &[(0, Some(-1)), (2, Some(i32::MIN)), (3, None), (4, Some(-1))]);
    let y = samples("y", &[(0, Some(-1)), (5, Some(i32::MAX)), (6, None)]);
    let both = concat([x, y], UnionArgs::default()).unwrap().collect().unwrap();
    let got = activity_figures(both).unwrap();
    assert_seconds(
        &got,
        &[
            ("x", None, Some(1.0)),
            ("x", Some(i32::MIN), Some(1.0)),
            ("x", Some(-1), Some(2.0)),
            ("y", None, Some(0.0)),
            ("y", Some(-1), Some(5.0)),
            ("y", Some(i32::MAX), Some(1.0)),
        ],
    );
}

#[test]
fn sustained_hr_is_the_highest_minimum_over_exactly_fifteen_samples() {
    // "d": 20 samples a second apart, 100 + i bpm at sample i, none at sample 3. A window of
    // 15 ends at sample j >= 14 and covers j-14..=j; those ending at 14..=17 hold sample 3
    // (none), so only j = 18 (samples 4..=18, lowest 104) and j = 19 (5..=19, lowest 105)
    // count: 105. (Windows of 14 would give 106, of 16 give 104.)
    let d: Vec<(i64, Option<i32>)> =
        (0..20).map(|i| (i, (i != 3).then_some(100 + i as i32))).collect();
    // "e": 15 samples at 180 but for 90 at sample 7: the one window's lowest, 90.
    let e: Vec<(i64, Option<i32>)> =
        (0..15).map(|i| (i, Some(if i == 7 { 90 } else { 180 }))).collect();
    // "f": 15 samples at 180, the last without heart rate: no window holds, none.
    let f: Vec<(i64, Option<i32>)> = (0..15).map(|i| (i, (i != 14).then_some(180))).collect();
    let all = concat([samples("d", &d), samples("e", &e), samples("f", &f)], UnionArgs::default())
        .unwrap();
    let got = sustained_hr(all)
        .unwrap()
        .sort(["activity_id"], SortMultipleOptions::default())
        .collect()
        .unwrap();
    assert_eq!(strings(&got, "activity_id"), ["d", "e", "f"]);
    assert_eq!(f64_of(&got, "sustained_hr"), [Some(105.0), Some(90.0), None]);
}

#[test]
fn figures_are_the_same_whatever_order_the_rows_come_in() {
    // 40 samples of "a" (a second apart, 120 + i % 7 bpm) and 30 of "b" (150 bpm, none at
    // every fifth), given in order, then with "a"'s rows split around "b"'s and reversed:
    // the figures must not change (only rows in order skip the sort).
    let a: Vec<(i64, Option<i32>)> = (0..40).map(|i| (i, Some(120 + (i % 7) as i32))).collect();
    let b: Vec<(i64, Option<i32>)> = (0..30).map(|i| (i, (i % 5 != 0).then_some(150))).collect();
    let in_order = concat([samples("a", &a), samples("b", &b)], UnionArgs::default()).unwrap();
    let mut late_a = a[20..].to_vec();
    late_a.reverse();
    let shuffled = concat(
        [samples("a", &a[..20]), samples("b", &b), samples("a", &late_a)],
        UnionArgs::default(),
    )
    .unwrap();
    // As one chunk each, as the staging's frames are (rows in several chunks are sorted).
    let one_chunk = |lf: LazyFrame| {
        let mut df = lf.collect().unwrap();
        df.rechunk_mut();
        df
    };
    let want = activity_figures(one_chunk(in_order)).unwrap();
    let got = activity_figures(one_chunk(shuffled)).unwrap();
    assert!(got.equals_missing(&want), "{got}\n{want}");
    // By hand: "a" holds 120..=126 in turn, each of the 40 samples standing for 1 s but the
    // last; the lowest of any 15 in a row is 120, so 120 is its sustained heart rate.
    assert_eq!(f64_of(&want, "sustained_hr")[0], Some(120.0));
    let a_seconds: f64 = f64_of(&want, "seconds")[..7].iter().map(|s| s.unwrap()).sum();
    assert_eq!(a_seconds, 39.0);
}
