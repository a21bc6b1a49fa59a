//! A whole comparison: the parent process plans the runs, writes the run
//! folder, and starts one worker process per model x seed (interleaved: LSTM
//! seed 1, GRU seed 1, LSTM seed 2, …). One process per run keeps each run's
//! peak memory independent of the runs before it (freed memory stays in the
//! allocator) and isolates a crash to one run.
//!
//! What every part shares is here (the process settings, the data source,
//! the model shapes and sizes, the loaded corpora); the whole parent's
//! lifecycle is a [`Session`] (plan, run, outcome), the run folder is in
//! [`folder`], the parent's loop over the jobs in [`jobs`], stopping in
//! [`interrupt`], what it says in [`log`], and the worker's side in
//! [`worker`].

use std::path::PathBuf;

use crate::config::Config;
use crate::data::memory::{MEMORY_DATASET, MemorySpec};
use crate::data::{
    Columns, Corpus, DatasetSource, PrepareOptions, Prepared, forecast, load_corpus, prepare,
};
use crate::error::Result;
use crate::model::{Cell, ModelShape, hidden_for_budget};
use crate::probe::kernel;
use crate::results::ModelSize;

mod folder;
pub mod interrupt;
mod jobs;
pub mod kernel_check;
pub mod log;
mod session;
mod worker;
mod worker_exit;

pub use folder::{
    AddedSeeds, Launch, RunLock, create_run_dir, dataset_slug, default_run_id, load_for_resume,
    lock_run_dir, start_run, utc_stamp, with_more_seeds,
};
pub use interrupt::{Interrupt, WorkerSlots, die_with_parent, worker_stop_on_signals};
pub use log::{KeptLines, Log, Sink, Stream, memory_sink, terminal_sink};
#[cfg(test)]
pub(crate) use session::testing;
pub use session::{Env, Outcome, Request, Session, process_env};
pub use worker::{
    JobResult, block_interrupts, job_result_path, run_worker, run_worker_job, seed_data,
    verify_dataset,
};
pub use worker_exit::{signal_name, worker_exit_message};

/// Largest hidden size considered when matching parameter budgets.
pub use crate::memory_guard::MAX_HIDDEN;

/// Sets this process's libtorch threads, kernel switches (`--kernel`) and
/// flush-denormal mode (`--flush-denormal`) as `config` says.
pub fn apply_process_settings(config: &Config) {
    tch::set_num_threads(config.threads as i32);
    kernel::apply(config.kernel);
    kernel::set_flush_denormal(config.flush_denormal.is_on());
}

/// The dataset source a configuration names.
pub fn dataset_source(config: &Config) -> (DatasetSource, Columns) {
    let forecast = config
        .dataset
        .series
        .clone()
        .zip(config.dataset.forecast_columns());
    let source = match (&config.dataset.train, &config.dataset.test) {
        _ if forecast.is_some() => {
            let (path, columns) = forecast.expect("checked just now");
            DatasetSource::Forecast { path, columns }
        }
        (Some(train), Some(test)) => DatasetSource::Split {
            train: train.clone(),
            test: test.clone(),
        },
        _ => {
            let name = &config.dataset.name;
            if name == MEMORY_DATASET {
                DatasetSource::Memory(MemorySpec {
                    distance: config.distance,
                    train_sequences: config.sequences,
                })
            } else if name == "imdb"
                || name == "imdb-mini"
                || crate::data::BUNDLED_SERIES.contains(&name.as_str())
            {
                DatasetSource::Named(name.clone())
            } else {
                DatasetSource::Path(PathBuf::from(name))
            }
        }
    };
    let columns = Columns {
        text: config.dataset.text_col.clone(),
        label: config.dataset.label_col.clone(),
        series: config.dataset.series_col.clone(),
        time: config.dataset.time_col.clone(),
        channels: config.dataset.channels.clone(),
    };
    (source, columns)
}

/// Encodes `corpus` for `seed` (the validation split depends on the seed;
/// a forecast's windows do not).
pub fn prepare_for_seed(corpus: &Corpus, config: &Config, seed: u64) -> Result<Prepared> {
    if let Some((path, table)) = &corpus.forecast {
        return forecast::prepare(path, table.clone(), &forecast_spec(config));
    }
    prepare(
        corpus,
        &PrepareOptions {
            max_len: config.max_len,
            keep: config.keep,
            vocab_size: config.vocab_size,
            min_count: config.min_count,
            val_fraction: config.val_fraction,
            seed,
        },
    )
}

/// A forecast's windowing, splitting and scaling, as `config` says.
pub fn forecast_spec(config: &Config) -> forecast::ForecastSpec {
    forecast::ForecastSpec {
        lookback: config.lookback,
        horizon: config.horizon,
        val_fraction: config.val_fraction,
        test_fraction: config.test_fraction,
        fill: config.fill,
        scaling: config.scaling,
        season: (config.season > 0).then_some(config.season),
    }
}

/// What the models read, as the data gave it: token ids of a vocabulary
/// (`channels` 0), or numeric series of `channels` per step (`vocab_size` 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Input {
    /// The vocabulary built, `<pad>` and `<unk>` included; 0 for series.
    pub vocab_size: usize,
    /// Channels per step of a numeric series; 0 for text.
    pub channels: usize,
}

impl Input {
    /// What `prepared` gives the models.
    pub fn of(prepared: &Prepared) -> Input {
        Input {
            vocab_size: prepared.vocab_size,
            channels: prepared.channels,
        }
    }
}

/// The classifier's shape for `cell` at `hidden_size` under `config`, with
/// the input and classes the data gave: the one place a
/// [`ModelShape`] is built from a configuration (the parent sizes the
/// models with it, the worker builds them with it).
pub fn model_shape(
    config: &Config,
    cell: Cell,
    hidden_size: i64,
    input: Input,
    classes: usize,
) -> ModelShape {
    ModelShape {
        cell,
        vocab_size: input.vocab_size as i64,
        channels: input.channels as i64,
        embed_size: config.embed,
        hidden_size,
        layers: config.layers,
        bidirectional: config.bidirectional,
        classes: classes as i64,
        positions: config.max_len as i64,
        pooling: config.pooling.for_model(cell),
    }
}

/// Hidden sizes per `--match`: the first model keeps `--hidden`; with
/// `params`, each other model gets the hidden size whose parameter count is
/// closest to the first model's (the Transformer's hidden size is its
/// feed-forward width, see [`crate::model::budget`]).
pub fn model_sizes(config: &Config, input: Input, classes: usize) -> Vec<ModelSize> {
    let shape = |cell, hidden_size| model_shape(config, cell, hidden_size, input, classes);
    let first = shape(config.models[0], config.hidden);
    config
        .models
        .iter()
        .map(|&cell| {
            let hidden_size = match config.match_mode {
                crate::config::MatchMode::Hidden => config.hidden,
                crate::config::MatchMode::Params if cell == config.models[0] => config.hidden,
                crate::config::MatchMode::Params => {
                    hidden_for_budget(shape(cell, 0), first.params(), MAX_HIDDEN)
                }
            };
            ModelSize {
                model: cell,
                hidden_size,
                params: shape(cell, hidden_size).params(),
                pooling: config.pooling.for_model(cell),
            }
        })
        .collect()
}

/// The data of a run's grid points, loaded once per distinct source: every
/// point of a `--distance` sweep gets its own memory task, every point of a
/// `--hidden` sweep the one corpus. [`Corpora::get`] loads on first use.
#[derive(Debug, Default)]
pub struct Corpora {
    loaded: Vec<(DatasetSource, Columns, Corpus)>,
}

impl Corpora {
    /// The data `config` names, loaded now if no earlier point had the same source.
    pub fn get(&mut self, config: &Config) -> Result<&Corpus> {
        let (source, columns) = dataset_source(config);
        let at = match self
            .loaded
            .iter()
            .position(|(s, c, _)| *s == source && *c == columns)
        {
            Some(at) => at,
            None => {
                let corpus = load_corpus(&source, &columns)?;
                self.loaded.push((source, columns, corpus));
                self.loaded.len() - 1
            }
        };
        Ok(&self.loaded[at].2)
    }
}

/// Loads the dataset a configuration names (every point of a grid has the same).
/// Loads the dataset a configuration names (the points of a `--distance`
/// sweep differ; see [`Corpora`]).
pub fn load_dataset(config: &Config) -> Result<Corpus> {
    let (source, columns) = dataset_source(config);
    load_corpus(&source, &columns)
}
