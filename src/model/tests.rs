//! Correctness of the models: parameter counts, the cells' equations written
//! out by hand against libtorch's fused kernels, and padding invariance.
//!
//! Set `RNNBENCH_TEST_DEVICE=cuda` to run them on a GPU.

use tch::{Device, Kind, Tensor, nn};

use super::{Cell, Classifier, Kernel, ModelShape, RecurrentKernel};

fn device() -> Device {
    match std::env::var("RNNBENCH_TEST_DEVICE").as_deref() {
        Ok("cuda") => {
            if let Err(e) = crate::probe::device::load_cuda_library() {
                panic!("RNNBENCH_TEST_DEVICE=cuda but libtorch_cuda.so does not load: {e}");
            }
            Device::Cuda(0)
        }
        _ => Device::Cpu,
    }
}

fn shape(cell: Cell, hidden_size: i64, layers: i64, bidirectional: bool) -> ModelShape {
    ModelShape {
        vocab_size: 50,
        embed_size: 6,
        hidden_size,
        layers,
        bidirectional,
        classes: 3,
        ..ModelShape::for_test(cell)
    }
}

fn max_abs_diff(a: &Tensor, b: &Tensor) -> f64 {
    (a - b).abs().max().double_value(&[])
}

#[test]
fn the_linear_input_layers_count_equals_the_variables_and_the_hand_count() {
    for cell in Cell::ALL {
        let vs = nn::VarStore::new(Device::Cpu);
        let s = ModelShape {
            channels: 12,
            vocab_size: 0,
            embed_size: 8,
            positions: 30,
            ..shape(cell, 10, 1, false)
        };
        let model = Classifier::new(&vs.root(), s, 0.0, RecurrentKernel::Libtorch);
        let numel: i64 = vs
            .trainable_variables()
            .iter()
            .map(|t| t.numel() as i64)
            .sum();
        assert_eq!(numel, s.params(), "{cell}");
        // By hand: nn.Linear(12, 8) has 12·8 weights and 8 biases, in place
        // of the embedding (which a vocabulary of 0 makes empty anyway).
        let without_input = ModelShape { channels: 0, ..s }.params();
        assert_eq!(s.params() - without_input, 12 * 8 + 8, "{cell}");
        assert_eq!(s.input_params(), 104);
        // The input layer reads [batch, steps, channels] floats and gives
        // the cell what an embedding would: logits [batch, classes].
        let x = Tensor::randn([2, 5, 12], (Kind::Float, Device::Cpu));
        let lengths = Tensor::from_slice(&[5i64, 3]);
        let logits = model.forward(&x, &lengths, false).unwrap();
        assert_eq!(logits.size(), [2, 3], "{cell}");
        let by_hand = x.linear(model.embedding_weight(), None::<&Tensor>);
        let embedded = model.embed(&x).unwrap();
        let bias = &embedded - &by_hand;
        // The same bias at every step and row: a linear layer, nothing else.
        assert!(max_abs_diff(&bias, &bias.get(0).get(0).expand_as(&bias)) < 1e-5);
    }
}

#[test]
fn closed_form_counts_equal_the_variables() {
    for cell in Cell::RECURRENT {
        for (layers, bidirectional) in [(1, false), (2, false), (1, true), (3, true)] {
            let vs = nn::VarStore::new(Device::Cpu);
            let s = shape(cell, 7, layers, bidirectional);
            let _model = Classifier::new(&vs.root(), s, 0.0, RecurrentKernel::Libtorch);
            let numel: i64 = vs
                .trainable_variables()
                .iter()
                .map(|t| t.numel() as i64)
                .sum();
            assert_eq!(
                numel,
                s.params(),
                "{cell} layers={layers} bidirectional={bidirectional}"
            );
        }
    }
}

/// LSTM by hand: gates in libtorch's order i, f, g (= C~), o.
fn lstm_by_hand(x: &Tensor, w: &[Tensor], hidden: i64) -> Tensor {
    let (batch, steps) = (x.size()[0], x.size()[1]);
    let mut h = Tensor::zeros([batch, hidden], (x.kind(), x.device()));
    let mut c = h.zeros_like();
    let mut outs = Vec::new();
    for t in 0..steps {
        let xt = x.select(1, t);
        let gates = xt.matmul(&w[0].tr()) + &w[2] + h.matmul(&w[1].tr()) + &w[3];
        let chunks = gates.chunk(4, 1);
        let i = chunks[0].sigmoid();
        let f = chunks[1].sigmoid();
        let c_tilde = chunks[2].tanh();
        let o = chunks[3].sigmoid();
        c = f * &c + i * c_tilde;
        h = o * c.tanh();
        outs.push(h.shallow_clone());
    }
    Tensor::stack(&outs, 1)
}

/// GRU by hand: gates in libtorch's order r, z, n; the reset gate multiplies
/// the hidden part of the candidate only, after its bias.
fn gru_by_hand(x: &Tensor, w: &[Tensor], hidden: i64) -> Tensor {
    let (batch, steps) = (x.size()[0], x.size()[1]);
    let mut h = Tensor::zeros([batch, hidden], (x.kind(), x.device()));
    let mut outs = Vec::new();
    for t in 0..steps {
        let xt = x.select(1, t);
        let gi = (xt.matmul(&w[0].tr()) + &w[2]).chunk(3, 1);
        let gh = (h.matmul(&w[1].tr()) + &w[3]).chunk(3, 1);
        let r = (&gi[0] + &gh[0]).sigmoid();
        let z = (&gi[1] + &gh[1]).sigmoid();
        let n = (&gi[2] + r * &gh[2]).tanh();
        h = (1.0 - &z) * n + z * &h;
        outs.push(h.shallow_clone());
    }
    Tensor::stack(&outs, 1)
}

/// Vanilla RNN by hand.
fn rnn_by_hand(x: &Tensor, w: &[Tensor], hidden: i64) -> Tensor {
    let (batch, steps) = (x.size()[0], x.size()[1]);
    let mut h = Tensor::zeros([batch, hidden], (x.kind(), x.device()));
    let mut outs = Vec::new();
    for t in 0..steps {
        let xt = x.select(1, t);
        h = (xt.matmul(&w[0].tr()) + &w[2] + h.matmul(&w[1].tr()) + &w[3]).tanh();
        outs.push(h.shallow_clone());
    }
    Tensor::stack(&outs, 1)
}

#[test]
fn hand_written_equations_match_fused_kernels() {
    // The device first: seeding before libtorch_cuda is loaded would
    // fix CUDA as absent for the whole process.
    let dev = device();
    tch::manual_seed(7);
    let (batch, steps, hidden) = (4, 9, 5);
    for cell in Cell::RECURRENT {
        let mut vs = nn::VarStore::new(dev);
        let model = Classifier::new(
            &vs.root(),
            shape(cell, hidden, 1, false),
            0.0,
            RecurrentKernel::Libtorch,
        );
        // In double precision: on Ampere and later GPUs cuDNN's RNNs use
        // TF32 for float32 (about 1e-4 off), which is not what is tested here.
        vs.double();
        let w: Vec<Tensor> = model
            .recurrent_weights()
            .iter()
            .map(|t| t.detach())
            .collect();
        let x = Tensor::randn([batch, steps, 6], (Kind::Double, dev));
        let h0 = Tensor::zeros([1, batch, hidden], (Kind::Double, dev));
        let (fused, by_hand) = match cell {
            Cell::Lstm => (
                x.lstm(
                    &[&h0, &h0.zeros_like()],
                    &w.iter().collect::<Vec<_>>(),
                    true,
                    1,
                    0.0,
                    false,
                    false,
                    true,
                )
                .0,
                lstm_by_hand(&x, &w, hidden),
            ),
            Cell::Gru => (
                x.gru(&h0, &w, true, 1, 0.0, false, false, true).0,
                gru_by_hand(&x, &w, hidden),
            ),
            Cell::Rnn => (
                x.rnn_tanh(&h0, &w, true, 1, 0.0, false, false, true).0,
                rnn_by_hand(&x, &w, hidden),
            ),
            Cell::Transformer => unreachable!("recurrent cells only"),
        };
        let diff = max_abs_diff(&fused, &by_hand);
        assert!(diff < 1e-5, "{cell}: fused vs by hand differ by {diff}");
        // The classifier's features are the by-hand state at each sequence's last real step.
        let lengths = Tensor::from_slice(&[9i64, 3, 1, 6]).to_device(dev);
        let features = tch::no_grad(|| model.features(&x, &lengths, false)).unwrap();
        for (b, len) in [9i64, 3, 1, 6].into_iter().enumerate() {
            let expected = by_hand.get(b as i64).get(len - 1);
            let diff = max_abs_diff(&features.get(b as i64), &expected);
            assert!(diff < 1e-5, "{cell}: features of row {b} differ by {diff}");
        }
    }
}

#[test]
fn bidirectional_reverse_direction_starts_at_last_real_token() {
    // The device first: seeding before libtorch_cuda is loaded would
    // fix CUDA as absent for the whole process.
    let dev = device();
    tch::manual_seed(3);
    let hidden = 4;
    for cell in Cell::RECURRENT {
        let mut vs = nn::VarStore::new(dev);
        let model = Classifier::new(
            &vs.root(),
            shape(cell, hidden, 1, true),
            0.0,
            RecurrentKernel::Libtorch,
        );
        // In double precision: on Ampere and later GPUs cuDNN's RNNs use
        // TF32 for float32 (about 1e-4 off), which is not what is tested here.
        vs.double();
        let w: Vec<Tensor> = model
            .recurrent_weights()
            .iter()
            .map(|t| t.detach())
            .collect();
        let x = Tensor::randn([1, 7, 6], (Kind::Double, dev));
        let len = 5;
        let real = x.narrow(1, 0, len);
        let reversed = real.flip([1]);
        let by_hand = |input: &Tensor, weights: &[Tensor]| match cell {
            Cell::Lstm => lstm_by_hand(input, weights, hidden),
            Cell::Gru => gru_by_hand(input, weights, hidden),
            Cell::Rnn => rnn_by_hand(input, weights, hidden),
            Cell::Transformer => unreachable!("recurrent cells only"),
        };
        let forward_last = by_hand(&real, &w[0..4]).select(1, len - 1);
        let reverse_last = by_hand(&reversed, &w[4..8]).select(1, len - 1);
        let expected = Tensor::cat(&[forward_last, reverse_last], 1);
        let lengths = Tensor::from_slice(&[len]).to_device(dev);
        let features = tch::no_grad(|| model.features(&x, &lengths, false)).unwrap();
        let diff = max_abs_diff(&features, &expected);
        assert!(
            diff < 1e-5,
            "{cell}: bidirectional features differ by {diff}"
        );
    }
}

#[test]
fn predictions_do_not_change_when_the_batch_is_padded_further() {
    // The device first: seeding before libtorch_cuda is loaded would
    // fix CUDA as absent for the whole process.
    let dev = device();
    tch::manual_seed(11);
    for cell in Cell::RECURRENT {
        for (layers, bidirectional) in [(1, false), (2, false), (1, true), (2, true)] {
            let vs = nn::VarStore::new(dev);
            let model = Classifier::new(
                &vs.root(),
                shape(cell, 8, layers, bidirectional),
                0.3,
                RecurrentKernel::Libtorch,
            );
            let lengths = Tensor::from_slice(&[6i64, 2, 4]).to_device(dev);
            let tokens = Tensor::randint_low(2, 50, [3, 6], (Kind::Int64, dev));
            let mask = Tensor::arange(6, (Kind::Int64, dev))
                .unsqueeze(0)
                .lt_tensor(&lengths.unsqueeze(1));
            let tokens = tokens * mask;
            let padded = Tensor::cat(&[&tokens, &Tensor::zeros([3, 20], (Kind::Int64, dev))], 1);
            let (a, b) = tch::no_grad(|| {
                (
                    model.forward(&tokens, &lengths, false).unwrap(),
                    model.forward(&padded, &lengths, false).unwrap(),
                )
            });
            let diff = max_abs_diff(&a, &b);
            assert!(
                diff < 1e-5,
                "{cell} layers={layers} bidirectional={bidirectional}: {diff}"
            );
        }
    }
}

#[test]
fn packed_forward_equals_padded_forward() {
    let dev = device();
    tch::manual_seed(12);
    for cell in Cell::RECURRENT {
        for (layers, bidirectional) in [(1, false), (2, false), (1, true), (2, true)] {
            let vs = nn::VarStore::new(dev);
            let model = Classifier::new(
                &vs.root(),
                shape(cell, 8, layers, bidirectional),
                0.3,
                RecurrentKernel::Libtorch,
            );
            // Unsorted lengths: forward_packed sorts and restores the order.
            let lengths = Tensor::from_slice(&[3i64, 7, 1, 5]).to_device(dev);
            let tokens = Tensor::randint_low(2, 50, [4, 9], (Kind::Int64, dev));
            let (padded, packed) = tch::no_grad(|| {
                (
                    model.forward(&tokens, &lengths, false).unwrap(),
                    model.forward_packed(&tokens, &lengths, false).unwrap(),
                )
            });
            assert_eq!(packed.size(), [4, 3]);
            let diff = max_abs_diff(&padded, &packed);
            assert!(
                diff < 1e-5,
                "{cell} layers={layers} bidirectional={bidirectional}: {diff}"
            );
        }
    }
}

#[test]
fn streaming_one_token_per_call_gives_the_whole_sequence_logits() {
    let device = device();
    for cell in Cell::RECURRENT {
        for layers in [1, 2] {
            tch::manual_seed(7);
            let vs = nn::VarStore::new(device);
            let model = Classifier::new(
                &vs.root(),
                shape(cell, 5, layers, false),
                0.0,
                RecurrentKernel::Libtorch,
            );
            let ids: [i64; 6] = [3, 17, 4, 4, 42, 9];
            let tokens = Tensor::from_slice(&ids).view([1, 6]).to_device(device);
            let whole =
                tch::no_grad(|| model.forward(&tokens, &Tensor::from_slice(&[6i64]), false))
                    .unwrap();
            let mut state = model.zero_state(1, device).unwrap();
            let mut last = None;
            tch::no_grad(|| {
                for &id in &ids {
                    let token = Tensor::from_slice(&[id]).to_device(device);
                    last = Some(model.step(&token, &mut state).unwrap());
                }
            });
            let diff = max_abs_diff(&whole, &last.unwrap());
            assert!(diff < 1e-5, "{cell} layers={layers}: {diff}");
        }
    }
    let vs = nn::VarStore::new(Device::Cpu);
    let both_ways = Classifier::new(
        &vs.root(),
        shape(Cell::Gru, 5, 1, true),
        0.0,
        RecurrentKernel::Libtorch,
    );
    let err = both_ways
        .zero_state(1, Device::Cpu)
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("--bidirectional"), "{err}");
}

/// A small model of `cell` with `pooling`: width 6 (3 per head for the
/// Transformer), hidden (feed-forward) 8, 32 position slots.
fn pooled(
    cell: Cell,
    pooling: crate::model::Pooling,
    layers: i64,
    bidirectional: bool,
) -> ModelShape {
    ModelShape {
        positions: 32,
        pooling,
        ..shape(cell, 8, layers, bidirectional)
    }
}

/// Sets the attention pooling's query (zero at creation, which pools like
/// the mean) to random values, so that a test sees it score.
fn randomize_query(vs: &nn::VarStore) {
    for (name, mut t) in vs.variables() {
        if name.ends_with("query") {
            tch::no_grad(|| t.copy_(&Tensor::randn(t.size(), (Kind::Float, t.device()))));
        }
    }
}

#[test]
fn transformer_and_pooling_counts_equal_the_variables() {
    use crate::model::Pooling;
    for cell in Cell::ALL {
        for pooling in Pooling::ALL {
            for (layers, bidirectional) in [(1, false), (2, true)] {
                let vs = nn::VarStore::new(Device::Cpu);
                let s = pooled(cell, pooling, layers, bidirectional);
                let _model = Classifier::new(&vs.root(), s, 0.0, RecurrentKernel::Libtorch);
                let numel: i64 = vs
                    .trainable_variables()
                    .iter()
                    .map(|t| t.numel() as i64)
                    .sum();
                assert_eq!(numel, s.params(), "{cell} {pooling} layers={layers}");
            }
        }
    }
}

#[test]
fn no_pooling_reads_padding_for_any_model() {
    use crate::model::Pooling;
    let dev = device();
    tch::manual_seed(21);
    for cell in Cell::ALL {
        for pooling in Pooling::ALL {
            for (layers, bidirectional) in [(1, false), (2, true)] {
                let vs = nn::VarStore::new(dev);
                let s = pooled(cell, pooling, layers, bidirectional);
                let model = Classifier::new(&vs.root(), s, 0.3, RecurrentKernel::Libtorch);
                randomize_query(&vs);
                let lengths = [7i64, 2, 5];
                // Padding with real words, not <pad>: whatever sits past a
                // sequence's end must not count.
                let tokens = Tensor::randint_low(2, 50, [3, 12], (Kind::Int64, dev));
                let batch = tch::no_grad(|| {
                    model
                        .forward(&tokens, &Tensor::from_slice(&lengths).to_device(dev), false)
                        .unwrap()
                });
                for (b, &len) in lengths.iter().enumerate() {
                    let alone = tokens.narrow(0, b as i64, 1).narrow(1, 0, len);
                    let one = tch::no_grad(|| {
                        model
                            .forward(&alone, &Tensor::from_slice(&[len]).to_device(dev), false)
                            .unwrap()
                    });
                    let diff = max_abs_diff(&batch.narrow(0, b as i64, 1), &one);
                    assert!(
                        diff < 1e-5,
                        "{cell} {pooling} layers={layers} bidirectional={bidirectional} row {b}: {diff}"
                    );
                }
            }
        }
    }
}

#[test]
fn gradients_reach_every_weight_under_every_pooling() {
    use crate::model::Pooling;
    let dev = device();
    tch::manual_seed(22);
    for cell in Cell::ALL {
        for pooling in Pooling::ALL {
            let vs = nn::VarStore::new(dev);
            let model = Classifier::new(
                &vs.root(),
                pooled(cell, pooling, 2, false),
                0.0,
                RecurrentKernel::Libtorch,
            );
            let tokens = Tensor::randint_low(2, 50, [4, 9], (Kind::Int64, dev));
            let lengths = Tensor::from_slice(&[9i64, 3, 6, 1]).to_device(dev);
            let labels = Tensor::from_slice(&[0i64, 1, 2, 1]).to_device(dev);
            let loss = model
                .forward(&tokens, &lengths, true)
                .unwrap()
                .cross_entropy_for_logits(&labels);
            loss.backward();
            for (name, t) in vs.variables() {
                let grad = t.grad();
                assert!(grad.defined(), "{cell} {pooling}: {name} has no gradient");
                let norm = grad.norm().double_value(&[]);
                assert!(
                    norm.is_finite() && norm > 0.0,
                    "{cell} {pooling}: {name} gradient norm {norm}"
                );
            }
        }
    }
}

#[test]
fn pooling_by_hand_never_reads_padding_even_non_finite() {
    use crate::model::Pooling;
    use crate::model::pooling::pool;
    // Two sequences of 3 steps, width 2; row 1 has one real step and
    // non-finite padding.
    let states = Tensor::from_slice(&[
        1.0f32,
        -2.0,
        3.0,
        0.0,
        -1.0,
        5.0, //
        2.0,
        4.0,
        f32::NAN,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::NAN,
    ])
    .view([2, 3, 2])
    .set_requires_grad(true);
    let lengths = Tensor::from_slice(&[3i64, 1]);
    let query = Tensor::from_slice(&[1.0f32, 0.0]);
    let expect = |pooling: Pooling, want: [f32; 4]| {
        let got = pool(&states, &lengths, pooling, Some(&query)).unwrap();
        let want = Tensor::from_slice(&want).view([2, 2]);
        assert!(max_abs_diff(&got, &want) < 1e-5, "{pooling}: {got}");
        got.sum(Kind::Float).backward();
        let grad = states.grad();
        let padding = grad.narrow(0, 1, 1).narrow(1, 1, 2);
        assert_eq!(
            padding.abs().sum(Kind::Float).double_value(&[]),
            0.0,
            "{pooling}"
        );
        assert!(grad.isfinite().all().int64_value(&[]) == 1, "{pooling}");
        let mut grad = grad;
        let _ = grad.zero_();
    };
    expect(Pooling::Last, [-1.0, 5.0, 2.0, 4.0]);
    expect(Pooling::Mean, [1.0, 1.0, 2.0, 4.0]);
    expect(Pooling::Max, [3.0, 5.0, 2.0, 4.0]);
    // Query (1, 0) scores row 0's steps 1, 3, −1: softmax weights e^s / Σ.
    let w: Vec<f32> = [1.0f32, 3.0, -1.0].iter().map(|s| s.exp()).collect();
    let z: f32 = w.iter().sum();
    let a0 = (w[0] + w[1] * 3.0 - w[2]) / z;
    let a1 = (w[0] * -2.0 + w[1] * 0.0 + w[2] * 5.0) / z;
    expect(Pooling::Attention, [a0, a1, 2.0, 4.0]);
}

#[test]
fn transformer_block_equals_attention_written_out_by_hand() {
    // One block, width 6, 2 heads of 3, feed-forward 8, no dropout, mean
    // pooling; softmax(q·kᵀ/√3) over the real keys written out in tensor ops.
    tch::manual_seed(23);
    let vs = nn::VarStore::new(Device::Cpu);
    let s = pooled(Cell::Transformer, crate::model::Pooling::Mean, 1, false);
    let model = Classifier::new(&vs.root(), s, 0.0, RecurrentKernel::Libtorch);
    let vars = vs.variables();
    let v = |name: &str| vars[name].shallow_clone();
    let (batch, seq, d, heads) = (2i64, 5i64, 6i64, 2i64);
    let x = Tensor::randn([batch, seq, d], (Kind::Float, Device::Cpu));
    let lengths = Tensor::from_slice(&[5i64, 3]);
    let ln =
        |t: &Tensor, w: &str, b: &str| t.layer_norm([d], Some(&v(w)), Some(&v(b)), 1e-5, false);
    let h = &x + v("encoder.positions").narrow(0, 0, seq).unsqueeze(0);
    let a = ln(
        &h,
        "encoder.block0.norm1_weight",
        "encoder.block0.norm1_bias",
    );
    let qkv = a.linear(
        &v("encoder.block0.in_proj_weight"),
        Some(&v("encoder.block0.in_proj_bias")),
    );
    let parts = qkv.chunk(3, 2);
    let split = |t: &Tensor| t.view([batch, seq, heads, d / heads]).transpose(1, 2);
    let (q, k, val) = (split(&parts[0]), split(&parts[1]), split(&parts[2]));
    let scores = q.matmul(&k.transpose(2, 3)) / 3f64.sqrt();
    let real = Tensor::arange(seq, (Kind::Int64, Device::Cpu))
        .unsqueeze(0)
        .lt_tensor(&lengths.unsqueeze(1))
        .view([batch, 1, 1, seq]);
    let scores = scores.masked_fill(&real.logical_not(), f64::NEG_INFINITY);
    let att = scores
        .softmax(-1, Kind::Float)
        .matmul(&val)
        .transpose(1, 2)
        .contiguous()
        .view([batch, seq, d]);
    let h = &h
        + att.linear(
            &v("encoder.block0.out_proj_weight"),
            Some(&v("encoder.block0.out_proj_bias")),
        );
    let a = ln(
        &h,
        "encoder.block0.norm2_weight",
        "encoder.block0.norm2_bias",
    );
    let ff = a
        .linear(
            &v("encoder.block0.linear1_weight"),
            Some(&v("encoder.block0.linear1_bias")),
        )
        .relu()
        .linear(
            &v("encoder.block0.linear2_weight"),
            Some(&v("encoder.block0.linear2_bias")),
        );
    let h = ln(&(&h + ff), "encoder.norm_weight", "encoder.norm_bias");
    let mean = (h * real.view([batch, seq, 1])).sum_dim_intlist(1, false, Kind::Float)
        / lengths.to_kind(Kind::Float).unsqueeze(1);
    let by_hand = mean.linear(&v("head.weight"), Some(&v("head.bias")));
    let fused = tch::no_grad(|| model.forward_embedded(&x, &lengths, false)).unwrap();
    let diff = max_abs_diff(&fused, &by_hand);
    assert!(diff < 1e-5, "{diff}");
}

/// The gradient probe ([`Classifier::forward_for_input_gradients`]) runs
/// before training with every dropout off: were it to apply the model's
/// dropout (it once did between stacked bidirectional layers), it would
/// draw masks from the generator training draws from, and the seed it ran
/// for would train another model. Every model × layers 1/2 × bidirectional
/// off/on, on libtorch's kernels and (when linked) the fused oneDNN cells,
/// with the model's dropout at 0.9: the probe's logits are evaluation's.
/// (That a seed trains the same model first or second in the seed list is
/// tested end to end, each run in its own process, in
/// tests/it/determinism.rs: the generator is shared by the tests running
/// here side by side.)
#[test]
fn the_gradient_probe_applies_no_dropout() {
    let dev = device();
    let mut kernels = vec![RecurrentKernel::Libtorch];
    if crate::model::onednn::available() && dev == Device::Cpu {
        kernels.push(RecurrentKernel::Fused);
    }
    for kernel in kernels {
        for cell in Cell::ALL {
            for (layers, bidirectional) in [(1, false), (1, true), (2, false), (2, true)] {
                let vs = nn::VarStore::new(dev);
                let mut s = shape(cell, 8, layers, bidirectional);
                if !cell.is_recurrent() {
                    s.bidirectional = false;
                    s.positions = 16;
                }
                let model = Classifier::new(&vs.root(), s, 0.9, kernel);
                let x = Tensor::linspace(-1.0, 1.0, 3 * 7 * 6, (Kind::Float, dev)).view([3, 7, 6]);
                let lengths = Tensor::from_slice(&[7i64, 5, 2]);
                let probe = model.forward_for_input_gradients(&x, &lengths).unwrap();
                let eval = tch::no_grad(|| model.forward_embedded(&x, &lengths, false).unwrap());
                let what =
                    format!("{cell} layers {layers} bidirectional {bidirectional} on {kernel:?}");
                assert!(
                    max_abs_diff(&probe, &eval) < 1e-5,
                    "{what}: the probe applied dropout"
                );
            }
        }
    }
}

/// A classifier says the kernel it was built with: on the CPU, the fused
/// cells [`Kernel::OnednnFused`] (whether or not oneDNN loads here: the
/// answer is the model's, not a probe of the machine), libtorch's cells
/// libtorch's choice per cell (oneDNN or its native loop for the LSTM, as
/// libtorch's process-wide switch stands, which other tests flip; the
/// native loop for the GRU and the RNN); the Transformer's attention is
/// [`Kernel::Sdpa`] either way.
#[test]
fn a_classifier_reports_the_kernel_it_was_built_with() {
    for cell in Cell::ALL {
        let s = ModelShape {
            positions: 8,
            ..shape(cell, 4, 1, false)
        };
        let vs = nn::VarStore::new(Device::Cpu);
        let fused = Classifier::new(&(vs.root() / "fused"), s, 0.0, RecurrentKernel::Fused);
        let libtorch =
            Classifier::new(&(vs.root() / "libtorch"), s, 0.0, RecurrentKernel::Libtorch);
        assert_eq!(fused.recurrent_kernel(), RecurrentKernel::Fused);
        assert_eq!(libtorch.recurrent_kernel(), RecurrentKernel::Libtorch);
        let (fused, libtorch) = (fused.kernel(), libtorch.kernel());
        match cell {
            Cell::Transformer => {
                assert_eq!((fused, libtorch), (Kernel::Sdpa, Kernel::Sdpa));
            }
            Cell::Lstm => {
                assert_eq!(fused, Kernel::OnednnFused);
                assert!(
                    matches!(libtorch, Kernel::Onednn | Kernel::Native),
                    "{libtorch:?}"
                );
            }
            Cell::Gru | Cell::Rnn => {
                assert_eq!(
                    (fused, libtorch),
                    (Kernel::OnednnFused, Kernel::Native),
                    "{cell}"
                );
            }
        }
    }
}

/// Two classifiers built with different kernels, used one after the other
/// on one thread, each run their own kernel, every time: what a per-thread
/// switch could not do without being flipped between the calls. Float64
/// weights tell the two paths apart whether or not oneDNN is linked here:
/// the fused cells take float32 only and answer with a kernel error (or,
/// without oneDNN, with the reason it cannot load), libtorch's cells run
/// them. (That the two agree on float32 is the golden tests' business, in
/// onednn_tests.rs.)
#[test]
fn classifiers_built_with_different_kernels_each_run_their_own_on_one_thread() {
    let tokens = Tensor::from_slice(&[1i64, 4, 2, 7, 3, 3, 9, 0]).view([2, 4]);
    let lengths = Tensor::from_slice(&[4i64, 2]);
    for cell in Cell::RECURRENT {
        for (layers, bidirectional) in [(1, false), (2, false), (2, true)] {
            let s = shape(cell, 5, layers, bidirectional);
            let what = format!("{cell} layers {layers} bidirectional {bidirectional}");
            let mut vs = nn::VarStore::new(Device::Cpu);
            let fused = Classifier::new(&(vs.root() / "fused"), s, 0.0, RecurrentKernel::Fused);
            let libtorch =
                Classifier::new(&(vs.root() / "libtorch"), s, 0.0, RecurrentKernel::Libtorch);
            vs.double();
            for round in 0..2 {
                let refused = tch::no_grad(|| fused.forward(&tokens, &lengths, false));
                assert!(
                    matches!(refused, Err(crate::Error::Kernel(_))),
                    "{what}, round {round}: the fused model ran float64 off the fused cells: {refused:?}"
                );
                let logits = tch::no_grad(|| libtorch.forward(&tokens, &lengths, false))
                    .unwrap_or_else(|e| panic!("{what}, round {round}: libtorch's cells: {e}"));
                assert_eq!(logits.kind(), Kind::Double, "{what}");
            }
        }
    }
}
