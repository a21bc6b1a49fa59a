//! The models compared by rnnbench: the recurrent cells and the Transformer
//! encoder.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A recurrent cell, run through libtorch's fused multi-layer kernels
/// (`at::lstm`, `at::gru`, `at::rnn_tanh`).
///
/// Equations (PyTorch's conventions, `σ` the logistic function, `⊙` the
/// element-wise product; `W_*` act on the input `x_t`, `U_*` on `h_{t-1}`):
///
/// - **LSTM** (4 gate blocks): `i = σ(W_i x + b_i + U_i h + c_i)`,
///   `f = σ(W_f x + … )`, `g = tanh(W_g x + …)` (the candidate `C~`),
///   `o = σ(W_o x + …)`; `c_t = f ⊙ c_{t-1} + i ⊙ g`; `h_t = o ⊙ tanh(c_t)`.
///   libtorch stores the blocks in the order `i, f, g, o`.
/// - **GRU** (3 gate blocks): `r = σ(W_r x + b_r + U_r h + c_r)`,
///   `z = σ(W_z x + …)`, `n = tanh(W_n x + b_n + r ⊙ (U_n h + c_n))`;
///   `h_t = (1 − z) ⊙ n + z ⊙ h_{t-1}`. Stored order `r, z, n`.
/// - **RNN** (1 block): `h_t = tanh(W x + b + U h + c)`.
///
/// [`Cell::Transformer`] is not a cell: it is the fourth model of the
/// comparison, an encoder of self-attention blocks
/// ([`crate::model::transformer`]). It lives in this enum because the enum
/// is the key by which every file, chart and verdict names a model;
/// [`Cell::is_recurrent`] tells the two kinds apart where it matters
/// (kernels, streaming, gates).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Cell {
    /// Long short-term memory (Hochreiter & Schmidhuber 1997).
    Lstm,
    /// Gated recurrent unit (Cho et al. 2014).
    Gru,
    /// Vanilla Elman RNN with tanh, the baseline without gates.
    Rnn,
    /// A pre-LN Transformer encoder (Vaswani et al. 2017; Xiong et al.
    /// 2020), attention through libtorch's `scaled_dot_product_attention`.
    Transformer,
}

impl Cell {
    /// Every model, in the canonical order.
    pub const ALL: [Cell; 4] = [Cell::Lstm, Cell::Gru, Cell::Rnn, Cell::Transformer];

    /// The recurrent cells, in the canonical order.
    pub const RECURRENT: [Cell; 3] = [Cell::Lstm, Cell::Gru, Cell::Rnn];

    /// Whether this is a recurrent cell (every model but the Transformer).
    pub fn is_recurrent(self) -> bool {
        self != Cell::Transformer
    }

    /// Number of gate blocks: the multiple of the hidden size in each weight
    /// matrix's first dimension (LSTM 4, GRU 3, RNN 1; 0 for the
    /// Transformer, which has none).
    pub fn gate_blocks(self) -> i64 {
        match self {
            Cell::Lstm => 4,
            Cell::Gru => 3,
            Cell::Rnn => 1,
            Cell::Transformer => 0,
        }
    }

    /// The lower-case name used in flags, files and charts.
    pub fn name(self) -> &'static str {
        match self {
            Cell::Lstm => "lstm",
            Cell::Gru => "gru",
            Cell::Rnn => "rnn",
            Cell::Transformer => "transformer",
        }
    }

    /// The cell's fixed colour in every chart and on every page, as RGB
    /// (Okabe–Ito palette, readable by colour-blind readers): LSTM blue, GRU
    /// vermilion, RNN bluish green, Transformer reddish purple.
    pub fn colour_rgb(self) -> (u8, u8, u8) {
        match self {
            Cell::Lstm => (0, 114, 178),
            Cell::Gru => (213, 94, 0),
            Cell::Rnn => (0, 158, 115),
            Cell::Transformer => (204, 121, 167),
        }
    }

    /// The same colour as a CSS hex string (`#0072b2`).
    pub fn colour_css(self) -> String {
        let (r, g, b) = self.colour_rgb();
        format!("#{r:02x}{g:02x}{b:02x}")
    }

    /// The name as printed for people (`LSTM`, `GRU`, `RNN`, `Transformer`).
    pub fn display_name(self) -> &'static str {
        match self {
            Cell::Lstm => "LSTM",
            Cell::Gru => "GRU",
            Cell::Rnn => "RNN",
            Cell::Transformer => "Transformer",
        }
    }
}

impl fmt::Display for Cell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Cell {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "lstm" => Ok(Cell::Lstm),
            "gru" => Ok(Cell::Gru),
            "rnn" | "tanh" | "vanilla" => Ok(Cell::Rnn),
            "transformer" => Ok(Cell::Transformer),
            other => Err(format!(
                "unknown model `{other}` (expected lstm, gru, rnn or transformer)"
            )),
        }
    }
}
