//! Whether models compared "at matched parameters" are matched: `--match
//! params` gives each model the size whose parameter count is closest to
//! the first model's, which at extreme settings (`--hidden 1`, a long
//! `--max-len` that grows the Transformer's positions) can still be far
//! off. Then no sentence may call them matched.

use crate::model::Cell;

/// The most two parameter counts may differ, as larger / smaller, and still
/// be called matched: 5%.
pub const MATCHED_WITHIN: f64 = 1.05;

/// Two models' parameter counts that are not matched.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Unmatched {
    /// The model with more parameters, and its count.
    pub larger: (Cell, i64),
    /// The model with fewer, and its count.
    pub smaller: (Cell, i64),
    /// `larger / smaller`.
    pub ratio: f64,
}

/// `None` when `a` and `b` (model, parameters) are within
/// [`MATCHED_WITHIN`] of each other, else how far apart they are.
pub fn unmatched(a: (Cell, i64), b: (Cell, i64)) -> Option<Unmatched> {
    let (larger, smaller) = if a.1 >= b.1 { (a, b) } else { (b, a) };
    let ratio = larger.1 as f64 / smaller.1.max(1) as f64;
    (ratio > MATCHED_WITHIN).then_some(Unmatched {
        larger,
        smaller,
        ratio,
    })
}

/// The pairs of `models` (model, parameters), the first against each
/// other, that are not matched, the farthest first.
pub fn unmatched_against_first(models: &[(Cell, i64)]) -> Vec<Unmatched> {
    let Some(&first) = models.first() else {
        return Vec::new();
    };
    let mut found: Vec<Unmatched> = models[1..]
        .iter()
        .filter_map(|&m| unmatched(first, m))
        .collect();
    found.sort_by(|x, y| y.ratio.total_cmp(&x.ratio));
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn within_five_percent_is_matched_and_beyond_is_not() {
        assert_eq!(
            unmatched((Cell::Lstm, 1_313_410), (Cell::Transformer, 1_313_408)),
            None
        );
        assert_eq!(unmatched((Cell::Lstm, 100), (Cell::Gru, 105)), None);
        let u = unmatched((Cell::Lstm, 75_792), (Cell::Transformer, 125_635)).unwrap();
        assert_eq!(u.larger, (Cell::Transformer, 125_635));
        assert_eq!(u.smaller, (Cell::Lstm, 75_792));
        assert!((u.ratio - 1.6576).abs() < 1e-3, "{}", u.ratio);
        let all = unmatched_against_first(&[
            (Cell::Lstm, 100),
            (Cell::Gru, 101),
            (Cell::Rnn, 120),
            (Cell::Transformer, 300),
        ]);
        let cells: Vec<Cell> = all.iter().map(|u| u.larger.0).collect();
        assert_eq!(cells, [Cell::Transformer, Cell::Rnn]);
    }
}
