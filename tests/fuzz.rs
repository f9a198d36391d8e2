//! A mutation fuzzer over the FIT, GPX and TCX decoders and the archive reader, seeded with the
//! real files in `data/`. CI runs a bounded count with a fixed seed; `just fuzz` runs a longer
//! one (`RESTDAY_FUZZ_ITERS`, `RESTDAY_FUZZ_SEED`). Inputs that break something are written to
//! `target/fuzz-findings/`; every one that ever did is kept in `tests/regressions/` and replayed
//! by `regressions_stay_fixed`.

use crate::util::{data, root};
use restday_decode::{DecodeError, decode_within};
use restday_model::Format;
use restday_source::{Found, Limits, walk_bytes};
use std::path::PathBuf;
use std::time::Duration;

/// xorshift64*: small, fast, and the same sequence for the same seed everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const INTERESTING: [u32; 8] = [0, 1, 0x7F, 0x80, 0xFF, 0xFFFF, 0x7FFF_FFFF, 0xFFFF_FFFF];

/// One to four random edits: bit flips, interesting bytes and words, truncation, a chunk
/// deleted, duplicated or replaced by random bytes.
fn mutate(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
    let mut b = seed.to_vec();
    for _ in 0..1 + rng.below(4) {
        if b.is_empty() {
            b.push(rng.next() as u8);
            continue;
        }
        let at = rng.below(b.len());
        match rng.below(7) {
            0 => b[at] ^= 1 << rng.below(8),
            1 => b[at] = INTERESTING[rng.below(INTERESTING.len())] as u8,
            2 => {
                let w = INTERESTING[rng.below(INTERESTING.len())].to_le_bytes();
                for (i, x) in w.iter().enumerate() {
                    if let Some(slot) = b.get_mut(at + i) {
                        *slot = *x;
                    }
                }
            }
            3 => b.truncate(at),
            4 => {
                let end = (at + 1 + rng.below(64)).min(b.len());
                b.drain(at..end);
            }
            5 => {
                let end = (at + 1 + rng.below(64)).min(b.len());
                let chunk = b[at..end].to_vec();
                let to = rng.below(b.len());
                b.splice(to..to, chunk);
            }
            _ => {
                let n = 1 + rng.below(16);
                let junk: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
                b.splice(at..at, junk);
            }
        }
    }
    b
}

fn seeds(dirs: &[&str], ext: &str) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for d in dirs {
        let mut paths: Vec<PathBuf> =
            std::fs::read_dir(data(d)).unwrap().flatten().map(|e| e.path()).collect();
        paths.sort();
        for p in paths {
            let big = std::fs::metadata(&p).map(|m| m.len() > 200_000).unwrap_or(true);
            if p.extension().is_some_and(|x| x.eq_ignore_ascii_case(ext)) && !big {
                out.push(std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

fn iterations(default: usize) -> usize {
    std::env::var("RESTDAY_FUZZ_ITERS").ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn fuzz_seed() -> u64 {
    std::env::var("RESTDAY_FUZZ_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or(0x005E_ED0F_DA7A)
}

fn save_finding(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = root().join("target").join("fuzz-findings");
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// What a fuzz run saw.
#[derive(Debug, Default)]
struct Tally {
    tried: usize,
    ok: usize,
    errors: usize,
    /// Panics caught inside a decoder (recorded as failed files, never a crash).
    caught_panics: Vec<(PathBuf, String)>,
    timeouts: Vec<PathBuf>,
    /// Panics in the zero-copy FIT scanner.
    scanner_panics: Vec<PathBuf>,
}

fn fuzz_decoder(
    format: Format,
    ext: &str,
    seeds: &[Vec<u8>],
    iters: usize,
    rng: &mut Rng,
) -> Tally {
    let mut t = Tally::default();
    for i in 0..iters {
        let pick = rng.below(seeds.len());
        let input = mutate(rng, &seeds[pick]);
        t.tried += 1;
        if format == Format::Fit {
            // The zero-copy scanner is ours alone: it must not panic at all.
            let scanned = std::panic::catch_unwind(|| restday_decode::fast::scan_records(&input));
            if scanned.is_err() {
                t.scanner_panics.push(save_finding(&format!("scanner-panic-{i}.fit"), &input));
            }
        }
        match decode_within(format, input.clone(), Duration::from_secs(10)) {
            Ok(_) => t.ok += 1,
            Err(DecodeError::Panic(msg)) => {
                t.caught_panics.push((save_finding(&format!("panic-{i}.{ext}"), &input), msg));
            }
            Err(DecodeError::Timeout(_)) => {
                t.timeouts.push(save_finding(&format!("timeout-{i}.{ext}"), &input))
            }
            Err(_) => t.errors += 1,
        }
    }
    t
}

fn report(what: &str, t: &Tally) {
    eprintln!(
        "fuzz {what}: {} inputs, {} decoded, {} clean errors, {} caught panics, {} timeouts",
        t.tried,
        t.ok,
        t.errors,
        t.caught_panics.len(),
        t.timeouts.len()
    );
    for (p, msg) in &t.caught_panics {
        eprintln!("  caught panic {}: {msg}", p.display());
    }
}

#[test]
fn fuzz_fit_decoder() {
    let mut rng = Rng(fuzz_seed());
    let t = fuzz_decoder(
        Format::Fit,
        "fit",
        &seeds(&["export/fit", "broken"], "fit"),
        iterations(400),
        &mut rng,
    );
    report("FIT", &t);
    assert!(t.timeouts.is_empty(), "decodes that hung: {:?}", t.timeouts);
    assert!(t.scanner_panics.is_empty(), "the fast scanner panicked: {:?}", t.scanner_panics);
    // fitparser panics on some inputs; each is caught and becomes a failed ledger row. The
    // regression corpus holds the ones found so far, and the checks before fitparser keep the
    // known kinds away from it.
    assert!(t.ok + t.errors + t.caught_panics.len() == t.tried);
}

#[test]
fn fuzz_gpx_and_tcx_decoders() {
    let mut rng = Rng(fuzz_seed() ^ 1);
    for (format, ext, dir) in
        [(Format::Gpx, "gpx", "export/gpx"), (Format::Tcx, "tcx", "export/tcx")]
    {
        let t = fuzz_decoder(format, ext, &seeds(&[dir], ext), iterations(300), &mut rng);
        report(ext, &t);
        assert!(t.timeouts.is_empty(), "{ext} decodes that hung: {:?}", t.timeouts);
        assert!(t.caught_panics.is_empty(), "our XML readers panicked: {:?}", t.caught_panics);
    }
}

#[test]
fn fuzz_archive_reader() {
    let mut rng = Rng(fuzz_seed() ^ 2);
    let fit = crate::util::read("export/fit/garmin-fenix-5-walk.fit");
    let inner =
        crate::util::zip(&[("a.fit", fit.clone()), ("b.gpx.gz", crate::util::gz(b"<gpx></gpx>"))]);
    let archive = crate::util::zip(&[
        ("x/inner.zip", inner),
        ("y.fit", fit.clone()),
        ("z.json", b"[]".to_vec()),
    ]);
    let gz = crate::util::gz(&fit);
    let limits = Limits { max_file_bytes: 8 << 20, ..Limits::default() };
    let iters = iterations(300);
    let mut found = 0usize;
    for _ in 0..iters {
        let (name, seed) = if rng.below(2) == 0 { ("e.zip", &archive) } else { ("f.fit.gz", &gz) };
        let input = mutate(&mut rng, seed);
        // A panic here would fail the test: walk_bytes must turn every fault into a Found.
        walk_bytes(name, input, &limits, &mut |f| {
            found += 1;
            if let Found::File(f) = f {
                assert!(f.bytes.len() <= 8 << 20);
            }
        });
    }
    eprintln!("fuzz archives: {iters} inputs, {found} entries reported");
    assert!(found >= iters, "every input reports at least one entry");
}

/// Every input that ever broke something, replayed: it must give an answer (a decode, a clean
/// error or a caught panic), within the time budget.
#[test]
fn regressions_stay_fixed() {
    let dir = root().join("tests").join("regressions");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|rd| rd.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    paths.sort();
    for p in paths {
        let format = match p.extension().and_then(|x| x.to_str()) {
            Some("fit") => Format::Fit,
            Some("gpx") => Format::Gpx,
            Some("tcx") => Format::Tcx,
            _ => continue,
        };
        let r = decode_within(format, std::fs::read(&p).unwrap(), Duration::from_secs(10));
        assert!(!matches!(r, Err(DecodeError::Timeout(_))), "{} hung", p.display());
        if let Some(stem) = p.file_stem().and_then(|s| s.to_str())
            && stem.starts_with("fixed-")
        {
            // Inputs whose panic we now prevent must not reach the decoder's panic path.
            assert!(
                !matches!(r, Err(DecodeError::Panic(_))),
                "{} panics again: {r:?}",
                p.display()
            );
        }
    }
}
