//! Adam as PyTorch's `torch.optim.Adam(fused=True)` takes it: one pass per
//! tensor through libtorch's own fused kernel (`at::_fused_adam_`, called by
//! `fused_adam.cpp`), the gradients dropped rather than zeroed between steps.
//! Same rule as tch's `nn::Adam` (L2 weight decay, bias correction, no
//! AMSGrad), which runs libtorch's eight-pass `torch::optim::Adam`; the two
//! agree to float32 rounding (the golden test below).

use std::ffi::CStr;
use std::os::raw::c_char;

use tch::{Kind, Tensor, nn};
use torch_sys::C_tensor;

use crate::error::{Error, Result};

unsafe extern "C" {
    fn rnnbench_fused_adam(
        params: *mut *mut C_tensor,
        exp_avgs: *mut *mut C_tensor,
        exp_avg_sqs: *mut *mut C_tensor,
        steps: *mut *mut C_tensor,
        n: i64,
        lr: f64,
        beta1: f64,
        beta2: f64,
        weight_decay: f64,
        eps: f64,
        error: *mut c_char,
        error_len: i64,
    ) -> i32;
    fn rnnbench_drop_grads(params: *mut *mut C_tensor, n: i64);
}

/// Adam's hyper-parameters; the defaults are PyTorch's and tch's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdamSettings {
    /// Learning rate.
    pub lr: f64,
    /// Decay of the first moment.
    pub beta1: f64,
    /// Decay of the second moment.
    pub beta2: f64,
    /// L2 penalty added to the gradient (Adam's, not AdamW's decoupled decay).
    pub weight_decay: f64,
    /// Added to the second moment's root.
    pub eps: f64,
}

impl AdamSettings {
    /// PyTorch's defaults with this learning rate and weight decay.
    pub fn new(lr: f64, weight_decay: f64) -> Self {
        Self {
            lr,
            beta1: 0.9,
            beta2: 0.999,
            weight_decay,
            eps: 1e-8,
        }
    }
}

/// The optimiser of one model: its trainable tensors and their state.
#[derive(Debug)]
pub struct Adam {
    settings: AdamSettings,
    params: Vec<Tensor>,
    exp_avgs: Vec<Tensor>,
    exp_avg_sqs: Vec<Tensor>,
    /// Each tensor's step count, a float scalar on its device (the fused
    /// kernel's bias correction reads it there).
    steps: Vec<Tensor>,
}

impl Adam {
    /// Adam over `vs`'s trainable variables, moments at zero.
    pub fn new(vs: &nn::VarStore, settings: AdamSettings) -> Self {
        let params = vs.trainable_variables();
        let (exp_avgs, exp_avg_sqs, steps) = tch::no_grad(|| {
            let zeros = || params.iter().map(Tensor::zeros_like).collect::<Vec<_>>();
            let steps = params
                .iter()
                .map(|p| Tensor::zeros([], (Kind::Float, p.device())))
                .collect();
            (zeros(), zeros(), steps)
        });
        Self {
            settings,
            params,
            exp_avgs,
            exp_avg_sqs,
            steps,
        }
    }

    /// Drops every gradient before the next backward pass.
    pub fn zero_grad(&mut self) {
        let mut params = pointers(&self.params);
        // SAFETY: every pointer is a live tensor of `self.params`, which
        // outlives the call; the function only resets their gradients.
        unsafe { rnnbench_drop_grads(params.as_mut_ptr(), params.len() as i64) };
    }

    /// One step over the tensors that have a gradient.
    pub fn step(&mut self) -> Result<()> {
        let s = self.settings;
        let mut params = pointers(&self.params);
        let mut exp_avgs = pointers(&self.exp_avgs);
        let mut exp_avg_sqs = pointers(&self.exp_avg_sqs);
        let mut steps = pointers(&self.steps);
        let mut error = [0 as c_char; 512];
        // SAFETY: the four arrays hold `params.len()` live tensors each,
        // owned by `self` for the call; `error` is writable for its length.
        let status = unsafe {
            rnnbench_fused_adam(
                params.as_mut_ptr(),
                exp_avgs.as_mut_ptr(),
                exp_avg_sqs.as_mut_ptr(),
                steps.as_mut_ptr(),
                params.len() as i64,
                s.lr,
                s.beta1,
                s.beta2,
                s.weight_decay,
                s.eps,
                error.as_mut_ptr(),
                error.len() as i64,
            )
        };
        if status == 0 {
            return Ok(());
        }
        // SAFETY: the shim NUL-terminated the message inside `error`.
        let message = unsafe { CStr::from_ptr(error.as_ptr()) };
        Err(Error::Torch(tch::TchError::Torch(format!(
            "Adam step: {}",
            message.to_string_lossy()
        ))))
    }
}

fn pointers(tensors: &[Tensor]) -> Vec<*mut C_tensor> {
    tensors
        .iter()
        .map(|t| t.as_ptr() as *mut C_tensor)
        .collect()
}

#[cfg(test)]
mod tests {
    use tch::nn::OptimizerConfig;
    use tch::{Device, Kind, Tensor, nn};

    use super::{Adam, AdamSettings};

    /// Two variable stores with the same weights: an embedding-sized matrix,
    /// a bias and a small weight that gets no gradient (Adam leaves it).
    fn twin_stores() -> (nn::VarStore, nn::VarStore) {
        let make = || {
            tch::manual_seed(7);
            let vs = nn::VarStore::new(Device::Cpu);
            let root = vs.root();
            let _ = root.randn("table", &[300, 16], 0.0, 1.0);
            let _ = root.randn("bias", &[16], 0.0, 1.0);
            let _ = root.randn("unused", &[4], 0.0, 1.0);
            vs
        };
        (make(), make())
    }

    /// A loss over the first two variables only, the same for both stores.
    fn backward(vs: &nn::VarStore, step: i64) {
        let v = vs.variables();
        let target = Tensor::full([300, 16], 0.01 * step as f64, (Kind::Float, Device::Cpu));
        let loss = (&v["table"] + &v["bias"] - target)
            .pow_tensor_scalar(2)
            .mean(Kind::Float)
            + v["bias"].sin().sum(Kind::Float);
        loss.backward();
    }

    /// The golden test: the fused kernel and tch's `nn::Adam` (libtorch's
    /// `torch::optim::Adam`) give the same weights after several steps, with
    /// and without weight decay, and neither touches a weight without a
    /// gradient.
    #[test]
    fn fused_adam_matches_libtorchs_adam() {
        for weight_decay in [0.0, 0.01] {
            let (a, b) = twin_stores();
            let mut fused = Adam::new(&a, AdamSettings::new(0.004, weight_decay));
            let mut reference = nn::Adam {
                wd: weight_decay,
                ..Default::default()
            }
            .build(&b, 0.004)
            .unwrap();
            for step in 0..12 {
                fused.zero_grad();
                backward(&a, step);
                fused.step().unwrap();
                reference.zero_grad();
                backward(&b, step);
                reference.step();
            }
            let (va, vb) = (a.variables(), b.variables());
            for name in ["table", "bias", "unused"] {
                let gap = (&va[name] - &vb[name]).abs().max().double_value(&[]);
                let scale = vb[name].abs().max().double_value(&[]);
                assert!(
                    gap <= 1e-6 * scale.max(1.0),
                    "{name} (wd {weight_decay}): differs by {gap}"
                );
            }
            let moved = (&va["table"] - &twin_stores().1.variables()["table"])
                .abs()
                .max()
                .double_value(&[]);
            assert!(moved > 1e-3, "Adam moved the weights by {moved} only");
        }
    }

    /// `zero_grad` drops the gradients, so a step right after it changes
    /// nothing and the next backward starts afresh.
    #[test]
    fn zero_grad_drops_gradients() {
        let (a, _) = twin_stores();
        let mut fused = Adam::new(&a, AdamSettings::new(0.004, 0.0));
        backward(&a, 1);
        assert!(a.variables()["table"].grad().defined());
        fused.zero_grad();
        assert!(!a.variables()["table"].grad().defined());
        let before = a.variables()["table"].copy();
        fused.step().unwrap();
        assert!(a.variables()["table"].equal(&before));
    }
}
