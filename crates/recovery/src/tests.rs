//! Scenario tests: generated seasons with a known story, and the exact call on named days.

use super::*;
use restday_metrics::{Source, Valued, WeekStart, ZoneModel, activity_days, daily};

const DAY_MS: i64 = 86_400_000;
/// Day 0 of every season: Monday 2024-01-01 (19723 days after 1970-01-01).
const DAY0: i32 = 19_723;

fn athlete(experience: Experience) -> Athlete {
    // Max 190, rest 50, HRR zones: zone 1 tops out at 50 + 0.6 x 140 = 134 bpm (the
    // active-recovery ceiling), zone 2 at 148 bpm (the easy-run limit for efficiency).
    Athlete {
        max_hr: Valued::new(190.0, Source::Profile),
        resting_hr: Valued::new(50.0, Source::Profile),
        lthr: Valued::new(None, Source::Default),
        sex: Valued::new(restday_metrics::Sex::Male, Source::Default),
        experience: Valued::new(experience, Source::Profile),
        zone_model: Valued::new(ZoneModel::Hrr, Source::Profile),
        week_start: Valued::new(WeekStart::Monday, Source::Default),
        utc_offset_s: Valued::new(0, Source::Default),
    }
}

/// One run: day, km, Banister load, efficiency factor (m/min per bpm) at 140 bpm.
#[derive(Clone, Copy)]
struct Run {
    day: i32,
    km: f64,
    load: f64,
    ef: f64,
}

/// (day, soreness, illness, planned easy)
type JournalDay = (i32, Option<f64>, Option<bool>, Option<bool>);

#[derive(Default, Clone)]
struct Season {
    runs: Vec<Run>,
    /// (day the night ends, hours asleep)
    sleep: Vec<(i32, f64)>,
    rhr: Vec<(i32, f64)>,
    hrv: Vec<(i32, f64)>,
    journal: Vec<JournalDay>,
}

/// Twelve weeks of Mon, Tue, Thu, Fri runs at load 50 and a Saturday long run at load 70,
/// rest on Wednesday and Sunday; efficiency improving 1 % a week; the long run growing from 10
/// to 12 km. With sleep 8 h, resting HR 50 and rMSSD 60 ms (with a little day-to-day wobble)
/// every morning when `wellness` is set.
fn steady(wellness: bool) -> Season {
    let mut s = Season::default();
    for week in 0..12 {
        let ef = 1.0 + 0.01 * f64::from(week);
        for (dow, km, load) in [
            (0, 8.0, 50.0),
            (1, 8.0, 50.0),
            (3, 8.0, 50.0),
            (4, 8.0, 50.0),
            (5, 10.0 + f64::from(week) * 0.18, 70.0),
        ] {
            s.runs.push(Run { day: week * 7 + dow, km, load, ef });
        }
    }
    if wellness {
        for d in 0..85 {
            let wobble = f64::from(d % 3) - 1.0;
            s.sleep.push((d, 8.0 + 0.2 * wobble));
            s.rhr.push((d, 50.0 + wobble));
            s.hrv.push((d, 60.0 + 3.0 * wobble));
        }
    }
    s
}

fn utc() -> DataType {
    DataType::Datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC))
}

fn ms(day: i32, hour: f64) -> i64 {
    i64::from(DAY0 + day) * DAY_MS + (hour * 3_600_000.0) as i64
}

fn run_season(s: &Season, experience: Experience) -> Vec<Day> {
    let a = athlete(experience);
    let n = s.runs.len();
    // EF = (metres / minutes) / avg HR, so a run of `km` at 140 bpm takes km*1000 / (ef*140) min.
    let minutes: Vec<f64> = s.runs.iter().map(|r| r.km * 1000.0 / (r.ef * 140.0)).collect();
    let mut cols = vec![
        Column::new("activity_id".into(), (0..n).map(|i| format!("r{i}")).collect::<Vec<_>>()),
        Column::new("start_time".into(), s.runs.iter().map(|r| ms(r.day, 7.0)).collect::<Vec<_>>())
            .cast(&utc())
            .unwrap(),
        Column::new("utc_offset_s".into(), vec![Some(0i32); n]),
        Column::new("tz_offset_s".into(), vec![None::<i32>; n]),
        Column::new("sport".into(), vec!["running"; n]),
        Column::new("activity_type".into(), vec![None::<&str>; n]),
        Column::new("distance_m".into(), s.runs.iter().map(|r| r.km * 1000.0).collect::<Vec<_>>()),
        Column::new("timer_s".into(), minutes.iter().map(|m| m * 60.0).collect::<Vec<_>>()),
        Column::new("elapsed_s".into(), minutes.iter().map(|m| m * 60.0).collect::<Vec<_>>()),
        Column::new("avg_hr".into(), vec![140i32; n]),
        Column::new("trimp".into(), s.runs.iter().map(|r| r.load).collect::<Vec<_>>()),
        Column::new("edwards_trimp".into(), s.runs.iter().map(|r| r.load).collect::<Vec<_>>()),
    ];
    for k in 1..=5 {
        cols.push(Column::new(format!("z{k}_s").into(), vec![0.0; n]));
    }
    let acts = DataFrame::new(n, cols).unwrap();
    let last_wellness = s.sleep.iter().map(|x| x.0).chain(s.rhr.iter().map(|x| x.0)).max();
    let d = daily(activity_days(acts.lazy(), &a), last_wellness.map(|x| DAY0 + x)).unwrap();

    let mut time = Vec::new();
    let mut end = Vec::new();
    let mut metric = Vec::new();
    let mut value = Vec::new();
    for &(day, h) in &s.sleep {
        time.push(ms(day - 1, 23.0));
        end.push(Some(ms(day - 1, 23.0 + h)));
        metric.push("sleep_level");
        value.push(2.0);
    }
    for (rows, name) in [(&s.rhr, "resting_heart_rate"), (&s.hrv, "hrv_rmssd_ms")] {
        for &(day, v) in rows {
            time.push(ms(day, 6.0));
            end.push(None);
            metric.push(name);
            value.push(v);
        }
    }
    let wellness = (!time.is_empty()).then(|| {
        let n = time.len();
        DataFrame::new(
            n,
            vec![
                Column::new("time".into(), time).cast(&utc()).unwrap(),
                Column::new("end_time".into(), end).cast(&utc()).unwrap(),
                Column::new("date".into(), vec![None::<i32>; n]).cast(&DataType::Date).unwrap(),
                Column::new("record".into(), vec![None::<&str>; n]),
                Column::new("metric".into(), metric),
                Column::new("value".into(), value),
                Column::new("file_hash".into(), vec!["h"; n]),
                Column::new("source_path".into(), vec!["watch.fit"; n]),
                Column::new("commit_id".into(), vec![1i64; n]),
            ],
        )
        .unwrap()
    });
    // Readings as stored, through the daily wellness table.
    let wellness = wellness.map(|w| restday_metrics::wellness::wellness_days(w.lazy(), 0).unwrap());
    let journal = (!s.journal.is_empty()).then(|| {
        let j = &s.journal;
        let none = vec![None::<f64>; j.len()];
        DataFrame::new(
            j.len(),
            vec![
                Column::new("date".into(), j.iter().map(|r| DAY0 + r.0).collect::<Vec<_>>())
                    .cast(&DataType::Date)
                    .unwrap(),
                Column::new("soreness".into(), j.iter().map(|r| r.1).collect::<Vec<_>>()),
                Column::new("irritability".into(), none.clone()),
                Column::new("motivation".into(), none.clone()),
                Column::new("sleep_quality".into(), none.clone()),
                Column::new("sleep_hours".into(), none.clone()),
                Column::new("illness".into(), j.iter().map(|r| r.2).collect::<Vec<_>>()),
                Column::new("life_stress".into(), none),
                Column::new("planned_easy".into(), j.iter().map(|r| r.3).collect::<Vec<_>>()),
            ],
        )
        .unwrap()
    });
    let feats =
        features(&d, wellness.map(|w| wellness_days(w.lazy())), journal.map(|j| j.lazy())).unwrap();
    calls(&feats, &a).unwrap()
}

fn on(days: &[Day], day: i32) -> &Day {
    days.iter().find(|d| d.day == DAY0 + day).unwrap_or_else(|| panic!("no row for day {day}"))
}

#[test]
fn a_steady_build_raises_no_passive_flag() {
    let days = run_season(&steady(true), Experience::Intermediate);
    for d in days.iter().filter(|d| d.day >= DAY0 + 28) {
        assert_ne!(
            d.call,
            Call::PassiveRecovery,
            "day {}: {:?} {:?}",
            d.day - DAY0,
            d.signs,
            d.evidence
        );
    }
    // Saturday's long run (load 70) is not hard against a typical day of ~54: Sunday trains.
    assert_eq!(on(&days, 55).call, Call::Train);
    // The calendar runs to the day after the latest data.
    assert_eq!(days.last().unwrap().day, DAY0 + 85);
}

#[test]
fn a_sudden_long_run_calls_for_rest() {
    let mut s = steady(true);
    // Saturday of week 8 (day 61): 25 km where the longest of the 30 days before is ~11.3 km.
    let i = s.runs.iter().position(|r| r.day == 61).unwrap();
    s.runs[i].km = 25.0;
    let days = run_season(&s, Experience::Intermediate);
    let d = on(&days, 62);
    assert_eq!(
        (d.call, d.signs.clone()),
        (Call::PassiveRecovery, vec!["load_spike"]),
        "{:?}",
        d.evidence
    );
    assert!(d.evidence[0].starts_with("yesterday's 25.0 km run was 12"), "{:?}", d.evidence);
}

#[test]
fn a_week_of_short_sleep() {
    let mut s = steady(true);
    for n in s.sleep.iter_mut().filter(|n| (50..57).contains(&n.0)) {
        n.1 = 5.5;
    }
    let days = run_season(&s, Experience::Intermediate);
    for day in 50..57 {
        let d = on(&days, day);
        assert_eq!(
            (d.call, d.signs.clone()),
            (Call::PassiveRecovery, vec!["poor_sleep"]),
            "day {day}"
        );
    }
    assert_eq!(on(&days, 52).evidence, ["slept 5.5 h last night, under 7 h"]);
    assert_ne!(on(&days, 57).call, Call::PassiveRecovery);
}

#[test]
fn a_rising_resting_heart_rate_before_an_illness() {
    let mut s = steady(true);
    for (day, bpm) in [(40, 53.0), (41, 56.0), (42, 58.0), (43, 57.0)] {
        s.rhr.iter_mut().find(|r| r.0 == day).unwrap().1 = bpm;
    }
    s.journal.push((43, None, Some(true), None));
    let days = run_season(&s, Experience::Intermediate);
    // Day 40: 53 bpm is 3 above the ~50 baseline, inside the 5 bpm band.
    assert!(!on(&days, 40).signs.contains(&"elevated_resting_hr"));
    let d = on(&days, 41);
    assert_eq!((d.call, d.signs.clone()), (Call::PassiveRecovery, vec!["elevated_resting_hr"]));
    assert!(on(&days, 42).signs.contains(&"elevated_resting_hr"));
    // Illness on day 43 keeps the calls passive while coming back: days 43 to 46.
    for day in 43..=46 {
        assert!(on(&days, day).signs.contains(&"illness"), "day {day}");
    }
    assert!(!on(&days, 47).signs.contains(&"illness"));
}

#[test]
fn a_stagnant_block() {
    let mut s = steady(true);
    // From week 6 on: efficiency falls 2 % a week while the loads rise 10 % a week.
    for r in s.runs.iter_mut().filter(|r| r.day >= 42) {
        let week = f64::from(r.day / 7 - 5);
        r.ef = 1.05 * (1.0 - 0.02 * week);
        r.load *= 1.0 + 0.1 * week;
    }
    let days = run_season(&s, Experience::Intermediate);
    let d = on(&days, 84);
    assert!(d.signs.contains(&"stagnation"), "{:?} {:?} {:?}", d.signs, d.evidence, d.not_checked);
    assert_eq!(d.call, Call::PassiveRecovery);
    // The evidence gives CTL then and now, and the rise between them.
    let e = d.evidence.iter().find(|e| e.contains("fitness (CTL) rose")).unwrap();
    let (then, now, pct) = ctl_rise(e);
    assert!(now > then && pct >= t::STAGNATION_CTL_RISE_PCT, "{e}");
    // In the steady build, efficiency improves and the sign stays quiet.
    let steady_days = run_season(&steady(true), Experience::Intermediate);
    assert!(!on(&steady_days, 84).signs.contains(&"stagnation"));
}

/// (CTL then, CTL now, rise in %) from a stagnation evidence line.
fn ctl_rise(evidence: &str) -> (f64, f64, f64) {
    let rest = evidence.split("rose ").nth(1).unwrap();
    let (then, rest) = rest.split_once(" -> ").unwrap();
    let (now, pct) = rest.split_once(" (+").unwrap();
    let pct = pct.trim_end_matches(" %)");
    (then.parse().unwrap(), now.parse().unwrap(), pct.parse().unwrap())
}

#[test]
fn the_same_load_week_after_week_is_no_rise_for_stagnation() {
    // Forty weeks of the same week (the steady build's days and loads, the long run 10 km) with
    // efficiency flat at 1.0: "not improving" holds, but the load does not rise. CTL still
    // creeps towards its level: from day 251 to day 272, three weeks apart on the same weekday,
    // by e^(-251/42) x (1 - e^(-21/42)) of it, about 0.1 % (starting from zero).
    let mut s = Season::default();
    for week in 0..40 {
        for (dow, km, load) in
            [(0, 8.0, 50.0), (1, 8.0, 50.0), (3, 8.0, 50.0), (4, 8.0, 50.0), (5, 10.0, 70.0)]
        {
            s.runs.push(Run { day: week * 7 + dow, km, load, ef: 1.0 });
        }
    }
    let days = run_season(&s, Experience::Intermediate);
    let d = on(&days, 273);
    assert!(!d.signs.contains(&"stagnation"), "{:?} {:?}", d.signs, d.evidence);
    assert!(!d.not_checked.iter().any(|n| n.starts_with("stagnation")), "{:?}", d.not_checked);
}

#[test]
fn after_a_hard_day_a_new_runner_rests_and_an_experienced_one_moves() {
    let mut s = steady(true);
    // Thursday of week 7 (day 52): load 100 against a typical day of ~54.
    s.runs.iter_mut().find(|r| r.day == 52).unwrap().load = 100.0;
    let new = run_season(&s, Experience::New);
    let experienced = run_season(&s, Experience::Experienced);
    let (n, e) = (on(&new, 53), on(&experienced, 53));
    assert_eq!((n.call, n.signs.clone()), (Call::PassiveRecovery, vec!["hard_session"]));
    assert_eq!((e.call, e.signs.clone()), (Call::ActiveRecovery, vec!["hard_session"]));
    assert_eq!(e.hr_ceiling, 134.0);
    assert_eq!(e.explanation, "Easy movement only, heart rate under 134 bpm: hard session.");
    // Day 53 is a Friday with a run at 140 bpm: above the ceiling.
    assert_eq!(e.recovery_too_hard, Some(true));
}

#[test]
fn without_wellness_data_the_signs_are_listed_as_not_checked() {
    let days = run_season(&steady(false), Experience::Intermediate);
    let d = on(&days, 60);
    assert_eq!(d.call, Call::Train);
    let text = d.not_checked.join("; ");
    for sign in ["poor_sleep", "elevated_resting_hr", "suppressed_hrv", "illness, soreness"] {
        assert!(text.contains(sign), "{sign} missing from: {text}");
    }
    // The early days say why fatigue could not be judged yet.
    assert!(on(&days, 10).not_checked.iter().any(|n| n.starts_with("accumulated_fatigue")));
}

#[test]
fn an_experienced_runner_still_needs_a_rest_day() {
    // A run every day for three weeks (day -1, before the first run, is the last rest day):
    // after 10 straight training days (days 0-9) a passive day is due on day 10.
    let mut s = Season::default();
    for day in 0..21 {
        s.runs.push(Run { day, km: 8.0, load: 50.0, ef: 1.0 });
    }
    let days = run_season(&s, Experience::Experienced);
    assert!(!on(&days, 9).signs.contains(&"no_rest_day"));
    let d = on(&days, 10);
    assert_eq!(d.evidence, ["10 training days in a row; a rest day is due after 10"]);
    assert!(d.signs.contains(&"no_rest_day"), "{:?}", d.signs);
    assert_eq!(d.call, Call::PassiveRecovery);
}

#[test]
fn a_falling_hrv_week() {
    // rMSSD drops from ~60 ms to 40 ms for days 50-56: ln 3.69 against a baseline of ~4.09
    // with an SD of ~0.04. The 7-day mean falls below baseline - 1 SD within two mornings.
    let mut s = steady(true);
    for h in s.hrv.iter_mut().filter(|h| (50..57).contains(&h.0)) {
        h.1 = 40.0;
    }
    let days = run_season(&s, Experience::Intermediate);
    assert!(!on(&days, 49).signs.contains(&"suppressed_hrv"));
    let d = on(&days, 52);
    assert_eq!(
        (d.call, d.signs.clone()),
        (Call::PassiveRecovery, vec!["suppressed_hrv"]),
        "{:?}",
        d.evidence
    );
}
