//! The report's charts (PNG), drawn with plotters from the model's series.
//! Never imports the HTML layer.
//!
//! - [`style`]: font, palette, sizes, canvas, ranges and ticks, shared by all;
//! - [`run`]: the run report's charts;
//! - [`forecast`]: a forecast's chart of the test part;
//! - [`sweep`]: the sweep report's charts.

pub mod forecast;
pub mod run;
pub mod style;
pub mod sweep;
