//! The athlete's journal, `journal.csv`: one row per day for what no watch measures.
//!
//! ```text
//! date,soreness,irritability,motivation,sleep_quality,sleep_hours,illness,life_stress,planned_easy,note
//! 2024-05-02,7,2,8,6,7.5,no,3,no,calves sore after hills
//! ```
//!
//! `date` is the athlete-local date the entry describes (a morning's entry describes that day).
//! Scales run 0 (none / very poor) to 10 (severe / excellent); `sleep_hours` is hours;
//! `illness` and `planned_easy` are yes / no (also true / false, 1 / 0). Every column but `date`
//! is optional, and columns may come in any order. A later entry for a date replaces an earlier.

use restday_model::JournalRow;

/// Days since 1970-01-01 of a `YYYY-MM-DD` date; `None` for anything else, a day the month
/// does not have (2023-02-29, 2024-04-31) included.
pub fn parse_day(s: &str) -> Option<i32> {
    let mut it = s.trim().splitn(3, '-');
    let (y, m, d): (i64, i64, i64) =
        (it.next()?.parse().ok()?, it.next()?.parse().ok()?, it.next()?.parse().ok()?);
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let days_in_month = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if !(1..=days_in_month).contains(&d) {
        return None;
    }
    // Howard Hinnant's days_from_civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    i32::try_from(era * 146_097 + doe - 719_468).ok()
}

fn parse_bool(s: &str) -> Result<Option<bool>, String> {
    match s.trim().to_ascii_lowercase().as_str() {
        "" => Ok(None),
        "yes" | "y" | "true" | "1" => Ok(Some(true)),
        "no" | "n" | "false" | "0" => Ok(Some(false)),
        other => Err(format!("{other:?} is not yes or no")),
    }
}

fn parse_scale(s: &str, max: f64) -> Result<Option<f64>, String> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    match s.parse::<f64>() {
        Ok(x) if (0.0..=max).contains(&x) => Ok(Some(x)),
        _ => Err(format!("{s:?} is not a number from 0 to {max}")),
    }
}

/// Parses `journal.csv`. A bad value is an error naming its line and column, so the user can
/// fix it; nothing is half-read.
pub fn parse_journal_csv(bytes: &[u8]) -> Result<Vec<JournalRow>, String> {
    let mut reader =
        csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(bytes);
    let headers = reader.headers().map_err(|e| format!("journal.csv: {e}"))?.clone();
    let col = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let date_col = col("date").ok_or("journal.csv: no date column")?;
    let mut out = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = record.map_err(|e| format!("journal.csv line {line}: {e}"))?;
        let get = |name: &str| col(name).and_then(|c| record.get(c)).unwrap_or("");
        let err = |name: &str, e: String| format!("journal.csv line {line}, {name}: {e}");
        let scale = |name: &str| parse_scale(get(name), 10.0).map_err(|e| err(name, e));
        let flag = |name: &str| parse_bool(get(name)).map_err(|e| err(name, e));
        let date = record.get(date_col).unwrap_or("");
        out.push(JournalRow {
            day: parse_day(date)
                .ok_or_else(|| err("date", format!("{date:?} is not a day written YYYY-MM-DD")))?,
            soreness: scale("soreness")?,
            irritability: scale("irritability")?,
            motivation: scale("motivation")?,
            sleep_quality: scale("sleep_quality")?,
            sleep_hours: parse_scale(get("sleep_hours"), 24.0)
                .map_err(|e| err("sleep_hours", e))?,
            illness: flag("illness")?,
            life_stress: scale("life_stress")?,
            planned_easy: flag("planned_easy")?,
            note: Some(get("note").to_string()).filter(|s| !s.is_empty()),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days() {
        // 2024-05-01 is 19844 days after 1970-01-01 (date -d 2024-05-01 +%s gives 1714521600).
        assert_eq!(parse_day("2024-05-01"), Some(1_714_521_600 / 86_400));
        assert_eq!(parse_day("1970-01-01"), Some(0));
        assert_eq!(parse_day("2024-13-01"), None);
        // Days the month does not have. 2024 is a leap year (divisible by 4), 1900 is not (by
        // 100, not by 400), 2000 is (by 400); 2024-02-29 is 59 days after 2024-01-01, which is
        // 1,704,067,200 s after the epoch.
        assert_eq!(parse_day("2024-02-29"), Some(1_704_067_200 / 86_400 + 59));
        assert_eq!(parse_day("2024-03-01"), Some(1_704_067_200 / 86_400 + 60));
        assert_eq!(parse_day("2023-02-29"), None);
        assert_eq!(parse_day("1900-02-29"), None);
        assert!(parse_day("2000-02-29").is_some());
        assert_eq!(parse_day("2024-04-31"), None);
        assert_eq!(parse_day("2024-04-30"), Some(parse_day("2024-05-01").unwrap() - 1));
        assert_eq!(parse_day("2024-05-00"), None);
        assert_eq!(parse_day("2024-5"), None);
    }

    #[test]
    fn parses_any_column_order_and_blanks() {
        let csv = "note,date,illness,soreness,sleep_hours\nhills,2024-05-02,no,7,7.5\n,2024-05-03,yes,,\n";
        let rows = parse_journal_csv(csv.as_bytes()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].day, parse_day("2024-05-02").unwrap());
        assert_eq!(
            (rows[0].soreness, rows[0].sleep_hours, rows[0].illness),
            (Some(7.0), Some(7.5), Some(false))
        );
        assert_eq!(rows[0].note.as_deref(), Some("hills"));
        assert_eq!(
            (rows[1].soreness, rows[1].illness, rows[1].motivation),
            (None, Some(true), None)
        );
    }

    #[test]
    fn bad_values_name_line_and_column() {
        let err = parse_journal_csv(b"date,soreness\n2024-05-02,11\n").unwrap_err();
        assert_eq!(err, "journal.csv line 2, soreness: \"11\" is not a number from 0 to 10");
        let err = parse_journal_csv(b"date,illness\n2024-05-02,maybe\n").unwrap_err();
        assert!(err.contains("line 2, illness"), "{err}");
        // Written as a date, but no day: 2025 is not a leap year.
        let err = parse_journal_csv(b"date,soreness\n2025-02-28,3\n2025-02-29,7\n").unwrap_err();
        assert_eq!(err, "journal.csv line 3, date: \"2025-02-29\" is not a day written YYYY-MM-DD");
    }
}
