//! The recurrent layer's train step (forward for training, then backward to
//! every input, weight and bias) against this machine's float32 matmul peak,
//! per cell and kernel: rnnbench's fused oneDNN cells and libtorch's own
//! kernels (`auto`: oneDNN for the LSTM only; `native`: its per-step loop).
//!
//! ```sh
//! cargo run --release --example layer_peak -- [THREADS]
//! ```
//!
//! Prints a markdown table: milliseconds per step (median of 15 after 3
//! warm-up steps) and GFLOP/s as a share of the matmul peak. The FLOPs are
//! the GEMMs' only: forward `2·N·T·(I+H)·G·H` (G gate blocks of H), backward
//! twice that (the data and the weight gradients); the gates' elementwise
//! work is left out, so the share is a lower bound. The peak is the best of
//! five 2048×2048 float32 products at the same thread count. Measure on a
//! quiet machine: the figures are timings.

use std::time::Instant;

use rnnbench::config::KernelChoice;
use rnnbench::model::{Cell, onednn};
use rnnbench::probe::kernel;
use tch::{Device, Kind, Tensor};

/// Timed steps per configuration, after [`WARMUP`].
const STEPS: usize = 15;
/// Untimed steps first.
const WARMUP: usize = 3;
/// Sequence length of every shape (rnnbench's default `--max-len`).
const SEQ: i64 = 128;
/// Input width (rnnbench's default `--embed`).
const INPUT: i64 = 64;

fn main() {
    let threads: i32 = std::env::args()
        .nth(1)
        .map(|t| t.parse().expect("THREADS is a number"))
        .unwrap_or(2);
    tch::set_num_threads(threads);
    let peak = matmul_peak_gflops();
    println!(
        "threads {threads}; float32 matmul peak (2048², best of 5): {peak:.0} GFLOP/s; T = {SEQ}, input {INPUT}\n"
    );
    println!("| cell | hidden | batch | kernel | ms per train step | GFLOP/s | share of peak |");
    println!("|---|---|---|---|---|---|---|");
    for cell in Cell::RECURRENT {
        for hidden in [64, 128] {
            for batch in [64, 128] {
                for choice in [
                    KernelChoice::Onednn,
                    KernelChoice::Auto,
                    KernelChoice::Native,
                ] {
                    if choice == KernelChoice::Onednn && !onednn::available() {
                        continue;
                    }
                    let secs = step_secs(cell, hidden, batch, choice);
                    let gflops = flops(cell, hidden, batch) / secs / 1e9;
                    println!(
                        "| {cell} | {hidden} | {batch} | {} | {:.2} | {gflops:.0} | {:.0}% |",
                        name(choice),
                        secs * 1e3,
                        100.0 * gflops / peak
                    );
                }
            }
        }
    }
}

fn name(choice: KernelChoice) -> &'static str {
    match choice {
        KernelChoice::Onednn => "onednn (fused)",
        KernelChoice::Auto => "auto (libtorch)",
        KernelChoice::Native => "native",
    }
}

/// The GEMM FLOPs of one train step of one layer.
fn flops(cell: Cell, hidden: i64, batch: i64) -> f64 {
    let g = cell.gate_blocks() as f64;
    let forward = 2.0 * (batch * SEQ) as f64 * (INPUT + hidden) as f64 * g * hidden as f64;
    3.0 * forward
}

/// The best of five 2048² float32 products, in GFLOP/s.
fn matmul_peak_gflops() -> f64 {
    let n = 2048;
    let a = Tensor::randn([n, n], (Kind::Float, Device::Cpu));
    let b = Tensor::randn([n, n], (Kind::Float, Device::Cpu));
    let _ = a.matmul(&b);
    (0..5)
        .map(|_| {
            let start = Instant::now();
            let c = a.matmul(&b);
            let secs = start.elapsed().as_secs_f64();
            drop(c);
            2.0 * (n * n * n) as f64 / secs / 1e9
        })
        .fold(0.0, f64::max)
}

/// The median seconds of one train step of `cell` under `choice`.
fn step_secs(cell: Cell, hidden: i64, batch: i64, choice: KernelChoice) -> f64 {
    tch::manual_seed(0);
    let opts = (Kind::Float, Device::Cpu);
    let g = cell.gate_blocks() * hidden;
    let leaf = |t: Tensor| t.set_requires_grad(true);
    let x = leaf(Tensor::randn([batch, SEQ, INPUT], opts));
    let h0 = leaf(Tensor::zeros([batch, hidden], opts));
    let c0 = leaf(Tensor::zeros([batch, hidden], opts));
    let scale = 1.0 / (hidden as f64).sqrt();
    let w_ih = leaf(Tensor::randn([g, INPUT], opts) * scale);
    let w_hh = leaf(Tensor::randn([g, hidden], opts) * scale);
    let b_ih = leaf(Tensor::zeros([g], opts));
    let b_hh = leaf(Tensor::zeros([g], opts));
    let grad_out = Tensor::randn([batch, SEQ, hidden], opts);
    kernel::apply(choice);
    let step = || {
        let out = if choice == KernelChoice::Onednn {
            let c = (cell == Cell::Lstm).then_some(&c0);
            onednn::layer(cell, &x, &h0, c, &w_ih, &w_hh, &b_ih, &b_hh)
                .expect("oneDNN layer")
                .out
        } else {
            let params = [&w_ih, &w_hh, &b_ih, &b_hh];
            let h = h0.unsqueeze(0);
            match cell {
                Cell::Lstm => {
                    let c = c0.unsqueeze(0);
                    x.lstm(&[&h, &c], &params, true, 1, 0.0, true, false, true)
                        .0
                }
                Cell::Gru => x.gru(&h, &params, true, 1, 0.0, true, false, true).0,
                Cell::Rnn => x.rnn_tanh(&h, &params, true, 1, 0.0, true, false, true).0,
                Cell::Transformer => unreachable!("only the recurrent cells are measured"),
            }
        };
        // A fixed upstream gradient: d(sum(out · grad_out))/d(out) = grad_out.
        (out * &grad_out).sum(Kind::Float).backward();
        for t in [&x, &h0, &c0, &w_ih, &w_hh, &b_ih, &b_hh] {
            let mut grad = t.grad();
            if grad.defined() {
                let _ = grad.zero_();
            }
        }
    };
    for _ in 0..WARMUP {
        step();
    }
    let mut secs: Vec<f64> = (0..STEPS)
        .map(|_| {
            let start = Instant::now();
            step();
            start.elapsed().as_secs_f64()
        })
        .collect();
    kernel::apply(KernelChoice::Auto);
    secs.sort_by(f64::total_cmp);
    secs[STEPS / 2]
}
