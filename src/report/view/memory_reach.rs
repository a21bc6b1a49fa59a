//! How far each cell carries the key of the memory task (`--dataset
//! memory`, claim 5): per distance, its test accuracy against chance, and
//! the longest distance at which it stays *well above chance*, decided by
//! the single verdict rule ([`super::verdict`]) on the seeds' test
//! accuracies minus chance (a one-sample t-test: at least 3 seeds, p < 0.05
//! and a 95% CI whose lower end is above chance). Where the cells differ
//! beyond their intervals at one distance is read from that point's pairs.
//!
//! Whether a gated cell finds the key within a budget is close to a coin
//! toss near its reach (issue 35, finding 15), so every reach belongs to one
//! training budget ([`TrainingBudget`]: sequences, epochs, patience), and a
//! sweep over several budgets (the preset's `--epochs` axis) has one reach
//! per budget.

use serde::Serialize;

use super::verdict::{Comparison, Verdict};
use crate::analysis::metrics;
use crate::analysis::stats::{Estimate, Scale, paired_difference};
use crate::analysis::summary::PairSummary;
use crate::model::Cell;
use crate::results::{RunRecord, RunStatus};

/// What training a memory run's cells got: the budget a reach (and claim 5
/// and 9's verdicts) holds for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct TrainingBudget {
    /// Training sequences (`--sequences`).
    pub sequences: usize,
    /// Epochs, the most a run trains (`--epochs`).
    pub epochs: u32,
    /// Epochs without a better validation accuracy before a run stops
    /// (`--patience`); 0: no early stopping, every epoch runs.
    pub patience: u32,
}

impl TrainingBudget {
    /// The budget of a run's configuration.
    pub fn of(config: &crate::config::Config) -> TrainingBudget {
        TrainingBudget {
            sequences: config.sequences,
            epochs: config.epochs,
            patience: config.patience,
        }
    }
}

/// One grid point of a memory run, as the reach needs it.
#[derive(Debug, Clone, Copy)]
pub struct ReachInput<'a> {
    /// Filler tokens between key and end (`--distance`).
    pub distance: usize,
    /// The training budget of the point's runs.
    pub budget: TrainingBudget,
    /// Chance accuracy (1 / classes).
    pub chance: f64,
    /// The point's runs (only `ok` ones with a test accuracy count).
    pub runs: &'a [RunRecord],
    /// The point's pairs of models (from its summary).
    pub pairs: &'a [PairSummary],
}

/// One cell at one distance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReachPoint {
    /// The distance.
    pub distance: usize,
    /// Test accuracy over the seeds (fraction, CI on the logit scale).
    pub test_acc: Option<Estimate>,
    /// Test accuracy minus chance, judged by the verdict rule.
    pub vs_chance: Option<Comparison>,
    /// Whether `vs_chance` says the accuracy is above chance.
    pub above_chance: bool,
}

/// One cell over the distances.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CellReach {
    /// The cell.
    pub model: Cell,
    /// Ascending distance.
    pub points: Vec<ReachPoint>,
    /// The longest distance at which it is well above chance; `None` at none.
    pub longest_held: Option<usize>,
}

/// A distance at which two cells' test accuracies differ beyond their interval.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Separation {
    /// The distance.
    pub distance: usize,
    /// The more accurate cell.
    pub higher: Cell,
    /// The less accurate cell.
    pub lower: Cell,
    /// `higher − lower` test accuracy (fraction), paired by seed.
    pub diff: Comparison,
}

/// The reach of every cell of a memory run at one training budget.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MemoryReach {
    /// The training budget every run of this reach got.
    pub budget: TrainingBudget,
    /// Chance accuracy (1 / the number of key classes).
    pub chance: f64,
    /// The distances measured, ascending.
    pub distances: Vec<usize>,
    /// Per cell, in the configuration's order.
    pub cells: Vec<CellReach>,
    /// Every (distance, pair) whose accuracies differ beyond their interval.
    pub separations: Vec<Separation>,
}

/// Test accuracy of `accs` (one per seed) against `chance`, by the verdict rule.
pub fn versus_chance(accs: &[f64], chance: f64) -> Option<Comparison> {
    paired_difference(accs, &vec![chance; accs.len()]).map(|d| Comparison::of_difference(&d))
}

/// The reach over `inputs` (one per grid point, any order) of `models`: one
/// per training budget, the smallest budget (sequences × epochs) first;
/// empty without inputs.
pub fn memory_reach(models: &[Cell], inputs: &[ReachInput<'_>]) -> Vec<MemoryReach> {
    let mut budgets: Vec<TrainingBudget> = inputs.iter().map(|i| i.budget).collect();
    // Shown in the order of the sequences seen in training at most.
    budgets.sort_by_key(|b| (b.sequences as u64 * u64::from(b.epochs), *b));
    budgets.dedup();
    budgets
        .into_iter()
        .filter_map(|budget| {
            let at: Vec<ReachInput<'_>> = inputs
                .iter()
                .filter(|i| i.budget == budget)
                .copied()
                .collect();
            reach_at_budget(models, budget, &at)
        })
        .collect()
}

/// The reach over `inputs`, all of one `budget`; `None` without inputs.
fn reach_at_budget(
    models: &[Cell],
    budget: TrainingBudget,
    inputs: &[ReachInput<'_>],
) -> Option<MemoryReach> {
    let mut inputs = inputs.to_vec();
    inputs.sort_by_key(|i| i.distance);
    let chance = inputs.first()?.chance;
    let cells = models
        .iter()
        .map(|&model| {
            let points: Vec<ReachPoint> = inputs
                .iter()
                .map(|input| {
                    let accs: Vec<f64> = input
                        .runs
                        .iter()
                        .filter(|r| r.model == model && r.status == RunStatus::Ok)
                        .map(|r| r.test_acc)
                        .filter(|a| a.is_finite())
                        .collect();
                    let vs_chance = versus_chance(&accs, input.chance);
                    ReachPoint {
                        distance: input.distance,
                        test_acc: Estimate::on_scale(&accs, Scale::Logit),
                        above_chance: vs_chance.is_some_and(|c| c.verdict == Verdict::FirstLarger),
                        vs_chance,
                    }
                })
                .collect();
            CellReach {
                model,
                longest_held: points
                    .iter()
                    .filter(|p| p.above_chance)
                    .map(|p| p.distance)
                    .max(),
                points,
            }
        })
        .collect();
    let separations: Vec<Separation> = inputs
        .iter()
        .flat_map(|input| input.pairs.iter().map(move |pair| (input.distance, pair)))
        .filter_map(|(distance, pair)| {
            let diff = Comparison::of_pair(pair, &metrics::TEST_ACC)?;
            let (higher, lower, diff) = match diff.verdict {
                Verdict::FirstLarger => (pair.a, pair.b, diff),
                Verdict::SecondLarger => (pair.b, pair.a, diff.flipped()),
                _ => return None,
            };
            Some(Separation {
                distance,
                higher,
                lower,
                diff,
            })
        })
        .collect();
    Some(MemoryReach {
        budget,
        chance,
        distances: inputs.iter().map(|i| i.distance).collect(),
        cells,
        separations,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::analysis::summary::summarize;
    use crate::analysis::summary::tests::run;

    /// The preset's budget: 2,000 sequences × 6 epochs, no early stopping.
    pub(crate) const SMALL: TrainingBudget = TrainingBudget {
        sequences: 2000,
        epochs: 6,
        patience: 0,
    };

    #[test]
    fn the_longest_distance_above_chance_is_named_per_cell() {
        let near = vec![
            run("lstm", 1, 0.99, 1.0, 1),
            run("lstm", 2, 0.98, 1.0, 1),
            run("lstm", 3, 0.97, 1.0, 1),
            run("rnn", 1, 0.95, 1.0, 1),
            run("rnn", 2, 0.90, 1.0, 1),
            run("rnn", 3, 0.93, 1.0, 1),
        ];
        let far = vec![
            run("lstm", 1, 0.25, 1.0, 1),
            run("lstm", 2, 0.26, 1.0, 1),
            run("lstm", 3, 0.24, 1.0, 1),
            run("rnn", 1, 0.80, 1.0, 1),
            run("rnn", 2, 0.85, 1.0, 1),
            run("rnn", 3, 0.83, 1.0, 1),
        ];
        let models = [Cell::Lstm, Cell::Rnn];
        let (s_near, s_far) = (summarize(&near, &models), summarize(&far, &models));
        let inputs = [
            ReachInput {
                distance: 100,
                budget: SMALL,
                chance: 0.25,
                runs: &far,
                pairs: &s_far.pairs,
            },
            ReachInput {
                distance: 10,
                budget: SMALL,
                chance: 0.25,
                runs: &near,
                pairs: &s_near.pairs,
            },
        ];
        let reaches = memory_reach(&models, &inputs);
        assert_eq!(reaches.len(), 1, "one budget, one reach");
        let reach = &reaches[0];
        assert_eq!(reach.budget, SMALL);
        assert_eq!(reach.distances, [10, 100]);
        assert_eq!(reach.cells[0].longest_held, Some(10));
        assert!(!reach.cells[0].points[1].above_chance);
        assert_eq!(reach.cells[1].longest_held, Some(100));
        let s = &reach.separations;
        assert!(
            s.iter()
                .any(|s| s.distance == 100 && s.higher == Cell::Rnn && s.diff.estimate > 0.5),
            "{s:?}"
        );
        // Two seeds are too few to call anything above chance.
        let two = versus_chance(&[0.9, 0.95], 0.25).unwrap();
        assert_eq!(two.verdict, Verdict::TooFewSeeds);
    }

    #[test]
    fn each_training_budget_gets_its_own_reach_smallest_first() {
        let models = [Cell::Lstm];
        let chance_runs = [
            run("lstm", 1, 0.25, 1.0, 1),
            run("lstm", 2, 0.24, 1.0, 1),
            run("lstm", 3, 0.26, 1.0, 1),
        ];
        let solved = [
            run("lstm", 1, 0.99, 1.0, 1),
            run("lstm", 2, 0.98, 1.0, 1),
            run("lstm", 3, 1.00, 1.0, 1),
        ];
        let large = TrainingBudget {
            epochs: 24,
            ..SMALL
        };
        let input = |budget, runs| ReachInput {
            distance: 30,
            budget,
            chance: 0.25,
            runs,
            pairs: &[],
        };
        // Given largest first: the reaches still come smallest first.
        let reaches = memory_reach(
            &models,
            &[input(large, &solved[..]), input(SMALL, &chance_runs[..])],
        );
        let budgets: Vec<_> = reaches.iter().map(|r| r.budget).collect();
        assert_eq!(budgets, [SMALL, large]);
        assert_eq!(reaches[0].distances, [30], "one point per budget");
        assert_eq!(reaches[0].cells[0].longest_held, None);
        assert_eq!(reaches[1].cells[0].longest_held, Some(30));
        assert!(memory_reach(&models, &[]).is_empty());
    }
}
