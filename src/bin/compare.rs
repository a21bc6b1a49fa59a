//! `compare`: train matched LSTM, GRU (and RNN) models on the same data over
//! several seeds, and write `results/<run-id>/` with the report.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU32, Ordering};
use std::sync::{Arc, OnceLock};

use clap::Parser;
use rnnbench::compare::{
    AddedSeeds, Corpora, Launch, load_for_resume, run_jobs, run_kernel_checks, run_worker_job,
    start_run, with_more_seeds,
};
use rnnbench::config::Options;
use rnnbench::results::RunStatus;
use rnnbench::results::SweepManifest;
use rnnbench::sweep::check_run_id;
use rnnbench::sweep::plan::{ShardChoice, all_jobs, shard_from_env};

/// LSTM or GRU, for this data, on this machine? Trains matched models on the
/// same batches over several seeds and reports accuracy, time and memory.
#[derive(Debug, Parser)]
#[command(
    name = "compare",
    version,
    about,
    long_about = None,
    after_help = "Sweeps: every numeric or choice option takes a comma-separated list \
(e.g. --hidden 64,128,256 --layers 1,2); the run is then the cross product of the lists \
x models x seeds, one folder per configuration under OUT/<run-id>/points/, with a sweep \
report. Split it over machines with --shard I/N, continue it with --resume DIR, and merge \
shard folders with `report OUT/<run-id>`."
)]
struct Cli {
    #[command(flatten)]
    options: Options,
    /// Read options from a TOML file (keys as the flags, with `_`); flags override it.
    #[arg(long, value_name = "FILE.toml")]
    config: Option<PathBuf>,
    /// Run only shard I of N of the jobs (1-based, e.g. 2/3). Without it, a
    /// Slurm array task (SLURM_ARRAY_TASK_ID/_MIN/_COUNT) or a Kubernetes
    /// Indexed Job (JOB_COMPLETION_INDEX with RNNBENCH_SHARD_COUNT) picks its shard.
    #[arg(long, value_name = "I/N")]
    shard: Option<rnnbench::sweep::plan::Shard>,
    /// Name of the run folder OUT/<run-id>/ [default: UTC timestamp and
    /// dataset; slurm-<array job id> in a Slurm array]. Shards of one sweep
    /// share it and write OUT/<run-id>/shard-I-of-N/.
    #[arg(long, value_name = "NAME")]
    run_id: Option<String>,
    /// Continue the interrupted run (or shard) folder DIR with its own
    /// configuration: finished jobs are kept, the others run again. With
    /// --seeds N (or --seeds auto and its --max-seeds, --precision), adds
    /// seeds to a finished or interrupted run after its own.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["config", "shard", "run_id"])]
    resume: Option<PathBuf>,
    /// Internal: run one job (`--job`) of the existing point folder
    /// POINT_DIR, as a worker process of a comparison.
    #[arg(long, hide = true, value_name = "POINT_DIR", requires = "job")]
    worker: Option<PathBuf>,
    /// Internal: the worker's job, `point:model:seed`.
    #[arg(long, hide = true, value_name = "JOB_ID", requires = "worker")]
    job: Option<rnnbench::sweep::plan::Job>,
    /// Internal: the worker's attempt (1, or 2, … re-measuring a disturbed run).
    #[arg(
        long,
        hide = true,
        value_name = "N",
        default_value_t = 1,
        requires = "worker"
    )]
    attempt: u32,
    /// Internal: run the kernel check of an existing point folder.
    #[arg(long, hide = true, value_name = "POINT_DIR")]
    worker_kernel_check: Option<PathBuf>,
    /// Open the finished report with the desktop's opener (xdg-open, open).
    #[arg(long)]
    open: bool,
}

fn main() -> ExitCode {
    rnnbench::error::install_one_line_panic_hook(rnnbench::error::PanicLine::Internal);
    rnnbench::error::end_quietly_on_a_closed_pipe();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            // One line: clap's first line names the flag.
            let text = e.render().to_string();
            let args: Vec<String> = std::env::args().collect();
            eprintln!(
                "{}{}",
                text.lines().next().unwrap_or("error: invalid arguments"),
                equals_hint(&e, &args).unwrap_or_default()
            );
            return ExitCode::from(2);
        }
    };
    if let Some(dir) = &cli.worker_kernel_check {
        return kernel_check_worker(dir);
    }
    match (&cli.worker, &cli.job) {
        (Some(point_dir), Some(job)) => worker(point_dir, job, cli.attempt),
        _ => parent(cli),
    }
}

/// For a stray value that follows a flag taking its value only after `=`
/// (`--bidirectional false,true`: clap reads a bare `--bidirectional` and
/// then an unexpected argument `false,true`), the end of the error line
/// that shows the right form: `; --bidirectional takes its value after
/// \`=\`: --bidirectional=false,true`.
fn equals_hint(e: &clap::Error, args: &[String]) -> Option<String> {
    if e.kind() != clap::error::ErrorKind::UnknownArgument {
        return None;
    }
    let clap::error::ContextValue::String(stray) = e.get(clap::error::ContextKind::InvalidArg)?
    else {
        return None;
    };
    let at = args.iter().position(|a| a == stray)?;
    let flag = args[..at].last()?;
    let name = flag.strip_prefix("--")?;
    let command = <Cli as clap::CommandFactory>::command();
    command
        .get_arguments()
        .any(|a| a.get_long() == Some(name) && a.is_require_equals_set())
        .then(|| format!("; {flag} takes its value after `=`: {flag}={stray}"))
}

fn worker(point_dir: &std::path::Path, job: &rnnbench::sweep::plan::Job, attempt: u32) -> ExitCode {
    let stop = stop_on_signals();
    die_with_parent();
    rnnbench::error::install_one_line_panic_hook(rnnbench::error::PanicLine::Worker);
    match run_worker_job(point_dir, job, attempt, &stop) {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn kernel_check_worker(dir: &std::path::Path) -> ExitCode {
    let stop = stop_on_signals();
    die_with_parent();
    rnnbench::error::install_one_line_panic_hook(rnnbench::error::PanicLine::Worker);
    match rnnbench::compare::kernel_check::run_kernel_check(dir, &stop) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn parent(cli: Cli) -> ExitCode {
    match run_parent(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// What [`plan`] found: the run folder, its grid and jobs, the data loaded
/// so far, and the seeds a resume adds (its `sweep.json` not written yet).
type Planned = (PathBuf, SweepManifest, Corpora, Option<AddedSeeds>);

/// The grid, shard and run folder of a new comparison, or those of the
/// folder to resume with the seeds to add to it.
fn plan(cli: &Cli, log: &dyn Fn(&str)) -> rnnbench::Result<Planned> {
    if let Some(dir) = &cli.resume {
        let more = cli.options.more_seeds()?;
        let manifest = load_for_resume(dir)?;
        // Each point's data is loaded (and checked) by run_jobs.
        return Ok(match more {
            Some(more) => {
                let (manifest, added) = with_more_seeds(dir, &manifest, more)?;
                (dir.clone(), manifest, Corpora::default(), Some(added))
            }
            None => (dir.clone(), manifest, Corpora::default(), None),
        });
    }
    // Data paths are stored absolute, so that `compare --resume` works
    // from any folder.
    let flags = cli.options.clone().data_paths_from(Path::new(""));
    let options = match &cli.config {
        Some(path) => flags.or(Options::from_toml_file(path)?),
        None => flags,
    };
    let grid = options.grid()?;
    let env = |name: &str| std::env::var(name).ok();
    let shard = match cli.shard {
        Some(shard) => Some(ShardChoice {
            shard,
            source: "--shard".into(),
        }),
        None => {
            let choice = shard_from_env(env)?;
            if let Some(c) = &choice {
                // Always said, --quiet or not: it decides what this process runs.
                eprintln!("shard {} (from {})", c.shard, c.source);
            }
            choice
        }
    };
    if let Some(s) = shard
        .as_ref()
        .filter(|_| grid.points[0].config.auto_seeds.is_some())
    {
        return Err(rnnbench::Error::config(
            "--seeds",
            format!(
                "auto cannot run as shard {} (from {}): each point adds seeds as its results come in; run it in one piece",
                s.shard, s.source
            ),
        ));
    }
    let run_id = match (&cli.run_id, env("SLURM_ARRAY_JOB_ID")) {
        (Some(id), _) => Some(id.clone()),
        (None, Some(job)) if shard.is_some() => Some(format!("slurm-{job}")),
        _ => None,
    };
    if let Some(id) = &run_id {
        check_run_id(id)?;
    }
    if grid.points.len() > 1 {
        let axes: Vec<String> = grid
            .axes
            .iter()
            .map(|a| format!("{} {}", a.flag, a.labels().join(",")))
            .collect();
        log(&format!(
            "grid: {} configurations ({}) x {} models x {} seeds = {} jobs",
            grid.points.len(),
            axes.join("; "),
            grid.points[0].config.models.len(),
            grid.points[0].config.seeds.len(),
            all_jobs(&grid).len()
        ));
    }
    let (root, manifest, corpora) = start_run(
        Launch {
            grid,
            shard,
            run_id,
            command_line: std::env::args().collect(),
        },
        log,
    )?;
    Ok((root, manifest, corpora, None))
}

fn run_parent(cli: Cli) -> rnnbench::Result<ExitCode> {
    let started = std::time::Instant::now();
    let quiet = cli.options.quiet;
    let log = |line: &str| {
        if !quiet {
            eprintln!("{line}");
        }
    };
    rnnbench::probe::interference::check_wait_share_env()?;
    let (root, manifest, corpora, added_seeds) = plan(&cli, &log)?;
    let quiet = quiet || manifest.grid.points[0].config.quiet;
    let child = Arc::new(AtomicU32::new(0));
    stop_on_interrupts(&child)?;
    let stop: &AtomicBool = &STOP;
    let exe = std::env::current_exe().map_err(|e| rnnbench::Error::io("/proc/self/exe", e))?;
    if let Some(s) = manifest.shard.as_ref().filter(|_| !quiet) {
        eprintln!(
            "shard {}: {} of {} jobs, in {}",
            s.shard,
            manifest.jobs.len(),
            manifest.jobs_total,
            root.display()
        );
    }
    // Printed with --quiet too, as Google Benchmark does: timings taken on a
    // busy machine are suspect.
    if let Some(warning) = rnnbench::probe::load::load_warning() {
        eprintln!("{warning}");
    }
    let threads: Vec<usize> = manifest
        .grid
        .points
        .iter()
        .map(|p| p.config.threads)
        .collect();
    let cpus = rnnbench::probe::load::logical_cpus();
    if let Some(warning) = rnnbench::probe::load::threads_warning(&threads, cpus) {
        eprintln!("{warning}");
    }
    // Held until the report is rendered: a `report` of this folder meanwhile
    // renders what is finished without rewriting the files appended here.
    let lock = rnnbench::compare::lock_run_dir(&root)?;
    if let Some(added) = &added_seeds {
        record_added_seeds(&root, &manifest, added, &log)?;
    }
    let outcome = run_jobs(
        &root,
        &lock,
        &manifest,
        corpora,
        &exe,
        stop,
        &child,
        |line| {
            if !quiet {
                eprintln!("{line}");
            }
        },
    )?;
    let mut kernel_checks = rnnbench::compare::KernelChecks::Done;
    if !outcome.interrupted {
        kernel_checks = run_kernel_checks(&root, &manifest, &exe, stop, &child, |line| {
            if !quiet {
                eprintln!("{line}");
            }
        })?;
        // The seeds' encoded data was for this comparison's workers only;
        // an interrupted one keeps it for --resume.
        if kernel_checks == rnnbench::compare::KernelChecks::Done {
            for dir in &outcome.point_dirs {
                rnnbench::results::prepared::remove(dir)?;
            }
        }
    }
    if outcome.already_finished > 0 {
        // A re-measurement is another attempt of a job, not another job.
        let jobs_run = outcome.runs.iter().filter(|r| r.attempt == 1).count();
        let remeasured = outcome.runs.len() - jobs_run;
        eprintln!(
            "resumed {}: {} of {} jobs were already finished; ran {} more{}",
            root.display(),
            outcome.already_finished,
            outcome.planned,
            jobs_run,
            match remeasured {
                0 => String::new(),
                n => format!(" and re-measured {n}"),
            }
        );
    }
    for run in outcome
        .runs
        .iter()
        .filter(|r| matches!(r.status, RunStatus::Diverged | RunStatus::Failed))
    {
        eprintln!(
            "{} seed {} {}: {}",
            run.model,
            run.seed,
            serde_json::to_string(&run.status)
                .unwrap_or_default()
                .trim_matches('"'),
            run.message
        );
    }
    // The last render: a `report` waiting for the page lock renders after
    // this process ends, the folder free, not a "still working" page over
    // this one.
    rnnbench::results::lock::keep_until_exit(rnnbench::results::lock::hold_pages(&root)?);
    let report = if manifest.grid.points.len() == 1 {
        rnnbench::report::finish_run(&root)?
    } else {
        rnnbench::report::sweep::finish_sweep(&root)?
    };
    println!("{}", report.table);
    println!("report: {}", report.html.display());
    if let (false, Some(h)) = (
        quiet,
        rnnbench::analysis::summary::harness_time(&outcome.runs),
    ) {
        eprintln!(
            "time: {} s in all since the start; {}",
            rnnbench::report::format::secs(started.elapsed().as_secs_f64()),
            rnnbench::report::format::harness_line(&h)
        );
    }
    if cli.open {
        open_page(&report.html);
    }
    if outcome.interrupted {
        eprintln!(
            "interrupted: {} of {} runs finished; their results are in {} (continue with `compare --resume {}`)",
            outcome.finished_ok,
            outcome.planned,
            outcome.run_dir.display(),
            outcome.run_dir.display()
        );
        return Ok(interrupted_exit_code());
    }
    if kernel_checks == rnnbench::compare::KernelChecks::Interrupted {
        eprintln!(
            "interrupted during the kernel check: every run finished, but the kernel split is missing (continue with `compare --resume {}`)",
            outcome.run_dir.display()
        );
        return Ok(interrupted_exit_code());
    }
    if outcome.finished_ok < outcome.planned {
        eprintln!(
            "{} of {} runs did not finish (see runs.csv)",
            outcome.planned - outcome.finished_ok,
            outcome.planned
        );
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// `compare --resume DIR --seeds …`: writes the folder's `sweep.json` with
/// the seeds added ([`with_more_seeds`]) before any of them runs, and says
/// which seeds each point gets; the caller holds the folder's lock.
fn record_added_seeds(
    root: &Path,
    manifest: &SweepManifest,
    added: &AddedSeeds,
    log: &dyn Fn(&str),
) -> rnnbench::Result<()> {
    manifest.write(root)?;
    for (point, seeds) in added.iter().filter(|(_, s)| !s.is_empty()) {
        let at = if manifest.grid.points.len() > 1 {
            format!("{point}: ")
        } else {
            String::new()
        };
        log(&format!(
            "{at}adding seeds {} to {}",
            seed_range(seeds),
            root.display()
        ));
    }
    Ok(())
}

/// Seeds in words: `4`, `4 to 9` (consecutive), else `4, 6, 9`.
fn seed_range(seeds: &[u64]) -> String {
    match seeds {
        [] => String::new(),
        [one] => one.to_string(),
        [first, .., last] if seeds.windows(2).all(|w| w[1] == w[0] + 1) => {
            format!("{first} to {last}")
        }
        _ => seeds
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// Set when SIGINT, SIGTERM or SIGHUP reaches the parent: the comparison
/// stops starting jobs and records the running one `interrupted`.
static STOP: AtomicBool = AtomicBool::new(false);
/// The first of those signals to arrive (0: none), for the exit code.
static SIGNAL: AtomicI32 = AtomicI32::new(0);
/// The running worker's process id (0: none), to forward the signal to.
static CHILD: OnceLock<Arc<AtomicU32>> = OnceLock::new();

/// The parent's handler of SIGINT, SIGTERM and SIGHUP: it only stores and
/// sends (atomics and kill(2) are async-signal-safe). The worker gets a
/// SIGINT: a terminal already sends the Ctrl-C to the whole process group,
/// `kill -TERM <parent>` reaches the parent alone.
extern "C" fn on_interrupt(signal: libc::c_int) {
    let _ = SIGNAL.compare_exchange(0, signal, Ordering::SeqCst, Ordering::SeqCst);
    STOP.store(true, Ordering::SeqCst);
    if let Some(child) = CHILD.get() {
        let pid = child.load(Ordering::SeqCst);
        if pid != 0 {
            // SAFETY: kill(2) with a pid we started; a stale pid only fails.
            unsafe {
                libc::kill(pid as libc::pid_t, libc::SIGINT);
            }
        }
    }
}

/// Installs [`on_interrupt`] for SIGINT, SIGTERM and SIGHUP, forwarding to
/// the worker whose pid `child` holds. Its own handler, not the `ctrlc`
/// crate's: that one does not say which signal came, and the exit code
/// must ([`interrupted_exit_code`]).
fn stop_on_interrupts(child: &Arc<AtomicU32>) -> rnnbench::Result<()> {
    let _ = CHILD.set(child.clone());
    for signal in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
        // SAFETY: a zeroed sigaction is valid plain data; the handler is an
        // `extern "C" fn(c_int)`, as sa_sigaction without SA_SIGINFO expects.
        // SA_RESTART: a wait(2) for the worker goes on after the handler.
        let failed = unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_interrupt as extern "C" fn(libc::c_int) as usize;
            action.sa_flags = libc::SA_RESTART;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(signal, &action, std::ptr::null_mut()) != 0
        };
        if failed {
            return Err(rnnbench::Error::config(
                "Ctrl-C",
                format!(
                    "cannot install the handler of signal {signal}: {}",
                    std::io::Error::last_os_error()
                ),
            ));
        }
    }
    Ok(())
}

/// The exit code of an interrupted comparison: 128 + the signal, as a shell
/// reports a process the signal ended (SIGINT 130, SIGTERM 143, SIGHUP 129).
fn interrupted_exit_code() -> ExitCode {
    let signal = match SIGNAL.load(Ordering::SeqCst) {
        s @ 1..=127 => s,
        // Stopped without a signal of ours (a worker interrupted on its
        // own): the Ctrl-C code, as before.
        _ => libc::SIGINT,
    };
    ExitCode::from((128 + signal) as u8)
}

/// A worker's stop flag, set when SIGINT (the terminal's Ctrl-C, or the
/// parent forwarding it), SIGTERM or SIGHUP arrives; the run then ends at
/// the next batch boundary as `interrupted`.
///
/// The signals are blocked in this thread before any other exists, so every
/// thread libtorch, OpenMP and oneDNN start later inherits the block, and
/// one thread of ours takes them synchronously with `sigwait`. No signal is
/// ever delivered asynchronously onto a thread in the middle of a kernel:
/// with a signal handler (the `ctrlc` crate's), an interrupt landing on a
/// compute thread inside oneDNN's LSTM backward crashed the worker now and
/// then (SIGSEGV here, glibc's "corrupted size vs. prev_size" elsewhere).
fn stop_on_signals() -> Arc<AtomicBool> {
    let stop = Arc::new(AtomicBool::new(false));
    let set = rnnbench::compare::block_interrupts();
    let flag = stop.clone();
    std::thread::spawn(move || {
        loop {
            let mut signal = 0;
            // SAFETY: `set` is a valid signal set; `signal` is a valid out-pointer.
            if unsafe { libc::sigwait(&set, &mut signal) } == 0 {
                flag.store(true, Ordering::SeqCst);
            }
        }
    });
    stop
}

/// A worker must not outlive its parent: a parent killed with SIGKILL cannot
/// stop it, and an orphan would keep writing into the run folder while
/// `--resume` reruns its job.
fn die_with_parent() {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: prctl(PR_SET_PDEATHSIG) only sets a flag of this process.
        unsafe {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
        }
        // The parent may have died before the call: then init adopted us.
        if std::os::unix::process::parent_id() == 1 {
            std::process::exit(1);
        }
    }
}

/// `--open`: shows `page` with the desktop's opener; without one, a one-line note.
fn open_page(page: &std::path::Path) {
    if let Some(note) = rnnbench::report::open_page(page) {
        eprintln!("{note}");
    }
}
