//! The Transformer beside a cell, end to end: a small `compare` of LSTM and
//! Transformer on the fixture writes the Transformer's rows (kernel `sdpa`,
//! no streaming latency), its pooling in `config.json`, and a page that
//! names it; `--pooling` sweeps as a grid axis for every model.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::common::{FixtureCompare, only_dir, run_ok};

/// A quick `compare` on the fixture (2 epochs, width 16, 64 tokens).
fn compare(out: &Path, extra: &[&str]) -> Command {
    FixtureCompare::new().with(extra).command(out)
}

fn json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn lstm_and_transformer_compare_writes_the_transformer_everywhere() {
    let tmp = tempfile::tempdir().unwrap();
    run_ok(&mut compare(
        tmp.path(),
        &["--models", "lstm,transformer", "--seeds", "2"],
    ));
    let dir = only_dir(tmp.path());

    // runs.csv: one ok row per seed, on libtorch's attention, no streaming.
    let mut runs = csv::Reader::from_path(dir.join("runs.csv")).unwrap();
    let header = runs.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = runs
        .records()
        .map(Result::unwrap)
        .filter(|r| &r[col("model")] == "transformer")
        .collect();
    assert_eq!(rows.len(), 2, "{rows:?}");
    for r in &rows {
        assert_eq!(&r[col("status")], "ok");
        assert_eq!(&r[col("kernel")], "sdpa");
        assert!(r[col("latency_review_p50_ms")].parse::<f64>().unwrap() > 0.0);
        assert_eq!(&r[col("latency_step_p50_us")], "", "no state to stream");
    }
    let epochs = std::fs::read_to_string(dir.join("epochs.csv")).unwrap();
    assert!(epochs.lines().any(|l| l.starts_with("transformer,")));

    // config.json: the sizes matched to the LSTM, each model's pooling.
    let config = json(&dir.join("config.json"));
    let sizes = config["model_sizes"].as_array().unwrap();
    assert_eq!(sizes[0]["pooling"], "last");
    assert_eq!(sizes[1]["model"], "transformer");
    assert_eq!(sizes[1]["pooling"], "mean");
    let (lstm, transformer) = (
        sizes[0]["params"].as_f64().unwrap(),
        sizes[1]["params"].as_f64().unwrap(),
    );
    assert!(
        (transformer - lstm).abs() / lstm < 0.02,
        "{lstm} vs {transformer}"
    );

    // summary.json: the pair, and no gate blocks for the Transformer.
    let summary = json(&dir.join("summary.json"));
    let per_model = summary["per_model"].as_array().unwrap();
    assert_eq!(per_model[1]["model"], "transformer");
    assert!(per_model[1]["gates"].is_null());
    assert_eq!(summary["pairs"][0]["b"], "transformer");
    // Claims 8 and 10 are decided on the LSTM-Transformer pair.
    let claims = summary["claims"].as_array().unwrap();
    for (n, words) in [
        (8, "Transformer / LSTM seconds per epoch"),
        (10, "Transformer / LSTM memory training adds"),
    ] {
        let claim = &claims[n - 1];
        assert_eq!(claim["number"], n as u64);
        assert!(
            claim["measured"].as_str().unwrap().starts_with(words),
            "{claim}"
        );
        assert_eq!(
            claim["verdict"], "too few seeds (2; an interval needs 3)",
            "{claim}"
        );
    }

    // The page: a row, its pooling, its kernel explained.
    let page = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(page.contains("Transformer"));
    assert!(page.contains("<th>pooling</th>"));
    assert!(page.contains("(feed-forward)"));
    assert!(page.contains("no state to carry"));
}

#[test]
fn pooling_is_a_grid_axis_for_cells_and_the_transformer() {
    let tmp = tempfile::tempdir().unwrap();
    run_ok(&mut compare(
        tmp.path(),
        &[
            "--models",
            "gru,transformer",
            "--pooling",
            "last,attention",
            "--seeds",
            "2",
            "--kernel-check",
            "off",
        ],
    ));
    let dir = only_dir(tmp.path());
    // Claim 11: the GRU's attention pooling against its last state, paired
    // by seed; the Transformer is not a recurrent cell.
    let summary = json(&dir.join("summary.json"));
    let effect = summary["pooling_effect"]
        .as_array()
        .expect("pooling_effect");
    assert_eq!(effect.len(), 1, "{effect:?}");
    assert_eq!(effect[0]["model"], "gru");
    assert_eq!(effect[0]["pooling"], "attention");
    assert_eq!(effect[0]["diff"]["n"], 2);
    let page = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(
        page.contains("GRU attention − last test accuracy"),
        "the sweep's claims table gives claim 11"
    );
    for (point, pooling) in [("pooling-last", "last"), ("pooling-attention", "attention")] {
        let config = json(&dir.join("points").join(point).join("config.json"));
        for size in config["model_sizes"].as_array().unwrap() {
            assert_eq!(size["pooling"], pooling, "{point}: {size}");
        }
        let runs =
            std::fs::read_to_string(dir.join("points").join(point).join("runs.csv")).unwrap();
        assert_eq!(
            runs.lines().filter(|l| l.contains(",ok,")).count(),
            4,
            "{point}: {runs}"
        );
    }
}

#[test]
fn a_length_sweep_fits_time_and_memory_against_length() {
    let tmp = tempfile::tempdir().unwrap();
    let mut cmd = FixtureCompare::new()
        .with(&["--epochs", "1", "--max-len", "16,32,64", "--seeds", "1"])
        .with(&["--models", "lstm,transformer", "--kernel-check", "off"])
        .command(tmp.path());
    run_ok(&mut cmd);
    let dir = only_dir(tmp.path());
    let summary = json(&dir.join("summary.json"));
    let scaling = &summary["length_scaling"];
    assert_eq!(scaling["lengths"], serde_json::json!([16, 32, 64]));
    let rows = scaling["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    for row in rows {
        let k = row["time_exponent"].as_f64().expect("a time exponent");
        assert!(k.is_finite(), "{row}");
        assert_eq!(row["secs_per_epoch"].as_array().unwrap().len(), 3);
    }
    let page = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(page.contains("Training time and memory against length"));
}

/// `--match params` cannot match a 1-unit LSTM with a Transformer of the
/// same embedding (the Transformer's smallest feed-forward width and its
/// positions are more than the LSTM's whole cell): the first screen says
/// the parameters are not matched, with the ratio, and claims 8 and 10 say
/// "unmatched", never "at matched parameters".
#[test]
fn unmatched_parameters_are_said_on_the_first_screen_and_in_the_claims() {
    let tmp = tempfile::tempdir().unwrap();
    let output = run_ok(&mut compare(
        tmp.path(),
        &[
            "--models",
            "lstm,transformer",
            "--seeds",
            "2",
            "--epochs",
            "1",
            "--hidden",
            "1",
            "--embed",
            "16",
            "--max-len",
            "512",
        ],
    ));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let dir = only_dir(tmp.path());
    let summary = json(&dir.join("summary.json"));
    let title = summary["answer"]["title"].as_str().unwrap();
    assert!(
        title.contains("parameters not matched (Transformer ") && title.contains("×"),
        "{title}"
    );
    assert!(stdout.contains("parameters not matched"), "{stdout}");
    for number in [8, 10] {
        let claim = summary["claims"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["number"] == number)
            .unwrap();
        let measured = claim["measured"].as_str().unwrap();
        assert!(
            measured.contains("at unmatched parameters (Transformer "),
            "claim {number}: {measured}"
        );
    }
    let page = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(!page.contains("at matched parameters"));
}

/// `--bidirectional` does not apply to the Transformer: a sweep over it
/// says so once and trains the Transformer once per seed, the other point
/// taking the same run (its numbers, saying whose they are); the cells
/// train at both points.
#[test]
fn a_bidirectional_sweep_trains_the_transformer_once() {
    let tmp = tempfile::tempdir().unwrap();
    let output = run_ok(
        &mut FixtureCompare::new()
            .unset("--quiet")
            .with(&[
                "--models",
                "transformer,lstm",
                "--seeds",
                "2",
                "--epochs",
                "1",
            ])
            .with(&["--bidirectional=false,true", "--kernel-check", "off"])
            .command(tmp.path()),
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr
            .matches("--bidirectional does not apply to the Transformer")
            .count(),
        1,
        "{stderr}"
    );
    let dir = only_dir(tmp.path());
    let runs = |point: &str| -> Vec<rnnbench::results::RunRecord> {
        rnnbench::results::read_csv(&dir.join("points").join(point).join("runs.csv")).unwrap()
    };
    let transformer = |rows: &[rnnbench::results::RunRecord]| -> Vec<(u64, u64, String)> {
        rows.iter()
            .filter(|r| r.model == rnnbench::model::Cell::Transformer)
            .map(|r| (r.seed, r.test_acc.to_bits(), r.message.clone()))
            .collect()
    };
    let (plain, both) = (runs("bidirectional-false"), runs("bidirectional-true"));
    let (first, second) = (transformer(&plain), transformer(&both));
    assert_eq!(first.len(), 2, "{plain:?}");
    assert_eq!(second.len(), 2, "{both:?}");
    for ((seed_a, acc_a, message_a), (seed_b, acc_b, message_b)) in first.iter().zip(&second) {
        assert_eq!((seed_a, acc_a), (seed_b, acc_b));
        assert!(message_a.is_empty(), "{message_a}");
        assert!(
            message_b.contains("the same run as point bidirectional-false"),
            "{message_b}"
        );
    }
    let epochs = std::fs::read_to_string(dir.join("points/bidirectional-true/epochs.csv")).unwrap();
    assert_eq!(
        epochs
            .lines()
            .filter(|l| l.starts_with("transformer,"))
            .count(),
        2
    );
    assert_eq!(both.len(), 4, "the LSTM trains at both points: {both:?}");
}
