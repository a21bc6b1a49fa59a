//! Sanity gates: what the arithmetic allows, checked before the page calls
//! anything a finding. A bench that fails one is a measurement problem
//! (subnormal arithmetic in a freshly initialised model, a competing
//! process, a fixture still warming up), not a property of the cells; the
//! page lists it as such and withholds the findings that rest on it. The
//! page's last paragraph states each gate ([`Gate`]).

use std::collections::{BTreeMap, BTreeSet};

pub use crate::analysis::stats::{DRIFT_TOLERANCE, Drift};

use super::results::BenchResult;
use super::series::{SweepAxis, sweep_groups, sweep_lines};
use crate::bench::{BenchCondition, BenchGroupId, Measurement};
use crate::report::format::format_p;

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
    /// The last third of the samples (in measurement order) is more than
    /// ±[`DRIFT_TOLERANCE`] off the first third, in a trend ([`Drift::drifts`]).
    Drift,
    /// A fitted exponent of time below [`MIN_EXPONENT`].
    NegativeExponent,
    /// A fitted exponent of time above [`MAX_EXPONENT`].
    SteepExponent,
    /// More tokens/s, beyond [`THROUGHPUT_TOLERANCE`], than a bench of the
    /// same group, cell, tokens, layers and directions with less work per token.
    ThroughputRisesWithWork,
    /// A train step faster than the forward pass it includes.
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
        let mut problems: Vec<Problem> = results.iter().filter_map(drift).collect();
        problems.extend(exponents(results));
        problems.extend(throughput_against_work(results));
        problems.extend(
            results
                .iter()
                .filter_map(|r| train_against_forward(results, r)),
        );
        Checks { problems }
    }

    /// The gates that flagged any of `ids`, without repeats; empty when none did.
    pub fn flags<S: AsRef<str>>(&self, ids: &[S]) -> Vec<Gate> {
        let concerns = |p: &&Problem| {
            ids.iter()
                .any(|id| p.benches.iter().any(|b| b == id.as_ref()))
        };
        let flagged = self.problems.iter().filter(concerns);
        let gates: BTreeSet<Gate> = flagged.map(|p| p.gate).collect();
        gates.into_iter().collect()
    }

    /// Whether the bench `id` drifts.
    pub fn drifts(&self, id: &str) -> bool {
        self.flags(&[id]).contains(&Gate::Drift)
    }
}

/// The thirds' ratios of the measurements a re-measurement replaced: `0.80; 1.02, 9 of 10 disturbed`.
pub fn replaced(c: &BenchCondition) -> String {
    let was: Vec<String> = c.replaced.iter().map(Measurement::describe).collect();
    was.join("; ")
}

fn drift(r: &BenchResult) -> Option<Problem> {
    let d = Drift::of(&r.sample_secs).filter(Drift::drifts)?;
    let mut message = format!(
        "{}: the last third of its samples took {:.2}× the time per iteration of the first third ({:.2} against {:.2} ms; tolerance ±{:.0}%), and they trend in measurement order (Kendall's τ {:+.2}, {})",
        r.id(),
        d.ratio(),
        d.last_third_secs * 1e3,
        d.first_third_secs * 1e3,
        DRIFT_TOLERANCE * 100.0,
        d.trend.tau,
        format_p(d.trend.p_value)
    );
    if let Some(c) = r.condition.as_ref().filter(|c| c.samples_disturbed > 0) {
        message += &format!(
            "; {} of its samples were timed while the machine was busy ({})",
            c.samples_disturbed,
            c.disturbance.as_deref().unwrap_or("disturbed")
        );
    }
    if let Some(c) = r.condition.as_ref().filter(|c| c.remeasurements > 0) {
        message += &format!(
            "; it was measured {} times, and the replaced measurements were no better (last/first third: {})",
            c.remeasurements + 1,
            replaced(c)
        );
    }
    Some(Problem {
        gate: Gate::Drift,
        message,
        benches: vec![r.id()],
    })
}

fn exponents(results: &[BenchResult]) -> Vec<Problem> {
    let mut problems = vec![];
    for group in sweep_groups() {
        for axis in SweepAxis::ALL {
            for line in sweep_lines(results, group, axis) {
                let Some(k) = line.exponent() else { continue };
                let gate = match k {
                    k if k < MIN_EXPONENT => Gate::NegativeExponent,
                    k if k > MAX_EXPONENT => Gate::SteepExponent,
                    _ => continue,
                };
                let expected = match axis {
                    SweepAxis::Hidden => "up to 2 for O(H²) per token",
                    SweepAxis::Seq => "about 1 for O(T)",
                };
                problems.push(Problem {
                    gate,
                    message: format!(
                        "{group}: {} time ∝ {}^{k:.2} over {} points; the arithmetic allows exponents between {MIN_EXPONENT} and {MAX_EXPONENT} ({expected})",
                        line.cell.display_name(),
                        axis.symbol(),
                        line.points.len(),
                    ),
                    benches: line.ids,
                });
            }
        }
    }
    problems
}

fn throughput_against_work(results: &[BenchResult]) -> Vec<Problem> {
    // Layers and directions stay apart: each adds a sequential pass of
    // small steps, so on a CPU a 1-layer RNN at H 256 rightly runs more
    // tokens/s than a bidirectional or 2-layer one at H 128 with less work
    // per token (measured on an Intel Xeon: 1.13x forward, 1.18x train step).
    let mut sets: BTreeMap<_, Vec<(f64, f64, &BenchResult)>> = BTreeMap::new();
    for r in results {
        let (Some(cell), Some(s), Some(tps)) = (r.cell(), r.shape(), r.tokens_per_sec()) else {
            continue;
        };
        let work = s.forward_flops(cell) / s.tokens() as f64;
        let set = (
            r.group,
            cell,
            s.batch,
            s.seq,
            s.threads,
            s.layers,
            s.bidirectional,
        );
        sets.entry(set).or_default().push((work, tps, r));
    }
    let mut problems = vec![];
    for ((group, cell, ..), benches) in sets {
        for &(work, tps, r) in &benches {
            let lighter = benches.iter().filter(|b| b.0 < work);
            let Some(&(_, lighter_tps, lighter)) = lighter.min_by(|a, b| a.1.total_cmp(&b.1))
            else {
                continue;
            };
            if tps > lighter_tps * (1.0 + THROUGHPUT_TOLERANCE) {
                problems.push(Problem {
                    gate: Gate::ThroughputRisesWithWork,
                    message: format!(
                        "{group} {}: {} ran {tps:.0} tokens/s, {:.2}× the {lighter_tps:.0} tokens/s of {}, which does less work per token",
                        cell.display_name(),
                        r.parameter,
                        tps / lighter_tps,
                        lighter.parameter
                    ),
                    benches: vec![r.id(), lighter.id()],
                });
            }
        }
    }
    problems
}

fn train_against_forward(results: &[BenchResult], train: &BenchResult) -> Option<Problem> {
    let group = BenchGroupId::new(train.group.group.forward_partner()?, train.group.cuda);
    let forward = results.iter().find(|f| {
        (f.group, &f.function, &f.parameter) == (group, &train.function, &train.parameter)
    })?;
    (train.median_secs < forward.median_secs).then(|| Problem {
        gate: Gate::TrainStepFasterThanForward,
        message: format!(
            "{} {}: a train step ({:.2} ms) took less time than a forward pass ({:.2} ms), which it includes",
            train.function.to_uppercase(),
            train.parameter,
            train.median_secs * 1e3,
            forward.median_secs * 1e3
        ),
        benches: vec![train.id(), forward.id()],
    })
}
