//! Wellness from a Garmin "Export Your Data" archive: the daily JSON files and the wellness FIT
//! files inside `UploadedFiles_*.zip`, into one row per date of `wellness.parquet`.
//!
//! Every expected value is worked out by hand from the synthetic files built here.

use crate::fitgen::{ENUM, FitWriter, SINT16, UINT8, UINT16, UINT32, fit_time};
use crate::util::{Env, f64s, strs, zip};
use polars::prelude::*;

/// Unix seconds of a UTC time `YYYY-MM-DDTHH:MM:SS`.
fn unix(s: &str) -> i64 {
    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S").unwrap().and_utc().timestamp()
}

fn uds(date: &str, current: i64, seven_day: Option<i64>, extra: &str) -> String {
    // Local midnight in CEST (UTC+2) is 22:00 UTC the day before.
    let day = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap();
    let prev = day.pred_opt().unwrap();
    let seven = seven_day.map_or(String::new(), |v| format!(r#""restingHeartRate": {v},"#));
    format!(
        r#"{{"calendarDate": "{date}", "currentDayRestingHeartRate": {current}, {seven}
            "wellnessStartTimeGmt": "{prev}T22:00:00.0", "wellnessStartTimeLocal": "{date}T00:00:00.0"{extra}}}"#
    )
}

fn json_files() -> Vec<(String, Vec<u8>)> {
    let sleep_a = r#"[
      {"calendarDate": "2024-05-13", "sleepStartTimestampGMT": "2024-05-12T21:10:00.0",
       "sleepEndTimestampGMT": "2024-05-13T05:10:00.0", "deepSleepSeconds": 6000,
       "lightSleepSeconds": 15000, "remSleepSeconds": 6000, "awakeSleepSeconds": 1800,
       "sleepScores": {"overallScore": 82}},
      {"calendarDate": "2024-05-14", "sleepStartTimestampGMT": "2024-05-13T21:00:00.0",
       "sleepEndTimestampGMT": "2024-05-14T05:00:00.0", "deepSleepSeconds": 3600,
       "lightSleepSeconds": 3600, "remSleepSeconds": 3600, "sleepScores": {"overallScore": 40}},
      {"deepSleepSeconds": 100}
    ]"#;
    // The later chunk repeats 2024-05-14 with other values: they win. The night crosses
    // midnight both in UTC and in local time (22:45 to 06:51 CEST).
    let sleep_b = r#"[
      {"calendarDate": "2024-05-14", "sleepStartTimestampGMT": "2024-05-13T20:45:00.0",
       "sleepEndTimestampGMT": "2024-05-14T04:51:00.0", "deepSleepSeconds": 5400,
       "lightSleepSeconds": 14400, "remSleepSeconds": 5400, "awakeSleepSeconds": 1560,
       "unmeasurableSeconds": 0, "awakeCount": 2, "averageRespiration": 14.5,
       "avgSleepStress": 18.0,
       "sleepScores": {"overallScore": 78, "qualityScore": 70, "durationScore": 85,
                       "recoveryScore": 74}},
      {"calendarDate": "2024-05-24", "sleepStartTimestampGMT": "2024-05-23T22:30:00.0",
       "sleepEndTimestampGMT": "2024-05-24T04:00:00.0", "deepSleepSeconds": 3000,
       "lightSleepSeconds": 12000, "remSleepSeconds": 3000, "awakeSleepSeconds": 1800}
    ]"#;
    let mut uds_a: Vec<String> = [48, 49, 48, 50, 49, 48, 49, 48, 50, 49, 48, 49]
        .iter()
        .enumerate()
        .map(|(i, rhr)| uds(&format!("2024-05-{:02}", i + 1), *rhr, None, ""))
        .collect();
    uds_a.push(uds(
        "2024-05-13",
        48,
        None,
        r#", "allDayStress": {"aggregatorList": [
              {"type": "TOTAL", "averageStressLevel": 32},
              {"type": "AWAKE", "averageStressLevel": 40},
              {"type": "ASLEEP", "averageStressLevel": -1}]},
            "bodyBattery": {"bodyBatteryStatList": [
              {"bodyBatteryStatType": "HIGHEST", "statsValue": 87},
              {"bodyBatteryStatType": "LOWEST", "statsValue": 12}]}"#,
    ));
    uds_a.push(uds("2024-05-14", 0, Some(50), ""));
    let mut uds_b = vec![uds("2024-05-14", 0, Some(49), "")];
    for d in 15..=23 {
        uds_b.push(uds(&format!("2024-05-{d}"), 49, None, ""));
    }
    uds_b.push(uds("2024-05-24", 58, None, ""));
    let health = r#"[
      {"calendarDate": "2024-05-13", "metrics": [
        {"type": "HRV", "value": 62, "baselineLowerLimit": 55, "baselineUpperLimit": 70,
         "status": "BALANCED"},
        {"type": "HR", "value": 48, "status": "NONE"}]},
      {"calendarDate": "2024-05-14", "metrics": [{"type": "HRV", "value": 0, "status": "UNKNOWN"}]}
    ]"#;
    let w = "DI_CONNECT/DI-Connect-Wellness";
    let a = "DI_CONNECT/DI-Connect-Aggregator";
    vec![
        (format!("{w}/2024-05-01_2024-05-14_123_sleepData.json"), sleep_a.into()),
        (format!("{w}/2024-05-14_2024-05-27_123_sleepData.json"), sleep_b.into()),
        (format!("{w}/2024-05-01_2024-05-27_123_healthStatusData.json"), health.into()),
        (format!("{w}/2024-05-28_2024-06-09_123_sleepData.json"), b"[{\"calendarDate\": ".to_vec()),
        (
            format!("{a}/UDSFile_2024-05-01_2024-05-14.json"),
            format!("[{}]", uds_a.join(",")).into(),
        ),
        (
            format!("{a}/UDSFile_2024-05-14_2024-05-27.json"),
            format!("[{}]", uds_b.join(",")).into(),
        ),
        ("DI_CONNECT/DI-Connect-User/user_profile.json".into(), b"{\"userName\": \"x\"}".to_vec()),
    ]
}

/// A sleep file (type 49): the night of 2024-05-19/20, 23:00 to 06:15 CEST.
fn sleep_fit() -> Vec<u8> {
    let mut w = FitWriter::new();
    w.file_id(49, unix("2024-05-20T04:15:00"));
    w.define(1, 275, &[(253, 4, UINT32), (0, 1, ENUM)]);
    // light 21:00-22:00, deep 22:00-23:30, REM 23:30-00:30, light 00:30-04:00, awake 04:00-04:15
    for (t, level) in [
        ("2024-05-19T21:00:00", 2),
        ("2024-05-19T22:00:00", 3),
        ("2024-05-19T23:30:00", 4),
        ("2024-05-20T00:30:00", 2),
        ("2024-05-20T04:00:00", 1),
        ("2024-05-20T04:15:00", 1),
    ] {
        w.data(1, &[fit_time(unix(t)) as i64, level]);
    }
    // sleep_assessment: overall score in field 6.
    w.define(2, 346, &[(6, 1, UINT8)]);
    w.data(2, &[71]);
    w.finish()
}

/// An HRV status file (type 68) for the morning of 2024-05-20.
fn hrv_fit() -> Vec<u8> {
    let mut w = FitWriter::new();
    w.file_id(68, unix("2024-05-20T05:00:00"));
    // hrv_status_summary: fields 0-5 u16 in 1/128 ms, 6 status (4 = balanced).
    let f: Vec<(u8, u8, u8)> =
        (0..6).map(|n| (n, 2, UINT16)).chain([(6, 1, ENUM), (253, 4, UINT32)]).collect();
    w.define(1, 370, &f);
    let t = fit_time(unix("2024-05-20T05:00:00")) as i64;
    // weekly 60, last night 58.5, 5-min high 81, low upper 45, balanced 50 to 70 (ms).
    w.data(1, &[60 * 128, 7488, 81 * 128, 45 * 128, 50 * 128, 70 * 128, 4, t]);
    // hrv_value: a 5-minute rMSSD of 57.25 ms.
    w.define(2, 371, &[(0, 2, UINT16), (253, 4, UINT32)]);
    w.data(2, &[7328, t]);
    w.finish()
}

/// A monitoring file (type 32) for 2024-05-20 in CEST, with compressed timestamps.
fn monitoring_fit() -> Vec<u8> {
    let mut w = FitWriter::new();
    let t0 = unix("2024-05-19T22:00:00");
    w.file_id(32, t0);
    // monitoring_info: local midnight 2024-05-20 is 22:00 UTC, so UTC+2.
    w.define(1, 103, &[(253, 4, UINT32), (0, 4, UINT32)]);
    w.data(1, &[fit_time(t0) as i64, fit_time(t0 + 7200) as i64]);
    // monitoring_hr_data: 7-day resting HR 50 (field 0), the day's own 47 (field 1).
    w.define(2, 211, &[(253, 4, UINT32), (0, 1, UINT8), (1, 1, UINT8)]);
    w.data(2, &[fit_time(t0) as i64, 50, 47]);
    // monitoring with timestamp_16 only: 10 and 70 minutes after t0.
    w.define(3, 55, &[(26, 2, UINT16), (27, 1, UINT8)]);
    w.data(3, &[(fit_time(t0 + 600) & 0xFFFF) as i64, 62]);
    w.data(3, &[(fit_time(t0 + 4200) & 0xFFFF) as i64, 58]);
    // stress_level: value (sint16), time, and body battery in field 3.
    w.define(4, 227, &[(0, 2, SINT16), (1, 4, UINT32), (3, 1, UINT8)]);
    for (t, stress, battery) in [
        ("2024-05-20T08:00:00", 30, 80),
        ("2024-05-20T09:00:00", 50, 60),
        ("2024-05-20T10:00:00", -1, 55),
    ] {
        w.data(4, &[stress, fit_time(unix(t)) as i64, battery]);
    }
    w.finish()
}

/// The synthetic wellness FIT files, for the decoders' differential test.
pub fn synthetic_fit_files() -> Vec<(String, Vec<u8>)> {
    vec![
        ("synthetic sleep".into(), sleep_fit()),
        ("synthetic hrv".into(), hrv_fit()),
        ("synthetic monitoring".into(), monitoring_fit()),
    ]
}

/// A 30-minute run in Berlin on 2024-05-02, so the calendar has an activity.
fn run_gpx() -> Vec<u8> {
    let mut pts = String::new();
    for i in 0..=30 {
        pts.push_str(&format!(
            r#"<trkpt lat="{:.5}" lon="13.40000"><time>2024-05-02T06:{i:02}:00Z</time></trkpt>"#,
            52.5 + f64::from(i) * 0.002
        ));
    }
    format!(r#"<gpx version="1.1"><trk><trkseg>{pts}</trkseg></trk></gpx>"#).into_bytes()
}

fn garmin_export() -> Vec<u8> {
    let uploaded = zip(&[
        ("sleep_2024-05-20.fit", sleep_fit()),
        ("hrv_2024-05-20.fit", hrv_fit()),
        ("monitoring_2024-05-20.fit", monitoring_fit()),
        ("run.gpx", run_gpx()),
    ]);
    let mut entries: Vec<(String, Vec<u8>)> = json_files();
    entries
        .push(("DI_CONNECT/DI-Connect-Uploaded-Files/UploadedFiles_0-_Part1.zip".into(), uploaded));
    let refs: Vec<(&str, Vec<u8>)> = entries.iter().map(|(n, b)| (n.as_str(), b.clone())).collect();
    zip(&refs)
}

/// The row of `df` for `date`, column by column.
struct Row<'a> {
    df: &'a DataFrame,
    i: usize,
}

impl Row<'_> {
    fn f(&self, c: &str) -> Option<f64> {
        f64s(self.df, c)[self.i]
    }
    fn s(&self, c: &str) -> Option<String> {
        strs(self.df, c)[self.i].clone()
    }
    fn time(&self, c: &str) -> Option<String> {
        let s = self.df.column(c).unwrap().cast(&DataType::String).unwrap();
        s.str().unwrap().get(self.i).map(str::to_string)
    }
}

fn row<'a>(df: &'a DataFrame, date: &str) -> Row<'a> {
    let dates = df.column("date").unwrap().cast(&DataType::String).unwrap();
    let i = dates.str().unwrap().iter().position(|d| d == Some(date));
    Row { df, i: i.unwrap_or_else(|| panic!("no wellness row for {date}")) }
}

fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-9)
}

#[test]
fn a_garmin_export_gives_one_wellness_row_per_day() {
    let env = Env::new();
    let export = env.write("export.zip", &garmin_export());
    // fitparser reads FIT local times through the machine's zone: any zone must give UTC+2.
    let out = env.cmd().env("TZ", "Asia/Tokyo").arg("import").arg(&export).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{stdout}");
    assert!(stdout.contains("1 unsupported, 1 failed"), "{stdout}");
    let ledger = env.table("imports.parquet");
    let err = strs(&ledger, "error");
    let path = strs(&ledger, "path");
    let of = |name: &str| {
        let i = path.iter().position(|p| p.as_deref().unwrap().ends_with(name)).unwrap();
        (strs(&ledger, "outcome")[i].clone().unwrap(), err[i].clone().unwrap_or_default())
    };
    let (outcome, why) = of("2024-05-28_2024-06-09_123_sleepData.json");
    assert_eq!(outcome, "failed");
    assert!(why.starts_with("Garmin wellness JSON: not valid JSON"), "{why}");
    assert_eq!(of("user_profile.json").0, "unsupported");
    let (outcome, why) = of("2024-05-01_2024-05-14_123_sleepData.json");
    assert_eq!(
        (outcome.as_str(), why.as_str()),
        ("imported", "1 entries without calendarDate skipped")
    );

    let w = env.table("wellness.parquet");
    // 2024-05-01..05-24, each with a UDS entry, except that 05-20 also has FIT files.
    assert_eq!(w.height(), 24);

    // 05-13: sleep 6000 + 15000 + 6000 s = 7.5 h; HRV, stress and body battery from JSON.
    let r = row(&w, "2024-05-13");
    assert!(close(r.f("sleep_h"), 7.5));
    assert!(close(r.f("sleep_score"), 82.0));
    assert!(close(r.f("resting_hr"), 48.0));
    assert!(close(r.f("hrv_ms"), 62.0));
    assert!(close(r.f("hrv_baseline_low_ms"), 55.0));
    assert!(close(r.f("hrv_baseline_high_ms"), 70.0));
    assert_eq!(r.s("hrv_status").as_deref(), Some("balanced"));
    assert!(close(r.f("stress_avg"), 32.0));
    assert!(close(r.f("stress_awake"), 40.0));
    assert_eq!(r.f("stress_asleep"), None, "negative = no data");
    assert!(close(r.f("body_battery_high"), 87.0));
    assert!(close(r.f("body_battery_low"), 12.0));
    assert_eq!(r.f("utc_offset_s"), Some(7200.0));

    // 05-14: both sleep chunks have it, the later one wins: 5400 + 14400 + 5400 s = 7.0 h.
    let r = row(&w, "2024-05-14");
    assert!(close(r.f("sleep_h"), 7.0));
    assert!(close(r.f("deep_sleep_h"), 1.5));
    assert!(close(r.f("light_sleep_h"), 4.0));
    assert!(close(r.f("rem_sleep_h"), 1.5));
    assert!(close(r.f("awake_h"), 1560.0 / 3600.0));
    assert!(close(r.f("awake_count"), 2.0));
    assert!(close(r.f("respiration_brpm"), 14.5));
    assert!(close(r.f("sleep_stress"), 18.0));
    assert!(close(r.f("sleep_score"), 78.0));
    assert!(close(r.f("sleep_quality_score"), 70.0));
    assert!(close(r.f("sleep_duration_score"), 85.0));
    assert!(close(r.f("sleep_recovery_score"), 74.0));
    assert_eq!(r.time("sleep_start").as_deref(), Some("2024-05-13 20:45:00.000+00:00"));
    assert_eq!(r.time("sleep_end").as_deref(), Some("2024-05-14 04:51:00.000+00:00"));
    assert!(r.s("sleep_source").unwrap().ends_with("2024-05-14_2024-05-27_123_sleepData.json"));
    // Not worn (0): no resting HR of the day; the 7-day value of the later UDS chunk (49).
    assert_eq!(r.f("resting_hr"), None);
    assert!(close(r.f("resting_hr_7d"), 49.0));
    assert!(r.s("resting_hr_source").unwrap().ends_with("UDSFile_2024-05-14_2024-05-27.json"));
    // HRV 0 with status UNKNOWN: not measured.
    assert_eq!((r.f("hrv_ms"), r.s("hrv_source")), (None, None));

    // 05-20: the FIT files. Sleep light 1 h + 3.5 h, deep 1.5 h, REM 1 h; awake 15 min.
    let r = row(&w, "2024-05-20");
    assert!(close(r.f("sleep_h"), 7.0));
    assert!(close(r.f("light_sleep_h"), 4.5));
    assert!(close(r.f("deep_sleep_h"), 1.5));
    assert!(close(r.f("rem_sleep_h"), 1.0));
    assert!(close(r.f("awake_h"), 0.25));
    assert!(close(r.f("sleep_score"), 71.0));
    assert_eq!(r.time("sleep_start").as_deref(), Some("2024-05-19 21:00:00.000+00:00"));
    assert_eq!(r.time("sleep_end").as_deref(), Some("2024-05-20 04:15:00.000+00:00"));
    assert!(r.s("sleep_source").unwrap().ends_with("sleep_2024-05-20.fit"));
    // HRV: 7488 / 128 = 58.5 ms; weekly 60; balanced 50 to 70.
    assert!(close(r.f("hrv_ms"), 58.5));
    assert!(close(r.f("hrv_weekly_ms"), 60.0));
    assert!(close(r.f("hrv_baseline_low_ms"), 50.0));
    assert!(close(r.f("hrv_baseline_high_ms"), 70.0));
    assert_eq!(r.s("hrv_status").as_deref(), Some("balanced"));
    assert!(r.s("hrv_source").unwrap().ends_with("hrv_2024-05-20.fit"));
    // Stress (30 + 50) / 2 = 40, the -1 left out; body battery 80, 60, 55.
    assert!(close(r.f("stress_avg"), 40.0));
    assert!(close(r.f("body_battery_high"), 80.0));
    assert!(close(r.f("body_battery_low"), 55.0));
    assert!(r.s("stress_source").unwrap().ends_with("monitoring_2024-05-20.fit"));
    // The UDS entry of 05-20 (49) wins over the monitoring file's 47.
    assert!(close(r.f("resting_hr"), 49.0));
    assert!(r.s("resting_hr_source").unwrap().ends_with("UDSFile_2024-05-14_2024-05-27.json"));
    assert_eq!(r.f("utc_offset_s"), Some(7200.0));

    // 05-24: a 5-hour night and a resting HR of 58.
    let r = row(&w, "2024-05-24");
    assert!(close(r.f("sleep_h"), 5.0));
    assert!(close(r.f("resting_hr"), 58.0));

    // The readings keep the monitoring file's heart rates at their expanded times.
    let readings = env.readings();
    let metric = strs(&readings, "metric");
    let times = readings.column("time").unwrap().cast(&DataType::String).unwrap();
    let hr: Vec<(String, f64)> = (0..readings.height())
        .filter(|&i| metric[i].as_deref() == Some("heart_rate"))
        .map(|i| {
            (times.str().unwrap().get(i).unwrap().to_string(), f64s(&readings, "value")[i].unwrap())
        })
        .collect();
    assert_eq!(
        hr,
        [
            ("2024-05-19 22:10:00.000+00:00".to_string(), 62.0),
            ("2024-05-19 23:10:00.000+00:00".to_string(), 58.0)
        ]
    );

    // The same export again adds nothing.
    let before = (readings, w);
    let out = env.import(&[&export]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("0 imported"));
    assert!(env.readings().equals_missing(&before.0));
    assert!(env.table("wellness.parquet").equals_missing(&before.1));
}

#[test]
fn poor_sleep_and_an_elevated_resting_heart_rate_come_from_the_export() {
    let env = Env::new();
    let export = env.write("export.zip", &garmin_export());
    assert_eq!(env.import(&[&export]).status.code(), Some(3));
    let out =
        env.cmd().args(["report", "--date", "2024-05-24", "--format", "json"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let call = &json["call"];
    let signs: Vec<&str> =
        call["signs"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
    assert!(signs.contains(&"poor_sleep"), "{text}");
    assert!(signs.contains(&"elevated_resting_hr"), "{text}");
    // The evidence names the numbers: 5.0 h of sleep; 58 bpm against the mean of the 28 days
    // before (05-01..05-13 sum to 633, 05-15..05-23 are 9 x 49, 05-14 was not worn):
    // (633 + 441) / 22 = 48.8.
    let evidence: Vec<&str> =
        call["evidence"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
    assert!(evidence.contains(&"slept 5.0 h last night, under 7 h"), "{text}");
    assert!(evidence.contains(&"resting HR 58 bpm, 9 above the 28-day baseline 49"), "{text}");
    assert_eq!(call["call"].as_str(), Some("passive_recovery"), "{text}");
}

#[test]
fn a_second_copy_of_an_activity_adds_no_wellness() {
    let env = Env::new();
    let fit = crate::util::read("export/fit/hrv-activity.fit");
    // The same recording with other bytes (zero padding after the data): decoded, then found
    // to be the same activity, so its R-R intervals are already stored.
    let mut copy = fit.clone();
    copy.extend([0u8; 8]);
    env.write("a/run.fit", &fit);
    env.write("b/run-copy.fit", &copy);
    let out = env.import(&[&env.path("a"), &env.path("b")]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 imported, 1 duplicates"));
    let once = restday_decode::decode(restday_model::Format::Fit, &fit).unwrap().wellness.len();
    assert!(once > 1000, "{once} R-R intervals in the file");
    assert_eq!(env.readings().height(), once);
}

#[test]
fn a_dataset_with_the_old_wellness_table_is_migrated() {
    let env = Env::new();
    let export = env.write("export.zip", &garmin_export());
    assert_eq!(env.import(&[&export]).status.code(), Some(3));
    let (readings, daily) = (env.readings(), env.table("wellness.parquet"));
    // Session 1 kept FIT readings, without `date` and `record`, as `wellness.parquet`.
    let dir = env.data_dir();
    let mut old = readings
        .filter(&readings.column("date").unwrap().is_null())
        .unwrap()
        .drop_many(["date", "record"]);
    std::fs::remove_dir_all(dir.join("wellness_readings")).unwrap();
    let f = std::fs::File::create(dir.join("wellness.parquet")).unwrap();
    ParquetWriter::new(f).finish(&mut old).unwrap();
    // The next run makes them a readings part again and rebuilds the daily table from them.
    let out = env.cmd().arg("metrics").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let migrated = env.readings();
    assert_eq!(migrated.height(), old.height());
    assert_eq!(migrated.get_column_names(), readings.get_column_names());
    // The FIT readings alone give the 2024-05-20 row of the export's daily table.
    let fit_only = env.table("wellness.parquet");
    assert_eq!(row(&fit_only, "2024-05-20").f("hrv_ms"), row(&daily, "2024-05-20").f("hrv_ms"));
    assert!(close(row(&fit_only, "2024-05-20").f("sleep_h"), 7.0));
}
