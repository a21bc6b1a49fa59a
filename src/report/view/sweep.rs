//! The pure model of a sweep's page: every point's summary ([`SweepSummary`],
//! written as the sweep's `summary.json`) and the lines of the charts
//! against each swept option ([`axis_lines`]).

use crate::analysis::metrics::Metric;
use serde::{Deserialize, Serialize};

use super::axis::AxisLayout;
use super::length_scaling::{LengthScaling, length_scaling};
use super::memory_reach::{MemoryReach, ReachInput, TrainingBudget, memory_reach};
use super::pooling_effect::{POOLING_KEY, PoolingInput, PoolingRow, pooling_effect};
use crate::analysis::stats::Estimate;
use crate::config::Axis;
use crate::data::memory::MEMORY_DATASET;
use crate::model::Cell;
use crate::report::load::SweepFiles;
use crate::results::RunStatus;

pub use super::point::PointSummary;

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
    /// For a run of the memory task (`--dataset memory`): how far each cell
    /// carries the key, one per training budget (sequences, epochs,
    /// patience), the smallest first; empty otherwise. Derived from the
    /// points' runs, so not read back.
    #[serde(default, skip_deserializing, skip_serializing_if = "Vec::is_empty")]
    pub memory_reach: Vec<MemoryReach>,
    /// For a `--pooling` sweep: each recurrent cell's accuracy with every
    /// state pooled against the last state; empty otherwise. Derived, not
    /// read back.
    #[serde(default, skip_deserializing, skip_serializing_if = "Vec::is_empty")]
    pub pooling_effect: Vec<PoolingRow>,
    /// For a `--max-len` sweep: time and memory against length, with the
    /// fitted exponents; absent otherwise. Derived, not read back.
    #[serde(default, skip_deserializing, skip_serializing_if = "Option::is_none")]
    pub length_scaling: Option<LengthScaling>,
}

impl SweepSummary {
    /// Whether the sweep's points are forecasts (they record a test MAE).
    pub fn is_forecast(&self) -> bool {
        self.points
            .iter()
            .any(|p| p.summary.as_ref().is_some_and(|s| s.is_forecast()))
    }

    /// The models of the first point with runs, in its order.
    pub fn models(&self) -> Vec<Cell> {
        self.points
            .iter()
            .filter_map(|p| p.summary.as_ref())
            .map(|s| s.models.clone())
            .next()
            .unwrap_or_default()
    }
}

/// The summary of a sweep folder's files.
pub fn summarize_sweep(sweep: &SweepFiles) -> SweepSummary {
    let mut jobs_ok = 0;
    let points: Vec<PointSummary> = sweep
        .manifest
        .grid
        .points
        .iter()
        .zip(&sweep.points)
        .map(|(point, files)| {
            let planned: Vec<_> = sweep.jobs.iter().filter(|j| j.point == point.id).collect();
            if let Some(run) = &files.run {
                jobs_ok += planned
                    .iter()
                    .filter(|j| {
                        run.runs.iter().any(|r| {
                            r.model == j.model && r.seed == j.seed && r.status == RunStatus::Ok
                        })
                    })
                    .count();
            }
            PointSummary {
                id: point.id.clone(),
                values: point
                    .values
                    .iter()
                    .map(|(k, v)| (k.clone(), v.label()))
                    .collect(),
                dir: files
                    .dir
                    .strip_prefix(&sweep.root)
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
                jobs_planned: planned.len(),
                summary: files.run.as_ref().map(|r| r.summary()),
                model_sizes: files
                    .run
                    .as_ref()
                    .map(|r| r.config.model_sizes.clone())
                    .unwrap_or_default(),
            }
        })
        .collect();
    let reach_inputs: Vec<ReachInput<'_>> = sweep
        .points
        .iter()
        .zip(&points)
        .filter_map(|(files, p)| {
            let run = files.run.as_ref()?;
            let config = &run.config.config;
            (config.dataset.name == MEMORY_DATASET && !run.config.classes.is_empty()).then(|| {
                ReachInput {
                    distance: config.distance,
                    budget: TrainingBudget::of(config),
                    chance: 1.0 / run.config.classes.len() as f64,
                    runs: &run.runs,
                    pairs: p.summary.as_ref().map_or(&[], |s| s.pairs.as_slice()),
                }
            })
        })
        .collect();
    let models = sweep_models(&points);
    let memory_reach = memory_reach(&models, &reach_inputs);
    let pooling_inputs: Vec<PoolingInput<'_>> = sweep
        .points
        .iter()
        .zip(&points)
        .filter_map(|(files, p)| {
            Some(PoolingInput {
                pooling: p.value_of(POOLING_KEY)?,
                others: p
                    .values
                    .iter()
                    .filter(|(k, _)| k != POOLING_KEY)
                    .cloned()
                    .collect(),
                runs: &files.run.as_ref()?.runs,
            })
        })
        .collect();
    let pooling_effect = pooling_effect(&models, &pooling_inputs);
    let length_scaling = length_scaling(&sweep.manifest.grid.axes, &points, &models);
    SweepSummary {
        run_id: sweep.manifest.run_id.clone(),
        axes: sweep.manifest.grid.axes.clone(),
        jobs_total: sweep.manifest.jobs_total,
        jobs_planned: sweep.jobs.len(),
        jobs_ok,
        points,
        memory_reach,
        pooling_effect,
        length_scaling,
    }
}

/// Every model of any point, in order of first appearance.
fn sweep_models(points: &[PointSummary]) -> Vec<Cell> {
    let mut models = Vec::new();
    for m in points
        .iter()
        .filter_map(|p| p.summary.as_ref())
        .flat_map(|s| s.models.iter().copied())
    {
        if !models.contains(&m) {
            models.push(m);
        }
    }
    models
}

/// One point of a [`SweepLine`].
#[derive(Debug, Clone, PartialEq)]
pub struct SweepPoint {
    /// Index of the value in the axis's values.
    pub index: usize,
    /// Its x ([`AxisLayout::xs`]).
    pub x: f64,
    /// The estimate there.
    pub estimate: Estimate,
    /// A note drawn next to the marker: the cell's own hidden size when the
    /// swept option is `hidden` and the cell got another (it was matched).
    pub note: Option<String>,
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
    /// In increasing x.
    pub points: Vec<SweepPoint>,
}

/// The lines of a chart against `axes[axis]`: for every setting of the other
/// swept options and every model, the estimate `metric` gives at each value.
pub fn axis_lines(sweep: &SweepSummary, axis: usize, metric: &Metric) -> Vec<SweepLine> {
    let Some(ax) = sweep.axes.get(axis) else {
        return Vec::new();
    };
    let layout = AxisLayout::of(ax);
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
    let mut lines = Vec::new();
    for (gi, group) in groups.iter().enumerate() {
        for model in sweep_models(&sweep.points) {
            let mut points: Vec<SweepPoint> = sweep
                .points
                .iter()
                .filter(|p| others(p) == *group)
                .filter_map(|p| {
                    let index = layout.index_of(p.value_of(&ax.key)?)?;
                    let estimate = p.summary.as_ref()?.model(model)?.get(metric)?;
                    let x = layout.xs[index];
                    let note = match p.hidden_of(model) {
                        Some(h) if ax.key == "hidden" && h as f64 != x => Some(format!("h {h}")),
                        _ => None,
                    };
                    Some(SweepPoint {
                        index,
                        x,
                        estimate,
                        note,
                    })
                })
                .collect();
            points.sort_by(|a, b| a.x.total_cmp(&b.x));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::summary::summarize;
    use crate::analysis::summary::tests::run;
    use crate::config::{AxisScale, AxisValue};
    use crate::results::ModelSize;

    fn point(hidden: &str, gru_hidden: i64, acc: f64) -> PointSummary {
        let runs = vec![
            run("lstm", 1, acc, 1.0, 1),
            run("gru", 1, acc - 0.01, 1.0, 1),
        ];
        PointSummary {
            id: format!("hidden-{hidden}"),
            values: vec![("hidden".into(), hidden.into())],
            dir: format!("points/hidden-{hidden}"),
            jobs_planned: 2,
            summary: Some(summarize(&runs, &[Cell::Lstm, Cell::Gru])),
            model_sizes: vec![
                ModelSize {
                    model: Cell::Lstm,
                    hidden_size: hidden.parse().unwrap(),
                    params: 1000,
                    pooling: crate::model::Pooling::Last,
                },
                ModelSize {
                    model: Cell::Gru,
                    hidden_size: gru_hidden,
                    params: 1000,
                    pooling: crate::model::Pooling::Last,
                },
            ],
        }
    }

    #[test]
    fn hidden_sizes_are_numeric_x_and_matched_cells_say_their_own() {
        let sweep = SweepSummary {
            run_id: "s".into(),
            axes: vec![Axis {
                key: "hidden".into(),
                flag: "--hidden".into(),
                values: vec![AxisValue::Int(256), AxisValue::Int(64)],
                scale: AxisScale::Log,
            }],
            jobs_total: 4,
            jobs_planned: 4,
            jobs_ok: 4,
            points: vec![point("256", 296, 0.8), point("64", 74, 0.7)],
            memory_reach: Vec::new(),
            pooling_effect: Vec::new(),
            length_scaling: None,
        };
        let lines = axis_lines(&sweep, 0, &crate::analysis::metrics::TEST_ACC);
        assert_eq!(lines.len(), 2);
        let lstm = &lines[0];
        assert_eq!(lstm.model, Cell::Lstm);
        let xs: Vec<f64> = lstm.points.iter().map(|p| p.x).collect();
        assert_eq!(xs, [64.0, 256.0], "sorted by value, not by the order given");
        assert!(lstm.points.iter().all(|p| p.note.is_none()));
        let notes: Vec<_> = lines[1].points.iter().map(|p| p.note.clone()).collect();
        assert_eq!(notes, [Some("h 74".into()), Some("h 296".into())]);
    }
}
