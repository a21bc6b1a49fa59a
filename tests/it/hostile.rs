//! Faults and mistakes a careful, hostile user makes (issue 15): a model too
//! big for the machine, a full disk, a power cut, more threads than cores,
//! wrongly typed config values, `--out` naming a file, missing files,
//! folders of shards merged by name. Each ends in one clear line.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::common::{FixtureCompare, fixture, only_dir, run_ok};

/// `compare` on the fixture with a tiny model; `extra` appended.
fn compare(out: &Path, extra: &[&str]) -> Command {
    // Not about timing: no re-measurement on a loaded machine (the default).
    let mut cmd = FixtureCompare::new()
        .unset("--threads")
        .unset("--epochs")
        .with(&["--kernel-check", "off"])
        .command(out);
    cmd.args(extra);
    // A flag given twice would be a list (a grid of two points): the
    // defaults here only when `extra` does not give them.
    if !extra.contains(&"--seed-list") {
        cmd.args(["--seeds", "1"]);
    }
    if !extra.contains(&"--epochs") {
        cmd.args(["--epochs", "2"]);
    }
    cmd
}

fn report() -> Command {
    Command::new(env!("CARGO_BIN_EXE_report"))
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Every file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// Whether `bytes` is a whole PNG: its signature and, last, the IEND chunk.
fn whole_png(bytes: &[u8]) -> bool {
    bytes.starts_with(b"\x89PNG\r\n\x1a\n") && bytes.ends_with(b"IEND\xaeB\x60\x82")
}

#[test]
fn a_model_too_big_for_the_memory_is_refused_before_any_training() {
    let out = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_compare"))
        .arg("--train")
        .arg(fixture("train.csv"))
        .arg("--test")
        .arg(fixture("test.csv"))
        .args(["--hidden", "100000000", "--out"])
        .arg(out.path())
        .output()
        .unwrap();
    let err = stderr(&output);
    assert!(!output.status.success());
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("error: --hidden: the LSTM (hidden 100000000")
            && err.contains("GiB of RAM available"),
        "{err}"
    );
    assert!(
        !err.contains("panicked") && !err.contains("allocate"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_dir(out.path()).unwrap().count(),
        0,
        "no run folder"
    );
}

/// Issue 35, finding 6: a `--max-len` far above the fixture's reviews (at
/// most a few hundred tokens) was sized at that many tokens (here 2.2 TiB
/// for an LSTM h64) and refused as `--hidden`; it runs now, and data that
/// really is that long is refused naming `--max-len`.
#[test]
fn the_memory_guard_sizes_the_data_s_lengths_and_names_max_len() {
    let out = tempfile::tempdir().unwrap();
    let small = ["--embed", "8", "--epochs", "1", "--seeds", "1"];
    let output = Command::new(env!("CARGO_BIN_EXE_compare"))
        .arg("--train")
        .arg(fixture("train.csv"))
        .arg("--test")
        .arg(fixture("test.csv"))
        .args([
            "--hidden",
            "64",
            "--max-len",
            "10000000",
            "--models",
            "lstm",
        ])
        .args(small)
        .args([
            "--kernel-check",
            "off",
            "--remeasure",
            "0",
            "--quiet",
            "--out",
        ])
        .arg(out.path())
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    // Sixty reviews of 100,001 tokens: a batch of them needs about 578 GiB
    // at hidden 4096 (more than the machines this runs on have), the
    // weights alone about 1 GiB.
    let long = format!("{}end", "word ".repeat(100_000));
    let dir = tempfile::tempdir().unwrap();
    let train = dir.path().join("train.csv");
    let test = dir.path().join("test.csv");
    let rows: String = (0..60).map(|i| format!("{long},{}\n", i % 2)).collect();
    std::fs::write(&train, format!("text,label\n{rows}")).unwrap();
    std::fs::write(&test, "text,label\nshort,1\nshorter,0\n").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_compare"))
        .arg("--train")
        .arg(&train)
        .arg("--test")
        .arg(&test)
        .args([
            "--hidden",
            "4096",
            "--max-len",
            "200000",
            "--models",
            "lstm",
        ])
        .args(small)
        .args(["--out"])
        .arg(out.path().join("long"))
        .output()
        .unwrap();
    let err = stderr(&output);
    assert!(!output.status.success());
    assert_eq!(err.lines().count(), 1, "{err}");
    // 54 sequences a batch: the training portion has no more (60 minus
    // the validation split's 6), whatever --batch-size says.
    assert!(
        err.starts_with("error: --max-len: the LSTM (hidden 4096")
            && err.contains("batches of 54 × 100001 tokens")
            && err.contains("the data's longest example, 100001 tokens, under --max-len 200000"),
        "{err}"
    );
}

#[test]
fn a_full_disk_leaves_no_cut_off_png_html_or_temporary_file() {
    let out = tempfile::tempdir().unwrap();
    run_ok(&mut compare(out.path(), &[]));
    let dir = only_dir(out.path());
    let before: Vec<(PathBuf, Vec<u8>)> = files_under(&dir)
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect();
    let largest_json = before
        .iter()
        .filter(|(p, _)| p.extension().is_some_and(|e| e == "json" || e == "csv"))
        .map(|(_, b)| b.len())
        .max()
        .unwrap();
    let smallest_png = before
        .iter()
        .filter(|(p, _)| p.extension().is_some_and(|e| e == "png"))
        .map(|(_, b)| b.len())
        .min()
        .unwrap();
    assert!(largest_json < smallest_png, "{largest_json} {smallest_png}");
    // A file-size limit between the two: the JSON and CSV files fit, every
    // PNG write fails with EFBIG part-way, as on a disk that fills up.
    let limit = ((largest_json + smallest_png) / 2) as libc::rlim_t;
    let mut cmd = report();
    cmd.arg(&dir);
    // SAFETY: setrlimit and signal are async-signal-safe; nothing else runs
    // between fork and exec.
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(&mut cmd, move || {
            let rlimit = libc::rlimit {
                rlim_cur: limit,
                rlim_max: limit,
            };
            libc::setrlimit(libc::RLIMIT_FSIZE, &rlimit);
            // Without this the write's SIGXFSZ would kill the process.
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            Ok(())
        });
    }
    let output = cmd.output().unwrap();
    let err = stderr(&output);
    assert!(!output.status.success(), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains(".png"), "{err}");
    let after = files_under(&dir);
    for path in &after {
        let name = path.file_name().unwrap().to_string_lossy();
        assert!(
            !name.contains(".partial") && !name.ends_with(".tmp"),
            "{name} left"
        );
        if name.ends_with(".png") {
            assert!(whole_png(&std::fs::read(path).unwrap()), "{name} cut off");
        }
    }
    let page = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(page.trim_end().ends_with("</html>"), "report.html whole");
}

#[test]
fn report_after_a_power_cut_leaves_out_the_cut_off_line_and_says_how_to_resume() {
    let out = tempfile::tempdir().unwrap();
    run_ok(&mut compare(out.path(), &[]));
    let dir = only_dir(out.path());
    let epochs = dir.join("epochs.csv");
    let mut text = std::fs::read_to_string(&epochs).unwrap();
    let whole_rows = text.lines().count() - 1;
    text.push_str("gru,1,3,16,100,0.6");
    std::fs::write(&epochs, text).unwrap();
    let output = run_ok(report().arg(&dir));
    let err = stderr(&output);
    assert!(
        err.contains("cut off") && err.contains(&format!("compare --resume {}", dir.display())),
        "{err}"
    );
    let page = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(page.contains("The run was cut off"), "the page says so");
    // The whole rows are all still read (the chart data come from them).
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap();
    assert!(summary.is_object());
    assert_eq!(whole_rows, 4, "2 models x 2 epochs");
}

#[test]
fn more_threads_than_logical_cpus_are_warned_about() {
    let out = tempfile::tempdir().unwrap();
    let cpus = std::thread::available_parallelism().unwrap().get();
    let threads = (cpus + 1).to_string();
    let output = run_ok(&mut compare(
        out.path(),
        &["--threads", &threads, "--epochs", "1", "--models", "gru"],
    ));
    let err = stderr(&output);
    assert!(
        err.contains(&format!(
            "warning: --threads {threads} is more than this machine's {cpus} logical CPUs"
        )),
        "{err}"
    );
}

#[test]
fn mistakes_are_named_in_one_plain_line() {
    let out = tempfile::tempdir().unwrap();
    // A TOML value of the wrong type names its key and the type expected.
    let toml = out.path().join("bad.toml");
    std::fs::write(&toml, "layers = 1\nhidden = \"abc\"\n").unwrap();
    let output = compare(out.path(), &["--config", toml.to_str().unwrap()])
        .output()
        .unwrap();
    let err = stderr(&output);
    assert!(
        err.contains("bad.toml:2: hidden: invalid type: string \"abc\", expected"),
        "{err}"
    );
    assert!(!err.contains("untagged"), "{err}");
    // --out naming a file.
    let file = out.path().join("a-file");
    std::fs::write(&file, "").unwrap();
    let output = compare(&file, &[]).output().unwrap();
    assert_eq!(
        stderr(&output).trim(),
        format!(
            "error: --out: {} is a file; --out must be a folder",
            file.display()
        )
    );
    // A missing file: the OS's message once.
    let output = Command::new(env!("CARGO_BIN_EXE_compare"))
        .args(["--train", "/no/such/train.csv", "--test"])
        .arg(fixture("test.csv"))
        .output()
        .unwrap();
    let err = stderr(&output);
    assert_eq!(err.matches("No such file or directory").count(), 1, "{err}");
    // The default run id names the training data, not the test file.
    let runs = out.path().join("runs");
    run_ok(&mut compare(&runs, &["--epochs", "1", "--models", "gru"]));
    let id = only_dir(&runs)
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    assert!(id.ends_with("-fixture-train"), "{id}");
}

#[test]
fn report_merges_folders_that_hold_shards_named_by_their_run_folder() {
    let out = tempfile::tempdir().unwrap();
    let (a, b) = (out.path().join("machine-a"), out.path().join("machine-b"));
    let shard = |dir: &Path, s: &str| {
        run_ok(&mut compare(
            dir,
            &[
                "--epochs",
                "1",
                "--seed-list",
                "1,2",
                "--run-id",
                "same",
                "--shard",
                s,
            ],
        ))
    };
    shard(&a, "1/2");
    shard(&b, "2/2");
    let merged = out.path().join("merged");
    run_ok(
        report()
            .arg(a.join("same"))
            .arg(b.join("same"))
            .arg("--out")
            .arg(&merged),
    );
    let runs = std::fs::read_to_string(merged.join("runs.csv"))
        .unwrap_or_else(|e| panic!("{e}: {:?}", files_under(&merged)));
    assert_eq!(runs.lines().count(), 1 + 4, "2 models x 2 seeds:\n{runs}");
    // A folder that is neither says what to name.
    let output = report()
        .arg(out.path())
        .arg(&a)
        .arg("--out")
        .arg(out.path().join("m2"))
        .output()
        .unwrap();
    let err = stderr(&output);
    assert!(!output.status.success());
    assert!(
        err.contains("holds no run or shard folders") || err.contains("name a"),
        "{err}"
    );
}
