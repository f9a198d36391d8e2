//! Every threshold the rules use, with where it comes from.

/// Days of training history before the load averages are trusted: CTL and the chronic EWMA
/// start from zero, so early ratios say more about the start of the data than about fatigue.
pub const SETTLE_DAYS: i32 = 28;
/// Form (TSB) below this is far below zero. TrainingPeaks / Friel describe -10 to -30 as the
/// productive range and below -30 as a high risk of overreaching.
pub const TSB_FLOOR: f64 = -30.0;
/// Acute:chronic workload ratio above this is the "danger zone" of Gabbett (2016), also used by
/// Williams et al. (2017) with EWMA loads.
pub const ACWR_CEILING: f64 = 1.5;
/// The ratio is only judged once the chronic load reaches this (Banister TRIMP a day): after a
/// layoff, a chronic load near zero makes any session look like a spike (a known weakness of
/// the ratio, Lolli et al. 2019).
pub const ACWR_MIN_CHRONIC: f64 = 10.0;
/// Foster (1998): weekly monotony above 2.0 with high strain preceded illness and overtraining.
pub const MONOTONY_CEILING: f64 = 2.0;
/// "High strain": at least this share of the highest 7-day strain of the athlete's history
/// (the strain history window is [`STRAIN_HISTORY_DAYS`]).
pub const STRAIN_SHARE_OF_MAX: f64 = 0.9;
pub const STRAIN_HISTORY_DAYS: usize = 365;
/// A long run more than this much longer (in %) than the longest of the 30 days before: the
/// common "no more than 10 % a week" advice, with room for normal variation.
pub const LONG_RUN_SPIKE_PCT: f64 = 30.0;
/// Sleep under 7 h: the American Academy of Sleep Medicine's minimum for adults; athletes
/// need more.
pub const SLEEP_MIN_H: f64 = 7.0;
/// Or more than an hour under the athlete's own 28-night median.
pub const SLEEP_BELOW_BASELINE_H: f64 = 1.0;
/// Personal baselines: the 28 days before, with at least 7 values.
pub const BASELINE_DAYS: usize = 28;
pub const BASELINE_MIN_VALUES: usize = 7;
/// Resting heart rate 5 bpm or more above the 28-day mean (Jeukendrup; Buchheit 2014 treats
/// changes of this size as meaningful).
pub const RHR_ABOVE_BASELINE_BPM: f64 = 5.0;
/// HRV: the mean ln rMSSD of the last 7 mornings (at least 3) below the 28-day mean by more
/// than one SD of the daily values: Plews et al. (2012, 2013) judge a rolling 7-day ln rMSSD
/// against the athlete's own baseline and its normal variation, since single mornings are noisy.
pub const HRV_RECENT_DAYS: usize = 7;
pub const HRV_RECENT_MIN: usize = 3;
pub const HRV_SD_BELOW: f64 = 1.0;
/// Efficiency (speed per beat on easy runs) compared over two windows of this many days, each
/// with at least [`EF_MIN_RUNS`] easy runs.
pub const EF_WINDOW_DAYS: usize = 21;
pub const EF_MIN_RUNS: f64 = 3.0;
/// "While the load rose": CTL (the 42-day load) at least this much (in %) above its value three
/// weeks before. A steady week-on-week load keeps CTL creeping up towards its level for months
/// (by 0.1 % over three weeks even after nine months), which is no rise in training; a real
/// increase of a tenth a week lifts it by far more than this over three weeks.
pub const STAGNATION_CTL_RISE_PCT: f64 = 5.0;
/// Journal scales (0-10) that fire a sign.
pub const SORENESS_MIN: f64 = 6.0;
pub const IRRITABILITY_MIN: f64 = 6.0;
pub const MOTIVATION_MAX: f64 = 3.0;
pub const LIFE_STRESS_MIN: f64 = 7.0;
/// A hard session: a day's load at least this many times the athlete's typical training day
/// (mean load of the days with training in the 28 days before it).
pub const HARD_FACTOR: f64 = 1.5;
pub const HARD_WINDOW_DAYS: usize = 28;
/// Without that history, a Banister TRIMP this high is hard (about an hour in zone 4).
pub const HARD_LOAD_WITHOUT_HISTORY: f64 = 100.0;
/// A true rest day at least this often (days), by experience: new runners need more rest, and
/// even experienced runners need a passive day now and then.
pub const REST_EVERY_DAYS_NEW: i32 = 4;
pub const REST_EVERY_DAYS_INTERMEDIATE: i32 = 7;
pub const REST_EVERY_DAYS_EXPERIENCED: i32 = 10;
