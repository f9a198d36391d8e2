//! The restday dataset: a folder of Parquet files that pandas, Polars, DuckDB and Spark read as
//! they are. This crate is the only code that touches that folder.
//!
//! | file | what |
//! |---|---|
//! | `activities.parquet` | one row per activity |
//! | `samples/year=YYYY/part-<commit>.parquet` | one row per sample, hive-partitioned by the activity's UTC start year; a commit only adds files |
//! | `wellness_readings/part-<commit>.parquet` | one row per wellness reading (FIT) or daily value (Garmin JSON); a commit only adds files |
//! | `hr_seconds/part-<commit>.parquet` | per activity and heart rate, the seconds at it, and the activity's sustained heart rate: the metrics' input, computed from the samples as they are written |
//! | `wellness.parquet` | one row per athlete-local date, derived from the readings |
//! | `imports.parquet` | the ledger: one row per file seen, with its outcome |
//! | `archives.parquet` | the archives walked to the end, with their fingerprints |
//!
//! **Atomic commits.** Every table is written to a temporary name, flushed to disk and renamed
//! into place. A commit writes its sample, figure and wellness-reading parts under a `.pending`
//! name that readers skip (flushed to disk in the background, by a thread of its own), then
//! `activities.parquet`, `journal.parquet`, `archives.parquet`, and, once every part is on
//! disk, `imports.parquet`, which makes the commit real; only then are the parts renamed to
//! `.parquet`. A row or part whose `commit_id` is not in the ledger belongs to a
//! commit that never finished, and [`Store::open`] removes it; a pending part whose commit is in
//! the ledger is renamed into place. So a crash at any point leaves the previous dataset readable,
//! readers never see samples of an unfinished commit, and the next import redoes the lost work.
//!
//! **One writer.** [`Store::open`] takes an exclusive lock on `.lock` in the folder; a second
//! writer gets [`StoreError::Locked`] at once.

pub mod tables;

use polars::prelude::*;
use polars_parquet::write::CompressionOptions;
use rayon::prelude::*;
use restday_model::LedgerRow;
use std::collections::{BTreeMap, HashSet};
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use thiserror::Error;

pub use tables::{StoredActivity, StoredWellness};

pub const ACTIVITIES: &str = "activities.parquet";
/// The daily wellness table, derived from [`WELLNESS_READINGS`] after each import.
pub const WELLNESS: &str = "wellness.parquet";
/// The folder of wellness-reading parts, `part-<commit>.parquet`.
pub const WELLNESS_READINGS: &str = "wellness_readings";
pub const IMPORTS: &str = "imports.parquet";
pub const ARCHIVES: &str = "archives.parquet";
pub const SAMPLES: &str = "samples";
/// The folder of per-activity figure parts, `part-<commit>.parquet`: one row per activity and
/// heart rate (see [`Store::summarize_samples_with`]).
pub const HR_SECONDS: &str = "hr_seconds";
pub const JOURNAL: &str = "journal.parquet";
pub const DAILY: &str = "daily.parquet";
pub const RECOVERY: &str = "recovery.parquet";
pub const WEEKLY: &str = "weekly.parquet";
/// The per-activity figures that need samples (load, zones, sustained heart rate), kept so a
/// refresh reads only the samples of new activities. Deleting it costs one full read.
pub const LOAD_CACHE: &str = "activity_load.parquet";
/// The athlete profile, if the user keeps it in the data folder.
pub const PROFILE: &str = "restday.toml";
const LOCK: &str = ".lock";
const TMP_SUFFIX: &str = ".tmp";
const PENDING_SUFFIX: &str = ".pending";

/// The default of [`Store::hold_rows`]'s `part_rows`.
pub const PART_ROWS: usize = 65_536;
/// The default of [`Store::hold_rows`]'s `held_rows`: about 20 MB of samples.
pub const HELD_ROWS: usize = 262_144;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("another restday process is writing to {0}; wait for it to finish and run again")]
    Locked(PathBuf),
    // The cause is the error's source: `{:#}` in the binary prints it after the path.
    #[error("{}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{}", path.display())]
    Parquet { path: PathBuf, source: PolarsError },
}

type Result<T> = std::result::Result<T, StoreError>;

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io { path: path.to_path_buf(), source }
}

fn pq_err(path: &Path) -> impl FnOnce(PolarsError) -> StoreError + '_ {
    move |source| StoreError::Parquet { path: path.to_path_buf(), source }
}

/// Reads a Parquet file; a missing file is `None`.
pub fn read_parquet(path: &Path) -> Result<Option<DataFrame>> {
    read_parquet_with(path, None)
}

/// The tables every commit rewrites whole get Snappy, which compresses several times faster
/// than zstd (on a 1 GB import, zstd on the ledger alone took a tenth of the time); the rest
/// (sample parts, written once; the derived tables) get zstd, which makes smaller files. Every
/// Parquet reader reads both.
fn compression_for(path: &Path) -> CompressionOptions {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    if [ACTIVITIES, IMPORTS, ARCHIVES, JOURNAL].iter().any(|t| name.starts_with(t)) {
        CompressionOptions::Snappy
    } else {
        CompressionOptions::Zstd(None)
    }
}

/// Reads only `columns` of a Parquet file (the others are not decompressed); a missing file is
/// `None`.
pub fn read_parquet_columns(path: &Path, columns: &[&str]) -> Result<Option<DataFrame>> {
    read_parquet_with(path, Some(columns.iter().map(|c| c.to_string()).collect()))
}

fn read_parquet_with(path: &Path, columns: Option<Vec<String>>) -> Result<Option<DataFrame>> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_err(path)(e)),
    };
    ParquetReader::new(file).with_columns(columns).finish().map(Some).map_err(pq_err(path))
}

/// Writes `df` to `path` atomically (see [`write_atomic`]).
fn write_parquet_atomic(path: &Path, df: &DataFrame) -> Result<()> {
    write_atomic(path, parquet_of(path, df))
}

/// Writes `df` as the table at `path` (with its compression) to a file being written.
fn parquet_of<'a>(
    path: &'a Path,
    df: &'a DataFrame,
) -> impl FnOnce(&mut std::io::BufWriter<File>) -> PolarsResult<()> + 'a {
    move |out| tables::write_table(df, tables::UNIQUE_STRINGS, compression_for(path), out)
}

/// Writes a file to `path` atomically: `write` fills a temporary file in the same folder, which
/// is flushed to disk and then renamed over the target.
fn write_atomic(
    path: &Path,
    write: impl FnOnce(&mut std::io::BufWriter<File>) -> PolarsResult<()>,
) -> Result<()> {
    let tmp = write_tmp(path, write)?;
    publish(&tmp, path)
}

/// The first half of [`write_atomic`]: writes the temporary file for `path` and flushes it to
/// disk; [`publish`] renames it into place. A temporary file left behind (a crash between the
/// two) is removed by the next [`Store::open`].
fn write_tmp(
    path: &Path,
    write: impl FnOnce(&mut std::io::BufWriter<File>) -> PolarsResult<()>,
) -> Result<PathBuf> {
    let mut tmp_name = path.file_name().unwrap_or_default().to_os_string();
    tmp_name.push(format!(".{}{TMP_SUFFIX}", std::process::id()));
    let tmp = path.with_file_name(tmp_name);
    let file = write_file(&tmp, write)?;
    if let Err(e) = file.sync_all() {
        let _ = fs::remove_file(&tmp);
        return Err(io_err(&tmp)(e));
    }
    Ok(tmp)
}

/// Creates the file at `path` (and its folder) and fills it through `write`, buffered; on
/// failure removes it. Not flushed to disk: the caller does that.
fn write_file(
    path: &Path,
    write: impl FnOnce(&mut std::io::BufWriter<File>) -> PolarsResult<()>,
) -> Result<File> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(io_err(dir))?;
    let result = (|| {
        let file = File::create(path).map_err(io_err(path))?;
        // The Parquet writer writes field by field: unbuffered, a 1 GB import made 1.9 million
        // write calls, most of its time.
        let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
        write(&mut out).map_err(pq_err(path))?;
        out.into_inner().map_err(|e| io_err(path)(e.into_error()))
    })();
    if result.is_err() {
        let _ = fs::remove_file(path);
    }
    result
}

/// The second half of [`write_atomic`]: renames `tmp` over `path`, durably.
fn publish(tmp: &Path, path: &Path) -> Result<()> {
    if let Err(e) = fs::rename(tmp, path) {
        let _ = fs::remove_file(tmp);
        return Err(io_err(path)(e));
    }
    sync_folder(path.parent());
    Ok(())
}

/// Flushes a folder to disk, which makes the names created or renamed in it durable (best
/// effort: not every file system can).
fn sync_folder(dir: Option<&Path>) {
    if let Some(d) = dir.and_then(|dir| File::open(dir).ok()) {
        let _ = d.sync_all();
    }
}

/// Writes a pending part at `path` (a name no reader trusts until its commit is in the ledger,
/// so it is written in place) and has `syncer` flush it to disk.
fn write_pending(
    syncer: &Syncer,
    path: &Path,
    write: impl FnOnce(&mut std::io::BufWriter<File>) -> PolarsResult<()>,
) -> Result<()> {
    syncer.sync(write_file(path, write)?, path)
}

/// Flushes written pending parts to disk on a thread of its own (`sync`), so that the threads
/// writing them go on instead of waiting for the disk: a 1 GB import makes about 760 flushes,
/// half a second of waiting, most of them for parts. A commit waits for every flush before
/// its ledger is written ([`Syncer::wait`]), so what the ledger commits is on disk as before.
/// Without the thread (it could not start), each part is flushed as it is written.
#[derive(Clone)]
struct Syncer {
    tx: Option<std::sync::mpsc::Sender<ToSync>>,
}

enum ToSync {
    /// A written file and its path, to flush.
    File(File, PathBuf),
    /// Flush the folders of the files sent since the last wait, and reply with the first
    /// failure since then.
    Wait(std::sync::mpsc::Sender<Result<()>>),
}

impl Syncer {
    fn start() -> Syncer {
        let (tx, rx) = std::sync::mpsc::channel::<ToSync>();
        let spawned = std::thread::Builder::new().name("sync".into()).spawn(move || {
            let mut dirs: std::collections::BTreeSet<PathBuf> = Default::default();
            let mut failed: Option<StoreError> = None;
            for message in rx {
                match message {
                    ToSync::File(file, path) => {
                        if failed.is_none()
                            && let Err(e) = file.sync_all()
                        {
                            failed = Some(io_err(&path)(e));
                        }
                        dirs.extend(path.parent().map(Path::to_path_buf));
                    }
                    ToSync::Wait(reply) => {
                        for dir in std::mem::take(&mut dirs) {
                            sync_folder(Some(&dir));
                        }
                        let _ = reply.send(failed.take().map_or(Ok(()), Err));
                    }
                }
            }
        });
        Syncer { tx: spawned.ok().map(|_| tx) }
    }

    /// Flushes `file`, just written at `path`, to disk: in the background when the thread runs.
    fn sync(&self, file: File, path: &Path) -> Result<()> {
        let file = match &self.tx {
            Some(tx) => match tx.send(ToSync::File(file, path.to_path_buf())) {
                Ok(()) => return Ok(()),
                Err(std::sync::mpsc::SendError(ToSync::File(file, _))) => file,
                Err(_) => unreachable!("a file was sent"),
            },
            None => file,
        };
        file.sync_all().map_err(io_err(path))?;
        sync_folder(path.parent());
        Ok(())
    }

    /// Waits until every file sent before is flushed; the first failure since the last wait.
    /// `dir`: the data folder, for the error if the thread stopped.
    fn wait(&self, dir: &Path) -> Result<()> {
        let Some(tx) = &self.tx else { return Ok(()) };
        let stopped = || StoreError::Io {
            path: dir.to_path_buf(),
            source: std::io::Error::other("the thread flushing parts to disk stopped"),
        };
        let (reply, done) = std::sync::mpsc::channel();
        tx.send(ToSync::Wait(reply)).map_err(|_| stopped())?;
        done.recv().map_err(|_| stopped())?
    }
}

/// What one commit adds to the dataset.
#[derive(Default)]
pub struct Commit {
    /// New activities, with their samples.
    pub activities: Vec<(StoredActivity, restday_model::Samples)>,
    /// New wellness readings, file by file.
    pub wellness: Vec<StoredWellness>,
    /// New ledger rows.
    pub ledger: Vec<LedgerRow>,
    /// Stored activities that a richer copy replaces: removed with their samples, and their
    /// ledger rows turned into duplicates of the activity that replaces them.
    pub replaced: Vec<(String, String)>,
    /// New fingerprints for files already in the ledger (touched, same content), by path.
    pub fingerprints: Vec<(String, String)>,
    /// Journal entries; an entry replaces a stored one for the same date.
    pub journal: Vec<restday_model::JournalRow>,
    /// Names and types to attach to stored activities, by source path; they replace what the
    /// file itself says.
    pub labels: Vec<(String, Option<String>, Option<String>)>,
    /// Archives walked to the end in this commit: (path, fingerprint).
    pub archives: Vec<(String, String)>,
    /// Activities of this commit whose samples were staged and that a richer copy then
    /// replaced, before the commit: their samples leave the staged parts.
    pub dropped: Vec<String>,
    /// Parts written by [`Store::stage`], pending until the commit.
    staged: Vec<Staged>,
    /// Sample rows a written batch held over for the next (too few for a part of their year).
    held: Vec<ActivitySamples>,
    /// Figures of written batches not computed yet.
    figures: Vec<Figures>,
    /// Batches staged so far, which numbers the next batch's parts.
    batches: usize,
}

/// (activity id, start time, samples) of an activity with samples.
type ActivitySamples = (String, i64, restday_model::Samples);

/// One batch's samples and readings, taken out of its commit by [`BatchWriter::take_batch`] and
/// written by [`BatchWriter::write_batch`].
pub struct Batch {
    commit_id: i64,
    /// The file name of the batch's parts.
    name: String,
    /// Every activity of the batch that has samples.
    samples: Vec<ActivitySamples>,
    /// Rows an earlier batch of the commit held over: written with this batch's rows of the
    /// same year; their figures went with that batch.
    held: Vec<ActivitySamples>,
    /// Whether rows may be held over again: not when the commit is being written.
    may_hold: bool,
    wellness: Vec<StoredWellness>,
}

/// The pending parts a batch was written to, and the rows it held over, for its commit
/// ([`Commit::add`]).
#[must_use = "a written batch's parts become visible only when added to its commit"]
pub struct Written {
    staged: Vec<Staged>,
    held: Vec<ActivitySamples>,
    figures: Option<Figures>,
}

impl Written {
    /// The batch's figures, to compute apart ([`Figures::compute_into`]), gather over the commit's
    /// batches and write as one part ([`FiguresPart::write`]), then add to the commit. Left in,
    /// the commit does all that when it is written.
    pub fn take_figures(&mut self) -> Option<Figures> {
        self.figures.take()
    }
}

/// The per-activity figures of a batch's samples ([`Store::summarize_samples_with`]), to be
/// computed apart from the samples: the import does it on a thread of its own, so that
/// Polars' work on one batch does not hold up the next. Only the columns the figures read are
/// kept.
pub struct Figures {
    path: PathBuf,
    summarize: Summarize,
    hr: DataFrame,
    ids: Vec<String>,
    syncer: Syncer,
}

impl Figures {
    /// Computes the figures and gathers them into `part` (the first batch's start it).
    pub fn compute_into(self, part: &mut Option<FiguresPart>) -> Result<()> {
        let Figures { path, summarize, hr, ids, syncer } = self;
        let figures = summarize(hr).map_err(pq_err(&path))?;
        let computed = FiguresPart { path, figures, ids, syncer };
        match part {
            Some(p) => p.append(computed),
            None => {
                *part = Some(computed);
                Ok(())
            }
        }
    }
}

/// Figures computed for one or more batches of a commit, written as one pending part: a part
/// per batch made the metrics refresh after a 1 GB import read 172 small parts twice (0.8 s
/// against 0.5 s from one).
pub struct FiguresPart {
    /// The first batch's part name.
    path: PathBuf,
    /// Keyed by [`tables::ACTIVITY_KEY`], each activity's place in `ids`.
    figures: DataFrame,
    ids: Vec<String>,
    syncer: Syncer,
}

impl FiguresPart {
    /// Appends a later batch's figures: its keys move past this part's activities.
    fn append(&mut self, other: FiguresPart) -> Result<()> {
        let offset = lit(self.ids.len() as u32);
        let key = tables::ACTIVITY_KEY;
        let moved = other
            .figures
            .lazy()
            .with_column((col(key).cast(DataType::UInt32) + offset).alias(key))
            .collect()
            .and_then(|f| f.select(self.figures.get_column_names_owned()))
            .map_err(pq_err(&other.path))?;
        self.figures.vstack_mut(&moved).map_err(pq_err(&self.path))?;
        self.ids.extend(other.ids);
        Ok(())
    }

    /// Writes the pending part, for the commit ([`Commit::add`]).
    pub fn write(self) -> Result<Written> {
        let FiguresPart { path, mut figures, ids, syncer } = self;
        figures.rechunk_mut();
        let pending = pending_name(&path);
        let names: Vec<&str> = ids.iter().map(String::as_str).collect();
        write_pending(&syncer, &pending, |out| tables::write_figures(&figures, &names, out))?;
        let staged = Staged { pending, path, ids: ids.into_iter().collect() };
        Ok(Written { staged: vec![staged], held: Vec::new(), figures: None })
    }
}

impl Commit {
    /// Adds a written batch's parts to this commit, which makes them visible when it is
    /// written, the rows it held over, which the next batch writes, and its figures if they
    /// were not taken out, which the commit computes.
    pub fn add(&mut self, written: Written) {
        self.staged.extend(written.staged);
        self.held.extend(written.held);
        self.figures.extend(written.figures);
    }

    /// Hands back figures taken out of a written batch, for the commit to compute.
    pub fn add_figures(&mut self, figures: Figures) {
        self.figures.push(figures);
    }
}

/// A part written by [`Store::stage`]: its pending and final paths, and the activities it
/// holds rows of (none for readings), so a replacement before the commit rewrites only the
/// parts that hold the replaced activity.
#[derive(Debug)]
struct Staged {
    pending: PathBuf,
    path: PathBuf,
    ids: HashSet<String>,
}

/// An open, locked dataset folder.
pub struct Store {
    activities: Vec<StoredActivity>,
    ledger: Vec<LedgerRow>,
    /// Archives walked to the end: (path, fingerprint, commit).
    archives: Vec<(String, String, i64)>,
    /// Writes batches' parts: lent to an import, which writes batches while a commit of
    /// its earlier ones runs on another thread.
    writer: BatchWriter,
    _lock: File,
}

/// What writing a batch's pending parts needs of the store ([`Store::writer`]): none of its
/// tables, so that an import writes the next batches while the store, on another thread, is
/// writing the commit of the earlier ones.
#[derive(Clone)]
pub struct BatchWriter {
    dir: PathBuf,
    /// What the staging computes from each batch's samples for [`HR_SECONDS`], if anything.
    summarize: Option<Summarize>,
    /// See [`Store::hold_rows`].
    part_rows: usize,
    held_rows: usize,
    syncer: Syncer,
}

impl BatchWriter {
    /// The data folder the parts are written in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Takes the samples and readings gathered in `c` so far out of it, as the next batch of
    /// commit `commit_id` (its parts are named now), to be written by [`BatchWriter::write_batch`],
    /// with the rows the last written batch held over. The activities stay in `c`, without
    /// samples; so do the readings while they are fewer than a part's rows (see
    /// [`Store::hold_rows`]; [`Store::stage`] takes them all): the generated 1 GB export
    /// wrote 172 small reading parts, one per batch, without.
    pub fn take_batch(&self, commit_id: i64, c: &mut Commit) -> Batch {
        let name = Store::part_name(commit_id, c.batches);
        c.batches += 1;
        let samples = c
            .activities
            .iter_mut()
            .filter(|(_, s)| !s.is_empty())
            .map(|(a, s)| (a.id.clone(), a.activity.start_ms, std::mem::take(s)))
            .collect();
        // Rows of an activity a richer copy replaced since need not be written.
        let dropped: HashSet<&str> = c.dropped.iter().map(String::as_str).collect();
        let held = std::mem::take(&mut c.held);
        let held = held.into_iter().filter(|a| !dropped.contains(a.0.as_str())).collect();
        let hold_readings = self.held_rows > 0 && tables::readings(&c.wellness) < self.part_rows;
        let wellness = if hold_readings { Vec::new() } else { std::mem::take(&mut c.wellness) };
        Batch { commit_id, name, samples, held, may_hold: true, wellness }
    }

    /// Writes a batch's pending parts: a sample part per UTC start year and its readings; its
    /// figures come back with them, to compute ([`Written::take_figures`]). Needs no `&mut`:
    /// the import runs it beside the next batch's decoding. Hand the result to the batch's
    /// commit with [`Commit::add`].
    ///
    /// A year with few rows (those held over included) is held over to the next batch
    /// instead, within a bound ([`Store::hold_rows`]): an export whose
    /// batches each hold a few activities of many years would otherwise write many small
    /// parts, and a part's fixed cost (a file, a compressor per column) was a tenth of a 1 GB
    /// import's time.
    pub fn write_batch(&self, batch: Batch) -> Result<Written> {
        let Batch { commit_id, name, samples, held, may_hold, wellness } = batch;
        let mut staged = Vec::new();
        // One part per UTC start year for the samples.
        let mut by_year: BTreeMap<i32, Vec<&ActivitySamples>> = BTreeMap::new();
        for a in held.iter().chain(&samples) {
            by_year.entry(year_of(a.1)).or_default().push(a);
        }
        let rows = |acts: &Vec<&ActivitySamples>| acts.iter().map(|a| a.2.len()).sum::<usize>();
        let mut hold: HashSet<i32> = HashSet::new();
        if may_hold {
            let mut small: Vec<(usize, i32)> = by_year
                .iter()
                .map(|(&year, acts)| (rows(acts), year))
                .filter(|&(n, _)| n < self.part_rows)
                .collect();
            // The smallest are held, up to the bound; the larger are written.
            small.sort_unstable();
            let mut total = 0;
            for (n, year) in small {
                total += n;
                if total > self.held_rows {
                    break;
                }
                hold.insert(year);
            }
        }
        let by_year: Vec<(i32, Vec<(&str, &restday_model::Samples)>)> = by_year
            .into_iter()
            .filter(|(year, _)| !hold.contains(year))
            .map(|(year, acts)| (year, acts.iter().map(|a| (a.0.as_str(), &a.2)).collect()))
            .collect();
        // The year parts are built and written in parallel: the writes are many and small.
        let year_part = |(year, rows): &(i32, Vec<(&str, &restday_model::Samples)>)| {
            let path = self.dir.join(SAMPLES).join(format!("year={year}")).join(&name);
            let pending = pending_name(&path);
            let ids: HashSet<String> = rows.iter().map(|(id, _)| id.to_string()).collect();
            write_pending(&self.syncer, &pending, |out| tables::write_samples(rows, out))?;
            Ok(Staged { pending, path, ids })
        };
        // The figures of the whole batch at once (a call per year part cost more in Polars'
        // planning than in the work), from the only columns they read: computed and written
        // apart (see [`Figures`]).
        let figures = match self.summarize.filter(|_| !samples.is_empty()) {
            Some(summarize) => {
                let path = self.dir.join(HR_SECONDS).join(&name);
                let rows: Vec<(&str, &restday_model::Samples)> =
                    samples.iter().map(|(id, _, s)| (id.as_str(), s)).collect();
                let hr = tables::keyed_heart_rate_frame(&rows).map_err(pq_err(&path))?;
                let ids = samples.iter().map(|(id, _, _)| id.clone()).collect();
                Some(Figures { path, summarize, hr, ids, syncer: self.syncer.clone() })
            }
            None => None,
        };
        let years: Vec<Result<Staged>> = by_year.par_iter().map(year_part).collect();
        // A part written before another failed stays pending: the next open removes it.
        for r in years {
            staged.push(r?);
        }
        drop(by_year);
        let kept: Vec<ActivitySamples> = held
            .into_iter()
            .chain(samples)
            .filter(|a| hold.contains(&year_of(a.1)))
            .map(|mut a| {
                a.2.shrink_to_fit();
                a
            })
            .collect();
        // One for the readings.
        if !wellness.is_empty() {
            let path = self.dir.join(WELLNESS_READINGS).join(&name);
            let pending = pending_name(&path);
            write_pending(&self.syncer, &pending, |out| {
                tables::write_wellness(&wellness, commit_id, out)
            })?;
            staged.push(Staged { pending, path, ids: HashSet::new() });
        }
        Ok(Written { staged, held: kept, figures })
    }
}

/// A new commit id after commit `last`: the time in ms, and always above `last`.
pub fn commit_id_after(last: i64) -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    now.max(last + 1)
}

/// A function from a frame of samples to the per-activity rows of [`HR_SECONDS`]: it is given
/// `activity_key`, `time` and `heart_rate` ([`tables::keyed_heart_rate_frame`]) and returns
/// rows keyed by `activity_key`, which the staging turns into `activity_id`.
pub type Summarize = fn(DataFrame) -> PolarsResult<DataFrame>;

impl Store {
    /// Opens (creating if needed) the dataset in `dir`, takes the writer lock, and removes what
    /// an interrupted commit left behind.
    pub fn open(dir: &Path) -> Result<Store> {
        fs::create_dir_all(dir).map_err(io_err(dir))?;
        let lock_path = dir.join(LOCK);
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(io_err(&lock_path))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => return Err(StoreError::Locked(dir.to_path_buf())),
            Err(fs::TryLockError::Error(e)) => return Err(io_err(&lock_path)(e)),
        }
        let ledger_path = dir.join(IMPORTS);
        let ledger = match read_parquet(&ledger_path)? {
            Some(df) => tables::ledger_from_frame(&df).map_err(pq_err(&ledger_path))?,
            None => Vec::new(),
        };
        let activities_path = dir.join(ACTIVITIES);
        let activities = match read_parquet(&activities_path)? {
            Some(df) => tables::activities_from_frame(&df).map_err(pq_err(&activities_path))?,
            None => Vec::new(),
        };
        let mut store = Store {
            activities,
            ledger,
            archives: Vec::new(),
            writer: BatchWriter {
                dir: dir.to_path_buf(),
                summarize: None,
                part_rows: PART_ROWS,
                held_rows: HELD_ROWS,
                syncer: Syncer::start(),
            },
            _lock: lock,
        };
        store.recover()?;
        let archives_path = dir.join(ARCHIVES);
        if let Some(df) = read_parquet(&archives_path)? {
            store.archives = tables::archives_from_frame(&df).map_err(pq_err(&archives_path))?;
        }
        Ok(store)
    }

    /// Has each written batch also give its figures for [`HR_SECONDS`], made by `f` from the
    /// same samples ([`Figures`]; the import passes the metrics' figures, which the store does
    /// not know), written as one part per commit, so the metrics need not read the samples
    /// again.
    pub fn summarize_samples_with(&mut self, f: Summarize) {
        self.writer.summarize = Some(f);
    }

    /// How [`BatchWriter::write_batch`] gathers a year's rows over a commit's batches: a year's
    /// rows are written as a part once they are `part_rows`, and fewer are held over for the
    /// next batch as long as at most `held_rows` rows are held (the larger years are written
    /// past that). `held_rows` 0: every batch writes all its rows.
    ///
    /// Wellness readings are gathered the same way, in the commit: a batch takes them once
    /// there are `part_rows` (fewer stay for the next batch, and the commit's last takes the
    /// rest), unless `held_rows` is 0.
    pub fn hold_rows(&mut self, part_rows: usize, held_rows: usize) {
        self.writer.part_rows = part_rows;
        self.writer.held_rows = held_rows;
    }

    /// What writes batches' parts, to use while the store writes a commit elsewhere.
    pub fn writer(&self) -> &BatchWriter {
        &self.writer
    }

    pub fn dir(&self) -> &Path {
        &self.writer.dir
    }

    pub fn activities(&self) -> &[StoredActivity] {
        &self.activities
    }

    pub fn ledger(&self) -> &[LedgerRow] {
        &self.ledger
    }

    /// Archives walked to the end by earlier imports: (path, fingerprint).
    pub fn archives(&self) -> impl Iterator<Item = (&str, &str)> {
        self.archives.iter().map(|(p, f, _)| (p.as_str(), f.as_str()))
    }

    fn committed(&self) -> HashSet<i64> {
        self.ledger.iter().map(|r| r.commit_id).collect()
    }

    /// Removes temporary files and every row or part of a commit the ledger does not record.
    fn recover(&mut self) -> Result<()> {
        let committed = self.committed();
        let mut stray_files = Vec::new();
        collect_files(&self.writer.dir, &mut stray_files).map_err(io_err(&self.writer.dir))?;
        for path in stray_files {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            let pending = name.strip_suffix(PENDING_SUFFIX);
            let commit = part_commit(pending.unwrap_or(name));
            if let (Some(final_name), Some(c)) = (pending, commit)
                && committed.contains(&c)
            {
                // Committed, but the process stopped before the part was renamed into place.
                let target = path.with_file_name(final_name);
                fs::rename(&path, &target).map_err(io_err(&target))?;
                continue;
            }
            let stray = name.ends_with(TMP_SUFFIX)
                || pending.is_some()
                || commit.is_some_and(|c| !committed.contains(&c));
            if stray {
                tracing::info!("removing {} left by an interrupted import", path.display());
                fs::remove_file(&path).map_err(io_err(&path))?;
            }
        }
        let before = self.activities.len();
        self.activities.retain(|a| committed.contains(&a.commit_id));
        if self.activities.len() != before {
            let path = self.writer.dir.join(ACTIVITIES);
            let df = tables::activities_frame(&self.activities).map_err(pq_err(&path))?;
            write_parquet_atomic(&path, &df)?;
        }
        // Datasets written before the daily table kept the readings as `wellness.parquet`;
        // they become a part of the first commit.
        // Their rows get the columns readings have had since (`date`, `record`: null for FIT
        // readings, which were all they held).
        let old = self.writer.dir.join(WELLNESS);
        if let Some(first) = committed.iter().min()
            && let Some(mut df) = read_parquet(&old)?.filter(|df| df.schema().contains("metric"))
        {
            let part =
                self.writer.dir.join(WELLNESS_READINGS).join(format!("part-{first}.parquet"));
            let n = df.height();
            let date = Column::new("date".into(), vec![None::<i32>; n]).cast(&DataType::Date);
            let record = Column::new("record".into(), vec![None::<&str>; n]);
            let migrated = date
                .and_then(|date| df.with_column(date).map(|_| ()))
                .and_then(|()| df.with_column(record).map(|_| ()));
            migrated.map_err(pq_err(&old))?;
            let order = tables::wellness_frame(&[], 0).map_err(pq_err(&old))?;
            let df = df.select(order.get_column_names_owned()).map_err(pq_err(&old))?;
            write_parquet_atomic(&part, &df)?;
            fs::remove_file(&old).map_err(io_err(&old))?;
        }
        for table in [JOURNAL, ARCHIVES] {
            self.drop_uncommitted(table, &committed)?;
        }
        Ok(())
    }

    /// Removes the rows of `table` whose commit the ledger does not record.
    fn drop_uncommitted(&self, table: &str, committed: &HashSet<i64>) -> Result<()> {
        let path = self.writer.dir.join(table);
        if let Some(df) = read_parquet(&path)? {
            let kept = keep_where(&df, "commit_id", |c| committed.contains(&c));
            if let Some(kept) = kept.map_err(pq_err(&path))? {
                write_parquet_atomic(&path, &kept)?;
            }
        }
        Ok(())
    }

    /// Reads a table of the dataset (`activities.parquet`, `daily.parquet`...), if present.
    pub fn read(&self, name: &str) -> Result<Option<DataFrame>> {
        read_parquet(&self.writer.dir.join(name))
    }

    /// Replaces a derived table (`daily.parquet`, `weekly.parquet`, or `activities.parquet` with
    /// its metric columns added) atomically.
    pub fn write_derived(&self, name: &str, df: &DataFrame) -> Result<()> {
        write_parquet_atomic(&self.writer.dir.join(name), df)
    }

    /// Rebuilds the daily wellness table (`wellness.parquet`) with `build` (the readings whose
    /// metric passes `keep`, the athlete's usual UTC offset) when it is missing or older than
    /// the newest readings part. The usual
    /// offset is the most common one among the stored activities, else UTC.
    pub fn refresh_wellness(
        &self,
        keep: impl Fn(&str) -> bool,
        build: impl FnOnce(LazyFrame, i32) -> PolarsResult<DataFrame>,
    ) -> Result<bool> {
        let daily_path = self.writer.dir.join(WELLNESS);
        let readings_path = self.writer.dir.join(WELLNESS_READINGS);
        let mut parts = Vec::new();
        if readings_path.exists() {
            collect_files(&readings_path, &mut parts).map_err(io_err(&readings_path))?;
        }
        parts.retain(|p| p.extension().is_some_and(|x| x == "parquet"));
        parts.sort();
        // Parts are written once: the daily table is stale when a part is newer than it.
        let modified = |p: &Path| fs::metadata(p).and_then(|m| m.modified()).ok();
        let newest = parts.iter().filter_map(|p| modified(p)).max();
        let Some(newest) = newest else { return Ok(false) };
        if modified(&daily_path).is_some_and(|built| built >= newest) {
            return Ok(false);
        }
        // One part at a time, keeping only the metrics the daily table uses (not every R-R
        // interval and monitoring heart rate), so memory holds the daily inputs, not all
        // readings.
        let mut kept = Vec::new();
        for p in &parts {
            let Some(df) = read_parquet(p)? else { continue };
            let mask: BooleanChunked = df
                .column("metric")
                .and_then(|c| c.str().cloned())
                .map_err(pq_err(p))?
                .iter()
                .map(|m| m.is_some_and(&keep))
                .collect();
            kept.push(df.filter(&mask).map_err(pq_err(p))?);
        }
        let mut readings = match kept.pop() {
            Some(last) => last,
            None => return Ok(false),
        };
        for df in kept.iter().rev() {
            readings = df.vstack(&readings).map_err(pq_err(&readings_path))?;
        }
        // The usual offset: the most common among the activities' and the readings' own.
        let mut counts: BTreeMap<i32, usize> = BTreeMap::new();
        for a in &self.activities {
            if let Some(o) = a.activity.utc_offset_s {
                *counts.entry(o).or_default() += 1;
            }
        }
        let offsets = keep_where_str(&readings, "metric", "utc_offset_s")
            .and_then(|df| df.column("value")?.cast(&DataType::Int32))
            .map_err(pq_err(&readings_path))?;
        for o in offsets.i32().map_err(pq_err(&readings_path))?.iter().flatten() {
            *counts.entry(o).or_default() += 1;
        }
        let home = counts.into_iter().max_by_key(|&(o, n)| (n, -o.abs())).map_or(0, |(o, _)| o);
        let daily = build(readings.lazy(), home).map_err(pq_err(&daily_path))?;
        write_parquet_atomic(&daily_path, &daily)?;
        Ok(true)
    }

    /// The committed sample parts, with the commit each belongs to, in name order.
    pub fn sample_parts(&self) -> Result<Vec<(i64, PathBuf)>> {
        self.parts(SAMPLES)
    }

    /// The committed [`HR_SECONDS`] parts, with the commit each belongs to, in name order.
    pub fn hr_seconds_parts(&self) -> Result<Vec<(i64, PathBuf)>> {
        self.parts(HR_SECONDS)
    }

    fn parts(&self, table: &str) -> Result<Vec<(i64, PathBuf)>> {
        let dir = self.writer.dir.join(table);
        let mut files = Vec::new();
        if dir.exists() {
            collect_files(&dir, &mut files).map_err(io_err(&dir))?;
        }
        files.sort();
        Ok(files
            .into_iter()
            .filter_map(|p| {
                let commit = part_commit(p.file_name()?.to_str()?)?;
                Some((commit, p))
            })
            .collect())
    }

    /// The latest commit's id, 0 for none: the next is [`commit_id_after`] it.
    pub fn last_commit_id(&self) -> i64 {
        self.ledger.iter().map(|r| r.commit_id).max().unwrap_or(0)
    }

    /// A part's name: `part-<commit>.parquet`, or `part-<commit>-<n>.parquet` for the n-th
    /// batch staged into one commit.
    fn part_name(commit_id: i64, seq: usize) -> String {
        if seq == 0 {
            format!("part-{commit_id}.parquet")
        } else {
            format!("part-{commit_id}-{seq}.parquet")
        }
    }

    /// Writes the samples and wellness readings gathered in `c` so far as pending parts of
    /// commit `commit_id`, and lets go of them: an import stages each batch and commits every
    /// few batches, so memory holds one batch of samples while the tables that every commit
    /// rewrites (activities, the ledger) are rewritten less often. Pending parts are invisible
    /// until the commit, and removed on open if the commit never happened.
    ///
    /// The same as [`BatchWriter::take_batch`] then [`BatchWriter::write_batch`], which an
    /// import uses to write one batch while it decodes the next.
    ///
    /// Nothing is held over: every row gathered so far is in a part after it.
    pub fn stage(&self, commit_id: i64, c: &mut Commit) -> Result<()> {
        let mut batch = self.writer.take_batch(commit_id, c);
        batch.may_hold = false;
        batch.wellness.append(&mut c.wellness);
        let written = self.writer.write_batch(batch)?;
        c.add(written);
        Ok(())
    }

    /// Writes one commit. See the crate docs for the order that makes it atomic.
    pub fn commit(&mut self, commit_id: i64, mut c: Commit) -> Result<()> {
        // 1. Samples and readings not staged yet, as pending parts; then the samples of
        // activities replaced before the commit leave the staged parts.
        self.stage(commit_id, &mut c)?;
        let mut part: Option<FiguresPart> = None;
        for figures in std::mem::take(&mut c.figures) {
            figures.compute_into(&mut part)?;
        }
        if let Some(p) = part {
            c.add(p.write()?);
        }
        let parts = std::mem::take(&mut c.staged);
        if !c.dropped.is_empty() {
            let dropped: HashSet<&str> = c.dropped.iter().map(String::as_str).collect();
            for part in &parts {
                if part.ids.iter().any(|id| dropped.contains(id.as_str())) {
                    drop_activities(&part.pending, &dropped)?;
                }
            }
        }

        failpoint("after-samples", &self.writer.dir)?;

        // 2. Activities: the stored ones minus the replaced, plus the new, with labels.
        let replaced: Vec<StoredActivity> = {
            let ids: HashSet<&str> = c.replaced.iter().map(|(old, _)| old.as_str()).collect();
            let (gone, kept) = std::mem::take(&mut self.activities)
                .into_iter()
                .partition(|a| ids.contains(a.id.as_str()));
            self.activities = kept;
            gone
        };
        self.activities.extend(c.activities.drain(..).map(|(a, _)| a));
        for (path, name, kind) in &c.labels {
            // The export's own name for an activity wins over one inside the file (Strava
            // writes "Untitled" or a date into its GPX files).
            for a in self.activities.iter_mut().filter(|a| &a.source_path == path) {
                if name.is_some() {
                    a.activity.name.clone_from(name);
                }
                if kind.is_some() {
                    a.activity.activity_type.clone_from(kind);
                }
            }
        }
        // The ledger's rows too (written last, step 4).
        for (old, new) in &c.replaced {
            let imported =
                self.ledger.iter_mut().filter(|r| r.outcome == restday_model::Outcome::Imported);
            for row in imported {
                restday_model::replace_in_ledger_row(row, old, new);
            }
        }
        if !c.fingerprints.is_empty() {
            let new: std::collections::HashMap<&str, &str> =
                c.fingerprints.iter().map(|(p, f)| (p.as_str(), f.as_str())).collect();
            for row in self.ledger.iter_mut() {
                if let Some(fp) = new.get(row.path.as_str()) {
                    row.fingerprint = Some(fp.to_string());
                }
            }
        }
        self.ledger.append(&mut c.ledger);
        // The two tables every commit rewrites, side by side (each is mostly one core's work):
        // the activities into place, the ledger to a temporary file only.
        let (activities_path, ledger_path) =
            (self.writer.dir.join(ACTIVITIES), self.writer.dir.join(IMPORTS));
        let (activities, ledger) = (&self.activities, &self.ledger);
        let (written, ledger_tmp) = rayon::join(
            || {
                let df = tables::activities_frame(activities).map_err(pq_err(&activities_path))?;
                write_parquet_atomic(&activities_path, &df)
            },
            || {
                let df = tables::ledger_frame(ledger).map_err(pq_err(&ledger_path))?;
                write_tmp(&ledger_path, parquet_of(&ledger_path, &df))
            },
        );
        let ledger_tmp = match (written, ledger_tmp) {
            (Ok(()), Ok(tmp)) => tmp,
            (Err(e), tmp) => {
                if let Ok(tmp) = tmp {
                    let _ = fs::remove_file(tmp);
                }
                return Err(e);
            }
            (Ok(()), Err(e)) => return Err(e),
        };

        failpoint("after-activities", &self.writer.dir)?;

        // 3b. Journal: entries replace stored ones of the same date.
        if !c.journal.is_empty() {
            let path = self.writer.dir.join(JOURNAL);
            let mut df = tables::journal_frame(&c.journal, commit_id).map_err(pq_err(&path))?;
            if let Some(old) = read_parquet(&path)? {
                let new_days: HashSet<i64> = c.journal.iter().map(|j| i64::from(j.day)).collect();
                let kept = keep_where(&old, "date", |d| !new_days.contains(&d));
                let kept = kept.map_err(pq_err(&path))?.unwrap_or(old);
                df = kept.vstack(&df).map_err(pq_err(&path))?;
            }
            df = df.sort(["date"], SortMultipleOptions::default()).map_err(pq_err(&path))?;
            write_parquet_atomic(&path, &df)?;
        }

        failpoint("after-wellness", &self.writer.dir)?;

        // 3c. Archives walked to the end: a new fingerprint replaces the old one of its path.
        if !c.archives.is_empty() {
            let new: HashSet<&str> = c.archives.iter().map(|(p, _)| p.as_str()).collect();
            self.archives.retain(|(p, _, _)| !new.contains(p.as_str()));
            self.archives.extend(c.archives.iter().map(|(p, f)| (p.clone(), f.clone(), commit_id)));
            let path = self.writer.dir.join(ARCHIVES);
            let df = tables::archives_frame(&self.archives).map_err(pq_err(&path))?;
            write_parquet_atomic(&path, &df)?;
        }

        // 4. The ledger into place, which makes the commit real, once the parts are on disk.
        if let Err(e) = self.writer.syncer.wait(&self.writer.dir) {
            let _ = fs::remove_file(&ledger_tmp);
            return Err(e);
        }
        publish(&ledger_tmp, &ledger_path)?;

        failpoint("after-ledger", &self.writer.dir)?;

        // 5. The parts become visible.
        for Staged { pending, path, .. } in parts {
            fs::rename(&pending, &path).map_err(io_err(&path))?;
        }

        // 6. Drop the samples and figures of replaced activities from the parts that hold
        // them: the parts of their commit (for samples, in the folder of their start year).
        for old in replaced {
            let year = self
                .writer
                .dir
                .join(SAMPLES)
                .join(format!("year={}", year_of(old.activity.start_ms)));
            let one: HashSet<&str> = std::iter::once(old.id.as_str()).collect();
            for dir in [year, self.writer.dir.join(HR_SECONDS)] {
                let Ok(entries) = fs::read_dir(&dir) else { continue };
                for e in entries.flatten() {
                    let name = e.file_name();
                    if name.to_str().and_then(part_commit) == Some(old.commit_id) {
                        drop_activities(&e.path(), &one)?;
                    }
                }
            }
        }
        Ok(())
    }
}

/// Rewrites the part at `path` (samples or figures) without the rows of `ids` (when it has any).
fn drop_activities(path: &Path, ids: &HashSet<&str>) -> Result<()> {
    let Some(df) = read_parquet(path)? else { return Ok(()) };
    let keep: BooleanChunked = df
        .column("activity_id")
        .and_then(|c| c.str().cloned())
        .map_err(pq_err(path))?
        .iter()
        .map(|id| !id.is_some_and(|id| ids.contains(id)))
        .collect();
    if keep.all() {
        return Ok(());
    }
    let kept = df.filter(&keep).map_err(pq_err(path))?;
    write_parquet_atomic(path, &kept)
}

/// The rows of `df` whose `column` (read as integers) passes `keep`; `None` when every row does.
fn keep_where(
    df: &DataFrame,
    column: &str,
    keep: impl Fn(i64) -> bool,
) -> PolarsResult<Option<DataFrame>> {
    let values = df.column(column)?.cast(&DataType::Int64)?;
    let mask: Vec<bool> = values.i64()?.iter().map(|v| v.is_some_and(&keep)).collect();
    if mask.iter().all(|&k| k) {
        return Ok(None);
    }
    df.filter(&BooleanChunked::from_slice("keep".into(), &mask)).map(Some)
}

/// The rows of `df` whose string `column` equals `value`.
fn keep_where_str(df: &DataFrame, column: &str, value: &str) -> PolarsResult<DataFrame> {
    let mask: BooleanChunked = df.column(column)?.str()?.iter().map(|v| v == Some(value)).collect();
    df.filter(&mask)
}

/// Test hook: `RESTDAY_FAILPOINT=<name>[:<n>][:error]` stops a commit when it reaches the
/// point `name` for the `n`-th time (the first when `n` is left out): the process aborts, as a
/// kill would, or with `:error` the commit fails with an I/O error on `dir`, as a full disk
/// would. The crash tests use it to stop an import at exact points.
fn failpoint(name: &str, dir: &Path) -> Result<()> {
    static HITS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let Ok(spec) = std::env::var("RESTDAY_FAILPOINT") else { return Ok(()) };
    let mut parts = spec.split(':');
    if parts.next() != Some(name) {
        return Ok(());
    }
    let nth = parts.next().unwrap_or("1");
    let hit = HITS.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
    if nth.parse() != Ok(hit) {
        return Ok(());
    }
    if parts.next() == Some("error") {
        let source = std::io::Error::other(format!("failpoint {name}"));
        return Err(StoreError::Io { path: dir.to_path_buf(), source });
    }
    std::process::abort();
}

/// The UTC year of a time in ms.
fn year_of(ms: i64) -> i32 {
    // Days since 1970-01-01 to a civil year (Howard Hinnant's algorithm).
    let days = ms.div_euclid(86_400_000);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2)) as i32
}

fn pending_name(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(PENDING_SUFFIX);
    path.with_file_name(name)
}

/// The commit id in a sample part's file name, `part-<commit>.parquet`.
fn part_commit(name: &str) -> Option<i64> {
    let stem = name.strip_prefix("part-")?.strip_suffix(".parquet")?;
    let commit = match stem.split_once('-') {
        Some((commit, seq)) if seq.parse::<usize>().is_ok() => commit,
        _ => stem,
    };
    commit.parse().ok()
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            collect_files(&entry.path(), out)?;
        } else {
            out.push(entry.path());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn years() {
        // 2013-02-06T12:11:14Z is 1360152674 s after the epoch (date -d @1360152674 -u).
        assert_eq!(year_of(1_360_152_674_000), 2013);
        assert_eq!(year_of(0), 1970);
        assert_eq!(year_of(-1), 1969);
        // 2024-12-31T23:59:59Z and one second later.
        assert_eq!(year_of(1_735_689_599_000), 2024);
        assert_eq!(year_of(1_735_689_600_000), 2025);
    }

    #[test]
    fn a_part_that_cannot_be_flushed_fails_the_next_wait_naming_it() {
        let dir = std::env::temp_dir().join(format!("restday-sync-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let syncer = Syncer::start();
        let part = dir.join("part-1.parquet.pending");
        write_pending(&syncer, &part, |out| {
            std::io::Write::write_all(out, b"rows").map_err(PolarsError::from)
        })
        .unwrap();
        syncer.wait(&dir).unwrap();
        assert_eq!(fs::read(&part).unwrap(), b"rows");
        // Linux refuses to flush /dev/null (EINVAL): sent to the thread, the failure comes back
        // from the wait, once.
        let null = Path::new("/dev/null");
        let unflushable = || File::options().write(true).open(null).unwrap();
        syncer.sync(unflushable(), null).unwrap();
        match syncer.wait(&dir) {
            Err(StoreError::Io { path, .. }) => assert_eq!(path, null),
            other => panic!("{other:?}"),
        }
        syncer.wait(&dir).unwrap();
        // Without the thread, at once.
        let inline = Syncer { tx: None };
        assert!(matches!(inline.sync(unflushable(), null), Err(StoreError::Io { .. })));
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_batch_holds_its_smallest_years_over_within_the_bound() {
        let dir = std::env::temp_dir().join(format!("restday-hold-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let mut store = Store::open(&dir).unwrap();
        // Years of fewer than 50 rows may be held, 25 rows at most. 2019 has 10 rows, 2020 20,
        // 2021 100: 2021 is written; of the small ones, smallest first, 2019 is held (10) and
        // 2020 would bring the held rows to 30, so it is written.
        store.hold_rows(50, 25);
        // 2019-06-01, 2020-06-01, 2021-06-01 UTC (`date -u -d 2019-06-01 +%s`...).
        let days = [("a", 1_559_347_200_000i64, 10), ("b", 1_590_969_600_000, 20)];
        let mut c = Commit::default();
        for (id, start_ms, n) in days.into_iter().chain([("c", 1_622_505_600_000, 100)]) {
            let mut samples = restday_model::Samples::default();
            for i in 0..n {
                samples.columns_mut().time_ms.push(Some(start_ms + i * 1000));
            }
            samples.pad_columns();
            let activity = restday_model::Activity { start_ms, ..Default::default() };
            let stored = StoredActivity {
                id: id.into(),
                file_hash: id.into(),
                source_path: id.into(),
                format: "fit".into(),
                activity,
                sample_count: n,
                commit_id: 1,
            };
            c.activities.push((stored, samples));
        }
        let batch = store.writer().take_batch(1, &mut c);
        c.add(store.writer().write_batch(batch).unwrap());
        let part =
            |year: i32, name: &str| dir.join(SAMPLES).join(format!("year={year}")).join(name);
        assert!(part(2020, "part-1.parquet.pending").exists());
        assert!(part(2021, "part-1.parquet.pending").exists());
        assert!(!dir.join(SAMPLES).join("year=2019").exists());
        let held: Vec<(&str, usize)> = c.held.iter().map(|a| (a.0.as_str(), a.2.len())).collect();
        assert_eq!(held, [("a", 10)]);
        // The commit holds nothing over: 2019's rows go out with its own batch.
        store.commit(1, c).unwrap();
        let rows = |p: PathBuf| read_parquet(&p).unwrap().unwrap().height();
        assert_eq!(rows(part(2019, "part-1-1.parquet")), 10);
        assert_eq!(rows(part(2020, "part-1.parquet")), 20);
        assert_eq!(rows(part(2021, "part-1.parquet")), 100);
        drop(store);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn part_names() {
        assert_eq!(part_commit("part-1764172800000.parquet"), Some(1_764_172_800_000));
        assert_eq!(part_commit("part-1764172800000-3.parquet"), Some(1_764_172_800_000));
        assert_eq!(part_commit("part-x.parquet"), None);
        assert_eq!(part_commit("part-1-x.parquet"), None);
        assert_eq!(part_commit("activities.parquet"), None);
    }
}
