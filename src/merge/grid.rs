//! Run or shard folders of one grid merged into one sweep folder, and the
//! discovery of such folders inside a parent folder.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::runs::{check_mergeable, merge_runs};
use crate::error::{Error, Result};
use crate::report::RunFiles;
use crate::results::{RunManifest, SweepManifest, files, point_dir};
use crate::sweep::plan::{Job, all_jobs};

/// Files a merge writes into its output folder (removed before a merge is
/// redone in the same folder).
const MERGED_FILES: [&str; 7] = [
    files::CONFIG,
    files::ENVIRONMENT,
    files::EPOCHS,
    files::RUNS,
    files::GRADIENT_FLOW,
    files::SUMMARY,
    files::REPORT,
];

/// Whether `dir` holds the output of an earlier merge (its `sweep.json` or
/// `config.json` says `merged_from`).
pub fn is_merged_output(dir: &Path) -> bool {
    (dir.join(files::SWEEP).is_file()
        && SweepManifest::load(dir).is_ok_and(|m| !m.merged_from.is_empty()))
        || (dir.join(files::CONFIG).is_file()
            && RunManifest::load(dir).is_ok_and(|m| !m.merged_from.is_empty()))
}

/// The run folders directly inside `dir` (those with `sweep.json` or
/// `config.json`), sorted by name; a merge's own `points/` is not one.
pub fn run_folders_in(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let path = entry.map_err(|e| Error::io(dir, e))?.path();
        let is_run = path.join(files::SWEEP).is_file() || path.join(files::CONFIG).is_file();
        let is_points = path.file_name().is_some_and(|n| n == files::POINTS_DIR);
        if path.is_dir() && is_run && !is_points {
            found.push(path);
        }
    }
    found.sort();
    Ok(found)
}

/// The folders to merge for the command-line folders `dirs`: a run or shard
/// folder as it is; a folder that holds shard or run folders (a
/// `results/<run-id>/` of a sharded sweep, copied from one machine, or an
/// earlier merge of them) replaced by those folders. A folder that is
/// neither is an error saying which folders can be named.
pub fn expand_folders(dirs: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for dir in dirs {
        let own_run = dir.join(files::SWEEP).is_file() || dir.join(files::CONFIG).is_file();
        if own_run && !is_merged_output(dir) {
            out.push(dir.clone());
            continue;
        }
        if !dir.is_dir() {
            return Err(Error::results(dir, "not a run folder (no such directory)"));
        }
        let inner = run_folders_in(dir)?;
        if inner.is_empty() {
            if own_run {
                out.push(dir.clone());
                continue;
            }
            return Err(Error::results(
                dir,
                format!(
                    "not a run folder ({} is missing) and holds no run or shard folders; name a results/<run-id>/ folder, a shard-I-of-N/ folder in one, or a folder holding them",
                    files::CONFIG
                ),
            ));
        }
        out.extend(inner);
    }
    // A folder named twice (or by two paths) is one folder: merged once.
    let mut seen = BTreeSet::new();
    out.retain(|d| seen.insert(std::fs::canonicalize(d).unwrap_or_else(|_| d.clone())));
    Ok(out)
}

/// Merges run or shard folders of one grid (`dirs`, from any number of
/// machines) into `out`: per grid point, the runs of every folder (see
/// [`merge_runs`]: a (model, seed) found twice is counted once and named in
/// the notes), then `sweep.json`. Refuses, before writing anything, folders
/// whose grids (the points' ids), their configurations or datasets differ.
/// Redoing a merge in the same `out` replaces the earlier merge's files
/// (report and charts included). Writes no report: render `out` with
/// [`crate::report::render_folder`].
pub fn merge_folders(dirs: &[PathBuf], out: &Path) -> Result<()> {
    let Some(first_dir) = dirs.first() else {
        return Err(Error::config("DIR", "no run folders to merge"));
    };
    if dirs.iter().all(|d| !d.join(files::SWEEP).is_file()) {
        // Plain run folders (no sweep.json): merged as runs of one configuration.
        let runs: Vec<RunFiles> = dirs
            .iter()
            .map(|d| RunFiles::load(d))
            .collect::<Result<_>>()?;
        check_mergeable(&runs)?;
        let _lock = claim_out(dirs, out)?;
        return merge_runs(dirs, out);
    }
    let manifests: Vec<SweepManifest> = dirs
        .iter()
        .map(|d| SweepManifest::load_any(d))
        .collect::<Result<_>>()?;
    let ids = |m: &SweepManifest| {
        m.grid
            .points
            .iter()
            .map(|p| p.id.clone())
            .collect::<Vec<_>>()
    };
    let first = &manifests[0];
    for (m, dir) in manifests.iter().zip(dirs).skip(1) {
        if ids(m) != ids(first) {
            return Err(Error::results(
                dir,
                format!(
                    "cannot be merged with {}: the grids differ ({} has configurations [{}], {} has [{}]); only shards and runs of one grid can be merged",
                    first_dir.display(),
                    first_dir.display(),
                    ids(first).join(", "),
                    dir.display(),
                    ids(m).join(", ")
                ),
            ));
        }
    }
    // Every point's folders, checked before anything is written.
    let mut sources: Vec<(String, Vec<PathBuf>)> = Vec::new();
    for point in &first.grid.points {
        let mut dirs_of_point = Vec::new();
        let mut loaded = Vec::new();
        for (m, dir) in manifests.iter().zip(dirs) {
            let pdir = point_dir(dir, &m.grid, &point.id);
            if pdir.join(files::CONFIG).is_file() {
                loaded.push(RunFiles::load(&pdir)?);
                dirs_of_point.push(pdir);
            }
        }
        check_mergeable(&loaded)?;
        sources.push((point.id.clone(), dirs_of_point));
    }
    let _lock = claim_out(dirs, out)?;
    let mut grid = first.grid.clone();
    for ((id, srcs), point) in sources.iter().zip(grid.points.iter_mut()) {
        if srcs.is_empty() {
            continue;
        }
        let merged_dir = point_dir(out, &first.grid, id);
        merge_runs(srcs, &merged_dir)?;
        // The merged point's seeds: the union, as merge_runs wrote them.
        point.config.seeds = RunManifest::load(&merged_dir)?.config.seeds;
    }
    let all = all_jobs(&grid);
    let present: BTreeSet<String> = manifests
        .iter()
        .flat_map(|m| m.jobs.iter().cloned())
        .collect();
    let manifest = SweepManifest {
        run_id: out
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "merged".into()),
        command_line: first.command_line.clone(),
        jobs_total: all.len(),
        jobs: all
            .iter()
            .map(Job::id)
            .filter(|id| present.contains(id))
            .collect(),
        grid,
        shard: None,
        merged_from: dirs.iter().map(|d| d.display().to_string()).collect(),
    };
    manifest.write(out)
}

/// Makes `out` the merge's output folder, under the one rule for what a
/// merge may write into ([`check_out`]): created if missing, locked (no
/// other process writes it meanwhile), an earlier merge's files removed.
fn claim_out(dirs: &[PathBuf], out: &Path) -> Result<crate::results::lock::FolderLock> {
    check_out(dirs, out)?;
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    let lock = crate::results::lock::try_lock_folder(out)?.ok_or_else(|| {
        Error::results(
            out,
            "another compare or report is writing this folder (it holds .lock); wait for it or choose another --out",
        )
    })?;
    clear_merged_output(out)?;
    Ok(lock)
}

/// What a merge may write into: a new or empty folder, an earlier merge's
/// output, or the folder that holds the very folders being merged (`report
/// results/<run-id>` over its shards). Never one of its inputs, a run,
/// sweep or shard root of its own (its `sweep.json`, `config.json` or run
/// folders would be replaced or orphaned).
pub fn check_out(dirs: &[PathBuf], out: &Path) -> Result<()> {
    let abs = |d: &Path| std::fs::canonicalize(d).unwrap_or_else(|_| d.to_path_buf());
    let inputs: Vec<PathBuf> = dirs.iter().map(|d| abs(d)).collect();
    if inputs.contains(&abs(out)) {
        return Err(Error::results(
            out,
            "is one of the folders being merged; choose another --out",
        ));
    }
    if !out.is_dir() || is_merged_output(out) {
        return Ok(());
    }
    for f in [files::SWEEP, files::CONFIG] {
        if out.join(f).exists() {
            return Err(Error::results(
                out,
                format!("already holds a run ({f}); choose a new --out folder"),
            ));
        }
    }
    let others: Vec<String> = run_folders_in(out)?
        .iter()
        .filter(|d| !inputs.contains(&abs(d)))
        .map(|d| {
            d.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        })
        .collect();
    if !others.is_empty() {
        return Err(Error::results(
            out,
            format!(
                "holds run folders that are not being merged ({}); choose a new --out folder",
                others.join(", ")
            ),
        ));
    }
    Ok(())
}

/// Removes the files of an earlier merge from `out` (only if `out` holds
/// one), so that the merge can be redone there.
fn clear_merged_output(out: &Path) -> Result<()> {
    if !is_merged_output(out) {
        return Ok(());
    }
    for f in MERGED_FILES.iter().chain(&[files::SWEEP]) {
        let path = out.join(f);
        if path.is_file() {
            std::fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
        }
    }
    for dir in [files::POINTS_DIR, files::FORECASTS_DIR] {
        let dir = out.join(dir);
        if dir.is_dir() {
            std::fs::remove_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        }
    }
    for entry in std::fs::read_dir(out).map_err(|e| Error::io(out, e))? {
        let path = entry.map_err(|e| Error::io(out, e))?.path();
        if path.extension().is_some_and(|e| e == "png") {
            std::fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
        }
    }
    Ok(())
}
