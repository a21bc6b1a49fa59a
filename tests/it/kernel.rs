//! `--kernel`: proof from oneDNN's own log that the CPU LSTM runs on oneDNN's
//! RNN primitive under `auto` and on libtorch's native loop under `native`,
//! and the `kernel` column that records it.

use std::path::Path;
use std::process::Command;

use crate::common::{FixtureCompare, fixture, run_ok};

fn compare_with_verbose_onednn(out: &Path, models: &str, kernel: &str) -> String {
    let output = run_ok(
        FixtureCompare::new()
            .with(&["--models", models, "--epochs", "1", "--seeds", "1"])
            .with(&[
                "--max-len",
                "32",
                "--kernel",
                kernel,
                "--kernel-check",
                "off",
            ])
            .unset("--vocab-size")
            .command(out)
            .env("ONEDNN_VERBOSE", "1"),
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn rnn_primitive_lines(stdout: &str) -> usize {
    stdout
        .lines()
        .filter(|l| l.starts_with("onednn_verbose") && l.contains(",exec,cpu,rnn,"))
        .count()
}

fn kernel_column(out: &Path) -> Vec<String> {
    let dir = std::fs::read_dir(out)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let mut reader = csv::Reader::from_path(dir.join("epochs.csv")).unwrap();
    let column = reader
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "kernel")
        .expect("a kernel column");
    reader
        .records()
        .map(|r| r.unwrap()[column].to_string())
        .collect()
}

#[test]
fn onednn_runs_the_lstm_under_auto_and_nothing_under_native() {
    if !tch::utils::has_mkldnn() {
        eprintln!("skipped: this libtorch has no oneDNN");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let auto = tmp.path().join("auto");
    let stdout = compare_with_verbose_onednn(&auto, "lstm", "auto");
    assert!(
        rnn_primitive_lines(&stdout) > 0,
        "no oneDNN RNN primitive ran:\n{stdout}"
    );
    assert!(kernel_column(&auto).iter().all(|k| k == "onednn"));

    let native = tmp.path().join("native");
    let stdout = compare_with_verbose_onednn(&native, "lstm", "native");
    assert_eq!(rnn_primitive_lines(&stdout), 0, "{stdout}");
    assert!(kernel_column(&native).iter().all(|k| k == "native"));
}

#[test]
fn onednn_runs_every_cell_on_the_fused_primitives() {
    if !rnnbench::model::onednn::available() {
        eprintln!("skipped: built without oneDNN (scripts/setup-onednn)");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("fused");
    let stdout = compare_with_verbose_onednn(&out, "lstm,gru,rnn", "onednn");
    for alg in ["alg:vanilla_lstm", "alg:lbr_gru", "alg:vanilla_rnn"] {
        assert!(
            stdout
                .lines()
                .any(|l| l.contains(",exec,cpu,rnn,") && l.contains(alg)),
            "no {alg} primitive ran:\n{stdout}"
        );
    }
    assert!(kernel_column(&out).iter().all(|k| k == "onednn-fused"));
}

#[test]
fn onednn_on_cuda_is_refused_in_one_line() {
    let tmp = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_compare"))
        .arg("--train")
        .arg(fixture("train.csv"))
        .arg("--test")
        .arg(fixture("test.csv"))
        .args(["--device", "cuda", "--kernel", "onednn", "--quiet"])
        .arg("--out")
        .arg(tmp.path())
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("onednn is a CPU kernel"), "{stderr}");
    assert!(std::fs::read_dir(tmp.path()).unwrap().next().is_none());
}
