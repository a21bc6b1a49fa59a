//! One `draw_*` function per chart, each writing one PNG from series built by
//! [`super::series`]. Every model has one colour in every chart
//! ([`model_colour`]); text uses the embedded DejaVu Sans (no system fonts).

use std::path::Path;
use std::sync::OnceLock;

use plotters::prelude::*;
use plotters::style::FontStyle;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::series::{Band, Line, Spread};
use crate::error::{Error, Result};
use crate::model::Cell;

type DrawResult = std::result::Result<(), Box<dyn std::error::Error + Send + Sync>>;

/// DejaVu Sans, embedded so that rendering needs no system fonts
/// (licence: `assets/DejaVuSans-LICENSE.txt`).
const FONT_BYTES: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");
const FONT: &str = "sans-serif";

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
    if ok {
        Ok(())
    } else {
        Err("the embedded DejaVu Sans font could not be loaded".into())
    }
}

/// The fixed colour of a model in every chart ([`Cell::colour_rgb`]).
pub fn model_colour(model: Cell) -> RGBColor {
    let (r, g, b) = model.colour_rgb();
    RGBColor(r, g, b)
}

/// A horizontal reference on the test-accuracy chart: a line (`low == high`)
/// or a band, with its citation.
#[derive(Debug, Clone, PartialEq)]
pub struct Reference {
    /// Lower end (fraction).
    pub low: f64,
    /// Upper end (fraction); equal to `low` for a line.
    pub high: f64,
    /// Label drawn next to it, with the citation.
    pub label: String,
    /// Draw the label under the line instead of over it (for references
    /// close to another one).
    pub label_below: bool,
}

/// Published IMDB test accuracies (FACTS.md, Data section), drawn on the
/// test-accuracy chart of the `imdb` and `imdb-mini` datasets.
pub fn imdb_references() -> Vec<Reference> {
    vec![
        Reference {
            low: 0.88,
            high: 0.89,
            label: "bag-of-words 88–89% (Maas et al. 2011)".into(),
            label_below: false,
        },
        Reference {
            low: 0.865,
            high: 0.865,
            label: "LSTM from scratch 86.5% (Dai & Le 2015)".into(),
            label_below: false,
        },
        Reference {
            low: 0.862,
            high: 0.862,
            label: "2-layer BiLSTM + GloVe 86.2% (PyTorch tutorial)".into(),
            label_below: true,
        },
    ]
}

/// A white PNG canvas of `size_px` at `path`, with the embedded font registered.
pub(crate) fn canvas(
    path: &Path,
    size_px: (u32, u32),
) -> std::result::Result<
    DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>,
    Box<dyn std::error::Error + Send + Sync>,
> {
    ensure_font()?;
    let root = BitMapBackend::new(path, size_px).into_drawing_area();
    root.fill(&WHITE)?;
    Ok(root)
}

fn finish(path: &Path, r: DrawResult) -> Result<()> {
    r.map_err(|e| Error::results(path, format!("drawing the chart failed: {e}")))
}

fn padded(lo: f64, hi: f64, frac: f64) -> (f64, f64) {
    if !lo.is_finite() || !hi.is_finite() {
        return (0.0, 1.0);
    }
    let span = (hi - lo).abs().max(1e-9 + hi.abs() * 0.05);
    (lo - span * frac, hi + span * frac)
}

fn legend_line(colour: RGBColor) -> impl Fn((i32, i32)) -> PathElement<(i32, i32)> {
    move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], colour.stroke_width(3))
}

/// Mean validation accuracy per epoch for each model, with the min–max band
/// over seeds. Y in percent.
pub fn draw_val_acc(path: &Path, bands: &[Band]) -> Result<()> {
    finish(
        path,
        band_chart(
            path,
            bands,
            "Validation accuracy per epoch (mean over seeds, band: min–max)",
            "validation accuracy (%)",
            100.0,
        ),
    )
}

fn band_chart(path: &Path, bands: &[Band], caption: &str, y_desc: &str, scale: f64) -> DrawResult {
    let root = canvas(path, CHART_SIZE_PX)?;
    draw_bands(&root, bands, caption, y_desc, scale, false)?;
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
    chart
        .configure_series_labels()
        .position(if legend_upper {
            SeriesLabelPosition::UpperRight
        } else {
            SeriesLabelPosition::LowerRight
        })
        .label_font((FONT, 16))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .draw()
        .map_err(|e| e.to_string())?;
    Ok(())
}

/// Training loss (left) and validation loss (right) per epoch, mean over
/// seeds with the min–max band, in nats.
pub fn draw_loss(path: &Path, train: &[Band], val: &[Band]) -> Result<()> {
    finish(path, loss_chart(path, train, val))
}

fn loss_chart(path: &Path, train: &[Band], val: &[Band]) -> DrawResult {
    let root = canvas(path, WIDE_CHART_SIZE_PX)?;
    let panels = root.split_evenly((1, 2));
    draw_bands(
        &panels[0],
        train,
        "Training loss per epoch",
        "training loss (nats)",
        1.0,
        true,
    )?;
    draw_bands(
        &panels[1],
        val,
        "Validation loss per epoch",
        "validation loss (nats)",
        1.0,
        true,
    )?;
    root.present()?;
    Ok(())
}

/// Validation accuracy against cumulative training time, one line per model
/// and seed.
pub fn draw_acc_vs_time(path: &Path, lines: &[Line]) -> Result<()> {
    finish(path, acc_vs_time_chart(path, lines))
}

fn acc_vs_time_chart(path: &Path, lines: &[Line]) -> DrawResult {
    let root = canvas(path, CHART_SIZE_PX)?;
    let pts = lines.iter().flat_map(|l| &l.points);
    let x_max = pts.clone().map(|p| p.0).fold(1e-3, f64::max);
    let y_lo = pts
        .clone()
        .map(|p| p.1 * 100.0)
        .fold(f64::INFINITY, f64::min);
    let y_hi = pts.map(|p| p.1 * 100.0).fold(f64::NEG_INFINITY, f64::max);
    let (y_lo, y_hi) = padded(y_lo, y_hi, 0.08);
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
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .label_font((FONT, 16))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .draw()?;
    root.present()?;
    Ok(())
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
    let mut ys: Vec<f64> = spreads
        .iter()
        .flat_map(|s| s.values.iter().map(|v| v.1 * scale))
        .collect();
    ys.extend(
        spreads
            .iter()
            .filter_map(whisker)
            .flat_map(|(a, b)| [a * scale, b * scale]),
    );
    ys.extend(
        references
            .iter()
            .flat_map(|r| [r.low * scale, r.high * scale]),
    );
    let (y_lo, y_hi) = y_range(&ys, from_zero);
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
        let grey = RGBColor(90, 90, 90);
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
            .color(&RGBColor(60, 60, 60))
            .pos(Pos::new(HPos::Right, VPos::Top));
        chart
            .draw_series(std::iter::once(
                EmptyElement::at((n as f64 - 0.52, y)) + Text::new(r.label.clone(), (0, dy), style),
            ))
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// The y range of a panel of `ys`: from 0 to 15% over the highest value
/// (`from_zero`), or the values' range padded by 12% each side.
fn y_range(ys: &[f64], from_zero: bool) -> (f64, f64) {
    let lo = ys.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = ys.iter().copied().fold(f64::NEG_INFINITY, f64::max);
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
fn category_label<S: AsRef<str>>(names: &[S]) -> impl Fn(&f64) -> String + '_ {
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

/// A tick formatter for an axis from `lo` to `hi`: as many decimals as a
/// tenth of the range needs, the same for every tick; thousands as `k`.
fn tick_format(lo: f64, hi: f64) -> impl Fn(&f64) -> String {
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

fn ci_whisker(s: &Spread) -> Option<(f64, f64)> {
    s.estimate.and_then(|e| e.ci())
}

fn min_max_whisker(s: &Spread) -> Option<(f64, f64)> {
    s.estimate.filter(|e| e.n > 1).map(|e| (e.min, e.max))
}

/// Test accuracy per seed (dots), each model's mean (bar) and 95% CI
/// (whisker), with published reference accuracies when given.
pub fn draw_test_acc(path: &Path, spreads: &[Spread], references: &[Reference]) -> Result<()> {
    finish(path, test_acc_chart(path, spreads, references))
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
    finish(
        path,
        cost_chart(path, secs_per_epoch, tokens_per_sec, peak_rss_bytes),
    )
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
    finish(path, gradient_chart(path, lines))
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
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .label_font((FONT, 16))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .draw()?;
    root.present()?;
    Ok(())
}

/// A sweep chart against one swept option, three panels side by side: test
/// accuracy (%), training seconds per epoch, peak RSS (MiB); the option's
/// values as categories on x; one line per [`SweepLine`](super::sweep::SweepLine)
/// (colour by model, marker by the other options' setting) with 95% CI whiskers.
pub fn draw_sweep_axis(
    path: &Path,
    axis: &crate::config::Axis,
    test_acc: &[super::sweep::SweepLine],
    secs_per_epoch: &[super::sweep::SweepLine],
    peak_rss_bytes: &[super::sweep::SweepLine],
) -> Result<()> {
    finish(
        path,
        sweep_chart(path, axis, test_acc, secs_per_epoch, peak_rss_bytes),
    )
}

fn sweep_chart(
    path: &Path,
    axis: &crate::config::Axis,
    acc: &[super::sweep::SweepLine],
    secs: &[super::sweep::SweepLine],
    rss: &[super::sweep::SweepLine],
) -> DrawResult {
    let root = canvas(path, (1500, 560))?;
    let panels = root.split_evenly((1, 3));
    let mib = 1.0 / (1024.0 * 1024.0);
    sweep_panel(
        &panels[0],
        axis,
        acc,
        "Test accuracy",
        "test accuracy (%)",
        100.0,
        false,
        true,
    )?;
    sweep_panel(
        &panels[1],
        axis,
        secs,
        "Seconds per epoch",
        "training time per epoch (s)",
        1.0,
        true,
        false,
    )?;
    sweep_panel(
        &panels[2],
        axis,
        rss,
        "Peak memory (RSS)",
        "peak resident memory (MiB)",
        mib,
        true,
        false,
    )?;
    root.present()?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn sweep_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    axis: &crate::config::Axis,
    lines: &[super::sweep::SweepLine],
    caption: &str,
    y_desc: &str,
    scale: f64,
    from_zero: bool,
    legend: bool,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let n = axis.values.len().max(1);
    let ys: Vec<f64> = lines
        .iter()
        .flat_map(|l| &l.points)
        .flat_map(|(_, e)| {
            let (lo, hi) = e.ci().unwrap_or((e.mean, e.mean));
            [lo * scale, hi * scale]
        })
        .collect();
    let (y_lo, y_hi) = match y_range(&ys, from_zero) {
        // Accuracies: wide CIs of few seeds must not push the axis past 0–100%.
        (lo, hi) if !from_zero => (lo.max(0.0), hi.min(scale)),
        range => range,
    };
    let mut chart = ChartBuilder::on(area)
        .caption(caption, (FONT, 20))
        .margin(14)
        .x_label_area_size(50)
        .y_label_area_size(80)
        .build_cartesian_2d(-0.5f64..n as f64 - 0.5, y_lo..y_hi)
        .map_err(|e| e.to_string())?;
    let names: Vec<String> = axis.values.iter().map(|v| v.label()).collect();
    let label = category_label(&names);
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(2 * n + 1)
        .x_label_formatter(&label)
        .x_desc(axis.flag.trim_start_matches('-'))
        .y_desc(y_desc)
        .y_label_formatter(&tick_format(y_lo, y_hi))
        .label_style((FONT, 15))
        .axis_desc_style((FONT, 16))
        .light_line_style(WHITE.mix(0.0))
        .draw()
        .map_err(|e| e.to_string())?;
    let k = lines.len().max(1) as f64;
    for (li, line) in lines.iter().enumerate() {
        let c = model_colour(line.model);
        // Spread the lines a little sideways so that whiskers do not overlap.
        let dx = if k > 1.0 {
            -0.12 + 0.24 * li as f64 / (k - 1.0)
        } else {
            0.0
        };
        let pts: Vec<(f64, f64)> = line
            .points
            .iter()
            .map(|(i, e)| (*i as f64 + dx, e.mean * scale))
            .collect();
        let style = c.stroke_width(2);
        let series = if line.group == 0 {
            chart
                .draw_series(LineSeries::new(pts.clone(), style))
                .map_err(|e| e.to_string())?
        } else {
            chart
                .draw_series(DashedLineSeries::new(pts.clone(), 8, 5, style))
                .map_err(|e| e.to_string())?
        };
        // The marker's shape tells the setting of the other swept options:
        // filled circle, triangle, cross, hollow circle.
        if legend {
            let anno = series.label(line.label.clone());
            match line.group % 4 {
                0 => anno.legend(move |(x, y)| Circle::new((x + 12, y), 5, c.filled())),
                1 => anno.legend(move |(x, y)| TriangleMarker::new((x + 12, y), 6, c.filled())),
                2 => anno.legend(move |(x, y)| Cross::new((x + 12, y), 5, c.stroke_width(2))),
                _ => anno.legend(move |(x, y)| Circle::new((x + 12, y), 5, c.stroke_width(2))),
            };
        }
        match line.group % 4 {
            0 => chart.draw_series(pts.iter().map(|&p| Circle::new(p, 5, c.filled()))),
            1 => chart.draw_series(pts.iter().map(|&p| TriangleMarker::new(p, 6, c.filled()))),
            2 => chart.draw_series(pts.iter().map(|&p| Cross::new(p, 5, c.stroke_width(2)))),
            _ => chart.draw_series(pts.iter().map(|&p| Circle::new(p, 5, c.stroke_width(2)))),
        }
        .map_err(|e| e.to_string())?;
        for ((i, e), _) in line.points.iter().zip(&pts) {
            if let Some((a, b)) = e.ci() {
                let x = *i as f64 + dx;
                chart
                    .draw_series(std::iter::once(PathElement::new(
                        vec![(x, a * scale), (x, b * scale)],
                        c.mix(0.8).stroke_width(1),
                    )))
                    .map_err(|e| e.to_string())?;
            }
        }
    }
    if legend && !lines.is_empty() {
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .label_font((FONT, 13))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.4))
            .draw()
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}
