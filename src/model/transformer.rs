//! The Transformer encoder, the comparison's fourth model: learned
//! positions, pre-LN blocks of multi-head self-attention (through libtorch's
//! `scaled_dot_product_attention`) and a feed-forward block, a final layer
//! norm. [`super::Classifier`] puts the token embedding before it and the
//! pooling and head after it.
//!
//! One block, for the states `x` `[batch, seq, d]` (PyTorch's
//! `nn.TransformerEncoderLayer(d, heads, F, dropout, norm_first=True,
//! batch_first=True)`):
//!
//! ```text
//! a = LN₁(x);  q, k, v = a·W_inᵀ + b_in            (each [batch, heads, seq, d/heads])
//! x = x + dropout(SDPA(q, k, v, mask)·W_oᵀ + b_o)   (softmax(q·kᵀ/√(d/heads))·v over real keys)
//! x = x + dropout(W₂·dropout(relu(W₁·LN₂(x) + b₁)) + b₂)
//! ```
//!
//! The key-padding mask lets every query attend to its sequence's real
//! tokens only, so no state, and no pooled feature, ever reads padding.

use tch::{Tensor, nn};

use super::budget::{ModelShape, TRANSFORMER_HEADS};
use super::pooling::real_tokens;
use crate::error::Result;

/// The weights of one pre-LN block.
#[derive(Debug)]
struct Block {
    norm1_weight: Tensor,
    norm1_bias: Tensor,
    /// `[3d, d]`: the query, key and value projections stacked, as
    /// PyTorch's `in_proj_weight`.
    in_weight: Tensor,
    in_bias: Tensor,
    out_weight: Tensor,
    out_bias: Tensor,
    norm2_weight: Tensor,
    norm2_bias: Tensor,
    ff1_weight: Tensor,
    ff1_bias: Tensor,
    ff2_weight: Tensor,
    ff2_bias: Tensor,
}

/// A pre-LN Transformer encoder whose weights live in an [`nn::VarStore`].
///
/// **Learned positions**, not sinusoidal ones: one trained vector per slot
/// up to `--max-len` (BERT's choice), drawn from N(0, 1) like the token
/// embedding, which makes it the plain PyTorch encoder the issue measured
/// as a yardstick (`nn.Embedding` for positions) and lets rnnbench be
/// checked against it at the same parameter count. The price is `P·d`
/// parameters that grow with `--max-len` (8,192 at the defaults, 0.6% of
/// the budget) and no reading past `--max-len`, which rnnbench never asks
/// for: every sequence is cut to `--max-len` first.
///
/// Initialisation follows PyTorch's: the stacked query-key-value matrix
/// Xavier-uniform with zero biases, the output projection U(−1/√d, 1/√d)
/// with a zero bias, the feed-forward pair U(−1/√fan_in, 1/√fan_in) with
/// biases alike, layer norms at scale 1 and shift 0.
#[derive(Debug)]
pub struct Encoder {
    shape: ModelShape,
    positions: Tensor,
    blocks: Vec<Block>,
    final_norm_weight: Tensor,
    final_norm_bias: Tensor,
}

fn uniform(fan_in: i64) -> nn::Init {
    let bound = 1.0 / (fan_in as f64).sqrt();
    nn::Init::Uniform {
        lo: -bound,
        up: bound,
    }
}

impl Encoder {
    /// Creates the variables under `path` for `shape` (width `embed_size`,
    /// feed-forward `hidden_size`, `layers` blocks, `positions` slots).
    /// The dropout ([`Encoder::states`]'s) applies to the attention weights,
    /// inside the feed-forward block and on both residual branches.
    pub fn new(path: &nn::Path, shape: ModelShape) -> Self {
        let (d, f) = (shape.embed_size, shape.hidden_size);
        let positions = path.var(
            "positions",
            &[shape.positions.max(1), d],
            nn::Init::Randn {
                mean: 0.0,
                stdev: 1.0,
            },
        );
        let ones = nn::Init::Const(1.0);
        let zeros = nn::Init::Const(0.0);
        let xavier = {
            let bound = (6.0 / (d + d) as f64).sqrt();
            nn::Init::Uniform {
                lo: -bound,
                up: bound,
            }
        };
        let blocks = (0..shape.layers)
            .map(|layer| {
                let p = path / format!("block{layer}");
                Block {
                    norm1_weight: p.var("norm1_weight", &[d], ones),
                    norm1_bias: p.var("norm1_bias", &[d], zeros),
                    in_weight: p.var("in_proj_weight", &[3 * d, d], xavier),
                    in_bias: p.var("in_proj_bias", &[3 * d], zeros),
                    out_weight: p.var("out_proj_weight", &[d, d], uniform(d)),
                    out_bias: p.var("out_proj_bias", &[d], zeros),
                    norm2_weight: p.var("norm2_weight", &[d], ones),
                    norm2_bias: p.var("norm2_bias", &[d], zeros),
                    ff1_weight: p.var("linear1_weight", &[f, d], uniform(d)),
                    ff1_bias: p.var("linear1_bias", &[f], uniform(d)),
                    ff2_weight: p.var("linear2_weight", &[d, f], uniform(f)),
                    ff2_bias: p.var("linear2_bias", &[d], uniform(f)),
                }
            })
            .collect();
        Encoder {
            shape,
            positions,
            blocks,
            final_norm_weight: path.var("norm_weight", &[d], ones),
            final_norm_bias: path.var("norm_bias", &[d], zeros),
        }
    }

    /// The states `[batch, seq, d]` of embedded tokens `embedded` `[batch,
    /// seq, d]` (right-padded; `seq` at most the position slots) with real
    /// lengths `lengths` `[batch]`, with dropout probability `dropout` (0
    /// in evaluation).
    pub fn states(&self, embedded: &Tensor, lengths: &Tensor, dropout: f64) -> Result<Tensor> {
        let size = embedded.size();
        let (batch, seq, d) = (size[0], size[1], size[2]);
        let heads = TRANSFORMER_HEADS;
        let device = embedded.device();
        let train = dropout > 0.0;
        // [batch, 1, 1, seq]: true for the keys a query may attend to.
        let mask = real_tokens(lengths, seq, device)?.f_view([batch, 1, 1, seq])?;
        let mut x = embedded.f_add(&self.positions.f_narrow(0, 0, seq)?.f_unsqueeze(0)?)?;
        let split = |t: Tensor| -> Result<Tensor> {
            Ok(t.f_view([batch, seq, heads, d / heads])?
                .f_transpose(1, 2)?)
        };
        for b in &self.blocks {
            let a = x.f_layer_norm([d], Some(&b.norm1_weight), Some(&b.norm1_bias), 1e-5, true)?;
            let qkv = a.f_linear(&b.in_weight, Some(&b.in_bias))?.f_chunk(3, 2)?;
            let mut qkv = qkv.into_iter();
            let (q, k, v) = (
                split(qkv.next().expect("three chunks"))?,
                split(qkv.next().expect("three chunks"))?,
                split(qkv.next().expect("three chunks"))?,
            );
            let attended = Tensor::f_scaled_dot_product_attention(
                &q,
                &k,
                &v,
                Some(&mask),
                dropout,
                false,
                None,
                false,
            )?
            .f_transpose(1, 2)?
            .f_contiguous()?
            .f_view([batch, seq, d])?;
            let attended = attended
                .f_linear(&b.out_weight, Some(&b.out_bias))?
                .f_dropout(dropout, train)?;
            x = x.f_add(&attended)?;
            let a = x.f_layer_norm([d], Some(&b.norm2_weight), Some(&b.norm2_bias), 1e-5, true)?;
            let fed = a
                .f_linear(&b.ff1_weight, Some(&b.ff1_bias))?
                .f_relu()?
                .f_dropout(dropout, train)?
                .f_linear(&b.ff2_weight, Some(&b.ff2_bias))?
                .f_dropout(dropout, train)?;
            x = x.f_add(&fed)?;
        }
        Ok(x.f_layer_norm(
            [d],
            Some(&self.final_norm_weight),
            Some(&self.final_norm_bias),
            1e-5,
            true,
        )?)
    }

    /// The shape this encoder was built with.
    pub fn shape(&self) -> &ModelShape {
        &self.shape
    }
}
