//! Decoded values checked against other decoders: `data/expected/expected.csv` (Python fitdecode),
//! python-fitparse's record dump, and counts taken from the XML with grep and awk.

use crate::util::{data, read};
use restday_decode::{Content, Decoded, decode};
use restday_model::{Activity, Format};

/// One row of `expected.csv`.
#[derive(Debug)]
struct Expected {
    file: String,
    records: usize,
    records_with_hr: usize,
    hr_sum: i64,
    hr_max: Option<i32>,
    last_distance_m: Option<f64>,
    sessions: usize,
    sport: Option<String>,
    session_distance_m: Option<f64>,
    session_timer_s: Option<f64>,
    first_record_utc: Option<String>,
}

fn expected() -> Vec<Expected> {
    let text = String::from_utf8(read("expected/expected.csv")).unwrap();
    text.lines()
        .skip(1)
        .map(|line| {
            let c: Vec<&str> = line.splitn(13, ',').collect();
            let opt = |s: &str| (!s.is_empty()).then(|| s.to_string());
            Expected {
                file: c[0].to_string(),
                records: c[2].parse().unwrap(),
                records_with_hr: c[3].parse().unwrap(),
                hr_sum: c[4].parse().unwrap(),
                hr_max: c[5].parse().ok(),
                last_distance_m: c[6].parse().ok(),
                sessions: c[7].parse().unwrap(),
                sport: opt(c[8]),
                session_distance_m: c[9].parse().ok(),
                session_timer_s: c[10].parse().ok(),
                first_record_utc: opt(c[11]),
            }
        })
        .collect()
}

fn decode_file(rel: &str) -> Decoded {
    let format = match rel.rsplit('.').next().unwrap() {
        "fit" => Format::Fit,
        "gpx" => Format::Gpx,
        "tcx" => Format::Tcx,
        other => panic!("{other}"),
    };
    decode(format, &read(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn all_hr(acts: &[Activity]) -> Vec<i32> {
    acts.iter().flat_map(|a| a.samples.heart_rate.iter().flatten()).collect()
}

fn iso(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap()
        .format("%Y-%m-%dT%H:%M:%S+00:00")
        .to_string()
}

/// Files every decoder reads in full: all values must match fitdecode's.
const CLEAN: &[&str] = &[
    "export/fit/2013-02-06-12-11-14.fit",
    "export/fit/2015-10-13-08-43-15.fit",
    "export/fit/activity-small-fenix2-run.fit",
    "export/fit/developer-types-sample.fit",
    "export/fit/event_timestamp.fit",
    "export/fit/garmin-edge-820-bike.fit",
    "export/fit/garmin-fenix-5-bike.fit",
    "export/fit/garmin-fenix-5-run.fit",
    "export/fit/garmin-fenix-5-walk.fit",
    "export/fit/hrv-activity.fit",
    "export/fit/sample_mulitple_header.fit",
    "broken/activity-filecrc.fit",
];

#[test]
fn fit_files_match_fitdecode() {
    let expected = expected();
    for rel in CLEAN {
        let name = rel.rsplit('/').next().unwrap();
        let e = expected
            .iter()
            .find(|e| e.file == name)
            .unwrap_or_else(|| panic!("{name} not in expected.csv"));
        let d = decode_file(rel);
        assert_eq!(d.content, Content::Activity, "{name}");
        assert_eq!(d.partial, None, "{name}");
        let acts = &d.activities;
        let records: usize = acts.iter().map(|a| a.samples.len()).sum();
        assert_eq!(records, e.records, "{name}: records");
        let hr = all_hr(acts);
        assert_eq!(hr.len(), e.records_with_hr, "{name}: records with HR");
        assert_eq!(hr.iter().map(|&h| i64::from(h)).sum::<i64>(), e.hr_sum, "{name}: HR sum");
        if e.records_with_hr > 0 {
            assert_eq!(hr.iter().copied().max(), e.hr_max, "{name}: HR max");
        }
        assert_eq!(acts.len(), e.sessions.max(1), "{name}: one activity per session");
        let first = &acts[0];
        assert_eq!(first.sport, e.sport, "{name}: sport of the first session");
        let close = |a: Option<f64>, b: Option<f64>, what: &str| match (a, b) {
            (Some(a), Some(b)) => assert!((a - b).abs() < 0.01, "{name}: {what} {a} vs {b}"),
            (a, b) => assert_eq!(a, b, "{name}: {what}"),
        };
        close(first.distance_m, e.session_distance_m, "session distance");
        close(first.timer_s, e.session_timer_s, "session timer");
        // The last record's distance, in file order across all legs.
        let last_distance =
            acts.iter().flat_map(|a| a.samples.distance_m.iter()).rev().find_map(|d| d);
        close(last_distance, e.last_distance_m, "last record distance");
        let first_time = acts.iter().flat_map(|a| a.samples.time_ms.iter()).find_map(|t| t);
        assert_eq!(first_time.map(iso), e.first_record_utc, "{name}: first record time");
    }
}

#[test]
fn bad_crc_is_a_warning_not_a_loss() {
    let d = decode_file("broken/activity-filecrc.fit");
    assert!(d.warnings.iter().any(|w| w.contains("CRC mismatch")), "{:?}", d.warnings);
    assert_eq!(d.activities[0].samples.len(), 14);
}

/// python-fitparse's dump of garmin-fenix-5-run.fit, record by record. Its timestamps are
/// printed in US Pacific daylight time (UTC-7).
#[test]
fn fenix5_records_match_python_fitparse() {
    let csv = String::from_utf8(read("expected/garmin-fenix-5-run-records.csv")).unwrap();
    let d = decode_file("export/fit/garmin-fenix-5-run.fit");
    let s = &d.activities[0].samples;
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    assert_eq!(rows.len(), s.len());
    for (i, line) in rows.iter().enumerate() {
        let c: Vec<&str> = line.split(',').collect();
        let local =
            chrono::NaiveDateTime::parse_from_str(c[0], "%a %b %d %H:%M:%S PDT %Y").unwrap();
        let utc_ms = (local + chrono::Duration::hours(7)).and_utc().timestamp_millis();
        assert_eq!(s.time_ms.get(i), Some(utc_ms), "row {i} time");
        assert_eq!(s.heart_rate.get(i), c[1].parse().ok(), "row {i} heart rate");
        assert_eq!(s.cadence.get(i), c[2].parse().ok(), "row {i} cadence");
        let near = |got: Option<f64>, want: &str, tol: f64, what: &str| {
            let want: f64 = want.parse().unwrap();
            let got = got.unwrap_or_else(|| panic!("row {i} {what} missing"));
            assert!((got - want).abs() <= tol, "row {i} {what}: {got} vs {want}");
        };
        near(s.speed_m_s.get(i), c[3], 1e-9, "speed");
        near(s.distance_m.get(i), c[4], 1e-9, "distance");
        // Semicircles to degrees: deg = semicircles * 180 / 2^31.
        near(
            s.latitude.get(i),
            &(c[5].parse::<f64>().unwrap() * 180.0 / 2f64.powi(31)).to_string(),
            1e-12,
            "lat",
        );
        near(
            s.longitude.get(i),
            &(c[6].parse::<f64>().unwrap() * 180.0 / 2f64.powi(31)).to_string(),
            1e-12,
            "lon",
        );
        near(s.altitude_m.get(i), c[7], 1e-9, "altitude");
        near(s.temperature_c.get(i), c[8], 0.0, "temperature");
    }
}

#[test]
fn fit_activity_carries_its_own_utc_offset() {
    // fenix 5 run, 2017-06-11 in US Pacific daylight time: the activity message's
    // local_timestamp is 7 h behind its timestamp (python-fitparse's dump above prints PDT).
    let d = decode_file("export/fit/garmin-fenix-5-run.fit");
    assert_eq!(d.activities[0].utc_offset_s, Some(-7 * 3600));
}

#[test]
fn multisport_file_gives_one_activity_per_leg() {
    // FR920XT triathlon: fitdecode sees 5 sessions (swim, transition, bike, transition, run).
    let d = decode_file("export/fit/sample_mulitple_header.fit");
    let sports: Vec<&str> =
        d.activities.iter().map(|a| a.sport.as_deref().unwrap_or("-")).collect();
    assert_eq!(sports, ["swimming", "transition", "cycling", "transition", "running"]);
    let legs: Vec<u32> = d.activities.iter().map(|a| a.leg).collect();
    assert_eq!(legs, [0, 1, 2, 3, 4]);
}

#[test]
fn hrv_messages_become_rr_intervals() {
    // hrv-activity.fit carries 1074 hrv messages (shared/data/SOURCES.md); each holds up to five
    // R-R intervals, invalid slots left out.
    let d = decode_file("export/fit/hrv-activity.fit");
    let rr: Vec<f64> = d
        .wellness
        .iter()
        .filter(|w| w.metric == restday_model::WellnessMetric::RrInterval)
        .map(|w| w.value)
        .collect();
    assert!(rr.len() >= 1074, "{}", rr.len());
    // R-R intervals of a heart beating 128-185 bpm (the file's HR range) lie near 60000/hr ms.
    let mean = rr.iter().sum::<f64>() / rr.len() as f64;
    assert!((60_000.0 / 185.0..=60_000.0 / 128.0).contains(&mean), "mean R-R {mean} ms");
}

#[test]
fn monitoring_file_is_wellness() {
    let d = decode_file("export/fit/MonitoringFile.fit");
    assert_eq!(d.content, Content::Wellness);
    assert!(d.activities.is_empty());
}

#[test]
fn settings_file_is_unsupported() {
    let d = decode_file("export/fit/Settings.fit");
    assert!(
        matches!(d.content, Content::Unsupported(ref why) if why.contains("type 2")),
        "{:?}",
        d.content
    );
}

#[test]
fn truncated_and_undefined_message_files_keep_what_came_before() {
    let expected = expected();
    // fitdecode (lenient) recovers 14391 records from nick.fit and 473 from the Strava file;
    // fitparser fails on the very last message of nick.fit and on byte 7471 of the Strava file.
    for (rel, name) in [
        ("broken/nick.fit", "nick.fit"),
        ("broken/strava-android-app-201.10-b1218918.fit", "strava-android-app-201.10-b1218918.fit"),
    ] {
        let e = expected.iter().find(|e| e.file == name).unwrap();
        let d = decode_file(rel);
        assert!(d.partial.is_some(), "{name} should be partial");
        let records: usize = d.activities.iter().map(|a| a.samples.len()).sum();
        assert_eq!(records, e.records, "{name}: records");
        let hr = all_hr(&d.activities);
        assert_eq!(hr.iter().map(|&h| i64::from(h)).sum::<i64>(), e.hr_sum, "{name}: HR sum");
    }
}

#[test]
fn gpx_with_garmin_extension() {
    // grep -o '<gpxtpx:hr>[0-9]*' data/export/gpx/run.gpx | awk -F'>' '{s+=$2;n++} END{print n, s}'
    // gives 206 39142; the points run from 23:29:40 to 23:45:28 UTC on 2012-10-24.
    let d = decode_file("export/gpx/run.gpx");
    let a = &d.activities[0];
    assert_eq!(a.samples.len(), 206);
    let hr = all_hr(&d.activities);
    assert_eq!((hr.len(), hr.iter().sum::<i32>()), (206, 39142));
    assert_eq!(a.max_hr, Some(203));
    assert_eq!(a.start_ms, 1_351_121_380_000);
    assert_eq!(a.elapsed_s, Some(948.0));
    assert!(d.warnings.is_empty(), "{:?}", d.warnings);
}

#[test]
fn gpx_without_extensions() {
    // grep -o '<trkpt' data/export/gpx/around-visnjan-with-car.gpx | wc -l gives 104; the first
    // point is at 06:15:50Z (the 06:24:32Z before it is the metadata time), the last at 06:24:24Z;
    // the first <ele> in the file, 211.15, is the first point's (the file has no waypoints).
    let d = decode_file("export/gpx/around-visnjan-with-car.gpx");
    let a = &d.activities[0];
    assert_eq!(a.samples.len(), 104);
    assert_eq!(a.samples.heart_rate_count(), 0);
    assert_eq!(a.elapsed_s, Some(514.0));
    assert_eq!(a.samples.altitude_m.get(0), Some(211.15));
}

#[test]
fn tcx_activities() {
    // Counted with grep: <Trackpoint> elements, and <HeartRateBpm><Value> inside them
    // (tr -d '\n' < f | grep -o '<HeartRateBpm[^>]*>[[:space:]]*<Value>[0-9]*').
    for (rel, points, hr_n, hr_sum, hr_max) in [
        ("export/tcx/tcxparser-test.tcx", 384, 383, 59998, 189),
        ("export/tcx/treadmill_1.tcx", 215, 215, 27069, 144),
    ] {
        let d = decode_file(rel);
        assert_eq!(d.activities.len(), 1, "{rel}");
        let a = &d.activities[0];
        assert_eq!(a.sport.as_deref(), Some("running"), "{rel}");
        assert_eq!(a.samples.len(), points, "{rel}");
        let hr = all_hr(&d.activities);
        assert_eq!((hr.len(), hr.iter().sum::<i32>()), (hr_n, hr_sum), "{rel}");
        assert!(a.max_hr >= Some(hr_max), "{rel}");
    }
}

#[test]
fn data_files_exist() {
    assert!(data("SOURCES.md").exists());
}

#[test]
fn relative_timestamps_are_flagged() {
    // compressed-speed-distance.fit (FR70 via ANT-FS): fitdecode's first record time is 17217864,
    // a count of seconds since power-on, below the FIT profile's 0x10000000 date threshold.
    let d = decode_file("export/fit/compressed-speed-distance.fit");
    assert!(
        d.warnings.iter().any(|w| w.contains("relative to device power-on")),
        "{:?}",
        d.warnings
    );
    let first = d.activities[0].samples.time_ms.get(0).unwrap();
    assert_eq!(first / 1000 - 631_065_600, 17_217_864);
    // The 755 records fitdecode counts, 754 of them with heart rate summing to 128573.
    let hr = all_hr(&d.activities);
    assert_eq!(
        (d.activities[0].samples.len(), hr.len(), hr.iter().sum::<i32>()),
        (755, 754, 128573)
    );
}

fn same_rows(name: &str, fast: &[restday_model::SampleRow], oracle: &[restday_model::SampleRow]) {
    assert_eq!(fast.len(), oracle.len(), "{name}: record count");
    for (i, (f, o)) in fast.iter().zip(oracle).enumerate() {
        let near = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) => (a - b).abs() <= 1e-9 * a.abs().max(1.0),
            (a, b) => a == b,
        };
        assert_eq!(
            (f.time_ms, f.heart_rate, f.cadence, f.power),
            (o.time_ms, o.heart_rate, o.cadence, o.power),
            "{name} record {i}"
        );
        for (what, a, b) in [
            ("distance", f.distance_m, o.distance_m),
            ("speed", f.speed_m_s, o.speed_m_s),
            ("altitude", f.altitude_m, o.altitude_m),
            ("latitude", f.latitude, o.latitude),
            ("longitude", f.longitude, o.longitude),
            ("temperature", f.temperature_c, o.temperature_c),
        ] {
            assert!(near(a, b), "{name} record {i} {what}: fast {a:?}, fitparser {b:?}");
        }
    }
}

fn rows(a: &Activity) -> Vec<restday_model::SampleRow> {
    (0..a.samples.len()).map(|i| a.samples.row(i)).collect()
}

/// Every FIT file in `data/` (real recordings, the broken ones, the SDK's monitoring file) and
/// the synthetic wellness files of `tests/wellness.rs`, by name and bytes.
fn fit_corpus() -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<std::path::PathBuf> = Vec::new();
    for dir in ["export/fit", "broken"] {
        files.extend(std::fs::read_dir(data(dir)).unwrap().flatten().map(|e| e.path()));
    }
    files.sort();
    let mut out: Vec<(String, Vec<u8>)> = files
        .iter()
        .map(|p| (p.file_name().unwrap().to_string_lossy().to_string(), std::fs::read(p).unwrap()))
        .collect();
    out.extend(crate::wellness::synthetic_fit_files());
    out
}

/// The fast decoder against fitparser over the whole corpus: the same content, the same
/// activities (every summary field equal, every record with the same values, in the same order)
/// and the same wellness rows.
#[test]
fn fast_decoder_matches_fitparser() {
    let mut compared = 0;
    for (name, bytes) in fit_corpus() {
        let oracle = restday_decode::fit::decode_with_fitparser(&bytes);
        let fast = restday_decode::fit::decode(&bytes);
        let (oracle, fast) = match (oracle, fast) {
            (Ok(o), Ok(f)) => (o, f),
            (Err(_), Err(_)) => continue,
            (o, f) => panic!("{name}: fitparser {:?}, fast {:?}", o.err(), f.err()),
        };
        assert_eq!(fast.content, oracle.content, "{name}");
        assert_eq!(fast.activities.len(), oracle.activities.len(), "{name}: activities");
        for (f, o) in fast.activities.iter().zip(&oracle.activities) {
            same_rows(&name, &rows(f), &rows(o));
            let strip = |a: &Activity| Activity { samples: Default::default(), ..a.clone() };
            assert_eq!(strip(f), strip(o), "{name}: activity summary");
            compared += o.samples.len();
        }
        assert_eq!(fast.wellness.len(), oracle.wellness.len(), "{name}: wellness rows");
        if let Some(i) = (0..fast.wellness.len()).find(|&i| fast.wellness[i] != oracle.wellness[i])
        {
            panic!("{name}: wellness row {i}: {:?} {:?}", fast.wellness[i], oracle.wellness[i]);
        }
        assert_eq!(fast.warnings, oracle.warnings, "{name}: warnings");
        assert_eq!(
            fast.partial.is_some(),
            oracle.partial.is_some(),
            "{name}: {:?} {:?}",
            fast.partial,
            oracle.partial
        );
    }
    assert!(compared > 20_000, "{compared} records compared");
}

/// The record scanner the benchmarks time, against fitparser record by record. (On the
/// fuzzer's mutants the two may stop one record apart; there only "no panic" is asked.)
#[test]
fn record_scanner_matches_fitparser() {
    for (name, bytes) in fit_corpus() {
        let oracle: Vec<restday_model::SampleRow> =
            match restday_decode::fit::decode_with_fitparser(&bytes) {
                Ok(d) => d.activities.iter().flat_map(rows).collect(),
                Err(_) => Vec::new(),
            };
        let fast = match restday_decode::fast::scan_records(&bytes) {
            Ok((s, _)) => (0..s.len()).map(|i| s.row(i)).collect(),
            Err(_) => Vec::new(),
        };
        same_rows(&name, &fast, &oracle);
    }
}

#[test]
fn compressed_speed_distance_accumulates_like_the_profile() {
    // FR70 via ANT-FS: every record packs speed and a 12-bit distance counter. fitdecode's last
    // record distance is 10248.69 m (expected.csv), against a session distance of 10248.67 m.
    let d = decode_file("export/fit/compressed-speed-distance.fit");
    let s = &d.activities[0].samples;
    let last = s.distance_m.iter().rev().find_map(|x| x).unwrap();
    assert!((last - 10_248.69).abs() < 0.01, "{last}");
    assert_eq!(s.len(), 755);
}

#[test]
fn inspect_lists_every_message_with_profile_names() {
    let env = crate::util::Env::new();
    let out =
        env.cmd().arg("inspect").arg(data("export/fit/garmin-fenix-5-run.fit")).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    // fitdecode counts 21 record messages in this file (expected.csv).
    assert_eq!(text.lines().filter(|l| l.starts_with("record ")).count(), 21);
    assert!(
        text.lines()
            .any(|l| l
                .starts_with("file_id type=activity manufacturer=garmin garmin_product=fenix5")),
        "{text}"
    );
    assert!(text.lines().any(|l| l.starts_with("session ") && l.contains("sport=running")));
    // A file fitparser panics on ends the listing with a note, not a crash.
    let out = env
        .cmd()
        .arg("inspect")
        .arg(crate::util::root().join("tests/regressions/fixed-fitparser-short-header-4886.fit"))
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).trim_end().ends_with("the decoder failed here"));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"), "quiet on the terminal");
    // A file that is not FIT: exit 1, and the reason once.
    let out = env.cmd().arg("inspect").arg(data("export/gpx/run.gpx")).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.starts_with("error: cannot list "), "{stderr}");
    assert!(stderr.contains("run.gpx: not a FIT file: header size 60"), "{stderr}");
    assert_eq!(stderr.matches("not a FIT file").count(), 1, "{stderr}");
}

#[test]
fn recordings_without_a_real_time_are_left_out() {
    // DeveloperData.fit (FIT SDK): three records, and no timestamp or session anywhere.
    let d = decode(Format::Fit, &read("untimed/DeveloperData.fit")).unwrap();
    let no_time = "activity without a real time (none, or before 1980): not a recorded activity";
    assert_eq!(d.content, Content::Unsupported(no_time.into()));
    assert!(d.activities.is_empty());
    // Mojstrovka.gpx (GPSBabel): all 184 points at 1901-12-13T20:45:52Z, -2^31 s, its mark for a
    // point without a time.
    let d = decode(Format::Gpx, &read("untimed/Mojstrovka.gpx")).unwrap();
    assert_eq!(
        d.content,
        Content::Unsupported("GPX track without times: not a recorded activity".into())
    );
    // Two TCX activities, one without any time: the other is kept, and a warning says so. GPS
    // time began at 1980-01-06T00:00:00Z (315,964,800 s): a point then is a time.
    let point = |time: &str, metres: u32| {
        format!("<Trackpoint>{time}<DistanceMeters>{metres}</DistanceMeters></Trackpoint>")
    };
    let activity = |points: String| {
        format!("<Activity Sport=\"Running\"><Lap><Track>{points}</Track></Lap></Activity>")
    };
    let tcx = |a: String, b: String| {
        format!("<TrainingCenterDatabase><Activities>{a}{b}</Activities></TrainingCenterDatabase>")
    };
    let timed = activity(
        point("<Time>1980-01-06T00:00:00Z</Time>", 0)
            + &point("<Time>1980-01-06T00:00:10Z</Time>", 30),
    );
    let untimed = activity(point("", 0) + &point("", 30));
    let d = decode(Format::Tcx, tcx(untimed.clone(), timed).as_bytes()).unwrap();
    assert_eq!(d.content, Content::Activity);
    assert_eq!(d.activities.len(), 1);
    assert_eq!(d.activities[0].start_ms, 315_964_800_000);
    assert_eq!(d.activities[0].elapsed_s, Some(10.0));
    assert_eq!(d.warnings, ["1 activity without a real time (none, or before 1980) left out"]);
    // A millisecond before GPS time began is no time.
    let early = activity(
        point("<Time>1980-01-05T23:59:59.999Z</Time>", 0)
            + &point("<Time>1980-01-05T23:59:59.999Z</Time>", 30),
    );
    let d = decode(Format::Tcx, tcx(untimed, early).as_bytes()).unwrap();
    assert_eq!(d.content, Content::Unsupported(no_time.into()));
}
