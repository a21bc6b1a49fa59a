//! The report's first layer: a run folder's files read into typed values
//! ([`RunFiles`]), and a sweep folder's manifest with each point's files
//! ([`SweepFiles`]). Nothing here draws, formats or decides.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::analysis::kernel_split::kernel_split;
use crate::analysis::summary::{Summary, summarize_planned};
use crate::analysis::time_to_target::{reached, target, time_to_target};
use crate::error::{Error, Result};
use crate::model::{Cell, ModelShape};
use crate::results::attempts::{self, standing_epochs, standing_runs};
use crate::results::{
    EnvironmentFile, EpochRecord, GradientFlowRow, KernelCheckRow, RunManifest, RunRecord,
    SweepManifest, files, point_dir, read_csv_whole,
};
use crate::sweep::plan::Job;

/// The files of one run folder, read and typed.
#[derive(Debug, Clone)]
pub struct RunFiles {
    /// The folder.
    pub dir: PathBuf,
    /// `config.json` (required).
    pub config: RunManifest,
    /// `environment.json` (`None` when absent).
    pub environment: Option<EnvironmentFile>,
    /// `epochs.csv` rows of the attempts whose timing stands (see
    /// [`crate::results::attempts`]; none when absent): what every aggregate reads.
    pub epochs: Vec<EpochRecord>,
    /// `runs.csv` rows of the attempts whose timing stands (none when absent,
    /// e.g. interrupted in the first run): what every aggregate reads.
    pub runs: Vec<RunRecord>,
    /// Every `epochs.csv` row, re-run attempts included.
    pub all_epochs: Vec<EpochRecord>,
    /// Every `runs.csv` row, re-run attempts included.
    pub all_runs: Vec<RunRecord>,
    /// `gradient_flow.csv` rows (none when absent).
    pub gradient: Vec<GradientFlowRow>,
    /// `kernel_check.csv` rows (none when absent).
    pub kernel_check: Vec<KernelCheckRow>,
    /// The CSV files whose last line was cut short (the run was stopped in
    /// the middle of writing it: a power cut, a SIGKILL); that line is left out.
    pub cut_off: Vec<&'static str>,
}

impl RunFiles {
    /// The kernel each model's finished runs trained on (one entry per model
    /// and kernel, in name order).
    pub fn kernels(&self) -> Vec<(crate::model::Cell, crate::probe::kernel::Kernel)> {
        let mut kernels: Vec<_> = self
            .runs
            .iter()
            .filter(|r| r.status == crate::results::RunStatus::Ok)
            .filter_map(|r| Some((r.model, r.kernel?)))
            .collect();
        kernels.sort_by_key(|(m, k)| (m.name(), k.name()));
        kernels.dedup();
        kernels
    }

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
        let mut cut_off = Vec::new();
        let all_epochs = attempts::union_epochs(
            read_whole(dir, files::EPOCHS, &mut cut_off)?,
            read_whole(dir, files::EPOCHS_ATTEMPTS, &mut cut_off)?,
        );
        let all_runs = attempts::union_runs(
            read_whole(dir, files::RUNS, &mut cut_off)?,
            read_whole(dir, files::RUNS_ATTEMPTS, &mut cut_off)?,
        );
        let gradient = read_whole(dir, files::GRADIENT_FLOW, &mut cut_off)?;
        let kernel_check = read_whole(dir, files::KERNEL_CHECK, &mut cut_off)?;
        Ok(RunFiles {
            dir: dir.to_path_buf(),
            config: RunManifest::load(dir)?,
            environment: EnvironmentFile::load(dir)?,
            epochs: standing_epochs(&all_epochs, &all_runs),
            runs: standing_runs(&all_runs),
            all_epochs,
            all_runs,
            gradient,
            kernel_check,
            cut_off,
        })
    }

    /// The note for a folder with a cut-off line ([`RunFiles::cut_off`]):
    /// what was left out and how to continue the run; `None` when whole.
    pub fn cut_off_note(&self) -> Option<String> {
        cut_off_note(&self.dir, &self.cut_off)
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
                channels: m.channels as i64,
                embed_size: m.config.embed,
                hidden_size: s.hidden_size,
                layers: m.config.layers,
                bidirectional: m.config.bidirectional,
                classes: m.classes.len() as i64,
                positions: m.config.max_len as i64,
                pooling: m.config.pooling.for_model(s.model),
            })
            .collect()
    }

    /// The summary of these files (only `ok` runs counted).
    pub fn summary(&self) -> Summary {
        let models = self.models();
        let mut summary = summarize_planned(&self.runs, &models, &self.planned_seeds());
        if let Some(timing) = summary.timing.as_mut() {
            timing.add_replaced(&self.all_runs, &self.runs);
        }
        summary.seeds_auto = self.config.config.auto_seeds.map(|rule| {
            crate::analysis::auto_seeds::decide(
                &self.runs,
                &models,
                self.planned_seeds().len(),
                &rule,
                crate::analysis::auto_seeds::seeds_per_round(self.config.config.jobs, models.len()),
            )
        });
        let pairs: Vec<(Cell, Cell)> = summary.pairs.iter().map(|p| (p.a, p.b)).collect();
        summary.kernel_check = kernel_split(&self.kernel_check, &models, &pairs);
        summary.time_to_target = target(self.config.config.target_acc, &self.runs, &models)
            .map(|goal| time_to_target(&self.epochs, &self.runs, &models, &pairs, goal));
        summary
    }

    /// Every row of `runs.csv` (all attempts) with `secs_to_target` and
    /// `epochs_to_target` filled in for `target` (`goal`; from the attempt's
    /// own rows of `epochs.csv`).
    pub fn runs_with_time_to_target(
        &self,
        target: f64,
        goal: crate::analysis::time_to_target::Goal,
    ) -> Vec<RunRecord> {
        self.all_runs
            .iter()
            .map(|r| {
                let attempt: Vec<EpochRecord> = self
                    .all_epochs
                    .iter()
                    .filter(|e| e.attempt == r.attempt)
                    .cloned()
                    .collect();
                let hit = reached(&attempt, r.model, r.seed, target, goal)
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
            files::RUNS_ATTEMPTS,
            files::EPOCHS_ATTEMPTS,
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
                let has_run = dir.join(files::CONFIG).is_file();
                let run = has_run.then(|| RunFiles::load(&dir)).transpose()?;
                Ok(PointFiles { dir, run })
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

/// The rows of `dir/name`, its cut-off last line (if any) left out and
/// its name added to `cut_off`.
fn read_whole<T: serde::de::DeserializeOwned>(
    dir: &Path,
    name: &'static str,
    cut_off: &mut Vec<&'static str>,
) -> Result<Vec<T>> {
    let (rows, cut) = read_csv_whole(&dir.join(name))?;
    if cut {
        cut_off.push(name);
    }
    Ok(rows)
}

/// The folder `compare --resume` takes for the run folder `dir`: the sweep's
/// root for a point folder (`ROOT/points/<id>/`), else `dir` itself.
fn resume_folder(dir: &Path) -> &Path {
    dir.parent()
        .filter(|p| p.file_name().is_some_and(|n| n == "points"))
        .and_then(Path::parent)
        .filter(|root| root.join(files::SWEEP).is_file())
        .unwrap_or(dir)
}

fn cut_off_note(dir: &Path, cut: &[&str]) -> Option<String> {
    if cut.is_empty() {
        return None;
    }
    let resume = resume_folder(dir);
    Some(format!(
        "The run was cut off: the last line of {} in {} was written only in part (the process stopped mid-write, e.g. a power cut) and is left out. `compare --resume {}` continues the run.",
        cut.join(" and "),
        dir.display(),
        resume.display()
    ))
}

/// The cut-off notes ([`RunFiles::cut_off_note`]) of the run folder `dir`, or
/// of every point folder of the sweep folder `dir`, for the terminal.
pub fn cut_off_notes(dir: &Path) -> Vec<String> {
    let mut dirs = vec![dir.to_path_buf()];
    if let Ok(entries) = std::fs::read_dir(dir.join("points")) {
        let mut points: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        points.sort();
        dirs.extend(points);
    }
    dirs.iter()
        .filter_map(|d| {
            let cut: Vec<&str> = [
                files::EPOCHS,
                files::RUNS,
                files::GRADIENT_FLOW,
                files::KERNEL_CHECK,
            ]
            .into_iter()
            .filter(|name| ends_cut(&d.join(name)))
            .collect();
            cut_off_note(d, &cut)
        })
        .collect()
}

/// Whether the file at `path` exists, is not empty and does not end with a newline.
fn ends_cut(path: &Path) -> bool {
    use std::io::{Read, Seek, SeekFrom};
    let Ok(mut file) = std::fs::File::open(path) else {
        return false;
    };
    let mut last = [0u8; 1];
    file.seek(SeekFrom::End(-1)).is_ok() && file.read_exact(&mut last).is_ok() && last[0] != b'\n'
}
