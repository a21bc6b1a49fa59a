//! Time to accuracy (DAWNBench's measure): the cumulative training seconds
//! until a run's validation accuracy first reaches a target. Seconds per
//! epoch answer "which trains faster" only when both cells need the same
//! number of epochs; this answers it when they do not.
//!
//! The target is `--target-acc X` when given, else the default rule: 97% of
//! the lower of the models' mean best validation accuracies, so that every
//! model reaches it in a sensible run. Everything here is computed from
//! `epochs.csv`, so `report` re-derives it for runs made before it existed.

use serde::{Deserialize, Serialize};

use crate::analysis::stats::{Estimate, Ratio, Scale, paired_ratio};
use crate::model::Cell;
use crate::results::{EpochRecord, RunRecord, RunStatus};

/// The default rule's share of the lower mean best validation accuracy.
pub const DEFAULT_TARGET_SHARE: f64 = 0.97;

/// When one run first reached the target.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reached {
    /// Cumulative `train_secs` up to and including that epoch.
    pub secs: f64,
    /// The 1-based epoch.
    pub epochs: u32,
}

/// Time to target of one model over its `ok` seeds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelTimeToTarget {
    /// The cell.
    pub model: Cell,
    /// Seeds whose run reached the target.
    pub reached: usize,
    /// Seeds with an `ok` run.
    pub runs: usize,
    /// Training seconds to the target over the seeds that reached it.
    pub secs: Option<Estimate>,
    /// Epochs to the target over the seeds that reached it.
    pub epochs: Option<Estimate>,
}

/// Time to target of a pair, paired by seed (seeds where both reached it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairTimeToTarget {
    /// First model.
    pub a: Cell,
    /// Second model.
    pub b: Cell,
    /// `b`'s seconds to target over `a`'s (above 1: `b` took longer).
    pub ratio: Option<Ratio>,
}

/// `summary.json`'s `time_to_target`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimeToTarget {
    /// The validation accuracy targeted (fraction).
    pub target: f64,
    /// `--target-acc`, or the default rule.
    pub rule: String,
    /// Per model.
    pub per_model: Vec<ModelTimeToTarget>,
    /// Per pair (the summary's pair order).
    pub pairs: Vec<PairTimeToTarget>,
}

/// The target: `explicit` when above 0, else [`DEFAULT_TARGET_SHARE`] of the
/// lowest of the models' mean best validation accuracies over `ok` runs.
pub fn target(explicit: f64, runs: &[RunRecord], models: &[Cell]) -> Option<(f64, String)> {
    if explicit > 0.0 {
        return Some((explicit, format!("--target-acc {explicit}")));
    }
    let lowest = models
        .iter()
        .filter_map(|&m| {
            let best: Vec<f64> = runs
                .iter()
                .filter(|r| r.model == m && r.status == RunStatus::Ok && r.best_val_acc.is_finite())
                .map(|r| r.best_val_acc)
                .collect();
            crate::analysis::stats::mean(&best)
        })
        .fold(f64::INFINITY, f64::min);
    lowest.is_finite().then(|| {
        (
            lowest * DEFAULT_TARGET_SHARE,
            format!(
                "{:.0}% of the lower mean best validation accuracy",
                DEFAULT_TARGET_SHARE * 100.0
            ),
        )
    })
}

/// When the run (`model`, `seed`) first reached `target`, from its epochs.
pub fn reached(epochs: &[EpochRecord], model: Cell, seed: u64, target: f64) -> Option<Reached> {
    let mut mine: Vec<&EpochRecord> = epochs
        .iter()
        .filter(|e| e.model == model && e.seed == seed)
        .collect();
    mine.sort_by_key(|e| e.epoch);
    let mut secs = 0.0;
    for e in mine {
        secs += e.train_secs;
        if e.val_acc >= target {
            return Some(Reached {
                secs,
                epochs: e.epoch,
            });
        }
    }
    None
}

/// Time to `target` per model and per pair, over the `ok` runs.
pub fn time_to_target(
    epochs: &[EpochRecord],
    runs: &[RunRecord],
    models: &[Cell],
    pairs: &[(Cell, Cell)],
    target: f64,
    rule: String,
) -> TimeToTarget {
    let ok = |m: Cell| {
        runs.iter()
            .filter(move |r| r.model == m && r.status == RunStatus::Ok)
    };
    let per_model = models
        .iter()
        .map(|&m| {
            let hits: Vec<Reached> = ok(m)
                .filter_map(|r| reached(epochs, m, r.seed, target))
                .collect();
            ModelTimeToTarget {
                model: m,
                reached: hits.len(),
                runs: ok(m).count(),
                // Positive: on the log scale, as every other time.
                secs: Estimate::on_scale(
                    &hits.iter().map(|h| h.secs).collect::<Vec<_>>(),
                    Scale::Log,
                ),
                epochs: Estimate::on_scale(
                    &hits.iter().map(|h| f64::from(h.epochs)).collect::<Vec<_>>(),
                    Scale::Log,
                ),
            }
        })
        .collect();
    let pairs = pairs
        .iter()
        .map(|&(a, b)| {
            let (mut xa, mut xb) = (Vec::new(), Vec::new());
            for r in ok(a) {
                let other = ok(b).find(|o| o.seed == r.seed);
                if let (Some(ha), Some(hb)) = (
                    reached(epochs, a, r.seed, target),
                    other.and_then(|o| reached(epochs, b, o.seed, target)),
                ) {
                    xa.push(ha.secs);
                    xb.push(hb.secs);
                }
            }
            PairTimeToTarget {
                a,
                b,
                ratio: paired_ratio(&xb, &xa),
            }
        })
        .collect();
    TimeToTarget {
        target,
        rule,
        per_model,
        pairs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn epoch(model: Cell, seed: u64, epoch: u32, val_acc: f64, train_secs: f64) -> EpochRecord {
        EpochRecord {
            val_acc,
            train_secs,
            ..EpochRecord::new(model, seed, epoch)
        }
    }

    fn run(model: Cell, seed: u64, best: f64) -> RunRecord {
        let mut r = RunRecord::empty(model, seed, 8, 10, RunStatus::Ok, String::new());
        r.best_val_acc = best;
        r
    }

    #[test]
    fn time_to_target_counts_training_seconds_until_the_first_hit() {
        let mut epochs = Vec::new();
        let mut runs = Vec::new();
        for seed in 1..=3 {
            // LSTM: 2 s per epoch, reaches 0.8 in epoch 3; GRU: 3 s, in epoch 1.
            for (e, acc) in [(1, 0.6), (2, 0.75), (3, 0.82), (4, 0.84)] {
                epochs.push(epoch(Cell::Lstm, seed, e, acc, 2.0));
            }
            for (e, acc) in [(1, 0.81), (2, 0.83), (3, 0.85), (4, 0.85)] {
                epochs.push(epoch(Cell::Gru, seed, e, acc, 3.0));
            }
            runs.push(run(Cell::Lstm, seed, 0.84));
            runs.push(run(Cell::Gru, seed, 0.85));
        }
        let (t, rule) = target(0.0, &runs, &[Cell::Lstm, Cell::Gru]).unwrap();
        assert!((t - 0.84 * 0.97).abs() < 1e-12, "{t}");
        assert!(rule.contains("97%"));
        assert_eq!(target(0.8, &runs, &[]).unwrap().0, 0.8);
        assert_eq!(
            reached(&epochs, Cell::Lstm, 1, 0.8),
            Some(Reached {
                secs: 6.0,
                epochs: 3
            })
        );
        assert_eq!(reached(&epochs, Cell::Lstm, 1, 0.9), None);
        let tt = time_to_target(
            &epochs,
            &runs,
            &[Cell::Lstm, Cell::Gru],
            &[(Cell::Lstm, Cell::Gru)],
            0.8,
            rule,
        );
        assert_eq!(tt.per_model[0].reached, 3);
        assert_eq!(tt.per_model[0].secs.unwrap().mean, 6.0);
        assert_eq!(tt.per_model[1].epochs.unwrap().mean, 1.0);
        let secs = tt.per_model[0].secs.unwrap();
        assert_eq!(secs.scale, Scale::Log);
        assert!(secs.ci_low.unwrap() > 0.0);
        // GRU takes 3 s where LSTM takes 6 s: half the time.
        assert!((tt.pairs[0].ratio.unwrap().ratio - 0.5).abs() < 1e-12);
    }

    #[test]
    fn time_to_target_intervals_stay_positive_and_need_three_seeds() {
        // Seconds to the target far apart: a linear interval would reach
        // below zero (issue 30: -0.027 s).
        let mut epochs = Vec::new();
        let mut runs = Vec::new();
        for (seed, secs) in [(1, 0.01), (2, 0.02), (3, 0.5)] {
            epochs.push(epoch(Cell::Lstm, seed, 1, 0.9, secs));
            runs.push(run(Cell::Lstm, seed, 0.9));
        }
        let tt = time_to_target(&epochs, &runs, &[Cell::Lstm], &[], 0.8, String::new());
        let secs = tt.per_model[0].secs.unwrap();
        assert_eq!(secs.n, 3);
        assert!(secs.ci_low.unwrap() > 0.0, "{secs:?}");
        let two = time_to_target(&epochs, &runs[..2], &[Cell::Lstm], &[], 0.8, String::new());
        assert_eq!(
            two.per_model[0].secs.unwrap().ci(),
            None,
            "no interval from 2 seeds"
        );
    }
}
