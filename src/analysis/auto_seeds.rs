//! `--seeds auto`: whether a grid point needs another seed, from its
//! finished runs. The rule ([`crate::config::AutoSeeds`]) is a fixed-width
//! confidence-interval stopping rule (Chow and Robbins 1965): after the
//! first [`AutoSeeds::FIRST_SEEDS`] seeds, one seed (a run of every model)
//! is added at a time until the 95% CI of every pair's paired test-accuracy
//! difference is at most `precision_points` either side of its mean (a
//! forecast: the paired test-MAE ratio's interval at most that many percent
//! either side, geometrically), or `max_seeds` seeds are planned. It looks only at the interval's width,
//! never at the p-value: stopping on significance would bias the test.
//! The same [`decide`] runs in `compare` (to add seeds) and in the report
//! (to say why it stopped).

use crate::analysis::metrics;
use crate::analysis::summary::summarize;
use crate::config::AutoSeeds;
use crate::model::Cell;
use crate::results::RunRecord;

pub use crate::analysis::summary::{SeedDecision, SeedStop};

/// The rule for a point whose `planned_seeds` seeds have the runs `runs`
/// (the attempts that stand; only `ok` runs count) of `models`.
pub fn decide(
    runs: &[RunRecord],
    models: &[Cell],
    planned_seeds: usize,
    rule: &AutoSeeds,
) -> SeedDecision {
    let summary = summarize(runs, models);
    let widths: Vec<Option<f64>> = summary
        .pairs
        .iter()
        .map(|p| {
            let first = AutoSeeds::FIRST_SEEDS as usize;
            if let Some(d) = p.diff(&metrics::TEST_ACC) {
                let (lo, hi) = d.ci_low.zip(d.ci_high)?;
                return (d.n >= first).then_some((hi - lo) / 2.0 * 100.0);
            }
            // A forecast: the test-MAE ratio's geometric half-width, in percent.
            let r = p.ratio(&metrics::TEST_MAE)?;
            let (lo, hi) = r.ci()?;
            (r.n >= first).then_some(((hi / lo).sqrt() - 1.0) * 100.0)
        })
        .collect();
    let half_width_points = if widths.is_empty() || widths.iter().any(Option::is_none) {
        None
    } else {
        widths.iter().flatten().copied().reduce(f64::max)
    };
    let ok_runs = |m: Cell| {
        runs.iter()
            .filter(|r| r.model == m && r.status == crate::results::RunStatus::Ok)
            .count()
    };
    let stopped = if half_width_points.is_some_and(|h| h <= rule.precision_points) {
        Some(SeedStop::Precision)
    } else if planned_seeds >= AutoSeeds::FIRST_SEEDS as usize
        && models.iter().any(|&m| ok_runs(m) == 0)
    {
        Some(SeedStop::NoOkRuns)
    } else if planned_seeds >= rule.max_seeds as usize {
        Some(SeedStop::MaxSeeds)
    } else {
        None
    };
    SeedDecision {
        seeds: planned_seeds,
        paired_seeds: summary.pairs.iter().map(|p| p.n_pairs).min().unwrap_or(0),
        half_width_points,
        precision_points: rule.precision_points,
        max_seeds: rule.max_seeds,
        stopped,
    }
}

/// The most seeds [`seeds_for_half_width`] considers.
pub const SEEDS_SEARCHED: usize = 1000;

/// How many seeds the rule's interval needs to be at most `half_width`
/// either side of its mean if the paired differences keep the spread `sd`
/// they had (same unit as `half_width`): the smallest `n` of at least
/// [`AutoSeeds::FIRST_SEEDS`] with `t(0.975, n − 1) · sd / √n ≤ half_width`,
/// the standard sample-size estimate for a t interval of a given width, and
/// the `n` at which [`decide`] would stop on precision. `None` when more
/// than [`SEEDS_SEARCHED`] would be needed or an input is not a finite,
/// non-negative number (`half_width` above 0).
pub fn seeds_for_half_width(sd: f64, half_width: f64) -> Option<usize> {
    if !(sd.is_finite() && sd >= 0.0 && half_width.is_finite() && half_width > 0.0) {
        return None;
    }
    (AutoSeeds::FIRST_SEEDS as usize..=SEEDS_SEARCHED).find(|&n| {
        crate::analysis::stats::t_critical(n - 1, crate::analysis::stats::CONFIDENCE_LEVEL)
            .is_some_and(|t| t * sd / (n as f64).sqrt() <= half_width)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::RunStatus;

    fn runs(diffs: &[f64]) -> Vec<RunRecord> {
        diffs
            .iter()
            .enumerate()
            .flat_map(|(i, d)| {
                let seed = i as u64 + 1;
                let mut a =
                    RunRecord::empty(Cell::Lstm, seed, 16, 100, RunStatus::Ok, String::new());
                a.test_acc = 0.8 + d;
                a.secs_per_epoch = 1.0;
                let mut b =
                    RunRecord::empty(Cell::Gru, seed, 16, 100, RunStatus::Ok, String::new());
                b.test_acc = 0.8;
                b.secs_per_epoch = 1.0;
                [a, b]
            })
            .collect()
    }

    const RULE: AutoSeeds = AutoSeeds {
        max_seeds: 6,
        precision_points: 1.0,
    };

    /// A forecast's runs: no accuracy, LSTM's test MAE `ratios[i]` times
    /// GRU's 10.0 for seed `i + 1`.
    fn forecast_runs(ratios: &[f64]) -> Vec<RunRecord> {
        let mut runs = runs(&vec![0.0; ratios.len()]);
        for (r, pair) in ratios.iter().zip(runs.chunks_mut(2)) {
            pair[0].test_mae = Some(10.0 * r);
            pair[1].test_mae = Some(10.0);
            for run in pair {
                run.test_acc = f64::NAN;
            }
        }
        runs
    }

    #[test]
    fn a_forecast_stops_on_the_test_mae_ratios_width_in_percent() {
        let models = [Cell::Lstm, Cell::Gru];
        // Ratios 1.00, 1.01, 1.02: geometric half-width about 2.5%.
        let d = decide(&forecast_runs(&[1.0, 1.01, 1.02]), &models, 3, &RULE);
        let h = d.half_width_points.unwrap();
        assert!(h > 2.0 && h < 3.0, "{h}");
        assert_eq!(d.stopped, None);
        let loose = AutoSeeds {
            precision_points: 5.0,
            ..RULE
        };
        let d = decide(&forecast_runs(&[1.0, 1.01, 1.02]), &models, 3, &loose);
        assert_eq!(d.stopped, Some(SeedStop::Precision));
    }

    #[test]
    fn a_wide_interval_asks_for_another_seed_until_the_maximum() {
        let r = runs(&[0.05, -0.04, 0.01]);
        let d = decide(&r, &[Cell::Lstm, Cell::Gru], 3, &RULE);
        assert_eq!(d.stopped, None);
        assert_eq!(d.paired_seeds, 3);
        assert!(d.half_width_points.unwrap() > 1.0);
        let d = decide(&r, &[Cell::Lstm, Cell::Gru], 6, &RULE);
        assert_eq!(d.stopped, Some(SeedStop::MaxSeeds));
    }

    #[test]
    fn a_narrow_interval_stops_whatever_the_p_value() {
        // A difference of about 2 points, very consistent: narrow interval.
        let r = runs(&[0.020, 0.021, 0.019, 0.020]);
        let d = decide(&r, &[Cell::Lstm, Cell::Gru], 4, &RULE);
        assert_eq!(d.stopped, Some(SeedStop::Precision), "{d:?}");
        // No difference at all, as consistently: it stops the same way.
        let r = runs(&[0.001, -0.001, 0.0, 0.0]);
        assert_eq!(
            decide(&r, &[Cell::Lstm, Cell::Gru], 4, &RULE).stopped,
            Some(SeedStop::Precision)
        );
    }

    #[test]
    fn a_model_without_an_ok_run_in_the_first_seeds_stops_the_rule() {
        let mut r = runs(&[0.01, -0.02, 0.03]);
        for run in r.iter_mut().filter(|r| r.model == Cell::Gru) {
            run.status = RunStatus::Failed;
        }
        let d = decide(&r, &[Cell::Lstm, Cell::Gru], 3, &RULE);
        assert_eq!(d.stopped, Some(SeedStop::NoOkRuns), "{d:?}");
    }

    /// Hand computation, from a t table: sd 2 points, half-width 1 point.
    /// n = 17: t(0.975, 16) = 2.1199, 2.1199 · 2 / √17 = 4.2398 / 4.1231 =
    /// 1.028 > 1; n = 18: t(0.975, 17) = 2.1098, 2.1098 · 2 / √18 = 4.2196
    /// / 4.2426 = 0.9946 ≤ 1. So 18 seeds.
    #[test]
    fn seeds_for_a_half_width_match_a_hand_computation() {
        assert_eq!(seeds_for_half_width(2.0, 1.0), Some(18));
        // The same in fractions (accuracy as the summary holds it).
        assert_eq!(seeds_for_half_width(0.02, 0.01), Some(18));
        // No spread: the fewest seeds the rule runs.
        assert_eq!(seeds_for_half_width(0.0, 1.0), Some(3));
        // sd 1, half-width 1: n = 6 gives 2.5706 / 2.4495 = 1.049 > 1,
        // n = 7 gives 2.4469 / 2.6458 = 0.925 ≤ 1.
        assert_eq!(seeds_for_half_width(1.0, 1.0), Some(7));
        assert_eq!(seeds_for_half_width(100.0, 1.0), None);
        assert_eq!(seeds_for_half_width(1.0, 0.0), None);
        assert_eq!(seeds_for_half_width(f64::NAN, 1.0), None);
        // The rule stops where the estimate says, for a spread that stays
        // put: these differences' sd is 1.80 points; 7 seeds give ±1.66.
        let diffs = [0.03, -0.01, 0.01, 0.03, -0.01, 0.01, 0.03];
        let sd = crate::analysis::stats::sample_sd(&diffs).unwrap() * 100.0;
        assert_eq!(seeds_for_half_width(sd, 1.8), Some(7));
        let r = runs(&diffs);
        let d = decide(
            &r,
            &[Cell::Lstm, Cell::Gru],
            7,
            &AutoSeeds {
                max_seeds: 20,
                precision_points: 1.8,
            },
        );
        assert_eq!(d.stopped, Some(SeedStop::Precision), "{d:?}");
    }

    #[test]
    fn fewer_than_three_paired_seeds_never_stop_on_precision() {
        let r = runs(&[0.02, 0.02]);
        let d = decide(&r, &[Cell::Lstm, Cell::Gru], 3, &RULE);
        assert_eq!((d.half_width_points, d.stopped), (None, None));
    }
}
