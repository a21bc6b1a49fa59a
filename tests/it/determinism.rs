//! Same seed, same model, whatever the seed's place in the seed list: every
//! model × layers 1/2 × bidirectional off/on × kernel, trained with seeds
//! `1,2` and again with `2,1`, gives every seed the same epoch losses and
//! accuracies bit for bit. (The gradient probe once ran for the first seed
//! only and drew dropout masks between stacked bidirectional layers, so the
//! first seed trained another model than the same seed second.)

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::common::{FixtureCompare, only_dir, run_ok};

/// `(point, model, seed, epoch)` → `(train_loss, val_loss, val_acc)` as
/// written, of every point's `epochs.csv` under the sweep folder `dir`.
fn epoch_numbers(dir: &Path) -> BTreeMap<Vec<String>, Vec<String>> {
    let mut rows = BTreeMap::new();
    let points: Vec<PathBuf> = std::fs::read_dir(dir.join("points"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert!(!points.is_empty(), "{}: no points", dir.display());
    for point in points {
        let name = point.file_name().unwrap().to_string_lossy().into_owned();
        let mut reader = csv::Reader::from_path(point.join("epochs.csv")).unwrap();
        let headers = reader.headers().unwrap().clone();
        let col = |c: &str| headers.iter().position(|h| h == c).unwrap();
        for record in reader.records() {
            let r = record.unwrap();
            let key = vec![
                name.clone(),
                r[col("model")].to_string(),
                r[col("seed")].to_string(),
                r[col("epoch")].to_string(),
            ];
            let values = ["train_loss", "train_acc", "val_loss", "val_acc"]
                .iter()
                .map(|c| r[col(c)].to_string())
                .collect();
            assert!(rows.insert(key.clone(), values).is_none(), "{key:?} twice");
        }
    }
    rows
}

#[test]
fn a_seed_trains_the_same_model_first_or_second_in_the_list() {
    let mut kernels = vec!["auto", "native"];
    if Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("onednn/lib/libdnnl.so.3")
        .is_file()
    {
        kernels.push("onednn");
    }
    let run = |seeds: &str| {
        let out = tempfile::tempdir().unwrap();
        run_ok(
            &mut FixtureCompare::new()
                .with(&["--models", "lstm,gru,rnn,transformer", "--seed-list", seeds])
                .with(&["--layers", "1,2", "--bidirectional=false,true"])
                .with(&["--hidden", "8", "--embed", "8", "--max-len", "32"])
                .with(&["--dropout", "0.5", "--kernel", &kernels.join(",")])
                .with(&["--kernel-check", "off"])
                .command(out.path()),
        );
        let numbers = epoch_numbers(&only_dir(out.path()));
        (out, numbers)
    };
    let (_a, first) = run("1,2");
    let (_b, second) = run("2,1");
    assert!(first.len() >= 2 * 2 * 2 * 2 * kernels.len(), "{first:?}");
    assert_eq!(
        first.keys().collect::<Vec<_>>(),
        second.keys().collect::<Vec<_>>()
    );
    let differ: Vec<_> = first
        .iter()
        .filter(|(k, v)| second[*k] != **v)
        .map(|(k, v)| format!("{k:?}: {v:?} against {:?}", second[k]))
        .collect();
    assert!(
        differ.is_empty(),
        "{} differ:\n{}",
        differ.len(),
        differ.join("\n")
    );
}

/// `(model, seed, epoch)` → the epoch's losses and accuracies, and `(model,
/// seed)` → the run's test accuracy and loss, with how many workers ran at
/// once and with how many threads, of the run folder `dir`.
type Numbers = (
    BTreeMap<Vec<String>, Vec<String>>,
    BTreeMap<Vec<String>, Vec<String>>,
);

fn run_numbers(dir: &Path) -> Numbers {
    let read = |file: &str, key: &[&str], values: &[&str]| {
        let mut reader = csv::Reader::from_path(dir.join(file)).unwrap();
        let headers = reader.headers().unwrap().clone();
        let col = |c: &str| headers.iter().position(|h| h == c).unwrap();
        let mut rows = BTreeMap::new();
        for record in reader.records() {
            let r = record.unwrap();
            let k: Vec<String> = key.iter().map(|c| r[col(c)].to_string()).collect();
            let v: Vec<String> = values.iter().map(|c| r[col(c)].to_string()).collect();
            assert!(rows.insert(k.clone(), v).is_none(), "{file}: {k:?} twice");
        }
        rows
    };
    (
        read(
            "epochs.csv",
            &["model", "seed", "epoch"],
            &["train_loss", "train_acc", "val_loss", "val_acc"],
        ),
        read(
            "runs.csv",
            &["model", "seed"],
            &[
                "test_acc",
                "test_loss",
                "workers_at_once",
                "threads_per_worker",
            ],
        ),
    )
}

/// Issue 39: workers side by side (`--jobs 2`) train the same models as
/// one at a time at the same threads per worker, bit for bit, and each run
/// records how many ran at once.
#[test]
fn workers_side_by_side_give_the_serial_numbers() {
    let run = |jobs: &str| {
        let out = tempfile::tempdir().unwrap();
        run_ok(
            &mut FixtureCompare::new()
                .with(&["--models", "lstm,gru", "--seeds", "2", "--jobs", jobs])
                .with(&["--hidden", "8", "--embed", "8", "--max-len", "32"])
                .with(&["--kernel-check", "off", "--remeasure", "0"])
                .command(out.path()),
        );
        let numbers = run_numbers(&only_dir(out.path()));
        (out, numbers)
    };
    let (_a, (serial_epochs, serial_runs)) = run("1");
    let (_b, (side_epochs, side_runs)) = run("2");
    assert_eq!(serial_epochs, side_epochs);
    assert_eq!(serial_runs.len(), 4, "{serial_runs:?}");
    for (key, serial) in &serial_runs {
        let side = &side_runs[key];
        assert_eq!(serial[..2], side[..2], "{key:?}");
        assert_eq!(serial[2..], ["1", "1"], "{key:?}");
        assert_eq!(side[2..], ["2", "1"], "{key:?}");
    }
}
