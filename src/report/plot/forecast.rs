//! A forecast's chart: what happened over the test part against the naive
//! forecast and each model's, one step ahead.

use std::path::Path;

use plotters::prelude::SeriesLabelPosition::UpperLeft;
use plotters::prelude::*;

use super::style::{
    Grid, LABEL_GREY, LegendSize, MeshLook, REFERENCE_GREY, WIDE_CHART_SIZE_PX, draw_legend,
    draw_png, frame, legend_line, min_max, model_colour, padded, tick_format,
};
use crate::error::Result;
use crate::model::Cell;

/// One line of the chart: values at consecutive test windows.
#[derive(Debug, Clone, PartialEq)]
pub struct ForecastLine {
    /// Its model; `None` for what happened and the naive forecast.
    pub model: Option<Cell>,
    /// Its legend label.
    pub label: String,
    /// The values, one per test window, in time order.
    pub values: Vec<f64>,
}

/// What happened (black), the naive forecast (grey, dashed) and each
/// model's forecast (its colour) at the first horizon step over the test
/// windows; y in the target's units.
pub fn draw_forecast(path: &Path, lines: &[ForecastLine], target: &str) -> Result<()> {
    draw_png(path, WIDE_CHART_SIZE_PX, |root| {
        let n = lines
            .iter()
            .map(|l| l.values.len())
            .max()
            .unwrap_or(1)
            .max(2);
        let (lo, hi) = min_max(lines.iter().flat_map(|l| l.values.iter().copied()));
        let (lo, hi) = padded(lo, hi, 0.06);
        let x_max = (n - 1) as f64;
        let caption = "The end of the test part, one step ahead: what happened, the naive forecast and each model's";
        let mut chart =
            frame(root, caption, 22, 14, (50, 80)).build_cartesian_2d(0f64..x_max, lo..hi)?;
        chart
            .configure_mesh()
            .look(Grid::Ticks, (16, 18))
            .x_desc("test window (the last ones, in steps)")
            .y_desc(target)
            .x_label_formatter(&tick_format(0.0, x_max))
            .y_label_formatter(&tick_format(lo, hi))
            .draw()?;
        for line in lines {
            let points = line.values.iter().enumerate().map(|(i, &v)| (i as f64, v));
            let (colour, width) = match line.model {
                Some(m) => (model_colour(m), 2),
                None if line.label.starts_with("naive") => (REFERENCE_GREY, 1),
                None => (LABEL_GREY, 3),
            };
            let series = chart.draw_series(LineSeries::new(points, colour.stroke_width(width)))?;
            series.label(line.label.clone()).legend(legend_line(colour));
        }
        draw_legend(&mut chart, UpperLeft, LegendSize::Chart)
    })
}
