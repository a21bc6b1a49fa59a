//! The bench report: criterion's results (`target/criterion/**/new/estimates.json`)
//! as tokens/s, achieved GFLOP/s against this machine's matrix-multiply peak,
//! the GRU/LSTM time ratio per shape, and log-log scaling fits.
//!
//! FLOPs are counted in one place ([`forward_flops`]): a multiply-add is 2
//! FLOPs; per layer, direction and token a cell does `2·G·H·(in + H)` (G gate
//! blocks: LSTM 4, GRU 3, RNN 1); the head adds `2·classes·directions·H` per
//! sequence; element-wise gate arithmetic and the embedding lookup are left
//! out. A train step counts 3× the forward FLOPs (the backward pass computes
//! gradients for both the inputs and the weights); Adam's update is left out.

use std::path::{Path, PathBuf};

use super::charts::draw_lines_loglog;
use super::html::escape;
use super::series::Line;
use crate::error::{Error, Result};
use crate::model::Cell;

/// Classes of the benches' classifier.
pub const BENCH_CLASSES: i64 = 2;
/// Embedding width of the benches' classifier.
pub const BENCH_EMBED: i64 = 128;

/// A bench's shape, parsed from its name `h{H}-t{T}-b{B}-l{L}[-bi]-th{threads}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BenchShape {
    /// Hidden size.
    pub hidden: i64,
    /// Sequence length (tokens).
    pub seq: i64,
    /// Batch size.
    pub batch: i64,
    /// Layers.
    pub layers: i64,
    /// Bidirectional.
    pub bidirectional: bool,
    /// CPU threads.
    pub threads: i64,
}

impl BenchShape {
    /// Parses a shape name; `None` when it is not one.
    pub fn parse(name: &str) -> Option<BenchShape> {
        let mut shape = BenchShape {
            hidden: 0,
            seq: 0,
            batch: 0,
            layers: 0,
            bidirectional: false,
            threads: 0,
        };
        for part in name.split('-') {
            let number = |prefix: &str| {
                part.strip_prefix(prefix)
                    .and_then(|v| v.parse::<i64>().ok())
            };
            if part == "bi" {
                shape.bidirectional = true;
            } else if let Some(v) = number("th") {
                shape.threads = v;
            } else if let Some(v) = number("h") {
                shape.hidden = v;
            } else if let Some(v) = number("t") {
                shape.seq = v;
            } else if let Some(v) = number("b") {
                shape.batch = v;
            } else if let Some(v) = number("l") {
                shape.layers = v;
            } else {
                return None;
            }
        }
        (shape.hidden > 0 && shape.seq > 0 && shape.batch > 0 && shape.layers > 0).then_some(shape)
    }

    /// Tokens per iteration: batch x sequence length.
    pub fn tokens(&self) -> f64 {
        (self.batch * self.seq) as f64
    }
}

/// FLOPs of one forward pass of the benches' classifier (see the module doc).
pub fn forward_flops(cell: Cell, shape: &BenchShape) -> f64 {
    let (g, h) = (cell.gate_blocks() as f64, shape.hidden as f64);
    let dirs = if shape.bidirectional { 2.0 } else { 1.0 };
    let per_token: f64 = (0..shape.layers)
        .map(|layer| {
            let input = if layer == 0 {
                BENCH_EMBED as f64
            } else {
                dirs * h
            };
            dirs * 2.0 * g * h * (input + h)
        })
        .sum();
    per_token * shape.tokens() + 2.0 * BENCH_CLASSES as f64 * dirs * h * shape.batch as f64
}

/// FLOPs of one train step: 3x the forward pass.
pub fn train_step_flops(cell: Cell, shape: &BenchShape) -> f64 {
    3.0 * forward_flops(cell, shape)
}

/// One bench's result.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchResult {
    /// Criterion group, e.g. `train_step` or `forward-cuda`.
    pub group: String,
    /// The bench's function name: a cell name, or e.g. `peak` for the matmul.
    pub function: String,
    /// The parameter part of the name.
    pub parameter: String,
    /// Median seconds per iteration.
    pub median_secs: f64,
    /// Lower bound of criterion's 95% CI of the median.
    pub ci_low_secs: f64,
    /// Upper bound of criterion's 95% CI of the median.
    pub ci_high_secs: f64,
}

impl BenchResult {
    /// The cell, for cell benches.
    pub fn cell(&self) -> Option<Cell> {
        self.function.parse().ok()
    }

    /// The shape, for cell benches.
    pub fn shape(&self) -> Option<BenchShape> {
        BenchShape::parse(&self.parameter)
    }

    /// FLOPs per iteration, for cell benches (forward or train step by group).
    pub fn flops(&self) -> Option<f64> {
        let (cell, shape) = (self.cell()?, self.shape()?);
        Some(if self.group.starts_with("forward") {
            forward_flops(cell, &shape)
        } else {
            train_step_flops(cell, &shape)
        })
    }
}

/// Reads every `<group>/<function>/<parameter>/new/estimates.json` under
/// `dir` (criterion's layout); errors name the file.
pub fn read_criterion(dir: &Path) -> Result<Vec<BenchResult>> {
    let mut results = Vec::new();
    let list = |d: &Path| -> Result<Vec<PathBuf>> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(d)
            .map_err(|e| Error::io(d, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_dir())
            .collect();
        v.sort();
        Ok(v)
    };
    for group in list(dir)? {
        for function in list(&group)? {
            for parameter in list(&function)? {
                let file = parameter.join("new").join("estimates.json");
                if !file.is_file() {
                    continue;
                }
                let json: serde_json::Value = crate::record::read_json(&file)?;
                let median = &json["median"];
                let number = |v: &serde_json::Value| {
                    v.as_f64()
                        .ok_or_else(|| Error::data(&file, None, None, "no median estimate"))
                };
                let name = |p: &Path| {
                    p.file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default()
                };
                results.push(BenchResult {
                    group: name(&group),
                    function: name(&function),
                    parameter: name(&parameter),
                    median_secs: number(&median["point_estimate"])? * 1e-9,
                    ci_low_secs: number(&median["confidence_interval"]["lower_bound"])? * 1e-9,
                    ci_high_secs: number(&median["confidence_interval"]["upper_bound"])? * 1e-9,
                });
            }
        }
    }
    Ok(results)
}

/// Least-squares slope of `ln y` against `ln x`: the exponent `k` in
/// `y ∝ x^k`. `None` with fewer than two distinct positive `x`.
pub fn fit_exponent(points: &[(f64, f64)]) -> Option<f64> {
    let logs: Vec<(f64, f64)> = points
        .iter()
        .filter(|p| p.0 > 0.0 && p.1 > 0.0)
        .map(|p| (p.0.ln(), p.1.ln()))
        .collect();
    let n = logs.len() as f64;
    if logs.len() < 2 {
        return None;
    }
    let (mx, my) = (
        logs.iter().map(|p| p.0).sum::<f64>() / n,
        logs.iter().map(|p| p.1).sum::<f64>() / n,
    );
    let sxx: f64 = logs.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let sxy: f64 = logs.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    (sxx > 0.0).then(|| sxy / sxx)
}

/// The base shape of the sweep (`benches/throughput.rs`): hidden 128,
/// length 200, batch 64, one unidirectional layer.
fn is_base(s: &BenchShape) -> bool {
    s.layers == 1 && !s.bidirectional && s.batch == 64
}

/// Writes `out/report.html` and its charts from the criterion results in
/// `criterion_dir`; returns the page's path.
pub fn render_bench_report(criterion_dir: &Path, out: &Path) -> Result<PathBuf> {
    let results = read_criterion(criterion_dir)?;
    if results.is_empty() {
        return Err(Error::results(
            criterion_dir,
            "no criterion results here (run `cargo bench --bench throughput` first)",
        ));
    }
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    let peak_flops = results
        .iter()
        .filter(|r| r.group == "matmul")
        .map(|r| {
            let n: f64 = r
                .parameter
                .trim_start_matches('n')
                .split('-')
                .next()
                .and_then(|v| v.parse().ok())
                .unwrap_or(0.0);
            2.0 * n * n * n / r.median_secs
        })
        .fold(f64::NAN, f64::max);
    let mut body = String::new();
    let mut findings = Vec::new();
    let mut charts = Vec::new();
    for group in ["forward", "train_step", "forward-cuda", "train_step-cuda"] {
        let rows: Vec<&BenchResult> = results
            .iter()
            .filter(|r| r.group == group && r.cell().is_some())
            .collect();
        if rows.is_empty() {
            continue;
        }
        for (axis, label, fixed) in [
            (
                "hidden",
                "hidden size",
                Box::new(|s: &BenchShape| s.seq == 200) as Box<dyn Fn(&BenchShape) -> bool>,
            ),
            (
                "seq",
                "sequence length (tokens)",
                Box::new(|s: &BenchShape| s.hidden == 128),
            ),
        ] {
            let mut lines = Vec::new();
            for cell in Cell::ALL {
                let mut points: Vec<(f64, f64)> = rows
                    .iter()
                    .filter(|r| r.cell() == Some(cell))
                    .filter_map(|r| r.shape().map(|s| (s, r.median_secs)))
                    .filter(|(s, _)| is_base(s) && fixed(s))
                    .map(|(s, secs)| {
                        (
                            if axis == "hidden" {
                                s.hidden as f64
                            } else {
                                s.seq as f64
                            },
                            secs,
                        )
                    })
                    .collect();
                points.sort_by(|a, b| a.0.total_cmp(&b.0));
                if points.len() < 2 {
                    continue;
                }
                if let Some(k) = fit_exponent(&points) {
                    findings.push(format!(
                        "{group}: {} time ∝ {}^{k:.2} (fitted over {} points; textbook O(T·H²) per layer predicts {})",
                        cell.display_name(),
                        if axis == "hidden" { "H" } else { "T" },
                        points.len(),
                        if axis == "hidden" { "up to 2" } else { "1" }
                    ));
                }
                lines.push(Line {
                    model: cell.name().to_string(),
                    label: cell.display_name().to_string(),
                    points,
                });
            }
            if !lines.is_empty() {
                let file = format!("{group}-time-vs-{axis}.png");
                draw_lines_loglog(
                    &out.join(&file),
                    &format!("{group}: time per iteration against {label}"),
                    label,
                    "seconds per iteration (median)",
                    &lines,
                )?;
                charts.push((
                    file,
                    format!(
                        "{group}: seconds per iteration against {label}, log-log, one line per cell"
                    ),
                ));
            }
        }
        // GRU / LSTM time ratio per shape.
        for r in rows.iter().filter(|r| r.cell() == Some(Cell::Gru)) {
            if let Some(lstm) = rows
                .iter()
                .find(|l| l.cell() == Some(Cell::Lstm) && l.parameter == r.parameter)
            {
                let ratio = r.median_secs / lstm.median_secs;
                findings.push(format!(
                    "{group} {}: GRU/LSTM time ratio {ratio:.2} ({} faster)",
                    r.parameter,
                    if ratio < 1.0 { "GRU" } else { "LSTM" }
                ));
            }
        }
        body.push_str(&format!(
            "<h2>{}</h2>\n<table>\n<tr><th>cell</th><th>shape</th><th>median ms</th><th>95% CI ms</th><th>tokens/s</th><th>GFLOP/s</th><th>of matmul peak</th></tr>\n",
            escape(group)
        ));
        for r in &rows {
            let shape = r.shape();
            let tokens = shape
                .map(|s| s.tokens() / r.median_secs)
                .unwrap_or(f64::NAN);
            let gflops = r
                .flops()
                .map(|f| f / r.median_secs / 1e9)
                .unwrap_or(f64::NAN);
            let efficiency = gflops * 1e9 / peak_flops;
            body.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{:.2}</td><td>{:.2} – {:.2}</td><td>{:.0}</td><td>{:.1}</td><td>{}</td></tr>\n",
                escape(&r.function),
                escape(&r.parameter),
                r.median_secs * 1e3,
                r.ci_low_secs * 1e3,
                r.ci_high_secs * 1e3,
                tokens,
                gflops,
                if efficiency.is_finite() { format!("{:.1}%", efficiency * 100.0) } else { "—".into() }
            ));
        }
        body.push_str("</table>\n");
    }
    let mut page = String::from(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>rnnbench benches</title>\
         <style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}\
         table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}\
         img{max-width:100%}</style></head><body>\n<h1>rnnbench: cell throughput</h1>\n",
    );
    if peak_flops.is_finite() {
        page.push_str(&format!(
            "<p>Matrix-multiply peak measured alongside: {:.1} GFLOP/s.</p>\n",
            peak_flops / 1e9
        ));
    }
    page.push_str("<ul>\n");
    for f in &findings {
        page.push_str(&format!("<li>{}</li>\n", escape(f)));
    }
    page.push_str("</ul>\n");
    for (file, alt) in &charts {
        page.push_str(&format!(
            "<img src=\"{}\" alt=\"{}\">\n",
            escape(file),
            escape(alt)
        ));
    }
    page.push_str(&body);
    page.push_str("<p>FLOPs: multiply-adds count 2; per layer, direction and token 2·G·H·(in + H); a train step counts 3× the forward pass; element-wise gate arithmetic, the embedding and Adam are left out.</p>\n</body></html>\n");
    let path = out.join("report.html");
    std::fs::write(&path, page).map_err(|e| Error::io(&path, e))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shape_names_parse() {
        let s = BenchShape::parse("h128-t200-b64-l2-bi-th2").unwrap();
        assert_eq!(
            (
                s.hidden,
                s.seq,
                s.batch,
                s.layers,
                s.bidirectional,
                s.threads
            ),
            (128, 200, 64, 2, true, 2)
        );
        assert_eq!(BenchShape::parse("n1024-th2"), None);
    }

    #[test]
    fn lstm_forward_flops_by_hand() {
        // 2·4·128·(128+128) per token x 64·200 tokens, plus the head 2·2·128·64.
        let s = BenchShape::parse("h128-t200-b64-l1-th2").unwrap();
        assert_eq!(
            forward_flops(Cell::Lstm, &s),
            2.0 * 4.0 * 128.0 * 256.0 * 12_800.0 + 32_768.0
        );
        assert_eq!(
            train_step_flops(Cell::Gru, &s),
            3.0 * forward_flops(Cell::Gru, &s)
        );
        let bi = BenchShape::parse("h10-t1-b1-l2-bi-th1").unwrap();
        let layer0 = 2.0 * 2.0 * 3.0 * 10.0 * (128.0 + 10.0);
        let layer1 = 2.0 * 2.0 * 3.0 * 10.0 * (20.0 + 10.0);
        assert_eq!(
            forward_flops(Cell::Gru, &bi),
            layer0 + layer1 + 2.0 * 2.0 * 2.0 * 10.0
        );
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
            html.contains(
                "train_step h128-t200-b64-l1-th2: GRU/LSTM time ratio 1.10 (LSTM faster)"
            )
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
}
