//! The kernel check as one table: per pair, the second model's time per
//! train step over the first's on each kernel setting (both on the same
//! fused oneDNN cells, libtorch's own kernels, both on libtorch's native
//! kernel), each with its 95% CI, and what follows from them by the one
//! verdict rule. The page draws it under the headline table, `report
//! --full` as text; claim 2 points to it. Plain text; the HTML layer
//! escapes it.

use serde::Serialize;

use super::format::kernel_name;
use super::say;
use super::table::Table;
use super::view::verdict::{Comparison, Verdict};
use crate::analysis::kernel_split::{KernelPair, KernelRatios, KernelSplit};
use crate::analysis::summary::Summary;
use crate::probe::kernel::Kernel;

/// A run's kernel check: what was timed, and the table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KernelCheck {
    /// `10 timed train steps per model on seed 1's batches; …`.
    pub caption: String,
    /// One row per pair of the run that the check timed on both settings.
    pub table: Table,
}

impl KernelCheck {
    /// As plain text: a title line with the caption, then the table.
    pub fn text(&self) -> String {
        format!("Kernel check ({}):\n{}", self.caption, self.table.text())
    }
}

/// The kernel check of `summary`'s pairs, in the pairs' order; `None`
/// without one, or when no pair was timed on both libtorch's own and the
/// native kernel.
pub fn kernel_check(summary: &Summary) -> Option<KernelCheck> {
    let split = summary.kernel_check.as_ref()?;
    let rows: Vec<Vec<String>> = summary
        .pairs
        .iter()
        .filter_map(|p| split.pairs.iter().find(|k| (k.a, k.b) == (p.a, p.b)))
        .flat_map(|k| {
            let step = KernelRatios {
                auto: k.auto,
                native: k.native,
                onednn: k.onednn,
            };
            [
                ("train step", Some(step)),
                ("streamed step", k.stream),
                ("whole example", k.review),
            ]
            .into_iter()
            .filter_map(|(timed, r)| row(k, timed, &r?, split))
        })
        .collect();
    if rows.is_empty() {
        return None;
    }
    let headers = [
        "pair, timed",
        "same fused oneDNN cells",
        "libtorch's own kernels",
        "both native",
        "what follows",
    ];
    Some(KernelCheck {
        caption: format!(
            "{} timed train steps per model on seed {}'s batches, then at batch 1 whole test examples and steps streamed with the state carried; each ratio is the second model's time over the first's, with its 95% CI",
            split.steps, split.seed
        ),
        table: Table {
            headers: headers.map(String::from).to_vec(),
            numeric: vec![false, true, true, true, false],
            models: vec![],
            rows,
        },
    })
}

/// One row of `pair`: `GRU / LSTM, train step`, what was `timed`, its
/// three ratios `r` (libtorch's own naming the kernels it picked other than
/// the native one) and what follows.
fn row(
    pair: &KernelPair,
    timed: &str,
    r: &KernelRatios,
    split: &KernelSplit,
) -> Option<Vec<String>> {
    let auto = Comparison::of_ratio(r.auto.as_ref()?);
    let native = Comparison::of_ratio(r.native.as_ref()?);
    let fused = r.onednn.as_ref().map(Comparison::of_ratio);
    let (a, b) = (pair.a, pair.b);
    let special = [a, b].into_iter().filter_map(|m| {
        let k = split.models.iter().find(|k| k.model == m)?.auto_kernel?;
        (k != Kernel::Native).then_some((m, k))
    });
    let special = say::list(special, ", ", |(m, k)| {
        format!("{} on {}", m.display_name(), kernel_name(k))
    });
    // Without a kernel of its own, libtorch's choice is the native kernel.
    let (own, native) = match special.as_str() {
        "" => ("the native kernel".to_string(), None),
        s => (format!("{} ({s})", say::estimate(&auto)), Some(&native)),
    };
    Some(vec![
        format!("{} / {}, {timed}", b.display_name(), a.display_name()),
        fused.as_ref().map_or("—".to_string(), say::estimate),
        own,
        say::estimate(native.unwrap_or(&auto)),
        follows(pair, (&auto, native, fused.as_ref())),
    ])
}

/// What the ratios of `pair` say: where the lead comes from (libtorch's
/// kernel or the cell; `native` is `None` when libtorch's own kernels are
/// the native ones, `auto` then being both native), then which is faster
/// on one fused kernel.
fn follows(
    pair: &KernelPair,
    (auto, native, fused): (&Comparison, Option<&Comparison>, Option<&Comparison>),
) -> String {
    let (an, bn) = (pair.a.display_name(), pair.b.display_name());
    // `b`'s time over `a`'s: FirstLarger means `b` is slower.
    let faster = |c: &Comparison| match c.verdict {
        Verdict::FirstLarger => Some(an),
        Verdict::SecondLarger => Some(bn),
        _ => None,
    };
    let lead = match native.map(|n| (faster(auto), faster(n))) {
        // libtorch's own kernels are the native ones: one verdict.
        None => match faster(auto) {
            Some(x) => format!("With both native {x} is faster."),
            None => "With both native no difference was distinguishable.".to_string(),
        },
        Some((Some(x), None)) => format!(
            "{x}'s lead comes from libtorch's kernel: with both native no difference was distinguishable."
        ),
        Some((Some(x), Some(y))) if x == y => format!(
            "{x} is faster with both native too; the kernel choice changes the size of the gap."
        ),
        Some((Some(x), Some(y))) => format!(
            "The kernel reverses the verdict: with both native {y} is faster; {x}'s lead comes from libtorch's kernel."
        ),
        Some((None, Some(y))) => {
            format!("With both native {y} is faster; libtorch's kernel choice hides it.")
        }
        Some((None, None)) => {
            "No speed difference was distinguishable under either setting.".to_string()
        }
    };
    let fused = match fused.map(faster) {
        Some(Some(x)) => format!(" On one fused kernel {x} is faster."),
        Some(None) => " On one fused kernel no difference was distinguishable.".to_string(),
        None => String::new(),
    };
    let encoder = match pair.a.is_recurrent() && pair.b.is_recurrent() {
        true => "",
        false => {
            " The Transformer runs its attention through libtorch's scaled_dot_product_attention under every kernel setting: the settings move the recurrent cell only."
        }
    };
    format!("{lead}{fused}{encoder}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::kernel_split::KernelModel;
    use crate::analysis::stats::Ratio;
    use crate::model::Cell;

    fn ratio(r: f64, lo: f64, hi: f64) -> Ratio {
        Ratio {
            n: 10,
            ratio: r,
            ci_low: Some(lo),
            ci_high: Some(hi),
            p_value: Some(if lo <= 1.0 && hi >= 1.0 { 0.5 } else { 0.001 }),
            ratio_of_means: r,
        }
    }

    fn split(auto: Ratio, native: Ratio, onednn: Option<Ratio>) -> KernelSplit {
        let model = |m, k| KernelModel {
            model: m,
            auto_kernel: Some(k),
            auto_step_secs: None,
            native_step_secs: None,
            native_over_auto: None,
            onednn_step_secs: None,
        };
        KernelSplit {
            seed: 1,
            steps: 10,
            models: vec![
                model(Cell::Lstm, Kernel::Onednn),
                model(Cell::Gru, Kernel::Native),
            ],
            pairs: vec![KernelPair {
                a: Cell::Lstm,
                b: Cell::Gru,
                auto: Some(auto),
                native: Some(native),
                onednn,
                review: None,
                stream: None,
            }],
        }
    }

    fn row_of(s: &KernelSplit) -> Vec<String> {
        let k = &s.pairs[0];
        let step = KernelRatios {
            auto: k.auto,
            native: k.native,
            onednn: k.onednn,
        };
        row(k, "train step", &step, s).unwrap()
    }

    #[test]
    fn a_row_gives_each_setting_s_ratio_and_where_the_lead_comes_from() {
        let s = split(ratio(1.86, 1.7, 2.0), ratio(0.97, 0.9, 1.05), None);
        let r = row_of(&s);
        assert_eq!(r[0], "GRU / LSTM, train step");
        assert_eq!(r[1], "—");
        assert_eq!(r[2], "1.86× [1.70, 2.00] (LSTM on oneDNN)");
        assert_eq!(r[3], "0.97× [0.90, 1.05]");
        assert!(
            r[4].starts_with(
                "LSTM's lead comes from libtorch's kernel: with both native no difference"
            ),
            "{}",
            r[4]
        );
        let s = split(
            ratio(1.86, 1.7, 2.0),
            ratio(1.3, 1.2, 1.4),
            Some(ratio(0.99, 0.95, 1.04)),
        );
        let r = row_of(&s);
        assert_eq!(r[1], "0.99× [0.95, 1.04]");
        assert_eq!(
            r[4],
            "LSTM is faster with both native too; the kernel choice changes the size of the gap. On one fused kernel no difference was distinguishable."
        );
        let s = split(ratio(1.5, 1.4, 1.6), ratio(0.8, 0.75, 0.85), None);
        assert!(
            row_of(&s)[4].contains("reverses the verdict: with both native GRU is faster"),
            "{:?}",
            row_of(&s)
        );
    }

    #[test]
    fn a_pair_without_a_kernel_of_its_own_is_said_once_as_both_native() {
        let mut s = split(
            ratio(0.7, 0.66, 0.74),
            ratio(0.7, 0.66, 0.74),
            Some(ratio(0.99, 0.95, 1.04)),
        );
        s.models[0].auto_kernel = Some(Kernel::Native);
        let r = row_of(&s);
        assert_eq!(r[2], "the native kernel");
        assert_eq!(r[3], "0.70× [0.66, 0.74]");
        assert_eq!(
            r[4],
            "With both native GRU is faster. On one fused kernel no difference was distinguishable."
        );
    }

    #[test]
    fn the_text_is_a_title_and_an_aligned_table() {
        let s = split(ratio(1.86, 1.7, 2.0), ratio(0.97, 0.9, 1.05), None);
        let check = KernelCheck {
            caption: "10 timed train steps".into(),
            table: Table {
                headers: vec!["pair".into(), "own".into()],
                numeric: vec![false, true],
                models: vec![],
                rows: vec![row_of(&s)[..2].to_vec()],
            },
        };
        assert_eq!(
            check.text(),
            "Kernel check (10 timed train steps):\npair                    own\nGRU / LSTM, train step    —\n"
        );
    }
}
