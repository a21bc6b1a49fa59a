//! Memory checked before any training: each model's closed-form training
//! footprint ([`ModelShape::training_bytes`]: weights, gradients, Adam's
//! moments, the activations of the largest batch) against what the machine
//! has, and matched sizes that hit the hidden-size cap. A refusal is one line
//! naming the model and the figures, instead of a worker dying mid-run.

use crate::error::{Error, Result};
use crate::model::ModelShape;

/// The largest hidden size a matched model may get (`--match params`).
pub const MAX_HIDDEN: i64 = 8192;

/// A matched size more than this share away from its target is not matched.
const MATCH_TOLERANCE: f64 = 0.01;

/// Refuses a model whose training footprint for `batch` sequences of `seq`
/// tokens exceeds `available_bytes` (the machine's RAM, or the GPU's free
/// memory, named by `memory`), and a matched model (`target_params` is the
/// first model's count) whose size the cap [`MAX_HIDDEN`] kept from matching.
pub fn check(
    shapes: &[ModelShape],
    target_params: Option<i64>,
    batch: i64,
    seq: i64,
    available_bytes: Option<u64>,
    memory: &str,
) -> Result<()> {
    for shape in shapes {
        let name = shape.cell.display_name();
        if let Some(target) = target_params
            && shape.hidden_size >= MAX_HIDDEN
            && (shape.params() - target).abs() as f64 > MATCH_TOLERANCE * target as f64
        {
            return Err(Error::config(
                "--hidden",
                format!(
                    "matching {target} parameters would need a {name} above the hidden-size cap of {MAX_HIDDEN} (it has {} at {MAX_HIDDEN}); choose a smaller --hidden, or --match hidden",
                    shape.params()
                ),
            ));
        }
        let need = shape.training_bytes(batch, seq);
        if let Some(have) = available_bytes
            && need > have as f64
        {
            return Err(Error::config(
                "--hidden",
                format!(
                    "the {name} (hidden {}, {} parameters) needs about {} to train on batches of {batch} × {seq} tokens (weights, gradients, Adam state, activations); this machine has {} of {memory} available",
                    shape.hidden_size,
                    shape.params(),
                    gib(need),
                    gib(have as f64)
                ),
            ));
        }
    }
    Ok(())
}

fn gib(bytes: f64) -> String {
    format!("{:.1} GiB", bytes / (1u64 << 30) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Cell;

    fn shape(cell: Cell, hidden_size: i64) -> ModelShape {
        ModelShape {
            cell,
            vocab_size: 20_000,
            embed_size: 64,
            hidden_size,
            layers: 1,
            bidirectional: false,
            classes: 2,
            positions: 0,
            pooling: crate::model::Pooling::Last,
        }
    }

    #[test]
    fn a_model_too_big_for_the_memory_is_refused_by_name() {
        let big = shape(Cell::Lstm, 100_000);
        let e = check(&[big], None, 128, 128, Some(8 << 30), "RAM").unwrap_err();
        let text = e.to_string();
        assert!(
            text.starts_with("--hidden: the LSTM (hidden 100000"),
            "{text}"
        );
        assert!(
            text.contains("GiB") && text.contains("8.0 GiB of RAM"),
            "{text}"
        );
        assert!(!text.contains('\n'));
        check(
            &[shape(Cell::Lstm, 64)],
            None,
            128,
            128,
            Some(8 << 30),
            "RAM",
        )
        .unwrap();
        // Unknown memory: only the cap is checked.
        check(&[big], None, 128, 128, None, "RAM").unwrap();
    }

    #[test]
    fn a_matched_size_stopped_by_the_cap_is_an_error() {
        let target = shape(Cell::Lstm, 20_000).params();
        let capped = shape(Cell::Gru, MAX_HIDDEN);
        let e = check(&[capped], Some(target), 1, 1, None, "RAM").unwrap_err();
        assert!(e.to_string().contains("cap of 8192"), "{e}");
        let exact = shape(Cell::Gru, MAX_HIDDEN);
        check(&[exact], Some(exact.params()), 1, 1, None, "RAM").unwrap();
    }
}
