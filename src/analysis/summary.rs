//! Aggregates of a run folder's `runs.csv`: per model and per pair of models
//! (paired by seed), written as `summary.json`.
//!
//! Only runs with status `ok` enter the statistics. Runs that ended otherwise
//! are listed in [`Summary::runs_failed`]; (model, seed) cells of the plan
//! without an `ok` run make the summary incomplete.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::analysis::kernel_split::KernelSplit;
use crate::analysis::metrics::{self, Contrast, Metric};
use crate::analysis::stats::{Estimate, PairedDiff, Ratio, paired_difference, paired_ratio};
use crate::analysis::time_to_target::TimeToTarget;
use crate::error::Result;
use crate::model::Cell;
use crate::results::{RunRecord, RunStatus, write_json_atomic};

/// Aggregates of one model over its `ok` seeds. Intervals stay within what
/// is possible: test accuracy's is computed on the logit scale, times' and
/// memory's on the log scale (see [`Scale`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelSummary {
    /// The cell.
    pub model: Cell,
    /// Number of seeds with an `ok` run.
    pub seeds: usize,
    /// The `ok` seeds, ascending.
    pub seed_list: Vec<u64>,
    /// Trainable parameters (from any run of the model); `None` without runs.
    pub params: Option<i64>,
    /// Hidden size (from any run of the model); `None` without runs.
    pub hidden_size: Option<i64>,
    /// Gate blocks of the cell ([`Cell::gate_blocks`]).
    pub gates: Option<u32>,
    /// Every metric's estimate over the `ok` seeds ([`super::metrics::ALL`],
    /// by key: `test_acc`, `secs_per_epoch`, …); `None` for one no run
    /// recorded. In `summary.json` each is a key of its own.
    #[serde(flatten)]
    pub estimates: BTreeMap<String, Option<Estimate>>,
}

impl ModelSummary {
    /// The estimate of `metric` over the `ok` seeds; `None` where no run
    /// recorded it.
    pub fn get(&self, metric: &Metric) -> Option<Estimate> {
        self.estimates.get(metric.key).copied().flatten()
    }
}

/// Comparison of model `a` with model `b` over the seeds where both are `ok`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairSummary {
    /// First model of the pair.
    pub a: Cell,
    /// Second model of the pair.
    pub b: Cell,
    /// Number of seeds where both runs are `ok`.
    pub n_pairs: usize,
    /// Those seeds, ascending.
    pub seeds: Vec<u64>,
    /// Each paired metric's comparison ([`Metric::pair_key`]): test
    /// accuracy `a − b` (fraction) with a paired t-test, the others `a / b`
    /// (above 1: `a` is slower or uses more); `None` where a run of either
    /// did not record it. In `summary.json` each is a key of its own.
    #[serde(flatten)]
    pub contrasts: BTreeMap<String, Option<Paired>>,
}

/// A pair's comparison of one metric, by its [`Contrast`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Paired {
    /// `a − b`, paired by seed.
    Difference(PairedDiff),
    /// `a / b`, paired by seed.
    Ratio(Ratio),
}

impl PairSummary {
    /// The paired difference `a − b` of `metric` (test accuracy), when both
    /// recorded it.
    pub fn diff(&self, metric: &Metric) -> Option<&PairedDiff> {
        match self.contrasts.get(metric.pair_key?)? {
            Some(Paired::Difference(d)) => Some(d),
            _ => None,
        }
    }

    /// The paired ratio `a / b` of `metric`, when both recorded it.
    pub fn ratio(&self, metric: &Metric) -> Option<&Ratio> {
        match self.contrasts.get(metric.pair_key?)? {
            Some(Paired::Ratio(r)) => Some(r),
            _ => None,
        }
    }
}

/// A run that did not end `ok`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailedRun {
    /// The cell.
    pub model: Cell,
    /// Seed.
    pub seed: u64,
    /// How it ended.
    pub status: RunStatus,
    /// Why (from `runs.csv`).
    pub message: String,
}

/// A (model, seed) slot of the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelSeed {
    /// The cell.
    pub model: Cell,
    /// Seed.
    pub seed: u64,
}

/// Contents of `summary.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Models, in the order given (the configuration's).
    pub models: Vec<Cell>,
    /// Seeds of the plan, ascending.
    pub planned_seeds: Vec<u64>,
    /// True when every model has an `ok` run for every planned seed.
    pub complete: bool,
    /// Number of `ok` runs counted.
    pub runs_ok: usize,
    /// Runs that ended `diverged`, `interrupted` or `failed`.
    pub runs_failed: Vec<FailedRun>,
    /// Planned (model, seed) cells without an `ok` run.
    pub missing: Vec<ModelSeed>,
    /// (model, seed) cells that appeared more than once in the input; one row
    /// of each (the first `ok` one, else the first) was counted.
    pub duplicates: Vec<ModelSeed>,
    /// Per model, in `models` order.
    pub per_model: Vec<ModelSummary>,
    /// Per pair of models: LSTM vs GRU first when both are present, then the
    /// other pairs (a, b) with a before b in `models`.
    pub pairs: Vec<PairSummary>,
    /// The kernel check's speed ratios under `--kernel auto` and `native`
    /// (absent when the run has no `kernel_check.csv`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kernel_check: Option<KernelSplit>,
    /// Time to accuracy: training seconds until each run first reached the
    /// target validation accuracy (absent without `ok` runs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_to_target: Option<TimeToTarget>,
    /// How trustworthy the timings were (absent in runs made before the
    /// interference signals were recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timing: Option<TimingTrust>,
    /// `--seeds auto`: how many seeds ran and why it stopped; `null` for a
    /// fixed list of seeds.
    #[serde(default)]
    pub seeds_auto: Option<SeedDecision>,
    /// Where the workers' time went (absent in runs made before the
    /// workers timed themselves).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub harness: Option<HarnessTime>,
}

/// Where the workers' wall time went, summed over the `ok` runs that
/// recorded it (`summary.json`'s `harness`): the share of it spent training
/// is what the harness costs on top of the training it times.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HarnessTime {
    /// Runs counted.
    pub runs: usize,
    /// Seconds the worker processes ran, start to exit.
    pub wall_secs: f64,
    /// Of which training (the epochs' `train_secs`).
    pub train_secs: f64,
    /// Validation after every epoch.
    pub eval_secs: f64,
    /// Getting the data (read as encoded by an earlier worker, or loaded and encoded).
    pub data_secs: f64,
    /// The rest of the worker's own time: building the model, the test
    /// pass, inference latency and the gradient probe.
    pub finish_secs: f64,
    /// Starting the process (libtorch's libraries) and ending it.
    pub process_secs: f64,
    /// `train_secs` over `wall_secs`.
    pub training_share: f64,
}

/// The most workers any of `runs` ran beside (`--jobs`; 1 for runs
/// recorded before it existed).
pub fn workers_at_once(runs: &[RunRecord]) -> usize {
    runs.iter()
        .filter_map(|r| r.workers_at_once)
        .max()
        .unwrap_or(1)
}

/// The [`HarnessTime`] of `runs` (`None` when no `ok` run timed itself).
pub fn harness_time(runs: &[RunRecord]) -> Option<HarnessTime> {
    let timed: Vec<(&RunRecord, f64, f64, f64, f64)> = runs
        .iter()
        .filter(|r| r.status == RunStatus::Ok)
        .filter_map(|r| {
            Some((
                r,
                r.wall_secs?,
                r.worker_secs?,
                r.data_secs?,
                r.eval_secs_total?,
            ))
        })
        .collect();
    if timed.is_empty() {
        return None;
    }
    let sum = |f: fn(&(&RunRecord, f64, f64, f64, f64)) -> f64| timed.iter().map(f).sum::<f64>();
    let wall_secs = sum(|t| t.1);
    let worker_secs = sum(|t| t.2);
    let data_secs = sum(|t| t.3);
    let eval_secs = sum(|t| t.4);
    let train_secs = sum(|t| t.0.train_secs_total);
    Some(HarnessTime {
        runs: timed.len(),
        wall_secs,
        train_secs,
        eval_secs,
        data_secs,
        finish_secs: (worker_secs - data_secs - train_secs - eval_secs).max(0.0),
        process_secs: (wall_secs - worker_secs).max(0.0),
        training_share: train_secs / wall_secs,
    })
}

/// How many epochs and runs had disturbed timings (`summary.json`'s `timing`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimingTrust {
    /// Epochs with interference signals recorded.
    pub epochs: usize,
    /// Of those, epochs flagged as disturbed.
    pub disturbed_epochs: usize,
    /// `ok` runs whose timing is `disturbed` (more than a quarter of their
    /// epochs): their `secs_per_epoch` rests on disturbed epochs or few clean
    /// ones, and no re-run (`--remeasure`) replaced it.
    pub disturbed_runs: Vec<ModelSeed>,
    /// Runs whose timing is `remeasured`: a disturbed first attempt was run
    /// again and the clean re-run's timing stands (counted above).
    #[serde(default)]
    pub remeasured_runs: Vec<ModelSeed>,
    /// Re-runs made (attempts after the first, whether their timing stands or not).
    #[serde(default)]
    pub reruns: usize,
    /// Disturbed epochs of the attempts a re-run replaced (not counted in
    /// `epochs` or `disturbed_epochs`).
    #[serde(default)]
    pub replaced_disturbed_epochs: usize,
}

impl Summary {
    /// Whether these are a forecast's runs: some model recorded a test MAE.
    pub fn is_forecast(&self) -> bool {
        self.per_model
            .iter()
            .any(|m| m.get(&crate::analysis::metrics::TEST_MAE).is_some())
    }

    /// The aggregates of `model`, if it is one of the summary's models.
    pub fn model(&self, model: Cell) -> Option<&ModelSummary> {
        self.per_model.iter().find(|m| m.model == model)
    }

    /// Writes the summary to `path` (atomically).
    pub fn write(&self, path: &Path) -> Result<()> {
        write_json_atomic(path, self)
    }
}

/// Summarizes `runs` for `models`, taking the plan's seeds to be every seed
/// that appears in `runs`. See [`summarize_planned`].
pub fn summarize(runs: &[RunRecord], models: &[Cell]) -> Summary {
    let seeds: BTreeSet<u64> = runs.iter().map(|r| r.seed).collect();
    summarize_planned(runs, models, &seeds.into_iter().collect::<Vec<_>>())
}

/// Summarizes `runs` for `models` against a plan of `planned_seeds` (the
/// configuration's seeds): the summary is complete when every model has an
/// `ok` run for every planned seed. Runs of models not in `models` are ignored.
pub fn summarize_planned(runs: &[RunRecord], models: &[Cell], planned_seeds: &[u64]) -> Summary {
    let (unique, duplicates) = dedupe(runs);
    let ok: BTreeMap<(Cell, u64), &RunRecord> = unique
        .iter()
        .filter(|r| r.status == RunStatus::Ok && models.contains(&r.model))
        .map(|r| ((r.model, r.seed), *r))
        .collect();
    let runs_failed = unique
        .iter()
        .filter(|r| r.status != RunStatus::Ok && models.contains(&r.model))
        .map(|r| FailedRun {
            model: r.model,
            seed: r.seed,
            status: r.status,
            message: r.message.clone(),
        })
        .collect();
    let mut planned: BTreeSet<u64> = planned_seeds.iter().copied().collect();
    planned.extend(ok.keys().map(|k| k.1));
    let missing: Vec<ModelSeed> = models
        .iter()
        .flat_map(|&m| planned.iter().map(move |&s| (m, s)))
        .filter(|key| !ok.contains_key(key))
        .map(|(model, seed)| ModelSeed { model, seed })
        .collect();

    let per_model = models
        .iter()
        .map(|&m| {
            let mine: Vec<&RunRecord> = ok.values().filter(|r| r.model == m).copied().collect();
            let any = unique.iter().find(|r| r.model == m);
            // A quantity some runs did not record (older files, a
            // bidirectional model's streaming): over the runs that did.
            let estimates = metrics::ALL
                .iter()
                .map(|m| {
                    let values: Vec<f64> = mine.iter().filter_map(|r| (m.of_run)(r)).collect();
                    (m.key.to_string(), Estimate::on_scale(&values, m.scale))
                })
                .collect();
            ModelSummary {
                model: m,
                seeds: mine.len(),
                seed_list: mine.iter().map(|r| r.seed).collect(),
                params: any.map(|r| r.params),
                hidden_size: any.map(|r| r.hidden_size),
                gates: m.is_recurrent().then(|| m.gate_blocks() as u32),
                estimates,
            }
        })
        .collect();

    let pairs = pair_order(models)
        .into_iter()
        .map(|(a, b)| {
            let seeds: Vec<u64> = planned
                .iter()
                .copied()
                .filter(|s| ok.contains_key(&(a, *s)) && ok.contains_key(&(b, *s)))
                .collect();
            let ra: Vec<&RunRecord> = seeds.iter().map(|s| ok[&(a, *s)]).collect();
            let rb: Vec<&RunRecord> = seeds.iter().map(|s| ok[&(b, *s)]).collect();
            let contrasts = metrics::ALL
                .iter()
                .filter_map(|m| Some((m.pair_key?.to_string(), contrast(m, &ra, &rb))))
                .collect();
            PairSummary {
                a,
                b,
                n_pairs: seeds.len(),
                contrasts,
                seeds,
            }
        })
        .collect();

    Summary {
        models: models.to_vec(),
        planned_seeds: planned.into_iter().collect(),
        complete: missing.is_empty(),
        runs_ok: ok.len(),
        runs_failed,
        missing,
        duplicates,
        per_model,
        pairs,
        kernel_check: None,
        time_to_target: None,
        timing: timing_trust(runs),
        seeds_auto: None,
        harness: harness_time(&ok.values().copied().cloned().collect::<Vec<_>>()),
    }
}

/// `metric` of runs `a` against runs `b` (paired by position) by its
/// contrast, when every run of both recorded it.
fn contrast(metric: &Metric, a: &[&RunRecord], b: &[&RunRecord]) -> Option<Paired> {
    let col = |rs: &[&RunRecord]| {
        rs.iter()
            .map(|r| (metric.of_run)(r))
            .collect::<Option<Vec<_>>>()
    };
    let (a, b) = (col(a)?, col(b)?);
    match metric.contrast {
        Contrast::Difference => paired_difference(&a, &b).map(Paired::Difference),
        Contrast::Ratio => paired_ratio(&a, &b).map(Paired::Ratio),
    }
}

/// The timing trust of `runs`, the attempts whose timing stands (`None`
/// when no run recorded a timing verdict); see [`TimingTrust::add_replaced`]
/// for the attempts they replaced.
fn timing_trust(runs: &[RunRecord]) -> Option<TimingTrust> {
    let with: Vec<&RunRecord> = runs.iter().filter(|r| r.timing.is_some()).collect();
    if with.is_empty() {
        return None;
    }
    Some(TimingTrust {
        epochs: with.iter().map(|r| r.epochs_run as usize).sum(),
        disturbed_epochs: with
            .iter()
            .map(|r| r.disturbed_epochs.unwrap_or(0) as usize)
            .sum(),
        disturbed_runs: with
            .iter()
            .filter(|r| {
                r.status == RunStatus::Ok
                    && r.timing == Some(crate::probe::interference::Timing::Disturbed)
            })
            .map(|r| ModelSeed {
                model: r.model,
                seed: r.seed,
            })
            .collect(),
        remeasured_runs: with
            .iter()
            .filter(|r| {
                r.status == RunStatus::Ok
                    && r.timing == Some(crate::probe::interference::Timing::Remeasured)
            })
            .map(|r| ModelSeed {
                model: r.model,
                seed: r.seed,
            })
            .collect(),
        reruns: 0,
        replaced_disturbed_epochs: 0,
    })
}

impl TimingTrust {
    /// Counts the re-runs among `all` (every row of `runs.csv`) and the
    /// disturbed epochs of the attempts that do not stand (`all` less the
    /// standing rows `standing`).
    pub fn add_replaced(&mut self, all: &[RunRecord], standing: &[RunRecord]) {
        self.reruns = all.iter().filter(|r| r.attempt > 1).count();
        let stands = |r: &RunRecord| {
            standing
                .iter()
                .any(|s| (s.model, s.seed, s.attempt) == (r.model, r.seed, r.attempt))
        };
        self.replaced_disturbed_epochs = all
            .iter()
            .filter(|r| r.status == RunStatus::Ok && !stands(r))
            .map(|r| r.disturbed_epochs.unwrap_or(0) as usize)
            .sum();
    }
}

/// The pairs to compare: (lstm, gru) first when both are present, then every
/// (a, b) with a before b in `models`.
fn pair_order(models: &[Cell]) -> Vec<(Cell, Cell)> {
    let mut pairs = Vec::new();
    let is_lstm_gru =
        |a: Cell, b: Cell| matches!((a, b), (Cell::Lstm, Cell::Gru) | (Cell::Gru, Cell::Lstm));
    if models.contains(&Cell::Lstm) && models.contains(&Cell::Gru) {
        pairs.push((Cell::Lstm, Cell::Gru));
    }
    for (i, &a) in models.iter().enumerate() {
        for &b in &models[i + 1..] {
            if !is_lstm_gru(a, b) && a != b {
                pairs.push((a, b));
            }
        }
    }
    pairs
}

/// One run per (model, seed): the first `ok` row, else the first row. Returns
/// the kept runs (input order) and the slots that occurred more than once
/// (sorted by model name, then seed).
fn dedupe(runs: &[RunRecord]) -> (Vec<&RunRecord>, Vec<ModelSeed>) {
    let mut keep: BTreeMap<(Cell, u64), usize> = BTreeMap::new();
    let mut dup: BTreeSet<(&'static str, u64, Cell)> = BTreeSet::new();
    for (i, r) in runs.iter().enumerate() {
        let key = (r.model, r.seed);
        match keep.get(&key) {
            None => {
                keep.insert(key, i);
            }
            Some(&j) => {
                dup.insert((r.model.name(), r.seed, r.model));
                if runs[j].status != RunStatus::Ok && r.status == RunStatus::Ok {
                    keep.insert(key, i);
                }
            }
        }
    }
    let mut idx: Vec<usize> = keep.into_values().collect();
    idx.sort_unstable();
    (
        idx.into_iter().map(|i| &runs[i]).collect(),
        dup.into_iter()
            .map(|(_, seed, model)| ModelSeed { model, seed })
            .collect(),
    )
}

/// Why `--seeds auto` stopped adding seeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SeedStop {
    /// Every pair's CI half-width reached the precision asked.
    Precision,
    /// Every pair's difference crossed its group-sequential boundary (or,
    /// for some pairs, the interval reached the precision asked): the
    /// differences are decided.
    Decided,
    /// `max_seeds` seeds were planned first.
    MaxSeeds,
    /// A model had no `ok` run in the first seeds (every run failed or
    /// diverged): more seeds cannot give it an interval.
    NoOkRuns,
}

/// The rule's state for one grid point (`summary.json`'s `seeds_auto`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SeedDecision {
    /// Seeds planned so far.
    pub seeds: usize,
    /// Seeds with `ok` runs of both models, for the pair with fewest.
    pub paired_seeds: usize,
    /// The widest pair's 95% CI half-width of the paired test-accuracy
    /// difference, in percentage points; `null` while a pair has fewer than
    /// [`crate::config::AutoSeeds::FIRST_SEEDS`] paired seeds.
    pub half_width_points: Option<f64>,
    /// The half-width asked for (`--precision`), in percentage points.
    pub precision_points: f64,
    /// The most seeds allowed (`--max-seeds`).
    pub max_seeds: u32,
    /// Why no more seeds are added; `null` when another seed is needed
    /// (the run was interrupted before the rule stopped it).
    pub stopped: Option<SeedStop>,
    /// Seeds added between looks (the rule looks after the first seeds and
    /// after each batch).
    #[serde(default = "one_seed")]
    pub batch_seeds: usize,
    /// The nominal two-sided p-value below which a pair's paired t-test
    /// counts as decided at this look: the O'Brien–Fleming-type boundary
    /// (see [`crate::analysis::sequential`]). `null` before the first look.
    #[serde(default)]
    pub boundary_p: Option<f64>,
    /// Pairs whose paired t-test crossed its boundary at this look or an
    /// earlier one.
    #[serde(default)]
    pub decided_pairs: usize,
}

/// [`SeedDecision::batch_seeds`] of files written before batches: one.
fn one_seed() -> usize {
    1
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A run record with the given outcome; other fields plausible.
    pub(crate) fn run(
        model: &str,
        seed: u64,
        test_acc: f64,
        secs_per_epoch: f64,
        rss: u64,
    ) -> RunRecord {
        RunRecord {
            epochs_run: 3,
            best_epoch: 2,
            best_val_acc: test_acc + 0.01,
            test_acc,
            test_macro_f1: test_acc,
            test_loss: 0.4,
            train_secs_total: secs_per_epoch * 3.0,
            secs_per_epoch,
            peak_rss_bytes: rss,
            ..RunRecord::empty(
                model.parse().expect("a cell name"),
                seed,
                if model == "lstm" { 100 } else { 116 },
                150_000,
                RunStatus::Ok,
                String::new(),
            )
        }
    }

    #[test]
    fn harness_time_splits_the_workers_wall_time() {
        let timed = |model: &str, seed: u64| RunRecord {
            eval_secs_total: Some(0.5),
            data_secs: Some(0.25),
            worker_secs: Some(7.0),
            wall_secs: Some(8.0),
            ..run(model, seed, 0.8, 2.0, 1 << 20)
        };
        let mut untimed = run("gru", 3, 0.8, 2.0, 1 << 20);
        untimed.wall_secs = None;
        let mut failed = timed("gru", 4);
        failed.status = RunStatus::Failed;
        let h = harness_time(&[timed("lstm", 1), timed("gru", 1), untimed, failed]).unwrap();
        assert_eq!(h.runs, 2);
        assert_eq!(h.wall_secs, 16.0);
        assert_eq!(h.train_secs, 12.0);
        assert_eq!(h.eval_secs, 1.0);
        assert_eq!(h.data_secs, 0.5);
        // 14 s of the workers' own time less data, training and validation.
        assert_eq!(h.finish_secs, 0.5);
        assert_eq!(h.process_secs, 2.0);
        assert_eq!(h.training_share, 0.75);
        assert_eq!(harness_time(&[run("lstm", 1, 0.8, 2.0, 1)]), None);
        let line = crate::report::format::harness_line(&h);
        assert!(
            line.starts_with("workers ran 16.00 s: training 12.00 s (75.0%)"),
            "{line}"
        );
    }

    fn models(ms: &[&str]) -> Vec<Cell> {
        ms.iter().map(|s| s.parse().expect("a cell name")).collect()
    }

    #[test]
    fn per_model_and_pair_aggregates() {
        let runs = vec![
            run("lstm", 1, 0.85, 2.0, 1000),
            run("gru", 1, 0.84, 1.0, 1000),
            run("lstm", 2, 0.86, 3.0, 1000),
            run("gru", 2, 0.84, 2.0, 1000),
            run("lstm", 3, 0.84, 4.0, 1000),
            run("gru", 3, 0.83, 2.0, 1000),
        ];
        let s = summarize(&runs, &models(&["lstm", "gru"]));
        assert!(s.complete);
        assert_eq!(s.runs_ok, 6);
        let lstm = s.model(Cell::Lstm).unwrap();
        assert_eq!(
            (lstm.seeds, lstm.gates, lstm.hidden_size),
            (3, Some(4), Some(100))
        );
        assert!((lstm.get(&crate::analysis::metrics::TEST_ACC).unwrap().mean - 0.85).abs() < 1e-12);
        assert_eq!(s.pairs.len(), 1);
        let p = &s.pairs[0];
        assert_eq!((p.a.name(), p.b.name(), p.n_pairs), ("lstm", "gru", 3));
        // diffs 0.01, 0.02, 0.01 -> mean 0.01333
        assert!((p.diff(&metrics::TEST_ACC).unwrap().mean_diff - 0.04 / 3.0).abs() < 1e-12);
        // ratios 2, 1.5, 2 -> geometric mean 1.8171205928321397 (see stats tests)
        assert!(
            (p.ratio(&metrics::SECS_PER_EPOCH).unwrap().ratio - 1.817_120_592_832_139_7).abs()
                < 1e-9
        );
        assert_eq!(p.ratio(&metrics::PEAK_RSS).unwrap().ratio, 1.0);
        assert!(p.ratio(&metrics::GPU_PEAK).is_none());
    }

    #[test]
    fn lstm_gru_pair_comes_first_whatever_the_order() {
        let runs = vec![
            run("rnn", 1, 0.7, 1.0, 1),
            run("gru", 1, 0.8, 1.0, 1),
            run("lstm", 1, 0.8, 1.0, 1),
        ];
        let s = summarize(&runs, &models(&["rnn", "gru", "lstm"]));
        let names: Vec<(&str, &str)> = s.pairs.iter().map(|p| (p.a.name(), p.b.name())).collect();
        assert_eq!(names, [("lstm", "gru"), ("rnn", "gru"), ("rnn", "lstm")]);
    }

    #[test]
    fn failed_runs_are_listed_not_counted_and_pairs_use_common_seeds() {
        let mut bad = run("gru", 2, f64::NAN, 1.0, 1000);
        bad.status = RunStatus::Diverged;
        bad.message = "loss is NaN at epoch 2".into();
        let runs = vec![
            run("lstm", 1, 0.85, 2.0, 1000),
            run("gru", 1, 0.84, 1.0, 1000),
            run("lstm", 2, 0.86, 3.0, 1000),
            bad,
        ];
        let s = summarize_planned(&runs, &models(&["lstm", "gru"]), &[1, 2, 3]);
        assert!(!s.complete);
        assert_eq!(s.runs_ok, 3);
        assert_eq!(s.runs_failed.len(), 1);
        assert_eq!(s.runs_failed[0].status, RunStatus::Diverged);
        assert_eq!(s.missing.len(), 3); // gru 2, lstm 3, gru 3
        assert_eq!(s.model(Cell::Gru).unwrap().seeds, 1);
        assert_eq!(s.pairs[0].n_pairs, 1);
        assert_eq!(s.pairs[0].seeds, [1]);
        assert!(
            s.pairs[0]
                .diff(&metrics::TEST_ACC)
                .unwrap()
                .p_value
                .is_none()
        );
    }

    #[test]
    fn duplicates_are_counted_once() {
        let mut failed = run("lstm", 1, f64::NAN, 2.0, 1000);
        failed.status = RunStatus::Failed;
        let runs = vec![
            failed,
            run("lstm", 1, 0.8, 2.0, 1000),
            run("lstm", 1, 0.9, 2.0, 1000),
        ];
        let s = summarize(&runs, &models(&["lstm"]));
        assert_eq!(s.runs_ok, 1);
        assert!(s.runs_failed.is_empty());
        assert_eq!(
            s.duplicates,
            [ModelSeed {
                model: Cell::Lstm,
                seed: 1
            }]
        );
        assert_eq!(
            s.model(Cell::Lstm)
                .unwrap()
                .get(&crate::analysis::metrics::TEST_ACC)
                .unwrap()
                .mean,
            0.8
        );
    }

    #[test]
    fn summary_round_trips_through_json() {
        let runs = vec![
            run("lstm", 1, 0.85, 2.0, 1000),
            run("gru", 1, 0.84, 1.0, 1000),
        ];
        let s = summarize(&runs, &models(&["lstm", "gru"]));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("summary.json");
        s.write(&path).unwrap();
        let back: Summary = crate::results::read_json(&path).unwrap();
        // serde_json parses floats to within one ulp (no float_roundtrip).
        assert_eq!(
            (back.models, back.complete, back.runs_ok),
            (s.models.clone(), true, 2)
        );
        let (x, y) = (
            back.pairs[0].diff(&metrics::TEST_ACC).unwrap(),
            s.pairs[0].diff(&metrics::TEST_ACC).unwrap(),
        );
        assert!((x.mean_diff - y.mean_diff).abs() < 1e-15);
        assert_eq!(
            back.per_model[1]
                .get(&crate::analysis::metrics::TEST_ACC)
                .unwrap()
                .sd,
            None
        );
    }
}
