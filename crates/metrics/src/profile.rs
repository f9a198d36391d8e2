//! The athlete profile (`restday.toml` in the data folder, or `--profile FILE`) and the values in
//! force once missing ones are estimated from the data.

use serde::Deserialize;
use std::fmt;

#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Sex {
    #[default]
    Male,
    Female,
}

#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Experience {
    New,
    #[default]
    Intermediate,
    Experienced,
}

/// How heart-rate zones are bounded.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ZoneModel {
    /// Percent of maximum heart rate: zone k covers 40+10k % to 50+10k % (50-60 ... 90-100).
    Max,
    /// Percent of heart-rate reserve (Karvonen): the same bands over (HR - rest) / (max - rest).
    #[default]
    Hrr,
    /// Percent of lactate-threshold heart rate (Friel): <85, 85-90, 90-95, 95-100, >=100 %.
    Lthr,
}

#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum WeekStart {
    #[default]
    Monday,
    Sunday,
}

/// The profile as the user wrote it; every field is optional.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub max_hr: Option<f64>,
    pub resting_hr: Option<f64>,
    pub lthr: Option<f64>,
    pub sex: Option<Sex>,
    pub experience: Option<Experience>,
    pub zone_model: Option<ZoneModel>,
    pub week_start: Option<WeekStart>,
    /// The athlete's UTC offset for GPX / TCX activities, which carry none, as `+02:00`.
    pub utc_offset: Option<String>,
}

impl Profile {
    pub fn parse(text: &str) -> Result<Profile, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }
}

/// Where a value in force came from.
#[derive(Clone, Debug, PartialEq)]
pub enum Source {
    Profile,
    Estimated(String),
    Default,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Profile => f.write_str("profile"),
            Source::Estimated(how) => write!(f, "estimated: {how}"),
            Source::Default => f.write_str("default"),
        }
    }
}

/// A value and where it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Valued<T> {
    pub value: T,
    pub source: Source,
}

impl<T> Valued<T> {
    pub fn new(value: T, source: Source) -> Self {
        Valued { value, source }
    }
}

/// The profile in force: every value present, each with its source.
#[derive(Clone, Debug, PartialEq)]
pub struct Athlete {
    pub max_hr: Valued<f64>,
    pub resting_hr: Valued<f64>,
    pub lthr: Valued<Option<f64>>,
    pub sex: Valued<Sex>,
    pub experience: Valued<Experience>,
    pub zone_model: Valued<ZoneModel>,
    pub week_start: Valued<WeekStart>,
    /// Seconds east of UTC for activities without their own offset.
    pub utc_offset_s: Valued<i32>,
}

/// Parses `+02:00`, `-05:30`, `+2`, `Z` or `UTC` into seconds east of UTC.
pub fn parse_offset(s: &str) -> Option<i32> {
    let s = s.trim();
    if s.eq_ignore_ascii_case("z") || s.eq_ignore_ascii_case("utc") {
        return Some(0);
    }
    let (sign, rest) = match s.as_bytes().first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => return None,
    };
    let (h, m) = rest.split_once(':').unwrap_or((rest, "0"));
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    ((0..=14).contains(&h) && (0..60).contains(&m)).then_some(sign * (h * 3600 + m * 60))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_full_profile() {
        let p = Profile::parse(
            "max_hr = 190\nresting_hr = 48\nlthr = 172\nsex = \"female\"\nexperience = \"new\"\n\
             zone_model = \"lthr\"\nweek_start = \"sunday\"\nutc_offset = \"+02:00\"\n",
        )
        .unwrap();
        assert_eq!(p.max_hr, Some(190.0));
        assert_eq!(p.sex, Some(Sex::Female));
        assert_eq!(p.zone_model, Some(ZoneModel::Lthr));
        assert_eq!(p.week_start, Some(WeekStart::Sunday));
    }

    #[test]
    fn rejects_unknown_keys_with_their_name() {
        let err = Profile::parse("maxhr = 190").unwrap_err();
        assert!(err.contains("maxhr"), "{err}");
    }

    #[test]
    fn offsets() {
        let cases = [
            ("+02:00", Some(7200)),
            ("-05:30", Some(-19800)),
            ("+2", Some(7200)),
            ("Z", Some(0)),
            ("2", None),
            ("+15:00", None),
        ];
        for (s, want) in cases {
            assert_eq!(parse_offset(s), want, "{s}");
        }
    }
}
