//! Strava's bulk export index: `activities.csv`, one row per activity, whose `Filename` column
//! (`activities/123.fit.gz`) names the activity's file relative to the export's root.

/// The name and type Strava gives one exported activity file.
#[derive(Clone, Debug, PartialEq)]
pub struct StravaActivity {
    /// The file, relative to the export root, as the CSV writes it.
    pub filename: String,
    pub name: Option<String>,
    pub activity_type: Option<String>,
}

/// Parses `activities.csv`. Rows without a `Filename` (manual entries have none) are left out.
/// Columns are found by header name, since Strava has added columns over the years.
pub fn parse_activities_csv(bytes: &[u8]) -> Result<Vec<StravaActivity>, String> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let headers = reader.headers().map_err(|e| format!("activities.csv: {e}"))?.clone();
    let col = |name: &str| headers.iter().position(|h| h.trim() == name);
    let file_col = col("Filename").ok_or("activities.csv: no Filename column")?;
    let (name_col, type_col) = (col("Activity Name"), col("Activity Type"));
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| format!("activities.csv: {e}"))?;
        let field = |c: Option<usize>| {
            c.and_then(|c| record.get(c))
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        if let Some(filename) = field(Some(file_col)) {
            out.push(StravaActivity {
                filename,
                name: field(name_col),
                activity_type: field(type_col),
            });
        }
    }
    Ok(out)
}

/// The folder that `Filename` entries in the CSV at `csv_path` are relative to, with its
/// trailing separator: `export.zip!` for `export.zip!activities.csv`, `/x/export/` for
/// `/x/export/activities.csv`.
pub fn export_root(csv_path: &str) -> &str {
    let cut = csv_path.len() - "activities.csv".len().min(csv_path.len());
    &csv_path[..cut]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_named_columns_and_skips_manual_entries() {
        let csv = "Activity ID,Activity Date,Activity Name,Activity Type,Elapsed Time,Filename\n\
                   1,\"Jan 1, 2024, 7:00:00 AM\",Morning Run,Run,3600,activities/1.fit.gz\n\
                   2,\"Jan 2, 2024, 7:00:00 AM\",Manual,Run,600,\n\
                   3,\"Jan 3, 2024, 7:00:00 AM\",\"Hills, again\",Ride,5400,activities/3.gpx\n";
        let rows = parse_activities_csv(csv.as_bytes()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].filename, "activities/1.fit.gz");
        assert_eq!(rows[0].name.as_deref(), Some("Morning Run"));
        assert_eq!(rows[1].name.as_deref(), Some("Hills, again"));
        assert_eq!(rows[1].activity_type.as_deref(), Some("Ride"));
    }

    #[test]
    fn root_of_csv_inside_zip_and_folder() {
        assert_eq!(export_root("export.zip!activities.csv"), "export.zip!");
        assert_eq!(export_root("/x/export/activities.csv"), "/x/export/");
    }
}
