//! The process-wide switches behind `--kernel`: libtorch's use of oneDNN
//! and cuDNN, which decide the kernel libtorch's own cells run on (tch 0.24
//! wraps cuDNN's switch, not oneDNN's nor flush-denormal: those go through
//! `kernel_switch.cpp`), and flush-denormal mode.
//!
//! rnnbench's fused oneDNN cells are not a switch: a classifier is built
//! with them or not ([`crate::model::RecurrentKernel`]) and says which
//! kernel it runs on ([`crate::model::Classifier::kernel`]); the kernel
//! names ([`Kernel`]) live with the model and are re-exported here.

use tch::Device;

use crate::config::KernelChoice;
pub use crate::model::kernel::Kernel;
use crate::model::{Cell, kernel::libtorch_onednn_enabled};

unsafe extern "C" {
    fn rnnbench_set_mkldnn_enabled(on: i32);
    fn rnnbench_set_flush_denormal(on: i32) -> i32;
}

/// Turns libtorch's use of oneDNN on or off for this process.
pub fn set_onednn_enabled(on: bool) {
    // SAFETY: sets a flag of libtorch's global context.
    unsafe { rnnbench_set_mkldnn_enabled(i32::from(on)) }
}

/// Whether libtorch may use oneDNN now (the user switch).
pub fn onednn_enabled() -> bool {
    libtorch_onednn_enabled()
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

/// Applies `choice`'s libtorch switches to this process: libtorch's oneDNN
/// and cuDNN on for `auto` and `onednn` (under `onednn` they reach no
/// recurrent cell: the classifiers are built with the fused cells,
/// [`KernelChoice::recurrent`]), off for `native`.
pub fn apply(choice: KernelChoice) {
    let on = choice != KernelChoice::Native;
    set_onednn_enabled(on);
    tch::Cuda::set_user_enabled_cudnn(on);
}

/// The kernel an LSTM built for `choice` runs on the CPU with libtorch's
/// switches as [`apply`] set them, for `environment.json`, which describes
/// the process and has no model: `onednn-fused` under `--kernel onednn`,
/// otherwise libtorch's choice (`onednn` or `native`). A run records its own
/// model's answer ([`crate::model::Classifier::kernel`]).
pub fn cpu_lstm_kernel(choice: KernelChoice) -> Kernel {
    choice.recurrent().runs(Cell::Lstm, Device::Cpu)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Classifier, ModelShape, RecurrentKernel};
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

    /// A classifier of `cell` built with libtorch's cells on the CPU.
    fn libtorch_model(cell: Cell) -> Classifier {
        let vs = nn::VarStore::new(Device::Cpu);
        let shape = ModelShape {
            vocab_size: 10,
            embed_size: 4,
            hidden_size: 4,
            positions: 8,
            ..ModelShape::for_test(cell)
        };
        Classifier::new(&vs.root(), shape, 0.0, RecurrentKernel::Libtorch)
    }

    // One test, not several: the switches are process-wide and tests run in
    // parallel threads.
    #[test]
    fn the_switch_decides_the_cpu_lstm_kernel_and_keeps_the_numbers() {
        let [lstm, gru, rnn, transformer] = Cell::ALL.map(libtorch_model);
        apply(KernelChoice::Native);
        assert!(!onednn_enabled());
        assert_eq!(lstm.kernel(), Kernel::Native);
        assert_eq!(cpu_lstm_kernel(KernelChoice::Native), Kernel::Native);
        apply(KernelChoice::Onednn);
        // libtorch's switches as under auto; the fused cells are the model's.
        assert!(onednn_enabled());
        assert_eq!(cpu_lstm_kernel(KernelChoice::Onednn), Kernel::OnednnFused);
        apply(KernelChoice::Auto);
        assert!(onednn_enabled());
        let expected = if tch::utils::has_mkldnn() {
            Kernel::Onednn
        } else {
            Kernel::Native
        };
        assert_eq!(lstm.kernel(), expected);
        assert_eq!(cpu_lstm_kernel(KernelChoice::Auto), expected);
        assert_eq!(gru.kernel(), Kernel::Native);
        assert_eq!(rnn.kernel(), Kernel::Native);
        // --kernel does not reach the Transformer.
        assert_eq!(transformer.kernel(), Kernel::Sdpa);

        // Golden: the same weights and batch give the same loss and
        // gradient on both paths, within float32 tolerance.
        tch::manual_seed(7);
        let vs = nn::VarStore::new(Device::Cpu);
        let shape = ModelShape {
            vocab_size: 50,
            embed_size: 8,
            hidden_size: 16,
            layers: 2,
            ..ModelShape::for_test(Cell::Lstm)
        };
        let model = Classifier::new(&vs.root(), shape, 0.0, RecurrentKernel::Libtorch);
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
