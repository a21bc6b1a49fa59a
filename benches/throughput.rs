//! Raw speed of the cells apart from accuracy: forward (inference, no
//! gradient) and train step (forward, backward, Adam step with clipping, as
//! `compare` does it) for LSTM, GRU and RNN at the same shapes.
//!
//! Names are `<group>/<cell>/<shape>`, shape `h{hidden}-t{seq}-b{batch}-l{layers}{-bi}-th{threads}`;
//! throughput is in tokens (batch x sequence length). `RNNBENCH_BENCH_QUICK=1`
//! runs a representative subset; `RNNBENCH_BENCH_DEVICE=cuda` benches on a GPU
//! (synchronised before every clock read).

use std::time::{Duration, Instant};

use criterion::{
    BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};
use rnnbench::model::{Cell, Classifier, ModelShape, hidden_for_budget};
use rnnbench::probe::device::{cuda_unavailable_reason, synchronize};
use tch::nn::OptimizerConfig;
use tch::{Device, Kind, Tensor, nn};

const VOCAB: i64 = 20_000;
const EMBED: i64 = 128;

/// One benchmarked shape.
#[derive(Debug, Clone, Copy)]
struct Shape {
    hidden: i64,
    seq: i64,
    batch: i64,
    layers: i64,
    bidirectional: bool,
}

impl Shape {
    fn name(&self, threads: i32) -> String {
        format!(
            "h{}-t{}-b{}-l{}{}-th{threads}",
            self.hidden,
            self.seq,
            self.batch,
            self.layers,
            if self.bidirectional { "-bi" } else { "" }
        )
    }
}

fn quick() -> bool {
    std::env::var("RNNBENCH_BENCH_QUICK").is_ok_and(|v| v != "0")
}

fn device() -> Option<Device> {
    match std::env::var("RNNBENCH_BENCH_DEVICE").as_deref() {
        Ok("cuda") => match cuda_unavailable_reason() {
            None => Some(Device::Cuda(0)),
            Some(reason) => {
                eprintln!("note: CUDA benches skipped: {reason}");
                None
            }
        },
        _ => Some(Device::Cpu),
    }
}

/// The sweep: hidden sizes at a fixed length, lengths at a fixed hidden size,
/// batch 1 latency, two layers, bidirectional.
fn shapes() -> Vec<Shape> {
    let base = Shape {
        hidden: 128,
        seq: 200,
        batch: 64,
        layers: 1,
        bidirectional: false,
    };
    if quick() {
        return vec![
            base,
            Shape {
                hidden: 256,
                ..base
            },
            Shape { seq: 50, ..base },
            Shape { batch: 1, ..base },
        ];
    }
    let mut shapes = vec![];
    for hidden in [64, 128, 256, 512] {
        shapes.push(Shape { hidden, ..base });
    }
    for seq in [50, 100, 400] {
        shapes.push(Shape { seq, ..base });
    }
    shapes.push(Shape { batch: 1, ..base });
    shapes.push(Shape { layers: 2, ..base });
    shapes.push(Shape {
        bidirectional: true,
        ..base
    });
    shapes
}

struct Fixture {
    _vs: nn::VarStore,
    model: Classifier,
    optimizer: nn::Optimizer,
    tokens: Tensor,
    lengths: Tensor,
    labels: Tensor,
}

fn fixture(cell: Cell, shape: Shape, device: Device) -> Fixture {
    tch::manual_seed(0);
    let vs = nn::VarStore::new(device);
    let model_shape = ModelShape {
        cell,
        vocab_size: VOCAB,
        embed_size: EMBED,
        hidden_size: shape.hidden,
        layers: shape.layers,
        bidirectional: shape.bidirectional,
        classes: 2,
    };
    let model = Classifier::new(&vs.root(), model_shape, 0.3);
    let optimizer = nn::Adam::default().build(&vs, 2e-3).expect("Adam builds");
    let tokens = Tensor::randint_low(2, VOCAB, [shape.batch, shape.seq], (Kind::Int64, device));
    let lengths = Tensor::full([shape.batch], shape.seq, (Kind::Int64, Device::Cpu));
    let labels = Tensor::randint(2, [shape.batch], (Kind::Int64, device));
    Fixture {
        _vs: vs,
        model,
        optimizer,
        tokens,
        lengths,
        labels,
    }
}

/// Times `iters` calls of `f`, synchronising the device before reading the clock.
fn timed(iters: u64, device: Device, mut f: impl FnMut()) -> Duration {
    synchronize(device);
    let start = Instant::now();
    for _ in 0..iters {
        f();
    }
    synchronize(device);
    start.elapsed()
}

fn train_step(f: &mut Fixture) {
    let logits = f
        .model
        .forward(&f.tokens, &f.lengths, true)
        .expect("forward");
    let loss = logits.cross_entropy_for_logits(&f.labels);
    f.optimizer.zero_grad();
    loss.backward();
    f.optimizer.clip_grad_norm(1.0);
    f.optimizer.step();
}

fn cells(c: &mut Criterion) {
    let Some(device) = device() else { return };
    let threads = tch::get_num_threads();
    let device_tag = if device == Device::Cpu { "" } else { "-cuda" };
    for (group_name, train) in [("forward", false), ("train_step", true)] {
        let mut group = c.benchmark_group(format!("{group_name}{device_tag}"));
        group.sampling_mode(SamplingMode::Flat);
        group.sample_size(10);
        group.warm_up_time(Duration::from_millis(500));
        group.measurement_time(Duration::from_secs(if quick() { 2 } else { 3 }));
        for shape in shapes() {
            group.throughput(Throughput::Elements((shape.batch * shape.seq) as u64));
            for cell in Cell::ALL {
                let mut f = fixture(cell, shape, device);
                group.bench_function(BenchmarkId::new(cell.name(), shape.name(threads)), |b| {
                    b.iter_custom(|iters| {
                        timed(iters, device, || {
                            if train {
                                train_step(&mut f);
                            } else {
                                let _ =
                                    tch::no_grad(|| f.model.forward(&f.tokens, &f.lengths, false));
                            }
                        })
                    })
                });
            }
        }
        group.finish();
    }
}

/// The shapes `compare` trains by default, matched by parameter count: LSTM
/// 128, and GRU and RNN at the hidden size of the same budget.
fn matched(c: &mut Criterion) {
    let Some(device) = device() else { return };
    let threads = tch::get_num_threads();
    let device_tag = if device == Device::Cpu { "" } else { "-cuda" };
    let mut group = c.benchmark_group(format!("train_step_matched{device_tag}"));
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(3));
    let lstm = ModelShape {
        cell: Cell::Lstm,
        vocab_size: VOCAB,
        embed_size: EMBED,
        hidden_size: 128,
        layers: 1,
        bidirectional: false,
        classes: 2,
    };
    for cell in Cell::ALL {
        let hidden = if cell == Cell::Lstm {
            128
        } else {
            hidden_for_budget(ModelShape { cell, ..lstm }, lstm.params(), 4096)
        };
        let shape = Shape {
            hidden,
            seq: 200,
            batch: 64,
            layers: 1,
            bidirectional: false,
        };
        group.throughput(Throughput::Elements((shape.batch * shape.seq) as u64));
        let mut f = fixture(cell, shape, device);
        group.bench_function(BenchmarkId::new(cell.name(), shape.name(threads)), |b| {
            b.iter_custom(|iters| timed(iters, device, || train_step(&mut f)))
        });
    }
    group.finish();
}

/// This machine's matrix-multiply peak, the bench report's yardstick for
/// efficiency: a 1024 x 1024 x 1024 float32 product (2 x 1024^3 FLOPs).
fn matmul(c: &mut Criterion) {
    let Some(device) = device() else { return };
    let threads = tch::get_num_threads();
    let n = 1024;
    let a = Tensor::randn([n, n], (Kind::Float, device));
    let b = Tensor::randn([n, n], (Kind::Float, device));
    let device_tag = if device == Device::Cpu { "" } else { "-cuda" };
    let mut group = c.benchmark_group(format!("matmul{device_tag}"));
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(2));
    group.throughput(Throughput::Elements((2 * n * n * n) as u64));
    group.bench_function(
        BenchmarkId::new("peak", format!("n{n}-th{threads}")),
        |bench| bench.iter_custom(|iters| timed(iters, device, || drop(a.matmul(&b)))),
    );
    group.finish();
}

criterion_group! {
    name = benches;
    // Criterion's plots need system fonts (plotters' ttf); the bench report draws its own.
    config = Criterion::default().without_plots();
    targets = matmul, matched, cells
}
criterion_main!(benches);
