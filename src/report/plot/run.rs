//! The run report's charts: one `draw_*` function per PNG, each from series
//! built by [`crate::report::view::series`], in the style of [`super::style`].

use std::path::Path;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::style::{
    CHART_SIZE_PX, DrawResult, FONT, LABEL_GREY, LegendSize, REFERENCE_GREY, WIDE_CHART_SIZE_PX,
    canvas, category_label, draw, draw_legend, legend_line, model_colour, padded, tick_format,
    y_range,
};
use crate::error::Result;
use crate::report::view::references::Reference;
use crate::report::view::series::{Band, Line, RunEpochTimes, Spread};
use crate::report::view::verdict::shown_ci;

/// Mean validation accuracy per epoch for each model, with the min–max band
/// over seeds. Y in percent.
pub fn draw_val_acc(path: &Path, bands: &[Band]) -> Result<()> {
    draw(path, |p| {
        band_chart(
            p,
            bands,
            "Validation accuracy per epoch (mean over seeds, band: min–max)",
            "validation accuracy (%)",
            100.0,
            false,
        )
    })
}

/// A forecast's mean validation MAE per epoch for each model, with the
/// min–max band over seeds, in the target's units.
pub fn draw_val_mae(path: &Path, bands: &[Band], target: &str) -> Result<()> {
    draw(path, |p| {
        band_chart(
            p,
            bands,
            "Validation MAE per epoch (mean over seeds, band: min–max)",
            &format!("validation MAE ({target})"),
            1.0,
            // An error falls: its lines end low on the right.
            true,
        )
    })
}

/// One band chart; the legend in the upper corner when `legend_upper`
/// (for a quantity that falls), else the lower one.
fn band_chart(
    path: &Path,
    bands: &[Band],
    caption: &str,
    y_desc: &str,
    scale: f64,
    legend_upper: bool,
) -> DrawResult {
    let root = canvas(path, CHART_SIZE_PX)?;
    draw_bands(&root, bands, caption, y_desc, scale, legend_upper)?;
    root.present()?;
    Ok(())
}

fn draw_bands<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    bands: &[Band],
    caption: &str,
    y_desc: &str,
    scale: f64,
    legend_upper: bool,
) -> std::result::Result<(), Box<dyn std::error::Error + Send + Sync>>
where
    DB::ErrorType: 'static,
{
    let pts = bands.iter().flat_map(|b| &b.points);
    let x_max = pts.clone().map(|p| p.x).fold(1.0, f64::max);
    let y_lo = pts
        .clone()
        .map(|p| p.low * scale)
        .fold(f64::INFINITY, f64::min);
    let y_hi = pts
        .map(|p| p.high * scale)
        .fold(f64::NEG_INFINITY, f64::max);
    let (y_lo, y_hi) = padded(y_lo, y_hi, 0.08);
    let mut chart = ChartBuilder::on(area)
        .caption(caption, (FONT, 22))
        .margin(14)
        .x_label_area_size(50)
        .y_label_area_size(70)
        .build_cartesian_2d(0.75f64..x_max + 0.25, y_lo..y_hi)
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .x_desc("epoch")
        .y_desc(y_desc)
        .x_labels((x_max as usize).clamp(2, 20))
        .x_label_formatter(&|x| {
            if (x - x.round()).abs() < 1e-6 {
                format!("{}", x.round())
            } else {
                String::new()
            }
        })
        .y_label_formatter(&tick_format(y_lo, y_hi))
        .label_style((FONT, 16))
        .axis_desc_style((FONT, 18))
        .light_line_style(WHITE.mix(0.0))
        .draw()
        .map_err(|e| e.to_string())?;
    for band in bands.iter().filter(|b| !b.points.is_empty()) {
        let c = model_colour(band.model);
        let mut poly: Vec<(f64, f64)> = band.points.iter().map(|p| (p.x, p.high * scale)).collect();
        poly.extend(band.points.iter().rev().map(|p| (p.x, p.low * scale)));
        chart
            .draw_series(std::iter::once(Polygon::new(poly, c.mix(0.18).filled())))
            .map_err(|e| e.to_string())?;
        chart
            .draw_series(LineSeries::new(
                band.points.iter().map(|p| (p.x, p.mean * scale)),
                c.stroke_width(3),
            ))
            .map_err(|e| e.to_string())?
            .label(band.model.display_name())
            .legend(legend_line(c));
        chart
            .draw_series(
                band.points
                    .iter()
                    .map(|p| Circle::new((p.x, p.mean * scale), 4, c.filled())),
            )
            .map_err(|e| e.to_string())?;
    }
    let position = if legend_upper {
        SeriesLabelPosition::UpperRight
    } else {
        SeriesLabelPosition::LowerRight
    };
    draw_legend(&mut chart, position, LegendSize::Chart).map_err(|e| e.to_string())?;
    Ok(())
}

/// Training loss (left) and validation loss (right) per epoch, mean over
/// seeds with the min–max band, in `unit` (nats; a forecast's MSE of the
/// scaled targets).
pub fn draw_loss(path: &Path, train: &[Band], val: &[Band], unit: &str) -> Result<()> {
    draw(path, |p| loss_chart(p, train, val, unit))
}

fn loss_chart(path: &Path, train: &[Band], val: &[Band], unit: &str) -> DrawResult {
    let root = canvas(path, WIDE_CHART_SIZE_PX)?;
    let panels = root.split_evenly((1, 2));
    for (panel, bands, which) in [
        (&panels[0], train, "Training"),
        (&panels[1], val, "Validation"),
    ] {
        draw_bands(
            panel,
            bands,
            &format!("{which} loss per epoch"),
            &format!("{} loss ({unit})", which.to_lowercase()),
            1.0,
            true,
        )?;
    }
    root.present()?;
    Ok(())
}

/// Validation accuracy against cumulative training time, one line per model
/// and seed.
/// `target`: the time-to-accuracy target (fraction), drawn dashed, with a
/// ring where each line first reaches it.
pub fn draw_acc_vs_time(path: &Path, lines: &[Line], target: Option<f64>) -> Result<()> {
    draw(path, |p| acc_vs_time_chart(p, lines, target))
}

fn acc_vs_time_chart(path: &Path, lines: &[Line], target: Option<f64>) -> DrawResult {
    let root = canvas(path, CHART_SIZE_PX)?;
    let pts = lines.iter().flat_map(|l| &l.points);
    let x_max = pts.clone().map(|p| p.0).fold(1e-3, f64::max);
    let y_lo = pts
        .clone()
        .map(|p| p.1 * 100.0)
        .fold(f64::INFINITY, f64::min);
    let y_hi = pts.map(|p| p.1 * 100.0).fold(f64::NEG_INFINITY, f64::max);
    let (y_lo, y_hi) = padded(y_lo, y_hi, 0.08);
    let (y_lo, y_hi) = match target {
        Some(t) => (y_lo.min(t * 100.0 - 1.0), y_hi.max(t * 100.0 + 1.0)),
        None => (y_lo, y_hi),
    };
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "Validation accuracy against training time (one line per seed)",
            (FONT, 22),
        )
        .margin(14)
        .x_label_area_size(50)
        .y_label_area_size(70)
        .build_cartesian_2d(0f64..x_max * 1.05, y_lo..y_hi)?;
    chart
        .configure_mesh()
        .x_desc("cumulative training time (s)")
        .y_desc("validation accuracy (%)")
        .x_label_formatter(&tick_format(0.0, x_max * 1.05))
        .y_label_formatter(&tick_format(y_lo, y_hi))
        .label_style((FONT, 16))
        .axis_desc_style((FONT, 18))
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    if let Some(t) = target {
        let y = t * 100.0;
        chart.draw_series(DashedLineSeries::new(
            [(0.0, y), (x_max * 1.05, y)],
            6,
            4,
            BLACK.mix(0.6).stroke_width(1),
        ))?;
        for line in lines {
            if let Some(p) = line.points.iter().find(|p| p.1 >= t) {
                chart.draw_series(std::iter::once(Circle::new(
                    (p.0, p.1 * 100.0),
                    6,
                    model_colour(line.model).stroke_width(2),
                )))?;
            }
        }
    }
    let mut labelled = std::collections::BTreeSet::new();
    for line in lines {
        let c = model_colour(line.model);
        let series = chart.draw_series(LineSeries::new(
            line.points.iter().map(|p| (p.0, p.1 * 100.0)),
            c.mix(0.85).stroke_width(2),
        ))?;
        if labelled.insert(line.model) {
            series
                .label(line.model.display_name())
                .legend(legend_line(c));
        }
        chart.draw_series(
            line.points
                .iter()
                .map(|p| Circle::new((p.0, p.1 * 100.0), 3, c.filled())),
        )?;
    }
    draw_legend(
        &mut chart,
        SeriesLabelPosition::LowerRight,
        LegendSize::Chart,
    )?;
    root.present()?;
    Ok(())
}

/// The y range of a categorical panel: every seed's value, every whisker
/// and every reference band, times `scale`.
fn categorical_y_range(
    spreads: &[Spread],
    scale: f64,
    from_zero: bool,
    whisker: fn(&Spread) -> Option<(f64, f64)>,
    references: &[Reference],
) -> (f64, f64) {
    let values = spreads
        .iter()
        .flat_map(|s| s.values.iter().map(|v| v.1 * scale));
    let whiskers = spreads
        .iter()
        .filter_map(whisker)
        .flat_map(|(a, b)| [a * scale, b * scale]);
    let bands = references
        .iter()
        .flat_map(|r| [r.low * scale, r.high * scale]);
    let ys: Vec<f64> = values.chain(whiskers).chain(bands).collect();
    y_range(&ys, from_zero)
}

/// Draws one categorical panel: per model, its per-seed dots (spread a little
/// sideways), the mean as a bar tick and a whisker from `whisker(spread)`.
#[allow(clippy::too_many_arguments)]
fn categorical_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    spreads: &[Spread],
    caption: &str,
    y_desc: &str,
    scale: f64,
    from_zero: bool,
    whisker: fn(&Spread) -> Option<(f64, f64)>,
    references: &[Reference],
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let n = spreads.len().max(1);
    let (y_lo, y_hi) = categorical_y_range(spreads, scale, from_zero, whisker, references);
    let names: Vec<&str> = spreads.iter().map(|s| s.model.display_name()).collect();
    let mut chart = ChartBuilder::on(area)
        .caption(caption, (FONT, 20))
        .margin(14)
        .x_label_area_size(40)
        .y_label_area_size(80)
        .build_cartesian_2d(-0.5f64..n as f64 - 0.5, y_lo..y_hi)
        .map_err(|e| e.to_string())?;
    let label = category_label(&names);
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(2 * n + 1)
        .x_label_formatter(&label)
        .y_desc(y_desc)
        .y_label_formatter(&tick_format(y_lo, y_hi))
        .label_style((FONT, 16))
        .axis_desc_style((FONT, 17))
        .light_line_style(WHITE.mix(0.0))
        .draw()
        .map_err(|e| e.to_string())?;
    for r in references {
        let grey = REFERENCE_GREY;
        if r.high > r.low {
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(-0.5, r.low * scale), (n as f64 - 0.5, r.high * scale)],
                    grey.mix(0.15).filled(),
                )))
                .map_err(|e| e.to_string())?;
        } else {
            chart
                .draw_series(DashedLineSeries::new(
                    [(-0.5, r.low * scale), (n as f64 - 0.5, r.low * scale)],
                    10,
                    6,
                    grey.stroke_width(1),
                ))
                .map_err(|e| e.to_string())?;
        }
    }
    for (i, s) in spreads.iter().enumerate() {
        let c = model_colour(s.model);
        let x = i as f64;
        let k = s.values.len().max(1) as f64;
        chart
            .draw_series(s.values.iter().enumerate().map(|(j, v)| {
                let dx = if k > 1.0 {
                    -0.18 + 0.36 * j as f64 / (k - 1.0)
                } else {
                    0.0
                };
                Circle::new((x + dx, v.1 * scale), 5, c.mix(0.7).filled())
            }))
            .map_err(|e| e.to_string())?;
        if let Some(e) = s.estimate {
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(x - 0.3, e.mean * scale), (x + 0.36, e.mean * scale)],
                    c.stroke_width(3),
                )))
                .map_err(|e| e.to_string())?;
        }
        if let Some((a, b)) = whisker(s) {
            // Right of the dots, so that neither hides the other.
            let x = x + 0.3;
            let style = BLACK.stroke_width(2);
            chart
                .draw_series([
                    PathElement::new(vec![(x, a * scale), (x, b * scale)], style),
                    PathElement::new(vec![(x - 0.06, a * scale), (x + 0.06, a * scale)], style),
                    PathElement::new(vec![(x - 0.06, b * scale), (x + 0.06, b * scale)], style),
                ])
                .map_err(|e| e.to_string())?;
        }
    }
    // Labels last, so that no dot hides them; at the right edge, a few
    // pixels over (or under) their line. ab_glyph draws text about a third
    // of its size below the anchor, hence the pixel offsets.
    for r in references {
        let (y, dy) = if r.label_below {
            (r.low * scale, 6)
        } else {
            (r.high * scale, -16)
        };
        let style = TextStyle::from((FONT, 14).into_font())
            .color(&LABEL_GREY)
            .pos(Pos::new(HPos::Right, VPos::Top));
        chart
            .draw_series(std::iter::once(
                EmptyElement::at((n as f64 - 0.52, y)) + Text::new(r.label.clone(), (0, dy), style),
            ))
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// The 95% CI, where it rests on enough seeds to be shown.
fn ci_whisker(s: &Spread) -> Option<(f64, f64)> {
    s.estimate.as_ref().and_then(shown_ci)
}

fn min_max_whisker(s: &Spread) -> Option<(f64, f64)> {
    s.estimate.filter(|e| e.n > 1).map(|e| (e.min, e.max))
}

/// Test accuracy per seed (dots), each model's mean (bar) and 95% CI
/// (whisker), with published reference accuracies when given.
pub fn draw_test_acc(path: &Path, spreads: &[Spread], references: &[Reference]) -> Result<()> {
    draw(path, |p| test_acc_chart(p, spreads, references))
}

fn test_acc_chart(path: &Path, spreads: &[Spread], references: &[Reference]) -> DrawResult {
    let root = canvas(path, CHART_SIZE_PX)?;
    categorical_panel(
        &root,
        spreads,
        "Test accuracy: seeds (dots), mean (bar), 95% CI (whisker)",
        "test accuracy (%)",
        100.0,
        false,
        ci_whisker,
        references,
    )?;
    root.present()?;
    Ok(())
}

/// Cost per model, three panels: seconds per epoch, training tokens per
/// second, peak RSS (MiB); seeds as dots, mean as a bar, min–max whisker.
pub fn draw_cost(
    path: &Path,
    secs_per_epoch: &[Spread],
    tokens_per_sec: &[Spread],
    peak_rss_bytes: &[Spread],
) -> Result<()> {
    draw(path, |p| {
        cost_chart(p, secs_per_epoch, tokens_per_sec, peak_rss_bytes)
    })
}

fn cost_chart(path: &Path, secs: &[Spread], tokens: &[Spread], rss: &[Spread]) -> DrawResult {
    let root = canvas(path, WIDE_CHART_SIZE_PX)?;
    let panels = root.split_evenly((1, 3));
    let mib = 1.0 / (1024.0 * 1024.0);
    categorical_panel(
        &panels[0],
        secs,
        "Seconds per epoch",
        "training time per epoch (s)",
        1.0,
        true,
        min_max_whisker,
        &[],
    )?;
    categorical_panel(
        &panels[1],
        tokens,
        "Training throughput",
        "tokens per second",
        1.0,
        true,
        min_max_whisker,
        &[],
    )?;
    categorical_panel(
        &panels[2],
        rss,
        "Peak memory (RSS)",
        "peak resident memory (MiB)",
        mib,
        true,
        min_max_whisker,
        &[],
    )?;
    root.present()?;
    Ok(())
}

/// Gradient norm reaching each input time step (log scale), per model:
/// solid after training, dashed at initialisation.
pub fn draw_gradient_flow(path: &Path, lines: &[Line]) -> Result<()> {
    draw(path, |p| gradient_chart(p, lines))
}

fn gradient_chart(path: &Path, lines: &[Line]) -> DrawResult {
    let root = canvas(path, CHART_SIZE_PX)?;
    let pts = lines.iter().flat_map(|l| &l.points);
    let x_max = pts.clone().map(|p| p.0).fold(1.0, f64::max);
    let y_lo = pts.clone().map(|p| p.1).fold(f64::INFINITY, f64::min);
    let y_hi = pts.map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
    let (y_lo, y_hi) = if y_lo.is_finite() && y_hi.is_finite() {
        (y_lo / 2.0, y_hi * 2.0)
    } else {
        (1e-6, 1.0)
    };
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "Gradient flow: gradient norm per input time step",
            (FONT, 22),
        )
        .margin(14)
        .x_label_area_size(50)
        .y_label_area_size(80)
        .build_cartesian_2d(0f64..x_max, (y_lo..y_hi).log_scale())?;
    chart
        .configure_mesh()
        .x_desc("input time step (0 = first token)")
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_desc("gradient norm (log scale)")
        .y_label_formatter(&|y| format!("{y:.0e}"))
        .label_style((FONT, 16))
        .axis_desc_style((FONT, 18))
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    for line in lines {
        let c = model_colour(line.model);
        let name = format!("{} {}", line.model.display_name(), line.label);
        if line.label == "init" {
            chart
                .draw_series(DashedLineSeries::new(
                    line.points.iter().copied(),
                    8,
                    6,
                    c.stroke_width(2),
                ))?
                .label(name)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 10, y)], c.stroke_width(2))
                });
        } else {
            chart
                .draw_series(LineSeries::new(
                    line.points.iter().copied(),
                    c.stroke_width(3),
                ))?
                .label(name)
                .legend(legend_line(c));
        }
    }
    draw_legend(
        &mut chart,
        SeriesLabelPosition::LowerRight,
        LegendSize::Chart,
    )?;
    root.present()?;
    Ok(())
}

/// Every epoch's training seconds in the order the epochs ran, one line
/// per run and attempt in its model's colour: a cross marks an epoch the
/// disturbance rule flagged; an attempt a re-run replaced is drawn faint
/// with hollow dots.
pub fn draw_epoch_times(path: &Path, runs: &[RunEpochTimes]) -> Result<()> {
    draw(path, |p| epoch_times_chart(p, runs))
}

fn epoch_times_chart(path: &Path, runs: &[RunEpochTimes]) -> DrawResult {
    let root = canvas(path, WIDE_CHART_SIZE_PX)?;
    let epochs = runs.iter().flat_map(|r| &r.epochs);
    let x_max = epochs.clone().map(|e| e.position).max().unwrap_or(1) as f64;
    let secs: Vec<f64> = epochs.map(|e| e.secs).filter(|s| s.is_finite()).collect();
    // Headroom above the highest epoch for the legend.
    let (_, y_hi) = y_range(&secs, true);
    let y_hi = y_hi * 1.3;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "Training time of every epoch, in the order they ran (× disturbed)",
            (FONT, 22),
        )
        .margin(14)
        .x_label_area_size(50)
        .y_label_area_size(70)
        .build_cartesian_2d(0.5f64..x_max + 0.5, 0f64..y_hi)?;
    chart
        .configure_mesh()
        .x_desc("epoch, in the order run (all runs and re-runs)")
        .y_desc("training seconds")
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&tick_format(0.0, y_hi))
        .label_style((FONT, 16))
        .axis_desc_style((FONT, 18))
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    let mut labelled = std::collections::BTreeSet::new();
    for run in runs {
        let c = model_colour(run.model);
        let points: Vec<(f64, f64)> = run
            .epochs
            .iter()
            .filter(|e| e.secs.is_finite())
            .map(|e| (e.position as f64, e.secs))
            .collect();
        let faint = if run.stands { 0.9 } else { 0.35 };
        let series = chart.draw_series(LineSeries::new(
            points.iter().copied(),
            c.mix(faint).stroke_width(2),
        ))?;
        if labelled.insert(run.model) {
            series
                .label(run.model.display_name())
                .legend(legend_line(c));
        }
        if run.stands {
            chart.draw_series(points.iter().map(|&p| Circle::new(p, 4, c.filled())))?;
        } else {
            chart.draw_series(
                points
                    .iter()
                    .map(|&p| Circle::new(p, 4, c.mix(0.6).stroke_width(2))),
            )?;
        }
        chart.draw_series(
            run.epochs
                .iter()
                .filter(|e| e.disturbed && e.secs.is_finite())
                .map(|e| Cross::new((e.position as f64, e.secs), 7, BLACK.stroke_width(2))),
        )?;
    }
    if runs.iter().flat_map(|r| &r.epochs).any(|e| e.disturbed) {
        chart
            .draw_series(std::iter::empty::<Cross<(f64, f64), i32>>())?
            .label("disturbed epoch")
            .legend(|(x, y)| Cross::new((x + 12, y), 6, BLACK.stroke_width(2)));
    }
    if runs.iter().any(|r| !r.stands) {
        chart
            .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())?
            .label("attempt replaced by a re-run")
            .legend(|(x, y)| Circle::new((x + 12, y), 4, BLACK.mix(0.6).stroke_width(2)));
    }
    draw_legend(
        &mut chart,
        SeriesLabelPosition::UpperRight,
        LegendSize::Chart,
    )?;
    root.present()?;
    Ok(())
}
