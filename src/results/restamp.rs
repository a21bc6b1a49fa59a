//! Once a run ends, its epochs' `disturbed` and `disturbance` are decided
//! again over the whole run (the outlier test compares an epoch with the
//! later ones too) and written over the verdicts its rows got when each
//! epoch ended.

use std::path::Path;

use crate::error::Result;
use crate::model::Cell;
use crate::probe::interference::EpochVerdict;
use crate::results::{EpochRecord, read_csv, write_csv_atomic};

/// Sets the `disturbed`/`disturbance` of the rows of `epochs_path` that
/// belong to `model`, `seed` and `attempt` to `verdicts` (epoch 1 first),
/// rewriting the file atomically only when a verdict changed. Returns how
/// many rows changed.
pub fn restamp_verdicts(
    epochs_path: &Path,
    model: Cell,
    seed: u64,
    attempt: u32,
    verdicts: &[EpochVerdict],
) -> Result<usize> {
    let mut rows: Vec<EpochRecord> = read_csv(epochs_path)?;
    let mut changed = 0;
    for row in rows
        .iter_mut()
        .filter(|r| r.model == model && r.seed == seed && r.attempt == attempt)
    {
        let Some(verdict) = verdicts.get(row.epoch.saturating_sub(1) as usize) else {
            continue;
        };
        let disturbance = verdict.disturbance.clone().unwrap_or_default();
        if row.disturbed != Some(verdict.disturbed) || row.disturbance != disturbance {
            row.disturbed = Some(verdict.disturbed);
            row.disturbance = disturbance;
            changed += 1;
        }
    }
    if changed > 0 {
        write_csv_atomic(epochs_path, &rows)?;
    }
    Ok(changed)
}
