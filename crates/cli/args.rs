//! Command-line flags (clap derive) and the validated configuration built from them before any
//! work starts.

use anyhow::bail;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

const ABOUT: &str =
    "Turn a whole watch export into a Parquet dataset and a daily train / recover call.";

const AFTER_HELP: &str = "\
Examples:
  restday import ~/Downloads/garmin-export.zip
  restday import ~/strava_export/ ~/watch/*.fit --data-dir ~/restday
  RESTDAY_DATA=~/restday restday import export.zip --quiet
  restday today
  restday weekly --weeks 8
  restday profile

Exit codes:
  0  everything worked
  1  an error stopped the command (the message says what to do)
  2  the command line was wrong
  3  the command ran, but some input files failed (see imports.parquet)
  4  another restday process is writing to the data folder";

#[derive(Debug, Parser)]
#[command(name = "restday", version, about = ABOUT, after_help = AFTER_HELP)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// The dataset folder.
    #[arg(
        long,
        global = true,
        env = "RESTDAY_DATA",
        default_value = "restday-data",
        value_name = "DIR"
    )]
    pub data_dir: PathBuf,
    /// Print nothing but errors.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// More log output (-v, -vv); or set RESTDAY_LOG.
    #[arg(long, short, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// The athlete profile (TOML); default: restday.toml in the data folder, if present.
    #[arg(long, global = true, value_name = "FILE")]
    pub profile: Option<PathBuf>,
    /// When to use colour.
    #[arg(long, global = true, value_enum, default_value_t = Color::Auto)]
    pub color: Color,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Color {
    Auto,
    Always,
    Never,
}

impl Color {
    pub fn enabled(self, terminal: bool) -> bool {
        match self {
            Color::Always => true,
            Color::Never => false,
            Color::Auto => terminal && std::env::var_os("NO_COLOR").is_none(),
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Import watch files into the dataset: folders, .fit/.gpx/.tcx (also .gz), .zip exports.
    #[command(after_help = "\
Examples:
  restday import export.zip                 a Garmin or Strava export, as downloaded
  restday import ~/watch/                   a folder, walked recursively
  restday import a.fit b.gpx.gz c.tcx       loose files

Importing the same files again adds nothing. Each file gets one row in imports.parquet
with its outcome: imported, duplicate, unsupported or failed (with the reason).")]
    Import {
        /// Files, folders or archives to import.
        #[arg(required = true, value_name = "PATH")]
        inputs: Vec<PathBuf>,
    },
    /// List every message of a FIT file with its profile field names, for looking at an odd
    /// device's file.
    #[command(after_help = "Example:\n  restday inspect ride.fit | grep ^session")]
    Inspect {
        /// The FIT file (also .fit.gz).
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Recompute per-activity load, daily.parquet, weekly.parquet and recovery.parquet (import
    /// does this too).
    Metrics,
    /// The call for today (the day after the latest data): train, active or passive recovery,
    /// and why.
    #[command(after_help = "Examples:\n  restday today\n  restday today --date 2024-05-02")]
    Today {
        /// The day to show, YYYY-MM-DD.
        #[arg(long, value_parser = day)]
        date: Option<i32>,
    },
    /// Show the athlete profile in force, where each value came from, and the zone bounds.
    Profile,
    /// The report: the day's call and why, the last 7 days, the last 12 weeks.
    #[command(
        after_help = "Examples:\n  restday report\n  restday report --format markdown --out today.md\n  restday report --date 2024-05-02 --format json"
    )]
    Report(ReportArgs),
    /// For cron: import what is new, refresh metrics and calls, write the report for the day
    /// after the latest data, and log one line.
    #[command(
        after_help = "Examples:\n  restday nightly ~/exports/ --out ~/restday/today.txt\n  restday nightly export.zip --format json --out today.json --quiet\n\nExit codes as for import: 3 when some input files failed (the report is still written)."
    )]
    Nightly {
        /// Files, folders or archives to import.
        #[arg(required = true, value_name = "PATH")]
        inputs: Vec<PathBuf>,
        #[command(flatten)]
        report: ReportArgs,
    },
    /// Print the last weeks of training: volume, load and the change week on week.
    #[command(after_help = "Example:\n  restday weekly --weeks 12")]
    Weekly {
        /// How many weeks to show (at least 1).
        #[arg(long, short = 'n', default_value_t = 12, value_parser = clap::value_parser!(u32).range(1..))]
        weeks: u32,
    },
}

/// A `--date` value: days since 1970-01-01. A wrong one is a command-line error (exit 2),
/// found before any data is read.
fn day(s: &str) -> Result<i32, String> {
    restday_source::journal::parse_day(s).ok_or_else(|| "not a date like 2024-05-01".to_string())
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The day to report on, YYYY-MM-DD (default: the day after the latest data).
    #[arg(long, value_parser = day)]
    pub date: Option<i32>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
    /// Write to this file instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ReportFormat {
    Text,
    Markdown,
    Html,
    Json,
}

/// Settings every command shares, checked.
#[derive(Clone, Debug)]
pub struct Global {
    pub data_dir: PathBuf,
    pub quiet: bool,
    pub profile: Option<PathBuf>,
    /// Colour on standard output (a terminal, and not turned off).
    pub color: bool,
}

/// The validated configuration.
#[derive(Debug)]
pub struct Config {
    pub global: Global,
    pub command: Command,
}

impl Config {
    pub fn from_cli(cli: Cli) -> anyhow::Result<Config> {
        if let Command::Inspect { file } = &cli.command
            && !file.is_file()
        {
            bail!("{} is not a file; give the path of a .fit file", file.display());
        }
        if let Command::Import { inputs } | Command::Nightly { inputs, .. } = &cli.command {
            for input in inputs {
                if !input.exists() {
                    bail!(
                        "{} does not exist; give the path of an export folder, archive or file",
                        input.display()
                    );
                }
            }
        }
        if let Some(p) = &cli.global.profile
            && !p.is_file()
        {
            bail!("--profile {} is not a file; give the path of a restday.toml", p.display());
        }
        if cli.global.data_dir.exists() && !cli.global.data_dir.is_dir() {
            bail!(
                "--data-dir {} is a file, not a folder; choose a folder for the dataset",
                cli.global.data_dir.display()
            );
        }
        Ok(Config {
            global: Global {
                data_dir: cli.global.data_dir,
                quiet: cli.global.quiet,
                profile: cli.global.profile,
                color: false,
            },
            command: cli.command,
        })
    }
}
