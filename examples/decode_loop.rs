//! Decodes every FIT, GPX and TCX file of a folder a fixed number of times, on one core, and
//! prints the throughput: the decoders alone, without criterion's statistics, for profilers and
//! for counting instructions (`valgrind --tool=callgrind`), which unlike the time does not move
//! with the machine's other tenants. See BENCHMARKS.md.
//!
//! ```text
//! cargo build --release --example decode_loop
//! target/release/examples/decode_loop data/export/fit 300
//! valgrind --tool=callgrind target/release/examples/decode_loop data/export/fit 20
//! target/release/examples/decode_loop data/export/tcx 100
//! ```

#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let dir = args.next().unwrap_or_else(|| "data/export/fit".into());
    let passes: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(300);
    let mut files = Vec::new();
    for entry in std::fs::read_dir(&dir)? {
        let path = entry?.path();
        let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
        let format = match ext.as_deref() {
            Some("fit") => restday_model::Format::Fit,
            Some("gpx") => restday_model::Format::Gpx,
            Some("tcx") => restday_model::Format::Tcx,
            _ => continue,
        };
        files.push((format, std::fs::read(path)?));
    }
    let bytes: usize = files.iter().map(|(_, f)| f.len()).sum();
    let started = std::time::Instant::now();
    let mut samples = 0;
    for _ in 0..passes {
        for (format, f) in &files {
            if let Ok(d) = restday_decode::decode(*format, f) {
                samples += d.activities.iter().map(|a| a.samples.len()).sum::<usize>();
            }
        }
    }
    let s = started.elapsed().as_secs_f64();
    let mib = (bytes * passes) as f64 / s / (1024.0 * 1024.0);
    println!(
        "{} files, {bytes} bytes, {passes} passes: {samples} samples in {s:.3} s, {mib:.1} MiB/s ({:.1} MB/s)",
        files.len(),
        mib * 1.048_576
    );
    Ok(())
}
