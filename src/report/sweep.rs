//! The sweep report: one page over a grid of configurations, written to the
//! sweep's run folder next to the points' own reports (`points/<id>/`).
//!
//! Per swept option, a chart of test accuracy, seconds per epoch and peak
//! memory against the option's values (one line per cell and per setting of
//! the other options, mean with 95% CI); and one table with the LSTM-vs-GRU
//! verdict (first pair of models) at every grid point.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::html::{diff_cell, escape, machine_line, ratio_cell, swatch, wrap_page};
use super::{FinishedRun, RunFiles, charts, findings::format_p, render_run};
use crate::config::Axis;
use crate::error::{Error, Result};
use crate::model::Cell;
use crate::probe::environment::Environment;
use crate::results::EnvironmentFile;
use crate::results::files;
use crate::results::{SweepManifest, point_dir};
use crate::stats::Estimate;
use crate::summary::{ModelSummary, PairSummary, Summary};

/// One grid point in the sweep's `summary.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PointSummary {
    /// The point's id.
    pub id: String,
    /// (option key, value label) of each swept option.
    pub values: Vec<(String, String)>,
    /// The point's folder, relative to the sweep folder.
    pub dir: String,
    /// Jobs of the point in this folder's plan.
    pub jobs_planned: usize,
    /// Its aggregates; `None` when the folder holds none of its runs.
    pub summary: Option<Summary>,
}

/// The sweep's `summary.json`: every point's summary, and the grid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepSummary {
    /// The run's id.
    pub run_id: String,
    /// The swept options.
    pub axes: Vec<Axis>,
    /// Jobs of the whole grid.
    pub jobs_total: usize,
    /// Jobs planned in this folder (a shard's, or all).
    pub jobs_planned: usize,
    /// Jobs with an `ok` run.
    pub jobs_ok: usize,
    /// Per point, in grid order.
    pub points: Vec<PointSummary>,
}

/// One line of a sweep chart: a cell at one setting of the other options,
/// with an estimate (or nothing) at each value of the swept option.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepLine {
    /// The cell.
    pub model: Cell,
    /// Legend text: the cell, and the other options' values when there are any.
    pub label: String,
    /// Which setting of the other options (0, 1, …): picks the marker and dash.
    pub group: usize,
    /// (index into the axis's values, estimate).
    pub points: Vec<(usize, Estimate)>,
}

/// The lines of a chart against `axes[axis]`: for every setting of the other
/// swept options and every model, the estimate `metric` gives at each value.
pub fn axis_lines(
    sweep: &SweepSummary,
    axis: usize,
    metric: fn(&ModelSummary) -> Option<Estimate>,
) -> Vec<SweepLine> {
    let Some(ax) = sweep.axes.get(axis) else {
        return Vec::new();
    };
    let others = |p: &PointSummary| -> Vec<(String, String)> {
        p.values
            .iter()
            .filter(|(k, _)| *k != ax.key)
            .cloned()
            .collect()
    };
    let mut groups: Vec<Vec<(String, String)>> = Vec::new();
    for p in &sweep.points {
        let g = others(p);
        if !groups.contains(&g) {
            groups.push(g);
        }
    }
    let models: Vec<Cell> = sweep
        .points
        .iter()
        .filter_map(|p| p.summary.as_ref())
        .flat_map(|s| s.models.iter().copied())
        .fold(Vec::new(), |mut acc, m| {
            if !acc.contains(&m) {
                acc.push(m);
            }
            acc
        });
    let mut lines = Vec::new();
    for (gi, group) in groups.iter().enumerate() {
        for &model in &models {
            let mut points = Vec::new();
            for p in sweep.points.iter().filter(|p| others(p) == *group) {
                let Some(value) = p.values.iter().find(|(k, _)| *k == ax.key) else {
                    continue;
                };
                let Some(index) = ax.values.iter().position(|v| v.label() == value.1) else {
                    continue;
                };
                if let Some(e) = p
                    .summary
                    .as_ref()
                    .and_then(|s| s.model(model))
                    .and_then(metric)
                {
                    points.push((index, e));
                }
            }
            points.sort_by_key(|p| p.0);
            let mut label = model.display_name().to_string();
            if !group.is_empty() {
                let rest: Vec<String> = group.iter().map(|(k, v)| format!("{k} {v}")).collect();
                label = format!("{label} · {}", rest.join(", "));
            }
            lines.push(SweepLine {
                model,
                label,
                group: gi,
                points,
            });
        }
    }
    lines
}

/// File name of the chart against axis `key`.
pub fn axis_chart_file(key: &str) -> String {
    format!("sweep_{key}.png")
}

/// Reads the sweep folder `root` (its `sweep.json` and the points' files)
/// into a [`SweepSummary`], rendering each point's own report on the way.
pub fn summarize_sweep(root: &Path) -> Result<(SweepManifest, SweepSummary, Vec<RunFiles>)> {
    let manifest = SweepManifest::load(root)?;
    let jobs = manifest.parsed_jobs(root)?;
    let mut points = Vec::new();
    let mut loaded = Vec::new();
    let mut jobs_ok = 0;
    for point in &manifest.grid.points {
        let dir = point_dir(root, &manifest.grid, &point.id);
        let planned: Vec<_> = jobs.iter().filter(|j| j.point == point.id).collect();
        let summary = if dir.join(files::CONFIG).is_file() {
            render_run(&dir)?;
            let run = RunFiles::load(&dir)?;
            let summary = run.summary();
            jobs_ok += planned
                .iter()
                .filter(|j| {
                    run.runs.iter().any(|r| {
                        r.model == j.model
                            && r.seed == j.seed
                            && r.status == crate::results::RunStatus::Ok
                    })
                })
                .count();
            loaded.push(run);
            Some(summary)
        } else {
            None
        };
        points.push(PointSummary {
            id: point.id.clone(),
            values: point
                .values
                .iter()
                .map(|(k, v)| (k.clone(), v.label()))
                .collect(),
            dir: dir
                .strip_prefix(root)
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            jobs_planned: planned.len(),
            summary,
        });
    }
    let sweep = SweepSummary {
        run_id: manifest.run_id.clone(),
        axes: manifest.grid.axes.clone(),
        jobs_total: manifest.jobs_total,
        jobs_planned: jobs.len(),
        jobs_ok,
        points,
    };
    Ok((manifest, sweep, loaded))
}

/// Renders the sweep folder `root`: every point's report, the sweep's
/// `summary.json`, one chart per swept option and `report.html`. Returns the
/// page and a plain-text table for the terminal.
pub fn finish_sweep(root: &Path) -> Result<FinishedRun> {
    let (manifest, sweep, runs) = summarize_sweep(root)?;
    crate::results::write_json_atomic(&root.join(files::SUMMARY), &sweep)?;
    let mut figures = Vec::new();
    for (i, axis) in sweep.axes.iter().enumerate() {
        let file = axis_chart_file(&axis.key);
        charts::draw_sweep_axis(
            &root.join(&file),
            axis,
            &axis_lines(&sweep, i, |m| m.test_acc),
            &axis_lines(&sweep, i, |m| m.secs_per_epoch),
            &axis_lines(&sweep, i, |m| m.peak_rss_bytes),
        )?;
        figures.push((file, axis));
    }
    let environment = runs
        .iter()
        .find_map(|r| r.environment.as_ref().and_then(EnvironmentFile::first));
    let page = sweep_page(&manifest, &sweep, &figures, environment);
    let path = root.join(files::REPORT);
    let tmp = path.with_extension("html.tmp");
    std::fs::write(&tmp, page).map_err(|e| Error::io(&tmp, e))?;
    std::fs::rename(&tmp, &path).map_err(|e| Error::io(&path, e))?;
    Ok(FinishedRun {
        html: path,
        table: terminal_table(&sweep),
    })
}

/// The first pair of a point's summary (LSTM vs GRU when both are there).
fn first_pair(s: &Summary) -> Option<&PairSummary> {
    s.pairs.first()
}

/// A short verdict on a pair: which is more accurate (paired t-test at 5%)
/// and which is faster (ratio CI excluding 1).
pub fn verdict(pair: &PairSummary) -> String {
    let (a, b) = (pair.a.display_name(), pair.b.display_name());
    let accuracy = match pair.test_acc_diff {
        Some(d) if d.p_value.is_some_and(|p| p < 0.05) => {
            if d.mean_diff > 0.0 {
                format!("{a} more accurate")
            } else {
                format!("{b} more accurate")
            }
        }
        Some(d) if d.p_value.is_some() => "accuracy: no significant difference".to_string(),
        _ => "accuracy: too few seeds to test".to_string(),
    };
    let speed = match pair.speed_ratio {
        Some(r) => match r.ci() {
            Some((lo, _)) if lo > 1.0 => format!("{b} {:.2}× faster", r.ratio),
            Some((_, hi)) if hi < 1.0 => format!("{a} {:.2}× faster", 1.0 / r.ratio),
            Some(_) => "speed: no clear difference".to_string(),
            None => format!("time ratio {:.2} (one seed)", r.ratio),
        },
        None => "speed: —".to_string(),
    };
    format!("{accuracy}; {speed}")
}

fn acc_cell(e: Option<Estimate>) -> String {
    match e {
        None => "—".into(),
        Some(e) => match e.ci() {
            Some((lo, hi)) => format!(
                "{:.2} [{:.2} – {:.2}]",
                e.mean * 100.0,
                lo * 100.0,
                hi * 100.0
            ),
            None => format!("{:.2} (n = 1)", e.mean * 100.0),
        },
    }
}

fn sweep_page(
    manifest: &SweepManifest,
    sweep: &SweepSummary,
    figures: &[(String, &Axis)],
    environment: Option<&Environment>,
) -> String {
    let dataset = manifest
        .grid
        .points
        .first()
        .map(
            |p| match (&p.config.dataset.train, p.config.dataset.name.is_empty()) {
                (Some(train), true) => train.display().to_string(),
                _ => p.config.dataset.name.clone(),
            },
        )
        .unwrap_or_default();
    let axes_text: Vec<String> = sweep
        .axes
        .iter()
        .map(|a| {
            let values: Vec<String> = a.values.iter().map(|v| v.label()).collect();
            format!("{} ∈ {{{}}}", a.flag, values.join(", "))
        })
        .collect();
    let mut b = format!(
        "<h1>rnnbench sweep: {}</h1>\n<p class=\"sub\">dataset <strong>{}</strong> · {} configurations ({}) · {} jobs</p>\n",
        escape(&sweep.run_id),
        escape(&dataset),
        sweep.points.len(),
        escape(&axes_text.join(" × ")),
        sweep.jobs_total
    );
    if let Some(machine) = machine_line(environment) {
        b.push_str(&format!(
            "<p class=\"sub\">measured on {}</p>\n",
            escape(&machine)
        ));
    }
    let mut notes = Vec::new();
    if let Some(s) = &manifest.shard {
        notes.push(format!(
            "This folder is shard {} ({} of the grid's {} jobs); merge the shards with `report` on their parent folder for the whole grid.",
            s.shard,
            sweep.jobs_planned,
            sweep.jobs_total
        ));
    }
    for m in &manifest.merged_from {
        notes.push(format!("Merged from {m}."));
    }
    if sweep.jobs_ok < sweep.jobs_total {
        b.push_str(&format!(
            "<div class=\"banner incomplete\" id=\"incomplete\"><strong>Incomplete sweep.</strong> {} of the grid's {} jobs finished ok. Points without runs are marked —.</div>\n",
            sweep.jobs_ok, sweep.jobs_total
        ));
    }
    if !notes.is_empty() {
        b.push_str("<div class=\"banner\"><strong>Notes.</strong><ul>\n");
        for n in &notes {
            b.push_str(&format!("<li>{}</li>\n", escape(n)));
        }
        b.push_str("</ul></div>\n");
    }
    b.push_str("<h2 id=\"verdicts\">Verdict per configuration</h2>\n");
    b.push_str("<p>Test accuracy in %, mean with its 95% CI over seeds. Δ accuracy is the first model minus the second, paired by seed, with the p-value of a paired t-test; time ratio is the first model's seconds per epoch over the second's (above 1: the first is slower), with its 95% CI. Each configuration links to its own report.</p>\n");
    let models: Vec<Cell> = sweep
        .points
        .iter()
        .filter_map(|p| p.summary.as_ref())
        .map(|s| s.models.clone())
        .next()
        .unwrap_or_default();
    b.push_str("<table class=\"sweep\">\n<tr><th>configuration</th>");
    for a in &sweep.axes {
        b.push_str(&format!("<th>{}</th>", escape(&a.flag)));
    }
    for &m in &models {
        b.push_str(&format!("<th>{} test acc. (%)</th>", swatch(m)));
    }
    b.push_str("<th>pair</th><th>Δ accuracy (points)</th><th>p</th><th>time ratio</th><th>verdict</th></tr>\n");
    for p in &sweep.points {
        b.push_str(&format!(
            "<tr><td><a href=\"{}/{}\">{}</a></td>",
            escape(&p.dir),
            files::REPORT,
            escape(&p.id)
        ));
        for a in &sweep.axes {
            let v = p
                .values
                .iter()
                .find(|(k, _)| *k == a.key)
                .map(|(_, v)| v.as_str())
                .unwrap_or("—");
            b.push_str(&format!("<td class=\"num\">{}</td>", escape(v)));
        }
        for &m in &models {
            let e = p
                .summary
                .as_ref()
                .and_then(|s| s.model(m))
                .and_then(|s| s.test_acc);
            b.push_str(&format!("<td class=\"num\">{}</td>", acc_cell(e)));
        }
        match p.summary.as_ref().and_then(first_pair) {
            Some(pair) => b.push_str(&format!(
                "<td>{} vs {}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>\n",
                escape(pair.a.display_name()),
                escape(pair.b.display_name()),
                diff_cell(pair.test_acc_diff),
                pair.test_acc_diff
                    .and_then(|d| d.p_value)
                    .map(format_p)
                    .unwrap_or_else(|| "—".into()),
                ratio_cell(pair.speed_ratio),
                escape(&verdict(pair))
            )),
            None => b.push_str("<td>—</td><td>—</td><td>—</td><td>—</td><td>—</td></tr>\n"),
        }
    }
    b.push_str("</table>\n");
    if !figures.is_empty() {
        b.push_str("<h2 id=\"charts\">Across the grid</h2>\n");
    }
    for (file, axis) in figures {
        b.push_str(&format!(
            "<figure><img src=\"{}\" alt=\"{}\"><figcaption>{}</figcaption></figure>\n",
            escape(file),
            escape(&format!(
                "Three panels against {}: test accuracy, seconds per epoch, peak memory; one line per model and setting of the other options",
                axis.flag
            )),
            escape(&format!(
                "Against {}: test accuracy (mean, 95% CI whiskers), training seconds per epoch and peak resident memory (mean, 95% CI), one colour per model, one marker per setting of the other swept options.",
                axis.flag
            ))
        ));
    }
    b.push_str("<h2 id=\"files\">Files</h2>\n<ul>\n");
    for f in [crate::results::files::SWEEP, files::SUMMARY] {
        b.push_str(&format!("<li><a href=\"{0}\">{0}</a></li>\n", escape(f)));
    }
    for p in sweep.points.iter().filter(|p| p.summary.is_some()) {
        b.push_str(&format!(
            "<li><a href=\"{0}/\">{0}/</a>: config.json, epochs.csv, runs.csv, report.html</li>\n",
            escape(&p.dir)
        ));
    }
    b.push_str("</ul>\n");
    wrap_page(&format!("rnnbench sweep: {}", sweep.run_id), &b)
}

/// One line per grid point: each model's test accuracy and the first pair's
/// verdict.
pub fn terminal_table(sweep: &SweepSummary) -> String {
    let width = sweep.points.iter().map(|p| p.id.len()).max().unwrap_or(4);
    let mut out = String::new();
    for p in &sweep.points {
        let mut line = format!("{:<width$}", p.id);
        match &p.summary {
            None => line.push_str("  (no runs here)"),
            Some(s) => {
                for m in &s.per_model {
                    line.push_str(&format!(
                        "  {} {}",
                        m.model.display_name(),
                        m.test_acc
                            .map(|e| format!("{:.2}%", e.mean * 100.0))
                            .unwrap_or_else(|| "—".into())
                    ));
                }
                if let Some(pair) = first_pair(s) {
                    line.push_str(&format!("  | {}", verdict(pair)));
                }
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out.push_str(&format!(
        "{} of {} jobs ok",
        sweep.jobs_ok, sweep.jobs_planned
    ));
    out
}

/// Writes `root` as a sweep folder if it is one (has `sweep.json` with more
/// than one point): see [`finish_sweep`]. Returns `None` otherwise.
pub fn render_if_sweep(root: &Path) -> Result<Option<PathBuf>> {
    if !root.join(crate::results::files::SWEEP).is_file() {
        return Ok(None);
    }
    let manifest = SweepManifest::load(root)?;
    if manifest.grid.points.len() < 2 {
        return Ok(None);
    }
    finish_sweep(root).map(|f| Some(f.html))
}

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
    let says_merged = |file: &str| {
        crate::results::read_json::<serde_json::Value>(&dir.join(file))
            .is_ok_and(|v| v.get("merged_from").is_some())
    };
    says_merged(crate::results::files::SWEEP) || says_merged(files::CONFIG)
}

/// The run folders directly inside `dir` (those with `sweep.json` or
/// `config.json`), sorted by name; a merge's own `points/` is not one.
pub fn run_folders_in(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let path = entry.map_err(|e| Error::io(dir, e))?.path();
        let is_run =
            path.join(crate::results::files::SWEEP).is_file() || path.join(files::CONFIG).is_file();
        let is_points = path
            .file_name()
            .is_some_and(|n| n == crate::results::files::POINTS_DIR);
        if path.is_dir() && is_run && !is_points {
            found.push(path);
        }
    }
    found.sort();
    Ok(found)
}

/// Merges run or shard folders of one grid (`dirs`, from any number of
/// machines) into `out`: per grid point, the runs of every folder (see
/// [`super::render_merged`]: a (model, seed) found twice is counted once and
/// named in the notes), then `sweep.json` and the sweep report. Refuses,
/// before writing anything, folders whose grids (the points' ids), their
/// configurations or datasets differ. Redoing a merge in the same `out`
/// replaces the earlier merge's files. Returns the page's path.
pub fn merge_folders(dirs: &[PathBuf], out: &Path) -> Result<PathBuf> {
    let Some(first_dir) = dirs.first() else {
        return Err(Error::config("DIR", "no run folders to merge"));
    };
    if dirs
        .iter()
        .all(|d| !d.join(crate::results::files::SWEEP).is_file())
    {
        // Plain run folders (no sweep.json): merged as runs of one configuration.
        let runs: Vec<RunFiles> = dirs
            .iter()
            .map(|d| RunFiles::load(d))
            .collect::<Result<_>>()?;
        super::check_mergeable(&runs)?;
        refuse_inputs_as_out(dirs, out)?;
        clear_merged_output(out)?;
        return super::render_merged(dirs, out);
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
        super::check_mergeable(&loaded)?;
        sources.push((point.id.clone(), dirs_of_point));
    }
    refuse_inputs_as_out(dirs, out)?;
    clear_merged_output(out)?;
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    let mut grid = first.grid.clone();
    for ((id, srcs), point) in sources.iter().zip(grid.points.iter_mut()) {
        if srcs.is_empty() {
            continue;
        }
        super::render_merged(srcs, &point_dir(out, &first.grid, id))?;
        // The merged point's seeds: the union, as render_merged wrote them.
        let merged: serde_json::Value =
            crate::results::read_json(&point_dir(out, &first.grid, id).join(files::CONFIG))?;
        if let Ok(seeds) = serde_json::from_value::<Vec<u64>>(merged["config"]["seeds"].clone()) {
            point.config.seeds = seeds;
        }
    }
    let all = crate::sweep::plan::all_jobs(&grid);
    let present: std::collections::BTreeSet<String> = manifests
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
            .map(crate::sweep::plan::Job::id)
            .filter(|id| present.contains(id))
            .collect(),
        grid,
        shard: None,
        merged_from: dirs.iter().map(|d| d.display().to_string()).collect(),
    };
    manifest.write(out)?;
    if manifest.grid.points.len() == 1 {
        return Ok(out.join(files::REPORT));
    }
    finish_sweep(out).map(|f| f.html)
}

/// A merge must not write into one of its inputs.
fn refuse_inputs_as_out(dirs: &[PathBuf], out: &Path) -> Result<()> {
    let inputs: Vec<PathBuf> = dirs
        .iter()
        .map(|d| std::fs::canonicalize(d).unwrap_or_else(|_| d.clone()))
        .collect();
    let out_abs = std::fs::canonicalize(out).unwrap_or_else(|_| out.to_path_buf());
    if inputs.contains(&out_abs) {
        return Err(Error::results(
            out,
            "is one of the folders being merged; choose another --out",
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
    for f in MERGED_FILES.iter().chain(&[crate::results::files::SWEEP]) {
        let path = out.join(f);
        if path.is_file() {
            std::fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
        }
    }
    let points = out.join(crate::results::files::POINTS_DIR);
    if points.is_dir() {
        std::fs::remove_dir_all(&points).map_err(|e| Error::io(&points, e))?;
    }
    for entry in std::fs::read_dir(out).map_err(|e| Error::io(out, e))? {
        let path = entry.map_err(|e| Error::io(out, e))?.path();
        if path.extension().is_some_and(|e| e == "png") {
            std::fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
        }
    }
    Ok(())
}
