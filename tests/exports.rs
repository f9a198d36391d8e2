//! Whole exports through the `restday` binary: a Garmin "Export Your Data" zip with nested zips,
//! a Strava bulk export with gz members and activities.csv, imported twice.

use crate::util::{Env, f64s, gz, i64s, read, strs, zip};
use polars::prelude::*;
use restday_decode::decode;
use restday_model::Format;

/// A GPX rendering of a FIT file's first activity, as another service would export the same
/// recording: same points, same times, heart rate in a TrackPointExtension.
fn gpx_twin_of(fit_rel: &str) -> Vec<u8> {
    let d = decode(Format::Fit, &read(fit_rel)).unwrap();
    let s = &d.activities[0].samples;
    let mut out = String::from(
        "<?xml version=\"1.0\"?>\n<gpx version=\"1.1\" creator=\"test\" xmlns=\"http://www.topografix.com/GPX/1/1\" \
         xmlns:ns3=\"http://www.garmin.com/xmlschemas/TrackPointExtension/v1\"><trk><trkseg>\n",
    );
    for i in 0..s.len() {
        let (Some(lat), Some(lon), Some(t)) =
            (s.latitude.get(i), s.longitude.get(i), s.time_ms.get(i))
        else {
            continue;
        };
        let time = chrono::DateTime::from_timestamp_millis(t).unwrap().to_rfc3339();
        let hr = s.heart_rate.get(i).map(|h| format!("<extensions><ns3:TrackPointExtension><ns3:hr>{h}</ns3:hr></ns3:TrackPointExtension></extensions>")).unwrap_or_default();
        out += &format!("<trkpt lat=\"{lat}\" lon=\"{lon}\"><time>{time}</time>{hr}</trkpt>\n");
    }
    out += "</trkseg></trk></gpx>\n";
    out.into_bytes()
}

fn garmin_export() -> Vec<u8> {
    let uploaded = zip(&[
        ("2013-02-06-12-11-14.fit", read("export/fit/2013-02-06-12-11-14.fit")),
        ("garmin-fenix-5-run.fit", read("export/fit/garmin-fenix-5-run.fit")),
        ("sample_mulitple_header.fit", read("export/fit/sample_mulitple_header.fit")),
        ("MonitoringFile.fit", read("export/fit/MonitoringFile.fit")),
        ("Settings.fit", read("export/fit/Settings.fit")),
        ("broken.fit", b"this is not a FIT file, only its name says so".to_vec()),
    ]);
    zip(&[
        ("DI_CONNECT/DI-Connect-Fitness/user_fitness.json", b"[]".to_vec()),
        ("DI_CONNECT/DI-Connect-Uploaded-Files/UploadedFiles_0-_Part1.zip", uploaded),
        (
            "DI_CONNECT/DI-Connect-Uploaded-Files/fenix5-run.gpx.gz",
            gz(&gpx_twin_of("export/fit/garmin-fenix-5-run.fit")),
        ),
    ])
}

const PART: &str = "garmin.zip!DI_CONNECT/DI-Connect-Uploaded-Files/UploadedFiles_0-_Part1.zip!";

#[test]
fn garmin_export_imports_once() {
    let env = Env::new();
    let export = env.write("garmin.zip", &garmin_export());
    let out = env.import(&[&export]);
    assert_eq!(out.status.code(), Some(3), "a failed member gives exit code 3");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("broken.fit failed: not a FIT file"), "{stderr}");

    let root = env.dir.path().join("garmin.zip").display().to_string();
    let want: Vec<(String, String)> = {
        let mut v: Vec<(String, String)> = [
            ("garmin.zip!DI_CONNECT/DI-Connect-Fitness/user_fitness.json", "unsupported"),
            ("garmin.zip!DI_CONNECT/DI-Connect-Uploaded-Files/fenix5-run.gpx.gz", "duplicate"),
            (&format!("{PART}2013-02-06-12-11-14.fit"), "imported"),
            (&format!("{PART}MonitoringFile.fit"), "imported"),
            (&format!("{PART}Settings.fit"), "unsupported"),
            (&format!("{PART}broken.fit"), "failed"),
            (&format!("{PART}garmin-fenix-5-run.fit"), "imported"),
            (&format!("{PART}sample_mulitple_header.fit"), "imported"),
        ]
        .iter()
        .map(|(p, o)| (p.replacen("garmin.zip", &root, 1), o.to_string()))
        .collect();
        v.sort();
        v
    };
    assert_eq!(env.outcomes(), want);

    // 1 + 1 + 5 legs; records 590 + 21 + 1773 (fitdecode's counts in expected.csv).
    let activities = env.table("activities.parquet");
    assert_eq!(activities.height(), 7);
    assert_eq!(env.samples().height(), 590 + 21 + 1773);
    let counts: i64 = i64s(&activities, "samples").iter().flatten().sum();
    assert_eq!(counts, 590 + 21 + 1773);
    // The SDK's monitoring file carries steps but no heart rate: what it gives is its UTC
    // offset, local midnight 2014-12-27 being 06:00 UTC in its monitoring_info (-6 h).
    let readings = env.readings();
    let at = strs(&readings, "metric").iter().position(|m| m.as_deref() == Some("utc_offset_s"));
    assert_eq!(at.map(|i| f64s(&readings, "value")[i]), Some(Some(-21_600.0)));

    // The duplicate names the activity it duplicates.
    let ledger = env.table("imports.parquet");
    let paths = strs(&ledger, "path");
    let ids = strs(&ledger, "activity_ids");
    let dup =
        paths.iter().position(|p| p.as_deref().unwrap().ends_with("fenix5-run.gpx.gz")).unwrap();
    let fit = paths
        .iter()
        .position(|p| p.as_deref().unwrap().ends_with("garmin-fenix-5-run.fit"))
        .unwrap();
    assert_eq!(ids[dup], ids[fit]);

    // The second run finds the same export, same size and modification time, and does not
    // open it.
    let before = (env.table("imports.parquet"), activities, env.samples().height());
    let stdout = env.import_ok(&[&export]);
    assert!(
        stdout.contains(
            "0 files seen: 0 imported, 0 duplicates, 0 unsupported, 0 failed, 1 unchanged archives not opened; 0 activities added; 0.0 MB in"
        ),
        "{stdout}"
    );
    assert!(env.table("imports.parquet").equals_missing(&before.0));

    // Touched (a new modification time), it is opened: its two loose members match the ledger
    // by size and CRC-32, and the nested UploadedFiles zip matches its own record, so it is not
    // opened either.
    let f = std::fs::File::options().write(true).open(&export).unwrap();
    f.set_modified(std::time::SystemTime::now() + std::time::Duration::from_secs(60)).unwrap();
    drop(f);
    let stdout = env.import_ok(&[&export]);
    assert!(
        stdout.contains(
            "2 files seen: 0 imported, 0 duplicates, 0 unsupported, 0 failed, 2 already imported, 1 unchanged archives not opened"
        ),
        "{stdout}"
    );
    // Nothing was read again.
    assert!(stdout.contains("; 0.0 MB in"), "{stdout}");
    assert!(env.table("imports.parquet").equals_missing(&before.0));
    assert!(env.table("activities.parquet").equals_missing(&before.1));
    assert_eq!(env.samples().height(), before.2);
}

#[test]
fn richer_copy_arriving_later_replaces_the_poorer_one() {
    let env = Env::new();
    let gpx = env.write("first/run.gpx", &gpx_twin_of("export/fit/garmin-fenix-5-run.fit"));
    assert_eq!(env.import(&[&gpx]).status.code(), Some(0));
    assert_eq!(strs(&env.table("activities.parquet"), "format"), [Some("gpx".to_string())]);

    let fit = crate::util::data("export/fit/garmin-fenix-5-run.fit");
    let out = env.import(&[&fit]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 replaced by richer copies"));
    let activities = env.table("activities.parquet");
    assert_eq!(strs(&activities, "format"), [Some("fit".to_string())]);
    // Only the FIT's 21 records remain: the GPX's samples went with it.
    assert_eq!(env.samples().height(), 21);
    // And so did its figures: only the FIT activity's seconds at heart rate remain.
    let figures = env.parts("hr_seconds");
    let ids: std::collections::HashSet<_> = strs(&figures, "activity_id").into_iter().collect();
    assert_eq!(ids, strs(&activities, "activity_id").into_iter().collect());
    // The ledger is sorted by path, and where the checkout lies decides the order of the two
    // paths here: name each file's outcome instead.
    let mut outcomes: Vec<(String, String)> = env
        .outcomes()
        .into_iter()
        .map(|(p, o)| (p.rsplit('/').next().unwrap_or_default().to_string(), o))
        .collect();
    outcomes.sort();
    assert_eq!(
        outcomes,
        [
            ("garmin-fenix-5-run.fit".to_string(), "imported".to_string()),
            ("run.gpx".to_string(), "duplicate".to_string()),
        ]
    );
}

fn strava_csv() -> Vec<u8> {
    b"Activity ID,Activity Date,Activity Name,Activity Type,Activity Description,Elapsed Time,Distance,Filename\n\
      101,\"Jun 11, 2017, 2:32:51 PM\",Evening Walk,Walk,,45,0.07,activities/101.fit.gz\n\
      102,\"Oct 24, 2012, 11:29:40 PM\",Night Run,Run,,948,3.2,activities/102.gpx.gz\n\
      103,\"Oct 24, 2025, 3:25:26 PM\",\"Treadmill, easy\",Run,,1800,5.0,activities/103.tcx.gz\n\
      104,\"Dec 18, 2020, 6:15:50 AM\",Drive,Ride,,514,4.0,activities/104.gpx\n\
      105,\"Jan 1, 2021, 6:00:00 AM\",Manual entry,Run,,600,2.0,\n"
        .to_vec()
}

fn strava_export() -> Vec<u8> {
    // Strava writes TCX with white space before the XML declaration.
    let mut tcx = b"          ".to_vec();
    tcx.extend(read("export/tcx/treadmill_1.tcx"));
    let mut bad_gz = gz(&read("export/fit/garmin-fenix-5-bike.fit"));
    bad_gz.truncate(bad_gz.len() / 2);
    zip(&[
        ("activities/101.fit.gz", gz(&read("export/fit/garmin-fenix-5-walk.fit"))),
        ("activities/102.gpx.gz", gz(&read("export/gpx/run.gpx"))),
        ("activities/103.tcx.gz", gz(&tcx)),
        ("activities/104.gpx", read("export/gpx/around-visnjan-with-car.gpx")),
        ("activities/106.fit.gz", bad_gz),
        ("media/photo.jpg", vec![0xFF, 0xD8, 0xFF, 0xE0]),
        ("profile.csv", b"Athlete ID\n1\n".to_vec()),
        ("activities.csv", strava_csv()),
    ])
}

#[test]
fn strava_export_attaches_names_and_imports_once() {
    let env = Env::new();
    let export = env.write("export_123.zip", &strava_export());
    let out = env.import(&[&export]);
    assert_eq!(out.status.code(), Some(3));
    let outcomes: Vec<(String, String)> = env
        .outcomes()
        .into_iter()
        .map(|(p, o)| (p.rsplit('!').next().unwrap().to_string(), o))
        .collect();
    let want = [
        ("activities.csv", "imported"),
        ("activities/101.fit.gz", "imported"),
        ("activities/102.gpx.gz", "imported"),
        ("activities/103.tcx.gz", "imported"),
        ("activities/104.gpx", "imported"),
        ("activities/106.fit.gz", "failed"),
        ("media/photo.jpg", "unsupported"),
        ("profile.csv", "unsupported"),
    ];
    let want: Vec<(String, String)> =
        want.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
    assert_eq!(outcomes, want);

    let a = env.table("activities.parquet");
    let mut rows: Vec<(String, Option<String>, Option<String>)> = strs(&a, "source_path")
        .into_iter()
        .zip(strs(&a, "name"))
        .zip(strs(&a, "activity_type"))
        .map(|((p, n), t)| (p.unwrap().rsplit('/').next().unwrap().to_string(), n, t))
        .collect();
    rows.sort();
    let s = |x: &str| Some(x.to_string());
    assert_eq!(
        rows,
        [
            ("101.fit.gz".to_string(), s("Evening Walk"), s("Walk")),
            ("102.gpx.gz".to_string(), s("Night Run"), s("Run")),
            ("103.tcx.gz".to_string(), s("Treadmill, easy"), s("Run")),
            ("104.gpx".to_string(), s("Drive"), s("Ride")),
        ]
    );
    // 17 + 206 + 215 + 104 samples (fitdecode's count for the walk, grep for the XML files).
    assert_eq!(env.samples().height(), 17 + 206 + 215 + 104);
    // GPX distance is the great-circle sum of the points; the walk's is the FIT session's.
    let dist = f64s(&a, "distance_m");
    assert!(dist.iter().all(Option::is_some), "{dist:?}");

    let ledger = env.table("imports.parquet");
    let err = strs(&ledger, "error");
    let bad = strs(&ledger, "path")
        .iter()
        .position(|p| p.as_deref().unwrap().ends_with("106.fit.gz"))
        .unwrap();
    assert!(err[bad].as_deref().unwrap().contains("gzip"), "{:?}", err[bad]);

    let before = env.table("imports.parquet").height();
    let out = env.import(&[&export]);
    // The broken member is already recorded: nothing new failed.
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(env.table("imports.parquet").height(), before);
    assert_eq!(env.samples().height(), 17 + 206 + 215 + 104);
}

#[test]
fn utc_offset_comes_from_the_file_not_the_machine() {
    for tz in ["UTC", "Asia/Tokyo", "America/New_York"] {
        let env = Env::new();
        let fit = crate::util::data("export/fit/garmin-fenix-5-run.fit");
        let out = env.cmd().env("TZ", tz).arg("import").arg(&fit).output().unwrap();
        assert!(out.status.success(), "{tz}");
        let a = env.table("activities.parquet");
        assert_eq!(i64s(&a, "utc_offset_s"), [Some(-7 * 3600)], "{tz}");
        // fitdecode: session start 2017-06-11T14:34:09Z... the first record is at 14:34:09Z.
        let start = i64s(&a, "start_time")[0].unwrap();
        assert_eq!(
            chrono::DateTime::from_timestamp_millis(start).unwrap().to_rfc3339(),
            "2017-06-11T14:34:09+00:00",
            "{tz}"
        );
    }
}

#[test]
fn an_archive_that_changed_is_opened_and_only_its_new_members_read() {
    let env = Env::new();
    let run = read("export/fit/garmin-fenix-5-run.fit");
    let walk = read("export/fit/garmin-fenix-5-walk.fit");
    let export = env.write("export.zip", &zip(&[("a/run.fit", run.clone())]));
    assert_eq!(env.import(&[&export]).status.code(), Some(0));
    // The next export adds a file: a new size, so the archive is walked again, the known
    // member by its size and CRC-32 without being read.
    std::fs::write(&export, zip(&[("a/run.fit", run), ("a/walk.fit", walk)])).unwrap();
    let stdout = env.import_ok(&[&export]);
    assert!(
        stdout.contains(
            "2 files seen: 1 imported, 0 duplicates, 0 unsupported, 0 failed, 1 already imported"
        ),
        "{stdout}"
    );
    assert_eq!(env.table("activities.parquet").height(), 2);
    let archives = env.table("archives.parquet");
    assert_eq!(archives.height(), 1, "one row per archive path, the newest fingerprint");
    let fp = strs(&archives, "fingerprint")[0].clone().unwrap();
    let size = std::fs::metadata(&export).unwrap().len();
    assert!(fp.starts_with(&format!("fs:{size}:")), "{fp}");
}

#[test]
fn a_richer_copy_in_a_later_batch_of_the_same_commit_replaces_the_staged_one() {
    let env = Env::new();
    // One file per batch, ten batches per commit: the GPX's samples are staged before the FIT
    // arrives in the next batch and replaces it.
    env.write("in/a/run.gpx", &gpx_twin_of("export/fit/garmin-fenix-5-run.fit"));
    env.write("in/b/run.fit", &read("export/fit/garmin-fenix-5-run.fit"));
    let out = env
        .cmd()
        .env("RESTDAY_BATCH_BYTES", "1")
        .env("RESTDAY_COMMIT_BATCHES", "10")
        .arg("import")
        .arg(env.path("in"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let activities = env.table("activities.parquet");
    assert_eq!(strs(&activities, "format"), [Some("fit".to_string())]);
    // Only the FIT's 21 records: the GPX's staged samples left the part, its figures too.
    assert_eq!(env.samples().height(), 21);
    let figures = env.parts("hr_seconds");
    let ids: std::collections::HashSet<_> = strs(&figures, "activity_id").into_iter().collect();
    assert_eq!(ids, strs(&activities, "activity_id").into_iter().collect());
}

#[test]
fn commits_grow_with_the_dataset_so_their_rewrites_stay_linear() {
    // The sample export one file per batch (18 files, a ledger row each), a commit after every
    // batch but only once it holds a quarter of the files already committed. Worked by hand:
    // 0, 1, 2, 3, 4 committed -> 1 file suffices (five commits of 1); at 5, 1.25 -> 2 (7);
    // at 7, 1.75 -> 2 (9); at 9, 2.25 -> 3 (12); at 12, 3 -> 3 (15); at 15, 3.75 -> 4, but
    // only 3 are left: the import's end commits them (18).
    let env = Env::new();
    let mut opts = a_commit_per_file(&env);
    opts.commit_share = Some(0.25);
    let summary = restday_import::import(&opts, &restday_import::NoProgress).unwrap();
    assert_eq!(summary.seen, 18);
    // Files per commit, in commit order (commit ids grow).
    let mut by_commit = std::collections::BTreeMap::<i64, usize>::new();
    for id in i64s(&env.table("imports.parquet"), "commit_id").into_iter().flatten() {
        *by_commit.entry(id).or_default() += 1;
    }
    let sizes: Vec<usize> = by_commit.into_values().collect();
    assert_eq!(sizes, [1, 1, 1, 1, 1, 2, 2, 3, 3, 3]);
}

/// Options importing the sample export into `env` with each file its own batch and commit.
fn a_commit_per_file(env: &Env) -> restday_import::Options {
    let mut opts = restday_import::Options::new(env.data_dir(), vec![crate::util::data("export")]);
    opts.batch_bytes = 1;
    opts.commit_batches = 1;
    opts.commit_share = None;
    opts
}

/// Runs `work` on a thread and waits at most `limit` for it, failing with `hung` past that: a
/// deadlock fails the test instead of stopping the suite.
fn within<T: Send + 'static>(
    limit: std::time::Duration,
    hung: &str,
    work: impl FnOnce() -> T + Send + 'static,
) -> T {
    let running = std::thread::spawn(work);
    let deadline = std::time::Instant::now() + limit;
    while !running.is_finished() {
        assert!(std::time::Instant::now() < deadline, "{hung}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    running.join().expect("the work finished without a panic")
}

#[test]
fn imports_of_a_commit_per_file_all_finish() {
    // Each file of the sample export its own batch and commit, so that commits (on the commit
    // thread, with their parallel part writes) overlap the next batches' decoding and the
    // figures thread all the time. When those threads' parallel writes ran on the global rayon
    // pool, a worker could hold one of their jobs under its own and then block sending to
    // them: this test hung so. Twenty imports, each checked whole; a watchdog turns a hang into
    // a failure.
    within(std::time::Duration::from_secs(300), "twenty small imports hung: a deadlock", || {
        for _ in 0..20 {
            let env = Env::new();
            let s = restday_import::import(&a_commit_per_file(&env), &restday_import::NoProgress)
                .unwrap();
            // The README's 18 files, one unsupported. Its one duplicate, the GPX copy of a FIT
            // activity, comes first in the walk: alone in its commit it is stored, then
            // replaced by the FIT from a later commit (17 files imported, 20 activities added
            // of which 1 replaced), leaving the same 19 activities.
            assert_eq!(
                (s.seen, s.imported, s.duplicates, s.unsupported, s.failed),
                (18, 17, 0, 1, 0)
            );
            assert_eq!((s.activities_added, s.replaced), (20, 1));
            assert_eq!(env.table("activities.parquet").height(), 19);
        }
    });
}

#[test]
fn a_panic_during_an_import_comes_back_instead_of_hanging() {
    // A progress receiver that panics at the eighth file, a commit per file: the panic leaves
    // the import while its walk, figures and commit threads are running. It must come back to
    // the caller; before, the import's ends of the figures and commit channels outlived the
    // unwinding and those threads waited on them for ever.
    struct PanicsAtTheEighth(std::sync::atomic::AtomicUsize);
    impl restday_import::Progress for PanicsAtTheEighth {
        fn file(&self, _path: &str, _bytes: u64) {
            if self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed) == 7 {
                panic!("a progress receiver that panics (this test's own)");
            }
        }
    }
    let panicked =
        within(std::time::Duration::from_secs(120), "the import hung after a panic", || {
            let env = Env::new();
            let progress = PanicsAtTheEighth(std::sync::atomic::AtomicUsize::new(0));
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                restday_import::import(&a_commit_per_file(&env), &progress)
            }));
            outcome.is_err()
        });
    assert!(panicked, "the panic came back to the caller");
}

#[test]
fn a_years_rows_are_gathered_over_a_commits_batches_into_one_part() {
    // The sample export one file per batch, all in one commit. Holding rows over without a
    // bound (no year reaches `part_rows`), each year's rows are written once, at the commit:
    // one part per year. Holding nothing, a part per batch (file) with samples of that year,
    // counted here from the activities table (a file whose activity a richer copy replaced
    // leaves an empty part). The same rows either way.
    let import = |held_rows| {
        let env = Env::new();
        let mut opts =
            restday_import::Options::new(env.data_dir(), vec![crate::util::data("export")]);
        opts.batch_bytes = 1;
        opts.commit_batches = 1000;
        opts.commit_share = None;
        opts.part_rows = usize::MAX;
        opts.held_rows = held_rows;
        restday_import::import(&opts, &restday_import::NoProgress).unwrap();
        env
    };
    let (gathered, per_batch) = (import(usize::MAX), import(0));

    let parts_per_year = |env: &Env| {
        let mut out = std::collections::BTreeMap::<String, usize>::new();
        for year in std::fs::read_dir(env.data_dir().join("samples")).unwrap().flatten() {
            // A part whose only activity a richer copy replaced is left empty.
            let parts = std::fs::read_dir(year.path())
                .unwrap()
                .flatten()
                .map(|p| std::fs::File::open(p.path()).unwrap())
                .filter(|f| {
                    ParquetReader::new(f.try_clone().unwrap()).finish().unwrap().height() > 0
                })
                .count();
            out.insert(year.file_name().to_string_lossy().into_owned(), parts);
        }
        out
    };
    // Files with samples, by the UTC year their activities start in.
    let activities = per_batch.table("activities.parquet");
    let mut files = std::collections::BTreeMap::<String, std::collections::HashSet<String>>::new();
    let starts = i64s(&activities, "start_time");
    let counts = i64s(&activities, "samples");
    for ((path, start), count) in
        strs(&activities, "source_path").into_iter().zip(starts).zip(counts)
    {
        if count.unwrap() > 0 {
            let start = chrono::DateTime::from_timestamp_millis(start.unwrap()).unwrap();
            let year = chrono::Datelike::year(&start);
            files.entry(format!("year={year}")).or_default().insert(path.unwrap());
        }
    }
    let want_per_batch: std::collections::BTreeMap<String, usize> =
        files.iter().map(|(y, f)| (y.clone(), f.len())).collect();
    assert!(want_per_batch.values().any(|&n| n > 1), "{want_per_batch:?}");
    assert_eq!(parts_per_year(&per_batch), want_per_batch);
    let want_gathered: std::collections::BTreeMap<String, usize> =
        files.keys().map(|y| (y.clone(), 1)).collect();
    assert_eq!(parts_per_year(&gathered), want_gathered);

    // An activity's rows stay together and in order in either dataset; the activities come
    // in another order.
    let by_activity = |env: &Env| -> std::collections::BTreeMap<String, DataFrame> {
        let parts = env.samples().partition_by_stable(["activity_id"], true).unwrap();
        parts.into_iter().map(|df| (strs(&df, "activity_id")[0].clone().unwrap(), df)).collect()
    };
    let (a, b) = (by_activity(&gathered), by_activity(&per_batch));
    assert_eq!(a.len(), activities.height());
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (id, rows) in &a {
        assert!(rows.equals_missing(&b[id]), "{id}");
    }
    assert!(a.values().map(|df| df.height()).sum::<usize>() > 10_000);

    // The wellness readings likewise: one part, at the commit, gathered; one per file with
    // readings (the monitoring file, the R-R intervals of an activity), not. The same rows.
    let reading_parts =
        |env: &Env| std::fs::read_dir(env.data_dir().join("wellness_readings")).unwrap().count();
    let readings = |env: &Env| {
        let sort = SortMultipleOptions::default();
        let df = env.readings().drop("commit_id").unwrap();
        df.sort(["source_path", "time", "metric", "value"], sort).unwrap()
    };
    let (a, b) = (readings(&gathered), readings(&per_batch));
    let files: std::collections::HashSet<_> = strs(&b, "source_path").into_iter().collect();
    assert!(files.len() > 1, "{files:?}");
    assert_eq!(reading_parts(&per_batch), files.len());
    assert_eq!(reading_parts(&gathered), 1);
    assert!(a.height() > 1000 && a.equals_missing(&b));
}
