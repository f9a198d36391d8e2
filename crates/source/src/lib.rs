//! Finds the files of a watch export: walks folders, opens `.zip` archives (nested ones too, as
//! Garmin's "Export Your Data" has) and `.gz` members, and hands each file restday can read to a
//! visitor as decompressed bytes, in a stable order.
//!
//! Nothing is extracted to disk. Every decompression is capped by [`Limits`], so a zip or gzip
//! bomb is reported as an error for that one file instead of being followed. A file that cannot
//! be read becomes a [`Found::Error`] and the walk goes on.
//!
//! Archive members are named `outer.zip!dir/inner.zip!file.fit`: the path of the archive, `!`,
//! the member's name inside it.
//!
//! ```no_run
//! use restday_source::{walk, Found, Limits};
//! walk(&["export.zip".into()], &Limits::default(), &mut |found| {
//!     if let Found::File(f) = found {
//!         println!("{} ({} bytes)", f.path, f.bytes.len());
//!     }
//! });
//! ```

pub mod journal;
pub mod strava;

use std::fs::File;
use std::io::{self, Cursor, Read, Seek};
use std::path::{Path, PathBuf};

/// The kinds of file restday reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Fit,
    Gpx,
    Tcx,
    /// Strava's bulk-export index, `activities.csv`.
    StravaCsv,
    /// The athlete's journal, `journal.csv` (see [`journal`]).
    Journal,
}

/// A readable file, decompressed.
#[derive(Clone, Debug)]
pub struct SourceFile {
    pub path: String,
    pub kind: Kind,
    pub bytes: Vec<u8>,
}

/// What the walk found.
#[derive(Debug)]
pub enum Found {
    File(SourceFile),
    /// A file restday does not read (a PDF, a JSON file, a photo...).
    Skipped {
        path: String,
        size: u64,
        ext: String,
    },
    /// A file or archive member that could not be read.
    Error {
        path: String,
        size: u64,
        reason: String,
    },
}

/// Caps on what the walk will decompress.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Largest single file, after decompression, in bytes.
    pub max_file_bytes: u64,
    /// Largest ratio of decompressed to compressed size for members above `ratio_floor_bytes`.
    pub max_ratio: u64,
    /// Members smaller than this are never refused for their ratio (small files compress well).
    pub ratio_floor_bytes: u64,
    /// How many archives deep the walk goes (an export zip holding a zip is depth 2).
    pub max_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            // The largest real activity files are a few tens of MB; 256 MiB leaves room for
            // year-long monitoring dumps while still refusing bombs.
            max_file_bytes: 256 << 20,
            max_ratio: 200,
            ratio_floor_bytes: 8 << 20,
            max_depth: 4,
        }
    }
}

/// Classifies a file name (case-insensitive). Returns the kind, whether it is gzipped, and
/// whether it is a zip archive.
fn classify(name: &str) -> (Option<Kind>, bool, bool) {
    let lower = name.to_ascii_lowercase();
    let base = lower.rsplit(['/', '\\', '!']).next().unwrap_or(&lower);
    if base == "activities.csv" {
        return (Some(Kind::StravaCsv), false, false);
    }
    if base == "journal.csv" {
        return (Some(Kind::Journal), false, false);
    }
    let (stem, gz) = match base.strip_suffix(".gz") {
        Some(s) => (s, true),
        None => (base, false),
    };
    let kind = if stem.ends_with(".fit") {
        Some(Kind::Fit)
    } else if stem.ends_with(".gpx") {
        Some(Kind::Gpx)
    } else if stem.ends_with(".tcx") {
        Some(Kind::Tcx)
    } else {
        None
    };
    (kind, gz, !gz && stem.ends_with(".zip"))
}

fn extension(name: &str) -> String {
    let base = name.rsplit(['/', '\\', '!']).next().unwrap_or(name);
    match base.rsplit_once('.') {
        Some((_, ext)) if !ext.is_empty() => ext.to_ascii_lowercase(),
        _ => String::new(),
    }
}

/// Walks every input (folders recursively, archives, plain files) and calls `visit` for each
/// file found, in a stable order: inputs as given, folder entries sorted by name, archive
/// members in archive order.
pub fn walk(inputs: &[PathBuf], limits: &Limits, visit: &mut dyn FnMut(Found)) {
    for input in inputs {
        if input.is_dir() {
            let walker = walkdir::WalkDir::new(input).follow_links(true).sort_by_file_name();
            for entry in walker {
                match entry {
                    Ok(e) if e.file_type().is_file() => visit_path(e.path(), limits, visit),
                    Ok(_) => {}
                    Err(err) => {
                        let path = err.path().unwrap_or(input).display().to_string();
                        visit(Found::Error { path, size: 0, reason: err.to_string() });
                    }
                }
            }
        } else {
            visit_path(input, limits, visit);
        }
    }
}

fn visit_path(path: &Path, limits: &Limits, visit: &mut dyn FnMut(Found)) {
    let display = path.display().to_string();
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let (kind, gz, zip) = classify(&display);
    let open = || File::open(path).map_err(|e| format!("cannot open: {e}"));
    if zip {
        match open() {
            Ok(f) => walk_zip(f, &display, 1, limits, visit),
            Err(reason) => visit(Found::Error { path: display, size, reason }),
        }
        return;
    }
    let Some(kind) = kind else {
        visit(Found::Skipped { ext: extension(&display), path: display, size });
        return;
    };
    let read = open().and_then(|f| {
        if gz { gunzip(f, limits) } else { read_capped(f, size, limits.max_file_bytes) }
    });
    visit(match read {
        Ok(bytes) => Found::File(SourceFile { path: display, kind, bytes }),
        Err(reason) => Found::Error { path: display, size, reason },
    });
}

/// Reads at most `max` bytes; more is an error, not a truncation.
fn read_capped(reader: impl Read, size_hint: u64, max: u64) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::with_capacity(size_hint.min(max) as usize);
    reader.take(max + 1).read_to_end(&mut bytes).map_err(|e| format!("read error: {e}"))?;
    if bytes.len() as u64 > max {
        return Err(format!(
            "larger than the {} MiB limit once decompressed; refused as a possible decompression bomb",
            max >> 20
        ));
    }
    Ok(bytes)
}

fn gunzip(reader: impl Read, limits: &Limits) -> Result<Vec<u8>, String> {
    let decoder = flate2::read::MultiGzDecoder::new(io::BufReader::new(reader));
    read_capped(decoder, 0, limits.max_file_bytes).map_err(|e| format!("gzip: {e}"))
}

fn walk_zip<R: Read + Seek>(
    reader: R,
    zip_path: &str,
    depth: usize,
    limits: &Limits,
    visit: &mut dyn FnMut(Found),
) {
    let mut archive = match zip::ZipArchive::new(reader) {
        Ok(a) => a,
        Err(e) => {
            visit(Found::Error {
                path: zip_path.to_string(),
                size: 0,
                reason: format!("not a readable zip archive: {e}"),
            });
            return;
        }
    };
    for index in 0..archive.len() {
        let mut member = match archive.by_index(index) {
            Ok(m) => m,
            Err(e) => {
                visit(Found::Error {
                    path: format!("{zip_path}!#{index}"),
                    size: 0,
                    reason: format!("unreadable zip entry: {e}"),
                });
                continue;
            }
        };
        if member.is_dir() {
            continue;
        }
        let name = member.name().to_string();
        let path = format!("{zip_path}!{name}");
        let size = member.size();
        let (kind, gz, zip) = classify(&name);
        if kind.is_none() && !zip {
            visit(Found::Skipped { ext: extension(&name), path, size });
            continue;
        }
        if zip && depth >= limits.max_depth {
            visit(Found::Error {
                path,
                size,
                reason: format!("archive nested more than {} deep; not opened", limits.max_depth),
            });
            continue;
        }
        let compressed = member.compressed_size().max(1);
        if size > limits.ratio_floor_bytes && size / compressed > limits.max_ratio {
            visit(Found::Error {
                path,
                size,
                reason: format!(
                    "compression ratio {}:1 is beyond {}:1; refused as a possible zip bomb",
                    size / compressed,
                    limits.max_ratio
                ),
            });
            continue;
        }
        // The declared size can lie, so the read itself is capped too.
        let read = read_capped(&mut member, size, limits.max_file_bytes)
            .map_err(|e| format!("zip member: {e}"));
        drop(member);
        let bytes = match read {
            Ok(b) => b,
            Err(reason) => {
                visit(Found::Error { path, size, reason });
                continue;
            }
        };
        if zip {
            walk_zip(Cursor::new(bytes), &path, depth + 1, limits, visit);
            continue;
        }
        let bytes = if gz {
            match gunzip(Cursor::new(bytes), limits) {
                Ok(b) => b,
                Err(reason) => {
                    visit(Found::Error { path, size, reason });
                    continue;
                }
            }
        } else {
            bytes
        };
        if let Some(kind) = kind {
            visit(Found::File(SourceFile { path, kind, bytes }));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_cases() {
        let cases = [
            ("a/b/RUN.FIT", (Some(Kind::Fit), false, false)),
            ("x.gpx.gz", (Some(Kind::Gpx), true, false)),
            ("x.TCX.GZ", (Some(Kind::Tcx), true, false)),
            ("export.zip!activities.csv", (Some(Kind::StravaCsv), false, false)),
            ("UploadedFiles_0-_Part1.zip", (None, false, true)),
            ("notes.pdf", (None, false, false)),
            ("my/Journal.CSV", (Some(Kind::Journal), false, false)),
            ("fit", (None, false, false)),
        ];
        for (name, want) in cases {
            assert_eq!(classify(name), want, "{name}");
        }
    }

    #[test]
    fn extension_of_member() {
        assert_eq!(extension("a.zip!dir/Summary.JSON"), "json");
        assert_eq!(extension("README"), "");
    }

    #[test]
    fn read_capped_refuses_more_than_max() {
        assert_eq!(read_capped(&b"12345"[..], 0, 5).unwrap(), b"12345");
        assert!(read_capped(&b"123456"[..], 0, 5).unwrap_err().contains("limit"));
    }
}
