//! The `restday` binary: parses flags into a validated configuration, runs one command, and
//! turns the outcome into an exit code. All printing happens here.

mod args;
mod metrics;
mod progress;

use anyhow::Context;
use clap::Parser;
use restday_import::{Options, Summary};
use restday_store::StoreError;
use std::io::IsTerminal;
use std::process::ExitCode;

/// Exit codes, documented in `--help` and the README.
pub mod exit {
    pub const OK: u8 = 0;
    pub const ERROR: u8 = 1;
    pub const FILES_FAILED: u8 = 3;
    pub const BUSY: u8 = 4;
}

/// jemalloc instead of the system allocator: glibc keeps a heap per thread and the import's
/// threads (walk, decoders, Polars) left its peak at 342 MB on a 2 GB export; jemalloc with
/// the options in `.cargo/config.toml` keeps it under 300 MB at the same speed (BENCHMARKS.md).
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    // A decoder panic is caught and recorded in the ledger; it should not also splash a
    // backtrace over the terminal. Panics anywhere else still print as usual.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if std::thread::current().name() == Some("decode") {
            tracing::debug!("decoder panic (recorded in the ledger): {info}");
        } else {
            default_hook(info);
        }
    }));
    let cli = args::Cli::parse();
    let color = cli.global.color.enabled(std::io::stderr().is_terminal());
    let color_out = cli.global.color.enabled(std::io::stdout().is_terminal());
    init_tracing(cli.global.verbose, color);
    match run(cli, color_out) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            // A closed pipe (`restday ... | head`) is not an error.
            if let Some(io) = err.downcast_ref::<std::io::Error>()
                && io.kind() == std::io::ErrorKind::BrokenPipe
            {
                return ExitCode::from(exit::OK);
            }
            let prefix = if color { "\x1b[1;31merror:\x1b[0m" } else { "error:" };
            eprintln!("{prefix} {err:#}");
            let busy = err
                .downcast_ref::<StoreError>()
                .is_some_and(|e| matches!(e, StoreError::Locked(_)));
            ExitCode::from(if busy { exit::BUSY } else { exit::ERROR })
        }
    }
}

fn init_tracing(verbose: u8, color: bool) {
    let level = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("RESTDAY_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(color)
        .without_time()
        .init();
}

fn run(cli: args::Cli, color: bool) -> anyhow::Result<u8> {
    let mut config = args::Config::from_cli(cli)?;
    config.global.color = color;
    let global = &config.global;
    match config.command {
        args::Command::Import { inputs } => import(global, inputs).map(|(code, _)| code),
        args::Command::Inspect { file } => inspect(&file),
        args::Command::Report(r) => {
            write_report(global, &r, global.color && r.out.is_none())?;
            Ok(exit::OK)
        }
        args::Command::Nightly { inputs, report } => {
            let quiet = args::Global { quiet: true, ..global.clone() };
            let (code, summary) = import(&quiet, inputs)?;
            let date = write_report(global, &report, false)?;
            if !global.quiet {
                eprintln!("restday nightly: {}; report for {date}", summary_line(&summary));
            }
            Ok(code)
        }
        args::Command::Metrics => {
            let profile = metrics::load_profile(&global.data_dir, global.profile.as_deref())?;
            let r = metrics::refresh(&global.data_dir, &profile)?;
            if !global.quiet {
                say(&format!("{}\n", refreshed_line(&r)))?;
            }
            Ok(exit::OK)
        }
        args::Command::Profile => {
            let profile = metrics::load_profile(&global.data_dir, global.profile.as_deref())?;
            say(&metrics::describe(&metrics::athlete(&global.data_dir, &profile)?))?;
            Ok(exit::OK)
        }
        args::Command::Today { date } => {
            say(&metrics::today(&global.data_dir, date, global.color)?)?;
            Ok(exit::OK)
        }
        args::Command::Weekly { weeks } => {
            say(&metrics::weekly_table(&global.data_dir, weeks as usize)?)?;
            Ok(exit::OK)
        }
    }
}

/// Prints every message of a FIT file. Runs on a thread named `decode`, so a fitparser panic
/// on a malformed file ends the listing quietly instead of splashing a backtrace.
fn inspect(file: &std::path::Path) -> anyhow::Result<u8> {
    let mut bytes = Vec::new();
    restday_source::walk(
        &[file.to_path_buf()],
        &Default::default(),
        &restday_source::nothing_seen,
        &mut |f| {
            if let restday_source::Found::File(f) = f {
                bytes = f.bytes;
            }
        },
    );
    if bytes.is_empty() {
        anyhow::bail!("{}: not a readable .fit or .fit.gz file", file.display());
    }
    let lines = std::thread::Builder::new()
        .name("decode".into())
        .spawn(move || restday_decode::fit::inspect(&bytes))?
        .join()
        .map_err(|_| anyhow::anyhow!("the FIT decoder failed on {}", file.display()))?
        .with_context(|| format!("cannot list {}", file.display()))?;
    let mut out = std::io::stdout().lock();
    for line in lines {
        use std::io::Write;
        writeln!(out, "{line}")?;
    }
    Ok(exit::OK)
}

/// Writes the report to `--out` or standard output; returns the day it is for.
fn write_report(
    global: &args::Global,
    r: &args::ReportArgs,
    color: bool,
) -> anyhow::Result<String> {
    let report = metrics::report(&global.data_dir, r.date)?;
    let text = match r.format {
        args::ReportFormat::Text => restday_report::text(&report, color),
        args::ReportFormat::Markdown => restday_report::markdown(&report),
        args::ReportFormat::Html => restday_report::html(&report),
        args::ReportFormat::Json => restday_report::json(&report),
    };
    match &r.out {
        Some(path) => {
            // Written beside the target and renamed, so a reader never sees half a report.
            let mut tmp = path.clone().into_os_string();
            tmp.push(".tmp");
            std::fs::write(&tmp, text)
                .and_then(|()| std::fs::rename(&tmp, path))
                .with_context(|| format!("cannot write the report to {}", path.display()))?
        }
        None => {
            use std::io::Write;
            std::io::stdout().write_all(text.as_bytes())?;
        }
    }
    Ok(report.date)
}

fn import(global: &args::Global, inputs: Vec<std::path::PathBuf>) -> anyhow::Result<(u8, Summary)> {
    let mut opts = Options::new(global.data_dir.clone(), inputs);
    // Undocumented knob for tests that need many small commits.
    if let Some(n) = std::env::var("RESTDAY_COMMIT_BATCHES").ok().and_then(|v| v.parse().ok()) {
        opts.commit_batches = n;
        opts.commit_share = None;
    }
    if let Some(n) = std::env::var("RESTDAY_BATCH_BYTES").ok().and_then(|v| v.parse().ok()) {
        opts.batch_bytes = n;
    }
    let show = !global.quiet && std::io::stderr().is_terminal();
    let progress = progress::Bar::new(show, global.quiet);
    let dir = global.data_dir.display();
    let (summary, store) = restday_import::import_keeping_store(&opts, &progress).map_err(|e| {
        let hint = if !matches!(e, StoreError::Locked(_)) {
            "; check that the data folder is writable and its disk has space (the dataset was left as it was)"
        } else {
            ""
        };
        anyhow::Error::new(e).context(format!("importing into {dir}{hint}"))
    })?;
    progress.finish();
    if !global.quiet {
        say(&format!("{}\n", summary_line(&summary)))?;
    }
    let profile = metrics::load_profile(&global.data_dir, global.profile.as_deref())?;
    // The store the import wrote, still open: the refresh does not read it back.
    let refreshed = metrics::refresh_store(&store, &profile)?;
    drop(store);
    if !global.quiet {
        say(&format!("{}\n", refreshed_line(&refreshed)))?;
    }
    Ok((if summary.failed > 0 { exit::FILES_FAILED } else { exit::OK }, summary))
}

/// Writes `text` to standard output. Nobody reading it any more (`restday import ... | head -1`)
/// is no error: the command goes on with its work (an import still refreshes the metrics after
/// its summary line), where `print!` would panic.
fn say(text: &str) -> std::io::Result<()> {
    use std::io::Write;
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

fn refreshed_line(r: &metrics::Refreshed) -> String {
    let mut line = format!(
        "metrics: {} activities, {} days, {} weeks (daily.parquet, weekly.parquet, recovery.parquet)",
        r.activities, r.days, r.weeks
    );
    if let Some((call, why)) = &r.tomorrow {
        line += &format!("\nnext day: {call}. {why}");
    }
    line
}

fn summary_line(s: &Summary) -> String {
    let mut line = format!(
        "{} files seen: {} imported, {} duplicates, {} unsupported, {} failed",
        s.seen, s.imported, s.duplicates, s.unsupported, s.failed
    );
    if s.partial > 0 {
        line += &format!(" ({} partly read)", s.partial);
    }
    if s.unchanged > 0 {
        line += &format!(", {} already imported", s.unchanged);
    }
    if s.archives_unchanged > 0 {
        line += &format!(", {} unchanged archives not opened", s.archives_unchanged);
    }
    line += &format!(
        "; {} activities added{}; {:.1} MB in {:.2} s",
        s.activities_added,
        if s.replaced > 0 {
            format!(", {} replaced by richer copies", s.replaced)
        } else {
            String::new()
        },
        s.bytes as f64 / 1e6,
        s.elapsed.as_secs_f64()
    );
    line
}
