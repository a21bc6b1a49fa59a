//! Which recurrent kernel libtorch runs, and the process-wide switches that
//! decide it (tch 0.24 wraps cuDNN's switch, not oneDNN's nor flush-denormal:
//! those go through `kernel_switch.cpp`).
//!
//! In libtorch 2.11 (`aten/src/ATen/native/RNN.cpp`) only `lstm()` has a
//! oneDNN branch on the CPU (`use_mkldnn`: float32 CPU tensors and the user
//! switch on); `gru`, `rnn_tanh` and the packed-sequence LSTM go to the
//! native loop. On CUDA every cell goes through cuDNN when it is enabled.

use serde::{Deserialize, Serialize};
use tch::Device;

use crate::config::KernelChoice;
use crate::model::Cell;

unsafe extern "C" {
    fn rnnbench_set_mkldnn_enabled(on: i32);
    fn rnnbench_mkldnn_enabled() -> i32;
    fn rnnbench_set_flush_denormal(on: i32) -> i32;
}

/// The kernel a cell's fused RNN ran on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kernel {
    /// oneDNN's fused RNN primitive (the CPU LSTM under `--kernel auto`).
    Onednn,
    /// cuDNN (every cell on CUDA under `--kernel auto`).
    Cudnn,
    /// libtorch's own loop of matrix products and point-wise ops.
    Native,
    /// rnnbench's fused oneDNN 3.2 cells, the same library for every cell
    /// (`--kernel onednn`).
    #[serde(rename = "onednn-fused")]
    OnednnFused,
    /// The Transformer's attention: libtorch's `scaled_dot_product_attention`,
    /// which picks its own fused or unfused kernel for the device, whatever
    /// `--kernel` says (`--kernel` chooses the recurrent cells' kernels only).
    Sdpa,
}

impl Kernel {
    /// The name in files: `onednn`, `cudnn`, `native`.
    pub fn name(self) -> &'static str {
        match self {
            Kernel::Onednn => "onednn",
            Kernel::Cudnn => "cudnn",
            Kernel::Native => "native",
            Kernel::OnednnFused => "onednn-fused",
            Kernel::Sdpa => "sdpa",
        }
    }
}

/// Turns libtorch's use of oneDNN on or off for this process.
pub fn set_onednn_enabled(on: bool) {
    // SAFETY: sets a flag of libtorch's global context.
    unsafe { rnnbench_set_mkldnn_enabled(i32::from(on)) }
}

/// Whether libtorch may use oneDNN now (the user switch).
pub fn onednn_enabled() -> bool {
    // SAFETY: reads a flag of libtorch's global context.
    unsafe { rnnbench_mkldnn_enabled() != 0 }
}

/// Sets flush-denormal mode (subnormal floats read and written as zero: the
/// FTZ/DAZ bits of the calling thread's MXCSR); returns whether the CPU
/// supports it. The bits are per thread: libtorch's intra-op threads copy
/// them when they are created, so call this before the first parallel
/// operation (as `compare`'s workers and the benches do), or the pool keeps
/// the old mode.
pub fn set_flush_denormal(on: bool) -> bool {
    // SAFETY: libtorch sets the FTZ/DAZ bits of the MXCSR register.
    unsafe { rnnbench_set_flush_denormal(i32::from(on)) != 0 }
}

/// Applies `choice` to this process: libtorch's oneDNN and cuDNN on for
/// `auto`, off for `native`; for `onednn`, rnnbench's fused oneDNN cells on
/// (libtorch's switches as under `auto`: they no longer reach the cells).
pub fn apply(choice: KernelChoice) {
    let on = choice != KernelChoice::Native;
    set_onednn_enabled(on);
    tch::Cuda::set_user_enabled_cudnn(on);
    crate::model::onednn::set_enabled(choice == KernelChoice::Onednn);
}

/// The kernel `cell` runs on `device` with the switches as they are now
/// (padded batches, float32); [`Kernel::Sdpa`] for the Transformer.
pub fn kernel_now(cell: Cell, device: Device) -> Kernel {
    if !cell.is_recurrent() {
        return Kernel::Sdpa;
    }
    match device {
        Device::Cpu if crate::model::onednn::enabled() => Kernel::OnednnFused,
        Device::Cuda(_) if tch::Cuda::user_enabled_cudnn() && tch::Cuda::cudnn_is_available() => {
            Kernel::Cudnn
        }
        Device::Cpu if cell == Cell::Lstm && tch::utils::has_mkldnn() && onednn_enabled() => {
            Kernel::Onednn
        }
        _ => Kernel::Native,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Classifier, ModelShape};
    use tch::{Kind, Tensor, nn};

    /// Loss and gradient norm of one LSTM train step's forward and backward
    /// on fixed weights and a fixed batch, under `choice`.
    fn lstm_loss_and_grad(
        model: &Classifier,
        vs: &nn::VarStore,
        tokens: &Tensor,
        lengths: &Tensor,
        labels: &Tensor,
        choice: KernelChoice,
    ) -> (f64, f64) {
        apply(choice);
        for v in vs.trainable_variables() {
            let mut g = v.grad();
            if g.defined() {
                let _ = g.zero_();
            }
        }
        let loss = model
            .forward(tokens, lengths, true)
            .unwrap()
            .cross_entropy_for_logits(labels);
        loss.backward();
        let grad_sq: f64 = vs
            .trainable_variables()
            .iter()
            .map(|v| {
                v.grad()
                    .pow_tensor_scalar(2)
                    .sum(Kind::Double)
                    .double_value(&[])
            })
            .sum();
        (loss.double_value(&[]), grad_sq.sqrt())
    }

    // One test, not several: the switches are process-wide and tests run in
    // parallel threads.
    #[test]
    fn the_switch_decides_the_cpu_lstm_kernel_and_keeps_the_numbers() {
        apply(KernelChoice::Native);
        assert!(!onednn_enabled());
        assert_eq!(kernel_now(Cell::Lstm, Device::Cpu), Kernel::Native);
        apply(KernelChoice::Auto);
        assert!(onednn_enabled());
        let expected = if tch::utils::has_mkldnn() {
            Kernel::Onednn
        } else {
            Kernel::Native
        };
        assert_eq!(kernel_now(Cell::Lstm, Device::Cpu), expected);
        assert_eq!(kernel_now(Cell::Gru, Device::Cpu), Kernel::Native);
        assert_eq!(kernel_now(Cell::Rnn, Device::Cpu), Kernel::Native);
        // --kernel does not reach the Transformer.
        assert_eq!(kernel_now(Cell::Transformer, Device::Cpu), Kernel::Sdpa);

        // Golden: the same weights and batch give the same loss and
        // gradient on both paths, within float32 tolerance.
        tch::manual_seed(7);
        let vs = nn::VarStore::new(Device::Cpu);
        let shape = ModelShape {
            cell: Cell::Lstm,
            vocab_size: 50,
            channels: 0,
            embed_size: 8,
            hidden_size: 16,
            layers: 2,
            bidirectional: false,
            classes: 2,
            positions: 0,
            pooling: crate::model::Pooling::Last,
        };
        let model = Classifier::new(&vs.root(), shape, 0.0);
        let tokens = Tensor::randint_low(1, 50, [4, 12], (Kind::Int64, Device::Cpu));
        let lengths = Tensor::from_slice(&[12i64, 10, 7, 3]);
        let labels = Tensor::from_slice(&[0i64, 1, 1, 0]);
        let (auto_loss, auto_grad) =
            lstm_loss_and_grad(&model, &vs, &tokens, &lengths, &labels, KernelChoice::Auto);
        let (native_loss, native_grad) = lstm_loss_and_grad(
            &model,
            &vs,
            &tokens,
            &lengths,
            &labels,
            KernelChoice::Native,
        );
        apply(KernelChoice::Auto);
        assert!(
            (auto_loss - native_loss).abs() < 1e-5,
            "{auto_loss} vs {native_loss}"
        );
        assert!(
            (auto_grad - native_grad).abs() < 1e-4 * auto_grad.max(1.0),
            "{auto_grad} vs {native_grad}"
        );
    }
}
