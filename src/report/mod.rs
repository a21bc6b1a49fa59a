//! The report: charts (PNG) and a self-contained HTML page rendered from a
//! run folder's files, for one run ([`render_run`]) or a grid of them
//! ([`sweep::finish_sweep`]), and the same numbers as plain text for the
//! terminal. Merging folders is [`crate::merge`]'s job.
//!
//! In layers, each using only those above it (in the spirit of criterion.rs:
//! a pure model of what to show, then renderers):
//!
//! 1. [`load`]: files → typed run and sweep folders;
//! 2. [`model`]: pure: series, sweep lines and the one [`model::verdict`]
//!    rule for "distinguishable";
//! 3. [`format`] (numbers, units, intervals) and [`findings`] (sentences);
//! 4. renderers that never import each other: [`plot`] (PNG; one style
//!    module, one file per page kind), [`html`] (minijinja templates filled
//!    from `Serialize` contexts) and [`terminal`];
//! 5. [`run`] and [`sweep`]: put one page together and write the files.
//!
//! [`bench`] is the criterion bench report.

pub mod bench;
pub mod findings;
pub mod format;
pub mod html;
pub mod load;
pub mod model;
pub mod plot;
pub mod run;
pub mod sweep;
pub mod terminal;

use std::path::{Path, PathBuf};

use crate::error::Result;

pub use load::RunFiles;
pub use model::series;
pub use run::{
    Csv, FinishedRun, LIVE_NOTE, chart_files, finish_run, render_run, render_run_at_target,
    render_run_with,
};

/// The chart pieces the bench report draws with, at the paths it uses.
pub mod charts {
    pub use super::plot::style::{CHART_SIZE_PX, WIDE_CHART_SIZE_PX, model_colour};
    pub(crate) use super::plot::style::{canvas, draw};
}

/// Renders the run folder `dir`: the sweep report (and every point's) when it
/// holds a grid of several points ([`sweep::render_if_sweep`]), else the run
/// report ([`render_run`]). Returns the page's path.
pub fn render_folder(dir: &Path) -> Result<PathBuf> {
    match sweep::render_if_sweep(dir)? {
        Some(page) => Ok(page),
        None => render_run(dir),
    }
}
