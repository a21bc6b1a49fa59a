//! The forecasts that need no model, and the scale MASE divides by.

/// The naive (last-value) forecast: the last observed value repeated for
/// each of `horizon` steps.
pub fn naive(history: &[f64], horizon: usize) -> Option<Vec<f64>> {
    history.last().map(|&last| vec![last; horizon])
}

/// The seasonal naive forecast with season `season` steps: step `h`
/// (1-based) repeats the value `season · ⌈h / season⌉` steps before it, the
/// same point of the last season observed. `None` when the history is
/// shorter than one season or the season is 0.
pub fn seasonal_naive(history: &[f64], horizon: usize, season: usize) -> Option<Vec<f64>> {
    if season == 0 || history.len() < season {
        return None;
    }
    let n = history.len();
    Some(
        (1..=horizon)
            .map(|h| history[n + h - season * h.div_ceil(season) - 1])
            .collect(),
    )
}

/// Hyndman's MASE scale: the mean absolute one-step change over the
/// training part, `mean |y_t − y_{t−1}|`. `None` for fewer than two values
/// or a constant part (the scale would be 0).
pub fn mase_scale(training: &[f64]) -> Option<f64> {
    if training.len() < 2 {
        return None;
    }
    let sum: f64 = training.windows(2).map(|w| (w[1] - w[0]).abs()).sum();
    let scale = sum / (training.len() - 1) as f64;
    (scale > 0.0).then_some(scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_naive_forecasts_repeat_the_last_value_and_the_last_season() {
        assert_eq!(naive(&[1.0, 2.0, 5.0], 3), Some(vec![5.0, 5.0, 5.0]));
        assert_eq!(naive(&[], 2), None);
        // Season 4 over [1..=8]: steps 1..4 repeat 5..8, steps 5..6 repeat 5..6 again.
        let history: Vec<f64> = (1..=8).map(f64::from).collect();
        assert_eq!(
            seasonal_naive(&history, 6, 4),
            Some(vec![5.0, 6.0, 7.0, 8.0, 5.0, 6.0])
        );
        assert_eq!(seasonal_naive(&history, 2, 1), Some(vec![8.0, 8.0]));
        assert_eq!(seasonal_naive(&history[..3], 2, 4), None);
        assert_eq!(seasonal_naive(&history, 2, 0), None);
    }

    #[test]
    fn the_mase_scale_is_the_training_parts_mean_step() {
        // Training part 1, 3, 2, 6: changes 2, 1, 4 → scale 7/3.
        let scale = mase_scale(&[1.0, 3.0, 2.0, 6.0]).unwrap();
        assert!((scale - 7.0 / 3.0).abs() < 1e-12);
        assert_eq!(mase_scale(&[2.0, 2.0, 2.0]), None);
        assert_eq!(mase_scale(&[2.0]), None);
    }
}
