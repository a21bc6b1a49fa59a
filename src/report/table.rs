//! One table model: a list of columns, each a header and a cell per model,
//! built once ([`headline`], [`resources`]) and drawn by the terminal
//! ([`Table::text`]), the README ([`Table::markdown`]) and the page (the
//! template iterates [`Table`]'s headers and rows), as hyperfine's exporters
//! draw one result table. A metric's columns come from its entry in
//! [`crate::analysis::metrics`]: its header and its unit's format.

use serde::Serialize;

use super::format::{ci, mean_sd, mib, pct, secs, thousands};
use crate::analysis::metrics::{self, Metric, Unit};
use crate::analysis::summary::{ModelSummary, Summary};
use crate::model::{Cell, ModelShape};
use crate::probe::kernel::Kernel;

/// Where a table is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// `compare`'s last lines and `report DIR --full`.
    Terminal,
    /// The README's reference block.
    Readme,
    /// The run page.
    Page,
}

/// What a column shows.
#[derive(Debug, Clone, Copy)]
enum Cells {
    /// A metric's mean ± sd over the seeds.
    Mean(Metric),
    /// A metric's 95% CI (`[lo, hi]`, or too few seeds).
    Ci(Metric),
    /// Something of the model that is not a metric (seeds, parameters, …).
    Fact(&'static str, fn(&ModelSummary, &Facts) -> String),
}
use Cells::{Ci, Fact, Mean};

/// One column: what it shows and the targets that show it.
#[derive(Debug, Clone, Copy)]
struct Column(Cells, &'static [Target]);

/// What the columns need besides the summary: the models' shapes and the
/// kernels their runs recorded.
#[derive(Debug, Clone, Copy, Default)]
pub struct Facts<'a> {
    /// The models' shapes (gate blocks, pooling, the equations' count).
    pub shapes: &'a [ModelShape],
    /// The kernels the runs recorded, one entry per (model, kernel) seen.
    pub kernels: &'a [(Cell, Kernel)],
}

/// A table: headers, one row of cells per model, and which columns hold
/// numbers (drawn right-aligned).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Table {
    /// The column headers.
    pub headers: Vec<String>,
    /// Per column, whether it holds numbers.
    pub numeric: Vec<bool>,
    /// The models, one per row (the page draws their swatches).
    pub models: Vec<Cell>,
    /// The cells, one row per model, the model's name first.
    pub rows: Vec<Vec<String>>,
}

const ALL: &[Target] = &[Target::Terminal, Target::Readme, Target::Page];
const README: &[Target] = &[Target::Readme];
const PAGE: &[Target] = &[Target::Page];

/// A metric's number in its unit, by the one rounding rule of each.
pub fn unit_format(unit: Unit) -> fn(f64) -> String {
    match unit {
        Unit::Fraction => pct,
        Unit::Seconds => secs,
        Unit::Bytes => mib,
        Unit::Milliseconds => |x| format!("{x:.3}"),
        Unit::Microseconds => |x| format!("{x:.1}"),
        Unit::Target => significant,
        Unit::Ratio => |x| format!("{x:.3}"),
    }
}

/// `x` to four significant digits (at least none after the point): a
/// target's units may be megawatts or millimetres.
pub(crate) fn significant(x: f64) -> String {
    let digits = if x == 0.0 || !x.is_finite() {
        0
    } else {
        x.abs().log10().floor() as i32
    };
    format!("{x:.*}", (3 - digits).max(0) as usize)
}

/// `v` drawn by `f`, or `—` without one.
pub fn dash<T>(v: Option<T>, f: impl Fn(T) -> String) -> String {
    v.map(f).unwrap_or_else(|| "—".into())
}

fn hidden(m: &ModelSummary, _: &Facts) -> String {
    match m.hidden_size {
        Some(h) if !m.model.is_recurrent() => format!("{h} (feed-forward)"),
        h => dash(h, |h| h.to_string()),
    }
}

fn shape_of<'a>(m: &ModelSummary, f: &Facts<'a>) -> Option<&'a ModelShape> {
    f.shapes.iter().find(|s| s.cell == m.model)
}

fn pooling(m: &ModelSummary, f: &Facts) -> String {
    dash(shape_of(m, f), |s| s.pooling.name().to_string())
}

fn activation(m: &ModelSummary, f: &Facts) -> String {
    dash(shape_of(m, f), |s| {
        thousands(s.activation_bytes_per_token_at(s.positions))
    })
}

fn kernel(m: &ModelSummary, f: &Facts) -> String {
    match super::format::kernels_of(f.kernels, m.model).as_slice() {
        [] => "—".into(),
        ks => super::say::list(ks, ", ", |k| k.name().to_string()),
    }
}

/// The headline table's columns: per model, the seeds, test accuracy,
/// seconds per epoch, size, memory (and, in the README, the kernel and the
/// latency).
const HEADLINE: &[Column] = &[
    Column(Fact("kernel", kernel), README),
    Column(Fact("seeds", |m, _| m.seeds.to_string()), ALL),
    Column(Mean(metrics::TEST_ACC), ALL),
    Column(Ci(metrics::TEST_ACC), ALL),
    Column(Mean(metrics::TEST_MAE), ALL),
    Column(Ci(metrics::TEST_MAE), ALL),
    Column(Mean(metrics::TEST_MAE_VS_NAIVE), ALL),
    Column(Ci(metrics::TEST_MAE_VS_NAIVE), ALL),
    Column(Mean(metrics::TEST_MAE_VS_SEASONAL), ALL),
    Column(Mean(metrics::TEST_MASE), PAGE),
    Column(Mean(metrics::TEST_RMSE), PAGE),
    Column(Mean(metrics::SECS_PER_EPOCH), ALL),
    Column(Ci(metrics::SECS_PER_EPOCH), ALL),
    Column(Fact("params", |m, _| dash(m.params, thousands)), ALL),
    Column(Fact("hidden", hidden), ALL),
    Column(
        Fact("gate blocks", |m, _| dash(m.gates, |g| g.to_string())),
        PAGE,
    ),
    Column(Fact("pooling", pooling), PAGE),
    Column(Mean(metrics::PEAK_RSS), ALL),
    Column(Ci(metrics::PEAK_RSS), PAGE),
    Column(Mean(metrics::GPU_PEAK), ALL),
    Column(Mean(metrics::LATENCY_WHOLE_P50), README),
    Column(Mean(metrics::LATENCY_STEP_P50), README),
];

/// The resources table's columns: the memory training adds, the equations'
/// count per token kept for backprop, latency at batch 1 per whole example
/// and per streamed step.
const RESOURCES: &[Column] = &[
    Column(Mean(metrics::TRAIN_RSS), ALL),
    Column(Ci(metrics::TRAIN_RSS), ALL),
    Column(Fact("activations per token (B)", activation), ALL),
    Column(Mean(metrics::LATENCY_WHOLE_P50), ALL),
    Column(Ci(metrics::LATENCY_WHOLE_P50), ALL),
    Column(Mean(metrics::LATENCY_WHOLE_P99), ALL),
    Column(Mean(metrics::LATENCY_STEP_P50), ALL),
    Column(Ci(metrics::LATENCY_STEP_P50), ALL),
    Column(Mean(metrics::LATENCY_STEP_P90), ALL),
    Column(Mean(metrics::LATENCY_STEP_P99), ALL),
];

impl Column {
    fn header(&self) -> String {
        match self.0 {
            Mean(m) => m.header.to_string(),
            Ci(_) => "95% CI".to_string(),
            Fact(h, _) => h.to_string(),
        }
    }

    fn cell(&self, m: &ModelSummary, facts: &Facts) -> String {
        match self.0 {
            Mean(metric) => mean_sd(m.get(&metric), unit_format(metric.unit)),
            Ci(metric) => ci(m.get(&metric), unit_format(metric.unit)),
            Fact(_, f) => f(m, facts),
        }
    }

    /// A metric column no model recorded (GPU memory on a CPU run) is left
    /// out.
    fn recorded(&self, summary: &Summary) -> bool {
        match self.0 {
            Mean(metric) | Ci(metric) => summary.per_model.iter().any(|m| m.get(&metric).is_some()),
            Fact(..) => true,
        }
    }
}

/// The table of `columns` shown at `target`, one row per model of
/// `summary`.
fn build(columns: &[Column], summary: &Summary, facts: &Facts, target: Target) -> Table {
    let shown: Vec<&Column> = columns
        .iter()
        .filter(|c| c.1.contains(&target) && c.recorded(summary))
        .collect();
    let headers = std::iter::once("model".to_string())
        .chain(shown.iter().map(|c| c.header()))
        .collect();
    let numeric = std::iter::once(false)
        .chain(shown.iter().map(|c| !matches!(c.0, Fact("pooling", _))))
        .collect();
    let rows = summary
        .per_model
        .iter()
        .map(|m| {
            std::iter::once(m.model.display_name().to_string())
                .chain(shown.iter().map(|c| c.cell(m, facts)))
                .collect()
        })
        .collect();
    Table {
        headers,
        numeric,
        models: summary.per_model.iter().map(|m| m.model).collect(),
        rows,
    }
}

/// The headline table at `target`.
pub fn headline(summary: &Summary, facts: &Facts, target: Target) -> Table {
    build(HEADLINE, summary, facts, target)
}

/// The resources table at `target`.
pub fn resources(summary: &Summary, facts: &Facts, target: Target) -> Table {
    build(RESOURCES, summary, facts, target)
}

/// One column of a table of `T`s (the bench page's): its header, and how
/// it draws a `T`'s cell.
pub type ItemColumn<'a, T> = (&'a str, &'a dyn Fn(&T) -> String);

impl Table {
    /// The table of `items`, one row each, in `columns`: every column
    /// numeric, no model swatches.
    pub fn of<T>(columns: &[ItemColumn<T>], items: &[T]) -> Table {
        let row = |item: &T| columns.iter().map(|(_, cell)| cell(item)).collect();
        Table {
            headers: columns.iter().map(|(h, _)| h.to_string()).collect(),
            numeric: vec![true; columns.len()],
            models: vec![],
            rows: items.iter().map(row).collect(),
        }
    }

    /// As aligned plain text: the first column left-aligned, numbers
    /// right-aligned, two spaces between columns.
    pub fn text(&self) -> String {
        let all: Vec<&Vec<String>> = std::iter::once(&self.headers).chain(&self.rows).collect();
        let widths: Vec<usize> = (0..self.headers.len())
            .map(|c| all.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
            .collect();
        let mut out = String::new();
        for row in all {
            let cells = row.iter().zip(&widths).zip(&self.numeric);
            let line = super::say::list(cells, "  ", |((cell, &w), &numeric)| match numeric {
                true => format!("{cell:>w$}"),
                false => format!("{cell:<w$}"),
            });
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }

    /// As a markdown table.
    pub fn markdown(&self) -> String {
        let mut out = format!("| {} |\n", self.headers.join(" | "));
        out.push_str(&format!("|{}\n", "---|".repeat(self.headers.len())));
        for row in &self.rows {
            out.push_str(&format!("| {} |\n", row.join(" | ")));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::summary::summarize;
    use crate::analysis::summary::tests::run;

    fn summary() -> Summary {
        let runs = vec![
            run("lstm", 1, 0.85, 2.0, 1 << 20),
            run("gru", 1, 0.84, 1.0, 1 << 20),
        ];
        summarize(&runs, &[Cell::Lstm, Cell::Gru])
    }

    #[test]
    fn one_table_drawn_as_text_and_markdown_with_the_same_cells() {
        let s = summary();
        let t = headline(&s, &Facts::default(), Target::Terminal);
        assert_eq!(
            t.headers,
            [
                "model",
                "seeds",
                "test acc (%)",
                "95% CI",
                "s/epoch",
                "95% CI",
                "params",
                "hidden",
                "peak RSS (MiB)"
            ]
        );
        let text = t.text();
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("model"), "{text}");
        assert!(lines[1].starts_with("LSTM") && lines[1].contains("85.00 (n = 1)"));
        let md = t.markdown();
        assert!(md.starts_with("| model | seeds | test acc (%) |"), "{md}");
        assert!(
            md.contains("| LSTM | 1 | 85.00 (n = 1) | too few seeds (1) |"),
            "{md}"
        );
    }

    #[test]
    fn each_target_gets_its_columns_and_an_unrecorded_metric_none() {
        let s = summary();
        let page = headline(&s, &Facts::default(), Target::Page);
        assert!(page.headers.contains(&"gate blocks".to_string()));
        assert!(!page.headers.iter().any(|h| h.contains("GPU")));
        let readme = headline(&s, &Facts::default(), Target::Readme);
        assert_eq!(readme.headers[1], "kernel");
        assert!(page.numeric[1] && !page.numeric[0]);
    }
}
