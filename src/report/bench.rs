//! The bench report: criterion's results (`target/criterion/**/new/*.json`)
//! as tokens/s, achieved GFLOP/s against this machine's matrix-multiply peak,
//! the GRU/LSTM time ratio per shape and over the (hidden, length) grid,
//! log-log scaling fits, padded vs packed vs length-bucketed batches of real
//! review lengths, the kernel split and how the benches ran, each checked
//! against what the arithmetic allows before it is called a finding.
//!
//! Layers, each using only those above it: [`results`] reads criterion's
//! folder into typed [`BenchResult`](results::BenchResult)s; [`series`] (pure) turns them into
//! what to show; [`gates`] checks them; `sections` builds the page's
//! sections, drawing with [`charts`]; `page` fills `bench/page.html`.
//!
//! FLOPs are counted in one place, [`ModelShape::forward_flops`](crate::model::ModelShape::forward_flops)
//! (a multiply-add is 2 FLOPs; a train step counts 3× the forward pass);
//! the page states the rule.

use std::path::{Path, PathBuf};

pub mod charts;
pub mod gates;
mod page;
pub mod results;
mod sections;
pub mod series;
#[cfg(test)]
mod tests;

use crate::error::{Error, Result};

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
    let results = results::read_criterion(criterion_dir)?;
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
