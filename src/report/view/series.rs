//! Pure functions from records to the series the charts draw. No drawing,
//! no files: everything here is unit-testable on hand-made records.

use std::collections::BTreeMap;

use crate::analysis::stats::{Estimate, Scale, mean};
use crate::model::Cell;
use crate::results::{EpochRecord, GradientFlowRow, GradientStage, RunRecord, RunStatus};

/// A mean over seeds with its spread, at one x.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BandPoint {
    /// x (e.g. the epoch).
    pub x: f64,
    /// Mean over the seeds that reached x.
    pub mean: f64,
    /// Smallest value over those seeds.
    pub low: f64,
    /// Largest value over those seeds.
    pub high: f64,
    /// Number of seeds that reached x.
    pub n: usize,
}

/// One model's mean line with a min–max band.
#[derive(Debug, Clone, PartialEq)]
pub struct Band {
    /// The cell.
    pub model: Cell,
    /// Points in increasing x.
    pub points: Vec<BandPoint>,
}

/// A polyline belonging to one model.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// The cell.
    pub model: Cell,
    /// What distinguishes this line among the model's (seed, stage).
    pub label: String,
    /// Points in drawing order.
    pub points: Vec<(f64, f64)>,
}

/// One model's per-seed values with their summary.
#[derive(Debug, Clone, PartialEq)]
pub struct Spread {
    /// The cell.
    pub model: Cell,
    /// (seed, value), ascending seed.
    pub values: Vec<(u64, f64)>,
    /// Mean, sd and CI of the values (the CI on the quantity's scale);
    /// `None` when there are none.
    pub estimate: Option<Estimate>,
}

/// One epoch on the epoch-time chart.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EpochTime {
    /// Its position (1-based) among all epochs of the folder, in the order
    /// they ran (`epochs.csv`'s order).
    pub position: usize,
    /// Its `train_secs`.
    pub secs: f64,
    /// Whether the disturbance rule flagged it.
    pub disturbed: bool,
}

/// One attempt of one run on the epoch-time chart.
#[derive(Debug, Clone, PartialEq)]
pub struct RunEpochTimes {
    /// The cell.
    pub model: Cell,
    /// The seed.
    pub seed: u64,
    /// The attempt (1, or 2, … for re-runs).
    pub attempt: u32,
    /// Whether this attempt's timing stands (a re-run replaced it if not).
    pub stands: bool,
    /// Its epochs in order.
    pub epochs: Vec<EpochTime>,
}

/// Every epoch's training time, per run and attempt, in the order they ran
/// (`all`: every row of `epochs.csv`); `standing`: the rows of the attempts
/// whose timing stands ([`crate::results::attempts::standing_epochs`]).
pub fn epoch_times(all: &[EpochRecord], standing: &[EpochRecord]) -> Vec<RunEpochTimes> {
    let mut runs: Vec<RunEpochTimes> = Vec::new();
    for (i, e) in all.iter().enumerate() {
        let point = EpochTime {
            position: i + 1,
            secs: e.train_secs,
            disturbed: e.disturbed == Some(true),
        };
        let key = (e.model, e.seed, e.attempt);
        match runs
            .iter_mut()
            .find(|r| (r.model, r.seed, r.attempt) == key)
        {
            Some(run) => run.epochs.push(point),
            None => runs.push(RunEpochTimes {
                model: e.model,
                seed: e.seed,
                attempt: e.attempt,
                stands: standing.iter().any(|s| (s.model, s.seed, s.attempt) == key),
                epochs: vec![point],
            }),
        }
    }
    runs
}

/// Per model, the mean of `value` over seeds at each epoch with the min–max
/// band. Seeds stopped early simply stop contributing (`n` drops). Non-finite
/// values are skipped.
pub fn epoch_band(
    epochs: &[EpochRecord],
    models: &[Cell],
    value: fn(&EpochRecord) -> f64,
) -> Vec<Band> {
    models
        .iter()
        .map(|m| {
            let mut by_epoch: BTreeMap<u32, Vec<f64>> = BTreeMap::new();
            for e in epochs.iter().filter(|e| &e.model == m) {
                let v = value(e);
                if v.is_finite() {
                    by_epoch.entry(e.epoch).or_default().push(v);
                }
            }
            let points = by_epoch
                .into_iter()
                .filter_map(|(epoch, vs)| {
                    Some(BandPoint {
                        x: f64::from(epoch),
                        mean: mean(&vs)?,
                        low: vs.iter().copied().fold(f64::INFINITY, f64::min),
                        high: vs.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                        n: vs.len(),
                    })
                })
                .collect();
            Band { model: *m, points }
        })
        .collect()
}

/// Per model and seed, validation accuracy against cumulative training
/// seconds (the sum of `train_secs` up to and including each epoch).
pub fn val_acc_vs_time(epochs: &[EpochRecord], models: &[Cell]) -> Vec<Line> {
    let mut lines = Vec::new();
    for m in models {
        let mut by_seed: BTreeMap<u64, Vec<&EpochRecord>> = BTreeMap::new();
        for e in epochs.iter().filter(|e| &e.model == m) {
            by_seed.entry(e.seed).or_default().push(e);
        }
        for (seed, mut es) in by_seed {
            es.sort_by_key(|e| e.epoch);
            let mut secs = 0.0;
            let points = es
                .iter()
                .map(|e| {
                    secs += e.train_secs;
                    (secs, e.val_acc)
                })
                .filter(|p| p.0.is_finite() && p.1.is_finite())
                .collect();
            lines.push(Line {
                model: *m,
                label: format!("seed {seed}"),
                points,
            });
        }
    }
    lines
}

/// Per model, `value` of each `ok` run, by seed; the estimate's CI on `scale`.
pub fn per_seed(
    runs: &[RunRecord],
    models: &[Cell],
    scale: Scale,
    value: impl Fn(&RunRecord) -> f64,
) -> Vec<Spread> {
    models
        .iter()
        .map(|&model| {
            let mut values: Vec<(u64, f64)> = runs
                .iter()
                .filter(|r| r.model == model && r.status == RunStatus::Ok)
                .map(|r| (r.seed, value(r)))
                .filter(|v| v.1.is_finite())
                .collect();
            values.sort_by_key(|v| v.0);
            values.dedup_by_key(|v| v.0);
            let estimate =
                Estimate::on_scale(&values.iter().map(|v| v.1).collect::<Vec<_>>(), scale);
            Spread {
                model,
                values,
                estimate,
            }
        })
        .collect()
}

/// The mean over `run`'s epochs of its `tokens_per_sec`; NaN without one.
pub fn tokens_per_sec(epochs: &[EpochRecord], run: &RunRecord) -> f64 {
    let tps: Vec<f64> = epochs
        .iter()
        .filter(|e| (e.model, e.seed) == (run.model, run.seed) && e.tokens_per_sec.is_finite())
        .map(|e| e.tokens_per_sec)
        .collect();
    mean(&tps).unwrap_or(f64::NAN)
}

/// Per model and stage (`init`, then `trained`), gradient norm against time
/// step; norms that are not finite and positive are dropped (log axis).
pub fn gradient_flow(rows: &[GradientFlowRow], models: &[Cell]) -> Vec<Line> {
    let mut lines = Vec::new();
    for m in models {
        let mut stages: Vec<GradientStage> = rows
            .iter()
            .filter(|r| &r.model == m)
            .map(|r| r.stage)
            .collect();
        stages.sort_unstable();
        stages.dedup();
        for stage in stages {
            let mut points: Vec<(f64, f64)> = rows
                .iter()
                .filter(|r| {
                    &r.model == m
                        && r.stage == stage
                        && r.grad_norm.is_finite()
                        && r.grad_norm > 0.0
                })
                .map(|r| (r.step as f64, r.grad_norm))
                .collect();
            points.sort_by(|a, b| a.0.total_cmp(&b.0));
            lines.push(Line {
                model: *m,
                label: stage.name().to_string(),
                points,
            });
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn epoch(model: &str, seed: u64, epoch: u32, val_acc: f64, train_secs: f64) -> EpochRecord {
        EpochRecord {
            hidden_size: 8,
            params: 100,
            train_loss: 0.5,
            train_acc: 0.7,
            val_loss: 0.6,
            val_acc,
            train_secs,
            eval_secs: 0.1,
            samples_per_sec: 10.0,
            tokens_per_sec: 100.0 * seed as f64,
            peak_rss_bytes: 1,
            ..EpochRecord::new(model.parse().expect("a cell name"), seed, epoch)
        }
    }

    #[test]
    fn epoch_times_follow_the_run_order_and_mark_replaced_attempts() {
        // LSTM attempt 1 (disturbed), GRU, then LSTM's re-run (attempt 2).
        let mut rows = vec![
            epoch("lstm", 1, 1, 0.6, 9.0),
            epoch("lstm", 1, 2, 0.7, 8.0),
            epoch("gru", 1, 1, 0.6, 2.0),
            epoch("lstm", 1, 1, 0.6, 3.0),
            epoch("lstm", 1, 2, 0.7, 3.1),
        ];
        rows[0].disturbed = Some(true);
        rows[1].disturbed = Some(true);
        for r in &mut rows[3..] {
            r.attempt = 2;
        }
        let standing: Vec<EpochRecord> = rows
            .iter()
            .filter(|r| r.model == Cell::Gru || r.attempt == 2)
            .cloned()
            .collect();
        let runs = epoch_times(&rows, &standing);
        let keys: Vec<(Cell, u32, bool)> = runs
            .iter()
            .map(|r| (r.model, r.attempt, r.stands))
            .collect();
        assert_eq!(
            keys,
            [
                (Cell::Lstm, 1, false),
                (Cell::Gru, 1, true),
                (Cell::Lstm, 2, true)
            ]
        );
        let first: Vec<(usize, bool)> = runs[0]
            .epochs
            .iter()
            .map(|e| (e.position, e.disturbed))
            .collect();
        assert_eq!(first, [(1, true), (2, true)]);
        assert_eq!(runs[2].epochs[1].position, 5);
        assert_eq!(runs[2].epochs[1].secs, 3.1);
    }

    #[test]
    fn band_is_mean_min_max_over_seeds_and_shrinks_after_early_stop() {
        let es = vec![
            epoch("lstm", 1, 1, 0.6, 1.0),
            epoch("lstm", 2, 1, 0.8, 1.0),
            epoch("lstm", 1, 2, 0.7, 1.0),
            epoch("gru", 1, 1, f64::NAN, 1.0),
        ];
        let bands = epoch_band(&es, &[Cell::Lstm, Cell::Gru], |e| e.val_acc);
        let p = &bands[0].points;
        assert_eq!(p.len(), 2);
        assert!((p[0].mean - 0.7).abs() < 1e-12);
        assert_eq!((p[0].low, p[0].high, p[0].n), (0.6, 0.8, 2));
        assert_eq!((p[1].x, p[1].n), (2.0, 1));
        assert!(bands[1].points.is_empty());
    }

    #[test]
    fn time_axis_is_cumulative_in_epoch_order() {
        let es = vec![epoch("gru", 1, 2, 0.7, 3.0), epoch("gru", 1, 1, 0.6, 2.0)];
        let lines = val_acc_vs_time(&es, &[Cell::Gru]);
        assert_eq!(lines[0].points, [(2.0, 0.6), (5.0, 0.7)]);
    }

    #[test]
    fn tokens_per_sec_averages_epochs_of_ok_runs() {
        let es = vec![epoch("gru", 2, 1, 0.6, 2.0), epoch("gru", 2, 2, 0.6, 2.0)];
        let mut r = crate::analysis::summary::tests::run("gru", 2, 0.8, 1.0, 1);
        let tps = |r: &RunRecord| tokens_per_sec(&es, r);
        let s = per_seed(std::slice::from_ref(&r), &[Cell::Gru], Scale::Log, tps);
        assert_eq!(s[0].values, [(2, 200.0)]);
        r.status = RunStatus::Failed;
        let s = per_seed(&[r], &[Cell::Gru], Scale::Log, tps);
        assert!(s[0].values.is_empty() && s[0].estimate.is_none());
    }

    #[test]
    fn gradient_flow_drops_non_positive_norms() {
        let row = |stage: &str, step, g| GradientFlowRow {
            model: Cell::Rnn,
            stage: if stage == "init" {
                GradientStage::Init
            } else {
                GradientStage::Trained
            },
            step,
            grad_norm: g,
        };
        let rows = vec![
            row("trained", 1, 0.5),
            row("trained", 0, 0.0),
            row("init", 0, 1.0),
        ];
        let lines = gradient_flow(&rows, &[Cell::Rnn]);
        assert_eq!(lines.len(), 2);
        assert_eq!(
            (lines[0].label.as_str(), lines[0].points.len()),
            ("init", 1)
        );
        assert_eq!(lines[1].points, [(1.0, 0.5)]);
    }
}
