//! The sweep report, put together: one page over a grid of configurations,
//! written to the sweep's run folder next to the points' own reports
//! (`points/<id>/`). Per swept option, a chart of test accuracy, seconds per
//! epoch and peak memory against the option's values; one table with the
//! verdict of the first pair of models at every grid point.

use crate::analysis::metrics;
use std::path::Path;

use super::findings::ClaimRow;
use super::html::Figure;
use super::html::sweep::SweepPage;
use super::load::{RunFiles, SweepFiles};
use super::plot::sweep::{Quality, draw_sweep_axis};
use super::run::{Csv, FinishedRun, render_lock, render_run_with, run_claims};
use super::terminal::{sweep_claim_lines, sweep_first_screen, sweep_table};
use super::view::claims::ClaimVerdict;
use super::view::sweep::{axis_lines, summarize_sweep};
use crate::error::Result;
use crate::results::{EnvironmentFile, SweepManifest, files, write_json_atomic};

pub use super::view::sweep::{PointSummary, SweepLine, SweepSummary};

/// Renders the sweep folder `root`: every point's report, the sweep's
/// `summary.json`, one chart per swept option and `report.html`. Returns the
/// page and a plain-text table for the terminal. The caller holds the
/// folder's lock (`compare`).
pub fn finish_sweep(root: &Path) -> Result<FinishedRun> {
    finish_sweep_with(root, Csv::Rewrite)
}

/// [`finish_sweep`] with the caller's decision on the points' CSV files.
fn finish_sweep_with(root: &Path, csv: Csv) -> Result<FinishedRun> {
    let manifest = SweepManifest::load(root)?;
    for point in &manifest.grid.points {
        let dir = crate::results::point_dir(root, &manifest.grid, &point.id);
        if dir.join(files::CONFIG).is_file() {
            render_run_with(&dir, csv)?;
        }
    }
    let loaded = SweepFiles::load(root)?;
    let sweep = summarize_sweep(&loaded);
    let figures = draw_axis_charts(root, &sweep)?;
    // The points with runs: their files and their summary.
    let ran: Vec<(&RunFiles, &PointSummary)> = loaded
        .points
        .iter()
        .zip(&sweep.points)
        .filter_map(|(files, point)| Some((files.run.as_ref()?, point)))
        .collect();
    let environment = ran
        .iter()
        .find_map(|(r, _)| r.environment.as_ref().and_then(EnvironmentFile::first));
    // The claims per point; claim 5 (long-range memory) from the sweep's
    // reach over every distance.
    let claims: Vec<(String, Vec<ClaimRow>)> = ran
        .iter()
        .filter_map(|(run, point)| {
            let pooling = Some(sweep.pooling_effect.as_slice());
            let rows = run_claims(run, point.summary.as_ref()?, &sweep.memory_reach, pooling);
            Some((point.id.clone(), rows))
        })
        .collect();
    let warned: Vec<(&str, &[String])> = ran
        .iter()
        .map(|(run, point)| (point.id.as_str(), run.config.data_warnings.as_slice()))
        .collect();
    let across = across_sweep(&claims);
    write_json_atomic(
        &root.join(files::SUMMARY),
        &SweepSummaryFile {
            sweep: &sweep,
            claims: &across,
        },
    )?;
    let page = SweepPage::new(
        &manifest,
        &sweep,
        figures,
        environment,
        &claims,
        data_notes(&warned),
    )
    .render()?;
    let path = root.join(files::REPORT);
    crate::results::write_atomic(&path, page.as_bytes())?;
    // A merge's duplicates, which each point's page lists.
    let duplicates: Vec<String> = ran
        .iter()
        .flat_map(|(run, point)| {
            let id = &point.id;
            run.config
                .duplicate_notes()
                .map(move |n| format!("{id}: {n}"))
        })
        .collect();
    Ok(FinishedRun {
        html: path,
        table: sweep_table(&sweep) + &sweep_claim_lines(&across),
        details: String::new(),
        first_screen: sweep_first_screen(&sweep, &duplicates) + &sweep_claim_lines(&across),
    })
}

/// One chart per swept option in `root`: the first panel is the test
/// accuracy (a forecast's: its test MAE), then seconds per epoch and peak
/// memory.
fn draw_axis_charts(root: &Path, sweep: &SweepSummary) -> Result<Vec<Figure>> {
    let mut figures = Vec::new();
    let (metric, quality, first) = if sweep.is_forecast() {
        (metrics::TEST_MAE, Quality::ForecastError, "test MAE")
    } else {
        (metrics::TEST_ACC, Quality::Accuracy, "test accuracy")
    };
    for (i, axis) in sweep.axes.iter().enumerate() {
        let file = format!("sweep_{}.png", axis.key);
        draw_sweep_axis(
            &root.join(&file),
            axis,
            (&axis_lines(sweep, i, &metric), quality),
            &axis_lines(sweep, i, &metrics::SECS_PER_EPOCH),
            &axis_lines(sweep, i, &metrics::PEAK_RSS),
            sweep
                .memory_reach
                .first()
                .filter(|_| axis.key == "distance")
                .map(|r| r.chance),
        )?;
        let hidden_note = match axis.key.as_str() {
            "hidden" => {
                " x is the first model's hidden size; a matched cell's own size is written next to its marker (h …)."
            }
            "distance" if !sweep.memory_reach.is_empty() => {
                " The dashed grey line is chance (1 / the number of key classes)."
            }
            _ => "",
        };
        figures.push(Figure {
            alt: format!(
                "Three panels against {}: {first}, seconds per epoch, peak memory; one line per model and setting of the other options",
                axis.flag
            ),
            caption: format!(
                "Against {}: {first} (mean, 95% CI whiskers from three seeds on), training seconds per epoch and peak resident memory (mean, 95% CI), one colour per model, one marker per setting of the other swept options.{hidden_note}",
                axis.flag
            ),
            file,
        });
    }
    Ok(figures)
}

/// The points' warnings about their data (`config.json`'s `data_warnings`,
/// which each point's own page shows), for the sweep page: each once, in
/// the order first met; one that not every point has names its points.
/// `points` are (point id, its warnings) of the points with a `config.json`.
fn data_notes(points: &[(&str, &[String])]) -> Vec<String> {
    let mut seen: Vec<(&String, Vec<&str>)> = Vec::new();
    for &(id, warnings) in points {
        for warning in warnings {
            match seen.iter_mut().find(|(w, _)| *w == warning) {
                Some((_, ids)) => ids.push(id),
                None => seen.push((warning, vec![id])),
            }
        }
    }
    seen.into_iter()
        .map(|(warning, ids)| {
            if ids.len() == points.len() {
                warning.clone()
            } else {
                format!("{warning} (at {})", ids.join(", "))
            }
        })
        .collect()
}

/// The sweep's `summary.json`: the summary, and the claims decided across
/// the whole sweep.
#[derive(serde::Serialize)]
struct SweepSummaryFile<'a> {
    #[serde(flatten)]
    sweep: &'a SweepSummary,
    /// Claims 5 and 9 where the memory task measured them (they rest on
    /// every distance, at each training budget); absent otherwise.
    #[serde(skip_serializing_if = "<[ClaimRow]>::is_empty")]
    claims: &'a [ClaimRow],
}

/// The rows of the claims decided across the sweep, not per point (the
/// memory task's 5 and 9, the same at every point): the first point's,
/// where measured.
fn across_sweep(claims: &[(String, Vec<ClaimRow>)]) -> Vec<ClaimRow> {
    claims
        .first()
        .map(|(_, rows)| {
            rows.iter()
                .filter(|r| matches!(r.number, 5 | 9) && r.verdict_key != ClaimVerdict::NotMeasured)
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

/// Renders `root` as a sweep folder if it is one (has `sweep.json` with more
/// than one point): see [`finish_sweep`]; the points' CSV files are left
/// alone while another process holds the folder's lock. Returns `None`
/// when `root` is not a sweep.
pub fn render_if_sweep(root: &Path) -> Result<Option<FinishedRun>> {
    if !root.join(files::SWEEP).is_file() {
        return Ok(None);
    }
    let manifest = SweepManifest::load(root)?;
    if manifest.grid.points.len() < 2 {
        return Ok(None);
    }
    let (_lock, csv) = render_lock(root)?;
    finish_sweep_with(root, csv).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 35: the data warnings (a repeated test split, `1` and `1.0` as
    /// two classes) were on each point's page and the terminal only, not on
    /// the sweep's page.
    #[test]
    fn the_points_data_warnings_reach_the_sweep_page_once() {
        let both = vec!["the labels `1`, `1.0` are …".to_string()];
        let one = vec![
            "the labels `1`, `1.0` are …".to_string(),
            "3 of the 4 test examples …".to_string(),
        ];
        assert_eq!(
            data_notes(&[("hidden-8", &both), ("hidden-9", &one)]),
            [
                "the labels `1`, `1.0` are …",
                "3 of the 4 test examples … (at hidden-9)"
            ]
        );
        assert!(data_notes(&[("hidden-8", &[]), ("hidden-9", &[])]).is_empty());
    }
}
