//! Correctness of the models: parameter counts, the cells' equations written
//! out by hand against libtorch's fused kernels, and padding invariance.
//!
//! Set `RNNBENCH_TEST_DEVICE=cuda` to run them on a GPU.

use tch::{Device, Kind, Tensor, nn};

use super::{Cell, Classifier, ModelShape};

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
        cell,
        vocab_size: 50,
        embed_size: 6,
        hidden_size,
        layers,
        bidirectional,
        classes: 3,
    }
}

fn max_abs_diff(a: &Tensor, b: &Tensor) -> f64 {
    (a - b).abs().max().double_value(&[])
}

#[test]
fn closed_form_counts_equal_the_variables() {
    for cell in Cell::ALL {
        for (layers, bidirectional) in [(1, false), (2, false), (1, true), (3, true)] {
            let vs = nn::VarStore::new(Device::Cpu);
            let s = shape(cell, 7, layers, bidirectional);
            let _model = Classifier::new(&vs.root(), s, 0.0);
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
    for cell in Cell::ALL {
        let mut vs = nn::VarStore::new(dev);
        let model = Classifier::new(&vs.root(), shape(cell, hidden, 1, false), 0.0);
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
    for cell in Cell::ALL {
        let mut vs = nn::VarStore::new(dev);
        let model = Classifier::new(&vs.root(), shape(cell, hidden, 1, true), 0.0);
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
    for cell in Cell::ALL {
        for (layers, bidirectional) in [(1, false), (2, false), (1, true), (2, true)] {
            let vs = nn::VarStore::new(dev);
            let model = Classifier::new(&vs.root(), shape(cell, 8, layers, bidirectional), 0.3);
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
    for cell in Cell::ALL {
        for (layers, bidirectional) in [(1, false), (2, false), (1, true), (2, true)] {
            let vs = nn::VarStore::new(dev);
            let model = Classifier::new(&vs.root(), shape(cell, 8, layers, bidirectional), 0.3);
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
    for cell in Cell::ALL {
        for layers in [1, 2] {
            tch::manual_seed(7);
            let vs = nn::VarStore::new(device);
            let model = Classifier::new(&vs.root(), shape(cell, 5, layers, false), 0.0);
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
    let both_ways = Classifier::new(&vs.root(), shape(Cell::Gru, 5, 1, true), 0.0);
    let err = both_ways
        .zero_state(1, Device::Cpu)
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("--bidirectional"), "{err}");
}
