//! The kernel check: how much of a speed verdict is the cell and how much is
//! libtorch's choice of kernel. After the training runs of a grid point, one
//! worker process times a short fixed slice of train steps (the first seed's
//! own bucketed batches of epoch 1, from the first seed's initial weights)
//! for every model under `--kernel auto`, `--kernel native` and (on the CPU,
//! with oneDNN built in) `--kernel onednn`,
//! interleaved step by step so that a change of machine load hits every
//! variant alike. A cell whose kernel is the same under both settings (GRU
//! and RNN on the CPU) is timed once and stands for both.
//!
//! Then the same variants are timed for claim 6's latency, interleaved the
//! same way, without gradients, at batch 1: [`LATENCY_REVIEWS`] whole test
//! reviews (the run's own latency sample, [`latency_sample`]) and
//! [`LATENCY_TOKENS`] streamed tokens of those reviews with the state
//! carried (models that can stream). The weights are the initial ones, not
//! trained ones: a latency depends on the shapes and the kernel, not on the
//! values (subnormals aside, which are flushed).
//!
//! The steps run with subnormal floats flushed to zero: fresh weights put
//! backpropagation through long sequences into the subnormal range, where
//! x86 cores slow down by up to 10x, and the check is about the cells'
//! steady-state cost, not that transient.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use tch::{Device, Tensor, nn};

use super::{Input, apply_process_settings, model_shape, seed_data};
use crate::config::{Config, KernelChoice};
use crate::data::{Encoded, Prepared};
use crate::error::{Error, Result};
use crate::model::{Cell, Classifier};
use crate::probe::device::{resolve_device, synchronize};
use crate::probe::kernel::{self, Kernel};
use crate::results::{KernelCheckRow, KernelMeasure, RunManifest, files};
use crate::train::adam::Adam;
use crate::train::fit::{optimizer, train_step};
use crate::train::latency::latency_sample;

/// Untimed steps per variant before timing starts.
pub const WARMUP_STEPS: usize = 2;
/// Timed steps per variant.
pub const TIMED_STEPS: usize = 10;
/// Untimed latency calls per variant before timing starts (reviews and
/// streamed tokens alike).
pub const LATENCY_WARMUP: usize = 3;
/// Timed whole reviews per variant.
pub const LATENCY_REVIEWS: usize = 30;
/// Timed streamed tokens per variant.
pub const LATENCY_TOKENS: usize = 300;

/// One (model, kernel setting) variant with its own copy of the model.
struct Variant {
    cell: Cell,
    choice: KernelChoice,
    kernel: Kernel,
    vs: nn::VarStore,
    model: Classifier,
    optimizer: Adam,
}

/// Runs the kernel check of the point folder `point_dir` and writes
/// `kernel_check.csv` there (replacing an earlier one only when complete).
pub fn run_kernel_check(point_dir: &Path, stop: &AtomicBool) -> Result<()> {
    let manifest = RunManifest::load(point_dir)?;
    let config = &manifest.config;
    let seed = config.seeds[0];
    let device = resolve_device(config.device)?;
    apply_process_settings(config);
    kernel::set_flush_denormal(true);
    let data = seed_data(point_dir, &manifest, seed)?;
    let mut variants = variants(&manifest, &data, seed, device)?;
    let check = Check {
        test: &data.test,
        sample: latency_sample(&data.test, seed),
        seed,
        device,
        stop,
        point_dir,
    };
    let mut rows = Vec::new();
    check.time_train_steps(&mut variants, &data, config, &mut rows)?;
    tch::no_grad(|| -> Result<()> {
        check.time_reviews(&variants, &mut rows)?;
        check.time_stream(&variants, &mut rows)
    })?;
    kernel::apply(config.kernel);
    let path = point_dir.join(files::KERNEL_CHECK);
    crate::results::write_csv_atomic(&path, &rows)
}

/// Every (model, kernel setting) variant of the run, each from the seed's
/// initial weights; a setting that gives a model the same kernel as an
/// earlier one (the GRU's `auto` and `native` on the CPU) is left out.
fn variants(
    manifest: &RunManifest,
    data: &Prepared,
    seed: u64,
    device: Device,
) -> Result<Vec<Variant>> {
    let config = &manifest.config;
    let mut choices = vec![KernelChoice::Auto, KernelChoice::Native];
    if device == Device::Cpu && crate::model::onednn::available() {
        choices.push(KernelChoice::Onednn);
    }
    let mut variants = Vec::new();
    for size in &manifest.model_sizes {
        let mut seen = Vec::new();
        for &choice in &choices {
            kernel::apply(choice);
            let shape = model_shape(
                config,
                size.model,
                size.hidden_size,
                Input::of(data),
                data.classes.len(),
            );
            tch::manual_seed(seed as i64);
            let vs = nn::VarStore::new(device);
            let model = Classifier::new(&vs.root(), shape, config.dropout, choice.recurrent());
            let kernel = model.kernel();
            if seen.contains(&kernel) {
                continue;
            }
            seen.push(kernel);
            let optimizer = optimizer(&vs, config);
            variants.push(Variant {
                cell: size.model,
                choice,
                kernel,
                vs,
                model,
                optimizer,
            });
        }
    }
    Ok(variants)
}

/// A row of `v`'s timed call.
fn row(
    v: &Variant,
    seed: u64,
    measure: KernelMeasure,
    step: usize,
    tokens: usize,
    secs: f64,
) -> KernelCheckRow {
    KernelCheckRow {
        model: v.cell,
        choice: v.choice,
        kernel: v.kernel,
        seed,
        step: step as u32,
        tokens,
        secs,
        measure,
    }
}

/// Where and on what the variants are timed.
struct Check<'a> {
    test: &'a Encoded,
    /// The run's latency sample of test reviews.
    sample: Vec<usize>,
    seed: u64,
    device: Device,
    stop: &'a AtomicBool,
    point_dir: &'a Path,
}

impl Check<'_> {
    /// An error when the user asked to stop.
    fn check_stop(&self) -> Result<()> {
        if self.stop.load(Ordering::SeqCst) {
            return Err(Error::results(self.point_dir, "kernel check interrupted"));
        }
        Ok(())
    }

    /// Times a train step of every variant on each of the seed's first
    /// batches of epoch 1 (cycled when fewer), interleaved batch by batch,
    /// after [`WARMUP_STEPS`] untimed ones.
    fn time_train_steps(
        &self,
        variants: &mut [Variant],
        data: &Prepared,
        config: &Config,
        rows: &mut Vec<KernelCheckRow>,
    ) -> Result<()> {
        let device = self.device;
        let batches =
            config
                .batching
                .batches(&data.train.lengths(), config.batch_size, self.seed, 1);
        let steps = WARMUP_STEPS + TIMED_STEPS;
        for (step, indices) in batches.iter().cycle().take(steps).enumerate() {
            let batch = data.train.batch(indices);
            let tokens = batch.lengths.iter().sum::<i64>() as usize;
            for v in variants.iter_mut() {
                self.check_stop()?;
                kernel::apply(v.choice);
                let trainable = v.vs.trainable_variables();
                synchronize(device);
                let start = Instant::now();
                let _ = train_step(
                    &v.model,
                    &mut v.optimizer,
                    &trainable,
                    &batch,
                    config.clip,
                    device,
                )?;
                synchronize(device);
                let secs = start.elapsed().as_secs_f64();
                if let Some(step) = step.checked_sub(WARMUP_STEPS) {
                    let measure = KernelMeasure::TrainStep;
                    rows.push(row(v, self.seed, measure, step, tokens, secs));
                }
            }
        }
        Ok(())
    }

    /// Times every variant on whole reviews of the sample at batch 1,
    /// interleaved review by review.
    fn time_reviews(&self, variants: &[Variant], rows: &mut Vec<KernelCheckRow>) -> Result<()> {
        let device = self.device;
        let calls = self
            .sample
            .iter()
            .cycle()
            .take(LATENCY_WARMUP + LATENCY_REVIEWS);
        for (k, &i) in calls.enumerate() {
            let one = self.test.one(i);
            let tokens = one.inputs(device);
            let lengths = Tensor::from_slice(&one.lengths);
            let steps = one.seq_len;
            for v in variants {
                self.check_stop()?;
                kernel::apply(v.choice);
                synchronize(device);
                let start = Instant::now();
                let logits = v.model.forward(&tokens, &lengths, false)?;
                let _class = logits.f_argmax(1, false)?.f_int64_value(&[0])?;
                synchronize(device);
                let secs = start.elapsed().as_secs_f64();
                if let Some(step) = k.checked_sub(LATENCY_WARMUP) {
                    let measure = KernelMeasure::Review;
                    rows.push(row(v, self.seed, measure, step, steps, secs));
                }
            }
        }
        Ok(())
    }

    /// Times every variant that can stream on the tokens of the sample's
    /// reviews at batch 1, state carried (reset at each review's start),
    /// interleaved token by token.
    fn time_stream(&self, variants: &[Variant], rows: &mut Vec<KernelCheckRow>) -> Result<()> {
        let device = self.device;
        let streaming: Vec<&Variant> = variants.iter().filter(|v| v.model.can_stream()).collect();
        if streaming.is_empty() {
            return Ok(());
        }
        let ids = self.sample.iter().cycle().flat_map(|&i| {
            let one = self.test.one(i);
            let steps = one.seq_len;
            (0..steps).map(move |t| (t == 0, one.step_inputs(t, device)))
        });
        let mut states = Vec::with_capacity(streaming.len());
        for (k, (first, token)) in ids.take(LATENCY_WARMUP + LATENCY_TOKENS).enumerate() {
            if first {
                states = streaming
                    .iter()
                    .map(|v| v.model.zero_state(1, device))
                    .collect::<Result<_>>()?;
            }
            for (v, state) in streaming.iter().zip(states.iter_mut()) {
                self.check_stop()?;
                kernel::apply(v.choice);
                synchronize(device);
                let start = Instant::now();
                let logits = v.model.step(&token, state)?;
                let _class = logits.f_argmax(1, false)?.f_int64_value(&[0])?;
                synchronize(device);
                let secs = start.elapsed().as_secs_f64();
                if let Some(step) = k.checked_sub(LATENCY_WARMUP) {
                    let measure = KernelMeasure::StreamStep;
                    rows.push(row(v, self.seed, measure, step, 1, secs));
                }
            }
        }
        Ok(())
    }
}
