//! `--dataset memory`: a synthetic long-range memory task, made in memory
//! from a fixed seed, so that it needs no download and every user gets the
//! same sequences (Hochreiter & Schmidhuber's 1997 setting in spirit).
//!
//! Each sequence is a *key* token (one of [`MEMORY_KEYS`] classes: `key0` …
//! `key3`) followed by `distance` *filler* tokens drawn uniformly from
//! [`MEMORY_FILLER_WORDS`] words (`w0` … `w99`); its label is the key. A
//! classifier that reads the state after the last token must carry the key
//! across `distance` steps; guessing gives 1 / [`MEMORY_KEYS`]. Every class
//! has the same number of sequences (to within one), so chance is exactly
//! that. The training and test splits are drawn from independent streams.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::rng::{Purpose, below, rng, shuffle};
use super::{Corpus, DatasetIdentity, Example};

/// The `--dataset` name of the memory task.
pub const MEMORY_DATASET: &str = "memory";
/// Classes (distinct key tokens); chance accuracy is 1 / this.
pub const MEMORY_KEYS: usize = 4;
/// Words of the filler vocabulary.
pub const MEMORY_FILLER_WORDS: usize = 100;
/// Sequences of the test split.
pub const MEMORY_TEST_SEQUENCES: usize = 1000;
/// The generator's seed: fixed, so every user gets the same data.
pub const MEMORY_DATA_SEED: u64 = 1997;

/// The generator's settings and the digest of what it made: recorded in
/// `config.json` (`dataset.generator`) in place of file checksums, and
/// checked by every worker against the data it makes itself.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct GeneratedData {
    /// Which generator (`memory`).
    pub generator: String,
    /// Key classes.
    pub keys: usize,
    /// Words of the filler vocabulary.
    pub filler_words: usize,
    /// Filler tokens after the key (every sequence has `distance + 1` tokens).
    pub distance: usize,
    /// Sequences of the training split (the validation split is carved from it).
    pub train_sequences: usize,
    /// Sequences of the test split.
    pub test_sequences: usize,
    /// The generator's seed.
    pub data_seed: u64,
    /// Lower-case hex SHA-256 of the made data (one `label<TAB>text<LF>`
    /// line per sequence, training split first, then `--<LF>`, then the test split).
    pub sha256: String,
}

/// What to make: the memory task at one distance and size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemorySpec {
    /// Filler tokens after the key (`--distance`).
    pub distance: usize,
    /// Training sequences (`--sequences`).
    pub train_sequences: usize,
}

/// The label (and token) of key class `k`.
fn key_token(k: usize) -> String {
    format!("key{k}")
}

/// `n` sequences at `spec.distance` from the stream of `purpose`: keys
/// balanced over the classes, in a seeded random order, fillers uniform.
fn draw(spec: MemorySpec, n: usize, purpose: Purpose) -> Vec<Example> {
    let mut stream = rng(MEMORY_DATA_SEED, purpose, spec.distance as u64);
    let mut keys: Vec<usize> = (0..n).map(|i| i % MEMORY_KEYS).collect();
    shuffle(&mut stream, &mut keys);
    keys.into_iter()
        .map(|k| {
            let mut text = key_token(k);
            for _ in 0..spec.distance {
                let w = below(&mut stream, MEMORY_FILLER_WORDS as u64);
                text.push_str(" w");
                text.push_str(&w.to_string());
            }
            Example {
                text,
                label: key_token(k),
            }
        })
        .collect()
}

/// Makes the memory task's corpus. Its identity has no files; its
/// [`GeneratedData`] holds the settings and the digest.
pub fn memory_corpus(spec: MemorySpec) -> Corpus {
    let train = draw(spec, spec.train_sequences, Purpose::MemoryTrain);
    let test = draw(spec, MEMORY_TEST_SEQUENCES, Purpose::MemoryTest);
    let mut hasher = Sha256::new();
    for e in &train {
        hasher.update(format!("{}\t{}\n", e.label, e.text).as_bytes());
    }
    hasher.update(b"--\n");
    for e in &test {
        hasher.update(format!("{}\t{}\n", e.label, e.text).as_bytes());
    }
    let sha256 = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let classes: Vec<String> = (0..MEMORY_KEYS).map(key_token).collect();
    let count = |split: &[Example]| -> Vec<usize> {
        classes
            .iter()
            .map(|c| split.iter().filter(|e| &e.label == c).count())
            .collect()
    };
    let identity = DatasetIdentity {
        name: format!(
            "memory (synthetic long-range memory: a key of {MEMORY_KEYS} classes, then {} filler tokens of {MEMORY_FILLER_WORDS} words)",
            spec.distance
        ),
        files: Vec::new(),
        train_examples: train.len(),
        test_examples: test.len(),
        train_class_counts: count(&train),
        test_class_counts: count(&test),
        classes,
        generator: Some(GeneratedData {
            generator: MEMORY_DATASET.to_string(),
            keys: MEMORY_KEYS,
            filler_words: MEMORY_FILLER_WORDS,
            distance: spec.distance,
            train_sequences: spec.train_sequences,
            test_sequences: MEMORY_TEST_SEQUENCES,
            data_seed: MEMORY_DATA_SEED,
            sha256,
        }),
    };
    Corpus {
        train,
        test,
        identity,
        series: None,
        forecast: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: MemorySpec = MemorySpec {
        distance: 5,
        train_sequences: 10,
    };

    #[test]
    fn a_sequence_is_a_key_then_distance_fillers_and_its_label_is_the_key() {
        let c = memory_corpus(SPEC);
        assert_eq!((c.train.len(), c.test.len()), (10, MEMORY_TEST_SEQUENCES));
        for e in c.train.iter().chain(&c.test) {
            let tokens: Vec<&str> = e.text.split(' ').collect();
            assert_eq!(tokens.len(), SPEC.distance + 1);
            assert_eq!(tokens[0], e.label);
            for w in &tokens[1..] {
                let n: usize = w.strip_prefix('w').unwrap().parse().unwrap();
                assert!(n < MEMORY_FILLER_WORDS);
            }
        }
        assert_eq!(c.identity.train_class_counts, [3, 3, 2, 2]);
        assert_eq!(c.identity.test_class_counts, [250; 4]);
        assert!(c.identity.files.is_empty());
    }

    #[test]
    fn the_same_settings_make_the_same_data_and_the_splits_differ() {
        let (a, b) = (memory_corpus(SPEC), memory_corpus(SPEC));
        assert_eq!(a, b);
        let ga = a.identity.generator.as_ref().unwrap();
        assert_eq!(ga.sha256.len(), 64);
        let fillers = |e: &Example| e.text.split_once(' ').unwrap().1.to_string();
        assert_ne!(fillers(&a.train[0]), fillers(&a.test[0]));
        let longer = memory_corpus(MemorySpec {
            distance: 6,
            ..SPEC
        });
        assert_ne!(longer.identity.generator.unwrap().sha256, ga.sha256);
    }
}
