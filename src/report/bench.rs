//! The bench report: criterion's results (`target/criterion/**/new/*.json`)
//! as tokens/s, achieved GFLOP/s against this machine's matrix-multiply peak,
//! the GRU/LSTM time ratio per shape, and log-log scaling fits, each checked
//! against what the arithmetic allows before it is called a finding.
//!
//! Also: tokens/s against hidden size and against sequence length, the
//! GRU/LSTM ratio over the (hidden, length) grid as a heatmap
//! ([`ratio_grid`]), padded vs packed vs length-bucketed batches of real
//! review lengths ([`BatchingRow`]), and how the benches ran (flushing of
//! subnormal floats, warm-up) from the benches' own record.
//!
//! Layers, each using only those above it:
//! - [`results`] reads criterion's folder into typed [`BenchResult`]s (names
//!   parsed with the model layer's [`BenchShape`](crate::bench::BenchShape)
//!   and friends, the same types the benches format them with);
//! - [`series`] (pure) turns them into what to show;
//! - [`gates`] checks them: drift, implausible exponents, throughput rising
//!   with work, a train step faster than a forward pass;
//! - `sections` builds one page section each, drawing its charts with
//!   [`charts`];
//! - `page` fills the HTML template (`bench/page.html`).
//!
//! FLOPs are counted in one place, [`ModelShape::forward_flops`](crate::model::ModelShape::forward_flops):
//! a multiply-add is 2 FLOPs; per layer, direction and token a cell does
//! `2·G·H·(in + H)` (G gate blocks: LSTM 4, GRU 3, RNN 1); the head adds
//! `2·classes·directions·H` per sequence; element-wise gate arithmetic and the
//! embedding lookup are left out. A train step counts 3× the forward FLOPs
//! (the backward pass computes gradients for both the inputs and the
//! weights); Adam's update is left out.

use std::path::{Path, PathBuf};

pub mod charts;
pub mod gates;
mod page;
pub mod results;
mod sections;
pub mod series;
#[cfg(test)]
mod tests;

pub use gates::{Checks, Drift, Gate, Problem};
pub use results::{BenchResult, read_conditions, read_criterion};
pub use series::{
    BatchingRow, KernelSplitRow, RatioGrid, SweepAxis, SweepLine, batching_rows, fit_exponent,
    kernel_split_rows, ratio_grid, sweep_lines, tokens_per_sec_lines,
};

use crate::error::{Error, Result};

/// What the bench report borrows from the run report, in one place: the
/// chart canvas, palette and sizes, the line type, HTML escaping.
mod shared {
    pub(crate) use crate::report::charts::{
        CHART_SIZE_PX, LegendSize, WIDE_CHART_SIZE_PX, canvas, draw, draw_legend, legend_line,
        model_colour,
    };
    pub(crate) use crate::report::html::escape;
    pub(crate) use crate::report::series::Line;
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
    /// The page.
    pub const PAGE: &str = "report.html";
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
    let page = sections::build(&results, out)?;
    let path = out.join(chart_files::PAGE);
    page::write(&page, &path)?;
    Ok(path)
}
