//! Numeric sequences from files: the UEA/UCR `.ts` format ([`read_ts`]) and
//! a long CSV, one row per time step ([`read_long_csv`]), into a
//! [`SeriesFiles`]: per split, each series' values step-major
//! (`[length, channels]` flattened), its label and the line it starts on.
//!
//! Missing values (`?` in a `.ts` file, `NaN` or an empty cell) are kept
//! as `f32::NAN` and counted; preparation fills them (see
//! `data::prepare`). Every other problem is an error naming the file and
//! line: a value that is not a number, an infinite value, a series of
//! length 0, dimensions that disagree between series or with the header,
//! a test label unseen in training, fewer than two classes.

use std::path::{Path, PathBuf};

use crate::Result;

/// The series of one split, in file order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SeriesSplit {
    /// Per series, its values step-major: step `t`, channel `c` at
    /// `t * channels + c`; `f32::NAN` where the file had a missing value.
    pub values: Vec<Vec<f32>>,
    /// Per series, its label as written (trimmed).
    pub labels: Vec<String>,
    /// Per series, the 1-based line of the file where it starts.
    pub lines: Vec<u64>,
}

impl SeriesSplit {
    /// Number of series.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// True when there is no series.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Missing values (`NaN`) over all series.
    pub fn missing(&self) -> usize {
        self.values
            .iter()
            .map(|v| v.iter().filter(|x| x.is_nan()).count())
            .sum()
    }
}

/// Both splits of a numeric dataset.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SeriesFiles {
    /// Channel names: the long CSV's columns, or `dim0`, `dim1`, … for a
    /// `.ts` file.
    pub channels: Vec<String>,
    /// The training split.
    pub train: SeriesSplit,
    /// The test split.
    pub test: SeriesSplit,
}

/// The columns of a long CSV (`--series-col`, `--time-col`, `--label-col`,
/// `--channels`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LongColumns {
    /// The column naming the series each row belongs to.
    pub series: String,
    /// The column giving each row's place in its series (numbers, or text
    /// such as ISO dates compared as text); `None`: file order.
    pub time: Option<String>,
    /// The column holding the series' label (the same on each of its rows).
    pub label: String,
    /// The channels; `None`: every other column.
    pub channels: Option<Vec<String>>,
}

/// Reads a `.ts` file into one split and its channel count.
pub fn read_ts(path: &Path) -> Result<(SeriesSplit, usize)> {
    let _ = path;
    todo!("issue 36: the .ts reader")
}

/// Reads a long CSV into one split and its channel names.
pub fn read_long_csv(path: &Path, columns: &LongColumns) -> Result<(SeriesSplit, Vec<String>)> {
    let _ = (path, columns);
    todo!("issue 36: the long CSV reader")
}

/// Reads both splits (`.ts` by extension, else a long CSV with `columns`),
/// and checks them against each other: the same channels, every test
/// label among the training labels, at least two training classes.
pub fn read_pair(train: &Path, test: &Path, columns: Option<&LongColumns>) -> Result<SeriesFiles> {
    let _ = (train, test, columns, PathBuf::new());
    todo!("issue 36: both splits")
}

/// Whether `path` names a `.ts` file (by extension, case-insensitive).
pub fn is_ts(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("ts"))
}
