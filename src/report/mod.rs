//! The report: charts (PNG) and a self-contained HTML page rendered from a
//! run folder's files, for one run ([`render_run`]) or a grid of them
//! ([`sweep::finish_sweep`]), and the same numbers as plain text for the
//! terminal. Merging folders is [`crate::merge`]'s job.
//!
//! In layers, each using only those above it (in the spirit of criterion.rs:
//! a pure model of what to show, then renderers):
//!
//! 1. [`load`]: files → typed run and sweep folders;
//! 2. [`view`]: pure: series, sweep lines and the one [`view::verdict`]
//!    rule for "distinguishable";
//! 3. [`format`] (numbers, units, intervals), [`findings`] (sentences),
//!    [`kernel_check`] (the kernel split's table) and
//!    [`answer`] (the first screen: one line per criterion);
//! 4. renderers that never import each other: [`plot`] (PNG; one style
//!    module, one file per page kind), [`html`] (minijinja templates filled
//!    from `Serialize` contexts) and [`terminal`];
//! 5. [`run`] and [`sweep`]: put one page together and write the files.
//!
//! [`bench`] is the criterion bench report; [`reference`] the README's
//! block about the committed reference run.

pub mod answer;
pub mod bench;
pub mod findings;
pub mod forecast;
pub mod format;
pub mod html;
pub mod kernel_check;
pub mod load;
pub mod plot;
pub mod reference;
pub mod run;
pub mod say;
pub mod sweep;
pub mod sweep_answer;
pub mod table;
pub mod terminal;
pub mod view;

use std::path::Path;

use crate::error::Result;

pub use load::RunFiles;
pub use run::{Csv, FinishedRun, finish_run, render_run, render_run_with, report_run, run_answer};
pub use view::series;

/// Renders the run folder `dir`: the sweep report (and every point's) when it
/// holds a grid of several points ([`sweep::render_if_sweep`]), else the run
/// report ([`report_run`]). Returns the page with the terminal's text.
pub fn render_folder(dir: &Path) -> Result<FinishedRun> {
    match sweep::render_if_sweep(dir)? {
        Some(finished) => Ok(finished),
        None => report_run(dir, None),
    }
}

/// `--open`: shows `page` with the desktop's opener. Returns the one-line
/// note to print when it could not (no opener, or the opener failed:
/// `xdg-open` exits non-zero, 3 for "no application", within a moment; one
/// still running then is taken to have opened it, since it may not exit
/// until the viewer does).
pub fn open_page(page: &Path) -> Option<String> {
    let note = |why: String| Some(format!("note: could not open {} ({why})", page.display()));
    if cfg!(target_os = "linux") {
        match std::process::Command::new("xdg-open")
            .arg(page)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
        {
            Ok(mut child) => {
                let started = std::time::Instant::now();
                while started.elapsed() < std::time::Duration::from_secs(3) {
                    match child.try_wait() {
                        Ok(Some(status)) if status.success() => return None,
                        Ok(Some(status)) => return note(format!("xdg-open {status}")),
                        Ok(None) => std::thread::sleep(std::time::Duration::from_millis(50)),
                        Err(e) => return note(e.to_string()),
                    }
                }
                return None;
            }
            // No system xdg-open: the opener crate's own copy of it.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return note(e.to_string()),
        }
    }
    opener::open(page).err().and_then(|e| note(e.to_string()))
}
