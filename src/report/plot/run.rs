//! The run report's charts: one `draw_*` function per PNG, each from series
//! built by [`crate::report::view::series`], in the style of [`super::style`].

use std::path::Path;

use plotters::prelude::SeriesLabelPosition::{LowerRight, UpperRight};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::style::{
    Area, CHART_SIZE_PX, DrawResult, FONT, Grid, LABEL_GREY, LegendSize, MIB, MeshLook,
    PEAK_RSS_TEXTS, REFERENCE_GREY, SECS_PER_EPOCH_TEXTS, WIDE_CHART_SIZE_PX, category_label,
    draw_legend, draw_png, frame, legend_line, min_max, model_colour, padded, spread, tick_format,
    y_range,
};
use crate::error::Result;
use crate::report::view::references::Reference;
use crate::report::view::series::{Band, Line, RunEpochTimes, Spread};
use crate::report::view::verdict::shown_ci;

/// Mean validation accuracy per epoch for each model, with the min–max band
/// over seeds. Y in percent.
pub fn draw_val_acc(path: &Path, bands: &[Band]) -> Result<()> {
    draw_png(path, CHART_SIZE_PX, |root| {
        let caption = "Validation accuracy per epoch (mean over seeds, band: min–max)";
        let y_desc = "validation accuracy (%)";
        draw_bands(root, bands, (caption, y_desc), 100.0, LowerRight)
    })
}

/// A forecast's mean validation MAE per epoch for each model, with the
/// min–max band over seeds, in the target's units.
pub fn draw_val_mae(path: &Path, bands: &[Band], target: &str) -> Result<()> {
    draw_png(path, CHART_SIZE_PX, |root| {
        let caption = "Validation MAE per epoch (mean over seeds, band: min–max)";
        let y_desc = format!("validation MAE ({target})");
        // An error falls: its lines end low on the right.
        draw_bands(root, bands, (caption, &y_desc), 1.0, UpperRight)
    })
}

/// Mean and min–max band per epoch of each of `bands`, times `scale`, under
/// `caption` with the y axis titled `y_desc`; the legend at `legend`.
fn draw_bands(
    area: &Area,
    bands: &[Band],
    (caption, y_desc): (&str, &str),
    scale: f64,
    legend: SeriesLabelPosition,
) -> DrawResult {
    let pts = bands.iter().flat_map(|b| &b.points);
    let x_max = pts.clone().map(|p| p.x).fold(1.0, f64::max);
    let (y_lo, _) = min_max(pts.clone().map(|p| p.low * scale));
    let (_, y_hi) = min_max(pts.map(|p| p.high * scale));
    let (y_lo, y_hi) = padded(y_lo, y_hi, 0.08);
    let mut chart = frame(area, caption, 22, 14, (50, 70))
        .build_cartesian_2d(0.75f64..x_max + 0.25, y_lo..y_hi)?;
    let epoch = |x: &f64| match (x - x.round()).abs() < 1e-6 {
        true => format!("{}", x.round()),
        false => String::new(),
    };
    chart
        .configure_mesh()
        .look(Grid::Ticks, (16, 18))
        .x_desc("epoch")
        .y_desc(y_desc)
        .x_labels((x_max as usize).clamp(2, 20))
        .x_label_formatter(&epoch)
        .y_label_formatter(&tick_format(y_lo, y_hi))
        .draw()?;
    for band in bands.iter().filter(|b| !b.points.is_empty()) {
        let c = model_colour(band.model);
        let mut poly: Vec<(f64, f64)> = band.points.iter().map(|p| (p.x, p.high * scale)).collect();
        poly.extend(band.points.iter().rev().map(|p| (p.x, p.low * scale)));
        chart.draw_series([Polygon::new(poly, c.mix(0.18).filled())])?;
        let mean = band.points.iter().map(|p| (p.x, p.mean * scale));
        chart
            .draw_series(LineSeries::new(mean.clone(), c.stroke_width(3)))?
            .label(band.model.display_name())
            .legend(legend_line(c));
        chart.draw_series(mean.map(|p| Circle::new(p, 4, c.filled())))?;
    }
    draw_legend(&mut chart, legend, LegendSize::Chart)
}

/// Training loss (left) and validation loss (right) per epoch, mean over
/// seeds with the min–max band, in `unit` (nats; a forecast's MSE of the
/// scaled targets).
pub fn draw_loss(path: &Path, train: &[Band], val: &[Band], unit: &str) -> Result<()> {
    draw_png(path, WIDE_CHART_SIZE_PX, |root| {
        let panels = root.split_evenly((1, 2));
        for (panel, bands, which) in [
            (&panels[0], train, "Training"),
            (&panels[1], val, "Validation"),
        ] {
            let caption = format!("{which} loss per epoch");
            let y_desc = format!("{} loss ({unit})", which.to_lowercase());
            draw_bands(panel, bands, (&caption, &y_desc), 1.0, UpperRight)?;
        }
        Ok(())
    })
}

/// Validation accuracy against cumulative training time, one line per model
/// and seed.
/// `target`: the time-to-accuracy target (fraction), drawn dashed, with a
/// ring where each line first reaches it.
pub fn draw_acc_vs_time(path: &Path, lines: &[Line], target: Option<f64>) -> Result<()> {
    draw_png(path, CHART_SIZE_PX, |root| {
        let pts = lines.iter().flat_map(|l| &l.points);
        let x_max = pts.clone().map(|p| p.0).fold(1e-3, f64::max);
        let (y_lo, y_hi) = min_max(pts.map(|p| p.1 * 100.0));
        let (y_lo, y_hi) = padded(y_lo, y_hi, 0.08);
        let (y_lo, y_hi) = match target {
            Some(t) => (y_lo.min(t * 100.0 - 1.0), y_hi.max(t * 100.0 + 1.0)),
            None => (y_lo, y_hi),
        };
        let caption = "Validation accuracy against training time (one line per seed)";
        let mut chart = frame(root, caption, 22, 14, (50, 70))
            .build_cartesian_2d(0f64..x_max * 1.05, y_lo..y_hi)?;
        chart
            .configure_mesh()
            .look(Grid::Ticks, (16, 18))
            .x_desc("cumulative training time (s)")
            .y_desc("validation accuracy (%)")
            .x_label_formatter(&tick_format(0.0, x_max * 1.05))
            .y_label_formatter(&tick_format(y_lo, y_hi))
            .draw()?;
        if let Some(t) = target {
            let (y, style) = (t * 100.0, BLACK.mix(0.6).stroke_width(1));
            let ends = [(0.0, y), (x_max * 1.05, y)];
            chart.draw_series(DashedLineSeries::new(ends, 6, 4, style))?;
            for line in lines {
                if let Some(p) = line.points.iter().find(|p| p.1 >= t) {
                    let ring = model_colour(line.model).stroke_width(2);
                    chart.draw_series([Circle::new((p.0, p.1 * 100.0), 6, ring)])?;
                }
            }
        }
        let mut labelled = std::collections::BTreeSet::new();
        for line in lines {
            let c = model_colour(line.model);
            let pts = line.points.iter().map(|p| (p.0, p.1 * 100.0));
            let series =
                chart.draw_series(LineSeries::new(pts.clone(), c.mix(0.85).stroke_width(2)))?;
            if labelled.insert(line.model) {
                series
                    .label(line.model.display_name())
                    .legend(legend_line(c));
            }
            chart.draw_series(pts.map(|p| Circle::new(p, 3, c.filled())))?;
        }
        draw_legend(&mut chart, LowerRight, LegendSize::Chart)
    })
}

/// Draws one categorical panel: per model, its per-seed dots (spread a little
/// sideways), the mean as a bar tick and a whisker from `whisker(spread)`;
/// values times `scale`. The y range holds every seed's value, every whisker
/// and every reference band.
fn categorical_panel(
    area: &Area,
    spreads: &[Spread],
    (caption, y_desc): (&str, &str),
    (scale, from_zero): (f64, bool),
    whisker: fn(&Spread) -> Option<(f64, f64)>,
    references: &[Reference],
) -> DrawResult {
    let n = spreads.len().max(1);
    let right = n as f64 - 0.5;
    let values = spreads.iter().flat_map(|s| s.values.iter().map(|v| v.1));
    let whiskers = spreads.iter().filter_map(whisker).flat_map(|(a, b)| [a, b]);
    let bands = references.iter().flat_map(|r| [r.low, r.high]);
    let ys: Vec<f64> = values
        .chain(whiskers)
        .chain(bands)
        .map(|y| y * scale)
        .collect();
    let (y_lo, y_hi) = y_range(&ys, from_zero);
    let names: Vec<&str> = spreads.iter().map(|s| s.model.display_name()).collect();
    let mut chart =
        frame(area, caption, 20, 14, (40, 80)).build_cartesian_2d(-0.5f64..right, y_lo..y_hi)?;
    chart
        .configure_mesh()
        .look(Grid::Ticks, (16, 17))
        .disable_x_mesh()
        .x_labels(2 * n + 1)
        .x_label_formatter(&category_label(&names))
        .y_desc(y_desc)
        .y_label_formatter(&tick_format(y_lo, y_hi))
        .draw()?;
    for r in references {
        let (low, high) = (r.low * scale, r.high * scale);
        if r.high > r.low {
            let band = REFERENCE_GREY.mix(0.15).filled();
            chart.draw_series([Rectangle::new([(-0.5, low), (right, high)], band)])?;
        } else {
            let (ends, style) = ([(-0.5, low), (right, low)], REFERENCE_GREY.stroke_width(1));
            chart.draw_series(DashedLineSeries::new(ends, 10, 6, style))?;
        }
    }
    for (i, s) in spreads.iter().enumerate() {
        let c = model_colour(s.model);
        let x = i as f64;
        chart.draw_series(s.values.iter().enumerate().map(|(j, v)| {
            let dx = spread(j, s.values.len(), 0.18);
            Circle::new((x + dx, v.1 * scale), 5, c.mix(0.7).filled())
        }))?;
        if let Some(e) = s.estimate {
            let bar = vec![(x - 0.3, e.mean * scale), (x + 0.36, e.mean * scale)];
            chart.draw_series([PathElement::new(bar, c.stroke_width(3))])?;
        }
        if let Some((a, b)) = whisker(s) {
            // Right of the dots, so that neither hides the other.
            let (x, a, b) = (x + 0.3, a * scale, b * scale);
            let style = BLACK.stroke_width(2);
            chart.draw_series([
                PathElement::new(vec![(x, a), (x, b)], style),
                PathElement::new(vec![(x - 0.06, a), (x + 0.06, a)], style),
                PathElement::new(vec![(x - 0.06, b), (x + 0.06, b)], style),
            ])?;
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
        let label = Text::new(r.label.clone(), (0, dy), style);
        chart.draw_series([EmptyElement::at((n as f64 - 0.52, y)) + label])?;
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
    draw_png(path, CHART_SIZE_PX, |root| {
        let caption = "Test accuracy: seeds (dots), mean (bar), 95% CI (whisker)";
        let texts = (caption, "test accuracy (%)");
        categorical_panel(root, spreads, texts, (100.0, false), ci_whisker, references)
    })
}

/// Cost per model, three panels: seconds per epoch, training tokens per
/// second, peak RSS (MiB); seeds as dots, mean as a bar, min–max whisker.
pub fn draw_cost(
    path: &Path,
    secs_per_epoch: &[Spread],
    tokens_per_sec: &[Spread],
    peak_rss_bytes: &[Spread],
) -> Result<()> {
    draw_png(path, WIDE_CHART_SIZE_PX, |root| {
        let values = [
            (secs_per_epoch, 1.0),
            (tokens_per_sec, 1.0),
            (peak_rss_bytes, MIB),
        ];
        let throughput = ("Training throughput", "tokens per second");
        let texts = [SECS_PER_EPOCH_TEXTS, throughput, PEAK_RSS_TEXTS];
        let areas = root.split_evenly((1, 3));
        for ((area, (spreads, scale)), texts) in areas.iter().zip(values).zip(texts) {
            categorical_panel(area, spreads, texts, (scale, true), min_max_whisker, &[])?;
        }
        Ok(())
    })
}

/// Gradient norm reaching each input time step (log scale), per model:
/// solid after training, dashed at initialisation.
pub fn draw_gradient_flow(path: &Path, lines: &[Line]) -> Result<()> {
    draw_png(path, CHART_SIZE_PX, |root| {
        let pts = lines.iter().flat_map(|l| &l.points);
        let x_max = pts.clone().map(|p| p.0).fold(1.0, f64::max);
        let (y_lo, y_hi) = match min_max(pts.map(|p| p.1)) {
            (lo, hi) if lo.is_finite() && hi.is_finite() => (lo / 2.0, hi * 2.0),
            _ => (1e-6, 1.0),
        };
        let caption = "Gradient flow: gradient norm per input time step";
        let y = (y_lo..y_hi)
            .log_scale()
            .with_key_points(decades(y_lo, y_hi));
        let mut chart =
            frame(root, caption, 22, 14, (50, 80)).build_cartesian_2d(0f64..x_max, y)?;
        chart
            .configure_mesh()
            .look(Grid::Ticks, (16, 18))
            .x_desc("input time step (0 = first token)")
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_desc("gradient norm (log scale)")
            .y_label_formatter(&|y| format!("{y:.0e}"))
            .draw()?;
        for line in lines {
            let c = model_colour(line.model);
            let name = format!("{} {}", line.model.display_name(), line.label);
            let points = line.points.iter().copied();
            if line.label == "init" {
                let short = move |(x, y): (i32, i32)| {
                    PathElement::new(vec![(x, y), (x + 10, y)], c.stroke_width(2))
                };
                chart
                    .draw_series(DashedLineSeries::new(points, 8, 6, c.stroke_width(2)))?
                    .label(name)
                    .legend(short);
            } else {
                chart
                    .draw_series(LineSeries::new(points, c.stroke_width(3)))?
                    .label(name)
                    .legend(legend_line(c));
            }
        }
        draw_legend(&mut chart, LowerRight, LegendSize::Chart)
    })
}

/// Powers of ten within `[lo, hi]`, every decade or every few so that at
/// most ten are labelled, down to the bottom of the axis (plotters' own
/// log ticks stop short of it on a range of twenty decades).
fn decades(lo: f64, hi: f64) -> Vec<f64> {
    let (first, last) = (lo.log10().ceil() as i32, hi.log10().floor() as i32);
    let step = ((last - first) / 10 + 1).max(1) as usize;
    (first..=last)
        .rev()
        .step_by(step)
        .map(|k| 10f64.powi(k))
        .collect()
}

/// Every epoch's training seconds in the order the epochs ran, one line
/// per run and attempt in its model's colour: a cross marks an epoch the
/// disturbance rule flagged; an attempt a re-run replaced is drawn faint
/// with hollow dots.
pub fn draw_epoch_times(path: &Path, runs: &[RunEpochTimes]) -> Result<()> {
    draw_png(path, WIDE_CHART_SIZE_PX, |root| {
        let epochs = runs.iter().flat_map(|r| &r.epochs);
        let x_max = epochs.clone().map(|e| e.position).max().unwrap_or(1) as f64;
        let secs: Vec<f64> = epochs.map(|e| e.secs).filter(|s| s.is_finite()).collect();
        // Headroom above the highest epoch for the legend.
        let (_, y_hi) = y_range(&secs, true);
        let y_hi = y_hi * 1.3;
        let caption = "Training time of every epoch, in the order they ran (× disturbed)";
        let mut chart = frame(root, caption, 22, 14, (50, 70))
            .build_cartesian_2d(0.5f64..x_max + 0.5, 0f64..y_hi)?;
        chart
            .configure_mesh()
            .look(Grid::Ticks, (16, 18))
            .x_desc("epoch, in the order run (all runs and re-runs)")
            .y_desc("training seconds")
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_label_formatter(&tick_format(0.0, y_hi))
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
            let style = c.mix(faint).stroke_width(2);
            let series = chart.draw_series(LineSeries::new(points.iter().copied(), style))?;
            if labelled.insert(run.model) {
                series
                    .label(run.model.display_name())
                    .legend(legend_line(c));
            }
            let dot = match run.stands {
                true => c.filled(),
                false => c.mix(0.6).stroke_width(2),
            };
            chart.draw_series(points.iter().map(|&p| Circle::new(p, 4, dot)))?;
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
        draw_legend(&mut chart, UpperRight, LegendSize::Chart)
    })
}

#[cfg(test)]
mod tests {
    use super::decades;

    #[test]
    fn decade_ticks_reach_the_bottom_of_a_twenty_decade_axis() {
        // The reference run's gradient flow: 1e-21 to 0.5.
        let ticks = decades(1e-21, 0.5);
        assert!(ticks.len() <= 11, "{ticks:?}");
        assert_eq!(ticks.first(), Some(&0.1));
        assert!(*ticks.last().unwrap() < 1e-18, "{ticks:?}");
        // A narrow axis gets every decade.
        assert_eq!(decades(2e-4, 3.0), vec![1.0, 0.1, 0.01, 1e-3]);
    }
}
