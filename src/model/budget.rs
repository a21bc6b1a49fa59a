//! Closed-form parameter counts, the FLOP counts built on them, and the
//! hidden size that matches a budget.
//!
//! The Transformer's count, and what grows with its budget: its model width
//! is the embedding width `d` (`--embed`: it reads the same token embedding
//! as the cells, so for one seed every model starts from the same
//! embedding), it has [`TRANSFORMER_HEADS`] heads and one block per
//! `--layers`, and its **feed-forward width `F` is its hidden size**, the one
//! number matched to the first model's budget. `F` moves the count in steps
//! of `layers·(2d + 1)` parameters (129 at the default `d` = 64), so the
//! match is within a few hundred parameters wherever the fixed part (the
//! attention, the learned positions `P·d`, the norms) is below the budget.
//! Growing `d` instead would move the `vocab·d` embedding, which dominates
//! the count at imdb's vocabulary, in steps of 20,000 parameters.

use serde::{Deserialize, Serialize};

use super::cell::Cell;
use super::pooling::Pooling;

/// Attention heads of every Transformer block (the width `d` must divide by it).
pub const TRANSFORMER_HEADS: i64 = 2;

/// Everything that fixes a classifier's parameter count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelShape {
    /// The recurrent cell, or the Transformer.
    pub cell: Cell,
    /// Vocabulary size, `<pad>` and `<unk>` included (0 for numeric series).
    pub vocab_size: i64,
    /// Channels of a numeric series, read through a linear input layer
    /// `[channels → embed]` (weight and bias) in place of the embedding; 0
    /// for token ids.
    #[serde(default)]
    pub channels: i64,
    /// Embedding width (the Transformer's model width `d`).
    pub embed_size: i64,
    /// Hidden size of the cell (per direction); the Transformer's
    /// feed-forward width `F`.
    pub hidden_size: i64,
    /// Stacked layers (the Transformer's blocks).
    pub layers: i64,
    /// Whether each layer runs in both directions (a cell's; the Transformer
    /// reads both ways in every block and ignores it).
    pub bidirectional: bool,
    /// Output classes.
    pub classes: i64,
    /// Learned position slots: the longest sequence the Transformer reads
    /// (`--max-len`); the cells ignore it.
    #[serde(default)]
    pub positions: i64,
    /// How the states become the head's features (`--pooling`).
    #[serde(default)]
    pub pooling: Pooling,
}

impl ModelShape {
    /// Directions per layer: 1 or 2 (1 for the Transformer, whose one
    /// state per token already sees the whole sequence).
    pub fn directions(&self) -> i64 {
        if self.bidirectional && self.cell.is_recurrent() {
            2
        } else {
            1
        }
    }

    /// Width of each token's state at the top, what the pooling reads and
    /// the head's input: `directions·H` for a cell, `d` for the Transformer.
    pub fn feature_width(&self) -> i64 {
        if self.cell.is_recurrent() {
            self.directions() * self.hidden_size
        } else {
            self.embed_size
        }
    }

    /// Weights of the Transformer's blocks (matrix entries): per block the
    /// query, key, value and output projections `4·d²` and the feed-forward
    /// pair `2·d·F`. 0 for a cell.
    pub fn encoder_weights(&self) -> i64 {
        if self.cell.is_recurrent() {
            return 0;
        }
        let (d, f) = (self.embed_size, self.hidden_size);
        self.layers * (4 * d * d + 2 * d * f)
    }

    /// The Transformer's other encoder parameters: per block the biases of
    /// the projections `3d + d`, of the feed-forward pair `F + d`, and two
    /// layer norms' scales and shifts `4d` (so `9d + F`), then the final
    /// layer norm `2d`, and the learned positions `P·d`. 0 for a cell.
    pub fn encoder_biases_and_positions(&self) -> i64 {
        if self.cell.is_recurrent() {
            return 0;
        }
        let (d, f) = (self.embed_size, self.hidden_size);
        self.layers * (9 * d + f) + 2 * d + self.positions * d
    }

    /// Weights that do one multiply-add per token: the recurrent part's
    /// ([`recurrent_weights`](Self::recurrent_weights)) or the encoder's
    /// ([`encoder_weights`](Self::encoder_weights)).
    pub fn body_weights(&self) -> i64 {
        self.recurrent_weights() + self.encoder_weights()
    }

    /// Weights of the recurrent part (matrix entries, no biases): per layer
    /// and direction `gates·H·(in + H)`, where `in` is the embedding width for
    /// the first layer and `directions·H` above it. 0 for the Transformer
    /// (no gate blocks).
    pub fn recurrent_weights(&self) -> i64 {
        let (g, h) = (self.cell.gate_blocks(), self.hidden_size);
        (0..self.layers)
            .map(|layer| {
                let input = if layer == 0 {
                    self.embed_size
                } else {
                    self.directions() * h
                };
                self.directions() * g * h * (input + h)
            })
            .sum()
    }

    /// Biases of the recurrent part: `2·gates·H` per layer and direction
    /// (libtorch keeps two bias vectors).
    pub fn recurrent_biases(&self) -> i64 {
        self.layers * self.directions() * 2 * self.cell.gate_blocks() * self.hidden_size
    }

    /// Parameters of the recurrent part: [`recurrent_weights`](Self::recurrent_weights)
    /// plus [`recurrent_biases`](Self::recurrent_biases), i.e. per layer and
    /// direction `gates·H·(in + H) + 2·gates·H`.
    pub fn recurrent_params(&self) -> i64 {
        self.recurrent_weights() + self.recurrent_biases()
    }

    /// Weights of the linear head on the pooled features:
    /// `classes·`[`feature_width`](Self::feature_width).
    pub fn head_weights(&self) -> i64 {
        self.classes * self.feature_width()
    }

    /// Parameters of what turns the input into `embed`-wide vectors: the
    /// embedding `vocab·e`, or for numeric series the linear input layer
    /// `channels·e + e`.
    pub fn input_params(&self) -> i64 {
        if self.channels > 0 {
            self.channels * self.embed_size + self.embed_size
        } else {
            self.vocab_size * self.embed_size
        }
    }

    /// Parameters of the whole classifier: the input (embedding or linear
    /// input layer), recurrent part or encoder (with its positions), the
    /// pooling's (the attention query), and the linear head on the pooled
    /// features.
    pub fn params(&self) -> i64 {
        self.input_params()
            + self.recurrent_params()
            + self.encoder_weights()
            + self.encoder_biases_and_positions()
            + self.pooling.params(self.feature_width())
            + self.head_weights()
            + self.classes
    }

    /// Floats one token makes one layer direction keep for backpropagation
    /// through time, counted from the cell's equations: what the backward
    /// pass reads that it cannot recompute from the step before (the layer's
    /// input `x_t`, shared by every cell at one embedding width, is left out;
    /// it is the layer below's output or the embedding).
    ///
    /// - LSTM, `i, f, o = σ(·)`, `g = tanh(·)`, `c_t = f⊙c_{t−1} + i⊙g`,
    ///   `h_t = o⊙tanh(c_t)`: the four gate activations, `c_t`, `tanh(c_t)`
    ///   and `h_t`: **7·H**.
    /// - GRU (PyTorch's form), `r, z = σ(·)`, `n = tanh(W_in x + b_in + r⊙(W_hn h + b_hn))`,
    ///   `h_t = (1−z)⊙n + z⊙h_{t−1}`: `r`, `z`, `n`, `W_hn h + b_hn` (needed
    ///   for `∂r`) and `h_t`: **5·H**.
    /// - tanh RNN, `h_t = tanh(W x + U h_{t−1} + b)`: `h_t` alone (tanh's
    ///   derivative is `1 − h_t²`): **1·H**.
    /// - Transformer block (pre-LN, width `d`, feed-forward `F`), the part
    ///   that does not grow with the length: the two layer norms' inputs and
    ///   outputs `4d`, the query, key and value `3d`, the attention's output
    ///   and its projection `2d`, the two residual dropout masks `2d`, the
    ///   feed-forward's pre-activation, activation and dropout mask `3F`:
    ///   **11·d + 3·F**. The attention weights come on top, `heads·T` per
    ///   token ([`attention_floats_per_token_per_layer`](Self::attention_floats_per_token_per_layer)).
    pub fn activation_floats_per_token_per_layer(&self) -> i64 {
        let per_unit = match self.cell {
            Cell::Lstm => 7,
            Cell::Gru => 5,
            Cell::Rnn => 1,
            Cell::Transformer => return 11 * self.embed_size + 3 * self.hidden_size,
        };
        per_unit * self.hidden_size
    }

    /// Floats of the attention one token keeps per block in a sequence of
    /// `seq` tokens: its row of attention weights and their dropout mask in
    /// each head, `2·heads·T` (the `T²` term of a sequence: libtorch's
    /// unfused attention keeps the `[heads, T, T]` weights for backward;
    /// its fused kernels keep less, so this is an upper estimate). 0 for a
    /// cell.
    pub fn attention_floats_per_token_per_layer(&self, seq: i64) -> i64 {
        if self.cell.is_recurrent() {
            0
        } else {
            2 * TRANSFORMER_HEADS * seq
        }
    }

    /// Bytes (float32) one token keeps for backpropagation over the whole
    /// recurrent stack: [`activation_floats_per_token_per_layer`](Self::activation_floats_per_token_per_layer)
    /// × layers × directions × 4.
    pub fn activation_bytes_per_token(&self) -> i64 {
        self.activation_floats_per_token_per_layer() * self.layers * self.directions() * 4
    }

    /// Bytes (float32) one token of a sequence of `seq` tokens keeps for
    /// backpropagation: [`activation_bytes_per_token`](Self::activation_bytes_per_token)
    /// plus, for the Transformer, its attention weights
    /// ([`attention_floats_per_token_per_layer`](Self::attention_floats_per_token_per_layer)
    /// × layers × 4).
    pub fn activation_bytes_per_token_at(&self, seq: i64) -> i64 {
        self.activation_bytes_per_token()
            + 4 * self.layers * self.attention_floats_per_token_per_layer(seq)
    }

    /// Bytes (float32) a training step of `batch` sequences of `seq` tokens
    /// needs at least: weights, their gradients and Adam's two moments
    /// (`4·params` floats), and per token the activations the recurrent
    /// stack keeps for backpropagation
    /// ([`activation_bytes_per_token`](Self::activation_bytes_per_token))
    /// plus the embedding's output (the first layer's input), and for the
    /// Transformer the attention's `T²` term
    /// ([`attention_floats_per_token_per_layer`](Self::attention_floats_per_token_per_layer)
    /// × layers × 4 bytes per token). libtorch's own
    /// workspaces and the data come on top. The memory guard
    /// ([`crate::memory_guard`]) checks this before any training.
    pub fn training_bytes(&self, batch: i64, seq: i64) -> f64 {
        let per_token = self.activation_bytes_per_token_at(seq) + 4 * self.embed_size;
        16.0 * self.params() as f64 + (batch * seq) as f64 * per_token as f64
    }

    /// FLOPs of one forward pass over `batch` sequences of `seq` tokens: every
    /// recurrent or encoder weight ([`body_weights`](Self::body_weights))
    /// does one multiply-add (2 FLOPs) per token, every head weight one per
    /// sequence; the Transformer's attention adds `QKᵀ` and the weighted sum
    /// of the values, `2·T²·d` multiply-adds per block and sequence.
    /// Element-wise arithmetic, biases, norms and the embedding lookup are
    /// left out.
    pub fn forward_flops(&self, batch: i64, seq: i64) -> f64 {
        let attention = if self.cell.is_recurrent() {
            0.0
        } else {
            4.0 * (seq * seq) as f64 * (self.embed_size * self.layers) as f64
        };
        2.0 * self.body_weights() as f64 * (batch * seq) as f64
            + attention * batch as f64
            + 2.0 * self.head_weights() as f64 * batch as f64
    }

    /// FLOPs of one train step: 3x the forward pass (the backward pass
    /// computes gradients for both the inputs and the weights, each costing
    /// a forward pass); the optimiser's update is left out.
    pub fn train_step_flops(&self, batch: i64, seq: i64) -> f64 {
        3.0 * self.forward_flops(batch, seq)
    }
}

impl ModelShape {
    /// A small text model of `cell` for tests, at rnnbench's default sizes:
    /// a vocabulary of 20,000 token ids (`channels` 0: no numeric series),
    /// embedding width 64, hidden size 64, one layer in one direction, 2
    /// classes, no position slots (`positions` 0: the cells ignore it; a
    /// Transformer that runs needs one per token of its longest sequence) and
    /// last-state pooling (for every cell, the Transformer too). A test names
    /// only the fields it changes:
    /// `ModelShape { hidden_size: 16, ..ModelShape::for_test(cell) }`.
    #[cfg(test)]
    pub(crate) fn for_test(cell: Cell) -> ModelShape {
        ModelShape {
            cell,
            vocab_size: 20_000,
            channels: 0,
            embed_size: 64,
            hidden_size: 64,
            layers: 1,
            bidirectional: false,
            classes: 2,
            positions: 0,
            pooling: Pooling::Last,
        }
    }
}

/// The hidden size in `1..=max_hidden` whose whole-model parameter count is
/// closest to `target_params` for `shape` (with its `hidden_size` ignored); the
/// smaller size wins a tie. For the Transformer the hidden size is the
/// feed-forward width (see the module's docs).
pub fn hidden_for_budget(shape: ModelShape, target_params: i64, max_hidden: i64) -> i64 {
    (1..=max_hidden)
        .min_by_key(|&h| {
            (ModelShape {
                hidden_size: h,
                ..shape
            }
            .params()
                - target_params)
                .abs()
        })
        .unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(cell: Cell, hidden_size: i64) -> ModelShape {
        ModelShape {
            embed_size: 128,
            hidden_size,
            positions: 400,
            ..ModelShape::for_test(cell)
        }
    }

    #[test]
    fn lstm_128_matches_gru_155_and_rnn_304() {
        let target = shape(Cell::Lstm, 128).params();
        assert_eq!(hidden_for_budget(shape(Cell::Gru, 0), target, 4096), 155);
        assert_eq!(hidden_for_budget(shape(Cell::Rnn, 0), target, 4096), 304);
    }

    #[test]
    fn activation_memory_per_token_by_hand() {
        // LSTM 128: 4 gates + c + tanh(c) + h = 7·128 floats; GRU 155 (its
        // parameter match): r, z, n, W_hn·h + b_hn, h = 5·155; RNN 304: h.
        let (lstm, gru, rnn) = (
            shape(Cell::Lstm, 128),
            shape(Cell::Gru, 155),
            shape(Cell::Rnn, 304),
        );
        assert_eq!(lstm.activation_floats_per_token_per_layer(), 896);
        assert_eq!(gru.activation_floats_per_token_per_layer(), 775);
        assert_eq!(rnn.activation_floats_per_token_per_layer(), 304);
        assert_eq!(lstm.activation_bytes_per_token(), 896 * 4);
        // At matched hidden size the ratio is the equations' 7 : 5.
        let gru_128 = shape(Cell::Gru, 128);
        assert_eq!(
            lstm.activation_bytes_per_token() * 5,
            gru_128.activation_bytes_per_token() * 7
        );
        // Two bidirectional layers keep four times one layer's.
        let deep = ModelShape {
            layers: 2,
            bidirectional: true,
            ..lstm
        };
        assert_eq!(deep.activation_bytes_per_token(), 4 * 896 * 4);
    }

    #[test]
    fn single_layer_lstm_count_by_hand() {
        // 4·128·(128+128) + 8·128 = 132_096 recurrent; head 2·128 + 2.
        let s = shape(Cell::Lstm, 128);
        assert_eq!(s.recurrent_params(), 132_096);
        assert_eq!(s.params(), 20_000 * 128 + 132_096 + 258);
    }

    #[test]
    fn bidirectional_second_layer_sees_both_directions() {
        let s = ModelShape {
            layers: 2,
            bidirectional: true,
            ..shape(Cell::Gru, 10)
        };
        let layer0 = 2 * (3 * 10 * (128 + 10) + 60);
        let layer1 = 2 * (3 * 10 * (20 + 10) + 60);
        assert_eq!(s.recurrent_params(), layer0 + layer1);
        assert_eq!(s.recurrent_biases(), 2 * 2 * 60);
    }

    #[test]
    fn training_bytes_add_weights_gradients_adam_and_activations() {
        // LSTM h128 on e128: 16 bytes per parameter; per token 7·128 floats
        // kept by the cell and the 128-wide embedding output.
        let s = shape(Cell::Lstm, 128);
        let bytes = 16.0 * s.params() as f64 + 64.0 * 200.0 * 4.0 * (7.0 * 128.0 + 128.0);
        assert_eq!(s.training_bytes(64, 200), bytes);
    }

    #[test]
    fn forward_flops_are_two_per_weight_and_token() {
        // 2·4·128·(128+128) per token x 64·200 tokens, plus the head 2·2·128·64.
        let s = shape(Cell::Lstm, 128);
        assert_eq!(s.recurrent_weights(), 4 * 128 * 256);
        assert_eq!(
            s.forward_flops(64, 200),
            2.0 * 4.0 * 128.0 * 256.0 * 12_800.0 + 32_768.0
        );
        assert_eq!(s.train_step_flops(64, 200), 3.0 * s.forward_flops(64, 200));
    }

    /// The rnnbench defaults: vocabulary 20,000, embedding 64, 128 tokens.
    fn default_shape(cell: Cell, hidden_size: i64) -> ModelShape {
        ModelShape {
            hidden_size,
            positions: 128,
            pooling: if cell == Cell::Transformer {
                Pooling::Mean
            } else {
                Pooling::Last
            },
            ..ModelShape::for_test(cell)
        }
    }

    #[test]
    fn transformer_count_by_hand() {
        // d 64, F 128 (the PyTorch yardstick): embedding 20,000·64,
        // positions 128·64, per block in-projection 3·64·64 + 192, out
        // projection 64·64 + 64, feed-forward 64·128 + 128 + 128·64 + 64,
        // two layer norms 4·64; final norm 128; head 2·64 + 2.
        let s = default_shape(Cell::Transformer, 128);
        let block = 3 * 64 * 64 + 192 + 64 * 64 + 64 + 64 * 128 + 128 + 128 * 64 + 64 + 4 * 64;
        assert_eq!(s.encoder_weights(), 4 * 64 * 64 + 2 * 64 * 128);
        assert_eq!(
            s.params(),
            20_000 * 64 + 128 * 64 + block + 128 + 2 * 64 + 2
        );
        assert_eq!(s.params(), 1_321_922);
        assert_eq!(s.recurrent_params(), 0);
        // Attention pooling adds its query (d); the Transformer ignores
        // --bidirectional.
        let attention = ModelShape {
            pooling: Pooling::Attention,
            bidirectional: true,
            ..s
        };
        assert_eq!(attention.params(), s.params() + 64);
    }

    #[test]
    fn transformer_matches_the_default_lstm_through_its_feed_forward_width() {
        let lstm = default_shape(Cell::Lstm, 64);
        assert_eq!(lstm.params(), 1_313_410);
        let f = hidden_for_budget(default_shape(Cell::Transformer, 0), lstm.params(), 8192);
        let transformer = default_shape(Cell::Transformer, f);
        // Each unit of F is 2·64 + 1 = 129 parameters: F 62 lands 2 short.
        assert_eq!(f, 62);
        assert_eq!(transformer.params(), 1_313_408);
        let gap = (transformer.params() - lstm.params()).abs() as f64 / lstm.params() as f64;
        assert!(gap < 1e-4, "{gap}");
    }

    #[test]
    fn transformer_memory_has_a_quadratic_term() {
        let s = default_shape(Cell::Transformer, 62);
        assert_eq!(s.activation_floats_per_token_per_layer(), 11 * 64 + 3 * 62);
        assert_eq!(s.attention_floats_per_token_per_layer(128), 2 * 2 * 128);
        let linear =
            16.0 * s.params() as f64 + (32 * 128) as f64 * (4 * (11 * 64 + 3 * 62) + 4 * 64) as f64;
        let quadratic = (32 * 128) as f64 * (4 * 2 * 2 * 128) as f64;
        assert_eq!(s.training_bytes(32, 128), linear + quadratic);
        // The cells have no such term.
        let lstm = default_shape(Cell::Lstm, 64);
        assert_eq!(lstm.attention_floats_per_token_per_layer(128), 0);
        // FLOPs: 2 per encoder weight and token, 4·T²·d per block and
        // sequence, 2 per head weight and sequence.
        let flops = 2.0 * s.encoder_weights() as f64 * (32.0 * 128.0)
            + 4.0 * 128.0 * 128.0 * 64.0 * 32.0
            + 2.0 * 128.0 * 32.0;
        assert_eq!(s.forward_flops(32, 128), flops);
    }
}
