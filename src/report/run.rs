//! The run report, put together: a run folder's files are loaded
//! ([`super::load`]), turned into series and verdicts ([`super::view`]),
//! drawn ([`super::plot::run`]) and written into the page
//! ([`super::html::run`]), with `summary.json` next to them.

use std::path::{Path, PathBuf};

use super::answer::{Answer, AnswerInputs, answer};
use super::findings::{ClaimContext, ClaimRow, claim_rows};
use super::html::Figure;
use super::html::run::RunPage;
use super::load::RunFiles;
use super::plot::run as plot;
use super::terminal::{claims_table, details, terminal_table};
use super::view::claims::{ClaimInputs, check_claims};
use super::view::memory_reach::MemoryReach;
use super::view::pooling_effect::PoolingRow;
use super::view::references::references_for;
use super::view::series;
use super::view::verdict::Comparison;
use crate::analysis::metrics;
use crate::analysis::stats::Scale;
use crate::analysis::summary::Summary;
use crate::error::Result;
use crate::model::Cell;
use crate::results::{ForecastRow, files, write_json_atomic};

/// File names of the charts the report writes next to `report.html`.
pub mod chart_files {
    /// Validation accuracy per epoch.
    pub const VAL_ACC: &str = "val_acc.png";
    /// A forecast's validation MAE per epoch.
    pub const VAL_MAE: &str = "val_mae.png";
    /// A forecast's test part one step ahead.
    pub const FORECAST: &str = "forecast.png";
    /// Training and validation loss per epoch.
    pub const LOSS: &str = "loss.png";
    /// Validation accuracy against cumulative training time.
    pub const ACC_VS_TIME: &str = "val_acc_vs_time.png";
    /// Test accuracy per seed with means and CIs.
    pub const TEST_ACC: &str = "test_acc.png";
    /// Seconds per epoch, tokens per second, peak memory.
    pub const COST: &str = "cost.png";
    /// Gradient norm per input time step (only with `gradient_flow.csv`).
    pub const GRADIENT_FLOW: &str = "gradient_flow.png";
    /// Every epoch's training time, disturbed epochs marked.
    pub const EPOCH_TIMES: &str = "epoch_times.png";
}

/// The page's note when a `compare` was still writing the folder.
pub const LIVE_NOTE: &str = "A compare was still working in this folder when this page was rendered: it shows the runs finished by then, and the comparison renders it again when it ends.";

/// A run whose kernel check (`--kernel-check on`) left no results: it was
/// interrupted or failed after the runs; `compare --resume` runs it.
fn missing_kernel_check(run: &RunFiles, csv: Csv) -> Option<String> {
    let wanted = run.config.config.kernel_check.is_on()
        && run.config.merged_from.is_empty()
        && csv == Csv::Rewrite
        && !run.runs.is_empty();
    if !wanted || !run.kernel_check.is_empty() {
        return None;
    }
    let root = crate::results::lock::guarding_folders(&run.dir)
        .pop()
        .unwrap_or_else(|| run.dir.clone());
    Some(format!(
        "The kernel check (--kernel-check on) has no results here: it was interrupted or failed before writing {}, so the speed verdict has no kernel split. `compare --resume {}` runs it.",
        files::KERNEL_CHECK,
        root.display()
    ))
}

/// What [`finish_run`] produced (and [`super::sweep::finish_sweep`], and
/// `report`'s renders).
#[derive(Debug, Clone, PartialEq)]
pub struct FinishedRun {
    /// The report page, `dir/report.html`.
    pub html: PathBuf,
    /// What `compare` prints when it ends: the first screen, the headline
    /// table and one line per claim, as plain text.
    pub table: String,
    /// What `report DIR --full` adds: the claims' figures and the notes no
    /// other part says ([`super::terminal::details`]).
    pub details: String,
    /// The first screen as plain text, as `report DIR` prints it: the answer
    /// of the page just written, then what else to know first (an
    /// incomplete sweep, runs a merge found twice and counted once); empty
    /// when there is none.
    pub first_screen: String,
}

/// Renders the report of the run in `dir` (as [`render_run`]) and returns the
/// page's path with a plain-text headline for the terminal. `compare` calls
/// this when a run ends (also after Ctrl-C), holding the folder's lock.
pub fn finish_run(dir: &Path) -> Result<FinishedRun> {
    finished(&RunFiles::load(dir)?, Csv::Rewrite)
}

/// Renders `run` ([`render`]) and puts its terminal text together from what
/// the render made, so that the terminal says what the page says.
fn finished(run: &RunFiles, csv: Csv) -> Result<FinishedRun> {
    fill_time_to_target(run, csv)?;
    let forecasts = fill_forecasts(run, csv)?;
    let (html, summary, claims, answer) = render(run, csv, &forecasts)?;
    let mut first_screen = answer.map(|a| a.text()).unwrap_or_default();
    let gap = if first_screen.is_empty() { "" } else { "\n" };
    let table = format!(
        "{first_screen}{gap}{}{}",
        terminal_table(&summary),
        claims_table(&claims)
    );
    for note in run.config.duplicate_notes() {
        first_screen.push_str(note);
        first_screen.push('\n');
    }
    Ok(FinishedRun {
        html,
        table,
        details: details(&summary, &claims),
        first_screen,
    })
}

/// The first screen of `run` ([`super::answer`]), from `summary` (of its
/// runs); `None` with fewer than two models.
pub fn run_answer(run: &RunFiles, summary: &Summary) -> Option<Answer> {
    let kernels = run.kernels();
    let precision_points = run
        .config
        .config
        .auto_seeds
        .map_or(crate::config::AutoSeeds::DEFAULT_PRECISION_POINTS, |a| {
            a.precision_points
        });
    let resume = resume_folder(run);
    answer(&AnswerInputs {
        summary,
        kernels: &kernels,
        kernel_choice: run.config.config.kernel,
        command_line: &run.config.command_line,
        resume: resume.as_deref(),
        precision_points,
        series: run.config.channels > 0,
    })
}

/// The folder `compare --resume` adds seeds to for `run`, as `compare`
/// named it (`<--out>/<run-id>`, the same wherever the folder is rendered):
/// for a run of one configuration in one piece, whose `sweep.json` is its
/// own. `None` for a merge, a shard (its seeds are the whole grid's), a
/// point of a sweep (a resume adds seeds at every point) and a folder from
/// before `sweep.json`.
fn resume_folder(run: &RunFiles) -> Option<String> {
    if !run.config.merged_from.is_empty() {
        return None;
    }
    let sweep = crate::results::SweepManifest::load(&run.dir).ok()?;
    let own = sweep.shard.is_none() && sweep.merged_from.is_empty() && sweep.grid.points.len() == 1;
    own.then(|| {
        run.config
            .config
            .out
            .join(&sweep.run_id)
            .display()
            .to_string()
    })
}

/// `summary.json` of a run: the summary and the claims table.
#[derive(serde::Serialize)]
struct SummaryFile<'a> {
    #[serde(flatten)]
    summary: &'a Summary,
    /// "The claims, checked", one row per claim.
    claims: &'a [ClaimRow],
    /// The first screen: one line per criterion and the next step.
    #[serde(skip_serializing_if = "Option::is_none")]
    answer: Option<&'a Answer>,
}

/// The claims of `run`, checked on `summary` (and, in a `--distance`
/// sweep, on the memory task's `reach`), as the table's rows.
pub(crate) fn run_claims(
    run: &RunFiles,
    summary: &Summary,
    reach: &[MemoryReach],
    pooling: Option<&[PoolingRow]>,
) -> Vec<ClaimRow> {
    let shapes = run.model_shapes();
    let series = run.config.channels > 0;
    let claims = check_claims(&ClaimInputs {
        summary,
        shapes: &shapes,
        gradient: &run.gradient,
        reach,
        pooling,
        series,
    });
    let lstm_gru = |a: Cell, b: Cell| (a, b) == (Cell::Lstm, Cell::Gru);
    let kernel = summary.kernel_check.as_ref();
    let kernel = kernel.and_then(|k| k.pairs.iter().find(|p| lstm_gru(p.a, p.b)));
    let pair = summary.pairs.iter().find(|p| lstm_gru(p.a, p.b));
    let run_kernels = run.kernels();
    claim_rows(
        &claims,
        &ClaimContext {
            shapes: &shapes,
            kernel,
            run_kernels: &run_kernels,
            kernel_choice: run.config.config.kernel,
            step_p99: pair
                .and_then(|p| p.ratio(&metrics::LATENCY_STEP_P99))
                .map(Comparison::of_ratio),
            series,
            forecast: summary.is_forecast(),
        },
    )
}

/// Whether a render may rewrite the run's CSV files (`runs.csv`'s time to
/// target): only while it holds the folder's lock, never while a `compare`
/// appends to them ([`crate::results::lock`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Csv {
    /// This process holds the folder's lock.
    Rewrite,
    /// Another process holds it: page, charts and `summary.json` only.
    Leave,
}

/// Locks `dir` for a render (held until dropped) and says what it may do with the CSV files.
pub(super) fn render_lock(dir: &Path) -> Result<(crate::results::lock::RenderLock, Csv)> {
    let lock = crate::results::lock::lock_for_render(dir)?;
    let csv = match lock.holds_folders() {
        true => Csv::Rewrite,
        false => Csv::Leave,
    };
    Ok((lock, csv))
}

/// Re-renders `dir/report.html`, its PNGs and `dir/summary.json` (recomputed
/// from `runs.csv`) from the files in `dir`, and fills in `runs.csv`'s time
/// to target (unless a `compare` still works there: then the page shows the
/// runs finished so far and the CSV files are left to it). Returns the
/// page's path.
pub fn render_run(dir: &Path) -> Result<PathBuf> {
    report_run(dir, None).map(|f| f.html)
}

/// [`render_run`] with the caller's decision on the CSV files.
pub fn render_run_with(dir: &Path, csv: Csv) -> Result<PathBuf> {
    finished(&RunFiles::load(dir)?, csv).map(|f| f.html)
}

/// Fills in `runs.csv`'s time to target (`secs_to_target`,
/// `epochs_to_target`), derived from `epochs.csv` at the run's target, when
/// `csv` allows it and they differ; the attempts that do not stand stay in
/// `runs_attempts.csv`. The one place a report writes a CSV file: the render
/// itself only reads them.
fn fill_time_to_target(run: &RunFiles, csv: Csv) -> Result<()> {
    if csv == Csv::Leave {
        return Ok(());
    }
    if let Some(tt) = &run.summary().time_to_target {
        let filled = run.runs_with_time_to_target(tt.target, tt.goal);
        if filled != run.all_runs {
            crate::results::attempts::write_split(&run.dir, &filled, None)?;
        }
    }
    Ok(())
}

/// A forecast's test forecasts, read once for the render, and written into
/// `forecasts.csv` when `csv` allows it; none for classification.
fn fill_forecasts(run: &RunFiles, csv: Csv) -> Result<Vec<ForecastRow>> {
    if !run.config.config.dataset.is_forecast() {
        return Ok(Vec::new());
    }
    let rows = super::forecast::gather(run)?;
    if csv == Csv::Rewrite && !rows.is_empty() {
        crate::results::write_csv_atomic(&run.dir.join(files::FORECASTS), &rows)?;
    }
    Ok(rows)
}

/// `report DIR` of a run folder: renders it as [`render_run`], with time
/// to accuracy at validation accuracy `target` (a fraction) when given,
/// instead of the run's own `--target-acc` or default rule (the files keep
/// it until the next render). Returns the page with the terminal's text,
/// made from the same render.
pub fn report_run(dir: &Path, target: Option<f64>) -> Result<FinishedRun> {
    let (_lock, csv) = render_lock(dir)?;
    let mut run = RunFiles::load(dir)?;
    if let Some(target) = target {
        run.config.config.target_acc = target;
    }
    finished(&run, csv)
}

/// Renders the report of `run` in its folder; returns the page's path, the
/// summary it shows, its claims table and its first screen.
fn render(
    run: &RunFiles,
    csv: Csv,
    forecasts: &[ForecastRow],
) -> Result<(PathBuf, Summary, Vec<ClaimRow>, Option<Answer>)> {
    let dir = run.dir.as_path();
    let summary = run.summary();
    let claims = run_claims(run, &summary, &[], None);
    let answer = run_answer(run, &summary);
    write_json_atomic(
        &dir.join(files::SUMMARY),
        &SummaryFile {
            summary: &summary,
            claims: &claims,
            answer: answer.as_ref(),
        },
    )?;
    let figures = draw_charts(run, &summary, forecasts)?;
    let notes = page_notes(run, csv, &summary, forecasts);
    let page = RunPage::new(run, &summary, figures, notes, &claims, answer.as_ref()).render()?;
    let path = dir.join(files::REPORT);
    crate::results::write_atomic(&path, page.as_bytes())?;
    Ok((path, summary, claims, answer))
}

/// Draws the run page's charts into `run`'s folder; returns them in the
/// page's order.
fn draw_charts(
    run: &RunFiles,
    summary: &Summary,
    forecasts: &[ForecastRow],
) -> Result<Vec<Figure>> {
    let dir = run.dir.as_path();
    let models = run.models();
    let mut figures = Vec::new();
    let mut add = |file: &str, alt: &str, caption: &str| {
        figures.push(Figure {
            file: file.into(),
            alt: alt.into(),
            caption: caption.into(),
        });
        dir.join(file)
    };
    if run.config.config.dataset.is_forecast() {
        forecast_charts(run, forecasts, &mut add)?;
        return Ok(figures);
    }
    plot::draw_val_acc(
        &add(
            chart_files::VAL_ACC,
            "Line chart of mean validation accuracy per epoch for each model, with a min–max band over seeds",
            "Validation accuracy per epoch: mean over seeds, shaded band from the lowest to the highest seed.",
        ),
        &series::epoch_band(&run.epochs, &models, |e| e.val_acc),
    )?;
    plot::draw_loss(
        &add(
            chart_files::LOSS,
            "Two line charts: training loss and validation loss per epoch for each model",
            "Training (left) and validation (right) cross-entropy loss in nats: mean over seeds, band from lowest to highest.",
        ),
        &series::epoch_band(&run.epochs, &models, |e| e.train_loss),
        &series::epoch_band(&run.epochs, &models, |e| e.val_loss),
        "nats",
    )?;
    plot::draw_acc_vs_time(
        &add(
            chart_files::ACC_VS_TIME,
            "Validation accuracy against cumulative training seconds, one line per model and seed",
            "Validation accuracy against cumulative training time (evaluation excluded), one line per seed; the dashed line is the time-to-accuracy target, a ring marks where each seed first reached it.",
        ),
        &series::val_acc_vs_time(&run.epochs, &models),
        summary.time_to_target.as_ref().map(|t| t.target),
    )?;
    let references = references_for(&run.config.dataset.name);
    let ref_caption = if references.is_empty() {
        ""
    } else {
        " Grey: published IMDB test accuracies on the full 25,000-review test set (Maas et al. 2011; Dai & Le 2015; a popular PyTorch tutorial); a small subset such as imdb-mini is not expected to reach them."
    };
    plot::draw_test_acc(
        &add(
            chart_files::TEST_ACC,
            "Test accuracy of each seed as dots per model, with the mean and its 95% confidence interval",
            &format!(
                "Test accuracy of the best-validation checkpoint: one dot per seed, the mean as a bar, its 95% CI (logit scale) as a whisker (absent with fewer than three seeds).{ref_caption}"
            ),
        ),
        &series::per_seed(&run.runs, &models, Scale::Logit, |r| r.test_acc),
        &references,
    )?;
    plot::draw_cost(
        &add(
            chart_files::COST,
            "Three panels per model: seconds per epoch, training tokens per second, peak resident memory",
            "Cost per model: training seconds per epoch, real (non-padding) training tokens per second, peak resident memory of the process; dots are seeds, bars means, whiskers min–max.",
        ),
        &series::per_seed(&run.runs, &models, Scale::Log, |r| r.secs_per_epoch),
        &series::per_seed(&run.runs, &models, Scale::Log, |r| {
            series::tokens_per_sec(&run.epochs, r)
        }),
        &series::per_seed(&run.runs, &models, Scale::Log, |r| r.peak_rss_bytes as f64),
    )?;
    if !run.all_epochs.is_empty() {
        plot::draw_epoch_times(
            &add(
                chart_files::EPOCH_TIMES,
                "Line chart of each epoch's training seconds in the order the epochs ran, one line per run, disturbed epochs marked with a cross",
                "Training seconds of every epoch in the order the epochs ran (runs interleaved, re-runs at the end): one line per run in its model's colour; × marks an epoch the disturbance rule flagged (another process had the cores, see Timings); faint lines with hollow dots are attempts a re-run replaced.",
            ),
            &series::epoch_times(&run.all_epochs, &run.epochs),
        )?;
    }
    if !run.gradient.is_empty() {
        plot::draw_gradient_flow(
            &add(
                chart_files::GRADIENT_FLOW,
                "Gradient norm per input time step on a log scale, per model, at initialisation and after training",
                "Gradient flow: norm of the loss gradient reaching each input time step (log scale); dashed at initialisation, solid after training.",
            ),
            &series::gradient_flow(&run.gradient, &models),
        )?;
    }
    Ok(figures)
}

/// A forecast's charts: validation MAE per epoch, the loss, and the test
/// part one step ahead against the naive forecast.
fn forecast_charts(
    run: &RunFiles,
    rows: &[ForecastRow],
    add: &mut impl FnMut(&str, &str, &str) -> std::path::PathBuf,
) -> Result<()> {
    let models = run.models();
    let target = run.config.config.dataset.target.clone().unwrap_or_default();
    plot::draw_val_mae(
        &add(
            chart_files::VAL_MAE,
            "Line chart of mean validation MAE per epoch for each model, with a min–max band over seeds",
            "Validation MAE per epoch in the target's units: mean over seeds, shaded band from the lowest to the highest seed; early stopping keeps the lowest.",
        ),
        &series::epoch_band(&run.epochs, &models, |e| e.val_mae.unwrap_or(f64::NAN)),
        &target,
    )?;
    plot::draw_loss(
        &add(
            chart_files::LOSS,
            "Two line charts: training loss and validation loss per epoch for each model",
            "Training (left) and validation (right) mean squared error of the scaled targets: mean over seeds, band from lowest to highest.",
        ),
        &series::epoch_band(&run.epochs, &models, |e| e.train_loss),
        &series::epoch_band(&run.epochs, &models, |e| e.val_loss),
        "MSE, scaled",
    )?;
    let lines = super::forecast::chart_lines(run, rows);
    if !lines.is_empty() {
        super::plot::forecast::draw_forecast(
            &add(
                chart_files::FORECAST,
                "Line chart of the test part: what happened, the naive forecast and each model's one-step forecast",
                "The end of the test part one step ahead (the first series' last 200 windows): what happened (dark), the naive last-value forecast (grey) and each model's forecast from its seed with the lowest validation MAE.",
            ),
            &lines,
            &target,
        )?;
    }
    Ok(())
}

/// The notes at the top of the run page: a live render, a cut-off line, a
/// missing kernel check, the data's warnings, a merge's notes and the
/// duplicate rows.
fn page_notes(
    run: &RunFiles,
    csv: Csv,
    summary: &Summary,
    forecasts: &[ForecastRow],
) -> Vec<String> {
    let mut notes: Vec<String> = Vec::new();
    if csv == Csv::Leave {
        notes.push(LIVE_NOTE.to_string());
    } else {
        notes.extend(run.cut_off_note());
    }
    if let Some(note) = missing_kernel_check(run, csv) {
        notes.push(note);
    }
    notes.extend(run.config.data_warnings.iter().cloned());
    if run.config.config.dataset.is_forecast() {
        notes.extend(super::forecast::sentence(
            run,
            forecasts,
            run.config.config.horizon,
        ));
    }
    notes.extend(run.config.merge_notes.iter().cloned());
    for d in &summary.duplicates {
        notes.push(format!(
            "{} has more than one row for {} seed {}; one was counted (the first ok row, else the first).",
            files::RUNS,
            d.model.display_name(),
            d.seed
        ));
    }
    notes
}
