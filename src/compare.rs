//! A whole comparison: the parent process plans the runs, writes the run
//! folder, and starts one worker process per model x seed (interleaved: LSTM
//! seed 1, GRU seed 1, LSTM seed 2, …). One process per run keeps each run's
//! peak memory independent of the runs before it (freed memory stays in the
//! allocator) and isolates a crash to one run.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use tch::nn;

use std::collections::{BTreeMap, BTreeSet};

use crate::auto_seeds;
use crate::config::{Config, Grid};
use crate::data::memory::{MEMORY_DATASET, MemorySpec};
use crate::data::{
    Columns, Corpus, DatasetIdentity, DatasetSource, PrepareOptions, Prepared, load_corpus, prepare,
};
use crate::error::{Error, Result};
use crate::model::{Cell, Classifier, ModelShape, hidden_for_budget};
use crate::probe::device::resolve_device;
use crate::probe::environment::Environment;
use crate::probe::interference::Timing;
use crate::probe::kernel;
use crate::results::restamp::restamp_verdicts;
use crate::results::{
    self, CsvAppender, EpochRecord, GradientFlowRow, GradientStage, RunRecord, RunStatus, files,
};
use crate::results::{ModelSize, RunManifest, SweepManifest, attempts, point_dir};
use crate::sweep::plan::{Job, ShardChoice, all_jobs, shard_jobs};
use crate::sweep::resume;
use crate::train::gradient_flow::gradient_norms;
use crate::train::latency::measure_latency;
use crate::train::{FitSettings, fit};

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
    let source = match (&config.dataset.train, &config.dataset.test) {
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
            } else if name == "imdb" || name == "imdb-mini" {
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

/// The classifier's shape for `cell` at `hidden_size` under `config`, with
/// the vocabulary and classes the data gave: the one place a
/// [`ModelShape`] is built from a configuration (the parent sizes the
/// models with it, the worker builds them with it).
pub fn model_shape(
    config: &Config,
    cell: Cell,
    hidden_size: i64,
    vocab_size: usize,
    classes: usize,
) -> ModelShape {
    ModelShape {
        cell,
        vocab_size: vocab_size as i64,
        embed_size: config.embed,
        hidden_size,
        layers: config.layers,
        bidirectional: config.bidirectional,
        classes: classes as i64,
    }
}

/// Hidden sizes per `--match`: the first model keeps `--hidden`; with
/// `params`, each other model gets the hidden size whose parameter count is
/// closest to the first model's.
pub fn model_sizes(config: &Config, vocab_size: usize, classes: usize) -> Vec<ModelSize> {
    let shape = |cell, hidden_size| model_shape(config, cell, hidden_size, vocab_size, classes);
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
    check_out_folder(out)?;
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    let base = default_run_id(dataset);
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

/// `<UTC timestamp>-<dataset>`, the default run id: a named dataset by its
/// name (`imdb-mini`), a `--train A --test B` pair by the training file
/// ([`dataset_slug`]).
pub fn default_run_id(dataset: &str) -> String {
    let stamp = utc_stamp();
    let slug = dataset_slug(dataset);
    if slug.is_empty() {
        stamp
    } else {
        format!("{stamp}-{slug}")
    }
}

/// A dataset's name as a folder-name part: the training file of a
/// `train + test` pair, by its stem, prefixed by its folder when the stem
/// is a generic `train` (`datasets/fixture/train.csv` → `fixture-train`);
/// characters other than ASCII letters, digits and `-` become `_`.
pub fn dataset_slug(dataset: &str) -> String {
    let train = dataset.split(" + ").next().unwrap_or(dataset);
    let path = Path::new(train);
    let stem = path
        .file_stem()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = match path.parent().and_then(|p| p.file_name()) {
        Some(parent) if dataset.contains(" + ") && stem.eq_ignore_ascii_case("train") => {
            format!("{}-{stem}", parent.to_string_lossy())
        }
        _ if dataset.contains(" + ") => stem,
        _ => path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    };
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// `--out` must name a folder (made if missing), not a file.
fn check_out_folder(out: &Path) -> Result<()> {
    if out.exists() && !out.is_dir() {
        return Err(Error::config(
            "--out",
            format!("{} is a file; --out must be a folder", out.display()),
        ));
    }
    Ok(())
}

/// `YYYYMMDD-HHMMSS` in UTC, from the system clock (run and merge folder names).
pub fn utc_stamp() -> String {
    let format = time::macros::format_description!("[year][month][day]-[hour][minute][second]");
    time::OffsetDateTime::now_utc()
        .format(&format)
        .unwrap_or_else(|_| "00000000-000000".to_string())
}

/// What the parent learned from a finished comparison.
#[derive(Debug)]
pub struct ComparisonOutcome {
    /// The run folder (a shard's folder for a shard).
    pub run_dir: PathBuf,
    /// The folders of the grid points that have jobs here.
    pub point_dirs: Vec<PathBuf>,
    /// The runs started by this call.
    pub runs: Vec<RunRecord>,
    /// Jobs of this folder (this shard's, or the whole grid's).
    pub planned: usize,
    /// Jobs found finished on disk when this call started (`--resume`).
    pub already_finished: usize,
    /// Jobs that ended `ok`, counting those found finished.
    pub finished_ok: usize,
    /// Whether Ctrl-C stopped it.
    pub interrupted: bool,
}

/// Where a new comparison writes, and which part of the grid it runs.
#[derive(Debug, Clone)]
pub struct Launch {
    /// The configurations.
    pub grid: Grid,
    /// This machine's shard, if the grid is split.
    pub shard: Option<ShardChoice>,
    /// The run folder's name; default `<UTC timestamp>-<dataset>`.
    pub run_id: Option<String>,
    /// The command line, for the record.
    pub command_line: Vec<String>,
}

/// Checks that the data loads and encodes for every grid point with jobs
/// here, then creates the run folder (`out/<run-id>/`, or
/// `out/<run-id>/shard-I-of-N/` for a shard, which must not exist yet) and
/// writes `sweep.json` with this folder's jobs and each point's
/// `config.json` and `environment.json`. Returns the loaded data too, for
/// [`run_jobs`].
pub fn start_run(
    launch: Launch,
    mut log: impl FnMut(&str),
) -> Result<(PathBuf, SweepManifest, Corpora)> {
    let first = &launch.grid.points[0].config;
    let mut corpora = Corpora::default();
    let jobs = match &launch.shard {
        Some(s) => shard_jobs(&launch.grid, s.shard),
        None => all_jobs(&launch.grid),
    };
    // Every point with jobs here is checked (device, encoding) and sized
    // before any folder exists, on its own data; the plans are written
    // below, not redone.
    let mut plans = Vec::new();
    for point in &launch.grid.points {
        if jobs.iter().any(|j| j.point == point.id) {
            let corpus = corpora.get(&point.config)?;
            plans.push((point.id.clone(), plan_point(&point.config, corpus)?));
        }
    }
    // The run folder is named after the data (`memory` for the memory task,
    // whose full name carries its distance, which a sweep varies).
    let slug = match first.dataset.name.as_str() {
        MEMORY_DATASET => MEMORY_DATASET.to_string(),
        _ => corpora.get(first)?.identity.name.clone(),
    };
    let out = &first.out;
    check_out_folder(out)?;
    let (run_id, root) = match (&launch.run_id, &launch.shard) {
        (None, None) => create_run_dir(out, &slug)?,
        (id, shard) => {
            let id = id.clone().unwrap_or_else(|| default_run_id(&slug));
            let base = out.join(&id);
            let root = match shard {
                Some(s) => {
                    std::fs::create_dir_all(&base).map_err(|e| Error::io(&base, e))?;
                    base.join(s.shard.dir_name())
                }
                None => {
                    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
                    base
                }
            };
            match std::fs::create_dir(&root) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    return Err(Error::results(
                        &root,
                        format!(
                            "already exists: continue it with `compare --resume {}`, or choose another --run-id",
                            root.display()
                        ),
                    ));
                }
                Err(e) => return Err(Error::io(&root, e)),
            }
            (id, root)
        }
    };
    let manifest = SweepManifest {
        run_id,
        command_line: launch.command_line,
        jobs_total: all_jobs(&launch.grid).len(),
        grid: launch.grid,
        shard: launch.shard,
        jobs: jobs.iter().map(Job::id).collect(),
        merged_from: Vec::new(),
    };
    manifest.write(&root)?;
    for (id, plan) in &plans {
        let point = manifest.point(id).expect("planned from this grid");
        let dir = point_dir(&root, &manifest.grid, id);
        let corpus = corpora.get(&point.config)?;
        write_point_dir(&dir, &point.config, plan, corpus, &manifest, &mut log)?;
    }
    Ok((root, manifest, corpora))
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

/// Reads the run folder `dir` to continue it: its `sweep.json` (or, for a
/// folder written before sweeps existed, its `config.json` as a one-point grid).
pub fn load_for_resume(dir: &Path) -> Result<SweepManifest> {
    if !dir.is_dir() {
        return Err(Error::results(dir, "no such run folder"));
    }
    let manifest = SweepManifest::load_any(dir)?;
    let merged = !manifest.merged_from.is_empty()
        || (dir.join(files::CONFIG).is_file() && !RunManifest::load(dir)?.merged_from.is_empty());
    if merged {
        return Err(Error::results(
            dir,
            "is a merged report, not a run; resume the shard folders it was merged from",
        ));
    }
    Ok(manifest)
}

/// Holds an exclusive lock on a run folder while a `compare` works in it.
#[derive(Debug)]
pub struct RunLock {
    _file: std::fs::File,
}

/// Locks `root/.lock` so that two processes never run jobs of one folder
/// at once (an `flock`, released when the process ends, even by SIGKILL).
pub fn lock_run_dir(root: &Path) -> Result<RunLock> {
    let path = root.join(".lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| Error::io(&path, e))?;
    match file.try_lock() {
        Ok(()) => Ok(RunLock { _file: file }),
        Err(std::fs::TryLockError::WouldBlock) => Err(Error::results(
            root,
            "another compare is working in this folder (it holds .lock); wait for it or stop it first",
        )),
        Err(std::fs::TryLockError::Error(e)) => Err(Error::io(&path, e)),
    }
}

/// The parent: for every grid point with jobs in `manifest`, verifies the
/// point's `config.json` against the configuration and its own data (from
/// `corpora`: those [`start_run`] loaded, or loaded here; dropped once
/// checked; written now if missing), drops the rows of unfinished jobs,
/// then runs each job not yet finished in a worker process (`exe` with
/// `--worker`) and appends its record to the point's `runs.csv`. `stop` is
/// set by Ctrl-C; `child_pid` lets the signal handler forward it to the
/// running worker.
pub fn run_jobs(
    root: &Path,
    manifest: &SweepManifest,
    mut corpora: Corpora,
    exe: &Path,
    stop: &AtomicBool,
    child_pid: &Arc<AtomicU32>,
    mut log: impl FnMut(&str),
) -> Result<ComparisonOutcome> {
    let _lock = lock_run_dir(root)?;
    let jobs = manifest.parsed_jobs(root)?;
    let grid = &manifest.grid;
    let mut point_ids: Vec<&str> = Vec::new();
    for job in &jobs {
        if !point_ids.contains(&job.point.as_str()) {
            point_ids.push(&job.point);
        }
    }
    let mut sizes_of: BTreeMap<&str, Vec<ModelSize>> = BTreeMap::new();
    let mut finished: BTreeSet<(String, Cell, u64)> = BTreeSet::new();
    let mut point_dirs = Vec::new();
    for &id in &point_ids {
        let point = manifest.point(id).ok_or_else(|| {
            Error::results(
                root.join(files::SWEEP),
                format!("job names unknown point `{id}`"),
            )
        })?;
        let dir = point_dir(root, grid, id);
        let corpus = corpora.get(&point.config)?;
        let sizes = match verify_point_dir(&dir, &point.config, corpus)? {
            Some(sizes) => sizes,
            // Killed between sweep.json and this point's folder: write it now.
            None => {
                let plan = plan_point(&point.config, corpus)?;
                write_point_dir(&dir, &point.config, &plan, corpus, manifest, &mut log)?;
                plan.sizes
            }
        };
        let done = resume::finished_runs(&dir)?;
        for run in &done {
            let size = sizes.iter().find(|s| s.model == run.model);
            // Parameters are not compared: the vocabulary (and so the
            // embedding) can differ between seeds when it is below the cap.
            if size.is_none_or(|s| s.hidden_size != run.hidden_size) {
                return Err(Error::results(
                    dir.join(files::RUNS),
                    format!(
                        "{} seed {} has hidden size {}, which {} does not give",
                        run.model,
                        run.seed,
                        run.hidden_size,
                        files::CONFIG
                    ),
                ));
            }
            finished.insert((id.to_string(), run.model, run.seed));
        }
        let pruned = resume::prune_unfinished(&dir, &done, point.config.seeds[0])?;
        if pruned != resume::Pruned::default() {
            log(&format!(
                "{}: dropped the rows of unfinished runs ({} in {}, {} in {}, {} cut-off lines)",
                dir.display(),
                pruned.runs,
                files::RUNS,
                pruned.epochs,
                files::EPOCHS,
                pruned.partial_lines
            ));
        }
        sizes_of.insert(id, sizes);
        point_dirs.push(dir);
    }
    drop(corpora); // the workers load their own; the parent needs them no more
    let is_done = |job: &Job| finished.contains(&(job.point.clone(), job.model, job.seed));
    let already_finished = jobs.iter().filter(|j| is_done(j)).count();
    if already_finished > 0 {
        log(&format!(
            "resuming: {already_finished} of {} jobs already finished, {} to run",
            jobs.len(),
            jobs.len() - already_finished
        ));
    }
    let mut runs = Vec::new();
    let mut overall = crate::progress::Overall::new(jobs.len() - already_finished);
    let started = std::time::Instant::now();
    let mut runner = JobRunner {
        root,
        grid,
        exe,
        child_pid,
        sizes_of: &sizes_of,
        appenders: BTreeMap::new(),
    };
    // With --seeds auto the folder's jobs grow as seeds are added.
    let mut jobs_now = jobs.clone();
    let to_run: Vec<Job> = jobs.iter().filter(|j| !is_done(j)).cloned().collect();
    for job in &to_run {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        log(&overall.line(started.elapsed().as_secs_f64()));
        let job_started = std::time::Instant::now();
        if grid.points.len() > 1 {
            log(&format!("job {}", job.id()));
        }
        let run = runner.run(job, 1)?;
        runner.append(job, &run)?;
        runs.push(run);
        overall
            .finished_secs
            .push(job_started.elapsed().as_secs_f64());
    }
    if !runs.is_empty() {
        log(&overall.total_line(started.elapsed().as_secs_f64()));
    }
    if !stop.load(Ordering::SeqCst) {
        runs.extend(add_seeds(
            manifest,
            &mut jobs_now,
            &mut runner,
            stop,
            &mut log,
        )?);
    }
    if !stop.load(Ordering::SeqCst) {
        runs.extend(remeasure_disturbed(
            manifest,
            &jobs_now,
            &mut runner,
            stop,
            &mut log,
        )?);
    }
    let mut finished_ok = 0;
    for (&id, dir) in point_ids.iter().zip(&point_dirs) {
        finished_ok += resume::finished_runs(dir)?
            .iter()
            .filter(|r| r.status == RunStatus::Ok)
            .map(|r| (r.model, r.seed))
            // One per (model, seed), however many attempts it had.
            .collect::<BTreeSet<_>>()
            .into_iter()
            .filter(|&(model, seed)| {
                jobs_now
                    .iter()
                    .any(|j| j.point == id && j.model == model && j.seed == seed)
            })
            .count();
    }
    Ok(ComparisonOutcome {
        run_dir: root.to_path_buf(),
        point_dirs,
        runs,
        planned: jobs_now.len(),
        already_finished,
        finished_ok,
        interrupted: stop.load(Ordering::SeqCst),
    })
}

/// After the jobs: runs again, in job order and one round at a time, every
/// finished `ok` run whose timing is `disturbed` and that has had fewer than
/// `1 + remeasure` attempts (its point's `--remeasure`), until none is left
/// (the state is read from the files, so an interrupted round continues on
/// `--resume`). Each re-run must reproduce attempt 1's losses and
/// accuracies bit for bit, else this stops with an error; a clean re-run's
/// timing becomes `remeasured` and its row is appended to its point's
/// `runs.csv`. Returns the re-runs' records.
fn remeasure_disturbed(
    manifest: &SweepManifest,
    jobs: &[Job],
    runner: &mut JobRunner<'_>,
    stop: &AtomicBool,
    log: &mut impl FnMut(&str),
) -> Result<Vec<RunRecord>> {
    let (root, grid) = (runner.root, &manifest.grid);
    let mut reruns = Vec::new();
    // Runs whose re-run failed or was cut short: not tried again in this call.
    let mut given_up: BTreeSet<String> = BTreeSet::new();
    while !stop.load(Ordering::SeqCst) {
        let mut round: Vec<(usize, Job, u32)> = Vec::new();
        for id in runner.sizes_of.keys() {
            let Some(point) = manifest.point(id) else {
                continue;
            };
            if point.config.remeasure == 0 {
                continue;
            }
            let dir = point_dir(root, grid, id);
            let done = resume::finished_runs(&dir)?;
            for (model, seed, attempt) in attempts::to_remeasure(&done, point.config.remeasure) {
                let position = jobs
                    .iter()
                    .position(|j| j.point == *id && j.model == model && j.seed == seed);
                let job = Job {
                    point: id.to_string(),
                    model,
                    seed,
                };
                if let Some(position) = position.filter(|_| !given_up.contains(&job.id())) {
                    round.push((position, job, attempt));
                }
            }
        }
        if round.is_empty() {
            break;
        }
        round.sort_by_key(|(position, _, _)| *position);
        for (_, job, attempt) in round {
            if stop.load(Ordering::SeqCst) {
                break;
            }
            let dir = point_dir(root, grid, &job.point);
            log(&format!(
                "{}{} seed {}: timing disturbed, re-measuring (attempt {attempt})",
                if grid.points.len() > 1 {
                    format!("{}: ", job.point)
                } else {
                    String::new()
                },
                job.model.display_name(),
                job.seed
            ));
            let mut run = runner.run(&job, attempt)?;
            if run.status != RunStatus::Ok {
                if !stop.load(Ordering::SeqCst) {
                    log(&format!(
                        "re-measuring {} seed {} ended {:?} ({}); its first timing stays",
                        job.model, job.seed, run.status, run.message
                    ));
                }
                given_up.insert(job.id());
                continue;
            }
            let epochs: Vec<EpochRecord> = results::read_csv(&dir.join(files::EPOCHS))?;
            let of = |attempt: u32| -> Vec<EpochRecord> {
                epochs
                    .iter()
                    .filter(|e| e.model == job.model && e.seed == job.seed && e.attempt == attempt)
                    .cloned()
                    .collect()
            };
            let first = resume::finished_runs(&dir)?
                .into_iter()
                .find(|r| r.model == job.model && r.seed == job.seed && r.attempt == 1)
                .ok_or_else(|| {
                    Error::results(
                        dir.join(files::RUNS),
                        format!("{} seed {} has no attempt 1", job.model, job.seed),
                    )
                })?;
            if let Some(why) =
                attempts::reproduction_mismatch((&first, &of(1)), (&run, &of(attempt)))
            {
                return Err(Error::results(
                    dir.join(files::EPOCHS),
                    format!(
                        "re-running {} seed {} (attempt {attempt}) did not reproduce attempt 1 ({why}): training is not deterministic here, so its timings cannot be re-measured; run with --remeasure 0",
                        job.model, job.seed
                    ),
                ));
            }
            if run.timing == Some(Timing::Clean) {
                run.timing = Some(Timing::Remeasured);
            }
            runner.append(&job, &run)?;
            reruns.push(run);
        }
    }
    Ok(reruns)
}

/// Runs the jobs of one run folder in worker processes and appends their
/// records to each point's `runs.csv`.
struct JobRunner<'a> {
    root: &'a Path,
    grid: &'a Grid,
    exe: &'a Path,
    child_pid: &'a Arc<AtomicU32>,
    sizes_of: &'a BTreeMap<&'a str, Vec<ModelSize>>,
    appenders: BTreeMap<String, CsvAppender<RunRecord>>,
}

impl JobRunner<'_> {
    /// Runs `job` (attempt `attempt`) in a worker and returns its record.
    fn run(&self, job: &Job, attempt: u32) -> Result<RunRecord> {
        let dir = point_dir(self.root, self.grid, &job.point);
        let size = self.sizes_of[job.point.as_str()]
            .iter()
            .find(|s| s.model == job.model)
            .expect("every model of a point is sized");
        run_worker_process(self.exe, &dir, job, attempt, size, self.child_pid)
    }

    /// Appends `run` to the `runs.csv` of `job`'s point.
    fn append(&mut self, job: &Job, run: &RunRecord) -> Result<()> {
        if !self.appenders.contains_key(&job.point) {
            let dir = point_dir(self.root, self.grid, &job.point);
            self.appenders.insert(
                job.point.clone(),
                CsvAppender::open(&dir.join(files::RUNS))?,
            );
        }
        self.appenders
            .get_mut(&job.point)
            .expect("just inserted")
            .append(run)
    }
}

/// `--seeds auto`: after the planned jobs, in rounds, every point of this
/// folder whose rule ([`auto_seeds::decide`]) asks for another seed gets
/// one (the next number, a job per model): recorded first in the point's
/// `config.json` and in `sweep.json` (so `--resume` knows the jobs), then
/// run, point after point. Each point stops on its own. Adds the new jobs
/// to `jobs` and returns their records.
fn add_seeds(
    manifest: &SweepManifest,
    jobs: &mut Vec<Job>,
    runner: &mut JobRunner<'_>,
    stop: &AtomicBool,
    log: &mut impl FnMut(&str),
) -> Result<Vec<RunRecord>> {
    let root = runner.root;
    let mut current = manifest.clone();
    let mut runs = Vec::new();
    while !stop.load(Ordering::SeqCst) {
        let mut added = Vec::new();
        for point in current.grid.points.iter_mut() {
            let Some(rule) = point.config.auto_seeds else {
                continue;
            };
            if !jobs.iter().any(|j| j.point == point.id) {
                continue;
            }
            let dir = point_dir(root, &manifest.grid, &point.id);
            let standing = attempts::standing_runs(&resume::finished_runs(&dir)?);
            let decision = auto_seeds::decide(
                &standing,
                &point.config.models,
                point.config.seeds.len(),
                &rule,
            );
            if decision.stopped.is_some() {
                continue;
            }
            let seed = point.config.seeds.iter().max().map_or(1, |s| s + 1);
            point.config.seeds.push(seed);
            let mut files = RunManifest::load(&dir)?;
            files.config.seeds = point.config.seeds.clone();
            files.write(&dir)?;
            log(&format!(
                "{}--seeds auto: adding seed {seed} (95% CI of the paired accuracy difference {}, asked ±{} points)",
                if manifest.grid.points.len() > 1 {
                    format!("{}: ", point.id)
                } else {
                    String::new()
                },
                decision
                    .half_width_points
                    .map_or("not yet defined".to_string(), |h| format!("±{h:.2} points")),
                rule.precision_points
            ));
            for &model in &point.config.models {
                added.push(Job {
                    point: point.id.clone(),
                    model,
                    seed,
                });
            }
        }
        if added.is_empty() {
            break;
        }
        current.jobs.extend(added.iter().map(Job::id));
        current.jobs_total = all_jobs(&current.grid).len();
        current.write(root)?;
        jobs.extend(added.iter().cloned());
        for job in &added {
            if stop.load(Ordering::SeqCst) {
                break;
            }
            let run = runner.run(job, 1)?;
            runner.append(job, &run)?;
            runs.push(run);
        }
    }
    Ok(runs)
}

/// Loads the dataset a configuration names (every point of a grid has the same).
/// Loads the dataset a configuration names (the points of a `--distance`
/// sweep differ; see [`Corpora`]).
pub fn load_dataset(config: &Config) -> Result<Corpus> {
    let (source, columns) = dataset_source(config);
    load_corpus(&source, &columns)
}

/// A grid point's device, model sizes and data facts: computed once (the
/// data encoded for its first seed), before its folder is written.
struct PointPlan {
    device: tch::Device,
    sizes: Vec<ModelSize>,
    classes: Vec<String>,
    vocab_size: usize,
    /// Training, validation and test examples.
    counts: (usize, usize, usize),
    /// The test split's unknown-token rate (first seed's vocabulary).
    test_unknown_token_rate: f64,
    /// Warnings about the data, for the terminal and the report.
    warnings: Vec<String>,
}

/// Checks that `config` can run on `corpus` (device, encoding) and sizes its models.
fn plan_point(config: &Config, corpus: &Corpus) -> Result<PointPlan> {
    let device = resolve_device(config.device)?;
    let prepared = prepare_for_seed(corpus, config, config.seeds[0])?;
    let sizes = model_sizes(config, prepared.vocab_size, prepared.classes.len());
    check_memory(
        config,
        &sizes,
        device,
        prepared.vocab_size,
        prepared.classes.len(),
    )?;
    Ok(PointPlan {
        device,
        sizes,
        counts: (
            prepared.train.len(),
            prepared.val.len(),
            prepared.test.len(),
        ),
        vocab_size: prepared.vocab_size,
        test_unknown_token_rate: prepared.test_unknown_rate(),
        warnings: corpus
            .identity
            .warnings()
            .into_iter()
            .chain(prepared.warnings())
            .collect(),
        classes: prepared.classes,
    })
}

/// Refuses, before any training, models that cannot fit ([`memory_guard::check`]):
/// on the CPU against the machine's available RAM, on CUDA against the GPU's
/// free memory; with `--match params`, a size the cap kept from matching.
fn check_memory(
    config: &Config,
    sizes: &[ModelSize],
    device: tch::Device,
    vocab_size: usize,
    classes: usize,
) -> Result<()> {
    let shapes: Vec<ModelShape> = sizes
        .iter()
        .map(|s| model_shape(config, s.model, s.hidden_size, vocab_size, classes))
        .collect();
    let target = (config.match_mode == crate::config::MatchMode::Params)
        .then(|| shapes.first().map(|s| s.params()))
        .flatten();
    let (available, memory) = match device {
        tch::Device::Cuda(_) => (crate::probe::gpu::free_bytes(device), "GPU memory"),
        _ => (crate::probe::memory::available_bytes(), "RAM"),
    };
    crate::memory_guard::check(
        &shapes,
        target,
        config.batch_size as i64,
        config.max_len as i64,
        available,
        memory,
    )
}

/// Writes a grid point's `config.json` and `environment.json` into `dir`.
fn write_point_dir(
    dir: &Path,
    config: &Config,
    plan: &PointPlan,
    corpus: &Corpus,
    manifest: &SweepManifest,
    log: &mut impl FnMut(&str),
) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let run = RunManifest {
        run_id: manifest.run_id.clone(),
        command_line: manifest.command_line.clone(),
        config: config.clone(),
        model_sizes: plan.sizes.clone(),
        classes: plan.classes.clone(),
        vocab_size_built: plan.vocab_size,
        dataset: corpus.identity.clone(),
        test_unknown_token_rate: Some(plan.test_unknown_token_rate),
        data_warnings: plan.warnings.clone(),
        merged_from: Vec::new(),
        merge_notes: Vec::new(),
    };
    for w in &plan.warnings {
        // Printed with --quiet too: the data may not say what the user thinks.
        eprintln!("warning: {w}");
    }
    results::write_json_atomic(&dir.join(files::CONFIG), &run)?;
    // environment.json records the threads and kernel switches in force.
    apply_process_settings(config);
    results::write_json_atomic(
        &dir.join(files::ENVIRONMENT),
        &Environment::probe(plan.device),
    )?;
    if manifest.grid.points.len() == 1 {
        let (train, val, test) = plan.counts;
        log(&format!(
            "{}: {train} train / {val} validation / {test} test examples, {} classes, vocabulary {}",
            corpus.identity.name,
            plan.classes.len(),
            plan.vocab_size
        ));
        for size in &plan.sizes {
            log(&format!(
                "{:>4}: hidden {:>4}, {} parameters",
                size.model.display_name(),
                size.hidden_size,
                size.params
            ));
        }
    }
    Ok(())
}

/// The model sizes of the point folder `dir` when its `config.json` exists
/// (resuming), after checking that it holds `config` and that the data has
/// not changed; `None` when the folder was not written yet.
fn verify_point_dir(
    dir: &Path,
    config: &Config,
    corpus: &Corpus,
) -> Result<Option<Vec<ModelSize>>> {
    let config_path = dir.join(files::CONFIG);
    if !config_path.is_file() {
        return Ok(None);
    }
    let mut existing: RunManifest = results::read_json(&config_path)?;
    // `--seeds auto` writes a new seed to config.json just before sweep.json:
    // killed in between, sweep.json (which lists the jobs) is right.
    let only_seeds_differ = config.auto_seeds.is_some()
        && Config {
            seeds: config.seeds.clone(),
            ..existing.config.clone()
        } == *config;
    if only_seeds_differ && existing.config.seeds != config.seeds {
        existing.config.seeds = config.seeds.clone();
        existing.write(dir)?;
    }
    if existing.config != *config {
        return Err(Error::results(
            &config_path,
            format!(
                "holds another configuration than {}; this folder cannot be resumed",
                files::SWEEP
            ),
        ));
    }
    let digests = |d: &DatasetIdentity| -> Vec<String> {
        d.files
            .iter()
            .map(|f| f.sha256.clone())
            .chain(d.generator.as_ref().map(|g| g.sha256.clone()))
            .collect()
    };
    if digests(&existing.dataset) != digests(&corpus.identity) {
        return Err(Error::dataset(
            &corpus.identity.name,
            format!(
                "its files changed since {} was written (sha256 differs); finished runs cannot be mixed with new ones",
                config_path.display()
            ),
        ));
    }
    Ok(Some(existing.model_sizes))
}

/// After the jobs: the kernel check ([`crate::train::kernel_check`]) of every
/// grid point of this folder that asks for it (`--kernel-check on`) and has
/// none yet, each in a worker process (`exe --worker-kernel-check POINT`).
/// A failed check is reported with `log` and leaves the point without one.
pub fn run_kernel_checks(
    root: &Path,
    manifest: &SweepManifest,
    exe: &Path,
    stop: &AtomicBool,
    child_pid: &Arc<AtomicU32>,
    mut log: impl FnMut(&str),
) -> Result<()> {
    let jobs = manifest.parsed_jobs(root)?;
    for point in &manifest.grid.points {
        if !jobs.iter().any(|j| j.point == point.id) || !point.config.kernel_check.is_on() {
            continue;
        }
        let dir = point_dir(root, &manifest.grid, &point.id);
        if dir.join(files::KERNEL_CHECK).is_file() {
            continue;
        }
        if stop.load(Ordering::SeqCst) {
            break;
        }
        log(&format!(
            "{}kernel check: {} timed train steps per model under --kernel auto and native",
            if manifest.grid.points.len() > 1 {
                format!("{}: ", point.id)
            } else {
                String::new()
            },
            crate::train::kernel_check::TIMED_STEPS
        ));
        let mut child = worker_command(exe)
            .arg("--worker-kernel-check")
            .arg(&dir)
            .stdin(Stdio::null())
            .stdout(Stdio::inherit())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| Error::io(exe, e))?;
        child_pid.store(child.id(), Ordering::SeqCst);
        let status = child.wait().map_err(|e| Error::io(exe, e))?;
        child_pid.store(0, Ordering::SeqCst);
        if !status.success() && !stop.load(Ordering::SeqCst) {
            log(&format!(
                "kernel check of {} failed ({status}); the report has no kernel split",
                dir.display()
            ));
        }
    }
    Ok(())
}

/// Where the worker of `job` leaves its record in the point folder `dir`.
pub fn job_result_path(dir: &Path, job: &Job) -> PathBuf {
    dir.join(files::JOB_RESULTS_DIR)
        .join(format!("{}-seed{}.json", job.model.name(), job.seed))
}

/// What a worker hands back to the parent, as `POINT/.jobs/<model>-seed<seed>.json`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct JobResult {
    /// The job's id (`point:model:seed`).
    pub job: String,
    /// Its row of `runs.csv` (status `failed` with the error when it failed).
    pub run: RunRecord,
}

/// Starts `exe --worker POINT_DIR JOB_ID --attempt N` for one job and
/// waits for the record it writes ([`job_result_path`]).
fn run_worker_process(
    exe: &Path,
    point_dir: &Path,
    job: &Job,
    attempt: u32,
    size: &ModelSize,
    child_pid: &Arc<AtomicU32>,
) -> Result<RunRecord> {
    let result_path = job_result_path(point_dir, job);
    match std::fs::remove_file(&result_path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(Error::io(&result_path, e)),
    }
    let mut child = worker_command(exe)
        .arg("--worker")
        .arg(point_dir)
        .arg(job.id())
        .arg("--attempt")
        .arg(attempt.to_string())
        .stdin(Stdio::null())
        // The worker prints nothing on stdout itself; what libtorch prints
        // there (e.g. ONEDNN_VERBOSE=1's primitive log) reaches the user.
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| Error::io(exe, e))?;
    child_pid.store(child.id(), Ordering::SeqCst);
    let status = child.wait().map_err(|e| Error::io(exe, e))?;
    child_pid.store(0, Ordering::SeqCst);
    let result = results::read_json::<JobResult>(&result_path)
        .ok()
        .filter(|r| r.job == job.id() && r.run.attempt == attempt);
    let _ = std::fs::remove_file(&result_path);
    let _ = std::fs::remove_dir(point_dir.join(files::JOB_RESULTS_DIR));
    Ok(match result {
        Some(result) => result.run,
        None => {
            let mut run = RunRecord::empty(
                size.model,
                job.seed,
                size.hidden_size,
                size.params,
                RunStatus::Failed,
                format!("worker exited with {status} without a result (see the messages above)"),
            );
            run.attempt = attempt;
            run
        }
    })
}

/// The worker's side of the protocol: runs `job_id` of the point folder
/// `point_dir` ([`run_worker`]) and writes its record, or the one-line
/// error as a `failed` record, atomically to [`job_result_path`]. `attempt`
/// is 1, or 2, 3, … for a re-run of a disturbed run. Returns the error, if
/// any, for the worker to print.
pub fn run_worker_job(
    point_dir: &Path,
    job_id: &str,
    attempt: u32,
    stop: &AtomicBool,
) -> Result<RunRecord> {
    let job = Job::parse_id(job_id).ok_or_else(|| {
        Error::config(
            "--worker",
            format!("`{job_id}` is not a job id (point:model:seed)"),
        )
    })?;
    let outcome = run_worker(point_dir, job.model, job.seed, attempt, stop);
    let run = match &outcome {
        Ok(run) => run.clone(),
        Err(e) => {
            let size = RunManifest::load(point_dir)
                .ok()
                .and_then(|m| m.size_of(job.model).cloned());
            let mut run = RunRecord::empty(
                job.model,
                job.seed,
                size.as_ref().map_or(0, |s| s.hidden_size),
                size.as_ref().map_or(0, |s| s.params),
                RunStatus::Failed,
                e.to_string(),
            );
            run.attempt = attempt;
            run
        }
    };
    let path = job_result_path(point_dir, &job);
    let dir = point_dir.join(files::JOB_RESULTS_DIR);
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    results::write_json_atomic(
        &path,
        &JobResult {
            job: job.id(),
            run: run.clone(),
        },
    )?;
    outcome
}

/// Fails, naming the file, when a data file's sha256 differs from the one
/// `config.json` recorded when the run started (replaced or edited since).
pub fn verify_dataset(recorded: &DatasetIdentity, loaded: &DatasetIdentity) -> Result<()> {
    for (was, now) in recorded.files.iter().zip(&loaded.files) {
        if was.sha256 != now.sha256 {
            return Err(Error::dataset(
                now.path.display().to_string(),
                format!(
                    "changed since the run started (sha256 {}… in {}, now {}…); refusing to train on other data",
                    &was.sha256[..was.sha256.len().min(12)],
                    files::CONFIG,
                    &now.sha256[..now.sha256.len().min(12)]
                ),
            ));
        }
    }
    // Made in memory: the settings and the digest of what this process made.
    if recorded.generator != loaded.generator {
        let digest = |d: &DatasetIdentity| {
            d.generator.as_ref().map_or("none".to_string(), |g| {
                g.sha256[..g.sha256.len().min(12)].to_string()
            })
        };
        return Err(Error::dataset(
            &loaded.name,
            format!(
                "made other data than {} records (sha256 {}…, now {}…); refusing to train on other data",
                files::CONFIG,
                digest(recorded),
                digest(loaded)
            ),
        ));
    }
    if recorded.files.len() != loaded.files.len() {
        return Err(Error::dataset(
            &loaded.name,
            format!(
                "has {} files where {} recorded {}",
                loaded.files.len(),
                files::CONFIG,
                recorded.files.len()
            ),
        ));
    }
    Ok(())
}

/// The worker: trains one model on one seed as described by the point
/// folder's `config.json` (after checking that the data files, or the data
/// made in memory, are the ones it records), appending each finished epoch
/// to `epochs.csv` (with `attempt`), re-deciding the epochs' disturbance
/// over the whole run once it ends, times the trained model's inference
/// latency ([`measure_latency`]), and returns the run's record. Gradient
/// flow is recorded on attempt 1 only.
pub fn run_worker(
    run_dir: &Path,
    cell: Cell,
    seed: u64,
    attempt: u32,
    stop: &AtomicBool,
) -> Result<RunRecord> {
    let manifest = RunManifest::load(run_dir)?;
    let config = &manifest.config;
    let size = manifest.size_of(cell).ok_or_else(|| {
        Error::config("--worker", format!("model {cell} is not part of this run"))
    })?;
    let device = resolve_device(config.device)?;
    apply_process_settings(config);
    let (source, columns) = dataset_source(config);
    let corpus = load_corpus(&source, &columns)?;
    verify_dataset(&manifest.dataset, &corpus.identity)?;
    let data = prepare_for_seed(&corpus, config, seed)?;
    drop(corpus);
    let shape = model_shape(
        config,
        cell,
        size.hidden_size,
        data.vocab_size,
        data.classes.len(),
    );
    tch::manual_seed(seed as i64);
    let vs = nn::VarStore::new(device);
    let model = Classifier::new(&vs.root(), shape, config.dropout);
    let record_gradients = seed == config.seeds[0] && attempt == 1;
    let mut gradient_rows = Vec::new();
    if record_gradients {
        gradient_rows.push((
            GradientStage::Init,
            gradient_norms(&model, &data.val, device)?,
        ));
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
        config,
        seed,
        device,
        kernel: kernel::kernel_now(cell, device),
        attempt,
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
    drop(epochs);
    restamp_verdicts(
        &run_dir.join(files::EPOCHS),
        cell,
        seed,
        attempt,
        &outcome.epoch_verdicts,
    )?;
    let mut run = outcome.run;
    if run.status == RunStatus::Ok {
        // On the best checkpoint, which fit restored to score the test split.
        let latency = measure_latency(&model, &data.test, seed, device)?;
        run.latency_review_p50_ms = Some(latency.review_p50_ms);
        run.latency_review_p99_ms = Some(latency.review_p99_ms);
        run.latency_step_p50_us = latency.step_p50_us;
        run.latency_step_p99_us = latency.step_p99_us;
    }
    if record_gradients && run.status == RunStatus::Ok {
        gradient_rows.push((
            GradientStage::Trained,
            gradient_norms(&model, &data.val, device)?,
        ));
        let mut csv = CsvAppender::<GradientFlowRow>::open(&run_dir.join(files::GRADIENT_FLOW))?;
        for (stage, norms) in gradient_rows {
            for (step, grad_norm) in norms.into_iter().enumerate() {
                csv.append(&GradientFlowRow {
                    model: cell,
                    stage,
                    step,
                    grad_norm,
                })?;
            }
        }
    }
    Ok(run)
}

/// A command for a worker process of `exe` that starts with SIGINT, SIGTERM
/// and SIGHUP blocked: the block is inherited through `execve`, so a Ctrl-C
/// that arrives while the worker is still loading libtorch stays pending
/// until the worker takes it (with `sigwait`, see the binary's
/// `stop_on_signals`) and ends its run as `interrupted`, instead of killing
/// it before it can record anything.
fn worker_command(exe: &Path) -> Command {
    let mut cmd = Command::new(exe);
    // SAFETY: between fork and exec only async-signal-safe calls run
    // (sigemptyset, sigaddset, pthread_sigmask on this thread's mask).
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(&mut cmd, || {
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            for signal in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
                libc::sigaddset(&mut set, signal);
            }
            libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
            Ok(())
        });
    }
    cmd
}

/// Shared flag and child pid for the Ctrl-C handler.
pub type StopFlag = Arc<AtomicBool>;

#[cfg(test)]
mod tests {
    use super::dataset_slug;

    #[test]
    fn run_ids_are_named_after_the_dataset_or_training_file() {
        assert_eq!(dataset_slug("imdb-mini"), "imdb-mini");
        assert_eq!(
            dataset_slug("datasets/fixture/train.csv + datasets/fixture/test.csv"),
            "fixture-train"
        );
        assert_eq!(
            dataset_slug("/data/reviews 2024.jsonl + /data/t.jsonl"),
            "reviews_2024"
        );
    }
}
