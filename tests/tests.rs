//! All integration tests in one binary (one link, shared helpers), in the style of ripgrep's
//! `tests/tests.rs`.

mod fitgen;
mod util;

mod browser;
mod decode_values;
mod exports;
mod fuzz;
mod metrics;
mod recovery;
mod report;
mod robustness;
mod wellness;
