//! The recurrent layer's train step (forward for training, then backward to
//! the input, the initial state and every weight and bias) on rnnbench's
//! fused oneDNN cells against libtorch's own kernel for the same cell (for
//! the LSTM: libtorch's oneDNN; GRU and RNN: its native loop), timed A/B:
//! the two alternate call by call in one process, so a change of machine
//! load hits both alike. Measured as a ratio because the machine is shared.
//!
//! ```sh
//! cargo run --release --example fused_ab -- [THREADS] [SEQ] [REPEATS] [CELLS]
//! ```
//!
//! Defaults: 1 thread, 200 steps (the benches' base length), 15 timed
//! pairs after 3 warm-up pairs, `lstm`; CELLS is a comma-separated list
//! (`lstm,gru,rnn`). Prints a markdown table per shape (hidden 64 and 128
//! × batch 64 and 128, input 64): the fused step's and libtorch's
//! milliseconds (minimum and median) and the ratio fused / libtorch of the
//! minima and of the medians of the pairs' ratios.

use std::time::Instant;

use rnnbench::config::KernelChoice;
use rnnbench::model::{Cell, onednn};
use rnnbench::probe::kernel;
use tch::{Device, Kind, Tensor};

/// Untimed pairs first.
const WARMUP: usize = 3;
/// Input width (rnnbench's default `--embed`).
const INPUT: i64 = 64;

fn main() {
    let arg = |i: usize, default: usize| {
        std::env::args()
            .nth(i)
            .map_or(default, |a| a.parse().expect("a number"))
    };
    let threads = arg(1, 1);
    let seq = arg(2, 200) as i64;
    let repeats = arg(3, 15);
    let cells = std::env::args().nth(4).unwrap_or_else(|| "lstm".into());
    assert!(onednn::available(), "the fused kernel is unavailable here");
    tch::set_num_threads(threads as i32);
    kernel::set_flush_denormal(true);
    kernel::apply(KernelChoice::Auto);
    println!("threads {threads}, T {seq}, input {INPUT}, {repeats} timed pairs\n");
    println!(
        "| cell | hidden | batch | fused ms min / median | libtorch ms min / median | ratio of minima | median ratio |"
    );
    println!("|---|---|---|---|---|---|---|");
    for cell in cells.split(',').map(parse_cell) {
        for hidden in [64, 128] {
            for batch in [64, 128] {
                let layer = Layer::new(cell, hidden, batch, seq);
                let (fused, native) = layer.ab(repeats);
                let ratios: Vec<f64> = fused.iter().zip(&native).map(|(f, n)| f / n).collect();
                let (f, n) = (sorted(fused), sorted(native));
                println!(
                    "| {cell} | {hidden} | {batch} | {:.1} / {:.1} | {:.1} / {:.1} | {:.2} | {:.2} |",
                    f[0] * 1e3,
                    median(&f) * 1e3,
                    n[0] * 1e3,
                    median(&n) * 1e3,
                    f[0] / n[0],
                    median(&sorted(ratios))
                );
            }
        }
    }
}

fn parse_cell(name: &str) -> Cell {
    match name {
        "lstm" => Cell::Lstm,
        "gru" => Cell::Gru,
        "rnn" => Cell::Rnn,
        other => panic!("unknown cell {other}"),
    }
}

fn sorted(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_by(f64::total_cmp);
    v
}

fn median(sorted: &[f64]) -> f64 {
    sorted[sorted.len() / 2]
}

/// One layer's leaves (input `[batch, seq, INPUT]`, zero initial state,
/// PyTorch-initialised weights) and a fixed upstream gradient.
struct Layer {
    cell: Cell,
    x: Tensor,
    h0: Tensor,
    c0: Tensor,
    weights: [Tensor; 4],
    grad_out: Tensor,
}

impl Layer {
    fn new(cell: Cell, hidden: i64, batch: i64, seq: i64) -> Self {
        tch::manual_seed(0);
        let opts = (Kind::Float, Device::Cpu);
        let g = cell.gate_blocks() * hidden;
        let bound = 1.0 / (hidden as f64).sqrt();
        let leaf = |t: Tensor| t.set_requires_grad(true);
        let uniform = |dims: &[i64]| leaf(Tensor::rand(dims, opts) * (2.0 * bound) - bound);
        Layer {
            cell,
            x: leaf(Tensor::randn([batch, seq, INPUT], opts)),
            h0: leaf(Tensor::zeros([batch, hidden], opts)),
            c0: leaf(Tensor::zeros([batch, hidden], opts)),
            weights: [
                uniform(&[g, INPUT]),
                uniform(&[g, hidden]),
                uniform(&[g]),
                uniform(&[g]),
            ],
            grad_out: Tensor::randn([batch, seq, hidden], opts),
        }
    }

    /// Seconds of `repeats` train steps of each kernel, alternating (which
    /// goes first alternates too).
    fn ab(&self, repeats: usize) -> (Vec<f64>, Vec<f64>) {
        let (mut fused, mut native) = (Vec::new(), Vec::new());
        for i in 0..WARMUP + repeats {
            let order = if i % 2 == 0 {
                [true, false]
            } else {
                [false, true]
            };
            for use_fused in order {
                let start = Instant::now();
                self.step(use_fused);
                let secs = start.elapsed().as_secs_f64();
                if i >= WARMUP {
                    if use_fused { &mut fused } else { &mut native }.push(secs);
                }
            }
        }
        (fused, native)
    }

    /// One train step on the fused cells or on libtorch's.
    fn step(&self, fused: bool) {
        let [w_ih, w_hh, b_ih, b_hh] = &self.weights;
        let out = if fused {
            let c = (self.cell == Cell::Lstm).then_some(&self.c0);
            onednn::layer(self.cell, &self.x, &self.h0, c, w_ih, w_hh, b_ih, b_hh)
                .expect("oneDNN layer")
                .out
        } else {
            let params = [w_ih, w_hh, b_ih, b_hh];
            let h = self.h0.unsqueeze(0);
            let x = &self.x;
            match self.cell {
                Cell::Lstm => {
                    let c = self.c0.unsqueeze(0);
                    x.lstm(&[&h, &c], &params, true, 1, 0.0, true, false, true)
                        .0
                }
                Cell::Gru => x.gru(&h, &params, true, 1, 0.0, true, false, true).0,
                _ => x.rnn_tanh(&h, &params, true, 1, 0.0, true, false, true).0,
            }
        };
        (out * &self.grad_out).sum(Kind::Float).backward();
        for t in [&self.x, &self.h0, &self.c0]
            .into_iter()
            .chain(&self.weights)
        {
            let mut grad = t.grad();
            if grad.defined() {
                let _ = grad.zero_();
            }
        }
    }
}
