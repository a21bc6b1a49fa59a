//! Sanity gates: what the arithmetic allows, checked before the page calls
//! anything a finding. A bench that fails one is a measurement problem
//! (subnormal arithmetic in a freshly initialised model, a competing
//! process, a fixture still warming up), not a property of the cells; the
//! page lists it as such and withholds the findings that rest on it.
//!
//! - **Stationarity**: the median time per iteration of the last third of a
//!   bench's samples (in measurement order) must be within
//!   ±[`DRIFT_TOLERANCE`] of the first third's, unless the samples show no
//!   trend in measurement order (Kendall's test, two-sided p at least
//!   [`crate::analysis::stats::DRIFT_TREND_ALPHA`]: thirds that differ by chance are
//!   noise, which the confidence interval shows); otherwise the bench *drifts*.
//! - **Exponents**: along each sweep axis `time ∝ x^k` must have `k` between
//!   [`MIN_EXPONENT`] and [`MAX_EXPONENT`] (a cell does `O(T·H²)` work per
//!   layer, so 0 ≤ k ≤ 2 up to overheads; against length k should be near 1).
//! - **Throughput against work**: within a group and cell, at the same tokens
//!   per iteration, a bench that does more FLOPs per token (bigger hidden
//!   size, more layers, both directions) must not deliver more tokens/s than
//!   one that does less, beyond [`THROUGHPUT_TOLERANCE`].
//! - **Train step against forward**: a train step includes a forward pass,
//!   so at the same cell and shape it must not take less time than one
//!   (`train_step` against `forward`, `series_train_step` against
//!   `series_forward`).

use std::collections::BTreeMap;

pub use crate::analysis::stats::{DRIFT_TOLERANCE, Drift};

use super::results::BenchResult;
use super::series::{SweepAxis, sweep_groups, sweep_lines};
use crate::bench::{BenchGroupId, Measurement};

/// Smallest plausible fitted exponent of time against a size: more work
/// cannot take less time.
pub const MIN_EXPONENT: f64 = 0.0;
/// Largest plausible fitted exponent of time against a size (the work grows
/// as H² per token at most, and as T).
pub const MAX_EXPONENT: f64 = 2.5;
/// Largest relative excess of tokens/s of a bench over one doing less work
/// per token that is put down to noise.
pub const THROUGHPUT_TOLERANCE: f64 = 0.10;

/// A sanity gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Gate {
    /// The samples drift ([`Drift::drifts`]).
    Drift,
    /// A fitted exponent below [`MIN_EXPONENT`].
    NegativeExponent,
    /// A fitted exponent above [`MAX_EXPONENT`].
    SteepExponent,
    /// More tokens/s at more work per token.
    ThroughputRisesWithWork,
    /// A train step faster than a forward pass.
    TrainStepFasterThanForward,
}

impl Gate {
    /// What failed, in a few words.
    pub fn title(self) -> &'static str {
        match self {
            Gate::Drift => "samples drift",
            Gate::NegativeExponent => "negative exponent",
            Gate::SteepExponent => "exponent above 2.5",
            Gate::ThroughputRisesWithWork => "throughput rises with work per token",
            Gate::TrainStepFasterThanForward => "train step faster than forward",
        }
    }
}

/// One failed gate.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// The gate.
    pub gate: Gate,
    /// What was seen, for the page.
    pub message: String,
    /// The ids of the benches it concerns.
    pub benches: Vec<String>,
}

/// Every failed gate of a set of results.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Checks {
    /// The problems, drift first, then by gate.
    pub problems: Vec<Problem>,
}

impl Checks {
    /// Runs every gate over `results`.
    pub fn run(results: &[BenchResult]) -> Checks {
        let mut problems = drift(results);
        problems.extend(exponents(results));
        problems.extend(throughput_against_work(results));
        problems.extend(train_against_forward(results));
        Checks { problems }
    }

    /// The gates that flagged any of `ids`, without repeats; empty when none did.
    pub fn flags<S: AsRef<str>>(&self, ids: &[S]) -> Vec<Gate> {
        let mut gates: Vec<Gate> = self
            .problems
            .iter()
            .filter(|p| {
                ids.iter()
                    .any(|id| p.benches.iter().any(|b| b == id.as_ref()))
            })
            .map(|p| p.gate)
            .collect();
        gates.sort();
        gates.dedup();
        gates
    }

    /// Whether the bench `id` drifts.
    pub fn drifts(&self, id: &str) -> bool {
        self.problems
            .iter()
            .any(|p| p.gate == Gate::Drift && p.benches.iter().any(|b| b == id))
    }
}

fn drift(results: &[BenchResult]) -> Vec<Problem> {
    results
        .iter()
        .filter_map(|r| {
            let d = Drift::of(&r.sample_secs)?;
            let busy = r
                .condition
                .as_ref()
                .filter(|c| c.samples_disturbed > 0)
                .map_or(String::new(), |c| {
                    format!(
                        "; {} of its samples were timed while the machine was busy ({})",
                        c.samples_disturbed,
                        c.disturbance.as_deref().unwrap_or("disturbed")
                    )
                });
            let remeasured = r
                .condition
                .as_ref()
                .filter(|c| c.remeasurements > 0)
                .map_or(String::new(), |c| {
                    let was: Vec<String> = c.replaced.iter().map(Measurement::describe).collect();
                    format!(
                        "; it was measured {} times, and the replaced measurements were no better (last/first third: {})",
                        c.remeasurements + 1,
                        was.join("; ")
                    )
                });
            d.drifts().then(|| Problem {
                gate: Gate::Drift,
                message: format!(
                    "{}: the last third of its samples took {:.2}× the time per iteration of the first third ({:.2} against {:.2} ms; tolerance ±{:.0}%), and they trend in measurement order (Kendall's τ {:+.2}, {}){busy}{remeasured}",
                    r.id(),
                    d.ratio(),
                    d.last_third_secs * 1e3,
                    d.first_third_secs * 1e3,
                    DRIFT_TOLERANCE * 100.0,
                    d.trend.tau,
                    crate::report::format::format_p(d.trend.p_value)
                ),
                benches: vec![r.id()],
            })
        })
        .collect()
}

fn exponents(results: &[BenchResult]) -> Vec<Problem> {
    let mut problems = vec![];
    for group in sweep_groups() {
        for axis in SweepAxis::ALL {
            for line in sweep_lines(results, group, axis) {
                let Some(k) = line.exponent() else { continue };
                let gate = if k < MIN_EXPONENT {
                    Gate::NegativeExponent
                } else if k > MAX_EXPONENT {
                    Gate::SteepExponent
                } else {
                    continue;
                };
                problems.push(Problem {
                    gate,
                    message: format!(
                        "{group}: {} time ∝ {}^{k:.2} over {} points; the arithmetic allows exponents between {MIN_EXPONENT} and {MAX_EXPONENT} ({})",
                        line.cell.display_name(),
                        axis.symbol(),
                        line.points.len(),
                        if axis == SweepAxis::Hidden {
                            "up to 2 for O(H²) per token"
                        } else {
                            "about 1 for O(T)"
                        }
                    ),
                    benches: line.ids.clone(),
                });
            }
        }
    }
    problems
}

fn throughput_against_work(results: &[BenchResult]) -> Vec<Problem> {
    let mut problems = vec![];
    // (group, cell, batch, seq, threads, layers, directions) -> [(FLOPs per
    // token, tokens/s, result)]. Layers and directions stay apart: each
    // adds a sequential pass of small steps, so on a CPU a 1-layer RNN at
    // H 256 rightly runs more tokens/s than a bidirectional or 2-layer one
    // at H 128 with less work per token (measured on an Intel Xeon: 1.13x
    // forward, 1.18x train step).
    let mut sets: BTreeMap<_, Vec<(f64, f64, &BenchResult)>> = BTreeMap::new();
    for r in results {
        let (Some(cell), Some(shape), Some(tps)) = (r.cell(), r.shape(), r.tokens_per_sec()) else {
            continue;
        };
        let work = shape.forward_flops(cell) / shape.tokens() as f64;
        sets.entry((
            r.group,
            cell,
            shape.batch,
            shape.seq,
            shape.threads,
            shape.layers,
            shape.bidirectional,
        ))
        .or_default()
        .push((work, tps, r));
    }
    for ((group, cell, ..), benches) in sets {
        for &(work, tps, r) in &benches {
            let slowest_lighter = benches
                .iter()
                .filter(|b| b.0 < work)
                .min_by(|a, b| a.1.total_cmp(&b.1));
            if let Some(&(_, lighter_tps, lighter)) = slowest_lighter
                && tps > lighter_tps * (1.0 + THROUGHPUT_TOLERANCE)
            {
                problems.push(Problem {
                    gate: Gate::ThroughputRisesWithWork,
                    message: format!(
                        "{group} {}: {} ran {:.0} tokens/s, {:.2}× the {:.0} tokens/s of {}, which does less work per token",
                        cell.display_name(),
                        r.parameter,
                        tps,
                        tps / lighter_tps,
                        lighter_tps,
                        lighter.parameter
                    ),
                    benches: vec![r.id(), lighter.id()],
                });
            }
        }
    }
    problems
}

fn train_against_forward(results: &[BenchResult]) -> Vec<Problem> {
    let mut problems = vec![];
    for train in results.iter() {
        let Some(forward_group) = train.group.group.forward_partner() else {
            continue;
        };
        let forward_group = BenchGroupId::new(forward_group, train.group.cuda);
        let Some(forward) = results.iter().find(|f| {
            f.group == forward_group
                && f.function == train.function
                && f.parameter == train.parameter
        }) else {
            continue;
        };
        if train.median_secs < forward.median_secs {
            problems.push(Problem {
                gate: Gate::TrainStepFasterThanForward,
                message: format!(
                    "{} {}: a train step ({:.2} ms) took less time than a forward pass ({:.2} ms), which it includes",
                    train.function.to_uppercase(),
                    train.parameter,
                    train.median_secs * 1e3,
                    forward.median_secs * 1e3
                ),
                benches: vec![train.id(), forward.id()],
            });
        }
    }
    problems
}
