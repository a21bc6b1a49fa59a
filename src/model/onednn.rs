//! The fused oneDNN cells: one recurrent layer, one direction, of any
//! [`Cell`] on oneDNN's RNN primitives (`lstm`, `lbr_gru`, `vanilla_rnn` with
//! tanh), as a libtorch autograd function (`src/model/onednn_rnn.cpp`).
//!
//! libtorch runs only its CPU LSTM through (its own, hidden) oneDNN and steps
//! the GRU and the tanh RNN through a per-step loop; under `--kernel onednn`
//! rnnbench runs every cell on the same oneDNN 3.2 (set up by
//! `scripts/setup-onednn`), so a speed or memory verdict is about the cells,
//! not about which got the better kernel. oneDNN's linear-before-reset GRU is
//! PyTorch's GRU (the reset gate multiplies `U_n h + c_n`); the gate order and
//! the bias layout are converted in the shim, and the golden tests check the
//! outputs and every gradient against libtorch's native cells.

use std::cell::Cell as Flag;
use std::ffi::CStr;

use tch::Tensor;
use torch_sys::C_tensor;

use super::cell::Cell;
use crate::error::{Error, Result};

unsafe extern "C" {
    fn rnnbench_onednn_available() -> i32;
    fn rnnbench_onednn_version() -> i32;
    fn rnnbench_onednn_last_error() -> *const std::os::raw::c_char;
    fn rnnbench_onednn_layer(
        cell: i32,
        x: *mut C_tensor,
        h0: *mut C_tensor,
        c0: *mut C_tensor,
        w_ih: *mut C_tensor,
        w_hh: *mut C_tensor,
        b_ih: *mut C_tensor,
        b_hh: *mut C_tensor,
        out: *mut *mut C_tensor,
    ) -> i32;
    fn rnnbench_onednn_layouts(
        cell: i32,
        w: *mut C_tensor,
        b_ih: *mut C_tensor,
        b_hh: *mut C_tensor,
        hidden: i64,
        out: *mut *mut C_tensor,
    ) -> i32;
}

thread_local! {
    /// Whether the classifiers run their cells on oneDNN (`--kernel
    /// onednn`), set by `probe::kernel::apply`. Per thread, not per process
    /// like libtorch's own switches: a worker trains on the thread that set
    /// it, and tests running side by side cannot flip each other's kernel.
    static FUSED: Flag<bool> = const { Flag::new(false) };
}

/// Turns the fused oneDNN cells on or off for the classifiers run on this
/// thread.
pub fn set_enabled(on: bool) {
    FUSED.with(|f| f.set(on));
}

/// Whether the fused oneDNN cells are on for this thread.
pub fn enabled() -> bool {
    FUSED.with(Flag::get)
}

/// Whether this build links oneDNN (made with `scripts/setup-onednn` present).
pub fn available() -> bool {
    // SAFETY: returns a constant.
    unsafe { rnnbench_onednn_available() != 0 }
}

/// The linked oneDNN's version (`3.2.0`), if any.
pub fn version() -> Option<String> {
    // SAFETY: reads oneDNN's static version record.
    let v = unsafe { rnnbench_onednn_version() };
    (v > 0).then(|| format!("{}.{}.{}", v / 10000, v / 100 % 100, v % 100))
}

fn last_error() -> String {
    // SAFETY: the shim returns a NUL-terminated thread-local string.
    unsafe { CStr::from_ptr(rnnbench_onednn_last_error()) }
        .to_string_lossy()
        .into_owned()
}

fn cell_code(cell: Cell) -> Result<i32> {
    match cell {
        Cell::Lstm => Ok(0),
        Cell::Gru => Ok(1),
        Cell::Rnn => Ok(2),
        Cell::Transformer => Err(crate::Error::config(
            "--kernel",
            "oneDNN's RNN primitive runs the recurrent cells only, not the Transformer",
        )),
    }
}

/// What one layer returns: the outputs `[batch, seq, hidden]`, the last
/// state `h_n` `[batch, hidden]` and, for an LSTM, the last cell state `c_n`.
#[derive(Debug)]
pub struct LayerOutput {
    /// Every step's hidden state, `[batch, seq, hidden]`.
    pub out: Tensor,
    /// The hidden state after the last step, `[batch, hidden]`.
    pub h_n: Tensor,
    /// The LSTM's cell state after the last step, `[batch, hidden]`.
    pub c_n: Option<Tensor>,
}

/// One layer, one direction, of `cell` over `x` `[batch, seq, in]` from the
/// state `h0` (and `c0` for an LSTM) `[batch, hidden]`, with PyTorch's weights
/// `w_ih` `[gates·hidden, in]`, `w_hh` `[gates·hidden, hidden]`, `b_ih`,
/// `b_hh` `[gates·hidden]`. Float32 CPU tensors. Differentiable with respect
/// to every tensor when grad mode is on (oneDNN's forward_training and
/// backward); forward_inference otherwise.
#[allow(clippy::too_many_arguments)]
pub fn layer(
    cell: Cell,
    x: &Tensor,
    h0: &Tensor,
    c0: Option<&Tensor>,
    w_ih: &Tensor,
    w_hh: &Tensor,
    b_ih: &Tensor,
    b_hh: &Tensor,
) -> Result<LayerOutput> {
    let mut out: [*mut C_tensor; 3] = [std::ptr::null_mut(); 3];
    let c0 = c0.map_or(std::ptr::null_mut(), |c| c.as_ptr() as *mut C_tensor);
    // SAFETY: every pointer is a live tensor of this call (c0 may be null);
    // on success the shim writes two (three for an LSTM) new tensors that we
    // own from here on.
    let rc = unsafe {
        rnnbench_onednn_layer(
            cell_code(cell)?,
            x.as_ptr() as *mut C_tensor,
            h0.as_ptr() as *mut C_tensor,
            c0,
            w_ih.as_ptr() as *mut C_tensor,
            w_hh.as_ptr() as *mut C_tensor,
            b_ih.as_ptr() as *mut C_tensor,
            b_hh.as_ptr() as *mut C_tensor,
            out.as_mut_ptr(),
        )
    };
    if rc != 0 {
        return Err(Error::Kernel(format!("oneDNN {cell}: {}", last_error())));
    }
    // SAFETY: see above; each pointer is handed over exactly once.
    let own = |p: *mut C_tensor| unsafe { Tensor::from_ptr(p) };
    Ok(LayerOutput {
        out: own(out[0]),
        h_n: own(out[1]),
        c_n: (cell == Cell::Lstm).then(|| own(out[2])),
    })
}

/// The shim's layout conversions on their own (for tests): `w` `[gates·H, K]`
/// to oneDNN's `[K, G, H]` and back, the one oneDNN bias `[G', H]` made from
/// `b_ih` and `b_hh`, and the two PyTorch bias gradients that bias gives back
/// when taken as a gradient.
#[derive(Debug)]
pub struct Layouts {
    /// `w` as oneDNN's `ldigo` `[K, G, H]` (gate order converted).
    pub ldigo: Tensor,
    /// `ldigo` converted back to PyTorch's `[G·H, K]`.
    pub round_trip: Tensor,
    /// oneDNN's bias `[G', H]`.
    pub bias: Tensor,
    /// The gradient of `b_ih` for a bias gradient equal to `bias`.
    pub grad_b_ih: Tensor,
    /// The gradient of `b_hh` for a bias gradient equal to `bias`.
    pub grad_b_hh: Tensor,
}

/// See [`Layouts`].
pub fn layouts(
    cell: Cell,
    w: &Tensor,
    b_ih: &Tensor,
    b_hh: &Tensor,
    hidden: i64,
) -> Result<Layouts> {
    let mut out: [*mut C_tensor; 5] = [std::ptr::null_mut(); 5];
    // SAFETY: live tensors in, five new tensors out on success.
    let rc = unsafe {
        rnnbench_onednn_layouts(
            cell_code(cell)?,
            w.as_ptr() as *mut C_tensor,
            b_ih.as_ptr() as *mut C_tensor,
            b_hh.as_ptr() as *mut C_tensor,
            hidden,
            out.as_mut_ptr(),
        )
    };
    if rc != 0 {
        return Err(Error::Kernel(format!("oneDNN layouts: {}", last_error())));
    }
    // SAFETY: each pointer is handed over exactly once.
    let own = |p: *mut C_tensor| unsafe { Tensor::from_ptr(p) };
    Ok(Layouts {
        ldigo: own(out[0]),
        round_trip: own(out[1]),
        bias: own(out[2]),
        grad_b_ih: own(out[3]),
        grad_b_hh: own(out[4]),
    })
}

#[cfg(test)]
#[path = "onednn_tests.rs"]
mod tests;
