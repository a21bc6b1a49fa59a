//! The one place where command-line flags and `--config FILE.toml` become a
//! validated, resolved [`Config`]. Everything downstream reads `Config`, never
//! raw flags. Precedence: flag > file > default.

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use serde::{Deserialize, Serialize};

use crate::data::Keep;
use crate::error::{Error, Result};
use crate::model::Cell;

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

/// The options of `compare`, as flags (all optional so that a `--config`
/// file can supply them). Field names are the TOML keys (with `_`).
///
/// Every numeric or choice option takes a comma-separated list (a TOML array
/// in a file): the comparison then runs at every point of the cross product
/// of the lists (see [`Options::grid`]).
#[derive(Debug, Clone, Default, Args, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct Options {
    /// Dataset: imdb-mini (bundled, default), imdb (after scripts/fetch-imdb), or a file or folder.
    #[arg(long, value_name = "NAME|PATH")]
    pub dataset: Option<String>,
    /// Training split file (CSV, TSV or JSON Lines; .gz accepted); needs --test.
    #[arg(long, value_name = "PATH", requires = "test")]
    pub train: Option<PathBuf>,
    /// Test split file; needs --train.
    #[arg(long, value_name = "PATH", requires = "train")]
    pub test: Option<PathBuf>,
    /// Name of the text column or field.
    #[arg(long, value_name = "NAME")]
    pub text_col: Option<String>,
    /// Name of the label column or field.
    #[arg(long, value_name = "NAME")]
    pub label_col: Option<String>,
    /// Models to compare, comma-separated: lstm, gru, rnn [default: lstm,gru].
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub models: Option<Vec<Cell>>,
    /// params: size every model to the first one's parameter count; hidden: same hidden size [default: params].
    #[arg(long = "match", value_name = "MODE", value_delimiter = ',')]
    #[serde(rename = "match", default, deserialize_with = "one_or_many")]
    pub match_mode: Option<Vec<MatchMode>>,
    /// Hidden size of the first model [default: 64].
    #[arg(long, value_name = "N", value_delimiter = ',')]
    #[serde(default, deserialize_with = "one_or_many")]
    pub hidden: Option<Vec<i64>>,
    /// Embedding width [default: 64].
    #[arg(long, value_name = "N", value_delimiter = ',')]
    #[serde(default, deserialize_with = "one_or_many")]
    pub embed: Option<Vec<i64>>,
    /// Stacked recurrent layers [default: 1].
    #[arg(long, value_name = "N", value_delimiter = ',')]
    #[serde(default, deserialize_with = "one_or_many")]
    pub layers: Option<Vec<i64>>,
    /// Run each layer in both directions (`--bidirectional=false,true` sweeps both).
    #[arg(
        long,
        value_name = "BOOL",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true",
        value_delimiter = ','
    )]
    #[serde(default, deserialize_with = "one_or_many")]
    pub bidirectional: Option<Vec<bool>>,
    /// Dropout before the head and between layers, in [0, 1) [default: 0.3].
    #[arg(long, value_name = "P", value_delimiter = ',')]
    #[serde(default, deserialize_with = "one_or_many")]
    pub dropout: Option<Vec<f64>>,
    /// Keep at most N tokens of each review (see --keep) [default: 128].
    #[arg(long, value_name = "N", value_delimiter = ',')]
    #[serde(default, deserialize_with = "one_or_many")]
    pub max_len: Option<Vec<usize>>,
    /// Which tokens of a longer review to keep: first or last [default: last].
    #[arg(long, value_name = "WHICH", value_delimiter = ',')]
    #[serde(default, deserialize_with = "one_or_many")]
    pub keep: Option<Vec<Keep>>,
    /// Vocabulary size cap, <pad> and <unk> included [default: 20000].
    #[arg(long, value_name = "N", value_delimiter = ',')]
    #[serde(default, deserialize_with = "one_or_many")]
    pub vocab_size: Option<Vec<usize>>,
    /// Minimum training count for a word to enter the vocabulary [default: 2].
    #[arg(long, value_name = "N", value_delimiter = ',')]
    #[serde(default, deserialize_with = "one_or_many")]
    pub min_count: Option<Vec<usize>>,
    /// Fraction of the training split held out for validation [default: 0.1].
    #[arg(long, value_name = "F", value_delimiter = ',')]
    #[serde(default, deserialize_with = "one_or_many")]
    pub val_fraction: Option<Vec<f64>>,
    /// Examples per training batch [default: 128].
    #[arg(long, value_name = "N", value_delimiter = ',')]
    #[serde(default, deserialize_with = "one_or_many")]
    pub batch_size: Option<Vec<usize>>,
    /// Maximum epochs per run [default: 4].
    #[arg(long, value_name = "N", value_delimiter = ',')]
    #[serde(default, deserialize_with = "one_or_many")]
    pub epochs: Option<Vec<u32>>,
    /// Adam learning rate [default: 0.004].
    #[arg(long, value_name = "X", value_delimiter = ',')]
    #[serde(default, deserialize_with = "one_or_many")]
    pub lr: Option<Vec<f64>>,
    /// Clip gradients to this global L2 norm; 0 disables [default: 1.0].
    #[arg(long, value_name = "X", value_delimiter = ',')]
    #[serde(default, deserialize_with = "one_or_many")]
    pub clip: Option<Vec<f64>>,
    /// Stop after N epochs without a better validation accuracy; 0 disables [default: 2].
    #[arg(long, value_name = "N", value_delimiter = ',')]
    #[serde(default, deserialize_with = "one_or_many")]
    pub patience: Option<Vec<u32>>,
    /// Number of seeds, 1..=N [default: 3].
    #[arg(long, value_name = "N", conflicts_with = "seed_list")]
    pub seeds: Option<u32>,
    /// Explicit seeds, comma-separated.
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub seed_list: Option<Vec<u64>>,
    /// Intra-op CPU threads [default: physical cores].
    #[arg(long, value_name = "N", value_delimiter = ',')]
    #[serde(default, deserialize_with = "one_or_many")]
    pub threads: Option<Vec<usize>>,
    /// cpu, cuda or auto [default: cpu].
    #[arg(long, value_name = "DEVICE", value_delimiter = ',')]
    #[serde(default, deserialize_with = "one_or_many")]
    pub device: Option<Vec<DeviceChoice>>,
    /// Results folder; each run writes OUT/<run-id>/ [default: results].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// No progress bars.
    #[arg(long)]
    #[serde(default)]
    pub quiet: bool,
}

/// Which data a run uses, as resolved from the options.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetChoice {
    /// `imdb-mini`, `imdb`, a path, or empty with explicit `train`/`test`.
    pub name: String,
    /// Explicit training split, if given.
    pub train: Option<PathBuf>,
    /// Explicit test split, if given.
    pub test: Option<PathBuf>,
    /// Text column or field, if given.
    pub text_col: Option<String>,
    /// Label column or field, if given.
    pub label_col: Option<String>,
}

/// A validated, fully resolved configuration (written to `config.json`).
///
/// The defaults (embedding and hidden 64, the last 128 tokens, batch 128,
/// Adam at 0.004, 4 epochs, patience 2, dropout 0.3, 3 seeds) are sized so
/// that the bundled imdb-mini comparison of LSTM and GRU runs in under 4
/// minutes on 2 CPU cores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Config {
    /// The data.
    pub dataset: DatasetChoice,
    /// Models in comparison order (the first sets the parameter budget).
    pub models: Vec<Cell>,
    /// How models are sized.
    #[serde(rename = "match")]
    pub match_mode: MatchMode,
    /// Hidden size of the first model (the others follow `match`).
    pub hidden: i64,
    /// Embedding width.
    pub embed: i64,
    /// Stacked layers.
    pub layers: i64,
    /// Bidirectional layers.
    pub bidirectional: bool,
    /// Dropout probability.
    pub dropout: f64,
    /// Tokens kept per review.
    pub max_len: usize,
    /// Which tokens of a longer review are kept.
    pub keep: Keep,
    /// Vocabulary cap.
    pub vocab_size: usize,
    /// Minimum count for the vocabulary.
    pub min_count: usize,
    /// Held-out validation fraction of the training split.
    pub val_fraction: f64,
    /// Training batch size.
    pub batch_size: usize,
    /// Maximum epochs.
    pub epochs: u32,
    /// Adam learning rate.
    pub lr: f64,
    /// Global gradient-norm clip; 0 = off.
    pub clip: f64,
    /// Early-stopping patience in epochs; 0 = off.
    pub patience: u32,
    /// Seeds, one run per model and seed.
    pub seeds: Vec<u64>,
    /// Intra-op CPU threads.
    pub threads: usize,
    /// Requested device.
    pub device: DeviceChoice,
    /// Results root.
    pub out: PathBuf,
    /// The dataset preset applied under the flags (see [`dataset_preset`]), if any.
    pub preset: Option<String>,
    /// No progress bars.
    pub quiet: bool,
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
        _ => Options::default(),
    }
}

/// Default number of intra-op threads: the physical cores (libtorch's own default).
pub fn default_threads() -> usize {
    sysinfo::System::physical_core_count()
        .ok()
        .or_else(|| std::thread::available_parallelism().ok().map(|n| n.get()))
        .unwrap_or(1)
}

/// Calls `$m!(field, "--flag")` for every option that takes a list of
/// values forming a grid, in flag order (the order of a grid's nested loops).
macro_rules! grid_options {
    ($m:ident) => {
        $m!(match_mode, "--match");
        $m!(hidden, "--hidden");
        $m!(embed, "--embed");
        $m!(layers, "--layers");
        $m!(bidirectional, "--bidirectional");
        $m!(dropout, "--dropout");
        $m!(max_len, "--max-len");
        $m!(keep, "--keep");
        $m!(vocab_size, "--vocab-size");
        $m!(min_count, "--min-count");
        $m!(val_fraction, "--val-fraction");
        $m!(batch_size, "--batch-size");
        $m!(epochs, "--epochs");
        $m!(lr, "--lr");
        $m!(clip, "--clip");
        $m!(patience, "--patience");
        $m!(threads, "--threads");
        $m!(device, "--device");
    };
}

/// One swept option of a grid: an option given with more than one value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Axis {
    /// The option's key in `config.json` (e.g. `max_len`).
    pub key: String,
    /// The flag that set it (e.g. `--max-len`).
    pub flag: String,
    /// Its values in the order given, as labels (`64`, `0.001`, `last`).
    pub values: Vec<String>,
}

/// One configuration of a grid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GridPoint {
    /// Stable id derived from the swept values, e.g. `hidden-64_layers-2`
    /// (`base` when nothing is swept); also the point's folder name.
    pub id: String,
    /// (key, value label) of each swept option, in axis order.
    pub values: Vec<(String, String)>,
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

/// A value of a grid option, with the label used in point ids and reports.
pub trait GridValue: Clone + PartialEq {
    /// Short text form: `64`, `0.001`, `true`, `last`.
    fn label(&self) -> String;
}

macro_rules! display_label {
    ($($t:ty),*) => {$(
        impl GridValue for $t {
            fn label(&self) -> String {
                self.to_string()
            }
        }
    )*};
}
display_label!(i64, usize, u32, f64, bool);

macro_rules! enum_label {
    ($($t:ty),*) => {$(
        impl GridValue for $t {
            fn label(&self) -> String {
                self.to_possible_value()
                    .map(|v| v.get_name().to_string())
                    .unwrap_or_default()
            }
        }
    )*};
}
enum_label!(MatchMode, Keep, DeviceChoice);

/// The first value of a list option (lists are expanded before resolving).
fn one<T>(list: Option<Vec<T>>) -> Option<T> {
    list.and_then(|l| l.into_iter().next())
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
fn point_id(values: &[(String, String)], axes: &[Axis]) -> String {
    if values.is_empty() {
        return "base".to_string();
    }
    values
        .iter()
        .zip(axes)
        .map(|((_, v), axis)| {
            let v: String = v
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
fn one_or_many<'de, D, T>(deserializer: D) -> std::result::Result<Option<Vec<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany<T> {
        One(T),
        Many(Vec<T>),
    }
    Ok(Some(match OneOrMany::deserialize(deserializer)? {
        OneOrMany::One(v) => vec![v],
        OneOrMany::Many(v) => v,
    }))
}

impl Options {
    /// The flags (or file keys) that were given, as flags: `--hidden`, ….
    /// `--quiet` is not counted.
    pub fn given_flags(&self) -> Vec<&'static str> {
        let mut flags = Vec::new();
        macro_rules! given {
            ($field:ident, $flag:literal) => {
                if self.$field.is_some() {
                    flags.push($flag);
                }
            };
        }
        given!(dataset, "--dataset");
        given!(train, "--train");
        given!(test, "--test");
        given!(text_col, "--text-col");
        given!(label_col, "--label-col");
        given!(models, "--models");
        grid_options!(given);
        given!(seeds, "--seeds");
        given!(seed_list, "--seed-list");
        given!(out, "--out");
        flags
    }

    /// Reads options from a TOML file (same keys as the flags, with `_`).
    pub fn from_toml_file(path: &Path) -> Result<Options> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        toml::from_str(&text).map_err(|e| {
            let message = e.message().to_string();
            let line = e
                .span()
                .map(|s| text[..s.start].matches('\n').count() as u64 + 1);
            Error::data(path, line, None, message)
        })
    }

    /// `self` with every unset option taken from `file`.
    pub fn or(self, file: Options) -> Options {
        Options {
            dataset: self.dataset.or(file.dataset),
            train: self.train.or(file.train),
            test: self.test.or(file.test),
            text_col: self.text_col.or(file.text_col),
            label_col: self.label_col.or(file.label_col),
            models: self.models.or(file.models),
            match_mode: self.match_mode.or(file.match_mode),
            hidden: self.hidden.or(file.hidden),
            embed: self.embed.or(file.embed),
            layers: self.layers.or(file.layers),
            bidirectional: self.bidirectional.or(file.bidirectional),
            dropout: self.dropout.or(file.dropout),
            max_len: self.max_len.or(file.max_len),
            keep: self.keep.or(file.keep),
            vocab_size: self.vocab_size.or(file.vocab_size),
            min_count: self.min_count.or(file.min_count),
            val_fraction: self.val_fraction.or(file.val_fraction),
            batch_size: self.batch_size.or(file.batch_size),
            epochs: self.epochs.or(file.epochs),
            lr: self.lr.or(file.lr),
            clip: self.clip.or(file.clip),
            patience: self.patience.or(file.patience),
            seeds: self.seeds.or(file.seeds),
            seed_list: self.seed_list.or(file.seed_list),
            threads: self.threads.or(file.threads),
            device: self.device.or(file.device),
            out: self.out.or(file.out),
            quiet: self.quiet || file.quiet,
        }
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
        let name = self
            .dataset
            .clone()
            .unwrap_or_else(|| "imdb-mini".to_string());
        let preset = dataset_preset(&name);
        let has_preset = preset.hidden.is_some() && self.train.is_none();
        let options = self.or(preset);
        let mut axes: Vec<Axis> = Vec::new();
        let mut lens: Vec<usize> = Vec::new();
        macro_rules! axis {
            ($field:ident, $flag:literal) => {
                if let Some(list) = &options.$field {
                    check_list($flag, list)?;
                    lens.push(list.len());
                    if list.len() > 1 {
                        axes.push(Axis {
                            key: stringify!($field).to_string(),
                            flag: $flag.to_string(),
                            values: list.iter().map(GridValue::label).collect(),
                        });
                    }
                } else {
                    lens.push(1);
                }
            };
        }
        grid_options!(axis);
        let total: usize = lens.iter().product();
        let mut points = Vec::with_capacity(total);
        for index in 0..total {
            // Mixed-radix digits, the last option fastest.
            let mut digits = vec![0; lens.len()];
            let mut rest = index;
            for (d, &n) in digits.iter_mut().zip(&lens).rev() {
                *d = rest % n;
                rest /= n;
            }
            let mut point = options.clone();
            let mut values = Vec::new();
            let mut position = 0;
            macro_rules! pick {
                ($field:ident, $flag:literal) => {
                    if let Some(list) = &options.$field {
                        let v = list[digits[position]].clone();
                        if list.len() > 1 {
                            values.push((stringify!($field).to_string(), v.label()));
                        }
                        point.$field = Some(vec![v]);
                    }
                    position += 1;
                };
            }
            grid_options!(pick);
            let _ = position;
            let mut config = point.resolve_without_preset()?;
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
        let positive_i64 = |flag: &str, v: i64| {
            if v >= 1 {
                Ok(v)
            } else {
                Err(Error::config(flag, format!("must be at least 1, got {v}")))
            }
        };
        let positive_usize = |flag: &str, v: usize| {
            if v >= 1 {
                Ok(v)
            } else {
                Err(Error::config(flag, "must be at least 1, got 0"))
            }
        };
        let models = self.models.unwrap_or_else(|| vec![Cell::Lstm, Cell::Gru]);
        if models.is_empty() {
            return Err(Error::config("--models", "needs at least one model"));
        }
        for (i, m) in models.iter().enumerate() {
            if models[..i].contains(m) {
                return Err(Error::config("--models", format!("`{m}` is listed twice")));
            }
        }
        let dropout = one(self.dropout).unwrap_or(0.3);
        if !(0.0..1.0).contains(&dropout) {
            return Err(Error::config(
                "--dropout",
                format!("must be in [0, 1), got {dropout}"),
            ));
        }
        let val_fraction = one(self.val_fraction).unwrap_or(0.1);
        if !(val_fraction > 0.0 && val_fraction < 1.0) {
            return Err(Error::config(
                "--val-fraction",
                format!("must be in (0, 1), got {val_fraction}"),
            ));
        }
        let lr = one(self.lr).unwrap_or(4e-3);
        if !(lr > 0.0 && lr <= 10.0) {
            return Err(Error::config(
                "--lr",
                format!("must be in (0, 10], got {lr}"),
            ));
        }
        let clip = one(self.clip).unwrap_or(1.0);
        if !(clip >= 0.0 && clip.is_finite()) {
            return Err(Error::config(
                "--clip",
                format!("must be 0 (off) or positive, got {clip}"),
            ));
        }
        let epochs = one(self.epochs).unwrap_or(4);
        if epochs == 0 {
            return Err(Error::config("--epochs", "must be at least 1, got 0"));
        }
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
            (None, Some(0)) => return Err(Error::config("--seeds", "must be at least 1, got 0")),
            (None, n) => (1..=u64::from(n.unwrap_or(3))).collect(),
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
                (None, None) => "imdb-mini".to_string(),
            },
            train: self.train,
            test: self.test,
            text_col: self.text_col,
            label_col: self.label_col,
        };
        if dataset.train.is_some() != dataset.test.is_some() {
            return Err(Error::config("--train/--test", "give both splits"));
        }
        Ok(Config {
            dataset,
            models,
            match_mode: one(self.match_mode).unwrap_or(MatchMode::Params),
            hidden: positive_i64("--hidden", one(self.hidden).unwrap_or(64))?,
            embed: positive_i64("--embed", one(self.embed).unwrap_or(64))?,
            layers: positive_i64("--layers", one(self.layers).unwrap_or(1))?,
            bidirectional: one(self.bidirectional).unwrap_or(false),
            dropout,
            max_len: positive_usize("--max-len", one(self.max_len).unwrap_or(128))?,
            keep: one(self.keep).unwrap_or(Keep::Last),
            vocab_size: match one(self.vocab_size).unwrap_or(20_000) {
                v if v < 3 => {
                    return Err(Error::config(
                        "--vocab-size",
                        format!("must be at least 3 (<pad>, <unk> and a word), got {v}"),
                    ));
                }
                v => v,
            },
            min_count: positive_usize("--min-count", one(self.min_count).unwrap_or(2))?,
            val_fraction,
            batch_size: positive_usize("--batch-size", one(self.batch_size).unwrap_or(128))?,
            epochs,
            lr,
            clip,
            patience: one(self.patience).unwrap_or(2),
            seeds,
            threads: positive_usize(
                "--threads",
                one(self.threads).unwrap_or_else(default_threads),
            )?,
            device: one(self.device).unwrap_or(DeviceChoice::Cpu),
            out: self.out.unwrap_or_else(|| PathBuf::from("results")),
            preset: None,
            quiet: self.quiet,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
                    seeds: Some(0),
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
}
