//! The one rule for "distinguishable". Every verdict the report prints (the
//! run page's sentences, the sweep table, the terminal tables) comes from a
//! [`Comparison`] made here, so no two places can disagree.
//!
//! A difference between two models on one quantity is *distinguishable* when
//! all three hold:
//! 1. at least [`MIN_SEEDS_FOR_TEST`] seeds are paired;
//! 2. the paired test gives p < [`SIGNIFICANCE_LEVEL`];
//! 3. the 95% confidence interval excludes "no difference" (0 for a
//!    difference, 1 for a ratio).
//!
//! (2) and (3) agree for a t interval and its t-test; both are checked so
//! that a rounding edge can never produce a sentence its own interval
//! contradicts.

use serde::Serialize;

use crate::analysis::metrics::Metric;
use crate::analysis::stats::{Estimate, PairedDiff, Ratio};
use crate::analysis::summary::{PairSummary, TimingTrust};

/// Smallest p-value called "distinguishable".
pub const SIGNIFICANCE_LEVEL: f64 = 0.05;
/// Fewest paired seeds for which a test (and an interval) is reported as
/// meaningful; with fewer the report says so instead.
pub const MIN_SEEDS_FOR_TEST: usize = 3;

/// What a comparison of a pair's two models (a, b) on one quantity supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Fewer than [`MIN_SEEDS_FOR_TEST`] paired seeds: neither a test nor an
    /// interval means anything.
    TooFewSeeds,
    /// Tested: no difference is distinguishable (the interval includes no
    /// difference, or p ≥ the significance level).
    NotDistinguishable,
    /// Distinguishable, and `a`'s value is the larger (difference above 0,
    /// ratio above 1).
    FirstLarger,
    /// Distinguishable, and `b`'s value is the larger.
    SecondLarger,
}

pub use crate::analysis::metrics::Contrast;

/// One quantity compared between the models of a pair, with its verdict.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Comparison {
    /// Difference or ratio.
    pub contrast: Contrast,
    /// Paired seeds.
    pub n: usize,
    /// `a − b` or `a / b`.
    pub estimate: f64,
    /// Its 95% CI, when defined (two or more pairs).
    pub ci: Option<(f64, f64)>,
    /// The paired test's two-sided p-value, when defined.
    pub p_value: Option<f64>,
    /// What the numbers support (the rule of the module's docs).
    pub verdict: Verdict,
}

impl Comparison {
    /// `estimate` (`a − b` or `a / b`) with its interval and p-value, judged
    /// by the rule (see the module's docs).
    pub fn new(
        contrast: Contrast,
        n: usize,
        estimate: f64,
        ci: Option<(f64, f64)>,
        p_value: Option<f64>,
    ) -> Comparison {
        let null = contrast.null();
        let verdict = match (p_value, ci) {
            _ if n < MIN_SEEDS_FOR_TEST => Verdict::TooFewSeeds,
            (Some(p), Some((lo, hi))) if p < SIGNIFICANCE_LEVEL && !(lo <= null && null <= hi) => {
                if estimate > null {
                    Verdict::FirstLarger
                } else {
                    Verdict::SecondLarger
                }
            }
            _ => Verdict::NotDistinguishable,
        };
        Comparison {
            contrast,
            n,
            estimate,
            ci,
            p_value,
            verdict,
        }
    }

    /// A paired difference (e.g. of test accuracy).
    pub fn of_difference(d: &PairedDiff) -> Comparison {
        let ci = d.ci_low.zip(d.ci_high);
        Comparison::new(Contrast::Difference, d.n, d.mean_diff, ci, d.p_value)
    }

    /// A paired ratio (e.g. of seconds per epoch).
    pub fn of_ratio(r: &Ratio) -> Comparison {
        Comparison::new(Contrast::Ratio, r.n, r.ratio, r.ci(), r.p_value)
    }

    /// `pair`'s comparison on `metric` (`a − b` for a difference, `a / b`
    /// for a ratio), when both models recorded it.
    pub fn of_pair(pair: &PairSummary, metric: &Metric) -> Option<Comparison> {
        match metric.contrast {
            Contrast::Difference => pair.diff(metric).map(Comparison::of_difference),
            Contrast::Ratio => pair.ratio(metric).map(Comparison::of_ratio),
        }
    }

    /// The same comparison read the other way round (`b − a`, `b / a`),
    /// its interval turned too: the verdict swaps sides.
    pub fn flipped(&self) -> Comparison {
        let (estimate, ci) = match self.contrast {
            Contrast::Difference => (-self.estimate, self.ci.map(|(lo, hi)| (-hi, -lo))),
            Contrast::Ratio => (
                1.0 / self.estimate,
                self.ci.map(|(lo, hi)| (1.0 / hi, 1.0 / lo)),
            ),
        };
        let verdict = match self.verdict {
            Verdict::FirstLarger => Verdict::SecondLarger,
            Verdict::SecondLarger => Verdict::FirstLarger,
            v => v,
        };
        Comparison {
            estimate,
            ci,
            verdict,
            ..*self
        }
    }

    /// The interval, only when there are enough seeds for it to mean
    /// something.
    pub fn shown_ci(&self) -> Option<(f64, f64)> {
        self.ci.filter(|_| self.n >= MIN_SEEDS_FOR_TEST)
    }
}

/// Whether the speed verdict of `pair` rests on a disturbed timing that no
/// re-run replaced: a run of either model whose timing stands `disturbed`
/// (see [`crate::results::attempts`]). The run page's verdict sentence, the
/// sweep table and the terminal all ask this one question.
pub fn speed_rests_on_disturbed(pair: &PairSummary, timing: Option<&TimingTrust>) -> bool {
    timing.is_some_and(|t| {
        t.disturbed_runs
            .iter()
            .any(|r| r.model == pair.a || r.model == pair.b)
    })
}

/// The CI of one model's estimate, only when it rests on enough seeds to
/// mean something (the same minimum as a test); the charts draw these
/// whiskers and the tables print these intervals.
pub fn shown_ci(e: &Estimate) -> Option<(f64, f64)> {
    e.ci().filter(|_| e.n >= MIN_SEEDS_FOR_TEST)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::stats::{paired_difference, paired_ratio};

    fn verdict(
        contrast: Contrast,
        n: usize,
        estimate: f64,
        ci: Option<(f64, f64)>,
        p_value: Option<f64>,
    ) -> Verdict {
        Comparison::new(contrast, n, estimate, ci, p_value).verdict
    }

    #[test]
    fn two_seeds_are_too_few_even_at_p_zero() {
        // A constant difference has p = 0 and a zero-width interval.
        let d = paired_difference(&[0.9, 0.8], &[0.8, 0.7]).unwrap();
        assert_eq!(d.p_value, Some(0.0));
        assert_eq!(Comparison::of_difference(&d).verdict, Verdict::TooFewSeeds);
        let d = paired_difference(&[0.9, 0.8, 0.7], &[0.8, 0.7, 0.6]).unwrap();
        assert_eq!(Comparison::of_difference(&d).verdict, Verdict::FirstLarger);
    }

    #[test]
    fn an_interval_that_includes_the_null_is_not_distinguishable() {
        // A p-value under 5% whose interval still includes 1 (impossible for
        // a matched t interval, possible for hand-made numbers) is refused.
        let v = verdict(Contrast::Ratio, 3, 1.06, Some((0.99, 1.14)), Some(0.01));
        assert_eq!(v, Verdict::NotDistinguishable);
        let v = verdict(Contrast::Ratio, 3, 0.5, Some((0.4, 0.6)), Some(0.01));
        assert_eq!(v, Verdict::SecondLarger);
        let v = verdict(Contrast::Difference, 4, 0.02, Some((0.01, 0.03)), Some(0.2));
        assert_eq!(v, Verdict::NotDistinguishable);
        let r = paired_ratio(&[2.0, 2.1, 1.9], &[1.0, 1.0, 1.0]).unwrap();
        assert_eq!(Comparison::of_ratio(&r).verdict, Verdict::FirstLarger);
    }
}
