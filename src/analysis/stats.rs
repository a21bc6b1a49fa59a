//! Descriptive statistics and the few inferential ones the report needs:
//! the mean, the sample standard deviation, a Student-t confidence interval of
//! a mean, a paired t-test on per-seed differences, and a paired ratio with a
//! confidence interval; and the stationarity of a bench's samples ([`Drift`]).
//! Distributions come from `statrs`.
//!
//! Undefined quantities are `None`, never NaN: a standard deviation or a
//! confidence interval of fewer than two values, a p-value of fewer than two
//! pairs. Non-finite inputs are skipped by [`Estimate::of`] so that a NaN test
//! accuracy (a run that was never scored) cannot poison an aggregate.

use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, StudentsT};
use statrs::statistics::{Data, OrderStatistics, Statistics};

/// Confidence level of every interval in the report.
pub const CONFIDENCE_LEVEL: f64 = 0.95;

/// Arithmetic mean (statrs); `None` for no values.
pub fn mean(xs: &[f64]) -> Option<f64> {
    (!xs.is_empty()).then(|| xs.iter().mean())
}

/// Median (statrs: the mean of the middle two for an even count); `None`
/// for no values.
pub fn median(xs: &[f64]) -> Option<f64> {
    (!xs.is_empty()).then(|| Data::new(xs.to_vec()).median())
}

/// The `p` quantile of `xs`, the crate's one definition (statrs's
/// `quantile`, Hyndman and Fan's type 8, interpolated between order
/// statistics); `None` when empty.
pub fn quantile(xs: &[f64], p: f64) -> Option<f64> {
    (!xs.is_empty()).then(|| Data::new(xs.to_vec()).quantile(p.clamp(0.0, 1.0)))
}

/// The `p` quantile of `xs` by the nearest rank below: always one of the
/// values, never interpolated toward an outlier (statrs's order statistic
/// `⌊(n − 1)·p⌋ + 1`); `None` when empty. For the bench canary, whose
/// tolerance must not follow one slow timing of ten (with [`quantile`]'s
/// interpolation the 90th percentile of nine equal timings and one 1.5×
/// lies a third of the way to it).
pub fn quantile_below(xs: &[f64], p: f64) -> Option<f64> {
    let rank = ((xs.len().checked_sub(1)?) as f64 * p.clamp(0.0, 1.0)) as usize + 1;
    Some(Data::new(xs.to_vec()).order_statistic(rank))
}

/// Sample standard deviation (statrs, denominator n − 1); `None` for fewer
/// than two values.
pub fn sample_sd(xs: &[f64]) -> Option<f64> {
    (xs.len() >= 2).then(|| xs.iter().std_dev())
}

/// The two-sided critical value of Student's t with `df` degrees of freedom
/// at confidence `level` (e.g. 2.776 for df = 4, level = 0.95); `None` for df = 0.
pub fn t_critical(df: usize, level: f64) -> Option<f64> {
    if df == 0 || !(0.0..1.0).contains(&level) {
        return None;
    }
    let t = StudentsT::new(0.0, 1.0, df as f64).ok()?;
    Some(t.inverse_cdf(0.5 + level / 2.0))
}

/// Two-sided p-value of a t statistic with `df` degrees of freedom.
fn two_sided_p(t_stat: f64, df: usize) -> Option<f64> {
    let t = StudentsT::new(0.0, 1.0, df as f64).ok()?;
    Some((2.0 * t.sf(t_stat.abs())).clamp(0.0, 1.0))
}

/// The CI of the mean of `xs` at [`CONFIDENCE_LEVEL`]:
/// `mean ± t(0.975, n-1) · sd / √n`. `None` for fewer than two values
/// (with one seed there is no estimate of the spread, so no interval).
pub fn mean_ci(xs: &[f64]) -> Option<(f64, f64)> {
    let m = mean(xs)?;
    let sd = sample_sd(xs)?;
    let half = t_critical(xs.len() - 1, CONFIDENCE_LEVEL)? * sd / (xs.len() as f64).sqrt();
    Some((m - half, m + half))
}

/// The scale a confidence interval is computed on, so that it stays within
/// the quantity's possible range: a t interval on `ln x` for quantities that
/// are positive (times, memory), on `ln(x / (1 - x))` for fractions in
/// (0, 1) (accuracies), back-transformed. Linear for everything else.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scale {
    /// `mean ± t · sd / √n`: any real number.
    #[default]
    Linear,
    /// On `ln x`, exponentiated: positive quantities (an interval of the
    /// geometric mean).
    Log,
    /// On the log-odds `ln(x / (1 - x))`, mapped back: fractions in (0, 1).
    Logit,
}

impl Scale {
    /// `x` on this scale; `None` where the transform is undefined.
    fn forward(self, x: f64) -> Option<f64> {
        let y = match self {
            Scale::Linear => x,
            Scale::Log if x > 0.0 => x.ln(),
            Scale::Logit if x > 0.0 && x < 1.0 => (x / (1.0 - x)).ln(),
            _ => return None,
        };
        y.is_finite().then_some(y)
    }

    fn back(self, y: f64) -> f64 {
        match self {
            Scale::Linear => y,
            Scale::Log => y.exp(),
            Scale::Logit => 1.0 / (1.0 + (-y).exp()),
        }
    }

    /// The range an interval of this scale's quantities may not leave.
    fn bounds(self) -> (f64, f64) {
        match self {
            Scale::Linear => (f64::NEG_INFINITY, f64::INFINITY),
            Scale::Log => (0.0, f64::INFINITY),
            Scale::Logit => (0.0, 1.0),
        }
    }
}

/// The 95% CI of the mean of `xs` computed on `scale` (see [`Scale`]), and
/// whether it had to be clipped instead: when a value lies on the edge of
/// the scale's range (an accuracy of exactly 0 or 1, a time of 0), the
/// interval is the linear one cut to the range. `None` for fewer than two
/// values.
pub fn mean_ci_on(xs: &[f64], scale: Scale) -> Option<((f64, f64), bool)> {
    let transformed: Option<Vec<f64>> = xs.iter().map(|&x| scale.forward(x)).collect();
    match transformed {
        Some(ys) => {
            let (lo, hi) = mean_ci(&ys)?;
            Some(((scale.back(lo), scale.back(hi)), false))
        }
        None => {
            let (lo, hi) = mean_ci(xs)?;
            let (min, max) = scale.bounds();
            let clipped = (lo.max(min), hi.min(max));
            Some((clipped, clipped != (lo, hi)))
        }
    }
}

/// The fewest values an [`Estimate`] gives a confidence interval for: with
/// two, the t interval (t = 12.7) says nothing, and the report shows none.
pub const MIN_VALUES_FOR_CI: usize = 3;

/// Mean, spread and 95% CI of one quantity over seeds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// Number of (finite) values.
    pub n: usize,
    /// Arithmetic mean.
    pub mean: f64,
    /// Sample standard deviation; `None` when n < 2.
    pub sd: Option<f64>,
    /// Lower end of the 95% Student-t CI of the mean, computed on `scale`;
    /// `None` when n < [`MIN_VALUES_FOR_CI`].
    pub ci_low: Option<f64>,
    /// Upper end of the 95% Student-t CI of the mean, computed on `scale`;
    /// `None` when n < [`MIN_VALUES_FOR_CI`].
    pub ci_high: Option<f64>,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
    /// The scale the CI was computed on (`linear` in files written before
    /// scales existed).
    #[serde(default)]
    pub scale: Scale,
    /// True when a value sat on the edge of the scale's range, so the CI is
    /// the linear one cut to that range instead.
    #[serde(default)]
    pub ci_clipped: bool,
}

impl Estimate {
    /// Describes the finite values of `xs`, with a linear CI; `None` when
    /// there are none.
    pub fn of(xs: &[f64]) -> Option<Estimate> {
        Estimate::on_scale(xs, Scale::Linear)
    }

    /// Describes the finite values of `xs`, with the CI computed on `scale`
    /// ([`mean_ci_on`]); `None` when there are none.
    pub fn on_scale(xs: &[f64], scale: Scale) -> Option<Estimate> {
        let finite: Vec<f64> = xs.iter().copied().filter(|x| x.is_finite()).collect();
        let mean = mean(&finite)?;
        let ci = (finite.len() >= MIN_VALUES_FOR_CI)
            .then(|| mean_ci_on(&finite, scale))
            .flatten();
        Some(Estimate {
            n: finite.len(),
            mean,
            sd: sample_sd(&finite),
            ci_low: ci.map(|c| c.0.0),
            ci_high: ci.map(|c| c.0.1),
            min: finite.iter().copied().fold(f64::INFINITY, f64::min),
            max: finite.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            scale,
            ci_clipped: ci.is_some_and(|c| c.1),
        })
    }

    /// The CI as a pair, when defined.
    pub fn ci(&self) -> Option<(f64, f64)> {
        Some((self.ci_low?, self.ci_high?))
    }
}

/// Paired difference `a_i - b_i` over seeds with a paired t-test.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PairedDiff {
    /// Number of pairs.
    pub n: usize,
    /// Mean of the differences `a_i - b_i`.
    pub mean_diff: f64,
    /// Sample standard deviation of the differences; `None` when n < 2.
    pub sd_diff: Option<f64>,
    /// Lower end of the 95% t CI of the mean difference; `None` when n < 2.
    pub ci_low: Option<f64>,
    /// Upper end of the 95% t CI of the mean difference; `None` when n < 2.
    pub ci_high: Option<f64>,
    /// Two-sided paired t-test p-value for "mean difference = 0"; `None` when
    /// n < 2. Differences that are all equal (zero spread, up to a relative
    /// 1e-12 for rounding) give p = 1 when they are all zero and p = 0
    /// otherwise (the t statistic is infinite).
    pub p_value: Option<f64>,
}

/// The paired difference of `a` and `b` (same length, pair i = seed i).
/// `None` when the lengths differ, there are no pairs, or a value is not finite.
pub fn paired_difference(a: &[f64], b: &[f64]) -> Option<PairedDiff> {
    if a.len() != b.len() || a.is_empty() {
        return None;
    }
    let d: Vec<f64> = a.iter().zip(b).map(|(x, y)| x - y).collect();
    if d.iter().any(|x| !x.is_finite()) {
        return None;
    }
    let n = d.len();
    let mean_diff = mean(&d)?;
    let sd_diff = sample_sd(&d);
    let ci = mean_ci(&d);
    let p_value = sd_diff.and_then(|sd| {
        // Zero spread (up to rounding, e.g. 0.9-0.8 vs 0.8-0.7): t = ±inf or
        // 0/0; decide without dividing.
        let scale = d.iter().fold(0.0f64, |m, x| m.max(x.abs()));
        if sd <= 1e-12 * scale {
            Some(if mean_diff == 0.0 { 1.0 } else { 0.0 })
        } else {
            two_sided_p(mean_diff / (sd / (n as f64).sqrt()), n - 1)
        }
    });
    Some(PairedDiff {
        n,
        mean_diff,
        sd_diff,
        ci_low: ci.map(|c| c.0),
        ci_high: ci.map(|c| c.1),
        p_value,
    })
}

/// A paired ratio `a / b` over seeds.
///
/// Method: the per-seed ratios `r_i = a_i / b_i` are averaged on the log
/// scale; `ratio = exp(mean(ln r_i))` (the geometric mean of the ratios), and
/// the 95% CI is `exp(mean ± t(0.975, n-1) · sd(ln r) / √n)`, a Student-t
/// interval on the log ratio, exponentiated. It is asymmetric around `ratio`
/// and never negative. `p_value` is the paired t-test of `mean(ln r) = 0`
/// (ratio 1). `ratio_of_means = mean(a) / mean(b)` is given for reference.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Ratio {
    /// Number of pairs.
    pub n: usize,
    /// Geometric mean of the per-seed ratios `a_i / b_i`.
    pub ratio: f64,
    /// Lower end of the 95% CI of the ratio; `None` when n < 2.
    pub ci_low: Option<f64>,
    /// Upper end of the 95% CI of the ratio; `None` when n < 2.
    pub ci_high: Option<f64>,
    /// Two-sided paired t-test p-value for "ratio = 1" (on the log scale).
    pub p_value: Option<f64>,
    /// `mean(a) / mean(b)`.
    pub ratio_of_means: f64,
}

impl Ratio {
    /// The CI as a pair, when defined.
    pub fn ci(&self) -> Option<(f64, f64)> {
        Some((self.ci_low?, self.ci_high?))
    }
}

/// The paired ratio of `a` to `b` (see [`Ratio`] for the method). `None` when
/// the lengths differ, there are no pairs, or a value is not finite and positive.
pub fn paired_ratio(a: &[f64], b: &[f64]) -> Option<Ratio> {
    if a.len() != b.len() || a.is_empty() {
        return None;
    }
    if a.iter().chain(b).any(|x| !(x.is_finite() && *x > 0.0)) {
        return None;
    }
    let ln_a: Vec<f64> = a.iter().map(|x| x.ln()).collect();
    let ln_b: Vec<f64> = b.iter().map(|x| x.ln()).collect();
    let diff = paired_difference(&ln_a, &ln_b)?;
    Some(Ratio {
        n: diff.n,
        ratio: diff.mean_diff.exp(),
        ci_low: diff.ci_low.map(f64::exp),
        ci_high: diff.ci_high.map(f64::exp),
        p_value: diff.p_value,
        ratio_of_means: mean(a)? / mean(b)?,
    })
}

/// Largest relative difference between the first and last thirds of a
/// bench's samples (median time per iteration) that is not drift: 10%, the
/// spread above which pyperf warns that a benchmark is unstable.
pub const DRIFT_TOLERANCE: f64 = 0.10;

/// Significance level of the trend test behind [`Drift::drifts`]: thirds
/// that differ by more than [`DRIFT_TOLERANCE`] are drift only when the
/// samples also trend in measurement order beyond what chance orders give.
pub const DRIFT_TREND_ALPHA: f64 = 0.05;

/// Whether a bench's samples drift: its first and last thirds, and the
/// trend of all its samples in measurement order.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Drift {
    /// Median seconds per iteration over the first third of the samples.
    pub first_third_secs: f64,
    /// Median seconds per iteration over the last third.
    pub last_third_secs: f64,
    /// The samples' trend in measurement order ([`kendall_trend`]).
    pub trend: Trend,
}

impl Drift {
    /// The thirds and trend of `sample_secs` (per-iteration seconds in
    /// measurement order); `None` with fewer than 3 samples.
    pub fn of(sample_secs: &[f64]) -> Option<Drift> {
        let third = sample_secs.len() / 3;
        if third == 0 {
            return None;
        }
        Some(Drift {
            first_third_secs: median(&sample_secs[..third])?,
            last_third_secs: median(&sample_secs[sample_secs.len() - third..])?,
            trend: kendall_trend(sample_secs)?,
        })
    }

    /// Last third over first third (< 1: the bench got faster as it ran).
    pub fn ratio(&self) -> f64 {
        self.last_third_secs / self.first_third_secs
    }

    /// Whether the thirds differ by more than [`DRIFT_TOLERANCE`] either
    /// way and the samples trend (two-sided p-value below
    /// [`DRIFT_TREND_ALPHA`]). The thirds alone mistake noise for drift: on
    /// a 2-vCPU AMD EPYC VM at 3% steal, the thirds of 10 samples of 2
    /// steps each differed by more than 10% for 14 of a quick run's 42
    /// benches, most with no order in their samples (a slow stretch in the
    /// middle, or sample-to-sample jitter of ±15%: the width of the
    /// confidence interval, not a drift). A drift, such as a fixture
    /// leaving subnormal arithmetic or a machine slowing for good, orders
    /// the samples. With 10 samples a trend needs |τ| of 0.51 or more; with
    /// fewer than 5 no order is rare enough, and nothing drifts.
    pub fn drifts(&self) -> bool {
        let r = self.ratio();
        !(1.0 / (1.0 + DRIFT_TOLERANCE)..=1.0 + DRIFT_TOLERANCE).contains(&r)
            && self.trend.p_value < DRIFT_TREND_ALPHA
    }
}

/// A monotone trend of values against their order: Kendall's τ between
/// each value and its position.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Trend {
    /// Kendall's τ-a: (pairs in increasing order − pairs in decreasing
    /// order) / all pairs; +1 when every value is above all before it.
    pub tau: f64,
    /// Two-sided p-value of a |τ| at least this large when every order of
    /// the values is equally likely (exact up to 50 values, normal
    /// approximation beyond; ties count as neither order).
    pub p_value: f64,
}

/// Kendall's trend test of `xs` against their order; `None` for fewer than
/// two values.
pub fn kendall_trend(xs: &[f64]) -> Option<Trend> {
    let n = xs.len();
    if n < 2 {
        return None;
    }
    let pairs = n * (n - 1) / 2;
    let mut score: i64 = 0;
    for i in 0..n {
        for j in i + 1..n {
            score += match xs[j].partial_cmp(&xs[i]) {
                Some(std::cmp::Ordering::Greater) => 1,
                Some(std::cmp::Ordering::Less) => -1,
                _ => 0,
            };
        }
    }
    let p_value = if n <= 50 {
        // Without a trend the number of decreasing pairs is the number of
        // inversions of a uniformly random permutation; score = pairs - 2k.
        inversion_distribution(n)
            .iter()
            .enumerate()
            .filter(|&(k, _)| (pairs as i64 - 2 * k as i64).abs() >= score.abs())
            .map(|(_, p)| p)
            .sum::<f64>()
            .min(1.0)
    } else {
        let sd = ((n * (n - 1) * (2 * n + 5)) as f64 / 18.0).sqrt();
        let z = ((score.abs() - 1).max(0) as f64) / sd;
        let normal = statrs::distribution::Normal::standard();
        (2.0 * (1.0 - normal.cdf(z))).min(1.0)
    };
    Some(Trend {
        tau: score as f64 / pairs as f64,
        p_value,
    })
}

/// Probabilities of 0, 1, … inversions in a uniformly random permutation of
/// `n` elements (the Mahonian numbers over n!): a permutation of m elements
/// is one of m − 1 adds 0 to m − 1 inversions, each equally likely.
fn inversion_distribution(n: usize) -> Vec<f64> {
    let mut p = vec![1.0];
    for m in 2..=n {
        let mut next = vec![0.0; p.len() + m - 1];
        for (k, &v) in p.iter().enumerate() {
            for slot in &mut next[k..k + m] {
                *slot += v / m as f64;
            }
        }
        p = next;
    }
    p
}

/// Least-squares slope of `ln y` against `ln x`: the exponent `k` in
/// `y ∝ x^k`. `None` with fewer than two distinct positive `x`.
pub fn fit_exponent(points: &[(f64, f64)]) -> Option<f64> {
    let logs: Vec<(f64, f64)> = points
        .iter()
        .filter(|p| p.0 > 0.0 && p.1 > 0.0)
        .map(|p| (p.0.ln(), p.1.ln()))
        .collect();
    let n = logs.len() as f64;
    if logs.len() < 2 {
        return None;
    }
    let (mx, my) = (
        logs.iter().map(|p| p.0).sum::<f64>() / n,
        logs.iter().map(|p| p.1).sum::<f64>() / n,
    );
    let sxx: f64 = logs.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let sxy: f64 = logs.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    (sxx > 0.0).then(|| sxy / sxx)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn mean_and_sd_of_known_values() {
        // [1..5]: mean 3, sample variance 10/4 = 2.5.
        let xs = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(mean(&xs), Some(3.0));
        assert!(close(sample_sd(&xs).unwrap(), 2.5f64.sqrt(), 1e-12));
        assert_eq!(mean(&[]), None);
        assert_eq!(sample_sd(&[4.0]), None);
    }

    #[test]
    fn t_critical_matches_tables() {
        // Standard tables: t(0.975; 1) = 12.7062047, t(0.975; 2) = 4.30265273,
        // t(0.975; 4) = 2.77644511, t(0.975; 30) = 2.04227246.
        assert!(close(t_critical(1, 0.95).unwrap(), 12.706_204_736, 1e-6));
        assert!(close(t_critical(2, 0.95).unwrap(), 4.302_652_730, 1e-6));
        assert!(close(t_critical(4, 0.95).unwrap(), 2.776_445_105, 1e-6));
        assert!(close(t_critical(30, 0.95).unwrap(), 2.042_272_456, 1e-6));
        assert_eq!(t_critical(0, 0.95), None);
    }

    #[test]
    fn ci_of_a_mean() {
        // python3: 3 ± 2.7764451051977987*sqrt(2.5)/sqrt(5)
        //   -> (1.0367568385224393, 4.9632431614775605)
        let (lo, hi) = mean_ci(&[1.0, 2.0, 3.0, 4.0, 5.0]).unwrap();
        assert!(close(lo, 1.036_756_838_522_439, 1e-6));
        assert!(close(hi, 4.963_243_161_477_561, 1e-6));
    }

    #[test]
    fn one_value_has_no_ci() {
        let e = Estimate::of(&[0.8]).unwrap();
        assert_eq!(e.n, 1);
        assert_eq!(e.mean, 0.8);
        assert_eq!((e.sd, e.ci_low, e.ci_high), (None, None, None));
        assert_eq!(e.ci(), None);
    }

    #[test]
    fn estimate_skips_non_finite_and_empty_is_none() {
        let e = Estimate::of(&[1.0, f64::NAN, 3.0]).unwrap();
        assert_eq!((e.n, e.mean, e.min, e.max), (2, 2.0, 1.0, 3.0));
        assert!(e.sd.is_some() && e.ci().is_none(), "two values: no CI");
        assert!(Estimate::of(&[f64::NAN]).is_none());
        assert!(Estimate::of(&[]).is_none());
    }

    #[test]
    fn paired_t_test_df3() {
        // d = [0.01, 0.02, 0.01, 0.02]: mean 0.015, sd 0.005773502691896258,
        // t = 5.196152422706631. With 3 df the t CDF has a closed form, so
        // p = 1 - (2/pi)*(x/(1+x^2) + atan(x)), x = t/sqrt(3) = 3:
        // python3 -> 0.013846832988858915
        let a = [0.85, 0.86, 0.84, 0.87];
        let b = [0.84, 0.84, 0.83, 0.85];
        let d = paired_difference(&a, &b).unwrap();
        assert_eq!(d.n, 4);
        assert!(close(d.mean_diff, 0.015, 1e-12));
        assert!(close(d.sd_diff.unwrap(), 0.005_773_502_691_896_258, 1e-12));
        assert!(close(d.p_value.unwrap(), 0.013_846_832_988_858_915, 1e-9));
        // CI: 0.015 ± t(0.975; 3) * sd / 2, t(0.975; 3) = 3.182446305
        let half = 3.182_446_305 * 0.005_773_502_691_896_258 / 2.0;
        assert!(close(d.ci_low.unwrap(), 0.015 - half, 1e-8));
        assert!(close(d.ci_high.unwrap(), 0.015 + half, 1e-8));
        // Swapping a and b flips the sign, not the p-value.
        let r = paired_difference(&b, &a).unwrap();
        assert!(close(r.mean_diff, -0.015, 1e-12));
        assert!(close(r.p_value.unwrap(), d.p_value.unwrap(), 1e-12));
    }

    #[test]
    fn paired_t_test_df1() {
        // d = [0.01, 0.03]: t = 2, df 1 (Cauchy): p = 1 - (2/pi)*atan(2)
        // python3 -> 0.2951672353008665
        let d = paired_difference(&[0.51, 0.53], &[0.5, 0.5]).unwrap();
        assert!(close(d.p_value.unwrap(), 0.295_167_235_300_866_5, 1e-9));
    }

    #[test]
    fn identical_pairs_give_p_one() {
        let a = [0.8, 0.7, 0.9];
        let d = paired_difference(&a, &a).unwrap();
        assert_eq!(d.mean_diff, 0.0);
        assert_eq!(d.p_value, Some(1.0));
        assert_eq!((d.ci_low, d.ci_high), (Some(0.0), Some(0.0)));
    }

    #[test]
    fn constant_nonzero_difference_gives_p_zero_without_nan() {
        let d = paired_difference(&[0.9, 0.8, 0.7], &[0.8, 0.7, 0.6]).unwrap();
        assert!(close(d.mean_diff, 0.1, 1e-12));
        let p = d.p_value.unwrap();
        assert_eq!(p, 0.0);
        assert!(d.ci_low.unwrap().is_finite() && d.ci_high.unwrap().is_finite());
    }

    #[test]
    fn single_pair_has_difference_but_no_p_value() {
        let d = paired_difference(&[0.9], &[0.8]).unwrap();
        assert!(close(d.mean_diff, 0.1, 1e-12));
        assert_eq!((d.sd_diff, d.ci_low, d.p_value), (None, None, None));
        assert!(paired_difference(&[0.9], &[0.8, 0.7]).is_none());
        assert!(paired_difference(&[], &[]).is_none());
    }

    #[test]
    fn paired_ratio_on_the_log_scale() {
        // a = [2, 3, 4], b = [1, 2, 2]: ln r = [ln 2, ln 1.5, ln 2];
        // python3 (statistics.mean/stdev, t(0.975; 2) = 4.302652729911275):
        //   exp(m) = 1.8171205928321397, CI (1.2028027658217957, 2.745194260206608)
        let r = paired_ratio(&[2.0, 3.0, 4.0], &[1.0, 2.0, 2.0]).unwrap();
        assert!(close(r.ratio, 1.817_120_592_832_139_7, 1e-9));
        assert!(close(r.ci_low.unwrap(), 1.202_802_765_821_795_7, 1e-6));
        assert!(close(r.ci_high.unwrap(), 2.745_194_260_206_608, 1e-6));
        assert!(close(r.ratio_of_means, 9.0 / 5.0, 1e-12));
        // The inverse pairing inverts the ratio and its interval.
        let inv = paired_ratio(&[1.0, 2.0, 2.0], &[2.0, 3.0, 4.0]).unwrap();
        assert!(close(inv.ratio, 1.0 / r.ratio, 1e-12));
        assert!(close(inv.ci_low.unwrap(), 1.0 / r.ci_high.unwrap(), 1e-9));
    }

    #[test]
    fn intervals_stay_inside_the_quantity_s_range() {
        // Two seeds (issue 15 item 10): the linear t interval of these
        // accuracies runs past 100% and that of these times below 0.
        let acc = [0.55, 0.995];
        let (lo, hi) = mean_ci(&acc).unwrap();
        assert!(lo < 0.0 && hi > 1.0, "{lo} {hi}");
        // An Estimate gives no interval from two values (issue 30); the
        // scale's interval itself stays inside the range.
        let e = Estimate::on_scale(&acc, Scale::Logit).unwrap();
        assert_eq!(e.ci(), None);
        let ((lo, hi), clipped) = mean_ci_on(&acc, Scale::Logit).unwrap();
        assert!(
            lo > 0.0 && hi < 1.0 && lo < e.mean && e.mean < hi,
            "{lo} {hi}"
        );
        assert!(!clipped);
        // python3: lower logit mean - 12.7062047*stdev/sqrt(2) = -29.607038,
        // i.e. 1.3862025e-13.
        assert!(close(lo / 1.386_202_539_652_408_3e-13, 1.0, 1e-5), "{lo}");

        let secs = [0.02, 0.17];
        assert!(mean_ci(&secs).unwrap().0 < 0.0);
        let e = Estimate::on_scale(&secs, Scale::Log).unwrap();
        assert_eq!(e.ci(), None);
        let ((lo, hi), _) = mean_ci_on(&secs, Scale::Log).unwrap();
        assert!(lo > 0.0 && hi > e.mean, "{lo} {hi}");
        // python3: exp(mean(ln) ± 12.7062047*stdev(ln)/sqrt(2))
        //   -> (7.261826702487264e-08, 46820.17540897049)
        assert!(close(lo / 7.261_826_702_487_264e-8, 1.0, 1e-6), "{lo}");
        assert!(close(hi / 46_820.175_408_970_49, 1.0, 1e-6), "{hi}");
    }

    #[test]
    fn an_accuracy_of_one_clips_the_interval_and_says_so() {
        let e = Estimate::on_scale(&[1.0, 0.9, 0.7], Scale::Logit).unwrap();
        let (lo, hi) = e.ci().unwrap();
        assert_eq!(hi, 1.0);
        assert!(lo > 0.0 && e.ci_clipped, "{lo}");
        // Inside the range nothing is clipped, and identical values give a
        // zero-width interval on any scale.
        let same = Estimate::on_scale(&[0.8, 0.8, 0.8], Scale::Logit).unwrap();
        let (lo, hi) = same.ci().unwrap();
        assert!(close(lo, 0.8, 1e-12) && close(hi, 0.8, 1e-12) && !same.ci_clipped);
    }

    #[test]
    fn paired_ratio_rejects_non_positive() {
        assert!(paired_ratio(&[1.0, 0.0], &[1.0, 1.0]).is_none());
        assert!(paired_ratio(&[1.0, f64::NAN], &[1.0, 1.0]).is_none());
        let same = paired_ratio(&[2.0, 4.0], &[2.0, 4.0]).unwrap();
        assert_eq!((same.ratio, same.p_value), (1.0, Some(1.0)));
    }

    #[test]
    fn kendall_trend_by_hand() {
        // Increasing: every pair in order, tau 1; p = 2/n! two-sided.
        let t = kendall_trend(&[1.0, 2.0, 3.0, 4.0]).unwrap();
        assert_eq!(t.tau, 1.0);
        assert!((t.p_value - 2.0 / 24.0).abs() < 1e-12);
        // 3 1 2: pairs (3,1) down, (3,2) down, (1,2) up: score -1, tau -1/3;
        // |score| >= 1 holds for every permutation of 3: p = 1.
        let t = kendall_trend(&[3.0, 1.0, 2.0]).unwrap();
        assert!((t.tau + 1.0 / 3.0).abs() < 1e-12);
        assert!((t.p_value - 1.0).abs() < 1e-12);
        // n = 10: |tau| >= 0.511 (score 23) has two-sided p 0.0466 (the
        // tabulated critical value at 5%), score 21 does not.
        let mut xs: Vec<f64> = (0..10).map(f64::from).collect();
        // Each adjacent swap lowers the score by 2 from 45.
        for i in [0, 2, 4, 6, 8, 1, 3, 5, 7, 0, 2] {
            xs.swap(i, i + 1);
        }
        let t = kendall_trend(&xs).unwrap();
        assert!((t.tau - 23.0 / 45.0).abs() < 1e-12, "{t:?}");
        assert!((t.p_value - 0.0466).abs() < 5e-4, "{t:?}");
        xs.swap(4, 5);
        let t = kendall_trend(&xs).unwrap();
        assert!(t.p_value > 0.05, "{t:?}");
        assert_eq!(kendall_trend(&[1.0]), None);
        let probs = inversion_distribution(6);
        assert_eq!(probs.len(), 16);
        assert!((probs.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert!((probs[1] - 5.0 / 720.0).abs() < 1e-15);
        // Beyond 50 values the normal approximation: a clean ramp is certain.
        let ramp: Vec<f64> = (0..60).map(f64::from).collect();
        assert!(kendall_trend(&ramp).unwrap().p_value < 1e-10);
    }

    #[test]
    fn drift_needs_both_a_difference_of_thirds_and_a_trend() {
        // A steady slowdown: thirds 5 -> 3, and ordered.
        let d = Drift::of(&[5.0, 5.1, 4.9, 4.0, 4.2, 4.1, 3.9, 3.0, 3.1, 2.9]).unwrap();
        assert_eq!((d.first_third_secs, d.last_third_secs), (5.0, 3.0));
        assert!(d.trend.tau < -0.8 && d.drifts(), "{d:?}");
        // A slow stretch in the middle: the thirds differ by 18%, the order
        // is chance (measured on an EPYC: streaming_step/lstm/h64, ms).
        let d = Drift::of(&[
            0.0866, 0.1, 0.137, 0.13, 0.146, 0.128, 0.115, 0.104, 0.0796, 0.0822,
        ])
        .unwrap();
        assert!((d.ratio() - 0.822).abs() < 1e-3, "{d:?}");
        assert!(d.trend.p_value > 0.2 && !d.drifts(), "{d:?}");
        // Ordered but within the tolerance: not drift either.
        let d = Drift::of(&[1.0, 1.01, 1.02, 1.03, 1.04, 1.05, 1.06, 1.07, 1.08, 1.09]).unwrap();
        assert!(d.trend.p_value < 1e-5 && !d.drifts(), "{d:?}");
        assert_eq!(Drift::of(&[1.0, 2.0]), None);
    }
}
