//! Merging through the library, on folders planned by a
//! [`Session`](crate::compare::Session) (no run needed) with rows appended
//! by hand: runs of one configuration with a duplicate, a configuration
//! that differs, and the shards of one grid.

use std::path::{Path, PathBuf};

use super::{expand_folders, is_merged_output, merge_folders, merge_runs};
use crate::compare::testing::{named, request};
use crate::compare::{Request, Session, memory_sink};
use crate::model::Cell;
use crate::results::{CsvAppender, RunManifest, RunRecord, RunStatus, SweepManifest, files};
use crate::sweep::plan::Shard;

/// Plans `request` (writing its folder) and returns the folder.
fn planned(request: &Request) -> PathBuf {
    let (sink, _) = memory_sink();
    Session::plan(request, sink).unwrap().root().to_path_buf()
}

/// Appends a row of `model` and `seed` ending `status` to `dir/runs.csv`,
/// sized as the folder's `config.json` says.
fn append_run(dir: &Path, model: Cell, seed: u64, status: RunStatus) {
    let manifest = RunManifest::load(dir).unwrap();
    let size = manifest
        .model_sizes
        .iter()
        .find(|s| s.model == model)
        .unwrap();
    let mut run = RunRecord::empty(
        model,
        seed,
        size.hidden_size,
        size.params,
        status,
        "".into(),
    );
    run.test_acc = 0.5;
    CsvAppender::<RunRecord>::open(&dir.join(files::RUNS))
        .unwrap()
        .append(&run)
        .unwrap();
}

/// The (model, seed, status) of each row of `dir/runs.csv`.
fn rows(dir: &Path) -> Vec<(Cell, u64, RunStatus)> {
    crate::results::read_csv::<RunRecord>(&dir.join(files::RUNS))
        .unwrap()
        .into_iter()
        .map(|r| (r.model, r.seed, r.status))
        .collect()
}

#[test]
fn runs_of_one_configuration_merge_with_a_duplicate_counted_once() {
    let out = tempfile::tempdir().unwrap();
    let a = planned(&named(out.path(), "a"));
    let b = planned(&Request {
        run_id: Some("b".into()),
        ..request(out.path(), &["--seeds", "3"])
    });
    append_run(&a, Cell::Lstm, 1, RunStatus::Ok);
    append_run(&a, Cell::Gru, 1, RunStatus::Ok);
    append_run(&b, Cell::Lstm, 1, RunStatus::Failed);
    append_run(&b, Cell::Lstm, 3, RunStatus::Ok);
    let merged = out.path().join("merged");
    merge_runs(&[a.clone(), b.clone()], &merged).unwrap();
    assert_eq!(
        rows(&merged),
        vec![
            (Cell::Lstm, 1, RunStatus::Ok),
            (Cell::Gru, 1, RunStatus::Ok),
            (Cell::Lstm, 3, RunStatus::Ok)
        ]
    );
    let manifest = RunManifest::load(&merged).unwrap();
    assert_eq!(manifest.config.seeds, vec![1, 2, 3]);
    assert_eq!(manifest.run_id, "merged");
    assert_eq!(manifest.merged_from.len(), 2);
    let duplicate = format!(
        "Duplicate: LSTM seed 1 is in {} and in {}; counted once, from {}.",
        a.display(),
        b.display(),
        a.display()
    );
    assert!(
        manifest.merge_notes.contains(&duplicate),
        "{:?}",
        manifest.merge_notes
    );
    assert!(is_merged_output(&merged));
    // A second merge into a folder that holds a run is refused.
    let again = merge_runs(&[a, b], &merged).unwrap_err().to_string();
    assert!(again.contains("already holds a run"), "{again}");
}

#[test]
fn runs_of_different_configurations_do_not_merge() {
    let out = tempfile::tempdir().unwrap();
    let a = planned(&named(out.path(), "a"));
    let b = planned(&Request {
        run_id: Some("b".into()),
        ..request(out.path(), &["--hidden", "12"])
    });
    let merged = out.path().join("merged");
    let e = merge_runs(&[a, b], &merged).unwrap_err().to_string();
    assert!(e.contains("config.hidden: 8 vs 12"), "{e}");
    assert!(!e.contains('\n'), "{e}");
    assert!(!merged.exists());
}

#[test]
fn the_shards_of_one_grid_merge_into_the_whole_grid() {
    let out = tempfile::tempdir().unwrap();
    let shard = |index| Request {
        run_id: Some("grid".into()),
        shard: Some(Shard { index, count: 2 }),
        ..request(out.path(), &["--hidden", "8,12", "--quiet"])
    };
    let (one, two) = (planned(&shard(1)), planned(&shard(2)));
    assert_eq!(
        expand_folders(&[out.path().join("grid")]).unwrap(),
        vec![one.clone(), two.clone()]
    );
    let merged = out.path().join("merged");
    merge_folders(&[one, two], &merged).unwrap();
    let manifest = SweepManifest::load(&merged).unwrap();
    assert_eq!(manifest.shard, None);
    assert_eq!((manifest.jobs.len(), manifest.jobs_total), (8, 8));
    assert_eq!(manifest.merged_from.len(), 2);
    for point in &manifest.grid.points {
        let dir = crate::results::point_dir(&merged, &manifest.grid, &point.id);
        assert!(dir.join(files::CONFIG).is_file(), "{}", dir.display());
    }
}
