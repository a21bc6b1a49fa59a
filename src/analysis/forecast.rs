//! Forecast errors and the forecasts to beat: pure functions over actual and
//! forecast values in the series' own units.
//!
//! - [`Errors`]: MAE, RMSE and MASE of a set of windows (the MASE scale and
//!   the naive forecasts come with the data: `data::forecast::baseline`);
//! - [`diebold_mariano`]: whether two forecasters' errors over the same test
//!   windows differ, with Harvey, Leybourne and Newbold's small-sample
//!   correction.

use statrs::distribution::{ContinuousCDF, StudentsT};

/// Errors of one forecaster over a set of windows, every horizon step
/// counted once per window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Errors {
    /// Mean absolute error, in the series' units.
    pub mae: f64,
    /// Root mean squared error, in the series' units.
    pub rmse: f64,
    /// Mean absolute error over the MASE scale of each value's series
    /// (below 1: better than the training part's one-step naive forecast).
    pub mase: f64,
}

/// One window's forecast against what happened.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scored<'a> {
    /// The actual values, `horizon` of them.
    pub actual: &'a [f64],
    /// The forecast, as long as `actual`.
    pub forecast: &'a [f64],
    /// The MASE scale of the window's series ([`mase_scale`]).
    pub scale: f64,
}

impl Errors {
    /// The errors over `windows`; `None` when there is no value to score.
    pub fn of(windows: &[Scored<'_>]) -> Option<Errors> {
        let (mut abs, mut sq, mut scaled, mut n) = (0.0, 0.0, 0.0, 0usize);
        for w in windows {
            for (a, f) in w.actual.iter().zip(w.forecast) {
                let e = (a - f).abs();
                abs += e;
                sq += e * e;
                scaled += e / w.scale;
                n += 1;
            }
        }
        (n > 0).then(|| {
            let n = n as f64;
            Errors {
                mae: abs / n,
                rmse: (sq / n).sqrt(),
                mase: scaled / n,
            }
        })
    }
}

/// The mean absolute error of each window (over its horizon steps): the
/// loss series the Diebold–Mariano test compares.
pub fn window_mae(windows: &[Scored<'_>]) -> Vec<f64> {
    windows
        .iter()
        .map(|w| {
            let sum: f64 = w
                .actual
                .iter()
                .zip(w.forecast)
                .map(|(a, f)| (a - f).abs())
                .sum();
            sum / w.actual.len().max(1) as f64
        })
        .collect()
}

/// A Diebold–Mariano comparison of two loss series.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DieboldMariano {
    /// The statistic with Harvey, Leybourne and Newbold's correction:
    /// negative when the first forecaster's losses are smaller.
    pub statistic: f64,
    /// Two-sided p-value from Student's t with `n − 1` degrees of freedom.
    pub p_value: f64,
    /// Number of loss pairs.
    pub n: usize,
}

/// The Diebold–Mariano test (1995) of equal expected loss, with the
/// correction of Harvey, Leybourne and Newbold (1997): the loss differential
/// `d = loss_a − loss_b`, its long-run variance from the autocovariances at
/// lags `0..horizon` (forecasts `horizon` steps ahead made one step apart
/// overlap, so their errors correlate up to lag `horizon − 1`), the
/// statistic `mean(d) / sqrt(V / n)` scaled by
/// `sqrt((n + 1 − 2h + h(h − 1)/n) / n)`, and Student's t with `n − 1`
/// degrees of freedom. `None` for fewer than 3 pairs, unequal lengths, a
/// horizon of 0 or not below `n`, or a differential without variance.
pub fn diebold_mariano(loss_a: &[f64], loss_b: &[f64], horizon: usize) -> Option<DieboldMariano> {
    let n = loss_a.len();
    if n < 3 || loss_b.len() != n || horizon == 0 || horizon >= n {
        return None;
    }
    let d: Vec<f64> = loss_a.iter().zip(loss_b).map(|(a, b)| a - b).collect();
    let mean = d.iter().sum::<f64>() / n as f64;
    let autocovariance = |lag: usize| -> f64 {
        d[lag..]
            .iter()
            .zip(&d)
            .map(|(x, y)| (x - mean) * (y - mean))
            .sum::<f64>()
            / n as f64
    };
    let long_run = autocovariance(0) + 2.0 * (1..horizon).map(autocovariance).sum::<f64>();
    if long_run <= 0.0 || !long_run.is_finite() {
        return None;
    }
    let (nf, h) = (n as f64, horizon as f64);
    let correction = ((nf + 1.0 - 2.0 * h + h * (h - 1.0) / nf) / nf).sqrt();
    let statistic = correction * mean / (long_run / nf).sqrt();
    let t = StudentsT::new(0.0, 1.0, nf - 1.0).ok()?;
    let p_value = 2.0 * t.cdf(-statistic.abs());
    Some(DieboldMariano {
        statistic,
        p_value,
        n,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn mae_rmse_and_mase_by_hand() {
        let scale = 7.0 / 3.0;
        // Errors 1, −2 and 3, 0 over two windows.
        let windows = [
            Scored {
                actual: &[10.0, 10.0],
                forecast: &[9.0, 12.0],
                scale,
            },
            Scored {
                actual: &[4.0, 5.0],
                forecast: &[1.0, 5.0],
                scale: 2.0,
            },
        ];
        let e = Errors::of(&windows).unwrap();
        assert!(close(e.mae, 6.0 / 4.0, 1e-12));
        assert!(close(e.rmse, (14.0f64 / 4.0).sqrt(), 1e-12));
        assert!(close(e.mase, (3.0 / scale + 3.0 / 2.0) / 4.0, 1e-12));
        assert_eq!(window_mae(&windows), vec![1.5, 1.5]);
        assert_eq!(Errors::of(&[]), None);
    }

    #[test]
    fn the_model_over_the_naive_forecast_is_a_ratio_of_maes() {
        // A test part 10, 11, 13 after a history ending at 9, horizon 3:
        // naive errors 1, 2, 4; a model off by 0.5 everywhere beats it.
        let actual = [10.0, 11.0, 13.0];
        let naive_forecast = [9.0; 3];
        let model = [10.5, 10.5, 12.5];
        let score = |forecast: &[f64]| {
            Errors::of(&[Scored {
                actual: &actual,
                forecast,
                scale: 1.0,
            }])
            .unwrap()
            .mae
        };
        assert!(close(
            score(&model) / score(&naive_forecast),
            0.5 / (7.0 / 3.0),
            1e-12
        ));
    }

    /// The published example of the `dieboldmariano` Python package's README
    /// (squared loss, h = 1, Harvey's correction): statistic −2.2229922805746782,
    /// one-sided p 0.04515565862099125, so two-sided 0.0903113.
    #[test]
    fn diebold_mariano_matches_a_published_example() {
        let actual = [10.0, 20.0, 30.0, 40.0, 50.0];
        let f = [11.0, 21.0, 29.0, 42.0, 53.0];
        let g = [13.0, 26.0, 24.0, 40.0, 59.0];
        let sq = |p: &[f64]| -> Vec<f64> {
            actual
                .iter()
                .zip(p)
                .map(|(a, x)| (a - x) * (a - x))
                .collect()
        };
        let dm = diebold_mariano(&sq(&f), &sq(&g), 1).unwrap();
        assert!(close(dm.statistic, -2.2229922805746782, 1e-9), "{dm:?}");
        assert!(close(dm.p_value, 2.0 * 0.04515565862099125, 1e-6), "{dm:?}");
        assert_eq!(dm.n, 5);
    }

    /// The package's second test: absolute loss, h = 3, 15 forecasts against
    /// zeros; statistic 1.2109 and one-sided ("less") p 0.877.
    #[test]
    fn diebold_mariano_with_a_longer_horizon_matches_the_reference() {
        let p1 = [
            0.3675225224615024,
            0.5450608127223211,
            0.22044990720021074,
            0.8688743471040006,
            0.6072512228948467,
            0.8582283746501538,
            0.41662295816718187,
            0.3812100211114714,
            0.7185133356116706,
            0.30827323290318875,
            0.4297093624074402,
            0.8615974488577858,
            0.7240514514808826,
            0.3450839595261038,
            0.19675301374013598,
        ];
        let p2 = [
            0.12794132529988733,
            0.3679643204341153,
            0.768715420996091,
            0.09972248964114683,
            0.27197653636654284,
            0.28797629010039505,
            0.9160213458582482,
            0.6112628048698798,
            0.5452873235576241,
            0.06785907231746158,
            0.6072666485541124,
            0.6241575753989782,
            0.39998026828867217,
            0.19895665605941748,
            0.8094941215215619,
        ];
        let dm = diebold_mariano(&p1, &p2, 3).unwrap();
        assert!(close(dm.statistic, 1.2109, 1e-4), "{dm:?}");
        // One-sided 0.877 is 1 − p/2 for a positive statistic.
        assert!(close(1.0 - dm.p_value / 2.0, 0.877, 1e-3), "{dm:?}");
    }

    #[test]
    fn diebold_mariano_refuses_what_it_cannot_test() {
        assert_eq!(diebold_mariano(&[1.0, 2.0], &[1.0, 2.0], 1), None);
        assert_eq!(diebold_mariano(&[1.0, 2.0, 3.0], &[0.0, 1.0, 2.0], 1), None);
        assert_eq!(diebold_mariano(&[1.0, 2.0, 3.0], &[1.0, 2.0], 1), None);
        assert_eq!(diebold_mariano(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0], 3), None);
    }
}
