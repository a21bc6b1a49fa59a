//! Sweeps: a grid of configurations x models x seeds, split into shards for
//! several machines, resumed after an interruption, merged afterwards.
//!
//! - [`plan`]: jobs, their stable ids, shards and scheduler array indices;
//! - [`resume`]: which jobs of a run folder are finished, and pruning the
//!   rows of unfinished ones.
//!
//! A run folder holds `sweep.json` ([`crate::results::SweepManifest`]). With one grid point
//! the point's files (`config.json`, `epochs.csv`, …) sit in the run folder
//! itself, as for a plain comparison; with several, each point has its own
//! run folder `points/<point-id>/`. A shard writes the same layout under
//! `<run-id>/shard-I-of-N/`.

pub mod plan;
pub mod resume;

use crate::error::{Error, Result};

/// Checks a run id given with `--run-id`: letters, digits, `.`, `_`, `-`,
/// not starting with `.` (so neither `.` nor `..` nor a hidden folder).
pub fn check_run_id(id: &str) -> Result<()> {
    let ok = !id.is_empty()
        && !id.starts_with('.')
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(Error::config(
            "--run-id",
            format!(
                "`{id}` must be letters, digits, `.`, `_` or `-`, not starting with `.` (a \
                 folder name)"
            ),
        ))
    }
}
