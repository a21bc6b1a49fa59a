//! Numeric series end to end (issue 36): a long CSV and `.ts` files through
//! `compare` to a rendered report, and bad numeric input refused in one line.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::common::{only_dir, run_ok};

/// Two classes anyone can tell apart: a rising ramp and a sine, each with
/// `channels` noisy channels and lengths 8–20, `n` series per class; one
/// row per time step, rows of a series out of order (the time column puts
/// them back).
fn long_csv(dir: &Path, name: &str, n: usize, seed: u64) -> PathBuf {
    let mut text = String::from("id,t,label,a,b\n");
    let mut state = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
    let mut noise = || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((state >> 33) as f64 / (1u64 << 31) as f64 - 0.5) * 0.2
    };
    for s in 0..2 * n {
        let label = if s % 2 == 0 { "ramp" } else { "wave" };
        let len = 8 + (s * 7) % 13;
        for t in (0..len).rev() {
            let x = t as f64 / len as f64;
            let (a, b) = if s % 2 == 0 {
                (x, 1.0 - x)
            } else {
                ((6.0 * x).sin(), (6.0 * x).cos())
            };
            let _ = writeln!(
                text,
                "{name}{s},{t},{label},{:.4},{:.4}",
                a + noise(),
                b + noise()
            );
        }
    }
    let path = dir.join(format!("{name}.csv"));
    std::fs::write(&path, text).unwrap();
    path
}

/// `compare` on two files with small, fast settings.
fn compare(train: &Path, test: &Path, out: &Path, extra: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_compare"));
    cmd.arg("--train")
        .arg(train)
        .arg("--test")
        .arg(test)
        .args(["--hidden", "16", "--embed", "8", "--threads", "1"])
        .args(["--remeasure", "0", "--kernel-check", "off", "--quiet"])
        .arg("--out")
        .arg(out)
        .args(extra)
        .env_remove("SLURM_ARRAY_TASK_ID")
        .env_remove("JOB_COMPLETION_INDEX");
    cmd
}

/// The long CSV's column flags.
const LONG_COLUMNS: [&str; 6] = [
    "--series-col",
    "id",
    "--time-col",
    "t",
    "--label-col",
    "label",
];

/// A training file of 60 series, a test file of 20, and an output folder
/// under `dir`.
fn long_pair(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let train = long_csv(dir, "train", 30, 1);
    let test = long_csv(dir, "test", 10, 2);
    (train, test, dir.join("out"))
}

fn json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn a_long_csv_trains_every_cell_through_the_linear_input_and_renders() {
    let tmp = tempfile::tempdir().unwrap();
    let (train, test, out) = long_pair(tmp.path());
    let cols = LONG_COLUMNS;
    let mut cmd = compare(&train, &test, &out, &cols);
    cmd.args(["--models", "lstm,gru,rnn,transformer", "--seeds", "2"])
        .args(["--epochs", "12"]);
    run_ok(&mut cmd);
    let run = only_dir(&out);
    let config = json(&run.join("config.json"));
    assert_eq!(config["channels"], 2, "{config}");
    assert_eq!(config["config"]["preset"], "series");
    assert_eq!(config["dataset"]["train_examples"], 60);
    let runs = std::fs::read_to_string(run.join("runs.csv")).unwrap();
    let mut reader = csv::Reader::from_reader(runs.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 8, "{runs}");
    for row in &rows {
        assert_eq!(&row[col("status")], "ok", "{runs}");
        let acc: f64 = row[col("test_acc")].parse().unwrap();
        // Two shapes anyone can tell apart: every cell learns them.
        assert!(
            acc >= 0.85,
            "{} seed {}: {acc}\n{runs}",
            &row[col("model")],
            &row[col("seed")]
        );
    }
    // The parameter budget counts the linear input layer: 2 channels → 8
    // wide, weight and bias, 24 parameters on top of the LSTM's.
    let lstm = config["model_sizes"][0]["params"].as_i64().unwrap();
    let (e, h, c) = (8, 16, 2);
    let head = 2 * h + 2;
    assert_eq!(lstm, c * e + e + 4 * h * (e + h) + 8 * h + head);
    let page = std::fs::read_to_string(run.join("report.html")).unwrap();
    assert!(
        page.contains("RNN for"),
        "the use-case claims are on the page"
    );
    assert!(page.contains("short time series"));
}

#[test]
fn the_bundled_speech_set_runs_with_the_series_defaults() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_compare"));
    cmd.args([
        "--dataset",
        "japanese-vowels",
        "--seeds",
        "1",
        "--epochs",
        "3",
    ])
    .args([
        "--threads",
        "1",
        "--remeasure",
        "0",
        "--kernel-check",
        "off",
    ])
    .arg("--out")
    .arg(&out)
    .env_remove("SLURM_ARRAY_TASK_ID")
    .env_remove("JOB_COMPLETION_INDEX");
    let output = run_ok(&mut cmd);
    let run = only_dir(&out);
    let config = json(&run.join("config.json"));
    assert_eq!(config["channels"], 12);
    assert_eq!(config["dataset"]["train_examples"], 270);
    assert_eq!(config["dataset"]["test_examples"], 370);
    assert_eq!(config["dataset"]["classes"].as_array().unwrap().len(), 9);
    // The series defaults, not the text ones.
    assert_eq!(config["config"]["batch_size"], 16);
    assert_eq!(config["config"]["val_fraction"], 0.2);
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(said.contains("12 channels"), "{said}");
}

/// Runs `compare` expecting a refusal: a non-zero exit, no panic, and one
/// line on stderr containing every one of `needles`.
fn refused(mut cmd: Command, needles: &[&str]) {
    let output = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "accepted: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    for needle in needles {
        assert!(stderr.contains(needle), "`{needle}` not in: {stderr}");
    }
}

#[test]
fn bad_numeric_input_is_refused_in_one_line_naming_the_file_and_line() {
    let tmp = tempfile::tempdir().unwrap();
    let (train, test, out) = long_pair(tmp.path());
    let cols = LONG_COLUMNS;
    // A word among the numbers, at line 5 of the test file.
    let text = std::fs::read_to_string(&test).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let fields: Vec<&str> = lines[4].split(',').collect();
    lines[4] = format!(
        "{},{},{},high,{}",
        fields[0], fields[1], fields[2], fields[4]
    );
    let bad = tmp.path().join("bad.csv");
    std::fs::write(&bad, lines.join("\n") + "\n").unwrap();
    refused(compare(&train, &bad, &out, &cols), &["bad.csv", "5"]);
    // A test label the training split never had.
    let unseen = tmp.path().join("unseen.csv");
    std::fs::write(&unseen, text.replace(",wave,", ",spike,")).unwrap();
    refused(
        compare(&train, &unseen, &out, &cols),
        &["unseen.csv", "spike"],
    );
    // One class only.
    let one = tmp.path().join("one.csv");
    let only_ramps: String = std::fs::read_to_string(&train)
        .unwrap()
        .lines()
        .filter(|l| !l.contains(",wave,"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&one, only_ramps).unwrap();
    refused(compare(&one, &test, &out, &cols), &["one.csv"]);
    // A `.ts` file whose series disagree with its header's dimensions.
    let ts = |name: &str, body: &str| {
        let path = tmp.path().join(name);
        std::fs::write(&path, body).unwrap();
        path
    };
    let header = "@problemName t\n@univariate false\n@dimensions 2\n@equalLength false\n@classLabel true a b\n@data\n";
    let good = ts(
        "good.ts",
        &format!("{header}1,2,3:4,5,6:a\n1,2:3,4:b\n2,3:4,5:a\n3,4:5,6:b\n"),
    );
    let three = ts("three.ts", &format!("{header}1,2:3,4:a\n1,2:3,4:5,6:b\n"));
    refused(compare(&good, &three, &out, &[]), &["three.ts", "8"]);
    // A series of length 0.
    let empty = ts("empty.ts", &format!("{header}1,2:3,4:a\n:b\n"));
    refused(compare(&good, &empty, &out, &[]), &["empty.ts", "8"]);
    assert!(!out.exists() || std::fs::read_dir(&out).unwrap().next().is_none());
}

#[test]
fn missing_values_are_filled_and_said_on_the_page() {
    let tmp = tempfile::tempdir().unwrap();
    let (train, test, out) = long_pair(tmp.path());
    let text = std::fs::read_to_string(&train).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    for line in [3, 9, 20] {
        let f: Vec<&str> = lines[line].split(',').collect();
        lines[line] = format!("{},{},{},NaN,{}", f[0], f[1], f[2], f[4]);
    }
    std::fs::write(&train, lines.join("\n") + "\n").unwrap();
    let mut cmd = compare(&train, &test, &out, &LONG_COLUMNS);
    cmd.args(["--models", "gru", "--seeds", "1", "--epochs", "2"]);
    let output = run_ok(&mut cmd);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("3 values are missing"), "{stderr}");
    let run = only_dir(&out);
    let page = std::fs::read_to_string(run.join("report.html")).unwrap();
    assert!(page.contains("3 values are missing"));
}

#[test]
fn a_numeric_run_resumes_with_more_seeds_and_sweeps_like_a_text_run() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let small = |cmd: &mut Command| {
        cmd.args([
            "--dataset",
            "japanese-vowels",
            "--epochs",
            "2",
            "--embed",
            "8",
        ])
        .args([
            "--threads",
            "1",
            "--remeasure",
            "0",
            "--kernel-check",
            "off",
        ])
        .arg("--quiet")
        .env_remove("SLURM_ARRAY_TASK_ID")
        .env_remove("JOB_COMPLETION_INDEX");
    };
    let mut first = Command::new(env!("CARGO_BIN_EXE_compare"));
    small(&mut first);
    first
        .args(["--hidden", "16", "--seeds", "1", "--run-id", "r", "--out"])
        .arg(&out);
    run_ok(&mut first);
    let mut more = Command::new(env!("CARGO_BIN_EXE_compare"));
    more.arg("--resume")
        .arg(out.join("r"))
        .args(["--seeds", "2", "--quiet"]);
    run_ok(&mut more);
    let runs = std::fs::read_to_string(out.join("r/runs.csv")).unwrap();
    assert_eq!(runs.lines().count(), 1 + 4, "{runs}");
    assert_eq!(runs.matches(",ok,").count(), 4, "{runs}");
    let mut sweep = Command::new(env!("CARGO_BIN_EXE_compare"));
    small(&mut sweep);
    sweep
        .args(["--hidden", "8,16", "--seeds", "1", "--run-id", "s", "--out"])
        .arg(&out);
    run_ok(&mut sweep);
    let points = std::fs::read_dir(out.join("s/points")).unwrap().count();
    assert_eq!(points, 2);
    assert!(out.join("s/report.html").is_file());
}
