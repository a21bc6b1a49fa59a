//! A forecast's outputs beyond `runs.csv`: the runs' test forecasts
//! gathered into `forecasts.csv`, the one-step chart's lines, and the
//! Diebold–Mariano test of the first two models over the test windows.

use super::load::RunFiles;
use super::plot::forecast::ForecastLine;
use crate::analysis::forecast::diebold_mariano;
use crate::error::Result;
use crate::model::Cell;
use crate::results::{ForecastRow, RunStatus, files, read_csv};

/// The standing, finished runs' test forecasts, in the run's model order
/// then seed order (each run's rows as its worker wrote them: window by
/// window, every horizon step); empty for classification.
pub fn gather(run: &RunFiles) -> Result<Vec<ForecastRow>> {
    let dir = run.dir.join(files::FORECASTS_DIR);
    let mut rows = Vec::new();
    if !dir.is_dir() {
        return Ok(rows);
    }
    for model in run.models() {
        let mut seeds: Vec<u64> = ok_runs(run, model).map(|r| r.seed).collect();
        seeds.sort_unstable();
        for seed in seeds {
            let path = dir.join(format!("{}-seed{seed}.csv", model.name()));
            if path.is_file() {
                rows.extend(read_csv::<ForecastRow>(&path)?);
            }
        }
    }
    Ok(rows)
}

fn ok_runs(run: &RunFiles, model: Cell) -> impl Iterator<Item = &crate::results::RunRecord> {
    run.runs
        .iter()
        .filter(move |r| r.model == model && r.status == RunStatus::Ok)
}

/// Test windows the chart shows at most: the last ones, so that a day's
/// shape stays legible.
pub const CHART_WINDOWS: usize = 200;

/// The chart's lines at the first horizon step over the first series'
/// last [`CHART_WINDOWS`] test windows: what happened, the naive forecast,
/// and each model's best seed (the lowest validation MAE: the run a user
/// would keep).
pub fn chart_lines(run: &RunFiles, rows: &[ForecastRow]) -> Vec<ForecastLine> {
    let Some(first) = rows.first() else {
        return Vec::new();
    };
    let step_one = |model: Cell, seed: u64| {
        rows.iter()
            .filter(move |r| r.model == model && r.seed == seed && r.step == 1)
            .filter(|r| r.series == first.series)
    };
    let reference: Vec<&ForecastRow> = step_one(first.model, first.seed).collect();
    let mut lines = vec![
        ForecastLine {
            model: None,
            label: "what happened".into(),
            values: reference.iter().map(|r| r.actual).collect(),
        },
        ForecastLine {
            model: None,
            label: "naive (last value)".into(),
            values: reference.iter().map(|r| r.naive).collect(),
        },
    ];
    for model in run.models() {
        let best = ok_runs(run, model)
            .filter_map(|r| r.best_val_mae.map(|m| (m, r.seed)))
            .min_by(|a, b| a.0.total_cmp(&b.0));
        if let Some((_, seed)) = best {
            lines.push(ForecastLine {
                model: Some(model),
                label: format!("{} (seed {seed})", model.display_name()),
                values: step_one(model, seed).map(|r| r.forecast).collect(),
            });
        }
    }
    for line in &mut lines {
        let cut = line.values.len().saturating_sub(CHART_WINDOWS);
        line.values.drain(..cut);
    }
    lines
}

/// Each test window's MAE for `model`, averaged over `seeds`.
fn window_losses(rows: &[ForecastRow], model: Cell, seeds: &[u64], horizon: usize) -> Vec<f64> {
    let mut sum: Vec<f64> = Vec::new();
    for &seed in seeds {
        let errors: Vec<f64> = rows
            .iter()
            .filter(|r| r.model == model && r.seed == seed)
            .map(|r| (r.actual - r.forecast).abs())
            .collect();
        let windows: Vec<f64> = errors
            .chunks(horizon)
            .map(|c| c.iter().sum::<f64>() / c.len() as f64)
            .collect();
        if sum.is_empty() {
            sum = vec![0.0; windows.len()];
        }
        for (s, w) in sum.iter_mut().zip(windows) {
            *s += w;
        }
    }
    sum.iter().map(|s| s / seeds.len().max(1) as f64).collect()
}

/// The page's sentence on the Diebold–Mariano test of the first two models
/// over the test windows, if they were compared: each window's MAE averaged
/// over the seeds both finished (the seeds cover initialisation, the
/// windows cover time), autocovariances up to lag `horizon − 1`.
pub fn sentence(run: &RunFiles, rows: &[ForecastRow], horizon: usize) -> Option<String> {
    let models = run.models();
    let (a, b) = (*models.first()?, *models.get(1)?);
    let b_seeds: Vec<u64> = ok_runs(run, b).map(|r| r.seed).collect();
    let mut seeds: Vec<u64> = ok_runs(run, a)
        .map(|r| r.seed)
        .filter(|s| b_seeds.contains(s))
        .collect();
    seeds.sort_unstable();
    if seeds.is_empty() {
        return None;
    }
    let la = window_losses(rows, a, &seeds, horizon);
    let lb = window_losses(rows, b, &seeds, horizon);
    let dm = diebold_mariano(&la, &lb, horizon)?;
    let lower = if dm.statistic < 0.0 { a } else { b };
    let verdict = if dm.p_value < 0.05 {
        format!("{}'s errors are smaller", lower.display_name())
    } else {
        "no difference at the 5% level".to_owned()
    };
    Some(format!(
        "Over time (Diebold–Mariano over the {} test windows, each window's MAE averaged over \
         the {} both finished; Harvey's correction, lag up to {}): {} against {}, \
         statistic {:.2}, {}: {verdict}.",
        dm.n,
        super::say::seeds(seeds.len()),
        horizon.saturating_sub(1),
        a.display_name(),
        b.display_name(),
        dm.statistic,
        super::format::format_p(dm.p_value),
    ))
}
