//! `compare`: train matched LSTM, GRU (and RNN) models on the same data over
//! several seeds, and write `results/<run-id>/` with the report.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use clap::Parser;
use rnnbench::compare::{run_comparison, run_worker};
use rnnbench::config::Options;
use rnnbench::model::Cell;
use rnnbench::record::RunStatus;

/// LSTM or GRU, for this data, on this machine? Trains matched models on the
/// same batches over several seeds and reports accuracy, time and memory.
#[derive(Debug, Parser)]
#[command(name = "compare", version, about, long_about = None)]
struct Cli {
    #[command(flatten)]
    options: Options,
    /// Read options from a TOML file (keys as the flags, with `_`); flags override it.
    #[arg(long, value_name = "FILE.toml")]
    config: Option<PathBuf>,
    /// Internal: run one model x seed of an existing run folder.
    #[arg(long, hide = true, num_args = 3, value_names = ["RUN_DIR", "MODEL", "SEED"])]
    worker: Option<Vec<String>>,
}

fn main() -> ExitCode {
    rnnbench::error::install_one_line_panic_hook();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            // One line: clap's first line names the flag.
            let text = e.render().to_string();
            eprintln!(
                "{}",
                text.lines().next().unwrap_or("error: invalid arguments")
            );
            return ExitCode::from(2);
        }
    };
    match cli.worker {
        Some(args) => worker(&args),
        None => parent(cli.options, cli.config),
    }
}

fn worker(args: &[String]) -> ExitCode {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let _ = ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst));
    let result = (|| -> rnnbench::Result<rnnbench::record::RunRecord> {
        let cell: Cell = args[1]
            .parse()
            .map_err(|e: String| rnnbench::Error::config("--worker", e))?;
        let seed: u64 = args[2]
            .parse()
            .map_err(|_| rnnbench::Error::config("--worker", format!("bad seed `{}`", args[2])))?;
        run_worker(&PathBuf::from(&args[0]), cell, seed, &stop)
    })();
    // CSV, not JSON: a run that was not scored carries NaN, which JSON lacks.
    let encoded = result.and_then(|run| {
        let mut writer = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(Vec::new());
        writer
            .serialize(&run)
            .map_err(|e| rnnbench::Error::config("--worker", e.to_string()))?;
        writer
            .into_inner()
            .map_err(|e| rnnbench::Error::config("--worker", e.to_string()))
    });
    match encoded {
        Ok(line) => {
            print!("{}", String::from_utf8_lossy(&line));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn parent(options: Options, config_file: Option<PathBuf>) -> ExitCode {
    match run_parent(options, config_file) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run_parent(options: Options, config_file: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    let options = match &config_file {
        Some(path) => options.or(Options::from_toml_file(path)?),
        None => options,
    };
    let config = options.resolve()?;
    let stop = Arc::new(AtomicBool::new(false));
    let child = Arc::new(AtomicU32::new(0));
    {
        let (stop, child) = (stop.clone(), child.clone());
        ctrlc::set_handler(move || {
            stop.store(true, Ordering::SeqCst);
            let pid = child.load(Ordering::SeqCst);
            if pid != 0 {
                // Forward to the worker (a terminal already sends it to the
                // whole process group; `kill -INT <parent>` does not).
                // SAFETY: kill(2) with a pid we started; a stale pid only fails.
                unsafe { libc_kill(pid) };
            }
        })?;
    }
    let exe = std::env::current_exe()?;
    let command_line: Vec<String> = std::env::args().collect();
    let quiet = config.quiet;
    let outcome = run_comparison(&config, command_line, &exe, &stop, &child, |line| {
        if !quiet {
            eprintln!("{line}");
        }
    })?;
    for run in outcome
        .runs
        .iter()
        .filter(|r| matches!(r.status, RunStatus::Diverged | RunStatus::Failed))
    {
        eprintln!(
            "{} seed {} {}: {}",
            run.model,
            run.seed,
            serde_json::to_string(&run.status)?.trim_matches('"'),
            run.message
        );
    }
    let finished = outcome
        .runs
        .iter()
        .filter(|r| r.status == RunStatus::Ok)
        .count();
    let report = rnnbench::report::finish_run(&outcome.run_dir)?;
    println!("{}", report.table);
    println!("report: {}", report.html.display());
    if outcome.interrupted {
        eprintln!(
            "interrupted: {finished} of {} runs finished; their results are in {}",
            outcome.planned,
            outcome.run_dir.display()
        );
        return Ok(ExitCode::from(130));
    }
    if finished < outcome.planned {
        eprintln!(
            "{} of {} runs did not finish (see runs.csv)",
            outcome.planned - finished,
            outcome.planned
        );
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

unsafe fn libc_kill(pid: u32) {
    // SAFETY: see the caller.
    unsafe {
        libc::kill(pid as libc::pid_t, libc::SIGINT);
    }
}
