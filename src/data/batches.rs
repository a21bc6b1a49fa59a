//! Encoded splits and their batches.
//!
//! Training batches come in three orders ([`Batching`], `--batching`), all
//! one scheme with a different pool size: the examples are shuffled with the
//! seed and epoch, cut into pools of a number of batches, each pool is sorted
//! by decreasing length and cut into batches, and the batch order is shuffled
//! again (torchtext's `BucketIterator` scheme).
//! - `bucketed` (the default): pools of [`BUCKET_BATCHES`] batches. On a
//!   training split of fewer than 50 batches this is a global sort by length
//!   with ties in random order: least padding, least mixing of lengths.
//! - `pooled`: pools of [`POOL_BATCHES`] batches: more lengths mixed within a
//!   batch, and batches that change more from epoch to epoch, for more padding.
//! - `random`: pools of one batch, i.e. shuffled batches padded to their
//!   longest member (what a plain loader gives).
//!
//! Each batch is padded only to its own longest member, and every epoch sees
//! a different order. Evaluation batches are sorted by decreasing length and
//! not shuffled. Within every batch the indices are in non-increasing length
//! order (what libtorch's packed sequences ask for).

use super::rng::{Purpose, rng, shuffle};
use super::vocab::PAD_ID;

/// How many batches' worth of examples are sorted together by length for
/// [`Batching::Bucketed`].
pub const BUCKET_BATCHES: usize = 50;

/// How many batches' worth of examples are sorted together by length for
/// [`Batching::Pooled`].
pub const POOL_BATCHES: usize = 10;

/// The order of the training batches (`--batching`); see the module doc.
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
pub enum Batching {
    /// Shuffled batches, each padded to its longest member.
    Random,
    /// Length-sorted pools of [`BUCKET_BATCHES`] batches (the default).
    #[default]
    Bucketed,
    /// Length-sorted pools of [`POOL_BATCHES`] batches.
    Pooled,
}

impl Batching {
    /// How many batches' worth of examples one pool holds.
    pub fn pool_batches(self) -> usize {
        match self {
            Batching::Random => 1,
            Batching::Bucketed => BUCKET_BATCHES,
            Batching::Pooled => POOL_BATCHES,
        }
    }

    /// The training batches of one epoch in this order: lists of example
    /// indices, every index of `0..lengths.len()` exactly once, each list in
    /// non-increasing length order. The same `(lengths, batch_size, seed,
    /// epoch)` always gives the same batches; another epoch or seed gives
    /// another order. A `batch_size` of 0 acts as 1.
    pub fn batches(
        self,
        lengths: &[usize],
        batch_size: usize,
        seed: u64,
        epoch: u32,
    ) -> Vec<Vec<usize>> {
        pooled_batches(lengths, batch_size, self.pool_batches(), seed, epoch)
    }
}

/// One encoded split: the token ids (text) or the standardised values
/// (numeric series) of all examples back to back, with offsets in steps.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct Encoded {
    /// Token ids of all examples, concatenated; example `i` is
    /// `tokens[offsets[i]..offsets[i + 1]]` (1 to `max_len` ids, no padding).
    /// Empty for numeric series.
    pub tokens: Vec<i64>,
    /// Numeric series: the values of all examples, concatenated step-major;
    /// example `i` is `values[offsets[i] * channels..offsets[i + 1] *
    /// channels]`. Empty for text.
    #[serde(default)]
    pub values: Vec<f32>,
    /// Channels per step of a numeric series; 0 for text (token ids).
    #[serde(default)]
    pub channels: usize,
    /// Start of each example in steps (tokens, or time steps), plus the
    /// end: `len() + 1` entries.
    pub offsets: Vec<usize>,
    /// Class index of each example (an index into [`super::Prepared::classes`]);
    /// empty for a forecast.
    pub labels: Vec<i64>,
    /// A forecast: each example's `horizon` scaled targets back to back.
    /// Empty for classification.
    #[serde(default)]
    pub targets: Vec<f32>,
    /// A forecast: targets per example; 0 for classification.
    #[serde(default)]
    pub horizon: usize,
}

impl Encoded {
    /// Number of examples.
    pub fn len(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    /// True when there is no example.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The scaled targets of forecast example `i` (empty for
    /// classification).
    pub fn targets_of(&self, i: usize) -> &[f32] {
        &self.targets[i * self.horizon..(i + 1) * self.horizon]
    }

    /// Length in tokens of example `i` (at least 1).
    pub fn length(&self, i: usize) -> usize {
        self.offsets[i + 1] - self.offsets[i]
    }

    /// Lengths in tokens of all examples.
    pub fn lengths(&self) -> Vec<usize> {
        self.offsets.windows(2).map(|w| w[1] - w[0]).collect()
    }

    /// The token ids of example `i` (empty for a numeric series).
    pub fn example(&self, i: usize) -> &[i64] {
        if self.is_numeric() {
            return &[];
        }
        &self.tokens[self.offsets[i]..self.offsets[i + 1]]
    }

    /// Whether the examples are numeric series (else token ids).
    pub fn is_numeric(&self) -> bool {
        self.channels > 0
    }

    /// The values of numeric example `i`, step-major `[length, channels]`
    /// (empty for text).
    pub fn series(&self, i: usize) -> &[f32] {
        let c = self.channels;
        &self.values[self.offsets[i] * c..self.offsets[i + 1] * c]
    }

    /// Example `i` alone as a batch of one.
    pub fn one(&self, i: usize) -> BatchData {
        self.batch(&[i])
    }

    /// The examples `indices` as one batch, right-padded to the longest
    /// member's length `seq_len`: token ids row-major `[batch, seq_len]`
    /// padded with `<pad>` (0), or values `[batch, seq_len, channels]`
    /// padded with 0.0; the lengths and labels in the same order.
    pub fn batch(&self, indices: &[usize]) -> BatchData {
        let seq_len = indices.iter().map(|&i| self.length(i)).max().unwrap_or(0);
        let c = self.channels;
        let mut tokens = vec![PAD_ID; if c == 0 { indices.len() * seq_len } else { 0 }];
        let mut values = vec![0.0f32; indices.len() * seq_len * c];
        let mut lengths = Vec::with_capacity(indices.len());
        let mut labels = Vec::with_capacity(indices.len());
        let mut targets = Vec::with_capacity(indices.len() * self.horizon);
        for (row, &i) in indices.iter().enumerate() {
            if c == 0 {
                let ids = self.example(i);
                tokens[row * seq_len..row * seq_len + ids.len()].copy_from_slice(ids);
            } else {
                let v = self.series(i);
                let at = row * seq_len * c;
                values[at..at + v.len()].copy_from_slice(v);
            }
            lengths.push(self.length(i) as i64);
            labels.extend(self.labels.get(i));
            targets.extend_from_slice(self.targets_of(i));
        }
        BatchData {
            tokens,
            values,
            channels: c,
            lengths,
            labels,
            targets,
            horizon: self.horizon,
            batch_size: indices.len(),
            seq_len,
        }
    }

    /// The examples `indices` as a new split (e.g. a subset).
    pub fn select(&self, indices: &[usize]) -> Encoded {
        let mut out = Encoded {
            offsets: vec![0],
            channels: self.channels,
            horizon: self.horizon,
            ..Encoded::default()
        };
        for &i in indices {
            out.tokens.extend_from_slice(self.example(i));
            out.values.extend_from_slice(self.series(i));
            out.offsets
                .push(out.offsets[out.offsets.len() - 1] + self.length(i));
            out.labels.extend(self.labels.get(i));
            out.targets.extend_from_slice(self.targets_of(i));
        }
        out
    }
}

/// One padded batch, ready to become tensors ([`BatchData::inputs`]).
#[derive(Debug, Clone, PartialEq)]
pub struct BatchData {
    /// Token ids, row-major `[batch_size, seq_len]`, right-padded with 0;
    /// empty for numeric series.
    pub tokens: Vec<i64>,
    /// Numeric series: values row-major `[batch_size, seq_len, channels]`,
    /// right-padded with 0.0; empty for text.
    pub values: Vec<f32>,
    /// Channels per step (0 for token ids).
    pub channels: usize,
    /// `[batch_size]` real lengths in tokens (each `1..=seq_len`).
    pub lengths: Vec<i64>,
    /// `[batch_size]` class indices (empty for a forecast).
    pub labels: Vec<i64>,
    /// A forecast: `[batch_size, horizon]` scaled targets, row-major.
    pub targets: Vec<f32>,
    /// A forecast: targets per row; 0 for classification.
    pub horizon: usize,
    /// Number of examples (rows).
    pub batch_size: usize,
    /// Padded length in tokens (columns): the longest member's length.
    pub seq_len: usize,
}

impl BatchData {
    /// What the model reads, on `device`: the token ids `[batch, seq]`
    /// (int64), or the values `[batch, seq, channels]` (float32).
    pub fn inputs(&self, device: tch::Device) -> tch::Tensor {
        let (b, t) = (self.batch_size as i64, self.seq_len as i64);
        if self.channels == 0 {
            tch::Tensor::from_slice(&self.tokens).view([b, t])
        } else {
            tch::Tensor::from_slice(&self.values).view([b, t, self.channels as i64])
        }
        .to_device(device)
    }

    /// A forecast's scaled targets `[batch, horizon]` (float32) on `device`.
    pub fn target_tensor(&self, device: tch::Device) -> tch::Tensor {
        tch::Tensor::from_slice(&self.targets)
            .view([self.batch_size as i64, self.horizon as i64])
            .to_device(device)
    }

    /// The inputs of step `t` of every row, on `device`: ids `[batch]` or
    /// values `[batch, channels]`, what [`crate::model::Classifier::step`]
    /// reads.
    pub fn step_inputs(&self, t: usize, device: tch::Device) -> tch::Tensor {
        let (b, c) = (self.batch_size, self.channels);
        if c == 0 {
            let ids: Vec<i64> = (0..b).map(|r| self.tokens[r * self.seq_len + t]).collect();
            tch::Tensor::from_slice(&ids)
        } else {
            let mut v = Vec::with_capacity(b * c);
            for r in 0..b {
                let at = (r * self.seq_len + t) * c;
                v.extend_from_slice(&self.values[at..at + c]);
            }
            tch::Tensor::from_slice(&v).view([b as i64, c as i64])
        }
        .to_device(device)
    }
}

/// The training batches of one epoch in the default order
/// ([`Batching::Bucketed`]; see [`Batching::batches`]).
pub fn train_batches(
    lengths: &[usize],
    batch_size: usize,
    seed: u64,
    epoch: u32,
) -> Vec<Vec<usize>> {
    Batching::Bucketed.batches(lengths, batch_size, seed, epoch)
}

/// Shuffle, cut into pools of `pool_batches` batches, sort each pool by
/// decreasing length, cut it into batches, shuffle the batches.
fn pooled_batches(
    lengths: &[usize],
    batch_size: usize,
    pool_batches: usize,
    seed: u64,
    epoch: u32,
) -> Vec<Vec<usize>> {
    let batch_size = batch_size.max(1);
    let mut rng = rng(seed, Purpose::Batches, u64::from(epoch));
    let mut order: Vec<usize> = (0..lengths.len()).collect();
    shuffle(&mut rng, &mut order);
    let mut batches = Vec::with_capacity(lengths.len().div_ceil(batch_size));
    for pool in order.chunks_mut(batch_size * pool_batches.max(1)) {
        // Stable: equal lengths keep their shuffled order.
        pool.sort_by_key(|&i| std::cmp::Reverse(lengths[i]));
        batches.extend(pool.chunks(batch_size).map(<[usize]>::to_vec));
    }
    shuffle(&mut rng, &mut batches);
    batches
}

/// Evaluation batches: all indices sorted by decreasing length (ties by
/// index), cut into batches of `batch_size` (0 acts as 1), not shuffled.
pub fn eval_batches(lengths: &[usize], batch_size: usize) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..lengths.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(lengths[i]));
    order
        .chunks(batch_size.max(1))
        .map(<[usize]>::to_vec)
        .collect()
}

/// A few batches of one epoch, batched two ways over the same examples, for
/// timing padding, packing and length bucketing at the same real tokens
/// (`benches/throughput.rs`, group `batching`).
#[derive(Debug, Clone, PartialEq)]
pub struct EpochSlice {
    /// Batches as [`train_batches`] makes them (length-bucketed, each in
    /// decreasing length order): a sample stratified by real tokens, so the
    /// slice spans the epoch's short and long batches alike.
    pub bucketed: Vec<Vec<usize>>,
    /// The same examples in random order, cut into batches of the same size
    /// (what a loader without bucketing gives).
    pub random: Vec<Vec<usize>>,
}

impl EpochSlice {
    /// Real tokens in the slice (the same for both batchings).
    pub fn real_tokens(&self, lengths: &[usize]) -> usize {
        self.bucketed.iter().flatten().map(|&i| lengths[i]).sum()
    }
}

/// `batches` full batches of `batch_size` from epoch 0 of [`train_batches`]
/// with `seed`: the epoch's full batches are ranked by real tokens and those
/// at ranks `(k + ½)·n / batches` taken (a stratified sample, so the slice's
/// length distribution follows the epoch's); then the same examples shuffled
/// into random batches. Fewer batches when the epoch has fewer full ones.
pub fn epoch_slice(lengths: &[usize], batch_size: usize, batches: usize, seed: u64) -> EpochSlice {
    let batch_size = batch_size.max(1);
    let tokens = |b: &Vec<usize>| b.iter().map(|&i| lengths[i]).sum::<usize>();
    let mut full: Vec<Vec<usize>> = train_batches(lengths, batch_size, seed, 0)
        .into_iter()
        .filter(|b| b.len() == batch_size)
        .collect();
    // Ties by first index, so the ranking is deterministic.
    full.sort_by_key(|b| (tokens(b), b[0]));
    let n = full.len();
    let taken = batches.min(n);
    let bucketed: Vec<Vec<usize>> = (0..taken)
        .map(|k| full[(2 * k + 1) * n / (2 * taken)].clone())
        .collect();
    let mut examples: Vec<usize> = bucketed.iter().flatten().copied().collect();
    shuffle(&mut rng(seed, Purpose::BenchSlice, 0), &mut examples);
    let random = examples.chunks(batch_size).map(<[usize]>::to_vec).collect();
    EpochSlice { bucketed, random }
}

/// Fraction of padding among all cells when each batch is padded to its own
/// longest member: padding cells / (padding + token cells), in `[0, 1)`;
/// 0 for no batches.
pub fn padding_fraction(lengths: &[usize], batches: &[Vec<usize>]) -> f64 {
    let (mut real, mut cells) = (0usize, 0usize);
    for batch in batches {
        let longest = batch.iter().map(|&i| lengths[i]).max().unwrap_or(0);
        real += batch.iter().map(|&i| lengths[i]).sum::<usize>();
        cells += longest * batch.len();
    }
    if cells == 0 {
        0.0
    } else {
        (cells - real) as f64 / cells as f64
    }
}

/// Fraction of padding among all cells when every example is padded to
/// `seq_len` tokens (longer ones counted as cut to `seq_len`); 0 when empty.
pub fn padding_fraction_fixed(lengths: &[usize], seq_len: usize) -> f64 {
    let cells = lengths.len() * seq_len;
    let real: usize = lengths.iter().map(|&l| l.min(seq_len)).sum();
    if cells == 0 {
        0.0
    } else {
        (cells - real) as f64 / cells as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lengths(n: usize) -> Vec<usize> {
        // Deterministic, spread out: 1..=400.
        (0..n).map(|i| (i * 7919 + 13) % 400 + 1).collect()
    }

    #[test]
    fn every_index_exactly_once() {
        let l = lengths(10_007);
        for batch_size in [1, 3, 64] {
            let b = train_batches(&l, batch_size, 5, 0);
            let mut all: Vec<usize> = b.iter().flatten().copied().collect();
            all.sort_unstable();
            assert_eq!(all, (0..l.len()).collect::<Vec<_>>());
            assert!(b.iter().all(|x| !x.is_empty() && x.len() <= batch_size));
            let e = eval_batches(&l, batch_size);
            let mut all: Vec<usize> = e.iter().flatten().copied().collect();
            all.sort_unstable();
            assert_eq!(all.len(), l.len());
            all.dedup();
            assert_eq!(all.len(), l.len());
        }
    }

    #[test]
    fn deterministic_per_seed_and_epoch_and_varies_otherwise() {
        let l = lengths(5000);
        assert_eq!(train_batches(&l, 32, 1, 0), train_batches(&l, 32, 1, 0));
        assert_ne!(train_batches(&l, 32, 1, 0), train_batches(&l, 32, 1, 1));
        assert_ne!(train_batches(&l, 32, 1, 0), train_batches(&l, 32, 2, 0));
    }

    #[test]
    fn every_batching_is_a_seeded_partition_in_decreasing_length() {
        let l = lengths(10_007);
        for batching in [Batching::Random, Batching::Bucketed, Batching::Pooled] {
            for batch_size in [1, 3, 64] {
                let b = batching.batches(&l, batch_size, 5, 2);
                let mut all: Vec<usize> = b.iter().flatten().copied().collect();
                all.sort_unstable();
                assert_eq!(all, (0..l.len()).collect::<Vec<_>>(), "{batching:?}");
                assert!(b.iter().all(|x| !x.is_empty() && x.len() <= batch_size));
                assert!(b.iter().all(|x| x.windows(2).all(|w| l[w[0]] >= l[w[1]])));
            }
            let b = |seed, epoch| batching.batches(&l, 32, seed, epoch);
            assert_eq!(b(1, 0), b(1, 0), "{batching:?}");
            assert_ne!(b(1, 0), b(1, 1), "{batching:?}");
            assert_ne!(b(1, 0), b(2, 0), "{batching:?}");
        }
        // The default is today's batching, batch for batch.
        assert_eq!(Batching::default(), Batching::Bucketed);
        assert_eq!(
            Batching::Bucketed.batches(&l, 64, 3, 1),
            train_batches(&l, 64, 3, 1)
        );
        let pinned = train_batches(&[5, 1, 4, 2, 3, 6, 2], 3, 1, 0);
        assert_eq!(pinned, PINNED_BUCKETED, "today's batches changed");
    }

    /// `train_batches(&[5, 1, 4, 2, 3, 6, 2], 3, 1, 0)` as rnnbench has
    /// always made it: a change here changes every run's batches.
    const PINNED_BUCKETED: [&[usize]; 3] = [&[4, 3, 6], &[1], &[5, 0, 2]];

    #[test]
    fn padding_grows_as_pools_shrink() {
        let l = lengths(20_000);
        let padding = |b: Batching| padding_fraction(&l, &b.batches(&l, 64, 3, 0));
        let (random, pooled, bucketed) = (
            padding(Batching::Random),
            padding(Batching::Pooled),
            padding(Batching::Bucketed),
        );
        assert!(
            random > pooled && pooled > bucketed,
            "{random} {pooled} {bucketed}"
        );
        assert!(random > 0.3 && bucketed < 0.05, "{random} {bucketed}");
    }

    #[test]
    fn batches_are_in_decreasing_length_and_little_padded() {
        let l = lengths(20_000);
        let b = train_batches(&l, 64, 3, 0);
        for batch in &b {
            assert!(batch.windows(2).all(|w| l[w[0]] >= l[w[1]]));
        }
        let bucketed = padding_fraction(&l, &b);
        let random: Vec<Vec<usize>> = (0..l.len())
            .collect::<Vec<_>>()
            .chunks(64)
            .map(<[usize]>::to_vec)
            .collect();
        assert!(bucketed < 0.05, "{bucketed}");
        assert!(padding_fraction(&l, &random) > 0.3);
        assert!(padding_fraction(&l, &eval_batches(&l, 64)) < 0.01);
    }

    #[test]
    fn epoch_slice_is_stratified_and_rebatches_the_same_examples() {
        let l = lengths(64 * 100 + 5);
        let slice = epoch_slice(&l, 64, 4, 1);
        assert_eq!(slice.bucketed.len(), 4);
        assert_eq!(slice.random.len(), 4);
        assert!(slice.random.iter().all(|b| b.len() == 64));
        let mut a: Vec<usize> = slice.bucketed.iter().flatten().copied().collect();
        let mut b: Vec<usize> = slice.random.iter().flatten().copied().collect();
        assert_ne!(a, b, "the random batches are reshuffled");
        a.sort_unstable();
        b.sort_unstable();
        assert_eq!(a, b);
        // Stratified: batch means rise from short to long, spanning the range.
        let means: Vec<f64> = slice
            .bucketed
            .iter()
            .map(|b| b.iter().map(|&i| l[i]).sum::<usize>() as f64 / 64.0)
            .collect();
        assert!(means.windows(2).all(|w| w[0] < w[1]), "{means:?}");
        assert!(means[0] < 100.0 && means[3] > 300.0, "{means:?}");
        assert!(padding_fraction(&l, &slice.bucketed) < 0.05);
        assert!(padding_fraction(&l, &slice.random) > 0.2);
        assert_eq!(
            slice.real_tokens(&l),
            a.iter().map(|&i| l[i]).sum::<usize>()
        );
        assert_eq!(slice, epoch_slice(&l, 64, 4, 1));
        // More batches asked than the epoch has: all of its full ones.
        assert_eq!(epoch_slice(&l[..200], 64, 9, 1).bucketed.len(), 3);
    }

    #[test]
    fn padding_fractions() {
        let l = [1, 3, 2, 2];
        assert_eq!(padding_fraction(&l, &[vec![0, 1], vec![2, 3]]), 2.0 / 10.0);
        assert_eq!(padding_fraction(&l, &[]), 0.0);
        assert_eq!(padding_fraction_fixed(&l, 4), 8.0 / 16.0);
        assert_eq!(padding_fraction_fixed(&l, 2), 1.0 / 8.0);
    }

    #[test]
    fn batch_pads_to_longest_member() {
        let e = Encoded {
            tokens: vec![5, 6, 7, 8, 9, 1],
            offsets: vec![0, 3, 5, 6],
            labels: vec![0, 1, 1],
            ..Encoded::default()
        };
        assert_eq!(e.len(), 3);
        assert_eq!(e.lengths(), [3, 2, 1]);
        let b = e.batch(&[2, 1]);
        assert_eq!((b.batch_size, b.seq_len), (2, 2));
        assert_eq!(b.tokens, [1, 0, 8, 9]);
        assert_eq!(b.lengths, [1, 2]);
        assert_eq!(b.labels, [1, 1]);
        assert_eq!(e.select(&[1]).tokens, [8, 9]);
    }
}
