//! Continuing an interrupted run folder: which jobs are finished (a row in
//! `runs.csv` with a final status), and removing every row of the others so
//! that rerunning them leaves no duplicate. Works on files cut short by a
//! killed process (a last line without its newline is dropped).

use std::collections::BTreeSet;
use std::path::Path;

use crate::error::{Error, Result};
use crate::results::io::{whole_lines, write_atomic};
use crate::results::{RunRecord, RunStatus, files};

/// Whether a run with this status is finished for good: `ok`, or `diverged`
/// (deterministic: a rerun would diverge again). `interrupted` and `failed`
/// runs are run again.
pub fn is_final(status: RunStatus) -> bool {
    matches!(status, RunStatus::Ok | RunStatus::Diverged)
}

/// The finished runs of a point folder: its `runs.csv` rows with a final
/// status, the first of each (model, seed, attempt); re-runs of a disturbed
/// run (`--remeasure`) are further attempts of the same (model, seed).
pub fn finished_runs(point_dir: &Path) -> Result<Vec<RunRecord>> {
    let path = point_dir.join(files::RUNS);
    let (text, _) = whole_lines(&path)?;
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let mut seen = BTreeSet::new();
    let mut finished = Vec::new();
    for row in reader.deserialize::<RunRecord>() {
        let row = row
            .map_err(|e| Error::data(&path, e.position().map(|p| p.line()), None, e.to_string()))?;
        if is_final(row.status) && seen.insert((row.model, row.seed, row.attempt)) {
            finished.push(row);
        }
    }
    Ok(finished)
}

/// What [`prune_unfinished`] removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pruned {
    /// Rows removed from `runs.csv` (unfinished or repeated runs).
    pub runs: usize,
    /// Rows removed from `epochs.csv`.
    pub epochs: usize,
    /// Lines cut short by a killed process, dropped.
    pub partial_lines: usize,
}

/// Rewrites the point folder's `runs.csv`, `epochs.csv` and
/// `gradient_flow.csv` keeping only the rows of the finished (model, seed,
/// attempt) runs `finished` (one `runs.csv` row each; epochs once per epoch
/// of each attempt, so an interrupted re-run's epochs go; the
/// gradient rows of a model only if its run on `first_seed`, which records
/// them, is finished). Each file is replaced atomically.
pub fn prune_unfinished(
    point_dir: &Path,
    finished: &[RunRecord],
    first_seed: u64,
) -> Result<Pruned> {
    let done: BTreeSet<(String, u64, u32)> = finished
        .iter()
        .map(|r| (r.model.name().to_string(), r.seed, r.attempt))
        .collect();
    let key_of = |row: &Row| -> Option<(String, u64, u32)> {
        // Files written before re-runs existed have no `attempt`: all 1.
        let attempt = match row.get("attempt") {
            Some(a) if !a.is_empty() => a.parse().ok()?,
            _ => 1,
        };
        Some((row.get("model")?, row.get("seed")?.parse().ok()?, attempt))
    };
    let mut pruned = Pruned::default();
    let mut runs_kept = BTreeSet::new();
    pruned.runs = filter_csv(&point_dir.join(files::RUNS), &mut pruned, |row| {
        let key = key_of(row)?;
        let status = row.get("status")?;
        let final_status = matches!(status.as_str(), "ok" | "diverged");
        Some(final_status && done.contains(&key) && runs_kept.insert(key))
    })?;
    let mut epochs_kept = BTreeSet::new();
    pruned.epochs = filter_csv(&point_dir.join(files::EPOCHS), &mut pruned, |row| {
        let key = key_of(row)?;
        let epoch: u32 = row.get("epoch")?.parse().ok()?;
        Some(done.contains(&key) && epochs_kept.insert((key, epoch)))
    })?;
    filter_csv(&point_dir.join(files::GRADIENT_FLOW), &mut pruned, |row| {
        Some(done.contains(&(row.get("model")?, first_seed, 1)))
    })?;
    Ok(pruned)
}

/// A CSV row with access by column name.
struct Row<'a> {
    headers: &'a csv::StringRecord,
    record: &'a csv::StringRecord,
}

impl Row<'_> {
    fn get(&self, column: &str) -> Option<String> {
        let i = self.headers.iter().position(|h| h == column)?;
        self.record.get(i).map(str::to_string)
    }
}

/// Keeps the rows of `path` for which `keep` says `Some(true)` (a row it
/// cannot read is dropped); returns the number of rows dropped.
fn filter_csv(
    path: &Path,
    pruned: &mut Pruned,
    mut keep: impl FnMut(&Row) -> Option<bool>,
) -> Result<usize> {
    if !path.exists() {
        return Ok(0);
    }
    let (text, partial) = whole_lines(path)?;
    pruned.partial_lines += usize::from(partial);
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| Error::results(path, e.to_string()))?
        .clone();
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer
        .write_record(&headers)
        .map_err(|e| Error::results(path, e.to_string()))?;
    let mut dropped = 0;
    let mut kept = 0;
    for record in reader.records() {
        let record = record
            .map_err(|e| Error::data(path, e.position().map(|p| p.line()), None, e.to_string()))?;
        if keep(&Row {
            headers: &headers,
            record: &record,
        })
        .unwrap_or(false)
        {
            writer
                .write_record(&record)
                .map_err(|e| Error::results(path, e.to_string()))?;
            kept += 1;
        } else {
            dropped += 1;
        }
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| Error::results(path, e.to_string()))?;
    if kept == 0 {
        std::fs::remove_file(path).map_err(|e| Error::io(path, e))?;
    } else {
        write_atomic(path, &bytes)?;
    }
    Ok(dropped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unfinished_and_cut_rows_are_pruned() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let run = |model: &str, seed: u64, status: RunStatus| {
            let mut r =
                RunRecord::empty(model.parse().unwrap(), seed, 16, 100, status, String::new());
            r.test_acc = 0.5;
            r
        };
        {
            let mut w = crate::results::CsvAppender::open(&d.join(files::RUNS)).unwrap();
            w.append(&run("lstm", 1, RunStatus::Ok)).unwrap();
            w.append(&run("gru", 1, RunStatus::Interrupted)).unwrap();
            w.append(&run("lstm", 2, RunStatus::Diverged)).unwrap();
            w.append(&run("lstm", 1, RunStatus::Ok)).unwrap();
        }
        std::fs::write(
            d.join(files::EPOCHS),
            "model,seed,epoch,val_acc\nlstm,1,1,0.5\nlstm,1,2,0.6\ngru,1,1,0.4\nlstm,2,1,0.3\ngru,2,1,0.",
        )
        .unwrap();
        std::fs::write(
            d.join(files::GRADIENT_FLOW),
            "model,stage,step,grad_norm\nlstm,init,0,1.0\ngru,init,0,2.0\n",
        )
        .unwrap();
        let finished = finished_runs(d).unwrap();
        let keys: Vec<(&str, u64)> = finished.iter().map(|r| (r.model.name(), r.seed)).collect();
        assert_eq!(keys, [("lstm", 1), ("lstm", 2)]);
        let pruned = prune_unfinished(d, &finished, 1).unwrap();
        assert_eq!(
            pruned,
            Pruned {
                runs: 2,
                epochs: 1,
                partial_lines: 1
            }
        );
        let epochs = std::fs::read_to_string(d.join(files::EPOCHS)).unwrap();
        assert_eq!(
            epochs,
            "model,seed,epoch,val_acc\nlstm,1,1,0.5\nlstm,1,2,0.6\nlstm,2,1,0.3\n"
        );
        let gradient = std::fs::read_to_string(d.join(files::GRADIENT_FLOW)).unwrap();
        assert_eq!(gradient, "model,stage,step,grad_norm\nlstm,init,0,1.0\n");
        assert_eq!(finished_runs(d).unwrap().len(), 2);
        let runs: Vec<RunRecord> = crate::results::read_csv(&d.join(files::RUNS)).unwrap();
        assert_eq!(runs.len(), 2);
    }

    #[test]
    fn a_finished_rerun_is_kept_and_an_interrupted_one_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let run = |seed: u64, attempt: u32, status: RunStatus| {
            let mut r = RunRecord::empty(
                "lstm".parse().unwrap(),
                seed,
                16,
                100,
                status,
                String::new(),
            );
            r.attempt = attempt;
            r
        };
        {
            let mut w = crate::results::CsvAppender::open(&d.join(files::RUNS)).unwrap();
            w.append(&run(1, 1, RunStatus::Ok)).unwrap();
            w.append(&run(2, 1, RunStatus::Ok)).unwrap();
            w.append(&run(1, 2, RunStatus::Ok)).unwrap();
        }
        // Seed 2's re-run (attempt 2) was killed after one epoch: no row in runs.csv.
        std::fs::write(
            d.join(files::EPOCHS),
            "model,seed,epoch,val_acc,attempt\nlstm,1,1,0.5,1\nlstm,2,1,0.6,1\nlstm,1,1,0.5,2\nlstm,2,1,0.6,2\n",
        )
        .unwrap();
        let finished = finished_runs(d).unwrap();
        assert_eq!(finished.len(), 3);
        let pruned = prune_unfinished(d, &finished, 1).unwrap();
        assert_eq!((pruned.runs, pruned.epochs), (0, 1));
        let epochs = std::fs::read_to_string(d.join(files::EPOCHS)).unwrap();
        assert_eq!(
            epochs,
            "model,seed,epoch,val_acc,attempt\nlstm,1,1,0.5,1\nlstm,2,1,0.6,1\nlstm,1,1,0.5,2\n"
        );
    }
}
