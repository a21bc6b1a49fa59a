//! GPU memory per epoch: the CUDA caching allocator's peak allocated bytes.
//!
//! tch exposes no allocator statistics, so on CPU (and until the CUDA shim is
//! loaded) these report nothing: `gpu_peak_bytes` stays empty, never zero.

use tch::Device;

/// Resets the device's peak-memory statistics; a no-op on the CPU.
pub fn reset_peak(device: Device) {
    let _ = device;
}

/// Peak bytes allocated on the device since the last [`reset_peak`]; `None`
/// on the CPU or where the statistics are unavailable.
pub fn peak_bytes(device: Device) -> Option<u64> {
    let _ = device;
    None
}
