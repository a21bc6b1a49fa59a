//! Runs of one configuration and dataset merged into one run folder.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::error::{Error, Result};
use crate::model::Cell;
use crate::probe::environment::Environment;
use crate::report::RunFiles;
use crate::results::manifest::DUPLICATE_NOTE;
use crate::results::{
    CsvAppender, EnvironmentFile, EpochRecord, GradientFlowRow, MergedFrom, RunManifest, RunRecord,
    RunStatus, files, write_json_atomic,
};

/// Configuration keys that may differ between runs that are merged.
/// `quiet` only changes what is printed while training.
/// `remeasure` only decides whether disturbed timings are measured again,
/// `auto_seeds` only how many seeds were run.
const MERGEABLE_KEYS: [&str; 7] = [
    "seeds",
    "threads",
    "out",
    "run_id",
    "quiet",
    "remeasure",
    "auto_seeds",
];

/// `config` and `dataset` of a config.json, without the keys that may differ
/// between merged runs. Data files are named by their file name only: runs
/// store absolute paths, and the same data in two checkouts (or on two
/// machines) is the same data; the files' sha256 tells.
fn merge_identity(manifest: &RunManifest) -> Value {
    let mut c = serde_json::to_value(&manifest.config).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut c {
        for k in MERGEABLE_KEYS {
            map.remove(k);
        }
        if let Some(Value::Object(dataset)) = map.get_mut("dataset") {
            for key in ["train", "test"] {
                if let Some(v) = dataset.get_mut(key) {
                    *v = file_name_only(v);
                }
            }
            if let Some(name) = dataset.get_mut("name")
                && name.as_str().is_some_and(crate::config::dataset_is_path)
            {
                *name = file_name_only(name);
            }
        }
    }
    let mut dataset = serde_json::to_value(&manifest.dataset).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut dataset {
        // The name of a path or a train + test pair spells the paths out.
        map.remove("name");
        if let Some(Value::Array(files)) = map.get_mut("files") {
            for f in files {
                if let Some(path) = f.get_mut("path") {
                    *path = file_name_only(path);
                }
            }
        }
    }
    serde_json::json!({ "config": c, "dataset": dataset })
}

/// The last component of a path held as a JSON string; other values as
/// they are.
fn file_name_only(v: &Value) -> Value {
    match v.as_str() {
        Some(p) => Value::String(
            Path::new(p)
                .file_name()
                .map_or_else(|| p.to_string(), |n| n.to_string_lossy().into_owned()),
        ),
        None => v.clone(),
    }
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
/// seeds or shards) into the new folder `out`: config.json with the union of
/// the seeds, environment.json, epochs.csv, runs.csv (and the attempts
/// that do not stand in epochs_attempts.csv, runs_attempts.csv), gradient_flow.csv. A
/// (model, seed) present in several folders is counted once (the first `ok`
/// row, else the first) and named in `config.json`'s `merge_notes`, which
/// the report shows. Fails, naming both folders, when two configurations or
/// datasets differ; refuses an `out` that already holds a run. Writes no
/// report: render `out` with [`crate::report::render_run`].
pub fn merge_runs(dirs: &[PathBuf], out: &Path) -> Result<()> {
    if dirs.is_empty() {
        return Err(Error::config("DIR", "no run folders to merge"));
    };
    let runs: Vec<RunFiles> = dirs
        .iter()
        .map(|d| RunFiles::load(d))
        .collect::<Result<_>>()?;
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
    let kept = KeptRuns::of(&runs);
    merged_manifest(&runs, &kept, out).write(out)?;
    if let Some(environment) = &merged_environment(&runs) {
        write_json_atomic(&out.join(files::ENVIRONMENT), environment)?;
    }
    // Every attempt comes along; the ones that stand go to runs.csv and
    // epochs.csv, the others to runs_attempts.csv and epochs_attempts.csv.
    let rows: Vec<RunRecord> = kept.rows(&runs).into_iter().cloned().collect();
    let epochs: Vec<EpochRecord> = merged_epochs(&runs, &kept).into_iter().cloned().collect();
    crate::results::attempts::write_split(out, &rows, Some(&epochs))?;
    let gradient = merged_gradient(&runs);
    if !gradient.is_empty() {
        let mut w = CsvAppender::open(&out.join(files::GRADIENT_FLOW))?;
        for g in gradient {
            w.append(g)?;
        }
    }
    copy_forecasts(&runs, &kept, out)?;
    // The kernel check times one seed's batches on one machine: the first
    // folder that has one stands for the merge (ratios across machines
    // would mean nothing).
    if let Some(check) = runs.iter().find(|r| !r.kernel_check.is_empty()) {
        let mut w = CsvAppender::open(&out.join(files::KERNEL_CHECK))?;
        for row in &check.kernel_check {
            w.append(row)?;
        }
    }
    Ok(())
}

/// A forecast's test forecasts of each kept run
/// (`forecasts/<model>-seed<seed>.csv` of its folder), copied into `out`'s
/// `forecasts/`, so that the merged report gathers `forecasts.csv`, draws the
/// forecast chart and tests the models over the test windows.
fn copy_forecasts(runs: &[RunFiles], kept: &KeptRuns<'_>, out: &Path) -> Result<()> {
    for (&(model, seed), &(index, _)) in &kept.kept {
        let name = format!("{}-seed{seed}.csv", model.name());
        let from = runs[index].dir.join(files::FORECASTS_DIR).join(&name);
        if !from.is_file() {
            continue;
        }
        let to = out.join(files::FORECASTS_DIR);
        std::fs::create_dir_all(&to).map_err(|e| Error::io(&to, e))?;
        std::fs::copy(&from, to.join(&name)).map_err(|e| Error::io(&from, e))?;
    }
    Ok(())
}

/// The run kept for each (model, seed) of the merged folders: the first
/// `ok` row, else the first; with the duplicates named.
struct KeptRuns<'a> {
    /// (model, seed) -> (source folder's index, row).
    kept: BTreeMap<(Cell, u64), (usize, &'a RunRecord)>,
    /// The keys in the order first seen.
    order: Vec<(Cell, u64)>,
    /// One sentence per duplicate.
    notes: Vec<String>,
}

impl<'a> KeptRuns<'a> {
    fn of(runs: &'a [RunFiles]) -> Self {
        let mut k = KeptRuns {
            kept: BTreeMap::new(),
            order: Vec::new(),
            notes: Vec::new(),
        };
        for (i, run) in runs.iter().enumerate() {
            for r in &run.runs {
                let key = (r.model, r.seed);
                match k.kept.get(&key) {
                    None => {
                        k.kept.insert(key, (i, r));
                        k.order.push(key);
                    }
                    Some(&(j, prev)) => {
                        let replace = prev.status != RunStatus::Ok && r.status == RunStatus::Ok;
                        let src = if replace { i } else { j };
                        k.notes.push(format!(
                            "{DUPLICATE_NOTE}{} seed {} is in {} and in {}; counted once, from {}.",
                            r.model.display_name(),
                            r.seed,
                            runs[j].dir.display(),
                            run.dir.display(),
                            runs[src].dir.display()
                        ));
                        if replace {
                            k.kept.insert(key, (i, r));
                        }
                    }
                }
            }
        }
        k
    }

    /// The merged `runs.csv` rows: each kept row, then its other attempts
    /// (`--remeasure`) from the same folder.
    fn rows(&self, runs: &'a [RunFiles]) -> Vec<&'a RunRecord> {
        let mut rows = Vec::new();
        for key in &self.order {
            if let Some(&(i, r)) = self.kept.get(key) {
                rows.push(r);
                rows.extend(
                    runs[i]
                        .all_runs
                        .iter()
                        .filter(|o| (o.model, o.seed) == *key && o.attempt != r.attempt),
                );
            }
        }
        rows
    }
}

/// The merged `epochs.csv` rows. Epochs of each (model, seed) come from
/// one folder only: the kept run's, else the first folder that has epochs
/// for it; every attempt (`--remeasure`) of a kept run comes along from its
/// folder (the report picks the one whose timing stands).
fn merged_epochs<'a>(runs: &'a [RunFiles], kept: &KeptRuns) -> Vec<&'a EpochRecord> {
    let mut epoch_source: BTreeMap<(Cell, u64), usize> =
        kept.kept.iter().map(|(k, (i, _))| (*k, *i)).collect();
    for (i, run) in runs.iter().enumerate() {
        for e in &run.epochs {
            epoch_source.entry((e.model, e.seed)).or_insert(i);
        }
    }
    let mut seen_epochs = BTreeSet::new();
    runs.iter()
        .enumerate()
        .flat_map(|(i, run)| run.all_epochs.iter().map(move |e| (i, e)))
        .filter(|(i, e)| epoch_source.get(&(e.model, e.seed)) == Some(i))
        .filter(|(_, e)| seen_epochs.insert((e.model, e.seed, e.attempt, e.epoch)))
        .map(|(_, e)| e)
        .collect()
}

/// The merged `gradient_flow.csv` rows: each model's from the first folder
/// that has them.
fn merged_gradient(runs: &[RunFiles]) -> Vec<&GradientFlowRow> {
    let mut gradient_source: BTreeMap<Cell, usize> = BTreeMap::new();
    for (i, run) in runs.iter().enumerate() {
        for g in &run.gradient {
            gradient_source.entry(g.model).or_insert(i);
        }
    }
    runs.iter()
        .enumerate()
        .flat_map(|(i, run)| run.gradient.iter().map(move |g| (i, g)))
        .filter(|(i, g)| gradient_source.get(&g.model) == Some(i))
        .map(|(_, g)| g)
        .collect()
}

/// The merged `config.json`: the first folder's configuration with the
/// union of the seeds, named after `out`, with where it came from and the
/// notes (what was merged, the duplicates).
fn merged_manifest(runs: &[RunFiles], kept: &KeptRuns, out: &Path) -> RunManifest {
    let mut seeds: BTreeSet<u64> = runs.iter().flat_map(|r| r.planned_seeds()).collect();
    seeds.extend(kept.kept.keys().map(|k| k.1));
    let mut notes = vec![format!(
        "Merged from {} run{}: {}.",
        runs.len(),
        if runs.len() == 1 { "" } else { "s" },
        runs.iter()
            .map(|r| format!("{} ({})", r.run_id(), r.dir.display()))
            .collect::<Vec<_>>()
            .join(", ")
    )];
    notes.extend(kept.notes.iter().cloned());
    let mut config = runs[0].config.clone();
    config.run_id = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "merged".into());
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
    config
}

/// The merged `environment.json`: the one environment when every folder
/// recorded the same, else each run's own.
fn merged_environment(runs: &[RunFiles]) -> Option<EnvironmentFile> {
    let environments: Vec<(String, &EnvironmentFile)> = runs
        .iter()
        .filter_map(|r| r.environment.as_ref().map(|e| (r.run_id(), e)))
        .collect();
    if environments.len() == runs.len() && environments.iter().all(|(_, e)| *e == environments[0].1)
    {
        environments.first().map(|(_, e)| (*e).clone())
    } else {
        let per_run: BTreeMap<String, Environment> = environments
            .iter()
            .filter_map(|(id, e)| e.first().map(|e| (id.clone(), e.clone())))
            .collect();
        (!per_run.is_empty()).then_some(EnvironmentFile::PerRun(per_run))
    }
}
