//! Raw speed of the cells apart from accuracy: forward (inference, no
//! gradient) and train step (forward, backward, Adam step with clipping, as
//! `compare` does it) for LSTM, GRU and RNN at the same shapes (and the
//! Transformer along the length line, for its exponent in T), in their
//! steady state.
//!
//! Names are `<group>/<cell>/<shape>` with the model layer's types
//! ([`BenchGroupId`], [`BenchShape`] `h{hidden}-t{seq}-b{batch}-l{layers}[-bi]-th{threads}`,
//! [`BatchingBench`], [`SeriesBench`], [`MatmulBench`]), which `report --bench` parses back;
//! throughput is in tokens (batch x sequence length), or time steps for
//! numeric series.
//!
//! Environment:
//! - `RNNBENCH_BENCH_QUICK=1` runs a representative subset (hidden 64 and
//!   128, lengths 50 and 200, forward-only batching, the series groups
//!   whole: about two minutes on 2 cores);
//! - `RNNBENCH_BENCH_DEVICE=cuda` benches on a GPU (synchronised before
//!   every clock read);
//! - `RNNBENCH_FLUSH_DENORMAL=on|off` (default `on`): flush subnormal floats
//!   to zero. Backpropagation through a few hundred steps of a freshly
//!   initialised recurrent net drives early-step gradients into the
//!   subnormal range, which x86 cores (Intel's especially) process through
//!   slow microcode assists: on this Xeon an LSTM train step at h128-t200-b64
//!   runs several times slower over its first 20-odd steps. Real training
//!   leaves that phase within its first batches; the benches measure the
//!   cells' steady-state cost, so by default they flush, which makes the
//!   first step already steady. `off` keeps libtorch's default and shows
//!   what the phase costs.
//!
//! Steady state: every fixture trains on a pool of [`POOL`] varied batches
//! (so it cannot overfit one batch into another subnormal regime) and is
//! warmed before criterion's clock starts until its step time settles
//! (`harness`); the warm-up and the flush setting are recorded per bench in
//! criterion's folder, and the bench report checks that the first and last
//! thirds of each bench's samples agree. A bench whose samples drift, or
//! whose samples mostly stayed disturbed, is measured again after the
//! others, up to twice (`harness::remeasure_unsound`), and the report names
//! each measurement a re-measurement replaced.
//!
//! Groups:
//! - `forward`, `train_step`: the sweep ([`shapes`]) for every cell, plus the
//!   (hidden, length) grid points of [`grid_shapes`] for LSTM and GRU, so the
//!   bench report can map the GRU/LSTM time ratio over the grid;
//! - `train_step_matched`: `compare`'s default shapes, matched by parameter count;
//! - `batching_forward`, `batching_train_step` (LSTM and GRU; forward only in
//!   quick mode): one slice of an epoch of the bundled imdb-mini (two batches
//!   of 64 real reviews, capped at [`BATCHING_MAX_LEN`] tokens) timed three
//!   ways over the same examples: random batches padded to the
//!   cap (`padded`), the same batches packed (`packed`), and length-bucketed
//!   batches padded to their own longest member as `compare` makes them
//!   (`bucketed`). Shape `{mode}-n{batches}-h…-t{cap}-b…-l…-th…`, throughput
//!   in real tokens;
//! - `streaming_step`: one token per call at batch 1, the state carried;
//! - `series_forward`, `series_train_step` (every recurrent cell, quick and
//!   full alike): numeric series through the linear input layer at the
//!   series preset's headline, [`SeriesBench::headline`]: 12 channels,
//!   embedding 32, LSTM hidden 64 and GRU and RNN matched to its parameter
//!   count, 29 time steps (japanese-vowels' longest), batch 16, one layer,
//!   on random standard-normal values (what standardised series look like).
//!   Shape `c{channels}-e{embed}-h…-t…-b…-l…-th…`, throughput in time steps;
//! - `matmul`: this machine's matrix-multiply peak.

#[path = "throughput/harness.rs"]
mod harness;

use criterion::{Criterion, Throughput, criterion_group};
use rnnbench::bench::{
    BENCH_VOCAB, BatchingBench, BatchingMode, BenchCell, BenchGroup, BenchGroupId, BenchShape,
    MatmulBench, SERIES_BENCH_CLASSES, SeriesBench,
};
use rnnbench::config::KernelChoice;
use rnnbench::data::{Columns, DatasetSource, Encoded, Keep, PrepareOptions, epoch_slice};
use rnnbench::model::{Cell, Classifier, ModelShape, RecurrentKernel, hidden_for_budget, onednn};
use rnnbench::probe::kernel;
use rnnbench::train::adam::{Adam, AdamSettings};
use rnnbench::train::fit::clip_grad_norm;
use tch::{Device, Kind, Tensor, nn};

use harness::{bench, group, quick, setup};

/// Batches each cell-bench fixture cycles through.
const POOL: usize = 8;

/// The base of the sweep on this machine's threads: hidden 128, 200
/// tokens, batch 64, one unidirectional layer.
fn base_shape() -> BenchShape {
    BenchShape {
        hidden: 128,
        seq: 200,
        batch: 64,
        layers: 1,
        bidirectional: false,
        threads: i64::from(tch::get_num_threads()),
    }
}

/// The criterion group of `group` on `device`.
fn group_id(group: BenchGroup, device: Device) -> String {
    BenchGroupId::new(group, device != Device::Cpu).to_string()
}

/// The sweep: hidden sizes at a fixed length, lengths at a fixed hidden size,
/// batch 1 latency, two layers, bidirectional. Quick: the base, one smaller
/// hidden size and one shorter length (enough for both fitted exponents;
/// the bigger sizes cost most of the time).
fn shapes() -> Vec<BenchShape> {
    let base = base_shape();
    if quick() {
        return vec![
            BenchShape { hidden: 64, ..base },
            base,
            BenchShape { seq: 50, ..base },
        ];
    }
    let mut shapes = vec![];
    for hidden in [64, 128, 256, 512] {
        shapes.push(BenchShape { hidden, ..base });
    }
    for seq in [50, 100, 400] {
        shapes.push(BenchShape { seq, ..base });
    }
    shapes.push(BenchShape { batch: 1, ..base });
    shapes.push(BenchShape { layers: 2, ..base });
    shapes.push(BenchShape {
        bidirectional: true,
        ..base
    });
    shapes
}

/// The headline shapes the cells are also benched at on other kernels: the
/// LSTM on libtorch's native loop (`lstm-native`) and every recurrent cell
/// on rnnbench's fused oneDNN cells (`<cell>-onednn`, CPU only), at the
/// base and the smaller hidden size (quick and full alike), so the report
/// can split each GRU/LSTM ratio into cell and kernel.
fn kernel_shapes() -> Vec<BenchShape> {
    let base = base_shape();
    vec![BenchShape { hidden: 64, ..base }, base]
}

/// The kernel variants benched at a [`kernel_shapes`] point beside the
/// plain cells (libtorch's choice) on `device`.
fn kernel_variants(device: Device) -> Vec<BenchCell> {
    let mut variants = vec![BenchCell::new(Cell::Lstm, KernelChoice::Native)];
    if device == Device::Cpu && onednn::available() {
        variants.extend(
            Cell::RECURRENT
                .into_iter()
                .map(|cell| BenchCell::new(cell, KernelChoice::Onednn)),
        );
    }
    variants
}

/// Runs `f` with `choice`'s libtorch switches (`--kernel native|onednn`),
/// giving it the recurrent kernel to build its model with (the fused cells
/// of `onednn` are the model's, not a switch), then restores libtorch's own
/// choice.
fn with_kernel(choice: KernelChoice, f: impl FnOnce(RecurrentKernel)) {
    kernel::apply(choice);
    f(choice.recurrent());
    kernel::apply(KernelChoice::Auto);
}

/// The (hidden, length) grid of train steps at batch 64 behind the bench
/// report's GRU/LSTM ratio map, less the points [`shapes`] already benches.
fn grid_shapes() -> Vec<BenchShape> {
    let base = base_shape();
    let (hiddens, seqs): (&[i64], &[i64]) = if quick() {
        (&[64, 128], &[50, 200])
    } else {
        (&[64, 128, 256], &[50, 200, 400])
    };
    let swept = shapes();
    let mut grid = vec![];
    for &hidden in hiddens {
        for &seq in seqs {
            let shape = BenchShape {
                hidden,
                seq,
                ..base
            };
            if !swept.contains(&shape) {
                grid.push(shape);
            }
        }
    }
    grid
}

/// One batch as tensors: token ids `[batch, seq]` (or numeric values
/// `[batch, seq, channels]`), lengths `[batch]` (on the CPU), labels `[batch]`.
struct BatchTensors {
    inputs: Tensor,
    lengths: Tensor,
    labels: Tensor,
}

/// A model, its optimiser and the batches it cycles through.
struct Fixture {
    _vs: nn::VarStore,
    model: Classifier,
    optimizer: Adam,
    trainable: Vec<Tensor>,
    batches: Vec<BatchTensors>,
    next: usize,
}

/// A classifier of `cell` at `shape` (seeded) on `kernel` and its Adam
/// optimiser.
fn model(
    cell: Cell,
    shape: BenchShape,
    device: Device,
    kernel: RecurrentKernel,
) -> (nn::VarStore, Classifier, Adam) {
    classifier(shape.model_shape(cell), device, kernel)
}

/// A classifier of `shape` (seeded) on `kernel` and its Adam optimiser.
fn classifier(
    shape: ModelShape,
    device: Device,
    kernel: RecurrentKernel,
) -> (nn::VarStore, Classifier, Adam) {
    tch::manual_seed(0);
    let vs = nn::VarStore::new(device);
    let model = Classifier::new(&vs.root(), shape, 0.3, kernel);
    let optimizer = Adam::new(&vs, AdamSettings::new(2e-3, 0.0));
    (vs, model, optimizer)
}

/// A fixture of `cell` at `shape` on `kernel` with [`POOL`] batches of
/// random tokens and labels (full length: the cell benches time `seq` real
/// tokens per row).
fn fixture(cell: Cell, shape: BenchShape, device: Device, kernel: RecurrentKernel) -> Fixture {
    let (vs, model, optimizer) = model(cell, shape, device, kernel);
    let batches = (0..POOL)
        .map(|_| BatchTensors {
            inputs: Tensor::randint_low(
                2,
                BENCH_VOCAB,
                [shape.batch, shape.seq],
                (Kind::Int64, device),
            ),
            lengths: Tensor::full([shape.batch], shape.seq, (Kind::Int64, Device::Cpu)),
            labels: Tensor::randint(2, [shape.batch], (Kind::Int64, device)),
        })
        .collect();
    Fixture {
        trainable: vs.trainable_variables(),
        _vs: vs,
        model,
        optimizer,
        batches,
        next: 0,
    }
}

/// A series fixture of `cell` at `series` with [`POOL`] batches of random
/// standard-normal values `[batch, seq, channels]` (full length) and labels
/// of [`SERIES_BENCH_CLASSES`] classes.
fn series_fixture(cell: Cell, series: SeriesBench, device: Device) -> Fixture {
    let (vs, model, optimizer) =
        classifier(series.model_shape(cell), device, RecurrentKernel::Libtorch);
    let shape = series.shape;
    let batches = (0..POOL)
        .map(|_| BatchTensors {
            inputs: Tensor::randn(
                [shape.batch, shape.seq, series.channels],
                (Kind::Float, device),
            ),
            lengths: Tensor::full([shape.batch], shape.seq, (Kind::Int64, Device::Cpu)),
            labels: Tensor::randint(SERIES_BENCH_CLASSES, [shape.batch], (Kind::Int64, device)),
        })
        .collect();
    Fixture {
        trainable: vs.trainable_variables(),
        _vs: vs,
        model,
        optimizer,
        batches,
        next: 0,
    }
}

impl Fixture {
    /// One train step on the next batch.
    fn train_step(&mut self) {
        self.next = (self.next + 1) % self.batches.len();
        let b = &self.batches[self.next];
        let logits = self
            .model
            .forward(&b.inputs, &b.lengths, true)
            .expect("forward");
        optimise(&mut self.optimizer, &self.trainable, &logits, &b.labels);
    }

    /// One forward pass without gradients on the next batch.
    fn forward(&mut self) {
        self.next = (self.next + 1) % self.batches.len();
        let b = &self.batches[self.next];
        drop(tch::no_grad(|| {
            self.model.forward(&b.inputs, &b.lengths, false)
        }));
    }
}

/// Backward pass and Adam step with clipping, as `compare` trains.
fn optimise(optimizer: &mut Adam, trainable: &[Tensor], logits: &Tensor, labels: &Tensor) {
    let loss = logits.cross_entropy_for_logits(labels);
    optimizer.zero_grad();
    loss.backward();
    clip_grad_norm(trainable, 1.0).expect("clipping");
    optimizer.step().expect("Adam step");
}

fn cells(c: &mut Criterion) {
    let Some(device) = setup().device else {
        return;
    };
    for bench_group in [BenchGroup::Forward, BenchGroup::TrainStep] {
        let name = group_id(bench_group, device);
        let mut g = group(c, &name);
        // The Transformer along the length line only (hidden, its
        // feed-forward width, at the base): its exponent in T beside the
        // cells' (the attention's T² term).
        let base = base_shape();
        let sweep = shapes().into_iter().map(|s| {
            let on_length_line = BenchShape { seq: base.seq, ..s } == base;
            let cells: &[Cell] = if on_length_line {
                &Cell::ALL
            } else {
                &Cell::RECURRENT
            };
            (s, cells)
        });
        let grid = grid_shapes()
            .into_iter()
            .map(|s| (s, &[Cell::Lstm, Cell::Gru][..]));
        for (shape, cells) in sweep.chain(grid) {
            g.throughput(Throughput::Elements(shape.tokens() as u64));
            for &cell in cells {
                let mut f = fixture(cell, shape, device, RecurrentKernel::Libtorch);
                bench(&mut g, &name, cell.name(), shape, device, || {
                    if bench_group.trains() {
                        f.train_step();
                    } else {
                        f.forward();
                    }
                });
            }
            if kernel_shapes().contains(&shape) {
                for variant in kernel_variants(device) {
                    with_kernel(variant.kernel, |kernel| {
                        let mut f = fixture(variant.cell, shape, device, kernel);
                        bench(&mut g, &name, &variant.to_string(), shape, device, || {
                            if bench_group.trains() {
                                f.train_step();
                            } else {
                                f.forward();
                            }
                        });
                    });
                }
            }
        }
        g.finish();
    }
}

/// The shapes `compare` trains by default, matched by parameter count: LSTM
/// 128, and GRU and RNN at the hidden size of the same budget (quick: LSTM
/// and GRU).
fn matched(c: &mut Criterion) {
    let Some(device) = setup().device else {
        return;
    };
    let name = group_id(BenchGroup::TrainStepMatched, device);
    let mut g = group(c, &name);
    let base = base_shape();
    let lstm = base.model_shape(Cell::Lstm);
    let cells: &[Cell] = if quick() {
        &[Cell::Lstm, Cell::Gru]
    } else {
        &Cell::RECURRENT
    };
    for &cell in cells {
        let hidden = if cell == Cell::Lstm {
            base.hidden
        } else {
            hidden_for_budget(base.model_shape(cell), lstm.params(), 4096)
        };
        let shape = BenchShape { hidden, ..base };
        g.throughput(Throughput::Elements(shape.tokens() as u64));
        let mut f = fixture(cell, shape, device, RecurrentKernel::Libtorch);
        bench(&mut g, &name, cell.name(), shape, device, || f.train_step());
        for variant in kernel_variants(device) {
            if variant.cell == cell {
                with_kernel(variant.kernel, |kernel| {
                    let mut f = fixture(cell, shape, device, kernel);
                    let id = variant.to_string();
                    bench(&mut g, &name, &id, shape, device, || f.train_step());
                });
            }
        }
    }
    g.finish();
}

/// This machine's matrix-multiply peak, the bench report's yardstick for
/// efficiency: a 1024 x 1024 x 1024 float32 product (2 x 1024^3 FLOPs).
fn matmul(c: &mut Criterion) {
    let Some(device) = setup().device else {
        return;
    };
    let peak = MatmulBench {
        n: 1024,
        threads: i64::from(tch::get_num_threads()),
    };
    let a = Tensor::randn([peak.n, peak.n], (Kind::Float, device));
    let b = Tensor::randn([peak.n, peak.n], (Kind::Float, device));
    let name = group_id(BenchGroup::Matmul, device);
    let mut g = group(c, &name);
    g.throughput(Throughput::Elements(peak.flops() as u64));
    bench(&mut g, &name, "peak", peak, device, || drop(a.matmul(&b)));
    g.finish();
}

/// Longest review kept in the batching benches (tokens): the `imdb` preset's
/// `--max-len`, so that most reviews fit and lengths stay uneven.
const BATCHING_MAX_LEN: usize = 400;

/// `indices` of `split` as tensors, right-padded to `pad_to` tokens (or to
/// the longest member when that is longer).
fn batch_tensors(
    split: &Encoded,
    indices: &[usize],
    pad_to: usize,
    device: Device,
) -> BatchTensors {
    let data = split.batch(indices);
    let seq = data.seq_len.max(pad_to);
    let mut tokens = vec![0i64; data.batch_size * seq];
    for row in 0..data.batch_size {
        tokens[row * seq..row * seq + data.seq_len]
            .copy_from_slice(&data.tokens[row * data.seq_len..(row + 1) * data.seq_len]);
    }
    BatchTensors {
        inputs: Tensor::from_slice(&tokens)
            .view([data.batch_size as i64, seq as i64])
            .to_device(device),
        lengths: Tensor::from_slice(&data.lengths),
        labels: Tensor::from_slice(&data.labels).to_device(device),
    }
}

/// The training split of imdb-mini, reviews cut to [`BATCHING_MAX_LEN`]
/// tokens; `None` (with a note) when it cannot be read.
fn imdb_mini() -> Option<Encoded> {
    let source = DatasetSource::Named("imdb-mini".into());
    let opts = PrepareOptions {
        max_len: BATCHING_MAX_LEN,
        keep: Keep::Last,
        vocab_size: BENCH_VOCAB as usize,
        min_count: 1,
        val_fraction: 0.1,
        seed: 1,
    };
    let prepared = rnnbench::data::load_corpus(&source, &Columns::default())
        .and_then(|corpus| rnnbench::data::prepare(&corpus, &opts));
    match prepared {
        Ok(p) => Some(p.train),
        Err(e) => {
            eprintln!("note: batching benches skipped, imdb-mini does not load: {e:#}");
            None
        }
    }
}

/// Padded, packed and length-bucketed batches of real, uneven review lengths
/// (see the module doc), forward and train step, at the same real tokens.
fn batching(c: &mut Criterion) {
    let Some(device) = setup().device else {
        return;
    };
    let Some(split) = imdb_mini() else { return };
    let batches = 2;
    let shape = BenchShape {
        seq: BATCHING_MAX_LEN as i64,
        ..base_shape()
    };
    let lengths = split.lengths();
    let slice = epoch_slice(&lengths, shape.batch as usize, batches, 1);
    let real_tokens = slice.real_tokens(&lengths);
    let cells_padded = slice.random.len() * BATCHING_MAX_LEN * shape.batch as usize;
    let cells_bucketed: usize = slice
        .bucketed
        .iter()
        .map(|b| b.iter().map(|&i| lengths[i]).max().unwrap_or(0) * b.len())
        .sum();
    println!(
        "batching: {} batches of {} imdb-mini reviews, {real_tokens} real tokens; padding: {:.1}% padded to {BATCHING_MAX_LEN}, {:.1}% bucketed, 0% packed",
        slice.random.len(),
        shape.batch,
        100.0 * (1.0 - real_tokens as f64 / cells_padded as f64),
        100.0 * (1.0 - real_tokens as f64 / cells_bucketed as f64),
    );
    let random: Vec<BatchTensors> = slice
        .random
        .iter()
        .map(|b| batch_tensors(&split, b, BATCHING_MAX_LEN, device))
        .collect();
    let bucketed: Vec<BatchTensors> = slice
        .bucketed
        .iter()
        .map(|b| batch_tensors(&split, b, 0, device))
        .collect();
    // LSTM and GRU only: a packed train step is several times slower than a
    // padded one on the CPU (libtorch runs packed sequences step by step),
    // which makes these the costliest benches of the sweep.
    let cells = [Cell::Lstm, Cell::Gru];
    let groups: &[BenchGroup] = if quick() {
        &[BenchGroup::BatchingForward]
    } else {
        &[BenchGroup::BatchingForward, BenchGroup::BatchingTrainStep]
    };
    for &bench_group in groups {
        let train = bench_group.trains();
        let name = group_id(bench_group, device);
        let mut g = group(c, &name);
        g.throughput(Throughput::Elements(real_tokens as u64));
        for cell in cells {
            let (vs, classifier, mut optimizer) =
                model(cell, shape, device, RecurrentKernel::Libtorch);
            let trainable = vs.trainable_variables();
            for mode in BatchingMode::ALL {
                let data = if mode == BatchingMode::Bucketed {
                    &bucketed
                } else {
                    &random
                };
                let parameter = BatchingBench {
                    mode,
                    batches: slice.random.len() as i64,
                    shape,
                };
                bench(&mut g, &name, cell.name(), parameter, device, || {
                    for batch in data {
                        let logits = |train: bool| {
                            if mode == BatchingMode::Packed {
                                classifier.forward_packed(&batch.inputs, &batch.lengths, train)
                            } else {
                                classifier.forward(&batch.inputs, &batch.lengths, train)
                            }
                            .expect("forward")
                        };
                        if train {
                            optimise(&mut optimizer, &trainable, &logits(true), &batch.labels);
                        } else {
                            drop(tch::no_grad(|| logits(false)));
                        }
                    }
                });
            }
        }
        g.finish();
    }
}

/// Streaming: one token per call at batch 1 with the state carried (what a
/// real-time predictor does per arriving token), every cell at hidden
/// 64–512 (quick: 64 and 256); throughput in tokens.
fn streaming(c: &mut Criterion) {
    let Some(device) = setup().device else {
        return;
    };
    let name = group_id(BenchGroup::StreamingStep, device);
    let mut g = group(c, &name);
    let hiddens: &[i64] = if quick() {
        &[64, 256]
    } else {
        &[64, 128, 256, 512]
    };
    for &hidden in hiddens {
        let shape = BenchShape {
            hidden,
            seq: 1,
            batch: 1,
            ..base_shape()
        };
        g.throughput(Throughput::Elements(1));
        for cell in Cell::RECURRENT {
            let (_vs, classifier, _) = model(cell, shape, device, RecurrentKernel::Libtorch);
            let mut state = classifier.zero_state(1, device).expect("unidirectional");
            let token = Tensor::from_slice(&[7i64]).to_device(device);
            bench(&mut g, &name, cell.name(), shape, device, || {
                drop(tch::no_grad(|| classifier.step(&token, &mut state)));
            });
        }
    }
    g.finish();
}

/// Numeric series through the linear input layer: forward and train step
/// of every recurrent cell at the series headline
/// ([`SeriesBench::headline`]), quick and full alike (they are cheap);
/// throughput in time steps.
fn series(c: &mut Criterion) {
    let Some(device) = setup().device else {
        return;
    };
    let threads = i64::from(tch::get_num_threads());
    for bench_group in [BenchGroup::SeriesForward, BenchGroup::SeriesTrainStep] {
        let name = group_id(bench_group, device);
        let mut g = group(c, &name);
        for cell in Cell::RECURRENT {
            let parameter = SeriesBench::headline(cell, threads);
            g.throughput(Throughput::Elements(parameter.time_steps() as u64));
            let mut f = series_fixture(cell, parameter, device);
            bench(&mut g, &name, cell.name(), parameter, device, || {
                if bench_group.trains() {
                    f.train_step();
                } else {
                    f.forward();
                }
            });
        }
        g.finish();
    }
}

/// Every bench of this binary, in order.
fn all(c: &mut Criterion) {
    matmul(c);
    matched(c);
    cells(c);
    batching(c);
    streaming(c);
    series(c);
}

criterion_group! {
    name = benches;
    config = harness::criterion();
    targets = all
}

fn main() {
    // The allocator compare's workers train under, so a bench's train step
    // is the one a run's epochs are made of.
    rnnbench::probe::allocator::keep_freed_memory();
    benches();
    harness::remeasure_unsound(all);
    Criterion::default().configure_from_args().final_summary();
}
