//! Sweeps: a grid of configurations x models x seeds, split into shards for
//! several machines, resumed after an interruption, merged afterwards.
//!
//! - [`plan`]: jobs, their stable ids, shards and scheduler array indices;
//! - [`resume`]: which jobs of a run folder are finished, and pruning the
//!   rows of unfinished ones.
//!
//! A run folder holds `sweep.json` ([`SweepManifest`]). With one grid point
//! the point's files (`config.json`, `epochs.csv`, …) sit in the run folder
//! itself, as for a plain comparison; with several, each point has its own
//! run folder `points/<point-id>/`. A shard writes the same layout under
//! `<run-id>/shard-I-of-N/`.

pub mod plan;
pub mod resume;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::config::{Grid, GridPoint};
use crate::error::{Error, Result};
use crate::record::{read_json, write_json_atomic};
use plan::{Job, ShardChoice};

/// File name of the sweep manifest in a run folder.
pub const SWEEP_FILE: &str = "sweep.json";

/// Folder of the grid points inside a run folder with several points.
pub const POINTS_DIR: &str = "points";

/// The content of `sweep.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepManifest {
    /// The run's id (the run folder's name, or the parent's for a shard).
    pub run_id: String,
    /// The command line that started it.
    pub command_line: Vec<String>,
    /// Every configuration of the grid (all shards'), with swept axes.
    pub grid: Grid,
    /// Number of jobs in the whole grid.
    pub jobs_total: usize,
    /// The shard this folder holds, if the grid was split.
    pub shard: Option<ShardChoice>,
    /// Ids of this folder's jobs, in run order.
    pub jobs: Vec<String>,
    /// For a merged folder: the folders it was merged from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merged_from: Vec<String>,
}

impl SweepManifest {
    /// Reads `dir/sweep.json`.
    pub fn load(dir: &Path) -> Result<SweepManifest> {
        read_json(&dir.join(SWEEP_FILE))
    }

    /// Reads `dir/sweep.json`, or, for a run folder without one (written
    /// before sweeps existed, or a merge of such folders), makes a one-point
    /// grid from its `config.json`.
    pub fn load_any(dir: &Path) -> Result<SweepManifest> {
        if dir.join(SWEEP_FILE).is_file() {
            return SweepManifest::load(dir);
        }
        let config_path = dir.join(crate::record::files::CONFIG);
        if !config_path.is_file() {
            return Err(Error::results(
                dir,
                format!(
                    "not a run folder: neither {SWEEP_FILE} nor {} is there",
                    crate::record::files::CONFIG
                ),
            ));
        }
        let run: serde_json::Value = read_json(&config_path)?;
        let config: crate::config::Config =
            serde_json::from_value(run["config"].clone()).map_err(|e| {
                Error::results(&config_path, format!("not an rnnbench configuration: {e}"))
            })?;
        let grid = Grid {
            axes: Vec::new(),
            points: vec![GridPoint {
                id: "base".into(),
                values: Vec::new(),
                config,
            }],
        };
        let jobs = plan::all_jobs(&grid);
        Ok(SweepManifest {
            run_id: run["run_id"].as_str().unwrap_or_default().to_string(),
            command_line: serde_json::from_value(run["command_line"].clone()).unwrap_or_default(),
            jobs_total: jobs.len(),
            grid,
            shard: None,
            jobs: jobs.iter().map(Job::id).collect(),
            merged_from: Vec::new(),
        })
    }

    /// Writes `dir/sweep.json` atomically.
    pub fn write(&self, dir: &Path) -> Result<()> {
        write_json_atomic(&dir.join(SWEEP_FILE), self)
    }

    /// This folder's jobs, parsed.
    pub fn parsed_jobs(&self, dir: &Path) -> Result<Vec<Job>> {
        self.jobs
            .iter()
            .map(|id| {
                Job::parse_id(id).ok_or_else(|| {
                    Error::results(
                        dir.join(SWEEP_FILE),
                        format!("`{id}` is not a job id (point:model:seed)"),
                    )
                })
            })
            .collect()
    }

    /// The grid point `id`.
    pub fn point(&self, id: &str) -> Option<&GridPoint> {
        self.grid.points.iter().find(|p| p.id == id)
    }
}

/// Folder of grid point `point_id` inside the run folder `root`: `root`
/// itself for a one-point grid, else `root/points/<point_id>`.
pub fn point_dir(root: &Path, grid: &Grid, point_id: &str) -> PathBuf {
    if grid.points.len() == 1 {
        root.to_path_buf()
    } else {
        root.join(POINTS_DIR).join(point_id)
    }
}

/// Checks a run id given with `--run-id`: letters, digits, `.`, `_`, `-`.
pub fn check_run_id(id: &str) -> Result<()> {
    let ok = !id.is_empty()
        && !id.starts_with('.')
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(Error::config(
            "--run-id",
            format!("`{id}` must be letters, digits, `.`, `_` or `-` (a folder name)"),
        ))
    }
}
