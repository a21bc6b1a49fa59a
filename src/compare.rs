//! A whole comparison: the parent process plans the runs, writes the run
//! folder, and starts one worker process per model x seed (interleaved: LSTM
//! seed 1, GRU seed 1, LSTM seed 2, …). One process per run keeps each run's
//! peak memory independent of the runs before it (freed memory stays in the
//! allocator) and isolates a crash to one run.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use serde::{Deserialize, Serialize};
use tch::nn;

use crate::config::Config;
use crate::data::{
    Columns, Corpus, DatasetIdentity, DatasetSource, PrepareOptions, Prepared, load_corpus, prepare,
};
use crate::error::{Error, Result};
use crate::model::{Cell, Classifier, ModelShape, hidden_for_budget};
use crate::probe::device::resolve_device;
use crate::probe::environment::Environment;
use crate::record::{self, CsvAppender, EpochRecord, RunRecord, RunStatus, files};
use crate::train::gradient_flow::gradient_norms;
use crate::train::{FitSettings, fit};

/// Largest hidden size considered when matching parameter budgets.
pub const MAX_HIDDEN: i64 = 8192;

/// One model's size in a comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelSize {
    /// The cell.
    pub model: Cell,
    /// Its hidden size.
    pub hidden_size: i64,
    /// Its whole-classifier parameter count.
    pub params: i64,
}

/// The content of `config.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunManifest {
    /// The run folder's name.
    pub run_id: String,
    /// The command line that started the run.
    pub command_line: Vec<String>,
    /// The resolved configuration.
    pub config: Config,
    /// Hidden size and parameter count of each model.
    pub model_sizes: Vec<ModelSize>,
    /// Classes in index order.
    pub classes: Vec<String>,
    /// Vocabulary size actually built (first seed), `<pad>` and `<unk>` included.
    pub vocab_size_built: usize,
    /// The dataset's identity.
    pub dataset: DatasetIdentity,
}

/// The dataset source a configuration names.
pub fn dataset_source(config: &Config) -> (DatasetSource, Columns) {
    let source = match (&config.dataset.train, &config.dataset.test) {
        (Some(train), Some(test)) => DatasetSource::Split {
            train: train.clone(),
            test: test.clone(),
        },
        _ => {
            let name = &config.dataset.name;
            if name == "imdb" || name == "imdb-mini" {
                DatasetSource::Named(name.clone())
            } else {
                DatasetSource::Path(PathBuf::from(name))
            }
        }
    };
    let columns = Columns {
        text: config.dataset.text_col.clone(),
        label: config.dataset.label_col.clone(),
    };
    (source, columns)
}

/// Encodes `corpus` for `seed` (the validation split depends on the seed).
pub fn prepare_for_seed(corpus: &Corpus, config: &Config, seed: u64) -> Result<Prepared> {
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

/// Hidden sizes per `--match`: the first model keeps `--hidden`; with
/// `params`, each other model gets the hidden size whose parameter count is
/// closest to the first model's.
pub fn model_sizes(config: &Config, vocab_size: usize, classes: usize) -> Vec<ModelSize> {
    let shape = |cell, hidden_size| ModelShape {
        cell,
        vocab_size: vocab_size as i64,
        embed_size: config.embed,
        hidden_size,
        layers: config.layers,
        bidirectional: config.bidirectional,
        classes: classes as i64,
    };
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
            }
        })
        .collect()
}

/// A fresh run folder `out/<timestamp>-<dataset>` (with `-2`, `-3`, … when the
/// name is taken); never reuses an existing folder.
pub fn create_run_dir(out: &Path, dataset: &str) -> Result<(String, PathBuf)> {
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    let stamp = utc_stamp();
    let slug: String = Path::new(dataset)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let base = if slug.is_empty() {
        stamp
    } else {
        format!("{stamp}-{slug}")
    };
    for n in 1.. {
        let id = if n == 1 {
            base.clone()
        } else {
            format!("{base}-{n}")
        };
        let dir = out.join(&id);
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok((id, dir)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(Error::io(dir, e)),
        }
    }
    unreachable!("some suffix is always free")
}

/// `YYYYMMDD-HHMMSS` in UTC, from the system clock (run and merge folder names).
pub fn utc_stamp() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}{month:02}{day:02}-{:02}{:02}{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// What the parent learned from a finished comparison.
#[derive(Debug)]
pub struct ComparisonOutcome {
    /// The run folder.
    pub run_dir: PathBuf,
    /// One record per planned run that started.
    pub runs: Vec<RunRecord>,
    /// Planned runs (models x seeds).
    pub planned: usize,
    /// Whether Ctrl-C stopped it.
    pub interrupted: bool,
}

/// The parent: validates the data, writes `config.json` and
/// `environment.json`, runs every model x seed in a worker process (`exe`
/// with `--worker`), appends `runs.csv`, and returns. `stop` is set by Ctrl-C;
/// `child_pid` lets the signal handler forward it to the running worker.
pub fn run_comparison(
    config: &Config,
    command_line: Vec<String>,
    exe: &Path,
    stop: &AtomicBool,
    child_pid: &Arc<AtomicU32>,
    mut log: impl FnMut(&str),
) -> Result<ComparisonOutcome> {
    let device = resolve_device(config.device)?;
    tch::set_num_threads(config.threads as i32);
    let (source, columns) = dataset_source(config);
    let corpus = load_corpus(&source, &columns)?;
    let prepared = prepare_for_seed(&corpus, config, config.seeds[0])?;
    let sizes = model_sizes(config, prepared.vocab_size, prepared.classes.len());
    let (run_id, run_dir) = create_run_dir(&config.out, &corpus.identity.name)?;
    let manifest = RunManifest {
        run_id,
        command_line,
        config: config.clone(),
        model_sizes: sizes.clone(),
        classes: prepared.classes.clone(),
        vocab_size_built: prepared.vocab_size,
        dataset: corpus.identity.clone(),
    };
    record::write_json_atomic(&run_dir.join(files::CONFIG), &manifest)?;
    record::write_json_atomic(
        &run_dir.join(files::ENVIRONMENT),
        &Environment::probe(device),
    )?;
    log(&format!(
        "{}: {} train / {} validation / {} test examples, {} classes, vocabulary {}",
        corpus.identity.name,
        prepared.train.len(),
        prepared.val.len(),
        prepared.test.len(),
        prepared.classes.len(),
        prepared.vocab_size
    ));
    for size in &sizes {
        log(&format!(
            "{:>4}: hidden {:>4}, {} parameters",
            size.model.display_name(),
            size.hidden_size,
            size.params
        ));
    }
    drop(prepared);
    drop(corpus);

    let planned = sizes.len() * config.seeds.len();
    let mut runs_csv = CsvAppender::<RunRecord>::open(&run_dir.join(files::RUNS))?;
    let mut runs = Vec::new();
    'seeds: for &seed in &config.seeds {
        for size in &sizes {
            if stop.load(Ordering::SeqCst) {
                break 'seeds;
            }
            let run = run_worker_process(exe, &run_dir, size, seed, child_pid)?;
            runs_csv.append(&run)?;
            runs.push(run);
        }
    }
    Ok(ComparisonOutcome {
        run_dir,
        runs,
        planned,
        interrupted: stop.load(Ordering::SeqCst),
    })
}

/// Starts `exe --worker` for one model and seed and waits for its record.
fn run_worker_process(
    exe: &Path,
    run_dir: &Path,
    size: &ModelSize,
    seed: u64,
    child_pid: &Arc<AtomicU32>,
) -> Result<RunRecord> {
    let mut child = Command::new(exe)
        .arg("--worker")
        .arg(run_dir)
        .arg(size.model.name())
        .arg(seed.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| Error::io(exe, e))?;
    child_pid.store(child.id(), Ordering::SeqCst);
    let mut last_line = String::new();
    if let Some(stdout) = child.stdout.take() {
        for line in BufReader::new(stdout)
            .lines()
            .map_while(std::result::Result::ok)
        {
            if !line.trim().is_empty() {
                last_line = line;
            }
        }
    }
    let status = child.wait().map_err(|e| Error::io(exe, e))?;
    child_pid.store(0, Ordering::SeqCst);
    let parsed = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(last_line.as_bytes())
        .deserialize::<RunRecord>()
        .next();
    match parsed {
        Some(Ok(run)) => Ok(run),
        _ => Ok(RunRecord::empty(
            size.model.name(),
            seed,
            size.hidden_size,
            size.params,
            RunStatus::Failed,
            format!("worker exited with {status} without a result (see the messages above)"),
        )),
    }
}

/// The worker: trains one model on one seed as described by the run folder's
/// `config.json`, appending each finished epoch to `epochs.csv`, and returns
/// the run's record.
pub fn run_worker(run_dir: &Path, cell: Cell, seed: u64, stop: &AtomicBool) -> Result<RunRecord> {
    let manifest: RunManifest = record::read_json(&run_dir.join(files::CONFIG))?;
    let config = &manifest.config;
    let size = manifest
        .model_sizes
        .iter()
        .find(|s| s.model == cell)
        .ok_or_else(|| {
            Error::config("--worker", format!("model {cell} is not part of this run"))
        })?;
    let device = resolve_device(config.device)?;
    tch::set_num_threads(config.threads as i32);
    let (source, columns) = dataset_source(config);
    let corpus = load_corpus(&source, &columns)?;
    let data = prepare_for_seed(&corpus, config, seed)?;
    drop(corpus);
    let shape = ModelShape {
        cell,
        vocab_size: data.vocab_size as i64,
        embed_size: config.embed,
        hidden_size: size.hidden_size,
        layers: config.layers,
        bidirectional: config.bidirectional,
        classes: data.classes.len() as i64,
    };
    tch::manual_seed(seed as i64);
    let vs = nn::VarStore::new(device);
    let model = Classifier::new(&vs.root(), shape, config.dropout);
    let record_gradients = seed == config.seeds[0];
    let mut gradient_rows = Vec::new();
    if record_gradients {
        gradient_rows.push(("init", gradient_norms(&model, &data.val, device)?));
    }
    let progress = if config.quiet {
        indicatif::ProgressBar::hidden()
    } else {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{prefix:>24} [{bar:30}] {pos}/{len} {msg} ETA {eta}",
            )
            .expect("a valid template")
            .progress_chars("=> "),
        );
        bar
    };
    let mut epochs = CsvAppender::<EpochRecord>::open(&run_dir.join(files::EPOCHS))?;
    let settings = FitSettings {
        seed,
        epochs: config.epochs,
        batch_size: config.batch_size,
        lr: config.lr,
        clip: config.clip,
        patience: config.patience,
        device,
    };
    let outcome = fit(
        cell,
        &vs,
        &model,
        &data,
        &settings,
        stop,
        &progress,
        &mut |row| epochs.append(row),
    )?;
    progress.finish_and_clear();
    if record_gradients && outcome.run.status == RunStatus::Ok {
        gradient_rows.push(("trained", gradient_norms(&model, &data.val, device)?));
        let mut csv = CsvAppender::<GradientFlowRow>::open(&run_dir.join(files::GRADIENT_FLOW))?;
        for (stage, norms) in gradient_rows {
            for (step, grad_norm) in norms.into_iter().enumerate() {
                csv.append(&GradientFlowRow {
                    model: cell.name().to_string(),
                    stage: stage.to_string(),
                    step,
                    grad_norm,
                })?;
            }
        }
    }
    Ok(outcome.run)
}

/// One row of `gradient_flow.csv`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GradientFlowRow {
    /// Cell name.
    pub model: String,
    /// `init` (before training) or `trained` (best checkpoint).
    pub stage: String,
    /// Input time step, from 0.
    pub step: usize,
    /// Mean over the batch of the L2 norm of the loss gradient at that step.
    pub grad_norm: f64,
}

/// Shared flag and child pid for the Ctrl-C handler.
pub type StopFlag = Arc<AtomicBool>;
