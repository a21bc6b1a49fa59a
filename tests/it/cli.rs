//! `compare` end to end on the tiny fixture: every file of the contract, the
//! matched sizes, determinism, a diverging run, bad flags, and Ctrl-C.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{FixtureCompare, run_ok};

const EPOCH_COLUMNS: &[&str] = &[
    "model",
    "seed",
    "epoch",
    "hidden_size",
    "params",
    "train_loss",
    "train_acc",
    "val_loss",
    "val_acc",
    "train_secs",
    "eval_secs",
    "samples_per_sec",
    "tokens_per_sec",
    "peak_rss_bytes",
    "gpu_peak_bytes",
];
const RUN_COLUMNS: &[&str] = &[
    "model",
    "seed",
    "hidden_size",
    "params",
    "epochs_run",
    "best_epoch",
    "best_val_acc",
    "test_acc",
    "test_macro_f1",
    "train_secs_total",
    "secs_per_epoch",
    "peak_rss_bytes",
    "gpu_peak_bytes",
];

/// `compare` on the fixture with a small model, 2 epochs; `extra` appended
/// as given (a flag the defaults hold is then given twice: an error).
fn compare(out: &Path, extra: &[&str]) -> Command {
    let mut cmd = FixtureCompare::new().command(out);
    cmd.args(extra);
    cmd
}

/// The only run folder under `out`.
fn run_dir(out: &Path) -> PathBuf {
    let dirs: Vec<PathBuf> = std::fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(dirs.len(), 1, "{dirs:?}");
    dirs[0].clone()
}

fn csv_rows(path: &Path) -> (Vec<String>, Vec<csv::StringRecord>) {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let headers = reader.headers().unwrap().iter().map(String::from).collect();
    (headers, reader.records().map(|r| r.unwrap()).collect())
}

fn column(headers: &[String], name: &str) -> usize {
    headers
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name} in {headers:?}"))
}

#[test]
fn two_seeds_write_every_file_with_matched_models() {
    let out = tempfile::tempdir().unwrap();
    let output = run_ok(
        compare(out.path(), &["--seeds", "2"])
            .arg("--models")
            .arg("lstm,gru"),
    );
    let dir = run_dir(out.path());
    for file in [
        "config.json",
        "environment.json",
        "epochs.csv",
        "runs.csv",
        "summary.json",
        "report.html",
    ] {
        assert!(dir.join(file).is_file(), "{file} missing");
    }
    let (headers, rows) = csv_rows(&dir.join("epochs.csv"));
    for c in EPOCH_COLUMNS {
        column(&headers, c);
    }
    assert_eq!(rows.len(), 2 * 2 * 2, "models x seeds x epochs");
    let gpu = column(&headers, "gpu_peak_bytes");
    let rss = column(&headers, "peak_rss_bytes");
    for row in &rows {
        assert_eq!(&row[gpu], "", "no GPU figure on CPU");
        assert!(
            row[rss].parse::<u64>().unwrap() > 10 << 20,
            "peak RSS is a real figure"
        );
        for name in ["train_acc", "val_acc"] {
            let v: f64 = row[column(&headers, name)].parse().unwrap();
            assert!((0.0..=1.0).contains(&v));
        }
    }
    let (headers, runs) = csv_rows(&dir.join("runs.csv"));
    for c in RUN_COLUMNS {
        column(&headers, c);
    }
    assert_eq!(runs.len(), 4);
    // Interleaved: LSTM 1, GRU 1, LSTM 2, GRU 2.
    let order: Vec<(String, String)> = runs
        .iter()
        .map(|r| (r[0].to_string(), r[1].to_string()))
        .collect();
    assert_eq!(
        order,
        [("lstm", "1"), ("gru", "1"), ("lstm", "2"), ("gru", "2")]
            .map(|(a, b)| (a.into(), b.into()))
    );
    // Matched: GRU's hidden size gives the parameter count closest to LSTM's.
    let params = column(&headers, "params");
    let hidden = column(&headers, "hidden_size");
    let lstm: i64 = runs[0][params].parse().unwrap();
    let gru: i64 = runs[1][params].parse().unwrap();
    let gru_hidden: i64 = runs[1][hidden].parse().unwrap();
    assert_eq!(&runs[0][hidden], "16");
    assert!(
        gru_hidden > 16,
        "GRU gets a larger hidden size: {gru_hidden}"
    );
    assert!((lstm - gru).abs() * 50 < lstm, "lstm {lstm} vs gru {gru}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("report:"), "{stdout}{stderr}");
    let config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("config.json")).unwrap()).unwrap();
    assert_eq!(config["config"]["seeds"], serde_json::json!([1, 2]));
    assert!(
        config["dataset"]["files"][0]["sha256"]
            .as_str()
            .unwrap()
            .len()
            == 64
    );
    let env: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("environment.json")).unwrap())
            .unwrap();
    assert_eq!(env["threads"], 1);
    assert_eq!(env["device"], "cpu");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap();
    assert!(summary.to_string().contains("test_acc"));
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(
        html.contains("measured on CPU")
            && (html.contains("1 threads") || html.contains("workers at once, 1 thread each")),
        "the verdict names the machine"
    );
}

#[test]
fn same_seed_and_threads_give_identical_numbers() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    run_ok(&mut compare(
        a.path(),
        &["--seeds", "1", "--models", "gru,lstm"],
    ));
    run_ok(&mut compare(
        b.path(),
        &["--seeds", "1", "--models", "gru,lstm"],
    ));
    let (headers, ra) = csv_rows(&run_dir(a.path()).join("epochs.csv"));
    let (_, rb) = csv_rows(&run_dir(b.path()).join("epochs.csv"));
    assert_eq!(ra.len(), rb.len());
    for name in ["train_loss", "train_acc", "val_loss", "val_acc", "params"] {
        let c = column(&headers, name);
        for (x, y) in ra.iter().zip(&rb) {
            assert_eq!(x[c], y[c], "{name} differs between identical runs");
        }
    }
}

#[test]
fn a_diverging_run_is_stopped_and_marked() {
    let out = tempfile::tempdir().unwrap();
    // The fault hook makes GRU's loss NaN in seed 2, epoch 2; the other runs go on.
    let output = compare(out.path(), &["--seeds", "2", "--models", "lstm,gru"])
        .env("RNNBENCH_FAULT_NAN", "gru:2:2")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("gru seed 2") && stderr.contains("epoch 2"),
        "{stderr}"
    );
    let dir = run_dir(out.path());
    let (headers, runs) = csv_rows(&dir.join("runs.csv"));
    let status: Vec<&str> = runs
        .iter()
        .map(|r| &r[column(&headers, "status")])
        .collect();
    assert_eq!(status, ["ok", "ok", "ok", "diverged"]);
    let summary = std::fs::read_to_string(dir.join("summary.json")).unwrap();
    assert!(
        summary.contains("diverged"),
        "the summary marks the failed run"
    );
    assert!(dir.join("summary.json").is_file() && dir.join("report.html").is_file());
}

/// Issue 35, finding 13a: `--bidirectional false,true` (a space for the
/// `=`) was refused as an unexpected argument with no word of the `=`.
#[test]
fn a_value_after_a_switch_with_a_space_is_hinted_with_its_equals_form() {
    let out = tempfile::tempdir().unwrap();
    let output = compare(out.path(), &["--bidirectional", "false,true"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("'false,true'")
            && stderr.trim_end().ends_with(
                "; --bidirectional takes its value after `=`: --bidirectional=false,true"
            ),
        "{stderr}"
    );
    // A stray value after a flag that takes one after a space: no such hint.
    let output = compare(out.path(), &["--seeds", "1", "stray"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("'stray'") && !stderr.contains("after `=`"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0);
}

#[test]
fn bad_flags_fail_in_one_line_before_any_work() {
    let out = tempfile::tempdir().unwrap();
    for (args, needle) in [
        (vec!["--epochs", "0"], "--epochs"),
        (vec!["--batch-size", "0"], "--batch-size"),
        (vec!["--dropout", "1.5"], "--dropout"),
        (vec!["--models", "lstm,mamba"], "--models"),
        (vec!["--models", "transformer", "--embed", "33"], "--embed"),
        (vec!["--max-len", "0"], "--max-len"),
        (vec!["--device", "cuda"], "--device cuda"),
    ] {
        let output = compare(out.path(), &args).output().unwrap();
        assert!(!output.status.success(), "{args:?} accepted");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(stderr.trim().lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    assert_eq!(
        std::fs::read_dir(out.path()).unwrap().count(),
        0,
        "no run folder for a bad flag"
    );
}

#[test]
fn ctrl_c_keeps_finished_epochs_and_renders_an_incomplete_report() {
    let out = tempfile::tempdir().unwrap();
    let mut child = compare(out.path(), &["--seeds", "3"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait for the first finished epoch, then interrupt the parent only.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        let rows = std::fs::read_dir(out.path())
            .ok()
            .and_then(|mut d| d.next())
            .and_then(|e| std::fs::read_to_string(e.unwrap().path().join("epochs.csv")).ok())
            .map_or(0, |t| t.lines().count());
        if rows >= 2 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no epoch finished in time"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "compare ended before the first epoch"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    // SAFETY: signalling the child we started.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let output = child.wait_with_output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("interrupted") && stderr.contains("runs finished"),
        "{stderr}"
    );
    let dir = run_dir(out.path());
    let (_, epochs) = csv_rows(&dir.join("epochs.csv"));
    assert!(!epochs.is_empty());
    assert!(dir.join("summary.json").is_file());
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(html.to_lowercase().contains("incomplete"));
}

#[test]
fn a_high_unknown_token_rate_is_recorded_and_warned_about_on_the_terminal_and_the_page() {
    let tmp = tempfile::tempdir().unwrap();
    // Training words never occur in the test split: nearly every test token is <unk>.
    let mut train = String::from("text,label\n");
    let mut test = String::from("text,label\n");
    for i in 0..120 {
        let label = i % 2;
        train.push_str(&format!("alpha{label} beta{label} gamma common,{label}\n"));
        test.push_str(&format!("unseen{i} other{i} words{i},{label}\n"));
    }
    std::fs::write(tmp.path().join("train.csv"), train).unwrap();
    std::fs::write(tmp.path().join("test.csv"), test).unwrap();
    let out = tmp.path().join("out");
    let output = run_ok(
        Command::new(env!("CARGO_BIN_EXE_compare"))
            .arg("--train")
            .arg(tmp.path().join("train.csv"))
            .arg("--test")
            .arg(tmp.path().join("test.csv"))
            .args([
                "--models", "gru", "--epochs", "1", "--seeds", "1", "--hidden", "8",
            ])
            .args([
                "--embed",
                "8",
                "--threads",
                "1",
                "--quiet",
                "--min-count",
                "1",
            ])
            .args(["--kernel-check", "off"])
            .arg("--out")
            .arg(&out),
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("warning:") && stderr.contains("of the test tokens are unknown"),
        "{stderr}"
    );
    let dir = run_dir(&out);
    let manifest = rnnbench::results::RunManifest::load(&dir).unwrap();
    assert!(manifest.test_unknown_token_rate.unwrap() > 0.9);
    assert_eq!(manifest.data_warnings.len(), 1);
    let page = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(page.contains("of the test tokens are unknown"));
}

/// Sourcing a set-up script (as the README once said to) leaves the caller's
/// shell as it was: no `set -euo pipefail` that closes a terminal at the next
/// failing command.
#[test]
fn sourcing_the_setup_scripts_leaves_the_shell_options_alone() {
    let script = r#"
        source scripts/setup-libtorch
        source scripts/setup-onednn
        case $- in *e*) echo errexit;; esac
        shopt -qo nounset && echo nounset
        shopt -qo pipefail && echo pipefail
        false
        echo alive
    "#;
    let out = Command::new("bash")
        .arg("-c")
        .arg(script)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "alive",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
