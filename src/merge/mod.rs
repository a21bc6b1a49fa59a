//! Merging run folders: several runs of one configuration (different seeds,
//! or the same seeds on other machines) into one run folder, and shard or run
//! folders of one grid into one sweep folder. A merge only writes files
//! (`config.json`, `sweep.json`, the CSVs, `environment.json`); rendering the
//! merged folder is the report's job ([`crate::report::render_folder`]).
//!
//! - [`runs`]: runs of one configuration: the identity check and the union;
//! - [`grid`]: run or shard folders of one grid, point by point, and finding
//!   the folders inside a parent folder.
//!
//! Folders are read with [`crate::report::RunFiles`], the report's loader.

pub mod grid;
pub mod runs;
#[cfg(test)]
mod tests;

pub use grid::{expand_folders, is_merged_output, merge_folders, run_folders_in};
pub use runs::{check_mergeable, merge_runs};
