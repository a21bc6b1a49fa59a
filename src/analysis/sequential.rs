//! Group-sequential boundaries for `--seeds auto`: when a paired difference
//! may be called decided at an interim look without raising the
//! false-positive rate above [`ALPHA`].
//!
//! The looks fall at the seed counts [`look_seeds`] lists (the first seeds,
//! then one batch of seeds after another, the last at `max_seeds`); the
//! information fraction of a look is `t = n / max_seeds`. The two-sided 5%
//! is spent over the looks with the Lan–DeMets O'Brien–Fleming-type spending
//! function ([`obrien_fleming_spent`]): almost nothing at the first looks,
//! nearly all of it at the last. The boundary `z_k` of each look is the one
//! whose probability of being crossed first at look `k`, under no
//! difference, equals the α spent there; that probability is computed
//! deterministically, by recursive numerical integration of the density of
//! the z statistic over the region where no earlier look stopped
//! (Armitage, McPherson and Rowe 1969; Jennison and Turnbull 2000, ch. 19),
//! as R's `ldbounds` and `gsDesign` do.
//!
//! Seeds give few degrees of freedom, so the rule compares the paired
//! t-test's p-value with the boundary's nominal level `p_k = 2(1 − Φ(z_k))`
//! (the "significance level approach" of Jennison and Turnbull, ch. 11)
//! rather than the t statistic with `z_k`.
//!
//! Pure functions: no records, no files.

use statrs::distribution::{ContinuousCDF, Normal};

/// The two-sided false-positive rate the rule keeps over all its looks.
pub const ALPHA: f64 = 0.05;

/// The largest boundary, in standard deviations: a look that may spend
/// (almost) nothing gets this (two-sided p about 1.2e-15), where `ldbounds`
/// truncates too.
pub const Z_CAP: f64 = 8.0;

/// The widest step of the integration grid, in standard deviations of the
/// z statistic; narrower where looks are close (see [`grid_step`]).
const WIDEST_STEP: f64 = 0.05;

/// The narrowest step of the integration grid, which bounds the work for a
/// schedule of hundreds of looks.
const NARROWEST_STEP: f64 = 0.01;

/// Bisection steps when solving for a boundary: the bracket [0, 8] shrinks
/// to about 2e-13.
const BISECTIONS: usize = 45;

fn std_normal() -> Normal {
    Normal::new(0.0, 1.0).expect("the standard normal's parameters are valid")
}

/// The standard normal density at `x`.
fn phi(x: f64) -> f64 {
    (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

/// The two-sided p-value of a z statistic: `2(1 − Φ(|z|))`.
pub fn p_of_z(z: f64) -> f64 {
    (2.0 * std_normal().sf(z.abs())).clamp(0.0, 1.0)
}

/// The cumulative two-sided α that the Lan–DeMets O'Brien–Fleming-type
/// spending function allows by information fraction `t` (0 to 1), for a
/// two-sided level `alpha`: half of `alpha` on each side, each spent as the
/// one-sided function `2 − 2Φ(z_{1−α/4} / √t)`, so `α*(t) = 4(1 − Φ(z_{1−α/4}
/// / √t))` and `α*(1) = alpha`. This is what `ldbounds` (`iuse = 1`),
/// `gsDesign` (`sfLDOF`) and `rpact` (`asOF`) spend for a symmetric
/// two-sided test. 0 for `t ≤ 0`, NaN or an `alpha` outside (0, 1).
pub fn obrien_fleming_spent(t: f64, alpha: f64) -> f64 {
    if !(t > 0.0 && alpha > 0.0 && alpha < 1.0) {
        return 0.0;
    }
    let normal = std_normal();
    let z = -normal.inverse_cdf(alpha / 4.0);
    4.0 * normal.sf(z / t.min(1.0).sqrt())
}

/// The seed counts at which the rule looks: `first`, then every `batch`
/// seeds after it while below `max`, and `max` last (a batch of 0 counts as
/// 1; a `max` below `first` as `first`). For `first` 3, `batch` 2 and `max`
/// 10: 3, 5, 7, 9, 10.
pub fn look_seeds(first: usize, batch: usize, max: usize) -> Vec<usize> {
    let first = first.max(1);
    let max = max.max(first);
    let mut looks: Vec<usize> = (first..max).step_by(batch.max(1)).collect();
    looks.push(max);
    looks
}

/// The density of the z statistic at one look, over the region where no
/// look so far has stopped, sampled for Simpson's rule.
struct Continuing {
    /// Grid points, in standard deviations.
    z: Vec<f64>,
    /// Simpson weight times density at each point (sums to the
    /// probability of continuing).
    mass: Vec<f64>,
    /// The look's information fraction.
    t: f64,
}

/// Points and Simpson weights over `[−c, c]` with steps of at most `step`.
fn simpson(c: f64, step: f64) -> (Vec<f64>, Vec<f64>) {
    let intervals = 2 * ((c / step).ceil() as usize).max(1);
    let h = 2.0 * c / intervals as f64;
    (0..=intervals)
        .map(|i| {
            let w = match i {
                0 => 1.0,
                i if i == intervals => 1.0,
                i if i % 2 == 1 => 4.0,
                _ => 2.0,
            };
            (-c + i as f64 * h, w * h / 3.0)
        })
        .unzip()
}

/// The grid step for `fractions`: a quarter of the narrowest spread of the
/// z statistic's step between looks (`√(Δt / t)`), within
/// [[`NARROWEST_STEP`], [`WIDEST_STEP`]].
fn grid_step(fractions: &[f64]) -> f64 {
    let narrowest = fractions
        .windows(2)
        .map(|w| ((w[1] - w[0]) / w[1]).sqrt())
        .fold(f64::INFINITY, f64::min);
    (narrowest / 4.0).clamp(NARROWEST_STEP, WIDEST_STEP)
}

/// Walks the looks at information `fractions` (increasing, in (0, 1]) under
/// no difference. At look `k`, `choose(k, cross)` returns the look's
/// boundary, where `cross(c)` is the probability of continuing to look `k`
/// and then having `|Z_k| ≥ c`. Returns the boundaries (clamped to
/// [0, [`Z_CAP`]]); `None` for fractions that are not increasing in (0, 1].
fn walk(
    fractions: &[f64],
    mut choose: impl FnMut(usize, &dyn Fn(f64) -> f64) -> f64,
) -> Option<Vec<f64>> {
    let increasing = fractions.windows(2).all(|w| w[0] < w[1]);
    let in_range = fractions.iter().all(|&t| t > 0.0 && t <= 1.0 + 1e-12);
    if fractions.is_empty() || !increasing || !in_range {
        return None;
    }
    let normal = std_normal();
    let step = grid_step(fractions);
    let mut previous: Option<Continuing> = None;
    let mut bounds = Vec::with_capacity(fractions.len());
    for (k, &t) in fractions.iter().enumerate() {
        let root_t = t.sqrt();
        let c = match &previous {
            None => choose(k, &|c| 2.0 * normal.sf(c)),
            Some(p) => {
                // Z_k √t_k = Z_{k−1} √t_{k−1} + N(0, t_k − t_{k−1}).
                let (root_p, s) = (p.t.sqrt(), (t - p.t).sqrt());
                let cross = |c: f64| {
                    p.z.iter()
                        .zip(&p.mass)
                        .map(|(&u, &m)| {
                            m * (normal.sf((c * root_t - u * root_p) / s)
                                + normal.sf((c * root_t + u * root_p) / s))
                        })
                        .sum()
                };
                choose(k, &cross)
            }
        }
        .clamp(0.0, Z_CAP);
        bounds.push(c);
        if k + 1 == fractions.len() {
            break;
        }
        let (z, weights) = simpson(c, step);
        let density: Vec<f64> = match &previous {
            None => z.iter().map(|&x| phi(x)).collect(),
            Some(p) => {
                let (root_p, s) = (p.t.sqrt(), (t - p.t).sqrt());
                z.iter()
                    .map(|&x| {
                        p.z.iter()
                            .zip(&p.mass)
                            .map(|(&u, &m)| m * phi((x * root_t - u * root_p) / s))
                            .sum::<f64>()
                            * root_t
                            / s
                    })
                    .collect()
            }
        };
        let mass = weights.iter().zip(&density).map(|(w, d)| w * d).collect();
        previous = Some(Continuing { z, mass, t });
    }
    Some(bounds)
}

/// The boundary whose crossing probability `cross` equals `target`
/// (`cross` falls as the boundary rises): [`Z_CAP`] when even that crosses
/// more often than `target` allows (or `target` is not positive), 0 when
/// even 0 crosses less often.
fn solve(cross: &dyn Fn(f64) -> f64, target: f64) -> f64 {
    if target.is_nan() || target <= 0.0 || cross(Z_CAP) >= target {
        return Z_CAP;
    }
    if cross(0.0) <= target {
        return 0.0;
    }
    let (mut low, mut high) = (0.0, Z_CAP);
    for _ in 0..BISECTIONS {
        let mid = 0.5 * (low + high);
        if cross(mid) > target {
            low = mid;
        } else {
            high = mid;
        }
    }
    0.5 * (low + high)
}

/// The probability, under no difference, that a trial with looks at
/// information `fractions` first crosses `±bounds[k]` at look `k` (the
/// "exit probabilities" of `ldbounds`). `None` when the lengths differ or
/// the fractions are not increasing in (0, 1].
pub fn exit_probabilities(fractions: &[f64], bounds: &[f64]) -> Option<Vec<f64>> {
    if fractions.len() != bounds.len() {
        return None;
    }
    let mut exits = Vec::with_capacity(bounds.len());
    walk(fractions, |k, cross| {
        exits.push(cross(bounds[k]));
        bounds[k]
    })?;
    Some(exits)
}

/// The boundaries (in standard deviations) that spend `cumulative[k]` of
/// two-sided α by look `k` (non-decreasing, below 1) at information
/// `fractions`. `None` when the lengths differ or the fractions are not
/// increasing in (0, 1].
pub fn spending_bounds(fractions: &[f64], cumulative: &[f64]) -> Option<Vec<f64>> {
    if fractions.len() != cumulative.len() {
        return None;
    }
    walk(fractions, |k, cross| {
        let before = if k == 0 { 0.0 } else { cumulative[k - 1] };
        solve(cross, cumulative[k] - before)
    })
}

/// The rule's boundaries for one look schedule, as nominal two-sided
/// p-value levels (a pair's paired t-test is decided at look `k` when its
/// p-value is below `planned_p[k]`).
#[derive(Debug, Clone, PartialEq)]
pub struct Boundaries {
    /// Seeds at each look, ascending; the last is `max_seeds`.
    pub looks: Vec<usize>,
    /// The O'Brien–Fleming-type boundary of each look, as a nominal
    /// two-sided p-value level.
    pub planned_p: Vec<f64>,
    /// The level at each look if that look is the last (a stop on the
    /// interval's width): it spends whatever is left of [`ALPHA`] after the
    /// planned boundaries of the looks before. Equal to `planned_p` at the
    /// last look.
    pub final_p: Vec<f64>,
}

impl Boundaries {
    /// The O'Brien–Fleming-type boundaries (two-sided level `alpha`) for
    /// looks at the seed counts `looks` (ascending, the last `max_seeds`),
    /// information fraction `n / max_seeds`. `None` for an empty or
    /// unordered schedule, a look beyond `max_seeds`, or an `alpha` outside
    /// (0, 1).
    pub fn obrien_fleming(looks: &[usize], max_seeds: usize, alpha: f64) -> Option<Boundaries> {
        if !(alpha > 0.0 && alpha < 1.0) || max_seeds == 0 {
            return None;
        }
        let fractions: Vec<f64> = looks.iter().map(|&n| n as f64 / max_seeds as f64).collect();
        let mut final_z = Vec::with_capacity(looks.len());
        let mut spent = 0.0;
        let planned_z = walk(&fractions, |k, cross| {
            let before = if k == 0 { 0.0 } else { fractions[k - 1] };
            let target =
                obrien_fleming_spent(fractions[k], alpha) - obrien_fleming_spent(before, alpha);
            let planned = solve(cross, target);
            final_z.push(solve(cross, alpha - spent));
            spent += cross(planned);
            planned
        })?;
        let last = planned_z.len() - 1;
        final_z[last] = planned_z[last];
        Some(Boundaries {
            looks: looks.to_vec(),
            planned_p: planned_z.iter().map(|&z| p_of_z(z)).collect(),
            final_p: final_z.iter().map(|&z| p_of_z(z)).collect(),
        })
    }

    /// The index of the last look at or before `seeds` seeds; `None` before
    /// the first look.
    pub fn look_at(&self, seeds: usize) -> Option<usize> {
        self.looks.iter().rposition(|&n| n <= seeds)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn equal(k: usize) -> Vec<f64> {
        (1..=k).map(|i| i as f64 / k as f64).collect()
    }

    fn z_of_p(p: f64) -> f64 {
        -std_normal().inverse_cdf(p / 2.0)
    }

    fn close(got: &[f64], want: &[f64], tol: f64) {
        assert_eq!(got.len(), want.len());
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() <= tol, "got {got:?}, want {want:?}");
        }
    }

    /// Jennison and Turnbull (2000), table 2.3: the classic O'Brien–Fleming
    /// test with K equally spaced looks and boundaries `C_B √(K / k)` has
    /// two-sided level 0.05 for C_B = 1.977, 2.004, 2.024, 2.040 (K = 2..5).
    #[test]
    fn classic_obrien_fleming_constants_give_five_percent() {
        for (k, c_b) in [(2, 1.977), (3, 2.004), (4, 2.024), (5, 2.040)] {
            let t = equal(k);
            let bounds: Vec<f64> = (1..=k)
                .map(|i| c_b * (k as f64 / i as f64).sqrt())
                .collect();
            let total: f64 = exit_probabilities(&t, &bounds).unwrap().iter().sum();
            // C_B is rounded to 3 decimals: 0.0005 in z moves α by about 3e-5.
            assert!((total - 0.05).abs() < 1e-4, "K = {k}: {total}");
        }
        // And one look is the fixed-sample test.
        let one = exit_probabilities(&[1.0], &[1.959964]).unwrap();
        assert!((one[0] - 0.05).abs() < 1e-6);
    }

    /// `ldbounds::bounds(c(0.10, 0.33, 1), iuse = c(1, 1), alpha =
    /// c(0.025, 0.025))`, as printed in an r-help thread (2020-03, "output of
    /// bounds function ldbounds package"): boundaries ±6.9913, ±3.7308,
    /// ±1.9605; cumulative exit probabilities 2.7227e-12, 1.9097e-04, 0.05.
    #[test]
    fn lan_demets_bounds_match_ldbounds_for_uneven_looks() {
        let t = [0.10, 0.33, 1.0];
        let cumulative: Vec<f64> = t.iter().map(|&t| obrien_fleming_spent(t, 0.05)).collect();
        assert!((cumulative[0] - 2.7227e-12).abs() < 1e-15, "{cumulative:?}");
        assert!((cumulative[1] - 1.9097e-4).abs() < 1e-8, "{cumulative:?}");
        assert!((cumulative[2] - 0.05).abs() < 1e-9, "{cumulative:?}");
        let bounds = spending_bounds(&t, &cumulative).unwrap();
        close(&bounds, &[6.9913, 3.7308, 1.9605], 5e-4);
    }

    /// Five equally spaced looks, two-sided 0.05, O'Brien–Fleming-type
    /// spending: 4.8769, 3.3569, 2.6803, 2.2898, 2.0310, as `gsDesign`
    /// (`sfu = sfLDOF`, `alpha = 0.025`, `test.type = 2`) and `rpact`
    /// (`typeOfDesign = "asOF"`, `alpha = 0.05`, `sided = 2`) print them.
    #[test]
    fn lan_demets_bounds_match_published_equally_spaced_values() {
        let t = equal(5);
        let cumulative: Vec<f64> = t.iter().map(|&t| obrien_fleming_spent(t, 0.05)).collect();
        close(
            &spending_bounds(&t, &cumulative).unwrap(),
            &[4.8769, 3.3569, 2.6803, 2.2898, 2.0310],
            1e-3,
        );
    }

    #[test]
    fn the_rules_boundaries_spend_five_percent_and_end_near_the_fixed_test() {
        for batch in [1, 2] {
            let looks = look_seeds(3, batch, 10);
            let b = Boundaries::obrien_fleming(&looks, 10, ALPHA).unwrap();
            let t: Vec<f64> = looks.iter().map(|&n| n as f64 / 10.0).collect();
            let z: Vec<f64> = b.planned_p.iter().map(|&p| z_of_p(p)).collect();
            let total: f64 = exit_probabilities(&t, &z).unwrap().iter().sum();
            assert!((total - ALPHA).abs() < 1e-6, "batch {batch}: {total}");
            // Levels rise look after look; the last is below 5%, by more
            // than with few looks (close looks share most of their data).
            assert!(b.planned_p.windows(2).all(|w| w[0] < w[1]), "{b:?}");
            let last = *b.planned_p.last().unwrap();
            assert!(last > 0.03 && last < 0.05, "{b:?}");
            // A look taken as the last spends the rest: above the planned level.
            for k in 0..looks.len() {
                assert!(b.final_p[k] >= b.planned_p[k], "{b:?}");
                let mut z_last = z[..k].to_vec();
                z_last.push(z_of_p(b.final_p[k]));
                let spent: f64 = exit_probabilities(&t[..=k], &z_last).unwrap().iter().sum();
                assert!((spent - ALPHA).abs() < 1e-6, "look {k}: {spent}");
            }
            // The first look may spend all: the fixed-sample level.
            assert!((b.final_p[0] - ALPHA).abs() < 1e-9);
        }
    }

    #[test]
    fn looks_come_every_batch_and_at_the_maximum() {
        assert_eq!(look_seeds(3, 1, 6), vec![3, 4, 5, 6]);
        assert_eq!(look_seeds(3, 2, 10), vec![3, 5, 7, 9, 10]);
        assert_eq!(look_seeds(3, 4, 10), vec![3, 7, 10]);
        assert_eq!(look_seeds(3, 0, 4), vec![3, 4]);
        assert_eq!(look_seeds(3, 1, 3), vec![3]);
        assert_eq!(look_seeds(3, 1, 2), vec![3]);
        let b = Boundaries::obrien_fleming(&look_seeds(3, 2, 10), 10, ALPHA).unwrap();
        assert_eq!(b.look_at(2), None);
        assert_eq!(b.look_at(3), Some(0));
        assert_eq!(b.look_at(6), Some(1));
        assert_eq!(b.look_at(10), Some(4));
        assert_eq!(b.look_at(12), Some(4));
    }

    #[test]
    fn odd_input_gives_none_not_a_panic() {
        assert_eq!(spending_bounds(&[0.5, 0.5], &[0.01, 0.05]), None);
        assert_eq!(spending_bounds(&[], &[]), None);
        assert_eq!(exit_probabilities(&[f64::NAN], &[2.0]), None);
        assert_eq!(exit_probabilities(&[0.5, 1.0], &[2.0]), None);
        assert_eq!(Boundaries::obrien_fleming(&[3, 12], 10, ALPHA), None);
        assert_eq!(Boundaries::obrien_fleming(&[3, 10], 10, 0.0), None);
        assert_eq!(Boundaries::obrien_fleming(&[3, 10], 0, ALPHA), None);
        assert_eq!(obrien_fleming_spent(f64::NAN, ALPHA), 0.0);
        assert!((obrien_fleming_spent(2.0, ALPHA) - ALPHA).abs() < 1e-9);
    }

    /// A long schedule stays quick: 98 looks of one seed.
    #[test]
    fn a_hundred_looks_take_a_few_seconds_at_most() {
        let start = std::time::Instant::now();
        let b = Boundaries::obrien_fleming(&look_seeds(3, 1, 100), 100, ALPHA).unwrap();
        assert_eq!(b.looks.len(), 98);
        assert!(start.elapsed().as_secs_f64() < 5.0, "{:?}", start.elapsed());
    }
}
