//! The bench report on fixture criterion folders.

use std::path::Path;

use super::gates::{Checks, Gate, Problem};
use super::results::{BenchResult, read_criterion};
use super::series::{
    SweepAxis, batching_rows, fit_exponent, kernel_split_rows, ratio_grid, tokens_per_sec_lines,
};
use super::*;
use crate::bench::{BatchingMode, BenchGroupId};
use crate::model::Cell;

fn g(name: &str) -> BenchGroupId {
    name.parse().unwrap()
}

#[test]
fn exponent_of_a_power_law() {
    let pts: Vec<(f64, f64)> = [50.0, 100.0, 200.0, 400.0]
        .iter()
        .map(|&x: &f64| (x, 3.0 * x.powf(1.5)))
        .collect();
    assert!((fit_exponent(&pts).unwrap() - 1.5).abs() < 1e-12);
    assert_eq!(fit_exponent(&[(1.0, 2.0)]), None);
}

fn estimates(dir: &Path, group: &str, function: &str, parameter: &str, median_ns: f64) {
    let d = dir.join(group).join(function).join(parameter).join("new");
    std::fs::create_dir_all(&d).unwrap();
    let json = serde_json::json!({"median": {"point_estimate": median_ns,
        "confidence_interval": {"lower_bound": median_ns * 0.9, "upper_bound": median_ns * 1.1, "confidence_level": 0.95}}});
    std::fs::write(d.join("estimates.json"), json.to_string()).unwrap();
}

#[test]
fn criterion_files_become_a_report() {
    let dir = tempfile::tempdir().unwrap();
    let c = dir.path().join("criterion");
    for (h, lstm_ms, gru_ms) in [(64, 10.0, 8.0), (128, 30.0, 33.0), (256, 100.0, 120.0)] {
        estimates(
            &c,
            "train_step",
            "lstm",
            &format!("h{h}-t200-b64-l1-th2"),
            lstm_ms * 1e6,
        );
        estimates(
            &c,
            "train_step",
            "gru",
            &format!("h{h}-t200-b64-l1-th2"),
            gru_ms * 1e6,
        );
    }
    estimates(&c, "matmul", "peak", "n1024-th2", 20e6);
    let results = read_criterion(&c).unwrap();
    assert_eq!(results.len(), 7);
    let r = results
        .iter()
        .find(|r| r.function == "lstm" && r.parameter.starts_with("h128"))
        .unwrap();
    assert!((r.median_secs - 0.030).abs() < 1e-12 && (r.ci_high_secs - 0.033).abs() < 1e-12);
    let page = render_bench_report(&c, &dir.path().join("out")).unwrap();
    let html = std::fs::read_to_string(&page).unwrap();
    // Each ratio is said once: in the heatmap's finding, not again per shape.
    assert!(
        html.contains("train step: GRU is faster than LSTM at H 64, T 200 (0.80); slower at H 128, T 200 (1.10), H 256, T 200 (1.20)."),
        "{html}"
    );
    assert!(!html.contains("train_step h64-t200-b64-l1-th2: GRU/LSTM time ratio"));
    // The fitted exponents are one table (and the charts' legends).
    assert!(html.contains("<th>time ∝ H^k</th>"), "{html}");
    assert!(html.contains("Matrix-multiply peak measured alongside: 107.4 GFLOP/s"));
    assert!(
        dir.path()
            .join("out/train_step-time-vs-hidden.png")
            .is_file()
    );
    let empty = tempfile::tempdir().unwrap();
    assert!(render_bench_report(empty.path(), &dir.path().join("o2")).is_err());
}

fn result(group: &str, function: &str, parameter: &str, median_ms: f64) -> BenchResult {
    BenchResult {
        group: g(group),
        function: function.into(),
        parameter: parameter.into(),
        median_secs: median_ms / 1e3,
        ci_low_secs: median_ms / 1e3,
        ci_high_secs: median_ms / 1e3,
        elements: None,
        sample_secs: vec![],
        condition: None,
    }
}

#[test]
fn the_kernel_split_pairs_each_kernel_bench_with_its_lstm_and_gru() {
    let shape = "h128-t200-b64-l1-th2";
    let results = vec![
        result("train_step", "lstm", shape, 100.0),
        result("train_step", "lstm-native", shape, 250.0),
        result("train_step", "lstm-onednn", shape, 80.0),
        result("train_step", "gru", shape, 180.0),
        result("train_step", "gru-onednn", shape, 84.0),
        result("train_step", "gru", "h64-t200-b64-l1-th2", 50.0),
        result("train_step", "gru-onednn", "h64-t200-b64-l1-th2", 20.0),
        result("train_step_matched", "lstm", shape, 100.0),
        result("train_step_matched", "lstm-native", shape, 260.0),
        result("train_step_matched", "gru", "h155-t200-b64-l1-th2", 200.0),
        // Fused benches without a plain LSTM and GRU make no row.
        result("forward", "lstm-onednn", shape, 30.0),
    ];
    let rows = kernel_split_rows(&results);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].group, g("train_step"));
    assert!((rows[0].ratio_auto() - 1.8).abs() < 1e-12);
    assert!((rows[0].ratio_native().unwrap() - 0.72).abs() < 1e-12);
    assert!((rows[0].ratio_onednn().unwrap() - 1.05).abs() < 1e-12);
    assert_eq!(rows[0].ids().len(), 5);
    assert!((rows[1].ratio_native().unwrap() - 200.0 / 260.0).abs() < 1e-12);
    assert_eq!(rows[1].ratio_onednn(), None);
    // The verdict is judged on the equal fused kernel where it was benched.
    assert_eq!(
        sections::kernel_split_verdict(&rows[0]),
        "LSTM is faster either way"
    );
    assert_eq!(
        sections::kernel_split_verdict(&rows[1]),
        "the LSTM's lead comes from libtorch's kernel choice, not from the cell"
    );
    // A kernel bench is no plain LSTM: the cell series leave it out.
    assert_eq!(results[1].cell(), None);
    assert_eq!(results[2].cell(), None);
    assert_eq!(results[1].bench_cell().unwrap().to_string(), "lstm-native");
}

#[test]
fn ratio_grid_over_hidden_and_length() {
    let mut results = vec![];
    for (h, t, lstm, gru) in [
        (64, 50, 10.0, 8.0),
        (64, 200, 40.0, 50.0),
        (128, 200, 100.0, 100.0),
        (128, 400, 200.0, 300.0),
    ] {
        let p = format!("h{h}-t{t}-b64-l1-th2");
        results.push(result("train_step", "lstm", &p, lstm));
        results.push(result("train_step", "gru", &p, gru));
    }
    // Not on the grid: another batch, a GRU without LSTM, another group.
    results.push(result("train_step", "lstm", "h64-t50-b1-l1-th2", 1.0));
    results.push(result("train_step", "gru", "h64-t50-b1-l1-th2", 5.0));
    results.push(result("train_step", "gru", "h256-t50-b64-l1-th2", 5.0));
    results.push(result("forward", "gru", "h64-t50-b64-l1-th2", 1.0));
    let grid = ratio_grid(&results, g("train_step")).unwrap();
    assert_eq!(grid.hiddens, [64, 128]);
    assert_eq!(grid.seqs, [50, 200, 400]);
    let rounded: Vec<Vec<Option<f64>>> = grid
        .cells
        .iter()
        .map(|row| {
            row.iter()
                .map(|r| r.as_ref().map(|v| (v.0 * 1e9).round() / 1e9))
                .collect()
        })
        .collect();
    assert_eq!(rounded[0], [Some(0.8), Some(1.25), None]);
    assert_eq!(rounded[1], [None, Some(1.0), Some(1.5)]);
    assert_eq!(ratio_grid(&results, g("forward")), None);
}

#[test]
fn tokens_per_sec_lines_follow_the_sweep() {
    let results = vec![
        result("forward", "lstm", "h64-t200-b64-l1-th2", 100.0),
        result("forward", "lstm", "h128-t200-b64-l1-th2", 200.0),
        result("forward", "lstm", "h128-t50-b64-l1-th2", 50.0),
        result("forward", "lstm", "h128-t200-b64-l2-th2", 1.0),
        result("forward", "gru", "h64-t200-b64-l1-th2", 100.0),
    ];
    let by_hidden = tokens_per_sec_lines(&results, g("forward"), SweepAxis::Hidden);
    // GRU has one point only: no line.
    assert_eq!(by_hidden.len(), 1);
    assert_eq!(by_hidden[0].model, Cell::Lstm);
    assert_eq!(by_hidden[0].points, [(64.0, 128_000.0), (128.0, 64_000.0)]);
    let by_seq = tokens_per_sec_lines(&results, g("forward"), SweepAxis::Seq);
    assert_eq!(by_seq[0].points, [(50.0, 64_000.0), (200.0, 64_000.0)]);
}

fn benchmark_json(dir: &Path, group: &str, function: &str, parameter: &str, elements: u64) {
    let d = dir.join(group).join(function).join(parameter).join("new");
    std::fs::create_dir_all(&d).unwrap();
    let json = serde_json::json!({"group_id": group, "function_id": function,
        "value_str": parameter, "throughput": {"Elements": elements}});
    std::fs::write(d.join("benchmark.json"), json.to_string()).unwrap();
}

#[test]
fn batching_benches_become_real_tokens_per_sec_and_charts() {
    let dir = tempfile::tempdir().unwrap();
    let c = dir.path().join("criterion");
    for (group, cell, mode, ms) in [
        ("batching_train_step", "lstm", "padded", 1000.0),
        ("batching_train_step", "lstm", "packed", 800.0),
        ("batching_train_step", "lstm", "bucketed", 500.0),
        ("batching_train_step", "gru", "padded", 1200.0),
        ("batching_train_step", "gru", "bucketed", 400.0),
        ("batching_forward", "gru", "packed", 100.0),
    ] {
        let p = format!("{mode}-n4-h128-t400-b64-l1-th2");
        estimates(&c, group, cell, &p, ms * 1e6);
        benchmark_json(&c, group, cell, &p, 60_000);
    }
    // A grid for the heatmap, and a sweep for the tokens/s charts.
    for (h, t, lstm_ms, gru_ms) in [
        (64, 50, 10.0, 8.0),
        (64, 200, 40.0, 44.0),
        (128, 50, 20.0, 19.0),
        (128, 200, 80.0, 100.0),
    ] {
        for (group, scale) in [("train_step", 3.0), ("forward", 1.0)] {
            let p = format!("h{h}-t{t}-b64-l1-th2");
            estimates(&c, group, "lstm", &p, lstm_ms * scale * 1e6);
            estimates(&c, group, "gru", &p, gru_ms * scale * 1e6);
        }
    }
    let results = read_criterion(&c).unwrap();
    let r = results
        .iter()
        .find(|r| r.group == g("batching_train_step") && r.parameter.starts_with("packed"))
        .unwrap();
    assert_eq!(r.elements, Some(60_000.0));
    let rows = batching_rows(&results);
    assert_eq!(rows.len(), 6);
    // Sorted by group, cell, mode.
    let order: Vec<(String, Cell, BatchingMode)> = rows
        .iter()
        .map(|r| (r.result.group.to_string(), r.cell, r.bench.mode))
        .collect();
    assert_eq!(
        order[0],
        ("batching_forward".into(), Cell::Gru, BatchingMode::Packed)
    );
    assert_eq!(
        order[1],
        (
            "batching_train_step".into(),
            Cell::Lstm,
            BatchingMode::Padded
        )
    );
    assert_eq!(
        order[5],
        (
            "batching_train_step".into(),
            Cell::Gru,
            BatchingMode::Bucketed
        )
    );
    let lstm_packed = &rows[2];
    assert!((lstm_packed.real_tokens_per_sec - 75_000.0).abs() < 1e-6);
    assert!((lstm_packed.speedup_over_padded().unwrap() - 1.25).abs() < 1e-12);
    assert_eq!(rows[0].speedup_over_padded(), None);
    assert!((rows[5].speedup_over_padded().unwrap() - 3.0).abs() < 1e-12);

    let out = dir.path().join("out");
    let page = render_bench_report(&c, &out).unwrap();
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(
        html.contains("train step GRU: bucketed batches 3.00× the speed of padding to 400 tokens"),
        "{html}"
    );
    assert!(html.contains(
        "train step: GRU is faster than LSTM at H 64, T 50 (0.80), H 128, T 50 (0.95); slower at H 64, T 200 (1.10), H 128, T 200 (1.25)."
    ));
    assert!(html.contains("<td>75000</td><td>1.25×</td>"), "{html}");
    // Every chart is a PNG referenced from the page, and every reference exists.
    let mut pngs: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".png"))
        .collect();
    pngs.sort();
    for expected in [
        chart_files::batching(""),
        chart_files::ratio_heatmap("train_step"),
        chart_files::ratio_heatmap("forward"),
        chart_files::tokens_per_sec("hidden", ""),
        chart_files::tokens_per_sec("seq", ""),
        chart_files::time("train_step", "seq"),
    ] {
        assert!(pngs.contains(&expected), "{expected} missing from {pngs:?}");
    }
    for png in &pngs {
        assert!(
            html.contains(&format!("<img src=\"{png}\"")),
            "{png} not on the page"
        );
        let bytes = std::fs::read(out.join(png)).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{png}");
        assert!(bytes.len() > 5_000, "{png} is nearly empty");
    }
    let referenced = html.matches("<img src=").count();
    assert_eq!(referenced, pngs.len());
}

/// criterion's `sample.json`: two iterations per sample, taking `per_iter_ms`.
fn samples(dir: &Path, group: &str, function: &str, parameter: &str, per_iter_ms: &[f64]) {
    let d = dir.join(group).join(function).join(parameter).join("new");
    std::fs::create_dir_all(&d).unwrap();
    let json = serde_json::json!({"sampling_mode": "Flat",
        "iters": per_iter_ms.iter().map(|_| 2.0).collect::<Vec<f64>>(),
        "times": per_iter_ms.iter().map(|ms| 2.0 * ms * 1e6).collect::<Vec<f64>>()});
    std::fs::write(d.join("sample.json"), json.to_string()).unwrap();
}

/// A bench with steady samples around `median_ms`, or with `samples_ms`.
fn steady(dir: &Path, group: &str, function: &str, parameter: &str, median_ms: f64) {
    estimates(dir, group, function, parameter, median_ms * 1e6);
    let jitter = [1.0, 1.02, 0.98, 1.01, 0.99, 1.0, 1.03, 0.97, 1.0, 1.01];
    let ms: Vec<f64> = jitter.iter().map(|j| j * median_ms).collect();
    samples(dir, group, function, parameter, &ms);
}

#[test]
fn gates_flag_a_drifting_bench_and_a_negative_exponent() {
    let dir = tempfile::tempdir().unwrap();
    let c = dir.path().join("criterion");
    // LSTM gets faster as it gets bigger (the subnormal signature): a
    // negative exponent, and throughput rising with work per token.
    for (h, lstm_ms, gru_ms) in [(64, 40.0, 10.0), (128, 30.0, 30.0), (256, 20.0, 100.0)] {
        let p = format!("h{h}-t200-b64-l1-th2");
        steady(&c, "train_step", "lstm", &p, lstm_ms);
        steady(&c, "train_step", "gru", &p, gru_ms);
    }
    steady(&c, "train_step", "lstm", "h128-t50-b64-l1-th2", 8.0);
    // GRU at T 50 slows down from 5 to 3 ms as it runs: it drifts.
    let p = "h128-t50-b64-l1-th2";
    estimates(&c, "train_step", "gru", p, 4e6);
    samples(
        &c,
        "train_step",
        "gru",
        p,
        &[5.0, 5.1, 4.9, 4.0, 4.2, 4.1, 3.9, 3.0, 3.1, 2.9],
    );
    // A forward pass slower than the train step that includes it.
    steady(&c, "forward", "lstm", "h128-t200-b64-l1-th2", 45.0);
    // The drifting GRU kept 2 samples that stayed disturbed after their retakes.
    let conditions = serde_json::json!({"benches": {"train_step/gru/h64-t200-b64-l1-th2": {
        "started_unix_secs": 1, "flush_denormal": true, "flush_denormal_supported": true,
        "flush_denormal_effective": true, "quick": false, "warmup_steps": 6, "warmup_secs": 0.2,
        "warmup_first_step_secs": 0.011, "warmup_last_step_secs": 0.01, "warmup_stable": true,
        "samples_retaken": 3},
      "train_step/gru/h128-t50-b64-l1-th2": {
        "started_unix_secs": 2, "flush_denormal": true, "flush_denormal_supported": true,
        "flush_denormal_effective": true, "quick": false, "warmup_steps": 6, "warmup_secs": 0.2,
        "warmup_first_step_secs": 0.006, "warmup_last_step_secs": 0.005, "warmup_stable": true,
        "samples_retaken": 6, "samples_disturbed": 2, "disturbance": "steal 43% of the CPUs",
        "canary_tolerance": 0.26}}});
    std::fs::write(
        c.join(crate::bench::BENCH_CONDITIONS_FILE),
        conditions.to_string(),
    )
    .unwrap();

    let results = read_criterion(&c).unwrap();
    assert!(results.iter().all(|r| r.sample_secs.len() == 10));
    let checks = Checks::run(&results);
    let gates = |gate: Gate| -> Vec<&Problem> {
        checks.problems.iter().filter(|p| p.gate == gate).collect()
    };
    let drift = gates(Gate::Drift);
    assert_eq!(drift.len(), 1, "{:?}", checks.problems);
    assert_eq!(drift[0].benches, ["train_step/gru/h128-t50-b64-l1-th2"]);
    let negative = gates(Gate::NegativeExponent);
    assert_eq!(negative.len(), 1, "{:?}", checks.problems);
    assert!(
        negative[0]
            .message
            .starts_with("train_step: LSTM time ∝ H^-0.50")
    );
    assert_eq!(negative[0].benches.len(), 3);
    assert_eq!(gates(Gate::SteepExponent).len(), 0);
    // h128 and h256 each run more tokens/s than h64 with more work per token.
    assert_eq!(gates(Gate::ThroughputRisesWithWork).len(), 2);
    assert_eq!(gates(Gate::TrainStepFasterThanForward).len(), 1);
    assert!(checks.drifts("train_step/gru/h128-t50-b64-l1-th2"));
    assert!(!checks.drifts("train_step/gru/h64-t200-b64-l1-th2"));

    let out = dir.path().join("out");
    let html = std::fs::read_to_string(render_bench_report(&c, &out).unwrap()).unwrap();
    let (findings, problems) = html.split_once("<h2>Measurement problems</h2>").unwrap();
    // The plausible GRU exponent is in the table; the LSTM one is withheld.
    assert!(html.contains("<td>1.66 (3 points)</td>"), "{html}");
    assert!(!findings.contains("LSTM time ∝"), "{findings}");
    assert!(problems.contains("<li>negative exponent: train_step: LSTM time ∝ H^-0.50"));
    assert!(problems.contains(
        "<li>samples drift: train_step/gru/h128-t50-b64-l1-th2: the last third of its samples took 0.60×"
    ));
    // The drift names the samples the machine was busy for, and the
    // conditions count the retakes.
    assert!(
        problems.contains(
        "tolerance ±10%), and they trend in measurement order (Kendall&#39;s τ -0.82, p &lt; 0.001); 2 of its samples were timed while the machine was busy (steal 43% of the CPUs)"
    ), "{problems}");
    assert!(
        html.contains("more than 26% slower than its usual time: twice the canary")
            && html.contains("own spread on this machine): 9. 2 samples of 1 benches"),
        "{html}"
    );
    assert!(
        html.contains("2 samples of 1 benches were still disturbed"),
        "{html}"
    );
    assert!(html.contains("<td>0.60 drifts, 2 disturbed</td>"), "{html}");
    // Findings resting on a flagged bench are withheld, with the gates named.
    let withheld = "train step: GRU/LSTM time ratio at H 128, T 50 (0.50) [samples drift]";
    assert_eq!(problems.matches(withheld).count(), 1, "{problems}");
    assert!(!problems.contains("train_step h128-t50-b64-l1-th2: GRU/LSTM time ratio"));
    assert!(problems.contains("<li>train_step: LSTM time ∝ H^-0.50 [negative exponent"));
    // The table marks the drifting bench; the conditions come from the record.
    assert!(html.contains("on for all 2 benches recorded"), "{html}");
    assert!(
        html.contains("7 benches have no recorded conditions"),
        "{html}"
    );
}

#[test]
fn a_report_without_problems_has_no_problem_section() {
    let results: Vec<BenchResult> = [(64, 10.0), (128, 30.0)]
        .iter()
        .map(|&(h, ms)| result("train_step", "lstm", &format!("h{h}-t200-b64-l1-th2"), ms))
        .collect();
    assert_eq!(Checks::run(&results).problems, []);
}

#[test]
fn more_work_at_more_tokens_per_sec_is_a_problem_only_at_the_same_layers_and_directions() {
    let dir = tempfile::tempdir().unwrap();
    let c = dir.path().join("criterion");
    // H 256 on one layer does 1.5x the work per token of H 128 in both
    // directions, and runs faster: the bidirectional pass has twice the
    // sequential steps, so this is the CPU, not the measurement.
    steady(&c, "train_step", "rnn", "h256-t200-b64-l1-th2", 100.0);
    steady(&c, "train_step", "rnn", "h128-t200-b64-l1-bi-th2", 120.0);
    steady(&c, "train_step", "rnn", "h128-t200-b64-l2-th2", 120.0);
    let checks = Checks::run(&read_criterion(&c).unwrap());
    assert!(
        !checks
            .problems
            .iter()
            .any(|p| p.gate == Gate::ThroughputRisesWithWork),
        "{:?}",
        checks.problems
    );
    // On one layer and direction the same figures are a problem.
    steady(&c, "train_step", "rnn", "h128-t200-b64-l1-th2", 120.0);
    let checks = Checks::run(&read_criterion(&c).unwrap());
    let rising: Vec<&Problem> = checks
        .problems
        .iter()
        .filter(|p| p.gate == Gate::ThroughputRisesWithWork)
        .collect();
    assert_eq!(rising.len(), 1, "{:?}", checks.problems);
    assert_eq!(
        rising[0].benches,
        [
            "train_step/rnn/h256-t200-b64-l1-th2",
            "train_step/rnn/h128-t200-b64-l1-th2"
        ]
    );
}

#[test]
fn a_remeasured_bench_names_the_drift_it_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let c = dir.path().join("criterion");
    // The LSTM drifted once (0.77×) and its re-measurement is steady; the
    // GRU drifted in all three of its measurements.
    steady(&c, "train_step", "lstm", "h128-t200-b64-l1-th2", 100.0);
    let p = "h128-t200-b64-l1-th2";
    estimates(&c, "train_step", "gru", p, 140e6);
    samples(
        &c,
        "train_step",
        "gru",
        p,
        &[
            120.0, 121.0, 119.0, 140.0, 141.0, 139.0, 140.0, 160.0, 161.0, 159.0,
        ],
    );
    let condition = |replaced: serde_json::Value| {
        serde_json::json!({
        "started_unix_secs": 1, "flush_denormal": true, "flush_denormal_supported": true,
        "flush_denormal_effective": true, "quick": false, "warmup_steps": 6, "warmup_secs": 0.7,
        "warmup_first_step_secs": 0.11, "warmup_last_step_secs": 0.1, "warmup_stable": true,
        "remeasurements": replaced.as_array().unwrap().len(), "replaced": replaced})
    };
    let m = |ratio: f64, drifts: bool, disturbed: u64| {
        serde_json::json!({"thirds_ratio": ratio, "drifts": drifts, "samples": 10,
            "samples_disturbed": disturbed})
    };
    let conditions = serde_json::json!({"benches": {
        "train_step/lstm/h128-t200-b64-l1-th2": condition(serde_json::json!([m(0.77, true, 0)])),
        "train_step/gru/h128-t200-b64-l1-th2":
            condition(serde_json::json!([m(0.8, true, 0), m(1.02, false, 9)]))}});
    std::fs::write(
        c.join(crate::bench::BENCH_CONDITIONS_FILE),
        conditions.to_string(),
    )
    .unwrap();
    let results = read_criterion(&c).unwrap();
    let lstm = results.iter().find(|r| r.function == "lstm").unwrap();
    assert_eq!(
        lstm.condition.as_ref().unwrap().replaced[0].thirds_ratio,
        Some(0.77)
    );
    let checks = Checks::run(&results);
    assert!(!checks.drifts("train_step/lstm/h128-t200-b64-l1-th2"));
    assert!(checks.drifts("train_step/gru/h128-t200-b64-l1-th2"));
    let drift: Vec<&Problem> = checks
        .problems
        .iter()
        .filter(|p| p.gate == Gate::Drift)
        .collect();
    assert_eq!(drift.len(), 1, "{:?}", checks.problems);
    assert!(
        drift[0].message.ends_with(
            "; it was measured 3 times, and the replaced measurements were no better (last/first third: 0.80; 1.02, 9 of 10 disturbed)"
        ),
        "{}",
        drift[0].message
    );

    let html =
        std::fs::read_to_string(render_bench_report(&c, &dir.path().join("out")).unwrap()).unwrap();
    assert!(
        html.contains("in a trend, or more than 33% of their samples stayed disturbed (last/first third, replaced → kept): 2: "),
        "{html}"
    );
    assert!(
        html.contains("train_step/gru/h128-t200-b64-l1-th2 (0.80; 1.02, 9 of 10 disturbed → 1.33)")
    );
    assert!(html.contains("train_step/lstm/h128-t200-b64-l1-th2 (0.77 → 1.00)"));
    assert!(
        html.contains("1 still drift or stayed mostly disturbed after the last re-measurement.")
    );
    assert!(
        html.contains("<td>1.00, re-measured (was 0.77)</td>"),
        "{html}"
    );
    assert!(html.contains("<td>1.33 drifts, re-measured (was 0.80; 1.02, 9 of 10 disturbed)</td>"));
}

#[test]
fn series_benches_become_a_table_of_time_steps_per_sec() {
    let dir = tempfile::tempdir().unwrap();
    let c = dir.path().join("criterion");
    let lstm = "c12-e32-h64-t29-b16-l1-th2";
    let gru = "c12-e32-h76-t29-b16-l1-th2";
    let rnn = "c12-e32-h140-t29-b16-l1-th2";
    for (group, scale) in [("series_forward", 1.0), ("series_train_step", 4.0)] {
        for (cell, parameter, ms) in [("lstm", lstm, 2.0), ("gru", gru, 2.5), ("rnn", rnn, 1.0)] {
            steady(&c, group, cell, parameter, ms * scale);
            benchmark_json(&c, group, cell, parameter, 464);
        }
    }
    // The existing groups read as before beside them.
    steady(&c, "train_step", "lstm", "h128-t200-b64-l1-th2", 80.0);
    let results = read_criterion(&c).unwrap();
    assert_eq!(results.len(), 7);
    let r = results
        .iter()
        .find(|r| r.group == g("series_train_step") && r.function == "gru")
        .unwrap();
    assert_eq!(r.id(), format!("series_train_step/gru/{gru}"));
    assert_eq!(r.shape(), None);
    assert_eq!(r.series().unwrap().shape.hidden, 76);
    assert!((r.tokens_per_sec().unwrap() - 464.0 / 0.010).abs() < 1e-6);
    let flops = r.series().unwrap().train_step_flops(Cell::Gru);
    assert_eq!(r.flops(), Some(flops));
    assert_eq!(series::threads(&results), 2);
    assert_eq!(Checks::run(&results).problems, []);

    let page = render_bench_report(&c, &dir.path().join("out")).unwrap();
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(
        html.contains(
            "<h2>series_train_step: numeric series through the linear input layer, cells matched by parameter count</h2>"
        ),
        "{html}"
    );
    assert!(html.contains("<th>time steps/s</th>"), "{html}");
    assert!(html.contains(&format!("<td>rnn</td><td>{rnn}</td><td>1.00</td>")));
    assert!(
        html.contains(
            "series forward at the same parameter count (LSTM H 64, GRU H 76): GRU/LSTM time ratio 1.25 (LSTM faster)"
        ),
        "{html}"
    );
    assert!(html.contains("<h2>train_step</h2>"));
}

#[test]
fn a_series_train_step_faster_than_its_forward_pass_is_a_problem() {
    let p = "c12-e32-h64-t29-b16-l1-th2";
    let results = vec![
        result("series_forward", "lstm", p, 2.0),
        result("series_train_step", "lstm", p, 1.5),
        // Another group's forward pass at the same name is no partner.
        result("forward", "gru", p, 9.0),
        result("series_train_step", "gru", p, 5.0),
    ];
    let problems = Checks::run(&results).problems;
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].gate, Gate::TrainStepFasterThanForward);
    assert_eq!(
        problems[0].benches,
        [
            format!("series_train_step/lstm/{p}"),
            format!("series_forward/lstm/{p}")
        ]
    );
}
