//! Bad input never stops a batch; a crash never leaves a dataset that does not read; two writers
//! never share a data folder.

use crate::util::{Env, data, read, strs};
use std::path::Path;

#[test]
fn broken_files_are_recorded_and_the_rest_imports() {
    let env = Env::new();
    env.write("in/good.fit", &read("export/fit/garmin-fenix-5-walk.fit"));
    env.write("in/garbage.fit", b"\x0e\x10garbage garbage garbage");
    env.write("in/html.gpx", b"<html><body>not a track</body></html>");
    env.write("in/cut.gpx", &read("export/gpx/run.gpx")[..30_000]);
    env.write("in/empty.tcx", b"");
    let mut huge_header = read("export/fit/garmin-fenix-5-walk.fit");
    huge_header[0] = 255; // declares a 255-byte header
    env.write("in/huge-header.fit", &huge_header);
    let out = env.import(&[&env.path("in")]);
    assert_eq!(out.status.code(), Some(3));

    let rows: Vec<(String, String, bool, String)> = env
        .ledger()
        .into_iter()
        .map(|r| (r.name().to_string(), r.outcome, r.partial, r.error))
        .collect();
    let get = |name: &str| {
        rows.iter().find(|r| r.0 == name).unwrap_or_else(|| panic!("{name}: {rows:?}"))
    };
    assert_eq!(get("good.fit").1, "imported");
    assert_eq!(get("garbage.fit").1, "failed");
    assert!(get("garbage.fit").3.contains("not a FIT file"), "{:?}", get("garbage.fit"));
    assert_eq!(get("huge-header.fit").1, "failed");
    assert!(get("huge-header.fit").3.contains("header size 255"), "{:?}", get("huge-header.fit"));
    assert_eq!(get("html.gpx").1, "failed");
    assert!(
        get("html.gpx").3.contains("not a gpx document: root element <html>"),
        "{:?}",
        get("html.gpx")
    );
    assert_eq!(get("empty.tcx").1, "failed");
    let cut = get("cut.gpx");
    assert_eq!((cut.1.as_str(), cut.2), ("imported", true), "{cut:?}");
    assert!(cut.3.contains("partly read"), "{cut:?}");
    assert_eq!(env.table("activities.parquet").height(), 2);
}

#[test]
fn broken_real_files() {
    let env = Env::new();
    let out = env.import(&[&data("broken")]);
    // Nothing here fails outright: each keeps what decoded before its fault.
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let row = |name: &str| {
        let r = env.entry(name);
        (r.outcome, r.partial, r.error)
    };
    let nick = row("nick.fit");
    assert_eq!((nick.0.as_str(), nick.1), ("imported", true), "{nick:?}");
    let strava = row("strava-android-app-201.10-b1218918.fit");
    assert_eq!((strava.0.as_str(), strava.1), ("imported", true), "{strava:?}");
    assert!(strava.2.contains("byte 7471"), "{strava:?}");
    // The three SDK variants are one recording (same start, same length): the first imported,
    // the others are duplicates of it.
    let sdk: Vec<String> = [
        "activity-filecrc.fit",
        "activity-settings-corruptheader.fit",
        "activity-unexpected-eof.fit",
    ]
    .iter()
    .map(|n| row(n).0)
    .collect();
    assert_eq!(sdk, ["imported", "duplicate", "duplicate"]);
    assert!(row("activity-filecrc.fit").2.contains("CRC mismatch"));
    // Each partly read file is one warning line naming it and saying so once.
    let stderr = String::from_utf8_lossy(&out.stderr);
    let warnings: Vec<&str> = stderr.lines().filter(|l| l.starts_with("warning: ")).collect();
    let ledger = env.ledger();
    let mut partly: Vec<&str> = ledger.iter().filter(|r| r.partial).map(|r| r.name()).collect();
    partly.sort();
    assert_eq!(
        partly,
        ["activity-unexpected-eof.fit", "nick.fit", "strava-android-app-201.10-b1218918.fit"]
    );
    for name in &partly {
        let line = warnings.iter().find(|l| l.contains(name)).unwrap_or_else(|| panic!("{name}"));
        assert_eq!(line.matches("partly read").count(), 1, "{line}");
    }
    assert_eq!(
        warnings
            .iter()
            .find(|l| l.contains("strava-android"))
            .unwrap()
            .split_once(".fit: ")
            .unwrap()
            .1,
        "partly read: stopped at byte 7471: local message 11 used before its definition",
    );
}

fn clean_outcomes() -> (Vec<(String, String)>, usize, usize, usize) {
    let env = Env::new();
    let out = env.import(&[&data("export")]);
    assert_eq!(out.status.code(), Some(0));
    let counts = (env.table("activities.parquet").height(), env.samples().height());
    (env.outcomes(), counts.0, counts.1, env.readings().height())
}

/// An import of the sample export in 50 KB batches, `batches` per commit, killed at the
/// failpoint `point`.
fn killed_at(point: &str, batches: &str) -> Env {
    let env = Env::new();
    let out = env
        .cmd()
        .env("RESTDAY_FAILPOINT", point)
        .env("RESTDAY_BATCH_BYTES", "50000")
        .env("RESTDAY_COMMIT_BATCHES", batches)
        .arg("import")
        .arg(data("export"))
        .output()
        .unwrap();
    assert!(!out.status.success(), "{point}: the failpoint should abort");
    env
}

fn normalise(v: Vec<(String, String)>, root: &Path) -> Vec<(String, String)> {
    v.into_iter().map(|(p, o)| (p.replace(&root.display().to_string(), "<root>"), o)).collect()
}

/// Imports the sample export again into `env` (killed at `point`) and checks that the dataset
/// is a clean import's: the ledger outcomes (normalised), activities, samples and readings.
fn assert_rerun_is_clean(
    env: &Env,
    point: &str,
    clean: &(Vec<(String, String)>, usize, usize, usize),
) {
    let out = env.import(&[&data("export")]);
    assert_eq!(out.status.code(), Some(0), "{point}");
    assert_eq!(normalise(env.outcomes(), &data("export")), clean.0, "{point}");
    assert_eq!(env.table("activities.parquet").height(), clean.1, "{point}");
    assert_eq!(env.samples().height(), clean.2, "{point}: no duplicate or lost samples");
    assert_eq!(env.readings().height(), clean.3, "{point}: wellness readings");
}

#[test]
fn a_crash_at_any_commit_point_leaves_a_readable_dataset_and_the_rerun_completes() {
    let (outcomes, activities, samples, readings) = clean_outcomes();
    assert!(readings > 1000, "the export's R-R intervals: {readings}");
    let clean = (normalise(outcomes, &data("export")), activities, samples, readings);
    for point in [
        "after-samples:1",
        "after-activities:2",
        "after-wellness:3",
        "after-ledger:4",
        "after-samples:6",
    ] {
        let env = killed_at(point, "1");
        // Whatever is on disk reads, and readers see no sample of an unfinished commit.
        if env.data_dir().join("activities.parquet").exists() {
            let ids: std::collections::HashSet<String> =
                strs(&env.table("activities.parquet"), "activity_id")
                    .into_iter()
                    .flatten()
                    .collect();
            let samples = env.samples();
            assert!(
                strs(&samples, "activity_id").iter().flatten().all(|id| ids.contains(id)),
                "{point}"
            );
        }
        assert_rerun_is_clean(&env, point, &clean);
        let ids: std::collections::HashSet<String> =
            strs(&env.table("activities.parquet"), "activity_id").into_iter().flatten().collect();
        assert!(
            strs(&env.samples(), "activity_id").iter().flatten().all(|id| ids.contains(id)),
            "{point}"
        );
    }
}

#[test]
fn a_commit_that_fails_stops_the_import_with_its_error_and_keeps_the_commits_before_it() {
    // The sample export in 50 KB batches, a commit per batch; the third commit fails as on a
    // full disk (an I/O error after its activity table). Commits are written on their own
    // thread while the next batches go on: its error must still stop the import, exit 1 with
    // the reason, and leave the two commits before it whole; the re-run completes the import.
    let (outcomes, activities, samples, readings) = clean_outcomes();
    let clean = (normalise(outcomes, &data("export")), activities, samples, readings);
    let env = Env::new();
    let out = env
        .cmd()
        .env("RESTDAY_FAILPOINT", "after-activities:3:error")
        .env("RESTDAY_BATCH_BYTES", "50000")
        .env("RESTDAY_COMMIT_BATCHES", "1")
        .arg("import")
        .arg(data("export"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("importing into") && stderr.contains("failpoint after-activities"));
    // Two commits in the ledger, each of its own batch: fewer files than the export's 18.
    let commits: std::collections::HashSet<i64> =
        crate::util::i64s(&env.table("imports.parquet"), "commit_id")
            .into_iter()
            .flatten()
            .collect();
    assert_eq!(commits.len(), 2);
    let recorded = env.outcomes().len();
    assert!((2..18).contains(&recorded), "{recorded} ledger rows");
    assert_rerun_is_clean(&env, "after-activities:3:error", &clean);
}

#[test]
fn a_second_writer_is_refused_with_a_clear_message() {
    let env = Env::new();
    let _held = restday_store::Store::open(&env.data_dir()).unwrap();
    let out = env.import(&[&data("export/fit/garmin-fenix-5-run.fit")]);
    assert_eq!(out.status.code(), Some(4));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("another restday process is writing to"), "{stderr}");
}

#[test]
fn a_missing_input_says_what_to_do() {
    let env = Env::new();
    let out = env.import(&[&env.path("nope.zip")]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("nope.zip does not exist; give the path of an export"), "{stderr}");
}

#[test]
fn a_zip_bomb_member_is_refused() {
    let env = Env::new();
    // 300 MiB of zeros deflates to about 300 KB: beyond the 256 MiB file limit.
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    w.start_file("bomb.fit", opts).unwrap();
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..300 {
        std::io::Write::write_all(&mut w, &zeros).unwrap();
    }
    w.start_file("ok.fit", opts).unwrap();
    std::io::Write::write_all(&mut w, &read("export/fit/garmin-fenix-5-run.fit")).unwrap();
    let bytes = w.finish().unwrap().into_inner();
    let export = env.write("bomb.zip", &bytes);
    let out = env.import(&[&export]);
    assert_eq!(out.status.code(), Some(3));
    let outcomes: Vec<String> = env.outcomes().into_iter().map(|(_, o)| o).collect();
    assert_eq!(outcomes, ["failed", "imported"]);
    let err = strs(&env.table("imports.parquet"), "error");
    assert!(err.iter().flatten().any(|e| e.contains("zip bomb")), "{err:?}");
}

#[test]
fn hostile_archive_members_are_failed_rows_and_the_rest_imports() {
    let env = Env::new();
    let fit = read("export/fit/garmin-fenix-5-walk.fit");
    // hostile.zip > deep.zip > level1.zip > ... > level4.zip: six archives deep. The walk opens
    // four (hostile, deep, level1, level2) and refuses level3.zip.
    let mut deep = crate::util::zip(&[("deepest.fit", read("export/fit/garmin-fenix-5-bike.fit"))]);
    for level in (1..=4).rev() {
        deep = crate::util::zip(&[(&format!("level{level}.zip"), deep)]);
    }
    // A gzip member whose trailer lies about its size (ISIZE, the last four bytes).
    let mut liar = crate::util::gz(&read("export/fit/garmin-fenix-5-run.fit"));
    let n = liar.len();
    liar[n - 4..].copy_from_slice(&1u32.to_le_bytes());
    let export = crate::util::zip(&[
        ("../escape.fit", fit.clone()),
        ("/etc/absolute.fit", fit.clone()),
        ("deep.zip", deep),
        ("liar.fit.gz", liar),
        ("ok/walk.fit", fit),
    ]);
    let path = env.write("hostile.zip", &export);
    let out = env.import(&[&path]);
    assert_eq!(out.status.code(), Some(3));
    let row = |suffix: &str| {
        let r = env.entry(suffix);
        (r.outcome, r.error)
    };
    assert_eq!(row("!../escape.fit").0, "failed");
    assert!(row("!../escape.fit").1.contains("points outside the archive"));
    assert_eq!(row("!/etc/absolute.fit").0, "failed");
    let deep = row("level3.zip");
    assert_eq!(deep.0, "failed");
    assert!(deep.1.contains("nested more than 4 deep"), "{deep:?}");
    let liar = row("liar.fit.gz");
    assert_eq!(liar.0, "failed");
    assert!(liar.1.contains("gzip"), "{liar:?}");
    assert_eq!(row("ok/walk.fit").0, "imported");
    assert_eq!(env.table("activities.parquet").height(), 1);
}

#[test]
fn a_fit_header_declaring_a_huge_size_is_read_as_far_as_it_goes() {
    let env = Env::new();
    let mut fit = read("export/fit/garmin-fenix-5-walk.fit");
    fit[4..8].copy_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
    env.write("in/huge.fit", &fit);
    let out = env.import(&[&env.path("in")]);
    assert_eq!(out.status.code(), Some(0), "partial, not failed");
    let ledger = env.table("imports.parquet");
    assert_eq!(strs(&ledger, "outcome"), [Some("imported".to_string())]);
    // All 17 records (fitdecode's count for the intact file) come before the end of the bytes.
    assert_eq!(env.samples().height(), 17);
}

#[test]
fn an_unwritable_data_folder_is_a_clear_error_not_a_half_written_dataset() {
    // /proc accepts no new folders, even for root (CI runs as root, where permission bits do
    // not stop writes).
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_restday"))
        .args(["--data-dir", "/proc/restday-test", "import"])
        .arg(data("export/fit/garmin-fenix-5-run.fit"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("importing into /proc/restday-test"), "{stderr}");
    assert!(stderr.contains("check that the data folder is writable"), "{stderr}");
    assert!(!Path::new("/proc/restday-test").exists());
}

/// A minimal FIT file from raw messages: a 14-byte header, the messages, the file CRC.
fn fit_file(messages: &[u8]) -> Vec<u8> {
    let mut f = vec![14u8, 0x20, 0x08, 0x08];
    f.extend((messages.len() as u32).to_le_bytes());
    f.extend(b".FIT");
    f.extend([0, 0]);
    f.extend(messages);
    let crc = restday_decode::fit::crc16(&f);
    f.extend(crc.to_le_bytes());
    f
}

/// A definition of local message 0 as `record` (20) with a timestamp (253, uint32), and the
/// developer fields given.
fn record_definition(dev_fields: &[(u8, u8, u8)]) -> Vec<u8> {
    let flag = if dev_fields.is_empty() { 0x40 } else { 0x60 };
    let mut m = vec![flag, 0, 0, 20, 0, 1, 253, 4, 0x86];
    if !dev_fields.is_empty() {
        m.push(dev_fields.len() as u8);
        for (num, size, index) in dev_fields {
            m.extend([*num, *size, *index]);
        }
    }
    m
}

#[test]
fn hostile_files_each_get_a_ledger_row_and_the_good_one_imports() {
    let env = Env::new();
    // 2024-05-01T06:00:00Z as FIT time: 1714543200 - 631065600 = 1083477600.
    let ts = 1_083_477_600u32.to_le_bytes();
    let mut record = vec![0u8];
    record.extend(ts);

    // A record, then a developer field that no field_description ever described: the
    // decoder skips developer fields by the size their definition gives, so both records
    // are read (fitparser alone stops at the second).
    let mut dev_before = record_definition(&[]);
    dev_before.extend(&record);
    dev_before.extend(record_definition(&[(0, 1, 0)]));
    dev_before.extend(&record);
    dev_before.push(7);

    // A definition of 255 fields of 255 bytes each (65 KB per message), then the file ends.
    let mut absurd = vec![0x40, 0, 0, 20, 0, 255];
    for i in 0..255u8 {
        absurd.extend([i, 255, 0x02]);
    }
    absurd.extend([0u8; 1000]);

    let nested = format!("<gpx version=\"1.1\">{}", "<trk>".repeat(5000));
    let cases: Vec<(&str, Vec<u8>, &str, &str)> = vec![
        ("dev-before-description.fit", fit_file(&dev_before), "imported", ""),
        ("absurd-sizes.fit", fit_file(&absurd), "failed", "FIT decode error"),
        ("not-xml.gpx", b"\x00\x01\x02 binary".to_vec(), "failed", "not a gpx document"),
        ("not-well-formed.tcx", b"<TrainingCenterDatabase><Activities><Activity></Activities>".to_vec(), "failed", "XML error"),
        ("deep.gpx", nested.into_bytes(), "failed", "nested deeper than 256"),
        ("bad-utf8.gpx", b"<gpx version=\"1.1\"><trk><name>\xff\xfe</name><trkseg><trkpt lat=\"1\" lon=\"2\"><time>2024-05-01T09:00:00Z</time></trkpt></trkseg></trk></gpx>".to_vec(), "imported", ""),
        ("good.fit", read("export/fit/garmin-fenix-5-walk.fit"), "imported", ""),
    ];
    for (name, bytes, _, _) in &cases {
        env.write(&format!("in/{name}"), bytes);
    }
    let out = env.import(&[&env.path("in")]);
    assert_eq!(out.status.code(), Some(3));
    for (name, _, outcome, reason) in &cases {
        let r = env.entry(name);
        assert_eq!(r.outcome, *outcome, "{name}: {}", r.error);
        assert!(r.error.contains(reason), "{name}: {}", r.error);
    }
    // The good file, the FIT with the undescribed developer field (both its records) and the
    // GPX with a garbled name are stored.
    assert_eq!(env.table("activities.parquet").height(), 3);
    let counts = crate::util::i64s(&env.table("activities.parquet"), "samples");
    assert!(counts.contains(&Some(2)), "{counts:?}");
}

/// Unmounts a tmpfs when dropped.
struct Mount(std::path::PathBuf);

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn a_full_disk_is_a_clear_error_and_the_previous_dataset_still_reads() {
    let env = Env::new();
    let dir = env.path("tiny");
    std::fs::create_dir_all(&dir).unwrap();
    // A 128 KiB file system: room for one small import, not for the whole sample export. This
    // needs root (CI and the development machines run as root); elsewhere there is no way to
    // fill a disk on purpose, and the test says so instead of pretending.
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=128k", "tmpfs"])
        .arg(&dir)
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!("skipped: cannot mount a small tmpfs here (needs root)");
        return;
    }
    let _unmount = Mount(dir.clone());
    let data_dir = dir.join("data");
    let run = |path: &Path| {
        std::process::Command::new(env!("CARGO_BIN_EXE_restday"))
            .arg("--data-dir")
            .arg(&data_dir)
            .arg("import")
            .arg(path)
            .output()
            .unwrap()
    };
    let first = run(&data("export/fit/garmin-fenix-5-walk.fit"));
    assert_eq!(first.status.code(), Some(0), "{}", String::from_utf8_lossy(&first.stderr));
    let second = run(&data("export"));
    assert_eq!(second.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(stderr.contains("No space left on device"), "{stderr}");
    assert!(
        stderr.contains("check that the data folder is writable and its disk has space"),
        "{stderr}"
    );
    // What the first import stored still reads, and nothing half-written is left behind.
    let acts = restday_store::read_parquet(&data_dir.join("activities.parquet")).unwrap().unwrap();
    assert!(acts.height() >= 1);
    let leftovers: Vec<_> = walk_files(&data_dir)
        .into_iter()
        .filter(|p| p.to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

fn walk_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk_files(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn a_rerun_reads_only_files_whose_size_or_time_changed() {
    let env = Env::new();
    let gpx = env.write("in/run.gpx", &read("export/gpx/run.gpx"));
    env.write("in/walk.fit", &read("export/fit/garmin-fenix-5-walk.fit"));
    assert_eq!(env.import(&[&env.path("in")]).status.code(), Some(0));
    let stdout = |o: std::process::Output| String::from_utf8_lossy(&o.stdout).to_string();

    // Unchanged: nothing read.
    let out = stdout(env.import(&[&env.path("in")]));
    assert!(out.contains("2 already imported; 0 activities added; 0.0 MB in"), "{out}");

    // Touched (new modification time, same bytes): read and hashed, but already known.
    let f = std::fs::File::options().write(true).open(&gpx).unwrap();
    f.set_modified(std::time::SystemTime::now() + std::time::Duration::from_secs(60)).unwrap();
    let out = stdout(env.import(&[&env.path("in")]));
    assert!(out.contains("2 already imported; 0 activities added; 0.1 MB in"), "{out}");
    assert_eq!(env.table("imports.parquet").height(), 2);
    // ... and its new fingerprint is kept: the next run reads nothing.
    let out = stdout(env.import(&[&env.path("in")]));
    assert!(out.contains("2 already imported; 0 activities added; 0.0 MB in"), "{out}");

    // A copy under another name: read, known by content, recorded once as a duplicate.
    std::fs::copy(&gpx, env.path("in/copy.gpx")).unwrap();
    let out = stdout(env.import(&[&env.path("in")]));
    assert!(out.contains("3 files seen: 0 imported, 1 duplicates"), "{out}");
    let out = stdout(env.import(&[&env.path("in")]));
    assert!(out.contains("3 already imported; 0 activities added; 0.0 MB in"), "{out}");
    assert_eq!(env.table("imports.parquet").height(), 3);

    // Changed bytes: a new version of the file, here the same activity again.
    let mut bytes = read("export/gpx/run.gpx");
    bytes.extend(b"\n");
    std::fs::write(&gpx, bytes).unwrap();
    let out = stdout(env.import(&[&env.path("in")]));
    assert!(out.contains("0 imported, 1 duplicates"), "{out}");
    assert_eq!(env.table("imports.parquet").height(), 4);
}

/// Batches staged into one commit (samples written, ledger not yet): a crash before or after
/// the commit, and the rerun, give the same dataset as one clean import.
#[test]
fn a_crash_inside_a_commit_of_several_batches_loses_only_that_commit() {
    let (outcomes, activities, samples, readings) = clean_outcomes();
    let clean = (normalise(outcomes, &data("export")), activities, samples, readings);
    for point in ["after-samples:1", "after-ledger:1", "after-samples:2"] {
        let env = killed_at(point, "3");
        assert_rerun_is_clean(&env, point, &clean);
    }
}

#[test]
fn recordings_without_a_real_time_are_unsupported_rows_not_days_of_1970() {
    // A FIT file without any timestamp and a GPX track whose times are all GPSBabel's
    // 1901-12-13T20:45:52Z: neither is an activity, so no daily table reaches back to 1970.
    let env = Env::new();
    let out = env.import(&[&data("untimed")]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let rows: Vec<(String, String, String)> =
        env.ledger().into_iter().map(|r| (r.name().to_string(), r.outcome, r.error)).collect();
    let unsupported = |name: &str, why: &str| (name.into(), "unsupported".into(), why.into());
    assert_eq!(
        rows,
        [
            unsupported(
                "DeveloperData.fit",
                "activity without a real time (none, or before 1980): not a recorded activity"
            ),
            unsupported("Mojstrovka.gpx", "GPX track without times: not a recorded activity"),
        ]
    );
    assert_eq!(env.table("activities.parquet").height(), 0);
    assert_eq!(env.table("daily.parquet").height(), 0);
}

#[test]
fn an_import_whose_output_nobody_reads_finishes_its_work() {
    // `restday import ... | head -1` after head has gone: standard output is a pipe with no
    // reader. The summary line cannot be written; the import still refreshes the metrics and
    // exits 0, with no panic.
    let env = Env::new();
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = env
        .cmd()
        .arg("import")
        .arg(data("export"))
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(env.table("activities.parquet").height(), 19);
    assert!(env.table("recovery.parquet").height() > 0, "the metrics refresh ran");
    // The same for a view.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = env.cmd().arg("weekly").stdout(writer).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
}
