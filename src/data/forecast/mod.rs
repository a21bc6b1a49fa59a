//! Forecasting data: one CSV of one or several series, read in time order
//! ([`read`]), gaps filled or refused ([`fill`]), split in time within each
//! series and cut into windows ([`window`]), scaled ([`scale`]) and encoded
//! as windows of `lookback` steps whose targets are the next `horizon`
//! values of the target column ([`prepare`]).
//!
//! The rules, in one place:
//! - **Order.** `--time-col` orders each series' rows (numbers, ISO 8601
//!   dates and times by their instant, else text); without it the file's
//!   order stands. Two rows at one time are an error. Spacing is not
//!   checked: a weekend or a holiday between two rows is no gap.
//! - **Gaps.** A gap is a missing value: an empty cell, `NaN`, `NA` or `?`.
//!   `--fill linear` (the default) draws a straight line between the values
//!   either side (a gap at either end takes the nearest value) and counts
//!   what it filled; `--fill none` refuses the first gap, naming its line
//!   and column. A cell that is not a number (`12,5`, `n/a`) is an error in
//!   either case: a typo is not a gap.
//! - **Parts.** Within each series the last `--test-fraction` of the steps
//!   is the test part, the `--val-fraction` before it the validation part,
//!   the rest the training part. A window's targets lie in one part; its
//!   inputs may look back into the parts before (they are history, known
//!   when the forecast is made).
//! - **Scaling.** See [`scale`]: relative to each window's last observed
//!   value (the default) or the training part's z-score.

pub mod baseline;
mod fill;
mod prepare;
pub mod scale;
#[cfg(test)]
mod tests;
pub mod window;

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::series::{LongColumns, read_long_csv};
use crate::{Error, Result};

pub use fill::Fill;
pub use prepare::{ForecastData, ForecastSplit, prepare};
pub use scale::Scaling;

/// The columns of a forecasting CSV.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForecastColumns {
    /// The column to forecast (`--target`).
    pub target: String,
    /// The column ordering the rows (`--time-col`); `None`: file order.
    pub time: Option<String>,
    /// Other columns read as inputs beside the target (`--covariates`).
    pub covariates: Vec<String>,
    /// The column naming each row's series (`--series-col`); `None`: one
    /// series.
    pub series: Option<String>,
}

/// How windows are cut, split and scaled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForecastSpec {
    /// Steps each window reads (`--lookback`).
    pub lookback: usize,
    /// Steps each window forecasts (`--horizon`).
    pub horizon: usize,
    /// Share of each series' steps in the validation part.
    pub val_fraction: f64,
    /// Share of each series' steps in the test part.
    pub test_fraction: f64,
    /// What a gap becomes.
    pub fill: Fill,
    /// How windows are scaled.
    pub scaling: Scaling,
    /// The season in steps for the seasonal naive forecast (`--season`).
    pub season: Option<usize>,
}

/// One series as read: its steps in time order, the target first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Series {
    /// Its name in the series column (empty without one).
    pub name: String,
    /// Each step's time as written (empty without a time column).
    pub times: Vec<String>,
    /// Each step's line in the file.
    pub lines: Vec<u64>,
    /// Values step-major `[steps, channels]`: the target, then the
    /// covariates; `NaN` for a gap until [`fill`] fills it.
    pub values: Vec<f64>,
}

impl Series {
    /// Number of steps.
    pub fn len(&self, channels: usize) -> usize {
        self.values.len() / channels.max(1)
    }

    /// The values of channel `c` in time order.
    pub fn channel(&self, c: usize, channels: usize) -> Vec<f64> {
        self.values
            .iter()
            .skip(c)
            .step_by(channels)
            .copied()
            .collect()
    }
}

/// A forecasting file as read: its series and channel names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesTable {
    /// The target's name, then the covariates'.
    pub channels: Vec<String>,
    /// The series, in the order of their first row.
    pub series: Vec<Series>,
}

/// Reads `path` (CSV or TSV, optionally `.gz`): the target and covariate
/// columns of every row, grouped by series and ordered by time. Gaps stay
/// `NaN`; a value that is not a number is an error naming its line.
pub fn read(path: &Path, columns: &ForecastColumns) -> Result<SeriesTable> {
    if columns.covariates.contains(&columns.target) {
        return Err(Error::config(
            "--covariates",
            format!(
                "`{}` is the target; list only other columns as covariates",
                columns.target
            ),
        ));
    }
    let mut channels = vec![columns.target.clone()];
    channels.extend(columns.covariates.iter().cloned());
    let long = LongColumns {
        series: columns.series.clone(),
        time: columns.time.clone(),
        label: None,
        channels: Some(channels),
    };
    let (split, names) = read_long_csv(path, &long)?;
    let series = split
        .values
        .into_iter()
        .zip(split.names)
        .zip(split.times)
        .zip(split.row_lines)
        .map(|(((values, name), times), lines)| Series {
            name,
            times,
            lines,
            values: values.into_iter().map(f64::from).collect(),
        })
        .collect();
    Ok(SeriesTable {
        channels: names,
        series,
    })
}
