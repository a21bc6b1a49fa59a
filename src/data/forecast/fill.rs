//! Gaps in a forecasting series: filled on a straight line, or refused.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::SeriesTable;
use crate::{Error, Result};

/// What a gap (a missing value) becomes (`--fill`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Fill {
    /// A straight line between the values either side; a gap at either end
    /// takes the nearest value.
    #[default]
    Linear,
    /// No fill: the first gap is an error naming its line and column.
    None,
}

/// Fills (or refuses) every gap of `table`, read from `path`; returns how
/// many values were filled. A channel of a series with no value at all is
/// an error under either rule.
pub fn fill(path: &Path, table: &mut SeriesTable, rule: Fill) -> Result<usize> {
    let channels = table.channels.len();
    let mut filled = 0;
    for series in &mut table.series {
        for c in 0..channels {
            let column = &table.channels[c];
            let gap = (0..series.len(channels)).find(|&t| series.values[t * channels + c].is_nan());
            let Some(first) = gap else { continue };
            if rule == Fill::None {
                return Err(Error::data(
                    path,
                    series.lines.get(first).copied(),
                    None,
                    format!(
                        "column `{column}` has no value here (a gap); fill it, or let \
                         --fill linear draw a line across gaps"
                    ),
                ));
            }
            let mut values = series.channel(c, channels);
            filled += fill_linear(&mut values).ok_or_else(|| {
                Error::data(
                    path,
                    series.lines.first().copied(),
                    None,
                    format!(
                        "column `{column}` has no value in series `{}`; give it values or \
                         leave it out",
                        series.name
                    ),
                )
            })?;
            for (t, v) in values.into_iter().enumerate() {
                series.values[t * channels + c] = v;
            }
        }
    }
    Ok(filled)
}

/// Fills the `NaN`s of `values` in place: inside, on the straight line
/// between the values either side; at either end, the nearest value.
/// Returns how many were filled; `None` when no value is a number.
pub fn fill_linear(values: &mut [f64]) -> Option<usize> {
    let known: Vec<usize> = (0..values.len()).filter(|&t| !values[t].is_nan()).collect();
    let (&first, &last) = (known.first()?, known.last()?);
    let mut filled = 0;
    for t in 0..values.len() {
        if !values[t].is_nan() {
            continue;
        }
        filled += 1;
        values[t] = if t < first {
            values[first]
        } else if t > last {
            values[last]
        } else {
            let after = known[known.partition_point(|&k| k < t)];
            let before = known[known.partition_point(|&k| k < t) - 1];
            let share = (t - before) as f64 / (after - before) as f64;
            values[before] + share * (values[after] - values[before])
        };
    }
    Some(filled)
}
