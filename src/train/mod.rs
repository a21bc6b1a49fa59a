//! Training and evaluation of one model on one seed: [`fit`] runs epochs with
//! Adam ([`adam`], libtorch's fused kernel), global-norm clipping and early stopping on validation accuracy, and
//! scores the best-validation checkpoint on the test split; [`eval`] holds the
//! no-gradient evaluation and the metrics; [`latency`] times inference at
//! batch 1 on the trained model.

pub mod adam;
pub mod eval;
pub mod fit;
pub mod gradient_flow;
pub mod latency;

pub use fit::{FitOutcome, FitSettings, fit};
