//! "The claims, checked" on a real run of the fixture whose verdicts are
//! known by construction: with `--match hidden` the LSTM has more gates and
//! more parameters per hidden unit (claim 3 holds), no memory task ran
//! (claim 5 is not measured and names the flags that would measure it), and
//! the vanilla RNN's gradient flow rests on one seed (claim 7 is measured
//! but not distinguishable).

use std::path::PathBuf;

use serde_json::Value;

use crate::common::{FixtureCompare, run_ok};

#[test]
fn the_claims_table_is_in_the_summary_the_page_and_the_terminal() {
    let tmp = tempfile::tempdir().unwrap();
    let output = run_ok(
        &mut FixtureCompare::new()
            .with(&[
                "--models",
                "lstm,gru,rnn",
                "--match",
                "hidden",
                "--seeds",
                "3",
            ])
            .with(&["--kernel-check", "off"])
            .unset("--vocab-size")
            .command(tmp.path()),
    );
    let dir: PathBuf = std::fs::read_dir(tmp.path())
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap();
    let claims = summary["claims"].as_array().expect("a claims table");
    assert_eq!(claims.len(), 14);
    let numbers: Vec<u64> = claims
        .iter()
        .map(|c| c["number"].as_u64().unwrap())
        .collect();
    assert_eq!(numbers, (1..=14).collect::<Vec<u64>>());
    // The Transformer's claims and the pooling claim need their own runs.
    for n in 8..=11 {
        assert!(
            claims[n - 1]["verdict"]
                .as_str()
                .unwrap()
                .starts_with("not measured in this run")
        );
    }
    let verdict = |n: usize| claims[n - 1]["verdict"].as_str().unwrap().to_string();
    assert_eq!(verdict(3), "holds");
    assert!(
        claims[2]["measured"]
            .as_str()
            .unwrap()
            .contains("LSTM 4 gate blocks"),
        "{}",
        claims[2]["measured"]
    );
    assert!(
        verdict(5).starts_with("not measured in this run")
            && verdict(5).contains("--dataset memory"),
        "{}",
        verdict(5)
    );
    assert_eq!(verdict(7), "too few seeds (1; an interval needs 3)");
    // The measured claims get one of the rule's verdicts, with the seeds.
    for n in [1, 2, 4, 6] {
        let v = verdict(n);
        assert!(
            v == "holds" || v == "contradicted" || v == "undecided (3 seeds)",
            "claim {n}: {v}"
        );
        assert!(
            claims[n - 1]["measured"].as_str().unwrap().contains(" ["),
            "{}",
            claims[n - 1]["measured"]
        );
    }
    // Training memory and latency were measured for every run.
    let runs: Vec<rnnbench::results::RunRecord> =
        rnnbench::results::read_csv(&dir.join("runs.csv")).unwrap();
    for r in &runs {
        assert!(r.train_rss_delta_bytes.is_some_and(|b| b > 0), "{r:?}");
        let (p50, p99) = (
            r.latency_review_p50_ms.unwrap(),
            r.latency_review_p99_ms.unwrap(),
        );
        assert!(p50 > 0.0 && p99 >= p50, "{r:?}");
        let (s50, s99) = (
            r.latency_step_p50_us.unwrap(),
            r.latency_step_p99_us.unwrap(),
        );
        assert!(s50 > 0.0 && s99 >= s50, "{r:?}");
    }

    let page = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(page.contains("The claims, checked"));
    assert!(page.contains("claim-holds"));
    assert!(page.contains("Memory that belongs to the model"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("The claims, checked"), "{stdout}");
    // One line per measured claim, its verdict first (the figures are on the
    // page and under `report DIR --full`).
    assert!(stdout.contains("   3. holds: Complexity"), "{stdout}");
    assert!(!stdout.contains("-> holds"), "{stdout}");
    // `report DIR --full` adds each claim's figures and the notes.
    let full = std::process::Command::new(env!("CARGO_BIN_EXE_report"))
        .arg(&dir)
        .arg("--full")
        .output()
        .unwrap();
    assert!(full.status.success());
    let full = String::from_utf8_lossy(&full.stdout);
    assert!(full.starts_with("The answer: LSTM vs GRU"), "{full}");
    // Each claim once with its verdict above, then its figures by number.
    assert_eq!(full.matches("Complexity: LSTM").count(), 1, "{full}");
    assert!(full.contains("\n   3. LSTM 4 gate blocks"), "{full}");
    assert!(
        full.contains("- Time outside training: workers ran"),
        "{full}"
    );
}
