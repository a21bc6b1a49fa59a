//! The one place where command-line flags and `--config FILE.toml` become a
//! validated, resolved [`Config`]. Everything downstream reads `Config`, never
//! raw flags. Precedence: flag > file > dataset preset > default.
//!
//! Every option that can be a grid axis is declared once, in the
//! [`grid_options!`] invocation below: its field (also the TOML and
//! `config.json` key), type, default, flag, check, scale and doc. The macro
//! makes the flag (clap), the TOML key (serde), the merge of file and
//! flags, the default, the validation, the grid expansion and the
//! `config.json` field from that one line. Options that are never axes
//! (the data, the models, the seeds, the output folder) are plain fields.

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use serde::{Deserialize, Serialize};

use crate::data::Keep;
use crate::data::forecast::{Fill, Scaling};
use crate::data::memory::MEMORY_DATASET;
use crate::error::{Error, Result};
use crate::model::{Cell, Pooling, RecurrentKernel};

mod jobs;
pub use jobs::{JobsChoice, Machine, Width, auto_width, resolve_width};

/// How models of different cells are sized against each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum MatchMode {
    /// Every model gets the hidden size whose parameter count is closest to
    /// the first model's.
    Params,
    /// Every model gets the same hidden size.
    Hidden,
}

/// `--seeds`: a number of seeds, or `auto`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeedCount {
    /// Seeds 1..=N.
    Fixed(u32),
    /// Seeds added until the answer is precise enough ([`AutoSeeds`]).
    Auto,
}

impl std::str::FromStr for SeedCount {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        Ok(number_or_auto(s, "a number of seeds")?.map_or(SeedCount::Auto, SeedCount::Fixed))
    }
}

/// `--seeds`, `--jobs`: a number, or `auto` (`None`); else an error naming `what`.
fn number_or_auto<N: std::str::FromStr>(s: &str, what: &str) -> Result<Option<N>, String> {
    let neither = || format!("`{s}` is neither {what} nor `auto`");
    match s {
        "auto" => Ok(None),
        _ => s.parse().map(Some).map_err(|_| neither()),
    }
}

impl<'de> Deserialize<'de> for SeedCount {
    /// A number (`seeds = 5`) or the string `"auto"` in a TOML file; any
    /// other type (a list of seeds) is told what to write instead.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct Seeds;
        impl serde::de::Visitor<'_> for Seeds {
            type Value = SeedCount;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a number of seeds or \"auto\" (explicit seeds: seed_list = [1, 2])")
            }
            fn visit_u64<E: serde::de::Error>(self, n: u64) -> std::result::Result<SeedCount, E> {
                u32::try_from(n)
                    .map(SeedCount::Fixed)
                    .map_err(|_| E::custom(format!("{n} seeds is too many")))
            }
            fn visit_i64<E: serde::de::Error>(self, n: i64) -> std::result::Result<SeedCount, E> {
                u64::try_from(n)
                    .map_err(|_| E::custom(format!("{n} is not a number of seeds")))
                    .and_then(|n| self.visit_u64(n))
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> std::result::Result<SeedCount, E> {
                s.parse().map_err(E::custom)
            }
        }
        d.deserialize_any(Seeds)
    }
}

/// `--seeds auto`: seed pairs are added, one seed (every model) at a time,
/// until every pair of models is decided (its paired test-accuracy
/// difference crossed an O'Brien–Fleming-type group-sequential boundary)
/// or its 95% CI is at most `precision_points` either side of its mean
/// (the fixed-width rule of Chow and Robbins 1965), or `max_seeds` seeds
/// have run ([`crate::analysis::auto_seeds`]). Each grid point stops on its
/// own.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AutoSeeds {
    /// The most seeds to run (`--max-seeds`), at least [`AutoSeeds::FIRST_SEEDS`].
    pub max_seeds: u32,
    /// The CI half-width to reach, in percentage points of accuracy (`--precision`).
    pub precision_points: f64,
}

impl AutoSeeds {
    /// Seeds run before the rule is first asked: the fewest for which a
    /// confidence interval is reported at all.
    pub const FIRST_SEEDS: u32 = 3;
    /// `--max-seeds`'s default.
    pub const DEFAULT_MAX_SEEDS: u32 = 10;
    /// `--precision`'s default, in percentage points.
    pub const DEFAULT_PRECISION_POINTS: f64 = 1.0;

    /// The rule for `max_seeds` and `precision_points` with `models` models,
    /// checked; errors name the flag.
    fn checked(max_seeds: u32, precision_points: f64, models: usize) -> Result<AutoSeeds> {
        if models < 2 {
            return Err(Error::config(
                "--seeds",
                "auto needs at least two models: it stops on their paired accuracy difference",
            ));
        }
        if max_seeds < Self::FIRST_SEEDS {
            return Err(Error::config(
                "--max-seeds",
                format!(
                    "must be at least {} (the seeds run before the rule first decides), got {max_seeds}",
                    Self::FIRST_SEEDS
                ),
            ));
        }
        if !(precision_points.is_finite() && precision_points > 0.0) {
            return Err(Error::config(
                "--precision",
                format!(
                    "must be a positive, finite number of percentage points (such as 1.0), got {precision_points}"
                ),
            ));
        }
        Ok(AutoSeeds {
            max_seeds,
            precision_points,
        })
    }
}

/// Where training runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum DeviceChoice {
    /// The CPU.
    Cpu,
    /// The first CUDA GPU; an error if there is none.
    Cuda,
    /// CUDA when available, else the CPU.
    Auto,
}

/// `--kernel`: which kernels the recurrent cells run on (libtorch's
/// switches, set per process by `probe::kernel::apply`, and the
/// classifiers' own [`RecurrentKernel`], [`KernelChoice::recurrent`]).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum KernelChoice {
    /// libtorch's own choice: oneDNN for the CPU LSTM, cuDNN on CUDA.
    Auto,
    /// libtorch's native kernels for every cell (oneDNN and cuDNN off).
    Native,
    /// Every cell (LSTM, GRU, tanh RNN) on the same fused oneDNN 3.2 RNN
    /// primitives, rnnbench's own (CPU only).
    Onednn,
}

impl KernelChoice {
    /// The value's name on the command line and in the files: `auto`,
    /// `native`, `onednn`.
    pub fn name(self) -> &'static str {
        match self {
            KernelChoice::Auto => "auto",
            KernelChoice::Native => "native",
            KernelChoice::Onednn => "onednn",
        }
    }

    /// The implementation a classifier's recurrent layers are built to run
    /// on under this choice: rnnbench's fused oneDNN cells for `onednn`,
    /// libtorch's own cells (on the kernel its switches give them) for
    /// `auto` and `native`.
    pub fn recurrent(self) -> RecurrentKernel {
        match self {
            KernelChoice::Onednn => RecurrentKernel::Fused,
            KernelChoice::Auto | KernelChoice::Native => RecurrentKernel::Libtorch,
        }
    }
}

/// `--pooling`: how each model's states become the head's features
/// ([`Pooling`]), or each model's default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum PoolingChoice {
    /// Each model's default: the state after the last real token for the
    /// recurrent cells (what a recurrent classifier reads), the mean over
    /// the real tokens for the Transformer (its states are all contextual,
    /// none is "the last"; mean pooling is the usual choice for an encoder
    /// without a `[CLS]` token, and the PyTorch yardstick uses it).
    #[default]
    Auto,
    /// The state after the last real token.
    Last,
    /// The mean of the real tokens' states.
    Mean,
    /// The element-wise max of the real tokens' states.
    Max,
    /// A learned query scoring every state, softmax over the real tokens.
    Attention,
}

impl PoolingChoice {
    /// The pooling `model` uses under this choice.
    pub fn for_model(self, model: Cell) -> Pooling {
        match self {
            PoolingChoice::Auto if model.is_recurrent() => Pooling::Last,
            PoolingChoice::Auto => Pooling::Mean,
            PoolingChoice::Last => Pooling::Last,
            PoolingChoice::Mean => Pooling::Mean,
            PoolingChoice::Max => Pooling::Max,
            PoolingChoice::Attention => Pooling::Attention,
        }
    }
}

/// A switch given as `on` or `off` (in a TOML file also `true` or `false`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum OnOff {
    /// Enabled.
    On,
    /// Disabled.
    Off,
}

impl<'de> Deserialize<'de> for OnOff {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct Switch;
        impl serde::de::Visitor<'_> for Switch {
            type Value = OnOff;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("\"on\", \"off\", true or false")
            }
            fn visit_bool<E: serde::de::Error>(self, b: bool) -> std::result::Result<OnOff, E> {
                Ok(if b { OnOff::On } else { OnOff::Off })
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> std::result::Result<OnOff, E> {
                match s {
                    "on" => Ok(OnOff::On),
                    "off" => Ok(OnOff::Off),
                    _ => Err(E::invalid_value(serde::de::Unexpected::Str(s), &self)),
                }
            }
        }
        d.deserialize_any(Switch)
    }
}

impl OnOff {
    /// `true` for [`OnOff::On`].
    pub fn is_on(self) -> bool {
        self == OnOff::On
    }
}

/// Which data a run uses, as resolved from the options.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetChoice {
    /// `imdb-mini`, `imdb`, `memory` (made in memory), a path, or empty
    /// with explicit `train`/`test`.
    pub name: String,
    /// Explicit training split, if given.
    pub train: Option<PathBuf>,
    /// Explicit test split, if given.
    pub test: Option<PathBuf>,
    /// Text column or field, if given.
    pub text_col: Option<String>,
    /// Label column or field, if given.
    pub label_col: Option<String>,
    /// A long CSV's series column, if given (numeric series).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub series_col: Option<String>,
    /// A long CSV's time column, if given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_col: Option<String>,
    /// A long CSV's channel columns, if given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channels: Option<Vec<String>>,
    /// Forecasting: the series file (`--series`), if given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub series: Option<PathBuf>,
    /// Forecasting: the target column (`--target`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Forecasting: the covariate columns (`--covariates`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub covariates: Vec<String>,
}

impl DatasetChoice {
    /// Whether this is a forecast (`--series`).
    pub fn is_forecast(&self) -> bool {
        self.series.is_some()
    }

    /// A forecast's columns; `None` for classification.
    pub fn forecast_columns(&self) -> Option<crate::data::forecast::ForecastColumns> {
        self.series.as_ref()?;
        Some(crate::data::forecast::ForecastColumns {
            target: self.target.clone().unwrap_or_default(),
            time: self.time_col.clone(),
            covariates: self.covariates.clone(),
            series: self.series_col.clone(),
        })
    }
}

/// Whether a `--dataset` value is a path (a file or folder), not one of the
/// names `imdb-mini`, `imdb`, `memory` (see `compare::dataset_source`).
pub fn dataset_is_path(name: &str) -> bool {
    !matches!(name, "imdb" | "imdb-mini" | MEMORY_DATASET)
        && !crate::data::BUNDLED_SERIES.contains(&name)
        && !crate::data::BUNDLED_FORECASTS
            .iter()
            .any(|b| b.name == name)
        && !name.is_empty()
}

/// `path` made absolute: joined to `base` when relative, then to the current
/// directory when still relative (an empty path stays empty).
fn absolute_from(base: &Path, path: PathBuf) -> PathBuf {
    if path.as_os_str().is_empty() || path.is_absolute() {
        return path;
    }
    let joined = base.join(&path);
    std::path::absolute(&joined).unwrap_or(joined)
}

/// How a sweep chart spaces an option's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AxisScale {
    /// Sizes and rates: a logarithmic axis.
    Log,
    /// Fractions and counts: a linear axis.
    Linear,
    /// Choices and switches: evenly spaced labels.
    #[default]
    Categorical,
}

/// One value of a swept option, keeping its type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum AxisValue {
    /// An integer option (`--hidden 64`).
    Int(i64),
    /// A real option (`--lr 0.001`).
    Float(f64),
    /// A switch (`--bidirectional=true`).
    Bool(bool),
    /// A choice (`--keep last`).
    Choice(String),
}

impl AxisValue {
    /// The longest decimal form a real's label keeps.
    pub const MAX_DECIMAL_LABEL: usize = 24;

    /// Short text form used in point ids and tables: `64`, `0.001`, `true`,
    /// `last`; a real whose decimal form is longer than
    /// [`AxisValue::MAX_DECIMAL_LABEL`] in exponent form (`1e-300`, not 300
    /// zeros, which no file system takes as a folder name).
    pub fn label(&self) -> String {
        match self {
            AxisValue::Int(v) => v.to_string(),
            AxisValue::Float(v) => {
                let decimal = v.to_string();
                if decimal.len() > Self::MAX_DECIMAL_LABEL {
                    format!("{v:e}")
                } else {
                    decimal
                }
            }
            AxisValue::Bool(v) => v.to_string(),
            AxisValue::Choice(v) => v.clone(),
        }
    }

    /// The value a label reads as: an integer, a real, a boolean, else a choice.
    pub fn from_label(label: &str) -> AxisValue {
        if let Ok(i) = label.parse() {
            AxisValue::Int(i)
        } else if let Ok(x) = label.parse() {
            AxisValue::Float(x)
        } else if let Ok(b) = label.parse() {
            AxisValue::Bool(b)
        } else {
            AxisValue::Choice(label.to_string())
        }
    }

    /// The value as a number, for a numeric axis; `None` for choices and switches.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            AxisValue::Int(v) => Some(*v as f64),
            AxisValue::Float(v) => Some(*v),
            AxisValue::Bool(_) | AxisValue::Choice(_) => None,
        }
    }
}

/// A value of a grid option.
pub trait GridValue: Clone + PartialEq {
    /// The typed axis value.
    fn axis_value(&self) -> AxisValue;
    /// Short text form: `64`, `0.001`, `true`, `last`.
    fn label(&self) -> String {
        self.axis_value().label()
    }
}

macro_rules! int_value {
    ($($t:ty),*) => {$(
        impl GridValue for $t {
            fn axis_value(&self) -> AxisValue {
                AxisValue::Int(*self as i64)
            }
        }
    )*};
}
int_value!(i64, usize, u32);

impl GridValue for f64 {
    fn axis_value(&self) -> AxisValue {
        AxisValue::Float(*self)
    }
}

impl GridValue for bool {
    fn axis_value(&self) -> AxisValue {
        AxisValue::Bool(*self)
    }
}

macro_rules! choice_value {
    ($($t:ty),*) => {$(
        impl GridValue for $t {
            fn axis_value(&self) -> AxisValue {
                AxisValue::Choice(
                    self.to_possible_value()
                        .map(|v| v.get_name().to_string())
                        .unwrap_or_default(),
                )
            }
        }
    )*};
}
choice_value!(
    MatchMode,
    Keep,
    Fill,
    Scaling,
    DeviceChoice,
    KernelChoice,
    OnOff,
    PoolingChoice,
    crate::data::Batching
);

/// One swept option of a grid: an option given with more than one value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Axis {
    /// The option's key in `config.json` (e.g. `max_len`).
    pub key: String,
    /// The flag that set it (e.g. `--max-len`).
    pub flag: String,
    /// Its values in the order given.
    pub values: Vec<AxisValue>,
    /// How a chart spaces the values.
    #[serde(default)]
    pub scale: AxisScale,
}

impl Axis {
    /// The values' labels, in order (`64`, `128`).
    pub fn labels(&self) -> Vec<String> {
        self.values.iter().map(AxisValue::label).collect()
    }

    /// Whether the values are sizes drawn on a log scale (hidden, embedding,
    /// length, batch, vocabulary, learning rate).
    pub fn is_size(&self) -> bool {
        self.scale == AxisScale::Log
    }
}

/// One configuration of a grid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GridPoint {
    /// Stable id derived from the swept values, e.g. `hidden-64_layers-2`
    /// (`base` when nothing is swept); also the point's folder name.
    pub id: String,
    /// (key, value) of each swept option, in axis order.
    pub values: Vec<(String, AxisValue)>,
    /// The resolved configuration.
    pub config: Config,
}

/// The cross product of the options' lists.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Grid {
    /// Swept options (lists of more than one value), in flag order.
    pub axes: Vec<Axis>,
    /// Every configuration, as nested loops over `axes` (last fastest).
    pub points: Vec<GridPoint>,
}

/// What a grid option's declaration says about it, for docs and reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptionSpec {
    /// Key in TOML files and `config.json`.
    pub key: &'static str,
    /// The flag, with its dashes.
    pub flag: &'static str,
    /// How a sweep chart spaces its values.
    pub scale: AxisScale,
}

// Checks applied to a grid option's value; each returns the value or an
// error naming the flag.
fn any<T>(_flag: &str, v: T) -> Result<T> {
    Ok(v)
}

fn at_least_1_i64(flag: &str, v: i64) -> Result<i64> {
    if v >= 1 {
        Ok(v)
    } else {
        Err(Error::config(flag, format!("must be at least 1, got {v}")))
    }
}

fn at_least_1_usize(flag: &str, v: usize) -> Result<usize> {
    if v >= 1 {
        Ok(v)
    } else {
        Err(Error::config(flag, "must be at least 1, got 0"))
    }
}

fn at_least_1_u32(flag: &str, v: u32) -> Result<u32> {
    if v >= 1 {
        Ok(v)
    } else {
        Err(Error::config(flag, "must be at least 1, got 0"))
    }
}

fn probability(flag: &str, v: f64) -> Result<f64> {
    if (0.0..1.0).contains(&v) {
        Ok(v)
    } else {
        Err(Error::config(flag, format!("must be in [0, 1), got {v}")))
    }
}

fn open_fraction(flag: &str, v: f64) -> Result<f64> {
    if v > 0.0 && v < 1.0 {
        Ok(v)
    } else {
        Err(Error::config(flag, format!("must be in (0, 1), got {v}")))
    }
}

fn learning_rate(flag: &str, v: f64) -> Result<f64> {
    if v > 0.0 && v <= 10.0 {
        Ok(v)
    } else {
        Err(Error::config(flag, format!("must be in (0, 10], got {v}")))
    }
}

/// 0 (off) or a positive number libtorch can take: it trains in float32,
/// and a factor above float32's largest value makes it fail mid-run
/// ("value cannot be converted to type float without overflow").
fn zero_or_positive(flag: &str, v: f64) -> Result<f64> {
    if !(v >= 0.0 && v.is_finite()) {
        return Err(Error::config(
            flag,
            format!("must be 0 (off) or positive, got {v}"),
        ));
    }
    if v > f64::from(f32::MAX) {
        return Err(Error::config(
            flag,
            format!(
                "must be at most {:e} (float32's largest value: libtorch trains in float32), got {v:e}",
                f32::MAX
            ),
        ));
    }
    Ok(v)
}

fn target_fraction(flag: &str, v: f64) -> Result<f64> {
    if (0.0..1.0).contains(&v) {
        Ok(v)
    } else {
        Err(Error::config(
            flag,
            format!("must be a fraction in (0, 1), or 0 for the default rule; got {v}"),
        ))
    }
}

fn memory_sequences(flag: &str, v: usize) -> Result<usize> {
    // Enough that every key class keeps validation and training examples.
    let least = 10 * crate::data::memory::MEMORY_KEYS;
    if v >= least {
        Ok(v)
    } else {
        Err(Error::config(
            flag,
            format!("must be at least {least} (10 per key class), got {v}"),
        ))
    }
}

fn vocabulary(flag: &str, v: usize) -> Result<usize> {
    if v >= 3 {
        Ok(v)
    } else {
        Err(Error::config(
            flag,
            format!("must be at least 3 (<pad>, <unk> and a word), got {v}"),
        ))
    }
}

/// Declares the options that take a list of values and form a grid, in flag
/// order (the order of a grid's nested loops). Each line:
/// `/// doc` `[extra clap attributes]` `field: Type = default, "flag", check, Scale;`
/// and it generates the [`Options`] and [`Config`] structs (with the plain
/// fields given before and after), the file/flag merge, the defaults, the
/// checks, the grid expansion and [`GRID_OPTIONS`].
macro_rules! grid_options {
    (
        options_head { $($(#[$oh_meta:meta])* $oh_field:ident : $oh_ty:ty,)* }
        options_tail { $($(#[$ot_meta:meta])* $ot_field:ident : $ot_ty:ty,)* }
        config_head { $($(#[$ch_meta:meta])* $ch_field:ident : $ch_ty:ty,)* }
        config_tail { $($(#[$ct_meta:meta])* $ct_field:ident : $ct_ty:ty,)* }
        grid {
            $(
                $(#[doc = $doc:literal])*
                [$($clap:tt)*]
                $(#[serde($($serde:tt)*)])?
                $field:ident : $ty:ty = $default:expr, $flag:literal, $check:ident, $scale:ident;
            )*
        }
    ) => {
        /// The options of `compare`, as flags (all optional so that a
        /// `--config` file can supply them). Field names are the TOML keys
        /// (with `_`).
        ///
        /// Every numeric or choice option takes a comma-separated list (a
        /// TOML array in a file): the comparison then runs at every point of
        /// the cross product of the lists (see [`Options::grid`]).
        #[derive(Debug, Clone, Default, Args, Deserialize)]
        #[serde(deny_unknown_fields, rename_all = "snake_case")]
        pub struct Options {
            $($(#[$oh_meta])* pub $oh_field: $oh_ty,)*
            $(
                $(#[doc = $doc])*
                // `Set`: a flag given twice is an error, as `--seeds` twice
                // is, not a silent grid of both (a list is `--flag a,b`).
                #[arg(long = $flag, value_delimiter = ',', action = clap::ArgAction::Set $($clap)*)]
                #[serde(default, deserialize_with = "one_or_many" $(, $($serde)*)?)]
                pub $field: Option<Vec<$ty>>,
            )*
            $($(#[$ot_meta])* pub $ot_field: $ot_ty,)*
        }

        /// A validated, fully resolved configuration (written to `config.json`).
        ///
        /// The defaults (embedding and hidden 64, the last 128 tokens, batch
        /// 128, Adam at 0.004, 4 epochs, patience 2, dropout 0.3, 3 seeds)
        /// are sized so that the bundled imdb-mini comparison of LSTM and GRU
        /// runs in under 4 minutes on 2 CPU cores.
        ///
        /// Keys missing from a `config.json` written by an older rnnbench
        /// read as their defaults.
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(default)]
        pub struct Config {
            $($(#[$ch_meta])* pub $ch_field: $ch_ty,)*
            $(
                $(#[doc = $doc])*
                $(#[serde($($serde)*)])?
                pub $field: $ty,
            )*
            $($(#[$ct_meta])* pub $ct_field: $ct_ty,)*
        }

        /// Every grid option's key, flag and scale, in flag order.
        pub const GRID_OPTIONS: &[OptionSpec] = &[
            $(OptionSpec {
                key: stringify!($field),
                flag: concat!("--", $flag),
                scale: AxisScale::$scale,
            },)*
        ];

        impl Options {
            /// `self` with every unset option taken from `file`, one
            /// option at a time (see [`Options::or`]).
            fn or_each(self, file: Options) -> Options {
                Options {
                    $($oh_field: Merge::merge(self.$oh_field, file.$oh_field),)*
                    $($field: self.$field.or(file.$field),)*
                    $($ot_field: Merge::merge(self.$ot_field, file.$ot_field),)*
                }
            }

            /// The grid options that were given, as flags.
            fn given_grid_flags(&self, flags: &mut Vec<&'static str>) {
                $(if self.$field.is_some() {
                    flags.push(concat!("--", $flag));
                })*
            }

            /// Checks each list and returns the axes (lists of more than
            /// one value) and every option's list length, in flag order.
            fn grid_axes(&self) -> Result<(Vec<Axis>, Vec<usize>)> {
                let mut axes = Vec::new();
                let mut lens = Vec::new();
                $(
                    match &self.$field {
                        Some(list) => {
                            check_list(concat!("--", $flag), list)?;
                            lens.push(list.len());
                            if list.len() > 1 {
                                axes.push(Axis {
                                    key: stringify!($field).to_string(),
                                    flag: concat!("--", $flag).to_string(),
                                    values: list.iter().map(GridValue::axis_value).collect(),
                                    scale: AxisScale::$scale,
                                });
                            }
                        }
                        None => lens.push(1),
                    }
                )*
                Ok((axes, lens))
            }

            /// This options with every list cut to its value at `digits`
            /// (one index per grid option, in flag order), and the (key,
            /// value) of each swept option.
            fn pick(&self, digits: &[usize]) -> (Options, Vec<(String, AxisValue)>) {
                let mut point = self.clone();
                let mut values = Vec::new();
                let mut position = 0;
                $(
                    if let Some(list) = &self.$field {
                        let v = list[digits[position]].clone();
                        if list.len() > 1 {
                            values.push((stringify!($field).to_string(), v.axis_value()));
                        }
                        point.$field = Some(vec![v]);
                    }
                    position += 1;
                )*
                let _ = position;
                (point, values)
            }

            /// The grid options' values for one configuration: each the
            /// first of its list, else its default; checked.
            fn resolve_grid(&self) -> Result<ResolvedGrid> {
                Ok(ResolvedGrid {
                    $($field: $check(
                        concat!("--", $flag),
                        self.$field
                            .as_ref()
                            .and_then(|l| l.first().cloned())
                            .unwrap_or_else(|| $default),
                    )?,)*
                })
            }
        }

        /// The grid options of one configuration, resolved.
        struct ResolvedGrid {
            $($field: $ty,)*
        }

        impl ResolvedGrid {
            /// The whole configuration: these grid options with the plain ones.
            #[allow(clippy::too_many_arguments)]
            fn into_config(
                self,
                $($ch_field: $ch_ty,)*
                $($ct_field: $ct_ty,)*
            ) -> Config {
                Config {
                    $($ch_field,)*
                    $($field: self.$field,)*
                    $($ct_field,)*
                }
            }
        }
    };
}

/// How a plain option of a file and of the flags combine: the flag wins.
trait Merge {
    fn merge(flag: Self, file: Self) -> Self;
}

impl<T> Merge for Option<T> {
    fn merge(flag: Self, file: Self) -> Self {
        flag.or(file)
    }
}

impl Merge for bool {
    fn merge(flag: Self, file: Self) -> Self {
        flag || file
    }
}

grid_options! {
    options_head {
        /// Dataset: imdb-mini (bundled, default), imdb (after scripts/fetch-imdb), memory (synthetic long-range memory task, see --distance), or a file or folder.
        #[arg(long, value_name = "NAME|PATH")]
        dataset: Option<String>,
        /// Training split file (CSV, TSV or JSON Lines; .gz accepted); needs --test.
        #[arg(long, value_name = "PATH", requires = "test")]
        train: Option<PathBuf>,
        /// Test split file; needs --train.
        #[arg(long, value_name = "PATH", requires = "train")]
        test: Option<PathBuf>,
        /// Name of the text column or field.
        #[arg(long, value_name = "NAME")]
        text_col: Option<String>,
        /// Name of the label column or field.
        #[arg(long, value_name = "NAME")]
        label_col: Option<String>,
        /// Numeric series in a long CSV (one row per time step): the column naming each row's series.
        #[arg(long, value_name = "NAME")]
        series_col: Option<String>,
        /// Long CSV: the column ordering each series' rows (numbers, or text such as ISO dates) [default: file order].
        #[arg(long, value_name = "NAME")]
        time_col: Option<String>,
        /// Long CSV: the channel columns, comma-separated [default: every column but the series, time and label].
        #[arg(long, value_name = "LIST", value_delimiter = ',', action = clap::ArgAction::Set)]
        channels: Option<Vec<String>>,
        /// Forecasting: a CSV or TSV (optionally .gz) of one or several series, one row per time step; the models forecast --target's next --horizon values from windows of --lookback steps.
        #[arg(long = "series", value_name = "PATH", conflicts_with_all = ["train", "test", "dataset"], requires = "target")]
        #[serde(rename = "series")]
        series_file: Option<PathBuf>,
        /// Forecasting: the column to forecast.
        #[arg(long, value_name = "NAME", requires = "series_file")]
        target: Option<String>,
        /// Forecasting: other columns the models read beside the target, comma-separated [default: none].
        #[arg(long, value_name = "LIST", value_delimiter = ',', action = clap::ArgAction::Set, requires = "series_file")]
        covariates: Option<Vec<String>>,
        /// Models to compare, comma-separated: lstm, gru, rnn, transformer [default: lstm,gru].
        #[arg(long, value_name = "LIST", value_delimiter = ',', action = clap::ArgAction::Set)]
        models: Option<Vec<Cell>>,
    }
    options_tail {
        /// Number of seeds, 1..=N, or `auto`: add seeds until the paired accuracy difference's 95% CI is narrow enough (see --precision, --max-seeds) [default: 3].
        #[arg(long, value_name = "N|auto", conflicts_with = "seed_list")]
        seeds: Option<SeedCount>,
        /// With --seeds auto: the most seeds to run [default: 10].
        #[arg(long, value_name = "N")]
        max_seeds: Option<u32>,
        /// With --seeds auto: stop once the 95% CI of the paired test-accuracy difference is at most P percentage points either side of its mean (a forecast: the paired test-MAE ratio's, P percent) [default: 1.0].
        #[arg(long, value_name = "P")]
        precision: Option<f64>,
        /// Explicit seeds, comma-separated.
        #[arg(long, value_name = "LIST", value_delimiter = ',', action = clap::ArgAction::Set)]
        seed_list: Option<Vec<u64>>,
        /// Results folder; each run writes OUT/<run-id>/ [default: results].
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// No progress bars.
        #[arg(long)]
        #[serde(default)]
        quiet: bool,
        /// Run a run whose timing was disturbed (more than a quarter of its epochs) again at the end, up to N times; 0: never [default: 1].
        #[arg(long, value_name = "N")]
        remeasure: Option<u32>,
        /// Workers at once, each a process with --threads threads; auto: one worker of one thread per physical core (at most one per job; one on CUDA) [default: auto].
        #[arg(long, value_name = "N|auto")]
        jobs: Option<JobsChoice>,
    }
    config_head {
        /// The data.
        dataset: DatasetChoice,
        /// Models in comparison order (the first sets the parameter budget).
        models: Vec<Cell>,
    }
    config_tail {
        /// Seeds, one run per model and seed. With `--seeds auto`, the seeds
        /// planned so far (the first three, then one more per round).
        seeds: Vec<u64>,
        /// `--seeds auto`'s stopping rule; `null` for a fixed list of seeds.
        auto_seeds: Option<AutoSeeds>,
        /// Results root.
        out: PathBuf,
        /// The dataset preset applied under the flags (see [`dataset_preset`]), if any.
        preset: Option<String>,
        /// No progress bars.
        quiet: bool,
        /// Re-runs allowed per run whose timing was disturbed (`--remeasure`).
        /// Not a grid axis: it changes no number a run produces, only which
        /// attempt's timing stands, and every point of a sweep should be
        /// measured under the same policy.
        remeasure: u32,
        /// Workers running at once (`--jobs`, resolved; `--threads` is per
        /// worker). Not a grid axis: every point of a run is scheduled the
        /// same way. 1 in a `config.json` written before `--jobs` existed.
        jobs: usize,
    }
    grid {
        /// params: size every model to the first one's parameter count; hidden: same hidden size [default: params].
        [, value_name = "MODE"]
        #[serde(rename = "match")]
        match_mode: MatchMode = MatchMode::Params, "match", any, Categorical;
        /// Hidden size of the first model [default: 64].
        [, value_name = "N"]
        hidden: i64 = 64, "hidden", at_least_1_i64, Log;
        /// Embedding width [default: 64].
        [, value_name = "N"]
        embed: i64 = 64, "embed", at_least_1_i64, Log;
        /// Stacked recurrent layers [default: 1].
        [, value_name = "N"]
        layers: i64 = 1, "layers", at_least_1_i64, Linear;
        /// Run each layer in both directions (`--bidirectional=false,true` sweeps both).
        [, value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true"]
        bidirectional: bool = false, "bidirectional", any, Categorical;
        /// How each model's states become the head's features: last (the state after the last real token), mean or max over the real tokens' states, attention (a learned query, softmax over the real tokens), or auto (last for the recurrent cells, mean for the Transformer) [default: auto].
        [, value_name = "POOLING"]
        pooling: PoolingChoice = PoolingChoice::Auto, "pooling", any, Categorical;
        /// Dropout before the head and between layers, in [0, 1) [default: 0.3].
        [, value_name = "P"]
        dropout: f64 = 0.3, "dropout", probability, Linear;
        /// Keep at most N tokens of each review (see --keep) [default: 128].
        [, value_name = "N"]
        max_len: usize = 128, "max-len", at_least_1_usize, Log;
        /// Which tokens of a longer review to keep: first or last [default: last].
        [, value_name = "WHICH"]
        keep: Keep = Keep::Last, "keep", any, Categorical;
        /// Vocabulary size cap, <pad> and <unk> included [default: 20000].
        [, value_name = "N"]
        vocab_size: usize = 20_000, "vocab-size", vocabulary, Log;
        /// Minimum training count for a word to enter the vocabulary [default: 2].
        [, value_name = "N"]
        min_count: usize = 2, "min-count", at_least_1_usize, Linear;
        /// Fraction of the training split held out for validation [default: 0.1].
        [, value_name = "F"]
        val_fraction: f64 = 0.1, "val-fraction", open_fraction, Linear;
        /// Examples per training batch [default: 128].
        [, value_name = "N"]
        batch_size: usize = 128, "batch-size", at_least_1_usize, Log;
        /// Maximum epochs per run [default: 4].
        [, value_name = "N"]
        epochs: u32 = 4, "epochs", at_least_1_u32, Linear;
        /// Adam learning rate [default: 0.004].
        [, value_name = "X"]
        lr: f64 = 4e-3, "lr", learning_rate, Log;
        /// Adam's L2 weight decay (PyTorch's `weight_decay`); 0 disables [default: 0].
        [, value_name = "X"]
        weight_decay: f64 = 0.0, "weight-decay", zero_or_positive, Linear;
        /// Clip gradients to this global L2 norm; 0 disables [default: 1.0].
        [, value_name = "X"]
        clip: f64 = 1.0, "clip", zero_or_positive, Linear;
        /// Stop after N epochs without a better validation accuracy; 0 disables [default: 2].
        [, value_name = "N"]
        patience: u32 = 2, "patience", any, Linear;
        /// Intra-op CPU threads [default: physical cores].
        [, value_name = "N"]
        threads: usize = default_threads(), "threads", at_least_1_usize, Linear;
        /// cpu, cuda or auto [default: cpu].
        [, value_name = "DEVICE"]
        device: DeviceChoice = DeviceChoice::Cpu, "device", any, Categorical;
        /// onednn: every cell on the same fused oneDNN kernel (CPU); auto: libtorch's own choice (oneDNN for the CPU LSTM only, cuDNN on CUDA); native: libtorch's native loop for every cell [default: onednn on the CPU, auto on CUDA].
        [, value_name = "KERNEL"]
        kernel: KernelChoice = KernelChoice::Auto, "kernel", any, Categorical;
        /// Flush subnormal floats to zero while training (on: a fresh net's first epoch is otherwise up to 8x slower on Intel CPUs, with the same accuracy), or compute them as libtorch does by default (off) [default: on].
        [, value_name = "ON|OFF"]
        flush_denormal: OnOff = OnOff::On, "flush-denormal", any, Categorical;
        /// After training, time a few train steps of every model under every kernel setting (auto, native and, where built, onednn), to split speed verdicts into cell and kernel [default: on].
        [, value_name = "ON|OFF"]
        kernel_check: OnOff = OnOff::On, "kernel-check", any, Categorical;
        /// Validation accuracy (fraction) whose first reach is timed (time to accuracy); 0: 97% of the lower of the models' mean best [default: 0].
        [, value_name = "X"]
        target_acc: f64 = 0.0, "target-acc", target_fraction, Linear;
        /// Order of the training batches: bucketed (length-sorted pools of 50 batches), pooled (pools of 10 batches), random (shuffled, each padded to its longest member) [default: bucketed].
        [, value_name = "ORDER"]
        batching: crate::data::Batching = crate::data::Batching::Bucketed, "batching", any, Categorical;
        /// Forecasting: steps each window reads [default: 48].
        [, value_name = "L"]
        lookback: usize = 48, "lookback", at_least_1_usize, Log;
        /// Forecasting: steps each window forecasts, one output each [default: 1].
        [, value_name = "H"]
        horizon: usize = 1, "horizon", at_least_1_usize, Linear;
        /// Forecasting: the last share of each series' steps held out for testing (validation is the --val-fraction before it) [default: 0.2].
        [, value_name = "F"]
        test_fraction: f64 = 0.2, "test-fraction", open_fraction, Linear;
        /// Forecasting: the season in steps for the seasonal naive forecast (24 for hourly data with a daily cycle); 0: none [default: 0].
        [, value_name = "S"]
        season: usize = 0, "season", any, Linear;
        /// Forecasting: what a gap (an empty cell, NaN, NA or ?) becomes: linear (a straight line across it, counted) or none (refused, naming its line) [default: linear].
        [, value_name = "RULE"]
        fill: Fill = Fill::Linear, "fill", any, Categorical;
        /// Forecasting: relative (each window minus its last value, in units of the training part's step-to-step spread) or global (the training part's z-score) [default: relative].
        [, value_name = "RULE"]
        scaling: Scaling = Scaling::Relative, "scaling", any, Categorical;
        /// `--dataset memory` only: filler tokens between the key and the end of each sequence [default: 100].
        [, value_name = "D"]
        distance: usize = 100, "distance", at_least_1_usize, Log;
        /// `--dataset memory` only: training sequences (the test split has 1,000) [default: 2000].
        [, value_name = "N"]
        sequences: usize = 2000, "sequences", memory_sequences, Log;
    }
}

impl Default for Config {
    /// The built-in defaults (imdb-mini, LSTM and GRU, 3 seeds).
    fn default() -> Config {
        Options::default()
            .resolve_without_preset()
            .expect("the built-in defaults are valid")
    }
}

/// The settings a named dataset brings: applied under `--config` and the
/// flags, over the built-in defaults (which are sized for the bundled
/// imdb-mini). The full IMDB gets a larger model and longer reviews, which it
/// needs to reach the literature's accuracy (about 86%).
pub fn dataset_preset(name: &str) -> Options {
    match name {
        "imdb" => Options {
            hidden: Some(vec![128]),
            embed: Some(vec![128]),
            max_len: Some(vec![400]),
            epochs: Some(vec![6]),
            ..Options::default()
        },
        MEMORY_DATASET => Options {
            models: Some(vec![Cell::Lstm, Cell::Gru, Cell::Rnn, Cell::Transformer]),
            hidden: Some(vec![64]),
            embed: Some(vec![32]),
            dropout: Some(vec![0.0]),
            batch_size: Some(vec![64]),
            // Two training budgets: whether a gated cell finds the key
            // near its reach is close to a coin toss at the smaller one, so
            // claim 5 is judged at both (issue 35, finding 15).
            epochs: Some(MEMORY_PRESET_EPOCHS.to_vec()),
            patience: Some(vec![0]),
            kernel_check: Some(vec![OnOff::Off]),
            // A cell that has not found the key yet backpropagates vanishing
            // gradients through every filler: subnormal floats, which made
            // a GRU epoch at distance 100 up to 15 times slower here.
            flush_denormal: Some(vec![OnOff::On]),
            distance: Some(MEMORY_PRESET_DISTANCES.to_vec()),
            sequences: Some(vec![MEMORY_PRESET_SEQUENCES]),
            ..Options::default()
        },
        _ => Options::default(),
    }
}

/// The name recorded for the numeric-series preset ([`series_preset`]).
pub const SERIES_PRESET: &str = "series";

/// The settings numeric series bring (`.ts` files, a long CSV, a bundled
/// numeric set), under `--config` and the flags: UEA/UCR sets hold tens to
/// hundreds of series, so the text defaults (4 epochs of batch 128,
/// patience 2, a 10% validation split) would take a handful of optimiser
/// steps. Chosen by measurement on `japanese-vowels` (docs/series.md).
pub fn series_preset() -> Options {
    Options {
        hidden: Some(vec![64]),
        embed: Some(vec![32]),
        max_len: Some(vec![1024]),
        keep: Some(vec![Keep::First]),
        val_fraction: Some(vec![0.2]),
        batch_size: Some(vec![16]),
        epochs: Some(vec![60]),
        patience: Some(vec![15]),
        ..Options::default()
    }
}

/// The name recorded for the forecasting preset ([`forecast_preset`]).
pub const FORECAST_PRESET: &str = "forecast";

/// The settings a forecast (`--series`) brings under `--config` and the
/// flags: a series of a few thousand steps gives a few thousand windows, so
/// smaller batches and more epochs than text, a narrow input layer, light
/// dropout, and a validation part of a tenth of the steps.
pub fn forecast_preset() -> Options {
    Options {
        hidden: Some(vec![64]),
        embed: Some(vec![32]),
        dropout: Some(vec![0.1]),
        val_fraction: Some(vec![0.1]),
        batch_size: Some(vec![64]),
        epochs: Some(vec![20]),
        patience: Some(vec![5]),
        ..Options::default()
    }
}

/// The forecasting options a point was given, as flags, and the plain
/// options a forecast does not take.
#[derive(Debug, Clone, Default)]
struct ForecastFlags {
    /// `--lookback`, `--horizon`, … as given.
    forecast_only: Vec<&'static str>,
    /// `--max-len` was given.
    max_len: bool,
}

impl Options {
    /// A bundled forecasting set (`--dataset taylor`) as the forecast it
    /// is: its file, target and time columns, and its season unless given.
    /// The options naming the file themselves are refused beside it.
    fn bundled_forecast(&mut self) -> Result<()> {
        let Some(bundled) = crate::data::BUNDLED_FORECASTS
            .iter()
            .find(|b| self.dataset.as_deref() == Some(b.name))
        else {
            return Ok(());
        };
        for (given, flag) in [
            (self.series_file.is_some(), "--series"),
            (self.target.is_some(), "--target"),
            (self.time_col.is_some(), "--time-col"),
            (self.series_col.is_some(), "--series-col"),
        ] {
            if given {
                return Err(Error::config(
                    flag,
                    format!("--dataset {} names its own file and columns", bundled.name),
                ));
            }
        }
        let dir = crate::data::resolve_named(bundled.name)?;
        let file = dir.join(bundled.file);
        self.series_file = Some(std::path::absolute(&file).unwrap_or(file));
        self.target = Some(bundled.target.to_owned());
        self.time_col = Some(bundled.time.to_owned());
        self.season = self.season.take().or(Some(vec![bundled.season]));
        Ok(())
    }

    /// Which forecasting-only options were given.
    fn forecast_flags(&self) -> ForecastFlags {
        let only = [
            (self.lookback.is_some(), "--lookback"),
            (self.horizon.is_some(), "--horizon"),
            (self.test_fraction.is_some(), "--test-fraction"),
            (self.season.is_some(), "--season"),
            (self.fill.is_some(), "--fill"),
            (self.scaling.is_some(), "--scaling"),
        ];
        ForecastFlags {
            forecast_only: only.iter().filter(|o| o.0).map(|o| o.1).collect(),
            max_len: self.max_len.is_some(),
        }
    }
}

/// A forecast's options: the forecasting flags only with `--series`; there
/// no label, text or channel columns (the target and `--covariates` are the
/// channels), no `--max-len` (the window is `--lookback` steps), and
/// validation and test parts that leave steps to train on.
fn check_forecast(config: &mut Config, flags: &ForecastFlags) -> Result<()> {
    if !config.dataset.is_forecast() {
        return match flags.forecast_only.first() {
            Some(flag) => Err(Error::config(
                *flag,
                "applies only to forecasting: give the series with --series FILE --target COL",
            )),
            None => Ok(()),
        };
    }
    let d = &config.dataset;
    for (given, flag, instead) in [
        (
            d.label_col.is_some(),
            "--label-col",
            "a forecast has no label",
        ),
        (
            d.text_col.is_some(),
            "--text-col",
            "a forecast reads numbers",
        ),
        (
            d.channels.is_some(),
            "--channels",
            "name the inputs beside the target with --covariates",
        ),
        (
            flags.max_len,
            "--max-len",
            "a forecast's window is --lookback steps",
        ),
    ] {
        if given {
            return Err(Error::config(
                flag,
                format!("does not apply with --series: {instead}"),
            ));
        }
    }
    if config.val_fraction + config.test_fraction >= 0.9 {
        return Err(Error::config(
            "--test-fraction",
            format!(
                "with --val-fraction {} leaves {:.0}% of the steps to train on; keep the two \
                 below 0.9 together",
                config.val_fraction,
                100.0 * (1.0 - config.val_fraction - config.test_fraction).max(0.0)
            ),
        ));
    }
    config.max_len = config.lookback;
    Ok(())
}

/// The memory preset's distances (`--dataset memory` alone sweeps them).
pub const MEMORY_PRESET_DISTANCES: [usize; 4] = [10, 30, 100, 300];
/// The memory preset's training sequences.
pub const MEMORY_PRESET_SEQUENCES: usize = 2000;
/// The memory preset's training budgets, in epochs (every one runs: patience
/// is off): the smaller one and one four times as long, each a point of the
/// preset's `--epochs` axis.
pub const MEMORY_PRESET_EPOCHS: [u32; 2] = [6, 24];

/// Which of the memory task's options a point was given (flag, file or preset).
#[derive(Debug, Clone, Copy)]
struct MemoryGiven {
    distance: bool,
    sequences: bool,
    max_len: bool,
}

/// The memory task's options: `--distance` and `--sequences` only with
/// `--dataset memory`; there every sequence (`distance + 1` tokens) must fit
/// in `--max-len`, which defaults to exactly that.
fn check_memory(config: &mut Config, given: MemoryGiven) -> Result<()> {
    let is_memory = config.dataset.name == MEMORY_DATASET && config.dataset.train.is_none();
    if !is_memory {
        for (given, flag) in [
            (given.distance, "--distance"),
            (given.sequences, "--sequences"),
        ] {
            if given {
                return Err(Error::config(
                    flag,
                    format!("applies only to --dataset {MEMORY_DATASET}"),
                ));
            }
        }
        return Ok(());
    }
    let tokens = config.distance + 1;
    if !given.max_len {
        config.max_len = tokens;
    } else if config.max_len < tokens {
        return Err(Error::config(
            "--max-len",
            format!(
                "is {}, but a --distance {} sequence has {tokens} tokens (the key would be cut off); give at least {tokens} or leave --max-len out",
                config.max_len, config.distance
            ),
        ));
    }
    Ok(())
}

/// Default number of intra-op threads: the physical cores (libtorch's own default).
pub fn default_threads() -> usize {
    sysinfo::System::physical_core_count()
        .ok()
        .or_else(|| std::thread::available_parallelism().ok().map(|n| n.get()))
        .unwrap_or(1)
}

/// A list option must have a value and no value twice.
fn check_list<T: GridValue>(flag: &str, list: &[T]) -> Result<()> {
    if list.is_empty() {
        return Err(Error::config(flag, "needs at least one value"));
    }
    for (i, v) in list.iter().enumerate() {
        if list[..i].contains(v) {
            return Err(Error::config(
                flag,
                format!("`{}` is listed twice", v.label()),
            ));
        }
    }
    Ok(())
}

/// `flag-value` pairs joined by `_` (flag without its dashes), e.g.
/// `hidden-64_max-len-128`; `base` when nothing is swept.
fn point_id(values: &[(String, AxisValue)], axes: &[Axis]) -> String {
    if values.is_empty() {
        return "base".to_string();
    }
    values
        .iter()
        .zip(axes)
        .map(|((_, v), axis)| {
            let v: String = v
                .label()
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
            format!("{}-{v}", axis.flag.trim_start_matches('-'))
        })
        .collect::<Vec<_>>()
        .join("_")
}

/// Deserializes a TOML value that is either one value or an array of them.
/// A value of the wrong type fails with the element type's own message
/// ("invalid type: string \"abc\", expected u64"), not serde's opaque
/// "did not match any variant of untagged enum".
fn one_or_many<'de, D, T>(deserializer: D) -> std::result::Result<Option<Vec<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    use serde::de::{self, IntoDeserializer, SeqAccess, Visitor};
    struct OneOrMany<T>(std::marker::PhantomData<T>);
    fn one<'de, T: Deserialize<'de>, E: de::Error>(
        value: impl IntoDeserializer<'de, E>,
    ) -> std::result::Result<Vec<T>, E> {
        T::deserialize(value.into_deserializer()).map(|v| vec![v])
    }
    impl<'de, T: Deserialize<'de>> Visitor<'de> for OneOrMany<T> {
        type Value = Vec<T>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a value or a list of values")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Vec<T>, A::Error> {
            let mut values = Vec::new();
            while let Some(v) = seq.next_element()? {
                values.push(v);
            }
            Ok(values)
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> std::result::Result<Vec<T>, E> {
            one(v)
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<Vec<T>, E> {
            one(v)
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<Vec<T>, E> {
            one(v)
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<Vec<T>, E> {
            one(v)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Vec<T>, E> {
            one(v.to_string())
        }
    }
    deserializer
        .deserialize_any(OneOrMany(std::marker::PhantomData))
        .map(Some)
}

impl Options {
    /// Whether these options read numeric series: `.ts` files, a long CSV
    /// (`--series-col`), or a dataset folder holding `train.ts`.
    pub fn reads_series(&self) -> bool {
        let ts = |p: &Path| crate::data::series::is_ts(p);
        if self.series_col.is_some() || self.train.as_deref().is_some_and(ts) {
            return true;
        }
        match self.dataset.as_deref() {
            Some(name) if !name.is_empty() => {
                let dir = if dataset_is_path(name) && Path::new(name).is_dir() {
                    Some(PathBuf::from(name))
                } else {
                    crate::data::resolve_named(name).ok()
                };
                dir.is_some_and(|d| d.join("train.ts").is_file())
            }
            _ => false,
        }
    }

    /// The flags (or file keys) that were given, as flags: `--hidden`, ….
    /// `--quiet` is not counted.
    pub fn given_flags(&self) -> Vec<&'static str> {
        let mut flags = Vec::new();
        let plain = [
            (self.dataset.is_some(), "--dataset"),
            (self.train.is_some(), "--train"),
            (self.test.is_some(), "--test"),
            (self.text_col.is_some(), "--text-col"),
            (self.label_col.is_some(), "--label-col"),
            (self.series_col.is_some(), "--series-col"),
            (self.time_col.is_some(), "--time-col"),
            (self.channels.is_some(), "--channels"),
            (self.series_file.is_some(), "--series"),
            (self.target.is_some(), "--target"),
            (self.covariates.is_some(), "--covariates"),
            (self.models.is_some(), "--models"),
        ];
        flags.extend(plain.iter().filter(|p| p.0).map(|p| p.1));
        self.given_grid_flags(&mut flags);
        let tail = [
            (self.seeds.is_some(), "--seeds"),
            (self.max_seeds.is_some(), "--max-seeds"),
            (self.precision.is_some(), "--precision"),
            (self.seed_list.is_some(), "--seed-list"),
            (self.out.is_some(), "--out"),
            (self.remeasure.is_some(), "--remeasure"),
            (self.jobs.is_some(), "--jobs"),
        ];
        flags.extend(tail.iter().filter(|p| p.0).map(|p| p.1));
        flags
    }

    /// `self` with its relative data paths (`train`, `test`, a `dataset`
    /// that is a path, not a name) made absolute from `base` (from the
    /// current directory when `base` is relative or empty): a run's
    /// `config.json` names its data wherever `compare --resume` is run from.
    pub fn data_paths_from(mut self, base: &Path) -> Options {
        self.train = self.train.map(|p| absolute_from(base, p));
        self.test = self.test.map(|p| absolute_from(base, p));
        self.series_file = self.series_file.map(|p| absolute_from(base, p));
        self.dataset = self.dataset.map(|d| {
            if dataset_is_path(&d) {
                absolute_from(base, PathBuf::from(&d))
                    .to_string_lossy()
                    .into_owned()
            } else {
                d
            }
        });
        self
    }

    /// `self` (the flags) with every unset option taken from `file`. The
    /// seeds are one setting: flags that name them (`--seeds` or
    /// `--seed-list`) replace the file's `seeds`, `seed_list`, `max_seeds`
    /// and `precision` together, so that a file's `seed_list` never
    /// overrides `--seeds auto` (the first screen's next step adds it to the
    /// run's own command line, `--config` included).
    pub fn or(self, mut file: Options) -> Options {
        if self.seeds.is_some() || self.seed_list.is_some() {
            file.seeds = None;
            file.seed_list = None;
            file.max_seeds = None;
            file.precision = None;
        }
        self.or_each(file)
    }

    /// Reads options from a TOML file (same keys as the flags, with `_`).
    /// Relative paths in it (`train`, `test`, `dataset`, `out`) are taken
    /// from the file's folder, not the current directory.
    pub fn from_toml_file(path: &Path) -> Result<Options> {
        let base = path.parent().unwrap_or(Path::new(""));
        let mut options = Self::parse_toml_file(path)?.data_paths_from(base);
        options.out = options.out.map(|p| absolute_from(base, p));
        Ok(options)
    }

    fn parse_toml_file(path: &Path) -> Result<Options> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        toml::from_str(&text).map_err(|e| {
            let start = e.span().map(|s| s.start);
            let line = start.map(|s| text[..s].matches('\n').count() as u64 + 1);
            // A value of the wrong type: name its key (`hidden = "abc"` → `hidden: …`).
            let key = start
                .and_then(|s| text[..s].rsplit('\n').next())
                .and_then(|before| before.split_once('='))
                .map(|(key, _)| key.trim().trim_matches('"'))
                .filter(|key| !key.is_empty());
            let message = match key {
                Some(key) => format!("{key}: {}", e.message()),
                None => e.message().to_string(),
            };
            Error::data(path, line, None, message)
        })
    }

    /// `self` with `--jobs` resolved to a number of workers
    /// ([`resolve_width`], on this machine's physical cores, for `points`
    /// grid points of this many models and first seeds) and, when
    /// `--threads` was not given, the threads per worker set.
    fn with_width(mut self, points: usize) -> Result<Options> {
        let seeds = match (&self.seed_list, self.seeds) {
            (Some(list), _) => list.len(),
            (None, Some(SeedCount::Fixed(n))) => n as usize,
            _ => AutoSeeds::FIRST_SEEDS as usize,
        };
        let models = self.models.as_ref().map_or(2, Vec::len);
        let machine = Machine {
            cores: default_threads(),
            cpu_only: self
                .device
                .as_ref()
                .is_none_or(|d| d.iter().all(|&d| d == DeviceChoice::Cpu)),
            jobs: points * models * seeds,
        };
        let given = self.threads.as_ref().and_then(|t| t.iter().copied().max());
        let width = resolve_width(self.jobs.unwrap_or(JobsChoice::Auto), given, machine)
            .ok_or_else(|| Error::config("--jobs", "must be at least 1, got 0"))?;
        self.threads.get_or_insert_with(|| vec![width.threads]);
        self.jobs = Some(JobsChoice::Fixed(width.workers));
        Ok(self)
    }

    /// Resolves options that describe one configuration (no list with more
    /// than one value); see [`Options::grid`] for sweeps.
    pub fn resolve(self) -> Result<Config> {
        let mut grid = self.grid()?;
        match grid.points.len() {
            1 => Ok(grid.points.remove(0).config),
            n => Err(Error::config(
                &grid.axes[0].flag,
                format!("lists {n} configurations; this needs exactly one"),
            )),
        }
    }

    /// Applies the dataset's preset ([`dataset_preset`]) under the options
    /// given, checks every list (not empty, no value twice), and expands the
    /// cross product of the lists into resolved configurations, each
    /// validated with the built-in defaults. Points are ordered as nested
    /// loops over the options in flag order, the last option varying fastest.
    pub fn grid(self) -> Result<Grid> {
        let mut this = self;
        this.bundled_forecast()?;
        let name = this
            .dataset
            .clone()
            .unwrap_or_else(|| "imdb-mini".to_string());
        let numeric = this.reads_series();
        let forecast = this.series_file.is_some();
        let (name, preset) = if forecast {
            (FORECAST_PRESET.to_owned(), forecast_preset())
        } else if numeric {
            (SERIES_PRESET.to_owned(), series_preset())
        } else {
            (name.clone(), dataset_preset(&name))
        };
        let has_preset = preset.hidden.is_some() && (this.train.is_none() || numeric || forecast);
        let options = this.or(preset);
        let (axes, lens) = options.grid_axes()?;
        let total: usize = lens.iter().product();
        let options = options.with_width(total)?;
        let mut points = Vec::with_capacity(total);
        for index in 0..total {
            // Mixed-radix digits, the last option fastest.
            let mut digits = vec![0; lens.len()];
            let mut rest = index;
            for (d, &n) in digits.iter_mut().zip(&lens).rev() {
                *d = rest % n;
                rest /= n;
            }
            let (point, values) = options.pick(&digits);
            let given = MemoryGiven {
                distance: point.distance.is_some(),
                sequences: point.sequences.is_some(),
                max_len: point.max_len.is_some(),
            };
            let forecast_flags = point.forecast_flags();
            let mut config = point.resolve_without_preset()?;
            check_memory(&mut config, given)?;
            check_forecast(&mut config, &forecast_flags)?;
            if has_preset {
                config.preset = Some(name.clone());
            }
            let id = point_id(&values, &axes);
            points.push(GridPoint { id, values, config });
        }
        Ok(Grid { axes, points })
    }

    /// Applies the built-in defaults and validates every value; errors name the flag.
    pub fn resolve_without_preset(self) -> Result<Config> {
        let grid = self.resolve_grid()?;
        let models = self.models.unwrap_or_else(|| vec![Cell::Lstm, Cell::Gru]);
        if models.is_empty() {
            return Err(Error::config("--models", "needs at least one model"));
        }
        for (i, m) in models.iter().enumerate() {
            if models[..i].contains(m) {
                return Err(Error::config("--models", format!("`{m}` is listed twice")));
            }
        }
        let auto_seeds = match self.seeds {
            Some(SeedCount::Auto) => Some(AutoSeeds::checked(
                self.max_seeds.unwrap_or(AutoSeeds::DEFAULT_MAX_SEEDS),
                self.precision
                    .unwrap_or(AutoSeeds::DEFAULT_PRECISION_POINTS),
                models.len(),
            )?),
            _ => {
                for (given, flag) in [
                    (self.max_seeds.is_some(), "--max-seeds"),
                    (self.precision.is_some(), "--precision"),
                ] {
                    if given {
                        return Err(Error::config(flag, "only applies with --seeds auto"));
                    }
                }
                None
            }
        };
        let seeds = match (self.seed_list, self.seeds) {
            (Some(list), _) => {
                if list.is_empty() {
                    return Err(Error::config("--seed-list", "needs at least one seed"));
                }
                for (i, s) in list.iter().enumerate() {
                    if list[..i].contains(s) {
                        return Err(Error::config(
                            "--seed-list",
                            format!("seed {s} is listed twice"),
                        ));
                    }
                }
                list
            }
            (None, Some(SeedCount::Fixed(0))) => {
                return Err(Error::config("--seeds", "must be at least 1, got 0"));
            }
            (None, Some(SeedCount::Fixed(n))) => (1..=u64::from(n)).collect(),
            (None, Some(SeedCount::Auto)) => (1..=u64::from(AutoSeeds::FIRST_SEEDS)).collect(),
            (None, None) => (1..=3).collect(),
        };
        let dataset = DatasetChoice {
            name: match (&self.dataset, &self.train) {
                (Some(_), Some(_)) => {
                    return Err(Error::config(
                        "--dataset",
                        "give either --dataset or --train/--test, not both",
                    ));
                }
                (Some(name), None) => name.clone(),
                (None, Some(_)) => String::new(),
                (None, None) if self.series_file.is_some() => String::new(),
                (None, None) => "imdb-mini".to_string(),
            },
            train: self.train,
            test: self.test,
            text_col: self.text_col,
            label_col: self.label_col,
            series_col: self.series_col,
            time_col: self.time_col,
            channels: self.channels,
            series: self.series_file,
            target: self.target,
            covariates: self.covariates.unwrap_or_default(),
        };
        if dataset.train.is_some() != dataset.test.is_some() {
            return Err(Error::config("--train/--test", "give both splits"));
        }
        let kernel_given = self.kernel.is_some();
        let mut config = grid.into_config(
            dataset,
            models,
            seeds,
            auto_seeds,
            self.out.unwrap_or_else(|| PathBuf::from("results")),
            None,
            self.quiet,
            self.remeasure.unwrap_or(1),
            match self.jobs {
                Some(JobsChoice::Fixed(n)) => n.max(1),
                _ => 1,
            },
        );
        check_kernel(&mut config, kernel_given)?;
        check_transformer(&config)?;
        Ok(config)
    }
}

/// With the Transformer among the models, its width (`--embed`) must split
/// evenly over its [`crate::model::TRANSFORMER_HEADS`] heads.
fn check_transformer(config: &Config) -> Result<()> {
    let heads = crate::model::TRANSFORMER_HEADS;
    if config.models.contains(&Cell::Transformer) && config.embed % heads != 0 {
        return Err(Error::config(
            "--embed",
            format!(
                "is the Transformer's width and must divide by its {heads} heads, got {}",
                config.embed
            ),
        ));
    }
    Ok(())
}

/// The seeds `compare --resume DIR` adds to the folder's runs (its
/// `--seeds`, `--max-seeds` and `--precision`; see [`Config::add_seeds`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MoreSeeds {
    /// `--seeds N`: N seeds in all, the missing ones numbered after the
    /// folder's highest.
    Fixed(u32),
    /// `--seeds auto`: the stopping rule's `--max-seeds` (its default when
    /// not given) and `--precision` (the folder's own rule's, else the
    /// default, when not given).
    Auto {
        /// `--max-seeds`.
        max_seeds: u32,
        /// `--precision`, if given.
        precision_points: Option<f64>,
    },
}

impl Options {
    /// What `compare --resume` was asked to add: `None` without `--seeds`.
    /// The seed flags are the only options a resumed folder takes (the rest
    /// of its configuration is its own); any other is refused, naming it,
    /// as `--seed-list` is (seeds are added by count) and `--max-seeds` or
    /// `--precision` without `--seeds auto`.
    pub fn more_seeds(&self) -> Result<Option<MoreSeeds>> {
        let seed_flags = ["--seeds", "--max-seeds", "--precision"];
        if let Some(flag) = self
            .given_flags()
            .into_iter()
            .find(|f| !seed_flags.contains(f))
        {
            let why = if flag == "--seed-list" {
                "--resume adds seeds by count (--seeds N, or --seeds auto), numbered after the folder's"
            } else {
                "--resume continues the folder with the configuration in its files (only --seeds, --max-seeds and --precision add seeds to it)"
            };
            return Err(Error::config(flag, format!("{why}; drop {flag}")));
        }
        match self.seeds {
            None => {
                if let Some(flag) = self.given_flags().first() {
                    return Err(Error::config(*flag, "only applies with --seeds auto"));
                }
                Ok(None)
            }
            Some(SeedCount::Fixed(n)) => {
                if let Some(flag) = self.given_flags().into_iter().find(|f| *f != "--seeds") {
                    return Err(Error::config(flag, "only applies with --seeds auto"));
                }
                Ok(Some(MoreSeeds::Fixed(n)))
            }
            Some(SeedCount::Auto) => Ok(Some(MoreSeeds::Auto {
                max_seeds: self.max_seeds.unwrap_or(AutoSeeds::DEFAULT_MAX_SEEDS),
                precision_points: self.precision,
            })),
        }
    }
}

impl Config {
    /// This (resumed) configuration with `more` seeds: `Fixed(n)` appends
    /// seeds numbered after the highest until there are `n` (fewer than
    /// there are is refused: a resume never drops finished seeds) and ends
    /// a `--seeds auto` rule; `Auto` sets the rule (checked as for a new
    /// run), which then adds seeds as the results come in. Returns the
    /// seeds appended.
    pub fn add_seeds(&mut self, more: MoreSeeds) -> Result<Vec<u64>> {
        match more {
            MoreSeeds::Fixed(n) => {
                let have = self.seeds.len();
                if (n as usize) < have {
                    return Err(Error::config(
                        "--seeds",
                        format!(
                            "the folder already has {have} seeds; --resume adds seeds and never drops any, so ask for {have} or more"
                        ),
                    ));
                }
                let highest = self.seeds.iter().copied().max().unwrap_or(0);
                let added: Vec<u64> = (1..=(n as usize - have) as u64)
                    .map(|i| highest + i)
                    .collect();
                self.seeds.extend(&added);
                self.auto_seeds = None;
                Ok(added)
            }
            MoreSeeds::Auto {
                max_seeds,
                precision_points,
            } => {
                let precision = precision_points
                    .or(self.auto_seeds.map(|a| a.precision_points))
                    .unwrap_or(AutoSeeds::DEFAULT_PRECISION_POINTS);
                self.auto_seeds =
                    Some(AutoSeeds::checked(max_seeds, precision, self.models.len())?);
                Ok(Vec::new())
            }
        }
    }
}

/// The kernel: by default every cell on the fused oneDNN kernel on the CPU
/// (the cells' own cost, on one library for all), libtorch's choice on
/// CUDA, where cuDNN already fuses every cell. `onednn` asked for on CUDA,
/// or where oneDNN is not built or its library does not load, is refused
/// (the default then is libtorch's choice).
fn check_kernel(config: &mut Config, given: bool) -> Result<()> {
    if !given {
        config.kernel = if config.device == DeviceChoice::Cpu && crate::model::onednn::available() {
            KernelChoice::Onednn
        } else {
            KernelChoice::Auto
        };
        return Ok(());
    }
    if config.kernel != KernelChoice::Onednn {
        return Ok(());
    }
    if config.device == DeviceChoice::Cuda {
        return Err(Error::config(
            "--kernel",
            "onednn is a CPU kernel; on CUDA use auto (cuDNN fuses every cell) or native",
        ));
    }
    if let Some(why) = crate::model::onednn::unavailable_reason() {
        return Err(Error::config(
            "--kernel",
            format!("onednn is unavailable: {why}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        options: Options,
    }

    #[test]
    fn pooling_is_a_grid_axis_with_a_default_per_model() {
        use clap::Parser;
        let c = Options::default().resolve().unwrap();
        assert_eq!(c.pooling, PoolingChoice::Auto);
        assert_eq!(c.pooling.for_model(Cell::Lstm), Pooling::Last);
        assert_eq!(c.pooling.for_model(Cell::Transformer), Pooling::Mean);
        let cli = Cli::try_parse_from([
            "compare",
            "--models",
            "lstm,transformer",
            "--pooling",
            "last,mean,max,attention",
        ])
        .unwrap();
        let grid = cli.options.grid().unwrap();
        assert_eq!(grid.axes[0].key, "pooling");
        let ids: Vec<&str> = grid.points.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "pooling-last",
                "pooling-mean",
                "pooling-max",
                "pooling-attention"
            ]
        );
        let last = &grid.points[3].config;
        assert_eq!(last.pooling.for_model(Cell::Lstm), Pooling::Attention);
        assert_eq!(last.models, [Cell::Lstm, Cell::Transformer]);
    }

    #[test]
    fn the_transformer_needs_an_even_width_and_runs_under_any_kernel() {
        use clap::Parser;
        let odd = Cli::try_parse_from(["compare", "--models", "lstm,transformer", "--embed", "33"])
            .unwrap();
        let err = odd.options.resolve().unwrap_err().to_string();
        assert!(err.contains("--embed") && err.contains("heads"), "{err}");
        for kernel in ["auto", "native"] {
            let ok = Cli::try_parse_from([
                "compare",
                "--models",
                "transformer,lstm",
                "--kernel",
                kernel,
            ])
            .unwrap();
            assert!(ok.options.resolve().is_ok(), "{kernel}");
        }
    }

    /// Issue 35 finding 10: `compare --resume DIR --seeds …` adds seeds
    /// after the folder's, never drops or repeats one, and takes no other
    /// option.
    #[test]
    fn a_resume_adds_seeds_after_the_folders_own() {
        let mut c = Options {
            seed_list: Some(vec![4, 7]),
            ..Default::default()
        }
        .resolve()
        .unwrap();
        assert_eq!(c.add_seeds(MoreSeeds::Fixed(4)).unwrap(), [8, 9]);
        assert_eq!(c.seeds, [4, 7, 8, 9]);
        assert!(c.add_seeds(MoreSeeds::Fixed(4)).unwrap().is_empty());
        let err = c.add_seeds(MoreSeeds::Fixed(3)).unwrap_err().to_string();
        assert!(
            err.starts_with("--seeds") && err.contains("4 seeds"),
            "{err}"
        );
        let more = MoreSeeds::Auto {
            max_seeds: 12,
            precision_points: None,
        };
        assert!(c.add_seeds(more).unwrap().is_empty());
        assert_eq!(
            c.auto_seeds,
            Some(AutoSeeds {
                max_seeds: 12,
                precision_points: AutoSeeds::DEFAULT_PRECISION_POINTS
            })
        );
        // A fixed count ends the rule.
        c.add_seeds(MoreSeeds::Fixed(5)).unwrap();
        assert_eq!((c.seeds.len(), c.auto_seeds), (5, None));

        let asked = |o: Options| o.more_seeds().map_err(|e| e.to_string());
        assert_eq!(asked(Options::default()), Ok(None));
        let auto = Options {
            seeds: Some(SeedCount::Auto),
            max_seeds: Some(18),
            ..Default::default()
        };
        assert_eq!(
            asked(auto),
            Ok(Some(MoreSeeds::Auto {
                max_seeds: 18,
                precision_points: None
            }))
        );
        for (o, flag) in [
            (
                Options {
                    seeds: Some(SeedCount::Fixed(5)),
                    hidden: Some(vec![32]),
                    ..Default::default()
                },
                "--hidden",
            ),
            (
                Options {
                    seed_list: Some(vec![9]),
                    ..Default::default()
                },
                "--seed-list",
            ),
            (
                Options {
                    seeds: Some(SeedCount::Fixed(5)),
                    precision: Some(0.5),
                    ..Default::default()
                },
                "--precision",
            ),
        ] {
            let err = asked(o).unwrap_err();
            assert!(err.starts_with(flag), "{err}");
        }
    }

    #[test]
    fn defaults_resolve() {
        let c = Options::default().resolve().unwrap();
        assert_eq!(c.models, [Cell::Lstm, Cell::Gru]);
        assert_eq!(c.seeds, [1, 2, 3]);
        assert_eq!(c.dataset.name, "imdb-mini");
        assert_eq!(c.match_mode, MatchMode::Params);
    }

    #[test]
    fn the_full_imdb_brings_its_preset_under_the_flags() {
        let c = Options {
            dataset: Some("imdb".into()),
            hidden: Some(vec![32]),
            ..Default::default()
        }
        .resolve()
        .unwrap();
        assert_eq!((c.hidden, c.embed, c.max_len, c.epochs), (32, 128, 400, 6));
        assert_eq!(c.preset.as_deref(), Some("imdb"));
        let mini = Options::default().resolve().unwrap();
        assert_eq!((mini.hidden, mini.max_len, mini.preset), (64, 128, None));
    }

    #[test]
    fn bad_values_name_their_flag() {
        let cases: Vec<(Options, &str)> = vec![
            (
                Options {
                    epochs: Some(vec![0]),
                    ..Default::default()
                },
                "--epochs",
            ),
            (
                Options {
                    batch_size: Some(vec![0]),
                    ..Default::default()
                },
                "--batch-size",
            ),
            (
                Options {
                    dropout: Some(vec![1.0]),
                    ..Default::default()
                },
                "--dropout",
            ),
            (
                Options {
                    dropout: Some(vec![-0.1]),
                    ..Default::default()
                },
                "--dropout",
            ),
            (
                Options {
                    max_len: Some(vec![0]),
                    ..Default::default()
                },
                "--max-len",
            ),
            (
                Options {
                    vocab_size: Some(vec![0]),
                    ..Default::default()
                },
                "--vocab-size",
            ),
            (
                Options {
                    seeds: Some(SeedCount::Fixed(0)),
                    ..Default::default()
                },
                "--seeds",
            ),
            (
                Options {
                    hidden: Some(vec![0]),
                    ..Default::default()
                },
                "--hidden",
            ),
            (
                Options {
                    models: Some(vec![Cell::Gru, Cell::Gru]),
                    ..Default::default()
                },
                "--models",
            ),
            (
                Options {
                    lr: Some(vec![0.0]),
                    ..Default::default()
                },
                "--lr",
            ),
        ];
        for (options, flag) in cases {
            let err = options.resolve().unwrap_err().to_string();
            assert!(err.starts_with(flag), "{err}");
        }
    }

    #[test]
    fn flags_that_name_the_seeds_replace_all_of_the_files_seed_options() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "seed_list = [1, 2]\nepochs = 2\n").unwrap();
        let c = Options {
            seeds: Some(SeedCount::Auto),
            max_seeds: Some(9),
            ..Default::default()
        }
        .or(Options::from_toml_file(&path).unwrap())
        .resolve()
        .unwrap();
        assert_eq!(c.seeds, [1, 2, 3], "--seeds auto starts at 3 seeds");
        assert_eq!(c.auto_seeds.map(|a| a.max_seeds), Some(9));
        assert_eq!(c.epochs, 2, "the file's other options stay");

        std::fs::write(&path, "seeds = \"auto\"\nmax_seeds = 10\nprecision = 0.5\n").unwrap();
        let c = Options {
            seed_list: Some(vec![4, 5]),
            ..Default::default()
        }
        .or(Options::from_toml_file(&path).unwrap())
        .resolve()
        .unwrap();
        assert_eq!(c.seeds, [4, 5]);
        assert!(
            c.auto_seeds.is_none(),
            "the file's seeds = \"auto\" is replaced"
        );

        // Flags without seeds keep the file's.
        let c = Options::default()
            .or(Options::from_toml_file(&path).unwrap())
            .resolve()
            .unwrap();
        assert_eq!(c.auto_seeds.map(|a| a.max_seeds), Some(10));
    }

    #[test]
    fn flags_override_the_file_and_unknown_keys_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(
            &path,
            "epochs = 7\nhidden = 64\nmodels = [\"gru\", \"rnn\"]\nmatch = \"hidden\"\n",
        )
        .unwrap();
        let file = Options::from_toml_file(&path).unwrap();
        let c = Options {
            hidden: Some(vec![32]),
            ..Default::default()
        }
        .or(file)
        .resolve()
        .unwrap();
        assert_eq!(
            (c.epochs, c.hidden, c.match_mode),
            (7, 32, MatchMode::Hidden)
        );
        assert_eq!(c.models, [Cell::Gru, Cell::Rnn]);
        std::fs::write(&path, "epochs = 7\nhiden = 3\n").unwrap();
        let err = Options::from_toml_file(&path).unwrap_err().to_string();
        assert!(err.contains("c.toml:2") && err.contains("hiden"), "{err}");
    }

    #[test]
    fn lists_expand_to_a_grid_from_flags_and_files() {
        use clap::Parser;
        #[derive(Parser)]
        struct Cli {
            #[command(flatten)]
            options: Options,
        }
        let cli = Cli::try_parse_from([
            "compare",
            "--hidden",
            "32,64",
            "--bidirectional=false,true",
            "--lr",
            "0.001,0.01",
        ])
        .unwrap();
        let grid = cli.options.grid().unwrap();
        assert_eq!(grid.points.len(), 8);
        let keys: Vec<&str> = grid.axes.iter().map(|a| a.key.as_str()).collect();
        assert_eq!(keys, ["hidden", "bidirectional", "lr"]);
        assert_eq!(grid.points[0].id, "hidden-32_bidirectional-false_lr-0.001");
        let last = &grid.points[7].config;
        assert_eq!((last.hidden, last.bidirectional, last.lr), (64, true, 0.01));
        // A bare --bidirectional still means true; one value is no axis.
        let one = Cli::try_parse_from(["compare", "--bidirectional"]).unwrap();
        let grid = one.options.grid().unwrap();
        assert!(grid.axes.is_empty() && grid.points[0].config.bidirectional);
        assert_eq!(grid.points[0].id, "base");

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("grid.toml");
        std::fs::write(
            &path,
            "hidden = [32, 64]\nlayers = 2\nkeep = [\"first\", \"last\"]\n",
        )
        .unwrap();
        let grid = Options::from_toml_file(&path).unwrap().grid().unwrap();
        assert_eq!(grid.points.len(), 4);
        assert!(grid.points.iter().all(|p| p.config.layers == 2));
        assert_eq!(grid.points[1].id, "hidden-32_keep-last");

        let twice = Options {
            hidden: Some(vec![32, 32]),
            ..Default::default()
        };
        let err = twice.grid().unwrap_err().to_string();
        assert!(
            err.starts_with("--hidden") && err.contains("twice"),
            "{err}"
        );
        let many = Options {
            layers: Some(vec![1, 2]),
            ..Default::default()
        };
        assert!(
            many.resolve()
                .unwrap_err()
                .to_string()
                .starts_with("--layers")
        );
    }

    #[test]
    fn grid_values_keep_their_type_and_scale() {
        use clap::Parser;
        #[derive(Parser)]
        struct Cli {
            #[command(flatten)]
            options: Options,
        }
        let cli = Cli::try_parse_from([
            "compare",
            "--hidden",
            "64,128",
            "--weight-decay",
            "0,0.01",
            "--keep",
            "first,last",
        ])
        .unwrap();
        let grid = cli.options.grid().unwrap();
        let hidden = &grid.axes[0];
        assert_eq!(hidden.values, [AxisValue::Int(64), AxisValue::Int(128)]);
        assert!(hidden.is_size());
        let keep = grid.axes.iter().find(|a| a.key == "keep").unwrap();
        assert_eq!(keep.values[0], AxisValue::Choice("first".into()));
        assert_eq!(keep.scale, AxisScale::Categorical);
        let wd = grid.axes.iter().find(|a| a.key == "weight_decay").unwrap();
        assert_eq!(wd.values, [AxisValue::Float(0.0), AxisValue::Float(0.01)]);
        assert_eq!(wd.values[1].as_f64(), Some(0.01));
        assert_eq!(grid.points.len(), 8);
        assert_eq!(grid.points[0].config.weight_decay, 0.0);
        assert_eq!(grid.points[1].config.weight_decay, 0.01);
        // Typed values survive sweep.json's round trip.
        let text = serde_json::to_string(&grid).unwrap();
        let back: Grid = serde_json::from_str(&text).unwrap();
        assert_eq!(back, grid);
        assert!(GRID_OPTIONS.iter().any(|o| o.flag == "--weight-decay"));
        let bad = Options {
            weight_decay: Some(vec![-1.0]),
            ..Default::default()
        };
        assert!(
            bad.resolve()
                .unwrap_err()
                .to_string()
                .starts_with("--weight-decay")
        );
    }

    #[test]
    fn the_memory_task_brings_its_preset_and_sweeps_its_distances() {
        let grid = Options {
            dataset: Some(MEMORY_DATASET.into()),
            ..Default::default()
        }
        .grid()
        .unwrap();
        let keys: Vec<&str> = grid.axes.iter().map(|a| a.key.as_str()).collect();
        assert_eq!(
            keys,
            ["epochs", "distance"],
            "a budget axis and the distances"
        );
        assert_eq!(
            grid.points.len(),
            MEMORY_PRESET_DISTANCES.len() * MEMORY_PRESET_EPOCHS.len()
        );
        for &epochs in &MEMORY_PRESET_EPOCHS {
            let at: Vec<_> = grid
                .points
                .iter()
                .filter(|p| p.config.epochs == epochs)
                .map(|p| p.config.distance)
                .collect();
            assert_eq!(
                at, MEMORY_PRESET_DISTANCES,
                "every distance at {epochs} epochs"
            );
        }
        for p in &grid.points {
            let c = &p.config;
            assert_eq!(c.max_len, c.distance + 1);
            assert_eq!((c.sequences, c.patience), (MEMORY_PRESET_SEQUENCES, 0));
            assert_eq!(c.models, Cell::ALL);
            assert_eq!(c.preset.as_deref(), Some(MEMORY_DATASET));
            assert!(c.flush_denormal.is_on() && !c.kernel_check.is_on());
        }
        let one = Options {
            dataset: Some(MEMORY_DATASET.into()),
            distance: Some(vec![50]),
            max_len: Some(vec![80]),
            // One configuration needs one budget of the preset's two.
            epochs: Some(vec![MEMORY_PRESET_EPOCHS[0]]),
            ..Default::default()
        }
        .resolve()
        .unwrap();
        assert_eq!((one.distance, one.max_len), (50, 80));
    }

    #[test]
    fn a_config_json_without_newer_keys_reads_with_their_defaults() {
        let mut value = serde_json::to_value(Options::default().resolve().unwrap()).unwrap();
        value.as_object_mut().unwrap().remove("weight_decay");
        let config: Config = serde_json::from_value(value).unwrap();
        assert_eq!(config.weight_decay, 0.0);
        assert_eq!(config.hidden, 64);
    }
}
