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
