//! The one list of metrics: what a run measures per model, each an entry
//! (its key in `runs.csv` and `summary.json`, its unit, which way is
//! better, how two models are compared, the scale of its interval), not a
//! named field repeated through the summary, the tables and the verdicts.
//! `runs.csv`'s records stay typed ([`RunRecord`]); an entry reads its
//! value from one ([`Metric::of_run`]), [`super::summary`] makes every
//! entry's [`Estimate`] over the seeds, and the report's tables draw their
//! columns from the entries (`report::table`).
//!
//! A new metric: a field of [`RunRecord`] (and whatever measures it), an
//! entry here and in [`ALL`], and a column in `report::table` where a
//! table should show it.

use serde::Serialize;

use super::stats::Scale;
use crate::results::RunRecord;

/// Which way is better for a quantity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Better {
    /// Higher is better (accuracy).
    Higher,
    /// Lower is better (time, memory, latency, error).
    Lower,
}

/// How two models' values are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Contrast {
    /// `a − b`, paired by seed; "no difference" is 0.
    Difference,
    /// `a / b` (geometric mean of the per-seed ratios); "no difference" is 1.
    Ratio,
}

impl Contrast {
    /// The value meaning "no difference".
    pub fn null(self) -> f64 {
        match self {
            Contrast::Difference => 0.0,
            Contrast::Ratio => 1.0,
        }
    }
}

/// What a metric's numbers are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// A fraction, shown as a percentage.
    Fraction,
    /// Seconds.
    Seconds,
    /// Bytes, shown in MiB.
    Bytes,
    /// Milliseconds.
    Milliseconds,
    /// Microseconds.
    Microseconds,
    /// A forecast's target's own units (load in MW, sales in units).
    Target,
    /// A ratio or a scaled error, without unit.
    Ratio,
}

/// One metric.
#[derive(Debug, Clone, Copy)]
pub struct Metric {
    /// Its key: the column of `runs.csv` and the key of `summary.json`'s
    /// `per_model[]`.
    pub key: &'static str,
    /// Its table header, unit included: `test acc (%)`.
    pub header: &'static str,
    /// What its numbers are.
    pub unit: Unit,
    /// Higher or lower is better.
    pub better: Better,
    /// How two models are compared on it.
    pub contrast: Contrast,
    /// Its key in `summary.json`'s `pairs[]`, for a metric the pairs
    /// compare (`speed_ratio`).
    pub pair_key: Option<&'static str>,
    /// The scale its interval is computed on: logit for a fraction, log for
    /// a positive quantity.
    pub scale: Scale,
    /// Its value in one run's record; `None` where the run did not record
    /// it (an older file, a bidirectional model's streaming, a CPU run's
    /// GPU memory).
    pub of_run: fn(&RunRecord) -> Option<f64>,
}

/// Test accuracy (a fraction).
pub const TEST_ACC: Metric = Metric {
    key: "test_acc",
    header: "test acc (%)",
    unit: Unit::Fraction,
    better: Better::Higher,
    pair_key: Some("test_acc_diff"),
    contrast: Contrast::Difference,
    scale: Scale::Logit,
    // A forecast records no accuracy (NaN): not measured.
    of_run: |r| Some(r.test_acc).filter(|a| !a.is_nan()),
};

/// A forecast's test MAE, in the target's units.
pub const TEST_MAE: Metric = Metric {
    key: "test_mae",
    header: "test MAE",
    unit: Unit::Target,
    better: Better::Lower,
    contrast: Contrast::Ratio,
    scale: Scale::Log,
    of_run: |r| r.test_mae,
    pair_key: Some("test_mae_ratio"),
};

/// A forecast's test RMSE, in the target's units.
pub const TEST_RMSE: Metric = Metric {
    key: "test_rmse",
    header: "test RMSE",
    of_run: |r| r.test_rmse,
    pair_key: None,
    ..TEST_MAE
};

/// A forecast's test MASE (the MAE over the training part's one-step naive
/// MAE).
pub const TEST_MASE: Metric = Metric {
    key: "test_mase",
    header: "test MASE",
    unit: Unit::Ratio,
    of_run: |r| r.test_mase,
    pair_key: None,
    ..TEST_MAE
};

/// A forecast's test MAE over the naive last-value forecast's (below 1:
/// better than doing nothing clever).
pub const TEST_MAE_VS_NAIVE: Metric = Metric {
    key: "test_mae_vs_naive",
    header: "MAE / naive",
    unit: Unit::Ratio,
    of_run: |r| r.test_mae_vs_naive,
    pair_key: None,
    ..TEST_MAE
};

/// A forecast's test MAE over the seasonal naive forecast's (`--season`).
pub const TEST_MAE_VS_SEASONAL: Metric = Metric {
    key: "test_mae_vs_seasonal_naive",
    header: "MAE / seasonal naive",
    unit: Unit::Ratio,
    of_run: |r| r.test_mae_vs_seasonal_naive,
    pair_key: None,
    ..TEST_MAE
};

/// Mean training seconds per epoch.
pub const SECS_PER_EPOCH: Metric = Metric {
    key: "secs_per_epoch",
    header: "s/epoch",
    unit: Unit::Seconds,
    better: Better::Lower,
    pair_key: Some("speed_ratio"),
    contrast: Contrast::Ratio,
    scale: Scale::Log,
    of_run: |r| Some(r.secs_per_epoch),
};

/// Peak resident set size of the whole process (bytes).
pub const PEAK_RSS: Metric = Metric {
    key: "peak_rss_bytes",
    header: "peak RSS (MiB)",
    unit: Unit::Bytes,
    better: Better::Lower,
    pair_key: Some("memory_ratio"),
    contrast: Contrast::Ratio,
    scale: Scale::Log,
    of_run: |r| Some(r.peak_rss_bytes as f64),
};

/// Peak GPU memory (bytes), on CUDA.
pub const GPU_PEAK: Metric = Metric {
    key: "gpu_peak_bytes",
    header: "peak GPU memory (MiB)",
    unit: Unit::Bytes,
    better: Better::Lower,
    pair_key: Some("gpu_memory_ratio"),
    contrast: Contrast::Ratio,
    scale: Scale::Log,
    of_run: |r| r.gpu_peak_bytes.map(|b| b as f64),
};

/// Peak RSS above the RSS before the first training batch (bytes): the
/// memory training adds.
pub const TRAIN_RSS: Metric = Metric {
    key: "train_rss_delta_bytes",
    header: "memory training adds (MiB)",
    unit: Unit::Bytes,
    better: Better::Lower,
    pair_key: Some("train_memory_ratio"),
    contrast: Contrast::Ratio,
    scale: Scale::Log,
    of_run: |r| r.train_rss_delta_bytes.map(|b| b as f64),
};

/// Median milliseconds per whole test example at batch 1.
pub const LATENCY_WHOLE_P50: Metric = Metric {
    key: "latency_review_p50_ms",
    header: "latency p50 (ms)",
    unit: Unit::Milliseconds,
    better: Better::Lower,
    pair_key: Some("latency_review_ratio"),
    contrast: Contrast::Ratio,
    scale: Scale::Log,
    of_run: |r| r.latency_review_p50_ms,
};

/// 99th-percentile milliseconds per whole test example at batch 1.
pub const LATENCY_WHOLE_P99: Metric = Metric {
    key: "latency_review_p99_ms",
    header: "latency p99 (ms)",
    pair_key: None,
    of_run: |r| r.latency_review_p99_ms,
    ..LATENCY_WHOLE_P50
};

/// Median microseconds per streamed step at batch 1.
pub const LATENCY_STEP_P50: Metric = Metric {
    key: "latency_step_p50_us",
    header: "per step p50 (µs)",
    unit: Unit::Microseconds,
    better: Better::Lower,
    pair_key: Some("latency_step_ratio"),
    contrast: Contrast::Ratio,
    scale: Scale::Log,
    of_run: |r| r.latency_step_p50_us,
};

/// 90th-percentile microseconds per streamed step at batch 1.
pub const LATENCY_STEP_P90: Metric = Metric {
    key: "latency_step_p90_us",
    header: "per step p90 (µs)",
    pair_key: None,
    of_run: |r| r.latency_step_p90_us,
    ..LATENCY_STEP_P50
};

/// 99th-percentile microseconds per streamed step at batch 1.
pub const LATENCY_STEP_P99: Metric = Metric {
    key: "latency_step_p99_us",
    header: "per step p99 (µs)",
    pair_key: Some("latency_step_p99_ratio"),
    of_run: |r| r.latency_step_p99_us,
    ..LATENCY_STEP_P50
};

/// Every metric, in the order `summary.json` and the tables give them.
pub const ALL: [Metric; 15] = [
    TEST_ACC,
    TEST_MAE,
    TEST_RMSE,
    TEST_MASE,
    TEST_MAE_VS_NAIVE,
    TEST_MAE_VS_SEASONAL,
    SECS_PER_EPOCH,
    PEAK_RSS,
    GPU_PEAK,
    TRAIN_RSS,
    LATENCY_WHOLE_P50,
    LATENCY_WHOLE_P99,
    LATENCY_STEP_P50,
    LATENCY_STEP_P90,
    LATENCY_STEP_P99,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_and_name_runs_csv_columns() {
        let mut keys: Vec<&str> = ALL.iter().map(|m| m.key).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), ALL.len());
        let record = RunRecord::empty(
            crate::model::Cell::Lstm,
            1,
            8,
            100,
            crate::results::RunStatus::Ok,
            String::new(),
        );
        let mut w = csv::Writer::from_writer(vec![]);
        w.serialize(&record).unwrap();
        let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
        let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
        for m in ALL {
            assert!(header.contains(&m.key), "{} not in runs.csv", m.key);
        }
    }
}
