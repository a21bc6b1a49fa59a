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

/// The one run folder under `out`.
fn run_dir(out: &Path) -> std::path::PathBuf {
    std::fs::read_dir(out)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path()
}

/// `environment.json`'s `cpu_lstm_kernel`: what the process's `--kernel`
/// runs the CPU LSTM on.
fn environment_lstm_kernel(out: &Path) -> String {
    let text = std::fs::read_to_string(run_dir(out).join("environment.json")).unwrap();
    let env: serde_json::Value = serde_json::from_str(&text).unwrap();
    env["cpu_lstm_kernel"].as_str().unwrap().to_string()
}

fn kernel_column(out: &Path) -> Vec<String> {
    let dir = run_dir(out);
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
    assert_eq!(environment_lstm_kernel(&auto), "onednn");

    let native = tmp.path().join("native");
    let stdout = compare_with_verbose_onednn(&native, "lstm", "native");
    assert_eq!(rnn_primitive_lines(&stdout), 0, "{stdout}");
    assert!(kernel_column(&native).iter().all(|k| k == "native"));
    assert_eq!(environment_lstm_kernel(&native), "native");
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
    assert_eq!(environment_lstm_kernel(&out), "onednn-fused");
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

/// A copy of the checkout's binary and oneDNN shim, laid out as in the
/// checkout (`<root>/target/release/…`) under another root, with libtorch
/// linked in and oneDNN only when `with_onednn`: a moved checkout, and one
/// whose oneDNN folder is gone. Returns the copied `compare`.
fn moved_checkout(root: &Path, with_onednn: bool) -> std::path::PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let exe = Path::new(env!("CARGO_BIN_EXE_compare"));
    let profile = exe.parent().unwrap();
    assert!(
        profile.starts_with(manifest.join("target")),
        "this test expects the build in <checkout>/target (CARGO_TARGET_DIR unset): {}",
        profile.display()
    );
    let relative_profile = profile.strip_prefix(manifest).unwrap();
    let moved_profile = root.join(relative_profile);
    std::fs::create_dir_all(&moved_profile).unwrap();
    let moved_exe = moved_profile.join("compare");
    std::fs::copy(exe, &moved_exe).unwrap();
    let shim = rnnbench::model::onednn::shim_relative_path();
    if !shim.is_empty() {
        let to = moved_profile.join(shim);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(profile.join(shim), &to).unwrap();
    }
    std::os::unix::fs::symlink(manifest.join("libtorch"), root.join("libtorch")).unwrap();
    if with_onednn {
        std::os::unix::fs::symlink(manifest.join("onednn"), root.join("onednn")).unwrap();
    }
    moved_exe
}

/// `exe` (a copied `compare`) on the fixture, one tiny epoch of LSTM and
/// GRU, writing under `out`, with `args` added and no `LD_LIBRARY_PATH`.
fn tiny_compare(exe: &Path, out: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(exe);
    cmd.arg("--train")
        .arg(fixture("train.csv"))
        .arg("--test")
        .arg(fixture("test.csv"))
        .args(["--epochs", "1", "--seeds", "1", "--models", "lstm,gru"])
        .args(["--hidden", "8", "--embed", "8", "--max-len", "16"])
        .args(["--kernel-check", "off", "--quiet", "--out"])
        .arg(out)
        .args(args)
        .env_remove("LD_LIBRARY_PATH");
    cmd
}

#[test]
fn a_moved_checkout_without_onednn_starts_and_runs_every_other_kernel() {
    if !Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("libtorch")
        .is_dir()
    {
        eprintln!("skipped: libtorch is not the checkout's own ./libtorch (LIBTORCH set)");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let exe = moved_checkout(&tmp.path().join("checkout"), false);
    let command = |args: &[&str]| tiny_compare(&exe, &tmp.path().join("out"), args);
    let help = Command::new(&exe).arg("--help").output().unwrap();
    assert!(
        help.status.success(),
        "{}",
        String::from_utf8_lossy(&help.stderr)
    );
    run_ok(&mut command(&["--kernel", "native"]));
    // Without --kernel, the default falls back to libtorch's choice.
    let default = run_ok(&mut command(&[]));
    assert!(default.status.success());
    let refused = command(&["--kernel", "onednn"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("error: ")
            && stderr.contains("--kernel")
            && stderr.contains("onednn is unavailable")
            && stderr.contains("setup-onednn"),
        "{stderr}"
    );

    // The same moved checkout with its oneDNN folder runs the fused kernel.
    if !rnnbench::model::onednn::shim_relative_path().is_empty() {
        let tmp = tempfile::tempdir().unwrap();
        let exe = moved_checkout(&tmp.path().join("checkout"), true);
        let out = tiny_compare(&exe, &tmp.path().join("out"), &["--kernel", "onednn"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
