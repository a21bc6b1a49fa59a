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
    #[arg(long = "match", value_name = "MODE")]
    #[serde(rename = "match")]
    pub match_mode: Option<MatchMode>,
    /// Hidden size of the first model [default: 64].
    #[arg(long, value_name = "N")]
    pub hidden: Option<i64>,
    /// Embedding width [default: 64].
    #[arg(long, value_name = "N")]
    pub embed: Option<i64>,
    /// Stacked recurrent layers [default: 1].
    #[arg(long, value_name = "N")]
    pub layers: Option<i64>,
    /// Run each layer in both directions.
    #[arg(long)]
    #[serde(default)]
    pub bidirectional: bool,
    /// Dropout before the head and between layers, in [0, 1) [default: 0.3].
    #[arg(long, value_name = "P")]
    pub dropout: Option<f64>,
    /// Keep at most N tokens of each review (see --keep) [default: 128].
    #[arg(long, value_name = "N")]
    pub max_len: Option<usize>,
    /// Which tokens of a longer review to keep: first or last [default: last].
    #[arg(long, value_name = "WHICH")]
    pub keep: Option<Keep>,
    /// Vocabulary size cap, <pad> and <unk> included [default: 20000].
    #[arg(long, value_name = "N")]
    pub vocab_size: Option<usize>,
    /// Minimum training count for a word to enter the vocabulary [default: 2].
    #[arg(long, value_name = "N")]
    pub min_count: Option<usize>,
    /// Fraction of the training split held out for validation [default: 0.1].
    #[arg(long, value_name = "F")]
    pub val_fraction: Option<f64>,
    /// Examples per training batch [default: 128].
    #[arg(long, value_name = "N")]
    pub batch_size: Option<usize>,
    /// Maximum epochs per run [default: 4].
    #[arg(long, value_name = "N")]
    pub epochs: Option<u32>,
    /// Adam learning rate [default: 0.004].
    #[arg(long, value_name = "X")]
    pub lr: Option<f64>,
    /// Clip gradients to this global L2 norm; 0 disables [default: 1.0].
    #[arg(long, value_name = "X")]
    pub clip: Option<f64>,
    /// Stop after N epochs without a better validation accuracy; 0 disables [default: 2].
    #[arg(long, value_name = "N")]
    pub patience: Option<u32>,
    /// Number of seeds, 1..=N [default: 3].
    #[arg(long, value_name = "N", conflicts_with = "seed_list")]
    pub seeds: Option<u32>,
    /// Explicit seeds, comma-separated.
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub seed_list: Option<Vec<u64>>,
    /// Intra-op CPU threads [default: physical cores].
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// cpu, cuda or auto [default: cpu].
    #[arg(long, value_name = "DEVICE")]
    pub device: Option<DeviceChoice>,
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
            hidden: Some(128),
            embed: Some(128),
            max_len: Some(400),
            epochs: Some(6),
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

impl Options {
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
            bidirectional: self.bidirectional || file.bidirectional,
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

    /// Applies the dataset's preset ([`dataset_preset`]) under the options
    /// given, then the built-in defaults, and validates every value.
    pub fn resolve(self) -> Result<Config> {
        let name = self
            .dataset
            .clone()
            .unwrap_or_else(|| "imdb-mini".to_string());
        let preset = dataset_preset(&name);
        let has_preset = preset.hidden.is_some();
        let mut config = self.or(preset).resolve_without_preset()?;
        if has_preset && config.dataset.train.is_none() {
            config.preset = Some(name);
        }
        Ok(config)
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
        let dropout = self.dropout.unwrap_or(0.3);
        if !(0.0..1.0).contains(&dropout) {
            return Err(Error::config(
                "--dropout",
                format!("must be in [0, 1), got {dropout}"),
            ));
        }
        let val_fraction = self.val_fraction.unwrap_or(0.1);
        if !(val_fraction > 0.0 && val_fraction < 1.0) {
            return Err(Error::config(
                "--val-fraction",
                format!("must be in (0, 1), got {val_fraction}"),
            ));
        }
        let lr = self.lr.unwrap_or(4e-3);
        if !(lr > 0.0 && lr <= 10.0) {
            return Err(Error::config(
                "--lr",
                format!("must be in (0, 10], got {lr}"),
            ));
        }
        let clip = self.clip.unwrap_or(1.0);
        if !(clip >= 0.0 && clip.is_finite()) {
            return Err(Error::config(
                "--clip",
                format!("must be 0 (off) or positive, got {clip}"),
            ));
        }
        let epochs = self.epochs.unwrap_or(4);
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
            match_mode: self.match_mode.unwrap_or(MatchMode::Params),
            hidden: positive_i64("--hidden", self.hidden.unwrap_or(64))?,
            embed: positive_i64("--embed", self.embed.unwrap_or(64))?,
            layers: positive_i64("--layers", self.layers.unwrap_or(1))?,
            bidirectional: self.bidirectional,
            dropout,
            max_len: positive_usize("--max-len", self.max_len.unwrap_or(128))?,
            keep: self.keep.unwrap_or(Keep::Last),
            vocab_size: match self.vocab_size.unwrap_or(20_000) {
                v if v < 3 => {
                    return Err(Error::config(
                        "--vocab-size",
                        format!("must be at least 3 (<pad>, <unk> and a word), got {v}"),
                    ));
                }
                v => v,
            },
            min_count: positive_usize("--min-count", self.min_count.unwrap_or(2))?,
            val_fraction,
            batch_size: positive_usize("--batch-size", self.batch_size.unwrap_or(128))?,
            epochs,
            lr,
            clip,
            patience: self.patience.unwrap_or(2),
            seeds,
            threads: positive_usize("--threads", self.threads.unwrap_or_else(default_threads))?,
            device: self.device.unwrap_or(DeviceChoice::Cpu),
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
            hidden: Some(32),
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
                    epochs: Some(0),
                    ..Default::default()
                },
                "--epochs",
            ),
            (
                Options {
                    batch_size: Some(0),
                    ..Default::default()
                },
                "--batch-size",
            ),
            (
                Options {
                    dropout: Some(1.0),
                    ..Default::default()
                },
                "--dropout",
            ),
            (
                Options {
                    dropout: Some(-0.1),
                    ..Default::default()
                },
                "--dropout",
            ),
            (
                Options {
                    max_len: Some(0),
                    ..Default::default()
                },
                "--max-len",
            ),
            (
                Options {
                    vocab_size: Some(0),
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
                    hidden: Some(0),
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
                    lr: Some(0.0),
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
            hidden: Some(32),
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
}
