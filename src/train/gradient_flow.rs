//! How much of the loss gradient reaches each input time step: the vanishing
//! gradient of the vanilla RNN, measured on the user's own data.

use tch::{Device, Kind, Tensor};

use crate::data::Encoded;
use crate::error::Result;
use crate::model::Classifier;
use crate::train::eval::batch_loss;

/// Examples in the fixed batch of long reviews.
pub const GRADIENT_FLOW_EXAMPLES: usize = 32;

/// The mean over a fixed batch of the L2 norm of `∂loss/∂x_t`, the gradient of
/// the summed cross-entropy (a forecast: squared error) with respect to the embedded input at step `t`,
/// for `t = 0..T` (`T` the length of the shortest of the batch, so that every
/// step is a real token). The batch is the `GRADIENT_FLOW_EXAMPLES` longest
/// examples of `split` (ties by index), truncated to `T`. Dropout is off.
pub fn gradient_norms(model: &Classifier, split: &Encoded, device: Device) -> Result<Vec<f64>> {
    let mut order: Vec<usize> = (0..split.len()).collect();
    order.sort_by_key(|&i| (std::cmp::Reverse(split.length(i)), i));
    order.truncate(GRADIENT_FLOW_EXAMPLES);
    if order.is_empty() {
        return Ok(Vec::new());
    }
    let steps = order.iter().map(|&i| split.length(i)).min().unwrap_or(1);
    let batch = order.len() as i64;
    let inputs = split
        .batch(&order)
        .inputs(device)
        .f_narrow(1, 0, steps as i64)?;
    let lengths = Tensor::full([batch], steps as i64, (Kind::Int64, Device::Cpu));
    let embedded = model.embed(&inputs)?.detach().set_requires_grad(true);
    let logits = model.forward_for_input_gradients(&embedded, &lengths)?;
    let loss = batch_loss(&logits, &split.batch(&order), device, tch::Reduction::Sum)?;
    // Gradient with respect to the input only: nothing accumulates into the
    // model's parameters.
    let grad = Tensor::f_run_backward(&[&loss], &[&embedded], false, false)?.remove(0);
    let norms = grad
        .f_norm_scalaropt_dim(2.0, [2i64].as_slice(), false)?
        .f_mean_dim([0i64].as_slice(), false, Kind::Float)?
        .f_to_kind(Kind::Double)?
        .to_device(Device::Cpu);
    Ok(Vec::<f64>::try_from(norms)?)
}
