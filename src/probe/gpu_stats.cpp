// rnnbench's window on libtorch's device-allocator statistics, which tch does
// not expose. Device-generic (at::accelerator), so it links against a CPU
// libtorch and works on CUDA at run time once libtorch_cuda is loaded.
#include <ATen/DeviceAccelerator.h>
#include <c10/core/CachingDeviceAllocator.h>

#include <cstdint>

extern "C" {

// Resets the peak statistics of the accelerator device; 0 on success.
int rnnbench_gpu_reset_peak(int device) {
  try {
    at::accelerator::resetPeakStats(static_cast<c10::DeviceIndex>(device));
    return 0;
  } catch (...) {
    return -1;
  }
}

// Peak allocated and reserved bytes since the last reset; 0 on success.
int rnnbench_gpu_peak(int device, int64_t* allocated, int64_t* reserved) {
  try {
    const auto stats = at::accelerator::getDeviceStats(static_cast<c10::DeviceIndex>(device));
    const auto aggregate = static_cast<size_t>(c10::CachingAllocator::StatType::AGGREGATE);
    *allocated = stats.allocated_bytes[aggregate].peak;
    *reserved = stats.reserved_bytes[aggregate].peak;
    return 0;
  } catch (...) {
    return -1;
  }
}

// Free and total bytes of the accelerator device (the driver's view); 0 on success.
int rnnbench_gpu_memory_info(int device, int64_t* free_bytes, int64_t* total_bytes) {
  try {
    const auto info = at::accelerator::getMemoryInfo(static_cast<c10::DeviceIndex>(device));
    *free_bytes = static_cast<int64_t>(info.first);
    *total_bytes = static_cast<int64_t>(info.second);
    return 0;
  } catch (...) {
    return -1;
  }
}
}
