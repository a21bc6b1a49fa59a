//! The bench report on fixture criterion folders.

use std::path::Path;

use super::*;
use crate::model::{BatchingMode, BenchGroupId, Cell};

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
    assert!(
        html.contains("train_step h64-t200-b64-l1-th2: GRU/LSTM time ratio 0.80 (GRU faster)"),
        "{html}"
    );
    assert!(
        html.contains("train_step h128-t200-b64-l1-th2: GRU/LSTM time ratio 1.10 (LSTM faster)")
    );
    assert!(html.contains("LSTM time ∝ H^"));
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
        .ratios
        .iter()
        .map(|row| {
            row.iter()
                .map(|r| r.map(|v| (v * 1e9).round() / 1e9))
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
        .map(|r| (r.group.to_string(), r.cell, r.bench.mode))
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
    assert!((lstm_packed.speedup_over_padded.unwrap() - 1.25).abs() < 1e-12);
    assert_eq!(rows[0].speedup_over_padded, None);
    assert!((rows[5].speedup_over_padded.unwrap() - 3.0).abs() < 1e-12);

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
