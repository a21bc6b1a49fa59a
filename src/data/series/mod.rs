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
//!
//! The rules of each format are in its module's doc: `ts.rs` (the header
//! tags read, as aeon reads them, and the checks added) and `long_csv.rs`
//! (grouping, ordering by time, missing cells). A value must be a finite
//! number that fits an `f32`; a number beyond it is refused, not made
//! infinite.

mod long_csv;
#[cfg(test)]
mod tests;
mod ts;

use std::path::Path;

use super::formats::quoted;
use crate::{Error, Result};

pub use long_csv::read_long_csv;
pub use ts::read_ts;

/// The series of one split, in file order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SeriesSplit {
    /// Per series, its values step-major: step `t`, channel `c` at
    /// `t * channels + c`; `f32::NAN` where the file had a missing value.
    pub values: Vec<Vec<f32>>,
    /// Per series, its label as written (trimmed).
    pub labels: Vec<String>,
    /// Per series, the 1-based line of the file where it starts (a long
    /// CSV: its first row in the file).
    pub lines: Vec<u64>,
    /// A long CSV: per series, its name in the series column (empty
    /// without one). Empty for a `.ts` file.
    pub names: Vec<String>,
    /// A long CSV: per series, each step's time as written, in time order
    /// (empty strings without a time column). Empty for a `.ts` file.
    pub times: Vec<Vec<String>>,
    /// A long CSV: per series, each step's line in the file, in time order.
    /// Empty for a `.ts` file.
    pub row_lines: Vec<Vec<u64>>,
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
    /// The column naming the series each row belongs to; `None`: every row
    /// is of one series.
    pub series: Option<String>,
    /// The column giving each row's place in its series (numbers, or text
    /// such as ISO dates compared as text); `None`: file order.
    pub time: Option<String>,
    /// The column holding the series' label (the same on each of its rows);
    /// `None` for a forecast, which has no label.
    pub label: Option<String>,
    /// The channels; `None`: every other column.
    pub channels: Option<Vec<String>>,
}

/// Reads both splits (`.ts` by extension, else a long CSV with `columns`),
/// and checks them against each other: the same channels, every test
/// label among the training labels, at least two training classes.
///
/// Both files must be `.ts`, or neither; a long CSV needs `columns`
/// (`--series-col` and `--label-col`). Missing values are not checked
/// here: preparation fills them.
pub fn read_pair(train: &Path, test: &Path, columns: Option<&LongColumns>) -> Result<SeriesFiles> {
    let (train_split, test_split, channels, test_channels) = match (is_ts(train), is_ts(test)) {
        (true, true) => {
            let (a, n) = read_ts(train)?;
            let (b, m) = read_ts(test)?;
            (a, b, ts_channels(n), ts_channels(m))
        }
        (false, false) => {
            let columns = columns.ok_or_else(|| {
                Error::config(
                    "--series-col",
                    format!(
                        "{} is not a .ts file, so it is read as a long CSV (one row per time \
                         step): name its series and label columns with --series-col and \
                         --label-col (and optionally --time-col, --channels)",
                        train.display()
                    ),
                )
            })?;
            let (a, ca) = read_long_csv(train, columns)?;
            let (b, cb) = read_long_csv(test, columns)?;
            (a, b, ca, cb)
        }
        (train_ts, _) => {
            let (ts, other) = if train_ts {
                (train, test)
            } else {
                (test, train)
            };
            return Err(Error::data(
                other,
                None,
                None,
                format!(
                    "{} is a .ts file but this one is not; give both splits in the same format",
                    ts.display()
                ),
            ));
        }
    };
    check_pair(
        train,
        test,
        &train_split,
        &test_split,
        &channels,
        &test_channels,
    )?;
    Ok(SeriesFiles {
        channels,
        train: train_split,
        test: test_split,
    })
}

/// The names of a `.ts` file's channels: `dim0`, `dim1`, ….
pub fn ts_channels(channels: usize) -> Vec<String> {
    (0..channels).map(|c| format!("dim{c}")).collect()
}

/// The checks of [`read_pair`] between the two splits.
fn check_pair(
    train: &Path,
    test: &Path,
    train_split: &SeriesSplit,
    test_split: &SeriesSplit,
    channels: &[String],
    test_channels: &[String],
) -> Result<()> {
    for (path, split) in [(train, train_split), (test, test_split)] {
        if split.is_empty() {
            return Err(Error::data(path, None, None, "no series in the file"));
        }
    }
    if channels != test_channels {
        let names = |c: &[String]| quoted(&c.iter().map(String::as_str).collect::<Vec<_>>());
        return Err(Error::data(
            test,
            test_split.lines.first().copied(),
            None,
            format!(
                "this file has {} channel{} ({}) but the training file {} has {} ({}); give \
                 both splits the same channels",
                test_channels.len(),
                if test_channels.len() == 1 { "" } else { "s" },
                names(test_channels),
                train.display(),
                channels.len(),
                names(channels)
            ),
        ));
    }
    let mut classes: Vec<&str> = train_split.labels.iter().map(String::as_str).collect();
    classes.sort_unstable();
    classes.dedup();
    if classes.len() < 2 {
        return Err(Error::dataset(
            train.display().to_string(),
            format!(
                "every training series has the label `{}`: classification needs at least two \
                 classes",
                classes.first().copied().unwrap_or_default()
            ),
        ));
    }
    let unseen = test_split
        .labels
        .iter()
        .zip(&test_split.lines)
        .find(|(label, _)| classes.binary_search(&label.as_str()).is_err());
    if let Some((label, &line)) = unseen {
        return Err(Error::data(
            test,
            Some(line),
            None,
            format!(
                "the test label `{label}` never occurs in the training file {}, whose classes are \
                 {}; a model cannot predict a class it was not trained on: correct the label or \
                 drop the series",
                train.display(),
                quoted(&classes)
            ),
        ));
    }
    Ok(())
}

/// A value of a data file that is not usable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BadValue {
    /// Empty where a value is needed (a `.ts` file: `?` marks a missing one).
    Empty,
    /// Not a number.
    NotNumber,
    /// Infinite (`inf`, `-Infinity`, or a number beyond `f64`).
    Infinite,
    /// Finite, but beyond the range of `f32`.
    TooLarge,
}

impl BadValue {
    /// What is wrong with `text`, and what to do; `missing` says how the
    /// file marks a missing value (`?`).
    fn describe(self, text: &str, missing: &str) -> String {
        let text = shorten(text);
        match self {
            BadValue::Empty => {
                format!("an empty value; write a number, or {missing} for a missing value")
            }
            BadValue::NotNumber => {
                format!(
                    "`{text}` is not a number; write a number, or {missing} for a missing value"
                )
            }
            BadValue::Infinite => format!(
                "`{text}` is infinite; write a finite number, or {missing} for a missing value"
            ),
            BadValue::TooLarge => format!(
                "`{text}` is beyond the range of a 32-bit float (about ±3.4e38); rescale the data"
            ),
        }
    }
}

/// `text` (already trimmed) as a value: `NaN` where `is_missing` says it
/// marks a missing value, else a finite `f32`.
fn parse_value(text: &str, is_missing: fn(&str) -> bool) -> std::result::Result<f32, BadValue> {
    if is_missing(text) {
        return Ok(f32::NAN);
    }
    if text.is_empty() {
        return Err(BadValue::Empty);
    }
    let value: f64 = text.parse().map_err(|_| BadValue::NotNumber)?;
    if value.is_nan() {
        // `nan` spelt another way (`-nan`, `+NaN`): missing too.
        return Ok(f32::NAN);
    }
    if value.is_infinite() {
        return Err(BadValue::Infinite);
    }
    let narrow = value as f32;
    if narrow.is_infinite() {
        return Err(BadValue::TooLarge);
    }
    Ok(narrow)
}

/// At most 40 characters of `text`, for an error line.
fn shorten(text: &str) -> String {
    if text.chars().count() > 40 {
        let head: String = text.chars().take(40).collect();
        format!("{head}…")
    } else {
        text.to_owned()
    }
}

/// The 1-based byte column where `part`, a slice of `line`, starts.
fn column(line: &str, part: &str) -> u64 {
    let offset = (part.as_ptr() as usize).saturating_sub(line.as_ptr() as usize);
    offset.min(line.len()) as u64 + 1
}

/// Whether `path` names a `.ts` file (by extension, case-insensitive).
pub fn is_ts(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("ts"))
}
