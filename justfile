# The menu. `just` lists it; every recipe is a plain cargo command underneath.

# List the recipes.
default:
    @just --list

# Import the bundled sample export into ./restday-data.
demo:
    cargo run -- import data/export

# Run every test (the README's test command).
test:
    cargo test --workspace

# Format, lint and test, as CI does.
ci:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings
    cargo test --workspace

# Format the code.
fmt:
    cargo fmt --all

# Criterion benches of decoding and import, MB/s in the output.
bench:
    cargo bench --bench import
