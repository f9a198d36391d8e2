//! Metrics over the real sample export, checked against the import tables they come from.

use crate::util::{Env, data, f64s, i64s, strs};

fn imported() -> Env {
    let env = Env::new();
    let out = env.import(&[&data("export")]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("metrics: 19 activities"), "{stdout}");
    env
}

fn sum(v: &[Option<f64>]) -> f64 {
    v.iter().flatten().sum()
}

#[test]
fn daily_and_weekly_totals_match_the_activities() {
    let env = imported();
    let acts = env.table("activities.parquet");
    let daily = env.table("daily.parquet");
    let weekly = env.table("weekly.parquet");
    let total_distance = sum(&f64s(&acts, "distance_m"));
    assert!((sum(&f64s(&daily, "distance_m")) - total_distance).abs() < 1e-6);
    assert!((sum(&f64s(&weekly, "distance_m")) - total_distance).abs() < 1e-6);
    let sessions: i64 = i64s(&daily, "sessions").iter().flatten().sum();
    assert_eq!(sessions, acts.height() as i64);
    // Per-sport volume adds up to the total.
    let per_sport: f64 = ["run", "bike", "swim", "other"]
        .iter()
        .map(|s| sum(&f64s(&daily, &format!("{s}_distance_m"))))
        .sum();
    assert!((per_sport - total_distance).abs() < 1e-6);
    // Time in each zone per sport adds up to the zone's total, by week too.
    for k in 1..=5 {
        for table in [&daily, &weekly] {
            let total = sum(&f64s(table, &format!("z{k}_s")));
            let by_sport: f64 = ["run", "bike", "swim", "other"]
                .iter()
                .map(|s| sum(&f64s(table, &format!("{s}_z{k}_s"))))
                .sum();
            assert!((total - by_sport).abs() < 1e-6, "zone {k}: {total} vs {by_sport}");
        }
    }
    // The daily load is the sum of the activities' Banister TRIMP.
    assert!((sum(&f64s(&daily, "load")) - sum(&f64s(&acts, "trimp"))).abs() < 1e-6);
    // Rest days are present: the calendar has no holes.
    let dates = i64s(&daily, "date");
    assert!(dates.windows(2).all(|w| w[1].unwrap() - w[0].unwrap() == 1), "one row per day");
}

#[test]
fn every_activity_with_heart_rate_has_a_load_and_the_others_none() {
    let env = imported();
    let acts = env.table("activities.parquet");
    let hr_s = f64s(&acts, "hr_s");
    let trimp = f64s(&acts, "trimp");
    let zones: Vec<f64> = (0..acts.height())
        .map(|i| (1..=5).map(|k| f64s(&acts, &format!("z{k}_s"))[i].unwrap_or(0.0)).sum())
        .collect();
    for i in 0..acts.height() {
        let with_hr = hr_s[i].unwrap_or(0.0) > 0.0;
        assert_eq!(with_hr, trimp[i].is_some(), "row {i}");
        // Time in zones never exceeds the time with heart rate.
        assert!(zones[i] <= hr_s[i].unwrap_or(0.0) + 1e-9, "row {i}");
    }
    // 2015-10-13-08-43-15.fit was recorded without a strap: volume, no load.
    let paths = strs(&acts, "source_path");
    let i = paths
        .iter()
        .position(|p| p.as_deref().unwrap().ends_with("2015-10-13-08-43-15.fit"))
        .unwrap();
    assert_eq!(trimp[i], None);
    assert!(f64s(&acts, "distance_m")[i].unwrap() > 11_000.0);
    // FIT activities carry their own offset; GPX and TCX take the time zone at their start, or
    // the profile's offset when they have no position (the treadmill run).
    let fmt = strs(&acts, "format");
    let src = strs(&acts, "offset_source");
    let lat = f64s(&acts, "start_latitude");
    for i in 0..acts.height() {
        let want = match (fmt[i].as_deref(), lat[i]) {
            (Some("fit"), _) => ["file", "position", "profile"].as_slice(),
            (_, Some(_)) => ["position"].as_slice(),
            (_, None) => ["profile"].as_slice(),
        };
        assert!(want.contains(&src[i].as_deref().unwrap()), "{:?} {:?}", fmt[i], src[i]);
    }
    // run.gpx starts in Washington, DC at 2012-10-24T23:29:40Z: 19:29 EDT (UTC-4), same date.
    let i = paths.iter().position(|p| p.as_deref().unwrap().ends_with("run.gpx")).unwrap();
    assert_eq!(strs(&acts, "time_zone")[i].as_deref(), Some("America/New_York"));
    assert_eq!(i64s(&acts, "tz_offset_s")[i], Some(-4 * 3600));
}

#[test]
fn profile_shows_values_and_their_sources() {
    let env = imported();
    let out = env.cmd().arg("profile").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("max HR") && text.contains("estimated: highest heart rate held"),
        "{text}"
    );
    assert!(text.contains("resting HR") && text.contains("(default)"), "{text}");

    std::fs::write(
        env.data_dir().join("restday.toml"),
        "max_hr = 200\nresting_hr = 50\nzone_model = \"max\"\n",
    )
    .unwrap();
    let out = env.cmd().arg("profile").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("200          (profile)"), "{text}");
    // %max zones of 200: zone 3 is 140-160.
    assert!(text.contains("Z3  140 - 160"), "{text}");

    std::fs::write(env.data_dir().join("restday.toml"), "maxhr = 200\n").unwrap();
    let out = env.cmd().arg("profile").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown field `maxhr`"));
}

#[test]
fn weekly_view_fits_80_columns() {
    let env = imported();
    let out = env.cmd().args(["weekly", "--weeks", "5"]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 7, "a header, five weeks and a note:\n{text}");
    assert!(lines.iter().all(|l| l.chars().count() <= 80), "{text}");
    // The last week of the sample export is the treadmill run of Friday 2025-10-24, ISO week
    // 43; the data runs to the day after, Saturday: six of the week's seven days, so its change
    // is not computed, and a note says why.
    assert!(lines[5].starts_with("2025-W43  2025-10-20"), "{text}");
    assert!(lines[5].ends_with(" -"), "{text}");
    assert_eq!(lines[6], "(2025-W43: 6 of its 7 days in the data, so no change)");
    // No weeks is a wrong command line, not an empty table.
    let out = env.cmd().args(["weekly", "--weeks", "0"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
}

/// An activity's id, TRIMP, Edwards TRIMP and time in zone 4.
type Figures = (String, Option<f64>, Option<f64>, Option<f64>);

/// The per-activity figures an import adds to the load cache, computed from the new samples
/// only, equal those of one import of everything; and a new profile recomputes them all.
#[test]
fn incremental_loads_equal_a_full_computation() {
    let profile = "max_hr = 185\nresting_hr = 50\n";
    let step = Env::new();
    step.write("restday-data/restday.toml", profile.as_bytes());
    let first = data("export/fit/2013-02-06-12-11-14.fit");
    assert_eq!(step.import(&[&first]).status.code(), Some(0));
    assert_eq!(step.import(&[&data("export")]).status.code(), Some(0));
    let whole = Env::new();
    whole.write("restday-data/restday.toml", profile.as_bytes());
    assert_eq!(whole.import(&[&data("export")]).status.code(), Some(0));

    let figures = |env: &Env| {
        let acts = env.table("activities.parquet");
        let ids = strs(&acts, "activity_id");
        let mut rows: Vec<Figures> = (0..acts.height())
            .map(|i| {
                (
                    ids[i].clone().unwrap(),
                    f64s(&acts, "trimp")[i],
                    f64s(&acts, "edwards_trimp")[i],
                    f64s(&acts, "z4_s")[i],
                )
            })
            .collect();
        rows.sort_by(|a, b| a.0.cmp(&b.0));
        rows
    };
    let before = figures(&step);
    assert_eq!(before, figures(&whole));
    assert!(before.iter().filter(|r| r.1.is_some()).count() >= 10, "{before:?}");
    assert_eq!(
        step.table("activity_load.parquet").height(),
        step.table("activities.parquet").height()
    );

    // A lower max HR moves load into the higher zones: every activity is computed again.
    for env in [&step, &whole] {
        env.write("restday-data/restday.toml", b"max_hr = 160\nresting_hr = 50\n");
        assert!(env.cmd().arg("metrics").output().unwrap().status.success());
    }
    let after = figures(&step);
    assert_eq!(after, figures(&whole));
    let first_trimp = |rows: &[Figures]| rows.iter().find_map(|r| r.1).unwrap();
    assert!(first_trimp(&after) > first_trimp(&before), "{after:?}");
}

/// The import writes each activity's seconds at each heart rate and sustained heart rate
/// (`hr_seconds/`), and the refresh takes the loads and the max HR estimate from them without
/// reading a sample: with the samples folder gone, the figures are those computed from the
/// samples (as for a dataset imported before `hr_seconds` existed).
#[test]
fn loads_come_from_the_figures_the_import_wrote_not_from_the_samples() {
    let env = Env::new();
    // One file per batch, commits of 10 batches and more: the import's figures thread
    // computes each batch's figures and writes a commit's as one part.
    let out = env
        .cmd()
        .env("RESTDAY_BATCH_BYTES", "1")
        .arg("import")
        .arg(data("export"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let commits: std::collections::HashSet<i64> =
        i64s(&env.table("imports.parquet"), "commit_id").into_iter().flatten().collect();
    assert!(commits.len() > 1, "{commits:?}");
    assert_eq!(env.data_dir().join("hr_seconds").read_dir().unwrap().count(), commits.len());
    let dir = env.data_dir();
    let loads = |env: &Env| {
        let acts = env.table("activities.parquet");
        let ids = strs(&acts, "activity_id");
        let mut rows: Vec<(String, Vec<Option<f64>>)> = (0..acts.height())
            .map(|i| {
                let cols =
                    ["trimp", "edwards_trimp", "hr_s", "z1_s", "z2_s", "z3_s", "z4_s", "z5_s"];
                (ids[i].clone().unwrap(), cols.iter().map(|c| f64s(&acts, c)[i]).collect())
            })
            .collect();
        rows.sort_by(|a, b| a.0.cmp(&b.0));
        rows
    };
    let profile = |env: &Env| {
        let out = env.cmd().arg("profile").output().unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    let from_import = loads(&env);
    assert!(from_import.iter().filter(|r| r.1[0].is_some()).count() >= 10, "{from_import:?}");
    let figures = env.parts("hr_seconds");
    let with_samples: std::collections::HashSet<String> =
        strs(&env.samples(), "activity_id").into_iter().flatten().collect();
    let with_figures: std::collections::HashSet<String> =
        strs(&figures, "activity_id").into_iter().flatten().collect();
    assert_eq!(with_figures, with_samples);

    // No samples: the refresh still has everything it needs.
    std::fs::rename(dir.join("samples"), env.path("samples-away")).unwrap();
    std::fs::remove_file(dir.join("activity_load.parquet")).unwrap();
    assert!(env.cmd().arg("metrics").output().unwrap().status.success());
    assert_eq!(loads(&env), from_import);
    let estimated = profile(&env);
    assert!(estimated.contains("max HR"), "{estimated}");

    // No figures: computed from the samples, the same numbers.
    std::fs::rename(env.path("samples-away"), dir.join("samples")).unwrap();
    std::fs::remove_dir_all(dir.join("hr_seconds")).unwrap();
    std::fs::remove_file(dir.join("activity_load.parquet")).unwrap();
    assert!(env.cmd().arg("metrics").output().unwrap().status.success());
    let from_samples = loads(&env);
    assert_eq!(from_samples.len(), from_import.len());
    for ((id, a), (_, b)) in from_import.iter().zip(&from_samples) {
        for (x, y) in a.iter().zip(b) {
            match (x, y) {
                (Some(x), Some(y)) => assert!((x - y).abs() <= 1e-9 * x.abs().max(1.0), "{id}"),
                _ => assert_eq!(x, y, "{id}"),
            }
        }
    }
    assert_eq!(profile(&env), estimated);
}
