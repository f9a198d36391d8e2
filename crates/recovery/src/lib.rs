//! The daily call: train, active recovery or passive recovery, from the signs of overtraining
//! coaches name, each with the evidence it saw.
//!
//! The row for day D is what a runner reads that morning: made from all training up to the end
//! of D-1 and from the wellness known by the morning of D (the night that ends on D, that
//! morning's resting heart rate and HRV, the journal entry for D, else for D-1).
//!
//! Day features (baselines, windows) are Polars expressions over the daily table; the rules then
//! read one row at a time, because each needs to say in words what it saw. The thresholds and
//! their sources are in [`thresholds`] and in `docs/recovery.md`.

pub mod thresholds;

use polars::prelude::*;
use restday_metrics::{Athlete, Experience, rolling, zone_bounds};
use thresholds as t;

/// The wellness the rules read, per day, from the daily wellness table (`wellness.parquet`):
/// `sleep_h` (deep + light + REM of the night that ended that morning), `resting_hr` (that day's
/// resting heart rate) and `rmssd_ms` (that night's HRV).
pub fn wellness_days(wellness: LazyFrame) -> LazyFrame {
    wellness.select([
        col("date").cast(DataType::Int32).alias("day"),
        col("sleep_h").cast(DataType::Float64),
        col("resting_hr").cast(DataType::Float64),
        col("hrv_ms").cast(DataType::Float64).alias("rmssd_ms"),
    ])
}

/// The inputs of the rules for each day of `daily` (the metrics' daily table), joined with the
/// per-day wellness and journal (both optional; `journal` as stored: `date`, scales, flags).
pub fn features(
    daily: &DataFrame,
    wellness: Option<LazyFrame>,
    journal: Option<LazyFrame>,
) -> PolarsResult<DataFrame> {
    let mut lf = daily.clone().lazy().with_column(col("date").cast(DataType::Int32).alias("day"));
    let wellness = wellness.unwrap_or_else(|| {
        DataFrame::new(
            0,
            vec![
                Column::new("day".into(), Vec::<i32>::new()),
                Column::new("sleep_h".into(), Vec::<f64>::new()),
                Column::new("resting_hr".into(), Vec::<f64>::new()),
                Column::new("rmssd_ms".into(), Vec::<f64>::new()),
            ],
        )
        .expect("an empty frame")
        .lazy()
    });
    lf = lf.join(wellness, [col("day")], [col("day")], JoinArgs::new(JoinType::Left));
    let journal_cols =
        ["soreness", "irritability", "motivation", "sleep_quality", "sleep_hours", "life_stress"];
    let journal = journal.unwrap_or_else(|| {
        let mut cols = vec![Column::new("day".into(), Vec::<i32>::new())];
        cols.extend(journal_cols.iter().map(|c| Column::new((*c).into(), Vec::<f64>::new())));
        cols.push(Column::new("illness".into(), Vec::<bool>::new()));
        cols.push(Column::new("planned_easy".into(), Vec::<bool>::new()));
        DataFrame::new(0, cols).expect("an empty frame").lazy()
    });
    let mut jsel: Vec<Expr> = vec![col("date").cast(DataType::Int32).alias("day")];
    jsel.extend(journal_cols.iter().map(|c| col(*c).cast(DataType::Float64)));
    jsel.push(col("illness"));
    jsel.push(col("planned_easy"));
    let journal = if journal.clone().collect_schema()?.contains("date") {
        journal.select(jsel)
    } else {
        journal
    };
    lf = lf.join(journal, [col("day")], [col("day")], JoinArgs::new(JoinType::Left));

    let prev = |c: &str| col(c).shift(lit(1));
    let ln_rmssd = col("rmssd_ms").log(lit(std::f64::consts::E));
    // The journal entry for D, else the one for D-1.
    let mut journal_now: Vec<Expr> = journal_cols
        .iter()
        .map(|c| col(*c).fill_null(col(*c).shift(lit(1))).alias(format!("j_{c}")))
        .collect();
    journal_now.push(col("planned_easy").alias("j_planned_easy"));
    // Illness on any of the last four days (D-3..D): coming back from illness.
    journal_now.push(
        col("illness")
            .fill_null(lit(false))
            .or(prev("illness").fill_null(lit(false)))
            .or(col("illness").shift(lit(2)).fill_null(lit(false)))
            .or(col("illness").shift(lit(3)).fill_null(lit(false)))
            .alias("j_illness"),
    );
    journal_now.push(
        col("illness")
            .is_not_null()
            .or(prev("illness").is_not_null())
            .or(col("illness").shift(lit(2)).is_not_null())
            .or(col("illness").shift(lit(3)).is_not_null())
            .alias("j_illness_known"),
    );
    let nonzero = col("load").gt(lit(0.0)).cast(DataType::Float64);
    let baseline = t::BASELINE_DAYS;
    let min_base = t::BASELINE_MIN_VALUES;
    let ef_w = t::EF_WINDOW_DAYS;
    lf.sort(["day"], SortMultipleOptions::default())
        .with_columns(journal_now)
        .with_columns([
            prev("load").alias("yesterday_load"),
            prev("acwr").alias("acwr_prev"),
            prev("chronic_ewma").alias("chronic_prev"),
            prev("monotony").alias("monotony_prev"),
            prev("strain").alias("strain_prev"),
            prev("longest_run_increase_pct").alias("run_increase_prev"),
            prev("longest_run_m").alias("longest_run_prev"),
            prev("max_avg_hr").alias("yesterday_max_avg_hr"),
            // Days of history before D, for averages that need time to settle.
            (col("day") - col("day").first()).alias("history_days"),
            // The athlete's typical training day over the 28 days before D-1.
            (prev("load").shift(lit(1)).rolling_sum(rolling(t::HARD_WINDOW_DAYS, 1))
                / nonzero.shift(lit(2)).rolling_sum(rolling(t::HARD_WINDOW_DAYS, 1)))
            .alias("typical_load"),
            col("strain")
                .shift(lit(1))
                .rolling_max(rolling(t::STRAIN_HISTORY_DAYS, 1))
                .alias("strain_max_prev"),
            col("sleep_h").fill_null(col("j_sleep_hours")).alias("sleep_last"),
            col("sleep_h")
                .shift(lit(1))
                .rolling_median(rolling(baseline, min_base))
                .alias("sleep_baseline_h"),
            col("resting_hr")
                .shift(lit(1))
                .rolling_mean(rolling(baseline, min_base))
                .alias("resting_hr_baseline"),
            ln_rmssd.clone().alias("ln_rmssd"),
            ln_rmssd
                .clone()
                .rolling_mean(rolling(t::HRV_RECENT_DAYS, t::HRV_RECENT_MIN))
                .alias("ln_rmssd_7d"),
            ln_rmssd
                .clone()
                .shift(lit(1))
                .rolling_mean(rolling(baseline, min_base))
                .alias("ln_rmssd_baseline"),
            ln_rmssd.shift(lit(1)).rolling_std(rolling(baseline, min_base)).alias("ln_rmssd_sd"),
            // Efficiency on easy runs: the last EF_WINDOW days before D against the window before.
            (prev("ef_sum").rolling_sum(rolling(ef_w, 1))
                / prev("ef_runs").rolling_sum(rolling(ef_w, 1)))
            .alias("ef_recent"),
            prev("ef_runs").rolling_sum(rolling(ef_w, 1)).alias("ef_recent_runs"),
            (col("ef_sum").shift(lit(1 + ef_w as i64)).rolling_sum(rolling(ef_w, 1))
                / col("ef_runs").shift(lit(1 + ef_w as i64)).rolling_sum(rolling(ef_w, 1)))
            .alias("ef_before"),
            col("ef_runs")
                .shift(lit(1 + ef_w as i64))
                .rolling_sum(rolling(ef_w, 1))
                .alias("ef_before_runs"),
            prev("ctl").alias("ctl_prev"),
            col("ctl").shift(lit(1 + ef_w as i64)).alias("ctl_before"),
        ])
        .collect()
}

/// The call for a day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Call {
    Train,
    ActiveRecovery,
    PassiveRecovery,
}

impl Call {
    pub fn as_str(self) -> &'static str {
        match self {
            Call::Train => "train",
            Call::ActiveRecovery => "active_recovery",
            Call::PassiveRecovery => "passive_recovery",
        }
    }
}

/// One day's call and its reasons.
#[derive(Clone, Debug, PartialEq)]
pub struct Day {
    pub day: i32,
    pub call: Call,
    /// Signs that fired, by name.
    pub signs: Vec<&'static str>,
    /// What each fired sign saw, in words with numbers.
    pub evidence: Vec<String>,
    /// Signs that could not be checked, and why.
    pub not_checked: Vec<String>,
    pub explanation: String,
    pub hr_ceiling: f64,
    pub days_since_rest: Option<i32>,
    /// For an active-recovery day whose sessions went above the ceiling.
    pub recovery_too_hard: Option<bool>,
}

fn f(df: &DataFrame, name: &str) -> PolarsResult<Vec<Option<f64>>> {
    Ok(df.column(name)?.cast(&DataType::Float64)?.f64()?.iter().collect())
}

fn b(df: &DataFrame, name: &str) -> PolarsResult<Vec<Option<bool>>> {
    Ok(df.column(name)?.cast(&DataType::Boolean)?.bool()?.iter().collect())
}

/// Applies the rules to every day of [`features`].
pub fn calls(features: &DataFrame, athlete: &Athlete) -> PolarsResult<Vec<Day>> {
    let days: Vec<i32> = features.column("day")?.i32()?.iter().map(|d| d.unwrap_or(0)).collect();
    let g = |n: &str| f(features, n);
    let (tsb, acwr, mono, strain, strain_max) =
        (g("tsb")?, g("acwr_prev")?, g("monotony_prev")?, g("strain_prev")?, g("strain_max_prev")?);
    let (history, yload, typical, run_inc, longest_prev) = (
        g("history_days")?,
        g("yesterday_load")?,
        g("typical_load")?,
        g("run_increase_prev")?,
        g("longest_run_prev")?,
    );
    let (sleep, sleep_base, rhr, rhr_base) =
        (g("sleep_last")?, g("sleep_baseline_h")?, g("resting_hr")?, g("resting_hr_baseline")?);
    let (ln, ln_base, ln_sd) = (g("ln_rmssd_7d")?, g("ln_rmssd_baseline")?, g("ln_rmssd_sd")?);
    let ln_today = g("ln_rmssd")?;
    let (ef_r, ef_rn, ef_b, ef_bn, ctl_p, ctl_b) = (
        g("ef_recent")?,
        g("ef_recent_runs")?,
        g("ef_before")?,
        g("ef_before_runs")?,
        g("ctl_prev")?,
        g("ctl_before")?,
    );
    let (sore, irrit, motiv, stress) =
        (g("j_soreness")?, g("j_irritability")?, g("j_motivation")?, g("j_life_stress")?);
    let (ill, ill_known, planned) = (
        b(features, "j_illness")?,
        b(features, "j_illness_known")?,
        b(features, "j_planned_easy")?,
    );
    let sessions = g("sessions")?;
    let chronic = g("chronic_prev")?;
    let max_avg_hr = g("max_avg_hr")?;
    let ceiling = zone_bounds(athlete)[0].1;
    let rest_every = match athlete.experience.value {
        Experience::New => t::REST_EVERY_DAYS_NEW,
        Experience::Intermediate => t::REST_EVERY_DAYS_INTERMEDIATE,
        Experience::Experienced => t::REST_EVERY_DAYS_EXPERIENCED,
    };
    let mut out = Vec::with_capacity(days.len());
    let mut last_rest: Option<i32> = None;
    for i in 0..days.len() {
        let mut signs: Vec<&'static str> = Vec::new();
        let mut evidence = Vec::new();
        let mut not_checked = Vec::new();
        let mut fire = |sign: &'static str, why: String| {
            if !signs.contains(&sign) {
                signs.push(sign);
            }
            evidence.push(why);
        };

        // Accumulated fatigue: needs the averages to have settled.
        if history[i].unwrap_or(0.0) < t::SETTLE_DAYS as f64 {
            not_checked.push(format!(
                "accumulated_fatigue: fewer than {} days of training history",
                t::SETTLE_DAYS
            ));
        } else {
            if let Some(x) = tsb[i].filter(|&x| x < t::TSB_FLOOR) {
                fire("accumulated_fatigue", format!("form (TSB) {x:.1}, below {}", t::TSB_FLOOR));
            }
            match (acwr[i], chronic[i]) {
                (Some(x), Some(c)) if c >= t::ACWR_MIN_CHRONIC => {
                    if x > t::ACWR_CEILING {
                        fire("accumulated_fatigue", format!("acute:chronic load ratio {x:.2}, above {}", t::ACWR_CEILING));
                    }
                }
                _ => not_checked.push(format!(
                    "accumulated_fatigue (acute:chronic ratio): chronic load under {} a day, too low to compare",
                    t::ACWR_MIN_CHRONIC
                )),
            }
            if let (Some(m), Some(s), Some(top)) = (mono[i], strain[i], strain_max[i])
                && m > t::MONOTONY_CEILING
                && s >= t::STRAIN_SHARE_OF_MAX * top
            {
                fire(
                    "accumulated_fatigue",
                    format!(
                        "monotony {m:.2} above {} with strain {s:.0}, near the highest yet ({top:.0})",
                        t::MONOTONY_CEILING
                    ),
                );
            }
        }

        // Load spike: yesterday's longest run against the 30 days before it.
        match (run_inc[i], longest_prev[i]) {
            (Some(x), Some(d)) if x > t::LONG_RUN_SPIKE_PCT => fire(
                "load_spike",
                format!(
                    "yesterday's {:.1} km run was {x:.0} % longer than any in the 30 days before",
                    d / 1000.0
                ),
            ),
            _ => {}
        }

        // Poor sleep.
        match sleep[i] {
            None => not_checked.push("poor_sleep: no sleep recorded for last night".into()),
            Some(h) => {
                if h < t::SLEEP_MIN_H {
                    fire(
                        "poor_sleep",
                        format!("slept {h:.1} h last night, under {} h", t::SLEEP_MIN_H),
                    );
                } else if let Some(base) =
                    sleep_base[i].filter(|&b| h < b - t::SLEEP_BELOW_BASELINE_H)
                {
                    fire(
                        "poor_sleep",
                        format!(
                            "slept {h:.1} h, more than {} h under the usual {base:.1} h",
                            t::SLEEP_BELOW_BASELINE_H
                        ),
                    );
                }
            }
        }

        // Resting heart rate against the athlete's own baseline.
        match (rhr[i], rhr_base[i]) {
            (Some(r), Some(base)) => {
                if r >= base + t::RHR_ABOVE_BASELINE_BPM {
                    fire(
                        "elevated_resting_hr",
                        format!(
                            "resting HR {r:.0} bpm, {:.0} above the 28-day baseline {base:.0}",
                            r - base
                        ),
                    );
                }
            }
            (None, _) => {
                not_checked.push("elevated_resting_hr: no resting heart rate this morning".into())
            }
            (Some(_), None) => not_checked.push(format!(
                "elevated_resting_hr: fewer than {} days of baseline",
                t::BASELINE_MIN_VALUES
            )),
        }

        // HRV against the athlete's own baseline and its normal variation.
        match (ln_today[i].and(ln[i]), ln_base[i], ln_sd[i]) {
            (Some(x), Some(base), Some(sd)) => {
                if x < base - t::HRV_SD_BELOW * sd {
                    fire(
                        "suppressed_hrv",
                        format!(
                            "7-day mean ln rMSSD {x:.2}, below the 28-day baseline {base:.2} by more than {} SD ({sd:.2})",
                            t::HRV_SD_BELOW
                        ),
                    );
                }
            }
            (None, _, _) => not_checked.push("suppressed_hrv: no HRV this morning".into()),
            _ => not_checked.push(format!(
                "suppressed_hrv: fewer than {} days of baseline",
                t::BASELINE_MIN_VALUES
            )),
        }

        // Stagnation: efficiency on easy runs not improving while load rises.
        match (ef_r[i], ef_b[i], ef_rn[i], ef_bn[i]) {
            (Some(r), Some(bf), Some(rn), Some(bn)) if rn >= t::EF_MIN_RUNS && bn >= t::EF_MIN_RUNS => {
                let rise = match (ctl_p[i], ctl_b[i]) {
                    (Some(now), Some(then)) if then > 0.0 => Some((then, now, (now / then - 1.0) * 100.0)),
                    _ => None,
                };
                if let Some((then, now, pct)) = rise
                    && pct >= t::STAGNATION_CTL_RISE_PCT
                    && r <= bf
                {
                    fire(
                        "stagnation",
                        format!(
                            "efficiency on easy runs {r:.3} vs {bf:.3} three weeks before (not improving) while fitness (CTL) rose {then:.1} -> {now:.1} (+{pct:.0} %)"
                        ),
                    );
                }
            }
            _ => not_checked.push(format!("stagnation: fewer than {} easy runs with heart rate in each of the last two 3-week windows", t::EF_MIN_RUNS)),
        }

        // The journal.
        if !ill_known[i].unwrap_or(false)
            && sore[i].is_none()
            && irrit[i].is_none()
            && motiv[i].is_none()
            && stress[i].is_none()
        {
            not_checked.push(
                "illness, soreness, irritability, low_motivation, life_stress: no journal entry"
                    .into(),
            );
        } else {
            if ill[i].unwrap_or(false) {
                fire("illness", "the journal records illness in the last four days".into());
            }
            if let Some(x) = sore[i].filter(|&x| x >= t::SORENESS_MIN) {
                fire("soreness", format!("soreness {x:.0}/10"));
            }
            if let Some(x) = irrit[i].filter(|&x| x >= t::IRRITABILITY_MIN) {
                fire("irritability", format!("irritability {x:.0}/10"));
            }
            if let Some(x) = motiv[i].filter(|&x| x <= t::MOTIVATION_MAX) {
                fire("low_motivation", format!("motivation {x:.0}/10"));
            }
            if let Some(x) = stress[i].filter(|&x| x >= t::LIFE_STRESS_MIN) {
                fire("life_stress", format!("life stress {x:.0}/10"));
            }
        }

        // A true rest day now and then, whatever else.
        let since_rest = last_rest.map(|r| days[i] - r);
        if let Some(n) = since_rest.filter(|&n| n > rest_every) {
            fire(
                "no_rest_day",
                format!("{} training days in a row; a rest day is due after {rest_every}", n - 1),
            );
        }

        // A hard session yesterday, by the athlete's own standard.
        let typical_load = typical[i].filter(|x| x.is_finite() && *x > 0.0);
        let hard = match (yload[i], typical_load) {
            (Some(l), Some(typ)) => l > 0.0 && l >= t::HARD_FACTOR * typ,
            (Some(l), None) => l >= t::HARD_LOAD_WITHOUT_HISTORY,
            _ => false,
        };
        let hard_why = || match typical_load {
            Some(typ) => format!(
                "yesterday's load {:.0}, at least {}x the usual {typ:.0}",
                yload[i].unwrap_or(0.0),
                t::HARD_FACTOR
            ),
            None => format!(
                "yesterday's load {:.0}, above {} (no training in the 28 days before to compare with)",
                yload[i].unwrap_or(0.0),
                t::HARD_LOAD_WITHOUT_HISTORY
            ),
        };
        let planned_easy = planned[i].unwrap_or(false);

        let call = if !signs.is_empty() {
            Call::PassiveRecovery
        } else if hard && athlete.experience.value == Experience::New {
            evidence.push(format!("{}; new runners recover with a rest day", hard_why()));
            signs.push("hard_session");
            Call::PassiveRecovery
        } else if hard || planned_easy {
            if hard {
                signs.push("hard_session");
                evidence.push(hard_why());
            }
            if planned_easy {
                signs.push("planned_easy");
                evidence.push("the journal plans an easy day".into());
            }
            Call::ActiveRecovery
        } else {
            Call::Train
        };
        let names = signs.iter().map(|s| s.replace('_', " ")).collect::<Vec<_>>().join(", ");
        let explanation = match call {
            Call::PassiveRecovery => format!("Take a rest day: {names}."),
            Call::ActiveRecovery => {
                format!("Easy movement only, heart rate under {ceiling:.0} bpm: {names}.")
            }
            Call::Train => "Train as planned: no sign of overtraining.".to_string(),
        };
        let trained = sessions[i].unwrap_or(0.0) > 0.0;
        let recovery_too_hard = (call == Call::ActiveRecovery && trained)
            .then(|| max_avg_hr[i].unwrap_or(0.0) > ceiling);
        out.push(Day {
            day: days[i],
            call,
            signs,
            evidence,
            not_checked,
            explanation,
            hr_ceiling: ceiling,
            days_since_rest: since_rest,
            recovery_too_hard,
        });
        if !trained {
            last_rest = Some(days[i]);
        }
    }
    Ok(out)
}

/// `recovery.parquet`: the calls with the features they were made from.
pub fn recovery_frame(features: &DataFrame, days: &[Day]) -> PolarsResult<DataFrame> {
    let n = days.len();
    let joined = |v: fn(&Day) -> String| days.iter().map(v).collect::<Vec<_>>();
    let calls = DataFrame::new(
        n,
        vec![
            Column::new("day".into(), days.iter().map(|d| d.day).collect::<Vec<_>>()),
            Column::new("call".into(), days.iter().map(|d| d.call.as_str()).collect::<Vec<_>>()),
            Column::new("signs".into(), joined(|d| d.signs.join(","))),
            Column::new("evidence".into(), joined(|d| d.evidence.join("; "))),
            Column::new("not_checked".into(), joined(|d| d.not_checked.join("; "))),
            Column::new("explanation".into(), joined(|d| d.explanation.clone())),
            Column::new("hr_ceiling".into(), days.iter().map(|d| d.hr_ceiling).collect::<Vec<_>>()),
            Column::new(
                "days_since_rest".into(),
                days.iter().map(|d| d.days_since_rest).collect::<Vec<_>>(),
            ),
            Column::new(
                "recovery_too_hard".into(),
                days.iter().map(|d| d.recovery_too_hard).collect::<Vec<_>>(),
            ),
        ],
    )?;
    let keep = [
        "day",
        "tsb",
        "acwr_prev",
        "monotony_prev",
        "strain_prev",
        "yesterday_load",
        "typical_load",
        "run_increase_prev",
        "sleep_last",
        "sleep_baseline_h",
        "resting_hr",
        "resting_hr_baseline",
        "ln_rmssd",
        "ln_rmssd_7d",
        "ln_rmssd_baseline",
        "ln_rmssd_sd",
        "ef_recent",
        "ef_before",
    ];
    calls
        .lazy()
        .join(
            features.clone().lazy().select(keep.iter().map(|c| col(*c)).collect::<Vec<_>>()),
            [col("day")],
            [col("day")],
            JoinArgs::new(JoinType::Left),
        )
        .with_column(col("day").cast(DataType::Date).alias("date"))
        .select([
            col("date"),
            col("call"),
            col("signs"),
            col("evidence"),
            col("not_checked"),
            col("explanation"),
            col("hr_ceiling"),
            col("tsb"),
            col("acwr_prev").alias("acwr"),
            col("monotony_prev").alias("monotony"),
            col("strain_prev").alias("strain"),
            col("yesterday_load"),
            col("typical_load"),
            col("run_increase_prev").alias("long_run_increase_pct"),
            col("sleep_last").alias("sleep_h"),
            col("sleep_baseline_h"),
            col("resting_hr"),
            col("resting_hr_baseline"),
            col("ln_rmssd"),
            col("ln_rmssd_7d"),
            col("ln_rmssd_baseline"),
            col("ln_rmssd_sd"),
            col("ef_recent"),
            col("ef_before"),
            col("days_since_rest"),
            col("recovery_too_hard"),
        ])
        .collect()
}

#[cfg(test)]
mod tests;
