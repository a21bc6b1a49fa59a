//! The bench page's HTML: [`Page`] is everything it shows, already
//! formatted; `page.html` (a minijinja template, compiled in) lays it out,
//! escaping every value.

use std::path::Path;

use minijinja::syntax::SyntaxConfig;
use minijinja::value::Serde;
use minijinja::{AutoEscape, Environment, Value};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::report::html::escape;
use crate::report::table::Table;

/// Everything the bench page shows.
#[derive(Debug, Serialize)]
pub(super) struct Page {
    /// CPU threads of the benches.
    pub threads: i64,
    /// The matrix-multiply peak in GFLOP/s, formatted; `None` without the bench.
    pub peak_gflops: Option<String>,
    /// How the benches ran (flushing of subnormals, warm-up), one sentence each.
    pub conditions: Vec<String>,
    /// Findings no gate objects to.
    pub findings: Vec<String>,
    /// Failed sanity gates, one line each.
    pub problems: Vec<String>,
    /// Findings withheld because they rest on a flagged bench.
    pub withheld: Vec<String>,
    /// The chart sections, in page order: each heading with its charts, a
    /// PNG file name next to the page and its alternative text each.
    pub chart_sections: Vec<(String, Vec<(String, String)>)>,
    /// Whether there are batching benches (their explanation is shown).
    pub has_batching: bool,
    /// The tables with their headings: one per group, the kernel split,
    /// the batching table.
    pub tables: Vec<(String, Table)>,
    /// The stationarity tolerance in percent, for the explanation.
    pub drift_tolerance_pct: String,
    /// The significance level of the stationarity gate's trend test.
    pub drift_trend_alpha: String,
    /// The throughput gate's tolerance in percent, for the explanation.
    pub throughput_tolerance_pct: String,
}

/// Writes `page` as HTML to `path`.
pub(super) fn write(page: &Page, path: &Path) -> Result<()> {
    let html =
        render(page).map_err(|e| Error::results(path, format!("rendering the page: {e:#}")))?;
    crate::results::write_atomic(path, html.as_bytes())
}

fn render(page: &Page) -> std::result::Result<String, minijinja::Error> {
    let mut env = Environment::new();
    let mut syntax = SyntaxConfig::builder();
    env.set_syntax(syntax.trim_blocks(true).lstrip_blocks(true).build()?);
    // minijinja's own HTML escaping also writes `/` as `&#x2f;`; the run
    // report's escaping leaves it, so text such as "GRU/LSTM" stays
    // searchable in the file.
    env.set_formatter(|out, state, value: &Value| match value.as_str() {
        Some(s) if matches!(state.auto_escape(), AutoEscape::Html) && !value.is_safe() => {
            out.write_str(&escape(s)).map_err(minijinja::Error::from)
        }
        _ => minijinja::escape_formatter(out, state, value),
    });
    env.add_template("page.html", include_str!("page.html"))?;
    env.get_template("page.html")?
        .render(Value::from(Serde(page)))
}
