//! The import pipeline: find files -> decode them in parallel -> deduplicate -> commit to the
//! store, in bounded batches so memory does not grow with the size of the export.
//!
//! One broken file never stops a batch: whatever happens to a file ends as one row of the
//! ledger (`imports.parquet`), and the batch goes on. A file whose content hash the ledger
//! already holds is not decoded again, which makes a re-run over the same export cheap and adds
//! nothing.
//!
//! The same activity arriving twice from different files (a FIT and the GPX exported from it:
//! starts within [`SAME_START_MS`], durations within [`same_duration`]) is stored once, from the
//! richer file (FIT over TCX over GPX, then more samples); the other is a `duplicate` in the
//! ledger.
//!
//! Progress goes through the [`Progress`] trait; this crate draws nothing.

use rayon::prelude::*;
use restday_decode::{Content, Decoded, decode_within};
use restday_model::{Format, LedgerRow, Outcome, activity_id};
use restday_source::{Found, Kind, Limits, SourceFile, journal, strava, walk};
use restday_store::{
    BatchWriter, Commit, Figures, FiguresPart, Store, StoreError, StoredActivity, StoredWellness,
    Written,
};
use std::collections::HashSet;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Two copies of one activity start within this many milliseconds of each other.
pub const SAME_START_MS: i64 = 60_000;

/// Two copies of one activity last about as long: within a minute or 10 %, whichever is more.
pub fn same_duration(a_s: f64, b_s: f64) -> bool {
    (a_s - b_s).abs() <= 60f64.max(0.1 * a_s.max(b_s))
}

/// What to import and where.
#[derive(Clone, Debug)]
pub struct Options {
    pub data_dir: PathBuf,
    pub inputs: Vec<PathBuf>,
    pub limits: Limits,
    /// Decompressed bytes gathered before a batch is decoded and its samples written.
    pub batch_bytes: usize,
    /// The fewest batches a commit holds: each batch's samples are written as pending parts at
    /// once, the tables every commit rewrites (activities, the ledger) at most once per this
    /// many batches.
    pub commit_batches: usize,
    /// A commit also waits until it holds this share of the files the ledger already holds,
    /// so that the tables it rewrites cost in proportion to what it adds: commits grow with
    /// the dataset and the whole import's rewriting stays linear in its size (with a commit
    /// every `commit_batches` batches, it grew with the square). `None`: a commit every
    /// `commit_batches` batches, whatever the size.
    pub commit_share: Option<f64>,
    /// A year's sample rows are written as a part once a commit's batches bring them to
    /// this many; until then they are held over from batch to batch ...
    pub part_rows: usize,
    /// ... as long as at most this many rows are held (0: each batch writes all its rows).
    /// See [`restday_store::Store::hold_rows`].
    pub held_rows: usize,
    /// The longest one file may take to decode before it is given up as failed.
    pub decode_timeout: Duration,
}

impl Options {
    pub fn new(data_dir: PathBuf, inputs: Vec<PathBuf>) -> Self {
        Options {
            data_dir,
            inputs,
            limits: Limits::default(),
            // Small enough to keep memory flat (a batch's samples are held once decoded). On
            // the generated 1 GB export, 6 MiB batches and 10 per commit peaked at 264 MB and
            // imported faster than 8 MiB and 8 (285 MB); 4 MiB and 16 was slower still.
            batch_bytes: 6 << 20,
            // A commit per 60 MiB read at least: its fixed cost (the ledger and activity table
            // rewritten) stays small against the decoding.
            commit_batches: 10,
            // A crash loses at most a fifth of the work of a long first import (nothing is
            // lost for good: the re-run imports it); a nightly import commits once anyway.
            // On the 2 GB export the commits took 2.8 s of 21 s, the last ones 150 ms each.
            commit_share: Some(0.25),
            // The generated 1 GB export, whose every batch holds activities of eleven years,
            // wrote 1,361 sample parts of 13 k rows on average without holding rows over, and
            // 284 with: 8-15 % faster. Held rows cost about 20 MB of peak memory.
            part_rows: restday_store::PART_ROWS,
            held_rows: restday_store::HELD_ROWS,
            // Real files decode in milliseconds; a minute means something is wrong.
            decode_timeout: Duration::from_secs(60),
        }
    }
}

/// Receives progress; implemented by the binary to draw a progress bar.
pub trait Progress: Sync {
    /// A file was looked at (decoded, skipped as known, or recorded as a problem).
    fn file(&self, _path: &str, _bytes: u64) {}
    /// A file failed or was only partly read.
    fn problem(&self, _row: &LedgerRow) {}
}

/// Progress that goes nowhere.
pub struct NoProgress;
impl Progress for NoProgress {}

/// What an import did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Summary {
    /// Files looked at, including those already known.
    pub seen: usize,
    pub imported: usize,
    pub duplicates: usize,
    pub unsupported: usize,
    pub failed: usize,
    /// Imported files that were only partly readable.
    pub partial: usize,
    /// Files the ledger already knew, not decoded again.
    pub unchanged: usize,
    /// Archives walked to the end before and unchanged since: not opened.
    pub archives_unchanged: usize,
    pub activities_added: usize,
    /// Stored activities replaced by a richer copy of the same activity.
    pub replaced: usize,
    pub wellness_rows_added: usize,
    /// Decompressed bytes read.
    pub bytes: u64,
    pub elapsed: Duration,
}

/// The content hash the ledger keys files by: XXH3-128 of the decompressed bytes, in hex.
pub fn content_hash(bytes: &[u8]) -> String {
    format!("{:032x}", xxhash_rust::xxh3::xxh3_128(bytes))
}

/// One stored or newly decoded activity, as the duplicate check sees it.
#[derive(Clone, Debug)]
struct Known {
    id: String,
    hash: String,
    start_ms: i64,
    duration_s: f64,
    richness: (u8, i64),
}

/// The activities stored or seen so far, by start time, so that finding the twin of a new one
/// looks only at those starting within [`SAME_START_MS`] of it.
#[derive(Default)]
struct KnownSet {
    by_start: std::collections::BTreeMap<i64, Vec<Known>>,
}

impl KnownSet {
    fn push(&mut self, k: Known) {
        self.by_start.entry(k.start_ms).or_default().push(k);
    }

    /// Another file's copy of the same activity: it starts within a minute and lasts as long.
    fn twin_of(&self, me: &Known) -> Option<(i64, usize)> {
        let window =
            me.start_ms.saturating_sub(SAME_START_MS)..=me.start_ms.saturating_add(SAME_START_MS);
        self.by_start.range(window).find_map(|(&start, ks)| {
            ks.iter()
                .position(|k| k.hash != me.hash && same_duration(k.duration_s, me.duration_s))
                .map(|i| (start, i))
        })
    }

    fn get(&self, (start, i): (i64, usize)) -> &Known {
        &self.by_start[&start][i]
    }

    fn remove(&mut self, (start, i): (i64, usize)) -> Known {
        let ks = self.by_start.get_mut(&start).expect("a twin found in the set");
        let k = ks.remove(i);
        if ks.is_empty() {
            self.by_start.remove(&start);
        }
        k
    }
}

fn format_of(kind: Kind) -> Option<Format> {
    match kind {
        Kind::Fit => Some(Format::Fit),
        Kind::Gpx => Some(Format::Gpx),
        Kind::Tcx => Some(Format::Tcx),
        Kind::GarminJson => Some(Format::GarminJson),
        Kind::StravaCsv | Kind::Journal => None,
    }
}

fn richness_of(format: &str) -> u8 {
    match format {
        "fit" => Format::Fit.richness(),
        "tcx" => Format::Tcx.richness(),
        "gpx" => Format::Gpx.richness(),
        _ => 0,
    }
}

/// The import in progress. The store itself is on the commit thread, which writes each commit
/// while this side goes on with the next batches (see [`Job`]).
struct Run<'a> {
    /// Writes the batches' pending parts (and knows the data folder, for errors).
    writer: BatchWriter,
    /// The ledger's rows, those of the commits sent to the commit thread included.
    ledger_rows: usize,
    /// The id of the last commit stored or sent to the commit thread.
    last_commit_id: i64,
    /// Where full commits go to be written; `None` once the last is sent.
    commits: Option<std::sync::mpsc::SyncSender<Job>>,
    progress: &'a dyn Progress,
    /// Content hashes already in the ledger or seen in this run.
    hashes: HashSet<String>,
    /// Files without a hash (skipped, unreadable) by path and size.
    unhashed: HashSet<(String, u64)>,
    /// (path, hash) of every ledger row, to tell a touched file from a copy elsewhere.
    ledger_paths: HashSet<(String, String)>,
    known: KnownSet,
    /// Names and types from Strava's activities.csv, by the activity file's path.
    labels: Vec<(String, Option<String>, Option<String>)>,
    summary: Summary,
    /// The commit batches are staged into until it is written, and how many it holds.
    open: Option<(i64, Commit, usize)>,
    /// The batch decoded last, to be settled while the next one is decoded.
    decoded: Option<Results>,
    figures: FiguresLink,
    /// The open commit has all its batches: it is written once the last is.
    full: bool,
    commit_batches: usize,
    commit_share: Option<f64>,
}

/// A commit whose batches are all written, for the commit thread to write, once its figures
/// part is back from the figures thread: a commit's serial part (its figures part, the
/// activity and ledger tables) took 70-120 ms against 25-40 ms to decode a batch, and held up
/// the next batch's decoding while one core idled.
struct Job {
    commit_id: i64,
    commit: Commit,
    figures: Option<FiguresReply>,
}

/// Where the figures thread sends a commit's figures part, written (`None`: no figures).
type FiguresReply = std::sync::mpsc::Receiver<Result<Option<Written>, StoreError>>;

/// The error for a helper thread gone (it panicked): the import cannot go on.
fn thread_stopped(dir: &std::path::Path, what: &str) -> StoreError {
    StoreError::Io {
        path: dir.to_path_buf(),
        source: std::io::Error::other(format!("the {what} thread stopped")),
    }
}

/// [`thread_stopped`] for the figures thread, on the figures' folder.
fn figures_stopped(dir: &std::path::Path) -> StoreError {
    thread_stopped(&dir.join(restday_store::HR_SECONDS), "figures")
}

/// Runs `f` in a rayon pool of one thread of its own, for the commit and figures threads, which
/// write parts with parallel iterators (a batch's year parts, a part's columns). On the global
/// pool, one of their jobs can land under a global worker's own: a worker waiting in a join
/// runs other jobs meanwhile, and the one it took may then block sending to the very thread
/// that waits for the job below it. An import hung so in a test. A pool's own thread never
/// blocks on the import.
fn on_own_pool<T: Send>(name: &str, f: impl FnOnce() -> T + Send) -> std::io::Result<T> {
    let name = name.to_string();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .thread_name(move |_| name.clone())
        .build()
        .map_err(std::io::Error::other)?;
    Ok(pool.install(f))
}

/// The result of the parallel stage for one file.
enum Work {
    /// Content the ledger already holds, by this hash.
    Known(String),
    /// With the file's wellness readings, as the store keeps them.
    Decoded(String, Result<Decoded, restday_decode::DecodeError>, StoredWellness),
    Csv(String, Result<Sidecar, String>),
}

/// The import's end of its figures thread: batches' figures go there, to be computed as they
/// come, so that Polars' work on one batch overlaps the next batches instead of holding them
/// up; a commit's come back written as one part when asked.
struct FiguresLink {
    /// `None` without a thread: each commit computes its figures.
    tx: Option<std::sync::mpsc::SyncSender<ToFigures>>,
    /// Figures sent since the last part was asked for.
    sent: bool,
}

impl FiguresLink {
    /// Adds a written batch to its commit, and sends its figures to the figures thread.
    fn add_written(&mut self, mut written: Written, commit: &mut Commit) {
        if let Some(tx) = &self.tx
            && let Some(figures) = written.take_figures()
        {
            match tx.send(ToFigures::Batch(figures)) {
                Ok(()) => self.sent = true,
                // No thread: the commit computes them.
                Err(std::sync::mpsc::SendError(ToFigures::Batch(figures))) => {
                    commit.add_figures(figures)
                }
                Err(_) => unreachable!("a batch's figures were sent"),
            }
        }
        commit.add(written);
    }

    /// Has the figures thread write the figures sent since the last call (a commit's batches)
    /// as one pending part, which comes back on the reply ([`add_figures_part`]); `None` when
    /// none were sent. `dir`: the data folder, for the error.
    fn ask(&mut self, dir: &std::path::Path) -> Result<Option<FiguresReply>, StoreError> {
        if !std::mem::take(&mut self.sent) {
            return Ok(None);
        }
        let stopped = || figures_stopped(dir);
        let tx = self.tx.as_ref().ok_or_else(stopped)?;
        let (reply_tx, reply) = std::sync::mpsc::channel();
        tx.send(ToFigures::Write(reply_tx)).map_err(|_| stopped())?;
        Ok(Some(reply))
    }
}

/// Waits for a commit's figures part ([`FiguresLink::ask`]) and adds it to the commit.
fn add_figures_part(
    reply: Option<FiguresReply>,
    commit: &mut Commit,
    dir: &std::path::Path,
) -> Result<(), StoreError> {
    let Some(reply) = reply else { return Ok(()) };
    if let Some(written) = reply.recv().map_err(|_| figures_stopped(dir))?? {
        commit.add(written);
    }
    Ok(())
}

/// What the import tells its figures thread.
enum ToFigures {
    /// Compute a batch's figures and gather them with the commit's others.
    Batch(Figures),
    /// Write the gathered figures as one pending part and send it back.
    Write(std::sync::mpsc::Sender<Result<Option<Written>, StoreError>>),
}

/// A file's wellness readings as the store keeps them: with the file's hash and path.
fn stored_wellness(
    readings: Vec<restday_model::WellnessRow>,
    hash: &str,
    f: &SourceFile,
) -> StoredWellness {
    StoredWellness { rows: readings, file_hash: hash.to_string(), source_path: f.path.clone() }
}

/// The CSV files an export or the athlete keeps beside the activity files.
enum Sidecar {
    Strava(Vec<strava::StravaActivity>),
    Journal(Vec<restday_model::JournalRow>),
}

/// Runs an import. Errors only when the dataset itself cannot be opened or written; problems
/// with input files are in the ledger and the summary.
///
/// The daily wellness table is rebuilt after it, when the import brought readings.
pub fn import(opts: &Options, progress: &dyn Progress) -> Result<Summary, StoreError> {
    let (summary, store) = import_keeping_store(opts, progress)?;
    refresh_wellness(&store)?;
    Ok(summary)
}

/// Rebuilds the daily wellness table (`wellness.parquet`) from the readings with the metrics'
/// rules, when its readings are newer ([`Store::refresh_wellness`]); true when it did.
pub fn refresh_wellness(store: &Store) -> Result<bool, StoreError> {
    store.refresh_wellness(
        restday_metrics::wellness::used_by_daily,
        restday_metrics::wellness::wellness_days,
    )
}

/// [`import`], handing back the store it wrote, still open and locked, for work that follows
/// at once (the metrics refresh): opening it again reads the ledger and activity tables back.
/// The daily wellness table is left to that work ([`refresh_wellness`]): the metrics
/// refresh rebuilds it beside work that does not need it.
pub fn import_keeping_store(
    opts: &Options,
    progress: &dyn Progress,
) -> Result<(Summary, Store), StoreError> {
    let started = Instant::now();
    let mut store = Store::open(&opts.data_dir)?;
    // The metrics' per-activity figures are computed from each batch's samples while they
    // are in memory, so the refresh after the import does not read every sample back.
    store.summarize_samples_with(restday_metrics::activity_figures);
    store.hold_rows(opts.part_rows, opts.held_rows);
    let hashes =
        store.ledger().iter().filter(|r| !r.hash.is_empty()).map(|r| r.hash.clone()).collect();
    let unhashed = store
        .ledger()
        .iter()
        .filter(|r| r.hash.is_empty())
        .map(|r| (r.path.clone(), r.size))
        .collect();
    let mut known = KnownSet::default();
    for a in store.activities() {
        known.push(Known {
            id: a.id.clone(),
            hash: a.file_hash.clone(),
            start_ms: a.activity.start_ms,
            duration_s: a.activity.duration_s(),
            richness: (richness_of(&a.format), a.sample_count),
        });
    }
    let ledger_paths = store.ledger().iter().map(|r| (r.path.clone(), r.hash.clone())).collect();
    // Files whose path and fingerprint the ledger holds are not read at all.
    let fingerprints: HashSet<(String, String)> = store
        .ledger()
        .iter()
        .filter_map(|r| Some((r.path.clone(), r.fingerprint.clone()?)))
        .collect();
    // And archives walked to the end before, with the same fingerprint, are not opened.
    let archives: HashSet<(String, String)> =
        store.archives().map(|(p, f)| (p.to_string(), f.to_string())).collect();
    let seen = |path: &str, fingerprint: &str| {
        let key = (path.to_string(), fingerprint.to_string());
        fingerprints.contains(&key) || archives.contains(&key)
    };
    // At most two batches' figures wait for the thread: past that the import waits for it.
    let (figures_tx, figures_rx) = std::sync::mpsc::sync_channel::<ToFigures>(2);
    // One full commit waits while another is written: past that the import waits.
    let (commits_tx, commits_rx) = std::sync::mpsc::sync_channel::<Job>(1);
    let run = Run {
        writer: store.writer().clone(),
        ledger_rows: store.ledger().len(),
        last_commit_id: store.last_commit_id(),
        commits: Some(commits_tx),
        progress,
        hashes,
        unhashed,
        ledger_paths,
        known,
        labels: Vec::new(),
        summary: Summary::default(),
        open: None,
        decoded: None,
        figures: FiguresLink { tx: Some(figures_tx), sent: false },
        full: false,
        commit_batches: opts.commit_batches.max(1),
        commit_share: opts.commit_share,
    };

    // The walk (reading, decompressing and hashing: a file is hashed while its bytes are fresh
    // in the cache, off the busier workers) runs on its own thread and hands over bounded
    // batches, one at a time, while this thread decodes and settles the previous one, and
    // writes the samples of the one before that as it decodes: at most four batches are in
    // memory (being filled, waiting, being decoded, being written).
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<(Found, String)>>(1);
    let stop = std::sync::atomic::AtomicBool::new(false);
    // The run moves into the scope, so that a panic on this side drops its ends of the figures
    // and commit threads' channels while unwinding: those threads then end, and the scope,
    // which waits for them, passes the panic on instead of hanging.
    let (mut run, result, stored) = std::thread::scope(|scope| {
        let mut run = run;
        let mut result = Ok(());
        let (seen, stop) = (&seen, &stop);
        // The store goes to the commit thread, which writes the full commits in turn and
        // hands it back at the end. After a failed commit, no later one is written.
        let committer =
            std::thread::Builder::new().name("commit".into()).spawn_scoped(scope, move || {
                let mut store = store;
                let committed = on_own_pool("commit-pool", || {
                    let mut committed = Ok(());
                    for Job { commit_id, mut commit, figures } in commits_rx {
                        if committed.is_err() {
                            continue;
                        }
                        committed = add_figures_part(figures, &mut commit, store.dir())
                            .and_then(|()| store.commit(commit_id, commit));
                        if committed.is_err() {
                            stop.store(true, std::sync::atomic::Ordering::Relaxed);
                        }
                    }
                    committed
                });
                // Without its pool, the commits were not received: the import stops.
                let committed = committed.unwrap_or_else(|source| {
                    stop.store(true, std::sync::atomic::Ordering::Relaxed);
                    Err(StoreError::Io { path: store.dir().to_path_buf(), source })
                });
                (store, committed)
            });
        let committer = match committer {
            Ok(c) => c,
            Err(source) => {
                return (run, Err(StoreError::Io { path: opts.data_dir.clone(), source }), None);
            }
        };
        let spawned =
            std::thread::Builder::new().name("walk".into()).spawn_scoped(scope, move || {
                let mut batch: Vec<(Found, String)> = Vec::new();
                let mut batch_bytes = 0usize;
                walk(&opts.inputs, &opts.limits, seen, &mut |found| {
                    // After a failed commit the rest is not read.
                    if stop.load(std::sync::atomic::Ordering::Relaxed) {
                        return;
                    }
                    let hash = match &found {
                        Found::File(f) => {
                            batch_bytes += f.bytes.len();
                            content_hash(&f.bytes)
                        }
                        _ => String::new(),
                    };
                    batch.push((found, hash));
                    if batch_bytes >= opts.batch_bytes || batch.len() >= 4096 {
                        batch_bytes = 0;
                        let _ = tx.send(std::mem::take(&mut batch));
                    }
                });
                let _ = tx.send(batch);
            });
        if let Err(source) = spawned {
            result = Err(StoreError::Io { path: opts.data_dir.clone(), source });
        }
        let figures =
            std::thread::Builder::new().name("figures".into()).spawn_scoped(scope, move || {
                // Without its pool, the figures are not received: each commit computes them.
                let _ = on_own_pool("figures-pool", || {
                    let mut part: Result<Option<FiguresPart>, StoreError> = Ok(None);
                    for message in figures_rx {
                        match message {
                            ToFigures::Batch(figures) => {
                                // After an error the rest is not computed: the commit fails.
                                if let Ok(gathered) = &mut part
                                    && let Err(e) = figures.compute_into(gathered)
                                {
                                    part = Err(e);
                                }
                            }
                            ToFigures::Write(reply) => {
                                let done = std::mem::replace(&mut part, Ok(None))
                                    .and_then(|p| p.map(FiguresPart::write).transpose());
                                // No one waiting: the import is failing.
                                let _ = reply.send(done);
                            }
                        }
                    }
                });
            });
        if figures.is_err() {
            // The figures are computed by each commit instead.
            run.figures.tx = None;
        }
        let going = |result: &Result<(), StoreError>| {
            result.is_ok() && !stop.load(std::sync::atomic::Ordering::Relaxed)
        };
        for batch in rx {
            if going(&result) {
                result = run.batch(batch, opts.decode_timeout);
                if result.is_err() {
                    stop.store(true, std::sync::atomic::Ordering::Relaxed);
                }
            }
        }
        // The last batch is settled here, so that its figures join the commit's others, and
        // the last commit written.
        if going(&result) {
            result = run.settle();
        }
        if going(&result)
            && let Some((commit_id, commit, _)) = run.open.take()
        {
            result = run.send_commit(commit_id, commit);
        }
        // The figures thread ends, then the commit thread.
        run.figures.tx = None;
        run.commits = None;
        let stored = committer.join().ok();
        (run, result, stored)
    });
    result?;
    let (store, committed) = stored.ok_or_else(|| thread_stopped(&opts.data_dir, "commit"))?;
    committed?;
    run.summary.elapsed = started.elapsed();
    Ok((run.summary, store))
}

/// A batch's files, each with what the parallel stage made of it.
type Results = Vec<(Found, Option<Work>, u64)>;

/// Decodes a batch in parallel: only the first copy of each content neither `known` nor `new`
/// holds (the walk hashed them), adding it to `new`; the bytes move into the decode, so a batch
/// is held once.
fn decode_batch(
    batch: Vec<(Found, String)>,
    known: &HashSet<String>,
    new: &mut HashSet<String>,
    progress: &dyn Progress,
    timeout: Duration,
) -> Results {
    let hashed: Vec<(Found, Vec<u8>, String)> = batch
        .into_iter()
        .map(|(found, hash)| match found {
            Found::File(mut f) => {
                let bytes = std::mem::take(&mut f.bytes);
                progress.file(&f.path, bytes.len() as u64);
                (Found::File(f), bytes, hash)
            }
            other => (other, Vec::new(), hash),
        })
        .collect();
    let decode_this: Vec<bool> = hashed
        .iter()
        .map(|(found, _, hash)| {
            matches!(found, Found::File(_)) && !known.contains(hash) && new.insert(hash.clone())
        })
        .collect();
    hashed
        .into_par_iter()
        .zip(decode_this)
        // A file per task, so that a worker done with its side of the join takes files one by
        // one from the other's (by default a task may hold a quarter of the batch, which the
        // other worker then waits for).
        .with_max_len(1)
        .map(|((found, bytes, hash), decode)| {
            let Found::File(f) = &found else { return (found, None, 0) };
            let size = bytes.len() as u64;
            let work = if !decode {
                Work::Known(hash)
            } else if let Some(format) = format_of(f.kind) {
                let mut decoded = decode_within(format, bytes, timeout);
                let readings = match &mut decoded {
                    Ok(d) => stored_wellness(std::mem::take(&mut d.wellness), &hash, f),
                    Err(_) => stored_wellness(Vec::new(), &hash, f),
                };
                Work::Decoded(hash, decoded, readings)
            } else if f.kind == Kind::Journal {
                Work::Csv(hash, journal::parse_journal_csv(&bytes).map(Sidecar::Journal))
            } else {
                Work::Csv(hash, strava::parse_activities_csv(&bytes).map(Sidecar::Strava))
            };
            (found, Some(work), size)
        })
        .collect()
}

impl Run<'_> {
    /// Decodes a batch while the one before it is settled (recorded in the commit, its samples
    /// written, and the commit sent to be written after its last batch): the decoding needs
    /// only the content hashes the earlier batches brought, added before, so both cores stay
    /// busy instead of one waiting for the other's serial part.
    fn batch(&mut self, batch: Vec<(Found, String)>, timeout: Duration) -> Result<(), StoreError> {
        if batch.is_empty() {
            return Ok(());
        }
        let known = std::mem::take(&mut self.hashes);
        let progress = self.progress;
        let mut new = HashSet::new();
        let (settled, results) = rayon::join(
            || self.settle(),
            || decode_batch(batch, &known, &mut new, progress, timeout),
        );
        self.hashes = known;
        self.hashes.extend(new);
        self.decoded = Some(results);
        settled
    }

    /// Settles the batch decoded last, if any: records it in the open commit, writes its
    /// samples, and sends the commit to the commit thread when that was its last batch.
    fn settle(&mut self) -> Result<(), StoreError> {
        let Some(results) = self.decoded.take() else { return Ok(()) };
        if !self.record(results) {
            return Ok(());
        }
        let Some((commit_id, mut commit, batches)) = self.open.take() else {
            unreachable!("a recorded batch has an open commit")
        };
        let batch = self.writer.take_batch(commit_id, &mut commit);
        let written = self.writer.write_batch(batch)?;
        self.figures.add_written(written, &mut commit);
        if !self.full {
            self.open = Some((commit_id, commit, batches));
            return Ok(());
        }
        // Its last batch written, the commit is, once its figures part is back.
        self.full = false;
        self.send_commit(commit_id, commit)
    }

    /// Sends a commit whose batches are all written to the commit thread, which writes it
    /// once its figures part is back, while this side goes on.
    fn send_commit(&mut self, commit_id: i64, mut commit: Commit) -> Result<(), StoreError> {
        let figures = self.figures.ask(self.writer.dir())?;
        commit.labels = self.labels.clone();
        self.ledger_rows += commit.ledger.len();
        self.last_commit_id = self.last_commit_id.max(commit_id);
        let job = Job { commit_id, commit, figures };
        match self.commits.as_ref().map(|tx| tx.send(job).is_ok()) {
            Some(true) => Ok(()),
            _ => Err(thread_stopped(self.writer.dir(), "commit")),
        }
    }

    /// Records a decoded batch in the open commit (opening one if none is): ledger rows,
    /// activities and readings, deduplicated. False when it changed nothing to write.
    fn record(&mut self, results: Results) -> bool {
        let (commit_id, mut commit, batches) = self.open.take().unwrap_or_else(|| {
            (restday_store::commit_id_after(self.last_commit_id), Commit::default(), 0)
        });
        let before = (
            commit.ledger.len(),
            commit.fingerprints.len(),
            commit.archives.len(),
            commit.activities.len(),
            // Readings stay in the commit over batches until there are a part's worth.
            restday_store::tables::readings(&commit.wellness),
        );
        let seen_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(commit_id, |d| d.as_millis() as i64);

        let mut labels_changed = false;
        for (found, work, size) in results {
            // Archives are not files: they count apart.
            if !matches!(found, Found::Archive { .. } | Found::UnchangedArchive { .. }) {
                self.summary.seen += 1;
            }
            let fingerprint = match &found {
                Found::File(f) if !f.fingerprint.is_empty() => Some(f.fingerprint.clone()),
                _ => None,
            };
            let row = |path: String, size: u64, hash: String, format: String, outcome| LedgerRow {
                path,
                size,
                hash,
                fingerprint: fingerprint.clone(),
                format,
                outcome,
                partial: false,
                error: None,
                activity_ids: None,
                commit_id,
                seen_ms,
            };
            let ledger_row = match (found, work) {
                (Found::Unchanged { path }, _) => {
                    self.progress.file(&path, 0);
                    self.summary.unchanged += 1;
                    continue;
                }
                (Found::UnchangedArchive { path }, _) => {
                    self.progress.file(&path, 0);
                    self.summary.archives_unchanged += 1;
                    continue;
                }
                (Found::Archive { path, fingerprint }, _) => {
                    commit.archives.push((path, fingerprint));
                    continue;
                }
                (Found::Skipped { path, size, ext }, _) => {
                    self.progress.file(&path, size);
                    if !self.unhashed.insert((path.clone(), size)) {
                        self.summary.unchanged += 1;
                        continue;
                    }
                    let mut r = row(path, size, String::new(), ext, Outcome::Unsupported);
                    r.error = Some("not a FIT, GPX or TCX file".to_string());
                    r
                }
                (Found::Error { path, size, reason }, _) => {
                    self.progress.file(&path, size);
                    if !self.unhashed.insert((path.clone(), size)) {
                        self.summary.unchanged += 1;
                        continue;
                    }
                    let mut r = row(path, size, String::new(), String::new(), Outcome::Failed);
                    r.error = Some(reason);
                    r
                }
                (Found::File(f), Some(Work::Known(hash))) => {
                    // Read and hashed, but the content is already in the ledger.
                    self.summary.bytes += size;
                    if self.ledger_paths.contains(&(f.path.clone(), hash.clone())) {
                        // The same file, touched: remember its new fingerprint so the next
                        // run does not read it again.
                        if let Some(fp) = fingerprint {
                            commit.fingerprints.push((f.path.clone(), fp));
                        }
                        self.summary.unchanged += 1;
                        continue;
                    }
                    let format = format_of(f.kind).map_or("csv", |x| x.as_str()).to_string();
                    let mut r = row(f.path.clone(), size, hash, format, Outcome::Duplicate);
                    // x.fit and x.fit.gz, or the same file in two exports.
                    r.error = Some("same content as another file already recorded".into());
                    r
                }
                (Found::File(_), None) => {
                    self.summary.unchanged += 1;
                    continue;
                }
                (Found::File(f), Some(Work::Csv(hash, parsed))) => {
                    self.summary.bytes += size;
                    let mut r = row(f.path.clone(), size, hash, "csv".into(), Outcome::Imported);
                    match parsed {
                        Ok(Sidecar::Strava(rows)) => {
                            let root = strava::export_root(&f.path);
                            self.labels.extend(rows.into_iter().map(|s| {
                                (format!("{root}{}", s.filename), s.name, s.activity_type)
                            }));
                            labels_changed = true;
                        }
                        Ok(Sidecar::Journal(rows)) => commit.journal.extend(rows),
                        Err(e) => {
                            r.outcome = Outcome::Failed;
                            r.error = Some(e);
                        }
                    }
                    r
                }
                (Found::File(f), Some(Work::Decoded(hash, decoded, readings))) => {
                    // Only the first copy of a content is decoded (its hash was added to the
                    // known ones as the decoding ended).
                    self.summary.bytes += size;
                    self.decoded(&f, size, hash, (decoded, readings), row, &mut commit)
                }
            };
            match ledger_row.outcome {
                Outcome::Imported => self.summary.imported += 1,
                Outcome::Duplicate => self.summary.duplicates += 1,
                Outcome::Unsupported => self.summary.unsupported += 1,
                Outcome::Failed => self.summary.failed += 1,
            }
            if ledger_row.partial {
                self.summary.partial += 1;
            }
            if ledger_row.outcome == Outcome::Failed || ledger_row.partial {
                self.progress.problem(&ledger_row);
            }
            if !ledger_row.hash.is_empty() {
                self.ledger_paths.insert((ledger_row.path.clone(), ledger_row.hash.clone()));
            }
            commit.ledger.push(ledger_row);
        }
        let changed = commit.ledger.len() > before.0
            || commit.fingerprints.len() > before.1
            || commit.archives.len() > before.2
            || labels_changed;
        if !changed {
            if batches > 0 {
                self.open = Some((commit_id, commit, batches));
            }
            return false;
        }
        let added = commit.activities.len() as isize - before.3 as isize;
        self.summary.activities_added = (self.summary.activities_added as isize + added) as usize;
        self.summary.wellness_rows_added +=
            restday_store::tables::readings(&commit.wellness) - before.4;
        let big_enough = self
            .commit_share
            .is_none_or(|share| commit.ledger.len() as f64 >= share * self.ledger_rows as f64);
        // The commit is full: it is written after this batch, its last.
        self.full = batches + 1 >= self.commit_batches && big_enough;
        self.open = Some((commit_id, commit, batches + 1));
        true
    }

    /// Turns one decoded file into its ledger row, and its activities and wellness into the
    /// commit, deduplicating against everything stored or seen so far.
    fn decoded(
        &mut self,
        f: &SourceFile,
        size: u64,
        hash: String,
        (decoded, readings): (Result<Decoded, restday_decode::DecodeError>, StoredWellness),
        row: impl Fn(String, u64, String, String, Outcome) -> LedgerRow,
        commit: &mut Commit,
    ) -> LedgerRow {
        let format = format_of(f.kind).map_or("", |x| x.as_str()).to_string();
        let mut r = row(f.path.clone(), size, hash.clone(), format.clone(), Outcome::Imported);
        let d = match decoded {
            Ok(d) => d,
            Err(e) => {
                r.outcome = Outcome::Failed;
                r.error = Some(e.to_string());
                return r;
            }
        };
        let mut notes: Vec<String> = Vec::new();
        if let Some(p) = &d.partial {
            r.partial = true;
            notes.push(format!("partly read: {p}"));
        }
        notes.extend(d.warnings.iter().cloned());
        if let Content::Unsupported(why) = &d.content {
            r.outcome = Outcome::Unsupported;
            notes.insert(0, why.clone());
        }
        let mut kept_ids = Vec::new();
        let mut duplicate_of = Vec::new();
        for a in d.activities {
            let id = activity_id(&hash, a.leg);
            let me = Known {
                id: id.clone(),
                hash: hash.clone(),
                start_ms: a.start_ms,
                duration_s: a.duration_s(),
                richness: (richness_of(&format), a.samples.len() as i64),
            };
            if let Some(at) = self.known.twin_of(&me) {
                let twin = self.known.get(at);
                if twin.richness >= me.richness {
                    duplicate_of.push(twin.id.clone());
                    continue;
                }
                // The new copy is richer: it replaces the one seen before.
                let old = self.known.remove(at);
                if let Some(pos) = commit.activities.iter().position(|(s, _)| s.id == old.id) {
                    commit.activities.remove(pos);
                    // Its samples may already be in a staged part of this commit.
                    commit.dropped.push(old.id.clone());
                    let rows = commit
                        .ledger
                        .iter_mut()
                        .filter(|lr| lr.hash == old.hash && lr.outcome == Outcome::Imported);
                    for lr in rows {
                        if restday_model::replace_in_ledger_row(lr, &old.id, &id) {
                            self.summary.imported -= 1;
                            self.summary.duplicates += 1;
                        }
                    }
                } else {
                    commit.replaced.push((old.id, id.clone()));
                    self.summary.replaced += 1;
                }
            }
            self.known.push(me);
            kept_ids.push(id.clone());
            let mut activity = a;
            let samples = std::mem::take(&mut activity.samples);
            let sample_count = samples.len() as i64;
            commit.activities.push((
                StoredActivity {
                    id,
                    file_hash: hash.clone(),
                    source_path: f.path.clone(),
                    format: format.clone(),
                    activity,
                    sample_count,
                    commit_id: r.commit_id,
                },
                samples,
            ));
        }
        // The wellness of a file whose activities are all stored from another file (the R-R
        // intervals of a second copy of a run) is already stored with them.
        let all_duplicates = kept_ids.is_empty() && !duplicate_of.is_empty();
        if !all_duplicates && !readings.rows.is_empty() {
            commit.wellness.push(readings);
        }
        if all_duplicates {
            r.outcome = Outcome::Duplicate;
            notes.insert(0, "the same activity is already stored from another file".into());
            r.activity_ids = Some(duplicate_of.join(","));
        } else if !kept_ids.is_empty() {
            r.activity_ids = Some(kept_ids.join(","));
        }
        if !notes.is_empty() {
            r.error = Some(notes.join("; "));
        }
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duration_similarity() {
        let cases = [
            (3600.0, 3650.0, true),  // 50 s apart
            (3600.0, 3950.0, true),  // 350 s is within 10 % of 3950 s
            (3600.0, 4100.0, false), // 500 s is more than 410 s
            (30.0, 85.0, true),      // short: within a minute
            (30.0, 100.0, false),
        ];
        for (a, b, want) in cases {
            assert_eq!(same_duration(a, b), want, "{a} vs {b}");
        }
    }

    #[test]
    fn a_content_is_decoded_once_within_and_across_batches() {
        // A content the ledger knows, and a new content twice in one batch and again in the
        // next, decoded before the first is settled (recorded): only its first copy is
        // decoded, the others are known by hash.
        let gpx = br#"<gpx><trk><trkseg><trkpt lat="1" lon="2"><time>2024-01-01T00:00:00Z</time></trkpt></trkseg></trk></gpx>"#;
        let file = |path: &str, bytes: &[u8]| {
            let f = SourceFile {
                path: path.into(),
                kind: Kind::Gpx,
                bytes: bytes.to_vec(),
                fingerprint: String::new(),
            };
            (Found::File(f), content_hash(bytes))
        };
        let known: HashSet<String> = [content_hash(b"old")].into();
        let mut new = HashSet::new();
        let timeout = Duration::from_secs(10);
        let first = decode_batch(
            vec![file("a.gpx", gpx), file("old.gpx", b"old"), file("b.gpx", gpx)],
            &known,
            &mut new,
            &NoProgress,
            timeout,
        );
        // As `Run::batch` does once a batch is decoded.
        let known: HashSet<String> = known.union(&new).cloned().collect();
        let mut newer = HashSet::new();
        let second =
            decode_batch(vec![file("c.gpx", gpx)], &known, &mut newer, &NoProgress, timeout);
        let what = |results: &Results| -> Vec<(String, &'static str)> {
            results
                .iter()
                .map(|(found, work, _)| {
                    let Found::File(f) = found else { panic!("a file") };
                    let work = match work {
                        Some(Work::Known(_)) => "known",
                        Some(Work::Decoded(_, Ok(_), _)) => "decoded",
                        _ => "other",
                    };
                    (f.path.clone(), work)
                })
                .collect()
        };
        let pairs = |v: &[(&str, &'static str)]| -> Vec<(String, &'static str)> {
            v.iter().map(|(p, w)| (p.to_string(), *w)).collect()
        };
        assert_eq!(
            what(&first),
            pairs(&[("a.gpx", "decoded"), ("old.gpx", "known"), ("b.gpx", "known")])
        );
        assert_eq!(what(&second), pairs(&[("c.gpx", "known")]));
        assert_eq!(new, [content_hash(gpx)].into());
        assert!(newer.is_empty());
    }

    #[test]
    fn hash_is_stable_hex() {
        let h = content_hash(b"restday");
        assert_eq!(h.len(), 32);
        assert_eq!(h, content_hash(b"restday"));
        assert_ne!(h, content_hash(b"restdaz"));
    }
}
