//! Each series split in time into training, validation and test parts, and
//! the windows whose targets lie in each part.

/// Where one series' parts end (step indices, exclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Parts {
    /// First step of the validation part.
    pub train_end: usize,
    /// First step of the test part.
    pub val_end: usize,
    /// Number of steps.
    pub len: usize,
}

impl Parts {
    /// The parts of a series of `len` steps: the last `test_fraction` of
    /// the steps (rounded) for testing, the `val_fraction` before them for
    /// validation, the rest for training.
    pub fn of(len: usize, val_fraction: f64, test_fraction: f64) -> Parts {
        let steps = |f: f64| (len as f64 * f).round() as usize;
        let val_end = len.saturating_sub(steps(test_fraction));
        Parts {
            train_end: val_end.saturating_sub(steps(val_fraction)),
            val_end,
            len,
        }
    }

    /// The steps of part `part`.
    pub fn range(&self, part: Part) -> std::ops::Range<usize> {
        match part {
            Part::Train => 0..self.train_end,
            Part::Val => self.train_end..self.val_end,
            Part::Test => self.val_end..self.len,
        }
    }
}

/// One of the three parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// Training.
    Train,
    /// Validation (early stopping).
    Val,
    /// Test (the verdicts).
    Test,
}

impl Part {
    /// The three, in time order.
    pub const ALL: [Part; 3] = [Part::Train, Part::Val, Part::Test];

    /// Its name in errors and on the page.
    pub fn name(self) -> &'static str {
        match self {
            Part::Train => "training",
            Part::Val => "validation",
            Part::Test => "test",
        }
    }
}

/// One window: series `series`, forecasting steps `start..start + horizon`
/// from steps `start - lookback..start`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Window {
    /// Index of the series.
    pub series: usize,
    /// The first forecast step.
    pub start: usize,
}

/// The windows of `part` over series with `parts`, one per step, in series
/// then time order: every window whose `horizon` targets lie inside the
/// part and whose `lookback` inputs lie inside the series.
pub fn windows(parts: &[Parts], part: Part, lookback: usize, horizon: usize) -> Vec<Window> {
    let mut out = Vec::new();
    for (series, p) in parts.iter().enumerate() {
        let range = p.range(part);
        let first = range.start.max(lookback);
        let end = range.end.saturating_sub(horizon.saturating_sub(1));
        out.extend((first..end).map(|start| Window { series, start }));
    }
    out
}
