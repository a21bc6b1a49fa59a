//! What pooling every state does for a recurrent cell (`--pooling` sweep,
//! claim 11): at each setting of the other swept options, each cell's test
//! accuracy with `mean`, `max` or `attention` pooling minus its accuracy
//! with the last state, paired by seed and judged by the single verdict
//! rule ([`super::verdict`]).

use serde::Serialize;

use super::verdict::Comparison;
use crate::analysis::stats::paired_difference;
use crate::model::Cell;
use crate::results::{RunRecord, RunStatus};

/// The `--pooling` grid axis's key.
pub const POOLING_KEY: &str = "pooling";

/// One grid point, as the comparison needs it.
#[derive(Debug, Clone)]
pub struct PoolingInput<'a> {
    /// The point's `--pooling` value (`last`, `auto`, `mean`, …).
    pub pooling: &'a str,
    /// The labels of the point's other swept options, in grid order.
    pub others: Vec<(String, String)>,
    /// The point's runs (only `ok` ones with a test accuracy count).
    pub runs: &'a [RunRecord],
}

/// One cell, one pooling, against the last state at the same settings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PoolingRow {
    /// The recurrent cell.
    pub model: Cell,
    /// The pooling compared with the last state: `mean`, `max` or `attention`.
    pub pooling: String,
    /// The other swept options' labels (`hidden=64`), empty when pooling is
    /// the only axis.
    pub at: String,
    /// Its test accuracy minus the last state's (fraction), paired by seed.
    pub diff: Comparison,
}

/// Whether a recurrent cell reads the last state under `pooling` (`auto`
/// is the last state for every recurrent cell).
fn is_last(pooling: &str) -> bool {
    pooling == "last" || pooling == "auto"
}

/// Each recurrent cell's `ok` test accuracy per seed at `input`.
fn accs_by_seed(input: &PoolingInput<'_>, model: Cell) -> Vec<(u64, f64)> {
    let mut out: Vec<(u64, f64)> = input
        .runs
        .iter()
        .filter(|r| r.model == model && r.status == RunStatus::Ok && r.test_acc.is_finite())
        .map(|r| (r.seed, r.test_acc))
        .collect();
    out.sort_by_key(|(seed, _)| *seed);
    out.dedup_by_key(|(seed, _)| *seed);
    out
}

/// The rows of a pooling sweep over `inputs` (one per grid point) for the
/// recurrent cells of `models`; empty without a last-state point to
/// compare with.
pub fn pooling_effect(models: &[Cell], inputs: &[PoolingInput<'_>]) -> Vec<PoolingRow> {
    let mut rows = Vec::new();
    for base in inputs.iter().filter(|i| is_last(i.pooling)) {
        for other in inputs
            .iter()
            .filter(|i| !is_last(i.pooling) && i.others == base.others)
        {
            for &model in models.iter().filter(|m| m.is_recurrent()) {
                let last = accs_by_seed(base, model);
                let pooled = accs_by_seed(other, model);
                let (a, b): (Vec<f64>, Vec<f64>) = pooled
                    .iter()
                    .filter_map(|(seed, acc)| {
                        last.iter()
                            .find(|(s, _)| s == seed)
                            .map(|(_, l)| (*acc, *l))
                    })
                    .unzip();
                let Some(d) = paired_difference(&a, &b) else {
                    continue;
                };
                rows.push(PoolingRow {
                    model,
                    pooling: other.pooling.to_string(),
                    at: base
                        .others
                        .iter()
                        .map(|(k, v)| format!("{k}={v}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    diff: Comparison::of_difference(&d),
                });
            }
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::summary::tests::run;
    use crate::report::view::verdict::Verdict;

    #[test]
    fn attention_against_last_is_paired_by_seed_per_cell() {
        let last = vec![
            run("lstm", 1, 0.70, 1.0, 1),
            run("lstm", 2, 0.71, 1.0, 1),
            run("lstm", 3, 0.69, 1.0, 1),
            run("gru", 1, 0.80, 1.0, 1),
            run("gru", 2, 0.80, 1.0, 1),
        ];
        let attention = vec![
            run("lstm", 1, 0.80, 1.0, 1),
            run("lstm", 2, 0.82, 1.0, 1),
            run("lstm", 3, 0.79, 1.0, 1),
            // GRU seed 3 has no last-state partner: two pairs only.
            run("gru", 2, 0.79, 1.0, 1),
            run("gru", 3, 0.90, 1.0, 1),
            run("gru", 1, 0.81, 1.0, 1),
        ];
        let inputs = [
            PoolingInput {
                pooling: "auto",
                others: Vec::new(),
                runs: &last,
            },
            PoolingInput {
                pooling: "attention",
                others: Vec::new(),
                runs: &attention,
            },
        ];
        let rows = pooling_effect(&[Cell::Lstm, Cell::Gru, Cell::Transformer], &inputs);
        assert_eq!(rows.len(), 2, "{rows:?}");
        assert_eq!(
            (rows[0].model, rows[0].pooling.as_str()),
            (Cell::Lstm, "attention")
        );
        assert!((rows[0].diff.estimate - 0.1033).abs() < 1e-3);
        assert_eq!(rows[0].diff.verdict, Verdict::FirstLarger);
        assert_eq!(rows[1].model, Cell::Gru);
        assert_eq!(rows[1].diff.n, 2);
        assert_eq!(rows[1].diff.verdict, Verdict::TooFewSeeds);
        // No last-state point: nothing to compare.
        assert!(pooling_effect(&[Cell::Lstm], &inputs[1..]).is_empty());
    }
}
