//! `compare`: train matched LSTM, GRU (and RNN) models on the same data over
//! several seeds, and write `results/<run-id>/` with the report.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use rnnbench::compare::{
    Request, Session, die_with_parent, run_worker_job, terminal_sink, worker_stop_on_signals,
};
use rnnbench::config::Options;

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
    let stop = worker_stop_on_signals();
    die_with_parent();
    rnnbench::error::install_one_line_panic_hook(rnnbench::error::PanicLine::Worker);
    rnnbench::probe::allocator::keep_freed_memory();
    match run_worker_job(point_dir, job, attempt, &stop) {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn kernel_check_worker(dir: &std::path::Path) -> ExitCode {
    let stop = worker_stop_on_signals();
    die_with_parent();
    rnnbench::error::install_one_line_panic_hook(rnnbench::error::PanicLine::Worker);
    rnnbench::probe::allocator::keep_freed_memory();
    match rnnbench::compare::kernel_check::run_kernel_check(dir, &stop) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The comparison itself: a [`Session`] planned from the command line,
/// stopped by SIGINT, SIGTERM and SIGHUP, run; its outcome is the exit code.
fn parent(cli: Cli) -> ExitCode {
    let request = Request {
        config: cli.config,
        shard: cli.shard,
        run_id: cli.run_id,
        resume: cli.resume,
        open: cli.open,
        ..Request::new(cli.options)
    };
    let ran = Session::plan(&request, terminal_sink()).and_then(|session| {
        session.install_signal_handlers()?;
        session.run()
    });
    match ran {
        Ok(outcome) => ExitCode::from(outcome.exit_code()),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
