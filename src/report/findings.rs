//! Sentences derived from a [`Summary`]'s numbers: which model is faster and
//! by what ratio, whether the accuracy difference is distinguishable, which
//! used more memory. Nothing here is written in advance of the numbers.

use crate::model::Cell;
use crate::stats::{Estimate, Ratio};
use crate::summary::{PairSummary, Summary};

/// Smallest p-value called "distinguishable".
pub const SIGNIFICANCE_LEVEL: f64 = 0.05;
/// Fewest paired seeds for which a test is reported as meaningful.
pub const MIN_SEEDS_FOR_TEST: usize = 3;
/// Below this many paired seeds a significant result is called weak evidence.
pub const MIN_SEEDS_FOR_STRONG_EVIDENCE: usize = 5;

/// Formats a p-value: `p = 0.014`, `p < 0.001`.
pub fn format_p(p: f64) -> String {
    if p < 0.001 {
        "p < 0.001".into()
    } else {
        format!("p = {p:.3}")
    }
}

fn seeds_word(n: usize) -> String {
    if n == 1 {
        "1 seed".into()
    } else {
        format!("{n} seeds")
    }
}

fn ratio_ci_text(lo: f64, hi: f64) -> String {
    format!("95% CI {lo:.2}–{hi:.2}")
}

/// The sentences for one pair, in plain text (HTML-escape before use).
pub fn pair_findings(pair: &PairSummary, summary: &Summary) -> Vec<String> {
    let (a, b) = (pair.a.display_name(), pair.b.display_name());
    if pair.n_pairs == 0 {
        return vec![format!(
            "No seed has finished (ok) runs of both {a} and {b}, so they cannot be compared."
        )];
    }
    let mut out = Vec::new();
    if let Some(r) = pair.speed_ratio {
        out.push(speed_sentence(a, b, &r));
    }
    if let Some(d) = pair.test_acc_diff {
        let n = d.n;
        let diff_pp = d.mean_diff * 100.0;
        let ci = match (d.ci_low, d.ci_high) {
            (Some(lo), Some(hi)) => {
                format!("95% CI {:+.2} to {:+.2} points", lo * 100.0, hi * 100.0)
            }
            _ => "no CI with one seed".into(),
        };
        let p_text = d
            .p_value
            .map(format_p)
            .unwrap_or_else(|| "no test with one seed".into());
        let distinguishable =
            n >= MIN_SEEDS_FOR_TEST && d.p_value.is_some_and(|p| p < SIGNIFICANCE_LEVEL);
        if distinguishable {
            let (win, lose) = if diff_pp > 0.0 { (&a, &b) } else { (&b, &a) };
            let mut s = format!(
                "{win} is more accurate than {lose} on the test split by {:.2} percentage points ({ci}; paired t-test {p_text}, {}).",
                diff_pp.abs(),
                seeds_word(n)
            );
            let mut weak = Vec::new();
            if n < MIN_SEEDS_FOR_STRONG_EVIDENCE {
                weak.push(format!("only {}", seeds_word(n)));
            }
            if cis_overlap(summary, pair.a, pair.b) {
                weak.push("the two models' 95% CIs of mean test accuracy overlap".to_string());
            }
            if !weak.is_empty() {
                s.push_str(&format!(" The evidence is weak: {}.", weak.join(", and ")));
            }
            out.push(s);
        } else {
            let mut s = format!(
                "The test-accuracy difference is not distinguishable with {}: {a} − {b} = {diff_pp:+.2} percentage points ({ci}; paired t-test {p_text}).",
                seeds_word(n)
            );
            if n < MIN_SEEDS_FOR_TEST {
                s.push_str(&format!(
                    " At least {MIN_SEEDS_FOR_TEST} paired seeds are needed for a meaningful test."
                ));
            }
            out.push(s);
        }
    }
    if let Some(m) = pair.memory_ratio {
        out.push(memory_sentence(
            a,
            b,
            &m,
            "peak resident memory (RSS, whole process)",
        ));
    }
    if let Some(m) = pair.gpu_memory_ratio {
        out.push(memory_sentence(a, b, &m, "peak GPU memory"));
    }
    out
}

fn speed_sentence(a: &str, b: &str, r: &Ratio) -> String {
    let n = r.n;
    if r.ratio == 1.0 {
        return format!(
            "{a} and {b} took the same training time per epoch ({} paired).",
            seeds_word(n)
        );
    }
    // ratio = secs(a) / secs(b): above 1, b is faster.
    let (fast, slow, factor, ci) = if r.ratio > 1.0 {
        (b, a, r.ratio, r.ci())
    } else {
        (
            a,
            b,
            1.0 / r.ratio,
            r.ci().map(|(lo, hi)| (1.0 / hi, 1.0 / lo)),
        )
    };
    let mut s = format!(
        "{fast} is faster than {slow}: {slow} takes {factor:.2}× as long per training epoch"
    );
    match ci {
        Some((lo, hi)) => {
            s.push_str(&format!(
                " ({}, {} paired).",
                ratio_ci_text(lo, hi),
                seeds_word(n)
            ));
            if lo <= 1.0 {
                s.push_str(" The interval includes 1, so the speed difference is not distinguishable from seed-to-seed noise.");
            }
        }
        None => s.push_str(" (one seed: no confidence interval)."),
    }
    s
}

fn memory_sentence(a: &str, b: &str, m: &Ratio, what: &str) -> String {
    if m.ratio == 1.0 {
        return format!("{a} and {b} used the same {what}.");
    }
    let (more, less, factor, ci) = if m.ratio > 1.0 {
        (a, b, m.ratio, m.ci())
    } else {
        (
            b,
            a,
            1.0 / m.ratio,
            m.ci().map(|(lo, hi)| (1.0 / hi, 1.0 / lo)),
        )
    };
    let mut s =
        format!("{more} used more memory than {less}: its {what} was {factor:.2}× {less}'s");
    match ci {
        Some((lo, hi)) => {
            s.push_str(&format!(" ({}).", ratio_ci_text(lo, hi)));
            if lo <= 1.0 {
                s.push_str(
                    " The interval includes 1: the difference is within seed-to-seed noise.",
                );
            }
        }
        None => s.push_str(" (one seed: no confidence interval)."),
    }
    s
}

fn cis_overlap(summary: &Summary, a: Cell, b: Cell) -> bool {
    let ci = |m: Cell| {
        summary
            .model(m)
            .and_then(|s| s.test_acc)
            .as_ref()
            .and_then(Estimate::ci)
    };
    match (ci(a), ci(b)) {
        (Some((alo, ahi)), Some((blo, bhi))) => alo <= bhi && blo <= ahi,
        _ => true,
    }
}

/// All sentences: the first pair (LSTM vs GRU when both ran) first.
pub fn findings(summary: &Summary) -> Vec<String> {
    summary
        .pairs
        .iter()
        .flat_map(|p| pair_findings(p, summary))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summary::summarize;
    use crate::summary::tests::run;

    fn models() -> Vec<Cell> {
        vec![Cell::Lstm, Cell::Gru]
    }

    #[test]
    fn faster_model_is_named_and_swapping_flips_it() {
        let runs = vec![
            run("lstm", 1, 0.85, 2.0, 1000),
            run("gru", 1, 0.85, 1.0, 1000),
            run("lstm", 2, 0.86, 2.2, 1000),
            run("gru", 2, 0.85, 1.1, 1000),
            run("lstm", 3, 0.84, 2.1, 1000),
            run("gru", 3, 0.85, 1.0, 1000),
        ];
        let text = findings(&summarize(&runs, &models())).join(" ");
        assert!(
            text.contains("GRU is faster than LSTM: LSTM takes 2.0"),
            "{text}"
        );
        assert!(text.contains("not distinguishable with 3 seeds"), "{text}");
        assert!(text.contains("LSTM and GRU used the same"), "{text}");
        let swapped: Vec<_> = runs
            .into_iter()
            .map(|mut r| {
                r.secs_per_epoch = if r.model == Cell::Gru {
                    r.secs_per_epoch * 4.0
                } else {
                    r.secs_per_epoch
                };
                r
            })
            .collect();
        let text = findings(&summarize(&swapped, &models())).join(" ");
        assert!(text.contains("LSTM is faster than GRU"), "{text}");
    }

    #[test]
    fn significant_but_few_seeds_is_weak() {
        let runs = vec![
            run("lstm", 1, 0.85, 2.0, 2000),
            run("gru", 1, 0.80, 2.0, 1000),
            run("lstm", 2, 0.86, 2.0, 2100),
            run("gru", 2, 0.80, 2.0, 1000),
            run("lstm", 3, 0.85, 2.0, 2000),
            run("gru", 3, 0.81, 2.0, 1000),
        ];
        let text = findings(&summarize(&runs, &models())).join(" ");
        assert!(text.contains("LSTM is more accurate than GRU"), "{text}");
        assert!(
            text.contains("The evidence is weak: only 3 seeds"),
            "{text}"
        );
        assert!(text.contains("LSTM used more memory than GRU"), "{text}");
    }

    #[test]
    fn one_seed_says_so() {
        let runs = vec![
            run("lstm", 1, 0.85, 2.0, 1000),
            run("gru", 1, 0.84, 1.0, 1000),
        ];
        let text = findings(&summarize(&runs, &models())).join(" ");
        assert!(text.contains("not distinguishable with 1 seed:"), "{text}");
        assert!(text.contains("one seed: no confidence interval"), "{text}");
    }
}
