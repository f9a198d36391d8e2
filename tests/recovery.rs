//! The daily call through the binary: the journal imported with the rest, `restday today`.

use crate::util::{Env, data, strs};

#[test]
fn journal_is_imported_and_shapes_the_call() {
    let env = Env::new();
    // The sample export ends with a treadmill run on 2025-10-24. The journal says the runner
    // fell ill on 10-23 and is very sore on the 25th.
    env.write(
        "notes/journal.csv",
        b"date,soreness,motivation,illness,note\n2025-10-23,2,7,yes,a cold\n2025-10-25,8,6,no,\n",
    );
    let out = env.import(&[&data("export"), &env.path("notes")]);
    assert_eq!(out.status.code(), Some(0));
    let journal = env.table("journal.parquet");
    assert_eq!(journal.height(), 2);
    assert_eq!(strs(&journal, "note"), [Some("a cold".to_string()), None]);

    // The calendar now runs to the day after the journal's last day.
    let out = env.cmd().arg("today").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("2025-10-26  PASSIVE RECOVERY (rest day)\n"), "{text}");
    // 10-26 has no entry of its own: the one of 10-25 (soreness 8) holds; the illness of 10-23
    // is within the four days before.
    assert!(text.contains("Take a rest day: illness, soreness."), "{text}");
    assert!(text.contains("  - soreness 8/10"), "{text}");

    let out = env.cmd().args(["today", "--date", "2025-10-24"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("2025-10-24  PASSIVE RECOVERY"), "{text}");
    assert!(text.contains("the journal records illness in the last four days"), "{text}");

    let out = env.cmd().args(["today", "--date", "1900-01-01"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no call for 1900-01-01: the data covers")
    );
}

#[test]
fn a_date_that_is_no_day_is_a_command_line_error() {
    // Exit 2 (the command line was wrong), naming the value, before any data is read: the data
    // folder here does not even exist.
    let env = Env::new();
    for args in [
        ["today", "--date", "2025-02-29"],
        ["report", "--date", "2025-13-01"],
        ["report", "--date", "yesterday"],
    ] {
        let out = env.cmd().args(args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains(args[2]) && stderr.contains("not a date like 2024-05-01"),
            "{stderr}"
        );
        assert!(!stderr.contains("import"), "{stderr}");
    }
}

#[test]
fn a_bad_journal_is_a_failed_ledger_row_naming_the_line() {
    let env = Env::new();
    env.write("in/journal.csv", b"date,soreness\n2025-10-23,eleven\n");
    env.write("in/run.fit", &crate::util::read("export/fit/garmin-fenix-5-run.fit"));
    let out = env.import(&[&env.path("in")]);
    assert_eq!(out.status.code(), Some(3));
    let ledger = env.table("imports.parquet");
    let errors = strs(&ledger, "error");
    assert!(
        errors
            .iter()
            .flatten()
            .any(|e| e == "journal.csv line 2, soreness: \"eleven\" is not a number from 0 to 10"),
        "{errors:?}"
    );
    assert_eq!(env.table("activities.parquet").height(), 1);
}

#[test]
fn the_real_sample_export_gets_a_call_for_every_day() {
    let env = Env::new();
    assert_eq!(env.import(&[&data("export")]).status.code(), Some(0));
    let rec = env.table("recovery.parquet");
    let daily = env.table("daily.parquet");
    assert_eq!(rec.height(), daily.height(), "one call per calendar day");
    let calls = strs(&rec, "call");
    let dates: Vec<String> = rec
        .column("date")
        .unwrap()
        .cast(&polars::prelude::DataType::String)
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .map(|s| s.unwrap().to_string())
        .collect();
    let at = |d: &str| calls[dates.iter().position(|x| x == d).unwrap()].clone().unwrap();
    // The day after the FR920XT triathlon of 2018-05-27 (158 min, TRIMP far above anything in
    // the weeks before): form and the acute:chronic ratio both call for rest.
    assert_eq!(at("2018-05-28"), "passive_recovery");
    let signs = strs(&rec, "signs");
    assert_eq!(
        signs[dates.iter().position(|x| x == "2018-05-28").unwrap()].as_deref(),
        Some("accumulated_fatigue")
    );
    // The day after the last activity (the treadmill run of 2025-10-24).
    assert_eq!(dates.last().unwrap(), "2025-10-25");
    assert_eq!(at("2025-10-25"), "train");
}

#[test]
fn an_edited_journal_replaces_the_entries_of_its_dates() {
    let env = Env::new();
    env.write("a/journal.csv", b"date,soreness\n2025-10-20,2\n2025-10-21,3\n");
    assert_eq!(env.import(&[&env.path("a")]).status.code(), Some(0));
    // The runner fixes 10-21 and adds 10-22.
    env.write("b/journal.csv", b"date,soreness\n2025-10-21,7\n2025-10-22,4\n");
    assert_eq!(env.import(&[&env.path("b")]).status.code(), Some(0));
    let j = env.table("journal.parquet");
    let soreness = crate::util::f64s(&j, "soreness");
    assert_eq!(
        soreness,
        [Some(2.0), Some(7.0), Some(4.0)],
        "one row per date, the later entry kept"
    );
}

#[test]
fn without_activities_there_is_no_call_and_the_message_says_why() {
    let env = Env::new();
    let out = env.import(&[&data("export/fit/MonitoringFile.fit")]);
    assert_eq!(out.status.code(), Some(0));
    let out = env.cmd().arg("today").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("holds no activities; import an export with activity files")
    );
    let out = env.cmd().arg("weekly").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no weeks yet"));
}
