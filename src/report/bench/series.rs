//! Pure: bench results -> what the page shows (GRU/LSTM pairs and their
//! grid, sweep lines with their fitted exponents, batching and kernel-split
//! rows). Nothing here draws or writes.

use super::results::BenchResult;
use crate::bench::{BatchingBench, BatchingMode, BenchCell, BenchGroup, BenchGroupId, BenchShape};
use crate::config::KernelChoice;
use crate::model::Cell;
use crate::report::series::Line;

pub use crate::analysis::stats::fit_exponent;

/// The groups of cell benches swept along [`SweepAxis`], in page order.
pub fn sweep_groups() -> impl Iterator<Item = BenchGroupId> {
    let groups = [BenchGroup::Forward, BenchGroup::TrainStep];
    [false, true]
        .into_iter()
        .flat_map(move |cuda| groups.map(|g| BenchGroupId::new(g, cuda)))
}

/// The GRU and LSTM benches of `group` (libtorch's own kernels) at the same
/// parameter, in the GRU's shape order.
pub fn gru_lstm_pairs(
    results: &[BenchResult],
    group: BenchGroupId,
) -> Vec<(&BenchResult, &BenchResult)> {
    let of = |cell| {
        results
            .iter()
            .filter(move |r| r.group == group && r.cell() == Some(cell))
    };
    let mut pairs: Vec<_> = of(Cell::Gru)
        .filter_map(|gru| Some((gru, of(Cell::Lstm).find(|l| l.parameter == gru.parameter)?)))
        .collect();
    pairs.sort_by_key(|(gru, _)| gru.steps_shape());
    pairs
}

/// The GRU/LSTM time ratio over the (hidden size, sequence length) grid of
/// one group, at the sweep's base shape ([`is_base`]).
#[derive(Debug, Clone, PartialEq)]
pub struct RatioGrid {
    /// Hidden sizes with at least one ratio, ascending (rows).
    pub hiddens: Vec<i64>,
    /// Sequence lengths with at least one ratio, ascending (columns).
    pub seqs: Vec<i64>,
    /// `cells[row][col]`: GRU median / LSTM median at `hiddens[row]`,
    /// `seqs[col]`, with the (GRU, LSTM) bench ids behind it; `None` where
    /// the point was not benched for both cells.
    pub cells: Vec<Vec<Option<RatioPoint>>>,
}

/// A GRU/LSTM time ratio with the (GRU, LSTM) bench ids behind it.
pub type RatioPoint = (f64, (String, String));

/// The GRU/LSTM ratio grid of `group`; `None` when no base shape has both cells.
pub fn ratio_grid(results: &[BenchResult], group: BenchGroupId) -> Option<RatioGrid> {
    let points: Vec<(BenchShape, RatioPoint)> = gru_lstm_pairs(results, group)
        .into_iter()
        .filter_map(|(gru, lstm)| {
            let ratio = gru.median_secs / lstm.median_secs;
            Some((gru.shape().filter(is_base)?, (ratio, (gru.id(), lstm.id()))))
        })
        .collect();
    if points.is_empty() {
        return None;
    }
    let axis = |f: fn(&BenchShape) -> i64| {
        let mut v: Vec<i64> = points.iter().map(|p| f(&p.0)).collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    let (hiddens, seqs) = (axis(|s| s.hidden), axis(|s| s.seq));
    let row = |h: &i64| {
        let at = |t: &i64| points.iter().find(|p| p.0.hidden == *h && p.0.seq == *t);
        seqs.iter().map(|t| Some(at(t)?.1.clone())).collect()
    };
    Some(RatioGrid {
        cells: hiddens.iter().map(row).collect(),
        hiddens,
        seqs,
    })
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
    /// Both axes, in the order the page shows them.
    pub const ALL: [SweepAxis; 2] = [SweepAxis::Hidden, SweepAxis::Seq];

    /// `hidden` along the hidden axis, `seq` along the length axis.
    fn pick<T>(self, hidden: T, seq: T) -> T {
        match self {
            SweepAxis::Hidden => hidden,
            SweepAxis::Seq => seq,
        }
    }

    /// Short name, used in file names: `hidden`, `seq`.
    pub fn name(self) -> &'static str {
        self.pick("hidden", "seq")
    }

    /// Axis title.
    pub fn label(self) -> &'static str {
        self.pick("hidden size", "sequence length (tokens)")
    }

    /// The symbol in fitted laws: `H`, `T`.
    pub fn symbol(self) -> &'static str {
        self.pick("H", "T")
    }

    /// Whether `s` lies on this axis' line through the base shape.
    pub fn on_line(self, s: &BenchShape) -> bool {
        self.pick(s.seq == 200, s.hidden == 128)
    }

    /// The swept value of `s`.
    pub fn x(self, s: &BenchShape) -> f64 {
        self.pick(s.hidden, s.seq) as f64
    }
}

/// The base shape of the sweep (`benches/throughput.rs`): batch 64, one
/// unidirectional layer.
pub fn is_base(s: &BenchShape) -> bool {
    s.layers == 1 && !s.bidirectional && s.batch == 64
}

/// One cell's benches of a group along a sweep axis, sorted by x.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepLine {
    /// The cell.
    pub cell: Cell,
    /// `(x, median seconds)` per bench, ascending x.
    pub points: Vec<(f64, f64)>,
    /// Tokens per iteration of each point.
    pub tokens: Vec<f64>,
    /// The bench id of each point.
    pub ids: Vec<String>,
}

impl SweepLine {
    /// The fitted exponent `k` of `time ∝ x^k` ([`fit_exponent`]).
    pub fn exponent(&self) -> Option<f64> {
        fit_exponent(&self.points)
    }
}

/// The lines of `group` along `axis` with at least two points, one per cell.
pub fn sweep_lines(
    results: &[BenchResult],
    group: BenchGroupId,
    axis: SweepAxis,
) -> Vec<SweepLine> {
    let line = |cell| {
        let mut on: Vec<(&BenchResult, BenchShape)> = results
            .iter()
            .filter(|r| r.group == group && r.cell() == Some(cell))
            .filter_map(|r| Some((r, r.shape().filter(|s| is_base(s) && axis.on_line(s))?)))
            .collect();
        on.sort_by(|a, b| axis.x(&a.1).total_cmp(&axis.x(&b.1)));
        (on.len() >= 2).then(|| SweepLine {
            cell,
            points: on.iter().map(|(r, s)| (axis.x(s), r.median_secs)).collect(),
            tokens: on.iter().map(|(_, s)| s.tokens() as f64).collect(),
            ids: on.iter().map(|(r, _)| r.id()).collect(),
        })
    };
    Cell::ALL.into_iter().filter_map(line).collect()
}

/// Tokens/s lines of `group` against `axis` (`hidden` at length 200, or
/// `seq` at hidden 128), one per cell, batch 64, one unidirectional layer.
pub fn tokens_per_sec_lines(
    results: &[BenchResult],
    group: BenchGroupId,
    axis: SweepAxis,
) -> Vec<Line> {
    let line = |l: SweepLine| Line {
        model: l.cell,
        label: l.cell.display_name().to_string(),
        points: l
            .points
            .iter()
            .zip(&l.tokens)
            .map(|(&(x, secs), n)| (x, n / secs))
            .collect(),
    };
    sweep_lines(results, group, axis)
        .into_iter()
        .map(line)
        .collect()
}

/// One row of the batching table: a cell's time per epoch slice in one
/// mode, in real tokens per second and relative to padding.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchingRow<'a> {
    /// The bench (group `batching_forward`, `batching_train_step`, `-cuda`).
    pub result: &'a BenchResult,
    /// The cell.
    pub cell: Cell,
    /// The bench's parameter.
    pub bench: BatchingBench,
    /// Real (not padding) tokens per second; NaN without criterion's throughput.
    pub real_tokens_per_sec: f64,
    /// The padded bench of the same cell, group and shape.
    pub padded: Option<&'a BenchResult>,
}

impl BatchingRow<'_> {
    /// Padded time / this time (> 1: faster than padding); `None` without a
    /// padded bench.
    pub fn speedup_over_padded(&self) -> Option<f64> {
        self.padded.map(|p| p.median_secs / self.result.median_secs)
    }
}

/// The batching benches of `results` as rows, in group, cell then mode order.
pub fn batching_rows<'a>(results: &'a [BenchResult]) -> Vec<BatchingRow<'a>> {
    let row = |r: &'a BenchResult| {
        let (bench, cell) = (r.batching()?, r.cell()?);
        let padded = results.iter().find(|p| {
            (p.group, &p.function) == (r.group, &r.function)
                && p.batching()
                    .is_some_and(|b| b.mode == BatchingMode::Padded && b.shape == bench.shape)
        });
        Some(BatchingRow {
            result: r,
            cell,
            bench,
            real_tokens_per_sec: r.elements.map_or(f64::NAN, |e| e / r.median_secs),
            padded,
        })
    };
    let batching = results.iter().filter(|r| r.group.group.is_batching());
    let mut rows: Vec<BatchingRow> = batching.filter_map(row).collect();
    rows.sort_by_key(|r| (r.result.group.to_string(), r.cell, r.bench.mode));
    rows
}

/// This machine's matrix-multiply peak in FLOP/s (the fastest matmul
/// bench); NaN without one.
pub fn peak_flops(results: &[BenchResult]) -> f64 {
    results
        .iter()
        .filter_map(|r| Some(r.matmul()?.flops() / r.median_secs))
        .fold(f64::NAN, f64::max)
}

/// The most CPU threads any bench ran on (0 when no name says).
pub fn threads(results: &[BenchResult]) -> i64 {
    let threads = |r: &BenchResult| {
        let shape = r.steps_shape().or(r.batching().map(|b| b.shape));
        shape.map(|s| s.threads).or(r.matmul().map(|m| m.threads))
    };
    results.iter().filter_map(threads).max().unwrap_or(0)
}

/// A group's title on the page and in charts: `train_step-cuda` → `train step (CUDA)`.
pub fn group_title(group: BenchGroupId) -> String {
    let cuda = if group.cuda { " (CUDA)" } else { "" };
    format!("{}{cuda}", group.group.name().replace('_', " "))
}

/// The kernel split at one shape of one cell-bench group: GRU/LSTM under
/// libtorch's own kernel choice (oneDNN for the CPU LSTM only), with both
/// cells on libtorch's native loop (`lstm-native`: the GRU has no other
/// kernel in libtorch on the CPU), and with both on rnnbench's fused oneDNN
/// cells (`lstm-onednn`, `gru-onednn`), where those were benched.
#[derive(Debug, Clone, PartialEq)]
pub struct KernelSplitRow<'a> {
    /// The group.
    pub group: BenchGroupId,
    /// The LSTM's shape (the GRU's too, except in `train_step_matched`).
    pub shape: BenchShape,
    /// The LSTM, libtorch's choice.
    pub lstm: &'a BenchResult,
    /// The GRU, libtorch's choice (its native loop).
    pub gru: &'a BenchResult,
    /// The LSTM on the native loop.
    pub lstm_native: Option<&'a BenchResult>,
    /// The LSTM and the GRU on the fused oneDNN cells.
    pub onednn: Option<(&'a BenchResult, &'a BenchResult)>,
}

impl KernelSplitRow<'_> {
    /// The ids of every bench behind the row, for the gates.
    pub fn ids(&self) -> Vec<String> {
        let fused = self.onednn.into_iter().flat_map(|(l, g)| [l, g]);
        let benches = [self.lstm, self.gru].into_iter().chain(self.lstm_native);
        benches.chain(fused).map(BenchResult::id).collect()
    }

    /// GRU/LSTM time with libtorch's own kernel choice.
    pub fn ratio_auto(&self) -> f64 {
        self.gru.median_secs / self.lstm.median_secs
    }

    /// GRU/LSTM time with both cells on libtorch's native loop.
    pub fn ratio_native(&self) -> Option<f64> {
        Some(self.gru.median_secs / self.lstm_native?.median_secs)
    }

    /// GRU/LSTM time with both cells on the fused oneDNN cells: the cells'
    /// cost on equal, fused kernels.
    pub fn ratio_onednn(&self) -> Option<f64> {
        self.onednn.map(|(l, g)| g.median_secs / l.median_secs)
    }
}

/// Every shape where the LSTM was benched on another kernel than libtorch's
/// choice (`lstm-native`, `lstm-onednn`), with its partners of the same
/// group and shape (in `train_step_matched`, the group's GRU, whose hidden
/// size differs); a row needs the plain LSTM and GRU.
pub fn kernel_split_rows(results: &[BenchResult]) -> Vec<KernelSplitRow<'_>> {
    let mut anchors: Vec<(BenchGroupId, &str)> = results
        .iter()
        .filter(|r| {
            r.bench_cell()
                .is_some_and(|c| c.cell == Cell::Lstm && c.kernel != KernelChoice::Auto)
        })
        .map(|r| (r.group, r.parameter.as_str()))
        .collect();
    anchors.sort();
    anchors.dedup();
    let row = |(group, parameter): (BenchGroupId, &str)| {
        let find = |cell: Cell, kernel| {
            results.iter().find(|r| {
                r.group == group
                    && r.bench_cell() == Some(BenchCell::new(cell, kernel))
                    && (r.parameter == parameter
                        || (cell == Cell::Gru && group.group == BenchGroup::TrainStepMatched))
            })
        };
        Some(KernelSplitRow {
            group,
            shape: parameter.parse().ok()?,
            lstm: find(Cell::Lstm, KernelChoice::Auto)?,
            gru: find(Cell::Gru, KernelChoice::Auto)?,
            lstm_native: find(Cell::Lstm, KernelChoice::Native),
            onednn: find(Cell::Lstm, KernelChoice::Onednn)
                .zip(find(Cell::Gru, KernelChoice::Onednn)),
        })
    };
    let mut rows: Vec<KernelSplitRow> = anchors.into_iter().filter_map(row).collect();
    rows.sort_by_key(|r| (r.group, r.shape.to_string()));
    rows
}
