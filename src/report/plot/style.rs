//! The one style of every chart: the embedded font, the palette (one
//! colour per cell, [`model_colour`]), the sizes, the canvas, axis ranges and
//! tick labels. The chart files ([`super::run`], [`super::sweep`]) draw with
//! these and nothing else.

use std::path::Path;
use std::sync::OnceLock;

use plotters::chart::MeshStyle;
use plotters::coord::ranged1d::Ranged;
use plotters::coord::{CoordTranslate, Shift};
use plotters::prelude::*;
use plotters::style::FontStyle;

use crate::error::{Error, Result};
use crate::model::Cell;

pub(crate) type DrawResult = std::result::Result<(), Box<dyn std::error::Error + Send + Sync>>;

/// DejaVu Sans, embedded so that rendering needs no system fonts
/// (licence: `assets/DejaVuSans-LICENSE.txt`).
const FONT_BYTES: &[u8] = include_bytes!("../../../assets/DejaVuSans.ttf");
/// The family name the embedded font is registered under.
pub const FONT: &str = "sans-serif";

/// Width and height (pixels) of a single-panel chart.
pub const CHART_SIZE_PX: (u32, u32) = (960, 560);
/// Width and height (pixels) of a chart with panels side by side.
pub const WIDE_CHART_SIZE_PX: (u32, u32) = (1280, 520);

/// Registers the embedded font once; without it plotters fails with
/// `FontUnavailable`.
fn ensure_font() -> std::result::Result<(), String> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        plotters::style::register_font(FONT, FontStyle::Normal, FONT_BYTES).is_ok()
    });
    ok.then_some(())
        .ok_or_else(|| "the embedded DejaVu Sans font could not be loaded".into())
}

/// Width and height (pixels) of a sweep chart (three panels).
pub const SWEEP_CHART_SIZE_PX: (u32, u32) = (1500, 560);
/// Caption and y title of a cost chart's panel of seconds per epoch.
pub const SECS_PER_EPOCH_TEXTS: (&str, &str) = ("Seconds per epoch", "training time per epoch (s)");
/// Caption and y title of a cost chart's panel of peak memory, in MiB.
pub const PEAK_RSS_TEXTS: (&str, &str) = ("Peak memory (RSS)", "peak resident memory (MiB)");
/// Bytes to MiB.
pub const MIB: f64 = 1.0 / (1024.0 * 1024.0);
/// Grey of the published references.
pub const REFERENCE_GREY: RGBColor = RGBColor(90, 90, 90);
/// Grey of the references' labels.
pub const LABEL_GREY: RGBColor = RGBColor(60, 60, 60);

/// The fixed colour of a model in every chart ([`Cell::colour_rgb`]).
pub fn model_colour(model: Cell) -> RGBColor {
    let (r, g, b) = model.colour_rgb();
    RGBColor(r, g, b)
}

/// A chart's drawing area, or one of its panels'.
pub(crate) type Area<'a> = DrawingArea<BitMapBackend<'a>, Shift>;

/// Draws the chart `path` with `chart` on a white canvas of `size_px`: into a
/// partial file beside `path`
/// ([`partial_file`](crate::results::io::partial_file)), moved into place
/// when the chart is whole, removed on a drawing or write error (a full
/// disk), so a failed write never leaves a cut-off PNG. Errors name the chart.
pub(crate) fn draw_png(
    path: &Path,
    size_px: (u32, u32),
    chart: impl FnOnce(&Area) -> DrawResult,
) -> Result<()> {
    let partial = crate::results::io::partial_file(path)?;
    let drawn = (|| -> DrawResult {
        ensure_font()?;
        let root = BitMapBackend::new(partial.path(), size_px).into_drawing_area();
        root.fill(&WHITE)?;
        chart(&root)?;
        root.present()?;
        Ok(())
    })();
    drawn.map_err(|e| Error::results(path, format!("drawing the chart failed: {e}")))?;
    crate::results::io::persist(partial, path)
}

/// A chart on `area` under `caption` (`caption_px` high), `margin_px` inside
/// the area's edges, with `label_areas_px` (x, y) for the axes' ticks and titles.
pub(crate) fn frame<'a, 'b, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    caption: &str,
    caption_px: u32,
    margin_px: u32,
    (x_px, y_px): (u32, u32),
) -> ChartBuilder<'a, 'b, DB> {
    let mut builder = ChartBuilder::on(area);
    builder
        .caption(caption, (FONT, caption_px))
        .margin(margin_px)
        .x_label_area_size(x_px)
        .y_label_area_size(y_px);
    builder
}

/// The grid lines of a chart's mesh.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Grid {
    /// Grey lines at the labelled ticks only (run and sweep charts).
    Ticks,
    /// Faint lines at the labelled ticks (bench charts).
    Faint,
}

/// The one look of a chart's mesh.
pub(crate) trait MeshLook {
    /// Tick labels `label_px` and axis titles `desc_px` high, `grid`'s lines.
    fn look(&mut self, grid: Grid, fonts_px: (u32, u32)) -> &mut Self;
}

impl<X: Ranged, Y: Ranged, DB: DrawingBackend> MeshLook for MeshStyle<'_, '_, X, Y, DB> {
    fn look(&mut self, grid: Grid, (label_px, desc_px): (u32, u32)) -> &mut Self {
        self.label_style((FONT, label_px))
            .axis_desc_style((FONT, desc_px));
        match grid {
            Grid::Ticks => self.light_line_style(WHITE.mix(0.0)),
            Grid::Faint => self
                .bold_line_style(BLACK.mix(0.12))
                .light_line_style(WHITE),
        }
    }
}

/// The lowest and highest of `values` (∞ and −∞ without any).
pub(crate) fn min_max(values: impl Iterator<Item = f64> + Clone) -> (f64, f64) {
    let lo = values.clone().fold(f64::INFINITY, f64::min);
    (lo, values.fold(f64::NEG_INFINITY, f64::max))
}

/// `lo..hi` widened by `frac` of its span on each side.
pub(crate) fn padded(lo: f64, hi: f64, frac: f64) -> (f64, f64) {
    if !lo.is_finite() || !hi.is_finite() {
        return (0.0, 1.0);
    }
    let span = (hi - lo).abs().max(1e-9 + hi.abs() * 0.05);
    (lo - span * frac, hi + span * frac)
}

/// A legend entry: a short thick line in `colour`.
pub(crate) fn legend_line(colour: RGBColor) -> impl Fn((i32, i32)) -> PathElement<(i32, i32)> {
    move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], colour.stroke_width(3))
}

/// How big a legend's labels are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LegendSize {
    /// A chart of its own (a single panel, or panels side by side).
    Chart,
    /// One of a sweep chart's three small panels.
    Panel,
}

/// Draws `chart`'s legend at `position` in the one legend style of every
/// chart, run, sweep and bench alike: labels at 16 px (13 px in a small
/// panel), on white at 85% over the plot, a light grey border.
pub(crate) fn draw_legend<'a, DB, CT>(
    chart: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
    size: LegendSize,
) -> DrawResult
where
    DB: DrawingBackend + 'a,
    DB::ErrorType: 'static,
    CT: CoordTranslate,
{
    let px = match size {
        LegendSize::Chart => 16,
        LegendSize::Panel => 13,
    };
    chart
        .configure_series_labels()
        .position(position)
        .label_font((FONT, px))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .draw()?;
    Ok(())
}

/// The y range of a panel of `ys`: from 0 to 15% over the highest value
/// (`from_zero`), or the values' range padded by 12% each side.
pub(crate) fn y_range(ys: &[f64], from_zero: bool) -> (f64, f64) {
    let (lo, hi) = min_max(ys.iter().copied());
    if !from_zero {
        padded(lo, hi, 0.12)
    } else if hi.is_finite() && hi > 0.0 {
        (0.0, hi * 1.15)
    } else {
        (0.0, 1.0)
    }
}

/// An x tick formatter for categories at 0, 1, 2, …: the name at an integer
/// position, nothing between.
pub(crate) fn category_label<S: AsRef<str>>(names: &[S]) -> impl Fn(&f64) -> String + '_ {
    move |x: &f64| {
        let i = x.round();
        if (x - i).abs() < 1e-6 && i >= 0.0 {
            names
                .get(i as usize)
                .map(|n| n.as_ref().to_string())
                .unwrap_or_default()
        } else {
            String::new()
        }
    }
}

/// The `i`th of `n` marks' sideways offset, over `-half..=half`: dots and whiskers overlap less.
pub(crate) fn spread(i: usize, n: usize, half: f64) -> f64 {
    if n > 1 {
        -half + 2.0 * half * i as f64 / (n - 1) as f64
    } else {
        0.0
    }
}

/// A tick formatter for an axis from `lo` to `hi`: as many decimals as a
/// tenth of the range needs, the same for every tick; thousands as `k`.
pub(crate) fn tick_format(lo: f64, hi: f64) -> impl Fn(&f64) -> String {
    let step = ((hi - lo).abs() / 10.0).max(f64::MIN_POSITIVE);
    let decimals = (-step.log10().floor()).clamp(0.0, 6.0) as usize;
    let thousands = lo.abs().max(hi.abs()) >= 10_000.0;
    move |v: &f64| {
        if thousands {
            format!("{:.0}k", v / 1000.0)
        } else {
            format!("{v:.decimals$}")
        }
    }
}
