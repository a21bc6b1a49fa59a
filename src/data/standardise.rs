//! Numeric series from a [`Corpus`] to encoded splits: the validation split
//! (stratified by class, seeded, as for text), each channel standardised
//! with the mean and standard deviation of the **training portion only**
//! (the validation and test splits never inform the scale), missing values
//! filled with their channel's training mean (0 after standardising), and
//! the first or last `max_len` steps of a longer series kept (`--keep`).

use serde::{Deserialize, Serialize};

use super::batches::Encoded;
use super::series::SeriesFiles;

/// One channel's scale, fitted on the training portion.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ChannelScale {
    /// Mean of the channel's observed training values.
    pub mean: f64,
    /// Their standard deviation (population); 1 when it is 0 or there is
    /// no observed value, so a constant channel becomes 0, not NaN.
    pub std: f64,
}

/// Fits one [`ChannelScale`] per channel on the series `train` (values
/// step-major with `channels` per step), ignoring missing values (NaN).
pub fn fit(train: &[&[f32]], channels: usize) -> Vec<ChannelScale> {
    let mut n = vec![0u64; channels];
    let mut sum = vec![0f64; channels];
    let mut sum_sq = vec![0f64; channels];
    for series in train {
        for (k, &v) in series.iter().enumerate() {
            if v.is_nan() {
                continue;
            }
            let c = k % channels;
            n[c] += 1;
            sum[c] += f64::from(v);
        }
    }
    let mean: Vec<f64> = (0..channels)
        .map(|c| if n[c] == 0 { 0.0 } else { sum[c] / n[c] as f64 })
        .collect();
    for series in train {
        for (k, &v) in series.iter().enumerate() {
            if !v.is_nan() {
                let c = k % channels;
                sum_sq[c] += (f64::from(v) - mean[c]).powi(2);
            }
        }
    }
    (0..channels)
        .map(|c| {
            let std = if n[c] == 0 {
                0.0
            } else {
                (sum_sq[c] / n[c] as f64).sqrt()
            };
            ChannelScale {
                mean: mean[c],
                std: if std > 0.0 && std.is_finite() {
                    std
                } else {
                    1.0
                },
            }
        })
        .collect()
}

/// The series `indices` of one split, standardised with `scales`, missing
/// values filled with 0 (the training mean), cut to their first or last
/// `max_len` steps, with their class indices; also the count of filled
/// values.
pub fn encode(
    values: &[Vec<f32>],
    indices: &[usize],
    labels: &dyn Fn(usize) -> usize,
    scales: &[ChannelScale],
    max_len: usize,
    keep_last: bool,
) -> (Encoded, usize) {
    let channels = scales.len();
    let mut out = Encoded {
        offsets: vec![0],
        channels,
        ..Encoded::default()
    };
    let mut filled = 0;
    for &i in indices {
        let series = &values[i];
        let steps = series.len() / channels;
        let kept = steps.min(max_len);
        let first = if keep_last { steps - kept } else { 0 };
        for (k, &v) in series[first * channels..(first + kept) * channels]
            .iter()
            .enumerate()
        {
            let scale = scales[k % channels];
            if v.is_nan() {
                filled += 1;
                out.values.push(0.0);
            } else {
                out.values
                    .push(((f64::from(v) - scale.mean) / scale.std) as f32);
            }
        }
        out.offsets.push(out.offsets[out.offsets.len() - 1] + kept);
        out.labels.push(labels(i) as i64);
    }
    (out, filled)
}

/// The channel count of `files` (at least 1).
pub fn channel_count(files: &SeriesFiles) -> usize {
    files.channels.len().max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scale_comes_from_the_training_series_only_and_ignores_missing_values() {
        // Two channels: (1, 10), (3, NaN), (2, 30) → means 2 and 20.
        let train = [vec![1.0f32, 10.0, 3.0, f32::NAN], vec![2.0, 30.0]];
        let refs: Vec<&[f32]> = train.iter().map(Vec::as_slice).collect();
        let s = fit(&refs, 2);
        assert!((s[0].mean - 2.0).abs() < 1e-12 && (s[1].mean - 20.0).abs() < 1e-12);
        assert!((s[0].std - (2.0f64 / 3.0).sqrt()).abs() < 1e-12);
        assert!((s[1].std - 10.0).abs() < 1e-12);
        // A test series far from the training scale is scaled by it, not
        // by itself; the missing value becomes 0 and is counted.
        let test = vec![vec![102.0f32, f32::NAN]];
        let (e, filled) = encode(&test, &[0], &|_| 1, &s, 10, false);
        assert_eq!(filled, 1);
        assert_eq!(
            (e.channels, e.lengths(), e.labels.clone()),
            (2, vec![1], vec![1])
        );
        assert!((e.values[0] - (100.0 / (2.0f64 / 3.0).sqrt()) as f32).abs() < 1e-3);
        assert_eq!(e.values[1], 0.0);
    }

    #[test]
    fn a_constant_channel_becomes_zero_and_long_series_keep_their_first_or_last_steps() {
        let train = [vec![5.0f32, 1.0, 5.0, 2.0, 5.0, 3.0]];
        let refs: Vec<&[f32]> = train.iter().map(Vec::as_slice).collect();
        let s = fit(&refs, 2);
        assert_eq!((s[0].mean, s[0].std), (5.0, 1.0));
        let (first, _) = encode(&train, &[0], &|_| 0, &s, 2, false);
        let (last, _) = encode(&train, &[0], &|_| 0, &s, 2, true);
        assert_eq!(first.lengths(), [2]);
        assert_eq!(first.values[0], 0.0);
        assert!(first.values[1] < 0.0 && last.values[3] > 0.0);
        assert_eq!(first.series(0).len(), 4);
    }
}
