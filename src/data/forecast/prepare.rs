//! From a read table to scaled windows, with what each window needs to be
//! scored in the series' units: its actual values, the naive forecasts and
//! its series' MASE scale.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::baseline::{mase_scale, naive, seasonal_naive};
use super::fill::fill;
use super::scale::{Scaler, Scaling};
use super::window::{Part, Parts, Window, windows};
use super::{ForecastSpec, Series, SeriesTable};
use crate::data::{Encoded, Prepared, Vocab};
use crate::{Error, Result};

/// One part's windows in the series' units, for scoring (the model reads
/// them scaled: the [`Prepared`] split of the same part).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ForecastSplit {
    /// Which series and step each window forecasts from.
    pub windows: Vec<Window>,
    /// Per window: the target's last observed value (what relative scaling
    /// measures from).
    pub last: Vec<f64>,
    /// `[windows, horizon]`: what happened, in the series' units.
    pub actual: Vec<f64>,
    /// `[windows, horizon]`: the naive (last-value) forecast.
    pub naive: Vec<f64>,
    /// `[windows, horizon]`: the seasonal naive forecast (with `--season`,
    /// outside the training part; else empty).
    pub seasonal: Vec<f64>,
    /// Per window: its series' MASE scale (the training part's one-step
    /// naive MAE).
    pub mase_scale: Vec<f64>,
}

/// What scores a forecast's windows, beside the scaled windows themselves
/// ([`Prepared::train`], `val`, `test`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForecastData {
    /// The target's name, then the covariates'.
    pub channels: Vec<String>,
    /// The series, gaps filled.
    pub series: Vec<Series>,
    /// Each series' parts.
    pub parts: Vec<Parts>,
    /// The scaling fitted on the training parts.
    pub scaler: Scaler,
    /// How many values `--fill` filled.
    pub filled: usize,
    /// Steps each window reads.
    pub lookback: usize,
    /// Steps each window forecasts.
    pub horizon: usize,
    /// The season of the seasonal naive forecast, if any.
    pub season: Option<usize>,
    /// The training windows.
    pub train: ForecastSplit,
    /// Validation windows.
    pub val: ForecastSplit,
    /// Test windows.
    pub test: ForecastSplit,
}

impl ForecastData {
    /// What a window holds and how it is scaled, in one clause: `48 steps
    /// of load + 1 covariate forecast the next 4; 1 series of 1,200 steps;
    /// scaled relative to each window's last value`.
    pub fn describe(&self) -> String {
        let covariates = match self.channels.len() - 1 {
            0 => String::new(),
            1 => " + 1 covariate".to_owned(),
            n => format!(" + {n} covariates"),
        };
        let steps: usize = self.parts.iter().map(|p| p.len).sum();
        let series = match self.series.len() {
            1 => format!("1 series of {steps} steps"),
            n => format!("{n} series, {steps} steps in all"),
        };
        format!(
            "{} steps of `{}`{covariates} forecast the next {}; {series}; scaled {}",
            self.lookback,
            self.channels[0],
            self.horizon,
            self.scaler.scaling.describe()
        )
    }

    /// The scaled forecast `scaled` (`horizon` values) of window `i` of
    /// `split`, in the series' units.
    pub fn unscale(&self, split: &ForecastSplit, i: usize, scaled: &[f32]) -> Vec<f64> {
        scaled
            .iter()
            .map(|&v| self.scaler.inverse(0, split.last[i], f64::from(v)))
            .collect()
    }
}

/// Fills the gaps of `table` (read from `path`), splits each series,
/// fits the scaling on the training parts and cuts every part's windows:
/// the model's inputs and scaled targets as [`Prepared`]'s splits (one
/// output per horizon step: `classes` are `t+1`, `t+2`, …), what scores
/// them in [`Prepared::forecast`].
/// Refused in one line: no window in a part (the series too short for the
/// lookback and horizon), a channel that does not change over the training
/// part, a season longer than the history before the test part.
pub fn prepare(path: &Path, mut table: SeriesTable, spec: &ForecastSpec) -> Result<Prepared> {
    let filled = fill(path, &mut table, spec.fill)?;
    let channels = table.channels.len();
    let parts: Vec<Parts> = table
        .series
        .iter()
        .map(|s| Parts::of(s.len(channels), spec.val_fraction, spec.test_fraction))
        .collect();
    let training: Vec<Vec<Vec<f64>>> = table
        .series
        .iter()
        .zip(&parts)
        .map(|(s, p)| {
            (0..channels)
                .map(|c| s.channel(c, channels)[..p.train_end].to_vec())
                .collect()
        })
        .collect();
    let scaler = Scaler::fit(spec.scaling, &training).map_err(|c| {
        let column = &table.channels[c];
        let why = match spec.scaling {
            Scaling::Global => format!(
                "column `{column}` does not change over the training part; a constant cannot \
                 be scaled or forecast"
            ),
            Scaling::Relative => format!(
                "column `{column}` changes by the same amount at every step of the training \
                 part (or not at all), so relative scaling has no unit; a straight line needs \
                 no model, or try --scaling global"
            ),
        };
        Error::data(path, None, None, why)
    })?;
    let scales = mase_scales(path, &table, &training)?;
    let mut data = ForecastData {
        channels: table.channels,
        series: table.series,
        parts,
        scaler,
        filled,
        lookback: spec.lookback,
        horizon: spec.horizon,
        season: spec.season,
        train: ForecastSplit::default(),
        val: ForecastSplit::default(),
        test: ForecastSplit::default(),
    };
    let mut encoded: [Encoded; 3] = Default::default();
    for (i, part) in Part::ALL.into_iter().enumerate() {
        let cut = windows(&data.parts, part, spec.lookback, spec.horizon);
        if cut.is_empty() {
            return Err(no_window(path, &data, part, spec));
        }
        let season = spec.season.filter(|_| part != Part::Train);
        let (inputs, split) = cut_split(&data, &cut, &scales, spec, season)
            .map_err(|_| season_too_long(path, spec, part))?;
        encoded[i] = inputs;
        match part {
            Part::Train => data.train = split,
            Part::Val => data.val = split,
            Part::Test => data.test = split,
        }
    }
    let [train, val, test] = encoded;
    Ok(Prepared {
        classes: (1..=spec.horizon).map(|h| format!("t+{h}")).collect(),
        vocab_size: 0,
        train,
        val,
        test,
        vocab: Vocab::from_words(Vec::new()),
        train_indices: Vec::new(),
        val_indices: Vec::new(),
        test_tokens_read: 0,
        test_unknown_tokens: 0,
        channels,
        scales: Vec::new(),
        filled_values: filled,
        forecast: Some(data),
    })
}

/// Each series' MASE scale from its training part's target.
fn mase_scales(path: &Path, table: &SeriesTable, training: &[Vec<Vec<f64>>]) -> Result<Vec<f64>> {
    table
        .series
        .iter()
        .zip(training)
        .map(|(s, t)| {
            mase_scale(&t[0]).ok_or_else(|| {
                Error::data(
                    path,
                    s.lines.first().copied(),
                    None,
                    format!(
                        "the target `{}` does not change over the training part of series `{}`; \
                         its errors cannot be scaled (MASE) against a naive forecast",
                        table.channels[0], s.name
                    ),
                )
            })
        })
        .collect()
}

/// The windows `cut`: scaled for the model, and scored with the seasonal
/// naive forecast of `season` steps where given; `Err` when it needs more
/// history than a window has.
fn cut_split(
    data: &ForecastData,
    cut: &[Window],
    scales: &[f64],
    spec: &ForecastSpec,
    season: Option<usize>,
) -> std::result::Result<(Encoded, ForecastSplit), ()> {
    let channels = data.channels.len();
    let (lookback, horizon) = (spec.lookback, spec.horizon);
    let mut e = Encoded {
        offsets: vec![0],
        channels,
        horizon,
        ..Encoded::default()
    };
    let mut split = ForecastSplit {
        windows: cut.to_vec(),
        ..ForecastSplit::default()
    };
    for w in cut {
        let series = &data.series[w.series];
        let values = &series.values;
        let last_of = |c: usize| values[(w.start - 1) * channels + c];
        for t in w.start - lookback..w.start {
            for c in 0..channels {
                let v = data.scaler.forward(c, last_of(c), values[t * channels + c]);
                e.values.push(v as f32);
            }
        }
        let target = series.channel(0, channels);
        let actual = &target[w.start..w.start + horizon];
        for &y in actual {
            let v = data.scaler.forward(0, last_of(0), y);
            e.targets.push(v as f32);
        }
        e.offsets.push(e.offsets[e.offsets.len() - 1] + lookback);
        split.last.push(last_of(0));
        split.actual.extend_from_slice(actual);
        let history = &target[..w.start];
        split.naive.extend(naive(history, horizon).ok_or(())?);
        if let Some(season) = season {
            split
                .seasonal
                .extend(seasonal_naive(history, horizon, season).ok_or(())?);
        }
        split.mase_scale.push(scales[w.series]);
    }
    Ok((e, split))
}

/// Why `part` has no window: its longest stretch against what a window
/// needs.
fn no_window(path: &Path, data: &ForecastData, part: Part, spec: &ForecastSpec) -> Error {
    let longest = data
        .parts
        .iter()
        .map(|p| p.range(part).len())
        .max()
        .unwrap_or(0);
    let steps = data.parts.iter().map(|p| p.len).max().unwrap_or(0);
    let why = if longest < spec.horizon {
        format!(
            "--horizon {} is longer than the {} part ({} steps at most, of {} in the longest \
             series); shorten the horizon or give that part a larger share",
            spec.horizon,
            part.name(),
            longest,
            steps
        )
    } else {
        format!(
            "--lookback {} leaves no {} window: a window needs {} steps of history before its \
             first target and the series has {} steps; shorten the lookback",
            spec.lookback,
            part.name(),
            spec.lookback,
            steps
        )
    };
    Error::data(path, None, None, why)
}

/// `--season` longer than the history of some window of `part`.
fn season_too_long(path: &Path, spec: &ForecastSpec, part: Part) -> Error {
    Error::data(
        path,
        None,
        None,
        format!(
            "--season {} is longer than the history before a {} window; a seasonal naive \
             forecast needs one whole season before it",
            spec.season.unwrap_or(0),
            part.name()
        ),
    )
}
