//! A swept option as the sweep charts place it: numeric values on a numeric
//! x scale (logarithmic for sizes), anything else as evenly spaced
//! categories.
//!
//! Reads the typed grid values (`AxisValue::{Int, Float, Bool, Choice}`)
//! and each option's declared scale (`Axis::is_size`).

use serde::Serialize;

use crate::config::Axis;

/// How the values of a swept option are laid out on x.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum XScale {
    /// Evenly spaced, in the order given (choices, booleans, mixed values).
    Categorical,
    /// At their numeric value.
    Linear,
    /// At their numeric value, on a log scale (sizes: hidden, embed, …).
    Log,
}

/// Where each value of an axis goes on x.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AxisLayout {
    /// The scale.
    pub scale: XScale,
    /// Per value, in the axis's order: its label.
    pub labels: Vec<String>,
    /// Per value: its x (its number, or its index for categories).
    pub xs: Vec<f64>,
}

impl AxisLayout {
    /// The layout of `axis`: numeric when every value is a finite number
    /// (log when the option is a size and every value is positive), else
    /// categorical.
    pub fn of(axis: &Axis) -> AxisLayout {
        let labels = axis.labels();
        // Numbers only: booleans and choices are `None`.
        let numbers: Option<Vec<f64>> = axis
            .values
            .iter()
            .map(|v| v.as_f64().filter(|x| x.is_finite()))
            .collect();
        match numbers {
            Some(xs) if !xs.is_empty() => {
                let scale = if axis.is_size() && xs.iter().all(|&x| x > 0.0) {
                    XScale::Log
                } else {
                    XScale::Linear
                };
                AxisLayout { scale, labels, xs }
            }
            _ => AxisLayout {
                scale: XScale::Categorical,
                xs: (0..labels.len()).map(|i| i as f64).collect(),
                labels,
            },
        }
    }

    /// The index of the value labelled `label`.
    pub fn index_of(&self, label: &str) -> Option<usize> {
        self.labels.iter().position(|l| l == label)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::AxisValue;
    use crate::config::GRID_OPTIONS;

    fn axis(key: &str, values: &[&str]) -> Axis {
        let spec = GRID_OPTIONS.iter().find(|o| o.key == key).unwrap();
        let value = |v: &&str| AxisValue::from_label(v);
        Axis {
            key: key.into(),
            flag: spec.flag.into(),
            values: values.iter().map(value).collect(),
            scale: spec.scale,
        }
    }

    #[test]
    fn sizes_go_on_a_log_scale_numbers_on_a_linear_one_choices_evenly() {
        let hidden = AxisLayout::of(&axis("hidden", &["64", "128", "512"]));
        assert_eq!(hidden.scale, XScale::Log);
        assert_eq!(hidden.xs, [64.0, 128.0, 512.0]);
        let lr = AxisLayout::of(&axis("lr", &["0.001", "0.004"]));
        assert_eq!((lr.scale, lr.xs[1]), (XScale::Log, 0.004));
        let dropout = AxisLayout::of(&axis("dropout", &["0", "0.3"]));
        assert_eq!((dropout.scale, dropout.xs[1]), (XScale::Linear, 0.3));
        let keep = AxisLayout::of(&axis("keep", &["first", "last"]));
        assert_eq!(
            (keep.scale, keep.xs.clone()),
            (XScale::Categorical, vec![0.0, 1.0])
        );
        let bidi = AxisLayout::of(&axis("bidirectional", &["false", "true"]));
        assert_eq!(bidi.scale, XScale::Categorical);
        assert_eq!(bidi.index_of("true"), Some(1));
    }
}
