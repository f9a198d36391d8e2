//! Criterion benches of the import stages, with throughput in bytes:
//! - `decode_fit`: every FIT file in `data/export/fit`, decoded on one core (the import's
//!   decoder, `fast::decode`);
//! - `decode_fit_fitparser`: the same through fitparser alone (the oracle), for comparison;
//! - `decode_xml`: the GPX and TCX files in `data/export`;
//! - `scan_fit_records`: the same FIT files through the zero-copy record scanner;
//! - `import`: a whole `restday` import of `data/export` into a fresh data folder.
//!
//! Run with `cargo bench --bench import` (or `just bench`).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

/// The allocator the `restday` binary uses (see `crates/cli/main.rs`), so the benches measure
/// what the import runs: with glibc's, a decode's large column buffers went to mmap and back
/// on every iteration and the figures moved by 40 % from run to run.
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;
use restday_decode::decode;
use restday_model::Format;
use std::path::{Path, PathBuf};

fn files(dir: &Path, ext: &[&str]) -> Vec<(Format, Vec<u8>)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files(&p, ext));
            continue;
        }
        let x = p.extension().and_then(|x| x.to_str()).unwrap_or_default().to_ascii_lowercase();
        let format = match x.as_str() {
            "fit" => Format::Fit,
            "gpx" => Format::Gpx,
            "tcx" => Format::Tcx,
            _ => continue,
        };
        if ext.contains(&x.as_str()) {
            out.push((format, std::fs::read(&p).unwrap()));
        }
    }
    out
}

fn export() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/export")
}

/// A bench group `name` that runs `each` over every file of `data/export` with the extensions
/// `ext`, with the bytes read as its throughput.
fn over_files(c: &mut Criterion, name: &str, ext: &[&str], each: impl Fn(Format, &[u8])) {
    let inputs = files(&export(), ext);
    let bytes: usize = inputs.iter().map(|(_, b)| b.len()).sum();
    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Bytes(bytes as u64));
    g.sample_size(10);
    g.bench_function("data/export", |b| {
        b.iter(|| {
            for (format, bytes) in &inputs {
                each(*format, bytes);
            }
        })
    });
    g.finish();
}

fn bench_decode(c: &mut Criterion) {
    let decode_ = |format, bytes: &[u8]| {
        std::hint::black_box(decode(format, bytes).ok());
    };
    over_files(c, "decode_fit", &["fit"], decode_);
    over_files(c, "decode_xml", &["gpx", "tcx"], decode_);
}

fn bench_fitparser(c: &mut Criterion) {
    over_files(c, "decode_fit_fitparser", &["fit"], |_, bytes| {
        std::hint::black_box(restday_decode::fit::decode_with_fitparser(bytes).ok());
    });
}

fn bench_fast_fit(c: &mut Criterion) {
    over_files(c, "scan_fit_records", &["fit"], |_, bytes| {
        std::hint::black_box(restday_decode::fast::scan_records(bytes).ok());
    });
}

fn bench_import(c: &mut Criterion) {
    let bytes: usize = files(&export(), &["fit", "gpx", "tcx"]).iter().map(|(_, b)| b.len()).sum();
    let mut g = c.benchmark_group("import");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.sample_size(10);
    g.bench_function("data/export, fresh data folder", |b| {
        b.iter_with_setup(
            || tempfile::tempdir().unwrap(),
            |dir| {
                let opts = restday_import::Options::new(dir.path().join("data"), vec![export()]);
                let summary = restday_import::import(&opts, &restday_import::NoProgress).unwrap();
                assert!(summary.imported > 0);
                dir
            },
        )
    });
    g.finish();
}

criterion_group!(benches, bench_decode, bench_fitparser, bench_fast_fit, bench_import);
criterion_main!(benches);
