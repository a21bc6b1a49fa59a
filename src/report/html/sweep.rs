//! The sweep page's context: everything `sweep.html` prints, formatted.

use crate::analysis::metrics;
use serde::Serialize;

use super::{Figure, PairCells, render};
use crate::error::Result;
use crate::model::Cell;
use crate::probe::environment::Environment;
use crate::report::answer::Answer;
use crate::report::findings::{ClaimRow, budget_text, memory_reach_sentences, timing_cell};
use crate::report::format::{machine_line, mean_with_ci, pct};
use crate::report::sweep_answer::sweep_answer;
use crate::report::table::unit_format;
use crate::report::view::memory_reach::MemoryReach;
use crate::report::view::sweep::SweepSummary;
use crate::report::view::verdict::speed_rests_on_disturbed;
use crate::results::{SweepManifest, files};

/// One row of the verdict table.
#[derive(Debug, Clone, Serialize)]
struct PointRow {
    id: String,
    link: String,
    values: Vec<String>,
    accuracies: Vec<String>,
    hidden: String,
    pair: Option<PairCells>,
    /// How the point's timings fared ([`timing_cell`]).
    timing: String,
    /// Whether a speed figure of the point rests on disturbed timings.
    timing_disturbed: bool,
}

/// Everything the sweep page shows, filled into `sweep.html`.
#[derive(Debug, Clone, Serialize)]
pub struct SweepPage<'a> {
    title: String,
    /// Its run id, jobs, swept options and length scaling.
    sweep: &'a SweepSummary,
    dataset: String,
    axes_text: String,
    machine: Option<String>,
    notes: Vec<String>,
    models: Vec<Cell>,
    /// Whether the quality columns show a forecast's test MAE, not accuracy.
    forecast: bool,
    rows: Vec<PointRow>,
    figures: Vec<Figure>,
    files: Vec<&'static str>,
    /// One per training budget, the smallest first.
    memory: Vec<MemorySection>,
    /// Per point with runs: its id and its claims table.
    claims: &'a [(String, Vec<ClaimRow>)],
    /// The first screen across the grid.
    answer: Option<Answer>,
}

/// The memory task's section: accuracy per cell and distance, the verdicts.
#[derive(Debug, Clone, Serialize)]
struct MemorySection {
    /// The training budget, in words.
    budget: String,
    chance: String,
    distances: Vec<usize>,
    rows: Vec<MemoryRow>,
    sentences: Vec<String>,
}

/// One cell's row of the memory table.
#[derive(Debug, Clone, Serialize)]
struct MemoryRow {
    model: Cell,
    /// Per distance: accuracy with CI, and `above chance` or not.
    cells: Vec<(String, bool)>,
    longest: String,
}

impl<'a> SweepPage<'a> {
    /// The page of a sweep from its manifest and summary, with its charts;
    /// `data_warnings` (the points' warnings about their data) join the
    /// notes at the top.
    pub fn new(
        manifest: &SweepManifest,
        sweep: &'a SweepSummary,
        figures: Vec<Figure>,
        environment: Option<&Environment>,
        claims: &'a [(String, Vec<ClaimRow>)],
        data_warnings: Vec<String>,
    ) -> SweepPage<'a> {
        let mut notes = sweep_notes(manifest, sweep);
        notes.extend(data_warnings);
        let axes_text: Vec<String> = sweep
            .axes
            .iter()
            .map(|a| format!("{} ∈ {{{}}}", a.flag, a.labels().join(", ")))
            .collect();
        let models = sweep.models();
        SweepPage {
            title: format!("rnnbench sweep: {}", sweep.run_id),
            sweep,
            dataset: dataset_label(manifest),
            axes_text: axes_text.join(" × "),
            machine: machine_line(environment, manifest.width()),
            notes,
            forecast: sweep.is_forecast(),
            rows: point_rows(sweep, &models),
            models,
            figures,
            files: vec![files::SWEEP, files::SUMMARY],
            memory: sweep.memory_reach.iter().map(memory_section).collect(),
            claims,
            answer: sweep_answer(sweep),
        }
    }

    /// The page as HTML.
    pub fn render(&self) -> Result<String> {
        render("sweep.html", self)
    }
}

/// The dataset's name, or the training file of a dataset given by files.
fn dataset_label(manifest: &SweepManifest) -> String {
    manifest
        .grid
        .points
        .first()
        .map(
            |p| match (&p.config.dataset.train, p.config.dataset.name.is_empty()) {
                (Some(train), true) => train.display().to_string(),
                _ => p.config.dataset.name.clone(),
            },
        )
        .unwrap_or_default()
}

/// The notes at the top: a shard's place in its grid, what was merged.
fn sweep_notes(manifest: &SweepManifest, sweep: &SweepSummary) -> Vec<String> {
    let mut notes = Vec::new();
    if let Some(s) = &manifest.shard {
        notes.push(format!(
            "This folder is shard {} ({} of the grid's {} jobs); merge the shards with `report` on their parent folder for the whole grid.",
            s.shard, sweep.jobs_planned, sweep.jobs_total
        ));
    }
    for m in &manifest.merged_from {
        notes.push(format!("Merged from {m}."));
    }
    notes
}

/// The verdict table, one row per point.
fn point_rows(sweep: &SweepSummary, models: &[Cell]) -> Vec<PointRow> {
    sweep
        .points
        .iter()
        .map(|p| PointRow {
            id: p.id.clone(),
            link: format!("{}/{}", p.dir, files::REPORT),
            values: sweep
                .axes
                .iter()
                .map(|a| p.value_of(&a.key).unwrap_or("—").to_string())
                .collect(),
            accuracies: models
                .iter()
                .map(|&m| {
                    let of = |metric| {
                        p.summary
                            .as_ref()
                            .and_then(|s| s.model(m))
                            .and_then(|s| s.get(metric))
                    };
                    match of(&metrics::TEST_MAE) {
                        Some(e) => mean_with_ci(Some(e), unit_format(metrics::TEST_MAE.unit)),
                        None => mean_with_ci(of(&metrics::TEST_ACC), pct),
                    }
                })
                .collect(),
            hidden: if p.model_sizes.is_empty() {
                "—".into()
            } else {
                p.model_sizes
                    .iter()
                    .map(|s| format!("{} {}", s.model.display_name(), s.hidden_size))
                    .collect::<Vec<_>>()
                    .join(" · ")
            },
            pair: p
                .summary
                .as_ref()
                .and_then(|s| s.pairs.first())
                .map(PairCells::of),
            timing: p.summary.as_ref().map_or("—".to_string(), timing_cell),
            timing_disturbed: p.summary.as_ref().is_some_and(|s| {
                s.pairs
                    .iter()
                    .any(|pair| speed_rests_on_disturbed(pair, s.timing.as_ref()))
            }),
        })
        .collect()
}

/// The memory task's table: accuracy per distance, the longest distance
/// held above chance.
fn memory_section(r: &MemoryReach) -> MemorySection {
    MemorySection {
        budget: budget_text(&r.budget),
        chance: format!("{:.0}", r.chance * 100.0),
        distances: r.distances.clone(),
        rows: r
            .cells
            .iter()
            .map(|c| MemoryRow {
                model: c.model,
                cells: c
                    .points
                    .iter()
                    .map(|p| (mean_with_ci(p.test_acc, pct), p.above_chance))
                    .collect(),
                longest: c
                    .longest_held
                    .map_or("none measured".to_string(), |d| d.to_string()),
            })
            .collect(),
        sentences: memory_reach_sentences(r),
    }
}
