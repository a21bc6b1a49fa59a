//! The sequence classifier: `embedding (token ids) or linear input layer
//! (numeric channels) -> cell (or Transformer encoder) -> pooling over the
//! real steps -> dropout -> linear`.

use tch::{Device, Kind, Tensor, nn};

use super::budget::ModelShape;
use super::cell::Cell;
use super::kernel::{Kernel, RecurrentKernel};
use super::pooling::{Pooling, pool};
use super::transformer::Encoder;
use crate::error::Result;

/// A recurrent text classifier whose weights live in an [`nn::VarStore`].
///
/// Initialisation follows PyTorch's defaults (not tch's `nn::lstm`): the
/// embedding from N(0, 1), every recurrent weight and bias from
/// U(−1/√H, 1/√H), the head's weight and bias from U(−1/√fan_in, 1/√fan_in).
/// Variables are created in the order embedding, head, recurrent weights, so
/// that for one seed every model gets the same embedding (and the same head
/// when the hidden sizes agree).
///
/// Sequences are right-padded. With the default pooling ([`Pooling::Last`])
/// the state used for classification is the one after each sequence's last
/// real token: for the forward direction the output at `length − 1`; for the
/// reverse direction, each sequence is reversed within its own length before
/// the layer runs, so it starts at the last real token and never reads
/// padding. The other poolings ([`super::pooling::pool`]) read the real
/// tokens' states only. Padding a batch further therefore never changes a
/// prediction.
///
/// For [`Cell::Transformer`] the cell is replaced by an [`Encoder`] of the
/// same embedding width (created after the embedding and the head, as the
/// cells' weights are).
///
/// The recurrent layers run on the kernel the classifier is built with
/// ([`RecurrentKernel`]), whatever other classifiers on the same thread run
/// on; [`Classifier::kernel`] says which.
#[derive(Debug)]
pub struct Classifier {
    shape: ModelShape,
    dropout: f64,
    /// The implementation the recurrent layers run on (padded batches and
    /// streaming; [`Classifier::forward_packed`] always runs libtorch's).
    kernel: RecurrentKernel,
    /// The embedding `[vocab, embed]`, or for numeric series the linear
    /// input layer's weight `[embed, channels]`.
    embedding: Tensor,
    /// The linear input layer's bias `[embed]`; `None` for token ids.
    input_bias: Option<Tensor>,
    head_weight: Tensor,
    head_bias: Tensor,
    /// Per layer, per direction: `[w_ih, w_hh, b_ih, b_hh]`, flattened in
    /// libtorch's order (layer, direction, name). Empty for the Transformer.
    recurrent: Vec<Tensor>,
    /// The Transformer's encoder; `None` for a cell.
    encoder: Option<Encoder>,
    /// The attention pooling's query `[feature width]`; `None` for the
    /// other poolings.
    query: Option<Tensor>,
}

impl Classifier {
    /// Creates the variables under `path`. `dropout` is applied to the
    /// features before the head and between stacked layers, in training only.
    /// The recurrent layers run on `kernel` (the Transformer ignores it: its
    /// attention is libtorch's whatever the choice); the variables and their
    /// initial values are the same for every kernel.
    pub fn new(path: &nn::Path, shape: ModelShape, dropout: f64, kernel: RecurrentKernel) -> Self {
        let e = shape.embed_size;
        let h = shape.hidden_size;
        let dirs = shape.directions();
        let (embedding, input_bias) = input_layer(path, &shape);
        let fan_in = shape.feature_width();
        let bound = 1.0 / (fan_in as f64).sqrt();
        let uniform = nn::Init::Uniform {
            lo: -bound,
            up: bound,
        };
        let head = path / "head";
        let head_weight = head.var("weight", &[shape.classes, fan_in], uniform);
        let head_bias = head.var("bias", &[shape.classes], uniform);
        let gates = shape.cell.gate_blocks() * h;
        let bound = 1.0 / (h as f64).sqrt();
        let uniform = nn::Init::Uniform {
            lo: -bound,
            up: bound,
        };
        let rnn = path / "rnn";
        let mut recurrent = Vec::new();
        let encoder =
            (!shape.cell.is_recurrent()).then(|| Encoder::new(&(path / "encoder"), shape));
        let recurrent_layers = if shape.cell.is_recurrent() {
            shape.layers
        } else {
            0
        };
        for layer in 0..recurrent_layers {
            let input = if layer == 0 { e } else { dirs * h };
            for dir in 0..dirs {
                let suffix = if dir == 1 { "_reverse" } else { "" };
                recurrent.push(rnn.var(
                    &format!("weight_ih_l{layer}{suffix}"),
                    &[gates, input],
                    uniform,
                ));
                recurrent.push(rnn.var(
                    &format!("weight_hh_l{layer}{suffix}"),
                    &[gates, h],
                    uniform,
                ));
                recurrent.push(rnn.var(&format!("bias_ih_l{layer}{suffix}"), &[gates], uniform));
                recurrent.push(rnn.var(&format!("bias_hh_l{layer}{suffix}"), &[gates], uniform));
            }
        }
        flatten_for_cudnn(&shape, &recurrent);
        // Zero: a fresh model pools like the mean (and draws nothing from the
        // generator, so the other weights stay those of the other poolings).
        let query = (shape.pooling == Pooling::Attention)
            .then(|| (path / "pooling").var("query", &[fan_in], nn::Init::Const(0.0)));
        Classifier {
            shape,
            dropout,
            kernel,
            embedding,
            input_bias,
            head_weight,
            head_bias,
            recurrent,
            encoder,
            query,
        }
    }

    /// The shape this classifier was built with.
    pub fn shape(&self) -> &ModelShape {
        &self.shape
    }

    /// The implementation this classifier's recurrent layers were built to
    /// run on.
    pub fn recurrent_kernel(&self) -> RecurrentKernel {
        self.kernel
    }

    /// The kernel this classifier's recurrent layers run on where its
    /// weights live, with libtorch's process-wide switches as they are now
    /// ([`RecurrentKernel::runs`]): [`Kernel::OnednnFused`] when built
    /// fused on the CPU, otherwise libtorch's choice for the cell
    /// ([`Kernel::Onednn`], [`Kernel::Cudnn`] or [`Kernel::Native`]);
    /// [`Kernel::Sdpa`] for the Transformer. The answer for padded batches
    /// ([`Classifier::forward`]) and streaming ([`Classifier::step`]), the
    /// one their layers are dispatched on.
    pub fn kernel(&self) -> Kernel {
        self.kernel.runs(self.shape.cell, self.embedding.device())
    }

    /// Whether [`Classifier::zero_state`] and [`Classifier::step`] can
    /// stream this model one token at a time: a unidirectional cell with
    /// [`Pooling::Last`]. Not the Transformer, whose every state reads the
    /// whole sequence (each new token changes every earlier token's state,
    /// so there is no state to carry), nor a bidirectional cell (its
    /// reverse direction starts at the end), nor the other poolings (not
    /// built: they would carry a running sum, max or softmax too).
    pub fn can_stream(&self) -> bool {
        self.shape.cell.is_recurrent()
            && !self.shape.bidirectional
            && self.shape.pooling == Pooling::Last
    }

    /// The recurrent weights, per layer and direction `[w_ih, w_hh, b_ih,
    /// b_hh]` (`w_ih` `[gates·hidden, in]`, `w_hh` `[gates·hidden, hidden]`).
    pub fn recurrent_weights(&self) -> &[Tensor] {
        &self.recurrent
    }

    /// The embedding matrix `[vocab, embed]` (for numeric series, the
    /// input layer's weight `[embed, channels]`).
    pub fn embedding_weight(&self) -> &Tensor {
        &self.embedding
    }

    /// The inputs as `embed`-wide vectors `[batch, seq, embed]`: token ids
    /// `[batch, seq]` (int64) through the embedding, or numeric values
    /// `[batch, seq, channels]` (float32) through the linear input layer.
    pub fn embed(&self, inputs: &Tensor) -> Result<Tensor> {
        Ok(match &self.input_bias {
            Some(bias) => inputs.f_linear(&self.embedding, Some(bias))?,
            None => Tensor::f_embedding(&self.embedding, inputs, -1, false, false)?,
        })
    }

    /// Logits `[batch, classes]` for `inputs` (token ids `[batch, seq]`,
    /// int64, or values `[batch, seq, channels]`, float32; right-padded)
    /// and real lengths `lengths` `[batch]` (int64, each ≥ 1). `train`
    /// switches dropout on.
    pub fn forward(&self, inputs: &Tensor, lengths: &Tensor, train: bool) -> Result<Tensor> {
        let embedded = self.embed(inputs)?;
        self.forward_embedded(&embedded, lengths, train)
    }

    /// Logits `[batch, classes]` from already embedded inputs `[batch, seq,
    /// embed]`.
    pub fn forward_embedded(
        &self,
        embedded: &Tensor,
        lengths: &Tensor,
        train: bool,
    ) -> Result<Tensor> {
        let features = self.features(embedded, lengths, train)?;
        let features = features.f_dropout(self.dropout, train)?;
        Ok(features.f_linear(&self.head_weight, Some(&self.head_bias))?)
    }

    /// Logits `[batch, classes]` like [`Classifier::forward`], but through
    /// libtorch's packed-sequence kernels (`pack_padded_sequence`, then
    /// `lstm_data` / `gru_data` / `rnn_tanh_data`), which step only over real
    /// tokens: PyTorch's `pack_padded_sequence(..., enforce_sorted=False)`.
    /// The batch is sorted by decreasing length for packing and the result put
    /// back in the input order. Same weights, same results as `forward` (up
    /// to rounding); used by the benches to time packing against padding.
    /// A recurrent cell with [`Pooling::Last`] only (an error otherwise).
    pub fn forward_packed(&self, tokens: &Tensor, lengths: &Tensor, train: bool) -> Result<Tensor> {
        if !self.shape.cell.is_recurrent() || self.shape.pooling != Pooling::Last {
            return Err(crate::Error::config(
                "--pooling",
                "packed sequences run a recurrent cell with last-state pooling only",
            ));
        }
        let device = tokens.device();
        let lengths = lengths.f_to_device(Device::Cpu)?.f_to_kind(Kind::Int64)?;
        let (sorted_lengths, order) = lengths.f_sort(0, true)?;
        let embedded = self.embed(&tokens.f_index_select(0, &order.f_to_device(device)?)?)?;
        let (data, batch_sizes) =
            embedded.f_internal_pack_padded_sequence(&sorted_lengths, true)?;
        let dirs = self.shape.directions();
        let h0 = Tensor::f_zeros(
            [
                self.shape.layers * dirs,
                tokens.size()[0],
                self.shape.hidden_size,
            ],
            (embedded.kind(), device),
        )?;
        let dropout = if self.shape.layers > 1 && train {
            self.dropout
        } else {
            0.0
        };
        let (layers, bi) = (self.shape.layers, self.shape.bidirectional);
        let h_n = match self.shape.cell {
            Cell::Lstm => {
                let c0 = h0.zeros_like();
                let weights: Vec<&Tensor> = self.recurrent.iter().collect();
                Tensor::f_lstm_data(
                    &data,
                    &batch_sizes,
                    &[&h0, &c0],
                    &weights,
                    true,
                    layers,
                    dropout,
                    train,
                    bi,
                )?
                .1
            }
            Cell::Gru => {
                Tensor::f_gru_data(
                    &data,
                    &batch_sizes,
                    &h0,
                    &self.recurrent,
                    true,
                    layers,
                    dropout,
                    train,
                    bi,
                )?
                .1
            }
            Cell::Transformer => unreachable!("refused above"),
            Cell::Rnn => {
                Tensor::f_rnn_tanh_data(
                    &data,
                    &batch_sizes,
                    &h0,
                    &self.recurrent,
                    true,
                    layers,
                    dropout,
                    train,
                    bi,
                )?
                .1
            }
        };
        // h_n is [layers · dirs, batch, hidden]; the last layer's directions,
        // forward first, side by side.
        let last: Vec<Tensor> = (0..dirs)
            .map(|d| h_n.select(0, (layers - 1) * dirs + d))
            .collect();
        let features = Tensor::f_cat(&last, 1)?;
        let inverse = order.f_argsort(0, false)?.f_to_device(device)?;
        let features = features
            .f_index_select(0, &inverse)?
            .f_dropout(self.dropout, train)?;
        Ok(features.f_linear(&self.head_weight, Some(&self.head_bias))?)
    }

    /// Logits `[batch, classes]` from embedded inputs through the training
    /// kernels but with every dropout off: deterministic like evaluation, and
    /// differentiable on cuDNN (whose RNN backward runs in training mode
    /// only). Used to measure the gradient reaching each input step.
    pub fn forward_for_input_gradients(
        &self,
        embedded: &Tensor,
        lengths: &Tensor,
    ) -> Result<Tensor> {
        let features = self.features_with(embedded, lengths, true, 0.0)?;
        Ok(features.f_linear(&self.head_weight, Some(&self.head_bias))?)
    }

    /// The pooled features `[batch, feature width]` (by default the state
    /// after each sequence's last real token, `[batch, directions · hidden]`,
    /// forward direction first).
    pub fn features(&self, embedded: &Tensor, lengths: &Tensor, train: bool) -> Result<Tensor> {
        self.features_with(
            embedded,
            lengths,
            train,
            if train { self.dropout } else { 0.0 },
        )
    }

    /// [`Classifier::features`] with the kernels' training flag and the
    /// between-layer dropout chosen separately.
    fn features_with(
        &self,
        embedded: &Tensor,
        lengths: &Tensor,
        train: bool,
        dropout: f64,
    ) -> Result<Tensor> {
        let device = embedded.device();
        let lengths = lengths.f_to_device(device)?;
        let pooling = self.shape.pooling;
        if let Some(encoder) = &self.encoder {
            let states = encoder.states(embedded, &lengths, dropout)?;
            return pool(&states, &lengths, pooling, self.query.as_ref());
        }
        if !self.shape.bidirectional {
            let out = self.run(embedded, &self.recurrent, self.shape.layers, train, dropout)?;
            return pool(&out, &lengths, pooling, self.query.as_ref());
        }
        let reverse_index = reverse_within_lengths(&lengths, embedded.size()[1], device)?;
        let mut input = embedded.shallow_clone();
        let mut last = None;
        for layer in 0..self.shape.layers as usize {
            let forward_weights = &self.recurrent[layer * 8..layer * 8 + 4];
            let reverse_weights = &self.recurrent[layer * 8 + 4..layer * 8 + 8];
            let out_forward = self.run(&input, forward_weights, 1, train, 0.0)?;
            let reversed_input = gather_steps(&input, &reverse_index)?;
            let out_reversed = self.run(&reversed_input, reverse_weights, 1, train, 0.0)?;
            if layer as i64 == self.shape.layers - 1 && pooling != Pooling::Last {
                // Every step's state, the reverse direction's put back in
                // reading order, side by side.
                let out_reverse = gather_steps(&out_reversed, &reverse_index)?;
                let states = Tensor::f_cat(&[out_forward, out_reverse], 2)?;
                last = Some(pool(&states, &lengths, pooling, self.query.as_ref())?);
            } else if layer as i64 == self.shape.layers - 1 {
                last = Some(Tensor::f_cat(
                    &[
                        last_real(&out_forward, &lengths)?,
                        last_real(&out_reversed, &lengths)?,
                    ],
                    1,
                )?);
            } else {
                let out_reverse = gather_steps(&out_reversed, &reverse_index)?;
                // The dropout this call was given (0 for the gradient probe
                // and evaluation), never the model's own: a probe that drew
                // masks here would move the generator training draws from.
                input = Tensor::f_cat(&[out_forward, out_reverse], 2)?;
                if dropout > 0.0 {
                    input = input.f_dropout(dropout, train)?;
                }
            }
        }
        Ok(last.expect("layers >= 1 is validated by the configuration"))
    }

    /// A zero recurrent state for streaming ([`Classifier::step`]) of
    /// `batch` sequences on `device`; an error for a model that cannot
    /// stream ([`Classifier::can_stream`]).
    pub fn zero_state(&self, batch: i64, device: Device) -> Result<StreamState> {
        if !self.shape.cell.is_recurrent() {
            return Err(crate::Error::config(
                "--models",
                "the Transformer cannot stream one token at a time (every state reads the whole sequence)",
            ));
        }
        if self.shape.bidirectional {
            return Err(crate::Error::config(
                "--bidirectional",
                "a bidirectional model cannot stream one token at a time",
            ));
        }
        if self.shape.pooling != Pooling::Last {
            return Err(crate::Error::config(
                "--pooling",
                "only a model with last-state pooling streams one token at a time",
            ));
        }
        let h = Tensor::f_zeros(
            [self.shape.layers, batch, self.shape.hidden_size],
            (Kind::Float, device),
        )?;
        let c = (self.shape.cell == Cell::Lstm).then(|| h.zeros_like());
        Ok(StreamState { h, c })
    }

    /// Streaming, in evaluation mode: reads one step per sequence (token
    /// ids `[batch]`, int64, or values `[batch, channels]`) from `state`, leaves the state after it in
    /// `state`, and returns the logits `[batch, classes]` of the sequences
    /// read so far. Feeding a sequence token by token from
    /// [`Classifier::zero_state`] gives the logits of
    /// [`Classifier::forward`] on it (same kernels, one step per call).
    pub fn step(&self, tokens: &Tensor, state: &mut StreamState) -> Result<Tensor> {
        let embedded = self.embed(&tokens.f_unsqueeze(1)?)?;
        let layers = self.shape.layers;
        let (_, h, c) = self.layers(
            &embedded,
            (&state.h, state.c.as_ref()),
            &self.recurrent,
            layers,
            (false, 0.0),
        )?;
        let top = h.f_select(0, layers - 1)?;
        let logits = top.f_linear(&self.head_weight, Some(&self.head_bias))?;
        *state = StreamState { h, c };
        Ok(logits)
    }

    /// Runs `layers` stacked unidirectional layers of the cell with `weights`
    /// over `input` `[batch, seq, in]`, from a zero state; `[batch, seq, hidden]`.
    /// `dropout` applies between stacked layers (in training mode only).
    fn run(
        &self,
        input: &Tensor,
        weights: &[Tensor],
        layers: i64,
        train: bool,
        dropout: f64,
    ) -> Result<Tensor> {
        let batch = input.size()[0];
        let h0 = Tensor::f_zeros(
            [layers, batch, self.shape.hidden_size],
            (input.kind(), input.device()),
        )?;
        let c0 = (self.shape.cell == Cell::Lstm).then(|| h0.zeros_like());
        let dropout = if layers > 1 { dropout } else { 0.0 };
        let (out, ..) =
            self.layers(input, (&h0, c0.as_ref()), weights, layers, (train, dropout))?;
        Ok(out)
    }

    /// `layers` stacked unidirectional layers of the cell over `input`
    /// `[batch, seq, in]` from the state `(h0, c0)` `[layers, batch,
    /// hidden]` (`c0` for the LSTM only), with `weights` per layer `[w_ih,
    /// w_hh, b_ih, b_hh]`, in training mode or not, with `dropout` between
    /// layers: on the kernel this classifier was built with (the one place
    /// it is chosen, by [`RecurrentKernel::fused_on`], which
    /// [`Classifier::kernel`]'s answer rests on too). Returns every
    /// step's output `[batch, seq, hidden]` and the final state `h` (and
    /// `c` for the LSTM), `[layers, batch, hidden]`.
    fn layers(
        &self,
        input: &Tensor,
        state: (&Tensor, Option<&Tensor>),
        weights: &[Tensor],
        layers: i64,
        mode: (bool, f64),
    ) -> Result<(Tensor, Tensor, Option<Tensor>)> {
        if self.kernel.fused_on(input.device()) {
            self.onednn_layers(input, state, weights, layers, mode)
        } else {
            self.libtorch_layers(input, state, weights, layers, mode)
        }
    }

    /// [`Classifier::layers`] on libtorch's kernels (`lstm`, `gru`,
    /// `rnn_tanh`: the one place the cells are told apart for them), which
    /// apply the dropout between layers themselves.
    fn libtorch_layers(
        &self,
        input: &Tensor,
        (h0, c0): (&Tensor, Option<&Tensor>),
        weights: &[Tensor],
        layers: i64,
        (train, dropout): (bool, f64),
    ) -> Result<(Tensor, Tensor, Option<Tensor>)> {
        let args = (true, layers, dropout, train, false, true);
        Ok(match self.shape.cell {
            Cell::Lstm => {
                let c0 = c0.expect("an LSTM state has a cell state");
                let weights: Vec<&Tensor> = weights.iter().collect();
                let (out, h, c) = input.f_lstm(
                    &[h0, c0],
                    &weights,
                    args.0,
                    args.1,
                    args.2,
                    args.3,
                    args.4,
                    args.5,
                )?;
                (out, h, Some(c))
            }
            Cell::Gru => {
                let (out, h) =
                    input.f_gru(h0, weights, args.0, args.1, args.2, args.3, args.4, args.5)?;
                (out, h, None)
            }
            Cell::Rnn => {
                let (out, h) = input
                    .f_rnn_tanh(h0, weights, args.0, args.1, args.2, args.3, args.4, args.5)?;
                (out, h, None)
            }
            Cell::Transformer => {
                return Err(crate::Error::config(
                    "--models",
                    "the Transformer has no recurrent layers",
                ));
            }
        })
    }
}

/// The embedding `[vocab, embed]` from N(0, 1) (token ids), or the linear
/// input layer `[embed, channels]` with its bias `[embed]` from
/// U(−1/√channels, 1/√channels), PyTorch's `nn.Linear` default (numeric
/// series).
fn input_layer(path: &nn::Path, shape: &ModelShape) -> (Tensor, Option<Tensor>) {
    let e = shape.embed_size;
    if shape.channels > 0 {
        let bound = 1.0 / (shape.channels as f64).sqrt();
        let uniform = nn::Init::Uniform {
            lo: -bound,
            up: bound,
        };
        let input = path / "input";
        let weight = input.var("weight", &[e, shape.channels], uniform);
        let bias = input.var("bias", &[e], uniform);
        return (weight, Some(bias));
    }
    let embedding = (path / "embedding").var(
        "weight",
        &[shape.vocab_size, e],
        nn::Init::Randn {
            mean: 0.0,
            stdev: 1.0,
        },
    );
    (embedding, None)
}

impl Classifier {
    /// [`Classifier::layers`] on the fused oneDNN cells (`--kernel
    /// onednn`): layer by layer, each from its own slice of the state, with
    /// dropout between layers in training, as libtorch applies it.
    fn onednn_layers(
        &self,
        input: &Tensor,
        (h0, c0): (&Tensor, Option<&Tensor>),
        weights: &[Tensor],
        layers: i64,
        (train, dropout): (bool, f64),
    ) -> Result<(Tensor, Tensor, Option<Tensor>)> {
        let mut x = input.shallow_clone();
        let (mut hs, mut cs) = (Vec::new(), Vec::new());
        for layer in 0..layers {
            if layer > 0 {
                x = x.f_dropout(dropout, train)?;
            }
            let w = &weights[layer as usize * 4..layer as usize * 4 + 4];
            let c0 = c0.map(|c| c.f_select(0, layer)).transpose()?;
            let o = super::onednn::layer(
                self.shape.cell,
                &x,
                &h0.f_select(0, layer)?,
                c0.as_ref(),
                &w[0],
                &w[1],
                &w[2],
                &w[3],
            )?;
            x = o.out;
            hs.push(o.h_n);
            cs.extend(o.c_n);
        }
        let h = Tensor::f_stack(&hs, 0)?;
        let c = if cs.is_empty() {
            None
        } else {
            Some(Tensor::f_stack(&cs, 0)?)
        };
        Ok((x, h, c))
    }
}

/// The recurrent state carried between [`Classifier::step`] calls: `h`
/// `[layers, batch, hidden]`, and for an LSTM the cell state `c` of the same shape.
#[derive(Debug)]
pub struct StreamState {
    h: Tensor,
    c: Option<Tensor>,
}

/// On CUDA, moves the recurrent weights into one contiguous buffer per fused
/// call, as cuDNN wants (PyTorch's `flatten_parameters`); otherwise cuDNN
/// copies them on every call. The tensors keep their identity (they become
/// views into the buffer), so the optimiser and the checkpoints still see
/// them. A no-op on the CPU.
fn flatten_for_cudnn(shape: &ModelShape, recurrent: &[Tensor]) {
    let Some(first) = recurrent.first() else {
        return;
    };
    if !first.device().is_cuda() || !tch::Cuda::cudnn_is_available() {
        return;
    }
    let mode = match shape.cell {
        Cell::Rnn => 1, // cuDNN's RNN_TANH
        Cell::Lstm => 2,
        Cell::Gru => 3,
        Cell::Transformer => return,
    };
    let flatten = |weights: &[Tensor], input: i64, layers: i64| {
        tch::no_grad(|| {
            let _ = Tensor::f_internal_cudnn_rnn_flatten_weight(
                weights,
                4,
                input,
                mode,
                shape.hidden_size,
                0,
                layers,
                true,
                false,
            );
        })
    };
    if shape.bidirectional {
        for (i, group) in recurrent.chunks(4).enumerate() {
            let layer = i as i64 / 2;
            let input = if layer == 0 {
                shape.embed_size
            } else {
                2 * shape.hidden_size
            };
            flatten(group, input, 1);
        }
    } else {
        flatten(recurrent, shape.embed_size, shape.layers);
    }
}

/// `out[b, lengths[b] − 1, :]`, shape `[batch, hidden]`.
fn last_real(out: &Tensor, lengths: &Tensor) -> Result<Tensor> {
    pool(out, lengths, Pooling::Last, None)
}

/// Index `[batch, seq]` that reverses each row within its first `length`
/// steps and leaves the padding in place; applying it twice is the identity.
fn reverse_within_lengths(lengths: &Tensor, seq_len: i64, device: Device) -> Result<Tensor> {
    let steps = Tensor::f_arange(seq_len, (Kind::Int64, device))?.f_unsqueeze(0)?;
    let lengths = lengths.f_unsqueeze(1)?;
    let reversed = (&lengths - 1 - &steps).f_expand([lengths.size()[0], seq_len], false)?;
    let steps = steps.f_expand([lengths.size()[0], seq_len], false)?;
    Ok(reversed.f_where_self(&steps.f_lt_tensor(&lengths)?, &steps)?)
}

/// `x[b, index[b, t], :]` for `x` `[batch, seq, d]`.
fn gather_steps(x: &Tensor, index: &Tensor) -> Result<Tensor> {
    let size = x.size();
    let index = index
        .f_unsqueeze(2)?
        .f_expand([size[0], size[1], size[2]], false)?;
    Ok(x.f_gather(1, &index, false)?)
}
