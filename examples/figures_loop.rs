//! Computes the import's per-activity figures (`activity_figures`) over the batch of the
//! `activity_figures` bench (30 one-hour activities at 1 Hz, keyed by number, a third without
//! heart rate) a fixed number of times: for counting instructions
//! (`valgrind --tool=callgrind`), which unlike the time does not move with the machine's other
//! tenants. See BENCHMARKS.md.
//!
//! ```text
//! cargo build --release --example figures_loop
//! valgrind --tool=callgrind target/release/examples/figures_loop 10
//! ```

use polars::prelude::*;
use restday_metrics::{ACTIVITY_KEY, activity_figures};

#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> PolarsResult<()> {
    let passes: usize = std::env::args().nth(1).and_then(|n| n.parse().ok()).unwrap_or(10);
    const START: i64 = 1_420_070_400_000; // 2015-01-01T00:00:00Z
    let (mut keys, mut time, mut hr) = (Vec::new(), Vec::new(), Vec::new());
    for d in 0..30i64 {
        for s in 0..3600i64 {
            keys.push(d as u32);
            time.push(START + d * 86_400_000 + s * 1000);
            hr.push((d % 3 != 0).then_some(110 + ((s / 30 + d) % 60) as i32));
        }
    }
    let utc = DataType::Datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC));
    let batch = DataFrame::new(
        keys.len(),
        vec![
            Column::new(ACTIVITY_KEY.into(), keys),
            Column::new("time".into(), time).cast(&utc)?,
            Column::new("heart_rate".into(), hr),
        ],
    )?;
    let started = std::time::Instant::now();
    let mut seconds = 0.0;
    for _ in 0..passes {
        let figures = activity_figures(batch.clone())?;
        seconds += figures.column("seconds")?.f64()?.sum().unwrap_or(0.0);
    }
    println!(
        "{passes} passes over {} samples in {:.3} s; seconds at heart rates summed: {seconds}",
        batch.height(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
