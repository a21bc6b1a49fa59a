//! Closed-form parameter counts, the FLOP counts built on them, and the
//! hidden size that matches a budget.

use serde::{Deserialize, Serialize};

use super::cell::Cell;

/// Everything that fixes a classifier's parameter count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelShape {
    /// The recurrent cell.
    pub cell: Cell,
    /// Vocabulary size, `<pad>` and `<unk>` included.
    pub vocab_size: i64,
    /// Embedding width.
    pub embed_size: i64,
    /// Hidden size of the cell (per direction).
    pub hidden_size: i64,
    /// Stacked layers.
    pub layers: i64,
    /// Whether each layer runs in both directions.
    pub bidirectional: bool,
    /// Output classes.
    pub classes: i64,
}

impl ModelShape {
    /// Directions per layer: 1 or 2.
    pub fn directions(&self) -> i64 {
        if self.bidirectional { 2 } else { 1 }
    }

    /// Weights of the recurrent part (matrix entries, no biases): per layer
    /// and direction `gates·H·(in + H)`, where `in` is the embedding width for
    /// the first layer and `directions·H` above it.
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

    /// Weights of the linear head on the concatenated final states:
    /// `classes·directions·H`.
    pub fn head_weights(&self) -> i64 {
        self.classes * self.directions() * self.hidden_size
    }

    /// Parameters of the whole classifier: embedding, recurrent part, and the
    /// linear head on the concatenated final states.
    pub fn params(&self) -> i64 {
        let embedding = self.vocab_size * self.embed_size;
        embedding + self.recurrent_params() + self.head_weights() + self.classes
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
    pub fn activation_floats_per_token_per_layer(&self) -> i64 {
        let per_unit = match self.cell {
            Cell::Lstm => 7,
            Cell::Gru => 5,
            Cell::Rnn => 1,
        };
        per_unit * self.hidden_size
    }

    /// Bytes (float32) one token keeps for backpropagation over the whole
    /// recurrent stack: [`activation_floats_per_token_per_layer`](Self::activation_floats_per_token_per_layer)
    /// × layers × directions × 4.
    pub fn activation_bytes_per_token(&self) -> i64 {
        self.activation_floats_per_token_per_layer() * self.layers * self.directions() * 4
    }

    /// Bytes (float32) a training step of `batch` sequences of `seq` tokens
    /// needs at least: weights, their gradients and Adam's two moments
    /// (`4·params` floats), and per token the activations the recurrent
    /// stack keeps for backpropagation
    /// ([`activation_bytes_per_token`](Self::activation_bytes_per_token))
    /// plus the embedding's output (the first layer's input). libtorch's own
    /// workspaces and the data come on top. The memory guard
    /// ([`crate::memory_guard`]) checks this before any training.
    pub fn training_bytes(&self, batch: i64, seq: i64) -> f64 {
        let per_token = self.activation_bytes_per_token() + 4 * self.embed_size;
        16.0 * self.params() as f64 + (batch * seq) as f64 * per_token as f64
    }

    /// FLOPs of one forward pass over `batch` sequences of `seq` tokens: every
    /// recurrent weight does one multiply-add (2 FLOPs) per token, every head
    /// weight one per sequence. Element-wise gate arithmetic, biases and the
    /// embedding lookup are left out.
    pub fn forward_flops(&self, batch: i64, seq: i64) -> f64 {
        2.0 * self.recurrent_weights() as f64 * (batch * seq) as f64
            + 2.0 * self.head_weights() as f64 * batch as f64
    }

    /// FLOPs of one train step: 3x the forward pass (the backward pass
    /// computes gradients for both the inputs and the weights, each costing
    /// a forward pass); the optimiser's update is left out.
    pub fn train_step_flops(&self, batch: i64, seq: i64) -> f64 {
        3.0 * self.forward_flops(batch, seq)
    }
}

/// The hidden size in `1..=max_hidden` whose whole-model parameter count is
/// closest to `target_params` for `shape` (with its `hidden_size` ignored); the
/// smaller size wins a tie.
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
            cell,
            vocab_size: 20_000,
            embed_size: 128,
            hidden_size,
            layers: 1,
            bidirectional: false,
            classes: 2,
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
}
