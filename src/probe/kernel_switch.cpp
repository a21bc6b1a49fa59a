// rnnbench's switches on libtorch's global context that tch 0.24 does not
// wrap: oneDNN (mkldnn) on/off for the CPU RNN kernels, and flushing
// subnormal floats to zero. Both are process-wide settings.
#include <ATen/Context.h>

extern "C" {

// Turns libtorch's use of oneDNN on or off (at::globalContext().setUserEnabledMkldnn).
void rnnbench_set_mkldnn_enabled(int on) {
  at::globalContext().setUserEnabledMkldnn(on != 0);
}

// 1 when libtorch may use oneDNN (the user switch, not whether it is built in).
int rnnbench_mkldnn_enabled() {
  return at::globalContext().userEnabledMkldnn() ? 1 : 0;
}

// Sets flush-denormal mode (FTZ/DAZ); returns 1 when the CPU supports it.
int rnnbench_set_flush_denormal(int on) {
  return at::globalContext().setFlushDenormal(on != 0) ? 1 : 0;
}

}  // extern "C"
