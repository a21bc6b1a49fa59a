//! `--seeds auto`: seed pairs are added until the paired accuracy
//! difference's 95% CI is narrow enough, or `--max-seeds` is reached; each
//! grid point stops on its own and the report says why.
//!
//! Both outcomes are made certain rather than likely: `--precision 300`
//! points is wider than any 95% CI half-width three seeds can have (the
//! differences lie in [-1, 1], so their sd is at most 1.16 and the
//! half-width at most 4.30 x 1.16 / sqrt(3) = 2.87, 287 points), so the rule
//! stops as soon as three seeds are paired; and a run made to diverge
//! (`RNNBENCH_FAULT_NAN`) leaves its seed unpaired, so a point with it
//! needs one seed more, or reaches a maximum of 3 with no interval at all.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::common::FixtureCompare;
use rnnbench::model::Cell;
use rnnbench::results::{RunRecord, read_csv};
use serde_json::Value;

fn compare(out: &Path, extra: &[&str]) -> Output {
    FixtureCompare::new()
        .unset("--epochs")
        .with(&[
            "--models",
            "lstm,gru",
            "--kernel-check",
            "off",
            "--seeds",
            "auto",
        ])
        .with(extra)
        .command(out)
        // LSTM's seed 2 diverges in epoch 2 (a point with one epoch never gets there).
        .env("RNNBENCH_FAULT_NAN", "lstm:2:2")
        .output()
        .unwrap()
}

fn run_dir(out: &Path) -> PathBuf {
    std::fs::read_dir(out)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path()
}

/// The seeds with a row in `dir`'s runs.csv, for each model.
fn seeds_of(dir: &Path) -> Vec<(Cell, u64)> {
    let runs: Vec<RunRecord> = read_csv(&dir.join("runs.csv")).unwrap();
    let mut seeds: Vec<(Cell, u64)> = runs.iter().map(|r| (r.model, r.seed)).collect();
    seeds.sort();
    seeds
}

fn json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn pairs(seeds: &[u64]) -> Vec<(Cell, u64)> {
    let mut v: Vec<(Cell, u64)> = seeds
        .iter()
        .flat_map(|&s| [(Cell::Lstm, s), (Cell::Gru, s)])
        .collect();
    v.sort();
    v
}

#[test]
fn each_point_adds_seeds_until_its_interval_is_narrow_enough() {
    let tmp = tempfile::tempdir().unwrap();
    let output = compare(
        tmp.path(),
        &["--epochs", "1,2", "--max-seeds", "5", "--precision", "300"],
    );
    // The diverged run makes the exit status non-zero; everything else finished.
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("lstm seed 2 diverged"), "{stderr}");
    let root = run_dir(tmp.path());
    // One epoch: three seeds pair up and the rule stops at once.
    let one = root.join("points/epochs-1");
    assert_eq!(seeds_of(&one), pairs(&[1, 2, 3]));
    // Two epochs: LSTM seed 2 diverged, so a fourth seed was added.
    let two = root.join("points/epochs-2");
    assert_eq!(seeds_of(&two), pairs(&[1, 2, 3, 4]));
    for (dir, seeds) in [(&one, 3), (&two, 4)] {
        let summary = json(&dir.join("summary.json"));
        let d = &summary["seeds_auto"];
        assert_eq!(d["stopped"], "precision", "{d}");
        assert_eq!(d["seeds"], seeds);
        assert_eq!(d["paired_seeds"], 3);
        assert!(d["half_width_points"].as_f64().unwrap() <= 300.0);
        let config = json(&dir.join("config.json"));
        assert_eq!(config["config"]["seeds"].as_array().unwrap().len(), seeds);
        let page = std::fs::read_to_string(dir.join("report.html")).unwrap();
        assert!(
            page.contains(&format!("stopped after {seeds} seeds")),
            "no stopping sentence in {}",
            dir.display()
        );
    }
    // sweep.json lists the added jobs, so --resume would know them.
    let sweep = json(&root.join("sweep.json"));
    let jobs: Vec<&str> = sweep["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j.as_str().unwrap())
        .collect();
    assert!(jobs.contains(&"epochs-2:gru:4"), "{jobs:?}");
    assert!(
        !jobs
            .iter()
            .any(|j| j.starts_with("epochs-1") && j.ends_with(":4"))
    );
    assert_eq!(sweep["jobs_total"], 14);

    // Killed before the added seed's GRU run finished: --resume runs it from
    // the jobs sweep.json lists, and the rule then stops as before.
    let runs_path = two.join("runs.csv");
    let text = std::fs::read_to_string(&runs_path).unwrap();
    let kept: Vec<&str> = text.lines().filter(|l| !l.starts_with("gru,4,")).collect();
    assert_eq!(kept.len(), text.lines().count() - 1);
    std::fs::write(&runs_path, kept.join("\n") + "\n").unwrap();
    let resumed = Command::new(env!("CARGO_BIN_EXE_compare"))
        .env("RNNBENCH_FAULT_NAN", "lstm:2:2")
        .arg("--resume")
        .arg(&root)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&resumed.stderr);
    assert!(
        stderr.contains("13 of 14 jobs were already finished"),
        "{stderr}"
    );
    assert_eq!(seeds_of(&two), pairs(&[1, 2, 3, 4]));
    assert_eq!(
        json(&two.join("summary.json"))["seeds_auto"]["stopped"],
        "precision"
    );
}

#[test]
fn a_point_that_cannot_get_precise_stops_at_the_maximum() {
    let tmp = tempfile::tempdir().unwrap();
    let output = compare(
        tmp.path(),
        &["--epochs", "2", "--max-seeds", "3", "--precision", "300"],
    );
    assert!(!output.status.success(), "a run diverged");
    let dir = run_dir(tmp.path());
    assert_eq!(seeds_of(&dir), pairs(&[1, 2, 3]));
    let d = &json(&dir.join("summary.json"))["seeds_auto"];
    assert_eq!(d["stopped"], "max_seeds", "{d}");
    assert_eq!(d["paired_seeds"], 2);
    assert!(d["half_width_points"].is_null());
    let page = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(
        page.contains("stopped at the maximum of 3 seeds"),
        "no stopping sentence"
    );
}

#[test]
fn seeds_auto_flags_are_checked() {
    let tmp = tempfile::tempdir().unwrap();
    for (args, flag) in [
        (&["--max-seeds", "2"][..], "--max-seeds"),
        (&["--precision", "0"][..], "--precision"),
        (&["--shard", "1/2"][..], "--seeds"),
    ] {
        let output = compare(tmp.path(), args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success());
        assert!(
            stderr.starts_with(&format!("error: {flag}")),
            "{args:?}: {stderr}"
        );
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
    }
    for (args, start, says) in [
        (
            &["--max-seeds", "4"][..],
            "error: --max-seeds",
            "--seeds auto",
        ),
        (
            &["--seeds", "auto", "--models", "lstm"][..],
            "error: --seeds",
            "two models",
        ),
        // clap's own one line, as for every other flag.
        (
            &["--seeds", "some"][..],
            "error: invalid value 'some' for '--seeds",
            "nor `auto`",
        ),
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_compare"))
            .args(args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success());
        assert!(
            stderr.starts_with(start) && stderr.contains(says),
            "{args:?}: {stderr}"
        );
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
    }
}

/// Issue 35 finding 10: the first screen's next step printed a command that
/// started a new folder and ran the seeds already there again. It is now
/// `compare --resume DIR` with more seeds: run as printed (scripts/compare
/// being the compare binary), it adds only the missing seed to this folder.
/// Two seeds make it certain: every paired line has too few seeds for an
/// interval and needs 3, so the step asks for one seed more.
#[test]
fn the_next_step_adds_only_the_missing_seeds_to_this_run() {
    let tmp = tempfile::tempdir().unwrap();
    let first = crate::common::run_ok(
        &mut FixtureCompare::new()
            .with(&[
                "--models",
                "lstm,gru",
                "--kernel-check",
                "off",
                "--seeds",
                "2",
            ])
            .command(tmp.path()),
    );
    let dir = crate::common::only_dir(tmp.path());
    let next = &json(&dir.join("summary.json"))["answer"]["next"];
    let command = next["command"].as_str().unwrap();
    assert_eq!(
        command,
        format!(
            "scripts/compare --resume {} --seeds auto --max-seeds 3",
            dir.display()
        )
    );
    assert!(
        next["text"]
            .as_str()
            .unwrap()
            .starts_with("To decide: ≈3 seeds (1 more than here)"),
        "{next}"
    );
    let printed = String::from_utf8_lossy(&first.stdout);
    assert!(printed.contains(&format!("\n    {command}\n")), "{printed}");
    let before: Vec<RunRecord> = read_csv(&dir.join("runs.csv")).unwrap();

    let mut words = command.split(' ');
    assert_eq!(words.next(), Some("scripts/compare"));
    let resumed = crate::common::run_ok(
        Command::new(env!("CARGO_BIN_EXE_compare"))
            .args(words)
            .env_remove("SLURM_ARRAY_TASK_ID")
            .env_remove("JOB_COMPLETION_INDEX"),
    );
    let stderr = String::from_utf8_lossy(&resumed.stderr);
    assert!(
        stderr.contains("4 of 6 jobs were already finished; ran 2 more"),
        "{stderr}"
    );
    assert_eq!(crate::common::only_dir(tmp.path()), dir, "no new folder");
    assert_eq!(seeds_of(&dir), pairs(&[1, 2, 3]));
    // Seeds 1 and 2 were kept as they ran, not run again.
    let after: Vec<RunRecord> = read_csv(&dir.join("runs.csv")).unwrap();
    for old in &before {
        let kept = after
            .iter()
            .find(|r| (r.model, r.seed) == (old.model, old.seed))
            .unwrap();
        assert_eq!(
            (kept.test_acc, kept.train_secs_total),
            (old.test_acc, old.train_secs_total)
        );
    }
    let config = json(&dir.join("config.json"));
    assert_eq!(config["config"]["seeds"], serde_json::json!([1, 2, 3]));
    assert_eq!(json(&dir.join("sweep.json"))["jobs_total"], 6);
}
