//! The run folder's outside contract: the columns and keys of a fresh run
//! against the checked-in list `contract.txt`, and the worker's refusal to
//! train on data files that changed after the run started.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use rnnbench::compare::{JobResult, job_result_path};
use rnnbench::results::RunStatus;
use rnnbench::sweep::plan::Job;
use serde_json::Value;

use crate::common::{fixture, run_ok};

/// A small `compare` of LSTM and GRU on `train`/`test`, 2 epochs.
fn compare(train: &Path, test: &Path, out: &Path, seeds: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_compare"));
    cmd.arg("--train").arg(train).arg("--test").arg(test);
    cmd.args(["--epochs", "2", "--hidden", "16", "--embed", "16"]);
    cmd.args(["--max-len", "64", "--batch-size", "16", "--threads", "1"]);
    cmd.args(["--quiet", "--vocab-size", "2000", "--seeds", seeds]);
    cmd.arg("--out").arg(out);
    cmd
}

fn only_dir(out: &Path) -> PathBuf {
    let dirs: Vec<PathBuf> = std::fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(dirs.len(), 1, "{dirs:?}");
    dirs.into_iter().next().unwrap()
}

/// Key paths of a JSON value: `a`, `a.b`, and `a[].b` for arrays of objects.
fn key_paths(value: &Value, prefix: &str, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let path = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                out.push(path.clone());
                key_paths(v, &path, out);
            }
        }
        Value::Array(items) => {
            if let Some(first @ Value::Object(_)) = items.first() {
                key_paths(first, &format!("{prefix}[]"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn a_run_folder_keeps_the_checked_in_columns_and_keys() {
    let tmp = tempfile::tempdir().unwrap();
    run_ok(&mut compare(
        &fixture("train.csv"),
        &fixture("test.csv"),
        tmp.path(),
        "2",
    ));
    let dir = only_dir(tmp.path());
    let contract = include_str!("contract.txt");
    let mut checked = 0;
    for line in contract.lines().filter(|l| !l.starts_with('#')) {
        let (file, expected) = line.split_once(": ").expect("`file: keys` lines");
        let expected: Vec<&str> = expected.split(',').collect();
        let path = dir.join(file);
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{file}: {e}"));
        if file.ends_with(".csv") {
            let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
            assert_eq!(header, expected, "{file}: columns (in order)");
        } else {
            let mut found = Vec::new();
            key_paths(&serde_json::from_str(&text).unwrap(), "", &mut found);
            let found: BTreeSet<&str> = found.iter().map(String::as_str).collect();
            let expected: BTreeSet<&str> = expected.into_iter().collect();
            assert_eq!(found, expected, "{file}: key paths");
        }
        checked += 1;
    }
    assert_eq!(checked, 8);
}

#[test]
fn a_worker_refuses_data_files_that_changed_since_the_run_started() {
    let tmp = tempfile::tempdir().unwrap();
    let train = tmp.path().join("train.csv");
    let test = tmp.path().join("test.csv");
    std::fs::copy(fixture("train.csv"), &train).unwrap();
    std::fs::copy(fixture("test.csv"), &test).unwrap();
    let out = tmp.path().join("out");
    run_ok(&mut compare(&train, &test, &out, "1"));
    let dir = only_dir(&out);
    let epochs_before = std::fs::read_to_string(dir.join("epochs.csv")).unwrap();

    // The training file is replaced (here: one review edited) after the run began.
    let text = std::fs::read_to_string(&train).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    let edited = format!("{} and then some", lines[1]);
    lines[1] = &edited;
    std::fs::write(&train, lines.join("\n") + "\n").unwrap();

    let job = Job::parse_id("base:gru:1").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_compare"))
        .arg("--worker")
        .arg(&dir)
        .arg(job.id())
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("train.csv") && stderr.contains("changed since the run started"),
        "{stderr}"
    );
    let result: JobResult =
        rnnbench::results::read_json(&job_result_path(&dir, &job)).expect("the worker's record");
    assert_eq!(result.run.status, RunStatus::Failed);
    assert!(
        result.run.message.contains("train.csv"),
        "{}",
        result.run.message
    );
    let epochs_after = std::fs::read_to_string(dir.join("epochs.csv")).unwrap();
    assert_eq!(epochs_before, epochs_after, "nothing was trained");
}
