use std::path::PathBuf;

use super::fill::fill_linear;
use super::scale::{Scaler, Scaling};
use super::window::{Part, Parts, windows};
use super::*;

fn spec(lookback: usize, horizon: usize) -> ForecastSpec {
    ForecastSpec {
        lookback,
        horizon,
        val_fraction: 0.2,
        test_fraction: 0.2,
        fill: Fill::Linear,
        scaling: Scaling::Relative,
        season: None,
    }
}

fn columns(target: &str) -> ForecastColumns {
    ForecastColumns {
        target: target.into(),
        ..ForecastColumns::default()
    }
}

fn file(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("series.csv");
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

/// A CSV `t,y` of `values` at times 1, 2, ….
fn csv(values: &[f64]) -> String {
    let mut text = String::from("t,y\n");
    for (t, v) in values.iter().enumerate() {
        text.push_str(&format!("{},{v}\n", t + 1));
    }
    text
}

fn prepared(values: &[f64], spec: &ForecastSpec) -> Result<crate::data::Prepared> {
    let (_dir, path) = file(&csv(values));
    let mut c = columns("y");
    c.time = Some("t".into());
    prepare(&path, read(&path, &c)?, spec)
}

fn error_of(result: Result<crate::data::Prepared>) -> String {
    result.unwrap_err().to_string()
}

#[test]
fn parts_split_in_time_order() {
    let p = Parts::of(100, 0.1, 0.2);
    assert_eq!((p.train_end, p.val_end, p.len), (70, 80, 100));
    assert_eq!(p.range(Part::Val), 70..80);
    assert_eq!(p.range(Part::Test), 80..100);
}

#[test]
fn no_window_reaches_past_its_part() {
    let parts = [Parts::of(100, 0.1, 0.2), Parts::of(50, 0.1, 0.2)];
    let (lookback, horizon) = (8, 3);
    for part in Part::ALL {
        let cut = windows(&parts, part, lookback, horizon);
        assert!(!cut.is_empty());
        for w in &cut {
            let range = parts[w.series].range(part);
            assert!(range.contains(&w.start), "{part:?} {w:?}");
            assert!(w.start + horizon <= range.end, "{part:?} {w:?}");
            assert!(w.start >= lookback, "{part:?} {w:?}");
        }
    }
    // Series 0's training part is steps 0..70: windows start at 8..=67.
    let train = windows(&parts, Part::Train, lookback, horizon);
    assert_eq!(train.iter().filter(|w| w.series == 0).count(), 60);
    assert_eq!(train[59].start, 67);
    // Its validation part 70..80 with horizon 3: starts 70..=77, inputs
    // looking back into the training part.
    let val = windows(&parts, Part::Val, lookback, horizon);
    assert_eq!(val.iter().filter(|w| w.series == 0).count(), 8);
}

#[test]
fn relative_scaling_by_hand() {
    // Training changes 1, 2, 3, 4: mean 2.5, population sd sqrt(1.25).
    let training = vec![vec![vec![0.0, 1.0, 3.0, 6.0, 10.0]]];
    let s = Scaler::fit(Scaling::Relative, &training).unwrap();
    let sd = 1.25f64.sqrt();
    assert!((s.spread[0] - sd).abs() < 1e-12);
    // A window whose last value is 10: 13 scales to 3 / sd and back.
    assert!((s.forward(0, 10.0, 13.0) - 3.0 / sd).abs() < 1e-12);
    assert!((s.inverse(0, 10.0, 3.0 / sd) - 13.0).abs() < 1e-12);
    assert_eq!(s.forward(0, 10.0, 10.0), 0.0);
}

#[test]
fn global_scaling_by_hand() {
    // Values 2, 4, 4, 4, 5, 5, 7, 9: mean 5, population sd 2.
    let training = vec![
        vec![vec![2.0, 4.0, 4.0, 4.0], vec![1.0, 2.0]],
        vec![vec![5.0, 5.0, 7.0, 9.0], vec![3.0, 5.0]],
    ];
    let s = Scaler::fit(Scaling::Global, &training).unwrap();
    assert_eq!((s.centre[0], s.spread[0]), (5.0, 2.0));
    // The second channel: 1, 2, 3, 5 → mean 2.75.
    assert_eq!(s.centre[1], 2.75);
    // The last value plays no part.
    assert_eq!(s.forward(0, 123.0, 9.0), 2.0);
    assert_eq!(s.inverse(0, -1.0, -1.5), 2.0);
    // A constant channel cannot be scaled.
    let constant = vec![vec![vec![3.0, 3.0, 3.0]]];
    assert_eq!(Scaler::fit(Scaling::Global, &constant), Err(0));
    assert_eq!(Scaler::fit(Scaling::Relative, &constant), Err(0));
}

#[test]
fn linear_fill_by_hand() {
    let mut v = [f64::NAN, 1.0, f64::NAN, f64::NAN, 4.0, f64::NAN];
    assert_eq!(fill_linear(&mut v), Some(4));
    assert_eq!(v, [1.0, 1.0, 2.0, 3.0, 4.0, 4.0]);
    let mut none = [f64::NAN, f64::NAN];
    assert_eq!(fill_linear(&mut none), None);
    let mut full = [1.0, 2.0];
    assert_eq!(fill_linear(&mut full), Some(0));
}

#[test]
fn gaps_are_filled_and_counted_or_refused_by_line() {
    let text = "t,y\n1,1\n2,\n3,NA\n4,4\n5,5\n";
    let (_dir, path) = file(text);
    let mut table = read(&path, &columns("y")).unwrap();
    assert_eq!(
        fill::fill(&path, &mut table.clone(), Fill::Linear).unwrap(),
        2
    );
    fill::fill(&path, &mut table, Fill::Linear).unwrap();
    assert_eq!(table.series[0].values, [1.0, 2.0, 3.0, 4.0, 5.0]);
    let mut table = read(&path, &columns("y")).unwrap();
    let e = fill::fill(&path, &mut table, Fill::None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("series.csv:3:"), "{e}");
    assert!(e.contains("column `y` has no value here"), "{e}");
}

#[test]
fn a_file_is_read_in_time_order_by_series_with_covariates() {
    let text = "store,day,sales,promo\n\
                b,2024-01-02,20,1\n\
                a,2024-01-03,3,0\n\
                a,2024-01-01,1,1\n\
                b,2024-01-01,10,0\n\
                a,2024-01-02,2,0\n";
    let (_dir, path) = file(text);
    let c = ForecastColumns {
        target: "sales".into(),
        time: Some("day".into()),
        covariates: vec!["promo".into()],
        series: Some("store".into()),
    };
    let table = read(&path, &c).unwrap();
    assert_eq!(table.channels, ["sales", "promo"]);
    assert_eq!(table.series[0].name, "b");
    assert_eq!(table.series[0].values, [10.0, 0.0, 20.0, 1.0]);
    assert_eq!(table.series[1].values, [1.0, 1.0, 2.0, 0.0, 3.0, 0.0]);
    assert_eq!(table.series[1].lines, [4, 6, 3]);
    assert_eq!(table.series[1].channel(0, 2), [1.0, 2.0, 3.0]);
}

#[test]
fn bad_cells_and_times_are_refused_in_one_line() {
    let refused = |text: &str, c: &ForecastColumns, want: &str| {
        let (_dir, path) = file(text);
        let e = read(&path, c).unwrap_err().to_string();
        assert!(e.contains(want), "{e}");
        assert!(!e.contains('\n'), "{e}");
    };
    let mut timed = columns("y");
    timed.time = Some("t".into());
    refused("t,y\n1,1\n2,abc\n", &timed, "series.csv:3:2:");
    refused("t,y\n1,1\n2,abc\n", &timed, "`abc` is not a number");
    refused("t,y\n1,1\n1,2\n", &timed, "two rows at time `1`");
    refused("t,y\n1,1\n", &columns("z"), "z");
    let mut both = columns("y");
    both.covariates = vec!["y".into()];
    refused("t,y\n1,1\n", &both, "is the target");
}

#[test]
fn windows_hold_scaled_inputs_and_targets_and_their_scores() {
    // 0, 1, 3, 6, …: steps of 1, 2, 3, … (triangular numbers), 20 steps.
    let values: Vec<f64> = (0..20).map(|t| f64::from(t * (t + 1) / 2)).collect();
    let p = prepared(&values, &spec(4, 2)).unwrap();
    let data = p.forecast.as_ref().unwrap();
    assert_eq!(p.classes, ["t+1", "t+2"]);
    // Parts 0..12, 12..16, 16..20.
    assert_eq!(data.parts[0], Parts::of(20, 0.2, 0.2));
    assert_eq!(data.parts[0].train_end, 12);
    let test = &data.test;
    assert_eq!(p.test.len(), 3);
    assert_eq!(test.windows[0].start, 16);
    // Window 0 forecasts steps 16, 17 from 12..16; last value 120.
    assert_eq!(test.last[0], 120.0);
    assert_eq!(&test.actual[..2], &[136.0, 153.0]);
    assert_eq!(&test.naive[..2], &[120.0, 120.0]);
    // The last input is 0 after relative scaling; targets come back.
    let inputs = p.test.series(0);
    assert_eq!(inputs.len(), 4);
    assert_eq!(inputs[3], 0.0);
    let back = data.unscale(test, 0, p.test.targets_of(0));
    assert!((back[0] - 136.0).abs() < 1e-3 && (back[1] - 153.0).abs() < 1e-3);
    // MASE scale: the training part's mean step, (1 + … + 11) / 11 = 6.
    assert_eq!(test.mase_scale[0], 6.0);
    // A batch carries the targets.
    let batch = p.test.batch(&[1, 2]);
    assert_eq!(batch.targets.len(), 4);
    assert_eq!(batch.horizon, 2);
    assert!(batch.labels.is_empty());
}

#[test]
fn the_seasonal_naive_forecast_repeats_the_last_season() {
    let values: Vec<f64> = (0..40)
        .map(|t| f64::from(t % 4) + f64::from(t) * 0.5)
        .collect();
    let mut s = spec(8, 2);
    s.season = Some(4);
    let p = prepared(&values, &s).unwrap();
    let data = p.forecast.unwrap();
    let w = data.test.windows[0];
    assert_eq!(
        &data.test.seasonal[..2],
        &[values[w.start - 4], values[w.start - 3]]
    );
    assert!(data.train.seasonal.is_empty());
    s.season = Some(40);
    let e = error_of(prepared(&values, &s));
    assert!(e.contains("--season 40 is longer than the history"), "{e}");
}

#[test]
fn what_cannot_be_forecast_is_refused_in_one_line() {
    let values: Vec<f64> = (0..20).map(|t| f64::from(t * t)).collect();
    let e = error_of(prepared(&values, &spec(4, 5)));
    assert!(
        e.contains("--horizon 5 is longer than the validation part"),
        "{e}"
    );
    let e = error_of(prepared(&values, &spec(30, 1)));
    assert!(e.contains("--lookback 30 leaves no training window"), "{e}");
    let e = error_of(prepared(&[3.0; 20], &spec(4, 1)));
    assert!(e.contains("column `y` changes by the same amount"), "{e}");
    let mut global = spec(4, 1);
    global.scaling = Scaling::Global;
    let e = error_of(prepared(&[3.0; 20], &global));
    assert!(e.contains("column `y` does not change"), "{e}");
    for e in [
        error_of(prepared(&values, &spec(4, 5))),
        error_of(prepared(&[3.0; 20], &spec(4, 1))),
    ] {
        assert!(e.contains("series.csv") && !e.contains('\n'), "{e}");
    }
}

#[test]
fn nothing_of_the_test_part_reaches_the_scaling() {
    // The same training part, a wild test part: the same scaler.
    let mut a: Vec<f64> = (0..20).map(|t| f64::from(t % 5)).collect();
    let scaler = |a: &[f64]| prepared(a, &spec(3, 1)).unwrap().forecast.unwrap().scaler;
    let b = scaler(&a);
    for v in &mut a[16..] {
        *v *= 1000.0;
    }
    assert_eq!(scaler(&a), b);
}
