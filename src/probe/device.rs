//! Choosing the device, and making CUDA reachable from a binary built against
//! a CPU libtorch.
//!
//! The linker drops `libtorch_cuda.so` when nothing references it
//! (`--as-needed`), and then `tch::Cuda::is_available()` is false even on a
//! GPU. Before asking, rnnbench loads `libtorch_cuda.so` itself with `dlopen`
//! (global symbols): found next to the libtorch in use (`LD_LIBRARY_PATH`
//! first, then the binary's RUNPATH), it registers libtorch's CUDA hooks. A
//! CPU-only libtorch simply has no such file.

use std::ffi::CString;

use tch::Device;

use crate::config::DeviceChoice;
use crate::error::{Error, Result};

/// Tries to load `libtorch_cuda.so`; returns the loader's error text on failure.
pub fn load_cuda_library() -> std::result::Result<(), String> {
    static RESULT: std::sync::OnceLock<std::result::Result<(), String>> =
        std::sync::OnceLock::new();
    RESULT
        .get_or_init(|| {
            let name = CString::new("libtorch_cuda.so").expect("no NUL in a literal");
            // SAFETY: dlopen with a valid C string; the handle is kept for the
            // life of the process on purpose (libtorch registers hooks).
            let handle = unsafe { libc::dlopen(name.as_ptr(), libc::RTLD_NOW | libc::RTLD_GLOBAL) };
            if handle.is_null() {
                // SAFETY: dlerror returns a thread-local C string or null.
                let err = unsafe { libc::dlerror() };
                let text = if err.is_null() {
                    "unknown dlopen error".to_string()
                } else {
                    unsafe { std::ffi::CStr::from_ptr(err) }
                        .to_string_lossy()
                        .into_owned()
                };
                Err(text)
            } else {
                Ok(())
            }
        })
        .clone()
}

/// Why CUDA is not usable, or `None` when it is.
pub fn cuda_unavailable_reason() -> Option<String> {
    if let Err(e) = load_cuda_library() {
        return Some(format!(
            "the libtorch in use has no CUDA support (libtorch_cuda.so not loadable: {e}); \
             point LD_LIBRARY_PATH or LIBTORCH at a CUDA libtorch 2.11 (see README)"
        ));
    }
    if !tch::Cuda::is_available() {
        return Some(
            "libtorch has CUDA support but finds no usable GPU (no NVIDIA driver, or no device visible)"
                .to_string(),
        );
    }
    None
}

/// Resolves the requested device, failing with a one-line reason for
/// `--device cuda` without a usable GPU.
pub fn resolve_device(choice: DeviceChoice) -> Result<Device> {
    match choice {
        DeviceChoice::Cpu => Ok(Device::Cpu),
        DeviceChoice::Cuda => match cuda_unavailable_reason() {
            None => {
                // Autotuning picks kernels by timing: not reproducible.
                tch::Cuda::cudnn_set_benchmark(false);
                Ok(Device::Cuda(0))
            }
            Some(reason) => Err(Error::config("--device cuda", reason)),
        },
        DeviceChoice::Auto => Ok(if cuda_unavailable_reason().is_none() {
            Device::Cuda(0)
        } else {
            Device::Cpu
        }),
    }
}

/// Waits for the device's queued work, so that a clock read afterwards is
/// honest. A no-op on the CPU.
pub fn synchronize(device: Device) {
    if let Device::Cuda(index) = device {
        tch::Cuda::synchronize(index as i64);
    }
}

/// The device's name for files: `cpu` or `cuda:0`.
pub fn device_name(device: Device) -> String {
    match device {
        Device::Cuda(i) => format!("cuda:{i}"),
        _ => "cpu".to_string(),
    }
}
