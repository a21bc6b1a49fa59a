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
//! The steps run with subnormal floats flushed to zero: fresh weights put
//! backpropagation through long sequences into the subnormal range, where
//! x86 cores slow down by up to 10x, and the check is about the cells'
//! steady-state cost, not that transient.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use tch::nn;

use super::fit::{optimizer, train_step};
use crate::compare::{apply_process_settings, model_shape, seed_data};
use crate::config::KernelChoice;
use crate::error::{Error, Result};
use crate::model::{Cell, Classifier};
use crate::probe::device::{resolve_device, synchronize};
use crate::probe::kernel::{self, Kernel};
use crate::results::{KernelCheckRow, RunManifest, files};

/// Untimed steps per variant before timing starts.
pub const WARMUP_STEPS: usize = 2;
/// Timed steps per variant.
pub const TIMED_STEPS: usize = 10;

/// One (model, kernel setting) variant with its own copy of the model.
struct Variant {
    cell: Cell,
    choice: KernelChoice,
    kernel: Kernel,
    vs: nn::VarStore,
    model: Classifier,
    optimizer: nn::Optimizer,
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

    let mut variants = Vec::new();
    for size in &manifest.model_sizes {
        let mut seen = Vec::new();
        for choice in [
            KernelChoice::Auto,
            KernelChoice::Native,
            KernelChoice::Onednn,
        ] {
            if choice == KernelChoice::Onednn
                && (device != tch::Device::Cpu || !crate::model::onednn::available())
            {
                continue;
            }
            kernel::apply(choice);
            let kernel = kernel::kernel_now(size.model, device);
            if seen.contains(&kernel) {
                continue;
            }
            seen.push(kernel);
            let shape = model_shape(
                config,
                size.model,
                size.hidden_size,
                data.vocab_size,
                data.classes.len(),
            );
            tch::manual_seed(seed as i64);
            let vs = nn::VarStore::new(device);
            let model = Classifier::new(&vs.root(), shape, config.dropout);
            let optimizer = optimizer(&vs, config)?;
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
    let batches = config
        .batching
        .batches(&data.train.lengths(), config.batch_size, seed, 1);
    let steps = WARMUP_STEPS + TIMED_STEPS;
    let mut rows = Vec::new();
    for (step, indices) in batches.iter().cycle().take(steps).enumerate() {
        let batch = data.train.batch(indices);
        let tokens = batch.lengths.iter().sum::<i64>() as usize;
        for v in &mut variants {
            if stop.load(Ordering::SeqCst) {
                return Err(Error::results(point_dir, "kernel check interrupted"));
            }
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
            if step >= WARMUP_STEPS {
                rows.push(KernelCheckRow {
                    model: v.cell,
                    choice: v.choice,
                    kernel: v.kernel,
                    seed,
                    step: (step - WARMUP_STEPS) as u32,
                    tokens,
                    secs,
                });
            }
        }
    }
    kernel::apply(config.kernel);
    let path = point_dir.join(files::KERNEL_CHECK);
    crate::results::write_csv_atomic(&path, &rows)
}
