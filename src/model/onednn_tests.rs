//! Golden tests of the fused oneDNN cells: the same weights and batch through
//! oneDNN and through libtorch's native cells agree on the outputs, the loss
//! and every gradient (input, initial state, weights, biases); and the gate
//! order and bias layout conversions on their own.

use tch::{Device, Kind, Tensor, nn};

use super::*;
use crate::model::{Classifier, ModelShape, RecurrentKernel};

/// Largest absolute difference.
fn max_abs(a: &Tensor, b: &Tensor) -> f64 {
    (a - b).abs().max().double_value(&[])
}

/// ‖a − b‖ / ‖b‖: a wrong gradient that still trains is far above 1e-4.
fn rel(a: &Tensor, b: &Tensor) -> f64 {
    let d = (a - b).norm().double_value(&[]);
    let n = b.norm().double_value(&[]);
    if n == 0.0 { d } else { d / n }
}

fn leaf(t: &Tensor) -> Tensor {
    t.detach().copy().set_requires_grad(true)
}

/// One layer by libtorch's native cell functions, step by step: `(out,
/// h_n, c_n)`.
fn native_layer(
    cell: Cell,
    x: &Tensor,
    h0: &Tensor,
    c0: Option<&Tensor>,
    w: &[Tensor],
) -> (Tensor, Tensor, Option<Tensor>) {
    let steps = x.size()[1];
    let (mut h, mut c) = (h0.shallow_clone(), c0.map(Tensor::shallow_clone));
    let mut outs = Vec::new();
    for t in 0..steps {
        let xt = x.select(1, t);
        match cell {
            Cell::Lstm => {
                let (h2, c2) = Tensor::lstm_cell(
                    &xt,
                    &[&h, c.as_ref().expect("lstm")],
                    &w[0],
                    &w[1],
                    Some(&w[2]),
                    Some(&w[3]),
                );
                h = h2;
                c = Some(c2);
            }
            Cell::Gru => h = Tensor::gru_cell(&xt, &h, &w[0], &w[1], Some(&w[2]), Some(&w[3])),
            Cell::Rnn => h = Tensor::rnn_tanh_cell(&xt, &h, &w[0], &w[1], Some(&w[2]), Some(&w[3])),
            Cell::Transformer => unreachable!("recurrent cells only"),
        }
        outs.push(h.shallow_clone());
    }
    (Tensor::stack(&outs, 1), h, c)
}

fn skip_without_onednn() -> bool {
    if available() {
        return false;
    }
    // CI sets up oneDNN: there, a build without it is a failure.
    assert!(
        std::env::var("CI").is_err(),
        "CI must build with oneDNN (scripts/setup-onednn)"
    );
    eprintln!("skipped: built without oneDNN");
    true
}

/// Layer level: outputs within 1e-5 and every gradient within 1e-4
/// (relative) of the native cells, from a non-zero initial state, through a
/// loss that reads every output, the last state and the last cell state.
#[test]
fn one_layer_matches_the_native_cells_in_outputs_and_every_gradient() {
    if skip_without_onednn() {
        return;
    }
    tch::manual_seed(7);
    let (n, t, c, h) = (4, 9, 5, 6);
    for cell in Cell::RECURRENT {
        let g = cell.gate_blocks() * h;
        let x = Tensor::randn([n, t, c], (Kind::Float, Device::Cpu));
        let h0 = Tensor::randn([n, h], (Kind::Float, Device::Cpu)) * 0.5;
        let c0 = Tensor::randn([n, h], (Kind::Float, Device::Cpu)) * 0.5;
        let w: Vec<Tensor> = [vec![g, c], vec![g, h], vec![g], vec![g]]
            .iter()
            .map(|s| Tensor::rand(s.as_slice(), (Kind::Float, Device::Cpu)) * 0.8 - 0.4)
            .collect();
        let r_out = Tensor::randn([n, t, h], (Kind::Float, Device::Cpu));
        let r_h = Tensor::randn([n, h], (Kind::Float, Device::Cpu));
        let r_c = Tensor::randn([n, h], (Kind::Float, Device::Cpu));

        let run = |fused: bool| {
            let (x, h0, c0) = (leaf(&x), leaf(&h0), leaf(&c0));
            let w: Vec<Tensor> = w.iter().map(leaf).collect();
            let lstm = cell == Cell::Lstm;
            let (out, hn, cn) = if fused {
                let o = layer(
                    cell,
                    &x,
                    &h0,
                    lstm.then_some(&c0),
                    &w[0],
                    &w[1],
                    &w[2],
                    &w[3],
                )
                .expect("oneDNN layer");
                (o.out, o.h_n, o.c_n)
            } else {
                native_layer(cell, &x, &h0, lstm.then_some(&c0), &w)
            };
            let mut loss = (&out * &r_out).sum(Kind::Float) + (&hn * &r_h).sum(Kind::Float);
            if let Some(cn) = &cn {
                loss += (cn * &r_c).sum(Kind::Float);
            }
            loss.backward();
            let mut grads = vec![x.grad(), h0.grad()];
            if lstm {
                grads.push(c0.grad());
            }
            grads.extend(w.iter().map(Tensor::grad));
            (out.detach(), hn.detach(), loss.double_value(&[]), grads)
        };
        let (out_f, hn_f, loss_f, grads_f) = run(true);
        let (out_n, hn_n, loss_n, grads_n) = run(false);
        assert!(
            max_abs(&out_f, &out_n) < 1e-5,
            "{cell}: outputs differ by {}",
            max_abs(&out_f, &out_n)
        );
        assert!(max_abs(&hn_f, &hn_n) < 1e-5, "{cell}: h_n");
        assert!(
            (loss_f - loss_n).abs() < 1e-5 * loss_n.abs().max(1.0),
            "{cell}: loss {loss_f} vs {loss_n}"
        );
        let names = if cell == Cell::Lstm {
            vec!["x", "h0", "c0", "w_ih", "w_hh", "b_ih", "b_hh"]
        } else {
            vec!["x", "h0", "w_ih", "w_hh", "b_ih", "b_hh"]
        };
        for ((gf, gn), name) in grads_f.iter().zip(&grads_n).zip(names) {
            assert!(
                gf.defined() && gn.defined(),
                "{cell}: no gradient for {name}"
            );
            let r = rel(gf, gn);
            assert!(
                r < 1e-4,
                "{cell}: gradient of {name} off by {r:.2e} (relative)"
            );
        }
    }
}

/// Without grad mode the kernel runs forward_inference: the same outputs.
#[test]
fn inference_matches_training_forward() {
    if skip_without_onednn() {
        return;
    }
    tch::manual_seed(3);
    for cell in Cell::RECURRENT {
        let g = cell.gate_blocks() * 8;
        let x = Tensor::randn([3, 5, 4], (Kind::Float, Device::Cpu));
        let h0 = Tensor::zeros([3, 8], (Kind::Float, Device::Cpu));
        let w: Vec<Tensor> = [vec![g, 4], vec![g, 8], vec![g], vec![g]]
            .iter()
            .map(|s| leaf(&(Tensor::rand(s.as_slice(), (Kind::Float, Device::Cpu)) - 0.5)))
            .collect();
        let c0 = (cell == Cell::Lstm).then(|| h0.zeros_like());
        let train = layer(cell, &x, &h0, c0.as_ref(), &w[0], &w[1], &w[2], &w[3]).expect("train");
        let infer = tch::no_grad(|| layer(cell, &x, &h0, c0.as_ref(), &w[0], &w[1], &w[2], &w[3]))
            .expect("inference");
        assert!(max_abs(&train.out.detach(), &infer.out) < 1e-6, "{cell}");
    }
}

/// The conversions on their own: PyTorch's GRU gates r z n become oneDNN's
/// z r n, each block transposed; the LBR-GRU bias is `[b_iz + b_hz, b_ir +
/// b_hr, b_in, b_hn]`; a summed bias's gradient goes to both of its parts.
#[test]
fn gate_order_and_bias_layout_conversions() {
    let h = 2;
    let k = 3;
    // Block b of w holds 100·b + 10·row + column, so every entry names itself.
    let w = |blocks: i64| {
        Tensor::from_slice(
            &(0..blocks * h * k)
                .map(|i| {
                    let (b, r, c) = (i / (h * k), i / k % h, i % k);
                    (100 * b + 10 * r + c) as f32
                })
                .collect::<Vec<_>>(),
        )
        .view([blocks * h, k])
    };
    let bias = |base: f32, blocks: i64| {
        Tensor::from_slice(&(0..blocks * h).map(|i| base + i as f32).collect::<Vec<_>>())
    };
    // GRU.
    let (wg, bi, bh) = (w(3), bias(0.0, 3), bias(1000.0, 3));
    let l = layouts(Cell::Gru, &wg, &bi, &bh, h).expect("layouts");
    assert_eq!(l.ldigo.size(), vec![k, 3, h]);
    // ldigo[c, gate, o] = w[block(gate)·H + o, c]; oneDNN gate 0 is z = PyTorch block 1.
    for (gate, block) in [(0, 1), (1, 0), (2, 2)] {
        let expect = wg.narrow(0, block * h, h).transpose(0, 1);
        assert!(
            max_abs(&l.ldigo.select(1, gate), &expect) == 0.0,
            "gate {gate}"
        );
    }
    assert!(max_abs(&l.round_trip, &wg) == 0.0);
    let blocks = |t: &Tensor, b: i64| t.narrow(0, b * h, h);
    let expect_bias = Tensor::stack(
        &[
            blocks(&bi, 1) + blocks(&bh, 1),
            blocks(&bi, 0) + blocks(&bh, 0),
            blocks(&bi, 2),
            blocks(&bh, 2),
        ],
        0,
    );
    assert!(max_abs(&l.bias, &expect_bias) == 0.0);
    // As a gradient: d b_ir = d(row 1), d b_iz = d(row 0), d b_in = d(row 2); d b_hn = d(row 3).
    let d = &l.bias;
    let gi = Tensor::cat(&[d.get(1), d.get(0), d.get(2)], 0);
    let gh = Tensor::cat(&[d.get(1), d.get(0), d.get(3)], 0);
    assert!(max_abs(&l.grad_b_ih, &gi) == 0.0 && max_abs(&l.grad_b_hh, &gh) == 0.0);
    // LSTM and RNN: order kept, one summed bias, its gradient to both.
    for cell in [Cell::Lstm, Cell::Rnn] {
        let g = cell.gate_blocks();
        let (wc, bi, bh) = (w(g), bias(0.0, g), bias(1000.0, g));
        let l = layouts(cell, &wc, &bi, &bh, h).expect("layouts");
        for gate in 0..g {
            let expect = wc.narrow(0, gate * h, h).transpose(0, 1);
            assert!(
                max_abs(&l.ldigo.select(1, gate), &expect) == 0.0,
                "{cell} gate {gate}"
            );
        }
        assert!(max_abs(&l.round_trip, &wc) == 0.0);
        let sum = (&bi + &bh).view([g, h]);
        assert!(max_abs(&l.bias, &sum) == 0.0);
        assert!(max_abs(&l.grad_b_ih, &sum.view([-1])) == 0.0);
        assert!(max_abs(&l.grad_b_hh, &sum.view([-1])) == 0.0);
    }
}

/// Classifier level, for 1 and 2 layers and bidirectional, on a padded
/// batch of uneven lengths: logits within 1e-5, the loss within 1e-5 and
/// the gradient of every parameter within 1e-4 (relative) of libtorch's
/// kernels.
#[test]
fn classifier_on_onednn_matches_libtorch_in_logits_loss_and_every_gradient() {
    if skip_without_onednn() {
        return;
    }
    let lengths = Tensor::from_slice(&[7i64, 3, 5, 1]);
    let token_ids = Tensor::randint(40, [4, 7], (Kind::Int64, Device::Cpu));
    // Numeric series of 3 channels through the linear input layer.
    let values = Tensor::randn([4, 7, 3], (Kind::Float, Device::Cpu));
    let labels = Tensor::from_slice(&[0i64, 2, 1, 1]);
    let inputs = [(0, &token_ids), (3, &values)];
    for ((channels, tokens), cell) in inputs.iter().flat_map(|i| Cell::RECURRENT.map(|c| (*i, c))) {
        for (layers, bidirectional) in [(1, false), (2, false), (1, true), (2, true)] {
            let shape = ModelShape {
                vocab_size: 40,
                channels,
                embed_size: 6,
                hidden_size: 5,
                layers,
                bidirectional,
                classes: 3,
                ..ModelShape::for_test(cell)
            };
            // One set of weights for both paths, copied rather than drawn
            // twice from the global generator: other tests draw from it
            // concurrently.
            let weights = nn::VarStore::new(Device::Cpu);
            let _ = Classifier::new(&weights.root(), shape, 0.0, RecurrentKernel::Libtorch);
            let run = |kernel: RecurrentKernel| {
                let mut vs = nn::VarStore::new(Device::Cpu);
                let model = Classifier::new(&vs.root(), shape, 0.0, kernel);
                vs.copy(&weights).expect("same variables");
                let logits = model.forward(tokens, &lengths, true).expect("forward");
                let loss = logits.cross_entropy_for_logits(&labels);
                loss.backward();
                let mut grads: Vec<(String, Tensor)> = vs
                    .variables()
                    .into_iter()
                    .map(|(name, v)| (name, v.grad()))
                    .collect();
                grads.sort_by(|a, b| a.0.cmp(&b.0));
                (logits.detach(), loss.double_value(&[]), grads)
            };
            let (lf, loss_f, gf) = run(RecurrentKernel::Fused);
            let (ln, loss_n, gn) = run(RecurrentKernel::Libtorch);
            let what =
                format!("{cell} channels={channels} layers={layers} bidirectional={bidirectional}");
            assert!(
                max_abs(&lf, &ln) < 1e-5,
                "{what}: logits differ by {}",
                max_abs(&lf, &ln)
            );
            assert!(
                (loss_f - loss_n).abs() < 1e-5,
                "{what}: loss {loss_f} vs {loss_n}"
            );
            assert_eq!(gf.len(), gn.len());
            for ((name, a), (_, b)) in gf.iter().zip(&gn) {
                let r = rel(a, b);
                assert!(r < 1e-4, "{what}: gradient of {name} off by {r:.2e}");
            }
        }
    }
}

/// Streaming one token at a time on oneDNN gives the whole sequence's
/// logits, as on libtorch's kernels.
#[test]
fn streaming_on_onednn_gives_the_whole_sequence_logits() {
    if skip_without_onednn() {
        return;
    }
    for cell in Cell::RECURRENT {
        let shape = ModelShape {
            vocab_size: 30,
            embed_size: 4,
            hidden_size: 6,
            layers: 2,
            ..ModelShape::for_test(cell)
        };
        tch::manual_seed(5);
        let vs = nn::VarStore::new(Device::Cpu);
        let model = Classifier::new(&vs.root(), shape, 0.0, RecurrentKernel::Fused);
        let tokens = Tensor::from_slice(&[3i64, 7, 1, 29, 4, 4]).view([1, 6]);
        let whole = tch::no_grad(|| model.forward(&tokens, &Tensor::from_slice(&[6i64]), false))
            .expect("forward");
        let mut state = model.zero_state(1, Device::Cpu).expect("state");
        let mut last = None;
        for t in 0..6 {
            last =
                Some(tch::no_grad(|| model.step(&tokens.select(1, t), &mut state)).expect("step"));
        }
        let last = last.expect("six steps");
        assert!(max_abs(&whole, &last) < 1e-5, "{cell}");
    }
}
