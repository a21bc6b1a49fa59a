//! What the records mean: pure functions from runs to numbers, no files and
//! no drawing.
//!
//! - [`stats`]: descriptive statistics, confidence intervals, paired tests,
//!   power-law fits;
//! - [`summary`]: a run's per-model aggregates and paired comparisons;
//! - [`kernel_split`]: speed ratios per kernel (the kernel check);
//! - [`forecast`]: forecast errors (MAE, RMSE, MASE), the naive
//!   baselines and the Diebold–Mariano test;
//! - [`time_to_target`]: training time to a validation accuracy;
//! - [`auto_seeds`]: `--seeds auto`, whether a point needs another seed;
//! - [`sequential`]: its group-sequential (O'Brien–Fleming-type) boundaries.

pub mod auto_seeds;
pub mod disturbance;
pub mod forecast;
pub mod kernel_split;
pub mod metrics;
pub mod sequential;
pub mod stats;
pub mod summary;
pub mod time_to_target;
