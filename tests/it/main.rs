//! rnnbench's one integration-test binary: CLI and files (`cli`), data formats
//! and bad input (`data`), rendered reports (`report`), and the reports in
//! headless Chromium (`browser`).

mod browser;
mod claims;
mod cli;
mod common;
mod contract;
mod data;
mod hog;
mod hostile;
mod interrupt;
mod kernel;
mod memory;
mod readme;
mod remeasure;
mod report;
mod seeds_auto;
mod survive;
mod sweep;
mod timing;
mod transformer;
