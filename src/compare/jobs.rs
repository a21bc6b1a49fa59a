//! The parent's loop: one worker process per job (interleaved by seed),
//! then the seeds `--seeds auto` adds, the re-runs of disturbed runs
//! (`--remeasure`), and the kernel checks.

use super::folder::{RunLock, plan_point, verify_point_dir, write_point_dir};
use super::interrupt::Interrupt;
use super::log::Log;
use super::worker::{clear_job_rows, collect_job_rows, run_worker_process, worker_command};
use super::{Corpora, prepare_for_seed};
use crate::analysis::auto_seeds;
use crate::error::{Error, Result};
use crate::model::Cell;
use crate::probe::interference::Timing;
use crate::results::{self, CsvAppender, EpochRecord, RunRecord, RunStatus, files};
use crate::results::{ModelSize, RunManifest, SweepManifest, attempts, point_dir};
use crate::sweep::plan::{Job, all_jobs};
use crate::sweep::resume;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::atomic::Ordering;

/// What the parent learned from a finished comparison.
#[derive(Debug)]
pub(crate) struct ComparisonOutcome {
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

/// What the job loop needs of its session: the run folder and its plan,
/// the worker program, the interrupt and the log. The loop runs one job at
/// a time through [`JobRunner::run`] (a worker in slot 0 of
/// [`Interrupt::workers`]).
pub(crate) struct JobContext<'a> {
    /// The run folder (a shard's folder for a shard).
    pub(crate) root: &'a Path,
    /// Its `sweep.json`: the grid and this folder's jobs.
    pub(crate) manifest: &'a SweepManifest,
    /// The worker program (`compare`, re-executed with `--worker`).
    pub(crate) exe: &'a Path,
    /// The stop flag and the running workers.
    pub(crate) interrupt: &'a Interrupt,
    /// Where the lines go.
    pub(crate) log: &'a Log,
}

impl JobContext<'_> {
    /// Workers at once (`--jobs`).
    fn width(&self) -> usize {
        self.manifest.width()
    }

    /// Whether the comparison is to stop.
    fn stopped(&self) -> bool {
        self.interrupt.is_stopped()
    }

    /// `point: ` before a line about a point of a grid; nothing for one point.
    fn point_prefix(&self, point: &str) -> String {
        if self.manifest.grid.points.len() > 1 {
            format!("{point}: ")
        } else {
            String::new()
        }
    }
}

/// The parent: for every grid point with jobs in the manifest, verifies the
/// point's `config.json` against the configuration and its own data (from
/// `corpora`: those [`start_run`](super::start_run) loaded, or loaded here;
/// dropped once checked; written now if missing), drops the rows of
/// unfinished jobs, then runs each job not yet finished in a worker process
/// (`exe` with `--worker`) and appends its record to the point's
/// `runs.csv`, until the interrupt stops it. `_lock` is the caller's hold
/// on the folder ([`lock_run_dir`](super::lock_run_dir)), kept until its
/// report is rendered.
pub(crate) fn run_jobs(
    cx: &JobContext<'_>,
    _lock: &RunLock,
    mut corpora: Corpora,
) -> Result<ComparisonOutcome> {
    let (root, manifest) = (cx.root, cx.manifest);
    let jobs = manifest.parsed_jobs(root)?;
    let points = prepare_points(cx, &jobs, &mut corpora)?;
    let is_done = |job: &Job| points.is_finished(job);
    let already_finished = jobs.iter().filter(|j| is_done(j)).count();
    if already_finished > 0 {
        cx.log.progress(&format!(
            "resuming: {already_finished} of {} jobs already finished, {} to run",
            jobs.len(),
            jobs.len() - already_finished
        ));
    }
    let mut runner = JobRunner {
        cx,
        sizes_of: &points.sizes_of,
        appenders: BTreeMap::new(),
        corpora,
    };
    // With --seeds auto the folder's jobs grow as seeds are added.
    let mut jobs_now = jobs.clone();
    let to_run: Vec<Job> = jobs.iter().filter(|j| !is_done(j)).cloned().collect();
    let mut runs = run_in_order(&to_run, &mut runner)?;
    if !cx.stopped() {
        runs.extend(add_seeds(&mut jobs_now, &mut runner)?);
    }
    if !cx.stopped() {
        runs.extend(remeasure_disturbed(&jobs_now, &mut runner)?);
    }
    let finished_ok = points.finished_ok(&jobs_now)?;
    Ok(ComparisonOutcome {
        run_dir: root.to_path_buf(),
        point_dirs: points.dirs,
        runs,
        planned: jobs_now.len(),
        already_finished,
        finished_ok,
        interrupted: cx.stopped(),
    })
}

/// The grid points a comparison's jobs touch, checked and ready to run.
struct ReadyPoints<'a> {
    /// Their ids, in job order.
    ids: Vec<&'a str>,
    /// Their folders, in the same order.
    dirs: Vec<PathBuf>,
    /// Each point's models and sizes.
    sizes_of: BTreeMap<&'a str, Vec<ModelSize>>,
    /// The (point, model, seed) of every run already finished.
    finished: BTreeSet<(String, Cell, u64)>,
}

impl ReadyPoints<'_> {
    /// Whether `job` already has a finished run.
    fn is_finished(&self, job: &Job) -> bool {
        self.finished
            .contains(&(job.point.clone(), job.model, job.seed))
    }

    /// The (model, seed) pairs of `jobs` that finished `ok`, counted once
    /// however many attempts each had.
    fn finished_ok(&self, jobs: &[Job]) -> Result<usize> {
        let mut n = 0;
        for (&id, dir) in self.ids.iter().zip(&self.dirs) {
            n += resume::finished_runs(dir)?
                .iter()
                .filter(|r| r.status == RunStatus::Ok)
                .map(|r| (r.model, r.seed))
                .collect::<BTreeSet<_>>()
                .into_iter()
                .filter(|&(model, seed)| {
                    jobs.iter()
                        .any(|j| j.point == id && j.model == model && j.seed == seed)
                })
                .count();
        }
        Ok(n)
    }
}

/// Every point of `jobs`, in job order, made ready ([`ready_point`]).
fn prepare_points<'a>(
    cx: &JobContext<'_>,
    jobs: &'a [Job],
    corpora: &mut Corpora,
) -> Result<ReadyPoints<'a>> {
    let mut points = ReadyPoints {
        ids: Vec::new(),
        dirs: Vec::new(),
        sizes_of: BTreeMap::new(),
        finished: BTreeSet::new(),
    };
    for job in jobs {
        let id = job.point.as_str();
        if points.ids.contains(&id) {
            continue;
        }
        let (dir, sizes, done) = ready_point(cx, id, corpora)?;
        for run in &done {
            points
                .finished
                .insert((id.to_string(), run.model, run.seed));
        }
        points.ids.push(id);
        points.sizes_of.insert(id, sizes);
        points.dirs.push(dir);
    }
    Ok(points)
}

/// The point `id` made ready: its `config.json` verified against the
/// configuration and its own data (written now if missing), its finished
/// runs checked against its sizes, the rows of its unfinished runs
/// dropped. Returns its folder, sizes and finished runs.
fn ready_point(
    cx: &JobContext<'_>,
    id: &str,
    corpora: &mut Corpora,
) -> Result<(PathBuf, Vec<ModelSize>, Vec<RunRecord>)> {
    let (root, manifest) = (cx.root, cx.manifest);
    let point = manifest.point(id).ok_or_else(|| {
        Error::results(
            root.join(files::SWEEP),
            format!("job names unknown point `{id}`"),
        )
    })?;
    let dir = point_dir(root, &manifest.grid, id);
    let corpus = corpora.get(&point.config)?;
    let sizes = match verify_point_dir(&dir, &point.config, corpus)? {
        Some(sizes) => sizes,
        // Killed between sweep.json and this point's folder: write it now.
        None => {
            let plan = plan_point(&point.config, corpus)?;
            write_point_dir(&dir, &point.config, &plan, corpus, manifest, &mut |l| {
                cx.log.progress(l)
            })?;
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
    }
    let pruned = resume::prune_unfinished(&dir, &done, point.config.seeds[0])?;
    if pruned != resume::Pruned::default() {
        cx.log.progress(&format!(
            "{}: dropped the rows of unfinished runs ({} in {}, {} in {}, {} cut-off lines)",
            dir.display(),
            pruned.runs,
            files::RUNS,
            pruned.epochs,
            files::EPOCHS,
            pruned.partial_lines
        ));
    }
    Ok((dir, sizes, done))
}

/// Runs `to_run` in order, [`JobContext::width`] jobs at a time (one
/// worker each, started together: the models of one seed side by side),
/// until all ran or the comparison is stopped, with the progress line
/// before each batch and the total after.
fn run_in_order(to_run: &[Job], runner: &mut JobRunner<'_>) -> Result<Vec<RunRecord>> {
    let cx = runner.cx;
    let width = cx.width();
    let mut runs = Vec::new();
    let mut overall = crate::progress::Overall::new(to_run.len());
    overall.workers = width;
    let started = std::time::Instant::now();
    for batch in to_run.chunks(width) {
        if cx.stopped() {
            break;
        }
        cx.log
            .progress(&overall.line(started.elapsed().as_secs_f64()));
        if cx.manifest.grid.points.len() > 1 {
            let ids: Vec<String> = batch.iter().map(Job::id).collect();
            cx.log.progress(&format!("job {}", ids.join(", ")));
        }
        let batch_started = std::time::Instant::now();
        let done = runner.run_batch(batch, 1)?;
        for (job, run) in batch.iter().zip(done) {
            runner.append(job, &run)?;
            if batch.len() > 1 {
                cx.log.progress(&finished_line(&run));
            }
            overall.finished_secs.push(
                run.wall_secs
                    .unwrap_or(batch_started.elapsed().as_secs_f64()),
            );
            runs.push(run);
        }
    }
    if !runs.is_empty() {
        cx.log
            .progress(&overall.total_line(started.elapsed().as_secs_f64()));
    }
    Ok(runs)
}

/// `LSTM seed 2: ok, 4 epochs in 38s`: a run of a batch of several,
/// whose workers draw no progress bars.
fn finished_line(run: &RunRecord) -> String {
    format!(
        "{} seed {}: {}, {} epoch{} in {}",
        run.model.display_name(),
        run.seed,
        serde_json::to_string(&run.status)
            .unwrap_or_default()
            .trim_matches('"'),
        run.epochs_run,
        if run.epochs_run == 1 { "" } else { "s" },
        crate::progress::duration(run.wall_secs.unwrap_or(0.0))
    )
}

/// After the jobs: runs again, in job order and one round at a time, every
/// finished `ok` run whose timing is `disturbed` and that has had fewer than
/// `1 + remeasure` attempts (its point's `--remeasure`), until none is left
/// (the state is read from the files, so an interrupted round continues on
/// `--resume`). Each re-run must reproduce attempt 1's losses and
/// accuracies bit for bit; one that does not is kept as a `failed` attempt
/// that says why, and attempt 1 stands (its timing still disturbed); a clean re-run's
/// timing becomes `remeasured` and its row is appended to its point's
/// `runs.csv`. Returns the re-runs' records.
fn remeasure_disturbed(jobs: &[Job], runner: &mut JobRunner<'_>) -> Result<Vec<RunRecord>> {
    let cx = runner.cx;
    let (root, manifest, grid) = (cx.root, cx.manifest, &cx.manifest.grid);
    let mut reruns = Vec::new();
    // Runs whose re-run failed or was cut short: not tried again in this call.
    let mut given_up: BTreeSet<String> = BTreeSet::new();
    while !cx.stopped() {
        let mut round: Vec<(usize, Job, u32)> = Vec::new();
        for id in runner.sizes_of.keys() {
            let Some(point) = manifest.point(id) else {
                continue;
            };
            if point.config.remeasure == 0 {
                continue;
            }
            let dir = point_dir(root, grid, id);
            let done = attempts::all_runs(&dir)?;
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
            if cx.stopped() {
                break;
            }
            let dir = point_dir(root, grid, &job.point);
            cx.log.progress(&format!(
                "{}{} seed {}: timing disturbed, re-measuring (attempt {attempt})",
                cx.point_prefix(&job.point),
                job.model.display_name(),
                job.seed
            ));
            let mut run = runner.run(&job, attempt)?;
            if run.status != RunStatus::Ok {
                if !cx.stopped() {
                    cx.log.progress(&format!(
                        "re-measuring {} seed {} ended {:?} ({}); its first timing stays",
                        job.model, job.seed, run.status, run.message
                    ));
                }
                given_up.insert(job.id());
                continue;
            }
            let epochs: Vec<EpochRecord> = attempts::all_epochs(&dir)?;
            let of = |attempt: u32| -> Vec<EpochRecord> {
                epochs
                    .iter()
                    .filter(|e| e.model == job.model && e.seed == job.seed && e.attempt == attempt)
                    .cloned()
                    .collect()
            };
            let first = attempts::all_runs(&dir)?
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
                // The comparison is finished and stays: attempt 1 stands
                // with its timing still marked disturbed, and this re-run is
                // kept as a failed attempt saying why (so it is not tried
                // again, here or on --resume).
                let line = format!(
                    "re-running {} seed {} (attempt {attempt}) did not reproduce attempt 1 ({why}); attempt 1 stands, its timing still disturbed",
                    job.model, job.seed
                );
                // Said with --quiet too: a number that does not reproduce
                // is worth a line whatever else is silenced.
                cx.log.notice(&format!("warning: {line}"));
                run.status = RunStatus::Failed;
                run.message = line;
                runner.append_and_settle(&job, &run)?;
                given_up.insert(job.id());
                continue;
            }
            if run.timing == Some(Timing::Clean) {
                run.timing = Some(Timing::Remeasured);
            }
            runner.append_and_settle(&job, &run)?;
            reruns.push(run);
        }
    }
    Ok(reruns)
}

/// One worker to start: its job, point folder, model size and threads.
struct Launch<'j> {
    job: &'j Job,
    dir: PathBuf,
    size: ModelSize,
    threads: usize,
}

/// Runs the jobs of one run folder in worker processes and appends their
/// records to each point's `runs.csv`.
pub(crate) struct JobRunner<'a> {
    cx: &'a JobContext<'a>,
    sizes_of: &'a BTreeMap<&'a str, Vec<ModelSize>>,
    appenders: BTreeMap<String, CsvAppender<RunRecord>>,
    /// The data, loaded and checked once: the parent encodes each seed's
    /// data before the seed's first worker starts.
    corpora: Corpora,
}

impl JobRunner<'_> {
    /// Runs `job` (attempt `attempt`) in a worker and returns its record.
    fn run(&mut self, job: &Job, attempt: u32) -> Result<RunRecord> {
        let mut runs = self.run_batch(std::slice::from_ref(job), attempt)?;
        Ok(runs.remove(0))
    }

    /// Runs the jobs of `batch` (attempt `attempt`) at once, a worker each
    /// in its own slot of [`Interrupt::workers`], and returns their records
    /// in `batch`'s order, each saying how many ran at once and with how
    /// many threads. A Transformer job with a finished twin is copied
    /// instead ([`JobRunner::twin_run`]). First leaves each seed's encoded
    /// data in the point folder ([`results::prepared`]) when it is not there
    /// yet, so that every worker of every model reads its data the same
    /// way: the same time spent, and no model's memory marked by loading
    /// the files, which the allocator may keep after they are freed.
    fn run_batch(&mut self, batch: &[Job], attempt: u32) -> Result<Vec<RunRecord>> {
        let mut copied = Vec::with_capacity(batch.len());
        let mut launches = Vec::new();
        for job in batch {
            let twin = self.twin_run(job, attempt)?;
            if twin.is_none() {
                launches.push(self.launch(job)?);
            }
            copied.push(twin);
        }
        let (exe, slots, at_once) = (self.cx.exe, self.cx.interrupt.workers(), launches.len());
        let ran: Vec<Result<RunRecord>> = if let [l] = launches.as_slice() {
            // One worker: started from this thread, as before `--jobs`.
            vec![run_worker_process(
                exe,
                &l.dir,
                l.job,
                attempt,
                &l.size,
                slots.slot(0),
            )]
        } else {
            std::thread::scope(|scope| {
                let workers: Vec<_> = launches
                    .iter()
                    .enumerate()
                    .map(|(slot, l)| {
                        let pid = slots.slot(slot);
                        scope.spawn(move || {
                            run_worker_process(exe, &l.dir, l.job, attempt, &l.size, pid)
                        })
                    })
                    .collect();
                workers
                    .into_iter()
                    .map(|w| w.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                    .collect()
            })
        };
        // In job order, so that the files' rows do not depend on which
        // worker ended first.
        for l in &launches {
            collect_job_rows(&l.dir, l.job)?;
        }
        let mut ran = ran.into_iter().zip(launches.iter().map(|l| l.threads));
        let mut runs = Vec::with_capacity(batch.len());
        for twin in copied {
            let run = match twin {
                Some(run) => run,
                None => {
                    let (run, threads) = ran.next().expect("a record per worker");
                    RunRecord {
                        workers_at_once: Some(at_once),
                        threads_per_worker: Some(threads),
                        ..run?
                    }
                }
            };
            runs.push(run);
        }
        Ok(runs)
    }

    /// What the worker of `job` needs: its point folder with the seed's
    /// encoded data written, its model's size and its threads.
    fn launch<'j>(&mut self, job: &'j Job) -> Result<Launch<'j>> {
        let dir = point_dir(self.cx.root, &self.cx.manifest.grid, &job.point);
        let config = &self
            .cx
            .manifest
            .point(&job.point)
            .expect("a job's point is in the grid")
            .config;
        clear_job_rows(&dir, job)?;
        if !results::prepared::path(&dir, job.seed).exists() {
            let corpus = self.corpora.get(config)?;
            let data = prepare_for_seed(corpus, config, job.seed)?;
            results::prepared::write(&dir, job.seed, &data)?;
        }
        let size = self.sizes_of[job.point.as_str()]
            .iter()
            .find(|s| s.model == job.model)
            .expect("every model of a point is sized")
            .clone();
        Ok(Launch {
            job,
            dir,
            size,
            threads: config.threads,
        })
    }

    /// For a Transformer job (attempt 1) whose point differs from another
    /// point only in `--bidirectional`, which does not apply to the
    /// Transformer, and whose Transformer has the same size there: that
    /// point's finished `ok` run of the seed, copied into this point (its
    /// epochs, and its gradient rows for the first seed) and saying so,
    /// instead of training the same model again. `None` without such a
    /// twin, or before it has run the seed.
    fn twin_run(&self, job: &Job, attempt: u32) -> Result<Option<RunRecord>> {
        if job.model != Cell::Transformer || attempt != 1 {
            return Ok(None);
        }
        let point = self
            .cx
            .manifest
            .grid
            .points
            .iter()
            .find(|p| p.id == job.point)
            .expect("a job's point is in the grid");
        let size = |id: &str| {
            self.sizes_of
                .get(id)
                .and_then(|sizes| sizes.iter().find(|s| s.model == Cell::Transformer))
        };
        for twin in self
            .cx
            .manifest
            .grid
            .points
            .iter()
            .filter(|p| p.id != point.id)
        {
            let mut config = twin.config.clone();
            config.bidirectional = point.config.bidirectional;
            if config != point.config
                || size(&twin.id).is_none()
                || size(&twin.id) != size(&point.id)
            {
                continue;
            }
            let from = point_dir(self.cx.root, &self.cx.manifest.grid, &twin.id);
            let Some(mut run) = attempts::standing_runs(&resume::finished_runs(&from)?)
                .into_iter()
                .find(|r| {
                    r.model == Cell::Transformer && r.seed == job.seed && r.status == RunStatus::Ok
                })
            else {
                continue;
            };
            let to = point_dir(self.cx.root, &self.cx.manifest.grid, &job.point);
            let mut epochs = CsvAppender::open(&to.join(files::EPOCHS))?;
            for e in results::read_csv::<EpochRecord>(&from.join(files::EPOCHS))? {
                if e.model == Cell::Transformer && e.seed == job.seed && e.attempt == run.attempt {
                    epochs.append(&e)?;
                }
            }
            if job.seed == point.config.seeds[0] {
                let rows: Vec<results::GradientFlowRow> =
                    results::read_csv(&from.join(files::GRADIENT_FLOW))?;
                let mut gradient = CsvAppender::open(&to.join(files::GRADIENT_FLOW))?;
                for g in rows.iter().filter(|g| g.model == Cell::Transformer) {
                    gradient.append(g)?;
                }
            }
            run.message = format!(
                "the same run as point {} (--bidirectional does not apply to the Transformer)",
                twin.id
            );
            return Ok(Some(run));
        }
        Ok(None)
    }

    /// Appends the re-run `run` to the `runs.csv` of `job`'s point, then
    /// moves the attempts that do not stand out of `runs.csv` and
    /// `epochs.csv` ([`attempts::settle`]; the point's appender is closed
    /// first, as settling replaces the file).
    fn append_and_settle(&mut self, job: &Job, run: &RunRecord) -> Result<()> {
        self.append(job, run)?;
        self.appenders.remove(&job.point);
        attempts::settle(&point_dir(self.cx.root, &self.cx.manifest.grid, &job.point))
    }

    /// Appends `run` to the `runs.csv` of `job`'s point.
    fn append(&mut self, job: &Job, run: &RunRecord) -> Result<()> {
        if !self.appenders.contains_key(&job.point) {
            let dir = point_dir(self.cx.root, &self.cx.manifest.grid, &job.point);
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
/// folder whose rule ([`auto_seeds::decide`]) asks for more seeds gets a
/// batch of them ([`auto_seeds::seeds_per_round`]: as many seeds as fill the workers,
/// at least one; the next numbers, a job per model, no more than the
/// rule's cap): recorded first in the point's `config.json` and in
/// `sweep.json` (so `--resume` knows the jobs), then run, the width at a
/// time. Each point stops on its own. Adds the new jobs to `jobs` and
/// returns their records.
fn add_seeds(jobs: &mut Vec<Job>, runner: &mut JobRunner<'_>) -> Result<Vec<RunRecord>> {
    let cx = runner.cx;
    let (root, manifest) = (cx.root, cx.manifest);
    let mut current = manifest.clone();
    let mut runs = Vec::new();
    while !cx.stopped() {
        let mut added = Vec::new();
        for point in current.grid.points.iter_mut() {
            if jobs.iter().any(|j| j.point == point.id) {
                added.extend(more_seeds(cx, point)?);
            }
        }
        if added.is_empty() {
            break;
        }
        current.jobs.extend(added.iter().map(Job::id));
        current.jobs_total = all_jobs(&current.grid).len();
        current.write(root)?;
        jobs.extend(added.iter().cloned());
        for batch in added.chunks(cx.width()) {
            if cx.stopped() {
                break;
            }
            for (job, run) in batch.iter().zip(runner.run_batch(batch, 1)?) {
                runner.append(job, &run)?;
                runs.push(run);
            }
        }
    }
    Ok(runs)
}

/// The jobs of the seeds `point`'s rule adds this round (none when it
/// stopped), the seeds recorded in `point` and its `config.json`.
fn more_seeds(cx: &JobContext<'_>, point: &mut crate::config::GridPoint) -> Result<Vec<Job>> {
    let Some(rule) = point.config.auto_seeds else {
        return Ok(Vec::new());
    };
    let dir = point_dir(cx.root, &cx.manifest.grid, &point.id);
    let standing = attempts::standing_runs(&resume::finished_runs(&dir)?);
    let batch = auto_seeds::seeds_per_round(cx.width(), point.config.models.len());
    let decision = auto_seeds::decide(
        &standing,
        &point.config.models,
        point.config.seeds.len(),
        &rule,
        batch,
    );
    if decision.stopped.is_some() {
        return Ok(Vec::new());
    }
    let room = (rule.max_seeds as usize).saturating_sub(point.config.seeds.len());
    let first = point.config.seeds.iter().max().map_or(1, |s| s + 1);
    let seeds: Vec<u64> = (first..).take(batch.min(room).max(1)).collect();
    point.config.seeds.extend(&seeds);
    let mut files = RunManifest::load(&dir)?;
    files.config.seeds = point.config.seeds.clone();
    files.write(&dir)?;
    cx.log.progress(&format!(
        "{}--seeds auto: adding seed{} {} (95% CI of the paired accuracy difference {}, asked ±{} points)",
        cx.point_prefix(&point.id),
        if seeds.len() == 1 { "" } else { "s" },
        seeds
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        decision
            .half_width_points
            .map_or("not yet defined".to_string(), |h| format!("±{h:.2} points")),
        rule.precision_points
    ));
    let point: &crate::config::GridPoint = point;
    Ok(seeds
        .iter()
        .flat_map(|&seed| {
            point.config.models.iter().map(move |&model| Job {
                point: point.id.clone(),
                model,
                seed,
            })
        })
        .collect())
}

/// After the jobs: the kernel check ([`super::kernel_check`]) of every
/// grid point of this folder that asks for it (`--kernel-check on`) and has
/// none yet, each in a worker process (`exe --worker-kernel-check POINT`).
/// A failed check is logged and leaves the point without one.
pub(crate) fn run_kernel_checks(cx: &JobContext<'_>) -> Result<KernelChecks> {
    let (root, manifest) = (cx.root, cx.manifest);
    let jobs = manifest.parsed_jobs(root)?;
    for point in &manifest.grid.points {
        if !jobs.iter().any(|j| j.point == point.id) || !point.config.kernel_check.is_on() {
            continue;
        }
        let dir = point_dir(root, &manifest.grid, &point.id);
        if dir.join(files::KERNEL_CHECK).is_file() {
            continue;
        }
        if cx.stopped() {
            return Ok(KernelChecks::Interrupted);
        }
        cx.log.progress(&format!(
            "{}kernel check: {} timed train steps per model under --kernel auto, native and, where built, onednn",
            cx.point_prefix(&point.id),
            super::kernel_check::TIMED_STEPS
        ));
        let status = run_kernel_check_process(cx, &dir)?;
        let written = dir.join(files::KERNEL_CHECK).is_file();
        if cx.stopped() && !written {
            return Ok(KernelChecks::Interrupted);
        }
        if !status.success() {
            cx.log.progress(&format!(
                "kernel check of {} failed ({status}); the report has no kernel split",
                dir.display()
            ));
        }
    }
    Ok(KernelChecks::Done)
}

/// Runs `exe --worker-kernel-check DIR` in worker slot 0 and waits for it.
fn run_kernel_check_process(cx: &JobContext<'_>, dir: &Path) -> Result<ExitStatus> {
    let exe = cx.exe;
    let mut child = worker_command(exe)
        .arg("--worker-kernel-check")
        .arg(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| Error::io(exe, e))?;
    let slot = cx.interrupt.workers().slot(0);
    slot.store(child.id(), Ordering::SeqCst);
    let status = child.wait().map_err(|e| Error::io(exe, e));
    slot.store(0, Ordering::SeqCst);
    status
}

/// How [`run_kernel_checks`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KernelChecks {
    /// Every check ran (or failed, which it logged).
    Done,
    /// Ctrl-C stopped them: some point has no `kernel_check.csv`;
    /// `compare --resume` runs the missing ones.
    Interrupted,
}
