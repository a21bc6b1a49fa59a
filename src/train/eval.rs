//! Evaluation without gradients: the classification metrics, and a
//! forecast's errors in the target's units against the naive forecasts.

use tch::{Device, Kind, Tensor};

use crate::analysis::forecast::{Errors, Scored, window_mae};
use crate::data::forecast::{ForecastData, ForecastSplit};
use crate::data::{BatchData, Encoded, eval_batches};
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

/// A forecast's outputs on one split.
#[derive(Debug, Clone, PartialEq)]
pub struct ForecastOutputs {
    /// Mean squared error per target, in scaled units (the training loss).
    pub loss: f64,
    /// `[windows, horizon]` scaled forecasts, in the split's order.
    pub outputs: Vec<f32>,
}

/// Runs `model` over every window of `split` in evaluation mode.
pub fn forecast_outputs(
    model: &Classifier,
    split: &Encoded,
    device: Device,
) -> Result<ForecastOutputs> {
    let horizon = split.horizon;
    let mut outputs = vec![0f32; split.len() * horizon];
    let mut loss_sum = 0.0;
    tch::no_grad(|| -> Result<()> {
        for indices in eval_batches(&split.lengths(), EVAL_BATCH_SIZE) {
            let batch = split.batch(&indices);
            let inputs = batch.inputs(device);
            let lengths = Tensor::from_slice(&batch.lengths);
            let out = model.forward(&inputs, &lengths, false)?;
            let loss = batch_loss(&out, &batch, device, tch::Reduction::Sum)?;
            loss_sum += loss.f_double_value(&[])?;
            let values = Vec::<f32>::try_from(out.to_device(Device::Cpu).f_flatten(0, -1)?)?;
            for (row, &i) in indices.iter().enumerate() {
                outputs[i * horizon..(i + 1) * horizon]
                    .copy_from_slice(&values[row * horizon..(row + 1) * horizon]);
            }
        }
        Ok(())
    })?;
    Ok(ForecastOutputs {
        loss: loss_sum / outputs.len().max(1) as f64,
        outputs,
    })
}

/// A forecast's errors on one part, in the target's units.
#[derive(Debug, Clone, PartialEq)]
pub struct ForecastScore {
    /// The model's.
    pub model: Errors,
    /// The naive (last-value) forecast's on the same windows.
    pub naive: Errors,
    /// The seasonal naive forecast's, with `--season`.
    pub seasonal: Option<Errors>,
    /// Each window's MAE (the Diebold–Mariano loss series).
    pub window_mae: Vec<f64>,
    /// `[windows, horizon]` the model's forecasts, in the target's units.
    pub forecasts: Vec<f64>,
}

/// Scores the scaled `outputs` of `part`'s windows against what happened.
/// `None` when the part has no window.
pub fn score_forecast(
    data: &ForecastData,
    part: &ForecastSplit,
    outputs: &[f32],
) -> Option<ForecastScore> {
    let h = data.horizon;
    let forecasts: Vec<f64> = (0..part.last.len())
        .flat_map(|i| data.unscale(part, i, &outputs[i * h..(i + 1) * h]))
        .collect();
    let model = scored(part, &forecasts, h);
    Some(ForecastScore {
        model: Errors::of(&model)?,
        naive: Errors::of(&scored(part, &part.naive, h))?,
        seasonal: (!part.seasonal.is_empty())
            .then(|| Errors::of(&scored(part, &part.seasonal, h)))
            .flatten(),
        window_mae: window_mae(&model),
        forecasts,
    })
}

/// The windows of `part` with the forecasts `of` (`horizon` each).
fn scored<'a>(part: &'a ForecastSplit, of: &'a [f64], horizon: usize) -> Vec<Scored<'a>> {
    (0..part.last.len())
        .map(|i| Scored {
            actual: &part.actual[i * horizon..(i + 1) * horizon],
            forecast: &of[i * horizon..(i + 1) * horizon],
            scale: part.mase_scale[i],
        })
        .collect()
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

/// The loss of `outputs` on `batch`: cross-entropy against the labels, or a
/// forecast's squared error against the scaled targets, reduced as
/// `reduction` says (a mean is per example, or per target for a forecast).
pub fn batch_loss(
    outputs: &Tensor,
    batch: &BatchData,
    device: Device,
    reduction: tch::Reduction,
) -> Result<Tensor> {
    if batch.horizon > 0 {
        return Ok(outputs.f_mse_loss(&batch.target_tensor(device), reduction)?);
    }
    let labels = Tensor::from_slice(&batch.labels).to_device(device);
    Ok(outputs.f_cross_entropy_loss::<Tensor>(&labels, None, reduction, -100, 0.0)?)
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
