//! Interference: a CPU hog spinning on every core while a comparison's runs
//! train makes their epochs disturbed, its timing `disturbed`, and the report say so.

use std::process::Stdio;

use crate::hog::rows_of;
use rnnbench::probe::interference::Timing;
use rnnbench::results::{EpochRecord, RunRecord, read_csv};

#[test]
fn a_cpu_hog_during_a_run_is_detected_and_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    // Four spinners per core: the fixture's epochs take about 40 ms on the
    // fused kernel, and one spinner per core makes them wait about that
    // long, under the disturbance rule's 50 ms jitter floor.
    let _alone = crate::hog::one_at_a_time();
    let mut child = crate::hog::disturbed_compare(&out, "0")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The hog spins while both runs train: until all 8 epochs are written.
    let hogged = crate::hog::while_training(&mut child, 4, &out, |epochs| {
        rows_of(epochs, "lstm") >= 4 && rows_of(epochs, "gru") >= 4
    });
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(hogged, "the epochs were not all written under the hog");
    let dir = crate::hog::run_folder(&out).expect("the run's folder");
    let epochs: Vec<EpochRecord> = read_csv(&dir.join("epochs.csv")).unwrap();
    assert_eq!(epochs.len(), 8);
    assert!(
        epochs
            .iter()
            .all(|e| e.runqueue_wait_secs.is_some() && e.cpu_secs.is_some())
    );
    let flagged = epochs.iter().filter(|e| e.disturbed == Some(true)).count();
    assert!(flagged >= 4, "{flagged} of 8 epochs flagged: {epochs:?}");
    assert!(
        epochs
            .iter()
            .any(|e| e.disturbance.contains("runqueue wait"))
    );
    let runs: Vec<RunRecord> = read_csv(&dir.join("runs.csv")).unwrap();
    assert!(
        runs.iter().all(|r| r.timing == Some(Timing::Disturbed)),
        "{runs:?}"
    );
    let page = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(
        page.contains("were disturbed by other load"),
        "no timing note on the page"
    );
}

/// Issue 39: two workers side by side (`--jobs 2`, one thread each, on a
/// machine with two CPUs or more) do not flag each other: the disturbance
/// rule reads each worker's own run-queue wait, and each has its core. An
/// outside busy process still flags them.
#[test]
fn sibling_workers_are_not_a_disturbance_but_a_hog_still_is() {
    if std::thread::available_parallelism().map_or(1, |n| n.get()) < 2 {
        eprintln!("skipped: one CPU");
        return;
    }
    let _alone = crate::hog::one_at_a_time();
    let tmp = tempfile::tempdir().unwrap();
    let quiet = tmp.path().join("quiet");
    let output = crate::hog::disturbed_compare_jobs(&quiet, "0", "2")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let dir = crate::hog::run_folder(&quiet).expect("the run's folder");
    let runs: Vec<RunRecord> = read_csv(&dir.join("runs.csv")).unwrap();
    assert!(
        runs.iter().all(|r| r.workers_at_once == Some(2)),
        "{runs:?}"
    );
    let epochs: Vec<EpochRecord> = read_csv(&dir.join("epochs.csv")).unwrap();
    assert_eq!(epochs.len(), 8);
    let by_wait: Vec<&EpochRecord> = epochs
        .iter()
        .filter(|e| e.disturbance.contains("runqueue wait"))
        .collect();
    assert!(by_wait.is_empty(), "siblings flagged: {by_wait:?}");

    let hogged_out = tmp.path().join("hogged");
    let mut child = crate::hog::disturbed_compare_jobs(&hogged_out, "0", "2")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let hogged = crate::hog::while_training(&mut child, 4, &hogged_out, |epochs| {
        rows_of(epochs, "lstm") >= 4 && rows_of(epochs, "gru") >= 4
    });
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    assert!(hogged, "the epochs were not all written under the hog");
    let dir = crate::hog::run_folder(&hogged_out).expect("the run's folder");
    let epochs: Vec<EpochRecord> = read_csv(&dir.join("epochs.csv")).unwrap();
    let flagged = epochs.iter().filter(|e| e.disturbed == Some(true)).count();
    assert!(flagged >= 4, "{flagged} of 8 epochs flagged: {epochs:?}");
}
