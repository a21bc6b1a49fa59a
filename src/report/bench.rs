//! The bench report: criterion's results (`target/criterion/**/new/estimates.json`)
//! as tokens/s, achieved GFLOP/s against this machine's matrix-multiply peak,
//! the GRU/LSTM time ratio per shape, and log-log scaling fits.
//!
//! Also: tokens/s against hidden size and against sequence length, the
//! GRU/LSTM ratio over the (hidden, length) grid as a heatmap
//! ([`ratio_grid`]), and padded vs packed vs length-bucketed batches of real
//! review lengths ([`BatchingBench`]). Charts are drawn by [`charts`].
//!
//! FLOPs are counted in one place ([`forward_flops`]): a multiply-add is 2
//! FLOPs; per layer, direction and token a cell does `2·G·H·(in + H)` (G gate
//! blocks: LSTM 4, GRU 3, RNN 1); the head adds `2·classes·directions·H` per
//! sequence; element-wise gate arithmetic and the embedding lookup are left
//! out. A train step counts 3× the forward FLOPs (the backward pass computes
//! gradients for both the inputs and the weights); Adam's update is left out.

use std::path::{Path, PathBuf};

pub mod charts;

use self::charts::{
    BatchingBar, draw_batching, draw_loglog, draw_ratio_heatmap, draw_tokens_per_sec,
};
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
    /// Criterion's throughput elements per iteration (`benchmark.json`):
    /// tokens for the cell benches, real tokens for the batching benches;
    /// `None` when the file or the field is absent.
    pub elements: Option<f64>,
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

    /// The batching mode, slice size and shape, for batching benches.
    pub fn batching(&self) -> Option<BatchingBench> {
        BatchingBench::parse(&self.parameter)
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
                let json: serde_json::Value = crate::results::read_json(&file)?;
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
                let benchmark = parameter.join("new").join("benchmark.json");
                let elements = if benchmark.is_file() {
                    let json: serde_json::Value = crate::results::read_json(&benchmark)?;
                    json["throughput"]["Elements"].as_f64()
                } else {
                    None
                };
                results.push(BenchResult {
                    group: name(&group),
                    function: name(&function),
                    parameter: name(&parameter),
                    median_secs: number(&median["point_estimate"])? * 1e-9,
                    ci_low_secs: number(&median["confidence_interval"]["lower_bound"])? * 1e-9,
                    ci_high_secs: number(&median["confidence_interval"]["upper_bound"])? * 1e-9,
                    elements,
                });
            }
        }
    }
    Ok(results)
}

/// How the batching benches feed uneven sequences to the cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchingMode {
    /// Random batches, every sequence padded to the length cap.
    Padded,
    /// The same random batches, packed (the cell steps over real tokens only).
    Packed,
    /// Length-bucketed batches, each padded to its own longest member (as
    /// `compare` trains).
    Bucketed,
}

impl BatchingMode {
    /// Every mode, in the order the report shows them.
    pub const ALL: [BatchingMode; 3] = [
        BatchingMode::Padded,
        BatchingMode::Packed,
        BatchingMode::Bucketed,
    ];

    /// The mode's name in bench names: `padded`, `packed`, `bucketed`.
    pub fn name(self) -> &'static str {
        match self {
            BatchingMode::Padded => "padded",
            BatchingMode::Packed => "packed",
            BatchingMode::Bucketed => "bucketed",
        }
    }
}

/// A batching bench's parameter, `{mode}-n{batches}-{shape}` (e.g.
/// `packed-n4-h128-t400-b64-l1-th2`, where `t` is the length cap).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchingBench {
    /// How the batches were fed.
    pub mode: BatchingMode,
    /// Batches per iteration (the epoch slice).
    pub batches: i64,
    /// Hidden size, length cap, batch size, layers, threads.
    pub shape: BenchShape,
}

impl BatchingBench {
    /// Parses a batching parameter; `None` when it is not one.
    pub fn parse(name: &str) -> Option<BatchingBench> {
        let mut parts = name.splitn(3, '-');
        let mode_name = parts.next()?;
        let mode = BatchingMode::ALL
            .into_iter()
            .find(|m| m.name() == mode_name)?;
        let batches = parts.next()?.strip_prefix('n')?.parse().ok()?;
        let shape = BenchShape::parse(parts.next()?)?;
        Some(BatchingBench {
            mode,
            batches,
            shape,
        })
    }
}

/// The GRU/LSTM time ratio over the (hidden size, sequence length) grid of
/// one group, at batch 64, one unidirectional layer.
#[derive(Debug, Clone, PartialEq)]
pub struct RatioGrid {
    /// Hidden sizes with at least one ratio, ascending (rows).
    pub hiddens: Vec<i64>,
    /// Sequence lengths with at least one ratio, ascending (columns).
    pub seqs: Vec<i64>,
    /// `ratios[row][col]`: GRU median / LSTM median at `hiddens[row]`,
    /// `seqs[col]`; `None` where the point was not benched for both cells.
    pub ratios: Vec<Vec<Option<f64>>>,
}

/// The GRU/LSTM ratio grid of `group`'s cell benches; `None` when no shape
/// has both cells.
pub fn ratio_grid(results: &[BenchResult], group: &str) -> Option<RatioGrid> {
    let median = |cell: Cell, s: &BenchShape| {
        results
            .iter()
            .filter(|r| r.group == group && r.cell() == Some(cell))
            .find(|r| r.shape().as_ref() == Some(s))
            .map(|r| r.median_secs)
    };
    let mut points = vec![];
    for r in results
        .iter()
        .filter(|r| r.group == group && r.cell() == Some(Cell::Gru))
    {
        let Some(s) = r.shape().filter(is_base) else {
            continue;
        };
        if let Some(lstm) = median(Cell::Lstm, &s) {
            points.push((s.hidden, s.seq, r.median_secs / lstm));
        }
    }
    if points.is_empty() {
        return None;
    }
    let axis = |f: fn(&(i64, i64, f64)) -> i64| {
        let mut v: Vec<i64> = points.iter().map(f).collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    let (hiddens, seqs) = (axis(|p| p.0), axis(|p| p.1));
    let ratios = hiddens
        .iter()
        .map(|&h| {
            seqs.iter()
                .map(|&t| points.iter().find(|p| p.0 == h && p.1 == t).map(|p| p.2))
                .collect()
        })
        .collect();
    Some(RatioGrid {
        hiddens,
        seqs,
        ratios,
    })
}

/// Tokens/s lines of `group` against `axis` (`hidden` at length 200, or
/// `seq` at hidden 128), one per cell, batch 64, one unidirectional layer.
pub fn tokens_per_sec_lines(results: &[BenchResult], group: &str, axis: SweepAxis) -> Vec<Line> {
    let mut lines = vec![];
    for cell in Cell::ALL {
        let mut points: Vec<(f64, f64)> = results
            .iter()
            .filter(|r| r.group == group && r.cell() == Some(cell))
            .filter_map(|r| r.shape().map(|s| (s, r.median_secs)))
            .filter(|(s, _)| is_base(s) && axis.on_line(s))
            .map(|(s, secs)| (axis.x(&s), s.tokens() / secs))
            .collect();
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
        if points.len() >= 2 {
            lines.push(Line {
                model: cell,
                label: cell.display_name().to_string(),
                points,
            });
        }
    }
    lines
}

/// A direction of the sweep through the base shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SweepAxis {
    /// Hidden size, at sequence length 200.
    Hidden,
    /// Sequence length, at hidden size 128.
    Seq,
}

impl SweepAxis {
    /// Short name, used in file names: `hidden`, `seq`.
    pub fn name(self) -> &'static str {
        match self {
            SweepAxis::Hidden => "hidden",
            SweepAxis::Seq => "seq",
        }
    }

    /// Axis title.
    pub fn label(self) -> &'static str {
        match self {
            SweepAxis::Hidden => "hidden size",
            SweepAxis::Seq => "sequence length (tokens)",
        }
    }

    /// Whether `s` lies on this axis' line through the base shape.
    pub fn on_line(self, s: &BenchShape) -> bool {
        match self {
            SweepAxis::Hidden => s.seq == 200,
            SweepAxis::Seq => s.hidden == 128,
        }
    }

    /// The swept value of `s`.
    pub fn x(self, s: &BenchShape) -> f64 {
        match self {
            SweepAxis::Hidden => s.hidden as f64,
            SweepAxis::Seq => s.seq as f64,
        }
    }
}

/// One row of the batching table: a cell's time per epoch slice in one
/// mode, in real tokens per second and relative to padding.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchingRow {
    /// Criterion group (`batching_forward`, `batching_train_step`, `-cuda`).
    pub group: String,
    /// Cell name.
    pub cell: String,
    /// The bench's parameter.
    pub bench: BatchingBench,
    /// Median seconds per slice.
    pub median_secs: f64,
    /// Real (not padding) tokens per second; NaN without criterion's throughput.
    pub real_tokens_per_sec: f64,
    /// Padded time / this time for the same cell and group (> 1: faster
    /// than padding); `None` without a padded bench.
    pub speedup_over_padded: Option<f64>,
}

/// The batching benches of `results` as rows, in cell then mode order.
pub fn batching_rows(results: &[BenchResult]) -> Vec<BatchingRow> {
    let mut rows: Vec<BatchingRow> = results
        .iter()
        .filter(|r| r.group.starts_with("batching"))
        .filter_map(|r| {
            let bench = r.batching()?;
            let padded = results
                .iter()
                .filter(|p| p.group == r.group && p.function == r.function)
                .find(|p| {
                    p.batching()
                        .is_some_and(|b| b.mode == BatchingMode::Padded && b.shape == bench.shape)
                });
            Some(BatchingRow {
                group: r.group.clone(),
                cell: r.function.clone(),
                bench,
                median_secs: r.median_secs,
                real_tokens_per_sec: r.elements.map_or(f64::NAN, |e| e / r.median_secs),
                speedup_over_padded: padded.map(|p| p.median_secs / r.median_secs),
            })
        })
        .collect();
    let cell_order = |c: &str| {
        Cell::ALL
            .iter()
            .position(|x| x.name() == c)
            .unwrap_or(usize::MAX)
    };
    let mode_order = |m: BatchingMode| BatchingMode::ALL.iter().position(|x| *x == m);
    rows.sort_by_key(|r| {
        (
            r.group.clone(),
            cell_order(&r.cell),
            mode_order(r.bench.mode),
        )
    });
    rows
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

/// File names of the bench report's charts, in one place.
pub mod chart_files {
    /// Tokens/s against `axis` (`hidden`, `seq`), forward and train step
    /// side by side; `device_tag` is `""` or `-cuda`.
    pub fn tokens_per_sec(axis: &str, device_tag: &str) -> String {
        format!("tokens-per-sec-vs-{axis}{device_tag}.png")
    }
    /// Log-log time against `axis` for one group.
    pub fn time(group: &str, axis: &str) -> String {
        format!("{group}-time-vs-{axis}.png")
    }
    /// The GRU/LSTM ratio heatmap of one group.
    pub fn ratio_heatmap(group: &str) -> String {
        format!("{group}-gru-lstm-ratio.png")
    }
    /// Padded vs packed vs bucketed; `device_tag` is `""` or `-cuda`.
    pub fn batching(device_tag: &str) -> String {
        format!("batching{device_tag}.png")
    }
}

/// A group's title on the page and in charts: `train_step-cuda` → `train step (CUDA)`.
fn group_title(group: &str) -> String {
    let (name, cuda) = match group.strip_suffix("-cuda") {
        Some(n) => (n, " (CUDA)"),
        None => (group, ""),
    };
    format!("{}{cuda}", name.replace('_', " "))
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
    let threads = results
        .iter()
        .filter_map(|r| r.shape().or(r.batching().map(|b| b.shape)))
        .map(|s| s.threads)
        .max()
        .unwrap_or(0);
    let mut body = String::new();
    let mut findings = Vec::new();
    // (section title, [(file, alt)])
    let mut sections: Vec<(String, Vec<(String, String)>)> = Vec::new();

    for device_tag in ["", "-cuda"] {
        let mut charts = vec![];
        for axis in [SweepAxis::Hidden, SweepAxis::Seq] {
            let panels: Vec<(String, Vec<Line>)> = ["forward", "train_step"]
                .iter()
                .map(|g| format!("{g}{device_tag}"))
                .map(|g| (group_title(&g), tokens_per_sec_lines(&results, &g, axis)))
                .filter(|(_, lines)| !lines.is_empty())
                .collect();
            if panels.is_empty() {
                continue;
            }
            let file = chart_files::tokens_per_sec(axis.name(), device_tag);
            draw_tokens_per_sec(
                &out.join(&file),
                &format!(
                    "Tokens/s against {} (batch 64, {threads} threads{})",
                    axis.label(),
                    if device_tag.is_empty() { "" } else { ", CUDA" }
                ),
                axis.label(),
                &panels,
            )?;
            charts.push((
                file,
                format!(
                    "tokens per second against {}, one line per cell, forward and train step",
                    axis.label()
                ),
            ));
        }
        if !charts.is_empty() {
            sections.push((
                format!(
                    "Throughput{}",
                    if device_tag.is_empty() { "" } else { " (CUDA)" }
                ),
                charts,
            ));
        }
    }

    let mut ratio_charts = vec![];
    for group in ["train_step", "forward", "train_step-cuda", "forward-cuda"] {
        let Some(grid) = ratio_grid(&results, group) else {
            continue;
        };
        let file = chart_files::ratio_heatmap(group);
        draw_ratio_heatmap(
            &out.join(&file),
            &format!(
                "GRU / LSTM time, {} (> 1: GRU slower, < 1: GRU faster)",
                group_title(group)
            ),
            &grid,
        )?;
        ratio_charts.push((
            file,
            format!(
                "GRU/LSTM time ratio of {} over hidden size and sequence length",
                group_title(group)
            ),
        ));
        let (mut faster, mut slower) = (vec![], vec![]);
        for (h, row) in grid.hiddens.iter().zip(&grid.ratios) {
            for (t, ratio) in grid.seqs.iter().zip(row) {
                match ratio {
                    Some(r) if *r < 1.0 => faster.push(format!("H {h}, T {t} ({r:.2})")),
                    Some(r) => slower.push(format!("H {h}, T {t} ({r:.2})")),
                    None => {}
                }
            }
        }
        findings.push(format!(
            "{}: GRU is faster than LSTM at {}; slower at {}.",
            group_title(group),
            if faster.is_empty() {
                "no benched point".to_string()
            } else {
                faster.join(", ")
            },
            if slower.is_empty() {
                "no benched point".to_string()
            } else {
                slower.join(", ")
            }
        ));
    }
    if !ratio_charts.is_empty() {
        sections.push(("GRU against LSTM".into(), ratio_charts));
    }

    for group in ["forward", "train_step", "forward-cuda", "train_step-cuda"] {
        let rows: Vec<&BenchResult> = results
            .iter()
            .filter(|r| r.group == group && r.cell().is_some())
            .collect();
        if rows.is_empty() {
            continue;
        }
        let mut charts = vec![];
        for axis in [SweepAxis::Hidden, SweepAxis::Seq] {
            let mut lines = Vec::new();
            for cell in Cell::ALL {
                let mut points: Vec<(f64, f64)> = rows
                    .iter()
                    .filter(|r| r.cell() == Some(cell))
                    .filter_map(|r| r.shape().map(|s| (s, r.median_secs)))
                    .filter(|(s, _)| is_base(s) && axis.on_line(s))
                    .map(|(s, secs)| (axis.x(&s), secs * 1e3))
                    .collect();
                points.sort_by(|a, b| a.0.total_cmp(&b.0));
                if points.len() < 2 {
                    continue;
                }
                let symbol = if axis == SweepAxis::Hidden { "H" } else { "T" };
                let mut label = cell.display_name().to_string();
                if let Some(k) = fit_exponent(&points) {
                    findings.push(format!(
                        "{group}: {} time ∝ {symbol}^{k:.2} (fitted over {} points; textbook O(T·H²) per layer predicts {})",
                        cell.display_name(),
                        points.len(),
                        if axis == SweepAxis::Hidden { "up to 2" } else { "1" }
                    ));
                    label = format!("{label} (∝ {symbol}^{k:.2})");
                }
                lines.push(Line {
                    model: cell,
                    label,
                    points,
                });
            }
            if !lines.is_empty() {
                let file = chart_files::time(group, axis.name());
                draw_loglog(
                    &out.join(&file),
                    &format!(
                        "{}: time per iteration against {}",
                        group_title(group),
                        axis.label()
                    ),
                    axis.label(),
                    "milliseconds per iteration (median)",
                    &lines,
                )?;
                charts.push((
                    file,
                    format!(
                        "{group}: milliseconds per iteration against {}, log-log, one line per cell",
                        axis.label()
                    ),
                ));
            }
        }
        if !charts.is_empty() {
            sections.push((
                format!(
                    "Scaling: {} (log-log, fitted exponents)",
                    group_title(group)
                ),
                charts,
            ));
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

    let batching = batching_rows(&results);
    if !batching.is_empty() {
        let mut charts = vec![];
        for device_tag in ["", "-cuda"] {
            let panels: Vec<(String, Vec<BatchingBar>)> =
                ["batching_forward", "batching_train_step"]
                    .iter()
                    .map(|g| format!("{g}{device_tag}"))
                    .map(|g| {
                        let bars = batching
                            .iter()
                            .filter(|r| r.group == g && r.real_tokens_per_sec.is_finite())
                            .map(|r| BatchingBar {
                                cell: r.cell.clone(),
                                mode: r.bench.mode,
                                real_tokens_per_sec: r.real_tokens_per_sec,
                            })
                            .collect();
                        (group_title(g.trim_start_matches("batching_")), bars)
                    })
                    .filter(|(_, bars): &(String, Vec<BatchingBar>)| !bars.is_empty())
                    .collect();
            if panels.is_empty() {
                continue;
            }
            let first = batching[0].bench;
            let file = chart_files::batching(device_tag);
            draw_batching(
                &out.join(&file),
                &format!(
                    "Real tokens/s: padded vs packed vs length-bucketed ({} batches of {}, lengths up to {}, H {})",
                    first.batches, first.shape.batch, first.shape.seq, first.shape.hidden
                ),
                &panels,
            )?;
            charts.push((
                file,
                "real tokens per second of padded, packed and length-bucketed batches, per cell"
                    .to_string(),
            ));
        }
        for r in batching
            .iter()
            .filter(|r| r.bench.mode != BatchingMode::Padded)
        {
            if let Some(x) = r.speedup_over_padded {
                findings.push(format!(
                    "{} {}: {} batches {x:.2}× the speed of padding to {} tokens",
                    group_title(&r.group),
                    r.cell.to_uppercase(),
                    r.bench.mode.name(),
                    r.bench.shape.seq
                ));
            }
        }
        body.push_str(
            "<h2>padded vs packed vs bucketed</h2>\n<table>\n<tr><th>group</th><th>cell</th><th>batching</th><th>shape</th><th>median ms per slice</th><th>real tokens/s</th><th>speed vs padded</th></tr>\n",
        );
        for r in &batching {
            body.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{} batches, {}</td><td>{:.1}</td><td>{:.0}</td><td>{}</td></tr>\n",
                escape(&r.group),
                escape(&r.cell),
                r.bench.mode.name(),
                r.bench.batches,
                escape(&format!(
                    "h{}-t{}-b{}-l{}",
                    r.bench.shape.hidden, r.bench.shape.seq, r.bench.shape.batch, r.bench.shape.layers
                )),
                r.median_secs * 1e3,
                r.real_tokens_per_sec,
                r.speedup_over_padded
                    .map_or("—".to_string(), |x| format!("{x:.2}×"))
            ));
        }
        body.push_str("</table>\n");
        sections.push(("Padded vs packed vs length-bucketed".into(), charts));
    }

    let mut page = String::from(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>rnnbench benches</title>\
         <style>body{font-family:sans-serif;max-width:1300px;margin:2em auto;padding:0 1em}\
         table{border-collapse:collapse;margin:1em 0;display:block;max-width:100%;overflow-x:auto}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}\
         img{max-width:100%;height:auto;display:block;margin:1em 0}\
         @media print{body{max-width:none;margin:0}table{display:table;font-size:8pt}tr,img{break-inside:avoid;page-break-inside:avoid}}</style></head><body>\n<h1>rnnbench: cell throughput</h1>\n",
    );
    page.push_str(&format!("<p>CPU threads: {threads}.</p>\n"));
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
    for (title, charts) in &sections {
        page.push_str(&format!("<h2>{}</h2>\n", escape(title)));
        for (file, alt) in charts {
            page.push_str(&format!(
                "<img src=\"{}\" alt=\"{}\">\n",
                escape(file),
                escape(alt)
            ));
        }
    }
    page.push_str("<p>Batching benches: one slice of an epoch of imdb-mini (a sample of its length-bucketed batches, stratified by length) and the same reviews in random batches; <i>padded</i> pads every review to the cap, <i>packed</i> packs the same random batches (libtorch's packed-sequence kernels), <i>bucketed</i> pads each bucketed batch to its own longest review, as <code>compare</code> trains. Throughput counts real tokens only, so the three are directly comparable.</p>\n");
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

    fn result(group: &str, function: &str, parameter: &str, median_ms: f64) -> BenchResult {
        BenchResult {
            group: group.into(),
            function: function.into(),
            parameter: parameter.into(),
            median_secs: median_ms / 1e3,
            ci_low_secs: median_ms / 1e3,
            ci_high_secs: median_ms / 1e3,
            elements: None,
        }
    }

    #[test]
    fn batching_names_parse() {
        let b = BatchingBench::parse("packed-n4-h128-t400-b64-l1-th2").unwrap();
        assert_eq!(b.mode, BatchingMode::Packed);
        assert_eq!(b.batches, 4);
        assert_eq!(
            (b.shape.hidden, b.shape.seq, b.shape.batch, b.shape.threads),
            (128, 400, 64, 2)
        );
        assert_eq!(
            BatchingBench::parse("bucketed-n12-h64-t256-b32-l2-bi-th1").map(|b| (
                b.mode,
                b.batches,
                b.shape.layers,
                b.shape.bidirectional
            )),
            Some((BatchingMode::Bucketed, 12, 2, true))
        );
        assert_eq!(BatchingBench::parse("h128-t200-b64-l1-th2"), None);
        assert_eq!(BatchingBench::parse("sorted-n4-h128-t400-b64-l1-th2"), None);
        assert_eq!(BenchShape::parse("padded-n4-h128-t400-b64-l1-th2"), None);
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
        let grid = ratio_grid(&results, "train_step").unwrap();
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
        assert_eq!(ratio_grid(&results, "forward"), None);
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
        let by_hidden = tokens_per_sec_lines(&results, "forward", SweepAxis::Hidden);
        // GRU has one point only: no line.
        assert_eq!(by_hidden.len(), 1);
        assert_eq!(by_hidden[0].model, Cell::Lstm);
        assert_eq!(by_hidden[0].points, [(64.0, 128_000.0), (128.0, 64_000.0)]);
        let by_seq = tokens_per_sec_lines(&results, "forward", SweepAxis::Seq);
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
            .find(|r| r.group == "batching_train_step" && r.parameter.starts_with("packed"))
            .unwrap();
        assert_eq!(r.elements, Some(60_000.0));
        let rows = batching_rows(&results);
        assert_eq!(rows.len(), 6);
        // Sorted by group, cell, mode.
        let order: Vec<(&str, &str, BatchingMode)> = rows
            .iter()
            .map(|r| (r.group.as_str(), r.cell.as_str(), r.bench.mode))
            .collect();
        assert_eq!(order[0], ("batching_forward", "gru", BatchingMode::Packed));
        assert_eq!(
            order[1],
            ("batching_train_step", "lstm", BatchingMode::Padded)
        );
        assert_eq!(
            order[5],
            ("batching_train_step", "gru", BatchingMode::Bucketed)
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
            html.contains(
                "train step GRU: bucketed batches 3.00× the speed of padding to 400 tokens"
            ),
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
}
