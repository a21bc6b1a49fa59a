//! rnnbench's one integration-test binary: CLI and files (`cli`), data formats
//! and bad input (`data`), and rendered reports (`report`).

mod cli;
mod common;
mod contract;
mod data;
mod kernel;
mod report;
mod sweep;
