//! The report's first layer: a run folder's files read into typed values
//! ([`RunFiles`]), and a sweep folder's manifest with each point's files
//! ([`SweepFiles`]). Nothing here draws, formats or decides.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::kernel_split::kernel_split;
use crate::model::{Cell, ModelShape};
use crate::results::{
    EnvironmentFile, EpochRecord, GradientFlowRow, KernelCheckRow, RunManifest, RunRecord,
    SweepManifest, files, point_dir, read_csv,
};
use crate::summary::{Summary, summarize_planned};
use crate::sweep::plan::Job;
use crate::time_to_target::{reached, target, time_to_target};

/// The files of one run folder, read and typed.
#[derive(Debug, Clone)]
pub struct RunFiles {
    /// The folder.
    pub dir: PathBuf,
    /// `config.json` (required).
    pub config: RunManifest,
    /// `environment.json` (`None` when absent).
    pub environment: Option<EnvironmentFile>,
    /// `epochs.csv` rows (none when absent).
    pub epochs: Vec<EpochRecord>,
    /// `runs.csv` rows (none when absent, e.g. interrupted in the first run).
    pub runs: Vec<RunRecord>,
    /// `gradient_flow.csv` rows (none when absent).
    pub gradient: Vec<GradientFlowRow>,
    /// `kernel_check.csv` rows (none when absent).
    pub kernel_check: Vec<KernelCheckRow>,
}

impl RunFiles {
    /// Reads the run folder `dir`; `config.json` must exist, the other files
    /// are optional.
    pub fn load(dir: &Path) -> Result<RunFiles> {
        if !dir.is_dir() {
            return Err(Error::results(dir, "not a run folder (no such directory)"));
        }
        if !dir.join(files::CONFIG).is_file() {
            return Err(Error::results(
                dir,
                format!("not a run folder: {} is missing", files::CONFIG),
            ));
        }
        Ok(RunFiles {
            dir: dir.to_path_buf(),
            config: RunManifest::load(dir)?,
            environment: EnvironmentFile::load(dir)?,
            epochs: read_csv(&dir.join(files::EPOCHS))?,
            runs: read_csv(&dir.join(files::RUNS))?,
            gradient: read_csv(&dir.join(files::GRADIENT_FLOW))?,
            kernel_check: read_csv(&dir.join(files::KERNEL_CHECK))?,
        })
    }

    /// The models of the configuration, in its order.
    pub fn models(&self) -> Vec<Cell> {
        self.config.config.models.clone()
    }

    /// The seeds of the configuration (`config.seeds`), ascending.
    pub fn planned_seeds(&self) -> Vec<u64> {
        let seeds: BTreeSet<u64> = self.config.config.seeds.iter().copied().collect();
        seeds.into_iter().collect()
    }

    /// The run id from `config.json`, else the folder's name.
    pub fn run_id(&self) -> String {
        if !self.config.run_id.is_empty() {
            return self.config.run_id.clone();
        }
        self.dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| self.dir.display().to_string())
    }

    /// Each model's shape, from `config.json` (its sizes, the vocabulary
    /// and classes the data gave).
    pub fn model_shapes(&self) -> Vec<ModelShape> {
        let m = &self.config;
        m.model_sizes
            .iter()
            .map(|s| ModelShape {
                cell: s.model,
                vocab_size: m.vocab_size_built as i64,
                embed_size: m.config.embed,
                hidden_size: s.hidden_size,
                layers: m.config.layers,
                bidirectional: m.config.bidirectional,
                classes: m.classes.len() as i64,
            })
            .collect()
    }

    /// The summary of these files (only `ok` runs counted).
    pub fn summary(&self) -> Summary {
        let models = self.models();
        let mut summary = summarize_planned(&self.runs, &models, &self.planned_seeds());
        let pairs: Vec<(Cell, Cell)> = summary.pairs.iter().map(|p| (p.a, p.b)).collect();
        summary.kernel_check = kernel_split(&self.kernel_check, &models, &pairs);
        summary.time_to_target = target(self.config.config.target_acc, &self.runs, &models)
            .map(|(t, rule)| time_to_target(&self.epochs, &self.runs, &models, &pairs, t, rule));
        summary
    }

    /// `runs.csv`'s rows with `secs_to_target` and `epochs_to_target` filled
    /// in for `target` (from `epochs.csv`).
    pub fn runs_with_time_to_target(&self, target: f64) -> Vec<RunRecord> {
        self.runs
            .iter()
            .map(|r| {
                let hit = reached(&self.epochs, r.model, r.seed, target)
                    .filter(|_| r.status == crate::results::RunStatus::Ok);
                let mut r = r.clone();
                r.secs_to_target = hit.map(|h| h.secs);
                r.epochs_to_target = hit.map(|h| h.epochs);
                r
            })
            .collect()
    }

    /// The data files present in the folder, in the order the page lists them.
    pub fn data_files(&self) -> Vec<String> {
        [
            files::CONFIG,
            files::ENVIRONMENT,
            files::EPOCHS,
            files::RUNS,
            files::SUMMARY,
            files::GRADIENT_FLOW,
        ]
        .into_iter()
        .filter(|f| self.dir.join(f).is_file())
        .map(str::to_string)
        .collect()
    }
}

/// One grid point of a sweep folder.
#[derive(Debug, Clone)]
pub struct PointFiles {
    /// The point's id.
    pub id: String,
    /// Its folder.
    pub dir: PathBuf,
    /// Its files; `None` when the folder holds none of its runs.
    pub run: Option<RunFiles>,
}

/// A sweep folder: `sweep.json`, its jobs and every point's files.
#[derive(Debug, Clone)]
pub struct SweepFiles {
    /// The folder.
    pub root: PathBuf,
    /// `sweep.json`.
    pub manifest: SweepManifest,
    /// This folder's jobs, parsed.
    pub jobs: Vec<Job>,
    /// Per grid point, in grid order.
    pub points: Vec<PointFiles>,
}

impl SweepFiles {
    /// Reads the sweep folder `root`.
    pub fn load(root: &Path) -> Result<SweepFiles> {
        let manifest = SweepManifest::load(root)?;
        let jobs = manifest.parsed_jobs(root)?;
        let points = manifest
            .grid
            .points
            .iter()
            .map(|p| {
                let dir = point_dir(root, &manifest.grid, &p.id);
                let run = if dir.join(files::CONFIG).is_file() {
                    Some(RunFiles::load(&dir)?)
                } else {
                    None
                };
                Ok(PointFiles {
                    id: p.id.clone(),
                    dir,
                    run,
                })
            })
            .collect::<Result<_>>()?;
        Ok(SweepFiles {
            root: root.to_path_buf(),
            manifest,
            jobs,
            points,
        })
    }
}
