//! The one verdict vocabulary: how the report says a comparison, on the
//! page, in the terminal, in the README block, in the sweep and in the
//! claims. A [`Comparison`] (judged by the one rule of
//! [`super::view::verdict`]) is said as one of
//! - *decided*: `GRU faster: LSTM takes 1.44× as long [1.23, 1.68]`;
//! - *no difference*: tested, and the interval is already as narrow as useful;
//! - *undecided*: `LSTM − GRU = −1.83 points [−8.33, +4.68]`, with what would
//!   decide it where that is known;
//! - *too few seeds*: `too few seeds (2; an interval needs 3)`.
//!
//! One notation for an interval, `[lo, hi]` (a 95% CI: the tables' headers
//! and the first screen say so once), and one rounding rule per kind of
//! number ([`value`]): a difference of fractions in percentage points with
//! two decimals and its sign, a ratio with two decimals and `×`.
//!
//! Plain text; the HTML layer escapes it.

use serde::Serialize;

use super::view::verdict::{Comparison, Contrast, MIN_SEEDS_FOR_TEST, Verdict};

/// What a comparison says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Said {
    /// A winner, by the one rule.
    Decided,
    /// No difference, with an interval already as narrow as useful.
    NoDifference,
    /// No difference yet, with an interval wider than useful.
    Undecided,
    /// Fewer than [`MIN_SEEDS_FOR_TEST`] paired seeds: no interval, no test.
    TooFewSeeds,
    /// This run did not measure it.
    NotMeasured,
}

impl Said {
    /// Whether more seeds would help: undecided, or too few seeds.
    pub fn wants_seeds(self) -> bool {
        matches!(self, Said::Undecided | Said::TooFewSeeds)
    }
}

use crate::analysis::metrics::Better;

/// `1 seed`, `3 seeds`.
pub fn seeds(n: usize) -> String {
    count(n, "seed")
}

/// `n` of `thing`, plural unless one: `1 run`, `3 epochs`.
pub fn count(n: usize, thing: &str) -> String {
    match n {
        1 => format!("1 {thing}"),
        n => format!("{n} {thing}s"),
    }
}

/// `items` each written by `f`, joined by `sep`.
pub fn list<T>(
    items: impl IntoIterator<Item = T>,
    sep: &str,
    f: impl FnMut(T) -> String,
) -> String {
    items.into_iter().map(f).collect::<Vec<_>>().join(sep)
}

/// The one wording for "too few seeds": `too few seeds (2; an interval needs 3)`.
pub fn too_few_seeds(n: usize) -> String {
    format!("too few seeds ({n}; an interval needs {MIN_SEEDS_FOR_TEST})")
}

/// [`too_few_seeds`] for a table's cell: `too few seeds (2)`.
pub fn too_few_seeds_short(n: usize) -> String {
    format!("too few seeds ({n})")
}

/// A contrast's number by the one rounding rule: a difference of fractions
/// as signed percentage points (`+1.83 points`), a ratio as `1.10×`.
pub fn value(x: f64, contrast: Contrast) -> String {
    match contrast {
        Contrast::Difference => format!("{:+.2} points", x * 100.0),
        Contrast::Ratio => format!("{x:.2}×"),
    }
}

/// A contrast's interval in the one notation: `[-8.33, +4.68]` (points),
/// `[1.01, 1.19]` (a ratio).
pub fn interval((lo, hi): (f64, f64), contrast: Contrast) -> String {
    match contrast {
        Contrast::Difference => format!("[{:+.2}, {:+.2}]", lo * 100.0, hi * 100.0),
        Contrast::Ratio => format!("[{lo:.2}, {hi:.2}]"),
    }
}

/// A plain number's interval in the one notation, each end written by `f`:
/// `[76.40, 81.82]`.
pub fn span((lo, hi): (f64, f64), f: impl Fn(f64) -> String) -> String {
    format!("[{}, {}]", f(lo), f(hi))
}

/// `c`'s estimate with its interval (`1.10× [1.01, 1.19]`), or with too few
/// seeds the estimate and [`too_few_seeds`].
pub fn estimate(c: &Comparison) -> String {
    estimate_or(c, too_few_seeds)
}

/// [`estimate`] for a table's cell: `-2.08 points, too few seeds (1)`.
pub fn estimate_cell(c: &Comparison) -> String {
    estimate_or(c, too_few_seeds_short)
}

fn estimate_or(c: &Comparison, few: fn(usize) -> String) -> String {
    let v = value(c.estimate, c.contrast);
    match c.shown_ci() {
        Some(ci) => format!("{v} {}", interval(ci, c.contrast)),
        None => format!("{v}, {}", few(c.n)),
    }
}

/// `c` turned to face its winner: whether the first model (`a`) won, the
/// margin by which (winner − loser in points, or loser / winner as a
/// ratio ≥ 1) and its interval. `None` unless decided.
pub fn margin(c: &Comparison, better: Better) -> Option<(bool, f64, (f64, f64))> {
    let first_larger = match c.verdict {
        Verdict::FirstLarger => true,
        Verdict::SecondLarger => false,
        _ => return None,
    };
    let facing = if first_larger { *c } else { c.flipped() };
    let ci = facing.shown_ci()?;
    Some((
        first_larger == (better == Better::Higher),
        facing.estimate,
        ci,
    ))
}

/// The words of a decided comparison for one kind of quantity: what the
/// winner is (`faster`), and for a ratio what the loser does (`takes`, `as
/// long`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Words {
    /// Higher or lower is better.
    pub better: Better,
    /// `more accurate`, `faster`, `uses less`, `more accurate`.
    pub winner: &'static str,
    /// `takes`, `uses` (ratios only).
    pub verb: &'static str,
    /// `as long`, `as much` (ratios only).
    pub much: &'static str,
}

impl Words {
    const fn new(
        better: Better,
        winner: &'static str,
        verb: &'static str,
        much: &'static str,
    ) -> Self {
        Words {
            better,
            winner,
            verb,
            much,
        }
    }
    /// Accuracy (a difference; higher is better).
    pub const ACCURACY: Words = Words::new(Better::Higher, "more accurate", "", "");
    /// A time (a ratio; lower is better).
    pub const TIME: Words = Words::new(Better::Lower, "faster", "takes", "as long");
    /// A forecast's error (a ratio of MAEs; lower is better).
    pub const ERROR: Words = Words::new(Better::Lower, "forecasts better", "errs", "as much");
    /// A memory (a ratio; lower is better).
    pub const MEMORY: Words = Words::new(Better::Lower, "uses less", "uses", "as much");
}

/// A decided comparison of `a` and `b` in words: `GRU more accurate than
/// LSTM by 2.73 points [1.60, 3.86]`, `GRU faster: LSTM takes 1.44× as long
/// [1.23, 1.68]`. `None` unless decided.
pub fn decided(c: &Comparison, (a, b): (&str, &str), words: Words) -> Option<String> {
    let (first_wins, m, ci) = margin(c, words.better)?;
    let (win, lose) = if first_wins { (a, b) } else { (b, a) };
    Some(match c.contrast {
        Contrast::Difference => format!(
            "{win} {} than {lose} by {:.2} points {}",
            words.winner,
            m * 100.0,
            interval(ci, Contrast::Difference).replace('+', "")
        ),
        Contrast::Ratio => format!(
            "{win} {}: {lose} {} {m:.2}× {} {}",
            words.winner,
            words.verb,
            words.much,
            interval(ci, Contrast::Ratio)
        ),
    })
}

/// What `c` says of `a` against `b`, with its text: decided (the winner,
/// [`decided`]); too few seeds; else `a − b = …` or `a / b = …` with its
/// interval, called no difference when `narrow` (the interval is already as
/// narrow as useful), undecided otherwise.
pub fn say(c: &Comparison, (a, b): (&str, &str), words: Words, narrow: bool) -> (Said, String) {
    if let Some(text) = decided(c, (a, b), words) {
        return (Said::Decided, text);
    }
    if c.shown_ci().is_none() {
        return (Said::TooFewSeeds, too_few_seeds(c.n));
    }
    let op = match c.contrast {
        Contrast::Difference => '−',
        Contrast::Ratio => '/',
    };
    let text = format!("{a} {op} {b} = {}", estimate(c));
    if narrow {
        (Said::NoDifference, format!("no difference found: {text}"))
    } else {
        (Said::Undecided, format!("undecided: {text}"))
    }
}

/// A claim's or a line's verdict word: `decided`, `no difference`,
/// `undecided`, `too few seeds`.
pub fn word(s: Said) -> &'static str {
    match s {
        Said::Decided => "decided",
        Said::NoDifference => "no difference",
        Said::Undecided => "undecided",
        Said::TooFewSeeds => "too few seeds",
        Said::NotMeasured => "not measured",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::stats::{paired_difference, paired_ratio};

    fn ratio(a: &[f64], b: &[f64]) -> Comparison {
        Comparison::of_ratio(&paired_ratio(a, b).unwrap())
    }

    #[test]
    fn a_decided_ratio_faces_its_winner_with_the_interval_inverted() {
        // a takes about 1.44× b's time: b is faster.
        let c = ratio(&[1.44, 1.46, 1.42, 1.45], &[1.0, 1.0, 1.0, 1.0]);
        let text = decided(&c, ("LSTM", "GRU"), Words::TIME).unwrap();
        assert!(
            text.starts_with("GRU faster: LSTM takes 1.44× as long ["),
            "{text}"
        );
        // b takes about 1/1.44 of a's: a is faster, the ratio inverted.
        let c = ratio(&[1.0, 1.0, 1.0, 1.0], &[1.44, 1.46, 1.42, 1.45]);
        let text = decided(&c, ("LSTM", "GRU"), Words::TIME).unwrap();
        assert!(
            text.starts_with("LSTM faster: GRU takes 1.44× as long ["),
            "{text}"
        );
        let (lo, hi) = margin(&c, Better::Lower).unwrap().2;
        assert!(lo > 1.0 && hi > lo, "{lo} {hi}");
    }

    #[test]
    fn a_decided_difference_is_the_winner_s_lead_in_points() {
        let acc = |xs: &[f64]| xs.to_vec();
        let d = paired_difference(
            &acc(&[0.80, 0.81, 0.79, 0.80]),
            &acc(&[0.83, 0.84, 0.82, 0.83]),
        );
        let c = Comparison::of_difference(&d.unwrap());
        let text = decided(&c, ("LSTM", "GRU"), Words::ACCURACY).unwrap();
        assert!(
            text.starts_with("GRU more accurate than LSTM by 3.00 points ["),
            "{text}"
        );
        assert!(!text.contains('-') && !text.contains('+'), "{text}");
    }

    #[test]
    fn too_few_seeds_is_said_one_way() {
        let c = ratio(&[1.2, 1.3], &[1.0, 1.0]);
        let (said, text) = say(&c, ("LSTM", "GRU"), Words::TIME, false);
        assert_eq!(said, Said::TooFewSeeds);
        assert_eq!(text, "too few seeds (2; an interval needs 3)");
        assert_eq!(
            estimate(&c),
            "1.25×, too few seeds (2; an interval needs 3)"
        );
    }

    #[test]
    fn undecided_and_no_difference_print_the_estimate_in_the_one_notation() {
        let c = ratio(&[1.1, 0.9, 1.3, 0.8], &[1.0, 1.0, 1.0, 1.0]);
        let (said, text) = say(&c, ("LSTM", "GRU"), Words::TIME, false);
        assert_eq!(said, Said::Undecided);
        assert!(
            text.starts_with("undecided: LSTM / GRU = 1.01× ["),
            "{text}"
        );
        let (said, text) = say(&c, ("LSTM", "GRU"), Words::TIME, true);
        assert_eq!(said, Said::NoDifference);
        assert!(
            text.starts_with("no difference found: LSTM / GRU"),
            "{text}"
        );
        assert_eq!(
            interval((-0.0833, 0.0468), Contrast::Difference),
            "[-8.33, +4.68]"
        );
        assert_eq!(interval((1.014, 1.187), Contrast::Ratio), "[1.01, 1.19]");
    }
}
