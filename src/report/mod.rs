//! The report: charts (PNG) and a self-contained HTML page rendered from a run
//! folder's files, and the merging of several runs of one configuration.
//!
//! - [`series`]: pure functions from records to chart series;
//! - [`charts`]: one `draw_*` function per chart, fixed palette, embedded font;
//! - [`findings`]: sentences derived from the summary's numbers;
//! - [`html`]: the page.

pub mod bench;
pub mod charts;
pub mod findings;
pub mod html;
pub mod series;
pub mod sweep;
pub mod table;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::error::{Error, Result};
use crate::kernel_split::kernel_split;
use crate::model::Cell;
use crate::probe::environment::Environment;
use crate::results::{
    CsvAppender, EnvironmentFile, EpochRecord, GradientFlowRow, KernelCheckRow, MergedFrom,
    RunManifest, RunRecord, RunStatus, files, read_csv, write_json_atomic,
};
use crate::summary::{Summary, summarize_planned};
use html::{Figure, Page};

/// File names of the charts the report writes next to `report.html`.
pub mod chart_files {
    /// Validation accuracy per epoch.
    pub const VAL_ACC: &str = "val_acc.png";
    /// Training and validation loss per epoch.
    pub const LOSS: &str = "loss.png";
    /// Validation accuracy against cumulative training time.
    pub const ACC_VS_TIME: &str = "val_acc_vs_time.png";
    /// Test accuracy per seed with means and CIs.
    pub const TEST_ACC: &str = "test_acc.png";
    /// Seconds per epoch, tokens per second, peak memory.
    pub const COST: &str = "cost.png";
    /// Gradient norm per input time step (only with `gradient_flow.csv`).
    pub const GRADIENT_FLOW: &str = "gradient_flow.png";
}

/// Configuration keys that may differ between runs that are merged.
/// `quiet` only changes what is printed while training.
const MERGEABLE_KEYS: [&str; 5] = ["seeds", "threads", "out", "run_id", "quiet"];

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

    /// The summary of these files (only `ok` runs counted).
    pub fn summary(&self) -> Summary {
        let models = self.models();
        let mut summary = summarize_planned(&self.runs, &models, &self.planned_seeds());
        let pairs: Vec<(Cell, Cell)> = summary.pairs.iter().map(|p| (p.a, p.b)).collect();
        summary.kernel_check = kernel_split(&self.kernel_check, &models, &pairs);
        summary
    }
}

/// What [`finish_run`] produced.
#[derive(Debug, Clone, PartialEq)]
pub struct FinishedRun {
    /// The report page, `dir/report.html`.
    pub html: PathBuf,
    /// The headline table and the sentences as plain text, for the terminal.
    pub table: String,
}

/// Renders the report of the run in `dir` (as [`render_run`]) and returns the
/// page's path with a plain-text headline for the terminal. `compare` calls
/// this when a run ends (also after Ctrl-C).
pub fn finish_run(dir: &Path) -> Result<FinishedRun> {
    let html = render_run(dir)?;
    let table = table::terminal_table(&RunFiles::load(dir)?.summary());
    Ok(FinishedRun { html, table })
}

/// Re-renders `dir/report.html`, its PNGs and `dir/summary.json` (recomputed
/// from `runs.csv`) from the files in `dir`. Returns the page's path.
pub fn render_run(dir: &Path) -> Result<PathBuf> {
    let run = RunFiles::load(dir)?;
    let models = run.models();
    let summary = run.summary();
    summary.write(&dir.join(files::SUMMARY))?;

    let mut figures = Vec::new();
    let mut add = |file: &str, alt: &str, caption: &str| {
        figures.push(Figure {
            file: file.into(),
            alt: alt.into(),
            caption: caption.into(),
        });
        dir.join(file)
    };
    charts::draw_val_acc(
        &add(
            chart_files::VAL_ACC,
            "Line chart of mean validation accuracy per epoch for each model, with a min–max band over seeds",
            "Validation accuracy per epoch: mean over seeds, shaded band from the lowest to the highest seed.",
        ),
        &series::epoch_band(&run.epochs, &models, |e| e.val_acc),
    )?;
    charts::draw_loss(
        &add(
            chart_files::LOSS,
            "Two line charts: training loss and validation loss per epoch for each model",
            "Training (left) and validation (right) cross-entropy loss in nats: mean over seeds, band from lowest to highest.",
        ),
        &series::epoch_band(&run.epochs, &models, |e| e.train_loss),
        &series::epoch_band(&run.epochs, &models, |e| e.val_loss),
    )?;
    charts::draw_acc_vs_time(
        &add(
            chart_files::ACC_VS_TIME,
            "Validation accuracy against cumulative training seconds, one line per model and seed",
            "Validation accuracy against cumulative training time (evaluation excluded), one line per seed.",
        ),
        &series::val_acc_vs_time(&run.epochs, &models),
    )?;
    let dataset = run.config.dataset.name.as_str();
    let references = if matches!(dataset, "imdb" | "imdb-mini") {
        charts::imdb_references()
    } else {
        Vec::new()
    };
    let ref_caption = if references.is_empty() {
        String::new()
    } else {
        " Grey: published IMDB test accuracies on the full 25,000-review test set (Maas et al. 2011; Dai & Le 2015; a popular PyTorch tutorial); a small subset such as imdb-mini is not expected to reach them.".to_string()
    };
    charts::draw_test_acc(
        &add(
            chart_files::TEST_ACC,
            "Test accuracy of each seed as dots per model, with the mean and its 95% confidence interval",
            &format!(
                "Test accuracy of the best-validation checkpoint: one dot per seed, the mean as a bar, its 95% CI as a whisker (absent with one seed).{ref_caption}"
            ),
        ),
        &series::per_seed(&run.runs, &models, |r| r.test_acc),
        &references,
    )?;
    charts::draw_cost(
        &add(
            chart_files::COST,
            "Three panels per model: seconds per epoch, training tokens per second, peak resident memory",
            "Cost per model: training seconds per epoch, real (non-padding) training tokens per second, peak resident memory of the process; dots are seeds, bars means, whiskers min–max.",
        ),
        &series::per_seed(&run.runs, &models, |r| r.secs_per_epoch),
        &series::tokens_per_sec_per_seed(&run.epochs, &run.runs, &models),
        &series::per_seed(&run.runs, &models, |r| r.peak_rss_bytes as f64),
    )?;
    if !run.gradient.is_empty() {
        charts::draw_gradient_flow(
            &add(
                chart_files::GRADIENT_FLOW,
                "Gradient norm per input time step on a log scale, per model, at initialisation and after training",
                "Gradient flow: norm of the loss gradient reaching each input time step (log scale); dashed at initialisation, solid after training.",
            ),
            &series::gradient_flow(&run.gradient, &models),
        )?;
    }

    let mut warnings: Vec<String> = run.config.merge_notes.clone();
    for d in &summary.duplicates {
        warnings.push(format!(
            "{} has more than one row for {} seed {}; one was counted (the first ok row, else the first).",
            files::RUNS,
            d.model.display_name(),
            d.seed
        ));
    }
    let data_files: Vec<String> = [
        files::CONFIG,
        files::ENVIRONMENT,
        files::EPOCHS,
        files::RUNS,
        files::SUMMARY,
        files::GRADIENT_FLOW,
    ]
    .into_iter()
    .filter(|f| dir.join(f).is_file())
    .map(str::to_string)
    .collect();
    let page = html::render_page(&Page {
        run_id: run.run_id(),
        config: &run.config,
        environment: run.environment.as_ref(),
        summary: &summary,
        runs: &run.runs,
        figures: &figures,
        files: &data_files,
        warnings: &warnings,
    });
    let path = dir.join(files::REPORT);
    std::fs::write(&path, page).map_err(|e| Error::io(&path, e))?;
    Ok(path)
}

/// `config` and `dataset` of a config.json, without the keys that may differ
/// between merged runs.
fn merge_identity(manifest: &RunManifest) -> Value {
    let mut c = serde_json::to_value(&manifest.config).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut c {
        for k in MERGEABLE_KEYS {
            map.remove(k);
        }
    }
    let dataset = serde_json::to_value(&manifest.dataset).unwrap_or(Value::Null);
    serde_json::json!({ "config": c, "dataset": dataset })
}

/// The dotted keys whose values differ between `a` and `b`.
fn differing_keys(prefix: &str, a: &Value, b: &Value, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                differing_keys(
                    &key,
                    x.get(k).unwrap_or(&Value::Null),
                    y.get(k).unwrap_or(&Value::Null),
                    out,
                );
            }
        }
        (x, y) if x != y => out.push(format!("{prefix}: {x} vs {y}")),
        _ => {}
    }
}

/// Fails, naming both folders and the differing keys, unless every run in
/// `runs` has the first one's configuration and dataset (up to the keys
/// that may differ: seeds, threads, out folder, run id).
pub fn check_mergeable(runs: &[RunFiles]) -> Result<()> {
    let Some(first) = runs.first() else {
        return Ok(());
    };
    let identity = merge_identity(&first.config);
    for other in &runs[1..] {
        let mut diff = Vec::new();
        differing_keys("", &identity, &merge_identity(&other.config), &mut diff);
        if !diff.is_empty() {
            return Err(Error::results(
                &other.dir,
                format!(
                    "cannot be merged with {}: configuration or dataset differs ({}); only runs of one configuration and dataset can be merged",
                    first.dir.display(),
                    diff.join("; ")
                ),
            ));
        }
    }
    Ok(())
}

/// Merges the runs in `dirs` (the same configuration and dataset; different
/// seeds or shards) into the new folder `out` (config.json with the union of
/// the seeds, environment.json, epochs.csv, runs.csv, gradient_flow.csv) and
/// renders it there. A (model, seed) present in several folders is counted
/// once (the first `ok` row, else the first) and named in the report's notes.
/// Fails, naming both folders, when two configurations or datasets differ;
/// refuses an `out` that already holds a run. Returns the page's path.
pub fn render_merged(dirs: &[PathBuf], out: &Path) -> Result<PathBuf> {
    if dirs.is_empty() {
        return Err(Error::config("DIR", "no run folders to merge"));
    };
    let runs: Vec<RunFiles> = dirs
        .iter()
        .map(|d| RunFiles::load(d))
        .collect::<Result<_>>()?;
    let first = &runs[0];
    check_mergeable(&runs)?;
    for f in [files::CONFIG, files::RUNS, files::EPOCHS] {
        if out.join(f).exists() {
            return Err(Error::results(
                out,
                format!("already holds a run ({f}); choose a new --out folder"),
            ));
        }
    }
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;

    let mut notes = Vec::new();
    // (model, seed) -> (source index, row)
    let mut kept: BTreeMap<(Cell, u64), (usize, &RunRecord)> = BTreeMap::new();
    let mut order: Vec<(Cell, u64)> = Vec::new();
    for (i, run) in runs.iter().enumerate() {
        for r in &run.runs {
            let key = (r.model, r.seed);
            match kept.get(&key) {
                None => {
                    kept.insert(key, (i, r));
                    order.push(key);
                }
                Some(&(j, prev)) => {
                    let replace = prev.status != RunStatus::Ok && r.status == RunStatus::Ok;
                    let (src, _) = if replace { (i, r) } else { (j, prev) };
                    notes.push(format!(
                        "Duplicate: {} seed {} is in {} and in {}; counted once, from {}.",
                        r.model.display_name(),
                        r.seed,
                        runs[j].dir.display(),
                        run.dir.display(),
                        runs[src].dir.display()
                    ));
                    if replace {
                        kept.insert(key, (i, r));
                    }
                }
            }
        }
    }
    // Epochs of each (model, seed) come from one folder only: the kept run's,
    // else the first folder that has epochs for it.
    let mut epoch_source: BTreeMap<(Cell, u64), usize> =
        kept.iter().map(|(k, (i, _))| (*k, *i)).collect();
    for (i, run) in runs.iter().enumerate() {
        for e in &run.epochs {
            epoch_source.entry((e.model, e.seed)).or_insert(i);
        }
    }
    let mut seen_epochs = BTreeSet::new();
    let epochs: Vec<&EpochRecord> = runs
        .iter()
        .enumerate()
        .flat_map(|(i, run)| run.epochs.iter().map(move |e| (i, e)))
        .filter(|(i, e)| epoch_source.get(&(e.model, e.seed)) == Some(i))
        .filter(|(_, e)| seen_epochs.insert((e.model, e.seed, e.epoch)))
        .map(|(_, e)| e)
        .collect();
    let mut gradient_source: BTreeMap<Cell, usize> = BTreeMap::new();
    for (i, run) in runs.iter().enumerate() {
        for g in &run.gradient {
            gradient_source.entry(g.model).or_insert(i);
        }
    }
    let gradient: Vec<&GradientFlowRow> = runs
        .iter()
        .enumerate()
        .flat_map(|(i, run)| run.gradient.iter().map(move |g| (i, g)))
        .filter(|(i, g)| gradient_source.get(&g.model) == Some(i))
        .map(|(_, g)| g)
        .collect();

    let mut seeds: BTreeSet<u64> = runs.iter().flat_map(|r| r.planned_seeds()).collect();
    seeds.extend(kept.keys().map(|k| k.1));
    let out_name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "merged".into());
    notes.insert(
        0,
        format!(
            "Merged from {} runs: {}.",
            runs.len(),
            runs.iter()
                .map(|r| format!("{} ({})", r.run_id(), r.dir.display()))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    );
    let mut config = first.config.clone();
    config.run_id = out_name;
    config.command_line = Vec::new();
    config.merged_from = runs
        .iter()
        .map(|r| MergedFrom {
            dir: r.dir.display().to_string(),
            run_id: r.run_id(),
            seeds: r.planned_seeds(),
            command_line: r.config.command_line.clone(),
        })
        .collect();
    config.merge_notes = notes;
    config.config.seeds = seeds.into_iter().collect();
    let environments: Vec<(String, &EnvironmentFile)> = runs
        .iter()
        .filter_map(|r| r.environment.as_ref().map(|e| (r.run_id(), e)))
        .collect();
    let environment = if environments.len() == runs.len()
        && environments.iter().all(|(_, e)| *e == environments[0].1)
    {
        environments.first().map(|(_, e)| (*e).clone())
    } else {
        let per_run: BTreeMap<String, Environment> = environments
            .iter()
            .filter_map(|(id, e)| e.first().map(|e| (id.clone(), e.clone())))
            .collect();
        (!per_run.is_empty()).then_some(EnvironmentFile::PerRun(per_run))
    };
    config.write(out)?;
    if let Some(environment) = &environment {
        write_json_atomic(&out.join(files::ENVIRONMENT), environment)?;
    }
    let mut w = CsvAppender::open(&out.join(files::RUNS))?;
    for key in &order {
        if let Some((_, r)) = kept.get(key) {
            w.append(r)?;
        }
    }
    let mut w = CsvAppender::open(&out.join(files::EPOCHS))?;
    for e in epochs {
        w.append(e)?;
    }
    if !gradient.is_empty() {
        let mut w = CsvAppender::open(&out.join(files::GRADIENT_FLOW))?;
        for g in gradient {
            w.append(g)?;
        }
    }
    render_run(out)
}
