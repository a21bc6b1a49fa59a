//! The run folder: its name, the plan and folder of each grid point
//! (`config.json`, `environment.json`), the checks on `--resume`, and the
//! lock a comparison holds while it works there.

use super::{Corpora, Input, apply_process_settings, model_shape, model_sizes, prepare_for_seed};
use crate::config::{Config, Grid, MoreSeeds};
use crate::data::memory::MEMORY_DATASET;
use crate::data::{Corpus, DatasetIdentity};
use crate::error::{Error, Result};
use crate::model::ModelShape;
use crate::probe::device::resolve_device;
use crate::probe::environment::Environment;
use crate::results::{self, files};
use crate::results::{ModelSize, RunManifest, SweepManifest, point_dir};
use crate::sweep::plan::{Job, ShardChoice, all_jobs, shard_jobs};
use std::path::{Path, PathBuf};

/// A fresh run folder `out/<timestamp>-<dataset>` (with `-2`, `-3`, … when the
/// name is taken); never reuses an existing folder.
pub fn create_run_dir(out: &Path, dataset: &str) -> Result<(String, PathBuf)> {
    check_out_folder(out)?;
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    let base = default_run_id(dataset);
    for n in 1.. {
        let id = if n == 1 {
            base.clone()
        } else {
            format!("{base}-{n}")
        };
        let dir = out.join(&id);
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok((id, dir)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(Error::io(dir, e)),
        }
    }
    unreachable!("some suffix is always free")
}

/// `<UTC timestamp>-<dataset>`, the default run id: a named dataset by its
/// name (`imdb-mini`), a `--train A --test B` pair by the training file
/// ([`dataset_slug`]).
pub fn default_run_id(dataset: &str) -> String {
    let stamp = utc_stamp();
    let slug = dataset_slug(dataset);
    if slug.is_empty() {
        stamp
    } else {
        format!("{stamp}-{slug}")
    }
}

/// A dataset's name as a folder-name part: the training file of a
/// `train + test` pair, by its stem, prefixed by its folder when the stem
/// is a generic `train` (`datasets/fixture/train.csv` → `fixture-train`);
/// characters other than ASCII letters, digits and `-` become `_`.
pub fn dataset_slug(dataset: &str) -> String {
    let train = dataset.split(" + ").next().unwrap_or(dataset);
    let path = Path::new(train);
    let stem = path
        .file_stem()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = match path.parent().and_then(|p| p.file_name()) {
        Some(parent) if dataset.contains(" + ") && stem.eq_ignore_ascii_case("train") => {
            format!("{}-{stem}", parent.to_string_lossy())
        }
        _ if dataset.contains(" + ") => stem,
        _ => path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    };
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// `--out` must name a folder (made if missing), not a file.
pub(crate) fn check_out_folder(out: &Path) -> Result<()> {
    if out.exists() && !out.is_dir() {
        return Err(Error::config(
            "--out",
            format!("{} is a file; --out must be a folder", out.display()),
        ));
    }
    Ok(())
}

/// `YYYYMMDD-HHMMSS` in UTC, from the system clock (run and merge folder names).
pub fn utc_stamp() -> String {
    let format = time::macros::format_description!("[year][month][day]-[hour][minute][second]");
    time::OffsetDateTime::now_utc()
        .format(&format)
        .unwrap_or_else(|_| "00000000-000000".to_string())
}

/// Where a new comparison writes, and which part of the grid it runs.
#[derive(Debug, Clone)]
pub struct Launch {
    /// The configurations.
    pub grid: Grid,
    /// This machine's shard, if the grid is split.
    pub shard: Option<ShardChoice>,
    /// The run folder's name; default `<UTC timestamp>-<dataset>`.
    pub run_id: Option<String>,
    /// The command line, for the record.
    pub command_line: Vec<String>,
}

/// Checks that the data loads and encodes for every grid point with jobs
/// here, then creates the run folder (`out/<run-id>/`, or
/// `out/<run-id>/shard-I-of-N/` for a shard, which must not exist yet) and
/// writes `sweep.json` with this folder's jobs and each point's
/// `config.json` and `environment.json`. Returns the loaded data too, for
/// [`run_jobs`].
pub fn start_run(
    launch: Launch,
    mut log: impl FnMut(&str),
) -> Result<(PathBuf, SweepManifest, Corpora)> {
    let first = &launch.grid.points[0].config;
    let mut corpora = Corpora::default();
    let jobs = match &launch.shard {
        Some(s) => shard_jobs(&launch.grid, s.shard),
        None => all_jobs(&launch.grid),
    };
    // Every point with jobs here is checked (device, encoding) and sized
    // before any folder exists, on its own data; the plans are written
    // below, not redone.
    let mut plans = Vec::new();
    for point in &launch.grid.points {
        if jobs.iter().any(|j| j.point == point.id) {
            let corpus = corpora.get(&point.config)?;
            plans.push((point.id.clone(), plan_point(&point.config, corpus)?));
        }
    }
    if launch.grid.points.iter().any(|p| {
        p.config.bidirectional && p.config.models.contains(&crate::model::Cell::Transformer)
    }) {
        log(
            "note: --bidirectional does not apply to the Transformer (its attention reads the whole sequence both ways); points that differ only in it share the Transformer's runs when its size is the same",
        );
    }
    // The run folder is named after the data (`memory` for the memory task,
    // whose full name carries its distance, which a sweep varies).
    let slug = match first.dataset.name.as_str() {
        MEMORY_DATASET => MEMORY_DATASET.to_string(),
        _ => corpora.get(first)?.identity.name.clone(),
    };
    let out = &first.out;
    check_out_folder(out)?;
    let (run_id, root) = match (&launch.run_id, &launch.shard) {
        (None, None) => create_run_dir(out, &slug)?,
        (id, shard) => {
            let id = id.clone().unwrap_or_else(|| default_run_id(&slug));
            let base = out.join(&id);
            let root = match shard {
                Some(s) => {
                    std::fs::create_dir_all(&base).map_err(|e| Error::io(&base, e))?;
                    base.join(s.shard.dir_name())
                }
                None => {
                    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
                    base
                }
            };
            match std::fs::create_dir(&root) {
                Ok(()) => {}
                // An empty folder (made beforehand, or left by a run that
                // failed before writing anything) is taken as new.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && is_empty_dir(&root) => {}
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let advice = if root.join("sweep.json").is_file() {
                        format!(
                            "continue it with `compare --resume {}`, or choose another --run-id",
                            root.display()
                        )
                    } else {
                        "it is not a run folder; choose another --run-id".to_string()
                    };
                    return Err(Error::results(&root, format!("already exists: {advice}")));
                }
                Err(e) => return Err(Error::io(&root, e)),
            }
            (id, root)
        }
    };
    let manifest = SweepManifest {
        run_id,
        command_line: launch.command_line,
        jobs_total: all_jobs(&launch.grid).len(),
        grid: launch.grid,
        shard: launch.shard,
        jobs: jobs.iter().map(Job::id).collect(),
        merged_from: Vec::new(),
    };
    manifest.write(&root)?;
    for (id, plan) in &plans {
        let point = manifest.point(id).expect("planned from this grid");
        let dir = point_dir(&root, &manifest.grid, id);
        let corpus = corpora.get(&point.config)?;
        write_point_dir(&dir, &point.config, plan, corpus, &manifest, &mut log)?;
    }
    Ok((root, manifest, corpora))
}

/// Reads the run folder `dir` to continue it: its `sweep.json` (or, for a
/// folder written before sweeps existed, its `config.json` as a one-point grid).
pub fn load_for_resume(dir: &Path) -> Result<SweepManifest> {
    if !dir.is_dir() {
        return Err(Error::results(dir, "no such run folder"));
    }
    let manifest = SweepManifest::load_any(dir)?;
    let merged = !manifest.merged_from.is_empty()
        || (dir.join(files::CONFIG).is_file() && !RunManifest::load(dir)?.merged_from.is_empty());
    if merged {
        return Err(Error::results(
            dir,
            "is a merged report, not a run; resume the shard folders it was merged from",
        ));
    }
    Ok(manifest)
}

/// Each grid point's id with the seeds appended to it.
pub type AddedSeeds = Vec<(String, Vec<u64>)>;

/// `compare --resume DIR --seeds …`: the folder `root` (its `manifest`,
/// from [`load_for_resume`]) with `more` seeds at every point
/// ([`Config::add_seeds`]), the jobs of the seeds appended after the
/// folder's. Writes nothing: the caller, holding the folder's lock
/// ([`lock_run_dir`]), writes the returned `sweep.json` before any new job
/// runs, so that a resume after an interruption knows them (each point's
/// `config.json` follows when [`super::run_jobs`] makes the point ready). A
/// shard is refused: its seeds are the whole grid's, split over machines.
/// Returns the new manifest and each point's seeds appended (none under
/// `--seeds auto`, whose rule adds them as the results come in).
pub fn with_more_seeds(
    root: &Path,
    manifest: &SweepManifest,
    more: MoreSeeds,
) -> Result<(SweepManifest, AddedSeeds)> {
    if let Some(s) = &manifest.shard {
        return Err(Error::config(
            "--seeds",
            format!(
                "{} is shard {} of a grid; a shard cannot add seeds (they are the whole grid's): resume it without --seeds, or start a run with more seeds",
                root.display(),
                s.shard
            ),
        ));
    }
    let mut next = manifest.clone();
    let mut added = Vec::new();
    for point in &mut next.grid.points {
        added.push((point.id.clone(), point.config.add_seeds(more)?));
    }
    let known: std::collections::BTreeSet<&String> = manifest.jobs.iter().collect();
    let new_jobs: Vec<String> = all_jobs(&next.grid)
        .iter()
        .map(Job::id)
        .filter(|id| !known.contains(id))
        .collect();
    next.jobs.extend(new_jobs);
    next.jobs_total = all_jobs(&next.grid).len();
    Ok((next, added))
}

/// Holds an exclusive lock on a run folder while a `compare` works in it
/// ([`crate::results::lock`]).
pub type RunLock = crate::results::lock::FolderLock;

/// Locks `root/.lock` so that two processes never write one folder at once
/// (an `flock`, released when the process ends, even by SIGKILL). `compare`
/// holds it from its first job to its last render.
pub fn lock_run_dir(root: &Path) -> Result<RunLock> {
    crate::results::lock::try_lock_folder(root)?.ok_or_else(|| {
        Error::results(
            root,
            "another compare (or a report re-rendering it) is working in this folder (it holds .lock); wait for it or stop it first",
        )
    })
}

/// A grid point's device, model sizes and data facts: computed once (the
/// data encoded for its first seed), before its folder is written.
pub(crate) struct PointPlan {
    pub(crate) device: tch::Device,
    pub(crate) sizes: Vec<ModelSize>,
    pub(crate) classes: Vec<String>,
    pub(crate) input: Input,
    /// What the models read, in one line ([`Prepared::describe`]).
    pub(crate) description: String,
    /// The test split's unknown-token rate (first seed's vocabulary).
    pub(crate) test_unknown_token_rate: f64,
    /// Warnings about the data, for the terminal and the report.
    pub(crate) warnings: Vec<String>,
}

/// Checks that `config` can run on `corpus` (device, encoding) and sizes its models.
pub(crate) fn plan_point(config: &Config, corpus: &Corpus) -> Result<PointPlan> {
    let device = resolve_device(config.device)?;
    let prepared = prepare_for_seed(corpus, config, config.seeds[0])?;
    let input = Input::of(&prepared);
    let sizes = model_sizes(config, input, prepared.classes.len());
    // The training split's longest example (before the validation carve,
    // so the same for every seed): no training batch is longer.
    let longest = (0..prepared.train.len())
        .map(|i| prepared.train.length(i))
        .chain((0..prepared.val.len()).map(|i| prepared.val.length(i)))
        .max()
        .unwrap_or(1);
    let batches = crate::memory_guard::Batches {
        // No batch holds more sequences than the training portion has.
        size: config.batch_size.min(prepared.train.len()).max(1) as i64,
        max_len: config.max_len as i64,
        longest: longest as i64,
    };
    check_memory(
        config,
        &sizes,
        device,
        input,
        prepared.classes.len(),
        batches,
    )?;
    Ok(PointPlan {
        device,
        sizes,
        description: prepared.describe(),
        input,
        test_unknown_token_rate: prepared.test_unknown_rate(),
        warnings: corpus
            .warnings()
            .into_iter()
            .chain(prepared.warnings())
            .collect(),
        classes: prepared.classes,
    })
}

/// Refuses, before any training, models that cannot fit ([`memory_guard::check`]):
/// on the CPU against the machine's available RAM, on CUDA against the GPU's
/// free memory; with `--match params`, a size the cap kept from matching.
/// `batches` are the ones the data makes (its longest example, already cut
/// to `--max-len`), not `--batch-size` × `--max-len` tokens the data may
/// never reach.
pub(crate) fn check_memory(
    config: &Config,
    sizes: &[ModelSize],
    device: tch::Device,
    input: Input,
    classes: usize,
    batches: crate::memory_guard::Batches,
) -> Result<()> {
    let shapes: Vec<ModelShape> = sizes
        .iter()
        .map(|s| model_shape(config, s.model, s.hidden_size, input, classes))
        .collect();
    let target = (config.match_mode == crate::config::MatchMode::Params)
        .then(|| shapes.first().map(|s| s.params()))
        .flatten();
    let (available, memory) = match device {
        tch::Device::Cuda(_) => (crate::probe::gpu::free_bytes(device), "GPU memory"),
        _ => (crate::probe::memory::available_bytes(), "RAM"),
    };
    crate::memory_guard::check(&shapes, target, batches, available, memory, config.jobs)
}

/// Writes a grid point's `config.json` and `environment.json` into `dir`.
pub(crate) fn write_point_dir(
    dir: &Path,
    config: &Config,
    plan: &PointPlan,
    corpus: &Corpus,
    manifest: &SweepManifest,
    log: &mut impl FnMut(&str),
) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let run = RunManifest {
        run_id: manifest.run_id.clone(),
        command_line: manifest.command_line.clone(),
        config: config.clone(),
        model_sizes: plan.sizes.clone(),
        classes: plan.classes.clone(),
        vocab_size_built: plan.input.vocab_size,
        channels: plan.input.channels,
        dataset: corpus.identity.clone(),
        test_unknown_token_rate: Some(plan.test_unknown_token_rate),
        data_warnings: plan.warnings.clone(),
        merged_from: Vec::new(),
        merge_notes: Vec::new(),
    };
    for w in &plan.warnings {
        // Printed with --quiet too: the data may not say what the user thinks.
        eprintln!("warning: {w}");
    }
    results::write_json_atomic(&dir.join(files::CONFIG), &run)?;
    write_environment(dir, config, plan.device)?;
    if manifest.grid.points.len() == 1 {
        log(&format!("{}: {}", corpus.identity.name, plan.description));
        for size in &plan.sizes {
            log(&format!(
                "{:>4}: hidden {:>4}, {} parameters",
                size.model.display_name(),
                size.hidden_size,
                size.params
            ));
        }
    }
    Ok(())
}

/// Writes `dir/environment.json`: this machine, with the threads and kernel
/// switches of `config` in force.
fn write_environment(dir: &Path, config: &Config, device: tch::Device) -> Result<()> {
    apply_process_settings(config);
    results::write_json_atomic(
        &dir.join(files::ENVIRONMENT),
        &Environment::probe(device, config.kernel),
    )
}

/// The model sizes of the point folder `dir` when its `config.json` exists
/// (resuming), after checking that it holds `config` and that the data has
/// not changed; `None` when the folder was not written yet.
pub(crate) fn verify_point_dir(
    dir: &Path,
    config: &Config,
    corpus: &Corpus,
) -> Result<Option<Vec<ModelSize>>> {
    let config_path = dir.join(files::CONFIG);
    if !config_path.is_file() {
        return Ok(None);
    }
    let mut existing: RunManifest = results::read_json(&config_path)?;
    // sweep.json, which lists the jobs, is right about the seeds when they
    // are all that differ: `--seeds auto` writes a new seed to config.json
    // just before sweep.json (killed in between), and `--resume --seeds`
    // writes sweep.json first, with seeds after the point's own (and
    // perhaps another rule).
    let only_seeds_differ = Config {
        seeds: config.seeds.clone(),
        auto_seeds: config.auto_seeds,
        ..existing.config.clone()
    } == *config;
    let seeds_may_differ = (config.auto_seeds.is_some()
        && existing.config.auto_seeds == config.auto_seeds)
        || config.seeds.starts_with(&existing.config.seeds);
    if only_seeds_differ && seeds_may_differ && existing.config != *config {
        existing.config.seeds = config.seeds.clone();
        existing.config.auto_seeds = config.auto_seeds;
        existing.write(dir)?;
    }
    if existing.config != *config {
        return Err(Error::results(
            &config_path,
            format!(
                "holds another configuration than {}; this folder cannot be resumed",
                files::SWEEP
            ),
        ));
    }
    let digests = |d: &DatasetIdentity| -> Vec<String> {
        d.files
            .iter()
            .map(|f| f.sha256.clone())
            .chain(d.generator.as_ref().map(|g| g.sha256.clone()))
            .collect()
    };
    if digests(&existing.dataset) != digests(&corpus.identity) {
        return Err(Error::dataset(
            &corpus.identity.name,
            format!(
                "its files changed since {} was written (sha256 differs); finished runs cannot be mixed with new ones",
                config_path.display()
            ),
        ));
    }
    if !dir.join(files::ENVIRONMENT).is_file() {
        // Lost (a full disk when it was first written): the machine that
        // runs the rest is the one to record.
        write_environment(dir, config, resolve_device(config.device)?)?;
    }
    Ok(Some(existing.model_sizes))
}

/// Whether `dir` is a folder with nothing in it.
fn is_empty_dir(dir: &std::path::Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_none())
}

#[cfg(test)]
mod tests {
    use super::dataset_slug;

    #[test]
    fn run_ids_are_named_after_the_dataset_or_training_file() {
        assert_eq!(dataset_slug("imdb-mini"), "imdb-mini");
        assert_eq!(
            dataset_slug("datasets/fixture/train.csv + datasets/fixture/test.csv"),
            "fixture-train"
        );
        assert_eq!(
            dataset_slug("/data/reviews 2024.jsonl + /data/t.jsonl"),
            "reviews_2024"
        );
    }
}
