# The menu. `just` lists it; every recipe is a plain cargo command underneath.

# List the recipes.
default:
    @just --list

# Import the bundled sample export into ./restday-data.
demo:
    cargo run -- import data/export

# Recompute the metrics of ./restday-data and show the last weeks.
weekly:
    cargo run -- metrics
    cargo run -- weekly

# Run every test (the README's test command).
test:
    cargo test --workspace

# Format, lint and test, as CI does.
ci:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings
    cargo test --workspace

# A longer fuzz run (release build): `just fuzz 200000`; findings land in target/fuzz-findings/.
fuzz iters="50000":
    RESTDAY_FUZZ_ITERS={{iters}} cargo test --release --test tests fuzz -- --nocapture

# Format the code.
fmt:
    cargo fmt --all

# Criterion benches: decoding and import (MB/s), metrics (rows/s).
bench:
    cargo bench --bench import --bench metrics

# The FIT decoder alone in a fixed loop (MiB/s); under callgrind it counts instructions.
decode-loop dir="data/export/fit" passes="300":
    cargo build --release --example decode_loop
    target/release/examples/decode_loop {{dir}} {{passes}}

# The import's per-activity figures (Polars) in a fixed loop; under callgrind it counts instructions.
figures-loop passes="10":
    cargo build --release --example figures_loop
    target/release/examples/figures_loop {{passes}}

# Whole-import run over a generated export (BENCHMARKS.md): `just bench-export 1200` is ~1 GB.
bench-export copies="1200":
    python3 benches/make_export.py target/export-{{copies}}.zip {{copies}}
    cargo build --release
    rm -rf target/bench-data
    /usr/bin/time -v target/release/restday --data-dir target/bench-data import target/export-{{copies}}.zip

# Alternate whole imports by several binaries on one export, each on a fresh folder
# (BENCHMARKS.md): `just alternate 5 target/export-1200.zip /tmp/restday-old target/release/restday`.
alternate rounds export +binaries:
    benches/alternate.sh {{rounds}} {{export}} {{binaries}}
