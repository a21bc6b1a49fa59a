//! The JSON manifests of a run folder, typed: `config.json` ([`RunManifest`],
//! one per grid point), `sweep.json` ([`SweepManifest`], one per run or
//! shard folder) and `environment.json` ([`EnvironmentFile`]). `compare`
//! writes them, the worker, `--resume` and `report` read them back.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::files;
use super::io::{read_json, write_json_atomic};
use super::jobs::{Job, ShardChoice, all_jobs};
use crate::config::{Config, Grid, GridPoint};
use crate::data::DatasetIdentity;
use crate::error::{Error, Result};
use crate::model::Cell;
use crate::probe::environment::Environment;

/// One model's size in a comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelSize {
    /// The cell.
    pub model: Cell,
    /// Its hidden size.
    pub hidden_size: i64,
    /// Its whole-classifier parameter count.
    pub params: i64,
    /// How its states were pooled for the head (`--pooling`, resolved for
    /// this model); `last` in files written before the option existed.
    #[serde(default)]
    pub pooling: crate::model::Pooling,
}

/// One run folder a merged report was made from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MergedFrom {
    /// The folder, as given to `report`.
    pub dir: String,
    /// Its run id.
    pub run_id: String,
    /// The seeds it planned.
    pub seeds: Vec<u64>,
    /// The command line that started it (empty for a merge of merges).
    #[serde(default)]
    pub command_line: Vec<String>,
}

/// The content of `config.json`: one grid point's resolved configuration,
/// model sizes and data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunManifest {
    /// The run folder's name.
    pub run_id: String,
    /// The command line that started the run (absent in a merged folder).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub command_line: Vec<String>,
    /// The resolved configuration.
    pub config: Config,
    /// Hidden size and parameter count of each model.
    pub model_sizes: Vec<ModelSize>,
    /// Classes in index order.
    pub classes: Vec<String>,
    /// Vocabulary size actually built (first seed), `<pad>` and `<unk>` included.
    pub vocab_size_built: usize,
    /// Channels per step of numeric series (the linear input layer's
    /// width); 0 for text.
    #[serde(default)]
    pub channels: usize,
    /// The dataset's identity.
    pub dataset: DatasetIdentity,
    /// Fraction of the test split's tokens that are `<unk>` to the first
    /// seed's vocabulary (absent in files written before it was recorded).
    #[serde(default)]
    pub test_unknown_token_rate: Option<f64>,
    /// Warnings about the data (mixed label kinds, classes without test
    /// examples, a high unknown-token rate), as printed when the run started.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub data_warnings: Vec<String>,
    /// For a merged folder: the folders it was merged from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merged_from: Vec<MergedFrom>,
    /// For a merged folder: what the merge noticed (duplicates, partial grids).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merge_notes: Vec<String>,
}

/// How a merge's note on a (model, seed) found in two folders begins (one
/// of [`RunManifest::merge_notes`]).
pub const DUPLICATE_NOTE: &str = "Duplicate: ";

impl RunManifest {
    /// The merge's notes on runs found in more than one folder and counted
    /// once (those of [`RunManifest::merge_notes`] that begin with
    /// [`DUPLICATE_NOTE`]).
    pub fn duplicate_notes(&self) -> impl Iterator<Item = &str> {
        self.merge_notes
            .iter()
            .map(String::as_str)
            .filter(|n| n.starts_with(DUPLICATE_NOTE))
    }

    /// Reads `dir/config.json`.
    pub fn load(dir: &Path) -> Result<RunManifest> {
        read_json(&dir.join(files::CONFIG))
    }

    /// Writes `dir/config.json` atomically.
    pub fn write(&self, dir: &Path) -> Result<()> {
        write_json_atomic(&dir.join(files::CONFIG), self)
    }

    /// The size of `model` in this run, if it is one of its models.
    pub fn size_of(&self, model: Cell) -> Option<&ModelSize> {
        self.model_sizes.iter().find(|s| s.model == model)
    }
}

/// The content of `environment.json`: one machine, or, in a folder merged
/// from runs on different machines, each run's (keyed by run id).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum EnvironmentFile {
    /// The machine every run of the folder ran on.
    One(Box<Environment>),
    /// Per run id, the machine that run ran on.
    PerRun(BTreeMap<String, Environment>),
}

impl EnvironmentFile {
    /// Reads `dir/environment.json`; `None` when the file is absent.
    pub fn load(dir: &Path) -> Result<Option<EnvironmentFile>> {
        let path = dir.join(files::ENVIRONMENT);
        if !path.is_file() {
            return Ok(None);
        }
        read_json(&path).map(Some)
    }

    /// The machine of the folder's first run.
    pub fn first(&self) -> Option<&Environment> {
        match self {
            EnvironmentFile::One(e) => Some(e),
            EnvironmentFile::PerRun(map) => map.values().next(),
        }
    }
}

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
    /// Worker processes that run at once (`--jobs`; the largest of the
    /// points', which are all the same in a run made by `compare`; at least 1).
    pub fn width(&self) -> usize {
        self.grid
            .points
            .iter()
            .map(|p| p.config.jobs)
            .max()
            .unwrap_or(1)
            .max(1)
    }

    /// Reads `dir/sweep.json`.
    pub fn load(dir: &Path) -> Result<SweepManifest> {
        read_json(&dir.join(files::SWEEP))
    }

    /// Reads `dir/sweep.json`, or, for a run folder without one (written
    /// before sweeps existed, or a merge of such folders), makes a one-point
    /// grid from its `config.json`.
    pub fn load_any(dir: &Path) -> Result<SweepManifest> {
        if dir.join(files::SWEEP).is_file() {
            return SweepManifest::load(dir);
        }
        if !dir.join(files::CONFIG).is_file() {
            return Err(Error::results(
                dir,
                format!(
                    "not a run folder: neither {} nor {} is there",
                    files::SWEEP,
                    files::CONFIG
                ),
            ));
        }
        let run = RunManifest::load(dir)?;
        let grid = Grid {
            axes: Vec::new(),
            points: vec![GridPoint {
                id: "base".into(),
                values: Vec::new(),
                config: run.config,
            }],
        };
        let jobs = all_jobs(&grid);
        Ok(SweepManifest {
            run_id: run.run_id,
            command_line: run.command_line,
            jobs_total: jobs.len(),
            grid,
            shard: None,
            jobs: jobs.iter().map(Job::id).collect(),
            merged_from: Vec::new(),
        })
    }

    /// Writes `dir/sweep.json` atomically.
    pub fn write(&self, dir: &Path) -> Result<()> {
        write_json_atomic(&dir.join(files::SWEEP), self)
    }

    /// This folder's jobs, parsed.
    pub fn parsed_jobs(&self, dir: &Path) -> Result<Vec<Job>> {
        self.jobs
            .iter()
            .map(|id| {
                Job::parse_id(id).ok_or_else(|| {
                    Error::results(
                        dir.join(files::SWEEP),
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
        root.join(files::POINTS_DIR).join(point_id)
    }
}
