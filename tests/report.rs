//! The report through the binary: snapshots of the text, Markdown and JSON reports for the
//! bundled sample export, and `restday nightly` run twice.

use crate::util::{Env, data};

fn imported() -> Env {
    let env = Env::new();
    assert_eq!(env.import(&[&data("export")]).status.code(), Some(0));
    env
}

fn report(env: &Env, args: &[&str]) -> String {
    let out = env.cmd().arg("report").args(args).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// 2018-05-28, the day after the FR920XT triathlon: a passive call with evidence, a week with
/// the race in it, and twelve weeks of mostly empty history before.
#[test]
fn report_snapshots() {
    let env = imported();
    let text = report(&env, &["--date", "2018-05-28"]);
    assert!(text.lines().all(|l| l.chars().count() <= 80), "{text}");
    assert!(!text.contains('\x1b'), "no colour off a terminal");
    insta::assert_snapshot!("report_text", text);
    insta::assert_snapshot!(
        "report_markdown",
        report(&env, &["--date", "2018-05-28", "--format", "markdown"])
    );
    let json = report(&env, &["--date", "2018-05-28", "--format", "json"]);
    insta::assert_snapshot!("report_json", json);
}

#[test]
fn nightly_twice_imports_nothing_the_second_time_and_gives_the_same_report() {
    let env = Env::new();
    let out_file = env.path("today.txt");
    let run = || {
        env.cmd().arg("nightly").arg(data("export")).arg("--out").arg(&out_file).output().unwrap()
    };
    let first = run();
    assert_eq!(first.status.code(), Some(0), "{}", String::from_utf8_lossy(&first.stderr));
    assert!(first.stdout.is_empty(), "nightly writes the report to --out, nothing to stdout");
    let log = String::from_utf8_lossy(&first.stderr);
    assert!(log.starts_with("restday nightly: 18 files seen: 16 imported"), "{log}");
    assert!(log.trim_end().ends_with("report for 2025-10-25"), "{log}");
    let report1 = std::fs::read_to_string(&out_file).unwrap();
    assert!(report1.starts_with("restday 2025-10-25  TRAIN\n"), "{report1}");

    let second = run();
    assert_eq!(second.status.code(), Some(0));
    let log = String::from_utf8_lossy(&second.stderr);
    assert!(log.contains("0 imported") && log.contains("18 already imported"), "{log}");
    assert_eq!(std::fs::read_to_string(&out_file).unwrap(), report1);
}

#[test]
fn the_week_in_progress_has_no_change_and_says_why() {
    // The sample export's last activity is Friday 2025-10-24; the report is for Saturday 10-25
    // and its last week, 2025-W43 (from Monday 10-20), holds six days of data (to Saturday).
    // One run of 4.1 km against an empty week before: no change either way, and every format
    // says why.
    let env = imported();
    let json: serde_json::Value =
        serde_json::from_str(&report(&env, &["--format", "json"])).unwrap();
    let weeks = json["last_12_weeks"].as_array().unwrap();
    let last = weeks.last().unwrap();
    assert_eq!(last["week"], "2025-W43");
    assert_eq!(last["days"], 6);
    assert_eq!(last["distance_km"], 4.1);
    assert!(last["distance_change_pct"].is_null() && last["load_change_pct"].is_null());
    assert!(weeks[..weeks.len() - 1].iter().all(|w| w["days"] == 7), "{weeks:?}");
    let note = "2025-W43: 6 of its 7 days in the data, so no change against other weeks";
    assert!(report(&env, &[]).contains(&format!("\n({note})\n")));
    assert!(report(&env, &["--format", "markdown"]).contains(&format!("\n_{note}._\n")));
    assert!(report(&env, &["--format", "html"]).contains(&format!("<p>{note}.</p>")));
}
