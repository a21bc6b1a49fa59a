//! Measuring the machine: per-epoch peak memory ([`memory`]), the devices
//! ([`device`]) and the facts recorded in `environment.json` ([`environment`]).

pub mod device;
pub mod environment;
pub mod gpu;
pub mod kernel;
pub mod memory;
