//! Records of a run, flat and CSV-safe: one [`EpochRecord`] per model x seed x
//! epoch (`epochs.csv`) and one [`RunRecord`] per model x seed (`runs.csv`).
//!
//! This module is the one place that knows the results folder's file names
//! ([`files`]). Writers append and flush row by row, so an interrupted run
//! keeps every finished epoch; JSON files are written to a temporary file and
//! renamed ([`write_json_atomic`]).

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// File names inside a run folder `results/<run-id>/`.
pub mod files {
    /// Fully resolved configuration and the dataset's identity.
    pub const CONFIG: &str = "config.json";
    /// Machine, libtorch and harness facts.
    pub const ENVIRONMENT: &str = "environment.json";
    /// One row per model x seed x epoch.
    pub const EPOCHS: &str = "epochs.csv";
    /// One row per model x seed.
    pub const RUNS: &str = "runs.csv";
    /// Aggregates per model and per pair of models.
    pub const SUMMARY: &str = "summary.json";
    /// The HTML report.
    pub const REPORT: &str = "report.html";
    /// Gradient norm per input time step, per model (gradient-flow chart).
    pub const GRADIENT_FLOW: &str = "gradient_flow.csv";
}

/// One model x seed x epoch. Accuracies are fractions in [0, 1], losses in
/// nats (mean cross-entropy per example), times in seconds, memory in bytes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochRecord {
    /// Cell name: `lstm`, `gru` or `rnn`.
    pub model: String,
    /// The run's seed.
    pub seed: u64,
    /// 1-based epoch number.
    pub epoch: u32,
    /// Hidden size of the recurrent cell.
    pub hidden_size: i64,
    /// Trainable parameters of the whole classifier.
    pub params: i64,
    /// Mean training loss over the epoch's examples (nats).
    pub train_loss: f64,
    /// Training accuracy over the epoch (fraction, measured in training mode).
    pub train_acc: f64,
    /// Validation loss (nats).
    pub val_loss: f64,
    /// Validation accuracy (fraction).
    pub val_acc: f64,
    /// Seconds spent training (forward, backward, optimiser), excluding evaluation.
    pub train_secs: f64,
    /// Seconds spent evaluating the validation split.
    pub eval_secs: f64,
    /// Training examples per second of `train_secs`.
    pub samples_per_sec: f64,
    /// Real (non-padding) training tokens per second of `train_secs`.
    pub tokens_per_sec: f64,
    /// Fraction of the epoch's training batch cells that were padding.
    pub padding_fraction: f64,
    /// Peak resident set size of the process during the epoch (bytes).
    pub peak_rss_bytes: u64,
    /// Peak GPU memory allocated during the epoch (bytes); empty on CPU.
    pub gpu_peak_bytes: Option<u64>,
    /// Peak GPU memory reserved by the caching allocator during the epoch
    /// (bytes); empty on CPU.
    #[serde(default)]
    pub gpu_reserved_peak_bytes: Option<u64>,
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    /// All epochs ran (or early stopping ended it) and the test split was scored.
    Ok,
    /// The loss became NaN or infinite; the run was stopped.
    Diverged,
    /// Interrupted (Ctrl-C) before it finished; not scored on the test split.
    Interrupted,
    /// The worker failed for another reason (see the message).
    Failed,
}

/// One model x seed: the outcome of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// Cell name: `lstm`, `gru` or `rnn`.
    pub model: String,
    /// The run's seed.
    pub seed: u64,
    /// How the run ended.
    pub status: RunStatus,
    /// Hidden size of the recurrent cell.
    pub hidden_size: i64,
    /// Trainable parameters of the whole classifier.
    pub params: i64,
    /// Epochs completed.
    pub epochs_run: u32,
    /// Epoch (1-based) with the best validation accuracy; its weights were tested.
    pub best_epoch: u32,
    /// Best validation accuracy (fraction).
    pub best_val_acc: f64,
    /// Test accuracy of the best-validation checkpoint (fraction); NaN if not scored.
    pub test_acc: f64,
    /// Test macro-averaged F1 of the best-validation checkpoint; NaN if not scored.
    pub test_macro_f1: f64,
    /// Test loss of the best-validation checkpoint (nats); NaN if not scored.
    pub test_loss: f64,
    /// Sum of `train_secs` over the epochs.
    pub train_secs_total: f64,
    /// Mean `train_secs` per epoch.
    pub secs_per_epoch: f64,
    /// Highest per-epoch peak RSS (bytes).
    pub peak_rss_bytes: u64,
    /// Highest per-epoch GPU peak (bytes); empty on CPU.
    pub gpu_peak_bytes: Option<u64>,
    /// Why the run did not end `ok`; empty otherwise.
    pub message: String,
}

impl RunRecord {
    /// A run of `model` with `seed` that has done nothing yet: no epochs, NaN
    /// for every score, `status` and `message` as given.
    pub fn empty(
        model: &str,
        seed: u64,
        hidden_size: i64,
        params: i64,
        status: RunStatus,
        message: String,
    ) -> RunRecord {
        RunRecord {
            model: model.to_string(),
            seed,
            status,
            hidden_size,
            params,
            epochs_run: 0,
            best_epoch: 0,
            best_val_acc: f64::NAN,
            test_acc: f64::NAN,
            test_macro_f1: f64::NAN,
            test_loss: f64::NAN,
            train_secs_total: 0.0,
            secs_per_epoch: f64::NAN,
            peak_rss_bytes: 0,
            gpu_peak_bytes: None,
            message,
        }
    }
}

/// Appends rows of type `T` to a CSV file, writing the header only when the
/// file is new or empty, and flushing after every row.
pub struct CsvAppender<T> {
    path: PathBuf,
    writer: csv::Writer<File>,
    _row: std::marker::PhantomData<T>,
}

impl<T: Serialize> CsvAppender<T> {
    /// Opens `path` for appending (creating it if needed).
    pub fn open(path: &Path) -> Result<Self> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| Error::io(path, e))?;
        let is_empty = file.metadata().map_err(|e| Error::io(path, e))?.len() == 0;
        let writer = csv::WriterBuilder::new()
            .has_headers(is_empty)
            .from_writer(file);
        Ok(CsvAppender {
            path: path.to_path_buf(),
            writer,
            _row: std::marker::PhantomData,
        })
    }

    /// Writes one row and flushes it to the OS.
    pub fn append(&mut self, row: &T) -> Result<()> {
        self.writer
            .serialize(row)
            .map_err(|e| Error::results(&self.path, e.to_string()))?;
        self.writer.flush().map_err(|e| Error::io(&self.path, e))
    }
}

/// Reads every row of a CSV file written by [`CsvAppender`]. A missing file
/// reads as no rows; a malformed row is an error naming its line.
pub fn read_csv<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Vec<T>> {
    if !path.exists() {
        return Ok(Vec::new());
    }
    let mut reader =
        csv::Reader::from_path(path).map_err(|e| Error::results(path, e.to_string()))?;
    let mut rows = Vec::new();
    for row in reader.deserialize() {
        rows.push(row.map_err(|e: csv::Error| {
            let line = e.position().map(|p| p.line());
            Error::data(path, line, None, e.to_string())
        })?);
    }
    Ok(rows)
}

/// Writes `value` as pretty JSON to `path` through a temporary file in the same
/// folder and a rename, so readers never see a half-written file.
pub fn write_json_atomic<T: Serialize + ?Sized>(path: &Path, value: &T) -> Result<()> {
    let tmp = path.with_extension("json.tmp");
    let text =
        serde_json::to_string_pretty(value).map_err(|e| Error::results(path, e.to_string()))?;
    let mut file = File::create(&tmp).map_err(|e| Error::io(&tmp, e))?;
    file.write_all(text.as_bytes())
        .map_err(|e| Error::io(&tmp, e))?;
    file.write_all(b"\n").map_err(|e| Error::io(&tmp, e))?;
    file.sync_all().map_err(|e| Error::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e))
}

/// Reads a JSON file into `T`, naming the file in any error.
pub fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    serde_json::from_str(&text).map_err(|e| {
        Error::data(
            path,
            Some(e.line() as u64),
            Some(e.column() as u64),
            e.to_string(),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn epoch(model: &str, seed: u64, epoch: u32) -> EpochRecord {
        EpochRecord {
            model: model.into(),
            seed,
            epoch,
            hidden_size: 128,
            params: 1000,
            train_loss: 0.5,
            train_acc: 0.7,
            val_loss: 0.6,
            val_acc: 0.65,
            train_secs: 1.5,
            eval_secs: 0.1,
            samples_per_sec: 100.0,
            tokens_per_sec: 10000.0,
            padding_fraction: 0.05,
            peak_rss_bytes: 1 << 20,
            gpu_peak_bytes: None,
            gpu_reserved_peak_bytes: None,
        }
    }

    #[test]
    fn appended_rows_read_back_with_one_header() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("epochs.csv");
        let rows = vec![epoch("lstm", 1, 1), epoch("gru", 1, 1), epoch("lstm", 2, 1)];
        {
            let mut w = CsvAppender::open(&path).unwrap();
            w.append(&rows[0]).unwrap();
        }
        let mut w = CsvAppender::open(&path).unwrap();
        w.append(&rows[1]).unwrap();
        w.append(&rows[2]).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.matches("model,seed").count(), 1);
        assert!(
            text.lines()
                .next()
                .unwrap()
                .ends_with("peak_rss_bytes,gpu_peak_bytes,gpu_reserved_peak_bytes")
        );
        let back: Vec<EpochRecord> = read_csv(&path).unwrap();
        assert_eq!(back, rows);
    }

    #[test]
    fn json_is_written_whole_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.json");
        write_json_atomic(&path, &vec![1, 2, 3]).unwrap();
        let v: Vec<i32> = read_json(&path).unwrap();
        assert_eq!(v, [1, 2, 3]);
        assert!(!dir.path().join("x.json.tmp").exists());
    }
}
