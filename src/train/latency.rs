//! Inference latency at batch 1 (claim 6, "lower latency" for "real-time
//! prediction systems"), measured after training on the best-validation
//! checkpoint, in evaluation mode, without gradients, on the run's device:
//!
//! - **per review**: one whole test review per call, for a fixed sample of
//!   [`LATENCY_REVIEWS`] test reviews (drawn with the run's seed, so every
//!   model of a seed reads the same reviews), after [`LATENCY_WARMUP`]
//!   untimed calls;
//! - **streaming**: one token per call with the recurrent state carried
//!   between calls (a token, a sensor reading or a speech frame arrives and
//!   the prediction is updated), over the same reviews' tokens, state reset
//!   at each review's start (untimed), [`LATENCY_STEPS`] timed steps after
//!   [`LATENCY_WARMUP`] untimed ones.
//!
//! Streaming applies to a model that has a state to carry: a
//! unidirectional cell with last-state pooling ([`Classifier::can_stream`]).
//! It does not apply to the Transformer: a bidirectional encoder's every
//! state attends to the whole sequence, so a new token changes every
//! earlier state and the only update is the whole review again (what the
//! per-review figure times); nor to a bidirectional cell, whose reverse
//! direction starts at the end. Their streaming figures are recorded as
//! absent, never as zero.
//!
//! On CUDA the device is synchronised before each clock read. Reported as
//! the median (p50) and the 99th percentile (p99).

use std::time::Instant;

use crate::analysis::stats::quantile;
use tch::{Device, Tensor};

use crate::data::Encoded;
use crate::error::Result;
use crate::model::Classifier;
use crate::probe::device::synchronize;

/// Test reviews timed one at a time.
pub const LATENCY_REVIEWS: usize = 200;
/// Untimed calls before the timed ones (per review and streaming alike).
pub const LATENCY_WARMUP: usize = 10;
/// Timed streaming steps.
pub const LATENCY_STEPS: usize = 2000;

/// A run's latency figures; the streaming ones are `None` for a model that
/// cannot stream (the Transformer, a bidirectional cell; see the module's
/// docs).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Latency {
    /// Median milliseconds per review (batch 1, whole review per call).
    pub review_p50_ms: f64,
    /// 99th percentile of the same.
    pub review_p99_ms: f64,
    /// Median microseconds per streamed token (batch 1, state carried).
    pub step_p50_us: Option<f64>,
    /// 99th percentile of the same.
    pub step_p99_us: Option<f64>,
    /// 90th percentile of the same.
    pub step_p90_us: Option<f64>,
}

impl Latency {
    /// Writes these figures into `run`'s record.
    pub fn record_into(&self, run: &mut crate::results::RunRecord) {
        run.latency_review_p50_ms = Some(self.review_p50_ms);
        run.latency_review_p99_ms = Some(self.review_p99_ms);
        run.latency_step_p50_us = self.step_p50_us;
        run.latency_step_p90_us = self.step_p90_us;
        run.latency_step_p99_us = self.step_p99_us;
    }
}

/// The indices of the test reviews timed for `seed`: [`LATENCY_REVIEWS`]
/// of `test` (all when it has fewer), in a seeded random order.
pub fn latency_sample(test: &Encoded, seed: u64) -> Vec<usize> {
    crate::data::sample_indices(test.len(), LATENCY_REVIEWS, seed)
}

/// The p50, p90 and p99 of `samples`.
fn percentiles(samples: Vec<f64>) -> (f64, f64, f64) {
    let q = |p| quantile(&samples, p).unwrap_or(f64::NAN);
    (q(0.5), q(0.90), q(0.99))
}

/// Measures `model`'s latency on `test` for `seed` (see the module's docs).
pub fn measure_latency(
    model: &Classifier,
    test: &Encoded,
    seed: u64,
    device: Device,
) -> Result<Latency> {
    let sample = latency_sample(test, seed);
    tch::no_grad(|| -> Result<Latency> {
        let mut review_secs = Vec::with_capacity(sample.len());
        for (k, &i) in sample
            .iter()
            .cycle()
            .take(sample.len() + LATENCY_WARMUP)
            .enumerate()
        {
            let one = test.one(i);
            let tokens = one.inputs(device);
            let lengths = Tensor::from_slice(&one.lengths);
            synchronize(device);
            let start = Instant::now();
            let logits = model.forward(&tokens, &lengths, false)?;
            // The prediction is read, as a caller would.
            let _class = logits.f_argmax(1, false)?.f_int64_value(&[0])?;
            synchronize(device);
            if k >= LATENCY_WARMUP {
                review_secs.push(start.elapsed().as_secs_f64());
            }
        }
        let (review_p50, _, review_p99) = percentiles(review_secs);
        let step = if model.can_stream() {
            let (p50, p90, p99) = percentiles(stream(model, test, &sample, device)?);
            Some((p50 * 1e6, p90 * 1e6, p99 * 1e6))
        } else {
            None
        };
        Ok(Latency {
            review_p50_ms: review_p50 * 1e3,
            review_p99_ms: review_p99 * 1e3,
            step_p50_us: step.map(|s| s.0),
            step_p90_us: step.map(|s| s.1),
            step_p99_us: step.map(|s| s.2),
        })
    })
}

/// Seconds of each timed streaming step over the sample's tokens.
fn stream(
    model: &Classifier,
    test: &Encoded,
    sample: &[usize],
    device: Device,
) -> Result<Vec<f64>> {
    let mut secs = Vec::with_capacity(LATENCY_STEPS);
    let mut step = 0;
    'reviews: for &i in sample.iter().cycle() {
        let mut state = model.zero_state(1, device)?;
        let one = test.one(i);
        for t in 0..one.seq_len {
            let token = one.step_inputs(t, device);
            synchronize(device);
            let start = Instant::now();
            let logits = model.step(&token, &mut state)?;
            let _class = logits.f_argmax(1, false)?.f_int64_value(&[0])?;
            synchronize(device);
            if step >= LATENCY_WARMUP {
                secs.push(start.elapsed().as_secs_f64());
            }
            step += 1;
            if secs.len() == LATENCY_STEPS {
                break 'reviews;
            }
        }
    }
    Ok(secs)
}
