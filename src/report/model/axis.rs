//! A swept option as the sweep charts place it: numeric values on a numeric
//! x scale (logarithmic for sizes), anything else as evenly spaced
//! categories.
//!
//! Written against typed grid values (`AxisValue::{Int, Float, Bool,
//! Choice}` with `label()` and `as_f64()`, and `Axis::is_size()`). Until
//! `config::Axis` carries them, the three functions at the bottom
//! ([`value_label`], [`value_number`], [`axis_is_size`]) read today's string
//! labels; they are the only lines to change when it does.

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
        let labels: Vec<String> = axis.values.iter().map(value_label).collect();
        let numbers: Option<Vec<f64>> = axis.values.iter().map(value_number).collect();
        match numbers {
            Some(xs) if !xs.is_empty() => {
                let scale = if axis_is_size(axis) && xs.iter().all(|&x| x > 0.0) {
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

/// Stand-in for `AxisValue::label`.
#[allow(clippy::ptr_arg)] // takes what the axis holds: `String` today, `AxisValue` next
pub fn value_label(v: &String) -> String {
    v.clone()
}

/// Stand-in for `AxisValue::as_f64` (numbers only; booleans and choices are
/// `None`).
#[allow(clippy::ptr_arg)] // as above
pub fn value_number(v: &String) -> Option<f64> {
    v.parse::<f64>().ok().filter(|x| x.is_finite())
}

/// Stand-in for `Axis::is_size`: the options whose values are sizes.
pub fn axis_is_size(axis: &Axis) -> bool {
    matches!(
        axis.key.as_str(),
        "hidden" | "embed" | "max_len" | "batch_size" | "vocab_size"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn axis(key: &str, values: &[&str]) -> Axis {
        Axis {
            key: key.into(),
            flag: format!("--{}", key.replace('_', "-")),
            values: values.iter().map(|v| v.to_string()).collect(),
        }
    }

    #[test]
    fn sizes_go_on_a_log_scale_numbers_on_a_linear_one_choices_evenly() {
        let hidden = AxisLayout::of(&axis("hidden", &["64", "128", "512"]));
        assert_eq!(hidden.scale, XScale::Log);
        assert_eq!(hidden.xs, [64.0, 128.0, 512.0]);
        let lr = AxisLayout::of(&axis("lr", &["0.001", "0.004"]));
        assert_eq!((lr.scale, lr.xs[1]), (XScale::Linear, 0.004));
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
