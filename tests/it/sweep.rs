//! Grids, shards, resume and merge end to end on the tiny fixture: a 2 x 2
//! grid x 2 cells x 2 seeds run in one piece, and again as 3 shards of which
//! one is killed with SIGKILL mid-way and resumed; merged, the shards give
//! the one-piece results exactly.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use crate::common::{FixtureCompare, run_ok};
use std::time::{Duration, Instant};

/// `compare` on the fixture with a small model, LSTM and GRU; `extra` in
/// place of the defaults.
fn base(out: &Path, extra: &[&str]) -> Command {
    FixtureCompare::new()
        .unset("--epochs")
        .unset("--hidden")
        .with(&["--models", "lstm,gru"])
        .with(extra)
        .command(out)
}

/// The test grid: hidden 16,24 x layers 1,2 x seeds 1,2, two epochs.
fn grid(out: &Path, extra: &[&str]) -> Command {
    let mut cmd = base(
        out,
        &[
            "--hidden",
            "16,24",
            "--layers",
            "1,2",
            "--seed-list",
            "1,2",
            "--epochs",
            "2",
        ],
    );
    cmd.args(extra);
    cmd
}

fn report() -> Command {
    Command::new(env!("CARGO_BIN_EXE_report"))
}

const POINTS: [&str; 4] = [
    "hidden-16_layers-1",
    "hidden-16_layers-2",
    "hidden-24_layers-1",
    "hidden-24_layers-2",
];

/// Rows of a CSV keyed by the `key` columns, holding the `values` columns;
/// panics on a repeated key.
fn keyed(path: &Path, key: &[&str], values: &[&str]) -> BTreeMap<Vec<String>, Vec<String>> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let headers: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("{}: no column {name}", path.display()))
    };
    let mut rows = BTreeMap::new();
    for record in reader.records() {
        let record = record.unwrap();
        let k: Vec<String> = key.iter().map(|c| record[col(c)].to_string()).collect();
        let v: Vec<String> = values.iter().map(|c| record[col(c)].to_string()).collect();
        assert!(
            rows.insert(k.clone(), v).is_none(),
            "{}: {k:?} twice",
            path.display()
        );
    }
    rows
}

const RUN_VALUES: [&str; 9] = [
    "status",
    "hidden_size",
    "params",
    "epochs_run",
    "best_epoch",
    "best_val_acc",
    "test_acc",
    "test_macro_f1",
    "test_loss",
];
const EPOCH_VALUES: [&str; 5] = [
    "train_loss",
    "train_acc",
    "val_loss",
    "val_acc",
    "padding_fraction",
];

/// Kills `child` with SIGKILL once some `runs.csv` under `dir` has a row.
fn kill_after_first_run(child: &mut std::process::Child, dir: &Path) {
    let start = Instant::now();
    loop {
        let done = POINTS.iter().any(|p| {
            std::fs::read_to_string(dir.join("points").join(p).join("runs.csv"))
                .is_ok_and(|t| t.lines().count() >= 2)
        });
        if done {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "no run finished in time"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "the shard ended before it was killed"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
}

#[test]
fn three_shards_one_killed_and_resumed_merge_to_the_one_piece_results() {
    let out = tempfile::tempdir().unwrap();
    let whole = out.path().join("whole");
    let stdout = run_ok(&mut grid(out.path(), &["--run-id", "whole"])).stdout;
    // The grid's first screen: one answer over its configurations.
    let stdout = String::from_utf8(stdout).unwrap();
    assert!(
        stdout.starts_with("The answer: LSTM vs GRU at each of 4 configurations")
            && stdout.contains("\n  Accuracy: ")
            && stdout.contains("\n  Training time per epoch: "),
        "{stdout}"
    );
    let page = std::fs::read_to_string(whole.join("report.html")).unwrap();
    assert!(
        page.contains(r#"<section class="answer" id="answer""#)
            && page.contains("LSTM vs GRU at each of 4 configurations"),
        "no answer on the sweep page"
    );
    for p in POINTS {
        assert!(whole.join("points").join(p).join("report.html").is_file());
    }
    assert!(whole.join("report.html").is_file());
    assert!(whole.join("sweep_hidden.png").is_file());

    let sweep = out.path().join("sharded");
    let mut first = grid(out.path(), &["--run-id", "sharded", "--shard", "1/3"])
        .spawn()
        .unwrap();
    let shard1 = sweep.join("shard-1-of-3");
    kill_after_first_run(&mut first, &shard1);
    // Starting it again is refused: the folder exists.
    let again = grid(out.path(), &["--run-id", "sharded", "--shard", "1/3"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(!again.status.success() && err.contains("--resume"), "{err}");
    let resumed = run_ok(
        Command::new(env!("CARGO_BIN_EXE_compare"))
            .arg("--resume")
            .arg(&shard1),
    );
    let log = String::from_utf8_lossy(&resumed.stderr);
    assert!(log.contains("already finished"), "{log}");
    // Shards 2 and 3 side by side, as two machines would.
    let mut others: Vec<_> = ["2/3", "3/3"]
        .iter()
        .map(|s| {
            grid(out.path(), &["--run-id", "sharded", "--shard", s])
                .spawn()
                .unwrap()
        })
        .collect();
    for child in &mut others {
        assert!(child.wait().unwrap().success());
    }
    let jobs: usize = (1..=3)
        .map(|i| {
            let m: serde_json::Value = serde_json::from_str(
                &std::fs::read_to_string(sweep.join(format!("shard-{i}-of-3/sweep.json"))).unwrap(),
            )
            .unwrap();
            m["jobs"].as_array().unwrap().len()
        })
        .sum();
    assert_eq!(jobs, 4 * 2 * 2, "shards cover the grid once");

    run_ok(report().arg(&sweep));
    for p in POINTS {
        let a = whole.join("points").join(p);
        let b = sweep.join("points").join(p);
        assert_eq!(
            keyed(&a.join("runs.csv"), &["model", "seed"], &RUN_VALUES),
            keyed(&b.join("runs.csv"), &["model", "seed"], &RUN_VALUES),
            "{p}: runs.csv"
        );
        assert_eq!(
            keyed(
                &a.join("epochs.csv"),
                &["model", "seed", "epoch"],
                &EPOCH_VALUES
            ),
            keyed(
                &b.join("epochs.csv"),
                &["model", "seed", "epoch"],
                &EPOCH_VALUES
            ),
            "{p}: epochs.csv"
        );
        assert!(b.join("report.html").is_file());
    }
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(sweep.join("summary.json")).unwrap())
            .unwrap();
    assert_eq!(summary["jobs_ok"], 16);
    assert_eq!(summary["jobs_total"], 16);
    let page = std::fs::read_to_string(sweep.join("report.html")).unwrap();
    assert!(page.contains("sweep_layers.png") && page.contains("Verdict per configuration"));
    assert!(!page.contains("Incomplete sweep"));
    // Merging again in the same folder replaces the earlier merge.
    run_ok(report().arg(&sweep));
    assert_eq!(
        keyed(
            &sweep.join("points").join(POINTS[0]).join("runs.csv"),
            &["model", "seed"],
            &RUN_VALUES
        )
        .len(),
        4
    );
}

#[test]
fn a_slurm_array_task_picks_its_shard_and_the_run_id() {
    let out = tempfile::tempdir().unwrap();
    let output = run_ok(
        base(out.path(), &["--hidden", "16", "--epochs", "1"])
            .args(["--seed-list", "1,2,3"])
            .env("SLURM_ARRAY_JOB_ID", "77")
            .env("SLURM_ARRAY_TASK_ID", "3")
            .env("SLURM_ARRAY_TASK_MIN", "1")
            .env("SLURM_ARRAY_TASK_COUNT", "3"),
    );
    let dir = out.path().join("slurm-77").join("shard-3-of-3");
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("sweep.json")).unwrap()).unwrap();
    assert_eq!(manifest["shard"]["shard"]["index"], 3);
    assert!(
        manifest["shard"]["source"]
            .as_str()
            .unwrap()
            .contains("SLURM_ARRAY_TASK_ID")
    );
    // One point: the shard folder is a plain run folder with one seed's pair.
    let runs = keyed(&dir.join("runs.csv"), &["model", "seed"], &["status"]);
    assert_eq!(runs.len(), 2, "{}", String::from_utf8_lossy(&output.stderr));
}

#[test]
fn merges_refuse_other_grids_and_count_duplicated_jobs_once() {
    let out = tempfile::tempdir().unwrap();
    let small = ["--epochs", "1", "--seed-list", "1", "--layers", "1,2"];
    run_ok(base(out.path(), &small).args(["--run-id", "a", "--hidden", "16"]));
    run_ok(
        base(out.path(), &["--epochs", "1", "--seed-list", "1"])
            .args(["--run-id", "b", "--hidden", "16,32"]),
    );
    let refused = report()
        .arg(out.path().join("a"))
        .arg(out.path().join("b"))
        .arg("--out")
        .arg(out.path().join("m"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "{err}");
    assert!(
        err.contains("grids differ") && err.lines().count() == 1,
        "{err}"
    );
    assert!(!out.path().join("m").exists(), "nothing written");

    // The same grid twice (a rerun of shard 1/2 next to the whole grid).
    run_ok(base(out.path(), &small).args(["--run-id", "c", "--hidden", "16", "--shard", "1/2"]));
    let merged = out.path().join("ac");
    run_ok(
        report()
            .arg(out.path().join("a"))
            .arg(out.path().join("c").join("shard-1-of-2"))
            .arg("--out")
            .arg(&merged),
    );
    let mut duplicates_named = 0;
    for point in ["layers-1", "layers-2"] {
        let dir = merged.join("points").join(point);
        let rows = keyed(&dir.join("runs.csv"), &["model", "seed"], &["status"]);
        assert_eq!(rows.len(), 2, "{point}: each (model, seed) once");
        let page = std::fs::read_to_string(dir.join("report.html")).unwrap();
        duplicates_named += usize::from(page.contains("Duplicate"));
    }
    assert_eq!(
        duplicates_named, 1,
        "the point shard 1/2 ran twice names its duplicates"
    );
}

#[test]
fn resume_takes_no_other_options_and_needs_a_run_folder() {
    let out = tempfile::tempdir().unwrap();
    let bad = Command::new(env!("CARGO_BIN_EXE_compare"))
        .arg("--resume")
        .arg(out.path())
        .arg("--hidden")
        .arg("32")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        !bad.status.success() && err.starts_with("error: --hidden"),
        "{err}"
    );
    let missing = Command::new(env!("CARGO_BIN_EXE_compare"))
        .arg("--resume")
        .arg(out.path().join("nope"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&missing.stderr);
    assert!(!missing.status.success() && err.contains("nope"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

/// Issue 35 finding 8: `report` of a shard root printed only the page's
/// path. It prints the sweep's first screen: the answer across the grid,
/// that shard 2 of 2 is missing (the page's "Incomplete sweep"), and the
/// runs found twice (shard 1 copied from two machines) and counted once.
#[test]
fn report_of_a_shard_root_says_the_answer_what_is_missing_and_the_duplicates() {
    let out = tempfile::tempdir().unwrap();
    let small = ["--epochs", "1", "--seed-list", "1", "--layers", "1,2"];
    run_ok(base(out.path(), &small).args(["--run-id", "s", "--hidden", "16", "--shard", "1/2"]));
    let root = out.path().join("s");
    let shard = root.join("shard-1-of-2");
    let copy = root.join("shard-1-of-2-copy");
    run_ok(Command::new("cp").arg("-a").arg(&shard).arg(&copy));
    let printed = run_ok(report().arg(&root));
    let stdout = String::from_utf8_lossy(&printed.stdout);
    assert!(
        stdout.starts_with("The answer: LSTM vs GRU at 1 of the grid's 2 configurations"),
        "{stdout}"
    );
    assert!(
        stdout.contains("\nIncomplete sweep: 2 of the grid's 4 jobs finished ok; 2 of them belong to shards that are not in this folder;"),
        "{stdout}"
    );
    let page = std::fs::read_to_string(root.join("report.html")).unwrap();
    assert!(page.contains("Incomplete sweep."), "the page says so too");
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(shard.join("sweep.json")).unwrap()).unwrap();
    let point = manifest["jobs"][0]
        .as_str()
        .unwrap()
        .split(':')
        .next()
        .unwrap();
    for model in ["LSTM", "GRU"] {
        let named = format!(
            "{point}: Duplicate: {model} seed 1 is in {} and in {}; counted once",
            shard.join("points").join(point).display(),
            copy.join("points").join(point).display()
        );
        assert!(stdout.contains(&named), "{named}\nnot in\n{stdout}");
    }
    assert!(stdout.trim_end().ends_with("report.html"), "{stdout}");

    // A shard's seeds are the whole grid's: `--resume` cannot add to them.
    let refused = Command::new(env!("CARGO_BIN_EXE_compare"))
        .arg("--resume")
        .arg(&shard)
        .args(["--seeds", "3"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "{err}");
    assert!(
        err.starts_with("error: --seeds: ")
            && err.contains("shard 1/2")
            && err.lines().count() == 1,
        "{err}"
    );
}
