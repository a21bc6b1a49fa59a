//! How training time and memory grow with the sequence length (a
//! `--max-len` sweep; claims 8 and 10): per model, the mean seconds per
//! epoch and the mean memory training adds at each length, and the fitted
//! exponent `k` of `y ∝ T^k` (least squares on the logs,
//! [`crate::analysis::stats::fit_exponent`]). A recurrent cell steps through the
//! tokens one after another, so its time grows about linearly in `T`; self-
//! attention computes all positions at once but compares every pair, so its
//! attention term grows as `T²`.

use crate::analysis::metrics::{self, Metric};
use serde::Serialize;

use super::point::PointSummary;
use crate::analysis::stats::fit_exponent;
use crate::config::Axis;
use crate::model::Cell;

/// The `--max-len` grid axis's key.
pub const MAX_LEN_KEY: &str = "max_len";

/// One model over the lengths.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LengthRow {
    /// The model.
    pub model: Cell,
    /// Mean seconds per epoch at each of [`LengthScaling::lengths`].
    pub secs_per_epoch: Vec<Option<f64>>,
    /// Mean bytes training adds to the process (`train_rss_delta_bytes`)
    /// at each length.
    pub train_bytes: Vec<Option<f64>>,
    /// `k` in seconds per epoch ∝ `T^k`.
    pub time_exponent: Option<f64>,
    /// `k` in training memory ∝ `T^k`.
    pub memory_exponent: Option<f64>,
}

/// A length sweep's fits.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LengthScaling {
    /// The lengths (`--max-len`), ascending.
    pub lengths: Vec<usize>,
    /// Per model, in the sweep's order.
    pub rows: Vec<LengthRow>,
}

/// The fits of a sweep whose only axis is `--max-len` with at least two
/// values; `None` otherwise (with other axes the lengths would mix
/// settings).
pub fn length_scaling(
    axes: &[Axis],
    points: &[PointSummary],
    models: &[Cell],
) -> Option<LengthScaling> {
    let [axis] = axes else { return None };
    if axis.key != MAX_LEN_KEY || axis.values.len() < 2 {
        return None;
    }
    let mut at: Vec<(usize, &PointSummary)> = points
        .iter()
        .filter_map(|p| Some((p.value_of(MAX_LEN_KEY)?.parse().ok()?, p)))
        .collect();
    at.sort_by_key(|(t, _)| *t);
    let lengths: Vec<usize> = at.iter().map(|(t, _)| *t).collect();
    let rows = models
        .iter()
        .map(|&model| {
            let of = |metric: &Metric| {
                at.iter()
                    .map(|(_, p)| {
                        p.summary
                            .as_ref()
                            .and_then(|s| s.model(model))
                            .and_then(|m| m.get(metric))
                            .map(|e| e.mean)
                    })
                    .collect::<Vec<_>>()
            };
            let secs_per_epoch = of(&metrics::SECS_PER_EPOCH);
            let train_bytes = of(&metrics::TRAIN_RSS);
            let fit = |ys: &[Option<f64>]| {
                let pts: Vec<(f64, f64)> = lengths
                    .iter()
                    .zip(ys)
                    .filter_map(|(&t, y)| Some((t as f64, (*y)?)))
                    .collect();
                fit_exponent(&pts)
            };
            LengthRow {
                model,
                time_exponent: fit(&secs_per_epoch),
                memory_exponent: fit(&train_bytes),
                secs_per_epoch,
                train_bytes,
            }
        })
        .collect();
    Some(LengthScaling { lengths, rows })
}
