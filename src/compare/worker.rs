//! One job in its own process: the protocol between parent and worker
//! (its arguments, the record file it leaves), the data check and the
//! hand-off of a seed's encoded data, and the run itself.

use super::{apply_process_settings, dataset_source, model_shape, prepare_for_seed};
use crate::data::forecast::ForecastData;
use crate::data::{DatasetIdentity, Prepared, load_corpus};
use crate::error::{Error, Result};
use crate::model::{Cell, Classifier};
use crate::probe::device::resolve_device;
use crate::results::restamp::restamp_verdicts;
use crate::results::{
    self, CsvAppender, EpochRecord, ForecastRow, GradientFlowRow, GradientStage, RunRecord,
    RunStatus, files,
};
use crate::results::{ModelSize, RunManifest};
use crate::sweep::plan::Job;
use crate::train::eval::ForecastScore;
use crate::train::gradient_flow::gradient_norms;
use crate::train::latency::measure_latency;
use crate::train::{FitSettings, fit};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use tch::nn;

/// `seed`'s encoded data for the point folder `point_dir` whose manifest
/// is `manifest`: read from the folder, where the parent left it
/// ([`results::prepared`]), else loaded from the data files (checked
/// against `config.json`), encoded, and left there for the next.
pub fn seed_data(point_dir: &Path, manifest: &RunManifest, seed: u64) -> Result<Prepared> {
    if let Some(prepared) = results::prepared::read(point_dir, seed) {
        return Ok(prepared);
    }
    let config = &manifest.config;
    let (source, columns) = dataset_source(config);
    let corpus = load_corpus(&source, &columns)?;
    verify_dataset(&manifest.dataset, &corpus.identity)?;
    let prepared = prepare_for_seed(&corpus, config, seed)?;
    drop(corpus);
    if let Err(e) = results::prepared::write(point_dir, seed, &prepared) {
        // Only a saving is lost: the next worker encodes the data itself.
        eprintln!("note: {e:#}");
    }
    Ok(prepared)
}

/// A forecasting run's test forecasts, one row per window and horizon step.
fn forecast_rows(
    cell: Cell,
    seed: u64,
    data: &ForecastData,
    score: &ForecastScore,
) -> Vec<ForecastRow> {
    let (test, h) = (&data.test, data.horizon);
    let mut rows = Vec::with_capacity(score.forecasts.len());
    for (i, w) in test.windows.iter().enumerate() {
        let series = &data.series[w.series];
        for step in 0..h {
            let at = i * h + step;
            rows.push(ForecastRow {
                model: cell,
                seed,
                series: series.name.clone(),
                time: series
                    .times
                    .get(w.start + step)
                    .cloned()
                    .unwrap_or_default(),
                step: step + 1,
                actual: test.actual[at],
                naive: test.naive[at],
                seasonal_naive: test.seasonal.get(at).copied(),
                forecast: float32_digits(score.forecasts[at]),
            });
        }
    }
    rows
}

/// `x` with only the digits a float32 holds (the model computes in float32:
/// `22214.945`, not `22214.94473103617`, whose last digits are noise).
fn float32_digits(x: f64) -> f64 {
    (x as f32).to_string().parse().unwrap_or(x)
}

/// Where the worker of `job` leaves its record in the point folder `dir`.
pub fn job_result_path(dir: &Path, job: &Job) -> PathBuf {
    dir.join(files::JOB_RESULTS_DIR)
        .join(format!("{}-seed{}.json", job.model.name(), job.seed))
}

/// The folder where the worker of `job` writes its epochs (and gradient
/// rows) while it runs, inside the point folder `dir`.
pub fn job_rows_dir(dir: &Path, job: &Job) -> PathBuf {
    dir.join(files::JOB_RESULTS_DIR)
        .join(format!("{}-seed{}", job.model.name(), job.seed))
}

/// Where the worker of `job` appends its rows, for `jobs` workers at once:
/// the point folder `dir` itself one at a time (`--jobs 1`: its epochs appear in
/// `epochs.csv` as they finish), else its own [`job_rows_dir`] (made now),
/// as a sibling appends to the point's files too and rewrites its own rows
/// once it ends.
fn rows_dir(dir: &Path, job: &Job, jobs: usize) -> Result<PathBuf> {
    if jobs <= 1 {
        return Ok(dir.to_path_buf());
    }
    let rows = job_rows_dir(dir, job);
    std::fs::create_dir_all(&rows).map_err(|e| Error::io(&rows, e))?;
    Ok(rows)
}

/// Empties the rows folder of `job` before its worker starts (rows left by
/// a worker of an earlier, killed comparison belong to no run).
pub(crate) fn clear_job_rows(dir: &Path, job: &Job) -> Result<()> {
    let rows = job_rows_dir(dir, job);
    match std::fs::remove_dir_all(&rows) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::io(&rows, e)),
        _ => Ok(()),
    }
}

/// Once the worker of `job` has ended: appends the rows it wrote (its
/// finished epochs, whatever the ending) to the point's `epochs.csv` and
/// `gradient_flow.csv` in `dir`, then removes its rows folder.
pub(crate) fn collect_job_rows(dir: &Path, job: &Job) -> Result<()> {
    let rows = job_rows_dir(dir, job);
    append_rows::<EpochRecord>(&rows.join(files::EPOCHS), &dir.join(files::EPOCHS))?;
    append_rows::<GradientFlowRow>(
        &rows.join(files::GRADIENT_FLOW),
        &dir.join(files::GRADIENT_FLOW),
    )?;
    clear_job_rows(dir, job)?;
    let _ = std::fs::remove_dir(dir.join(files::JOB_RESULTS_DIR));
    Ok(())
}

/// Appends the rows of the CSV file `from` (none when it is missing) to `to`.
fn append_rows<T: serde::Serialize + serde::de::DeserializeOwned>(
    from: &Path,
    to: &Path,
) -> Result<()> {
    let rows: Vec<T> = results::read_csv(from)?;
    if rows.is_empty() {
        return Ok(());
    }
    let mut out = CsvAppender::open(to)?;
    rows.iter().try_for_each(|row| out.append(row))
}

/// What a worker hands back to the parent, as `POINT/.jobs/<model>-seed<seed>.json`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct JobResult {
    /// The job's id (`point:model:seed`).
    pub job: String,
    /// Its row of `runs.csv` (status `failed` with the error when it failed).
    pub run: RunRecord,
}

/// Starts `exe --worker POINT_DIR --job JOB_ID --attempt N` for one job and
/// waits for the record it writes ([`job_result_path`]).
pub(crate) fn run_worker_process(
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
    let spawned = std::time::Instant::now();
    let mut child = worker_command(exe)
        .arg("--worker")
        .arg(point_dir)
        .arg("--job")
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
    let wall_secs = spawned.elapsed().as_secs_f64();
    child_pid.store(0, Ordering::SeqCst);
    let result = results::read_json::<JobResult>(&result_path)
        .ok()
        .filter(|r| r.job == job.id() && r.run.attempt == attempt);
    let _ = std::fs::remove_file(&result_path);
    let _ = std::fs::remove_dir(point_dir.join(files::JOB_RESULTS_DIR));
    Ok(match result {
        Some(result) => RunRecord {
            wall_secs: Some(wall_secs),
            ..result.run
        },
        None => {
            let mut run = RunRecord::empty(
                size.model,
                job.seed,
                size.hidden_size,
                size.params,
                RunStatus::Failed,
                super::worker_exit::worker_exit_message(status, worker_printed(status)),
            );
            run.attempt = attempt;
            run
        }
    })
}

/// Whether a worker that ended with `status` without a result printed why:
/// one that exited with a code did (its `error:` line, or a one-line panic,
/// comes before the exit), and so does one aborted by the C++ runtime
/// (`terminate called …`); one killed by another signal had no chance to.
/// (Its stderr is the terminal's, not read here, so that progress bars draw.)
fn worker_printed(status: std::process::ExitStatus) -> bool {
    use std::os::unix::process::ExitStatusExt;
    status.code().is_some() || status.signal() == Some(libc::SIGABRT)
}

/// The worker's side of the protocol: runs `job` of the point folder
/// `point_dir` ([`run_worker`]) and writes its record, or the one-line
/// error as a `failed` record, atomically to [`job_result_path`]. `attempt`
/// is 1, or 2, 3, … for a re-run of a disturbed run. Returns the error, if
/// any, for the worker to print.
pub fn run_worker_job(
    point_dir: &Path,
    job: &Job,
    attempt: u32,
    stop: &AtomicBool,
) -> Result<RunRecord> {
    let outcome = run_worker(point_dir, job, attempt, stop);
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
    let path = job_result_path(point_dir, job);
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
/// to `epochs.csv` (in its own [`job_rows_dir`] when workers run side by
/// side: they write no shared file; the parent moves the rows into the
/// point's files), re-deciding the epochs' disturbance
/// over the whole run once it ends, times the trained model's inference
/// latency ([`measure_latency`]), and returns the run's record. Gradient
/// flow is measured for every run and recorded for the first seed's
/// attempt 1 only.
pub fn run_worker(run_dir: &Path, job: &Job, attempt: u32, stop: &AtomicBool) -> Result<RunRecord> {
    let (cell, seed) = (job.model, job.seed);
    let worker_started = std::time::Instant::now();
    let manifest = RunManifest::load(run_dir)?;
    let config = &manifest.config;
    let rows_dir = &rows_dir(run_dir, job, config.jobs)?;
    let size = manifest.size_of(cell).ok_or_else(|| {
        Error::config("--worker", format!("model {cell} is not part of this run"))
    })?;
    let device = resolve_device(config.device)?;
    apply_process_settings(config);
    let data_started = std::time::Instant::now();
    let data = seed_data(run_dir, &manifest, seed)?;
    let data_secs = data_started.elapsed().as_secs_f64();
    let shape = model_shape(
        config,
        cell,
        size.hidden_size,
        crate::compare::Input::of(&data),
        data.classes.len(),
    );
    tch::manual_seed(seed as i64);
    let vs = nn::VarStore::new(device);
    let model = Classifier::new(&vs.root(), shape, config.dropout, config.kernel.recurrent());
    // The probe runs before training for every seed and attempt, recorded
    // for the first seed's attempt 1 only: every run then takes the same
    // steps between its seed and its first batch, so a seed trains the same
    // model whatever its place in the seed list (the probe draws nothing
    // from the generator either: `probe_draws_nothing` in model/tests.rs).
    let record_gradients = seed == config.seeds[0] && attempt == 1;
    let mut gradient_rows = vec![(
        GradientStage::Init,
        gradient_norms(&model, &data.val, device)?,
    )];
    // Workers side by side (`--jobs`) draw no bars over each other: the
    // parent says a line as each finishes.
    let progress = if config.quiet || config.jobs > 1 {
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
    let mut epochs = CsvAppender::<EpochRecord>::open(&rows_dir.join(files::EPOCHS))?;
    let settings = FitSettings {
        config,
        seed,
        device,
        kernel: model.kernel(),
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
        &rows_dir.join(files::EPOCHS),
        cell,
        seed,
        attempt,
        &outcome.epoch_verdicts,
    )?;
    let mut run = outcome.run;
    if let (Some(forecast), Some(score)) = (&data.forecast, &outcome.test_forecast) {
        let path = run_dir
            .join(files::FORECASTS_DIR)
            .join(format!("{}-seed{seed}.csv", cell.name()));
        std::fs::create_dir_all(path.parent().expect("a folder"))
            .map_err(|e| Error::io(&path, e))?;
        results::write_csv_atomic(&path, &forecast_rows(cell, seed, forecast, score))?;
    }
    if run.status == RunStatus::Ok {
        // On the best checkpoint, which fit restored to score the test split.
        measure_latency(&model, &data.test, seed, device)?.record_into(&mut run);
    }
    if record_gradients && run.status == RunStatus::Ok {
        gradient_rows.push((
            GradientStage::Trained,
            gradient_norms(&model, &data.val, device)?,
        ));
        let mut csv = CsvAppender::<GradientFlowRow>::open(&rows_dir.join(files::GRADIENT_FLOW))?;
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
    run.data_secs = Some(data_secs);
    run.worker_secs = Some(worker_started.elapsed().as_secs_f64());
    Ok(run)
}

/// A command for a worker process of `exe` that starts with SIGINT, SIGTERM
/// and SIGHUP blocked: the block is inherited through `execve`, so a Ctrl-C
/// that arrives while the worker is still loading libtorch stays pending
/// until the worker takes it (with `sigwait`, see the binary's
/// `stop_on_signals`) and ends its run as `interrupted`, instead of killing
/// it before it can record anything.
pub(crate) fn worker_command(exe: &Path) -> Command {
    let mut cmd = Command::new(exe);
    // SAFETY: between fork and exec only async-signal-safe calls run
    // (sigemptyset, sigaddset, pthread_sigmask on this thread's mask).
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(&mut cmd, || {
            block_interrupts();
            Ok(())
        });
    }
    cmd
}

/// Blocks SIGINT, SIGTERM and SIGHUP in the calling thread (and so in every
/// thread it starts later, and through `execve`) and returns that set, for
/// `sigwait`. Calls only async-signal-safe functions (sigemptyset,
/// sigaddset, pthread_sigmask), so a child may call it between fork and
/// exec.
pub fn block_interrupts() -> libc::sigset_t {
    // SAFETY: sigset_t is plain data, filled by sigemptyset/sigaddset before
    // use; pthread_sigmask only reads it.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for signal in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
            libc::sigaddset(&mut set, signal);
        }
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
        set
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn forecasts_keep_the_digits_a_float32_holds() {
        assert_eq!(super::float32_digits(22214.94473103617), 22214.945);
        assert_eq!(super::float32_digits(0.30000001192092896), 0.3);
        assert_eq!(super::float32_digits(-1.5), -1.5);
    }
}
