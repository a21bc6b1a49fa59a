//! rnnbench's one integration-test binary: CLI and files (`cli`), data formats
//! and bad input (`data`), rendered reports (`report`), the reports in
//! headless Chromium (`browser`), and the comparison as a library type
//! (`session`). The tests that load the machine on purpose
//! are a binary of their own (`tests/hog/`).

mod browser;
mod claims;
mod cli;
mod common;
mod contract;
mod data;
mod determinism;
mod forecast;
mod hostile;
mod interrupt;
mod kernel;
mod memory;
mod readme;
mod report;
mod seeds_auto;
mod series;
mod session;
mod survive;
mod sweep;
mod transformer;
