//! `--dataset memory` end to end: a `--distance` sweep gives every point its
//! own data (recorded in its `config.json`, made again and checked by the
//! worker), the sweep report judges each cell against chance, and bad
//! combinations of flags are one-line errors.

use std::path::Path;
use std::process::Command;

use rnnbench::compare::{JobResult, job_result_path};
use rnnbench::results::{RunManifest, RunStatus};
use rnnbench::sweep::plan::Job;
use serde_json::Value;

use crate::common::{only_dir, run_ok};

/// A small memory sweep: the preset's 4 models, two distances, 2 epochs.
fn memory_sweep(out: &Path, seeds: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_compare"));
    cmd.args([
        "--dataset",
        "memory",
        "--distance",
        "3,12",
        "--sequences",
        "200",
    ]);
    cmd.args([
        "--epochs",
        "2",
        "--hidden",
        "16",
        "--threads",
        "1",
        "--quiet",
        "--remeasure",
        "0",
    ]);
    cmd.args(["--seeds", seeds]).arg("--out").arg(out);
    cmd
}

#[test]
fn a_distance_sweep_gives_every_point_its_own_data_and_judges_reach() {
    let tmp = tempfile::tempdir().unwrap();
    run_ok(&mut memory_sweep(tmp.path(), "3"));
    let root = only_dir(tmp.path());
    assert!(
        root.file_name()
            .unwrap()
            .to_string_lossy()
            .ends_with("-memory"),
        "{root:?}"
    );
    let mut digests = Vec::new();
    for (id, distance) in [("distance-3", 3), ("distance-12", 12)] {
        let point = root.join("points").join(id);
        let manifest = RunManifest::load(&point).unwrap();
        assert_eq!(manifest.config.distance, distance);
        assert_eq!(manifest.config.max_len, distance + 1, "the key is kept");
        let generator = manifest.dataset.generator.clone().expect("made in memory");
        assert_eq!(generator.distance, distance);
        assert!(
            manifest
                .dataset
                .name
                .contains(&format!("then {distance} filler tokens"))
        );
        assert!(manifest.dataset.files.is_empty());
        assert_eq!(manifest.classes.len(), 4);
        digests.push(generator.sha256);
        let runs = std::fs::read_to_string(point.join("runs.csv")).unwrap();
        assert_eq!(runs.lines().count(), 1 + 4 * 3, "{runs}");
    }
    assert_ne!(digests[0], digests[1], "each distance has its own data");

    // The sweep's summary judges every cell against chance, and the page
    // and the chart say so.
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("summary.json")).unwrap()).unwrap();
    let reaches = summary["memory_reach"].as_array().expect("one per budget");
    assert_eq!(reaches.len(), 1, "one training budget");
    let reach = &reaches[0];
    assert_eq!(reach["budget"]["epochs"], 2);
    assert_eq!(reach["chance"], 0.25);
    assert_eq!(reach["distances"], serde_json::json!([3, 12]));
    assert_eq!(reach["cells"].as_array().unwrap().len(), 4);
    let page = std::fs::read_to_string(root.join("report.html")).unwrap();
    assert!(page.contains("Long-range memory"), "no memory section");
    assert!(page.contains("longest distance well above chance"));
    assert!(root.join("sweep_distance.png").is_file());

    // A worker makes the data again from config.json and refuses it when it
    // differs from the digest recorded there.
    let point = root.join("points/distance-12");
    let config_path = point.join("config.json");
    let mut config: Value =
        serde_json::from_str(&std::fs::read_to_string(&config_path).unwrap()).unwrap();
    config["dataset"]["generator"]["sha256"] = Value::from("0".repeat(64));
    std::fs::write(&config_path, serde_json::to_string(&config).unwrap()).unwrap();
    let job = Job::parse_id("distance-12:rnn:1").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_compare"))
        .arg("--worker")
        .arg(&point)
        .arg("--job")
        .arg(job.id())
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("made other data"), "{stderr}");
    let result: JobResult =
        rnnbench::results::read_json(&job_result_path(&point, &job)).expect("the worker's record");
    assert_eq!(result.run.status, RunStatus::Failed);
}

#[test]
fn claim_5_names_its_budget_and_is_judged_at_each_one() {
    let tmp = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_compare"));
    cmd.args(["--dataset", "memory", "--distance", "3,12", "--sequences"]);
    cmd.args(["200", "--epochs", "1,3", "--models", "lstm,rnn", "--hidden"]);
    cmd.args(["16", "--threads", "1", "--remeasure", "0", "--seeds", "3"]);
    let output = run_ok(cmd.arg("--out").arg(tmp.path()));
    let root = only_dir(tmp.path());
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("summary.json")).unwrap()).unwrap();
    let budgets: Vec<(u64, u64, u64)> = summary["memory_reach"]
        .as_array()
        .expect("one reach per budget")
        .iter()
        .map(|r| {
            let b = &r["budget"];
            let n = |k: &str| b[k].as_u64().unwrap();
            (n("sequences"), n("epochs"), n("patience"))
        })
        .collect();
    assert_eq!(budgets, [(200, 1, 0), (200, 3, 0)], "smallest first");

    // Claim 5 in the sweep's summary.json: measured at both budgets, named.
    let claims = summary["claims"]
        .as_array()
        .expect("claims across the sweep");
    let claim5 = claims.iter().find(|c| c["number"] == 5).expect("claim 5");
    let measured = claim5["measured"].as_str().unwrap();
    for budget in [
        "at 200 sequences × 1 epoch, no early stopping: longest distance well above chance: RNN ",
        "at 200 sequences × 3 epochs, no early stopping: longest distance well above chance: RNN ",
    ] {
        assert!(measured.contains(budget), "{measured}");
    }
    let key = claim5["verdict_key"].as_str().unwrap();
    assert!(
        [
            "holds",
            "contradicted",
            "not_distinguishable",
            "depends_on_budget"
        ]
        .contains(&key),
        "{key}"
    );
    if key == "depends_on_budget" {
        assert_eq!(claim5["verdict"], "depends on the training budget");
    }

    // The page has a memory table per budget; the terminal names claim 5's budgets.
    let page = std::fs::read_to_string(root.join("report.html")).unwrap();
    assert!(page.contains("At 200 sequences × 1 epoch, no early stopping"));
    assert!(page.contains("At 200 sequences × 3 epochs, no early stopping"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("long-range memory at 200 sequences × 3 epochs, no early stopping:"),
        "{stdout}"
    );
    assert!(stdout.contains("claim 5 (Vanilla RNNs"), "{stdout}");
}

#[test]
fn memory_flags_with_other_data_or_a_short_max_len_are_one_line_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let cases: [(&[&str], &str); 3] = [
        (&["--distance", "10"], "--distance"),
        (&["--sequences", "100"], "--sequences"),
        (
            &["--dataset", "memory", "--distance", "30", "--max-len", "20"],
            "--max-len",
        ),
    ];
    for (args, flag) in cases {
        let output = Command::new(env!("CARGO_BIN_EXE_compare"))
            .args(args)
            .args(["--quiet", "--out"])
            .arg(tmp.path())
            .output()
            .unwrap();
        assert!(!output.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(stderr.trim().lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.contains(flag), "{args:?}: {stderr}");
    }
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
}
