//! From a [`Corpus`] to encoded splits: the validation split, the vocabulary
//! (training portion only) and the token ids.
//!
//! Each text is tokenized once, in parallel: one chunk of texts per thread
//! (interleaved, so each gets the same mix of training and test texts), each
//! interning and counting its tokens in a local table (one `String` per
//! distinct word per chunk, none per token). The tables are merged, and the
//! words ranked exactly as [`Vocab::build`] ranks them. Validation and test
//! texts are tokenized only as far as their first `max_len` tokens.

use indexmap::IndexMap;
use rayon::prelude::*;
use rustc_hash::{FxBuildHasher, FxHashMap};

use super::batches::Encoded;
use super::series::SeriesFiles;
use super::split::stratified_split;
use super::standardise::{self, ChannelScale};
use super::tokenize::Tokenizer;
use super::vocab::{UNK_ID, Vocab};
use super::{Corpus, Example};
use crate::error::escape_control;
use crate::{Error, Result};

/// Which `max_len` tokens of a longer text are kept (`--keep`).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    serde::Serialize,
    serde::Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Keep {
    /// The first `max_len` tokens (the text's opening).
    #[default]
    First,
    /// The last `max_len` tokens: for a classifier that reads the state after
    /// the last token, the part it remembers best, and where reviews tend to
    /// give their verdict.
    Last,
}

/// How text becomes tensors.
#[derive(Debug, Clone, PartialEq)]
pub struct PrepareOptions {
    /// Keep at most `max_len` tokens of each text (`--max-len`, at least 1).
    pub max_len: usize,
    /// Which tokens of a longer text are kept.
    pub keep: Keep,
    /// Vocabulary size cap, `<pad>` and `<unk>` included (`--vocab-size`,
    /// at least 3).
    pub vocab_size: usize,
    /// Words seen fewer times than this in the training portion become `<unk>`
    /// (0 acts as 1).
    pub min_count: usize,
    /// Fraction of each class of the training split held out for validation,
    /// in `(0, 1)` (`--val-fraction`).
    pub val_fraction: f64,
    /// Seed of the validation split (the run's seed: the same for every model).
    pub seed: u64,
}

impl Default for PrepareOptions {
    /// 256 tokens, 20,000 words, min count 1, 10% validation, seed 0.
    fn default() -> Self {
        PrepareOptions {
            max_len: 256,
            keep: Keep::First,
            vocab_size: 20_000,
            min_count: 1,
            val_fraction: 0.1,
            seed: 0,
        }
    }
}

/// The encoded splits of a corpus.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Prepared {
    /// Class names; label `k` of every split means `classes[k]`.
    pub classes: Vec<String>,
    /// Number of token ids, `<pad>` (0) and `<unk>` (1) included: the
    /// embedding's row count.
    pub vocab_size: usize,
    /// The training portion (training split minus validation), in corpus order.
    pub train: Encoded,
    /// The validation portion, carved from the training split, in corpus order.
    pub val: Encoded,
    /// The test split, in corpus order.
    pub test: Encoded,
    /// The vocabulary (`vocab.len() == vocab_size`).
    pub vocab: Vocab,
    /// Index in `corpus.train` of each example of `train`.
    pub train_indices: Vec<usize>,
    /// Index in `corpus.train` of each example of `val`.
    pub val_indices: Vec<usize>,
    /// Tokens of the test split the model reads (those in `test`, without the
    /// lone `<unk>` of a text that has no tokens).
    pub test_tokens_read: usize,
    /// How many of `test_tokens_read` are `<unk>`.
    pub test_unknown_tokens: usize,
    /// Numeric series: channels per step (the input layer's width); 0 for
    /// text.
    #[serde(default)]
    pub channels: usize,
    /// Numeric series: each channel's scale, fitted on the training
    /// portion; empty for text.
    #[serde(default)]
    pub scales: Vec<ChannelScale>,
    /// Numeric series: missing values filled with their channel's training
    /// mean, over all three splits.
    #[serde(default)]
    pub filled_values: usize,
    /// A forecast: what scores its windows (their actuals, the naive
    /// forecasts, the scaling); `None` for classification.
    #[serde(default)]
    pub forecast: Option<super::forecast::ForecastData>,
}

/// Splits, builds the vocabulary from the training portion only, and encodes
/// every split: each text becomes the ids of its first `max_len` tokens, or a
/// single `<unk>` when it has no token at all (so no length is 0).
///
/// Numeric series ([`Corpus::series`]) are split the same way, then
/// standardised per channel from the training portion
/// ([`super::standardise`]).
pub fn prepare(corpus: &Corpus, opts: &PrepareOptions) -> Result<Prepared> {
    check_options(opts)?;
    let name = &corpus.identity.name;
    let classes = corpus.identity.classes.clone();
    let (train_labels, test_labels) = labels(corpus)?;
    let (train_indices, val_indices) =
        stratified_split(&train_labels, classes.len(), opts.val_fraction, opts.seed);
    let min_train = if corpus.series.is_some() {
        MIN_TRAIN_SERIES
    } else {
        MIN_TRAIN_EXAMPLES
    };
    check_split(
        name,
        &classes,
        &train_labels,
        &train_indices,
        (val_indices.len(), min_train),
        opts.val_fraction,
    )?;
    if let Some(series) = &corpus.series {
        return Ok(prepare_series(
            series,
            classes,
            (&train_labels, &test_labels),
            (train_indices, val_indices),
            opts,
        ));
    }

    // All texts, training split first; `counted` marks the training portion.
    let n_train = corpus.train.len();
    let texts: Vec<&str> = corpus
        .train
        .iter()
        .chain(&corpus.test)
        .map(|e| e.text.as_str())
        .collect();
    let mut counted = vec![false; texts.len()];
    for &i in &train_indices {
        counted[i] = true;
    }
    let chunks = intern_chunks(&texts, &counted, opts.max_len, opts.keep);
    let (vocab, finals) = vocabulary(&chunks, opts);
    let split = |indices: &mut dyn Iterator<Item = usize>, labels: &dyn Fn(usize) -> usize| {
        encode(&chunks, &finals, indices, labels)
    };
    let ((train, ..), ((val, ..), (test, test_tokens_read, test_unknown_tokens))) = rayon::join(
        || split(&mut train_indices.iter().copied(), &|i| train_labels[i]),
        || {
            rayon::join(
                || split(&mut val_indices.iter().copied(), &|i| train_labels[i]),
                || split(&mut (n_train..texts.len()), &|i| test_labels[i - n_train]),
            )
        },
    );
    Ok(Prepared {
        classes,
        vocab_size: vocab.len(),
        train,
        val,
        test,
        vocab,
        train_indices,
        val_indices,
        test_tokens_read,
        test_unknown_tokens,
        channels: 0,
        scales: Vec::new(),
        filled_values: 0,
        forecast: None,
    })
}

/// The numeric branch of [`prepare`]: standardise every split with the
/// training portion's per-channel scale.
fn prepare_series(
    series: &SeriesFiles,
    classes: Vec<String>,
    (train_labels, test_labels): (&[usize], &[usize]),
    (train_indices, val_indices): (Vec<usize>, Vec<usize>),
    opts: &PrepareOptions,
) -> Prepared {
    let channels = standardise::channel_count(series);
    let portion: Vec<&[f32]> = train_indices
        .iter()
        .map(|&i| series.train.values[i].as_slice())
        .collect();
    let scales = standardise::fit(&portion, channels);
    let last = opts.keep == Keep::Last;
    let encode = |values: &[Vec<f32>], indices: &[usize], labels: &[usize]| {
        standardise::encode(values, indices, &|i| labels[i], &scales, opts.max_len, last)
    };
    let (train, f1) = encode(&series.train.values, &train_indices, train_labels);
    let (val, f2) = encode(&series.train.values, &val_indices, train_labels);
    let all_test: Vec<usize> = (0..series.test.len()).collect();
    let (test, f3) = encode(&series.test.values, &all_test, test_labels);
    let test_steps = test.offsets.last().copied().unwrap_or(0);
    Prepared {
        classes,
        vocab_size: 0,
        train,
        val,
        test,
        vocab: Vocab::from_words(Vec::new()),
        train_indices,
        val_indices,
        test_tokens_read: test_steps,
        test_unknown_tokens: 0,
        channels,
        scales,
        filled_values: f1 + f2 + f3,
        forecast: None,
    }
}

/// Refuses options no preparation can honour, naming the flag.
fn check_options(opts: &PrepareOptions) -> Result<()> {
    if opts.max_len == 0 {
        return Err(Error::config("--max-len", "must be at least 1 token"));
    }
    if opts.vocab_size < 3 {
        return Err(Error::config(
            "--vocab-size",
            format!(
                "is {}; must be at least 3 (<pad>, <unk> and one word)",
                opts.vocab_size
            ),
        ));
    }
    if !(opts.val_fraction > 0.0 && opts.val_fraction < 1.0) {
        return Err(Error::config(
            "--val-fraction",
            format!(
                "is {}; must be between 0 and 1 (exclusive)",
                opts.val_fraction
            ),
        ));
    }
    Ok(())
}

/// The class index of every training and test example; an error names a
/// label that is not among the corpus's classes.
fn labels(corpus: &Corpus) -> Result<(Vec<usize>, Vec<usize>)> {
    let name = &corpus.identity.name;
    let classes = &corpus.identity.classes;
    let class_of: FxHashMap<&str, usize> = classes
        .iter()
        .enumerate()
        .map(|(i, c)| (c.as_str(), i))
        .collect();
    let labels_of = |examples: &[Example], split: &str| -> Result<Vec<usize>> {
        examples
            .iter()
            .map(|e| {
                class_of.get(e.label.trim()).copied().ok_or_else(|| {
                    Error::dataset(
                        name.as_str(),
                        format!(
                            "{split} label `{}` is not among the classes {classes:?}",
                            e.label
                        ),
                    )
                })
            })
            .collect()
    };
    Ok((
        labels_of(&corpus.train, "training")?,
        labels_of(&corpus.test, "test")?,
    ))
}

/// The vocabulary of the chunks' counted words (count descending, then
/// bytes ascending, as `Vocab::build`; at most `vocab_size - 2` words of at
/// least `min_count`), and per chunk its local id -> final id, so encoding
/// is one lookup per token.
fn vocabulary(chunks: &[Chunk], opts: &PrepareOptions) -> (Vocab, Vec<Vec<i64>>) {
    // Merge the chunks' tables (global ids by first appearance) and counts.
    let mut global = Interner::with_capacity(chunks.first().map_or(0, |c| c.words.len()) * 2);
    let mut remaps: Vec<Vec<u32>> = Vec::with_capacity(chunks.len());
    for chunk in chunks {
        let remap = chunk
            .words
            .iter()
            .zip(&chunk.counts)
            .map(|(w, &c)| global.id(w, c))
            .collect();
        remaps.push(remap);
    }
    let (words, counts) = global.into_words_and_counts();

    // Rank: count descending, then bytes ascending (as Vocab::build).
    let min_count = opts.min_count.max(1) as u64;
    let max_words = opts.vocab_size - 2;
    let mut kept: Vec<u32> = (0..words.len() as u32)
        .filter(|&g| counts[g as usize] >= min_count)
        .collect();
    let by_rank = |a: &u32, b: &u32| {
        counts[*b as usize]
            .cmp(&counts[*a as usize])
            .then_with(|| words[*a as usize].cmp(&words[*b as usize]))
    };
    if kept.len() > max_words {
        kept.select_nth_unstable_by(max_words - 1, by_rank);
        kept.truncate(max_words);
    }
    kept.sort_unstable_by(by_rank);
    let mut final_id = vec![UNK_ID; words.len()];
    for (rank, &g) in kept.iter().enumerate() {
        final_id[g as usize] = rank as i64 + 2;
    }
    let vocab = Vocab::from_words(kept.iter().map(|&g| words[g as usize].clone()).collect());
    let finals = remaps
        .iter()
        .map(|remap| remap.iter().map(|&g| final_id[g as usize]).collect())
        .collect();
    (vocab, finals)
}

/// The texts `indices` (into the chunks' texts, chunk `i % chunks`) as
/// final ids with their `labels`; also counts the tokens read and those of
/// them that are `<unk>` (the placeholder `<unk>` of a text without tokens
/// is not counted).
fn encode(
    chunks: &[Chunk],
    finals: &[Vec<i64>],
    indices: &mut dyn Iterator<Item = usize>,
    labels: &dyn Fn(usize) -> usize,
) -> (Encoded, usize, usize) {
    let n_chunks = chunks.len().max(1);
    let mut out = Encoded {
        offsets: vec![0],
        ..Encoded::default()
    };
    let (mut read, mut unknown) = (0usize, 0usize);
    out.tokens.reserve(indices.size_hint().0 * 200);
    for i in indices {
        let (k, j) = (i % n_chunks, i / n_chunks);
        let chunk = &chunks[k];
        let ids = &chunk.ids[chunk.offsets[j]..chunk.offsets[j + 1]];
        if ids.is_empty() {
            out.tokens.push(UNK_ID);
        } else {
            let fin = &finals[k];
            let from = out.tokens.len();
            out.tokens.extend(ids.iter().map(|&l| fin[l as usize]));
            read += ids.len();
            unknown += out.tokens[from..].iter().filter(|&&t| t == UNK_ID).count();
        }
        out.offsets.push(out.tokens.len());
        out.labels.push(labels(i) as i64);
    }
    (out, read, unknown)
}

/// The fewest training examples (after the validation split) a run accepts.
pub const MIN_TRAIN_EXAMPLES: usize = 50;
/// The fewest training series (after the validation split) a numeric run
/// accepts: UEA/UCR sets hold tens of series.
pub const MIN_TRAIN_SERIES: usize = 10;
/// The fewest training examples of each class (after the validation split).
pub const MIN_TRAIN_PER_CLASS: usize = 2;
/// [`Prepared::warnings`] warns when more than this fraction of the test
/// tokens read are `<unk>` (see [`Prepared::test_unknown_rate`]).
pub const UNKNOWN_RATE_WARN: f64 = 0.20;

/// Refuses a validation split that leaves no validation example, fewer than
/// [`MIN_TRAIN_EXAMPLES`] training examples, or fewer than
/// [`MIN_TRAIN_PER_CLASS`] of some class; the error names `--val-fraction`.
fn check_split(
    name: &str,
    classes: &[String],
    train_labels: &[usize],
    train_indices: &[usize],
    (n_val, min_train): (usize, usize),
    val_fraction: f64,
) -> Result<()> {
    let total = train_labels.len();
    let n_train = train_indices.len();
    let flag = "--val-fraction";
    if n_val == 0 {
        return Err(Error::config(
            flag,
            format!(
                "{val_fraction} of {name}'s {total} training examples in {} classes is no \
                 validation example: the dataset is too small for a validation split; use more \
                 data or a larger fraction",
                classes.len()
            ),
        ));
    }
    if n_train < min_train {
        return Err(Error::config(
            flag,
            format!(
                "{val_fraction} leaves {n_train} of {name}'s {total} training examples for \
                 training ({n_val} for validation); at least {min_train} are needed: \
                 use a smaller fraction or more data"
            ),
        ));
    }
    let mut per_class = vec![0usize; classes.len()];
    for &i in train_indices {
        per_class[train_labels[i]] += 1;
    }
    if let Some((c, &n)) = per_class
        .iter()
        .enumerate()
        .find(|&(_, &n)| n < MIN_TRAIN_PER_CLASS)
    {
        return Err(Error::config(
            flag,
            format!(
                "{val_fraction} leaves {n} training example{} of class `{}` in {name} (after the \
                 validation split); each class needs at least {MIN_TRAIN_PER_CLASS}: use a \
                 smaller fraction or more examples of that class",
                if n == 1 { "" } else { "s" },
                escape_control(&classes[c])
            ),
        ));
    }
    Ok(())
}

impl Prepared {
    /// The fraction of the test split's tokens that the vocabulary maps to
    /// `<unk>`, over the tokens the model reads (the first or last `max_len` of
    /// each text; the lone `<unk>` of a text without tokens is not counted);
    /// 0 when the test split has no tokens. A high rate means the vocabulary,
    /// built from the training portion, covers the test text poorly (text
    /// without spaces in a script the tokenizer does not split, a tiny
    /// `--vocab-size`, a high `--min-count`, or another language).
    pub fn test_unknown_rate(&self) -> f64 {
        if self.test_tokens_read == 0 {
            0.0
        } else {
            self.test_unknown_tokens as f64 / self.test_tokens_read as f64
        }
    }

    /// One line saying what the models read: the splits' sizes and the
    /// input (a vocabulary, channels, or a forecast's windows).
    pub fn describe(&self) -> String {
        let (train, val, test) = (self.train.len(), self.val.len(), self.test.len());
        if let Some(f) = &self.forecast {
            return format!(
                "{train} train / {val} validation / {test} test windows: {}",
                f.describe()
            );
        }
        let input = match self.channels {
            0 => format!("vocabulary {}", self.vocab_size),
            1 => "1 channel (standardised on the training portion)".to_owned(),
            c => format!("{c} channels (each standardised on the training portion)"),
        };
        format!(
            "{train} train / {val} validation / {test} test examples, {} classes, {input}",
            self.classes.len()
        )
    }

    /// Warnings about the encoded data, one line each (without a `warning:`
    /// prefix), for the terminal and the report: a test unknown-token rate
    /// above [`UNKNOWN_RATE_WARN`], a forecast's filled gaps.
    pub fn warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        if let Some(f) = self.forecast.as_ref().filter(|f| f.filled > 0) {
            warnings.push(format!(
                "{} gaps (missing values) were filled on a straight line between the values \
                 either side (--fill linear; --fill none refuses them)",
                f.filled
            ));
        }
        let rate = self.test_unknown_rate();
        if rate > UNKNOWN_RATE_WARN {
            warnings.push(format!(
                "{:.1}% of the test tokens are unknown to the vocabulary (<unk>; the warning \
                 level is {:.0}%): the models see little of the test text, so their accuracy \
                 says little; check the tokenizer's rules for this text (datasets/README.md, \
                 Tokenizer), --vocab-size and --min-count",
                100.0 * rate,
                100.0 * UNKNOWN_RATE_WARN
            ));
        }
        warnings
    }
}

/// The interned tokens of one contiguous chunk of texts.
struct Chunk {
    /// Local id → word.
    words: Vec<String>,
    /// Local id → count over the counted texts (all their tokens).
    counts: Vec<u64>,
    /// Local ids of the first `max_len` tokens of each text, back to back.
    ids: Vec<u32>,
    /// Start of each text in `ids`, plus the end.
    offsets: Vec<usize>,
}

/// Tokenizes `texts` in parallel, one chunk per thread; chunk `k` takes
/// texts `k, k + n, k + 2n, …` (`n` chunks) so that every chunk gets the same
/// mix of counted and uncounted texts. Counts tokens only of the texts marked
/// in `counted`.
fn intern_chunks(texts: &[&str], counted: &[bool], max_len: usize, keep: Keep) -> Vec<Chunk> {
    // One chunk per thread: fewer tables to merge, and smaller ones stay in
    // cache (measured faster than 2 or 4 chunks per thread on 2 quiet cores).
    let n_chunks = rayon::current_num_threads().clamp(1, texts.len().max(1));
    (0..n_chunks)
        .into_par_iter()
        .map(|k| {
            let mine = || (k..texts.len()).step_by(n_chunks);
            let mut tokenizer = Tokenizer::new();
            let n_mine = mine().len();
            let bytes: usize = mine().map(|i| texts[i].len()).sum();
            let mut interner = Interner::default();
            let mut ids = Vec::with_capacity((bytes / 4).min(n_mine * max_len));
            let mut offsets = Vec::with_capacity(n_mine + 1);
            offsets.push(0);
            for i in mine() {
                let is_counted = counted[i];
                let limit = if is_counted || keep == Keep::Last {
                    usize::MAX
                } else {
                    max_len
                };
                let start = ids.len();
                for (n, tok) in tokenizer
                    .tokenize_prefix(texts[i], limit)
                    .take(limit)
                    .enumerate()
                {
                    let id = interner.id(tok, u64::from(is_counted));
                    if n < max_len || keep == Keep::Last {
                        ids.push(id);
                    }
                }
                if keep == Keep::Last && ids.len() - start > max_len {
                    let surplus = ids.len() - start - max_len;
                    ids.drain(start..start + surplus);
                }
                offsets.push(ids.len());
            }
            let (words, counts) = interner.into_words_and_counts();
            Chunk {
                words,
                counts,
                ids,
                offsets,
            }
        })
        .collect()
}

/// A string interner and counter: ids by first appearance (the map's
/// insertion order), each word's count beside it; one hash per token
/// (rustc's Fx hash, fast on short keys) and no allocation for a word seen
/// before.
#[derive(Default)]
struct Interner {
    words: IndexMap<String, u64, FxBuildHasher>,
}

impl Interner {
    /// An empty interner with room for `words` words.
    fn with_capacity(words: usize) -> Self {
        Interner {
            words: IndexMap::with_capacity_and_hasher(words, FxBuildHasher),
        }
    }

    /// The id of `word` (a new one, the number of words so far, if unseen);
    /// adds `count` to its count.
    fn id<W: AsRef<str> + Into<String>>(&mut self, word: W, count: u64) -> u32 {
        if let Some((id, _, seen)) = self.words.get_full_mut(word.as_ref()) {
            *seen += count;
            return id as u32;
        }
        self.words.insert_full(word.into(), count).0 as u32
    }

    /// The words by id, and their counts.
    fn into_words_and_counts(self) -> (Vec<String>, Vec<u64>) {
        self.words.into_iter().unzip()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{DatasetIdentity, vocab::PAD};

    fn corpus(n_per_class: usize) -> Corpus {
        let mut train = Vec::new();
        for i in 0..n_per_class {
            train.push(Example {
                text: format!("Great fun film {i}! <br />Loved it."),
                label: "pos".into(),
            });
            train.push(Example {
                text: format!("Dull, boring film {}.", i % 7),
                label: "neg".into(),
            });
        }
        train.push(Example {
            text: "<br /><br />".into(),
            label: "neg".into(),
        });
        let test = vec![
            Example {
                text: "great boring unseenword".into(),
                label: "pos".into(),
            },
            Example {
                text: "".into(),
                label: "neg".into(),
            },
        ];
        let identity = DatasetIdentity {
            name: "toy".into(),
            files: vec![],
            train_examples: train.len(),
            test_examples: test.len(),
            classes: vec!["neg".into(), "pos".into()],
            train_class_counts: vec![n_per_class + 1, n_per_class],
            test_class_counts: vec![1, 1],
            generator: None,
        };
        Corpus {
            train,
            test,
            identity,
            series: None,
            forecast: None,
        }
    }

    #[test]
    fn vocab_from_training_portion_matches_vocab_build() {
        let c = corpus(300);
        let opts = PrepareOptions {
            max_len: 4,
            keep: Keep::First,
            vocab_size: 50,
            min_count: 2,
            val_fraction: 0.2,
            seed: 9,
        };
        let p = prepare(&c, &opts).unwrap();
        let portion: Vec<&str> = p
            .train_indices
            .iter()
            .map(|&i| c.train[i].text.as_str())
            .collect();
        assert_eq!(p.vocab, Vocab::build(portion, 50, 2));
        assert_eq!(p.vocab.words()[0], PAD);
        assert_eq!(p.vocab_size, p.vocab.len());
        assert_eq!(p.train.len() + p.val.len(), c.train.len());
        assert_eq!(p.val.len(), 120);
        assert_eq!(p.test.len(), 2);
        assert!(p.train.lengths().iter().all(|&l| (1..=4).contains(&l)));
    }

    #[test]
    fn encodes_with_truncation_and_unk_for_empty() {
        let c = corpus(50);
        let opts = PrepareOptions {
            max_len: 3,
            keep: Keep::First,
            vocab_size: 1000,
            min_count: 1,
            val_fraction: 0.1,
            seed: 1,
        };
        let p = prepare(&c, &opts).unwrap();
        let last = prepare(
            &c,
            &PrepareOptions {
                keep: Keep::Last,
                ..opts.clone()
            },
        )
        .unwrap();
        for split in [
            (&p.train, &last.train),
            (&p.val, &last.val),
            (&p.test, &last.test),
        ] {
            assert_eq!(
                split.0.lengths(),
                split.1.lengths(),
                "same lengths, other tokens"
            );
        }
        let words = |e: &Encoded, i: usize| -> Vec<String> {
            e.example(i)
                .iter()
                .map(|&id| last.vocab.word(id).unwrap_or("?").to_string())
                .collect()
        };
        let differs = |a: &Encoded, b: &Encoded| (0..a.len()).any(|i| words(a, i) != words(b, i));
        assert!(
            differs(&last.train, &p.train) || differs(&last.test, &p.test),
            "keeping the last tokens changes some example"
        );
        let v = &p.vocab;
        assert_eq!(p.test.example(0), [v.id("great"), v.id("boring"), UNK_ID]);
        assert_eq!(p.test.example(1), [UNK_ID]);
        assert_eq!(p.test.labels, [1, 0]);
        // The tag-only training review is one <unk>, wherever the split put it.
        let last = c.train.len() - 1;
        let (split, pos) = match p.train_indices.iter().position(|&i| i == last) {
            Some(pos) => (&p.train, pos),
            None => (
                &p.val,
                p.val_indices.iter().position(|&i| i == last).unwrap(),
            ),
        };
        assert_eq!(split.example(pos), [UNK_ID]);
    }

    #[test]
    fn same_seed_same_result() {
        let c = corpus(100);
        let opts = PrepareOptions {
            seed: 4,
            ..PrepareOptions::default()
        };
        let (a, b) = (prepare(&c, &opts).unwrap(), prepare(&c, &opts).unwrap());
        assert_eq!((a.train, a.val, a.vocab), (b.train, b.val, b.vocab));
    }

    #[test]
    fn bad_options_name_the_flag() {
        let c = corpus(10);
        let e = prepare(
            &c,
            &PrepareOptions {
                max_len: 0,
                ..PrepareOptions::default()
            },
        )
        .unwrap_err();
        assert!(e.to_string().starts_with("--max-len:"), "{e}");
        let e = prepare(
            &c,
            &PrepareOptions {
                vocab_size: 0,
                ..PrepareOptions::default()
            },
        )
        .unwrap_err();
        assert!(e.to_string().starts_with("--vocab-size:"), "{e}");
        let e = prepare(
            &c,
            &PrepareOptions {
                val_fraction: 1.0,
                ..PrepareOptions::default()
            },
        )
        .unwrap_err();
        assert!(e.to_string().starts_with("--val-fraction:"), "{e}");
    }
}

#[cfg(test)]
mod interner_tests {
    use super::Interner;

    #[test]
    fn words_sharing_prefixes_or_heads_get_their_own_ids() {
        let words = [
            "",
            "a",
            "ab",
            "ba",
            "abc",
            "abcd",
            "abdc",
            "abcde",
            "abcdef",
            "abcdefg",
            "abcdefgh",
            "abcdefghi",
            "abcdefghj",
            "abcdefghij",
            "é",
            "éa",
            "aé",
            "aab",
            "abb",
        ];
        let mut interner = Interner::default();
        let ids: Vec<u32> = words.iter().map(|w| interner.id(*w, 1)).collect();
        assert_eq!(ids, (0..words.len() as u32).collect::<Vec<_>>());
        let again: Vec<u32> = words.iter().map(|w| interner.id(*w, 2)).collect();
        assert_eq!(again, ids);
        let (stored, counts) = interner.into_words_and_counts();
        assert_eq!(stored, words);
        assert!(counts.iter().all(|&c| c == 3));
    }
}
