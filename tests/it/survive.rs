//! Issue 30, "Nothing lost, nothing false": what a curious user does to a
//! run folder (reports it while `compare` writes it, merges into it,
//! interrupts a phase, resumes it from elsewhere) loses no result and
//! shows no false figure.

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::common::{fixture, run_ok};

/// `compare` on the fixture with a tiny model (`FIX` of the issue).
fn compare(out: &Path, extra: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_compare"));
    cmd.arg("--train")
        .arg(fixture("train.csv"))
        .arg("--test")
        .arg(fixture("test.csv"))
        .args(["--embed", "8", "--max-len", "32"])
        .args(["--kernel-check", "off", "--quiet", "--out"])
        .arg(out)
        .args(extra);
    cmd
}

fn report() -> Command {
    Command::new(env!("CARGO_BIN_EXE_report"))
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Data rows of a CSV file (0 when it is missing).
fn rows(path: &Path) -> usize {
    std::fs::read_to_string(path)
        .map(|t| t.lines().count().saturating_sub(1))
        .unwrap_or(0)
}

#[test]
fn report_of_a_folder_compare_is_writing_loses_no_run() {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("cd");
    let mut running = compare(
        out.path(),
        &[
            "--hidden",
            "8",
            "--epochs",
            "2",
            "--seeds",
            "4",
            "--remeasure",
            "0",
            "--run-id",
            "cd",
        ],
    )
    .stdout(std::process::Stdio::null())
    .spawn()
    .unwrap();
    // Once the first run is finished, report the folder again and again
    // while the comparison goes on.
    let start = Instant::now();
    while rows(&dir.join("runs.csv")) < 1 {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "no run finished"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut reports = 0;
    while running.try_wait().unwrap().is_none() {
        let output = report().arg(&dir).output().unwrap();
        assert!(output.status.success(), "{}", stderr(&output));
        reports += 1;
        if reports == 1 {
            let err = stderr(&output);
            assert!(err.contains("still working"), "{err}");
            let page = std::fs::read_to_string(dir.join("report.html")).unwrap();
            assert!(page.contains("still working in this folder"));
        }
    }
    assert!(reports > 0);
    let status = running.wait().unwrap();
    assert!(status.success(), "compare ended {status}");
    assert_eq!(rows(&dir.join("runs.csv")), 8, "every run is in runs.csv");
    let page = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(!page.contains("still working in this folder"));
}

#[test]
fn a_merge_never_writes_over_a_sweep_or_a_shard_root() {
    let out = tempfile::tempdir().unwrap();
    let grid = [
        "--hidden", "8,16", "--epochs", "1", "--seeds", "1", "--models", "lstm",
    ];
    let mut args = grid.to_vec();
    args.extend(["--run-id", "s", "--remeasure", "0"]);
    run_ok(&mut compare(out.path(), &args));
    for shard in ["1/2", "2/2"] {
        let mut args = grid.to_vec();
        args.extend(["--run-id", "c", "--remeasure", "0", "--shard", shard]);
        run_ok(&mut compare(out.path(), &args));
    }
    let sweep = out.path().join("s");
    let before = std::fs::read(sweep.join("sweep.json")).unwrap();
    let shards = out.path().join("c");
    let merged = report()
        .arg(shards.join("shard-1-of-2"))
        .arg(shards.join("shard-2-of-2"))
        .arg("--out")
        .arg(&sweep)
        .output()
        .unwrap();
    let err = stderr(&merged);
    assert!(!merged.status.success(), "merged over a sweep: {err}");
    assert!(err.contains("already holds a run (sweep.json)"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert_eq!(std::fs::read(sweep.join("sweep.json")).unwrap(), before);
    // The sweep is still a run: it resumes (nothing left to do).
    run_ok(
        Command::new(env!("CARGO_BIN_EXE_compare"))
            .arg("--resume")
            .arg(&sweep),
    );
    // A shard root holds run folders that are not being merged.
    let onto_shards = report()
        .arg(&sweep)
        .arg("--out")
        .arg(&shards)
        .output()
        .unwrap();
    let err = stderr(&onto_shards);
    assert!(!onto_shards.status.success(), "{err}");
    assert!(
        err.contains("holds run folders that are not being merged"),
        "{err}"
    );
    assert!(!shards.join("sweep.json").exists());
    // Its own shards merge into it, as before.
    run_ok(report().arg(&shards));
    assert!(shards.join("sweep.json").is_file());
}

#[test]
fn six_reports_at_once_on_one_folder_all_succeed() {
    let out = tempfile::tempdir().unwrap();
    run_ok(&mut compare(
        out.path(),
        &[
            "--hidden", "8", "--epochs", "1", "--seeds", "2", "--run-id", "r",
        ],
    ));
    let dir = out.path().join("r");
    let children: Vec<_> = (0..6)
        .map(|_| {
            report()
                .arg(&dir)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "{}", stderr(&output));
    }
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains(".partial"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    serde_json::from_str::<serde_json::Value>(
        &std::fs::read_to_string(dir.join("summary.json")).unwrap(),
    )
    .unwrap();
}
