//! The run page's context: everything `run.html` prints, formatted by
//! [`crate::report::format`] (here or through the templates' filters), with
//! sentences from [`crate::report::findings`].

use serde::Serialize;
use serde_json::Value;

use super::{Figure, PairCells, render};
use crate::analysis::metrics;
use crate::analysis::summary::{ModelSeed, Summary};
use crate::data::{DatasetIdentity, FileIdentity};
use crate::error::Result;
use crate::model::Cell;
use crate::report::answer::Answer;
use crate::report::findings::{ClaimRow, findings};
use crate::report::format::machine_line;
use crate::report::kernel_check::{KernelCheck, kernel_check};
use crate::report::load::RunFiles;
use crate::report::table::{self, Facts, Table, Target};
use crate::results::{EnvironmentFile, RunRecord};

/// Everything the run page shows, filled into `run.html`.
#[derive(Debug, Clone, Serialize)]
pub struct RunPage<'a> {
    title: String,
    run_id: String,
    dataset_name: String,
    /// Its models, seeds, missing runs.
    summary: &'a Summary,
    machine: Option<String>,
    answer: Option<&'a Answer>,
    notes: Vec<String>,
    headline_title: &'static str,
    headline: Table,
    /// The kernel split's table ([`crate::report::kernel_check`]).
    kernel_check: Option<KernelCheck>,
    /// The notes no other part says ([`crate::report::findings::findings`]).
    findings: Vec<String>,
    pairs: Vec<PairCells>,
    /// The pairs table's quality column: accuracy, or a forecast's MAE.
    pairs_quality: &'static str,
    figures: Vec<Figure>,
    command: Option<String>,
    config: Vec<(String, String)>,
    dataset: Vec<(String, String)>,
    dataset_files: Vec<FileIdentity>,
    environment: Vec<(String, String)>,
    /// Every run, in the models' order, then by seed.
    runs: Vec<&'a RunRecord>,
    /// The planned runs that left no row at all.
    missing: Vec<&'a ModelSeed>,
    files: Vec<String>,
    claims: &'a [ClaimRow],
    resources: Table,
}

/// A JSON value as display text: strings bare, everything else as compact JSON.
fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "—".into(),
        other => other.to_string(),
    }
}

/// Flattens nested objects into `a.b.c` keys (arrays of scalars stay whole).
fn flatten(prefix: &str, v: &Value, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out);
            }
        }
        Value::Null if prefix.is_empty() => {}
        other => out.push((prefix.to_string(), value_text(other))),
    }
}

/// A typed value shown as `key: value` rows.
fn kv_rows<T: Serialize>(value: &T) -> Vec<(String, String)> {
    let mut rows = Vec::new();
    flatten(
        "",
        &serde_json::to_value(value).unwrap_or(Value::Null),
        &mut rows,
    );
    rows
}

impl<'a> RunPage<'a> {
    /// The page of `run`, with `summary` (of its runs), its charts and the
    /// notes to show at the top.
    pub fn new(
        run: &'a RunFiles,
        summary: &'a Summary,
        figures: Vec<Figure>,
        notes: Vec<String>,
        claims: &'a [ClaimRow],
        answer: Option<&'a Answer>,
    ) -> Self {
        let sum = summary;
        let shapes = run.model_shapes();
        let kernels = run.kernels();
        let facts = Facts {
            shapes: &shapes,
            kernels: &kernels,
        };
        let has = |m: Cell| sum.models.contains(&m);
        let d = &run.config.dataset;
        let run_id = run.run_id();
        let pairs = &sum.pairs;
        let forecast_pairs = pairs.iter().all(|p| p.diff(&metrics::TEST_ACC).is_none())
            && pairs.iter().any(|p| p.ratio(&metrics::TEST_MAE).is_some());
        RunPage {
            title: format!("rnnbench report: {run_id}"),
            run_id,
            dataset_name: d.name.clone(),
            summary,
            // Which cell is faster depends on the device, the threads and
            // the kernel path (libtorch's CPU LSTM uses oneDNN, its GRU does
            // not): say it where the verdict is read.
            machine: machine_line(
                run.environment.as_ref().and_then(EnvironmentFile::first),
                crate::analysis::summary::workers_at_once(&run.runs),
            ),
            answer,
            notes,
            headline_title: if has(Cell::Lstm) && has(Cell::Gru) {
                "LSTM vs GRU"
            } else {
                "Models compared"
            },
            headline: table::headline(sum, &facts, Target::Page),
            kernel_check: kernel_check(sum),
            findings: findings(sum),
            pairs: sum.pairs.iter().map(PairCells::of).collect(),
            pairs_quality: if forecast_pairs {
                "test MAE a / b [95% CI]"
            } else {
                "test accuracy a − b (points) [95% CI]"
            },
            figures,
            command: (!run.config.command_line.is_empty())
                .then(|| run.config.command_line.join(" ")),
            config: kv_rows(&run.config.config),
            dataset: dataset_rows(d),
            dataset_files: d.files.clone(),
            environment: kv_rows(&run.environment),
            runs: run_rows(run, sum),
            missing: sum
                .missing
                .iter()
                .filter(|c| {
                    !run.runs
                        .iter()
                        .any(|r| (r.model, r.seed) == (c.model, c.seed))
                })
                .collect(),
            files: run.data_files(),
            claims,
            resources: table::resources(sum, &facts, Target::Page),
        }
    }

    /// The page as HTML.
    pub fn render(&self) -> Result<String> {
        render("run.html", self)
    }
}

/// Every run, in the models' order, then by seed.
fn run_rows<'a>(run: &'a RunFiles, sum: &Summary) -> Vec<&'a RunRecord> {
    let order = |m: Cell| {
        sum.models
            .iter()
            .position(|&x| x == m)
            .unwrap_or(usize::MAX)
    };
    let mut records: Vec<&RunRecord> = run.runs.iter().collect();
    records.sort_by_key(|r| (order(r.model), r.model.name(), r.seed));
    records
}

/// The dataset's facts, in its record's order.
fn dataset_rows(d: &DatasetIdentity) -> Vec<(String, String)> {
    let v = serde_json::to_value(d).unwrap_or(Value::Null);
    let keys = [
        "name",
        "train_examples",
        "test_examples",
        "classes",
        "train_class_counts",
        "test_class_counts",
    ];
    keys.into_iter()
        .map(|k| (k.to_string(), value_text(&v[k])))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flattens_nested_objects() {
        let v = serde_json::json!({"a": {"b": 1, "c": [1, 2]}, "d": "x"});
        let mut rows = Vec::new();
        flatten("", &v, &mut rows);
        assert_eq!(
            rows,
            [
                ("a.b".into(), "1".into()),
                ("a.c".into(), "[1,2]".into()),
                ("d".into(), "x".into())
            ]
        );
    }
}
