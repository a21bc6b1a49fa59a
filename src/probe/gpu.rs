//! GPU memory per epoch: the caching allocator's peak allocated (and
//! reserved) bytes, through `gpu_stats.cpp` (libtorch's device-generic
//! `at::accelerator::getDeviceStats` / `resetPeakStats`; tch exposes neither).

use tch::Device;

unsafe extern "C" {
    fn rnnbench_gpu_reset_peak(device: i32) -> i32;
    fn rnnbench_gpu_peak(device: i32, allocated: *mut i64, reserved: *mut i64) -> i32;
    fn rnnbench_gpu_memory_info(device: i32, free: *mut i64, total: *mut i64) -> i32;
}

/// Free bytes on the CUDA device (the driver's view, before this process
/// allocates); `None` on the CPU or if libtorch cannot say.
pub fn free_bytes(device: Device) -> Option<u64> {
    let Device::Cuda(index) = device else {
        return None;
    };
    let (mut free, mut total) = (0i64, 0i64);
    // SAFETY: both pointers are valid for the call; exceptions are caught in C++.
    let status = unsafe { rnnbench_gpu_memory_info(index as i32, &mut free, &mut total) };
    (status == 0 && total > 0).then_some(free.max(0) as u64)
}

/// Peak bytes since the last [`reset_peak`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GpuPeak {
    /// Peak bytes handed out to tensors.
    pub allocated_bytes: u64,
    /// Peak bytes the caching allocator held from the driver.
    pub reserved_bytes: u64,
}

/// Resets the device's peak-memory statistics; a no-op on the CPU.
pub fn reset_peak(device: Device) {
    if let Device::Cuda(index) = device {
        // SAFETY: plain C call; the shim catches every C++ exception.
        unsafe { rnnbench_gpu_reset_peak(index as i32) };
    }
}

/// Peak allocated and reserved bytes on the device since the last
/// [`reset_peak`]; `None` on the CPU or if libtorch cannot say.
pub fn peak(device: Device) -> Option<GpuPeak> {
    let Device::Cuda(index) = device else {
        return None;
    };
    let (mut allocated, mut reserved) = (0i64, 0i64);
    // SAFETY: both pointers are valid for the call; exceptions are caught in C++.
    let status = unsafe { rnnbench_gpu_peak(index as i32, &mut allocated, &mut reserved) };
    (status == 0).then_some(GpuPeak {
        allocated_bytes: allocated.max(0) as u64,
        reserved_bytes: reserved.max(0) as u64,
    })
}

/// Peak allocated bytes on the device since the last [`reset_peak`]; `None`
/// on the CPU.
pub fn peak_bytes(device: Device) -> Option<u64> {
    peak(device).map(|p| p.allocated_bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_has_no_gpu_figure() {
        reset_peak(Device::Cpu);
        assert_eq!(peak(Device::Cpu), None);
    }

    /// Runs on a GPU only (`RNNBENCH_TEST_DEVICE=cuda`): the peak follows a
    /// 64 MiB allocation and the reset brings it back down.
    #[test]
    fn cuda_peak_follows_an_allocation_and_resets() {
        if std::env::var("RNNBENCH_TEST_DEVICE").as_deref() != Ok("cuda") {
            return;
        }
        assert_eq!(crate::probe::device::cuda_unavailable_reason(), None);
        let device = Device::Cuda(0);
        let small = tch::Tensor::zeros([1024], (tch::Kind::Float, device));
        reset_peak(device);
        let before = peak(device).expect("stats on CUDA");
        let big = tch::Tensor::zeros([16 << 20], (tch::Kind::Float, device));
        let during = peak(device).expect("stats on CUDA");
        assert!(
            during.allocated_bytes >= before.allocated_bytes + (64 << 20),
            "{before:?} -> {during:?}"
        );
        assert!(during.reserved_bytes >= during.allocated_bytes);
        drop(big);
        reset_peak(device);
        let after = peak(device).expect("stats on CUDA");
        assert!(
            after.allocated_bytes < during.allocated_bytes,
            "{during:?} -> {after:?}"
        );
        drop(small);
    }
}
