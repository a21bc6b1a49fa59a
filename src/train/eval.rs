//! Evaluation without gradients, and the classification metrics.

use tch::{Device, Kind, Tensor};

use crate::data::{Encoded, eval_batches};
use crate::error::Result;
use crate::model::Classifier;

/// Examples per evaluation batch (no gradients are kept, so larger than training).
pub const EVAL_BATCH_SIZE: usize = 256;

/// Loss, accuracy and predictions of a model on one split.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// Mean cross-entropy per example (nats).
    pub loss: f64,
    /// Fraction of examples predicted correctly.
    pub accuracy: f64,
    /// Predicted class per example, in the split's order.
    pub predictions: Vec<i64>,
}

/// Evaluates `model` on `split` in evaluation mode (dropout off), batches
/// sorted by length so that little goes to padding.
pub fn evaluate(model: &Classifier, split: &Encoded, device: Device) -> Result<Evaluation> {
    let batches = eval_batches(&split.lengths(), EVAL_BATCH_SIZE);
    let mut predictions = vec![0i64; split.len()];
    let mut loss_sum = 0.0;
    let mut correct = 0usize;
    tch::no_grad(|| -> Result<()> {
        for indices in &batches {
            let batch = split.batch(indices);
            let inputs = batch.inputs(device);
            let lengths = Tensor::from_slice(&batch.lengths);
            let labels = Tensor::from_slice(&batch.labels).to_device(device);
            let logits = model.forward(&inputs, &lengths, false)?;
            let loss = logits.f_cross_entropy_loss::<Tensor>(
                &labels,
                None,
                tch::Reduction::Sum,
                -100,
                0.0,
            )?;
            loss_sum += loss.f_double_value(&[])?;
            let predicted = Vec::<i64>::try_from(
                logits
                    .f_argmax(1, false)?
                    .f_to_kind(Kind::Int64)?
                    .to_device(Device::Cpu),
            )?;
            for ((&i, &p), &y) in indices.iter().zip(&predicted).zip(&batch.labels) {
                predictions[i] = p;
                correct += usize::from(p == y);
            }
        }
        Ok(())
    })?;
    let n = split.len().max(1) as f64;
    Ok(Evaluation {
        loss: loss_sum / n,
        accuracy: correct as f64 / n,
        predictions,
    })
}

/// Macro-averaged F1 over the classes that occur in `labels` or
/// `predictions`; a class with no true or predicted positive contributes
/// F1 = 0 (scikit-learn's `zero_division=0`).
pub fn macro_f1(labels: &[i64], predictions: &[i64]) -> f64 {
    let mut classes: Vec<i64> = labels.iter().chain(predictions).copied().collect();
    classes.sort_unstable();
    classes.dedup();
    if classes.is_empty() {
        return 0.0;
    }
    let total: f64 = classes
        .iter()
        .map(|&c| {
            let mut tp = 0usize;
            let mut fp = 0usize;
            let mut fn_ = 0usize;
            for (&y, &p) in labels.iter().zip(predictions) {
                match (y == c, p == c) {
                    (true, true) => tp += 1,
                    (false, true) => fp += 1,
                    (true, false) => fn_ += 1,
                    (false, false) => {}
                }
            }
            let denominator = 2 * tp + fp + fn_;
            if denominator == 0 {
                0.0
            } else {
                2.0 * tp as f64 / denominator as f64
            }
        })
        .sum();
    total / classes.len() as f64
}

#[cfg(test)]
mod tests {
    use super::macro_f1;

    #[test]
    fn macro_f1_on_known_inputs() {
        // sklearn.metrics.f1_score([0,0,1,1,2,2],[0,1,1,1,2,0],average='macro') = 0.6555…
        let f1 = macro_f1(&[0, 0, 1, 1, 2, 2], &[0, 1, 1, 1, 2, 0]);
        assert!((f1 - (0.5 + 0.8 + 2.0 / 3.0) / 3.0).abs() < 1e-12, "{f1}");
        assert_eq!(macro_f1(&[1, 0, 1], &[1, 0, 1]), 1.0);
        assert_eq!(macro_f1(&[0, 0], &[1, 1]), 0.0);
    }
}
