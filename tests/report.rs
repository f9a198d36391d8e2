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
