//! Attempts of one run (`--remeasure`): a run whose timing was disturbed is
//! run again (the `attempt` column, 1, 2, …). Training is deterministic for
//! a seed and thread count, so every attempt has the same losses and
//! accuracies ([`reproduction_mismatch`] checks it) and differs only in its
//! timing. One attempt per (model, seed) *stands*
//! ([`standing_runs`], [`standing_epochs`]):
//!
//! 1. the re-run whose timing is `remeasured` (clean), if there is one;
//! 2. else, among the `ok` attempts, the one with the fewest disturbed
//!    epochs (the earliest on a tie), its timing still `disturbed`;
//! 3. a (model, seed) that was never re-run keeps all its rows (attempt 1),
//!    so duplicates of other kinds stay visible to the summary.
//!
//! The files a user opens hold the attempts that stand: `runs.csv` one row
//! per (model, seed), `epochs.csv` one per (model, seed, epoch). Once a
//! re-run ends, [`settle`] moves the other attempts' rows to
//! `runs_attempts.csv` and `epochs_attempts.csv`; [`all_runs`] and
//! [`all_epochs`] read both.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::error::Result;
use crate::model::Cell;
use crate::probe::interference::Timing;
use crate::results::{EpochRecord, RunRecord, RunStatus, files, read_csv, write_csv_atomic};

/// Every attempt's run row in the folder `dir`: see [`union_runs`].
pub fn all_runs(dir: &Path) -> Result<Vec<RunRecord>> {
    Ok(union_runs(
        read_csv(&dir.join(files::RUNS))?,
        read_csv(&dir.join(files::RUNS_ATTEMPTS))?,
    ))
}

/// Every attempt's epoch rows in the folder `dir`: see [`union_epochs`].
pub fn all_epochs(dir: &Path) -> Result<Vec<EpochRecord>> {
    Ok(union_epochs(
        read_csv(&dir.join(files::EPOCHS))?,
        read_csv(&dir.join(files::EPOCHS_ATTEMPTS))?,
    ))
}

/// Every attempt's run row: `others` (`runs_attempts.csv`'s), then
/// `standing` (`runs.csv`'s). A (model, seed, attempt) in `runs.csv` stands,
/// so its copy among `others` (left by a split cut short) is dropped.
pub fn union_runs(standing: Vec<RunRecord>, mut others: Vec<RunRecord>) -> Vec<RunRecord> {
    let keys: BTreeSet<(Cell, u64, u32)> = standing
        .iter()
        .map(|r| (r.model, r.seed, r.attempt))
        .collect();
    others.retain(|r| !keys.contains(&(r.model, r.seed, r.attempt)));
    others.extend(standing);
    others
}

/// Every attempt's epoch rows: `others` (`epochs_attempts.csv`'s), then
/// `standing` (`epochs.csv`'s); an epoch in `epochs.csv` is dropped from
/// `others`.
pub fn union_epochs(standing: Vec<EpochRecord>, mut others: Vec<EpochRecord>) -> Vec<EpochRecord> {
    let keys: BTreeSet<(Cell, u64, u32, u32)> = standing
        .iter()
        .map(|e| (e.model, e.seed, e.attempt, e.epoch))
        .collect();
    others.retain(|e| !keys.contains(&(e.model, e.seed, e.attempt, e.epoch)));
    others.extend(standing);
    others
}

/// Splits the folder `dir`'s attempts (every row of both pairs of files)
/// into the ones that stand (`runs.csv`, `epochs.csv`) and the others
/// (`runs_attempts.csv`, `epochs_attempts.csv`). Call it when no worker
/// writes to the folder (after a re-run ended). The attempt files are
/// written first, so a split cut short leaves rows in both, which
/// [`all_runs`] and [`all_epochs`] count once.
pub fn settle(dir: &Path) -> Result<()> {
    let runs = all_runs(dir)?;
    let epochs = all_epochs(dir)?;
    if runs.iter().all(|r| r.attempt == 1) {
        return Ok(());
    }
    write_split(dir, &runs, Some(&epochs))
}

/// Writes `runs` (every attempt) as `runs.csv` (those that stand, each at
/// the place of its (model, seed)'s first row) and `runs_attempts.csv` (the
/// others), and `epochs` likewise as `epochs.csv` and `epochs_attempts.csv`
/// (`None`: the epoch files are left as they are). Each file atomically.
pub fn write_split(dir: &Path, runs: &[RunRecord], epochs: Option<&[EpochRecord]>) -> Result<()> {
    let standing = standing_attempts(runs);
    let stands = |model: Cell, seed: u64, attempt: u32| {
        standing.get(&(model, seed)).is_none_or(|&a| a == attempt)
    };
    let (kept, others): (Vec<&RunRecord>, Vec<&RunRecord>) = runs
        .iter()
        .partition(|r| stands(r.model, r.seed, r.attempt));
    let mut first_row: BTreeMap<(Cell, u64), usize> = BTreeMap::new();
    for (i, r) in runs.iter().enumerate() {
        first_row.entry((r.model, r.seed)).or_insert(i);
    }
    let mut kept: Vec<RunRecord> = kept.into_iter().cloned().collect();
    kept.sort_by_key(|r| first_row[&(r.model, r.seed)]);
    let others: Vec<RunRecord> = others.into_iter().cloned().collect();
    if let Some(epochs) = epochs {
        let (kept_epochs, other_epochs): (Vec<EpochRecord>, Vec<EpochRecord>) = epochs
            .iter()
            .cloned()
            .partition(|e| standing.get(&(e.model, e.seed)).copied().unwrap_or(1) == e.attempt);
        write_if_any(&dir.join(files::EPOCHS_ATTEMPTS), &other_epochs)?;
        write_csv_atomic(&dir.join(files::EPOCHS), &kept_epochs)?;
    }
    write_if_any(&dir.join(files::RUNS_ATTEMPTS), &others)?;
    write_csv_atomic(&dir.join(files::RUNS), &kept)
}

/// Writes `rows` to `path` atomically; with no rows, leaves no file.
fn write_if_any<T: serde::Serialize>(path: &Path, rows: &[T]) -> Result<()> {
    if rows.is_empty() {
        if path.exists() {
            std::fs::remove_file(path).map_err(|e| crate::Error::io(path, e))?;
        }
        return Ok(());
    }
    write_csv_atomic(path, rows)
}

/// Which attempt of `(model, seed)` stands, for every (model, seed) that has
/// more than one attempt among `runs`.
fn standing_attempts(runs: &[RunRecord]) -> BTreeMap<(Cell, u64), u32> {
    let mut groups: BTreeMap<(Cell, u64), Vec<&RunRecord>> = BTreeMap::new();
    for r in runs {
        groups.entry((r.model, r.seed)).or_default().push(r);
    }
    groups
        .into_iter()
        .filter(|(_, rows)| rows.iter().any(|r| r.attempt > 1))
        .filter_map(|(key, rows)| {
            let remeasured = rows
                .iter()
                .find(|r| r.status == RunStatus::Ok && r.timing == Some(Timing::Remeasured));
            let chosen = remeasured.or_else(|| {
                rows.iter()
                    .filter(|r| r.status == RunStatus::Ok)
                    .min_by_key(|r| (r.disturbed_epochs.unwrap_or(0), r.attempt))
            })?;
            Some((key, chosen.attempt))
        })
        .collect()
}

/// The rows of `runs` whose timing stands: one attempt per re-run (model,
/// seed), every row of the others. Order is kept.
pub fn standing_runs(runs: &[RunRecord]) -> Vec<RunRecord> {
    let standing = standing_attempts(runs);
    runs.iter()
        .filter(|r| {
            standing
                .get(&(r.model, r.seed))
                .is_none_or(|&a| a == r.attempt)
        })
        .cloned()
        .collect()
}

/// The epochs of the attempts that stand (per `runs`, all of `runs.csv`):
/// for a re-run (model, seed) only its standing attempt's; for the others,
/// attempt 1's (epochs of an unfinished re-run are left out).
pub fn standing_epochs(epochs: &[EpochRecord], runs: &[RunRecord]) -> Vec<EpochRecord> {
    let standing = standing_attempts(runs);
    epochs
        .iter()
        .filter(|e| standing.get(&(e.model, e.seed)).copied().unwrap_or(1) == e.attempt)
        .cloned()
        .collect()
}

/// The (model, seed) runs to run again: `ok` runs whose every finished
/// attempt's timing is `disturbed` and that have had fewer than
/// `1 + remeasure` attempts. `runs` are the finished rows of one point.
/// Returns `(model, seed, next attempt)`, in the order of the runs' first
/// rows.
pub fn to_remeasure(runs: &[RunRecord], remeasure: u32) -> Vec<(Cell, u64, u32)> {
    let mut order: Vec<(Cell, u64)> = Vec::new();
    let mut groups: BTreeMap<(Cell, u64), Vec<&RunRecord>> = BTreeMap::new();
    for r in runs {
        let key = (r.model, r.seed);
        if !groups.contains_key(&key) {
            order.push(key);
        }
        groups.entry(key).or_default().push(r);
    }
    order
        .into_iter()
        .filter_map(|key| {
            let rows = &groups[&key];
            let all_disturbed_ok = rows
                .iter()
                .all(|r| r.status == RunStatus::Ok && r.timing == Some(Timing::Disturbed));
            let attempts = rows.iter().map(|r| r.attempt).max().unwrap_or(1);
            (all_disturbed_ok && attempts < 1 + remeasure).then_some((key.0, key.1, attempts + 1))
        })
        .collect()
}

/// Why the re-run `again` (its record and epochs) does not reproduce the
/// first attempt `first`, in a few words naming the first difference; `None`
/// when every loss and accuracy (and the epochs run, the best epoch) is
/// bit-for-bit the same.
pub fn reproduction_mismatch(
    first: (&RunRecord, &[EpochRecord]),
    again: (&RunRecord, &[EpochRecord]),
) -> Option<String> {
    let ((a, a_epochs), (b, b_epochs)) = (first, again);
    let same = |x: f64, y: f64| x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan());
    if a.epochs_run != b.epochs_run || a.best_epoch != b.best_epoch {
        return Some(format!(
            "{} epochs with the best in epoch {} against {} with the best in {}",
            b.epochs_run, b.best_epoch, a.epochs_run, a.best_epoch
        ));
    }
    let run_fields = [
        ("best_val_acc", a.best_val_acc, b.best_val_acc),
        ("test_acc", a.test_acc, b.test_acc),
        ("test_loss", a.test_loss, b.test_loss),
        ("test_macro_f1", a.test_macro_f1, b.test_macro_f1),
        ("test_mae", nan_if_none(a.test_mae), nan_if_none(b.test_mae)),
    ];
    for (name, x, y) in run_fields {
        if !same(x, y) {
            return Some(format!("{name} {y} against {x}"));
        }
    }
    if a_epochs.len() != b_epochs.len() {
        return Some(format!(
            "{} epoch rows against {}",
            b_epochs.len(),
            a_epochs.len()
        ));
    }
    let mut a_sorted: Vec<&EpochRecord> = a_epochs.iter().collect();
    let mut b_sorted: Vec<&EpochRecord> = b_epochs.iter().collect();
    a_sorted.sort_by_key(|e| e.epoch);
    b_sorted.sort_by_key(|e| e.epoch);
    for (x, y) in a_sorted.iter().zip(&b_sorted) {
        let fields = [
            ("train_loss", x.train_loss, y.train_loss),
            ("train_acc", x.train_acc, y.train_acc),
            ("val_loss", x.val_loss, y.val_loss),
            ("val_acc", x.val_acc, y.val_acc),
            ("val_mae", nan_if_none(x.val_mae), nan_if_none(y.val_mae)),
        ];
        for (name, p, q) in fields {
            if x.epoch != y.epoch || !same(p, q) {
                return Some(format!("epoch {} {name} {q} against {p}", y.epoch));
            }
        }
    }
    None
}

/// A value recorded only for some tasks (a forecast's MAE), `NaN` when not.
fn nan_if_none(x: Option<f64>) -> f64 {
    x.unwrap_or(f64::NAN)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(model: Cell, seed: u64, attempt: u32, timing: Timing, disturbed: u32) -> RunRecord {
        let mut r = RunRecord::empty(model, seed, 16, 100, RunStatus::Ok, String::new());
        r.attempt = attempt;
        r.timing = Some(timing);
        r.disturbed_epochs = Some(disturbed);
        r.test_acc = 0.75;
        r.epochs_run = 2;
        r.best_epoch = 2;
        r
    }

    fn epoch(model: Cell, seed: u64, attempt: u32, epoch: u32, secs: f64) -> EpochRecord {
        EpochRecord {
            hidden_size: 16,
            params: 100,
            train_loss: 0.5 / epoch as f64,
            train_acc: 0.6,
            val_loss: 0.7,
            val_acc: 0.65,
            train_secs: secs,
            eval_secs: 0.1,
            samples_per_sec: 1.0,
            tokens_per_sec: 1.0,
            peak_rss_bytes: 1,
            disturbed: Some(false),
            attempt,
            ..EpochRecord::new(model, seed, epoch)
        }
    }

    #[test]
    fn the_clean_rerun_stands_and_nothing_is_counted_twice() {
        let runs = vec![
            run(Cell::Lstm, 1, 1, Timing::Disturbed, 3),
            run(Cell::Gru, 1, 1, Timing::Clean, 0),
            run(Cell::Lstm, 1, 2, Timing::Remeasured, 0),
        ];
        let standing = standing_runs(&runs);
        let keys: Vec<(Cell, u32)> = standing.iter().map(|r| (r.model, r.attempt)).collect();
        assert_eq!(keys, [(Cell::Gru, 1), (Cell::Lstm, 2)]);
        let epochs = vec![
            epoch(Cell::Lstm, 1, 1, 1, 9.0),
            epoch(Cell::Lstm, 1, 1, 2, 9.0),
            epoch(Cell::Gru, 1, 1, 1, 2.0),
            epoch(Cell::Lstm, 1, 2, 1, 3.0),
            epoch(Cell::Lstm, 1, 2, 2, 3.0),
        ];
        let kept = standing_epochs(&epochs, &runs);
        assert_eq!(kept.len(), 3);
        assert!(
            kept.iter()
                .filter(|e| e.model == Cell::Lstm)
                .all(|e| e.attempt == 2)
        );
    }

    #[test]
    fn without_a_clean_rerun_the_least_disturbed_attempt_stands() {
        let runs = vec![
            run(Cell::Lstm, 1, 1, Timing::Disturbed, 4),
            run(Cell::Lstm, 1, 2, Timing::Disturbed, 2),
            run(Cell::Lstm, 1, 3, Timing::Disturbed, 2),
        ];
        let standing = standing_runs(&runs);
        assert_eq!(standing.len(), 1);
        assert_eq!(standing[0].attempt, 2);
        // Epochs of an unfinished re-run (no row yet) are left out.
        let epochs = vec![
            epoch(Cell::Gru, 1, 1, 1, 2.0),
            epoch(Cell::Gru, 1, 2, 1, 2.0),
        ];
        assert_eq!(standing_epochs(&epochs, &runs).len(), 1);
    }

    #[test]
    fn disturbed_runs_are_remeasured_up_to_the_limit() {
        let mut runs = vec![
            run(Cell::Lstm, 1, 1, Timing::Disturbed, 3),
            run(Cell::Gru, 1, 1, Timing::Clean, 0),
            run(Cell::Lstm, 2, 1, Timing::Disturbed, 2),
            run(Cell::Lstm, 2, 2, Timing::Remeasured, 0),
        ];
        assert_eq!(to_remeasure(&runs, 1), [(Cell::Lstm, 1, 2)]);
        assert_eq!(to_remeasure(&runs, 0), []);
        runs.push(run(Cell::Lstm, 1, 2, Timing::Disturbed, 2));
        assert_eq!(to_remeasure(&runs, 1), []);
        assert_eq!(to_remeasure(&runs, 2), [(Cell::Lstm, 1, 3)]);
    }

    #[test]
    fn a_rerun_must_reproduce_every_loss_and_accuracy() {
        let a = run(Cell::Lstm, 1, 1, Timing::Disturbed, 2);
        let mut b = run(Cell::Lstm, 1, 2, Timing::Clean, 0);
        let a_epochs = vec![
            epoch(Cell::Lstm, 1, 1, 1, 9.0),
            epoch(Cell::Lstm, 1, 1, 2, 9.0),
        ];
        let mut b_epochs = vec![
            epoch(Cell::Lstm, 1, 2, 1, 3.0),
            epoch(Cell::Lstm, 1, 2, 2, 3.0),
        ];
        // Times differ, numbers do not: reproduced.
        assert_eq!(
            reproduction_mismatch((&a, &a_epochs), (&b, &b_epochs)),
            None
        );
        b_epochs[1].val_loss += 1e-12;
        let why = reproduction_mismatch((&a, &a_epochs), (&b, &b_epochs)).unwrap();
        assert!(why.starts_with("epoch 2 val_loss"), "{why}");
        b_epochs[1].val_loss = a_epochs[1].val_loss;
        b.test_acc = 0.5;
        assert_eq!(
            reproduction_mismatch((&a, &a_epochs), (&b, &b_epochs)).as_deref(),
            Some("test_acc 0.5 against 0.75")
        );
    }

    #[test]
    fn settling_leaves_one_row_per_run_in_the_files_a_user_opens() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let runs = vec![
            run(Cell::Lstm, 1, 1, Timing::Disturbed, 3),
            run(Cell::Gru, 1, 1, Timing::Clean, 0),
            run(Cell::Lstm, 1, 2, Timing::Remeasured, 0),
        ];
        let epochs = vec![
            epoch(Cell::Lstm, 1, 1, 1, 9.0),
            epoch(Cell::Gru, 1, 1, 1, 2.0),
            epoch(Cell::Lstm, 1, 2, 1, 3.0),
        ];
        write_csv_atomic(&d.join(files::RUNS), &runs).unwrap();
        write_csv_atomic(&d.join(files::EPOCHS), &epochs).unwrap();
        settle(d).unwrap();
        let kept: Vec<RunRecord> = read_csv(&d.join(files::RUNS)).unwrap();
        // The standing re-run takes its run's first place.
        let keys: Vec<(Cell, u32)> = kept.iter().map(|r| (r.model, r.attempt)).collect();
        assert_eq!(keys, [(Cell::Lstm, 2), (Cell::Gru, 1)]);
        let others: Vec<RunRecord> = read_csv(&d.join(files::RUNS_ATTEMPTS)).unwrap();
        let other_keys: Vec<(Cell, u32)> = others.iter().map(|r| (r.model, r.attempt)).collect();
        assert_eq!(other_keys, [(Cell::Lstm, 1)]);
        let kept_epochs: Vec<EpochRecord> = read_csv(&d.join(files::EPOCHS)).unwrap();
        assert_eq!(kept_epochs, [epochs[1].clone(), epochs[2].clone()]);
        assert_eq!(all_runs(d).unwrap().len(), 3);
        assert_eq!(all_epochs(d).unwrap().len(), 3);
        let keys_of = |d: &Path| -> Vec<(Cell, u32)> {
            read_csv::<RunRecord>(&d.join(files::RUNS))
                .unwrap()
                .iter()
                .map(|r| (r.model, r.attempt))
                .collect()
        };
        // Settling again changes nothing.
        settle(d).unwrap();
        assert_eq!(keys_of(d), keys);
        // A split cut short (the attempt files written, runs.csv not yet)
        // still counts every attempt once.
        write_csv_atomic(&d.join(files::RUNS), &runs).unwrap();
        assert_eq!(all_runs(d).unwrap().len(), 3);
        settle(d).unwrap();
        assert_eq!(keys_of(d), keys);
        assert_eq!(all_runs(d).unwrap().len(), 3);
    }

    #[test]
    fn a_rerun_that_did_not_reproduce_leaves_attempt_1_standing_and_is_not_run_again() {
        let mut failed = run(Cell::Lstm, 1, 2, Timing::Disturbed, 0);
        failed.status = RunStatus::Failed;
        let runs = vec![run(Cell::Lstm, 1, 1, Timing::Disturbed, 3), failed];
        let standing = standing_runs(&runs);
        assert_eq!(standing.len(), 1);
        assert_eq!(standing[0].attempt, 1);
        assert_eq!(to_remeasure(&runs, 3), []);
    }
}
