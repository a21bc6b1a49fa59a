//! Test examples whose text also occurs in the training split.
//!
//! Byte-identical files are caught by their sha256 ([`super::DatasetIdentity::warnings`]);
//! a test split that is the training split in another order, with other
//! line breaks or in another case is caught here, by comparing the texts
//! themselves after [`normalise`].

use std::collections::HashSet;
use std::hash::{DefaultHasher, Hash, Hasher};

use rayon::prelude::*;

use super::Example;

/// The share of test examples found in the training split from which the
/// overlap is warned about (1%). Below it a repeated text moves the test
/// accuracy by less than a point; real datasets have a few (the bundled
/// imdb-mini repeats 5 of its 2,500 test reviews, 0.2%), and a warning on
/// every default run would teach users to skip warnings.
pub const OVERLAP_WARN_SHARE: f64 = 0.01;

/// `text` as compared between the splits: lower-cased, every run of
/// whitespace one space, none at either end.
pub fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.extend(word.chars().flat_map(char::to_lowercase));
    }
    out
}

/// A 64-bit digest of `example`'s normalised text, `None` for a text that
/// is empty once normalised (an empty review repeated is no leak). Digests,
/// not the texts, are kept: with 64 bits two different texts of a 50,000
/// example dataset collide with a chance of about 1 in 10¹⁰.
fn digest(example: &Example) -> Option<u64> {
    let text = normalise(&example.text);
    if text.is_empty() {
        return None;
    }
    // DefaultHasher::new() has fixed keys: the same digest on every run.
    let mut hasher = DefaultHasher::new();
    text.hash(&mut hasher);
    Some(hasher.finish())
}

/// How many examples of `test` have a text ([`normalise`]d) that also occurs
/// in `train`.
pub fn overlapping(train: &[Example], test: &[Example]) -> usize {
    let seen: HashSet<u64> = train.par_iter().filter_map(digest).collect();
    test.par_iter()
        .filter_map(digest)
        .filter(|d| seen.contains(d))
        .count()
}

/// The warning (without a `warning:` prefix) when at least
/// [`OVERLAP_WARN_SHARE`] of `test` also occurs in `train`, else `None`.
pub fn overlap_warning(train: &[Example], test: &[Example]) -> Option<String> {
    if test.is_empty() {
        return None;
    }
    let shared = overlapping(train, test);
    let share = shared as f64 / test.len() as f64;
    if shared == 0 || share < OVERLAP_WARN_SHARE {
        return None;
    }
    let how = "compared lower-cased, with whitespace collapsed";
    Some(if shared == test.len() {
        format!(
            "every one of the {shared} test examples also occurs in the training split ({how}): \
             the test split is the training split in another order or form, so the test \
             accuracy measures memory, not generalisation"
        )
    } else {
        format!(
            "{shared} of the {} test examples ({:.1}%) also occur{} in the training split \
             ({how}): on those the test accuracy measures memory, not generalisation",
            test.len(),
            100.0 * share,
            if shared == 1 { "s" } else { "" }
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn examples(texts: &[&str]) -> Vec<Example> {
        texts
            .iter()
            .map(|t| Example {
                text: (*t).to_string(),
                label: "pos".to_string(),
            })
            .collect()
    }

    #[test]
    fn normalising_lowers_case_and_collapses_whitespace() {
        assert_eq!(normalise("  A  Fine\r\n\tFILM ÉTÉ "), "a fine film été");
        assert_eq!(normalise(" \n "), "");
    }

    #[test]
    fn the_training_split_in_another_order_and_case_is_found() {
        let train = examples(&["Good film", "bad  film", "so-so", ""]);
        let test = examples(&["so-so", "BAD FILM", "good film\r\n"]);
        assert_eq!(overlapping(&train, &test), 3);
        assert_eq!(
            overlap_warning(&train, &test).unwrap(),
            "every one of the 3 test examples also occurs in the training split (compared \
             lower-cased, with whitespace collapsed): the test split is the training split in \
             another order or form, so the test accuracy measures memory, not generalisation"
        );
        // Part of it: the count and the share.
        let test = examples(&["so-so", "new", "newer", "newest"]);
        assert_eq!(
            overlap_warning(&train, &test).unwrap(),
            "1 of the 4 test examples (25.0%) also occurs in the training split (compared \
             lower-cased, with whitespace collapsed): on those the test accuracy measures \
             memory, not generalisation"
        );
        // Empty texts are not a leak; a text inside another is not the same.
        let test = examples(&["", "good film, really"]);
        assert_eq!(overlapping(&train, &test), 0);
        assert_eq!(overlap_warning(&train, &test), None);
        assert_eq!(overlap_warning(&train, &[]), None);
    }

    #[test]
    fn an_overlap_below_one_percent_is_not_warned_about() {
        let train = examples(&["seen"]);
        let mut test = examples(&["seen"]);
        test.extend((0..100).map(|i| Example {
            text: format!("text {i}"),
            label: "neg".to_string(),
        }));
        assert_eq!(overlapping(&train, &test), 1);
        assert_eq!(overlap_warning(&train, &test), None);
        test.truncate(100);
        assert!(overlap_warning(&train, &test).is_some());
    }
}
