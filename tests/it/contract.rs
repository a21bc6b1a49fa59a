//! The run folder's outside contract: the columns and keys of a fresh run
//! against the checked-in list `contract.txt`, and the worker's refusal to
//! train on data files that changed after the run started.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use rnnbench::compare::{JobResult, job_result_path};
use rnnbench::results::RunStatus;
use rnnbench::sweep::plan::Job;
use serde_json::Value;

use crate::common::{FixtureCompare, fixture, only_dir, run_ok};

/// A small `compare` of LSTM and GRU on `train`/`test`, 2 epochs.
fn compare(train: &Path, test: &Path, out: &Path, seeds: &str) -> Command {
    FixtureCompare::new()
        .set("--train", train)
        .set("--test", test)
        .set("--seeds", seeds)
        .command(out)
}

/// Key paths of a JSON value: `a`, `a.b`, and `a[].b` for arrays of
/// objects; `nulls` gets the paths whose value is `null` (an estimate or
/// ratio that this run's numbers left undefined: its keys cannot appear).
fn key_paths(value: &Value, prefix: &str, out: &mut Vec<String>, nulls: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let path = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                out.push(path.clone());
                if v.is_null() {
                    nulls.push(path.clone());
                }
                key_paths(v, &path, out, nulls);
            }
        }
        Value::Array(items) => {
            if items.is_empty() {
                nulls.push(prefix.to_string());
            }
            if let Some(first @ Value::Object(_)) = items.first() {
                key_paths(first, &format!("{prefix}[]"), out, nulls);
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
            let (mut found, mut nulls) = (Vec::new(), Vec::new());
            key_paths(
                &serde_json::from_str(&text).unwrap(),
                "",
                &mut found,
                &mut nulls,
            );
            let found: BTreeSet<&str> = found.iter().map(String::as_str).collect();
            let expected: BTreeSet<&str> = expected.into_iter().collect();
            let unexpected: Vec<&&str> = found.difference(&expected).collect();
            assert!(
                unexpected.is_empty(),
                "{file}: keys not in contract.txt: {unexpected:?}"
            );
            let missing: Vec<&&str> = expected
                .difference(&found)
                .filter(|k| {
                    !nulls.iter().any(|n| {
                        k.strip_prefix(n.as_str())
                            .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
                    })
                })
                .collect();
            assert!(missing.is_empty(), "{file}: keys missing: {missing:?}");
        }
        checked += 1;
    }
    assert_eq!(checked, 8);

    // Time to accuracy is filled in per run and stated; the kernel split too.
    let runs: Vec<rnnbench::results::RunRecord> =
        rnnbench::results::read_csv(&dir.join("runs.csv")).unwrap();
    assert!(runs.iter().any(|r| r.secs_to_target.is_some()));
    for r in runs.iter().filter(|r| r.secs_to_target.is_some()) {
        assert!(r.secs_to_target.unwrap() <= r.train_secs_total + 1e-9);
        assert!(r.epochs_to_target.unwrap() >= 1);
    }
    let page = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(
        page.contains("% validation accuracy</strong>"),
        "no time-to-accuracy line on the first screen"
    );
    assert!(page.contains("Kernel check"), "no kernel split");

    // Every run timed its worker (the parts add up; how long each took is
    // for compare and the benches to measure, not for a test), and the
    // seeds' encoded data the parent left for the workers is gone.
    for r in &runs {
        let (wall, worker, data) = (
            r.wall_secs.unwrap(),
            r.worker_secs.unwrap(),
            r.data_secs.unwrap(),
        );
        assert!(
            wall >= worker && worker >= data + r.train_secs_total,
            "{r:?}"
        );
        assert!(r.eval_secs_total.unwrap() > 0.0, "{r:?}");
    }
    assert!(
        !dir.join(".data").exists(),
        "the seeds' data was left behind"
    );
    assert!(
        page.contains("Time outside training: workers ran"),
        "no harness line"
    );
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap();
    let share = summary["harness"]["training_share"].as_f64().unwrap();
    assert!(share > 0.0 && share < 1.0, "{share}");
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
        .arg("--job")
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
