//! The bench report's charts: each `draw_*` writes one PNG from series built
//! in [`super::series`], and does nothing else. Font, canvas, legend style
//! and the cells' colours ([`model_colour`]) are every chart's
//! ([`crate::report::plot::style`]).

use std::path::Path;

use plotters::coord::combinators::{LogCoord, WithKeyPoints};
use plotters::coord::ranged1d::Ranged;
use plotters::prelude::SeriesLabelPosition::{LowerRight, UpperLeft, UpperRight};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::series::{BatchingRow, RatioGrid};
use crate::bench::BatchingMode;
use crate::error::Result;
use crate::model::Cell;
use crate::report::plot::style::{
    CHART_SIZE_PX, DrawResult, FONT, Grid, LegendSize, MeshLook, WIDE_CHART_SIZE_PX, draw_legend,
    draw_png, frame, legend_line, model_colour,
};
use crate::report::series::Line;

/// Tick values 1, 2, 5 × 10^k that fall within `[lo, hi]` (`0 < lo <= hi`),
/// so log axes get a label every step instead of one per decade.
pub fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
    if !(lo > 0.0 && hi >= lo && hi.is_finite()) {
        return vec![];
    }
    let mut ticks = vec![];
    let mut decade = 10f64.powf(lo.log10().floor());
    while decade <= hi {
        let within = |v: &f64| *v >= lo * (1.0 - 1e-9) && *v <= hi * (1.0 + 1e-9);
        ticks.extend(
            [1.0, 2.0, 5.0]
                .map(|m| m * decade)
                .into_iter()
                .filter(within),
        );
        decade *= 10.0;
    }
    ticks
}

/// A number in at most three significant digits, with `k`/`M` above 10⁴
/// (`0.5`, `12.5`, `250`, `12k`, `1.5M`).
pub fn short_number(v: f64) -> String {
    let (v, suffix) = match v.abs() {
        a if a >= 1e6 => (v / 1e6, "M"),
        a if a >= 1e4 => (v / 1e3, "k"),
        _ => (v, ""),
    };
    let decimals = match v.abs() {
        a if a >= 100.0 || a == 0.0 => 0,
        a if a >= 10.0 => 1,
        a if a >= 1.0 => 2,
        _ => 3,
    };
    let s = format!("{v:.decimals$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        &s
    };
    format!("{s}{suffix}")
}

/// The lowest and highest x and y of the positive points of `lines`
/// (1 to 10 on both axes without any).
fn bounds(lines: &[Line]) -> (f64, f64, f64, f64) {
    let points = lines.iter().flat_map(|l| l.points.iter());
    let mut it = points.filter(|p| p.0 > 0.0 && p.1 > 0.0 && p.1.is_finite());
    let Some(first) = it.next() else {
        return (1.0, 10.0, 1.0, 10.0);
    };
    it.fold((first.0, first.0, first.1, first.1), |b, p| {
        (b.0.min(p.0), b.1.max(p.0), b.2.min(p.1), b.3.max(p.1))
    })
}

/// A log x axis from `x0` to `x1` (15% beyond each), ticked at every x of
/// the lines: the swept sizes (64, 128, 256, 512 rather than one label per
/// decade).
fn swept_x(lines: &[Line], x0: f64, x1: f64) -> WithKeyPoints<LogCoord<f64>> {
    let mut xs: Vec<f64> = lines
        .iter()
        .flat_map(|l| l.points.iter().map(|p| p.0))
        .collect();
    xs.retain(|x| *x > 0.0);
    xs.sort_by(f64::total_cmp);
    xs.dedup();
    (x0 * 0.85..x1 * 1.15).log_scale().with_key_points(xs)
}

/// Draws each line of `lines` (its positive points) in its cell's colour,
/// 3 px wide with a dot at each point, labelled for the legend.
fn draw_lines<'a, DB, X, Y>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
    lines: &[Line],
) -> DrawResult
where
    DB: DrawingBackend + 'a,
    DB::ErrorType: 'static,
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    for line in lines {
        let colour = model_colour(line.model);
        let mut pts = line.points.clone();
        pts.retain(|p| p.0 > 0.0 && p.1 > 0.0);
        chart
            .draw_series(LineSeries::new(pts.clone(), colour.stroke_width(3)))?
            .label(line.label.clone())
            .legend(legend_line(colour));
        chart.draw_series(pts.into_iter().map(|p| Circle::new(p, 4, colour.filled())))?;
    }
    Ok(())
}

/// Milliseconds per iteration, one line per cell on log-log axes, ticks at
/// every swept x and at 1-2-5 steps of y, with the legend naming each line
/// (e.g. its fitted exponent).
pub fn draw_loglog(path: &Path, title: &str, x_desc: &str, lines: &[Line]) -> Result<()> {
    draw_png(path, CHART_SIZE_PX, |root| {
        let (x0, x1, y0, y1) = bounds(lines);
        let (y0, y1) = (y0 * 0.8, y1 * 1.25);
        let y = (y0..y1).log_scale().with_key_points(log_ticks(y0, y1));
        let mut chart =
            frame(root, title, 22, 16, (50, 80)).build_cartesian_2d(swept_x(lines, x0, x1), y)?;
        chart
            .configure_mesh()
            .look(Grid::Faint, (15, 16))
            .x_desc(x_desc)
            .y_desc("milliseconds per iteration (median)")
            .x_label_formatter(&|v| short_number(*v))
            .y_label_formatter(&|v| short_number(*v))
            .draw()?;
        draw_lines(&mut chart, lines)?;
        draw_legend(&mut chart, UpperLeft, LegendSize::Chart)?;
        Ok(())
    })
}

/// Tokens per second against a swept size, one panel per group (e.g.
/// forward, train step) side by side, one line per cell; x on a log axis
/// ticked at every swept value, y linear from 0 (so the legend goes low,
/// where the lines are not).
pub fn draw_tokens_per_sec(
    path: &Path,
    title: &str,
    x_desc: &str,
    panels: &[(String, Vec<Line>)],
) -> Result<()> {
    draw_png(path, WIDE_CHART_SIZE_PX, |root| {
        let root = root.titled(title, (FONT, 22))?;
        let areas = root.split_evenly((1, panels.len().max(1)));
        for ((name, lines), area) in panels.iter().zip(areas.iter()) {
            let (x0, x1, _, y1) = bounds(lines);
            let mut chart = frame(area, name, 18, 12, (45, 70))
                .build_cartesian_2d(swept_x(lines, x0, x1), 0.0..y1 * 1.15)?;
            chart
                .configure_mesh()
                .look(Grid::Faint, (14, 15))
                .x_desc(x_desc)
                .y_desc("tokens/s (median)")
                .y_labels(8)
                .x_label_formatter(&|v| short_number(*v))
                .y_label_formatter(&|v| short_number(*v))
                .draw()?;
            draw_lines(&mut chart, lines)?;
            draw_legend(&mut chart, LowerRight, LegendSize::Chart)?;
        }
        Ok(())
    })
}

/// The colour of a GRU/LSTM time ratio: white at 1, shading towards the
/// faster cell's colour (GRU's below 1, LSTM's above) and saturating at a
/// factor of 2 either way.
pub fn ratio_colour(ratio: f64) -> RGBColor {
    let target = model_colour(if ratio < 1.0 { Cell::Gru } else { Cell::Lstm });
    let t = (ratio.ln().abs() / 2f64.ln()).clamp(0.0, 1.0);
    let mix = |c: u8| (255.0 + (f64::from(c) - 255.0) * t).round() as u8;
    RGBColor(mix(target.0), mix(target.1), mix(target.2))
}

/// The GRU/LSTM time ratio over (hidden size, sequence length) as a heatmap:
/// one annotated cell per benched point, hidden size up, length across,
/// points not benched left grey.
pub fn draw_ratio_heatmap(path: &Path, title: &str, grid: &RatioGrid) -> Result<()> {
    draw_png(path, CHART_SIZE_PX, |root| {
        // Integer coordinates (plotters formats integer axes with a custom
        // formatter, not float ones): cell (c, r) spans [2c, 2c + 2] x
        // [2r, 2r + 2] and is labelled at its centre 2c + 1.
        let (cols, rows) = (
            grid.seqs.len().max(1) as i32,
            grid.hiddens.len().max(1) as i32,
        );
        let centres = |n: i32| (0..n).map(|i| 2 * i + 1).collect::<Vec<i32>>();
        let label = |values: &[i64], v: &i32| {
            values
                .get((v / 2).max(0) as usize)
                .map(|x| x.to_string())
                .unwrap_or_default()
        };
        let mut chart = frame(root, title, 20, 16, (55, 80)).build_cartesian_2d(
            (0..2 * cols).with_key_points(centres(cols)),
            (0..2 * rows).with_key_points(centres(rows)),
        )?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc("sequence length (tokens)")
            .y_desc("hidden size")
            .x_label_formatter(&|v| label(&grid.seqs, v))
            .y_label_formatter(&|v| label(&grid.hiddens, v))
            .label_style((FONT, 16))
            .axis_desc_style((FONT, 17))
            .draw()?;
        for (r, row) in grid.cells.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                let ratio = cell.as_ref().map(|p| p.0);
                let (x, y) = (2 * c as i32, 2 * r as i32);
                let fill = ratio.map_or(RGBColor(225, 225, 225), ratio_colour);
                let cell = [(x, y), (x + 2, y + 2)];
                chart.draw_series([Rectangle::new(cell, fill.filled())])?;
                chart.draw_series([Rectangle::new(cell, WHITE.stroke_width(2))])?;
                let text = ratio.map_or("not benched".to_string(), |v| format!("{v:.2}"));
                let size = if ratio.is_some() { 26 } else { 15 };
                let style = TextStyle::from((FONT, size).into_font())
                    .color(&BLACK)
                    .pos(Pos::new(HPos::Center, VPos::Center));
                chart.draw_series([Text::new(text, (x + 1, y + 1), style)])?;
            }
        }
        Ok(())
    })
}

/// The colour of a batching mode: padded grey, packed reddish purple,
/// bucketed bluish green (Okabe–Ito).
pub fn mode_colour(mode: BatchingMode) -> RGBColor {
    match mode {
        BatchingMode::Padded => RGBColor(120, 120, 120),
        BatchingMode::Packed => RGBColor(204, 121, 167),
        BatchingMode::Bucketed => RGBColor(0, 158, 115),
    }
}

/// Real tokens per second per cell and batching mode, grouped bars, one
/// panel per group (forward, train step), each bar labelled with its value.
pub fn draw_batching(
    path: &Path,
    title: &str,
    panels: &[(String, Vec<&BatchingRow>)],
) -> Result<()> {
    draw_png(path, WIDE_CHART_SIZE_PX, |root| {
        let root = root.titled(title, (FONT, 20))?;
        let areas = root.split_evenly((1, panels.len().max(1)));
        for ((name, bars), area) in panels.iter().zip(areas.iter()) {
            let mut cells: Vec<Cell> = bars.iter().map(|b| b.cell).collect();
            cells.dedup();
            let y1 = bars
                .iter()
                .map(|b| b.real_tokens_per_sec)
                .fold(1.0, f64::max);
            // Integer x: cell c spans [8c, 8c + 8], its bars [8c + 1 + 2i, 8c + 3 + 2i].
            let cell_label = |v: &i32| {
                let cell = cells.get((v / 8).max(0) as usize);
                cell.map(|c| c.display_name().to_string())
                    .unwrap_or_default()
            };
            let n = cells.len().max(1) as i32;
            let mut chart = frame(area, name, 18, 12, (40, 70)).build_cartesian_2d(
                (0..8 * n).with_key_points((0..n).map(|c| 8 * c + 4).collect()),
                0.0..y1 * 1.18,
            )?;
            chart
                .configure_mesh()
                .look(Grid::Faint, (15, 15))
                .y_desc("real tokens/s (median)")
                .y_labels(8)
                .x_label_formatter(&cell_label)
                .y_label_formatter(&|v| short_number(*v))
                .disable_x_mesh()
                .draw()?;
            for (i, mode) in BatchingMode::ALL.into_iter().enumerate() {
                let colour = mode_colour(mode);
                let x = |b: &BatchingRow| {
                    let c = cells.iter().position(|c| *c == b.cell)? as i32;
                    Some((8 * c + 1 + 2 * i as i32, b.real_tokens_per_sec))
                };
                let mine: Vec<(i32, f64)> = bars
                    .iter()
                    .filter(|b| b.bench.mode == mode)
                    .filter_map(|b| x(b))
                    .collect();
                let bar =
                    |&(x, y): &(i32, f64)| Rectangle::new([(x, 0.0), (x + 2, y)], colour.filled());
                chart
                    .draw_series(mine.iter().map(bar))?
                    .label(mode.name())
                    .legend(move |(x, y)| {
                        Rectangle::new([(x, y - 6), (x + 18, y + 6)], colour.filled())
                    });
                let value_style = TextStyle::from((FONT, 13).into_font())
                    .pos(Pos::new(HPos::Center, VPos::Bottom));
                chart
                    .draw_series(mine.iter().map(|&(x, y)| {
                        Text::new(short_number(y), (x + 1, y), value_style.clone())
                    }))?;
            }
            draw_legend(&mut chart, UpperRight, LegendSize::Chart)?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_ticks_step_1_2_5() {
        assert_eq!(log_ticks(0.03, 1.2), [0.05, 0.1, 0.2, 0.5, 1.0]);
        assert_eq!(log_ticks(2.0, 20.0), [2.0, 5.0, 10.0, 20.0]);
        assert!(log_ticks(0.0, 1.0).is_empty());
    }

    #[test]
    fn short_numbers() {
        assert_eq!(short_number(0.05), "0.05");
        assert_eq!(short_number(12.5), "12.5");
        assert_eq!(short_number(250.0), "250");
        assert_eq!(short_number(12_345.0), "12.3k");
        assert_eq!(short_number(250_000.0), "250k");
        assert_eq!(short_number(1_500_000.0), "1.5M");
        assert_eq!(short_number(0.2), "0.2");
    }

    #[test]
    fn ratio_colours_are_white_at_one_and_the_faster_cell_at_two() {
        assert_eq!(ratio_colour(1.0), RGBColor(255, 255, 255));
        assert_eq!(ratio_colour(0.5), model_colour(Cell::Gru));
        assert_eq!(ratio_colour(2.0), model_colour(Cell::Lstm));
        assert_eq!(ratio_colour(4.0), model_colour(Cell::Lstm));
    }
}
