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
//! walk(&["export.zip".into()], &Limits::default(), &restday_source::nothing_seen, &mut |found| {
//!     if let Found::File(f) = found {
//!         println!("{} ({} bytes)", f.path, f.bytes.len());
//!     }
//! });
//! ```

pub mod journal;
pub mod strava;

use std::fs::File;
use std::io::{Cursor, Read, Seek};
use std::panic::{AssertUnwindSafe, catch_unwind};
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
    /// Garmin's daily wellness JSON: `*_sleepData.json`, `*_healthStatusData.json`,
    /// `UDSFile_*.json`. Other JSON files are skipped.
    GarminJson,
}

/// A readable file, decompressed.
#[derive(Clone, Debug)]
pub struct SourceFile {
    pub path: String,
    pub kind: Kind,
    pub bytes: Vec<u8>,
    /// What identifies this version of the file without reading it: size and modification
    /// time on disk (`fs:<size>:<mtime ns>`), size and CRC-32 in an archive
    /// (`zip:<size>:<crc>`). Empty when there is none.
    pub fingerprint: String,
}

/// Asks whether a file with this path and fingerprint was seen before; the walk does not read
/// such a file and reports it as [`Found::Unchanged`].
pub type Seen<'a> = &'a dyn Fn(&str, &str) -> bool;

/// A [`Seen`] that knows nothing: every file is read.
pub fn nothing_seen(_: &str, _: &str) -> bool {
    false
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
    /// A file the [`Seen`] callback knows, by path and fingerprint: not read.
    Unchanged {
        path: String,
    },
    /// An archive whose members have all been visited (it comes after them), with its
    /// fingerprint, so that a later walk can pass over it whole while it is unchanged.
    Archive {
        path: String,
        fingerprint: String,
    },
    /// An archive the [`Seen`] callback knows, by path and fingerprint: not opened.
    UnchangedArchive {
        path: String,
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
    /// Most bytes decompressed from one archive on the command line, nested archives included.
    pub max_archive_bytes: u64,
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
            // Garmin exports of many years reach a few GB; more than 64 GiB is not an export.
            max_archive_bytes: 64 << 30,
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
    if base.ends_with(".json")
        && (base.ends_with("_sleepdata.json")
            || base.ends_with("_healthstatusdata.json")
            || base.starts_with("udsfile_"))
    {
        return (Some(Kind::GarminJson), false, false);
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
pub fn walk(inputs: &[PathBuf], limits: &Limits, seen: Seen, visit: &mut dyn FnMut(Found)) {
    for input in inputs {
        if input.is_dir() {
            let walker = walkdir::WalkDir::new(input).follow_links(true).sort_by_file_name();
            for entry in walker {
                match entry {
                    Ok(e) if e.file_type().is_file() => visit_path(e.path(), limits, seen, visit),
                    Ok(_) => {}
                    Err(err) => {
                        let path = err.path().unwrap_or(input).display().to_string();
                        visit(Found::Error { path, size: 0, reason: err.to_string() });
                    }
                }
            }
        } else {
            visit_path(input, limits, seen, visit);
        }
    }
}

fn visit_path(path: &Path, limits: &Limits, seen: Seen, visit: &mut dyn FnMut(Found)) {
    let display = path.display().to_string();
    let meta = std::fs::metadata(path).ok();
    let size = meta.as_ref().map_or(0, |m| m.len());
    let (kind, gz, zip) = classify(&display);
    let open = || File::open(path).map_err(|e| format!("cannot open: {e}"));
    let mtime = meta
        .and_then(|m| m.modified().ok())
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    let fingerprint = format!("fs:{size}:{mtime}");
    if zip {
        if seen(&display, &fingerprint) {
            visit(Found::UnchangedArchive { path: display });
            return;
        }
        match open() {
            Ok(f) => walk_archive(&f, Raw::File(&f), &display, &fingerprint, limits, seen, visit),
            Err(reason) => visit(Found::Error { path: display, size, reason }),
        }
        return;
    }
    let Some(kind) = kind else {
        visit(Found::Skipped { ext: extension(&display), path: display, size });
        return;
    };
    if seen(&display, &fingerprint) {
        visit(Found::Unchanged { path: display });
        return;
    }
    let read = open().and_then(|f| {
        if gz {
            // Deflate makes nothing much larger than it was: a .gz twice the limit is past it.
            let cap = limits.max_file_bytes.saturating_mul(2);
            if size > cap {
                return Err(format!("gzip: {}", too_large(limits.max_file_bytes)));
            }
            read_capped(f, size, cap)
                .map_err(|e| format!("gzip: {e}"))
                .and_then(|bytes| gunzip_bytes(&bytes, limits))
        } else {
            read_capped(f, size, limits.max_file_bytes)
        }
    });
    visit(match read {
        Ok(bytes) => Found::File(SourceFile { path: display, kind, bytes, fingerprint }),
        Err(reason) => Found::Error { path: display, size, reason },
    });
}

/// Walks one file given as bytes, as if it had been found under `name`: an archive is opened, a
/// `.gz` decompressed, anything else classified. The fuzz tests drive the archive reader
/// through this.
pub fn walk_bytes(name: &str, bytes: Vec<u8>, limits: &Limits, visit: &mut dyn FnMut(Found)) {
    let (kind, gz, zip) = classify(name);
    let size = bytes.len() as u64;
    if zip {
        let fingerprint = format!("bytes:{size}");
        let raw = Raw::Memory(&bytes);
        walk_archive(
            Cursor::new(&bytes[..]),
            raw,
            name,
            &fingerprint,
            limits,
            &nothing_seen,
            visit,
        );
        return;
    }
    let Some(kind) = kind else {
        visit(Found::Skipped { ext: extension(name), path: name.to_string(), size });
        return;
    };
    let read = if gz { gunzip_bytes(&bytes, limits) } else { Ok(bytes) };
    visit(match read {
        Ok(bytes) => Found::File(SourceFile {
            path: name.to_string(),
            kind,
            bytes,
            fingerprint: String::new(),
        }),
        Err(reason) => Found::Error { path: name.to_string(), size, reason },
    });
}

/// Walks an archive from the command line, with its own decompression budget, and turns a
/// panic inside the zip reader into an error for the archive instead of a crash.
fn walk_archive<R: Read + Seek>(
    reader: R,
    raw: Raw<'_>,
    path: &str,
    fingerprint: &str,
    limits: &Limits,
    seen: Seen,
    visit: &mut dyn FnMut(Found),
) {
    let mut budget = limits.max_archive_bytes;
    let walked = catch_unwind(AssertUnwindSafe(|| {
        walk_zip(reader, raw, path, 1, limits, seen, &mut budget, visit)
    }));
    match walked {
        Ok(true) => visit(Found::Archive {
            path: path.to_string(),
            fingerprint: fingerprint.to_string(),
        }),
        Ok(false) => {}
        Err(_) => visit(Found::Error {
            path: path.to_string(),
            size: 0,
            reason: "the zip reader failed on this archive (a malformed archive); members after the fault were not read".into(),
        }),
    }
}

/// Whether an archive member's name could point outside the archive (`../`, an absolute path,
/// a drive letter). Nothing is extracted, but such a name is not something a watch export holds.
fn unsafe_member_name(name: &str) -> bool {
    let n = name.replace('\\', "/");
    n.starts_with('/') || n.split('/').any(|c| c == "..") || n.as_bytes().get(1) == Some(&b':')
}

/// Reads at most `max` bytes; more is an error, not a truncation.
fn read_capped(reader: impl Read, size_hint: u64, max: u64) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::with_capacity(size_hint.min(max) as usize);
    reader.take(max + 1).read_to_end(&mut bytes).map_err(|e| format!("read error: {e}"))?;
    if bytes.len() as u64 > max {
        return Err(too_large(max));
    }
    Ok(bytes)
}

/// The reason a file larger than `max` bytes once decompressed is refused.
fn too_large(max: u64) -> String {
    format!(
        "larger than the {} MiB limit once decompressed; refused as a possible decompression bomb",
        max >> 20
    )
}

/// Decompresses a `.gz` file held in memory: a file of one gzip member (nearly all) by
/// libdeflate, in one call into a buffer of the size its trailer gives
/// ([`gunzip_one_member`]); any other (several members, a trailer that does not hold, bad
/// data) by flate2 ([`gunzip_members`]), which also says what is wrong.
fn gunzip_bytes(bytes: &[u8], limits: &Limits) -> Result<Vec<u8>, String> {
    match gunzip_one_member(bytes, limits.max_file_bytes) {
        Some(out) => Ok(out),
        None => gunzip_members(bytes, limits),
    }
}

/// The gzip header's first three bytes: magic and the deflate method.
const GZIP_MAGIC: [u8; 3] = [0x1f, 0x8b, 0x08];

/// The one gzip member of `bytes` decompressed by libdeflate (1.4x zlib-rs on the members of the
/// generated export, where inflating was an eighth of a 1 GB import's CPU), or `None` when that
/// cannot be vouched for. libdeflate decodes the first member only and does not say where it
/// ended, so it is used only when no second member can follow: the bytes hold no second gzip
/// magic (every member starts with one), and the last four are the size it decoded (the
/// trailer's ISIZE: not a trailer followed by trailing bytes). The size must be within `max`
/// and what deflate can expand the input to; libdeflate checks the member's CRC-32 and size.
fn gunzip_one_member(bytes: &[u8], max: u64) -> Option<Vec<u8>> {
    if !bytes.starts_with(&GZIP_MAGIC) || memchr::memmem::find(&bytes[1..], &GZIP_MAGIC).is_some() {
        return None;
    }
    let isize = u64::from(u32::from_le_bytes(bytes.last_chunk::<4>().copied()?));
    if isize > max || isize > (bytes.len() as u64).saturating_mul(1032) {
        return None;
    }
    let mut out = zeroed(isize as usize);
    let n = inflater(|d| d.gzip_decompress(bytes, &mut out)).ok()?;
    (n as u64 == isize).then_some(out)
}

/// `n` zero bytes for libdeflate to write over, zeroed here rather than asked zeroed from the
/// allocator (`vec![0; n]`): that hands out pages the system must zero, one fault each (a 1 GB
/// import's system time went from 1.1 to 1.8 s with it), where this reuses freed memory.
#[allow(clippy::slow_vector_initialization)] // The point: see above.
fn zeroed(n: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(n);
    out.resize(n, 0);
    out
}

/// Gzip members one after the other, as flate2's `MultiGzDecoder` reads them, with flate2's
/// `Decompress` straight into one buffer, sized from the size the gzip trailer gives (a hint:
/// modulo 4 GiB, of the last member, never past what deflate can expand the input to) and
/// grown only if that was short. Through a reader, each read's room was zeroed first and the
/// buffer grew by doubling (the zeroing alone was 2.7 % of a 1 GB import's CPU samples). The
/// read is capped at the limit.
fn gunzip_members(bytes: &[u8], limits: &Limits) -> Result<Vec<u8>, String> {
    use flate2::{Decompress, FlushDecompress, Status};
    let max = limits.max_file_bytes;
    // Deflate expands at most 1032:1.
    let most = (bytes.len() as u64).saturating_mul(1032);
    let trailer = bytes.len().checked_sub(4).map(|at| &bytes[at..]);
    let hint = trailer.map_or(0, |t| u64::from(u32::from_le_bytes([t[0], t[1], t[2], t[3]])));
    let mut out: Vec<u8> = Vec::with_capacity(hint.min(most).min(max + 1) as usize);
    let mut input = bytes;
    loop {
        let mut member = Decompress::new_gzip(15);
        loop {
            if out.len() == out.capacity() {
                if out.len() as u64 > max {
                    return Err(format!("gzip: {}", too_large(max)));
                }
                out.reserve((out.len() / 2).max(64 << 10));
            }
            let (read, wrote) = (member.total_in(), member.total_out());
            let status = member
                .decompress_vec(&input[read as usize..], &mut out, FlushDecompress::Finish)
                .map_err(|e| format!("gzip: {e}"))?;
            if status == Status::StreamEnd {
                break;
            }
            let stuck = member.total_in() == read && member.total_out() == wrote;
            if stuck && out.len() < out.capacity() {
                return Err("gzip: the data ends before the gzip stream does".into());
            }
        }
        if out.len() as u64 > max {
            return Err(format!("gzip: {}", too_large(max)));
        }
        input = &input[member.total_in() as usize..];
        if input.is_empty() {
            return Ok(out);
        }
    }
}

/// libdeflate's decompressor, one per thread, kept: making one per member zeroed its tables
/// each time (a quarter of a percent of an import's instructions).
fn inflater<T>(inflate: impl FnOnce(&mut libdeflater::Decompressor) -> T) -> T {
    thread_local! {
        static INFLATER: std::cell::RefCell<libdeflater::Decompressor> =
            std::cell::RefCell::new(libdeflater::Decompressor::new());
    }
    INFLATER.with_borrow_mut(inflate)
}

/// A deflated zip member's data inflated by libdeflate in one call into a buffer of its
/// declared size (as for `.gz`, [`gunzip_one_member`]), or `None` when the data does not give
/// exactly that size with the declared CRC-32: the zip reader then reads it again and says
/// what is wrong.
fn inflate_member(deflated: &[u8], size: u64, crc: u32) -> Option<Vec<u8>> {
    let mut out = zeroed(usize::try_from(size).ok()?);
    let n = inflater(|d| d.deflate_decompress(deflated, &mut out)).ok()?;
    (n as u64 == size && libdeflater::crc32(&out) == crc).then_some(out)
}

/// Where an archive's bytes are, to read a member's data past the zip reader: `read_to_end`
/// fills the buffer with zeros before reading into it from a reader without `read_buf`, as the
/// zip reader is (a `memset` of every member, 1 % of an import's instructions). A file reads
/// into a buffer's spare room; an archive in memory (a nested one) is sliced, not copied.
#[derive(Clone, Copy)]
enum Raw<'a> {
    File(&'a File),
    Memory(&'a [u8]),
}

impl<'a> Raw<'a> {
    /// The `len` bytes at `start`, or `None` when they are not all there.
    fn bytes(self, start: u64, len: u64) -> Option<std::borrow::Cow<'a, [u8]>> {
        use std::borrow::Cow;
        match self {
            Raw::File(mut f) => {
                // The zip reader seeks to a member before reading it, so moving the file's
                // position here between members is safe.
                f.seek(std::io::SeekFrom::Start(start)).ok()?;
                let mut out = Vec::with_capacity(usize::try_from(len).ok()?);
                f.take(len).read_to_end(&mut out).ok()?;
                (out.len() as u64 == len).then_some(Cow::Owned(out))
            }
            Raw::Memory(bytes) => {
                let start = usize::try_from(start).ok()?;
                let end = start.checked_add(usize::try_from(len).ok()?)?;
                bytes.get(start..end).map(Cow::Borrowed)
            }
        }
    }
}

/// A stored or deflated member's bytes read past the zip reader (see [`Raw`]) and checked
/// against the directory's size and CRC-32, or `None` (another method, a member that does
/// not check out): the zip reader then reads it and says what is wrong.
fn read_member(
    raw: Raw<'_>,
    method: zip::CompressionMethod,
    start: u64,
    packed: u64,
    size: u64,
    crc: u32,
) -> Option<Vec<u8>> {
    match method {
        zip::CompressionMethod::Stored if packed == size => {
            let bytes = raw.bytes(start, size)?;
            (libdeflater::crc32(&bytes) == crc).then(|| bytes.into_owned())
        }
        // Deflate data is at most a little longer than what it holds (stored blocks).
        zip::CompressionMethod::Deflated if packed <= size + size / 64 + 1024 => {
            inflate_member(&raw.bytes(start, packed)?, size, crc)
        }
        _ => None,
    }
}

/// Walks a zip archive's members; false when the archive could not be opened at all.
#[allow(clippy::too_many_arguments)]
fn walk_zip<R: Read + Seek>(
    reader: R,
    raw: Raw<'_>,
    zip_path: &str,
    depth: usize,
    limits: &Limits,
    seen: Seen,
    budget: &mut u64,
    visit: &mut dyn FnMut(Found),
) -> bool {
    let mut archive = match zip::ZipArchive::new(reader) {
        Ok(a) => a,
        Err(e) => {
            visit(Found::Error {
                path: zip_path.to_string(),
                size: 0,
                reason: format!("not a readable zip archive: {e}"),
            });
            return false;
        }
    };
    for index in 0..archive.len() {
        let member = match archive.by_index(index) {
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
        if unsafe_member_name(&name) {
            visit(Found::Error {
                path,
                size,
                reason:
                    "member name points outside the archive (../ or an absolute path); not read"
                        .into(),
            });
            continue;
        }
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
        // The central directory gives size and CRC-32 without decompressing: a member seen
        // before with both the same is not read again.
        let fingerprint = format!("zip:{size}:{:08x}", member.crc32());
        if seen(&path, &fingerprint) {
            visit(if zip { Found::UnchangedArchive { path } } else { Found::Unchanged { path } });
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
        if size > *budget {
            visit(Found::Error {
                path,
                size,
                reason: format!(
                    "the archive decompresses to more than {} GiB in all; refused as a possible zip bomb",
                    limits.max_archive_bytes >> 30
                ),
            });
            continue;
        }
        // The declared size can lie, so the read itself is capped too.
        let cap = limits.max_file_bytes.min(*budget);
        let (method, start, packed, crc) =
            (member.compression(), member.data_start(), member.compressed_size(), member.crc32());
        drop(member);
        let read =
            match (size <= cap).then(|| read_member(raw, method, start, packed, size, crc)) {
                Some(Some(bytes)) => Ok(bytes),
                // Through the zip reader, which says what is wrong.
                _ => archive
                    .by_index(index)
                    .map_err(|e| format!("unreadable zip entry: {e}"))
                    .and_then(|mut m| read_capped(&mut m, size, cap)),
            }
            .map_err(|e| format!("zip member: {e}"));
        if let Ok(b) = &read {
            *budget -= b.len() as u64;
        }
        let bytes = match read {
            Ok(b) => b,
            Err(reason) => {
                visit(Found::Error { path, size, reason });
                continue;
            }
        };
        if zip {
            let (reader, raw) = (Cursor::new(&bytes[..]), Raw::Memory(&bytes));
            if walk_zip(reader, raw, &path, depth + 1, limits, seen, budget, visit) {
                visit(Found::Archive { path, fingerprint });
            }
            continue;
        }
        let bytes = if gz {
            match gunzip_bytes(&bytes, limits) {
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
            visit(Found::File(SourceFile { path, kind, bytes, fingerprint }));
        }
    }
    true
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
            (
                "g.zip!DI_CONNECT/DI-Connect-Wellness/2024-01-01_2024-04-10_12345_sleepData.json",
                (Some(Kind::GarminJson), false, false),
            ),
            (
                "DI-Connect-Aggregator/UDSFile_2024-01-01_2024-04-10.json",
                (Some(Kind::GarminJson), false, false),
            ),
            ("x_healthStatusData.json", (Some(Kind::GarminJson), false, false)),
            ("DI-Connect-Fitness/user_fitness.json", (None, false, false)),
            ("UploadedFiles_0-_Part1.zip", (None, false, true)),
            ("notes.pdf", (None, false, false)),
            ("my/Journal.CSV", (Some(Kind::Journal), false, false)),
            ("fit", (None, false, false)),
        ];
        for (name, want) in cases {
            assert_eq!(classify(name), want, "{name}");
        }
    }

    /// flate2's reader of gzip members, the oracle for [`gunzip_bytes`].
    fn gunzip(reader: impl Read, limits: &Limits) -> Result<Vec<u8>, String> {
        let decoder = flate2::read::MultiGzDecoder::new(std::io::BufReader::new(reader));
        read_capped(decoder, 0, limits.max_file_bytes).map_err(|e| format!("gzip: {e}"))
    }

    fn gz(level: u32, data: &[u8]) -> Vec<u8> {
        use std::io::Write as _;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(level));
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn gunzip_in_memory_reads_what_flate2s_reader_reads() {
        // 300 kB that compress about 10:1, and a member of other content after it.
        let data: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8 ^ (i / 4096) as u8).collect();
        let other = b"second member".repeat(1000);
        let one = gz(6, &data);
        let mut two = gz(1, &data);
        two.extend(gz(9, &other));
        let limits = Limits::default();
        let by_reader = |b: &[u8]| gunzip(Cursor::new(b.to_vec()), &limits).unwrap();
        assert_eq!(gunzip_bytes(&one, &limits).unwrap(), data);
        // Two members: the trailer's size, the hint, is the second's, far short; the buffer
        // grows.
        let both = gunzip_bytes(&two, &limits).unwrap();
        assert_eq!(both.len(), data.len() + other.len());
        assert_eq!(both, by_reader(&two));
        // A trailer whose size lies (a huge one would be a huge buffer but for the cap) is a
        // corrupt file, as for the reader: the inflater checks it.
        for isize in [0u32, 1, 17, u32::MAX] {
            let mut lied = one.clone();
            let at = lied.len() - 4;
            lied[at..].copy_from_slice(&isize.to_le_bytes());
            assert!(gunzip_bytes(&lied, &limits).is_err(), "{isize}");
            assert!(gunzip(Cursor::new(lied), &limits).is_err(), "{isize}");
        }
        // Cut short, empty, or followed by bytes that are no gzip member: errors.
        assert!(gunzip_bytes(&one[..one.len() / 2], &limits).is_err());
        assert!(gunzip_bytes(&one[..one.len() - 3], &limits).is_err());
        assert!(gunzip_bytes(&[], &limits).is_err());
        let mut trailing = one.clone();
        trailing.extend(b"not gzip");
        assert!(gunzip_bytes(&trailing, &limits).is_err());
        // Past the limit: refused, however the hint is.
        let small = Limits { max_file_bytes: 100_000, ..Limits::default() };
        let err = gunzip_bytes(&one, &small).unwrap_err();
        assert!(err.contains("decompression bomb"), "{err}");
        assert_eq!(gunzip_bytes(&gz(6, &data[..100_000]), &small).unwrap(), &data[..100_000]);
    }

    #[test]
    fn libdeflate_reads_a_member_only_when_no_second_can_follow() {
        let data: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8 ^ (i / 4096) as u8).collect();
        let one = gz(9, &data);
        let max = Limits::default().max_file_bytes;
        let by_reader = gunzip(Cursor::new(one.clone()), &Limits::default()).unwrap();
        assert_eq!(gunzip_one_member(&one, max).as_deref(), Some(&by_reader[..]));
        assert_eq!(gunzip_one_member(&gz(6, b""), max).as_deref(), Some(&[][..]));
        // The same member twice (`cat a.gz a.gz`): the last trailer is the first member's too,
        // so only the second magic tells; flate2 reads both.
        let twice = [one.clone(), one.clone()].concat();
        assert_eq!(gunzip_one_member(&twice, max), None);
        assert_eq!(gunzip_bytes(&twice, &Limits::default()).unwrap(), [&data[..], &data].concat());
        // Trailing bytes, a trailer that lies about the size, the limit, not gzip at all: none.
        let trailing = [&one[..], b"trailing"].concat();
        assert_eq!(gunzip_one_member(&trailing, max), None);
        let mut lied = one.clone();
        let at = lied.len() - 4;
        lied[at..].copy_from_slice(&(data.len() as u32 - 1).to_le_bytes());
        assert_eq!(gunzip_one_member(&lied, max), None);
        assert_eq!(gunzip_one_member(&one, data.len() as u64 - 1), None);
        assert_eq!(gunzip_one_member(&data, max), None);
        assert_eq!(gunzip_one_member(&[], max), None);
        // A bit flipped inside the deflate data: libdeflate refuses it (the CRC-32 or the code).
        let mut flipped = one.clone();
        flipped[one.len() / 2] ^= 0x10;
        assert_eq!(gunzip_one_member(&flipped, max), None);
        assert!(gunzip_bytes(&flipped, &Limits::default()).is_err());
    }

    #[test]
    fn extension_of_member() {
        assert_eq!(extension("a.zip!dir/Summary.JSON"), "json");
        assert_eq!(extension("README"), "");
    }

    fn zip_of(entries: &[(&str, Vec<u8>)]) -> Vec<u8> {
        zip_with(zip::CompressionMethod::Deflated, entries)
    }

    fn zip_with(method: zip::CompressionMethod, entries: &[(&str, Vec<u8>)]) -> Vec<u8> {
        use std::io::Write;
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default().compression_method(method);
        for (name, bytes) in entries {
            w.start_file(*name, opts).unwrap();
            w.write_all(bytes).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    fn outcomes(name: &str, bytes: Vec<u8>, limits: &Limits) -> Vec<String> {
        let mut out = Vec::new();
        walk_bytes(name, bytes, limits, &mut |f| {
            out.push(match f {
                Found::File(f) => format!("file {}", f.path),
                Found::Skipped { path, .. } => format!("skipped {path}"),
                Found::Error { path, reason, .. } => format!("error {path}: {reason}"),
                Found::Unchanged { path } => format!("unchanged {path}"),
                Found::Archive { path, .. } => format!("archive {path}"),
                Found::UnchangedArchive { path } => format!("unchanged archive {path}"),
            })
        });
        out
    }

    #[test]
    fn deflated_members_read_whole_and_a_damaged_one_is_an_error() {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 253) as u8 ^ (i / 999) as u8).collect();
        let zip = zip_of(&[("a.fit", data.clone()), ("b.fit", Vec::new())]);
        let mut files = Vec::new();
        walk_bytes("x.zip", zip.clone(), &Limits::default(), &mut |f| {
            if let Found::File(f) = f {
                files.push((f.path, f.bytes));
            }
        });
        assert_eq!(
            files,
            [("x.zip!a.fit".to_string(), data.clone()), ("x.zip!b.fit".into(), vec![])]
        );
        // Read by libdeflate, given the size and CRC-32 the directory declares; any other is
        // refused (and left to the zip reader).
        let mut archive = zip::ZipArchive::new(Cursor::new(zip.clone())).unwrap();
        let member = archive.by_index(0).unwrap();
        let (crc, start, packed) = (member.crc32(), member.data_start(), member.compressed_size());
        let deflated = &zip[start as usize..(start + packed) as usize];
        let n = data.len() as u64;
        assert_eq!(inflate_member(deflated, n, crc), Some(data));
        assert_eq!(inflate_member(deflated, n, crc ^ 1), None);
        assert_eq!(inflate_member(deflated, n - 1, crc), None);
        assert_eq!(inflate_member(deflated, n + 1, crc), None);
        // A byte of a.fit's deflate data changed: whatever libdeflate makes of it, the CRC-32
        // or the code gives it away, and the zip reader's error is the file's.
        let data_start = 30 + 5 + usize::from(u16::from_le_bytes([zip[28], zip[29]]));
        let mut damaged = zip;
        damaged[data_start + 1000] ^= 0x55;
        let got = outcomes("x.zip", damaged, &Limits::default());
        assert!(got[0].starts_with("error x.zip!a.fit: zip member: "), "{got:?}");
        assert_eq!(got[1], "file x.zip!b.fit");
    }

    #[test]
    fn members_read_past_the_zip_reader_from_a_file_or_memory_and_a_damaged_one_is_an_error() {
        // Stored members (as Garmin's export stores its files), one in a nested archive, read
        // from the archive on disk (a file) and as bytes (memory): each as it was written.
        let data: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8 ^ (i / 777) as u8).collect();
        let stored =
            |entries: &[(&str, Vec<u8>)]| zip_with(zip::CompressionMethod::Stored, entries);
        let inner = stored(&[("c.fit", data[..5000].to_vec())]);
        let zip = stored(&[("a.fit", data.clone()), ("b.fit", vec![]), ("in.zip", inner)]);
        let want = [
            ("x.zip!a.fit".to_string(), data.clone()),
            ("x.zip!b.fit".into(), vec![]),
            ("x.zip!in.zip!c.fit".into(), data[..5000].to_vec()),
        ];
        let dir = tempfile::tempdir().unwrap();
        let on_disk = dir.path().join("x.zip");
        // Files as (path, bytes), errors as (path, reason).
        fn read(walk: impl FnOnce(&mut dyn FnMut(Found))) -> Vec<(String, Vec<u8>)> {
            let mut files = Vec::new();
            walk(&mut |f| match f {
                Found::File(f) => files.push((f.path, f.bytes)),
                Found::Error { path, reason, .. } => files.push((path, reason.into_bytes())),
                _ => {}
            });
            files
        }
        let from_memory =
            |zip: Vec<u8>| read(|visit| walk_bytes("x.zip", zip, &Limits::default(), visit));
        let from_file = |zip: &[u8]| {
            std::fs::write(&on_disk, zip).unwrap();
            let paths = std::slice::from_ref(&on_disk);
            let files = read(|visit| walk(paths, &Limits::default(), &nothing_seen, visit));
            // Named from the file's path: keep what follows it.
            let prefix = format!("{}!", on_disk.display());
            files.into_iter().map(|(p, b)| (p.replace(&prefix, "x.zip!"), b)).collect::<Vec<_>>()
        };
        assert_eq!(from_memory(zip.clone()), want);
        assert_eq!(from_file(&zip), want);
        // A byte of a.fit changed: its CRC-32 gives it away, and the zip reader's error is the
        // file's, read either way; the other members are read as before.
        let start = 30 + 5 + usize::from(u16::from_le_bytes([zip[28], zip[29]]));
        let mut damaged = zip;
        damaged[start + 1000] ^= 0x55;
        for files in [from_memory(damaged.clone()), from_file(&damaged)] {
            assert_eq!(files[0].0, "x.zip!a.fit");
            let reason = String::from_utf8(files[0].1.clone()).unwrap();
            assert!(reason.starts_with("zip member: "), "{reason}");
            assert_eq!(files[1..], want[1..]);
        }
    }

    #[test]
    fn the_archive_budget_counts_nested_members() {
        // Three 6,000-byte members, one inside a nested zip; a budget of 13,000 bytes admits two.
        let inner = zip_of(&[("b.fit", vec![1; 6000])]);
        let outer =
            zip_of(&[("a.fit", vec![2; 6000]), ("in.zip", inner), ("c.fit", vec![3; 6000])]);
        let limits = Limits { max_archive_bytes: 13_000, ..Limits::default() };
        let got = outcomes("x.zip", outer, &limits);
        assert_eq!(got[0], "file x.zip!a.fit");
        assert_eq!(got[1], "file x.zip!in.zip!b.fit");
        // The nested archive was walked to the end, and so, last, was the outer one.
        assert_eq!(got[2], "archive x.zip!in.zip");
        assert!(
            got[3].starts_with("error x.zip!c.fit: the archive decompresses to more than"),
            "{got:?}"
        );
        assert_eq!(got[4], "archive x.zip");
    }

    #[test]
    fn garbage_named_zip_is_one_error() {
        let got = outcomes("x.zip", b"PK\x03\x04 not really".to_vec(), &Limits::default());
        assert_eq!(got.len(), 1);
        assert!(got[0].starts_with("error x.zip: not a readable zip archive"), "{got:?}");
    }

    #[test]
    fn unsafe_names() {
        for (name, bad) in [
            ("../../etc/passwd", true),
            ("/etc/passwd", true),
            ("a/../../b.fit", true),
            ("C:\\Windows\\x.fit", true),
            ("dir\\..\\x.fit", true),
            ("DI_CONNECT/a..b.fit", false),
            ("activities/1.fit.gz", false),
        ] {
            assert_eq!(unsafe_member_name(name), bad, "{name}");
        }
    }

    #[test]
    fn read_capped_refuses_more_than_max() {
        assert_eq!(read_capped(&b"12345"[..], 0, 5).unwrap(), b"12345");
        assert!(read_capped(&b"123456"[..], 0, 5).unwrap_err().contains("limit"));
    }
}
