//! Time to accuracy (DAWNBench's measure): the cumulative training seconds
//! until a run's validation accuracy first reaches a target. Seconds per
//! epoch answer "which trains faster" only when both cells need the same
//! number of epochs; this answers it when they do not.
//!
//! The target is `--target-acc X` when given, else the default rule: 97% of
//! the lower of the models' mean best validation accuracies, so that every
//! model reaches it in a sensible run. A forecast is timed to a validation
//! MAE instead ([`Goal::ValMae`]): 103% of the higher of the models' mean
//! best validation MAEs. Everything here is computed from `epochs.csv`, so
//! `report` re-derives it for runs made before it existed.

use serde::{Deserialize, Serialize};

use crate::analysis::stats::{Estimate, Ratio, Scale, paired_ratio};
use crate::model::Cell;
use crate::results::{EpochRecord, RunRecord, RunStatus};

/// The default rule's share of the lower mean best validation accuracy.
pub const DEFAULT_TARGET_SHARE: f64 = 0.97;

/// A forecast's default target: this multiple of the higher mean best
/// validation MAE.
pub const DEFAULT_ERROR_SHARE: f64 = 1.03;

/// What a run's epochs must reach.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Goal {
    /// A validation accuracy at least the target (classification).
    #[default]
    ValAcc,
    /// A validation MAE at most the target (a forecast, in the target's units).
    ValMae,
}

impl Goal {
    /// Whether epoch `e` reached `target`.
    fn met(self, e: &EpochRecord, target: f64) -> bool {
        match self {
            Goal::ValAcc => e.val_acc >= target,
            Goal::ValMae => e.val_mae.is_some_and(|m| m <= target),
        }
    }
}

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
    /// The validation accuracy targeted (fraction), or a forecast's
    /// validation MAE (target units; see `goal`).
    pub target: f64,
    /// Which: accuracy (absent in files from before forecasts) or MAE.
    #[serde(default)]
    pub goal: Goal,
    /// `--target-acc`, or the default rule.
    pub rule: String,
    /// Per model.
    pub per_model: Vec<ModelTimeToTarget>,
    /// Per pair (the summary's pair order).
    pub pairs: Vec<PairTimeToTarget>,
}

/// The target: `explicit` when above 0, else [`DEFAULT_TARGET_SHARE`] of the
/// lowest of the models' mean best validation accuracies over `ok` runs; for
/// a forecast (runs with a validation MAE), [`DEFAULT_ERROR_SHARE`] of the
/// highest mean best validation MAE.
pub fn target(explicit: f64, runs: &[RunRecord], models: &[Cell]) -> Option<(f64, String, Goal)> {
    let mean_best = |m: Cell, of: fn(&RunRecord) -> f64| {
        let best: Vec<f64> = runs
            .iter()
            .filter(|r| r.model == m && r.status == RunStatus::Ok)
            .map(of)
            .filter(|x| x.is_finite())
            .collect();
        crate::analysis::stats::mean(&best)
    };
    let mae = |r: &RunRecord| r.best_val_mae.unwrap_or(f64::NAN);
    let highest_mae = models
        .iter()
        .filter_map(|&m| mean_best(m, mae))
        .fold(f64::NEG_INFINITY, f64::max);
    if highest_mae.is_finite() {
        return Some((
            highest_mae * DEFAULT_ERROR_SHARE,
            format!(
                "{:.0}% of the higher mean best validation MAE",
                DEFAULT_ERROR_SHARE * 100.0
            ),
            Goal::ValMae,
        ));
    }
    if explicit > 0.0 {
        return Some((explicit, format!("--target-acc {explicit}"), Goal::ValAcc));
    }
    let lowest = models
        .iter()
        .filter_map(|&m| mean_best(m, |r| r.best_val_acc))
        .fold(f64::INFINITY, f64::min);
    lowest.is_finite().then(|| {
        (
            lowest * DEFAULT_TARGET_SHARE,
            format!(
                "{:.0}% of the lower mean best validation accuracy",
                DEFAULT_TARGET_SHARE * 100.0
            ),
            Goal::ValAcc,
        )
    })
}

/// When the run (`model`, `seed`) first reached `target` (`goal`), from its epochs.
pub fn reached(
    epochs: &[EpochRecord],
    model: Cell,
    seed: u64,
    target: f64,
    goal: Goal,
) -> Option<Reached> {
    let mut mine: Vec<&EpochRecord> = epochs
        .iter()
        .filter(|e| e.model == model && e.seed == seed)
        .collect();
    mine.sort_by_key(|e| e.epoch);
    let mut secs = 0.0;
    for e in mine {
        secs += e.train_secs;
        if goal.met(e, target) {
            return Some(Reached {
                secs,
                epochs: e.epoch,
            });
        }
    }
    None
}

/// Time to `target` (`goal`) per model and per pair, over the `ok` runs.
pub fn time_to_target(
    epochs: &[EpochRecord],
    runs: &[RunRecord],
    models: &[Cell],
    pairs: &[(Cell, Cell)],
    (target, rule, goal): (f64, String, Goal),
) -> TimeToTarget {
    let ok = |m: Cell| {
        runs.iter()
            .filter(move |r| r.model == m && r.status == RunStatus::Ok)
    };
    let per_model = models
        .iter()
        .map(|&m| {
            let hits: Vec<Reached> = ok(m)
                .filter_map(|r| reached(epochs, m, r.seed, target, goal))
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
                    reached(epochs, a, r.seed, target, goal),
                    other.and_then(|o| reached(epochs, b, o.seed, target, goal)),
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
        goal,
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
        let (t, rule, goal) = target(0.0, &runs, &[Cell::Lstm, Cell::Gru]).unwrap();
        assert_eq!(goal, Goal::ValAcc);
        assert!((t - 0.84 * 0.97).abs() < 1e-12, "{t}");
        assert!(rule.contains("97%"));
        assert_eq!(target(0.8, &runs, &[]).unwrap().0, 0.8);
        assert_eq!(
            reached(&epochs, Cell::Lstm, 1, 0.8, goal),
            Some(Reached {
                secs: 6.0,
                epochs: 3
            })
        );
        assert_eq!(reached(&epochs, Cell::Lstm, 1, 0.9, goal), None);
        let tt = time_to_target(
            &epochs,
            &runs,
            &[Cell::Lstm, Cell::Gru],
            &[(Cell::Lstm, Cell::Gru)],
            (0.8, rule, goal),
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
        let tt = time_to_target(
            &epochs,
            &runs,
            &[Cell::Lstm],
            &[],
            (0.8, String::new(), Goal::ValAcc),
        );
        let secs = tt.per_model[0].secs.unwrap();
        assert_eq!(secs.n, 3);
        assert!(secs.ci_low.unwrap() > 0.0, "{secs:?}");
        let two = time_to_target(
            &epochs,
            &runs[..2],
            &[Cell::Lstm],
            &[],
            (0.8, String::new(), Goal::ValAcc),
        );
        assert_eq!(
            two.per_model[0].secs.unwrap().ci(),
            None,
            "no interval from 2 seeds"
        );
    }

    #[test]
    fn a_forecast_is_timed_to_a_validation_mae_at_most_the_target() {
        let mae_epoch = |model: Cell, epoch_no: u32, mae: f64| EpochRecord {
            val_mae: Some(mae),
            val_acc: f64::NAN,
            train_secs: 2.0,
            ..EpochRecord::new(model, 1, epoch_no)
        };
        let epochs = vec![
            mae_epoch(Cell::Lstm, 1, 0.9),
            mae_epoch(Cell::Lstm, 2, 0.5),
            mae_epoch(Cell::Gru, 1, 0.45),
        ];
        let mut runs = vec![run(Cell::Lstm, 1, f64::NAN), run(Cell::Gru, 1, f64::NAN)];
        runs[0].best_val_mae = Some(0.5);
        runs[1].best_val_mae = Some(0.4);
        let (t, rule, goal) = target(0.0, &runs, &[Cell::Lstm, Cell::Gru]).unwrap();
        assert_eq!(goal, Goal::ValMae);
        assert!((t - 0.5 * 1.03).abs() < 1e-12, "{t}");
        assert!(rule.contains("103% of the higher mean best validation MAE"));
        assert_eq!(
            reached(&epochs, Cell::Lstm, 1, t, goal),
            Some(Reached {
                secs: 4.0,
                epochs: 2
            })
        );
        assert_eq!(reached(&epochs, Cell::Gru, 1, t, goal).unwrap().epochs, 1);
    }
}
