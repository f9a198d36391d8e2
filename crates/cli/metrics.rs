//! `restday metrics`, `restday profile` and `restday weekly`, and the metrics refresh that
//! follows every import.

use anyhow::{Context, bail};
use polars::prelude::{DataFrame, DataType, IntoLazy, JoinArgs, JoinType, col};
use restday_metrics::{Athlete, Profile, Valued, ZoneModel};
use restday_store::{ACTIVITIES, DAILY, PROFILE, Store, WEEKLY, WELLNESS};
use std::path::Path;

/// Reads the profile: `--profile FILE`, else `restday.toml` in the data folder, else defaults.
pub fn load_profile(data_dir: &Path, explicit: Option<&Path>) -> anyhow::Result<Profile> {
    let path = match explicit {
        Some(p) => p.to_path_buf(),
        None => {
            let p = data_dir.join(PROFILE);
            if !p.exists() {
                return Ok(Profile::default());
            }
            p
        }
    };
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read the profile {}", path.display()))?;
    Profile::parse(&text).map_err(|e| {
        anyhow::anyhow!(
            "{}: {e}\nsee the README's \"Athlete profile\" section for the keys",
            path.display()
        )
    })
}

/// What a refresh produced.
pub struct Refreshed {
    pub activities: usize,
    pub days: usize,
    pub weeks: usize,
}

/// Recomputes the per-activity figures, `daily.parquet` and `weekly.parquet` from the imported
/// tables.
pub fn refresh(data_dir: &Path, profile: &Profile) -> anyhow::Result<Refreshed> {
    let store = Store::open(data_dir)?;
    let samples = store.samples()?;
    let athlete = in_force(&store, profile, &samples)?;
    let base =
        restday_metrics::time_zones(restday_store::tables::activities_frame(store.activities())?)
            .context("looking up time zones")?;
    let load = restday_metrics::activity_load(samples.lazy(), &athlete)?;
    let mut activities = restday_metrics::activity_days(
        base.lazy().join(
            load,
            [col("activity_id")],
            [col("activity_id")],
            JoinArgs::new(JoinType::Left),
        ),
        &athlete,
    )
    .collect()
    .context("computing per-activity metrics")?;
    let mut daily =
        restday_metrics::daily(activities.clone().lazy()).context("computing daily metrics")?;
    let mut weekly = if daily.height() > 0 {
        restday_metrics::weekly(&daily, athlete.week_start.value)
            .context("computing weekly metrics")?
    } else {
        DataFrame::empty()
    };
    let _ = activities.drop_in_place("duration_s");
    store.write_derived(ACTIVITIES, &mut activities)?;
    store.write_derived(DAILY, &mut daily)?;
    store.write_derived(WEEKLY, &mut weekly)?;
    Ok(Refreshed { activities: activities.height(), days: daily.height(), weeks: weekly.height() })
}

/// The profile in force over the stored data.
pub fn in_force(store: &Store, profile: &Profile, samples: &DataFrame) -> anyhow::Result<Athlete> {
    let wellness = store.read(WELLNESS)?;
    restday_metrics::athlete(profile, samples.clone().lazy(), wellness.map(|w| w.lazy()))
        .context("estimating the athlete profile")
}

/// The profile in force, for `restday profile`.
pub fn athlete(data_dir: &Path, profile: &Profile) -> anyhow::Result<Athlete> {
    let store = Store::open(data_dir)?;
    let samples = store.samples()?;
    in_force(&store, profile, &samples)
}

fn valued<T: std::fmt::Display>(v: &Valued<T>) -> String {
    format!("{:<12} ({})", v.value.to_string(), v.source)
}

/// The profile in force, each value with where it came from, and the zone bounds.
pub fn describe(a: &Athlete) -> String {
    let mut out = String::new();
    let opt = |v: &Valued<Option<f64>>| {
        Valued::new(v.value.map_or("-".to_string(), |x| format!("{x:.0}")), v.source.clone())
    };
    let whole = |v: &Valued<f64>| Valued::new(format!("{:.0}", v.value), v.source.clone());
    out += &format!("max HR         {}\n", valued(&whole(&a.max_hr)));
    out += &format!("resting HR     {}\n", valued(&whole(&a.resting_hr)));
    out += &format!("LTHR           {}\n", valued(&opt(&a.lthr)));
    out += &format!(
        "sex            {}\n",
        valued(&Valued::new(format!("{:?}", a.sex.value).to_lowercase(), a.sex.source.clone()))
    );
    out += &format!(
        "experience     {}\n",
        valued(&Valued::new(
            format!("{:?}", a.experience.value).to_lowercase(),
            a.experience.source.clone()
        ))
    );
    let model = match a.zone_model.value {
        ZoneModel::Max => "max (% of max HR)",
        ZoneModel::Hrr => "hrr (% of HR reserve)",
        ZoneModel::Lthr => "lthr (% of LTHR)",
    };
    out += &format!("zone model     {model} ({})\n", a.zone_model.source);
    out += &format!(
        "week start     {}\n",
        valued(&Valued::new(
            format!("{:?}", a.week_start.value).to_lowercase(),
            a.week_start.source.clone()
        ))
    );
    let off = a.utc_offset_s.value;
    let offset = format!(
        "{}{:02}:{:02}",
        if off < 0 { '-' } else { '+' },
        off.abs() / 3600,
        off.abs() % 3600 / 60
    );
    out += &format!(
        "UTC offset     {}\n",
        valued(&Valued::new(offset, a.utc_offset_s.source.clone()))
    );
    out += "\nzones (bpm)\n";
    for (k, (lo, hi)) in restday_metrics::zone_bounds(a).iter().enumerate() {
        out += &format!("  Z{}  {:>3.0} - {:>3.0}\n", k + 1, lo, hi);
    }
    out
}

/// The last `n` weeks of `weekly.parquet` as an 80-column table.
pub fn weekly_table(data_dir: &Path, n: usize) -> anyhow::Result<String> {
    let path = data_dir.join(WEEKLY);
    if !path.exists() {
        bail!("no {} yet; run `restday import EXPORT` or `restday metrics` first", path.display());
    }
    let df = restday_store::read_parquet(&path)?.unwrap_or_default();
    let df = df.tail(Some(n));
    let get = |c: &str| -> anyhow::Result<Vec<Option<f64>>> {
        Ok(df.column(c)?.cast(&DataType::Float64)?.f64()?.iter().collect())
    };
    let starts: Vec<Option<i32>> =
        df.column("week_start")?.cast(&DataType::Int32)?.i32()?.iter().collect();
    let (sessions, dist, dur, load, change) = (
        get("sessions")?,
        get("distance_m")?,
        get("duration_s")?,
        get("load")?,
        get("distance_m_change_pct")?,
    );
    let (run, bike) = (get("run_distance_m")?, get("bike_distance_m")?);
    let mut out = format!(
        "{:<8}  {:<10} {:>8} {:>11} {:>7} {:>7} {:>7} {:>6} {:>7}\n",
        "week", "starts", "sessions", "distance km", "run km", "bike km", "time", "load", "change"
    );
    for i in 0..df.height() {
        let start = starts[i].map(|d| {
            chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap() + chrono::Duration::days(d.into())
        });
        let label = start.map_or("-".to_string(), |s| {
            let w = s.iso_week();
            format!("{}-W{:02}", w.year(), w.week())
        });
        let secs = dur[i].unwrap_or(0.0) as i64;
        let time = format!("{}:{:02}", secs / 3600, secs % 3600 / 60);
        let ch = change[i].map_or("-".to_string(), |c| format!("{c:+.0}%"));
        out += &format!(
            "{label:<8}  {:<10} {:>8} {:>11.1} {:>7.1} {:>7.1} {:>7} {:>6.0} {:>7}\n",
            start.map_or("-".to_string(), |s| s.to_string()),
            sessions[i].unwrap_or(0.0),
            dist[i].unwrap_or(0.0) / 1000.0,
            run[i].unwrap_or(0.0) / 1000.0,
            bike[i].unwrap_or(0.0) / 1000.0,
            time,
            load[i].unwrap_or(0.0),
            ch
        );
    }
    Ok(out)
}

use chrono::Datelike;
