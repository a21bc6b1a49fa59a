//! The records of a run, flat and CSV-safe: one [`EpochRecord`] per model x
//! seed x epoch (`epochs.csv`), one [`RunRecord`] per model x seed
//! (`runs.csv`) and the [`GradientFlowRow`]s of `gradient_flow.csv`.
//! Models are [`Cell`]s, written as their lower-case names (`lstm`, `gru`, `rnn`).

use serde::{Deserialize, Serialize};

use crate::config::KernelChoice;
use crate::model::Cell;
use crate::probe::interference::Timing;
use crate::probe::kernel::Kernel;

/// One model x seed x epoch. Accuracies are fractions in [0, 1], losses in
/// nats (mean cross-entropy per example), times in seconds, memory in bytes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochRecord {
    /// The cell (`lstm`, `gru` or `rnn` in the files).
    pub model: Cell,
    /// The run's seed.
    pub seed: u64,
    /// 1-based epoch number.
    pub epoch: u32,
    /// Hidden size of the recurrent cell.
    pub hidden_size: i64,
    /// Trainable parameters of the whole classifier.
    pub params: i64,
    /// Mean training loss over the epoch's examples (nats).
    pub train_loss: f64,
    /// Training accuracy over the epoch (fraction, measured in training mode).
    pub train_acc: f64,
    /// Validation loss (nats).
    pub val_loss: f64,
    /// Validation accuracy (fraction).
    pub val_acc: f64,
    /// Seconds spent training (forward, backward, optimiser), excluding evaluation.
    pub train_secs: f64,
    /// Seconds spent evaluating the validation split.
    pub eval_secs: f64,
    /// Training examples per second of `train_secs`.
    pub samples_per_sec: f64,
    /// Real (non-padding) training tokens per second of `train_secs`.
    pub tokens_per_sec: f64,
    /// Fraction of the epoch's training batch cells that were padding.
    pub padding_fraction: f64,
    /// Peak resident set size of the process during the epoch (bytes).
    pub peak_rss_bytes: u64,
    /// Peak GPU memory allocated during the epoch (bytes); empty on CPU.
    pub gpu_peak_bytes: Option<u64>,
    /// Peak GPU memory reserved by the caching allocator during the epoch
    /// (bytes); empty on CPU.
    #[serde(default)]
    pub gpu_reserved_peak_bytes: Option<u64>,
    /// The kernel the cell's fused RNN ran on (`onednn`, `cudnn`, `native`);
    /// empty in files written before it was recorded.
    #[serde(default)]
    pub kernel: Option<Kernel>,
    /// User + system CPU seconds of the worker during `train_secs`.
    #[serde(default)]
    pub cpu_secs: Option<f64>,
    /// Seconds the worker's threads were runnable but waiting for a CPU
    /// during `train_secs`, summed over threads.
    #[serde(default)]
    pub runqueue_wait_secs: Option<f64>,
    /// The machine's CPU pressure stall (`/proc/pressure/cpu` `some`) accrued
    /// during `train_secs`, in seconds; empty without PSI.
    #[serde(default)]
    pub cpu_pressure_secs: Option<f64>,
    /// Steal time (a VM's host took the CPU) during `train_secs`, in seconds
    /// summed over the machine's CPUs.
    #[serde(default)]
    pub steal_secs: Option<f64>,
    /// Involuntary context switches of the worker during `train_secs`.
    #[serde(default)]
    pub involuntary_switches: Option<u64>,
    /// Whether the evidence says the worker did not have its cores (see
    /// `probe::interference`): decided when the epoch is written, and
    /// decided again over the whole run once it ends (the outlier test needs
    /// the later epochs), which rewrites the run's rows.
    #[serde(default)]
    pub disturbed: Option<bool>,
    /// Why it is disturbed (`runqueue wait 31% of runnable time`); empty otherwise.
    #[serde(default)]
    pub disturbance: String,
    /// Which attempt of the run this epoch belongs to: 1, then 2, 3, … for
    /// re-runs of a run whose timing was disturbed (`--remeasure`); 1 in
    /// older files.
    #[serde(default = "first_attempt")]
    pub attempt: u32,
    /// The epoch's peak RSS above the process's RSS just before the first
    /// training batch (bytes): the memory training adds, without libtorch's
    /// and the data's shared baseline; empty in older files.
    #[serde(default)]
    pub train_rss_delta_bytes: Option<u64>,
    /// A forecast: the validation windows' mean absolute error in the
    /// target's units (accuracies are then empty); empty for classification.
    #[serde(default)]
    pub val_mae: Option<f64>,
}

/// One horizon step of one test window of a forecast (`forecasts.csv`):
/// values in the target's units.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForecastRow {
    /// The model that forecast it.
    pub model: Cell,
    /// The run's seed.
    pub seed: u64,
    /// The series' name (empty for a file of one series).
    pub series: String,
    /// The time of the step forecast, as the file wrote it (empty without
    /// a time column).
    pub time: String,
    /// The step of the window's horizon, 1 to `--horizon`.
    pub step: usize,
    /// What happened.
    pub actual: f64,
    /// The naive (last-value) forecast.
    pub naive: f64,
    /// The seasonal naive forecast (`--season`); empty without one.
    pub seasonal_naive: Option<f64>,
    /// The model's forecast.
    pub forecast: f64,
}

impl EpochRecord {
    /// An epoch of `model` with `seed` and nothing measured: zeros, no
    /// probe readings, the first attempt. Set the fields a caller knows
    /// with `EpochRecord { val_acc, ..EpochRecord::new(model, seed, epoch) }`.
    pub fn new(model: Cell, seed: u64, epoch: u32) -> EpochRecord {
        EpochRecord {
            model,
            seed,
            epoch,
            hidden_size: 0,
            params: 0,
            train_loss: 0.0,
            train_acc: 0.0,
            val_loss: 0.0,
            val_acc: 0.0,
            train_secs: 0.0,
            eval_secs: 0.0,
            samples_per_sec: 0.0,
            tokens_per_sec: 0.0,
            padding_fraction: 0.0,
            peak_rss_bytes: 0,
            gpu_peak_bytes: None,
            gpu_reserved_peak_bytes: None,
            kernel: None,
            cpu_secs: None,
            runqueue_wait_secs: None,
            cpu_pressure_secs: None,
            steal_secs: None,
            involuntary_switches: None,
            disturbed: None,
            disturbance: String::new(),
            attempt: first_attempt(),
            train_rss_delta_bytes: None,
            val_mae: None,
        }
    }
}

/// The attempt number of a run's first try (older files have no column).
pub fn first_attempt() -> u32 {
    1
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    /// All epochs ran (or early stopping ended it) and the test split was scored.
    Ok,
    /// The loss became NaN or infinite; the run was stopped.
    Diverged,
    /// Interrupted (Ctrl-C) before it finished; not scored on the test split.
    Interrupted,
    /// The worker failed for another reason (see the message).
    Failed,
}

/// One model x seed: the outcome of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// The cell (`lstm`, `gru` or `rnn` in the files).
    pub model: Cell,
    /// The run's seed.
    pub seed: u64,
    /// How the run ended.
    pub status: RunStatus,
    /// Hidden size of the recurrent cell.
    pub hidden_size: i64,
    /// Trainable parameters of the whole classifier.
    pub params: i64,
    /// Epochs completed.
    pub epochs_run: u32,
    /// Epoch (1-based) with the best validation accuracy; its weights were tested.
    pub best_epoch: u32,
    /// Best validation accuracy (fraction).
    #[serde(deserialize_with = "f64_or_nan")]
    pub best_val_acc: f64,
    /// Test accuracy of the best-validation checkpoint (fraction); NaN if not scored.
    #[serde(deserialize_with = "f64_or_nan")]
    pub test_acc: f64,
    /// Test macro-averaged F1 of the best-validation checkpoint; NaN if not scored.
    #[serde(deserialize_with = "f64_or_nan")]
    pub test_macro_f1: f64,
    /// Test loss of the best-validation checkpoint (nats); NaN if not scored.
    #[serde(deserialize_with = "f64_or_nan")]
    pub test_loss: f64,
    /// Sum of `train_secs` over the epochs.
    #[serde(deserialize_with = "f64_or_nan")]
    pub train_secs_total: f64,
    /// Mean `train_secs` per epoch.
    #[serde(deserialize_with = "f64_or_nan")]
    pub secs_per_epoch: f64,
    /// Peak RSS by the end of the first epoch (bytes; highest of the
    /// epochs' in runs from before 7 December 2026).
    pub peak_rss_bytes: u64,
    /// Highest per-epoch GPU peak (bytes); empty on CPU.
    pub gpu_peak_bytes: Option<u64>,
    /// Why the run did not end `ok`; empty otherwise.
    pub message: String,
    /// The kernel the cell's fused RNN ran on; empty when not recorded.
    #[serde(default)]
    pub kernel: Option<Kernel>,
    /// Training seconds until the validation accuracy first reached the
    /// run's target (`summary.json`'s `time_to_target.target`); empty if never.
    #[serde(default)]
    pub secs_to_target: Option<f64>,
    /// The epoch in which it first reached the target; empty if never.
    #[serde(default)]
    pub epochs_to_target: Option<u32>,
    /// How far the run's timing can be trusted: `clean` or `disturbed`
    /// (more than a quarter of its epochs disturbed), or `remeasured` (a
    /// re-run of a disturbed run whose timing is clean); empty in older files.
    #[serde(default)]
    pub timing: Option<Timing>,
    /// Epochs flagged as disturbed; `secs_per_epoch` is the mean of the others.
    #[serde(default)]
    pub disturbed_epochs: Option<u32>,
    /// The machine's 1-minute load average when the run started.
    #[serde(default)]
    pub load_avg_1min: Option<f64>,
    /// Other runnable tasks on the machine when the run started.
    #[serde(default)]
    pub other_runnable_tasks: Option<u32>,
    /// Which attempt this is: 1, then 2, 3, … for re-runs of a run whose
    /// timing was disturbed (`--remeasure`). Every attempt reproduces the
    /// same losses and accuracies; only the timing of the one that stands
    /// (see [`crate::results::attempts`]) is aggregated.
    #[serde(default = "first_attempt")]
    pub attempt: u32,
    /// The first epoch's `train_rss_delta_bytes` (bytes; highest of the
    /// epochs' in runs from before 7 December 2026); empty in older files.
    #[serde(default)]
    pub train_rss_delta_bytes: Option<u64>,
    /// Median milliseconds to classify one test review at batch 1 on the
    /// best checkpoint (see `train::latency`); empty when not measured.
    #[serde(default)]
    pub latency_review_p50_ms: Option<f64>,
    /// 99th percentile of the same (milliseconds).
    #[serde(default)]
    pub latency_review_p99_ms: Option<f64>,
    /// Median microseconds per streamed token at batch 1, state carried;
    /// empty when not measured (and for bidirectional models).
    #[serde(default)]
    pub latency_step_p50_us: Option<f64>,
    /// 99th percentile of the same (microseconds).
    #[serde(default)]
    pub latency_step_p99_us: Option<f64>,
    /// Sum of the epochs' `eval_secs` (validation after every epoch).
    #[serde(default)]
    pub eval_secs_total: Option<f64>,
    /// Seconds the worker took to get its data: read from the point folder
    /// when an earlier worker of the seed left it there, else loaded,
    /// checked and encoded (see `results::prepared`).
    #[serde(default)]
    pub data_secs: Option<f64>,
    /// Seconds from the worker's first step to its record: data, model,
    /// training, validation, the test pass, latency and the gradient probe.
    #[serde(default)]
    pub worker_secs: Option<f64>,
    /// Seconds the worker process ran, start to exit, as the parent timed
    /// it: `worker_secs` plus loading libtorch and starting up.
    #[serde(default)]
    pub wall_secs: Option<f64>,
    /// 90th percentile microseconds per streamed token at batch 1.
    #[serde(default)]
    pub latency_step_p90_us: Option<f64>,
    /// A forecast: the best epoch's validation MAE (target units).
    #[serde(default)]
    pub best_val_mae: Option<f64>,
    /// A forecast: the test windows' mean absolute error over every horizon
    /// step, in the target's units.
    #[serde(default)]
    pub test_mae: Option<f64>,
    /// A forecast: the test windows' root mean squared error (target units).
    #[serde(default)]
    pub test_rmse: Option<f64>,
    /// A forecast: the test MAE over each series' training one-step naive
    /// MAE (Hyndman's MASE; below 1 beats that naive forecast in sample).
    #[serde(default)]
    pub test_mase: Option<f64>,
    /// A forecast: `test_mae` over the naive last-value forecast's MAE on
    /// the same test windows and horizon (below 1 beats it).
    #[serde(default)]
    pub test_mae_vs_naive: Option<f64>,
    /// A forecast with `--season`: `test_mae` over the seasonal naive
    /// forecast's MAE on the same windows.
    #[serde(default)]
    pub test_mae_vs_seasonal_naive: Option<f64>,
    /// Worker processes that ran at once in this run's batch of jobs
    /// (`--jobs`; 1: alone), as the parent started them.
    #[serde(default)]
    pub workers_at_once: Option<usize>,
    /// Intra-op threads of this run's worker (`--threads`, per worker).
    #[serde(default)]
    pub threads_per_worker: Option<usize>,
}

impl RunRecord {
    /// A run of `model` with `seed` that has done nothing yet: no epochs, NaN
    /// for every score, `status` and `message` as given.
    pub fn empty(
        model: Cell,
        seed: u64,
        hidden_size: i64,
        params: i64,
        status: RunStatus,
        message: String,
    ) -> RunRecord {
        RunRecord {
            model,
            seed,
            status,
            hidden_size,
            params,
            epochs_run: 0,
            best_epoch: 0,
            best_val_acc: f64::NAN,
            test_acc: f64::NAN,
            test_macro_f1: f64::NAN,
            test_loss: f64::NAN,
            train_secs_total: 0.0,
            secs_per_epoch: f64::NAN,
            peak_rss_bytes: 0,
            gpu_peak_bytes: None,
            message,
            kernel: None,
            secs_to_target: None,
            epochs_to_target: None,
            timing: None,
            disturbed_epochs: None,
            load_avg_1min: None,
            other_runnable_tasks: None,
            attempt: 1,
            train_rss_delta_bytes: None,
            latency_review_p50_ms: None,
            latency_review_p99_ms: None,
            latency_step_p50_us: None,
            latency_step_p99_us: None,
            eval_secs_total: None,
            data_secs: None,
            worker_secs: None,
            wall_secs: None,
            latency_step_p90_us: None,
            best_val_mae: None,
            test_mae: None,
            test_rmse: None,
            test_mase: None,
            test_mae_vs_naive: None,
            test_mae_vs_seasonal_naive: None,
            workers_at_once: None,
            threads_per_worker: None,
        }
    }
}

/// When a gradient-flow measurement was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GradientStage {
    /// Before the first training step.
    Init,
    /// On the best-validation checkpoint, after training.
    Trained,
}

impl GradientStage {
    /// The stage's name in `gradient_flow.csv` (`init`, `trained`).
    pub fn name(self) -> &'static str {
        match self {
            GradientStage::Init => "init",
            GradientStage::Trained => "trained",
        }
    }
}

/// One row of `gradient_flow.csv`: the loss gradient's norm at one input step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GradientFlowRow {
    /// The cell.
    pub model: Cell,
    /// Before or after training.
    pub stage: GradientStage,
    /// Input time step, from 0.
    pub step: usize,
    /// Mean over the batch of the L2 norm of the loss gradient at that step.
    pub grad_norm: f64,
}

/// Reads an `f64` that JSON may hold as `null` (serde_json writes NaN, a
/// run not scored, as `null`); CSV holds it as `NaN`.
fn f64_or_nan<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(deserializer)?.unwrap_or(f64::NAN))
}

/// What one row of the kernel check timed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KernelMeasure {
    /// A train step on one of the run's batches (forward, backward,
    /// clipping, Adam); files written before the check timed latency hold
    /// only these.
    #[default]
    TrainStep,
    /// One whole test review at batch 1, without gradients (claim 6's
    /// latency per review).
    Review,
    /// One streamed token at batch 1 with the state carried (claim 6's
    /// latency per token; models that can stream only).
    StreamStep,
}

/// One timed call of the kernel check (`kernel_check.csv`): a model under
/// one `--kernel` choice, on one of the run's own batches (a train step) or
/// at batch 1 on a test review (latency).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KernelCheckRow {
    /// The cell.
    pub model: Cell,
    /// The `--kernel` setting the call ran under.
    pub choice: KernelChoice,
    /// The kernel that setting gave this cell.
    pub kernel: Kernel,
    /// The seed whose batches and initial weights were used.
    pub seed: u64,
    /// 0-based index of the timed call within its measure; calls of the
    /// same measure and index saw the same batch, review or token in every
    /// model and setting.
    pub step: u32,
    /// Real (non-padding) tokens in the call's input.
    pub tokens: usize,
    /// Wall seconds of the call.
    pub secs: f64,
    /// What was timed (`train_step`, `review`, `stream_step`).
    #[serde(default)]
    pub measure: KernelMeasure,
}
