//! One model, one seed: epochs, early stopping, the best-validation checkpoint.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use indicatif::ProgressBar;
use tch::{Device, Kind, Tensor, nn};

use super::adam::{Adam, AdamSettings};
use super::eval::{
    ForecastScore, batch_loss, evaluate, forecast_outputs, macro_f1, score_forecast,
};
use crate::analysis::disturbance::{DisturbanceRule, EpochTiming, clean_epochs, disturbed_epochs};
use crate::config::Config;
use crate::data::{BatchData, Prepared, padding_fraction};
use crate::error::Result;
use crate::model::{Cell, Classifier, ModelShape};
use crate::probe::interference::{EpochVerdict, Signals};
use crate::probe::kernel::Kernel;
use crate::probe::load::LoadAverage;
use crate::probe::{device::synchronize, gpu, memory};
use crate::results::{EpochRecord, RunRecord, RunStatus};

/// What one run trains with: the grid point's configuration (epochs, batch
/// size, optimiser, clipping, patience), the seed and the device.
#[derive(Debug, Clone, PartialEq)]
pub struct FitSettings<'a> {
    /// The resolved configuration of the run's grid point.
    pub config: &'a Config,
    /// The run's seed: fixes the validation split, the batches and their order.
    pub seed: u64,
    /// Where the model lives.
    pub device: Device,
    /// The kernel the cell runs on (recorded with every epoch and the run).
    pub kernel: Kernel,
    /// Which attempt of this run this is (1, then 2, … for re-runs of a
    /// disturbed run); recorded with every epoch and the run.
    pub attempt: u32,
}

/// The outcome of [`fit`]: the run's record (status included).
#[derive(Debug, Clone, PartialEq)]
pub struct FitOutcome {
    /// One row of `runs.csv`.
    pub run: RunRecord,
    /// The disturbance rule's verdict on each epoch, decided over the whole
    /// run (the rows handed to `on_epoch` were decided with the epochs so
    /// far: the outlier test needs later epochs).
    pub epoch_verdicts: Vec<EpochVerdict>,
    /// A forecast's test windows scored with the best weights; `None` for
    /// classification or a run that did not finish.
    pub test_forecast: Option<ForecastScore>,
}

/// One training step as `compare` takes it: forward in training mode,
/// mean cross-entropy (a forecast: mean squared error against the scaled
/// targets), backward, global-norm clipping (`clip` > 0), Adam.
/// Returns the logits `[batch, classes]` (a forecast's outputs `[batch,
/// horizon]`), the labels `[batch]` on the device (empty for a forecast)
/// and the loss (a scalar tensor).
pub fn train_step(
    model: &Classifier,
    optimizer: &mut Adam,
    trainable: &[Tensor],
    batch: &BatchData,
    clip: f64,
    device: Device,
) -> Result<(Tensor, Tensor, Tensor)> {
    let inputs = batch.inputs(device);
    let lengths = Tensor::from_slice(&batch.lengths);
    let labels = Tensor::from_slice(&batch.labels).to_device(device);
    let logits = model.forward(&inputs, &lengths, true)?;
    let loss = batch_loss(&logits, batch, device, tch::Reduction::Mean)?;
    optimizer.zero_grad();
    loss.f_backward()?;
    if clip > 0.0 {
        clip_grad_norm(trainable, clip)?;
    }
    optimizer.step()?;
    Ok((logits, labels, loss))
}

/// Adam with the configuration's learning rate and weight decay.
pub fn optimizer(vs: &nn::VarStore, config: &Config) -> Adam {
    Adam::new(vs, AdamSettings::new(config.lr, config.weight_decay))
}

/// Trains `model` (whose variables are in `vs`) on `data.train`, validates on
/// `data.val` after every epoch, and scores the best-validation checkpoint on
/// `data.test`. Each finished epoch is handed to `on_epoch` before the next
/// starts. `stop` (set by Ctrl-C) ends the run between batches with status
/// `interrupted`; a non-finite loss ends it with status `diverged`.
#[allow(clippy::too_many_arguments)]
pub fn fit(
    cell: Cell,
    vs: &nn::VarStore,
    model: &Classifier,
    data: &Prepared,
    settings: &FitSettings<'_>,
    stop: &AtomicBool,
    progress: &ProgressBar,
    on_epoch: &mut dyn FnMut(&EpochRecord) -> Result<()>,
) -> Result<FitOutcome> {
    let shape = *model.shape();
    let mut run = new_run(cell, &shape, settings);
    let mut optimizer = optimizer(vs, settings.config);
    let trainable = vs.trainable_variables();
    let train_lengths = data.train.lengths();
    let mut best = EarlyStopping::new(settings.config.patience);
    let rule = DisturbanceRule::default();
    let mut timings: Vec<EpochTiming> = Vec::new();

    // The baseline of `train_rss_delta_bytes`: libtorch, the data and the
    // model's weights are resident; nothing of training is yet.
    let rss_before_training = memory::current_rss_bytes();

    let faults = Faults::from_env(cell, settings.seed, settings.attempt);
    for epoch in 1..=settings.config.epochs {
        let batches = settings.config.batching.batches(
            &train_lengths,
            settings.config.batch_size,
            settings.seed,
            epoch,
        );
        show_epoch(progress, cell, settings, epoch, batches.len());
        memory::reset_peak_rss();
        gpu::reset_peak(settings.device);
        synchronize(settings.device);
        let signals_at_start = Signals::now();
        let start = Instant::now();
        let pass = train_epoch(
            model,
            &mut optimizer,
            &trainable,
            data,
            &batches,
            settings,
            stop,
            progress,
            faults.nan_in(epoch),
        )?;
        if let Some(end) = pass.end {
            stop_run(&mut run, end, settings.seed, epoch);
            break;
        }
        synchronize(settings.device);
        let train_secs = start.elapsed().as_secs_f64();
        let signals = Signals::now().since(&signals_at_start);
        timings.push(EpochTiming {
            train_secs,
            signals,
        });
        let verdict = rule
            .classify(&timings)
            .pop()
            .expect("one verdict per epoch");
        let eval_start = Instant::now();
        let validation = validate(model, data, settings.device)?;
        synchronize(settings.device);
        let eval_secs = eval_start.elapsed().as_secs_f64();
        let gpu_peak = gpu::peak(settings.device);
        let peak_rss_bytes = memory::peak_rss_bytes();
        let examples = pass.examples.max(1) as f64;
        let record = EpochRecord {
            hidden_size: shape.hidden_size,
            params: shape.params(),
            train_loss: pass.loss_sum / examples + faults.perturbation(epoch),
            train_acc: pass.accuracy(data),
            val_loss: validation.loss,
            val_acc: validation.accuracy,
            val_mae: validation.mae,
            train_secs,
            eval_secs,
            samples_per_sec: pass.examples as f64 / train_secs,
            tokens_per_sec: pass.real_tokens as f64 / train_secs,
            padding_fraction: padding_fraction(&train_lengths, &batches),
            peak_rss_bytes,
            gpu_peak_bytes: gpu_peak.map(|p| p.allocated_bytes),
            gpu_reserved_peak_bytes: gpu_peak.map(|p| p.reserved_bytes),
            kernel: Some(settings.kernel),
            cpu_secs: signals.cpu_secs,
            runqueue_wait_secs: signals.runqueue_wait_secs,
            cpu_pressure_secs: signals.cpu_pressure_secs,
            steal_secs: signals.steal_secs,
            involuntary_switches: signals.involuntary_switches,
            disturbed: Some(verdict.disturbed),
            disturbance: verdict.disturbance.unwrap_or_default(),
            attempt: settings.attempt,
            train_rss_delta_bytes: Some(peak_rss_bytes.saturating_sub(rss_before_training)),
            ..EpochRecord::new(cell, settings.seed, epoch)
        };
        on_epoch(&record)?;
        add_epoch(&mut run, &record);
        if best.should_stop(&mut run, vs, &validation, epoch) {
            break;
        }
    }
    let verdicts = time_run(&mut run, &rule, &timings);
    let mut test_forecast = None;
    if run.status == RunStatus::Ok {
        if let Some(weights) = &best.weights {
            restore(vs, weights)?;
        }
        test_forecast = test_run(&mut run, model, data, settings.device)?;
    }
    Ok(FitOutcome {
        run,
        // One per epoch handed to `on_epoch`: an epoch cut short by Ctrl-C
        // or divergence has neither a timing nor a row.
        epoch_verdicts: verdicts,
        test_forecast,
    })
}

/// Shows epoch `epoch`'s `batches` on the progress bar.
fn show_epoch(
    progress: &ProgressBar,
    cell: Cell,
    settings: &FitSettings<'_>,
    epoch: u32,
    batches: usize,
) {
    progress.set_length(batches as u64);
    progress.set_position(0);
    progress.set_prefix(format!(
        "{} seed {} epoch {epoch}/{}",
        cell.display_name(),
        settings.seed,
        settings.config.epochs
    ));
}

/// Ends `run` where epoch `epoch`'s pass stopped (`end`): its status, and a
/// message naming the epoch.
fn stop_run(run: &mut RunRecord, end: PassEnd, seed: u64, epoch: u32) {
    run.status = end.status;
    run.message = if end.status == RunStatus::Interrupted {
        format!("interrupted during epoch {epoch}")
    } else {
        format!(
            "{} seed {seed}: {} in epoch {epoch}; run stopped",
            run.model.name(),
            end.message
        )
    };
}

/// A run's record before its first epoch: what it is, its kernel and
/// attempt, and the machine's load as it starts.
fn new_run(cell: Cell, shape: &ModelShape, settings: &FitSettings<'_>) -> RunRecord {
    let mut run = RunRecord::empty(
        cell,
        settings.seed,
        shape.hidden_size,
        shape.params(),
        RunStatus::Ok,
        String::new(),
    );
    run.kernel = Some(settings.kernel);
    run.attempt = settings.attempt;
    if let Some(load) = LoadAverage::read() {
        run.load_avg_1min = Some(load.one_min);
        run.other_runnable_tasks = Some(load.other_runnable_tasks());
    }
    run
}

/// One epoch's validation: the accuracy, or a forecast's MAE in the
/// target's units (its accuracy `NaN`).
struct Validation {
    loss: f64,
    accuracy: f64,
    mae: Option<f64>,
}

impl Validation {
    /// Higher is better: the accuracy, or minus the MAE.
    fn score(&self) -> f64 {
        self.mae.map_or(self.accuracy, |mae| -mae)
    }
}

/// Validates `model` on `data.val`.
fn validate(model: &Classifier, data: &Prepared, device: Device) -> Result<Validation> {
    if let Some(forecast) = &data.forecast {
        let out = forecast_outputs(model, &data.val, device)?;
        let score = score_forecast(forecast, &forecast.val, &out.outputs);
        return Ok(Validation {
            loss: out.loss,
            accuracy: f64::NAN,
            mae: Some(score.map_or(f64::NAN, |s| s.model.mae)),
        });
    }
    let v = evaluate(model, &data.val, device)?;
    Ok(Validation {
        loss: v.loss,
        accuracy: v.accuracy,
        mae: None,
    })
}

/// Scores the restored best weights on `data.test` into `run`: accuracy
/// and macro F1, or a forecast's errors and their ratios to the naive
/// forecasts (its accuracies `NaN`), whose score is returned.
fn test_run(
    run: &mut RunRecord,
    model: &Classifier,
    data: &Prepared,
    device: Device,
) -> Result<Option<ForecastScore>> {
    let Some(forecast) = &data.forecast else {
        let test = evaluate(model, &data.test, device)?;
        run.test_acc = test.accuracy;
        run.test_loss = test.loss;
        run.test_macro_f1 = macro_f1(&data.test.labels, &test.predictions);
        return Ok(None);
    };
    let out = forecast_outputs(model, &data.test, device)?;
    run.test_loss = out.loss;
    run.test_acc = f64::NAN;
    run.test_macro_f1 = f64::NAN;
    let score = score_forecast(forecast, &forecast.test, &out.outputs);
    if let Some(score) = &score {
        run.test_mae = Some(score.model.mae);
        run.test_rmse = Some(score.model.rmse);
        run.test_mase = Some(score.model.mase);
        run.test_mae_vs_naive = Some(score.model.mae / score.naive.mae);
        run.test_mae_vs_seasonal_naive = score.seasonal.map(|s| score.model.mae / s.mae);
    }
    Ok(score)
}

/// Early stopping on validation accuracy (a forecast: validation MAE):
/// keeps the best epoch's weights and stops after `patience` epochs
/// without a better one (never when `patience` is 0).
struct EarlyStopping {
    patience: u32,
    /// The best epoch's weights, once an epoch was validated.
    weights: Option<HashMap<String, Tensor>>,
    epochs_since_best: u32,
    /// The best validation score so far (higher is better).
    best_score: f64,
}

impl EarlyStopping {
    fn new(patience: u32) -> Self {
        EarlyStopping {
            patience,
            weights: None,
            epochs_since_best: 0,
            best_score: f64::NEG_INFINITY,
        }
    }

    /// Takes epoch `epoch`'s validation: a new best is recorded in `run`
    /// and its weights kept; returns whether training should stop.
    fn should_stop(
        &mut self,
        run: &mut RunRecord,
        vs: &nn::VarStore,
        validation: &Validation,
        epoch: u32,
    ) -> bool {
        if self.weights.is_none() || validation.score() > self.best_score {
            self.best_score = validation.score();
            run.best_val_acc = validation.accuracy;
            run.best_val_mae = validation.mae;
            run.best_epoch = epoch;
            self.weights = Some(snapshot(vs));
            self.epochs_since_best = 0;
            return false;
        }
        self.epochs_since_best += 1;
        self.patience > 0 && self.epochs_since_best >= self.patience
    }
}

/// The run's speed and timing verdict from its epochs' timings, decided
/// again over the whole run (an early epoch may only now be seen to be an
/// outlier): seconds per epoch from the undisturbed epochs (all of them
/// when every epoch was disturbed: `timing` then says so). Returns the
/// per-epoch verdicts.
fn time_run(
    run: &mut RunRecord,
    rule: &DisturbanceRule,
    timings: &[EpochTiming],
) -> Vec<EpochVerdict> {
    let verdicts = rule.classify(timings);
    if run.epochs_run > 0 {
        let clean = clean_epochs(&verdicts);
        run.secs_per_epoch =
            clean.iter().map(|&i| timings[i].train_secs).sum::<f64>() / clean.len() as f64;
        run.timing = Some(rule.run_timing(&verdicts));
        run.disturbed_epochs = Some(disturbed_epochs(&verdicts) as u32);
    }
    verdicts
}

/// The epoch whose peak RSS is the run's: by its end every training batch,
/// Adam's moments and a validation pass have been in memory, so later epochs
/// add only what the allocator keeps of fragmented blocks. Measured at the
/// defaults (2 vCPUs, seeds 1–3, two identical runs each), the first epoch's
/// peak came out within 1 MiB between the runs, while the fourth's had
/// grown 30–40 MiB under glibc's defaults and 30–110 MiB with freed memory
/// kept ([`crate::probe::allocator`]), differing by up to 50 MiB between the
/// runs: allocator noise, not the model's. `epochs.csv` keeps every epoch's.
const MEMORY_EPOCH: u32 = 1;

/// Counts an epoch's record into its run's totals and peaks. The run's RSS
/// figures are its first epoch's ([`MEMORY_EPOCH`]).
fn add_epoch(run: &mut RunRecord, record: &EpochRecord) {
    run.epochs_run = record.epoch;
    run.train_secs_total += record.train_secs;
    run.eval_secs_total = Some(run.eval_secs_total.unwrap_or(0.0) + record.eval_secs);
    if record.epoch == MEMORY_EPOCH {
        run.peak_rss_bytes = record.peak_rss_bytes;
        run.train_rss_delta_bytes = record.train_rss_delta_bytes;
    }
    run.gpu_peak_bytes = match (run.gpu_peak_bytes, record.gpu_peak_bytes) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    };
}

/// Why an epoch's pass over the batches stopped early.
struct PassEnd {
    status: RunStatus,
    message: String,
}

/// One pass over an epoch's training batches.
struct EpochPass {
    /// Sum of the batches' mean losses times their sizes, in nats.
    loss_sum: f64,
    examples: usize,
    /// Non-padding tokens trained on.
    real_tokens: usize,
    /// Training examples the model predicted right.
    correct: i64,
    /// Set when Ctrl-C or a non-finite loss ended the pass.
    end: Option<PassEnd>,
}

impl EpochPass {
    /// The training accuracy over the pass; `NaN` for a forecast.
    fn accuracy(&self, data: &Prepared) -> f64 {
        match data.forecast {
            Some(_) => f64::NAN,
            None => self.correct as f64 / self.examples.max(1) as f64,
        }
    }
}

/// Trains on `batches` (indices into `data.train`) once; stops between
/// batches on `stop` and at the first non-finite loss (`force_nan` makes
/// every loss NaN: the divergence test hook).
#[allow(clippy::too_many_arguments)]
fn train_epoch(
    model: &Classifier,
    optimizer: &mut Adam,
    trainable: &[Tensor],
    data: &Prepared,
    batches: &[Vec<usize>],
    settings: &FitSettings<'_>,
    stop: &AtomicBool,
    progress: &ProgressBar,
    force_nan: bool,
) -> Result<EpochPass> {
    let (mut loss_sum, mut examples, mut real_tokens) = (0.0, 0usize, 0usize);
    let mut correct = Tensor::zeros([], (Kind::Int64, settings.device));
    let mut end = None;
    for indices in batches {
        if stop.load(Ordering::SeqCst) {
            end = Some(PassEnd {
                status: RunStatus::Interrupted,
                message: String::new(),
            });
            break;
        }
        let batch = data.train.batch(indices);
        let (logits, labels, loss) = train_step(
            model,
            optimizer,
            trainable,
            &batch,
            settings.config.clip,
            settings.device,
        )?;
        let loss_value = if force_nan {
            f64::NAN
        } else {
            loss.f_double_value(&[])?
        };
        if !loss_value.is_finite() {
            end = Some(PassEnd {
                status: RunStatus::Diverged,
                message: format!("loss became {loss_value}"),
            });
            break;
        }
        if batch.horizon == 0 {
            tch::no_grad(|| -> Result<()> {
                correct += logits
                    .f_argmax(1, false)?
                    .f_eq_tensor(&labels)?
                    .f_sum(Kind::Int64)?;
                Ok(())
            })?;
        }
        loss_sum += loss_value * batch.batch_size as f64;
        examples += batch.batch_size;
        real_tokens += batch.lengths.iter().sum::<i64>() as usize;
        progress.inc(1);
        progress.set_message(format!("loss {:.4}", loss_sum / examples as f64));
    }
    Ok(EpochPass {
        loss_sum,
        examples,
        real_tokens,
        correct: correct.f_int64_value(&[])?,
        end,
    })
}

/// The test hooks, read once per run from the environment:
/// `RNNBENCH_FAULT_NAN=<model>:<seed>:<epoch>` makes that run's loss NaN in
/// that epoch (the divergence path end to end);
/// `RNNBENCH_FAULT_PERTURB=<model>:<seed>:<attempt>` adds 1e-9 to that
/// attempt's first training loss (the check that a re-run reproduces its
/// first attempt, `--remeasure`).
struct Faults {
    nan_epoch: Option<u32>,
    perturb: bool,
}

impl Faults {
    fn from_env(cell: Cell, seed: u64, attempt: u32) -> Faults {
        let prefix = format!("{}:{seed}:", cell.name());
        let var = |name: &str| std::env::var(name).ok();
        Faults {
            nan_epoch: var("RNNBENCH_FAULT_NAN")
                .and_then(|v| v.strip_prefix(&prefix)?.parse().ok()),
            perturb: var("RNNBENCH_FAULT_PERTURB")
                .is_some_and(|v| v == format!("{prefix}{attempt}")),
        }
    }

    fn nan_in(&self, epoch: u32) -> bool {
        self.nan_epoch == Some(epoch)
    }

    fn perturbation(&self, epoch: u32) -> f64 {
        if self.perturb && epoch == 1 {
            1e-9
        } else {
            0.0
        }
    }
}

/// Scales all gradients together so that their global L2 norm is at most
/// `max_norm` (PyTorch's `clip_grad_norm_`), without a device-to-host copy.
pub fn clip_grad_norm(variables: &[Tensor], max_norm: f64) -> Result<()> {
    tch::no_grad(|| -> Result<()> {
        let grads: Vec<Tensor> = variables
            .iter()
            .map(|v| v.grad())
            .filter(|g| g.defined())
            .collect();
        if grads.is_empty() {
            return Ok(());
        }
        let norms = grads
            .iter()
            .map(|g| g.f_norm())
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let total = Tensor::f_stack(&norms, 0)?.f_norm()?;
        let coefficient = (max_norm / (total + 1e-6)).f_clamp_max(1.0)?;
        for mut g in grads {
            let _ = g.f_mul_(&coefficient)?;
        }
        Ok(())
    })
}

/// A detached copy of every variable, by name.
fn snapshot(vs: &nn::VarStore) -> HashMap<String, Tensor> {
    vs.variables()
        .into_iter()
        .map(|(name, t)| (name, t.detach().copy()))
        .collect()
}

/// Copies a [`snapshot`] back into the variables.
fn restore(vs: &nn::VarStore, weights: &HashMap<String, Tensor>) -> Result<()> {
    tch::no_grad(|| -> Result<()> {
        for (name, mut variable) in vs.variables() {
            if let Some(saved) = weights.get(&name) {
                variable.f_copy_(saved)?;
            }
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_runs_memory_is_its_first_epochs_while_times_add_up() {
        let mut run = RunRecord::empty(Cell::Gru, 1, 8, 10, RunStatus::Ok, String::new());
        for (epoch, peak_mib) in [(1u32, 300u64), (2, 340), (3, 330)] {
            let record = EpochRecord {
                train_secs: 2.0,
                eval_secs: 0.5,
                peak_rss_bytes: peak_mib << 20,
                train_rss_delta_bytes: Some((peak_mib - 200) << 20),
                ..EpochRecord::new(Cell::Gru, 1, epoch)
            };
            add_epoch(&mut run, &record);
        }
        assert_eq!(run.epochs_run, 3);
        assert_eq!(run.train_secs_total, 6.0);
        assert_eq!(run.eval_secs_total, Some(1.5));
        assert_eq!(run.peak_rss_bytes, 300 << 20);
        assert_eq!(run.train_rss_delta_bytes, Some(100 << 20));
    }

    /// Validation accuracies in epoch order, the patience, and the epoch
    /// training stops after (None: it runs them all) with the best epoch.
    #[test]
    fn early_stopping_keeps_the_best_epoch_and_stops_after_patience() {
        let cases: [(&[f64], u32, Option<u32>, u32); 5] = [
            (&[0.6, 0.7, 0.8], 2, None, 3),
            (&[0.6, 0.7, 0.65, 0.66], 2, Some(4), 2),
            (&[0.6, 0.7, 0.65, 0.72, 0.7], 2, None, 4),
            // A tie is not better: the first of equal epochs stands.
            (&[0.7, 0.7, 0.7], 2, Some(3), 1),
            // Patience 0: never stops early.
            (&[0.9, 0.1, 0.1, 0.1], 0, None, 1),
        ];
        let vs = nn::VarStore::new(Device::Cpu);
        let _w = vs.root().zeros("w", &[2]);
        for (accs, patience, stops_after, best_epoch) in cases {
            let mut run = RunRecord::empty(Cell::Lstm, 1, 8, 10, RunStatus::Ok, String::new());
            let mut stopping = EarlyStopping::new(patience);
            let mut stopped = None;
            for (i, &acc) in accs.iter().enumerate() {
                let epoch = i as u32 + 1;
                let validation = Validation {
                    loss: 0.0,
                    accuracy: acc,
                    mae: None,
                };
                if stopping.should_stop(&mut run, &vs, &validation, epoch) {
                    stopped = Some(epoch);
                    break;
                }
            }
            assert_eq!(stopped, stops_after, "{accs:?} patience {patience}");
            assert_eq!(run.best_epoch, best_epoch, "{accs:?}");
            assert!(stopping.weights.is_some());
        }
        // A forecast stops on its validation MAE, lower being better.
        let mut run = RunRecord::empty(Cell::Lstm, 1, 8, 10, RunStatus::Ok, String::new());
        let mut stopping = EarlyStopping::new(1);
        for (i, mae) in [3.0, 2.0, 2.5].into_iter().enumerate() {
            let validation = Validation {
                loss: 0.0,
                accuracy: f64::NAN,
                mae: Some(mae),
            };
            let stop = stopping.should_stop(&mut run, &vs, &validation, i as u32 + 1);
            assert_eq!(stop, i == 2);
        }
        assert_eq!((run.best_epoch, run.best_val_mae), (2, Some(2.0)));
    }
}
