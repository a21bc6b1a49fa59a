//! One builder per section of the bench page: each takes the results (and
//! the gates' verdicts), draws its charts with [`super::charts`] and returns
//! what the template shows; findings that rest on a flagged bench are
//! withheld ([`Findings`]).

use std::path::Path;

use super::chart_files;
use super::charts::{
    BatchingBar, draw_batching, draw_loglog, draw_ratio_heatmap, draw_tokens_per_sec,
};
use super::gates::{Checks, Drift, Gate};
use super::page::{Chart, ChartSection, Page, Table};
use super::results::BenchResult;
use super::series::{
    KernelSplitRow, SweepAxis, batching_rows, batching_title, group_title, kernel_split_rows,
    peak_flops, ratio_grid, sweep_groups, sweep_lines, threads, tokens_per_sec_lines,
};
use super::shared::Line;
use crate::bench::{BatchingMode, BenchGroup, BenchGroupId, MAX_DISTURBED_SHARE, Measurement};
use crate::error::Result;
use crate::model::Cell;

/// What every builder reads.
struct Ctx<'a> {
    results: &'a [BenchResult],
    out: &'a Path,
    threads: i64,
    peak_flops: f64,
    checks: Checks,
}

/// Findings, and those withheld because a gate flagged a bench they rest on.
#[derive(Default)]
struct Findings {
    shown: Vec<String>,
    withheld: Vec<String>,
}

impl Findings {
    fn add<S: AsRef<str>>(&mut self, checks: &Checks, text: String, resting_on: &[S]) {
        let flags = checks.flags(resting_on);
        if flags.is_empty() {
            self.shown.push(text);
        } else {
            self.withheld.push(format!("{text} [{}]", titles(&flags)));
        }
    }
}

fn titles(gates: &[Gate]) -> String {
    gates
        .iter()
        .map(|g| g.title())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Every section of the page, charts written under `out`.
pub(super) fn build(results: &[BenchResult], out: &Path) -> Result<Page> {
    let ctx = Ctx {
        results,
        out,
        threads: threads(results),
        peak_flops: peak_flops(results),
        checks: Checks::run(results),
    };
    let mut findings = Findings::default();
    let mut chart_sections = vec![];
    for cuda in [false, true] {
        chart_sections.extend(throughput_section(&ctx, cuda)?);
    }
    chart_sections.extend(ratio_section(&ctx, &mut findings)?);
    let mut tables = vec![];
    for cuda in [false, true] {
        for group in [
            BenchGroup::Forward,
            BenchGroup::TrainStep,
            BenchGroup::TrainStepMatched,
            BenchGroup::SeriesForward,
            BenchGroup::SeriesTrainStep,
        ] {
            let group = BenchGroupId::new(group, cuda);
            if sweep_groups().contains(&group) {
                chart_sections.extend(scaling_section(&ctx, group, &mut findings)?);
            }
            tables.extend(group_table(&ctx, group, &mut findings));
        }
    }
    tables.extend(kernel_table(&ctx, &mut findings));
    let (batching_charts, batching_table) = batching_section(&ctx, &mut findings)?;
    let has_batching = batching_table.is_some();
    chart_sections.extend(batching_charts);
    tables.extend(batching_table);
    Ok(Page {
        threads: ctx.threads,
        peak_gflops: ctx
            .peak_flops
            .is_finite()
            .then(|| format!("{:.1}", ctx.peak_flops / 1e9)),
        conditions: conditions(results),
        findings: findings.shown,
        problems: ctx
            .checks
            .problems
            .iter()
            .map(|p| format!("{}: {}", p.gate.title(), p.message))
            .collect(),
        withheld: findings.withheld,
        chart_sections,
        has_batching,
        tables,
        drift_tolerance_pct: format!("{:.0}", super::gates::DRIFT_TOLERANCE * 100.0),
        drift_trend_alpha: format!("{}", crate::analysis::stats::DRIFT_TREND_ALPHA),
        throughput_tolerance_pct: format!("{:.0}", super::gates::THROUGHPUT_TOLERANCE * 100.0),
    })
}

/// How the benches ran: flushing of subnormal floats, warm-up, quick mode.
fn conditions(results: &[BenchResult]) -> Vec<String> {
    let recorded: Vec<&BenchResult> = results.iter().filter(|r| r.condition.is_some()).collect();
    let mut lines = vec![];
    if recorded.is_empty() {
        lines.push("How the benches ran (flushing of subnormal floats, warm-up) was not recorded: these criterion files predate the record, or were written by other benches.".to_string());
        return lines;
    }
    let conds = || recorded.iter().filter_map(|r| r.condition.as_ref());
    let on = conds().filter(|c| c.flush_denormal).count();
    let off = recorded.len() - on;
    let setting = match (on, off) {
        (_, 0) => format!("on for all {on} benches recorded"),
        (0, _) => format!("off for all {off} benches recorded"),
        _ => format!("on for {on} benches, off for {off} (see the tables)"),
    };
    let unsupported = conds()
        .filter(|c| c.flush_denormal && !c.flush_denormal_supported)
        .count();
    let ineffective = conds()
        .filter(|c| c.flush_denormal && c.flush_denormal_effective == Some(false))
        .count();
    let mut flush = format!(
        "Flushing subnormal floats to zero (RNNBENCH_FLUSH_DENORMAL, through the setFlushDenormal of libtorch): {setting}."
    );
    if unsupported > 0 {
        flush.push_str(&format!(
            " libtorch reported that this CPU cannot flush them for {unsupported} of those asked to."
        ));
    }
    if ineffective > 0 {
        flush.push_str(&format!(
            " For {ineffective} a parallel multiply of subnormal numbers did not come out as zeros on every thread."
        ));
    }
    lines.push(flush);
    let warmed: Vec<_> = conds().filter(|c| c.warmup_steps > 0).collect();
    if !warmed.is_empty() {
        let capped = warmed.iter().filter(|c| !c.warmup_stable).count();
        let steps: u64 = warmed.iter().map(|c| c.warmup_steps).sum();
        let secs: f64 = warmed.iter().map(|c| c.warmup_secs).sum();
        lines.push(format!(
            "Fixtures warmed before timing: {} ({steps} steps, {secs:.1} s in all); {}.",
            warmed.len(),
            if capped == 0 {
                "every one ended on a stable step time".to_string()
            } else {
                format!("{capped} stopped at the warm-up's time cap before their step time settled")
            }
        ));
    }
    let retaken: u64 = conds().map(|c| c.samples_retaken).sum();
    let busy: Vec<_> = recorded
        .iter()
        .filter(|r| {
            r.condition
                .as_ref()
                .is_some_and(|c| c.samples_disturbed > 0)
        })
        .collect();
    if retaken > 0 || !busy.is_empty() {
        let tolerance = conds()
            .filter_map(|c| c.canary_tolerance)
            .fold(None, |m: Option<f64>, t| Some(m.map_or(t, |m| m.max(t))));
        let canary = match tolerance {
            Some(t) if t > crate::bench::canary::CANARY_TOLERANCE + 1e-9 => format!(
                "more than {:.0}% slower than its usual time: twice the canary's own spread on this machine",
                t * 100.0
            ),
            _ => format!(
                "more than {:.0}% slower than its usual time",
                crate::bench::canary::CANARY_TOLERANCE * 100.0
            ),
        };
        let mut line = format!(
            "Samples timed again because their timing was disturbed (the comparisons' rule: run-queue wait, steal; or a reference matmul timed before and after the sample ran {canary}): {retaken}."
        );
        if busy.is_empty() {
            line.push_str(" Every sample kept is undisturbed.");
        } else {
            let kept: u64 = busy
                .iter()
                .filter_map(|r| r.condition.as_ref())
                .map(|c| c.samples_disturbed)
                .sum();
            let last = busy
                .iter()
                .rev()
                .find_map(|r| r.condition.as_ref()?.disturbance.clone())
                .unwrap_or_default();
            line.push_str(&format!(
                " {kept} samples of {} benches were still disturbed after their retakes and were kept as timed (the last: {last}): the machine was busy, and their figures say so much.",
                busy.len()
            ));
        }
        lines.push(line);
    }
    if let Some(line) = remeasured_line(&recorded) {
        lines.push(line);
    }
    let quick = conds().filter(|c| c.quick).count();
    if quick > 0 {
        lines.push(format!(
            "{quick} of the benches recorded ran in quick mode (RNNBENCH_BENCH_QUICK=1)."
        ));
    }
    if recorded.len() < results.len() {
        lines.push(format!(
            "{} benches have no recorded conditions.",
            results.len() - recorded.len()
        ));
    }
    lines
}

/// The sentence on benches measured again because their measurement was
/// unsound (drifting, or mostly disturbed samples): how many, each with the
/// measurements it replaced and the one kept, and how many are unsound
/// still; `None` when none was re-measured.
fn remeasured_line(recorded: &[&BenchResult]) -> Option<String> {
    let remeasured: Vec<(&BenchResult, &Vec<Measurement>, Measurement)> = recorded
        .iter()
        .filter_map(|r| {
            let c = r.condition.as_ref()?;
            let kept = Measurement::of(&r.sample_secs, c.samples_disturbed);
            (c.remeasurements > 0).then_some((*r, &c.replaced, kept))
        })
        .collect();
    if remeasured.is_empty() {
        return None;
    }
    let still = remeasured
        .iter()
        .filter(|(_, _, kept)| kept.unsound())
        .count();
    let named: Vec<String> = remeasured
        .iter()
        .map(|(r, replaced, kept)| {
            let was: Vec<String> = replaced.iter().map(Measurement::describe).collect();
            format!("{} ({} → {})", r.id(), was.join("; "), kept.describe())
        })
        .collect();
    Some(format!(
        "Benches measured again, from a fresh fixture and warm-up after the others, because the last third of their samples disagreed with the first by more than ±{:.0}% in a trend, or more than {:.0}% of their samples stayed disturbed (last/first third, replaced → kept): {}: {}. {}",
        super::gates::DRIFT_TOLERANCE * 100.0,
        MAX_DISTURBED_SHARE * 100.0,
        remeasured.len(),
        named.join("; "),
        match still {
            0 => "The kept measurement of each holds; the tables show it.".to_string(),
            n =>
                format!("{n} still drift or stayed mostly disturbed after the last re-measurement."),
        }
    ))
}

/// Tokens/s against hidden size and against length, forward and train step
/// side by side.
fn throughput_section(ctx: &Ctx, cuda: bool) -> Result<Option<ChartSection>> {
    let device_tag = if cuda { "-cuda" } else { "" };
    let mut charts = vec![];
    for axis in SweepAxis::ALL {
        let panels: Vec<(String, Vec<Line>)> = [BenchGroup::Forward, BenchGroup::TrainStep]
            .into_iter()
            .map(|g| BenchGroupId::new(g, cuda))
            .map(|g| (group_title(g), tokens_per_sec_lines(ctx.results, g, axis)))
            .filter(|(_, lines)| !lines.is_empty())
            .collect();
        if panels.is_empty() {
            continue;
        }
        let file = chart_files::tokens_per_sec(axis.name(), device_tag);
        draw_tokens_per_sec(
            &ctx.out.join(&file),
            &format!(
                "Tokens/s against {} (batch 64, {} threads{})",
                axis.label(),
                ctx.threads,
                if cuda { ", CUDA" } else { "" }
            ),
            axis.label(),
            &panels,
        )?;
        charts.push(Chart {
            file,
            alt: format!(
                "tokens per second against {}, one line per cell, forward and train step",
                axis.label()
            ),
        });
    }
    Ok((!charts.is_empty()).then(|| ChartSection {
        title: format!("Throughput{}", if cuda { " (CUDA)" } else { "" }),
        charts,
    }))
}

/// The GRU/LSTM ratio heatmaps, and where GRU is faster.
fn ratio_section(ctx: &Ctx, findings: &mut Findings) -> Result<Option<ChartSection>> {
    let mut charts = vec![];
    for group in ["train_step", "forward", "train_step-cuda", "forward-cuda"] {
        let group: BenchGroupId = group.parse().expect("a bench group's own name");
        let Some(grid) = ratio_grid(ctx.results, group) else {
            continue;
        };
        let file = chart_files::ratio_heatmap(&group.to_string());
        draw_ratio_heatmap(
            &ctx.out.join(&file),
            &format!(
                "GRU / LSTM time, {} (> 1: GRU slower, < 1: GRU faster)",
                group_title(group)
            ),
            &grid,
        )?;
        charts.push(Chart {
            file,
            alt: format!(
                "GRU/LSTM time ratio of {} over hidden size and sequence length",
                group_title(group)
            ),
        });
        let (mut faster, mut slower) = (vec![], vec![]);
        for ((h, row), ids) in grid.hiddens.iter().zip(&grid.ratios).zip(&grid.ids) {
            for ((t, ratio), ids) in grid.seqs.iter().zip(row).zip(ids) {
                let (Some(r), Some((gru, lstm))) = (ratio, ids) else {
                    continue;
                };
                let point = format!("H {h}, T {t} ({r:.2})");
                let flags = ctx.checks.flags(&[gru, lstm]);
                if !flags.is_empty() {
                    findings.withheld.push(format!(
                        "{}: GRU/LSTM time ratio at {point} [{}]",
                        group_title(group),
                        titles(&flags)
                    ));
                } else if *r < 1.0 {
                    faster.push(point);
                } else {
                    slower.push(point);
                }
            }
        }
        if faster.is_empty() && slower.is_empty() {
            continue;
        }
        let list = |v: Vec<String>| {
            if v.is_empty() {
                "no benched point".to_string()
            } else {
                v.join(", ")
            }
        };
        findings.shown.push(format!(
            "{}: GRU is faster than LSTM at {}; slower at {}.",
            group_title(group),
            list(faster),
            list(slower)
        ));
    }
    Ok((!charts.is_empty()).then(|| ChartSection {
        title: "GRU against LSTM".into(),
        charts,
    }))
}

/// What the operation count predicts for `cell`'s exponent along `axis`.
fn textbook_exponent(cell: Cell, axis: SweepAxis) -> &'static str {
    match (cell.is_recurrent(), axis) {
        (true, SweepAxis::Hidden) => "textbook O(T·H²) per layer predicts up to 2",
        (true, SweepAxis::Seq) => "textbook O(T·H²) per layer predicts 1",
        (false, SweepAxis::Hidden) => {
            "textbook O(T·d·F + T²·d) per layer predicts up to 1 in the feed-forward width F"
        }
        (false, SweepAxis::Seq) => {
            "textbook O(T·d·F + T²·d) per layer predicts between 1 and 2: the attention's T² term"
        }
    }
}

/// Log-log time against hidden size and length for one group, with the
/// fitted exponents.
fn scaling_section(
    ctx: &Ctx,
    group: BenchGroupId,
    findings: &mut Findings,
) -> Result<Option<ChartSection>> {
    let mut charts = vec![];
    for axis in SweepAxis::ALL {
        let mut lines = vec![];
        for line in sweep_lines(ctx.results, group, axis) {
            let cell = line.cell;
            let mut label = cell.display_name().to_string();
            if let Some(k) = line.exponent() {
                findings.add(
                    &ctx.checks,
                    format!(
                        "{group}: {} time ∝ {}^{k:.2} (fitted over {} points; {})",
                        cell.display_name(),
                        axis.symbol(),
                        line.points.len(),
                        textbook_exponent(cell, axis)
                    ),
                    &line.ids,
                );
                let flagged = if ctx.checks.flags(&line.ids).is_empty() {
                    ""
                } else {
                    ", flagged"
                };
                label = format!("{label} (∝ {}^{k:.2}{flagged})", axis.symbol());
            }
            lines.push(Line {
                model: cell,
                label,
                points: line.points.iter().map(|&(x, s)| (x, s * 1e3)).collect(),
            });
        }
        if lines.is_empty() {
            continue;
        }
        let file = chart_files::time(&group.to_string(), axis.name());
        draw_loglog(
            &ctx.out.join(&file),
            &format!(
                "{}: time per iteration against {}",
                group_title(group),
                axis.label()
            ),
            axis.label(),
            "milliseconds per iteration (median)",
            &lines,
        )?;
        charts.push(Chart {
            file,
            alt: format!(
                "{group}: milliseconds per iteration against {}, log-log, one line per cell",
                axis.label()
            ),
        });
    }
    Ok((!charts.is_empty()).then(|| ChartSection {
        title: format!(
            "Scaling: {} (log-log, fitted exponents)",
            group_title(group)
        ),
        charts,
    }))
}

/// The stationarity and flush columns of a bench's row.
fn condition_cells(ctx: &Ctx, r: &BenchResult) -> [String; 2] {
    let mut drift = match Drift::of(&r.sample_secs) {
        Some(d) if ctx.checks.drifts(&r.id()) => format!("{:.2} drifts", d.ratio()),
        Some(d) => format!("{:.2}", d.ratio()),
        None => "—".into(),
    };
    if let Some(c) = r.condition.as_ref().filter(|c| c.remeasurements > 0) {
        let was: Vec<String> = c.replaced.iter().map(Measurement::describe).collect();
        drift.push_str(&format!(", re-measured (was {})", was.join("; ")));
    }
    if let Some(c) = r.condition.as_ref().filter(|c| c.samples_disturbed > 0) {
        drift.push_str(&format!(", {} disturbed", c.samples_disturbed));
    }
    let flush = match &r.condition {
        Some(c) if c.flush_denormal => "on".to_string(),
        Some(_) => "off".to_string(),
        None => "—".to_string(),
    };
    [drift, flush]
}

/// A group's table of every bench, and the GRU/LSTM ratio per shape.
/// Cell or kernel: per shape with an `lstm-native` or `lstm-onednn` bench,
/// GRU/LSTM under libtorch's own kernel choice, with both cells on the
/// native loop and with both on the fused oneDNN cells.
fn kernel_table(ctx: &Ctx, findings: &mut Findings) -> Option<Table> {
    let rows = kernel_split_rows(ctx.results);
    if rows.is_empty() {
        return None;
    }
    let ms = |secs: Option<f64>| secs.map_or("—".to_string(), |s| format!("{:.2}", s * 1e3));
    let ratio = |r: Option<f64>| r.map_or("—".to_string(), |r| format!("{r:.2}"));
    for r in &rows {
        findings.add(&ctx.checks, kernel_split_sentence(r), &r.ids);
    }
    let body = rows
        .iter()
        .map(|r| {
            vec![
                r.group.to_string(),
                r.shape.to_string(),
                ms(Some(r.lstm_auto_secs)),
                ms(r.lstm_native_secs),
                ms(r.onednn_secs.map(|(lstm, _)| lstm)),
                ms(Some(r.gru_auto_secs)),
                ms(r.onednn_secs.map(|(_, gru)| gru)),
                ratio(Some(r.ratio_auto())),
                ratio(r.ratio_native()),
                ratio(r.ratio_onednn()),
            ]
        })
        .collect();
    Some(Table {
        title: "Cell or kernel: GRU/LSTM with libtorch's kernel choice, on its native loop and on the fused oneDNN cells"
            .into(),
        header: [
            "group",
            "LSTM shape",
            "LSTM ms (libtorch's choice)",
            "LSTM ms (native)",
            "LSTM ms (oneDNN fused)",
            "GRU ms (libtorch's choice = native)",
            "GRU ms (oneDNN fused)",
            "GRU/LSTM (libtorch's choice)",
            "GRU/LSTM (both native)",
            "GRU/LSTM (both oneDNN fused)",
        ]
        .map(String::from)
        .to_vec(),
        rows: body,
    })
}

/// One kernel-split finding: GRU/LSTM under each kernel setting benched,
/// and whether the LSTM's lead (or the GRU's) belongs to the cell or to
/// libtorch's kernel choice, judged on the equal kernel (the fused one
/// where benched, else the native loop).
pub(super) fn kernel_split_sentence(r: &KernelSplitRow) -> String {
    let mut parts = vec![format!(
        "GRU takes {:.2}× LSTM's time with libtorch's own kernels",
        r.ratio_auto()
    )];
    if let Some(native) = r.ratio_native() {
        parts.push(format!("{native:.2}× with both on the native loop"));
    }
    if let Some(fused) = r.ratio_onednn() {
        parts.push(format!("{fused:.2}× with both on the fused oneDNN cells"));
    }
    let equal = r.ratio_onednn().or(r.ratio_native());
    let verdict = match equal.map(|e| (r.ratio_auto() < 1.0, e < 1.0)) {
        Some((false, true)) => {
            "the LSTM's lead comes from libtorch's kernel choice, not from the cell"
        }
        Some((true, true)) => "GRU is faster either way",
        Some((false, false)) => "LSTM is faster either way",
        Some((true, false)) => "GRU is faster only under libtorch's kernel choice",
        None => "no equal-kernel pair was benched",
    };
    format!("{} {}: {}: {verdict}", r.group, r.shape, parts.join(", "))
}

fn group_table(ctx: &Ctx, group: BenchGroupId, findings: &mut Findings) -> Option<Table> {
    let mut rows: Vec<&BenchResult> = ctx
        .results
        .iter()
        .filter(|r| r.group == group && r.bench_cell().is_some())
        .collect();
    rows.sort_by_key(|r| (r.bench_cell(), r.steps_shape()));
    if rows.is_empty() {
        return None;
    }
    let of = |cell: Cell| rows.iter().filter(move |r| r.cell() == Some(cell));
    for gru in of(Cell::Gru) {
        if let Some(lstm) = of(Cell::Lstm).find(|l| l.parameter == gru.parameter) {
            let ratio = gru.median_secs / lstm.median_secs;
            findings.add(
                &ctx.checks,
                format!(
                    "{group} {}: GRU/LSTM time ratio {ratio:.2} ({} faster)",
                    gru.parameter,
                    if ratio < 1.0 { "GRU" } else { "LSTM" }
                ),
                &[gru.id(), lstm.id()],
            );
        }
    }
    if group.group.is_matched()
        && let (Some(gru), Some(lstm)) = (of(Cell::Gru).next(), of(Cell::Lstm).next())
        && let (Some(g), Some(l)) = (gru.steps_shape(), lstm.steps_shape())
        && g.hidden != l.hidden
    {
        let ratio = gru.median_secs / lstm.median_secs;
        findings.add(
            &ctx.checks,
            format!(
                "{} at the same parameter count (LSTM H {}, GRU H {}): GRU/LSTM time ratio {ratio:.2} ({} faster)",
                group_title(group),
                l.hidden,
                g.hidden,
                if ratio < 1.0 { "GRU" } else { "LSTM" }
            ),
            &[gru.id(), lstm.id()],
        );
    }
    let body = rows
        .iter()
        .map(|r| {
            let tokens = r.tokens_per_sec().unwrap_or(f64::NAN);
            let gflops = r
                .flops()
                .map(|f| f / r.median_secs / 1e9)
                .unwrap_or(f64::NAN);
            let efficiency = gflops * 1e9 / ctx.peak_flops;
            let [drift, flush] = condition_cells(ctx, r);
            vec![
                r.function.clone(),
                r.parameter.clone(),
                format!("{:.2}", r.median_secs * 1e3),
                format!("{:.2} – {:.2}", r.ci_low_secs * 1e3, r.ci_high_secs * 1e3),
                format!("{tokens:.0}"),
                format!("{gflops:.1}"),
                if efficiency.is_finite() {
                    format!("{:.1}%", efficiency * 100.0)
                } else {
                    "—".into()
                },
                drift,
                flush,
            ]
        })
        .collect();
    let title = if group.group.is_series() {
        format!(
            "{group}: numeric series through the linear input layer, cells matched by parameter count"
        )
    } else {
        group.to_string()
    };
    Some(Table {
        title,
        header: [
            "cell",
            "shape",
            "median ms",
            "95% CI ms",
            if group.group.is_series() {
                "time steps/s"
            } else {
                "tokens/s"
            },
            "GFLOP/s",
            "of matmul peak",
            "last/first third",
            "flush denormal",
        ]
        .map(String::from)
        .to_vec(),
        rows: body,
    })
}

/// Padded vs packed vs length-bucketed: the chart, the speed-ups and the table.
fn batching_section(
    ctx: &Ctx,
    findings: &mut Findings,
) -> Result<(Option<ChartSection>, Option<Table>)> {
    let batching = batching_rows(ctx.results);
    let Some(first) = batching.first().map(|r| r.bench) else {
        return Ok((None, None));
    };
    let mut charts = vec![];
    for cuda in [false, true] {
        let panels: Vec<(String, Vec<BatchingBar>)> =
            [BenchGroup::BatchingForward, BenchGroup::BatchingTrainStep]
                .into_iter()
                .map(|g| BenchGroupId::new(g, cuda))
                .map(|g| {
                    let bars = batching
                        .iter()
                        .filter(|r| r.group == g && r.real_tokens_per_sec.is_finite())
                        .map(|r| BatchingBar {
                            cell: r.cell,
                            mode: r.bench.mode,
                            real_tokens_per_sec: r.real_tokens_per_sec,
                        })
                        .collect();
                    (batching_title(g), bars)
                })
                .filter(|(_, bars): &(String, Vec<BatchingBar>)| !bars.is_empty())
                .collect();
        if panels.is_empty() {
            continue;
        }
        let file = chart_files::batching(if cuda { "-cuda" } else { "" });
        draw_batching(
            &ctx.out.join(&file),
            &format!(
                "Real tokens/s: padded vs packed vs length-bucketed ({} batches of {}, lengths up to {}, H {})",
                first.batches, first.shape.batch, first.shape.seq, first.shape.hidden
            ),
            &panels,
        )?;
        charts.push(Chart {
            file,
            alt: "real tokens per second of padded, packed and length-bucketed batches, per cell"
                .to_string(),
        });
    }
    for r in batching
        .iter()
        .filter(|r| r.bench.mode != BatchingMode::Padded)
    {
        if let (Some(x), Some(padded)) = (r.speedup_over_padded, &r.ids.1) {
            findings.add(
                &ctx.checks,
                format!(
                    "{} {}: {} batches {x:.2}× the speed of padding to {} tokens",
                    group_title(r.group),
                    r.cell.display_name(),
                    r.bench.mode,
                    r.bench.shape.seq
                ),
                &[&r.ids.0, padded],
            );
        }
    }
    let rows = batching
        .iter()
        .map(|r| {
            let result = ctx.results.iter().find(|x| x.id() == r.ids.0);
            let [drift, flush] = result
                .map(|x| condition_cells(ctx, x))
                .unwrap_or_else(|| ["—".into(), "—".into()]);
            let s = r.bench.shape;
            vec![
                r.group.to_string(),
                r.cell.name().to_string(),
                r.bench.mode.to_string(),
                format!(
                    "{} batches, h{}-t{}-b{}-l{}",
                    r.bench.batches, s.hidden, s.seq, s.batch, s.layers
                ),
                format!("{:.1}", r.median_secs * 1e3),
                format!("{:.0}", r.real_tokens_per_sec),
                r.speedup_over_padded
                    .map_or("—".to_string(), |x| format!("{x:.2}×")),
                drift,
                flush,
            ]
        })
        .collect();
    let table = Table {
        title: "padded vs packed vs bucketed".into(),
        header: [
            "group",
            "cell",
            "batching",
            "shape",
            "median ms per slice",
            "real tokens/s",
            "speed vs padded",
            "last/first third",
            "flush denormal",
        ]
        .map(String::from)
        .to_vec(),
        rows,
    };
    let section = (!charts.is_empty()).then(|| ChartSection {
        title: "Padded vs packed vs length-bucketed".into(),
        charts,
    });
    Ok((section, Some(table)))
}

#[cfg(test)]
mod exponent_words {
    use super::*;

    #[test]
    fn the_transformer_is_not_held_to_the_cells_linear_length() {
        assert!(textbook_exponent(Cell::Lstm, SweepAxis::Seq).ends_with("predicts 1"));
        assert!(textbook_exponent(Cell::Transformer, SweepAxis::Seq).contains("T²"));
    }
}
