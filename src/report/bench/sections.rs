//! The page's sections, in page order, built from the results and the gates'
//! verdicts: each draws its charts with [`super::charts`] and adds its
//! tables and findings, withholding the findings that rest on a flagged bench.

use std::path::Path;

use super::chart_files;
use super::charts::{draw_batching, draw_loglog, draw_ratio_heatmap, draw_tokens_per_sec};
use super::gates::{Checks, DRIFT_TOLERANCE, Drift, Gate, THROUGHPUT_TOLERANCE, replaced};
use super::page::Page;
use super::results::BenchResult;
use super::series::{
    BatchingRow, KernelSplitRow, SweepAxis, batching_rows, group_title, gru_lstm_pairs,
    kernel_split_rows, peak_flops, ratio_grid, sweep_groups, sweep_lines, threads,
    tokens_per_sec_lines,
};
use crate::analysis::stats::DRIFT_TREND_ALPHA;
use crate::bench::canary::CANARY_TOLERANCE;
use crate::bench::{
    BatchingMode, BenchCondition, BenchGroup, BenchGroupId, MAX_DISTURBED_SHARE, Measurement,
};
use crate::error::Result;
use crate::model::Cell;
use crate::report::series::Line;
use crate::report::table::{ItemColumn, Table, dash};

/// The groups with a table each, per device, in page order.
const TABLE_GROUPS: [BenchGroup; 5] = [
    BenchGroup::Forward,
    BenchGroup::TrainStep,
    BenchGroup::TrainStepMatched,
    BenchGroup::SeriesForward,
    BenchGroup::SeriesTrainStep,
];

/// The page as it is built: what every section reads, and what they add.
struct Builder<'a> {
    results: &'a [BenchResult],
    /// The folder the charts are written to.
    out: &'a Path,
    /// The most CPU threads any bench ran on.
    threads: i64,
    /// The matrix-multiply peak, FLOP/s (NaN without the bench).
    peak_flops: f64,
    checks: Checks,
    findings: Vec<String>,
    withheld: Vec<String>,
    /// The (GRU, LSTM) bench ids of every ratio a heatmap's finding gave.
    gridded: Vec<(String, String)>,
    /// Every fitted exponent of the scaling charts, for their table.
    exponents: Vec<Exponent>,
    sections: Vec<(String, Vec<(String, String)>)>,
    tables: Vec<(String, Table)>,
}

/// Every section of the page, charts written under `out`.
pub(super) fn build(results: &[BenchResult], out: &Path) -> Result<Page> {
    let mut b = Builder {
        results,
        out,
        threads: threads(results),
        peak_flops: peak_flops(results),
        checks: Checks::run(results),
        findings: vec![],
        withheld: vec![],
        gridded: vec![],
        exponents: vec![],
        sections: vec![],
        tables: vec![],
    };
    for cuda in [false, true] {
        b.throughput(cuda)?;
    }
    b.ratios()?;
    for cuda in [false, true] {
        for group in TABLE_GROUPS.map(|g| BenchGroupId::new(g, cuda)) {
            if sweep_groups().any(|g| g == group) {
                b.scaling(group)?;
            }
            b.group_table(group);
        }
    }
    b.exponent_table();
    b.kernel_table();
    let has_batching = b.batching()?;
    let problems = b.checks.problems.iter();
    Ok(Page {
        threads: b.threads,
        peak_gflops: (b.peak_flops.is_finite()).then(|| format!("{:.1}", b.peak_flops / 1e9)),
        conditions: conditions(results),
        problems: problems
            .map(|p| format!("{}: {}", p.gate.title(), p.message))
            .collect(),
        findings: b.findings,
        withheld: b.withheld,
        chart_sections: b.sections,
        has_batching,
        tables: b.tables,
        drift_tolerance_pct: format!("{:.0}", DRIFT_TOLERANCE * 100.0),
        drift_trend_alpha: format!("{DRIFT_TREND_ALPHA}"),
        throughput_tolerance_pct: format!("{:.0}", THROUGHPUT_TOLERANCE * 100.0),
    })
}

/// The gates' titles, comma-separated.
fn titles(gates: &[Gate]) -> String {
    let titles: Vec<&str> = gates.iter().map(|g| g.title()).collect();
    titles.join(", ")
}

/// `text` when `yes`, else nothing (`-cuda` on CUDA groups, `, flagged`).
fn when(yes: bool, text: &'static str) -> &'static str {
    if yes { text } else { "" }
}

/// What the operation count predicts for `cell`'s exponents.
fn textbook(cell: Cell) -> &'static str {
    match cell.is_recurrent() {
        true => "O(T·H²) per layer: up to 2 in H, 1 in T",
        false => {
            "O(T·d·F + T²·d) per layer: up to 1 in the feed-forward width F, 1 to 2 in T (the attention's T²)"
        }
    }
}

/// One fitted exponent of a scaling chart's line: `time ∝ x^k`.
struct Exponent {
    group: BenchGroupId,
    cell: Cell,
    axis: SweepAxis,
    /// `k`, fitted over `points` benches.
    k: f64,
    points: usize,
    /// The gates that flagged a bench of the line (empty: none).
    flags: String,
}

/// Whether the bench flushed subnormal floats: `on`, `off`, or `—` unrecorded.
fn flush(r: &BenchResult) -> String {
    let on = r.condition.as_ref().map(|c| c.flush_denormal);
    dash(on, |on| if on { "on" } else { "off" }.to_string())
}

impl Builder<'_> {
    /// Adds `text` to the findings, or to the withheld ones with the gates
    /// that flagged any of `ids`.
    fn find<S: AsRef<str>>(&mut self, text: String, ids: &[S]) {
        match self.checks.flags(ids) {
            flags if flags.is_empty() => self.findings.push(text),
            flags => self.withheld.push(format!("{text} [{}]", titles(&flags))),
        }
    }

    /// The finding of `gru`'s time over `lstm`'s, `at` a shape.
    fn ratio_finding(&mut self, at: &str, gru: &BenchResult, lstm: &BenchResult) {
        let ratio = gru.median_secs / lstm.median_secs;
        let faster = if ratio < 1.0 { "GRU" } else { "LSTM" };
        let text = format!("{at}: GRU/LSTM time ratio {ratio:.2} ({faster} faster)");
        self.find(text, &[gru.id(), lstm.id()]);
    }

    /// Draws chart `file` with `draw` (given its path) into `charts`.
    fn chart(
        &self,
        charts: &mut Vec<(String, String)>,
        (file, alt): (String, String),
        draw: impl FnOnce(&Path) -> Result<()>,
    ) -> Result<()> {
        draw(&self.out.join(&file))?;
        charts.push((file, alt));
        Ok(())
    }

    /// Adds the chart section `title`, when it has charts.
    fn section(&mut self, title: String, charts: Vec<(String, String)>) {
        if !charts.is_empty() {
            self.sections.push((title, charts));
        }
    }

    /// Tokens/s against hidden size and against length, forward and train
    /// step side by side.
    fn throughput(&mut self, cuda: bool) -> Result<()> {
        let mut charts = vec![];
        for axis in SweepAxis::ALL {
            let panels: Vec<(String, Vec<Line>)> = [BenchGroup::Forward, BenchGroup::TrainStep]
                .map(|g| BenchGroupId::new(g, cuda))
                .map(|g| (group_title(g), tokens_per_sec_lines(self.results, g, axis)))
                .into_iter()
                .filter(|(_, lines)| !lines.is_empty())
                .collect();
            if panels.is_empty() {
                continue;
            }
            let (label, threads) = (axis.label(), self.threads);
            let title = format!(
                "Tokens/s against {label} (batch 64, {threads} threads{})",
                when(cuda, ", CUDA")
            );
            let file = chart_files::tokens_per_sec(axis.name(), when(cuda, "-cuda"));
            let alt = format!(
                "tokens per second against {label}, one line per cell, forward and train step"
            );
            self.chart(&mut charts, (file, alt), |p| {
                draw_tokens_per_sec(p, &title, label, &panels)
            })?;
        }
        let title = format!("Throughput{}", when(cuda, " (CUDA)"));
        self.section(title, charts);
        Ok(())
    }

    /// The GRU/LSTM ratio heatmaps, and where GRU is faster.
    fn ratios(&mut self) -> Result<()> {
        let mut charts = vec![];
        for cuda in [false, true] {
            for group in [BenchGroup::TrainStep, BenchGroup::Forward] {
                let group = BenchGroupId::new(group, cuda);
                let Some(grid) = ratio_grid(self.results, group) else {
                    continue;
                };
                let name = group_title(group);
                let file = chart_files::ratio_heatmap(&group.to_string());
                let alt =
                    format!("GRU/LSTM time ratio of {name} over hidden size and sequence length");
                let title = format!("GRU / LSTM time, {name} (> 1: GRU slower, < 1: GRU faster)");
                self.chart(&mut charts, (file, alt), |p| {
                    draw_ratio_heatmap(p, &title, &grid)
                })?;
                self.grid_finding(&name, &grid);
            }
        }
        self.section("GRU against LSTM".into(), charts);
        Ok(())
    }

    /// Where on `grid` GRU is faster and where slower; the points resting on
    /// a flagged bench are withheld one by one.
    fn grid_finding(&mut self, name: &str, grid: &super::series::RatioGrid) {
        let (mut faster, mut slower) = (vec![], vec![]);
        for (h, row) in grid.hiddens.iter().zip(&grid.cells) {
            for (t, cell) in grid.seqs.iter().zip(row) {
                let Some((r, (gru, lstm))) = cell else {
                    continue;
                };
                self.gridded.push((gru.clone(), lstm.clone()));
                let point = format!("H {h}, T {t} ({r:.2})");
                match self.checks.flags(&[gru, lstm]) {
                    flags if !flags.is_empty() => self.withheld.push(format!(
                        "{name}: GRU/LSTM time ratio at {point} [{}]",
                        titles(&flags)
                    )),
                    _ if *r < 1.0 => faster.push(point),
                    _ => slower.push(point),
                }
            }
        }
        if faster.is_empty() && slower.is_empty() {
            return;
        }
        let list = |v: Vec<String>| match v.is_empty() {
            true => "no benched point".to_string(),
            false => v.join(", "),
        };
        let (faster, slower) = (list(faster), list(slower));
        self.findings.push(format!(
            "{name}: GRU is faster than LSTM at {faster}; slower at {slower}."
        ));
    }

    /// Log-log time against hidden size and length for one group, with the
    /// fitted exponents.
    fn scaling(&mut self, group: BenchGroupId) -> Result<()> {
        let mut charts = vec![];
        for axis in SweepAxis::ALL {
            let mut lines = vec![];
            for line in sweep_lines(self.results, group, axis) {
                let (cell, symbol) = (line.cell, axis.symbol());
                let mut label = cell.display_name().to_string();
                if let Some(k) = line.exponent() {
                    let flags = titles(&self.checks.flags(&line.ids));
                    let flagged = when(!flags.is_empty(), ", flagged");
                    label = format!("{label} (∝ {symbol}^{k:.2}{flagged})");
                    let points = line.points.len();
                    self.exponents.push(Exponent {
                        group,
                        cell,
                        axis,
                        k,
                        points,
                        flags,
                    });
                }
                let points = line.points.iter().map(|&(x, s)| (x, s * 1e3)).collect();
                lines.push(Line {
                    model: cell,
                    label,
                    points,
                });
            }
            if lines.is_empty() {
                continue;
            }
            let (label, name) = (axis.label(), group_title(group));
            let file = chart_files::time(&group.to_string(), axis.name());
            let alt = format!(
                "{group}: milliseconds per iteration against {label}, log-log, one line per cell"
            );
            let title = format!("{name}: time per iteration against {label}");
            self.chart(&mut charts, (file, alt), |p| {
                draw_loglog(p, &title, label, &lines)
            })?;
        }
        let title = format!(
            "Scaling: {} (log-log, fitted exponents)",
            group_title(group)
        );
        self.section(title, charts);
        Ok(())
    }

    /// A bench's last/first third: the ratio and whether it drifts, its
    /// re-measurements and the samples that stayed disturbed.
    fn thirds(&self, r: &BenchResult) -> String {
        let mut cell = match Drift::of(&r.sample_secs) {
            Some(d) if self.checks.drifts(&r.id()) => format!("{:.2} drifts", d.ratio()),
            d => dash(d, |d| format!("{:.2}", d.ratio())),
        };
        if let Some(c) = r.condition.as_ref().filter(|c| c.remeasurements > 0) {
            cell += &format!(", re-measured (was {})", replaced(c));
        }
        if let Some(c) = r.condition.as_ref().filter(|c| c.samples_disturbed > 0) {
            cell += &format!(", {} disturbed", c.samples_disturbed);
        }
        cell
    }

    /// A group's table of every bench, and the GRU/LSTM ratio per shape where
    /// no heatmap gave it (at the same parameter count in the matched groups).
    fn group_table(&mut self, group: BenchGroupId) {
        let mut rows: Vec<&BenchResult> =
            self.results.iter().filter(|r| r.group == group).collect();
        rows.retain(|r| r.bench_cell().is_some());
        if rows.is_empty() {
            return;
        }
        rows.sort_by_key(|r| (r.bench_cell(), r.steps_shape()));
        for (gru, lstm) in gru_lstm_pairs(self.results, group) {
            if !self.gridded.contains(&(gru.id(), lstm.id())) {
                self.ratio_finding(&format!("{group} {}", gru.parameter), gru, lstm);
            }
        }
        let first = |cell| rows.iter().find(|r| r.cell() == Some(cell));
        if group.group.is_matched()
            && let (Some(gru), Some(lstm)) = (first(Cell::Gru), first(Cell::Lstm))
            && let (Some(g), Some(l)) = (gru.steps_shape(), lstm.steps_shape())
            && g.hidden != l.hidden
        {
            let (title, l, g) = (group_title(group), l.hidden, g.hidden);
            let at = format!("{title} at the same parameter count (LSTM H {l}, GRU H {g})");
            self.ratio_finding(&at, gru, lstm);
        }
        let series = group.group.is_series();
        let gflops = |r: &&BenchResult| r.flops().map_or(f64::NAN, |f| f / r.median_secs / 1e9);
        let of_peak = |r: &&BenchResult| {
            let share = gflops(r) * 1e9 / self.peak_flops;
            dash(share.is_finite().then_some(share), |s| {
                format!("{:.1}%", s * 100.0)
            })
        };
        let columns: &[ItemColumn<&BenchResult>] = &[
            ("cell", &|r| r.function.clone()),
            ("shape", &|r| r.parameter.clone()),
            ("median ms", &|r| format!("{:.2}", r.median_secs * 1e3)),
            ("95% CI ms", &|r| {
                format!("{:.2} – {:.2}", r.ci_low_secs * 1e3, r.ci_high_secs * 1e3)
            }),
            (if series { "time steps/s" } else { "tokens/s" }, &|r| {
                format!("{:.0}", r.tokens_per_sec().unwrap_or(f64::NAN))
            }),
            ("GFLOP/s", &|r| format!("{:.1}", gflops(r))),
            ("of matmul peak", &of_peak),
            ("last/first third", &|r| self.thirds(r)),
            ("flush denormal", &|r| flush(r)),
        ];
        let table = Table::of(columns, &rows);
        let title = match series {
            true => format!(
                "{group}: numeric series through the linear input layer, cells matched by parameter count"
            ),
            false => group.to_string(),
        };
        self.tables.push((title, table));
    }

    /// The scaling charts' fitted exponents, a row per group and cell: the
    /// exponent along each axis with its benches, and what the operation
    /// count predicts; one resting on a flagged bench is withheld.
    fn exponent_table(&mut self) {
        let mut rows: Vec<(BenchGroupId, Cell)> = vec![];
        for e in &self.exponents {
            if !rows.contains(&(e.group, e.cell)) {
                rows.push((e.group, e.cell));
            }
            if !e.flags.is_empty() {
                let (group, cell, symbol) = (e.group, e.cell.display_name(), e.axis.symbol());
                self.withheld.push(format!(
                    "{group}: {cell} time ∝ {symbol}^{:.2} [{}]",
                    e.k, e.flags
                ));
            }
        }
        if rows.is_empty() {
            return;
        }
        let exponents = &self.exponents;
        let along = |axis: SweepAxis| {
            move |&(group, cell): &(BenchGroupId, Cell)| {
                let e = exponents
                    .iter()
                    .find(|e| (e.group, e.cell, e.axis) == (group, cell, axis));
                dash(e, |e| match e.flags.as_str() {
                    "" => format!("{:.2} ({} points)", e.k, e.points),
                    _ => "withheld".to_string(),
                })
            }
        };
        let (hidden, seq) = (along(SweepAxis::Hidden), along(SweepAxis::Seq));
        let columns: &[ItemColumn<(BenchGroupId, Cell)>] = &[
            ("group", &|(g, _)| g.to_string()),
            ("cell", &|(_, c)| c.display_name().to_string()),
            ("time ∝ H^k", &hidden),
            ("time ∝ T^k", &seq),
            ("textbook", &|(_, c)| textbook(*c).to_string()),
        ];
        let title = "Fitted exponents: the slopes of the scaling charts (log-log, least squares)";
        self.tables.push((title.into(), Table::of(columns, &rows)));
    }

    /// Cell or kernel: per shape with an `lstm-native` or `lstm-onednn` bench,
    /// GRU/LSTM under libtorch's own kernel choice, with both cells on the
    /// native loop and with both on the fused oneDNN cells.
    fn kernel_table(&mut self) {
        let rows = kernel_split_rows(self.results);
        if rows.is_empty() {
            return;
        }
        // A verdict resting on a flagged bench is withheld, in its cell too.
        for r in &rows {
            let flags = self.checks.flags(&r.ids());
            if !flags.is_empty() {
                let (at, gates) = (format!("{} {}", r.group, r.shape), titles(&flags));
                self.withheld
                    .push(format!("{at}: the kernel split's verdict [{gates}]"));
            }
        }
        let checks = &self.checks;
        let ms = |r: &BenchResult| format!("{:.2}", r.median_secs * 1e3);
        let ratio = |r: Option<f64>| dash(r, |r| format!("{r:.2}"));
        let columns: &[ItemColumn<KernelSplitRow>] = &[
            ("group", &|r| r.group.to_string()),
            ("LSTM shape", &|r| r.shape.to_string()),
            ("LSTM ms (libtorch's choice)", &|r| ms(r.lstm)),
            ("LSTM ms (native)", &|r| dash(r.lstm_native, ms)),
            ("LSTM ms (oneDNN fused)", &|r| dash(r.onednn, |s| ms(s.0))),
            ("GRU ms (libtorch's choice = native)", &|r| ms(r.gru)),
            ("GRU ms (oneDNN fused)", &|r| dash(r.onednn, |s| ms(s.1))),
            ("GRU/LSTM (libtorch's choice)", &|r| {
                format!("{:.2}", r.ratio_auto())
            }),
            ("GRU/LSTM (both native)", &|r| ratio(r.ratio_native())),
            ("GRU/LSTM (both oneDNN fused)", &|r| ratio(r.ratio_onednn())),
            ("what follows", &|r| match checks.flags(&r.ids()) {
                flags if flags.is_empty() => kernel_split_verdict(r).to_string(),
                flags => format!("withheld [{}]", titles(&flags)),
            }),
        ];
        let title = "Cell or kernel: GRU/LSTM with libtorch's kernel choice, on its native loop and on the fused oneDNN cells";
        self.tables.push((title.into(), Table::of(columns, &rows)));
    }

    /// Padded vs packed vs length-bucketed: the charts, the speed-ups and
    /// the table; whether there were batching benches.
    fn batching(&mut self) -> Result<bool> {
        let rows = batching_rows(self.results);
        let Some(first) = rows.first().map(|r| r.bench) else {
            return Ok(false);
        };
        let mut charts = vec![];
        for cuda in [false, true] {
            let panel = |g: BenchGroupId| {
                let bars = rows
                    .iter()
                    .filter(|r| r.result.group == g && r.real_tokens_per_sec.is_finite());
                let name = group_title(g).trim_start_matches("batching ").to_string();
                (name, bars.collect::<Vec<&BatchingRow>>())
            };
            let panels: Vec<_> = [BenchGroup::BatchingForward, BenchGroup::BatchingTrainStep]
                .map(|g| panel(BenchGroupId::new(g, cuda)))
                .into_iter()
                .filter(|(_, bars)| !bars.is_empty())
                .collect();
            if panels.is_empty() {
                continue;
            }
            let s = first.shape;
            let title = format!(
                "Real tokens/s: padded vs packed vs length-bucketed ({} batches of {}, lengths up to {}, H {})",
                first.batches, s.batch, s.seq, s.hidden
            );
            let file = chart_files::batching(when(cuda, "-cuda"));
            let alt =
                "real tokens per second of padded, packed and length-bucketed batches, per cell";
            self.chart(&mut charts, (file, alt.into()), |p| {
                draw_batching(p, &title, &panels)
            })?;
        }
        self.section("Padded vs packed vs length-bucketed".into(), charts);
        for r in rows.iter().filter(|r| r.bench.mode != BatchingMode::Padded) {
            if let (Some(x), Some(padded)) = (r.speedup_over_padded(), r.padded) {
                let (group, cell) = (group_title(r.result.group), r.cell.display_name());
                let (mode, seq) = (r.bench.mode, r.bench.shape.seq);
                let text = format!(
                    "{group} {cell}: {mode} batches {x:.2}× the speed of padding to {seq} tokens"
                );
                self.find(text, &[r.result.id(), padded.id()]);
            }
        }
        let columns: &[ItemColumn<BatchingRow>] = &[
            ("group", &|r| r.result.group.to_string()),
            ("cell", &|r| r.cell.name().to_string()),
            ("batching", &|r| r.bench.mode.to_string()),
            ("shape", &|r| {
                let (n, s) = (r.bench.batches, r.bench.shape);
                format!(
                    "{n} batches, h{}-t{}-b{}-l{}",
                    s.hidden, s.seq, s.batch, s.layers
                )
            }),
            ("median ms per slice", &|r| {
                format!("{:.1}", r.result.median_secs * 1e3)
            }),
            ("real tokens/s", &|r| {
                format!("{:.0}", r.real_tokens_per_sec)
            }),
            ("speed vs padded", &|r| {
                dash(r.speedup_over_padded(), |x| format!("{x:.2}×"))
            }),
            ("last/first third", &|r| self.thirds(r.result)),
            ("flush denormal", &|r| flush(r.result)),
        ];
        let table = Table::of(columns, &rows);
        self.tables
            .push(("padded vs packed vs bucketed".into(), table));
        Ok(true)
    }
}

/// What a kernel-split row's ratios say: whether the LSTM's lead (or the
/// GRU's) belongs to the cell or to libtorch's kernel choice, judged on the
/// equal kernel (the fused one where benched, else the native loop).
pub(super) fn kernel_split_verdict(r: &KernelSplitRow) -> &'static str {
    let equal = r.ratio_onednn().or(r.ratio_native());
    match equal.map(|e| (r.ratio_auto() < 1.0, e < 1.0)) {
        Some((false, true)) => {
            "the LSTM's lead comes from libtorch's kernel choice, not from the cell"
        }
        Some((true, true)) => "GRU is faster either way",
        Some((false, false)) => "LSTM is faster either way",
        Some((true, false)) => "GRU is faster only under libtorch's kernel choice",
        None => "no equal-kernel pair was benched",
    }
}

/// How the benches ran: flushing of subnormal floats, warm-up, retakes,
/// re-measurements, quick mode.
fn conditions(results: &[BenchResult]) -> Vec<String> {
    let conds: Vec<&BenchCondition> = results
        .iter()
        .filter_map(|r| r.condition.as_ref())
        .collect();
    if conds.is_empty() {
        return vec!["How the benches ran (flushing of subnormal floats, warm-up) was not recorded: these criterion files predate the record, or were written by other benches.".to_string()];
    }
    let count = |f: &dyn Fn(&BenchCondition) -> bool| conds.iter().filter(|c| f(c)).count();
    let on = count(&|c| c.flush_denormal);
    let off = conds.len() - on;
    let setting = match (on, off) {
        (_, 0) => format!("on for all {on} benches recorded"),
        (0, _) => format!("off for all {off} benches recorded"),
        _ => format!("on for {on} benches, off for {off} (see the tables)"),
    };
    let mut flush = format!(
        "Flushing subnormal floats to zero (RNNBENCH_FLUSH_DENORMAL, through the setFlushDenormal of libtorch): {setting}."
    );
    if let n @ 1.. = count(&|c| c.flush_denormal && !c.flush_denormal_supported) {
        flush += &format!(
            " libtorch reported that this CPU cannot flush them for {n} of those asked to."
        );
    }
    if let n @ 1.. = count(&|c| c.flush_denormal && c.flush_denormal_effective == Some(false)) {
        flush += &format!(
            " For {n} a parallel multiply of subnormal numbers did not come out as zeros on every thread."
        );
    }
    let mut lines = vec![flush];
    let warmed: Vec<_> = conds.iter().filter(|c| c.warmup_steps > 0).collect();
    if !warmed.is_empty() {
        let steps: u64 = warmed.iter().map(|c| c.warmup_steps).sum();
        let secs: f64 = warmed.iter().map(|c| c.warmup_secs).sum();
        let ended = match warmed.iter().filter(|c| !c.warmup_stable).count() {
            0 => "every one ended on a stable step time".to_string(),
            n => format!("{n} stopped at the warm-up's time cap before their step time settled"),
        };
        let n = warmed.len();
        lines.push(format!(
            "Fixtures warmed before timing: {n} ({steps} steps, {secs:.1} s in all); {ended}."
        ));
    }
    lines.extend(disturbed_line(&conds));
    lines.extend(remeasured_line(results));
    if let n @ 1.. = count(&|c| c.quick) {
        lines.push(format!(
            "{n} of the benches recorded ran in quick mode (RNNBENCH_BENCH_QUICK=1)."
        ));
    }
    if conds.len() < results.len() {
        let n = results.len() - conds.len();
        lines.push(format!("{n} benches have no recorded conditions."));
    }
    lines
}

/// The sentence on samples timed again because their timing was disturbed,
/// and on those kept disturbed; `None` when there were none.
fn disturbed_line(conds: &[&BenchCondition]) -> Option<String> {
    let retaken: u64 = conds.iter().map(|c| c.samples_retaken).sum();
    let busy: Vec<_> = conds.iter().filter(|c| c.samples_disturbed > 0).collect();
    if retaken == 0 && busy.is_empty() {
        return None;
    }
    let tolerance = conds
        .iter()
        .filter_map(|c| c.canary_tolerance)
        .reduce(f64::max);
    let canary = match tolerance {
        Some(t) if t > CANARY_TOLERANCE + 1e-9 => format!(
            "more than {:.0}% slower than its usual time: twice the canary's own spread on this machine",
            t * 100.0
        ),
        _ => format!(
            "more than {:.0}% slower than its usual time",
            CANARY_TOLERANCE * 100.0
        ),
    };
    let mut line = format!(
        "Samples timed again because their timing was disturbed (the comparisons' rule: run-queue wait, steal; or a reference matmul timed before and after the sample ran {canary}): {retaken}."
    );
    if busy.is_empty() {
        line += " Every sample kept is undisturbed.";
    } else {
        let kept: u64 = busy.iter().map(|c| c.samples_disturbed).sum();
        let last = busy
            .iter()
            .rev()
            .find_map(|c| c.disturbance.clone())
            .unwrap_or_default();
        line += &format!(
            " {kept} samples of {} benches were still disturbed after their retakes and were kept as timed (the last: {last}): the machine was busy, and their figures say so much.",
            busy.len()
        );
    }
    Some(line)
}

/// The sentence on benches measured again because their measurement was
/// unsound (drifting, or mostly disturbed samples): how many, each with the
/// measurements it replaced and the one kept, and how many are unsound
/// still; `None` when none was re-measured.
fn remeasured_line(results: &[BenchResult]) -> Option<String> {
    let remeasured: Vec<(&BenchResult, String, Measurement)> = results
        .iter()
        .filter_map(|r| {
            let c = r.condition.as_ref().filter(|c| c.remeasurements > 0)?;
            Some((
                r,
                replaced(c),
                Measurement::of(&r.sample_secs, c.samples_disturbed),
            ))
        })
        .collect();
    if remeasured.is_empty() {
        return None;
    }
    let named: Vec<String> = remeasured
        .iter()
        .map(|(r, was, kept)| format!("{} ({was} → {})", r.id(), kept.describe()))
        .collect();
    let still = match remeasured
        .iter()
        .filter(|(.., kept)| kept.unsound())
        .count()
    {
        0 => "The kept measurement of each holds; the tables show it.".to_string(),
        n => format!("{n} still drift or stayed mostly disturbed after the last re-measurement."),
    };
    Some(format!(
        "Benches measured again, from a fresh fixture and warm-up after the others, because the last third of their samples disagreed with the first by more than ±{:.0}% in a trend, or more than {:.0}% of their samples stayed disturbed (last/first third, replaced → kept): {}: {}. {still}",
        DRIFT_TOLERANCE * 100.0,
        MAX_DISTURBED_SHARE * 100.0,
        remeasured.len(),
        named.join("; "),
    ))
}

#[cfg(test)]
mod exponent_words {
    use super::*;

    #[test]
    fn the_transformer_is_not_held_to_the_cells_linear_length() {
        assert!(textbook(Cell::Lstm).ends_with("1 in T"));
        assert!(textbook(Cell::Transformer).contains("1 to 2 in T (the attention's T²)"));
    }
}
