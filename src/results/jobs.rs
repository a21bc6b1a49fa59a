//! What identifies a run and a shard: a grid's (configuration, model, seed)
//! jobs with stable ids, and the shards they are split into. Kept with the
//! records they key (`runs.csv` rows, `sweep.json`'s job list); the split
//! itself is [`crate::sweep::plan`]'s.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::config::Grid;
use crate::model::Cell;

/// One (configuration, model, seed): one worker process, one row of `runs.csv`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Job {
    /// The grid point's id (its folder name).
    pub point: String,
    /// The cell.
    pub model: Cell,
    /// The seed.
    pub seed: u64,
}

impl Job {
    /// The job's stable id, `point:model:seed` (e.g. `hidden-64_layers-2:gru:3`).
    pub fn id(&self) -> String {
        format!("{}:{}:{}", self.point, self.model.name(), self.seed)
    }

    /// Parses an id made by [`Job::id`].
    pub fn parse_id(id: &str) -> Option<Job> {
        let mut parts = id.rsplitn(3, ':');
        let seed = parts.next()?.parse().ok()?;
        let model = parts.next()?.parse().ok()?;
        let point = parts.next()?.to_string();
        Some(Job { point, model, seed })
    }
}

impl std::str::FromStr for Job {
    type Err = String;

    /// A job from its id ([`Job::id`]), for the worker's `--job`.
    fn from_str(id: &str) -> Result<Self, Self::Err> {
        Job::parse_id(id).ok_or_else(|| format!("`{id}` is not a job id (point:model:seed)"))
    }
}

/// Every job of `grid`, in run order: point by point, seed by seed, the
/// models interleaved within a seed (LSTM seed 1, GRU seed 1, LSTM seed 2, …).
pub fn all_jobs(grid: &Grid) -> Vec<Job> {
    let mut jobs = Vec::new();
    for point in &grid.points {
        for &seed in &point.config.seeds {
            for &model in &point.config.models {
                jobs.push(Job {
                    point: point.id.clone(),
                    model,
                    seed,
                });
            }
        }
    }
    jobs
}

/// Shard `index` of `count` (1-based: `2/3` is the second of three).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// 1..=count.
    pub index: usize,
    /// Number of shards.
    pub count: usize,
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Shard, String> {
        let bad = || format!("`{s}` is not I/N with 1 <= I <= N (e.g. 2/3)");
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let index: usize = i.trim().parse().map_err(|_| bad())?;
        let count: usize = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || index == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl Shard {
    /// The folder of this shard inside the run folder: `shard-2-of-3`.
    pub fn dir_name(&self) -> String {
        format!("shard-{}-of-{}", self.index, self.count)
    }
}

/// Where a shard assignment came from, recorded in `sweep.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShardChoice {
    /// The shard.
    pub shard: Shard,
    /// `--shard`, or the environment variables it was read from.
    pub source: String,
}
