//! Forecasting end to end (issue 38): a CSV through `compare` to runs.csv's
//! errors against the naive forecasts and a rendered page, and what cannot
//! be forecast refused in one line.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{only_dir, run_ok};

/// A daily cycle of 24 steps on a rising trend with a covariate that leads
/// it, 600 hourly rows as ISO times, written out of order (the time column
/// puts them back), with two gaps.
fn hourly_csv(dir: &Path) -> PathBuf {
    let mut rows = Vec::new();
    for t in 0..600u32 {
        let day = (f64::from(t) * std::f64::consts::TAU / 24.0).sin();
        let temp = 10.0 + 5.0 * day;
        let load = 100.0 + 0.05 * f64::from(t) + 10.0 * day + 0.3 * temp;
        let load = if t == 100 || t == 101 {
            String::new()
        } else {
            format!("{load:.3}")
        };
        // 600 hours: 25 days from 1 January.
        rows.push(format!(
            "2024-01-{:02}T{:02}:00,{load},{temp:.3}",
            1 + t / 24,
            t % 24
        ));
    }
    let mut text = String::from("time,load,temp\n");
    for r in rows.iter().rev() {
        let _ = writeln!(text, "{r}");
    }
    let path = dir.join("hourly.csv");
    std::fs::write(&path, text).unwrap();
    path
}

/// `compare` forecasting `load` in `file` with small, fast settings.
fn compare(file: &Path, out: &Path, extra: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_compare"));
    cmd.arg("--series")
        .arg(file)
        .args(["--target", "load", "--time-col", "time"])
        .args(["--hidden", "16", "--embed", "8", "--threads", "1"])
        .args(["--remeasure", "0", "--kernel-check", "off", "--quiet"])
        .arg("--out")
        .arg(out)
        .args(extra)
        .env_remove("SLURM_ARRAY_TASK_ID")
        .env_remove("JOB_COMPLETION_INDEX");
    cmd
}

#[test]
fn a_forecast_trains_both_cells_and_scores_them_against_the_naive_forecasts() {
    let dir = tempfile::tempdir().unwrap();
    let file = hourly_csv(dir.path());
    let out = dir.path().join("out");
    let output = run_ok(&mut compare(
        &file,
        &out,
        &[
            "--covariates",
            "temp",
            "--lookback",
            "24",
            "--horizon",
            "3",
            "--season",
            "24",
            "--epochs",
            "3",
            "--seeds",
            "2",
        ],
    ));
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(said.contains("2 gaps"), "{said}");
    let run = only_dir(&out);
    let config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("config.json")).unwrap()).unwrap();
    assert_eq!(config["config"]["preset"], "forecast");
    assert_eq!(config["config"]["horizon"], 3);
    assert_eq!(config["classes"].as_array().unwrap().len(), 3);
    let runs = std::fs::read_to_string(run.join("runs.csv")).unwrap();
    let mut reader = csv::Reader::from_reader(runs.as_bytes());
    let header = reader.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 4, "{runs}");
    for row in &rows {
        assert_eq!(&row[col("status")], "ok", "{runs}");
        let number = |name: &str| row[col(name)].parse::<f64>().unwrap();
        let (mae, rmse) = (number("test_mae"), number("test_rmse"));
        assert!(mae > 0.0 && rmse >= mae, "{runs}");
        assert!(number("test_mae_vs_naive") > 0.0, "{runs}");
        assert!(number("test_mae_vs_seasonal_naive") > 0.0, "{runs}");
        assert!(number("test_mase") > 0.0, "{runs}");
        assert_eq!(&row[col("test_acc")], "NaN", "{runs}");
    }
    let page = std::fs::read_to_string(run.join("report.html")).unwrap();
    assert!(page.contains("MAE / naive"), "the page shows the ratio");
    assert!(
        page.contains("Diebold–Mariano over the"),
        "the page tests over time"
    );
    assert!(page.contains("forecast.png") && page.contains("val_mae.png"));
    let first_screen = String::from_utf8_lossy(&output.stdout);
    assert!(
        first_screen.contains("Forecast error (test MAE):")
            && first_screen.contains("Against the naive forecast: MAE / naive MAE")
            && first_screen.contains("Time to a validation MAE of "),
        "{first_screen}"
    );
    // Time to the target error, filled in runs.csv by the render.
    let runs = std::fs::read_to_string(run.join("runs.csv")).unwrap();
    let mut reader = csv::Reader::from_reader(runs.as_bytes());
    let at = reader
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "epochs_to_target")
        .unwrap();
    let reached = reader
        .records()
        .filter(|r| !r.as_ref().unwrap()[at].is_empty())
        .count();
    assert!(reached > 0, "{runs}");
    // Every model's every seed, every test window and horizon step.
    let forecasts = std::fs::read_to_string(run.join("forecasts.csv")).unwrap();
    let mut lines = forecasts.lines();
    assert_eq!(
        lines.next(),
        Some("model,seed,series,time,step,actual,naive,seasonal_naive,forecast")
    );
    let rows = lines.count();
    assert!(rows > 0 && rows.is_multiple_of(4 * 3), "{rows} rows");
    for png in ["forecast.png", "val_mae.png"] {
        let bytes = std::fs::read(run.join(png)).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{png}");
    }
}

#[test]
fn the_same_seed_forecasts_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let file = hourly_csv(dir.path());
    let runs = |name: &str| {
        let out = dir.path().join(name);
        let extra = ["--lookback", "12", "--epochs", "2", "--seed-list", "7"];
        run_ok(&mut compare(&file, &out, &extra));
        let text = std::fs::read_to_string(only_dir(&out).join("runs.csv")).unwrap();
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let header = reader.headers().unwrap().clone();
        let at = header.iter().position(|h| h == "test_mae").unwrap();
        reader
            .records()
            .map(|r| r.unwrap()[at].to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(runs("a"), runs("b"));
}

/// Forecast runs of different seeds merged with `report A B --out M`: the
/// merged folder has every kept run's test forecasts, so its report gathers
/// `forecasts.csv`, draws the forecast chart and tests the models over time.
#[test]
fn a_merge_of_forecasts_keeps_their_test_forecasts() {
    let dir = tempfile::tempdir().unwrap();
    let file = hourly_csv(dir.path());
    let run = |name: &str, seed: &str| {
        let out = dir.path().join(name);
        let extra = ["--lookback", "12", "--epochs", "2", "--seed-list", seed];
        run_ok(&mut compare(&file, &out, &extra));
        only_dir(&out)
    };
    let (a, b) = (run("a", "1"), run("b", "2"));
    let merged = dir.path().join("merged");
    run_ok(
        Command::new(env!("CARGO_BIN_EXE_report"))
            .arg(&a)
            .arg(&b)
            .arg("--out")
            .arg(&merged),
    );
    for name in ["lstm-seed1.csv", "gru-seed2.csv"] {
        assert!(merged.join("forecasts").join(name).is_file(), "{name}");
    }
    let forecasts = std::fs::read_to_string(merged.join("forecasts.csv")).unwrap();
    let seeds: std::collections::BTreeSet<&str> = forecasts
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap())
        .collect();
    assert_eq!(seeds.into_iter().collect::<Vec<_>>(), ["1", "2"]);
    let page = std::fs::read_to_string(merged.join("report.html")).unwrap();
    assert!(page.contains("forecast.png") && page.contains("Diebold–Mariano over the"));
}

/// Runs `compare` expecting a refusal: a non-zero exit, no panic, one
/// line on stderr holding every needle, and no run folder.
fn refused(mut cmd: Command, out: &Path, needles: &[&str]) {
    let output = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "accepted: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    for needle in needles {
        assert!(stderr.contains(needle), "`{needle}` not in: {stderr}");
    }
    assert!(!out.exists() || std::fs::read_dir(out).unwrap().next().is_none());
}

#[test]
fn what_cannot_be_forecast_is_refused_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = hourly_csv(dir.path());
    let out = dir.path().join("out");
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    let cases: Vec<(PathBuf, Vec<&str>, Vec<&str>)> = vec![
        (
            file.clone(),
            vec!["--lookback", "5000"],
            vec!["--lookback 5000"],
        ),
        (
            file.clone(),
            vec!["--horizon", "500"],
            vec!["--horizon 500 is longer"],
        ),
        (
            file.clone(),
            vec!["--fill", "none"],
            vec!["hourly.csv", "a gap"],
        ),
        (
            write("typo.csv", "time,load\n1,1\n2,x\n3,3\n"),
            vec![],
            vec!["typo.csv:3", "`x` is not a number"],
        ),
        (
            write("twice.csv", "time,load\n1,1\n2,2\n2,3\n"),
            vec![],
            vec!["twice.csv", "two rows at time `2`"],
        ),
        (
            write(
                "flat.csv",
                &format!(
                    "time,load\n{}",
                    (1..300).map(|t| format!("{t},5\n")).collect::<String>()
                ),
            ),
            vec![],
            vec!["flat.csv", "column `load`"],
        ),
        (
            file.clone(),
            vec!["--max-len", "9"],
            vec!["--max-len", "--lookback"],
        ),
    ];
    for (path, extra, needles) in cases {
        refused(compare(&path, &out, &extra), &out, &needles);
    }
    // Forecasting flags without a forecast.
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_compare"));
    cmd.args(["--horizon", "3", "--out"]).arg(&out);
    refused(cmd, &out, &["--horizon", "--series"]);
}

#[test]
fn a_sweep_over_the_lookback_judges_the_error_at_each_point() {
    let dir = tempfile::tempdir().unwrap();
    let file = hourly_csv(dir.path());
    let out = dir.path().join("out");
    let extra = ["--lookback", "12,24", "--epochs", "1", "--seed-list", "1"];
    let output = run_ok(&mut compare(&file, &out, &extra));
    let said = String::from_utf8_lossy(&output.stdout);
    assert!(said.contains("Forecast error (test MAE):"), "{said}");
    assert!(
        said.contains("lookback-12") && said.contains("MAE "),
        "{said}"
    );
    let page = std::fs::read_to_string(only_dir(&out).join("report.html")).unwrap();
    assert!(page.contains("MAE ratio") && page.contains("test MAE"));
    assert!(!page.contains("Δ accuracy (points)"));
}
