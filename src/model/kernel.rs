//! Which kernel a classifier's recurrent layers run on: the choice the
//! model is built with ([`RecurrentKernel`]), and the name of the kernel
//! that then runs ([`Kernel`], recorded with every run).
//!
//! rnnbench's fused oneDNN cells are the model's own choice, passed to
//! [`super::Classifier::new`]. libtorch's cells pick their kernel inside
//! `at::lstm` / `at::gru` / `at::rnn_tanh` from libtorch's process-wide
//! switches (oneDNN's user switch, cuDNN's), which tch cannot pass per call:
//! `probe::kernel::apply` sets those, and this module reads them to say what
//! libtorch's cells run on. In libtorch 2.11 (`aten/src/ATen/native/RNN.cpp`)
//! only `lstm()` has a oneDNN branch on the CPU (`use_mkldnn`: float32 CPU
//! tensors and the user switch on); `gru`, `rnn_tanh` and the
//! packed-sequence LSTM go to the native loop. On CUDA every cell goes
//! through cuDNN when it is enabled.

use serde::{Deserialize, Serialize};
use tch::Device;

use super::cell::Cell;

unsafe extern "C" {
    fn rnnbench_mkldnn_enabled() -> i32;
}

/// The kernel a model's layers ran on (the `kernel` column of `epochs.csv`
/// and `runs.csv`).
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
    /// The name in files: `onednn`, `cudnn`, `native`, `onednn-fused`, `sdpa`.
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

/// The implementation a classifier's recurrent layers run on, fixed when
/// the classifier is built (`--kernel onednn` is [`RecurrentKernel::Fused`],
/// `auto` and `native` are [`RecurrentKernel::Libtorch`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecurrentKernel {
    /// libtorch's own cells (`at::lstm`, `at::gru`, `at::rnn_tanh`), on
    /// whichever kernel libtorch's process-wide switches give them (oneDNN
    /// for the CPU LSTM, cuDNN on CUDA, or the native loop).
    Libtorch,
    /// rnnbench's fused oneDNN cells ([`super::onednn`]) on the CPU; on
    /// CUDA, where they do not run, libtorch's cells.
    Fused,
}

impl RecurrentKernel {
    /// Whether a model built with this choice runs its recurrent layers on
    /// the fused oneDNN cells for inputs on `device` (the CPU only).
    pub fn fused_on(self, device: Device) -> bool {
        self == RecurrentKernel::Fused && device == Device::Cpu
    }

    /// The kernel a model of `cell` built with this choice runs on `device`
    /// (padded batches, float32; libtorch's switches as they are now).
    /// [`Kernel::Sdpa`] for the Transformer, whatever the choice.
    pub fn runs(self, cell: Cell, device: Device) -> Kernel {
        if !cell.is_recurrent() {
            return Kernel::Sdpa;
        }
        if self.fused_on(device) {
            return Kernel::OnednnFused;
        }
        libtorch_kernel(cell, device)
    }
}

/// The kernel libtorch's own recurrent `cell` takes on `device` with its
/// switches as they are now (padded batches, float32).
fn libtorch_kernel(cell: Cell, device: Device) -> Kernel {
    match device {
        Device::Cuda(_) if tch::Cuda::user_enabled_cudnn() && tch::Cuda::cudnn_is_available() => {
            Kernel::Cudnn
        }
        Device::Cpu
            if cell == Cell::Lstm && tch::utils::has_mkldnn() && libtorch_onednn_enabled() =>
        {
            Kernel::Onednn
        }
        _ => Kernel::Native,
    }
}

/// Whether libtorch may use (its own) oneDNN now: its process-wide user
/// switch, off under `--kernel native`.
pub fn libtorch_onednn_enabled() -> bool {
    // SAFETY: reads a flag of libtorch's global context.
    unsafe { rnnbench_mkldnn_enabled() != 0 }
}
