//! The sweep report's charts: one PNG per swept option, three panels (test
//! accuracy, seconds per epoch, peak memory) against the option's values,
//! from the lines of [`crate::report::view::sweep::axis_lines`].
//!
//! x is numeric where the values are numbers (logarithmic for sizes) and
//! categorical otherwise ([`AxisLayout`]); ticks sit at the swept values.

use std::path::Path;

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::SeriesLabelPosition::LowerRight;
use plotters::prelude::*;

use super::style::{
    Area, DrawResult, FONT, Grid, LegendSize, MIB, MeshLook, PEAK_RSS_TEXTS, SECS_PER_EPOCH_TEXTS,
    SWEEP_CHART_SIZE_PX, draw_legend, draw_png, frame, model_colour, spread, tick_format, y_range,
};
use crate::config::Axis;
use crate::error::Result;
use crate::report::view::axis::{AxisLayout, XScale};
use crate::report::view::sweep::SweepLine;
use crate::report::view::verdict::shown_ci;

/// A sweep chart against `axis`, three panels side by side: test accuracy
/// (%), training seconds per epoch, peak RSS (MiB); one line per
/// [`SweepLine`] (colour by model, marker by the other options' setting)
/// with 95% CI whiskers where enough seeds give one, and each matched cell's
/// own hidden size next to its marker when the axis is `--hidden`. With
/// `chance` (a fraction: the memory task's 1 / classes), the accuracy panel
/// draws it as a dashed horizontal line.
pub fn draw_sweep_axis(
    path: &Path,
    axis: &Axis,
    (acc, quality): (&[SweepLine], Quality),
    secs_per_epoch: &[SweepLine],
    peak_rss_bytes: &[SweepLine],
    chance: Option<f64>,
) -> Result<()> {
    draw_png(path, SWEEP_CHART_SIZE_PX, |root| {
        // An accuracy's axis fits its values inside 0–100%; an error's starts at 0.
        let (caption, y_desc, scale, from_zero) = match quality {
            Quality::Accuracy => ("Test accuracy", "test accuracy (%)", 100.0, false),
            Quality::ForecastError => ("Test MAE", "test MAE (target units)", 1.0, true),
        };
        let areas = root.split_evenly((1, 3));
        let layout = AxisLayout::of(axis);
        let cost = |lines, (caption, y_desc), scale| Panel {
            lines,
            caption,
            y_desc,
            scale,
            from_zero: true,
            legend: false,
            reference: None,
        };
        let panels = [
            Panel {
                from_zero,
                legend: true,
                reference: chance.map(|c| (c, "chance")),
                ..cost(acc, (caption, y_desc), scale)
            },
            cost(secs_per_epoch, SECS_PER_EPOCH_TEXTS, 1.0),
            cost(peak_rss_bytes, PEAK_RSS_TEXTS, MIB),
        ];
        for (area, panel) in areas.iter().zip(&panels) {
            sweep_panel(area, axis, &layout, panel)?;
        }
        Ok(())
    })
}

/// What the first panel draws: test accuracy, or a forecast's test MAE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quality {
    /// Test accuracy, in percent.
    Accuracy,
    /// A forecast's test MAE, in the target's units.
    ForecastError,
}

/// What one panel shows.
struct Panel<'a> {
    lines: &'a [SweepLine],
    caption: &'a str,
    y_desc: &'a str,
    /// Multiplies every value (fractions to %, bytes to MiB).
    scale: f64,
    from_zero: bool,
    legend: bool,
    /// A horizontal reference line (in the values' unit) and its label.
    reference: Option<(f64, &'a str)>,
}

/// A linear x coordinate whose tick marks sit exactly at the swept values
/// (plotters' own picks round numbers instead).
struct Ticked {
    lo: f64,
    hi: f64,
    ticks: Vec<f64>,
}

impl Ranged for Ticked {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let frac = (value - self.lo) / (self.hi - self.lo);
        limit.0 + (frac * f64::from(limit.1 - limit.0)).round() as i32
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.lo..self.hi
    }
}

/// x of a value on the drawing's linear coordinate: log10 for a log axis.
fn u_of(layout: &AxisLayout, x: f64) -> f64 {
    match layout.scale {
        XScale::Log => x.log10(),
        XScale::Linear | XScale::Categorical => x,
    }
}

/// The x axis's title.
fn x_desc(axis: &Axis, layout: &AxisLayout) -> String {
    let name = axis.flag.trim_start_matches('-');
    let mut desc = if axis.key == "hidden" {
        format!("{name} (the first model's; matched cells: own size noted)")
    } else {
        name.to_string()
    };
    if layout.scale == XScale::Log {
        desc.push_str(", log scale");
    }
    desc
}

fn sweep_panel(area: &Area, axis: &Axis, layout: &AxisLayout, panel: &Panel) -> DrawResult {
    let scale = panel.scale;
    let (ticks, gap, (u_lo, u_hi)) = x_extent(layout);
    let (y_lo, y_hi) = y_extent(panel);
    let x = Ticked {
        lo: u_lo,
        hi: u_hi,
        ticks: ticks.clone(),
    };
    let mut chart =
        frame(area, panel.caption, 20, 14, (50, 80)).build_cartesian_2d(x, y_lo..y_hi)?;
    let labels = layout.labels.clone();
    let tick_label = move |u: &f64| {
        ticks
            .iter()
            .position(|t| (t - u).abs() < 1e-9 * t.abs().max(1.0))
            .map(|i| labels[i].clone())
            .unwrap_or_default()
    };
    chart
        .configure_mesh()
        .look(Grid::Ticks, (15, 16))
        .disable_x_mesh()
        .x_label_formatter(&tick_label)
        .x_desc(x_desc(axis, layout))
        .y_desc(panel.y_desc)
        .y_label_formatter(&tick_format(y_lo, y_hi))
        .draw()?;
    if let Some((y, label)) = panel.reference {
        let (grey, y) = (RGBColor(110, 110, 110), y * scale);
        let dashed = DashedLineSeries::new([(u_lo, y), (u_hi, y)], 6, 4, grey.stroke_width(2));
        chart.draw_series(dashed)?;
        let style = TextStyle::from((FONT, 13).into_font()).color(&grey);
        let text = Text::new(label.to_string(), (6, 4), style);
        chart.draw_series([EmptyElement::at((u_lo, y)) + text])?;
    }
    for (li, line) in panel.lines.iter().enumerate() {
        let dx = gap * spread(li, panel.lines.len(), 0.12);
        draw_line(&mut chart, layout, panel, line, dx)?;
    }
    if panel.legend && !panel.lines.is_empty() {
        draw_legend(&mut chart, LowerRight, LegendSize::Panel)?;
    }
    Ok(())
}

/// The x axis of a panel: each setting's position, the smallest gap between
/// two, and the axis's ends half a gap beyond the first and last.
fn x_extent(layout: &AxisLayout) -> (Vec<f64>, f64, (f64, f64)) {
    let ticks: Vec<f64> = layout.xs.iter().map(|&x| u_of(layout, x)).collect();
    let mut sorted = ticks.clone();
    sorted.sort_by(f64::total_cmp);
    let gap = sorted
        .windows(2)
        .map(|w| w[1] - w[0])
        .filter(|g| *g > 0.0)
        .fold(f64::INFINITY, f64::min);
    let gap = if gap.is_finite() { gap } else { 1.0 };
    let ends = match (sorted.first(), sorted.last()) {
        (Some(&lo), Some(&hi)) => (lo - gap / 2.0, hi + gap / 2.0),
        _ => (-0.5, 0.5),
    };
    (ticks, gap, ends)
}

/// The y range of a panel: every point's interval and the reference line,
/// accuracies kept within 0–100%.
fn y_extent(panel: &Panel) -> (f64, f64) {
    let scale = panel.scale;
    let ys: Vec<f64> = panel
        .lines
        .iter()
        .flat_map(|l| &l.points)
        .flat_map(|p| {
            let e = &p.estimate;
            let (lo, hi) = shown_ci(e).unwrap_or((e.mean, e.mean));
            [lo * scale, hi * scale]
        })
        .chain(panel.reference.map(|(y, _)| y * scale))
        .collect();
    match y_range(&ys, panel.from_zero) {
        (lo, hi) if !panel.from_zero => (lo.max(0.0), hi.min(scale)),
        range => range,
    }
}

/// One model's line on a panel, moved `dx` sideways: the line (dashed for
/// the second group of settings), its markers (the shape tells the group),
/// its legend entry, the whiskers of the intervals and the points' notes.
fn draw_line<'a, 'b: 'a>(
    chart: &mut ChartContext<'a, BitMapBackend<'b>, Cartesian2d<Ticked, RangedCoordf64>>,
    layout: &AxisLayout,
    panel: &Panel,
    line: &SweepLine,
    dx: f64,
) -> DrawResult {
    let scale = panel.scale;
    let (c, group) = (model_colour(line.model), line.group);
    let pts: Vec<(f64, f64)> = line
        .points
        .iter()
        .map(|p| (u_of(layout, p.x) + dx, p.estimate.mean * scale))
        .collect();
    let style = c.stroke_width(2);
    let series = if group == 0 {
        chart.draw_series(LineSeries::new(pts.clone(), style))?
    } else {
        chart.draw_series(DashedLineSeries::new(pts.clone(), 8, 5, style))?
    };
    if panel.legend {
        series
            .label(line.label.clone())
            .legend(move |(x, y)| marker(group, (x + 12, y), c));
    }
    chart.draw_series(pts.iter().map(|&p| marker(group, p, c)))?;
    for (p, &(u, y)) in line.points.iter().zip(&pts) {
        if let Some((a, b)) = shown_ci(&p.estimate) {
            let whisker = vec![(u, a * scale), (u, b * scale)];
            chart.draw_series([PathElement::new(whisker, c.mix(0.8).stroke_width(1))])?;
        }
        if let Some(note) = &p.note {
            let style = TextStyle::from((FONT, 12).into_font()).color(&c);
            let text = Text::new(note.clone(), (7, -16), style);
            chart.draw_series([EmptyElement::at((u, y)) + text])?;
        }
    }
    Ok(())
}

/// The marker of the settings group `group` of the other swept options at
/// `at`: filled circle, triangle, cross, hollow circle.
fn marker<'e, DB: DrawingBackend, C: Clone + 'static>(
    group: usize,
    at: C,
    c: RGBColor,
) -> DynElement<'e, DB, C> {
    match group % 4 {
        0 => Circle::new(at, 5, c.filled()).into_dyn(),
        1 => TriangleMarker::new(at, 6, c.filled()).into_dyn(),
        2 => Cross::new(at, 5, c.stroke_width(2)).into_dyn(),
        _ => Circle::new(at, 5, c.stroke_width(2)).into_dyn(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::stats::{Estimate, Scale};
    use crate::config::AxisValue;
    use crate::model::Cell;
    use crate::report::view::sweep::SweepPoint;

    fn axis(key: &str, values: &[&str]) -> Axis {
        Axis {
            key: key.into(),
            flag: format!("--{key}"),
            values: values.iter().map(|v| AxisValue::from_label(v)).collect(),
            scale: crate::config::GRID_OPTIONS
                .iter()
                .find(|o| o.key == key)
                .map_or(crate::config::AxisScale::Categorical, |o| o.scale),
        }
    }

    fn line(model: Cell, xs: &[f64], note: bool) -> SweepLine {
        SweepLine {
            model,
            label: model.display_name().into(),
            group: 0,
            points: xs
                .iter()
                .enumerate()
                .map(|(index, &x)| SweepPoint {
                    index,
                    x,
                    estimate: Estimate::on_scale(&[0.7, 0.75, 0.8], Scale::Logit).unwrap(),
                    note: note.then(|| "h 74".to_string()),
                })
                .collect(),
        }
    }

    #[test]
    fn categorical_log_and_single_value_axes_draw() {
        let dir = tempfile::tempdir().unwrap();
        for (ax, xs) in [
            (axis("keep", &["first", "last"]), vec![0.0, 1.0]),
            (
                axis("hidden", &["64", "128", "512"]),
                vec![64.0, 128.0, 512.0],
            ),
            (axis("lr", &["0.001"]), vec![0.001]),
        ] {
            let lines = vec![line(Cell::Lstm, &xs, false), line(Cell::Gru, &xs, true)];
            let path = dir.path().join(format!("{}.png", ax.key));
            draw_sweep_axis(
                &path,
                &ax,
                (&lines, Quality::Accuracy),
                &lines,
                &lines,
                Some(0.25),
            )
            .unwrap();
            let img = image::open(&path).unwrap().to_rgb8();
            assert_eq!(img.dimensions(), SWEEP_CHART_SIZE_PX);
            let dark = img
                .pixels()
                .filter(|p| p.0.iter().all(|&c| c < 100))
                .count();
            assert!(dark > 500, "{} looks empty", ax.key);
        }
    }
}
