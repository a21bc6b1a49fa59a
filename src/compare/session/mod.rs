//! A comparison as one value: [`Session::plan`] makes or reopens the run
//! folder (the plan: its `sweep.json`, the data loaded so far, the seeds a
//! resume adds) without running anything; [`Session::run`] runs its jobs in
//! worker processes, then the kernel checks, renders the report and says
//! how it ended ([`Outcome`]). The session owns its stop flag
//! ([`Interrupt`]); the process's signal handler that sets it is installed
//! only on request ([`Session::install_signal_handlers`]), so a test needs
//! no signals. Every line it says goes through its [`Log`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use super::interrupt::Interrupt;
use super::jobs::{ComparisonOutcome, JobContext, KernelChecks, run_jobs, run_kernel_checks};
use super::log::{Log, Sink};
use super::{AddedSeeds, Corpora, lock_run_dir};
use crate::error::{Error, Result};
use crate::results::{RunStatus, SweepManifest};

mod plan;
#[cfg(test)]
pub(crate) mod testing;
#[cfg(test)]
mod tests;

pub use plan::{Env, Request, process_env};

/// How a comparison ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Every planned run finished `ok` (and the kernel checks ran).
    Finished {
        /// The folder's jobs.
        planned: usize,
    },
    /// Stopped (Ctrl-C, SIGTERM, SIGHUP, or [`Interrupt::stop`]) before
    /// every job ran; `compare --resume` continues it.
    Interrupted {
        /// Runs that ended `ok`, those found finished included.
        finished: usize,
        /// The folder's jobs.
        planned: usize,
        /// The signal that stopped it, if one did.
        signal: Option<i32>,
    },
    /// Every run finished, but the stop came during the kernel checks.
    KernelCheckInterrupted {
        /// The signal that stopped it, if one did.
        signal: Option<i32>,
    },
    /// Every job ran, but some did not end `ok` (see `runs.csv`).
    RunsFailed {
        /// Jobs that did not end `ok`.
        failed: usize,
        /// The folder's jobs.
        planned: usize,
    },
}

impl Outcome {
    /// The process's exit code: 0 finished, 1 some runs failed, and for an
    /// interrupted comparison 128 + the signal, as a shell reports a
    /// process the signal ended (SIGINT 130, SIGTERM 143, SIGHUP 129; 130
    /// when stopped without a signal of ours, e.g. a worker interrupted on
    /// its own).
    pub fn exit_code(&self) -> u8 {
        let interrupted = |signal: Option<i32>| match signal {
            Some(s @ 1..=127) => (128 + s) as u8,
            _ => (128 + libc::SIGINT) as u8,
        };
        match *self {
            Outcome::Finished { .. } => 0,
            Outcome::RunsFailed { .. } => 1,
            Outcome::Interrupted { signal, .. } | Outcome::KernelCheckInterrupted { signal } => {
                interrupted(signal)
            }
        }
    }

    /// The outcome of the job loop's `outcome` and the kernel checks'
    /// `checks`, with the stop's `signal`.
    fn of(outcome: &ComparisonOutcome, checks: KernelChecks, signal: Option<i32>) -> Outcome {
        if outcome.interrupted {
            Outcome::Interrupted {
                finished: outcome.finished_ok,
                planned: outcome.planned,
                signal,
            }
        } else if checks == KernelChecks::Interrupted {
            Outcome::KernelCheckInterrupted { signal }
        } else if outcome.finished_ok < outcome.planned {
            Outcome::RunsFailed {
                failed: outcome.planned - outcome.finished_ok,
                planned: outcome.planned,
            }
        } else {
            Outcome::Finished {
                planned: outcome.planned,
            }
        }
    }

    /// The last line said about it, for the run folder `dir` (none when finished).
    fn last_line(&self, dir: &Path) -> Option<String> {
        let dir = dir.display();
        match *self {
            Outcome::Finished { .. } => None,
            Outcome::Interrupted {
                finished, planned, ..
            } => Some(format!(
                "interrupted: {finished} of {planned} runs finished; their results are in {dir} (continue with `compare --resume {dir}`)"
            )),
            Outcome::KernelCheckInterrupted { .. } => Some(format!(
                "interrupted during the kernel check: every run finished, but the kernel split is missing (continue with `compare --resume {dir}`)"
            )),
            Outcome::RunsFailed { failed, planned } => Some(format!(
                "{failed} of {planned} runs did not finish (see runs.csv)"
            )),
        }
    }
}

/// A planned comparison: its run folder written (or reopened), ready to run.
#[derive(Debug)]
pub struct Session {
    /// The run folder (a shard's folder for a shard).
    root: PathBuf,
    /// Its `sweep.json` (with the added seeds of a resume, not written yet).
    manifest: SweepManifest,
    /// The data loaded while planning, handed to the job loop.
    corpora: Corpora,
    /// The seeds `--resume … --seeds` adds, per point.
    added_seeds: Option<AddedSeeds>,
    /// `--open`: show the report when done.
    open: bool,
    /// The program the workers run (`compare --worker …`).
    worker_exe: PathBuf,
    /// The stop flag and the running workers.
    interrupt: Arc<Interrupt>,
    /// Where the lines go (quiet when the options or the folder say so).
    log: Log,
    /// When planning began, for the `time:` line.
    started: Instant,
}

impl Session {
    /// Plans the comparison `request` asks for: a new run folder written
    /// (`sweep.json`, each point's `config.json`, the data checked), or the
    /// folder to resume read, with the seeds to add. Runs nothing.
    pub fn plan(request: &Request, sink: Sink) -> Result<Session> {
        let started = Instant::now();
        let log = Log::new(sink, request.options.quiet);
        crate::analysis::disturbance::check_wait_share_env()?;
        let planned = plan::plan(request, &log)?;
        let worker_exe = match &request.worker_exe {
            Some(exe) => exe.clone(),
            None => std::env::current_exe().map_err(|e| Error::io("/proc/self/exe", e))?,
        };
        let quiet = planned.manifest.grid.points[0].config.quiet;
        let width = planned.manifest.width();
        Ok(Session {
            root: planned.root,
            manifest: planned.manifest,
            corpora: planned.corpora,
            added_seeds: planned.added_seeds,
            open: request.open,
            worker_exe,
            interrupt: Interrupt::with_workers(width),
            log: log.quieter(quiet),
            started,
        })
    }

    /// The run folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The run folder's grid and jobs.
    pub fn manifest(&self) -> &SweepManifest {
        &self.manifest
    }

    /// The session's stop: [`Interrupt::stop`] ends the run as Ctrl-C would.
    pub fn interrupt(&self) -> &Arc<Interrupt> {
        &self.interrupt
    }

    /// Makes SIGINT, SIGTERM and SIGHUP stop this session
    /// ([`Interrupt::install_signal_handlers`]).
    pub fn install_signal_handlers(&self) -> Result<()> {
        self.interrupt.install_signal_handlers()
    }

    /// Runs the comparison: the jobs not yet finished, one worker process
    /// each (until stopped), the kernel checks, then the report (rendered
    /// also when stopped), and says how it ended.
    pub fn run(mut self) -> Result<Outcome> {
        self.say_before_running();
        // Held until the report is rendered: a `report` of this folder
        // meanwhile renders what is finished without rewriting the files
        // appended here.
        let lock = lock_run_dir(&self.root)?;
        if let Some(added) = &self.added_seeds {
            plan::record_added_seeds(&self.root, &self.manifest, added, &self.log)?;
        }
        let corpora = std::mem::take(&mut self.corpora);
        let cx = self.job_context();
        let outcome = run_jobs(&cx, &lock, corpora)?;
        let checks = self.kernel_checks(&cx, &outcome)?;
        self.say_runs(&outcome);
        self.render(&outcome)?;
        let ended = Outcome::of(&outcome, checks, self.interrupt.signal());
        if let Some(line) = ended.last_line(&outcome.run_dir) {
            self.log.notice(&line);
        }
        drop(lock);
        Ok(ended)
    }

    /// What the job loop needs of this session.
    fn job_context(&self) -> JobContext<'_> {
        JobContext {
            root: &self.root,
            manifest: &self.manifest,
            exe: &self.worker_exe,
            interrupt: &self.interrupt,
            log: &self.log,
        }
    }

    /// The lines before the first job: the shard this folder is, and the
    /// warnings about a busy machine or more threads than CPUs.
    fn say_before_running(&self) {
        if let Some(s) = &self.manifest.shard {
            self.log.progress(&format!(
                "shard {}: {} of {} jobs, in {}",
                s.shard,
                self.manifest.jobs.len(),
                self.manifest.jobs_total,
                self.root.display()
            ));
        }
        // Said with --quiet too, as Google Benchmark does: timings taken on
        // a busy machine are suspect.
        if let Some(warning) = crate::probe::load::load_warning() {
            self.log.notice(&warning);
        }
        let threads: Vec<usize> = self
            .manifest
            .grid
            .points
            .iter()
            .map(|p| p.config.threads)
            .collect();
        let cpus = crate::probe::load::logical_cpus();
        if let Some(warning) =
            crate::probe::load::threads_warning(&threads, self.manifest.width(), cpus)
        {
            self.log.notice(&warning);
        }
    }

    /// After the jobs (unless stopped): the kernel checks; when they all
    /// ran, the seeds' encoded data is removed (it was for this
    /// comparison's workers only; an interrupted one keeps it for
    /// `--resume`).
    fn kernel_checks(
        &self,
        cx: &JobContext<'_>,
        outcome: &ComparisonOutcome,
    ) -> Result<KernelChecks> {
        if outcome.interrupted {
            return Ok(KernelChecks::Done);
        }
        let checks = run_kernel_checks(cx)?;
        if checks == KernelChecks::Done {
            for dir in &outcome.point_dirs {
                crate::results::prepared::remove(dir)?;
            }
        }
        Ok(checks)
    }

    /// What a resume added to the folder, and each run that diverged or failed.
    fn say_runs(&self, outcome: &ComparisonOutcome) {
        if outcome.already_finished > 0 {
            // A re-measurement is another attempt of a job, not another job.
            let jobs_run = outcome.runs.iter().filter(|r| r.attempt == 1).count();
            let remeasured = outcome.runs.len() - jobs_run;
            self.log.notice(&format!(
                "resumed {}: {} of {} jobs were already finished; ran {} more{}",
                self.root.display(),
                outcome.already_finished,
                outcome.planned,
                jobs_run,
                match remeasured {
                    0 => String::new(),
                    n => format!(" and re-measured {n}"),
                }
            ));
        }
        for run in outcome
            .runs
            .iter()
            .filter(|r| matches!(r.status, RunStatus::Diverged | RunStatus::Failed))
        {
            self.log.notice(&format!(
                "{} seed {} {}: {}",
                run.model,
                run.seed,
                serde_json::to_string(&run.status)
                    .unwrap_or_default()
                    .trim_matches('"'),
                run.message
            ));
        }
    }

    /// The last render (a run's report, or a sweep's), its table and path
    /// on the output, the harness's time, and `--open`. The page lock is
    /// kept until the process ends: a `report` waiting for it renders after
    /// this process, the folder free, not a "still working" page over this
    /// one.
    fn render(&self, outcome: &ComparisonOutcome) -> Result<()> {
        keep_pages_until_exit(&self.root)?;
        let report = if self.manifest.grid.points.len() == 1 {
            crate::report::finish_run(&self.root)?
        } else {
            crate::report::sweep::finish_sweep(&self.root)?
        };
        self.log.output(&report.table);
        self.log
            .output(&format!("report: {}", report.html.display()));
        if let (false, Some(h)) = (
            self.log.is_quiet(),
            crate::analysis::summary::harness_time(&outcome.runs),
        ) {
            self.log.progress(&format!(
                "time: {} s in all since the start; {}",
                crate::report::format::secs(self.started.elapsed().as_secs_f64()),
                crate::report::format::harness_line(&h)
            ));
        }
        if self.open
            && let Some(note) = crate::report::open_page(&report.html)
        {
            self.log.notice(&note);
        }
        Ok(())
    }
}

/// The page locks this process's sessions keep until it ends, by folder.
static KEPT_PAGES: Mutex<BTreeMap<PathBuf, crate::results::lock::FolderLock>> =
    Mutex::new(BTreeMap::new());

/// Holds `root`'s page lock ([`crate::results::lock::hold_pages`]) until
/// this process ends. A hold kept by an earlier session of this process on
/// the same folder is released first (a second hold of one process would
/// wait for itself).
fn keep_pages_until_exit(root: &Path) -> Result<()> {
    let key = root.canonicalize().map_err(|e| Error::io(root, e))?;
    let mut kept = KEPT_PAGES.lock().unwrap_or_else(|e| e.into_inner());
    kept.remove(&key);
    let pages = crate::results::lock::hold_pages(root)?;
    kept.insert(key, pages);
    Ok(())
}
