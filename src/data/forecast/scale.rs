//! Scaling a window before the model reads it, and back.
//!
//! - **Relative** (the default): each channel of a window minus its last
//!   observed value, divided by that channel's step-to-step spread (the
//!   population sd of one-step changes over the training parts). The model
//!   forecasts changes from now in units of a typical step, so a level it
//!   never saw in training (a trend that carries the test part above it)
//!   is no harder than one it saw.
//! - **Global**: each channel minus its training-part mean, divided by its
//!   training-part sd (population): the usual z-score.
//!
//! Both are fitted on the training parts only, so nothing of the
//! validation or test part reaches the model through its scaling.

use serde::{Deserialize, Serialize};
use statrs::statistics::Statistics;

/// How windows are scaled (`--scaling`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Scaling {
    /// Relative to the window's last observed value, in units of the
    /// training part's step-to-step spread.
    #[default]
    Relative,
    /// The training part's z-score.
    Global,
}

impl Scaling {
    /// How it scales, for a sentence: `relative to each window's last value`.
    pub fn describe(self) -> &'static str {
        match self {
            Scaling::Relative => "relative to each window's last value (--scaling relative)",
            Scaling::Global => "by the training part's z-score (--scaling global)",
        }
    }
}

/// A fitted scaling: per channel, the spread and (global) the centre.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scaler {
    /// Which rule.
    pub scaling: Scaling,
    /// Per channel: the training mean (global), unused when relative.
    pub centre: Vec<f64>,
    /// Per channel: the divisor (the step spread, or the sd).
    pub spread: Vec<f64>,
}

impl Scaler {
    /// Fits `scaling` on `training`: per channel, the values of each
    /// series' training part in time order. A channel whose spread is 0 (a
    /// constant, or one value) gets `None` as its index.
    pub fn fit(scaling: Scaling, training: &[Vec<Vec<f64>>]) -> Result<Scaler, usize> {
        let channels = training.first().map_or(0, Vec::len);
        let mut centre = Vec::with_capacity(channels);
        let mut spread = Vec::with_capacity(channels);
        for c in 0..channels {
            let pooled: Vec<f64> = match scaling {
                Scaling::Relative => training
                    .iter()
                    .flat_map(|s| s[c].windows(2).map(|w| w[1] - w[0]))
                    .collect(),
                Scaling::Global => training.iter().flat_map(|s| s[c].clone()).collect(),
            };
            let (mean, sd) = (pooled.iter().mean(), pooled.iter().population_std_dev());
            if sd <= 0.0 || !sd.is_finite() {
                return Err(c);
            }
            centre.push(mean);
            spread.push(sd);
        }
        Ok(Scaler {
            scaling,
            centre,
            spread,
        })
    }

    /// What channel `c` of a window is measured from: its last observed
    /// value `last` (relative) or its training mean (global).
    pub fn origin(&self, c: usize, last: f64) -> f64 {
        match self.scaling {
            Scaling::Relative => last,
            Scaling::Global => self.centre[c],
        }
    }

    /// `value` of channel `c` in a window whose last observed value of that
    /// channel is `last`, scaled.
    pub fn forward(&self, c: usize, last: f64, value: f64) -> f64 {
        (value - self.origin(c, last)) / self.spread[c]
    }

    /// A scaled value of channel `c` back in the series' units.
    pub fn inverse(&self, c: usize, last: f64, scaled: f64) -> f64 {
        self.origin(c, last) + scaled * self.spread[c]
    }
}
