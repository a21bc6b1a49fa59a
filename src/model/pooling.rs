//! How a model's per-token states become the one feature vector the head
//! reads (`--pooling`): the state after the last real token, the mean or the
//! max over the real tokens' states, or a learned attention pooling. Every
//! form reads the real tokens only: padding never changes a prediction.

use std::fmt;

use serde::{Deserialize, Serialize};
use tch::{Device, Kind, Tensor};

use crate::error::Result;

/// A pooling of the states `[batch, seq, width]` into `[batch, width]`.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Pooling {
    /// The state after each sequence's last real token (for a bidirectional
    /// cell, the forward direction's there and the reverse direction's after
    /// it has read back to the first token): what a recurrent classifier
    /// reads by default.
    #[default]
    Last,
    /// The mean of the real tokens' states.
    Mean,
    /// The element-wise max of the real tokens' states.
    Max,
    /// Learned attention pooling: one learned query `q` `[width]` scores
    /// every state (`s_t = q·h_t`), a softmax over the real tokens only turns
    /// the scores into weights, and the features are `Σ_t softmax(s)_t h_t`
    /// (the "attention in RNNs" of Bahdanau et al. 2015 and Yang et al.
    /// 2016, reduced to one query). `q` starts at zero, so a fresh model
    /// pools like [`Pooling::Mean`] and learns where to look.
    Attention,
}

impl Pooling {
    /// Every pooling, in the order of the flag's help.
    pub const ALL: [Pooling; 4] = [
        Pooling::Last,
        Pooling::Mean,
        Pooling::Max,
        Pooling::Attention,
    ];

    /// The lower-case name used in flags and files.
    pub fn name(self) -> &'static str {
        match self {
            Pooling::Last => "last",
            Pooling::Mean => "mean",
            Pooling::Max => "max",
            Pooling::Attention => "attention",
        }
    }

    /// Learned parameters the pooling adds for states of `width`: the
    /// attention query's `width`, none for the others.
    pub fn params(self, width: i64) -> i64 {
        if self == Pooling::Attention { width } else { 0 }
    }
}

impl fmt::Display for Pooling {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `[batch, seq]` booleans: true where step `t` is one of row `b`'s real
/// tokens (`t < lengths[b]`; sequences are right-padded).
pub fn real_tokens(lengths: &Tensor, seq_len: i64, device: Device) -> Result<Tensor> {
    let steps = Tensor::f_arange(seq_len, (Kind::Int64, device))?.f_unsqueeze(0)?;
    Ok(steps.f_lt_tensor(&lengths.f_to_device(device)?.f_unsqueeze(1)?)?)
}

/// `states` `[batch, seq, width]` pooled into `[batch, width]` over each
/// row's first `lengths[b]` steps (`lengths` `[batch]`, int64, each ≥ 1).
/// `query` `[width]` is the attention pooling's learned query (only read by
/// [`Pooling::Attention`]). Padded steps are replaced before any arithmetic
/// (zero for the sums, `−∞` for the max and the softmax), so their values,
/// even non-finite ones, never reach the result or its gradient.
pub fn pool(
    states: &Tensor,
    lengths: &Tensor,
    pooling: Pooling,
    query: Option<&Tensor>,
) -> Result<Tensor> {
    let size = states.size();
    let (batch, seq, width) = (size[0], size[1], size[2]);
    let device = states.device();
    let lengths = lengths.f_to_device(device)?;
    if pooling == Pooling::Last {
        let index = (&lengths - 1)
            .f_view([batch, 1, 1])?
            .f_expand([batch, 1, width], false)?;
        return Ok(states.f_gather(1, &index, false)?.f_squeeze_dim(1)?);
    }
    let real = real_tokens(&lengths, seq, device)?;
    let real3 = real.f_unsqueeze(2)?;
    let zero = Tensor::f_zeros([], (states.kind(), device))?;
    let kept = states.f_where_self(&real3, &zero)?;
    Ok(match pooling {
        Pooling::Last => unreachable!("handled above"),
        Pooling::Mean => {
            let count = lengths.f_to_kind(states.kind())?.f_unsqueeze(1)?;
            kept.f_sum_dim_intlist(1, false, states.kind())?
                .f_div(&count)?
        }
        Pooling::Max => {
            let low = Tensor::f_full([], f64::NEG_INFINITY, (states.kind(), device))?;
            states.f_where_self(&real3, &low)?.f_amax(1, false)?
        }
        Pooling::Attention => {
            let query = query.expect("an attention-pooling model holds its query");
            let low = Tensor::f_full([], f64::NEG_INFINITY, (states.kind(), device))?;
            let scores = kept
                .f_matmul(&query.f_view([width, 1])?)?
                .f_squeeze_dim(2)?
                .f_where_self(&real, &low)?;
            let weights = scores.f_softmax(1, states.kind())?.f_unsqueeze(1)?;
            weights.f_bmm(&kept)?.f_squeeze_dim(1)?
        }
    })
}
