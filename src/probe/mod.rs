//! Measuring the machine: per-epoch peak memory ([`memory`]), the devices
//! ([`device`]), the facts recorded in `environment.json` ([`environment`]),
//! the recurrent kernels and their switches ([`kernel`]), per-epoch
//! interference signals and the disturbance rule ([`interference`]), the
//! machine's load before a run ([`load`]), and its speed right now, from a
//! reference matmul ([`canary`]).

pub mod allocator;
pub mod device;
pub mod environment;
pub mod gpu;
pub mod interference;
pub mod kernel;
pub mod load;
pub mod memory;
