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

/// The batches a model trains on, as far as its footprint goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Batches {
    /// Sequences per batch (`--batch-size`).
    pub size: i64,
    /// The most tokens kept of an example (`--max-len`).
    pub max_len: i64,
    /// The longest example of the training split after cutting to
    /// `max_len`, in tokens: a batch is padded to its own longest member,
    /// so no batch is longer.
    pub longest: i64,
}

impl Batches {
    /// Tokens of the longest batch's sequences: `min(max_len, longest)`, at
    /// least 1.
    pub fn tokens(&self) -> i64 {
        self.max_len.min(self.longest).max(1)
    }
}

/// Refuses a model whose training footprint on `batches` exceeds
/// `available_bytes` (the machine's RAM, or the GPU's free memory, named by
/// `memory`), or whose footprint times `workers` (`--jobs`: that many may
/// run at once, the largest model in each) does, and a matched model (`target_params` is the first model's
/// count) whose size the cap [`MAX_HIDDEN`] kept from matching.
///
/// The refusal names the flag that drives the footprint: `--max-len` when
/// the model would fit on batches of one token (the sequence length, and
/// for the Transformer the attention's `T²` term, is what does not fit),
/// else `--hidden`.
pub fn check(
    shapes: &[ModelShape],
    target_params: Option<i64>,
    batches: Batches,
    available_bytes: Option<u64>,
    memory: &str,
    workers: usize,
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
        if let Some(have) = available_bytes {
            too_big(shape, batches, have, memory)?;
            too_many(shape, batches, have, memory, workers)?;
        }
    }
    Ok(())
}

/// The error for `shape` when `workers` copies of its training footprint
/// exceed `have` bytes of `memory` (one copy fits: [`too_big`] ran first).
fn too_many(
    shape: &ModelShape,
    batches: Batches,
    have: u64,
    memory: &str,
    workers: usize,
) -> Result<()> {
    let one = shape.training_bytes(batches.size, batches.tokens());
    let need = one * workers as f64;
    if workers <= 1 || need <= have as f64 {
        return Ok(());
    }
    let fit = ((have as f64 / one).floor() as usize).max(1);
    Err(Error::config(
        "--jobs",
        format!(
            "{workers} workers at once, each training the {} (about {} on batches of {} × {} tokens), need about {}; this machine has {} of {memory} available; choose --jobs {fit} or fewer",
            shape.cell.display_name(),
            gib(one),
            batches.size,
            batches.tokens(),
            gib(need),
            gib(have as f64)
        ),
    ))
}

/// The error for `shape` when its training footprint on `batches` exceeds
/// `have` bytes of `memory`, naming the flag that drives it.
fn too_big(shape: &ModelShape, batches: Batches, have: u64, memory: &str) -> Result<()> {
    let (batch, seq) = (batches.size, batches.tokens());
    let need = shape.training_bytes(batch, seq);
    if need <= have as f64 {
        return Ok(());
    }
    let name = shape.cell.display_name();
    let model = format!(
        "the {name} (hidden {}, {} parameters) needs about {} to train on batches of {batch} × {seq} tokens",
        shape.hidden_size,
        shape.params(),
        gib(need)
    );
    let available = format!(
        "this machine has {} of {memory} available",
        gib(have as f64)
    );
    if shape.training_bytes(batch, 1) > have as f64 {
        return Err(Error::config(
            "--hidden",
            format!(
                "{model} (weights, gradients, Adam state, activations); {available}; choose a smaller --hidden or --embed"
            ),
        ));
    }
    let longest = if seq < batches.max_len {
        format!(
            "the data's longest example, {seq} tokens, under --max-len {}",
            batches.max_len
        )
    } else {
        format!("--max-len {seq}, which the longest examples reach")
    };
    let attention = (batch * seq) as f64
        * (4 * shape.layers * shape.attention_floats_per_token_per_layer(seq)) as f64;
    let of_which = if attention > 0.0 {
        format!(", of which {} for the attention's T² term", gib(attention))
    } else {
        String::new()
    };
    Err(Error::config(
        "--max-len",
        format!(
            "{model} ({longest}{of_which}); {available}; choose a smaller --max-len or --batch-size"
        ),
    ))
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
            hidden_size,
            ..ModelShape::for_test(cell)
        }
    }

    /// Batches of 128 sequences cut at `max_len`, the longest `longest` tokens.
    fn batches(max_len: i64, longest: i64) -> Batches {
        Batches {
            size: 128,
            max_len,
            longest,
        }
    }

    #[test]
    fn a_width_whose_workers_do_not_fit_together_is_refused_naming_jobs() {
        let model = shape(Cell::Lstm, 2048);
        let one = model.training_bytes(128, 128);
        let have = (one * 2.5) as u64;
        assert!(check(&[model], None, batches(128, 128), Some(have), "RAM", 2).is_ok());
        let e = check(&[model], None, batches(128, 128), Some(have), "RAM", 3).unwrap_err();
        let text = e.to_string();
        assert!(text.starts_with("--jobs: 3 workers at once"), "{text}");
        assert!(text.contains("choose --jobs 2 or fewer"), "{text}");
    }

    #[test]
    fn a_model_too_big_for_the_memory_is_refused_by_name() {
        let big = shape(Cell::Lstm, 100_000);
        let e = check(&[big], None, batches(128, 128), Some(8 << 30), "RAM", 1).unwrap_err();
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
            batches(128, 128),
            Some(8 << 30),
            "RAM",
            1,
        )
        .unwrap();
        // Unknown memory: only the cap is checked.
        check(&[big], None, batches(128, 128), None, "RAM", 1).unwrap();
    }

    /// Issue 35, finding 6: `--max-len 100000` on reviews of at most 200
    /// tokens was sized at 100,000 tokens (an LSTM h512 "needed" 171.7 GiB)
    /// and refused as `--hidden`.
    #[test]
    fn the_length_is_the_data_s_and_a_length_refusal_names_max_len() {
        let lstm = shape(Cell::Lstm, 512);
        assert_eq!(batches(100_000, 200).tokens(), 200);
        assert_eq!(batches(128, 200).tokens(), 128);
        check(
            &[lstm],
            None,
            batches(100_000, 200),
            Some(8 << 30),
            "RAM",
            1,
        )
        .unwrap();
        // Data that really is that long: refused, naming --max-len.
        let e = check(
            &[lstm],
            None,
            batches(100_000, 100_000),
            Some(8 << 30),
            "RAM",
            1,
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.starts_with("--max-len: the LSTM (hidden 512") && e.contains("128 × 100000 tokens"),
            "{e}"
        );
        assert!(
            e.contains("--max-len 100000, which the longest examples reach")
                && e.contains("choose a smaller --max-len or --batch-size")
                && !e.contains("T²"),
            "{e}"
        );
        let e = check(
            &[lstm],
            None,
            batches(200_000, 100_000),
            Some(8 << 30),
            "RAM",
            1,
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("the data's longest example, 100000 tokens, under --max-len 200000"),
            "{e}"
        );
    }

    #[test]
    fn a_transformer_refused_for_its_attention_names_max_len_and_the_t2_term() {
        let mut transformer = shape(Cell::Transformer, 128);
        transformer.positions = 20_000;
        transformer.pooling = crate::model::Pooling::Mean;
        check(
            &[transformer],
            None,
            batches(20_000, 200),
            Some(8 << 30),
            "RAM",
            1,
        )
        .unwrap();
        let e = check(
            &[transformer],
            None,
            batches(20_000, 20_000),
            Some(8 << 30),
            "RAM",
            1,
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.starts_with("--max-len: the Transformer")
                && e.contains("for the attention's T² term"),
            "{e}"
        );
    }

    #[test]
    fn a_matched_size_stopped_by_the_cap_is_an_error() {
        let target = shape(Cell::Lstm, 20_000).params();
        let capped = shape(Cell::Gru, MAX_HIDDEN);
        let one = Batches {
            size: 1,
            max_len: 1,
            longest: 1,
        };
        let e = check(&[capped], Some(target), one, None, "RAM", 1).unwrap_err();
        assert!(e.to_string().contains("cap of 8192"), "{e}");
        let exact = shape(Cell::Gru, MAX_HIDDEN);
        check(&[exact], Some(exact.params()), one, None, "RAM", 1).unwrap();
    }
}
