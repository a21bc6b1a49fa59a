//! What a benchmark is, named once: the groups, shapes and batching modes
//! that `benches/throughput.rs` times and `report --bench` reads back from
//! criterion's folder, and the conditions the benches record beside
//! criterion's files.
//!
//! Bench ids are `<group>/<function>/<parameter>`:
//! - cell benches (`forward`, `train_step`, `train_step_matched`,
//!   `streaming_step`): function a [`BenchCell`], a [`Cell`] name with
//!   `-native` when libtorch's oneDNN kernel was switched off for it
//!   (`lstm-native`) or `-onednn` when it ran on rnnbench's fused oneDNN
//!   cells (`gru-onednn`), parameter a [`BenchShape`] `h{H}-t{T}-b{B}-l{L}[-bi]-th{threads}`;
//! - batching benches: parameter a [`BatchingBench`] `{mode}-n{batches}-{shape}`;
//! - series benches (`series_forward`, `series_train_step`): function a
//!   [`BenchCell`], parameter a [`SeriesBench`] `c{channels}-e{embed}-{shape}`
//!   (numeric values through the linear input layer);
//! - `matmul`: function `peak`, parameter a [`MatmulBench`] `n{N}-th{threads}`.
//!
//! Every name type has `Display` and `FromStr`, and one parses what the other
//! writes. Groups benched on a GPU carry a `-cuda` suffix ([`BenchGroupId`]).

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::analysis::stats::Drift;
use crate::config::KernelChoice;
use crate::memory_guard::MAX_HIDDEN;
use crate::model::budget::{ModelShape, hidden_for_budget};
use crate::model::cell::Cell;

/// Vocabulary size of the benches' classifier.
pub const BENCH_VOCAB: i64 = 20_000;
/// Embedding width of the benches' classifier.
pub const BENCH_EMBED: i64 = 128;
/// Classes of the benches' classifier.
pub const BENCH_CLASSES: i64 = 2;

/// Channels of the series benches' numeric input (the bundled
/// japanese-vowels').
pub const SERIES_BENCH_CHANNELS: i64 = 12;
/// Embedding width of the series benches' classifier (the series preset's
/// `--embed`).
pub const SERIES_BENCH_EMBED: i64 = 32;
/// The series benches' LSTM hidden size (the series preset's `--hidden`);
/// the other cells get the hidden size of the same parameter count.
pub const SERIES_BENCH_LSTM_HIDDEN: i64 = 64;
/// The series benches' sequence length: japanese-vowels' longest series.
pub const SERIES_BENCH_SEQ: i64 = 29;
/// The series benches' batch size (the series preset's `--batch-size`).
pub const SERIES_BENCH_BATCH: i64 = 16;
/// Classes of the series benches' classifier (japanese-vowels' speakers).
pub const SERIES_BENCH_CLASSES: i64 = 9;

/// The function of a cell bench: the cell and the kernel setting it ran
/// under: libtorch's own choice (the plain cell name), its native loop with
/// oneDNN switched off (`-native`, `--kernel native`) or rnnbench's fused
/// oneDNN cells (`-onednn`, `--kernel onednn`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BenchCell {
    /// The model.
    pub cell: Cell,
    /// The kernel setting (`Auto` for a plain cell name).
    pub kernel: KernelChoice,
}

impl BenchCell {
    /// `cell` under `kernel`.
    pub fn new(cell: Cell, kernel: KernelChoice) -> Self {
        BenchCell { cell, kernel }
    }
}

impl fmt::Display for BenchCell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kernel {
            KernelChoice::Auto => write!(f, "{}", self.cell.name()),
            kernel => write!(f, "{}-{}", self.cell.name(), kernel.name()),
        }
    }
}

impl FromStr for BenchCell {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (name, kernel) = [KernelChoice::Native, KernelChoice::Onednn]
            .into_iter()
            .find_map(|k| Some((s.strip_suffix(k.name())?.strip_suffix('-')?, k)))
            .unwrap_or((s, KernelChoice::Auto));
        Ok(BenchCell {
            cell: name.parse().map_err(|e| format!("{s}: {e}"))?,
            kernel,
        })
    }
}

/// A criterion group of the throughput benches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BenchGroup {
    /// Forward pass without gradients, cell benches.
    Forward,
    /// Forward, backward and Adam step with clipping, cell benches.
    TrainStep,
    /// Train step at `compare`'s default shapes matched by parameter count.
    TrainStepMatched,
    /// Forward pass over an epoch slice of real reviews, batching benches.
    BatchingForward,
    /// Train step over an epoch slice of real reviews, batching benches.
    BatchingTrainStep,
    /// This machine's matrix-multiply peak.
    Matmul,
    /// One token per call at batch 1, recurrent state carried between
    /// calls (the real-time case), cell benches at `t1-b1`.
    StreamingStep,
    /// Forward pass without gradients on numeric series through the linear
    /// input layer, at the series preset's shapes ([`SeriesBench`]).
    SeriesForward,
    /// Train step on numeric series through the linear input layer, at the
    /// series preset's shapes ([`SeriesBench`]).
    SeriesTrainStep,
}

impl BenchGroup {
    /// Every group, in the order the benches run them.
    pub const ALL: [BenchGroup; 9] = [
        BenchGroup::Matmul,
        BenchGroup::TrainStepMatched,
        BenchGroup::Forward,
        BenchGroup::TrainStep,
        BenchGroup::BatchingForward,
        BenchGroup::BatchingTrainStep,
        BenchGroup::StreamingStep,
        BenchGroup::SeriesForward,
        BenchGroup::SeriesTrainStep,
    ];

    /// The group's name in bench ids: `forward`, `train_step`, …
    pub fn name(self) -> &'static str {
        match self {
            BenchGroup::Forward => "forward",
            BenchGroup::TrainStep => "train_step",
            BenchGroup::TrainStepMatched => "train_step_matched",
            BenchGroup::BatchingForward => "batching_forward",
            BenchGroup::BatchingTrainStep => "batching_train_step",
            BenchGroup::Matmul => "matmul",
            BenchGroup::StreamingStep => "streaming_step",
            BenchGroup::SeriesForward => "series_forward",
            BenchGroup::SeriesTrainStep => "series_train_step",
        }
    }

    /// Whether an iteration trains (backward pass and optimiser step).
    pub fn trains(self) -> bool {
        matches!(
            self,
            BenchGroup::TrainStep
                | BenchGroup::TrainStepMatched
                | BenchGroup::BatchingTrainStep
                | BenchGroup::SeriesTrainStep
        )
    }

    /// Whether the parameters are [`SeriesBench`]es.
    pub fn is_series(self) -> bool {
        matches!(
            self,
            BenchGroup::SeriesForward | BenchGroup::SeriesTrainStep
        )
    }

    /// Whether the cells of the group are matched by parameter count (so
    /// their hidden sizes differ and their parameters are not paired).
    pub fn is_matched(self) -> bool {
        self == BenchGroup::TrainStepMatched || self.is_series()
    }

    /// The forward group benched at the same cells and parameters as this
    /// train-step group, whose times a train step must exceed: `forward`
    /// for `train_step`, `series_forward` for `series_train_step`.
    pub fn forward_partner(self) -> Option<BenchGroup> {
        match self {
            BenchGroup::TrainStep => Some(BenchGroup::Forward),
            BenchGroup::SeriesTrainStep => Some(BenchGroup::SeriesForward),
            _ => None,
        }
    }

    /// Whether the parameters are [`BatchingBench`]es.
    pub fn is_batching(self) -> bool {
        matches!(
            self,
            BenchGroup::BatchingForward | BenchGroup::BatchingTrainStep
        )
    }
}

/// A group as criterion names it: the group, with `-cuda` when benched on a GPU.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BenchGroupId {
    /// The group.
    pub group: BenchGroup,
    /// Benched on CUDA rather than the CPU.
    pub cuda: bool,
}

impl BenchGroupId {
    /// `group` on the CPU.
    pub fn cpu(group: BenchGroup) -> BenchGroupId {
        BenchGroupId { group, cuda: false }
    }

    /// `group` on the device given by `cuda`.
    pub fn new(group: BenchGroup, cuda: bool) -> BenchGroupId {
        BenchGroupId { group, cuda }
    }

    /// The suffix of GPU groups: `""` or `-cuda`.
    pub fn device_tag(&self) -> &'static str {
        if self.cuda { "-cuda" } else { "" }
    }
}

impl fmt::Display for BenchGroupId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.group.name(), self.device_tag())
    }
}

impl FromStr for BenchGroupId {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (name, cuda) = match s.strip_suffix("-cuda") {
            Some(name) => (name, true),
            None => (s, false),
        };
        BenchGroup::ALL
            .into_iter()
            .find(|g| g.name() == name)
            .map(|group| BenchGroupId { group, cuda })
            .ok_or_else(|| format!("`{s}` is not a bench group"))
    }
}

/// A benched classifier shape and the CPU threads it ran on; as text
/// `h{hidden}-t{seq}-b{batch}-l{layers}[-bi]-th{threads}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BenchShape {
    /// Hidden size (per direction).
    pub hidden: i64,
    /// Sequence length (tokens; for batching benches the length cap).
    pub seq: i64,
    /// Batch size.
    pub batch: i64,
    /// Stacked layers.
    pub layers: i64,
    /// Whether each layer runs in both directions.
    pub bidirectional: bool,
    /// CPU threads.
    pub threads: i64,
}

impl BenchShape {
    /// Tokens per iteration: batch x sequence length.
    pub fn tokens(&self) -> i64 {
        self.batch * self.seq
    }

    /// The benches' classifier of `cell` at this shape ([`BENCH_VOCAB`],
    /// [`BENCH_EMBED`], [`BENCH_CLASSES`]).
    pub fn model_shape(&self, cell: Cell) -> ModelShape {
        ModelShape {
            cell,
            vocab_size: BENCH_VOCAB,
            channels: 0,
            embed_size: BENCH_EMBED,
            hidden_size: self.hidden,
            layers: self.layers,
            bidirectional: self.bidirectional,
            classes: BENCH_CLASSES,
            positions: self.seq,
            pooling: crate::model::Pooling::Last,
        }
    }

    /// FLOPs of one forward pass of `cell` at this shape
    /// ([`ModelShape::forward_flops`]).
    pub fn forward_flops(&self, cell: Cell) -> f64 {
        self.model_shape(cell).forward_flops(self.batch, self.seq)
    }

    /// FLOPs of one train step ([`ModelShape::train_step_flops`]).
    pub fn train_step_flops(&self, cell: Cell) -> f64 {
        self.model_shape(cell)
            .train_step_flops(self.batch, self.seq)
    }
}

impl fmt::Display for BenchShape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "h{}-t{}-b{}-l{}{}-th{}",
            self.hidden,
            self.seq,
            self.batch,
            self.layers,
            if self.bidirectional { "-bi" } else { "" },
            self.threads
        )
    }
}

impl FromStr for BenchShape {
    type Err = String;

    /// Parses exactly what `Display` writes (the parts in that order).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("`{s}` is not a bench shape (h…-t…-b…-l…[-bi]-th…)");
        let mut parts = s.split('-');
        let mut number = |prefix: &str| {
            parts
                .next()
                .and_then(|p| p.strip_prefix(prefix))
                .and_then(|v| v.parse::<i64>().ok())
                .filter(|v| *v > 0)
        };
        let (Some(hidden), Some(seq), Some(batch), Some(layers)) =
            (number("h"), number("t"), number("b"), number("l"))
        else {
            return Err(bad());
        };
        let rest: Vec<&str> = parts.collect();
        let (bidirectional, threads) = match rest.as_slice() {
            ["bi", th] => (true, th),
            [th] => (false, th),
            _ => return Err(bad()),
        };
        let threads = threads
            .strip_prefix("th")
            .and_then(|v| v.parse::<i64>().ok())
            .filter(|v| *v >= 0)
            .ok_or_else(bad)?;
        Ok(BenchShape {
            hidden,
            seq,
            batch,
            layers,
            bidirectional,
            threads,
        })
    }
}

/// A series bench's parameter, `c{channels}-e{embed}-{shape}` (e.g.
/// `c12-e32-h76-t29-b16-l1-th2`): a classifier reading `channels` float
/// values per time step through the linear input layer `[channels → embed]`
/// in place of the embedding, at `shape` (`t`: time steps per series, every
/// series full length).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SeriesBench {
    /// Values per time step.
    pub channels: i64,
    /// Width of the linear input layer's output, the cell's input.
    pub embed: i64,
    /// Hidden size, time steps, batch size, layers, threads.
    pub shape: BenchShape,
}

impl SeriesBench {
    /// The series headline of `cell` on `threads` CPU threads, the series
    /// preset's shapes: [`SERIES_BENCH_CHANNELS`] channels, embedding
    /// [`SERIES_BENCH_EMBED`], [`SERIES_BENCH_SEQ`] time steps, batch
    /// [`SERIES_BENCH_BATCH`], one unidirectional layer; the LSTM at hidden
    /// [`SERIES_BENCH_LSTM_HIDDEN`], every other cell at the hidden size
    /// whose parameter count is closest to the LSTM's (as `compare`'s
    /// `--match params` sizes them: GRU 76, RNN 140).
    pub fn headline(cell: Cell, threads: i64) -> SeriesBench {
        let lstm = SeriesBench {
            channels: SERIES_BENCH_CHANNELS,
            embed: SERIES_BENCH_EMBED,
            shape: BenchShape {
                hidden: SERIES_BENCH_LSTM_HIDDEN,
                seq: SERIES_BENCH_SEQ,
                batch: SERIES_BENCH_BATCH,
                layers: 1,
                bidirectional: false,
                threads,
            },
        };
        if cell == Cell::Lstm {
            return lstm;
        }
        let budget = lstm.model_shape(Cell::Lstm).params();
        let hidden = hidden_for_budget(lstm.model_shape(cell), budget, MAX_HIDDEN);
        SeriesBench {
            shape: BenchShape {
                hidden,
                ..lstm.shape
            },
            ..lstm
        }
    }

    /// Time steps per iteration: batch x series length.
    pub fn time_steps(&self) -> i64 {
        self.shape.tokens()
    }

    /// The series benches' classifier of `cell` at this shape: no
    /// vocabulary, the linear input layer, [`SERIES_BENCH_CLASSES`]
    /// classes, last-state pooling.
    pub fn model_shape(&self, cell: Cell) -> ModelShape {
        ModelShape {
            cell,
            vocab_size: 0,
            channels: self.channels,
            embed_size: self.embed,
            hidden_size: self.shape.hidden,
            layers: self.shape.layers,
            bidirectional: self.shape.bidirectional,
            classes: SERIES_BENCH_CLASSES,
            positions: self.shape.seq,
            pooling: crate::model::Pooling::Last,
        }
    }

    /// FLOPs of one forward pass of `cell` ([`ModelShape::forward_flops`]:
    /// the linear input layer is left out, as the embedding is).
    pub fn forward_flops(&self, cell: Cell) -> f64 {
        self.model_shape(cell)
            .forward_flops(self.shape.batch, self.shape.seq)
    }

    /// FLOPs of one train step ([`ModelShape::train_step_flops`]).
    pub fn train_step_flops(&self, cell: Cell) -> f64 {
        self.model_shape(cell)
            .train_step_flops(self.shape.batch, self.shape.seq)
    }
}

impl fmt::Display for SeriesBench {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "c{}-e{}-{}", self.channels, self.embed, self.shape)
    }
}

impl FromStr for SeriesBench {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("`{s}` is not a series bench (c{{channels}}-e{{embed}}-{{shape}})");
        let mut parts = s.splitn(3, '-');
        let mut number = |prefix: char| {
            parts
                .next()
                .and_then(|p| p.strip_prefix(prefix))
                .and_then(|v| v.parse::<i64>().ok())
                .filter(|v| *v > 0)
        };
        let (Some(channels), Some(embed)) = (number('c'), number('e')) else {
            return Err(bad());
        };
        let shape = parts.next().ok_or_else(bad)?.parse().map_err(|_| bad())?;
        Ok(SeriesBench {
            channels,
            embed,
            shape,
        })
    }
}

/// How the batching benches feed uneven sequences to the cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BatchingMode {
    /// Random batches, every sequence padded to the length cap.
    Padded,
    /// The same random batches, packed (the cell steps over real tokens only).
    Packed,
    /// Length-bucketed batches, each padded to its own longest member (as
    /// `compare` trains).
    Bucketed,
}

impl BatchingMode {
    /// Every mode, in the order the report shows them.
    pub const ALL: [BatchingMode; 3] = [
        BatchingMode::Padded,
        BatchingMode::Packed,
        BatchingMode::Bucketed,
    ];

    /// The mode's name in bench names: `padded`, `packed`, `bucketed`.
    pub fn name(self) -> &'static str {
        match self {
            BatchingMode::Padded => "padded",
            BatchingMode::Packed => "packed",
            BatchingMode::Bucketed => "bucketed",
        }
    }
}

impl fmt::Display for BatchingMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for BatchingMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        BatchingMode::ALL
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| format!("`{s}` is not a batching mode (padded, packed, bucketed)"))
    }
}

/// A batching bench's parameter, `{mode}-n{batches}-{shape}` (e.g.
/// `packed-n2-h128-t400-b64-l1-th2`, where `t` is the length cap).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BatchingBench {
    /// How the batches were fed.
    pub mode: BatchingMode,
    /// Batches per iteration (the epoch slice).
    pub batches: i64,
    /// Hidden size, length cap, batch size, layers, threads.
    pub shape: BenchShape,
}

impl fmt::Display for BatchingBench {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-n{}-{}", self.mode, self.batches, self.shape)
    }
}

impl FromStr for BatchingBench {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("`{s}` is not a batching bench ({{mode}}-n{{batches}}-{{shape}})");
        let mut parts = s.splitn(3, '-');
        let mode = parts.next().ok_or_else(bad)?.parse().map_err(|_| bad())?;
        let batches = parts
            .next()
            .and_then(|p| p.strip_prefix('n'))
            .and_then(|v| v.parse::<i64>().ok())
            .filter(|v| *v > 0)
            .ok_or_else(bad)?;
        let shape = parts.next().ok_or_else(bad)?.parse().map_err(|_| bad())?;
        Ok(BatchingBench {
            mode,
            batches,
            shape,
        })
    }
}

/// The matrix-multiply bench's parameter, `n{n}-th{threads}`: an `n x n`
/// by `n x n` float32 product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MatmulBench {
    /// Matrix size.
    pub n: i64,
    /// CPU threads.
    pub threads: i64,
}

impl MatmulBench {
    /// FLOPs of one product: `2·n³` (a multiply-add counts 2).
    pub fn flops(&self) -> f64 {
        2.0 * (self.n as f64).powi(3)
    }
}

impl fmt::Display for MatmulBench {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "n{}-th{}", self.n, self.threads)
    }
}

impl FromStr for MatmulBench {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("`{s}` is not a matmul bench (n…-th…)");
        let (n, threads) = s.split_once('-').ok_or_else(bad)?;
        let n = n
            .strip_prefix('n')
            .and_then(|v| v.parse::<i64>().ok())
            .filter(|v| *v > 0)
            .ok_or_else(bad)?;
        let threads = threads
            .strip_prefix("th")
            .and_then(|v| v.parse::<i64>().ok())
            .filter(|v| *v >= 0)
            .ok_or_else(bad)?;
        Ok(MatmulBench { n, threads })
    }
}

/// File at the root of criterion's folder in which the throughput benches
/// record how each bench ran ([`BenchConditions`]).
pub const BENCH_CONDITIONS_FILE: &str = "rnnbench-conditions.json";

/// How the benches ran, by bench id (`<group>/<function>/<parameter>`):
/// kept beside criterion's results, updated for every bench a run times, so
/// that a filtered rerun replaces the conditions of the benches it reran only.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BenchConditions {
    /// The conditions of each bench, by bench id.
    pub benches: BTreeMap<String, BenchCondition>,
}

/// How one bench ran.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchCondition {
    /// Seconds since the Unix epoch when the bench started.
    pub started_unix_secs: u64,
    /// Whether flushing subnormal floats to zero (FTZ/DAZ) was asked for
    /// (`RNNBENCH_FLUSH_DENORMAL`).
    pub flush_denormal: bool,
    /// Whether libtorch reported that this CPU supports flushing them.
    pub flush_denormal_supported: bool,
    /// Whether a parallel multiply of subnormal numbers came out as zeros on
    /// every element (that is, every worker thread flushes); `None` where
    /// not checked.
    pub flush_denormal_effective: Option<bool>,
    /// Whether the quick subset ran (`RNNBENCH_BENCH_QUICK`).
    pub quick: bool,
    /// Train steps run to warm the fixture before criterion's clock started
    /// (0 for benches that do not train).
    pub warmup_steps: u64,
    /// Seconds those steps took.
    pub warmup_secs: f64,
    /// Seconds of the first warm-up step (the freshly initialised model).
    pub warmup_first_step_secs: Option<f64>,
    /// Median seconds per step over the last warm-up window.
    pub warmup_last_step_secs: Option<f64>,
    /// Whether the warm-up ended on two consecutive windows within its
    /// tolerance (rather than at its time cap).
    pub warmup_stable: bool,
    /// Samples criterion asked for that were timed again because the
    /// disturbance rule of `compare`'s epochs (run-queue wait, steal) or the
    /// canary (a reference matmul around the sample, `bench::canary`) marked
    /// the first timing disturbed (0 in files written before the retakes).
    #[serde(default)]
    pub samples_retaken: u64,
    /// Samples still disturbed after their last retake, kept as timed.
    #[serde(default)]
    pub samples_disturbed: u64,
    /// Why the last disturbed timing was disturbed (`steal 43% of the CPUs`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disturbance: Option<String>,
    /// The canary's tolerance (a fraction: 0.1 is 10% slower than its usual
    /// time), learnt from its own spread on this machine; `None` off the CPU
    /// and in files written before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canary_tolerance: Option<f64>,
    /// Times the bench was measured again, from its warm-up on, because
    /// its measurement was unsound ([`Measurement::unsound`]: its samples
    /// drifted, or most were disturbed); 0 when its first measurement held
    /// (and in files written before re-measuring). The samples in
    /// criterion's folder are the last measurement's.
    #[serde(default)]
    pub remeasurements: u64,
    /// Each measurement that a re-measurement replaced, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub replaced: Vec<Measurement>,
}

/// Largest share of a bench's samples that may stay disturbed after their
/// retakes before the measurement counts as unsound and is taken again: a
/// third. On a 2-vCPU AMD EPYC VM under 6% steal a forward bench of about
/// 5 ms kept 9 of 10 samples disturbed, spread from 4.5 to 72 ms with no
/// order in time, so that it was neither a drift nor a measurement.
pub const MAX_DISTURBED_SHARE: f64 = 1.0 / 3.0;

/// What decides whether one measurement of a bench stands.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Measurement {
    /// Median seconds per iteration of the last third of the samples over
    /// the first third's; `None` with fewer than 3 samples.
    pub thirds_ratio: Option<f64>,
    /// Whether the samples drift ([`Drift::drifts`]).
    pub drifts: bool,
    /// Samples taken.
    pub samples: u64,
    /// Samples still disturbed after their retakes.
    pub samples_disturbed: u64,
}

impl Measurement {
    /// The measurement whose per-iteration seconds were `sample_secs` (in
    /// measurement order), `samples_disturbed` of them still disturbed.
    pub fn of(sample_secs: &[f64], samples_disturbed: u64) -> Measurement {
        let drift = Drift::of(sample_secs);
        Measurement {
            thirds_ratio: drift.map(|d| d.ratio()),
            drifts: drift.is_some_and(|d| d.drifts()),
            samples: sample_secs.len() as u64,
            samples_disturbed,
        }
    }

    /// Whether it must be taken again: its samples drift, or more than
    /// [`MAX_DISTURBED_SHARE`] of them stayed disturbed.
    pub fn unsound(&self) -> bool {
        self.drifts || self.mostly_disturbed()
    }

    /// Whether more than [`MAX_DISTURBED_SHARE`] of the samples stayed disturbed.
    fn mostly_disturbed(&self) -> bool {
        self.samples_disturbed as f64 > MAX_DISTURBED_SHARE * self.samples as f64
    }

    /// `0.67`, `1.02, 9 of 10 disturbed`: the thirds' ratio, and the
    /// disturbed samples when they made it unsound.
    pub fn describe(&self) -> String {
        let ratio = self.thirds_ratio.map_or("—".into(), |r| format!("{r:.2}"));
        if self.mostly_disturbed() {
            format!(
                "{ratio}, {} of {} disturbed",
                self.samples_disturbed, self.samples
            )
        } else {
            ratio
        }
    }
}

/// Which benches of a run must be measured again ([`Measurement::unsound`]),
/// with each one's unsound measurements so far, by bench id. A measurement
/// that holds takes its bench off the list.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RemeasureLedger {
    pending: BTreeMap<String, Vec<Measurement>>,
}

impl RemeasureLedger {
    /// Records `measurement` of the bench `id` and returns the earlier
    /// unsound measurements it replaces (empty for a first measurement).
    pub fn record(&mut self, id: &str, measurement: Measurement) -> Vec<Measurement> {
        let replaced = self.pending.remove(id).unwrap_or_default();
        if measurement.unsound() {
            let mut all = replaced.clone();
            all.push(measurement);
            self.pending.insert(id.to_string(), all);
        }
        replaced
    }

    /// The benches whose last measurement was unsound, each with that
    /// measurement.
    pub fn pending(&self) -> Vec<(String, Measurement)> {
        self.pending
            .iter()
            .filter_map(|(id, all)| Some((id.clone(), *all.last()?)))
            .collect()
    }

    /// A regex matching exactly the ids of [`RemeasureLedger::pending`]
    /// (for criterion's filter); `None` when none is.
    pub fn filter(&self) -> Option<String> {
        (!self.pending.is_empty()).then(|| {
            let ids: Vec<String> = self.pending.keys().map(|id| regex::escape(id)).collect();
            format!("^({})$", ids.join("|"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bench_cells_round_trip_with_their_kernel() {
        for text in ["lstm", "lstm-native", "gru", "rnn-native", "gru-onednn"] {
            assert_eq!(text.parse::<BenchCell>().unwrap().to_string(), text);
        }
        let native: BenchCell = "lstm-native".parse().unwrap();
        assert_eq!(native, BenchCell::new(Cell::Lstm, KernelChoice::Native));
        let fused: BenchCell = "rnn-onednn".parse().unwrap();
        assert_eq!(fused, BenchCell::new(Cell::Rnn, KernelChoice::Onednn));
        let plain: BenchCell = "gru".parse().unwrap();
        assert_eq!(plain.kernel, KernelChoice::Auto);
        for bad in ["lstm-fast", "lstmnative", "-onednn"] {
            assert!(bad.parse::<BenchCell>().is_err(), "{bad}");
        }
        // A kernel bench is not a plain cell: the cell series leave it out.
        assert!("lstm-native".parse::<Cell>().is_err());
        assert!("gru-onednn".parse::<Cell>().is_err());
    }

    #[test]
    fn shapes_round_trip() {
        for text in [
            "h128-t200-b64-l1-th2",
            "h128-t200-b64-l2-bi-th2",
            "h10-t1-b1-l3-th0",
        ] {
            let shape: BenchShape = text.parse().unwrap();
            assert_eq!(shape.to_string(), text);
        }
        let s: BenchShape = "h128-t200-b64-l2-bi-th2".parse().unwrap();
        assert_eq!(
            s,
            BenchShape {
                hidden: 128,
                seq: 200,
                batch: 64,
                layers: 2,
                bidirectional: true,
                threads: 2
            }
        );
        assert_eq!(s.tokens(), 12_800);
    }

    #[test]
    fn other_names_are_not_shapes() {
        for text in [
            "n1024-th2",
            "padded-n4-h128-t400-b64-l1-th2",
            "h128-t200-b64-l1",
            "h128-t200-b64-l1-th2-bi",
            "h0-t200-b64-l1-th2",
            "t200-h128-b64-l1-th2",
            "h128-t200-b64-l1-th2-x",
        ] {
            assert!(text.parse::<BenchShape>().is_err(), "{text}");
        }
    }

    #[test]
    fn batching_and_matmul_round_trip() {
        for text in [
            "packed-n2-h128-t400-b64-l1-th2",
            "bucketed-n12-h64-t256-b32-l2-bi-th1",
        ] {
            let b: BatchingBench = text.parse().unwrap();
            assert_eq!(b.to_string(), text);
        }
        let b: BatchingBench = "bucketed-n12-h64-t256-b32-l2-bi-th1".parse().unwrap();
        assert_eq!(
            (b.mode, b.batches, b.shape.layers, b.shape.bidirectional),
            (BatchingMode::Bucketed, 12, 2, true)
        );
        assert!(
            "sorted-n4-h128-t400-b64-l1-th2"
                .parse::<BatchingBench>()
                .is_err()
        );
        assert!("h128-t200-b64-l1-th2".parse::<BatchingBench>().is_err());
        for mode in BatchingMode::ALL {
            assert_eq!(mode.to_string().parse::<BatchingMode>(), Ok(mode));
        }
        let m: MatmulBench = "n1024-th2".parse().unwrap();
        assert_eq!(
            (m.n, m.threads, m.to_string()),
            (1024, 2, "n1024-th2".into())
        );
        assert_eq!(m.flops(), 2.0 * 1024f64.powi(3));
        assert!("h128-t200-b64-l1-th2".parse::<MatmulBench>().is_err());
    }

    #[test]
    fn series_benches_round_trip() {
        for text in ["c12-e32-h64-t29-b16-l1-th2", "c3-e8-h10-t1-b1-l2-bi-th0"] {
            let b: SeriesBench = text.parse().unwrap();
            assert_eq!(b.to_string(), text);
        }
        let b: SeriesBench = "c12-e32-h76-t29-b16-l1-th2".parse().unwrap();
        assert_eq!(
            (
                b.channels,
                b.embed,
                b.shape.hidden,
                b.shape.seq,
                b.shape.batch
            ),
            (12, 32, 76, 29, 16)
        );
        assert_eq!(b.time_steps(), 16 * 29);
        for bad in [
            "h64-t29-b16-l1-th2",
            "c12-h64-t29-b16-l1-th2",
            "e32-c12-h64-t29-b16-l1-th2",
            "c0-e32-h64-t29-b16-l1-th2",
            "c12-e32-h64-t29-b16-l1",
            "c12-e32",
            "padded-n2-h128-t400-b64-l1-th2",
        ] {
            assert!(bad.parse::<SeriesBench>().is_err(), "{bad}");
        }
        // A series parameter is no other bench's.
        let text = "c12-e32-h64-t29-b16-l1-th2";
        assert!(text.parse::<BenchShape>().is_err());
        assert!(text.parse::<BatchingBench>().is_err());
        assert!(text.parse::<MatmulBench>().is_err());
    }

    #[test]
    fn the_series_headline_is_the_series_preset_matched_by_parameters() {
        let preset = crate::config::series_preset();
        assert_eq!(preset.hidden, Some(vec![SERIES_BENCH_LSTM_HIDDEN]));
        assert_eq!(preset.embed, Some(vec![SERIES_BENCH_EMBED]));
        assert_eq!(preset.batch_size, Some(vec![SERIES_BENCH_BATCH as usize]));
        let lstm = SeriesBench::headline(Cell::Lstm, 2);
        assert_eq!(lstm.to_string(), "c12-e32-h64-t29-b16-l1-th2");
        let gru = SeriesBench::headline(Cell::Gru, 2);
        assert_eq!(gru.to_string(), "c12-e32-h76-t29-b16-l1-th2");
        let rnn = SeriesBench::headline(Cell::Rnn, 2);
        assert_eq!(rnn.shape.hidden, 140);
        // The linear input layer: 12·32 + 32 parameters, no embedding.
        let shape = lstm.model_shape(Cell::Lstm);
        assert_eq!(shape.input_params(), 12 * 32 + 32);
        let params = shape.params();
        for other in [gru, rnn] {
            let cell = if other == gru { Cell::Gru } else { Cell::Rnn };
            let diff = (other.model_shape(cell).params() - params).abs();
            assert!(diff * 100 < params, "{other}: {diff} of {params}");
        }
        // 2·4·64·(32+64) per time step x 16·29, plus the head 2·9·64·16.
        assert_eq!(
            lstm.forward_flops(Cell::Lstm),
            2.0 * 4.0 * 64.0 * 96.0 * 464.0 + 2.0 * 9.0 * 64.0 * 16.0
        );
        assert_eq!(
            gru.train_step_flops(Cell::Gru),
            3.0 * gru.forward_flops(Cell::Gru)
        );
    }

    #[test]
    fn series_groups_train_and_pair_with_their_forward_group() {
        assert!(BenchGroup::SeriesTrainStep.trains() && !BenchGroup::SeriesForward.trains());
        assert!(BenchGroup::SeriesForward.is_series() && !BenchGroup::Forward.is_series());
        assert!(BenchGroup::SeriesForward.is_matched() && !BenchGroup::TrainStep.is_matched());
        assert_eq!(
            BenchGroup::SeriesTrainStep.forward_partner(),
            Some(BenchGroup::SeriesForward)
        );
        assert_eq!(
            BenchGroup::TrainStep.forward_partner(),
            Some(BenchGroup::Forward)
        );
        assert_eq!(BenchGroup::BatchingTrainStep.forward_partner(), None);
        assert_eq!(
            "series_train_step-cuda".parse::<BenchGroupId>(),
            Ok(BenchGroupId::new(BenchGroup::SeriesTrainStep, true))
        );
        assert_eq!(
            "series_forward".parse::<BenchGroupId>(),
            Ok(BenchGroupId::cpu(BenchGroup::SeriesForward))
        );
    }

    #[test]
    fn groups_round_trip() {
        for group in BenchGroup::ALL {
            for cuda in [false, true] {
                let id = BenchGroupId::new(group, cuda);
                assert_eq!(id.to_string().parse::<BenchGroupId>(), Ok(id));
            }
        }
        assert_eq!(
            "train_step-cuda".parse::<BenchGroupId>(),
            Ok(BenchGroupId::new(BenchGroup::TrainStep, true))
        );
        assert!("pipeline_imdb-mini".parse::<BenchGroupId>().is_err());
    }

    #[test]
    fn lstm_forward_flops_by_hand() {
        // 2·4·128·(128+128) per token x 64·200 tokens, plus the head 2·2·128·64.
        let s: BenchShape = "h128-t200-b64-l1-th2".parse().unwrap();
        assert_eq!(
            s.forward_flops(Cell::Lstm),
            2.0 * 4.0 * 128.0 * 256.0 * 12_800.0 + 32_768.0
        );
        assert_eq!(
            s.train_step_flops(Cell::Gru),
            3.0 * s.forward_flops(Cell::Gru)
        );
        let bi: BenchShape = "h10-t1-b1-l2-bi-th1".parse().unwrap();
        let layer0 = 2.0 * 2.0 * 3.0 * 10.0 * (128.0 + 10.0);
        let layer1 = 2.0 * 2.0 * 3.0 * 10.0 * (20.0 + 10.0);
        assert_eq!(
            bi.forward_flops(Cell::Gru),
            layer0 + layer1 + 2.0 * 2.0 * 2.0 * 10.0
        );
    }

    #[test]
    fn the_ledger_keeps_a_bench_until_a_measurement_holds() {
        let drifting = [1.0, 1.0, 1.0, 1.0, 1.2, 1.3, 1.3, 1.3, 1.3, 1.3];
        let steady = [1.0, 1.01, 0.99, 1.0, 1.0, 1.02, 1.0, 0.98, 1.0, 1.01];
        let mut ledger = RemeasureLedger::default();
        let a = "train_step/gru/h128-t200-b64-l1-th2";
        let b = "forward/lstm/h64-t50-b1-l1-th2";
        let c = "forward/rnn/h128-t50-b64-l1-th2";
        assert_eq!(ledger.record(a, Measurement::of(&drifting, 0)), vec![]);
        assert_eq!(ledger.record(b, Measurement::of(&steady, 3)), vec![]);
        assert_eq!(
            ledger.record("matmul/peak/n1024-th2", Measurement::of(&[1.0, 2.0], 0)),
            vec![]
        );
        // Steady, but 4 of 10 samples disturbed: more than a third.
        let busy = Measurement::of(&steady, 4);
        assert!(!busy.drifts && busy.unsound());
        assert_eq!(busy.describe(), "1.00, 4 of 10 disturbed");
        ledger.record(c, busy);
        let pending = ledger.pending();
        assert_eq!(pending.len(), 2);
        assert_eq!(pending[1].0, a);
        assert_eq!(pending[1].1.thirds_ratio, Some(1.3));
        assert_eq!(pending[1].1.describe(), "1.30");
        let filter = regex::Regex::new(&ledger.filter().unwrap()).unwrap();
        assert!(filter.is_match(a) && filter.is_match(c));
        assert!(!filter.is_match(b) && !filter.is_match(&format!("{a}x")));
        // Drifting again (the other way), then holding.
        let reversed: Vec<f64> = drifting.iter().rev().copied().collect();
        assert_eq!(ledger.record(a, Measurement::of(&reversed, 0)).len(), 1);
        let replaced = ledger.record(a, Measurement::of(&steady, 0));
        assert_eq!(replaced.len(), 2);
        assert!((replaced[1].thirds_ratio.unwrap() - 1.0 / 1.3).abs() < 1e-12);
        assert_eq!(ledger.record(c, Measurement::of(&steady, 1)), vec![busy]);
        assert_eq!(ledger.pending(), vec![]);
        assert_eq!(ledger.filter(), None);
    }
}
