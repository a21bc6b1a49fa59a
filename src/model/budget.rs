//! Closed-form parameter counts, and the hidden size that matches a budget.

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

    /// Parameters of the recurrent part: per layer and direction,
    /// `gates·H·(in + H)` weights and `2·gates·H` biases (libtorch keeps two
    /// bias vectors), where `in` is the embedding width for the first layer and
    /// `directions·H` above it.
    pub fn recurrent_params(&self) -> i64 {
        let (g, h) = (self.cell.gate_blocks(), self.hidden_size);
        (0..self.layers)
            .map(|layer| {
                let input = if layer == 0 {
                    self.embed_size
                } else {
                    self.directions() * h
                };
                self.directions() * (g * h * (input + h) + 2 * g * h)
            })
            .sum()
    }

    /// Parameters of the whole classifier: embedding, recurrent part, and the
    /// linear head on the concatenated final states.
    pub fn params(&self) -> i64 {
        let embedding = self.vocab_size * self.embed_size;
        let head = self.classes * self.directions() * self.hidden_size + self.classes;
        embedding + self.recurrent_params() + head
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
    }
}
