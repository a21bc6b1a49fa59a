//! Planning a session: the grid, shard and run folder of a new comparison,
//! or the folder to resume with the seeds to add to it.

use std::path::{Path, PathBuf};

use crate::compare::log::Log;
use crate::compare::{AddedSeeds, Corpora, Launch, load_for_resume, start_run, with_more_seeds};
use crate::config::{Grid, Options};
use crate::error::{Error, Result};
use crate::results::SweepManifest;
use crate::sweep::check_run_id;
use crate::sweep::plan::{Shard, ShardChoice, all_jobs, shard_from_env};

/// Reads an environment variable (the process's: [`process_env`]; a test's
/// own).
pub type Env = fn(&str) -> Option<String>;

/// The process's environment variable `name`, if set (and Unicode).
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// What a comparison is asked to do: `compare`'s command line.
#[derive(Debug, Clone)]
pub struct Request {
    /// The options (flags; a list is a grid).
    pub options: Options,
    /// `--config FILE.toml`: options read from a file, the flags overriding it.
    pub config: Option<PathBuf>,
    /// `--shard I/N`: run only that shard of the jobs.
    pub shard: Option<Shard>,
    /// `--run-id NAME`: the run folder's name.
    pub run_id: Option<String>,
    /// `--resume DIR`: continue that run folder (with its own configuration).
    pub resume: Option<PathBuf>,
    /// `--open`: show the report when done.
    pub open: bool,
    /// The command line, recorded in `sweep.json`.
    pub command_line: Vec<String>,
    /// Where the Slurm and Kubernetes variables that pick a shard are read.
    pub env: Env,
    /// The program the workers run; `None`: this one (`current_exe`).
    pub worker_exe: Option<PathBuf>,
}

impl Request {
    /// A new comparison with `options` and nothing else asked, this
    /// process's command line and environment, and this program as workers.
    pub fn new(options: Options) -> Request {
        Request {
            options,
            config: None,
            shard: None,
            run_id: None,
            resume: None,
            open: false,
            command_line: std::env::args().collect(),
            env: process_env,
            worker_exe: None,
        }
    }
}

/// What [`plan`] found: the run folder, its grid and jobs, the data loaded
/// so far, and the seeds a resume adds (its `sweep.json` not written yet).
pub(super) struct Planned {
    pub(super) root: PathBuf,
    pub(super) manifest: SweepManifest,
    pub(super) corpora: Corpora,
    pub(super) added_seeds: Option<AddedSeeds>,
}

/// The grid, shard and run folder of a new comparison (written now), or
/// those of the folder to resume with the seeds to add to it.
pub(super) fn plan(request: &Request, log: &Log) -> Result<Planned> {
    match &request.resume {
        Some(dir) => plan_resume(request, dir),
        None => plan_new(request, log),
    }
}

/// `--resume DIR`: the folder's own plan, with `--seeds` added to it.
fn plan_resume(request: &Request, dir: &Path) -> Result<Planned> {
    let more = request.options.more_seeds()?;
    let manifest = load_for_resume(dir)?;
    // Each point's data is loaded (and checked) by the job loop.
    let (manifest, added_seeds) = match more {
        Some(more) => {
            let (manifest, added) = with_more_seeds(dir, &manifest, more)?;
            (manifest, Some(added))
        }
        None => (manifest, None),
    };
    Ok(Planned {
        root: dir.to_path_buf(),
        manifest,
        corpora: Corpora::default(),
        added_seeds,
    })
}

/// A new comparison: the options (flags over `--config`), the grid, the
/// shard and run id, then the run folder written ([`start_run`]).
fn plan_new(request: &Request, log: &Log) -> Result<Planned> {
    // Data paths are stored absolute, so that `compare --resume` works
    // from any folder.
    let flags = request.options.clone().data_paths_from(Path::new(""));
    let options = match &request.config {
        Some(path) => flags.or(Options::from_toml_file(path)?),
        None => flags,
    };
    let grid = options.grid()?;
    let shard = shard_choice(request, log)?;
    if let Some(s) = shard
        .as_ref()
        .filter(|_| grid.points[0].config.auto_seeds.is_some())
    {
        return Err(Error::config(
            "--seeds",
            format!(
                "auto cannot run as shard {} (from {}): each point adds seeds as its results come in; run it in one piece",
                s.shard, s.source
            ),
        ));
    }
    let run_id = run_id(request, shard.is_some())?;
    if let Some(line) = grid_line(&grid) {
        log.progress(&line);
    }
    let (root, manifest, corpora) = start_run(
        Launch {
            grid,
            shard,
            run_id,
            command_line: request.command_line.clone(),
        },
        |line| log.progress(line),
    )?;
    Ok(Planned {
        root,
        manifest,
        corpora,
        added_seeds: None,
    })
}

/// `--shard`, else the shard a Slurm array task or a Kubernetes Indexed
/// Job picks (said with `--quiet` too: it decides what this process runs).
fn shard_choice(request: &Request, log: &Log) -> Result<Option<ShardChoice>> {
    if let Some(shard) = request.shard {
        return Ok(Some(ShardChoice {
            shard,
            source: "--shard".into(),
        }));
    }
    let choice = shard_from_env(request.env)?;
    if let Some(c) = &choice {
        log.notice(&format!("shard {} (from {})", c.shard, c.source));
    }
    Ok(choice)
}

/// `--run-id`, else `slurm-<array job id>` for a shard of a Slurm array,
/// else none (the default name); checked.
fn run_id(request: &Request, sharded: bool) -> Result<Option<String>> {
    let run_id = match (&request.run_id, (request.env)("SLURM_ARRAY_JOB_ID")) {
        (Some(id), _) => Some(id.clone()),
        (None, Some(job)) if sharded => Some(format!("slurm-{job}")),
        _ => None,
    };
    if let Some(id) = &run_id {
        check_run_id(id)?;
    }
    Ok(run_id)
}

/// The line that says a grid's size: `grid: 4 configurations (--hidden
/// 16,32; --layers 1,2) x 2 models x 3 seeds = 24 jobs`; none for one point.
fn grid_line(grid: &Grid) -> Option<String> {
    if grid.points.len() < 2 {
        return None;
    }
    let axes: Vec<String> = grid
        .axes
        .iter()
        .map(|a| format!("{} {}", a.flag, a.labels().join(",")))
        .collect();
    Some(format!(
        "grid: {} configurations ({}) x {} models x {} seeds = {} jobs",
        grid.points.len(),
        axes.join("; "),
        grid.points[0].config.models.len(),
        grid.points[0].config.seeds.len(),
        all_jobs(grid).len()
    ))
}

/// `compare --resume DIR --seeds …`: writes the folder's `sweep.json` with
/// the seeds added ([`with_more_seeds`]) before any of them runs, and says
/// which seeds each point gets; the caller holds the folder's lock.
pub(super) fn record_added_seeds(
    root: &Path,
    manifest: &SweepManifest,
    added: &AddedSeeds,
    log: &Log,
) -> Result<()> {
    manifest.write(root)?;
    for (point, seeds) in added.iter().filter(|(_, s)| !s.is_empty()) {
        let at = if manifest.grid.points.len() > 1 {
            format!("{point}: ")
        } else {
            String::new()
        };
        log.progress(&format!(
            "{at}adding seeds {} to {}",
            seed_range(seeds),
            root.display()
        ));
    }
    Ok(())
}

/// Seeds in words: `4`, `4 to 9` (consecutive), else `4, 6, 9`.
pub(super) fn seed_range(seeds: &[u64]) -> String {
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
