//! The import's progress bar (on a terminal only) and its per-file problem messages.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use restday_model::LedgerRow;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

pub struct Bar {
    bar: ProgressBar,
    quiet: bool,
    files: AtomicU64,
    bytes: AtomicU64,
}

impl Bar {
    pub fn new(show: bool, quiet: bool) -> Bar {
        let target = if show { ProgressDrawTarget::stderr() } else { ProgressDrawTarget::hidden() };
        let bar = ProgressBar::with_draw_target(None, target);
        bar.set_style(
            ProgressStyle::with_template("{spinner} {elapsed} {wide_msg}")
                .expect("the template is valid"),
        );
        bar.enable_steady_tick(Duration::from_millis(120));
        Bar { bar, quiet, files: AtomicU64::new(0), bytes: AtomicU64::new(0) }
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl restday_import::Progress for Bar {
    fn file(&self, path: &str, bytes: u64) {
        let n = self.files.fetch_add(1, Ordering::Relaxed) + 1;
        let total = self.bytes.fetch_add(bytes, Ordering::Relaxed) + bytes;
        let name = path.rsplit(['/', '!']).next().unwrap_or(path);
        self.bar.set_message(format!("{n} files, {:.1} MB  {name}", total as f64 / 1e6));
    }

    fn problem(&self, row: &LedgerRow) {
        if self.quiet {
            return;
        }
        let reason = row.error.as_deref().unwrap_or("unknown reason");
        // A partly read file's reason says so itself ("partly read: ...", after a duplicate's
        // note when its activity is stored from another file).
        let line = if row.partial {
            format!("warning: {}: {reason}", row.path)
        } else {
            format!("warning: {} failed: {reason}", row.path)
        };
        self.bar.suspend(|| eprintln!("{line}"));
    }
}
