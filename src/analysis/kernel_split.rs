//! Aggregates of `kernel_check.csv`: for each pair of models, the speed
//! ratio with libtorch's own kernels (`--kernel auto`) and with its native
//! kernel for every cell (`--kernel native`), each paired by batch (the
//! same batch was timed for every variant), and, per model, how much its
//! `auto` kernel saves over the native one; and the same pair ratios for
//! latency at batch 1 (per whole review and per streamed token), paired by
//! review and by token.

use serde::{Deserialize, Serialize};

use crate::analysis::stats::{Ratio, median, paired_ratio};
use crate::config::KernelChoice;
use crate::model::Cell;
use crate::probe::kernel::Kernel;
use crate::results::{KernelCheckRow, KernelMeasure};

/// One model in the kernel check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KernelModel {
    /// The cell.
    pub model: Cell,
    /// The kernel it ran under `--kernel auto`.
    pub auto_kernel: Option<Kernel>,
    /// Median seconds per timed step under `auto`.
    pub auto_step_secs: Option<f64>,
    /// Median seconds per timed step under `native`.
    pub native_step_secs: Option<f64>,
    /// Median seconds per timed step on the fused oneDNN cells (`onednn`).
    #[serde(default)]
    pub onednn_step_secs: Option<f64>,
    /// Seconds per step under `native` over `auto`, paired by batch (above
    /// 1: the `auto` kernel is faster; 1 when both are the same kernel).
    pub native_over_auto: Option<Ratio>,
}

/// One pair of models in the kernel check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KernelPair {
    /// First model.
    pub a: Cell,
    /// Second model.
    pub b: Cell,
    /// `b`'s seconds per step over `a`'s under `--kernel auto` (above 1: `b` is slower).
    pub auto: Option<Ratio>,
    /// The same with every cell on libtorch's native kernel.
    pub native: Option<Ratio>,
    /// The same with every cell on the same fused oneDNN kernel: the cells'
    /// own cost, no cell better engineered than the other.
    #[serde(default)]
    pub onednn: Option<Ratio>,
    /// `b`'s latency per whole review over `a`'s at batch 1, per kernel
    /// setting (absent in a check that timed no latency).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review: Option<KernelRatios>,
    /// `b`'s latency per streamed token over `a`'s at batch 1, per kernel
    /// setting (absent unless both models can stream).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<KernelRatios>,
}

/// One pair's ratio under each `--kernel` setting.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct KernelRatios {
    /// With libtorch's own kernels (`auto`).
    pub auto: Option<Ratio>,
    /// With every cell on libtorch's native kernel.
    pub native: Option<Ratio>,
    /// With every cell on the same fused oneDNN kernel.
    pub onednn: Option<Ratio>,
}

/// The kernel split of one grid point (`summary.json`'s `kernel_check`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KernelSplit {
    /// The seed whose batches and weights were timed.
    pub seed: u64,
    /// Timed steps per variant.
    pub steps: usize,
    /// Per model, in the configuration's order.
    pub models: Vec<KernelModel>,
    /// Per pair of models (the summary's pair order).
    pub pairs: Vec<KernelPair>,
}

/// Times of `model`'s `measure` calls under `choice`, in step order. A model
/// timed only under `auto` whose kernel is libtorch's native one stands for
/// `native` too.
fn call_secs(
    rows: &[KernelCheckRow],
    measure: KernelMeasure,
    model: Cell,
    choice: KernelChoice,
) -> Vec<f64> {
    let pick = |c: KernelChoice| {
        let mut v: Vec<(u32, f64)> = rows
            .iter()
            .filter(|r| r.measure == measure && r.model == model && r.choice == c)
            .map(|r| (r.step, r.secs))
            .collect();
        v.sort_by_key(|x| x.0);
        v.into_iter().map(|x| x.1).collect::<Vec<_>>()
    };
    let own = pick(choice);
    if !own.is_empty() || choice != KernelChoice::Native {
        return own;
    }
    let auto_is_native = rows.iter().any(|r| {
        r.measure == measure
            && r.model == model
            && r.choice == KernelChoice::Auto
            && r.kernel == Kernel::Native
    });
    if auto_is_native {
        pick(KernelChoice::Auto)
    } else {
        Vec::new()
    }
}

/// `b`'s `measure` times over `a`'s, paired by call, under each kernel
/// setting; `None` when no setting has both.
fn ratios(
    rows: &[KernelCheckRow],
    measure: KernelMeasure,
    a: Cell,
    b: Cell,
) -> Option<KernelRatios> {
    let ratio = |choice| {
        paired_ratio(
            &call_secs(rows, measure, b, choice),
            &call_secs(rows, measure, a, choice),
        )
    };
    let r = KernelRatios {
        auto: ratio(KernelChoice::Auto),
        native: ratio(KernelChoice::Native),
        onednn: ratio(KernelChoice::Onednn),
    };
    (r.auto.is_some() || r.native.is_some() || r.onednn.is_some()).then_some(r)
}

/// The kernel split of `rows` for `models` and the `pairs` to compare;
/// `None` without rows.
pub fn kernel_split(
    rows: &[KernelCheckRow],
    models: &[Cell],
    pairs: &[(Cell, Cell)],
) -> Option<KernelSplit> {
    let first = rows.first()?;
    let step_secs = |m, choice| call_secs(rows, KernelMeasure::TrainStep, m, choice);
    let per_model = models
        .iter()
        .map(|&m| {
            let auto = step_secs(m, KernelChoice::Auto);
            let native = step_secs(m, KernelChoice::Native);
            let onednn = step_secs(m, KernelChoice::Onednn);
            KernelModel {
                model: m,
                auto_kernel: rows
                    .iter()
                    .find(|r| r.model == m && r.choice == KernelChoice::Auto)
                    .map(|r| r.kernel),
                auto_step_secs: median(&auto),
                native_step_secs: median(&native),
                onednn_step_secs: median(&onednn),
                native_over_auto: paired_ratio(&native, &auto),
            }
        })
        .collect();
    let pairs = pairs
        .iter()
        .map(|&(a, b)| {
            let steps = ratios(rows, KernelMeasure::TrainStep, a, b);
            KernelPair {
                a,
                b,
                auto: steps.and_then(|r| r.auto),
                native: steps.and_then(|r| r.native),
                onednn: steps.and_then(|r| r.onednn),
                review: ratios(rows, KernelMeasure::Review, a, b),
                stream: ratios(rows, KernelMeasure::StreamStep, a, b),
            }
        })
        .collect();
    Some(KernelSplit {
        seed: first.seed,
        steps: rows
            .iter()
            .filter(|r| r.measure == KernelMeasure::TrainStep)
            .map(|r| r.step as usize + 1)
            .max()
            .unwrap_or(0),
        models: per_model,
        pairs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(
        model: Cell,
        choice: KernelChoice,
        kernel: Kernel,
        step: u32,
        secs: f64,
    ) -> KernelCheckRow {
        KernelCheckRow {
            model,
            choice,
            kernel,
            seed: 1,
            step,
            tokens: 1000,
            secs,
            measure: KernelMeasure::TrainStep,
        }
    }

    #[test]
    fn the_split_pairs_by_batch_and_lets_one_native_timing_stand_for_both() {
        let mut rows = Vec::new();
        for step in 0..4 {
            let scale = 1.0 + step as f64 * 0.1; // batches differ in size
            rows.push(row(
                Cell::Lstm,
                KernelChoice::Auto,
                Kernel::Onednn,
                step,
                0.10 * scale,
            ));
            rows.push(row(
                Cell::Lstm,
                KernelChoice::Native,
                Kernel::Native,
                step,
                0.20 * scale,
            ));
            rows.push(row(
                Cell::Gru,
                KernelChoice::Auto,
                Kernel::Native,
                step,
                0.18 * scale,
            ));
        }
        let split =
            kernel_split(&rows, &[Cell::Lstm, Cell::Gru], &[(Cell::Lstm, Cell::Gru)]).unwrap();
        assert_eq!(split.steps, 4);
        let pair = &split.pairs[0];
        assert!((pair.auto.unwrap().ratio - 1.8).abs() < 1e-9);
        assert!((pair.native.unwrap().ratio - 0.9).abs() < 1e-9);
        let lstm = &split.models[0];
        assert_eq!(lstm.auto_kernel, Some(Kernel::Onednn));
        assert!((lstm.native_over_auto.unwrap().ratio - 2.0).abs() < 1e-9);
        let gru = &split.models[1];
        assert!((gru.native_over_auto.unwrap().ratio - 1.0).abs() < 1e-9);
        assert!(kernel_split(&[], &[Cell::Lstm], &[]).is_none());
    }

    #[test]
    fn latency_pairs_by_call_and_stays_apart_from_the_train_steps() {
        let mut rows = Vec::new();
        for step in 0..5 {
            let at = |measure, model, choice, kernel, secs| KernelCheckRow {
                measure,
                ..row(model, choice, kernel, step, secs)
            };
            let review = 1.0 + step as f64; // reviews differ in length
            use KernelMeasure::{Review, StreamStep, TrainStep};
            rows.extend([
                at(
                    TrainStep,
                    Cell::Lstm,
                    KernelChoice::Auto,
                    Kernel::Onednn,
                    0.1,
                ),
                at(
                    TrainStep,
                    Cell::Gru,
                    KernelChoice::Auto,
                    Kernel::Native,
                    0.2,
                ),
                at(
                    Review,
                    Cell::Lstm,
                    KernelChoice::Auto,
                    Kernel::Onednn,
                    0.004 * review,
                ),
                at(
                    Review,
                    Cell::Gru,
                    KernelChoice::Auto,
                    Kernel::Native,
                    0.006 * review,
                ),
                at(
                    Review,
                    Cell::Lstm,
                    KernelChoice::Onednn,
                    Kernel::OnednnFused,
                    0.002 * review,
                ),
                at(
                    Review,
                    Cell::Gru,
                    KernelChoice::Onednn,
                    Kernel::OnednnFused,
                    0.0018 * review,
                ),
                at(
                    StreamStep,
                    Cell::Lstm,
                    KernelChoice::Auto,
                    Kernel::Onednn,
                    80e-6,
                ),
                at(
                    StreamStep,
                    Cell::Gru,
                    KernelChoice::Auto,
                    Kernel::Native,
                    40e-6,
                ),
            ]);
        }
        let split =
            kernel_split(&rows, &[Cell::Lstm, Cell::Gru], &[(Cell::Lstm, Cell::Gru)]).unwrap();
        assert_eq!(split.steps, 5);
        let pair = &split.pairs[0];
        assert!((pair.auto.unwrap().ratio - 2.0).abs() < 1e-9);
        let review = pair.review.unwrap();
        assert!((review.auto.unwrap().ratio - 1.5).abs() < 1e-9);
        assert!((review.onednn.unwrap().ratio - 0.9).abs() < 1e-9);
        // The GRU's auto kernel is the native one: it stands for `native`,
        // but the LSTM has no native latency, so there is no native pair.
        assert!(review.native.is_none());
        let stream = pair.stream.unwrap();
        assert!((stream.auto.unwrap().ratio - 0.5).abs() < 1e-9);
        assert!(stream.onednn.is_none());
        // A check without latency rows has none.
        let steps: Vec<_> = rows
            .iter()
            .filter(|r| r.measure == KernelMeasure::TrainStep)
            .cloned()
            .collect();
        let split =
            kernel_split(&steps, &[Cell::Lstm, Cell::Gru], &[(Cell::Lstm, Cell::Gru)]).unwrap();
        assert_eq!(split.pairs[0].review, None);
        assert_eq!(split.pairs[0].stream, None);
    }
}
