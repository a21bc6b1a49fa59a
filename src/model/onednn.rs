//! The fused oneDNN cells: one recurrent layer, one direction, of any
//! [`Cell`] on oneDNN's RNN primitives (`lstm`, `lbr_gru`, `vanilla_rnn` with
//! tanh), as a libtorch autograd function (`src/model/onednn_rnn.cpp`).
//!
//! libtorch runs only its CPU LSTM through (its own, hidden) oneDNN and steps
//! the GRU and the tanh RNN through a per-step loop; under `--kernel onednn`
//! (a classifier built with [`super::RecurrentKernel::Fused`]) rnnbench runs
//! every cell on the same oneDNN 3.2 (set up by
//! `scripts/setup-onednn`), so a speed or memory verdict is about the cells,
//! not about which got the better kernel. oneDNN's linear-before-reset GRU is
//! PyTorch's GRU (the reset gate multiplies `U_n h + c_n`); the gate order and
//! the bias layout are converted in the shim, and the golden tests check the
//! outputs and every gradient against libtorch's native cells.

use std::ffi::CStr;

use tch::Tensor;
use torch_sys::C_tensor;

use super::cell::Cell;
use crate::error::{Error, Result};

/// The shim's entry points (`src/model/onednn_rnn.cpp`), resolved from
/// `librnnbench_onednn.so` when the fused kernel is first asked for.
struct Shim {
    version: unsafe extern "C" fn() -> i32,
    last_error: unsafe extern "C" fn() -> *const std::os::raw::c_char,
    layer: unsafe extern "C" fn(
        i32,
        *mut C_tensor,
        *mut C_tensor,
        *mut C_tensor,
        *mut C_tensor,
        *mut C_tensor,
        *mut C_tensor,
        *mut C_tensor,
        *mut *mut C_tensor,
    ) -> i32,
    layouts: unsafe extern "C" fn(
        i32,
        *mut C_tensor,
        *mut C_tensor,
        *mut C_tensor,
        i64,
        *mut *mut C_tensor,
    ) -> i32,
    /// Kept loaded for the whole process (the entry points above point into it).
    _library: libloading::Library,
}

/// The shim's path relative to the build's profile folder (`target/release`),
/// and absolute, recorded by build.rs; empty when the build found no oneDNN.
const SHIM_RELATIVE: &str = env!("RNNBENCH_ONEDNN_SHIM_REL");
const SHIM_ABSOLUTE: &str = env!("RNNBENCH_ONEDNN_SHIM_ABS");

/// The shim's path relative to the build's profile folder (`target/release`);
/// empty when this build has no oneDNN.
pub fn shim_relative_path() -> &'static str {
    SHIM_RELATIVE
}

/// Where the shim may be, first to last: beside the running binary's
/// profile folder (a binary in `target/release`, a test or bench in
/// `target/release/deps`, an example in `target/release/examples`), so a
/// moved checkout finds its own; then where it was built.
fn shim_candidates() -> Vec<std::path::PathBuf> {
    let mut paths = Vec::new();
    if let Some(dir) = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(std::path::Path::to_path_buf))
    {
        paths.push(dir.join(SHIM_RELATIVE));
        if let Some(up) = dir.parent() {
            paths.push(up.join(SHIM_RELATIVE));
        }
    }
    paths.push(SHIM_ABSOLUTE.into());
    paths
}

/// Loads the shim (and through its RUNPATH, oneDNN's `libdnnl.so.3`), or
/// says in one clause why it cannot.
fn load_shim() -> std::result::Result<Shim, String> {
    if SHIM_RELATIVE.is_empty() {
        return Err("this build has no oneDNN: run scripts/setup-onednn, then rebuild".into());
    }
    let Some(path) = shim_candidates().into_iter().find(|p| p.is_file()) else {
        return Err(format!(
            "the oneDNN shim {SHIM_RELATIVE} is not beside this binary: rebuild (cargo build --release)"
        ));
    };
    // SAFETY: the shim is this crate's own library; loading it runs only
    // oneDNN's and the C++ runtime's initialisers.
    let library = unsafe { libloading::Library::new(&path) }.map_err(|e| {
        format!("oneDNN cannot be loaded ({e}): run scripts/setup-onednn, or set LD_LIBRARY_PATH to the folder holding libdnnl.so.3")
    })?;
    // SAFETY: the symbols' types are the shim's `extern "C"` signatures.
    unsafe {
        let version = *library
            .get::<unsafe extern "C" fn() -> i32>(b"rnnbench_onednn_version\0")
            .map_err(|e| e.to_string())?;
        let last_error = *library
            .get(b"rnnbench_onednn_last_error\0")
            .map_err(|e| e.to_string())?;
        let layer = *library
            .get(b"rnnbench_onednn_layer\0")
            .map_err(|e| e.to_string())?;
        let layouts = *library
            .get(b"rnnbench_onednn_layouts\0")
            .map_err(|e| e.to_string())?;
        Ok(Shim {
            version,
            last_error,
            layer,
            layouts,
            _library: library,
        })
    }
}

/// The loaded shim, loaded on first use (once per process).
fn shim() -> Result<&'static Shim> {
    static SHIM: std::sync::OnceLock<std::result::Result<Shim, String>> =
        std::sync::OnceLock::new();
    SHIM.get_or_init(load_shim)
        .as_ref()
        .map_err(|why| Error::Kernel(why.clone()))
}

/// Why the fused kernel cannot run here (`None` when it can): the build
/// has no oneDNN, or oneDNN's library cannot be loaded.
pub fn unavailable_reason() -> Option<String> {
    shim().err().map(|e| match e {
        Error::Kernel(why) => why,
        other => other.to_string(),
    })
}

/// Whether the fused kernel can run: this build has oneDNN and its library
/// loads (the first call loads it).
pub fn available() -> bool {
    shim().is_ok()
}

/// The loaded oneDNN's version (`3.2.0`), if it loads.
pub fn version() -> Option<String> {
    let shim = shim().ok()?;
    // SAFETY: reads oneDNN's static version record.
    let v = unsafe { (shim.version)() };
    (v > 0).then(|| format!("{}.{}.{}", v / 10000, v / 100 % 100, v % 100))
}

fn last_error(shim: &Shim) -> String {
    // SAFETY: the shim returns a NUL-terminated thread-local string.
    unsafe { CStr::from_ptr((shim.last_error)()) }
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
    let shim = shim()?;
    // SAFETY: every pointer is a live tensor of this call (c0 may be null);
    // on success the shim writes two (three for an LSTM) new tensors that we
    // own from here on.
    let rc = unsafe {
        (shim.layer)(
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
        return Err(Error::Kernel(format!(
            "oneDNN {cell}: {}",
            last_error(shim)
        )));
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
    let shim = shim()?;
    // SAFETY: live tensors in, five new tensors out on success.
    let rc = unsafe {
        (shim.layouts)(
            cell_code(cell)?,
            w.as_ptr() as *mut C_tensor,
            b_ih.as_ptr() as *mut C_tensor,
            b_hh.as_ptr() as *mut C_tensor,
            hidden,
            out.as_mut_ptr(),
        )
    };
    if rc != 0 {
        return Err(Error::Kernel(format!(
            "oneDNN layouts: {}",
            last_error(shim)
        )));
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
