//! The run page's context: everything `run.html` prints, as text already
//! formatted by [`crate::report::format`] and sentences from
//! [`crate::report::findings`].

use serde::Serialize;
use serde_json::{Value, json};

use super::{Figure, ModelTag, PairCells, render};
use crate::analysis::metrics;
use crate::analysis::summary::Summary;
use crate::data::{DatasetIdentity, FileIdentity};
use crate::error::Result;
use crate::model::Cell;
use crate::report::answer::Answer;
use crate::report::findings::{ClaimRow, activation_arithmetic, findings};
use crate::report::format::{machine_line, mib, pct, secs, thousands};
use crate::report::load::RunFiles;
use crate::report::table::{self, Facts, Table, Target};
use crate::results::{EnvironmentFile, RunRecord, RunStatus};

/// A [`Table`] as the page draws it: headers, then per model its swatch
/// and its cells, each with whether it holds a number.
#[derive(Debug, Clone, Serialize)]
struct PageTable {
    headers: Vec<String>,
    rows: Vec<PageRow>,
}

/// One model's row of a [`PageTable`].
#[derive(Debug, Clone, Serialize)]
struct PageRow {
    model: ModelTag,
    cells: Vec<(String, bool)>,
}

impl PageTable {
    fn of(t: Table) -> PageTable {
        let rows = t
            .models
            .iter()
            .zip(&t.rows)
            .map(|(m, row)| PageRow {
                model: (*m).into(),
                cells: row
                    .iter()
                    .cloned()
                    .zip(t.numeric.iter().copied())
                    .skip(1)
                    .collect(),
            })
            .collect();
        PageTable {
            headers: t.headers,
            rows,
        }
    }
}

/// The incomplete-run banner.
#[derive(Debug, Clone, Serialize)]
struct Incomplete {
    ok: usize,
    planned: usize,
    missing: String,
}

/// One row of the runs table.
#[derive(Debug, Clone, Serialize)]
struct RunRow {
    model: ModelTag,
    seed: u64,
    status: RunStatus,
    hidden: i64,
    params: String,
    epochs_run: u32,
    best_epoch: u32,
    best_val_acc: String,
    test_acc: String,
    test_f1: String,
    secs: String,
    rss: String,
    message: String,
}

/// A planned run with no row in `runs.csv`.
#[derive(Debug, Clone, Serialize)]
struct MissingRow {
    model: ModelTag,
    seed: u64,
}

/// Everything the run page shows, filled into `run.html`.
#[derive(Debug, Clone, Serialize)]
pub struct RunPage {
    title: String,
    run_id: String,
    dataset_name: String,
    models: Vec<&'static str>,
    seeds: Vec<u64>,
    machine: Option<String>,
    answer: Option<Answer>,
    incomplete: Option<Incomplete>,
    notes: Vec<String>,
    headline_title: &'static str,
    headline: PageTable,
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
    runs: Vec<RunRow>,
    missing: Vec<MissingRow>,
    files: Vec<String>,
    claims: Vec<ClaimRow>,
    resources: PageTable,
    activation_note: Option<String>,
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

impl RunPage {
    /// The page of `run`, with `summary` (of its runs), its charts and the
    /// notes to show at the top.
    pub fn new(
        run: &RunFiles,
        summary: &Summary,
        figures: Vec<Figure>,
        notes: Vec<String>,
        claims: &[ClaimRow],
        answer: Option<&Answer>,
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
            models: sum.models.iter().map(|m| m.display_name()).collect(),
            seeds: sum.planned_seeds.clone(),
            // Which cell is faster depends on the device, the threads and
            // the kernel path (libtorch's CPU LSTM uses oneDNN, its GRU does
            // not): say it where the verdict is read.
            machine: machine_line(
                run.environment.as_ref().and_then(EnvironmentFile::first),
                crate::analysis::summary::workers_at_once(&run.runs),
            ),
            answer: answer.cloned(),
            incomplete: incomplete(sum),
            notes,
            headline_title: if has(Cell::Lstm) && has(Cell::Gru) {
                "LSTM vs GRU"
            } else {
                "Models compared"
            },
            headline: PageTable::of(table::headline(sum, &facts, Target::Page)),
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
            missing: missing_rows(run, sum),
            files: run.data_files(),
            claims: claims.to_vec(),
            resources: PageTable::of(table::resources(sum, &facts, Target::Page)),
            activation_note: activation_arithmetic(&shapes),
        }
    }

    /// The page as HTML.
    pub fn render(&self) -> Result<String> {
        render("run.html", self)
    }
}

/// What a run with missing results lacks, or `None` when complete.
fn incomplete(sum: &Summary) -> Option<Incomplete> {
    (!sum.complete).then(|| Incomplete {
        ok: sum.runs_ok,
        planned: sum.models.len() * sum.planned_seeds.len(),
        missing: sum
            .missing
            .iter()
            .map(|c| format!("{} seed {}", c.model.display_name(), c.seed))
            .collect::<Vec<_>>()
            .join(", "),
    })
}

/// Every run, in the models' order, then by seed.
fn run_rows(run: &RunFiles, sum: &Summary) -> Vec<RunRow> {
    let order = |m: Cell| {
        sum.models
            .iter()
            .position(|&x| x == m)
            .unwrap_or(usize::MAX)
    };
    let mut records: Vec<&RunRecord> = run.runs.iter().collect();
    records.sort_by_key(|r| (order(r.model), r.model.name(), r.seed));
    let num = |x: f64, f: fn(f64) -> String| if x.is_finite() { f(x) } else { "—".into() };
    records
        .into_iter()
        .map(|r| RunRow {
            model: r.model.into(),
            seed: r.seed,
            status: r.status,
            hidden: r.hidden_size,
            params: thousands(r.params),
            epochs_run: r.epochs_run,
            best_epoch: r.best_epoch,
            best_val_acc: num(r.best_val_acc, pct),
            test_acc: num(r.test_acc, pct),
            test_f1: num(r.test_macro_f1, |x| format!("{x:.3}")),
            secs: num(r.secs_per_epoch, secs),
            rss: mib(r.peak_rss_bytes as f64),
            message: r.message.clone(),
        })
        .collect()
}

/// The planned runs that left no row at all.
fn missing_rows(run: &RunFiles, sum: &Summary) -> Vec<MissingRow> {
    sum.missing
        .iter()
        .filter(|c| {
            !run.runs
                .iter()
                .any(|r| r.model == c.model && r.seed == c.seed)
        })
        .map(|c| MissingRow {
            model: c.model.into(),
            seed: c.seed,
        })
        .collect()
}

/// The dataset's facts.
fn dataset_rows(d: &DatasetIdentity) -> Vec<(String, String)> {
    let rows = [
        ("name", json!(d.name)),
        ("train_examples", json!(d.train_examples)),
        ("test_examples", json!(d.test_examples)),
        ("classes", json!(d.classes)),
        ("train_class_counts", json!(d.train_class_counts)),
        ("test_class_counts", json!(d.test_class_counts)),
    ];
    rows.into_iter()
        .map(|(k, v)| (k.to_string(), value_text(&v)))
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
