//! `restday metrics`, `restday profile` and `restday weekly`, and the metrics refresh that
//! follows every import.

use anyhow::{Context, bail};
use polars::prelude::{
    BooleanChunked, DataFrame, DataType, IntoLazy, JoinArgs, JoinType, col, lit,
};
use restday_metrics::{Athlete, Profile, Valued, ZoneModel};
use restday_store::{
    ACTIVITIES, DAILY, JOURNAL, LOAD_CACHE, PROFILE, RECOVERY, Store, WEEKLY, WELLNESS,
};
use std::collections::HashSet;
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
    /// The call for the day after the latest data, when there is any.
    pub tomorrow: Option<(String, String)>,
    pub activities: usize,
    pub days: usize,
    pub weeks: usize,
}

/// The rows of `df` whose `activity_id` is in `ids`.
fn only(df: &DataFrame, ids: &HashSet<String>) -> anyhow::Result<DataFrame> {
    let mask: BooleanChunked = df
        .column("activity_id")?
        .str()?
        .iter()
        .map(|id| id.is_some_and(|i| ids.contains(i)))
        .collect();
    Ok(df.filter(&mask)?)
}

/// Stacks frames of the same columns (in any order); `None` for none.
fn stack(frames: Vec<DataFrame>) -> anyhow::Result<Option<DataFrame>> {
    let mut out: Option<DataFrame> = None;
    for f in frames {
        out = Some(match out {
            Some(mut o) => {
                let names: Vec<String> =
                    o.get_column_names().iter().map(|n| n.to_string()).collect();
                o.vstack_mut(&f.select(names)?)?;
                o
            }
            None => f,
        });
    }
    Ok(out)
}

/// Runs `per_part` over the rows of `ids` in `parts` (samples or figures), one stored part at a
/// time (an activity's rows are all in one part of its commit), reading only `columns`, so
/// memory holds one part, not the whole table.
fn over_parts(
    store: &Store,
    parts: Vec<(i64, std::path::PathBuf)>,
    columns: &[&str],
    ids: &HashSet<String>,
    per_part: impl Fn(DataFrame) -> anyhow::Result<DataFrame>,
) -> anyhow::Result<Option<DataFrame>> {
    if ids.is_empty() {
        return Ok(None);
    }
    let commits: HashSet<i64> =
        store.activities().iter().filter(|a| ids.contains(&a.id)).map(|a| a.commit_id).collect();
    // Parts of commits whose activities are all wanted need no filtering (the usual case).
    let partly: HashSet<i64> =
        store.activities().iter().filter(|a| !ids.contains(&a.id)).map(|a| a.commit_id).collect();
    let mut out = Vec::new();
    for (commit, path) in parts {
        if !commits.contains(&commit) {
            continue;
        }
        let Some(part) = restday_store::read_parquet_columns(&path, columns)? else { continue };
        let part = if partly.contains(&commit) { only(&part, ids)? } else { part };
        if part.height() > 0 {
            out.push(per_part(part)?);
        }
    }
    stack(out)
}

/// Runs `per_part` over the per-activity figures of `ids` (`activity_id`, `heart_rate`,
/// `seconds`, `sustained_hr`; see [`restday_metrics::activity_figures`]), one part at a time:
/// the `hr_seconds` parts the import wrote, and figures computed from the samples only for
/// activities that have samples but no stored figures (imported by a version of restday that
/// did not write them). `per_part` must keep `activity_id`; its outputs are stacked. Only
/// `columns` of the stored figures are read (with `activity_id`); those computed have all.
fn over_figures(
    store: &Store,
    ids: &HashSet<String>,
    columns: &[&str],
    per_part: impl Fn(DataFrame) -> anyhow::Result<DataFrame>,
) -> anyhow::Result<Option<DataFrame>> {
    let columns: Vec<&str> =
        std::iter::once("activity_id").chain(columns.iter().copied()).collect();
    let stored = over_parts(store, store.hr_seconds_parts()?, &columns, ids, &per_part)?;
    let covered: HashSet<&str> = match &stored {
        Some(f) => f.column("activity_id")?.str()?.iter().flatten().collect(),
        None => HashSet::new(),
    };
    let rest: HashSet<String> = store
        .activities()
        .iter()
        .filter(|a| a.sample_count > 0 && ids.contains(&a.id) && !covered.contains(a.id.as_str()))
        .map(|a| a.id.clone())
        .collect();
    // The samples path needs only these: the other columns are not even decompressed.
    let columns = ["activity_id", "time", "heart_rate"];
    let computed = over_parts(store, store.sample_parts()?, &columns, &rest, |part| {
        per_part(restday_metrics::activity_figures(part)?)
    })?;
    stack(stored.into_iter().chain(computed).collect())
}

/// What the load figures depend on: when it changes, every activity's load is computed again.
fn load_key(a: &Athlete) -> String {
    format!(
        "max {} rest {} lthr {:?} sex {:?} zones {:?}",
        a.max_hr.value, a.resting_hr.value, a.lthr.value, a.sex.value, a.zone_model.value
    )
}

/// What the per-activity figures start from ([`sustained`]): the stored activities, the load
/// cache's rows of them, and every activity's sustained heart rate.
struct Sustained {
    ids: HashSet<String>,
    /// The activities the cache does not know.
    new: HashSet<String>,
    cache: Option<DataFrame>,
    /// `activity_id`, `sustained_hr`: from the cache, and from the figures for the new.
    sustained: Option<DataFrame>,
}

/// Pass 1 of the per-activity figures: the sustained heart rate of every activity, from the
/// load cache (`activity_load.parquet`) for those it knows, from the figures for the rest, for
/// the max HR estimate. Needs nothing but the activities and their figures.
fn sustained(store: &Store) -> anyhow::Result<Sustained> {
    let ids: HashSet<String> = store.activities().iter().map(|a| a.id.clone()).collect();
    let cache = match store.read(LOAD_CACHE)? {
        Some(c) if c.height() > 0 => Some(only(&c, &ids)?),
        _ => None,
    };
    let cached: HashSet<String> = match &cache {
        Some(c) => c.column("activity_id")?.str()?.iter().flatten().map(String::from).collect(),
        None => HashSet::new(),
    };
    let new: HashSet<String> = ids.difference(&cached).cloned().collect();
    // Pass 1: the sustained heart rate of the new activities, for the max HR estimate.
    let sustained_new = over_figures(store, &new, &["sustained_hr"], |f| {
        Ok(f.lazy().group_by([col("activity_id")]).agg([col("sustained_hr").first()]).collect()?)
    })?;
    let mut sustained =
        cache.as_ref().map(|c| c.select(["activity_id", "sustained_hr"])).transpose()?;
    if let Some(n) = sustained_new {
        sustained = Some(match sustained {
            Some(mut s) => {
                s.vstack_mut(&n.select(["activity_id", "sustained_hr"])?)?;
                s
            }
            None => n,
        });
    }
    Ok(Sustained { ids, new, cache, sustained })
}

/// The per-activity figures that need samples: from the cache for activities it knows under
/// the same athlete values, from the figures (or the samples) for the rest. Returns the athlete
/// in force and one row per activity: `activity_id`, `sustained_hr`, the load columns.
fn per_activity(
    store: &Store,
    profile: &Profile,
    Sustained { ids, new, cache, sustained }: Sustained,
) -> anyhow::Result<(Athlete, Option<DataFrame>)> {
    let highest = match &sustained {
        Some(s) => s
            .column("sustained_hr")?
            .cast(&DataType::Float64)?
            .f64()?
            .iter()
            .flatten()
            .reduce(f64::max),
        None => None,
    };
    let wellness = store.read(WELLNESS)?;
    let athlete = restday_metrics::athlete_with(profile, highest, wellness.map(|w| w.lazy()))
        .context("estimating the athlete profile")?;
    let Some(sustained) = sustained else { return Ok((athlete, None)) };
    // Pass 2: loads, for the new activities, or for all when the athlete values changed: from
    // the figures, which hold whatever the athlete values, so no sample is read again.
    let key = load_key(&athlete);
    let fresh = cache.as_ref().is_some_and(|c| {
        c.column("load_key")
            .and_then(|k| k.str().cloned())
            .is_ok_and(|k| k.iter().all(|v| v == Some(key.as_str())))
    });
    let (kept, todo) = match (&cache, fresh) {
        (Some(c), true) => (Some(c.drop_many(["sustained_hr", "load_key"])), new),
        _ => (None, ids),
    };
    let computed = over_figures(store, &todo, &["heart_rate", "seconds"], |f| {
        Ok(restday_metrics::load_from_hr_seconds(f.lazy(), &athlete)?.collect()?)
    })?;
    let loads = stack(kept.into_iter().chain(computed).collect())?;
    let Some(loads) = loads else { return Ok((athlete, None)) };
    let rows = sustained
        .lazy()
        .join(
            loads.lazy(),
            [col("activity_id")],
            [col("activity_id")],
            JoinArgs::new(JoinType::Left),
        )
        .with_column(lit(key).alias("load_key"))
        .collect()?;
    store.write_derived(LOAD_CACHE, &rows)?;
    Ok((athlete, Some(rows.drop_many(["sustained_hr", "load_key"]))))
}

/// Recomputes the per-activity figures, `daily.parquet` and `weekly.parquet` from the imported
/// tables, reading only the samples of activities the load cache does not know.
pub fn refresh(data_dir: &Path, profile: &Profile) -> anyhow::Result<Refreshed> {
    refresh_store(&Store::open(data_dir)?, profile)
}

/// [`refresh`] of a store already open (an import's, which leaves the daily wellness table to
/// this).
pub fn refresh_store(store: &Store, profile: &Profile) -> anyhow::Result<Refreshed> {
    // Side by side, each mostly one core's work: the daily wellness table (rebuilt when its
    // readings are newer, as after an import), which the athlete's estimates read; the
    // activities' time zones; and the sustained heart rates.
    let (wellness, (base, sustained)) = rayon::join(
        || restday_import::refresh_wellness(store),
        || {
            rayon::join(
                || -> anyhow::Result<DataFrame> {
                    let activities = restday_store::tables::activities_frame(store.activities())?;
                    restday_metrics::time_zones(activities).context("looking up time zones")
                },
                || sustained(store),
            )
        },
    );
    wellness?;
    let (athlete, load) = per_activity(store, profile, sustained?)?;
    let base = base?;
    let load = match load {
        Some(l) => l,
        None => restday_metrics::activity_load(
            restday_store::tables::samples_frame(&[])?.lazy(),
            &athlete,
        )?
        .collect()?,
    };
    let mut activities = restday_metrics::activity_days(
        base.lazy().join(
            load.lazy(),
            [col("activity_id")],
            [col("activity_id")],
            JoinArgs::new(JoinType::Left),
        ),
        &athlete,
    )
    .collect()
    .context("computing per-activity metrics")?;
    let until = latest_wellness_day(store)?;
    let daily = restday_metrics::daily(activities.clone().lazy(), until)
        .context("computing daily metrics")?;
    let weekly = if daily.height() > 0 {
        restday_metrics::weekly(&daily, athlete.week_start.value)
            .context("computing weekly metrics")?
    } else {
        DataFrame::empty()
    };
    let mut recovery = DataFrame::empty();
    let mut tomorrow = None;
    if daily.height() > 0 {
        let wellness = store.read(WELLNESS)?.map(|w| restday_recovery::wellness_days(w.lazy()));
        let journal = store.read(JOURNAL)?.map(|j| j.lazy());
        let features = restday_recovery::features(&daily, wellness, journal)
            .context("computing the recovery features")?;
        let days = restday_recovery::calls(&features, &athlete)?;
        tomorrow = days.last().map(|d| (d.call.as_str().to_string(), d.explanation.clone()));
        recovery = restday_recovery::recovery_frame(&features, &days)?;
    }
    let _ = activities.drop_in_place("duration_s");
    store.write_derived(ACTIVITIES, &activities)?;
    store.write_derived(DAILY, &daily)?;
    store.write_derived(WEEKLY, &weekly)?;
    store.write_derived(RECOVERY, &recovery)?;
    Ok(Refreshed {
        tomorrow,
        activities: activities.height(),
        days: daily.height(),
        weeks: weekly.height(),
    })
}

/// The latest athlete-local day with wellness or journal data, so the calendar reaches it.
fn latest_wellness_day(store: &Store) -> anyhow::Result<Option<i32>> {
    let mut latest: Option<i32> = None;
    if let Some(w) = store.read(WELLNESS)? {
        let d = w.column("date")?.cast(&DataType::Int32)?;
        latest = latest.max(d.i32()?.iter().flatten().max());
    }
    if let Some(j) = store.read(JOURNAL)? {
        let d = j.column("date")?.cast(&DataType::Int32)?;
        latest = latest.max(d.i32()?.iter().flatten().max());
    }
    Ok(latest)
}

/// The call for one day, in words: the day after the latest data unless `date` (days since
/// 1970-01-01) says otherwise.
pub fn today(data_dir: &Path, date: Option<i32>, color: bool) -> anyhow::Result<String> {
    Ok(restday_report::call_text(&report(data_dir, date)?, color))
}

/// The report for `date` (days since 1970-01-01), or for the day after the latest data.
pub fn report(data_dir: &Path, day: Option<i32>) -> anyhow::Result<restday_report::Report> {
    let read = |name: &str| -> anyhow::Result<DataFrame> {
        let path = data_dir.join(name);
        match restday_store::read_parquet(&path)? {
            Some(d) if d.height() > 0 => Ok(d),
            Some(_) => bail!(
                "no call yet: {} holds no activities; import an export with activity files",
                data_dir.display()
            ),
            None => bail!("no {} yet; run `restday import EXPORT` first", path.display()),
        }
    };
    let (recovery, daily, weekly) = (read(RECOVERY)?, read(DAILY)?, read(WEEKLY)?);
    restday_report::build(&recovery, &daily, &weekly, day)?.ok_or_else(|| {
        let days: Vec<i32> = recovery
            .column("date")
            .and_then(|c| c.cast(&DataType::Int32))
            .map(|c| c.i32().map(|d| d.iter().flatten().collect()).unwrap_or_default())
            .unwrap_or_default();
        let first = days.iter().copied().min().unwrap_or_default();
        let last = days.iter().copied().max().unwrap_or_default();
        anyhow::anyhow!(
            "no call for {}: the data covers {} to {}",
            day.map_or("-".to_string(), restday_report::day_label),
            restday_report::day_label(first),
            restday_report::day_label(last)
        )
    })
}

/// The profile in force, for `restday profile`.
pub fn athlete(data_dir: &Path, profile: &Profile) -> anyhow::Result<Athlete> {
    let store = Store::open(data_dir)?;
    Ok(per_activity(&store, profile, sustained(&store)?)?.0)
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
    if df.height() == 0 {
        bail!("no weeks yet: {} holds no activities", data_dir.display());
    }
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
    // A weekly table written before it counted its days: whole weeks, as far as it says.
    let days = get("days").unwrap_or_else(|_| vec![Some(7.0); df.height()]);
    let mut out = format!(
        "{:<8}  {:<10} {:>8} {:>11} {:>7} {:>7} {:>7} {:>6} {:>7}\n",
        "week", "starts", "sessions", "distance km", "run km", "bike km", "time", "load", "change"
    );
    for i in 0..df.height() {
        let label = starts[i].map_or("-".to_string(), restday_report::week_label);
        let start = starts[i].map_or("-".to_string(), restday_report::day_label);
        let secs = dur[i].unwrap_or(0.0) as i64;
        let time = format!("{}:{:02}", secs / 3600, secs % 3600 / 60);
        let ch = change[i].map_or("-".to_string(), |c| format!("{c:+.0}%"));
        out += &format!(
            "{label:<8}  {:<10} {:>8} {:>11.1} {:>7.1} {:>7.1} {:>7} {:>6.0} {:>7}\n",
            start,
            sessions[i].unwrap_or(0.0),
            dist[i].unwrap_or(0.0) / 1000.0,
            run[i].unwrap_or(0.0) / 1000.0,
            bike[i].unwrap_or(0.0) / 1000.0,
            time,
            load[i].unwrap_or(0.0),
            ch
        );
    }
    for i in (0..df.height()).filter(|&i| days[i].is_some_and(|d| d < 7.0)) {
        let label = starts[i].map_or("-".to_string(), restday_report::week_label);
        let held = days[i].unwrap_or_default();
        out += &format!("({label}: {held} of its 7 days in the data, so no change)\n");
    }
    Ok(out)
}
