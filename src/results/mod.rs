//! A run folder `results/<run-id>/`, typed: the file names ([`files`]), the
//! records of its CSV files ([`records`]), its JSON manifests
//! ([`manifest`]), a seed's encoded data handed between workers
//! ([`prepared`]) and the crash-safe readers and writers ([`io`]). Both
//! `compare` (parent and workers) and `report` go through this module; no
//! other module names a file of the folder or reads its JSON untyped.

pub mod attempts;
pub mod files;
pub mod io;
pub mod jobs;
pub mod lock;
pub mod manifest;
pub mod prepared;
pub mod records;
pub mod restamp;

pub use io::{
    CsvAppender, read_csv, read_csv_whole, read_json, write_atomic, write_csv_atomic,
    write_json_atomic,
};
pub use manifest::{EnvironmentFile, MergedFrom, ModelSize, RunManifest, SweepManifest, point_dir};
pub use records::{
    EpochRecord, ForecastRow, GradientFlowRow, GradientStage, KernelCheckRow, KernelMeasure,
    RunRecord, RunStatus,
};
