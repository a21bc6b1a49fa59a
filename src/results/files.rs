//! The one place that knows the names of the files in a run folder
//! `results/<run-id>/` (and in its grid points' folders).

/// Fully resolved configuration and the dataset's identity.
pub const CONFIG: &str = "config.json";
/// Machine, libtorch and harness facts.
pub const ENVIRONMENT: &str = "environment.json";
/// One row per model x seed x epoch.
pub const EPOCHS: &str = "epochs.csv";
/// One row per model x seed: the attempt whose timing stands.
pub const RUNS: &str = "runs.csv";
/// The attempts of a model x seed that do not stand (`--remeasure`): a
/// disturbed timing a re-run replaced, or a re-run that did not reproduce
/// its first attempt; `runs.csv`'s columns.
pub const RUNS_ATTEMPTS: &str = "runs_attempts.csv";
/// The epochs of the attempts in `runs_attempts.csv`; `epochs.csv`'s columns.
pub const EPOCHS_ATTEMPTS: &str = "epochs_attempts.csv";
/// Aggregates per model and per pair of models.
pub const SUMMARY: &str = "summary.json";
/// The HTML report.
pub const REPORT: &str = "report.html";
/// A forecast: every test window's forecast per model and seed, beside
/// what happened and the naive forecasts (gathered from [`FORECASTS_DIR`]).
pub const FORECASTS: &str = "forecasts.csv";
/// Folder of a point where each forecasting run leaves its test forecasts
/// (`<model>-seed<seed>.csv`, [`FORECASTS`]'s columns but the first two).
pub const FORECASTS_DIR: &str = "forecasts";
/// Gradient norm per input time step, per model (gradient-flow chart).
pub const GRADIENT_FLOW: &str = "gradient_flow.csv";
/// Timed train steps per model under `--kernel auto` and `native` (the kernel check).
pub const KERNEL_CHECK: &str = "kernel_check.csv";
/// The sweep manifest (every run folder has one; see `SweepManifest`).
pub const SWEEP: &str = "sweep.json";
/// Folder of the grid points inside a run folder with several points.
pub const POINTS_DIR: &str = "points";
/// The lock a `compare` holds while it works in a run folder.
pub const LOCK: &str = ".lock";
/// Folder of a point where workers leave their run records (`<model>-<seed>.json`)
/// for the parent to read.
pub const JOB_RESULTS_DIR: &str = ".jobs";
/// Folder of a point where the first worker of each seed leaves the seed's
/// encoded data (`seed-<seed>.postcard`) for the seed's other workers and
/// the kernel check; removed when the comparison ends.
pub const PREPARED_DIR: &str = ".data";
