//! criterion's folder read into typed [`BenchResult`]s: the median and its
//! CI (`new/estimates.json`), the throughput (`new/benchmark.json`), the
//! samples in measurement order (`new/sample.json`), and how the benches ran
//! ([`BENCH_CONDITIONS_FILE`], written by `benches/throughput.rs`).

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

use crate::bench::{
    BENCH_CONDITIONS_FILE, BatchingBench, BenchCell, BenchCondition, BenchConditions, BenchGroup,
    BenchGroupId, BenchShape, MatmulBench, SeriesBench,
};
use crate::error::{Error, Result};
use crate::model::Cell;
use crate::results::read_json;

/// One bench's result.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchResult {
    /// Criterion group, e.g. `train_step` or `forward-cuda`.
    pub group: BenchGroupId,
    /// The bench's function name: a cell name, or `peak` for the matmul.
    pub function: String,
    /// The parameter part of the name (a [`BenchShape`], [`BatchingBench`],
    /// [`SeriesBench`] or [`MatmulBench`] as text).
    pub parameter: String,
    /// Median seconds per iteration.
    pub median_secs: f64,
    /// Lower bound of criterion's 95% CI of the median, seconds.
    pub ci_low_secs: f64,
    /// Upper bound of criterion's 95% CI of the median, seconds.
    pub ci_high_secs: f64,
    /// Criterion's throughput elements per iteration (`benchmark.json`):
    /// tokens for the cell benches, real tokens for the batching benches,
    /// time steps for the series benches; `None` when absent.
    pub elements: Option<f64>,
    /// Seconds per iteration of each sample, in the order criterion measured
    /// them (`sample.json`); empty when the file is absent.
    pub sample_secs: Vec<f64>,
    /// How the bench ran, when the benches recorded it.
    pub condition: Option<BenchCondition>,
}

impl BenchResult {
    /// The bench id, `<group>/<function>/<parameter>`.
    pub fn id(&self) -> String {
        format!("{}/{}/{}", self.group, self.function, self.parameter)
    }

    /// The cell, for cell and batching benches on libtorch's own kernel
    /// choice (`None` for an `lstm-native` bench: see [`Self::bench_cell`]).
    pub fn cell(&self) -> Option<Cell> {
        self.function.parse().ok()
    }

    /// The cell and kernel setting, for cell benches (`lstm`, `lstm-native`).
    pub fn bench_cell(&self) -> Option<BenchCell> {
        self.function.parse().ok()
    }

    /// The shape, for cell benches.
    pub fn shape(&self) -> Option<BenchShape> {
        self.parameter.parse().ok()
    }

    /// The batching mode, slice size and shape, for batching benches.
    pub fn batching(&self) -> Option<BatchingBench> {
        self.parameter.parse().ok()
    }

    /// The channels, embedding width and shape, for series benches.
    pub fn series(&self) -> Option<SeriesBench> {
        self.group
            .group
            .is_series()
            .then(|| self.parameter.parse().ok())?
    }

    /// The shape of a cell or series bench (for a series bench, `t` counts
    /// time steps).
    pub fn steps_shape(&self) -> Option<BenchShape> {
        self.shape().or_else(|| self.series().map(|s| s.shape))
    }

    /// The matrix size, for the matmul bench.
    pub fn matmul(&self) -> Option<MatmulBench> {
        (self.group.group == BenchGroup::Matmul).then(|| self.parameter.parse().ok())?
    }

    /// FLOPs per iteration, for cell and series benches (forward or train
    /// step by group).
    pub fn flops(&self) -> Option<f64> {
        let cell = self.bench_cell()?.cell;
        Some(match (self.series(), self.group.group.trains()) {
            (Some(series), true) => series.train_step_flops(cell),
            (Some(series), false) => series.forward_flops(cell),
            (None, true) => self.shape()?.train_step_flops(cell),
            (None, false) => self.shape()?.forward_flops(cell),
        })
    }

    /// Tokens per second at the median, for cell benches; time steps per
    /// second for series benches.
    pub fn tokens_per_sec(&self) -> Option<f64> {
        self.steps_shape()
            .map(|s| s.tokens() as f64 / self.median_secs)
    }
}

/// criterion's `sample.json`: iterations and nanoseconds per sample.
#[derive(Deserialize)]
struct SavedSample {
    iters: Vec<f64>,
    times: Vec<f64>,
}

/// The JSON file at `path`, `None` when there is none.
fn read_if<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Option<T>> {
    path.is_file().then(|| read_json(path)).transpose()
}

/// The folders in `dir`, sorted.
fn folders(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    v.sort();
    Ok(v)
}

fn name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Reads every `<group>/<function>/<parameter>/new/estimates.json` under
/// `dir` (criterion's layout) whose group is one of the throughput benches'
/// ([`BenchGroupId`]; others, such as the pipeline benches, are skipped);
/// errors name the file.
pub fn read_criterion(dir: &Path) -> Result<Vec<BenchResult>> {
    let conditions: Option<BenchConditions> = read_if(&dir.join(BENCH_CONDITIONS_FILE))?;
    let mut conditions = conditions.unwrap_or_default();
    let mut results = Vec::new();
    for group_dir in folders(dir)? {
        let Ok(group) = name(&group_dir).parse::<BenchGroupId>() else {
            continue;
        };
        for function in folders(&group_dir)? {
            for parameter in folders(&function)? {
                let new = parameter.join("new");
                let file = new.join("estimates.json");
                let Some(json) = read_if::<Value>(&file)? else {
                    continue;
                };
                let nanos = |v: &Value| {
                    v.as_f64()
                        .ok_or_else(|| Error::data(&file, None, None, "no median estimate"))
                };
                let (median, ci) = (&json["median"], &json["median"]["confidence_interval"]);
                let benchmark: Option<Value> = read_if(&new.join("benchmark.json"))?;
                let sample: Option<SavedSample> = read_if(&new.join("sample.json"))?;
                let sample_secs = sample.map_or(vec![], |s| {
                    let per_sample = s.iters.iter().zip(&s.times);
                    per_sample
                        .filter(|(iters, _)| **iters > 0.0)
                        .map(|(iters, ns)| ns / iters * 1e-9)
                        .collect()
                });
                let (function, parameter) = (name(&function), name(&parameter));
                let id = format!("{group}/{function}/{parameter}");
                results.push(BenchResult {
                    group,
                    function,
                    parameter,
                    median_secs: nanos(&median["point_estimate"])? * 1e-9,
                    ci_low_secs: nanos(&ci["lower_bound"])? * 1e-9,
                    ci_high_secs: nanos(&ci["upper_bound"])? * 1e-9,
                    elements: benchmark.and_then(|b| b["throughput"]["Elements"].as_f64()),
                    sample_secs,
                    condition: conditions.benches.remove(&id),
                });
            }
        }
    }
    Ok(results)
}
